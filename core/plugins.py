"""Which plugins are loaded, and collecting what they register.

Order: the built-in plugins (the NumPy backend, then ``tapegrad.ops_builtin``),
registered exactly as third-party ones are; then every entry point of the group
``tapegrad``, loaded lazily when the op table is first built; then in-process plugins,
in registration order. That order never changes (blocking and unblocking a plugin
keeps its place), and it decides which of two clashing plugins is refused.

Each plugin loads in isolation: an import error, any exception but ``KeyboardInterrupt``
(``SystemExit`` included), a misspelled or unmarked hook, or a hook that raises makes
that plugin fail on its own; every other plugin is still loaded and listed. Failures are
reported when the op table is built, on every build until they are fixed: a
``PluginLoadWarning`` per plugin, or one ``PluginLoadError`` naming them all in strict mode
(the table is then not built, so every use raises). A ``KeyboardInterrupt`` propagates
and leaves nothing half-loaded: the next use loads again. Global state a plugin changes
while it loads or registers (NumPy's error handling and print options, tapegrad's default
dtype, print options and grad mode) is put back, with a ``PluginSideEffectWarning``
naming the plugin.

Controls:

- ``TAPEGRAD_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry points (built-ins still load);
- ``TAPEGRAD_PLUGINS=name,name``: load only these entry points (empty: none);
- ``TAPEGRAD_STRICT_PLUGINS=1``: a plugin that fails is an error, not a warning.

The first two are read when plugins are first loaded (``reload`` reads them again); the
third whenever the op table is built.

In-process: ``register`` / ``unregister`` a plugin object, ``block`` / ``unblock`` a
name; the dispatch table is rebuilt on next use after any change.
"""

from __future__ import annotations

import importlib
import itertools
import os
import threading
import types
from contextlib import contextmanager
from dataclasses import field
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .records import record
from .registry import Registry

if TYPE_CHECKING:
    import pluggy

# pluggy and importlib.metadata are imported when plugins are first loaded, not at
# ``import tapegrad``: together they cost more than tapegrad's whole import budget.

__all__ = [
    "PluginInfo", "PluginLoadError", "PluginSideEffectWarning", "plugin_manager", "register", "unregister",
    "block", "unblock", "collect", "reload", "BUILTIN_PLUGINS", "ENTRY_POINT_GROUP", "HOOKS",
]

ENTRY_POINT_GROUP = "tapegrad"

# name -> module path; registered in this order, before any installed plugin.
BUILTIN_PLUGINS: dict[str, str] = {
    "tapegrad.numpy_backend": "tapegrad.numpy_backend",
    "tapegrad.ops_builtin": "tapegrad.ops_builtin",
}

HOOKS = ("tapegrad_register_backends", "tapegrad_register_ops")  # in the order they are called
_SOURCE_RANK = {"built-in": 0, "entry point": 1, "in-process": 2}


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded (raised instead of a warning in strict mode or on ``register``)."""


class PluginSideEffectWarning(UserWarning):
    """A plugin changed what other code sees: it overrode another plugin's op or method, or changed
    global state while loading (which tapegrad put back)."""


@record()
class PluginInfo:
    """What the op table knows about one plugin: where it came from, what it gave, what went wrong."""

    name: str
    source: str  # "built-in", "entry point" or "in-process"
    version: str | None = None
    ops: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    error: str | None = None
    stage: str | None = None  # where it failed: "load", a hook's name, or "conflict"
    notes: list[str] = field(default_factory=list)  # what it did beyond registering (overrides, global state)

    def failure(self) -> str | None:
        """One line saying why this plugin is not in use, naming it; None when it is."""
        if self.error is None:
            return None
        how = {"load": "failed to load", "conflict": "was refused"}.get(self.stage or "load", f"failed in {self.stage}")
        return f"tapegrad plugin {self.name!r} {how}: {self.error}"


_pm: pluggy.PluginManager | None = None
_info: dict[str, PluginInfo] = {}  # every plugin we tried to load, by name
_blocked: set[str] = set()
_load_notes: dict[str, list[str]] = {}  # what a plugin did to global state while being imported
_first_seen: dict[str, int] = {}  # the load order: kept across block / unblock, so a plugin keeps its place
_sequence = itertools.count()
_loading = threading.local()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def strict() -> bool:
    """Whether a failing plugin is an error (``TAPEGRAD_STRICT_PLUGINS=1``)."""
    return _flag("TAPEGRAD_STRICT_PLUGINS")


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with built-ins and entry points loaded.

    Nothing is kept until every plugin was tried, so an interrupted load starts over on the
    next call instead of leaving a half-loaded manager behind.
    """
    global _pm, _info
    pm = _pm
    if pm is None:
        if getattr(_loading, "active", False):
            raise RuntimeError(
                "tapegrad was used while its plugins were being loaded; a plugin must not create "
                "tensors, call ops or use tapegrad.plugins when it is imported"
            )
        _loading.active = True
        try:
            pm, infos = _load_all()
        finally:
            _loading.active = False
        _pm, _info = pm, infos
    return pm


def _load_all() -> tuple[pluggy.PluginManager, dict[str, PluginInfo]]:
    import pluggy

    hookspecs = importlib.import_module(".hookspecs", __package__)
    pm = _manager_class(pluggy)("tapegrad")
    pm.add_hookspecs(hookspecs)
    for name in _blocked:
        pm.set_blocked(name)
    infos: dict[str, PluginInfo] = {}
    _load_notes.clear()
    for name in BUILTIN_PLUGINS:
        _load_builtin(pm, infos, name)
    _load_entry_points(pm, infos)
    return pm, infos


def _manager_class(pluggy: Any) -> type:
    """pluggy's manager, reading a module plugin's attributes from its ``__dict__``.

    pluggy looks at every attribute of a plugin with ``inspect.getattr_static`` (so that no
    descriptor runs): over the built-in plugins' and the installed ones' module attributes that was
    7% of a first op. A plain module's ``__dict__`` holds what ``getattr_static`` finds there, and
    only functions (plain, static, class or bound methods) can be hooks, so every other value, and
    a function without the marker, is refused here as pluggy would refuse it; the rest, and
    every other kind of plugin, goes to pluggy."""

    class Manager(pluggy.PluginManager):  # type: ignore[misc, name-defined]
        def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
            if type(plugin) is types.ModuleType:
                value = plugin.__dict__.get(name, _ABSENT)
                if type(value) is types.FunctionType:
                    if self.project_name + "_impl" not in value.__dict__:
                        return None
                elif value is not _ABSENT and not isinstance(value, (staticmethod, classmethod, types.MethodType)):
                    return None
            return super().parse_hookimpl_opts(plugin, name)

    return Manager


_ABSENT = object()


def _own_version() -> str:
    from . import __version__

    return __version__


def _load_builtin(pm: pluggy.PluginManager, infos: dict[str, PluginInfo], name: str) -> None:
    _load(pm, infos, name, "built-in", lambda: importlib.import_module(BUILTIN_PLUGINS[name]), _own_version())


def _load_entry_points(pm: pluggy.PluginManager, infos: dict[str, PluginInfo]) -> None:
    if _flag("TAPEGRAD_DISABLE_PLUGIN_AUTOLOAD"):
        return
    chosen = os.environ.get("TAPEGRAD_PLUGINS")  # unset: every plugin; empty: none
    only = None if chosen is None else {n.strip() for n in chosen.split(",") if n.strip()}
    installed = []
    for ep in entry_points(ENTRY_POINT_GROUP):
        installed.append(ep.name)
        if only is None or ep.name in only:
            _load(pm, infos, ep.name, "entry point", ep.load, ep.version())
    for name in sorted((only or set()) - set(installed) - set(BUILTIN_PLUGINS)):
        _seen(name)
        infos[name] = PluginInfo(name, "entry point", stage="load", error=(
            f"TAPEGRAD_PLUGINS names it, but no such plugin is installed (installed: {', '.join(installed) or 'none'})"
        ))


# ---------------------------------------------------------------------- finding installed plugins
class EntryPoint:
    """One installed entry point: its name, ``module:attr`` value and the distribution's metadata folder
    (or importlib.metadata's distribution, where it was asked)."""

    __slots__ = ("name", "value", "metadata_dir", "dist")

    def __init__(self, name: str, value: str, metadata_dir: str | None = None, dist: Any = None) -> None:
        self.name, self.value, self.metadata_dir, self.dist = name, value, metadata_dir, dist

    def load(self) -> Any:
        module, _, attrs = self.value.partition("[")[0].strip().partition(":")
        found = importlib.import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            found = getattr(found, attr)
        return found

    def version(self) -> str | None:
        """The distribution's version, from its metadata (read only for the plugins found)."""
        if self.dist is not None:
            return self.dist.version
        if self.metadata_dir is None:
            return None
        for filename in ("METADATA", "PKG-INFO"):
            try:
                with open(os.path.join(self.metadata_dir, filename), encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
                        if not line.strip():  # the headers end at the first blank line
                            break
            except OSError:
                continue
        return None


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` installed on ``sys.path``, as ``importlib.metadata`` finds them
    (each distribution once, the first on the path winning), with ``load()`` and ``version()``.

    Read from the ``*.dist-info`` / ``*.egg-info`` folders directly: importing ``importlib.metadata``
    (email, socket, zipfile, csv among what it imports) took longer than building the op table.
    Where the path holds what only ``importlib.metadata`` reads (zip archives, eggs, another finder
    of distributions), it is asked instead."""
    import sys

    found: list[EntryPoint] = []
    seen: set[str] = set()
    for finder in sys.meta_path:
        if hasattr(finder, "find_distributions") and getattr(finder, "__module__", "") not in _PATH_FINDERS:
            return _metadata_entry_points(group)
    for entry in sys.path:
        folder = entry or "."
        try:
            children = os.listdir(folder)
        except OSError:
            if os.path.isfile(folder):  # a zip archive on the path
                return _metadata_entry_points(group)
            continue
        for child in children:
            low = child.lower()
            if not low.endswith(_METADATA_SUFFIXES):  # most of a folder's children: one test
                continue
            if low.endswith(".egg"):
                return _metadata_entry_points(group)
            stem = child.rpartition(".")[0]
            key = _normalized(stem.partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            path = os.path.join(folder, child)
            try:
                with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            if f"[{group}]" in text:
                found += [EntryPoint(name, value, path) for name, value in _section(text, group)]
    return found


_METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg")


def _normalized(name: str) -> str:
    return "_".join(part for part in name.replace("-", "_").replace(".", "_").lower().split("_") if part)


def _section(text: str, group: str) -> list[tuple[str, str]]:
    """The ``name = value`` lines of the ``[group]`` section of an ``entry_points.txt``."""
    entries, current = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == group and "=" in line:
            name, _, value = line.partition("=")
            entries.append((name.strip(), value.strip()))
    return entries


# Finders of distributions that read the same metadata folders on sys.path (the backport included).
_PATH_FINDERS = frozenset({"_frozen_importlib_external", "importlib.metadata", "importlib_metadata"})


def _metadata_entry_points(group: str) -> list[EntryPoint]:
    from importlib import metadata

    return [EntryPoint(ep.name, ep.value, dist=ep.dist) for ep in metadata.entry_points(group=group)]


def _seen(name: str) -> None:
    _first_seen.setdefault(name, next(_sequence))


def load_order(info: PluginInfo) -> tuple[int, int]:
    """Sort key giving the stable load order: built-ins, entry points, in-process; each in first-seen order."""
    return _SOURCE_RANK.get(info.source, len(_SOURCE_RANK)), _first_seen.get(info.name, -1)


def _load(pm: pluggy.PluginManager, infos: dict[str, PluginInfo], name: str, source: str,
          load: Callable[[], Any], version: str | None) -> None:
    """Import and register one plugin; on any failure but an interrupt, record it on its info."""
    if pm.is_blocked(name) or pm.has_plugin(name):
        return
    _seen(name)
    info = PluginInfo(name, source, version)
    infos[name] = info
    notes: list[str] = []
    try:
        with guarded_global_state(name, notes):
            plugin = load()
        _register_checked(pm, plugin, name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit from a plugin is that plugin's failure, not the program's
        info.error, info.stage = _describe(exc), "load"
    _load_notes[name] = notes


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# ---------------------------------------------------------------------- what is a plugin
def _register_checked(pm: pluggy.PluginManager, plugin: Any, name: str) -> None:
    """Register ``plugin`` and validate its hooks; on failure leave nothing of it registered."""
    functions = _functions(plugin)
    problem = _hook_problem(plugin, name, functions)
    if problem is not None:
        raise PluginLoadError(problem)
    try:
        pm.register(plugin, name=name)
        pm.check_pending()
    except Exception as exc:
        if pm.has_plugin(name):
            pm.unregister(name=name)
        raise PluginLoadError(
            f"plugin {name!r} has an invalid hook implementation: {exc}{_did_you_mean(_marked(functions))}"
        ) from exc


def _marked(functions: dict[str, Any]) -> list[str]:
    return [attr for attr, value in functions.items() if hasattr(value, "tapegrad_impl")]


def _functions(plugin: Any) -> dict[str, Any]:
    """The plugin's functions and methods by name: what pluggy looks at for hook implementations."""
    import inspect

    try:
        names = dir(plugin)
    except Exception:
        return {}
    found = {}
    for attr in names:
        try:
            value = getattr(plugin, attr)
        except Exception:
            continue
        kind = type(value)
        if kind is types.FunctionType or (kind not in _NOT_ROUTINES and not isinstance(value, type)
                                          and inspect.isroutine(value)):
            found[attr] = value
    return found


# most of a module's other names: never routines (a class is none either)
_NOT_ROUTINES = frozenset({types.ModuleType, str, int, float, bool, dict, list, tuple, frozenset, set, type(None)})


def _hook_problem(plugin: Any, name: str, functions: dict[str, Any]) -> str | None:
    """Why ``plugin`` could not work as one, before pluggy sees it: no hook at all, or hook
    functions (of its ``functions``) without ``@tapegrad.hookimpl`` (pluggy would silently ignore them)."""
    marked = _marked(functions)
    unmarked = [attr for attr in functions if attr.startswith("tapegrad_") and attr not in marked]
    if unmarked:
        return (f"plugin {name!r} defines {', '.join(unmarked)} without @tapegrad.hookimpl, so tapegrad would "
                f"never call {'it' if len(unmarked) == 1 else 'them'}; decorate each hook with "
                f"@tapegrad.hookimpl{_did_you_mean(unmarked)}")
    if marked:
        return None
    import types

    if isinstance(plugin, (types.ModuleType, type)) or hasattr(plugin, "__dict__"):
        return (f"plugin {name!r} implements no tapegrad hook: define {' or '.join(HOOKS)} "
                "decorated with @tapegrad.hookimpl")
    return (f"plugin {name!r} is {type(plugin).__name__} {plugin!r}, not a module or object with tapegrad hook "
            "implementations; its entry point must name a module (or object) defining "
            "@tapegrad.hookimpl functions such as tapegrad_register_ops")


def _did_you_mean(names: list[str]) -> str:
    import difflib  # only on the error path

    hints = []
    for attr in names:
        if attr not in HOOKS:
            close = difflib.get_close_matches(attr, HOOKS, n=1, cutoff=0.6)
            if close:
                hints.append(f"{attr}: did you mean {close[0]!r}?")
    return f" ({'; '.join(hints)})" if hints else ""


# ---------------------------------------------------------------------- global state a plugin may touch
def _global_state() -> list[tuple[str, Callable[[], Any], Callable[[Any], Any]]]:
    """(what, get, restore) for each piece of process-wide state tapegrad's output depends on."""
    import numpy as np

    from . import dtypes, grad_mode, printing

    return [
        ("NumPy's error handling (np.seterr)", np.geterr, lambda saved: np.seterr(**saved)),
        ("NumPy's print options (np.set_printoptions)", np.get_printoptions,
         lambda saved: np.set_printoptions(**saved)),
        ("tapegrad's default dtype (set_default_dtype)", dtypes.get_default_dtype, dtypes.set_default_dtype),
        ("tapegrad's print options (set_printoptions)", lambda: dict(vars(printing._OPTIONS)),  # scalars: asdict's deep copy was 1% of a first op
         lambda saved: vars(printing._OPTIONS).update(saved)),
        ("grad mode (set_grad_enabled)", grad_mode._grad_enabled.get, grad_mode._grad_enabled.set),
    ]


@contextmanager
def guarded_global_state(name: str, notes: list[str]) -> Iterator[None]:
    """Run a plugin's code, then put back any global state it changed, noting what (naming the plugin)."""
    state = _global_state()
    before = [get() for _, get, _ in state]
    try:
        yield
    finally:
        changed = []
        for (what, get, restore), saved in zip(state, before):
            if get() != saved:
                restore(saved)
                changed.append(what)
        if changed:
            notes.append(f"tapegrad plugin {name!r} changed {', '.join(changed)} while loading; tapegrad "
                         "restored it, as a plugin must not change global state for its users")


# ---------------------------------------------------------------------- in-process control
def _changed() -> None:
    from .optable import invalidate

    invalidate()


def register(plugin: Any, name: str | None = None) -> str:
    """Load ``plugin`` (a module or object with hook implementations) in this process.

    Returns the name it is registered under (``name``, or pluggy's default). Raises
    ``ValueError`` when the name is taken or blocked, and ``PluginLoadError`` (naming
    the plugin) when it has no hook, a hook is misspelled or unmarked, or takes arguments
    the hook does not have. The op table is rebuilt on next use.
    """
    pm = plugin_manager()
    name = name or pm.get_canonical_name(plugin)
    if pm.is_blocked(name):
        raise ValueError(f"plugin {name!r} is blocked; call tapegrad.plugins.unblock({name!r}) first")
    if pm.has_plugin(name) or pm.is_registered(plugin):
        raise ValueError(f"a plugin named {name!r} (or this very object) is already registered")
    _register_checked(pm, plugin, name)
    _seen(name)
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
    _first_seen.pop(name, None)  # registered again later, it comes last
    _changed()


def block(name: str) -> None:
    """Keep the plugin ``name`` from loading (unregistering it if loaded), built-ins included."""
    _blocked.add(name)
    if _pm is not None:
        _pm.set_blocked(name)
        _info.pop(name, None)
    _changed()


def unblock(name: str) -> None:
    """Let a blocked plugin load again; a blocked built-in or entry point loads again at once, in its old place."""
    _blocked.discard(name)
    if _pm is not None:
        _pm.unblock(name)
        if name in BUILTIN_PLUGINS:
            _load_builtin(_pm, _info, name)
        else:
            _load_entry_points(_pm, _info)
    _changed()


def reload() -> None:
    """Forget every plugin and load them again (re-reading the environment variables)."""
    global _pm
    _pm = None
    _info.clear()
    _first_seen.clear()
    _changed()


def infos() -> list[PluginInfo]:
    """What was tried, in load order: loaded plugins and those that failed."""
    plugin_manager()
    return sorted(_info.values(), key=load_order)


def collect(reserved: frozenset[str]) -> tuple[list[tuple[PluginInfo, Registry]], list[PluginInfo]]:
    """Call every plugin's hooks, each into its own staging registry, in load order.

    Returns the plugins whose hooks all returned (with what they registered) and those
    that failed, to load or in a hook (``error`` and ``stage`` set). Backends are collected
    before ops. Only a ``KeyboardInterrupt`` escapes; global state a hook changes is restored
    and noted on the plugin's ``notes``.
    """
    pm = plugin_manager()
    for info in _info.values():  # what the last build found is found again
        if info.stage != "load":
            info.ops, info.backends, info.error, info.stage = [], [], None, None
        info.notes = list(_load_notes.get(info.name, ()))
    staged: dict[str, Registry] = {}
    for hook in (pm.hook.tapegrad_register_backends, pm.hook.tapegrad_register_ops):
        for impl in hook.get_hookimpls():
            name = impl.plugin_name
            info = _info.setdefault(name, PluginInfo(name, "in-process"))
            if info.error is not None:
                continue
            registry = staged.setdefault(name, Registry(name, reserved))
            try:
                with guarded_global_state(name, info.notes):
                    impl.function(**{arg: registry for arg in impl.argnames})
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # isolation: one plugin's bug must not stop the others
                info.error, info.stage = _describe(exc), hook.name
                staged.pop(name, None)
    ordered = sorted(_info.values(), key=load_order)
    loaded = [(info, staged[info.name]) for info in ordered if info.name in staged]
    failed = [info for info in ordered if info.error is not None]
    return loaded, failed
