"""The backend seam: which backend a tensor's data belongs to, and moving data between them.

A tensor's backend follows its data: NumPy arrays run on the ``numpy`` backend,
another library's arrays on the backend that registered their type. NumPy data takes
a fast path that needs no table lookup; everything else asks the op table.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import numpy as np

from .registry import Backend, OpDef, Registry

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["ComputeRefused", "UnknownSizeError", "has_unknown_size", "unknown_size_refusal", "backend_of", "backend_named", "to_numpy", "numpy_dtype_of", "array_namespace", "is_lazy", "transfer", "compute"]


class ComputeRefused(RuntimeError):
    """Raised by a lazy backend's ``no_compute`` guard when something inside tries to compute."""


class UnknownSizeError(ValueError):
    """Raised by a lazy backend for a step that needs a size it does not know until it computes
    (a boolean mask's result): the documented limit of unknown sizes, which the kit accepts there."""


UNKNOWN_SIZE_ADVICE = ("call compute_chunk_sizes() on the Dask array before wrapping it (or tapegrad.compute() "
                       "the tensor and continue on its values)")


def has_unknown_size(values: Any) -> bool:
    """Whether an array, tensor or stand-in among ``values`` (nested lists and tuples too) has a size
    that is not known yet (NaN or None: a lazy backend's array after a boolean mask)."""
    stack = [values]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        shape = getattr(v, "shape", None)
        if isinstance(shape, tuple) and any(n is None or n != n for n in shape):
            return True
    return False


def unknown_size_refusal(name: str, values: Any, cause: BaseException, step: str = "") -> UnknownSizeError | None:
    """The clear error for ``cause``, raised by op ``name`` (its ``step``: "" for the forward, "its
    gradient" for a VJP) while an input had an unknown size; None when every size was known (or
    ``cause`` says so already). Only error paths call it: whatever failed needed a size it could not
    have, so the user is told what to do rather than shown NaN arithmetic or a backend's internals."""
    if isinstance(cause, UnknownSizeError) or not has_unknown_size(values):
        return None
    what = f"{name}()" + (f" ({step})" if step else "")
    return UnknownSizeError(f"{what} needs the size of an input whose size is unknown until computed (NaN: the "
                            f"chunk sizes of a Dask array after a boolean mask); {UNKNOWN_SIZE_ADVICE}. "
                            f"What needed it: {type(cause).__name__}: {(str(cause).strip().splitlines() or [''])[0]}")


def backend_of(data: Any) -> Backend:
    """The backend whose array type ``data`` is."""
    from .optable import table

    backend = table().backend_of.get(type(data))
    if backend is None:
        raise TypeError(
            f"no backend is registered for arrays of type {type(data).__module__}.{type(data).__qualname__}"
        )
    return backend


def is_lazy(data: Any) -> bool:
    """Whether ``data`` (an array or a tensor's) belongs to a lazy backend (Dask), where looking at
    values would force a computation: ops branch on values only when this is False."""
    data = getattr(data, "_data", data)
    if type(data) is np.ndarray or not hasattr(data, "shape"):
        return False
    from .optable import table

    backend = table().backend_of.get(type(data))
    return backend is not None and backend.lazy


def array_namespace(data: Any) -> Any:
    """The namespace ``data``'s backend registered: what core code calls on backend arrays.

    Never ``data.__array_namespace__()``: a library's arrays may have none (Dask's), or name a
    namespace other than the one its backend plugin registered (array-api-compat's wrappers).
    """
    return backend_of(data).namespace


def backend_named(name: str) -> Backend:
    """The registered backend called ``name``."""
    from .optable import table

    backends = table().backends
    if name not in backends:
        raise ValueError(f"no backend named {name!r} is registered; registered: {sorted(backends)}")
    return backends[name]


def to_numpy(data: Any) -> np.ndarray:
    """``data`` as a NumPy array (shared memory where the backend allows)."""
    if type(data) is np.ndarray:
        return data
    return np.asarray(backend_of(data).to_numpy(data))


def numpy_dtype_of(data: Any) -> np.dtype:
    """The NumPy dtype matching ``data``'s dtype, whatever its backend."""
    if type(data) is np.ndarray:
        return data.dtype
    return np.dtype(backend_of(data).numpy_dtype(data.dtype))


def _transfer_vjp(xp: Any, g: Any, ans: Any, x: Any, *, source: Backend, target: Backend) -> Any:
    if hasattr(g, "_grad_fn"):  # under create_graph: moving back is the same differentiable step
        return transfer(g, source.name)
    return source.from_numpy(np.asarray(target.to_numpy(g)))


def _transfer_op() -> OpDef:
    registry = Registry("tapegrad")
    registry.register_op(
        "to_backend", forward=lambda xp, x, **params: x, vjp=(_transfer_vjp,), saves=(),
    )
    return registry.ops[0][0]


_TRANSFER = _transfer_op()


def transfer(tensor: Tensor, name: str, **options: Any) -> Tensor:
    """``tensor`` moved to the backend ``name`` (``options`` for its ``from_numpy``); differentiable,
    so gradients flow back across. Leaving a lazy backend for an eager one computes the data, as it
    must; a gradient crossing back to an eager leaf is computed there too (make leaves natively on
    a lazy backend, with ``as_tensor``, to keep the whole step lazy)."""
    from .grad_mode import is_grad_enabled
    from .graph import Node, ShapeDtype
    from .tensor import _wrap

    target = backend_named(name)
    data = tensor._data
    source = backend_named("numpy") if type(data) is np.ndarray else backend_of(data)
    if options:
        _check_options(target, options)
    if source is target:
        if options:
            raise ValueError(f"to(): the tensor is on the {name!r} backend already, so {', '.join(options)}= would "
                             "change nothing; the options apply when moving onto a backend (change the array's "
                             "layout with the backend's own functions)")
        return tensor
    out = target.from_numpy(np.asarray(source.to_numpy(data)), **options)
    if not (tensor._requires_grad and is_grad_enabled()):
        return _wrap(out)
    edge = tensor._grad_fn or tensor
    node = Node(_TRANSFER, {"source": source, "target": target}, (edge,), (ShapeDtype(data.shape, data.dtype),),
                None, source.xp)
    return _wrap(out, node)


def _check_options(target: Backend, options: dict[str, Any]) -> None:
    """``options`` are keywords ``target``'s ``from_numpy`` takes, else the error PyTorch's ``to()`` gives."""
    try:
        parameters = list(inspect.signature(target.from_numpy).parameters.values())[1:]
    except (TypeError, ValueError):  # a builtin without a signature: let it judge
        return
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return
    taken = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for key in options:
        if key not in taken:
            raise TypeError(f"to() got an unexpected keyword argument {key!r} (the {target.name!r} backend takes "
                            f"{', '.join(f'{k}=' for k in sorted(taken)) or 'no options'})")


def compute(*tensors: Tensor | None) -> tuple[Tensor | None, ...]:
    """Evaluate lazy tensors together, in one pass of each lazy backend's scheduler (so work the
    loss and the gradients share is done once), returning concrete tensors: NumPy ones for Dask.

    Tensors of eager backends come back as they are, and so does None (a ``.grad`` not yet made),
    so ``loss, grad = tapegrad.compute(loss, w.grad)`` works whatever the backend. The results are
    values, detached from any graph. Always a tuple, as ``dask.compute`` returns.
    """
    from .tensor import Tensor as _Tensor, _wrap

    results: list[Any] = list(tensors)
    by_backend: dict[str, list[int]] = {}
    for k, t in enumerate(tensors):
        if t is None:
            continue
        if type(t) is not _Tensor:
            raise TypeError(f"compute() takes tensors (or None), got {type(t).__name__} at position {k}")
        data = t._data
        if type(data) is np.ndarray:
            continue
        backend = backend_of(data)
        if backend.lazy:
            by_backend.setdefault(backend.name, []).append(k)
    for name, positions in by_backend.items():
        backend = backend_named(name)
        assert backend.compute is not None
        values = backend.compute(*[tensors[k]._data for k in positions])  # type: ignore[union-attr]
        for k, value in zip(positions, values):
            results[k] = _wrap(np.asarray(value))
    return tuple(results)