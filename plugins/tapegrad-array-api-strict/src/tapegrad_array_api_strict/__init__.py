"""array-api-strict as a tapegrad backend.

array-api-strict implements the Python array API standard and nothing more, so an op
that passes the conformance kit on it uses only ``xp`` functions every conforming
library has: it is portable. Tensors move here with ``x.to("array_api_strict")``.
The library is imported on the backend's first use, not when tapegrad loads its plugins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tapegrad

__version__ = "0.1.0"


def _to_numpy(array: Any) -> np.ndarray:
    return np.asarray(array)


def _from_numpy(array: np.ndarray) -> Any:
    import array_api_strict

    return array_api_strict.asarray(array)


def _load() -> dict[str, Any]:
    import array_api_strict

    return dict(namespace=array_api_strict, to_numpy=_to_numpy, from_numpy=_from_numpy)


@tapegrad.hookimpl
def tapegrad_register_backends(registry: tapegrad.Registry) -> None:
    """Register the ``array_api_strict`` backend (by its array type's name: loaded on first use)."""
    registry.register_backend("array_api_strict", array_types=("array_api_strict._array_object.Array",), load=_load)
