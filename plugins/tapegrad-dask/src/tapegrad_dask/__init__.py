"""Dask arrays as a tapegrad backend: forward and backward build one lazy Dask graph.

Leaves made with ``tapegrad.as_tensor(dask_array, requires_grad=True)`` stay lazy through every
op and through ``backward()``: ``x.grad`` is a lazy Dask tensor, and ``tapegrad.compute(loss,
x.grad)`` evaluates both in one scheduler pass (under an active ``distributed.Client`` too: Dask
uses whatever scheduler is active). ``x.to("dask", chunks=250_000)`` moves NumPy data in chunks
of that size.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

import tapegrad
from tapegrad.backends import ComputeRefused

if TYPE_CHECKING:
    import dask
    import dask.array as da

__version__ = "0.1.0"
__all__ = ["tapegrad_register_backends", "computations", "no_compute"]

# Dask is imported when the backend is first used (_load), not when tapegrad loads its plugins:
# importing dask.array takes about 0.3 s, which a user with no Dask array should not pay. The
# functions below find ``dask`` and ``da`` as module globals, which _load sets.


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


@functools.cache
def _callbacks() -> tuple[type, type]:
    """The Dask callbacks that count and refuse computations (classes of Dask's, so made on first use)."""
    from dask.callbacks import Callback

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

    return _Counter, _Refuser


@contextlib.contextmanager
def no_compute() -> Iterator[None]:
    """Inside, computing Dask arrays from this thread raises (tapegrad runs every op's forward in it)."""
    with _callbacks()[1]():
        yield


@contextlib.contextmanager
def computations() -> Iterator[Callable[[], int]]:
    """``with computations() as count: ...; count()`` is how many times Dask computed inside."""
    counter = _callbacks()[0]()
    with counter:
        yield lambda: counter.count


def _load() -> dict[str, Any]:
    """Import Dask and give tapegrad the rest of the backend: called on the backend's first use."""
    global dask, da
    import dask
    import dask.array as da

    from . import namespace as dask_namespace

    return dict(namespace=dask_namespace, to_numpy=_to_numpy, from_numpy=_from_numpy, compute=_compute,
                kit_inputs=_kit_inputs, computations=computations, no_compute=no_compute)


@tapegrad.hookimpl
def tapegrad_register_backends(registry: tapegrad.Registry) -> None:
    """Register the lazy ``dask`` backend, by its array type's name: nothing of Dask is imported
    until a Dask array reaches tapegrad or the backend is named (``x.to("dask")``)."""
    registry.register_backend("dask", array_types=("dask.array.core.Array",), lazy=True, load=_load)
