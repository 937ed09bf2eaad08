"""CuPy arrays as a tapegrad backend: ``device="cuda"`` and ``x.cuda()`` run ops on the GPU.

The namespace is ``array_api_compat.cupy``, so every op written against ``xp`` runs on CuPy
unchanged; tensors move with ``x.to("cuda")`` / ``x.cuda()`` / ``x.cpu()``, creation functions
take ``device="cuda"``, and gradients flow back across the move. Importing this module needs
CuPy (and a CUDA device to do anything); without them the plugin fails to load with a
warning naming it and tapegrad goes on with NumPy.
"""

from __future__ import annotations

from typing import Any

import array_api_compat.cupy as cupy_namespace
import cupy
import numpy as np

import tapegrad

__version__ = "0.1.0"


def _to_numpy(array: Any) -> np.ndarray:
    return cupy.asnumpy(array)


def _from_numpy(array: np.ndarray) -> Any:
    return cupy.asarray(array)


@tapegrad.hookimpl
def tapegrad_register_backends(registry: tapegrad.Registry) -> None:
    """Register the ``cupy`` backend, the provider of PyTorch's ``cuda`` device."""
    registry.register_backend(
        "cupy", namespace=cupy_namespace, array_types=(cupy.ndarray,), to_numpy=_to_numpy, from_numpy=_from_numpy,
        device="cuda",
    )
