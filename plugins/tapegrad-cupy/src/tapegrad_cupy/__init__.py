"""CuPy arrays as a tapegrad backend: ``device="cuda"`` and ``x.cuda()`` run ops on the GPU.

The namespace is ``array_api_compat.cupy``, so every op written against ``xp`` runs on CuPy
unchanged; tensors move with ``x.to("cuda")`` / ``x.cuda()`` / ``x.cpu()``, creation functions
take ``device="cuda"``, and gradients flow back across the move. CuPy is imported on the
backend's first use (a CuPy array reaching tapegrad, or ``device="cuda"``), not when tapegrad
loads its plugins; without CuPy installed the plugin fails to load with a warning naming it
and tapegrad goes on with NumPy.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

import tapegrad

__version__ = "0.1.0"

if importlib.util.find_spec("cupy") is None:  # found without importing it (which initialises CUDA)
    raise ImportError("the tapegrad-cupy plugin needs CuPy (pip install cupy-cuda12x, matching your CUDA)")


def _to_numpy(array: Any) -> np.ndarray:
    import cupy

    return cupy.asnumpy(array)


def _from_numpy(array: np.ndarray) -> Any:
    import cupy

    return cupy.asarray(array)


def _load() -> dict[str, Any]:
    import array_api_compat.cupy as cupy_namespace

    return dict(namespace=cupy_namespace, to_numpy=_to_numpy, from_numpy=_from_numpy)


@tapegrad.hookimpl
def tapegrad_register_backends(registry: tapegrad.Registry) -> None:
    """Register the ``cupy`` backend, the provider of PyTorch's ``cuda`` device (loaded on first use)."""
    registry.register_backend("cupy", array_types=("cupy.ndarray",), device="cuda", load=_load)
