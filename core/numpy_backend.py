"""The default backend, NumPy, registered through the same hook as any other backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .hookspecs import hookimpl

if TYPE_CHECKING:
    from .registry import Registry


def _to_numpy(array: Any) -> np.ndarray:
    return np.asarray(array)


class NumPyNamespace:
    """NumPy's namespace, its sums and products called as ufunc reductions from here.

    ``np.sum`` and ``np.prod`` are Python wrappers, so an overflow inside them warns from
    NumPy's own frames, which tapegrad's warnings filter (scoped to its modules, see
    ``tapegrad.quiet``) cannot tell from the user's own NumPy code. Called from here, the
    reduction's warnings come from tapegrad, and stay silent as every other op's do. The
    results are NumPy's: ``ufunc.reduce`` is what those wrappers call.
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

    def __repr__(self) -> str:
        return "<NumPy's namespace, as tapegrad's numpy backend>"


NAMESPACE = NumPyNamespace()


@hookimpl
def tapegrad_register_backends(registry: Registry) -> None:
    """NumPy 2's main namespace is itself an array-API namespace: ops get it as ``xp``."""
    registry.register_backend(
        "numpy", namespace=NAMESPACE, array_types=(np.ndarray,), to_numpy=_to_numpy, from_numpy=_to_numpy
    )
