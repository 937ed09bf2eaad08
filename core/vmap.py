"""``vmap``: a function of one example, mapped over a batch dimension (``torch.func.vmap``).

``func`` runs once, on ``BatchedTensor`` arguments that look like one example and hold the
whole batch; each op it calls runs once on the batch by its batching rule
(``core/batching.py``), or, for an op without one, once per example. The results must be
those of calling ``func`` once per example and stacking, which is what ``vmap`` does instead
when ``func`` needs one example's values (``.item()``, a branch on a value) or runs a transform
that cannot be batched yet (a backward inside ``vmap``, ``vmap(jacfwd(f))``): it warns once with
a ``BatchingFallbackWarning`` and loops, so ``func`` may then have been called one time more.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Sequence

from . import batching
from .batching import BatchingFallbackWarning, NotBatchable
from .dims import axis
from .randomness import RANDOMNESS
from .tensor import Tensor

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable[..., Any]:
    """``func`` mapped over dimension ``in_dims`` of its inputs (an int for all, or one int or
    None per positional argument: None passes that argument unmapped); the results are stacked
    along ``out_dims`` (one int, or one per output of a tuple result)."""
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    name = getattr(func, "__name__", type(func).__name__)

    @functools.wraps(func)
    def mapped(*args: Any, **kwargs: Any) -> Any:
        dims = _in_dims(in_dims, args, name)
        size = _batch_size(args, dims, name)
        why = None
        mode = RANDOMNESS.set(None if randomness == "different" else randomness)
        try:
            if randomness != "different":  # "different" draws per example: the loop is that
                level = batching.new_level()
                try:
                    out = func(*[a if d is None else batching.batched(a, d % a.ndim, level)
                                 for a, d in zip(args, dims)], **kwargs)
                except NotBatchable as signal:
                    if signal.level != level:
                        raise  # an enclosing vmap's value: that vmap loops
                    why = f"it reads one example's {signal.what}"
                except Exception as exc:  # noqa: BLE001 - the loop below raises func's own error, if any
                    why = f"a batched call raised {type(exc).__name__}: {exc}"
                else:
                    return _unbatched(out, level, size, out_dims, name)
            result = _stacked(_loop(func, args, dims, size, kwargs), out_dims, name)
        finally:
            RANDOMNESS.reset(mode)
        if why is not None:
            _warn_loop(func, name, why)
        return result

    mapped.__qualname__ = mapped.__name__ = f"vmap({name})"
    return mapped


def _in_dims(in_dims: Any, args: tuple, name: str) -> list[int | None]:
    if isinstance(in_dims, int) and not isinstance(in_dims, bool):
        dims: list[Any] = [in_dims] * len(args)
    elif isinstance(in_dims, (tuple, list)):
        if len(in_dims) != len(args):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure {len(in_dims)} entries but inputs has "
                             f"{len(args)}.")
        dims = list(in_dims)
    else:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a (potentially "
                         f"nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    for d, a in zip(dims, args):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...): in_dims entries must be int or None, got {d!r}")
        if not isinstance(a, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                             f"input is of type {type(a)}. We cannot vmap over non-Tensor arguments, please use None "
                             "as the respective in_dim")
        if not -a.ndim <= d < a.ndim:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but that "
                             f"input is a Tensor of dimensionality {a.ndim} so expected in_dim to satisfy "
                             f"-{a.ndim} <= in_dim < {a.ndim}.")
    return dims


def _batch_size(args: tuple, dims: Sequence[int | None], name: str) -> int:
    sizes = [a.shape[d] for a, d in zip(args, dims) if d is not None]
    if not sizes:
        raise ValueError(f"vmap({name}, in_dims=...)(<inputs>): At least one of the inputs must be batched "
                         "(an in_dim that is not None)")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return int(sizes[0])


def _loop(func: Callable[..., Any], args: tuple, dims: Sequence[int | None], size: int, kwargs: dict) -> list[Any]:
    return [func(*[_example(a, d, b) for a, d in zip(args, dims)], **kwargs) for b in range(size)]


_warned: set[Any] = set()


def _warn_loop(func: Callable[..., Any], name: str, why: str) -> None:
    key = (getattr(func, "__code__", None), name)
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(f"vmap({name}) ran {name} once per example, because {why}: correct, but with a performance "
                  "drop", BatchingFallbackWarning, stacklevel=3)


def _unbatched(out: Any, level: int, size: int, out_dims: Any, name: str) -> Any:
    """``func``'s batched result as plain tensors, each batch moved to its ``out_dims`` entry."""
    if isinstance(out, tuple):
        dims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(out)
        if len(dims) != len(out):
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): out_dims is not compatible with the structure "
                             f"of `outputs` ({len(out)} outputs)")
        return tuple(_unbatch_one(o, level, size, d, name) for o, d in zip(out, dims))
    if isinstance(out_dims, (tuple, list)):
        if len(out_dims) != 1:
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): out_dims is not compatible with the structure "
                             "of `outputs` (1 output)")
        out_dims = out_dims[0]
    return _unbatch_one(out, level, size, out_dims, name)


def _unbatch_one(value: Any, level: int, size: int, out_dim: Any, name: str) -> Tensor:
    _stack_one(None, [value], out_dim, name)  # out_dims' checks, in the loop's words
    return batching.unbatched(value, level, size, axis(out_dim, value.ndim + 1))


def _stack() -> Callable[..., Tensor]:
    from .optable import lookup

    return lookup("stack").apply


def _example(a: Any, d: int | None, b: int) -> Any:
    if d is None:
        return a
    d = d % a.ndim
    return a[(slice(None),) * d + (b,)]


def _stacked(results: list[Any], out_dims: Any, name: str) -> Any:
    stack = _stack()
    first = results[0] if results else None
    if isinstance(first, tuple):
        dims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
        if len(dims) != len(first):
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): out_dims is not compatible with the structure "
                             f"of `outputs` ({len(first)} outputs)")
        return tuple(_stack_one(stack, [r[i] for r in results], dims[i], name) for i in range(len(first)))
    if isinstance(out_dims, (tuple, list)):
        if len(out_dims) != 1:
            raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): out_dims is not compatible with the structure "
                             "of `outputs` (1 output)")
        out_dims = out_dims[0]
    return _stack_one(stack, results, out_dims, name)


def _stack_one(stack: Callable[..., Tensor] | None, values: list[Any], out_dim: Any, name: str) -> Any:
    """``values`` stacked along ``out_dim`` (with ``stack`` None: only the checks)."""
    for v in values:
        if not isinstance(v, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(v)}. Did you mean "
                             "to set out_dims= to None for output?")
    if not isinstance(out_dim, int) or isinstance(out_dim, bool):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dim}): out_dims must be an int or a tuple of ints")
    axis(out_dim, values[0].ndim + 1)  # PyTorch's "Dimension out of range" for a bad out_dim
    return None if stack is None else stack(values, dim=out_dim)
