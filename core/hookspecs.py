"""The hooks a tapegrad plugin can implement.

A plugin is a module or object with functions decorated by ``tapegrad.hookimpl``
whose names are the hooks below. tapegrad calls each hook once per plugin, when the
op table is first needed (and again whenever the set of plugins changes), never per
operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["hookspec", "hookimpl", "tapegrad_register_ops", "tapegrad_register_backends"]

hookspec = pluggy.HookspecMarker("tapegrad")
hookimpl = pluggy.HookimplMarker("tapegrad")


@hookspec
def tapegrad_register_ops(registry: Registry) -> None:
    """Register ops with ``registry.register_op(name, forward=..., vjp=..., ...)``.

    Called once per plugin when the op table is built. Raising here discards every op
    this plugin registered in the call and reports the plugin by name.
    """


@hookspec
def tapegrad_register_backends(registry: Registry) -> None:
    """Register array backends with ``registry.register_backend(name, namespace=..., ...)``.

    Called before ``tapegrad_register_ops`` for every plugin, so ops can name the
    backends they support.
    """
