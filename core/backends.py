"""The backend seam: which backend a tensor's data belongs to, and moving data between them.

A tensor's backend follows its data: NumPy arrays run on the ``numpy`` backend,
another library's arrays on the backend that registered their type. NumPy data takes
a fast path that needs no table lookup; everything else asks the op table.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import numpy as np

from .registry import Backend, DeferredBackend, OpDef, Registry, RegistrationError, qualified_name

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["ComputeRefused", "UnknownSizeError", "BackendTable", "has_unknown_size", "unknown_size_refusal",
           "raise_if_unknown_size",
           "backend_of", "backend_for_type", "backend_named", "to_numpy", "numpy_dtype_of", "array_namespace",
           "is_lazy", "transfer", "compute"]


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


def raise_if_unknown_size(name: str, values: Any, cause: BaseException, step: str = "") -> None:
    """Raise ``unknown_size_refusal``'s error from ``cause`` where there is one; return otherwise
    (the caller then re-raises ``cause`` as it is)."""
    refusal = unknown_size_refusal(name, values, cause, step)
    if refusal is not None:
        raise refusal from cause




class BackendTable(Mapping[str, Backend]):
    """The op table's backends by name, deferred ones loaded on first use.

    A backend registered by the names of its array types (``register_backend(load=...)``) stays a
    ``DeferredBackend`` until it is needed: ``table[name]`` / ``get`` (the backend asked for by name),
    or ``for_type`` meeting an array of its type (its library is imported then, by the user). ``in``,
    iteration and ``declared`` never load one, so listings and device lookups import nothing. Loading
    adds the backend's classes to ``by_type``, the plain dict the dispatch reads first.
    """

    def __init__(self, by_type: dict[type, Backend], ops: Mapping[str, OpDef]) -> None:
        self._declared: dict[str, Backend | DeferredBackend] = {}
        self._by_type = by_type
        self._ops = ops
        self._unmatched: set[type] = set()  # types no backend has (numpy scalars asked by is_lazy): answered at once

    def add(self, backend: Backend | DeferredBackend) -> None:
        self._declared[backend.name] = backend
        if type(backend) is Backend:
            for array_type in backend.array_types:
                self._by_type[array_type] = backend

    def __getitem__(self, name: str) -> Backend:
        backend = self._declared[name]
        return backend if isinstance(backend, Backend) else self._load(backend)

    def __contains__(self, name: object) -> bool:
        return name in self._declared

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._declared))

    def __len__(self) -> int:
        return len(self._declared)

    def declared(self) -> list[Backend | DeferredBackend]:
        """Every backend as registered, none loaded by asking: what listings show."""
        return list(self._declared.values())

    def for_type(self, array_type: type, subclasses: bool = False) -> Backend | None:
        """The backend of arrays of exactly ``array_type`` (else, with ``subclasses``, of the first
        backend with a superclass of it), loading a deferred one it belongs to; None when none has it."""
        backend = self._by_type.get(array_type)
        if backend is not None:
            return backend
        if array_type not in self._unmatched:
            for declared in list(self._declared.values()):
                if type(declared) is DeferredBackend and declared.matches(array_type):
                    return self._load(declared)
            self._unmatched.add(array_type)
        if subclasses:
            for declared in list(self._declared.values()):
                if type(declared) is Backend and issubclass(array_type, declared.array_types):
                    return declared
                if type(declared) is DeferredBackend and declared.matches(array_type, subclasses=True):
                    return self._load(declared)
        return None

    def _load(self, declared: DeferredBackend) -> Backend:
        from .namespace import ArrayNamespace
        from .optable import _lock, warn
        from .plugins import PluginSideEffectWarning, guarded_global_state

        with _lock:
            current = self._declared.get(declared.name)
            if type(current) is Backend:  # another thread loaded it meanwhile
                return current
            notes: list[str] = []
            with guarded_global_state(declared.plugin, notes):
                backend = declared.resolve()
            for note in notes:
                warn(note, PluginSideEffectWarning)
            for array_type in backend.array_types:
                owner = self._by_type.get(array_type)
                if owner is not None:
                    raise RegistrationError(
                        f"plugin {backend.plugin!r}, backend {backend.name!r}: its array type "
                        f"{qualified_name(array_type)} is backend {owner.name!r}'s (plugin {owner.plugin!r}); a "
                        "tensor's data decides its backend, so each array type belongs to one backend")
            object.__setattr__(backend, "xp", ArrayNamespace(backend.name, backend.namespace, self._ops))
            for array_type in backend.array_types:
                self._by_type[array_type] = backend
            self._declared[declared.name] = backend
            self._unmatched.clear()
            return backend


def backend_for_type(array_type: type, subclasses: bool = False) -> Backend | None:
    """The backend whose arrays are of ``array_type`` (a deferred one is loaded now), else None."""
    from .optable import table

    t = table()
    return t.backend_of.get(array_type) or t.backends.for_type(array_type, subclasses)


def backend_of(data: Any) -> Backend:
    """The backend whose array type ``data`` is."""
    backend = backend_for_type(type(data))
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
    backend = backend_for_type(type(data))
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


@functools.cache
def _transfer_op() -> OpDef:
    """The graph step of a move between backends (made on the first move, not at import)."""
    registry = Registry("tapegrad")
    registry.register_op(
        "to_backend", forward=lambda xp, x, **params: x, vjp=(_transfer_vjp,), saves=(),
    )
    return registry.ops[0][0]



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
    node = Node(_transfer_op(), {"source": source, "target": target}, (edge,), (ShapeDtype(data.shape, data.dtype),),
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