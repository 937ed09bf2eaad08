"""The two ``xp`` namespaces ops receive.

``ArrayNamespace`` (first order, raw arrays): the backend's own functions, and where
the backend has no function of that name, the registered op of that name run directly
on arrays. So an op's forward or VJP may call another op (``xp.polygamma(x, n=1)``)
whatever the backend.

``TensorNamespace`` (under ``create_graph=True``, tensors): every name resolves to a
registered op, so a VJP written as ``xp.sum(g * xp.exp(x), axis=0)`` records the
backward pass for higher order. A few creation helpers VJPs commonly need
(``asarray``, ``zeros_like``, ...) make constant tensors, and dtypes are attributes
(``xp.float64``) as in every array namespace.

Python numbers keep full precision in both: an op called on numbers alone (``xp.log(2.5)``
in pow's VJP) is a constant, computed as the array namespace computes it and returned as a
Python number, and ``asarray(2.5)`` is float64 as NumPy's. Made as default-dtype tensors they
would round gradients to float32 under ``create_graph`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

if TYPE_CHECKING:
    from .registry import OpDef

__all__ = ["ArrayNamespace", "TensorNamespace", "tensor_namespace"]


class ArrayNamespace:
    """A backend module, extended with the registered ops it lacks (run on raw arrays).

    Lookups are cached on the instance, so after the first use ``xp.multiply`` costs what
    ``numpy.multiply`` costs. One instance per backend per op-table build.
    """

    def __init__(self, name: str, module: Any, ops: Mapping[str, OpDef]) -> None:
        self._name = name
        self._module = module
        self._ops = ops

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        try:
            value = getattr(self._module, attr)
        except AttributeError:
            op = self._ops.get(attr)
            if op is None:
                raise AttributeError(
                    f"the {self._name!r} backend has no function {attr!r} and no op {attr!r} is registered"
                ) from None
            if op.forward_name is not None and not hasattr(self._module, op.forward_name):  # the op *is* it
                raise AttributeError(
                    f"the {self._name!r} backend's namespace has no function {op.forward_name!r}, which op "
                    f"{op.name!r} (plugin {op.plugin!r}) is, so that op cannot run on it; the backend plugin should "
                    "register a namespace that has it (array_api_compat provides the array API's functions)"
                ) from None
            value = self._op_on_arrays(op)
        self.__dict__[attr] = value
        return value

    def _op_on_arrays(self, op: OpDef) -> Callable[..., Any]:
        from .dispatch import _bind_params, _rename_params

        forward, module = op.forward, self._module

        def call(*arrays: Any, **params: Any) -> Any:
            if op.nin is not None and len(arrays) != op.nin:
                arrays, params = _bind_params(op, arrays, params)
            if params and op.param_aliases:
                params = _rename_params(op, params)
            return module.asarray(forward(self, *arrays, **params))

        call.__name__ = op.name
        return call

    def __repr__(self) -> str:
        return f"<tapegrad array namespace {self._name!r} over {getattr(self._module, '__name__', self._module)!r}>"


_NUMBERS = frozenset({bool, int, float})


class TensorNamespace:
    """An array-API-like namespace over tensors, backed by the op table."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        from . import dtypes

        if name in dtypes.DTYPE_NAMES:  # xp.float64, as array namespaces name their dtypes
            return dtypes.from_numpy_dtype(dtypes.to_numpy_dtype(name))
        from .optable import lookup, table

        built = table()
        cached: tuple[Any, dict[str, Callable[..., Any]]] | None = self.__dict__.get("_calls")
        if cached is None or cached[0] is not built:  # one wrapper per op and table build
            cached = self.__dict__["_calls"] = (built, {})
        call = cached[1].get(name)
        if call is None:
            call = cached[1][name] = _numbers_stay_numbers(name, lookup(name).apply, built.backends.get("numpy"))
        return call

    @staticmethod
    def asarray(value: Any, dtype: Any = None, copy: bool | None = None) -> Any:
        from .creation import as_tensor

        if dtype is None and type(value) in _NUMBERS:
            value = np.asarray(value)  # float64 for a float, as the array namespace makes it
        return as_tensor(value, dtype=dtype)

    @staticmethod
    def isdtype(dtype: Any, kind: Any) -> bool:
        """The array API's ``isdtype`` for tapegrad dtypes (``x.dtype`` of a tensor)."""
        from .dtypes import to_numpy_dtype

        return bool(np.isdtype(to_numpy_dtype(dtype), kind))

    @staticmethod
    def zeros_like(x: Any, dtype: Any = None) -> Any:
        from .creation import zeros_like

        return zeros_like(x, dtype=dtype)

    @staticmethod
    def ones_like(x: Any, dtype: Any = None) -> Any:
        from .creation import ones_like

        return ones_like(x, dtype=dtype)

    def __repr__(self) -> str:
        return "<tapegrad tensor namespace>"


def _numbers_stay_numbers(name: str, apply: Any, numpy_backend: Any) -> Callable[..., Any]:
    """The op's ``apply``, except that a call on Python numbers alone runs on the array
    namespace and returns a Python number."""
    if apply is None:
        raise AttributeError(f"op {name!r} has no backend to run on")
    if numpy_backend is None:
        return apply
    on_arrays = numpy_backend.xp

    def call(*args: Any, **params: Any) -> Any:
        if args and type(args[0]) in _NUMBERS and all([type(a) in _NUMBERS for a in args]):
            return _as_number(getattr(on_arrays, name)(*args, **params))
        return apply(*args, **params)

    call.__name__ = name
    return call


def _as_number(value: Any) -> Any:
    """A 0-d result as a Python number (weak in promotion, like the numbers it came from)."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    from .creation import as_tensor

    return as_tensor(value)


tensor_namespace = TensorNamespace()
