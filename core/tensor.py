"""The Tensor: an array, plus the autograd state that ties it into a graph.

Ops and their operators are not written here: the op table binds them onto this class
when it is built (see ``tapegrad.optable``). This module holds only what every tensor
has whatever ops are installed: data, grad, grad_fn, requires_grad, conversion and
printing.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from . import dtypes as _dtypes
from .backends import numpy_dtype_of, to_numpy
from .dims import as_flag, axis
from .grad_mode import grad_enabled_fast
from .graph import Node, ShapeDtype, named
from .printing import tensor_repr

__all__ = ["Tensor", "Size"]


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``tapegrad.Size([2, 2])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"tapegrad.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n


class _TensorType(type):
    """Tensor's metaclass. While the op table is unbound it has a ``__getattr__`` (``lazy_methods``):
    a method missing on the class itself (``tapegrad.Tensor.sum``, PyTorch's ``torch.Tensor.add``
    idiom) builds the table, as a miss on an instance does. It has none once the table is bound,
    so reads on the class (``Tensor.__new__``) stay specialised."""


class Tensor(metaclass=_TensorType):
    """An n-dimensional array that can record the operations applied to it.

    Build one with ``tapegrad.tensor(...)`` or the other creation functions; the
    constructor is internal. ``requires_grad=True`` makes operations on it record a
    graph; ``backward()`` then accumulates gradients into the leaves' ``.grad``.
    """

    __slots__ = ("_data", "_meta", "_grad_fn", "_requires_grad", "_grad", "_hooks", "__weakref__")
    _hooks: Any  # a leaf's gradient hooks (tapegrad.hooks.LeafHooks), set only on leaves that have some
    # ``_meta``: the interned ShapeDtype stand-in of ``_data`` when that is a NumPy array of fewer than
    # reuse.BIG elements, or None (not known yet, or another array): the op fast paths read it instead
    # of three NumPy attributes (about 1,200 instructions an op) and hand it on to elementwise results.
    # Every write of ``_data`` resets it; no ndarray object a tensor holds ever reaches the user (numpy()
    # and from_numpy() give and take views, as PyTorch's), so nobody can reshape it in place.

    # Operators with NumPy arrays on the left come to us, not to NumPy's ufuncs.
    __array_priority__ = 1000

    def __init__(self, *args: Any, device: Any = None) -> None:
        """PyTorch's legacy constructor: ``Tensor([1, 2])`` is a float tensor of the default
        dtype, ``Tensor(2, 3)`` an uninitialised (here: zero) one of that shape, ``Tensor()``
        an empty one. Prefer ``tapegrad.tensor``; ops build tensors without this constructor."""
        from .creation import legacy_tensor_data

        self._data = legacy_tensor_data(args, device)
        self._meta: ShapeDtype | None = None
        self._grad_fn: Node | None = None
        self._requires_grad = False
        self._grad: Tensor | None = None

    # ------------------------------------------------------------------ autograd state
    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's storage, with no history (updates that autograd must not see)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if type(value) is not Tensor:
            raise TypeError(f"data must be set to a Tensor, not {type(value).__name__}")
        self._data = value._data
        self._meta = value._meta

    @property
    def grad_fn(self) -> Node | None:
        """The node that made this tensor, or None for tensors the user created (leaves)."""
        node = self._grad_fn
        return node if node is None else named(node)

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not (flag is True or flag is False or isinstance(flag, np.bool_)):
            raise RuntimeError(f"requires_grad must be a bool, not {type(flag).__name__}")
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns ``self``."""
        try:
            flag = as_flag(requires_grad, "requires_grad")
        except TypeError as exc:
            raise TypeError(f"requires_grad_(): {exc}") from None
        if self._grad_fn is not None:
            if flag:
                return self  # already tracks history; PyTorch accepts this silently
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if flag and numpy_dtype_of(self._data).kind not in "fc":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients "
                f"(this one is {self.dtype}); create it with a float dtype, e.g. dtype=tapegrad.float32"
            )
        self._requires_grad = flag
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op: the ones backward accumulates into."""
        return self._grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (leaves and ``retain_grad`` tensors); None before."""
        if self._grad_fn is not None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
                "the leaf Tensor instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if type(value) is not Tensor:
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if numpy_dtype_of(value._data) != numpy_dtype_of(self._data):  # backward accumulates into it
                raise RuntimeError(
                    f"assigned grad has data of a different type: attempting to assign a gradient with dtype "
                    f"{value.dtype} to a tensor with dtype {self.dtype}. Please ensure that the gradient and "
                    "the tensor have the same dtype"
                )
            if type(value._data) is not type(self._data):
                raise RuntimeError(
                    f"assigned grad has data on a different backend: attempting to assign a gradient on backend "
                    f"{value.backend!r} to a tensor on backend {self.backend!r}. Please ensure that the "
                    "gradient and the tensor are on the same backend"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: attempting to assign a gradient of size "
                    f"{list(value._data.shape)} to a tensor of size {list(self._data.shape)}. Please ensure "
                    "that the gradient and the tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        from .hooks import retain

        retain(self)

    def register_hook(self, hook: Any) -> Any:
        """Run ``hook(grad)`` on this tensor's gradient during backward; a Tensor it returns
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        from .hooks import add_hook

        return add_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Run ``hook(tensor)`` on this leaf after backward has updated its ``.grad``
        (where optimizers step parameter by parameter). Returns a removable handle."""
        from .hooks import add_post_accumulate_hook

        return add_post_accumulate_hook(self, hook)

    @property
    def retains_grad(self) -> bool:
        """Whether backward stores this non-leaf tensor's gradient."""
        # Kept in a side table by node, so plain tensors and nodes carry no flag for it.
        from .hooks import retains

        return retains(self)

    def detach(self) -> Tensor:
        """A tensor sharing storage, cut from the graph."""
        t = _wrap(self._data)
        t._meta = self._meta
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place, making it a leaf."""
        from .views import view_info

        if view_info(self) is not None:  # its base's writes would give it history again
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has seen (shared by all views of it, as in PyTorch)."""
        from .versions import version_of

        return version_of(self._data)

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless this tensor has one element; ``retain_graph``
        keeps saved values for another backward; ``create_graph`` records the backward
        pass itself, for higher derivatives.
        """
        if not _backward_scalar()(self, gradient, retain_graph, create_graph, inputs):  # loss.backward()
            _autograd_backward()(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # ------------------------------------------------------------------ shape and dtype
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        try:
            return self._data.shape[axis(dim, self._data.ndim)]
        except TypeError as exc:
            raise TypeError(f"size(): {exc}") from None

    @property
    def dtype(self) -> _dtypes.DType:
        return _dtypes.from_numpy_dtype(numpy_dtype_of(self._data))

    @property
    def backend(self) -> str:
        """The name of the backend this tensor's data lives on (``"numpy"`` by default)."""
        from .backends import backend_of

        return "numpy" if type(self._data) is np.ndarray else backend_of(self._data).name

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """This tensor on another device or backend, as another dtype, or both:
        ``x.to("cpu")``, ``x.to("array_api_strict")``, ``x.to(tapegrad.float64)``,
        ``x.to(device, dtype)``, ``x.to(other)``, ``x.to("dask", chunks=250_000)`` (other keywords are
        the target backend's options). Differentiable; ``self`` when nothing changes,
        as PyTorch's (so ``w = ones(2, requires_grad=True).to(float32)`` stays a leaf)."""
        from .devices import move, parse_to_arguments

        known = {"device", "dtype", "non_blocking", "copy", "memory_format"}
        options = {k: v for k, v in kwargs.items() if k not in known}
        where, dtype = parse_to_arguments(args, {k: v for k, v in kwargs.items() if k in known})
        if options and where is None:
            raise TypeError(f"to() got an unexpected keyword argument {sorted(options)[0]!r} (backend options such as "
                            "chunks= go with a backend to move onto: x.to('dask', chunks=...))")
        out = self if where is None else move(self, where, **options)
        if dtype is not None and _dtypes.to_numpy_dtype(dtype) != numpy_dtype_of(out._data):
            from .optable import lookup

            out = lookup("astype").apply(out, dtype=dtype)
        return out

    @property
    def device(self) -> Any:
        """The device holding the data (``device(type='cpu')`` for NumPy data)."""
        from .devices import device_of

        return device_of(self._data)

    def cpu(self) -> Tensor:
        """This tensor with its data in NumPy (``self`` when it already is)."""
        return self.to("cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """This tensor on a CUDA device, through the backend plugin that provides ``cuda``."""
        return self.to("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}")

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """With no argument, the type name (``'tapegrad.FloatTensor'``); else this tensor as ``dtype``."""
        if dtype is None:
            return _dtypes.legacy_type_name(self.dtype)
        if isinstance(dtype, str):
            dtype = _dtypes.from_legacy_type_name(dtype)
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor cast to ``other``'s dtype."""
        if type(other) is not Tensor:
            raise TypeError(f"type_as(): argument 'other' must be Tensor, not {type(other).__name__}")
        return self.to(other.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def is_floating_point(self) -> bool:
        return numpy_dtype_of(self._data).kind == "f"

    # ------------------------------------------------------------------ conversion
    def item(self) -> Any:
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return to_numpy(self._data).item()

    def tolist(self) -> Any:
        return to_numpy(self._data).tolist()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array sharing memory; refused while the tensor requires grad and grad
        mode is on (inside ``no_grad`` and a Function's ``forward`` it works, as in PyTorch).

        A new array object each call, as PyTorch's: setting its ``shape`` or ``dtype`` in place
        reinterprets that array only, never the tensor."""
        if self._requires_grad and grad_enabled_fast():
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        data = self._data
        return data.view() if type(data) is np.ndarray else to_numpy(data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self) -> int:
        if numpy_dtype_of(self._data).kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __iter__(self) -> Iterator[Any]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        from .views import mark_multiple

        # each row through the getitem op; as PyTorch's unbind, the rows refuse recorded writes
        return (mark_multiple((self[i],), "Unbind", i)[0] for i in range(self._data.shape[0]))

    @property
    def T(self) -> Tensor:
        """The dimensions reversed (the transpose of a matrix), through the ``permute`` op."""
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of matrices transposed)."""
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    __hash__ = object.__hash__

    def __getstate__(self) -> Any:
        # Pickling and copying leave a leaf's hooks behind, as PyTorch's do (it warns as well).
        slots = {}
        for name in Tensor.__slots__:
            if name != "__weakref__":
                try:
                    slots[name] = object.__getattribute__(self, name)
                except AttributeError:  # a slot never set
                    pass
        hooks = slots.pop("_hooks", None)
        slots["_meta"] = None  # a cache: found again from the data
        for fn in (*hooks.pre, *hooks.post) if hooks is not None else ():
            warnings.warn(f"backward hook {fn!r} on tensor will not be serialized", UserWarning, stacklevel=2)
        return None, slots

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        data = to_numpy(self._data)
        dtype = _dtypes.from_numpy_dtype(data.dtype)
        # PyTorch names every non-default dtype, but int64 and bool only when the tensor is empty.
        shown = dtype is not _dtypes.get_default_dtype() and (
            data.size == 0 or dtype not in (_dtypes.int64, _dtypes.bool)
        )
        text = tensor_repr(
            data,
            dtype_name=repr(dtype) if shown else None,
            grad_fn_name=self._grad_fn.name() if self._grad_fn is not None else None,
            requires_grad=self._requires_grad,
        )
        if type(self._data) is not np.ndarray:  # name a non-default backend, as PyTorch names a device
            text = text[:-1] + f", backend='{self.backend}')"
        return text

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    # ------------------------------------------------------------------ ops, bound lazily
    if TYPE_CHECKING:
        # Bound at run time by the op table (core/operators.py maps them to op names);
        # declared here so type checkers accept ``x + 1``, ``x @ w``, ``x[0]``, ``x += 1``.
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __isub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __itruediv__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __ipow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __getitem__(self, key: Any) -> Tensor: ...
        def __setitem__(self, key: Any, value: Any) -> None: ...

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the class lacks: op methods before the op table is built.
        return _read_once_built(object.__getattribute__, self, name, "'Tensor' object")


_lazy_getattr = Tensor.__getattr__


def _read_once_built(read: Callable[[Any, str], Any], owner: Any, name: str, what: str) -> Any:
    """``read(owner, name)`` once the op table is built (by this thread or another), for a name a tensor
    or the class lacks while it is unbound; ``read`` is the plain lookup (getattr would come back here)."""
    if name.startswith("__"):  # NumPy, copy and pickle probe dunders: never a reason to build
        raise AttributeError(name)
    from .optable import ensure_built

    ensure_built()
    try:
        return read(owner, name)
    except AttributeError:
        pass
    raise AttributeError(f"{what} has no attribute {name!r} (no installed op binds a method of that name; "
                         "see tapegrad.list_ops())")


def _lazy_class_getattr(cls: type, name: str) -> Any:
    """``Tensor.NAME`` for a name the class lacks while the op table is unbound: built, then read."""
    return _read_once_built(type.__getattribute__, cls, name, "type object 'Tensor'")


_TensorType.__getattr__ = _lazy_class_getattr  # type: ignore[attr-defined]  # unbound at import, as Tensor's own


def lazy_methods(on: bool) -> None:
    """Install (True) or remove (False) ``Tensor.__getattr__`` and its metaclass's, which build the op
    table when a method is first missed on a tensor or on the class. The op table removes it once every method is bound and puts it back
    before unbinding them: while a class defines ``__getattr__``, CPython cannot specialise attribute
    reads on its instances (3.11 caches slot reads only for the generic lookup), and each ``x._data``
    on the op hot path cost about 290 instructions instead of about 20. Without it a missing
    attribute raises Python's own words, which are PyTorch's (``'Tensor' object has no attribute``)."""
    if on:
        Tensor.__getattr__ = _lazy_getattr  # type: ignore[method-assign]
        _TensorType.__getattr__ = _lazy_class_getattr  # type: ignore[attr-defined]
    else:
        if "__getattr__" in vars(Tensor):
            del Tensor.__getattr__
        if "__getattr__" in vars(_TensorType):
            del _TensorType.__getattr__  # type: ignore[attr-defined]


_new_tensor = Tensor.__new__  # found once: no lookup through the metaclass a tensor


def _wrap(data: Any, grad_fn: Node | None = None) -> Tensor:
    """Make a tensor around ``data`` without validation: the op hot path's constructor."""
    t = _new_tensor(Tensor)
    t._data = data
    t._meta = None
    t._grad_fn = grad_fn
    t._requires_grad = grad_fn is not None
    t._grad = None
    return t


@functools.cache
def _backward_scalar() -> Callable[..., bool]:
    """``tapegrad.engine.backward_scalar``, imported once (it imports this module): ``loss.backward()``
    goes straight to the engine's lean entry, with no ``autograd.backward`` frame between."""
    from .engine import backward_scalar

    return backward_scalar


@functools.cache
def _autograd_backward() -> Callable[..., None]:
    """``tapegrad.autograd.backward``, imported once (it imports this module): an import statement
    in ``Tensor.backward`` cost a microsecond on every call."""
    from .autograd import backward

    return backward
