"""Which plugins are loaded, and collecting what they register.

Built-in plugins are registered first, exactly as third-party ones are; a plugin
can be blocked by name before it loads. Hooks are called once per plugin, each in
isolation, into a staging ``Registry``: a plugin whose hook raises contributes
nothing, and the error names it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs
from .registry import Registry

__all__ = [
    "PluginInfo", "plugin_manager", "register", "unregister", "block", "unblock",
    "collect", "BUILTIN_PLUGINS",
]

# name -> module path; registered in this order, before any installed plugin.
BUILTIN_PLUGINS: dict[str, str] = {
    "tapegrad.numpy_backend": "tapegrad.numpy_backend",
    "tapegrad.ops_builtin": "tapegrad.ops_builtin",
}


@dataclass
class PluginInfo:
    """What the op table knows about one plugin: where it came from and what it gave."""

    name: str
    source: str  # "built-in", "entry point" or "in-process"
    version: str | None = None
    ops: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    error: str | None = None


_pm: pluggy.PluginManager | None = None
_sources: dict[str, str] = {}
_blocked: set[str] = set()


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with the built-in plugins registered."""
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager("tapegrad")
        pm.add_hookspecs(hookspecs)
        for name in _blocked:
            pm.set_blocked(name)
        _pm = pm
        for name in BUILTIN_PLUGINS:
            _register_builtin(name)
    return _pm


def _register_builtin(name: str) -> None:
    pm = plugin_manager()
    if not pm.is_blocked(name) and pm.get_plugin(name) is None:
        pm.register(importlib.import_module(BUILTIN_PLUGINS[name]), name=name)
        _sources[name] = "built-in"


def _changed() -> None:
    from .optable import invalidate

    invalidate()


def register(plugin: Any, name: str | None = None) -> str:
    """Load ``plugin`` (a module or object with hook implementations) in this process.

    Returns the name it is registered under. The op table is rebuilt on next use.
    Raises ``ValueError`` when the name is taken or blocked, and pluggy's
    ``PluginValidationError`` (naming the plugin) when a hook is misspelled.
    """
    pm = plugin_manager()
    if name is not None and pm.is_blocked(name):
        raise ValueError(f"plugin {name!r} is blocked; call tapegrad.plugins.unblock({name!r}) first")
    registered = pm.register(plugin, name=name)
    if registered is None:
        raise ValueError(f"plugin {name!r} is blocked")
    try:
        pm.check_pending()
    except Exception:
        pm.unregister(name=registered)
        raise
    _sources[registered] = _sources.get(registered, "in-process")
    _changed()
    return registered


def unregister(name: str) -> None:
    """Remove the plugin ``name``; its ops leave the table on next use."""
    pm = plugin_manager()
    if pm.get_plugin(name) is None:
        raise ValueError(f"no plugin named {name!r} is registered")
    pm.unregister(name=name)
    _sources.pop(name, None)
    _changed()


def block(name: str) -> None:
    """Keep the plugin ``name`` from loading (unregistering it if loaded), built-ins included."""
    _blocked.add(name)
    if _pm is not None:
        _pm.set_blocked(name)
        _sources.pop(name, None)
    _changed()


def unblock(name: str) -> None:
    """Let a blocked plugin load again; a blocked built-in is registered again at once."""
    _blocked.discard(name)
    if _pm is not None:
        _pm.unblock(name)
        if name in BUILTIN_PLUGINS:
            _register_builtin(name)
    _changed()


def collect(reserved: frozenset[str]) -> tuple[list[tuple[PluginInfo, Registry]], list[PluginInfo]]:
    """Call every plugin's hooks, each into its own staging registry.

    Returns the plugins that registered successfully (with what they registered) and
    those whose hooks raised (with the error); backends are collected before ops.
    """
    pm = plugin_manager()
    staged: dict[str, Registry] = {}
    failed: dict[str, str] = {}
    for hook in (pm.hook.tapegrad_register_backends, pm.hook.tapegrad_register_ops):
        for impl in hook.get_hookimpls():
            name = impl.plugin_name
            if name in failed:
                continue
            registry = staged.setdefault(name, Registry(name, reserved))
            try:
                impl.function(**{arg: registry for arg in impl.argnames})
            except Exception as exc:  # isolation: one plugin's bug must not stop the others
                failed[name] = f"{type(exc).__name__}: {exc}"
                staged.pop(name, None)
    loaded = [(PluginInfo(name, _sources.get(name, "in-process")), reg) for name, reg in staged.items()]
    errors = [PluginInfo(name, _sources.get(name, "in-process"), error=err) for name, err in failed.items()]
    return loaded, errors
