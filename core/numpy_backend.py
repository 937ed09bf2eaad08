"""The default backend, NumPy, registered through the same hook as any other backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .hookspecs import hookimpl
from .numpy_namespace import NAMESPACE

if TYPE_CHECKING:
    from .registry import Registry


def _to_numpy(array: Any) -> np.ndarray:
    return np.asarray(array)


@hookimpl
def tapegrad_register_backends(registry: Registry) -> None:
    """NumPy 2's main namespace is itself an array-API namespace: ops get it as ``xp``."""
    registry.register_backend(
        "numpy", namespace=NAMESPACE, array_types=(np.ndarray,), to_numpy=_to_numpy, from_numpy=_to_numpy
    )
