"""``vmap``: a function of one example, mapped over a batch dimension (``torch.func.vmap``).

This version maps by running the function once per example and stacking the results with
the ``stack`` op, so it is correct for every op, composes with every transform (``grad``
inside or outside, nested ``vmap``), and keeps the batch differentiable; it does not yet
batch op by op (per-op batching rules in the op contract are planned), so it costs one
call of ``func`` per example.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from .dims import axis
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
        results = [func(*[_example(a, d, b) for a, d in zip(args, dims)], **kwargs) for b in range(size)]
        return _stacked(results, out_dims, name)

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
        if type(a) is not Tensor:
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


def _example(a: Any, d: int | None, b: int) -> Any:
    if d is None:
        return a
    d = d % a.ndim
    return a[(slice(None),) * d + (b,)]


def _stacked(results: list[Any], out_dims: Any, name: str) -> Any:
    from .optable import lookup

    stack = lookup("stack").apply
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


def _stack_one(stack: Callable[..., Tensor], values: list[Any], out_dim: Any, name: str) -> Tensor:
    for v in values:
        if type(v) is not Tensor:
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(v)}. Did you mean "
                             "to set out_dims= to None for output?")
    if not isinstance(out_dim, int) or isinstance(out_dim, bool):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dim}): out_dims must be an int or a tuple of ints")
    axis(out_dim, values[0].ndim + 1)  # PyTorch's "Dimension out of range" for a bad out_dim
    return stack(values, dim=out_dim)
