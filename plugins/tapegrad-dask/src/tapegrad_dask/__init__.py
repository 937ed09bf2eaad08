"""Dask arrays as a tapegrad backend: forward and backward build one lazy Dask graph.

Leaves made with ``tapegrad.as_tensor(dask_array, requires_grad=True)`` stay lazy through every
op and through ``backward()``: ``x.grad`` is a lazy Dask tensor, and ``tapegrad.compute(loss,
x.grad)`` evaluates both in one scheduler pass (under an active ``distributed.Client`` too: Dask
uses whatever scheduler is active). ``x.to("dask", chunks=250_000)`` moves NumPy data in chunks
of that size.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator

import dask
import dask.array as da
import numpy as np
from dask.callbacks import Callback

import tapegrad
from tapegrad.backends import ComputeRefused

from . import namespace as dask_namespace

__version__ = "0.1.0"
__all__ = ["tapegrad_register_backends", "computations", "no_compute"]


def _to_numpy(array: Any) -> np.ndarray:
    return np.asarray(array.compute())


def _from_numpy(array: np.ndarray, chunks: Any = "auto") -> Any:
    return da.from_array(array, chunks=chunks)


def _compute(*arrays: Any) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a) for a in dask.compute(*arrays))


def _kit_inputs(array: np.ndarray) -> list[Any]:
    """What the conformance kit checks ops on: one chunk, several chunks (irregular where the size
    is odd), and, for floating arrays, the first size unknown (NaN), as a boolean mask leaves it.
    There every op must give NumPy's values and gradients, or stop with ``UnknownSizeError`` (the
    documented limit, which the kit reports as such) where it needs the size."""
    variants = [da.from_array(array, chunks=-1)]
    if array.ndim and array.size > 1:
        variants.append(da.from_array(array, chunks=tuple(max(1, (n + 1) // 2) for n in array.shape)))
    if array.ndim and array.shape[0] and array.dtype.kind == "f":  # as a mask leaves it
        variants.append(da.from_array(array)[da.from_array(np.ones(array.shape[0], dtype=bool))])
    return variants


class _Counter(Callback):
    """Counts the graphs Dask's local schedulers start computing."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def _start(self, dsk: Any) -> None:
        self.count += 1


class _Refuser(Callback):
    """Refuses any computation this thread starts (other threads compute as they like)."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def _start(self, dsk: Any) -> None:
        if threading.get_ident() == self.thread:
            raise ComputeRefused("a tapegrad op tried to compute a Dask array")


@contextlib.contextmanager
def no_compute() -> Iterator[None]:
    """Inside, computing Dask arrays from this thread raises (tapegrad runs every op's forward in it)."""
    with _Refuser():
        yield


@contextlib.contextmanager
def computations() -> Iterator[Callable[[], int]]:
    """``with computations() as count: ...; count()`` is how many times Dask computed inside."""
    counter = _Counter()
    with counter:
        yield lambda: counter.count


@tapegrad.hookimpl
def tapegrad_register_backends(registry: tapegrad.Registry) -> None:
    """Register the lazy ``dask`` backend."""
    registry.register_backend(
        "dask", namespace=dask_namespace, array_types=(da.Array,), to_numpy=_to_numpy, from_numpy=_from_numpy,
        lazy=True, compute=_compute, kit_inputs=_kit_inputs, computations=computations, no_compute=no_compute,
    )
