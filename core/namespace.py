"""tapegrad's own array namespace: the ``xp`` VJPs receive under ``create_graph=True``.

Attribute names resolve to registered ops (by name or alias), so a VJP written as
``xp.sum(g * xp.exp(x), axis=0)`` runs on NumPy arrays for first order and, with this
namespace, on tensors, recording the backward pass for higher order. A few creation
helpers VJPs commonly need (``asarray``, ``zeros_like``, ...) make constant tensors.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["TensorNamespace", "tensor_namespace"]


class TensorNamespace:
    """An array-API-like namespace over tensors, backed by the op table."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        from .optable import lookup

        apply = lookup(name).apply
        if apply is None:
            raise AttributeError(f"op {name!r} has no backend to run on")
        return apply

    @staticmethod
    def asarray(value: Any, dtype: Any = None, copy: bool | None = None) -> Any:
        from .creation import as_tensor

        return as_tensor(value, dtype=dtype)

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


tensor_namespace = TensorNamespace()
