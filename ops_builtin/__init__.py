"""tapegrad's built-in ops: a plugin like any other.

Registered through the same ``tapegrad_register_ops`` hook a third-party package
implements; the core imports nothing from here. Each module below groups ops of one
kind and exposes ``register(registry)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tapegrad import hookimpl

from . import (
    arithmetic, elementwise, elementwise_more, exponential, filling, indexing, linalg, linalg_decompositions, linalg_ops,
    nn_activations, nn_conv, nn_losses, nn_norm, products, reductions, scans, scatter, shape, shape_more, sorting,
    special_functions, tensor_api,
)

if TYPE_CHECKING:
    from tapegrad import Registry

MODULES = (arithmetic, exponential, reductions, shape, filling, elementwise, indexing, linalg, tensor_api, shape_more,
           scatter, products, linalg_ops, linalg_decompositions, nn_conv, nn_norm, scans, sorting, elementwise_more,
           special_functions, nn_activations, nn_losses)


@hookimpl
def tapegrad_register_ops(registry: Registry) -> None:
    """Register every built-in op."""
    for module in MODULES:
        module.register(registry)
