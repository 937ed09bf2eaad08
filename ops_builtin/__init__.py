"""tapegrad's built-in ops: a plugin like any other.

Registered through the same ``tapegrad_register_ops`` hook a third-party package
implements; the core imports nothing from here. Each module below groups ops of one
kind and exposes ``register(registry)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tapegrad import hookimpl

from . import arithmetic, elementwise, exponential, filling, indexing, linalg, nn_activations, nn_losses, reductions, shape, tensor_api

if TYPE_CHECKING:
    from tapegrad import Registry

MODULES = (arithmetic, exponential, reductions, shape, filling, elementwise, indexing, linalg, tensor_api,
           nn_activations, nn_losses)


@hookimpl
def tapegrad_register_ops(registry: Registry) -> None:
    """Register every built-in op."""
    for module in MODULES:
        module.register(registry)
