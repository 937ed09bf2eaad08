"""Which plugins are loaded, and collecting what they register.

Order: the built-in plugins (the NumPy backend, then ``tapegrad.ops_builtin``),
registered exactly as third-party ones are; then every entry point of the group
``tapegrad``, loaded lazily when the op table is first built. Each plugin loads in
isolation: an import error, a misspelled hook or a hook that raises is reported as a
``PluginLoadWarning`` naming the plugin, and the others keep working.

Controls (read when plugins are first loaded):

- ``TAPEGRAD_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry points (built-ins still load);
- ``TAPEGRAD_PLUGINS=name,name``: load only these entry points;
- ``TAPEGRAD_STRICT_PLUGINS=1``: a plugin that fails to load is an error, not a warning.

In-process: ``register`` / ``unregister`` a plugin object, ``block`` / ``unblock`` a
name; the dispatch table is rebuilt on next use after any change.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .registry import Registry

if TYPE_CHECKING:
    import pluggy

# pluggy and importlib.metadata are imported when plugins are first loaded, not at
# ``import tapegrad``: together they cost more than tapegrad's whole import budget.

__all__ = [
    "PluginInfo", "PluginLoadError", "plugin_manager", "register", "unregister", "block",
    "unblock", "collect", "reload", "BUILTIN_PLUGINS", "ENTRY_POINT_GROUP",
]

ENTRY_POINT_GROUP = "tapegrad"

# name -> module path; registered in this order, before any installed plugin.
BUILTIN_PLUGINS: dict[str, str] = {
    "tapegrad.numpy_backend": "tapegrad.numpy_backend",
    "tapegrad.ops_builtin": "tapegrad.ops_builtin",
}


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded (raised instead of a warning in strict mode or on ``register``)."""


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
_info: dict[str, PluginInfo] = {}  # every plugin we tried to load, by name, in load order
_blocked: set[str] = set()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def strict() -> bool:
    """Whether a failing plugin is an error (``TAPEGRAD_STRICT_PLUGINS=1``)."""
    return _flag("TAPEGRAD_STRICT_PLUGINS")


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with built-ins and entry points loaded."""
    global _pm
    if _pm is None:
        import pluggy

        hookspecs = importlib.import_module(".hookspecs", __package__)
        pm = pluggy.PluginManager("tapegrad")
        pm.add_hookspecs(hookspecs)
        for name in _blocked:
            pm.set_blocked(name)
        _pm = pm
        for name, module in BUILTIN_PLUGINS.items():
            _load(name, "built-in", lambda module=module: importlib.import_module(module), _own_version())
        _load_entry_points()
    return _pm


def _own_version() -> str:
    from . import __version__

    return __version__


def _load_entry_points() -> None:
    if _flag("TAPEGRAD_DISABLE_PLUGIN_AUTOLOAD"):
        return
    from importlib import metadata

    only = {n.strip() for n in os.environ.get("TAPEGRAD_PLUGINS", "").split(",") if n.strip()}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if only and ep.name not in only:
            continue
        version = ep.dist.version if ep.dist is not None else None
        _load(ep.name, "entry point", ep.load, version)


def _load(name: str, source: str, load: Any, version: str | None) -> None:
    """Import and register one plugin; on any failure record it, warn (or raise if strict)."""
    pm = _pm
    assert pm is not None
    if pm.is_blocked(name) or pm.has_plugin(name):
        return
    info = PluginInfo(name, source, version)
    _info[name] = info
    try:
        _register_checked(pm, load(), name)
    except Exception as exc:
        info.error = f"{type(exc).__name__}: {exc}"
        if strict():
            raise PluginLoadError(f"tapegrad plugin {name!r} failed to load: {info.error}") from exc
        from .optable import PluginLoadWarning, warn

        warn(f"tapegrad plugin {name!r} failed to load and was skipped: {info.error}", PluginLoadWarning)


def _register_checked(pm: pluggy.PluginManager, plugin: Any, name: str) -> None:
    """Register ``plugin`` and validate its hooks; on failure leave nothing of it registered."""
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except Exception as exc:
        if pm.has_plugin(name):
            pm.unregister(name=name)
        raise PluginLoadError(f"plugin {name!r} has an invalid hook implementation: {exc}") from exc


def _changed() -> None:
    from .optable import invalidate

    invalidate()


def register(plugin: Any, name: str | None = None) -> str:
    """Load ``plugin`` (a module or object with hook implementations) in this process.

    Returns the name it is registered under (``name``, or pluggy's default). Raises
    ``ValueError`` when the name is taken or blocked, and ``PluginLoadError`` (naming
    the plugin) when a hook is misspelled or takes arguments the hook does not have.
    The op table is rebuilt on next use.
    """
    pm = plugin_manager()
    name = name or pm.get_canonical_name(plugin)
    if pm.is_blocked(name):
        raise ValueError(f"plugin {name!r} is blocked; call tapegrad.plugins.unblock({name!r}) first")
    if pm.has_plugin(name) or pm.is_registered(plugin):
        raise ValueError(f"a plugin named {name!r} (or this very object) is already registered")
    _register_checked(pm, plugin, name)
    _info[name] = PluginInfo(name, "in-process")
    _changed()
    return name


def unregister(name: str) -> None:
    """Remove the plugin ``name``; its ops leave the table on next use."""
    pm = plugin_manager()
    if not pm.has_plugin(name):
        raise ValueError(f"no plugin named {name!r} is registered")
    pm.unregister(name=name)
    _info.pop(name, None)
    _changed()


def block(name: str) -> None:
    """Keep the plugin ``name`` from loading (unregistering it if loaded), built-ins included."""
    _blocked.add(name)
    if _pm is not None:
        _pm.set_blocked(name)
        _info.pop(name, None)
    _changed()


def unblock(name: str) -> None:
    """Let a blocked plugin load again; a blocked built-in or entry point loads again at once."""
    _blocked.discard(name)
    if _pm is not None:
        _pm.unblock(name)
        if name in BUILTIN_PLUGINS:
            _load(name, "built-in", lambda: importlib.import_module(BUILTIN_PLUGINS[name]), _own_version())
        else:
            _load_entry_points()
    _changed()


def reload() -> None:
    """Forget every plugin and load them again (re-reading the environment variables)."""
    global _pm
    _pm = None
    _info.clear()
    _changed()


def infos() -> list[PluginInfo]:
    """What was tried, in load order: loaded plugins and those that failed."""
    plugin_manager()
    return list(_info.values())


def collect(reserved: frozenset[str]) -> tuple[list[tuple[PluginInfo, Registry]], list[PluginInfo]]:
    """Call every plugin's hooks, each into its own staging registry.

    Returns the plugins that registered successfully (with what they registered) and
    those that failed, to load or in a hook (with the error). Backends are collected
    before ops.
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
                if strict():
                    raise PluginLoadError(f"tapegrad plugin {name!r} failed in {hook.name}: {failed[name]}") from exc
    order = {name: i for i, name in enumerate(_info)}
    loaded = []
    for name, registry in sorted(staged.items(), key=lambda item: order.get(item[0], len(order))):
        info = _info.get(name) or PluginInfo(name, "in-process")
        info.ops, info.backends, info.error = [], [], None
        loaded.append((info, registry))
    errors = []
    for name, error in failed.items():
        info = _info.get(name) or PluginInfo(name, "in-process")
        info.error = error
        errors.append(info)
    errors += [info for info in _info.values() if info.error is not None and info.name not in failed
               and not pm.has_plugin(info.name)]
    return loaded, errors
