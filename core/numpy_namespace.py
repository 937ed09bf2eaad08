"""NumPy's namespace as the NumPy backend hands it to ops (``xp``), a few of NumPy's Python wrappers
replaced by the calls they make. A module of its own, with no pluggy: the engine and the creation
functions call it, and ``import tapegrad`` must not load the plugin machinery (the first op does)."""

from __future__ import annotations

from typing import Any

import numpy as np

_ndarray = np.ndarray
_intp = np.intp
_F64 = np.dtype(np.float64)
_add_reduce = np.add.reduce
_true_divide = np.true_divide


class NumPyNamespace:
    """NumPy's namespace, a few of its Python wrappers replaced by the calls they make.

    ``np.sum`` and ``np.prod`` are Python wrappers, so an overflow inside them warns from
    NumPy's own frames, which tapegrad's warnings filter (scoped to its modules, see
    ``tapegrad.quiet``) cannot tell from the user's own NumPy code. Called from here, the
    reduction's warnings come from tapegrad, and stay silent as every other op's do. The
    results are NumPy's: ``ufunc.reduce`` is what those wrappers call.

    ``mean`` and ``broadcast_to`` take NumPy's own steps for the common case: their wrappers
    cost 2 to 3 us a call, more than the work on a small array (the tutorial's ``mean`` and its
    VJP). The results are NumPy's, bit for bit; every other case calls NumPy's function.
    """

    def __getattr__(self, name: str) -> Any:
        value = getattr(np, name)
        setattr(self, name, value)  # found once; then a plain attribute
        return value

    @staticmethod
    def sum(x: Any, axis: Any = None, dtype: Any = None, keepdims: Any = False) -> Any:
        return np.add.reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)

    @staticmethod
    def prod(x: Any, axis: Any = None, dtype: Any = None, keepdims: Any = False) -> Any:
        return np.multiply.reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)

    @staticmethod
    def ones(shape: Any, *, dtype: Any = None, device: Any = None) -> Any:
        """``np.ones``: an empty array with 1 copied in, NumPy's two steps without its wrapper."""
        if device is not None and device != "cpu":
            return np.ones(shape, dtype=dtype, device=device)  # NumPy's own error
        array = np.empty(shape, dtype=dtype)
        array.fill(1)
        return array

    @staticmethod
    def mean(x: Any, axis: Any = None, dtype: Any = None, keepdims: Any = False) -> Any:
        """``np.mean``: for a float32/float64/complex array with elements to average, its own steps
        (the sum's ufunc reduction, divided by the count as an ``intp``, in place for an array);
        float16 (summed in float32), integer inputs, ``dtype=`` and empty slices (a warning) go
        to ``np.mean`` itself. A float64 mean of every element (a loss) asks nothing more: its
        sum divided by the count as a Python int is np.mean's float64 / intp."""
        if axis is None and type(x) is _ndarray and x.dtype is _F64 and dtype is None and keepdims is False and (n := x.size):
            return _add_reduce(x, None) / n
        if (dtype is None and type(x) is _ndarray and x.dtype.kind in "fc" and x.dtype.itemsize > 2
                and (axis is None or x.ndim and (type(axis) is tuple or type(axis) is int))):
            # (a 0-d array's ufunc reduction takes axis 0, which np.mean refuses)
            try:
                total = _add_reduce(x, axis=axis, keepdims=keepdims)
            except (TypeError, ValueError, IndexError):  # a bad axis: np.mean's own warnings and error, in its order
                return np.mean(x, axis=axis, keepdims=keepdims)
            count = x.size // total.size if total.size else 0  # 0: nothing to average (np.mean warns)
            if count:
                if type(total) is _ndarray:
                    return _true_divide(total, _intp(count), out=total, casting="unsafe")
                if type(total) is np.float64:  # float64 / int is float64 / intp: no round trip to make
                    return total / count
                return total.dtype.type(total / _intp(count))
        return np.mean(x, axis=axis, dtype=dtype, keepdims=keepdims)

    @staticmethod
    def broadcast_to(x: Any, shape: Any) -> Any:
        """``np.broadcast_to``: a 0-d array or NumPy scalar (a full reduction's cotangent) becomes
        the read-only view NumPy makes, every stride 0 over its one element, with no ``nditer``;
        everything else goes to ``np.broadcast_to``."""
        array = type(x) is _ndarray
        if type(shape) is tuple and (array and x.ndim == 0 or isinstance(x, np.generic)) and -1 not in shape:
            try:  # (-1 would be a size inferred from the buffer; a scalar's buffer is read-only already)
                view = _ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
            except (TypeError, ValueError):  # a negative or non-int size: NumPy's own error
                return np.broadcast_to(x, shape)
            if array:
                view.setflags(write=False)
            return view
        return np.broadcast_to(x, shape)

    def __repr__(self) -> str:
        return "<NumPy's namespace, as tapegrad's numpy backend>"


NAMESPACE = NumPyNamespace()
