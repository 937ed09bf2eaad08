"""The dispatch table: every plugin's ops, merged once into plain dicts.

Built on first use (the first op call, method lookup or ``tapegrad.NAME``) and again
after the set of plugins changes. Building is where hooks are called, conflicts are
found, and ops are bound as Tensor methods, operators and module functions; after
that, an op call never touches pluggy or this module.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from dataclasses import field
from types import ModuleType
from typing import Any, Callable, Sequence

from . import operators, quiet, reuse
from .backends import BackendTable
from .dispatch import make_apply
from .inplace import make_inplace
from .namespace import ArrayNamespace
from .namespaces import attach, detach, namespace_module, prefixes_of, split
from .records import record
from .plugins import PluginInfo, PluginLoadError, PluginSideEffectWarning, collect, load_order, strict
from .registry import Backend, DeferredBackend, OpDef, qualified_name
from .tensor import Tensor, lazy_methods

__all__ = ["OpTable", "table", "ensure_built", "invalidate", "lookup", "PluginLoadWarning", "NoSuchOpError"]


class PluginLoadWarning(UserWarning):
    """A plugin failed to load; tapegrad goes on without it."""


class NoSuchOpError(RuntimeError, AttributeError):
    """No loaded plugin registers the op asked for."""


@record()
class OpTable:
    """The merged registrations: ops by every public name, backends by name and array type."""

    ops: dict[str, OpDef] = field(default_factory=dict)
    backend_of: dict[type, Backend] = field(default_factory=dict)  # loaded backends by array type: what dispatch reads
    plugins: list[PluginInfo] = field(default_factory=list)
    bound: dict[str, list[str]] = field(default_factory=lambda: {"tensor": [], "module": []})
    methods: dict[str, tuple[OpDef, bool]] = field(default_factory=dict)  # Tensor method -> (op, in place)
    # Tensor methods registered as functions (Registry.register_method): name -> (function, plugin)
    method_functions: dict[str, tuple[Callable[..., Any], str]] = field(default_factory=dict)
    namespaces: frozenset[str] = frozenset()  # "linalg", "nn", "nn.functional": prefixes of dotted op names
    backends: BackendTable = field(init=False)  # by name; deferred ones are loaded on first use
    # ops whose apply is not built yet -> where their stand-in is bound: (owner, name, value, factory)
    unbuilt: dict[OpDef, list[tuple[Any, str, Any, Callable[[OpDef], Any]]]] = field(default_factory=dict)
    # each op's function as modules bind it (its stand-in, kept after the build: one identity)
    functions: dict[OpDef, Callable[..., Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.backends = BackendTable(self.backend_of, self.ops)

    def canonical_ops(self) -> list[OpDef]:
        """Each op once, in registration order."""
        seen: dict[int, OpDef] = {}
        for op in self.ops.values():
            seen.setdefault(id(op), op)
        return list(seen.values())


_table: OpTable | None = None
_building = False
_lock = threading.RLock()
_ORIGINAL_TENSOR_ATTRS = frozenset(vars(Tensor))


def table() -> OpTable:
    """The current table, built now if needed."""
    t = _table
    while t is None:  # another thread's invalidate() may drop the table between the build and this read
        ensure_built()
        t = _table
    return t


def ensure_built() -> bool:
    """Build the table if it is not built; True when this call built it.

    Safe from many threads: one builds under the lock while the others wait for it, so
    every caller returns with the finished table installed (whichever thread built it).
    """
    global _table, _building
    if _table is not None:
        return False
    with _lock:
        if _table is not None:
            return False
        if _building:
            raise RuntimeError(
                "an op was used while the op table was being built; plugin hooks must only register, "
                "not compute"
            )
        _building = True
        try:
            new = _build()
            _install(new)
        finally:
            _building = False
        _table = new
    return True


def invalidate() -> None:
    """Forget the table (a plugin came or went); it is rebuilt on next use."""
    global _table
    with _lock:
        old, _table = _table, None  # first: a thread that meets a stub from here on waits for the rebuild
        if old is not None:
            _uninstall(old)


def lookup(name: str) -> OpDef:
    """The op registered under ``name`` (or one of its aliases)."""
    op = table().ops.get(name)
    if op is None:
        raise NoSuchOpError(_missing_message(name))
    return op


def _missing_message(name: str, lead: str = "") -> str:
    t = _table
    loaded = ", ".join(p.name for p in t.plugins if p.error is None) if t is not None else ""
    return (
        f"no op {name!r} is registered{lead}. Loaded plugins: [{loaded}]. Install or register a plugin that "
        f"provides it (tapegrad.plugins.register), or unblock the built-in ops if they were blocked."
    )


def _reserved_names() -> frozenset[str]:
    module = sys.modules.get("tapegrad")
    names = getattr(module, "__all__", ()) if module is not None else ()
    return frozenset(names) | frozenset(_ORIGINAL_TENSOR_ATTRS) | _submodule_names()


@functools.cache
def _submodule_names() -> frozenset[str]:
    """tapegrad's own modules (``testing``, ``graph``): an op or namespace of that name would be
    hidden behind the module, as Python's import finds the file first."""
    here = os.path.dirname(__file__)  # listed directly: pkgutil's import costs more than the listing
    names = set()
    for child in os.listdir(here):
        stem, dot, suffix = child.partition(".")
        if (dot and suffix == "py") or (not dot and os.path.isfile(os.path.join(here, child, "__init__.py"))):
            names.add(stem)
    return frozenset(n for n in names if n.isidentifier() and n != "__init__")


def _build() -> OpTable:
    quiet.install()  # again: tapegrad may have been imported inside a catch_warnings() block
    loaded, failed = collect(_reserved_names())
    new = OpTable()
    for info, registry in loaded:
        clash = _backend_clash(new, registry.backends) or _first_clash(new, registry.ops, registry.methods, info.name)
        if clash is not None:  # the later plugin is refused whole; the rest keeps working
            info.error, info.stage = clash, "conflict"
            continue
        for backend in registry.backends:
            new.backends.add(backend)
            info.backends.append(backend.name)
        for op, override in registry.ops:
            info.notes += _add_op(new, op, override)
            info.ops.append(op.name)
        for method, function in registry.methods:
            new.method_functions[method] = (function, info.name)
    new.namespaces = frozenset(prefixes_of(new.ops))
    new.plugins = sorted([info for info, _ in loaded] + failed, key=load_order)
    _report([failure for info in new.plugins if (failure := info.failure()) is not None],
            [note for info in new.plugins for note in info.notes])  # refused or not, what it changed was put back
    for backend in new.backends.declared():
        if type(backend) is Backend:  # a deferred one gets its xp when it is loaded
            object.__setattr__(backend, "xp", ArrayNamespace(backend.name, backend.namespace, new.ops))
    default = new.backends.get("numpy") or next(iter(new.backends.values()), None)
    if default is not None:
        for op in new.canonical_ops():
            object.__setattr__(op, "apply", _unbuilt(op, new, default))
            new.unbuilt[op] = []
            new.functions[op] = op.apply
    return new


def _unbuilt(op: OpDef, new: OpTable, default: Backend) -> Callable[..., Tensor]:
    """Stands in for ``op``'s apply until its first call, which builds it (``make_apply``), puts it
    everywhere the stand-in was bound (Tensor methods and operators, modules) and runs it.

    Building all ~340 applies when the table was built was a tenth of a user's first op; after
    its first call a Tensor method or operator runs its built apply directly, as if it had been
    built eagerly; a module's function (``tapegrad.sin``) stays this one, so that its identity is
    the same before and after, and calls the built apply."""

    def apply(*args: Any, **params: Any) -> Tensor:
        built = op.apply
        if built is apply:
            built = _build_apply(op, new, default, apply)
        return built(*args, **params)

    apply.__name__ = apply.__qualname__ = op.name
    apply.__doc__ = op.doc or f"The op {op.name!r}, registered by plugin {op.plugin!r}."
    apply.__tapegrad_op__ = op  # type: ignore[attr-defined]
    reuse.FORWARDERS.add(apply.__code__)  # (one code object for all of them)
    return apply


def function(name: str) -> Callable[..., Any]:
    """The op ``name``'s public function, as modules hold it (``tapegrad.sin``): the same object
    before and after its first call."""
    op = lookup(name)
    return table().functions.get(op, op.apply)


def is_function_of(function: Any, op: OpDef) -> bool:
    """Whether ``function`` (a module's ``tapegrad.sin``) runs ``op``: its apply, or the stand-in
    that modules keep (see ``_unbuilt``)."""
    return function is op.apply or getattr(function, "__tapegrad_op__", None) is op


def _build_apply(op: OpDef, new: OpTable, default: Backend, stand_in: Callable[..., Tensor]) -> Callable[..., Tensor]:
    with _lock:  # once, whichever thread calls first
        if op.apply is stand_in:
            object.__setattr__(op, "apply", make_apply(op, new.backend_of, default))
            for owner, name, value, factory in new.unbuilt.pop(op, ()):
                if vars(owner).get(name) is value:  # still ours: not unbound or rebound since
                    setattr(owner, name, factory(op))
    return op.apply


_announced: set[str] = set()  # side effects already warned about, so a rebuild does not repeat them


def _report(failures: list[str], notes: list[str]) -> None:
    """Warn about each failure and side effect, or raise one error naming every failure in strict mode.

    Called before the table is kept: a warning turned into an error (``-W error``) or the
    strict error leave no table, so every use reports again, as strict mode promises.
    """
    fresh = [note for note in dict.fromkeys(notes) if note not in _announced]
    if failures and strict():
        for note in fresh:
            warn(note, PluginSideEffectWarning)
        listing = "\n".join(f"- {line}" for line in failures)
        raise PluginLoadError(f"{len(failures)} tapegrad plugin(s) could not be used "
                              f"(TAPEGRAD_STRICT_PLUGINS=1):\n{listing}")
    for line in failures:
        warn(f"{line} (skipped; the other plugins work)", PluginLoadWarning)
    for note in fresh:
        warn(note, PluginSideEffectWarning)
    _announced.update(fresh)


def _backend_clash(new: OpTable, backends: list[Backend | DeferredBackend]) -> str | None:
    """Why one of ``backends`` cannot join the table: its name or one of its array types is taken.

    Array types named by a deferred backend (``"dask.array.core.Array"``) are compared by name with
    every other backend's, so a clash is found when the table is built, importing nothing."""
    names = {backend.name: backend for backend in new.backends.declared()}
    by_class: dict[type, Backend | DeferredBackend] = {}
    by_name: dict[str, Backend | DeferredBackend] = {}  # the classes' qualified names
    named: dict[str, Backend | DeferredBackend] = {}  # types deferred backends name
    for backend in (*names.values(), *backends):
        existing = names.get(backend.name)
        if existing is not None and existing is not backend:
            return (f"backend {backend.name!r} is registered by two plugins, {existing.plugin!r} and "
                    f"{backend.plugin!r}; uninstall or block one of them")
        for array_type in backend.array_types:
            if isinstance(array_type, type):
                label = qualified_name(array_type)
                owner = by_class.get(array_type) or named.get(label)
            else:
                label = array_type
                owner = by_name.get(label) or named.get(label)
            if owner is not None and owner is not backend:
                return (f"backend {backend.name!r} claims the array type {label}, which is backend "
                        f"{owner.name!r}'s (plugin {owner.plugin!r}); a tensor's data decides its backend, so each "
                        "array type belongs to one backend")
            if isinstance(array_type, type):
                by_class[array_type] = by_name[label] = backend
            else:
                named[label] = backend
        names[backend.name] = backend
    return None


def _first_clash(new: OpTable, ops: list[tuple[OpDef, bool]],
                 functions: Sequence[tuple[str, Callable[..., Any]]] = (), plugin: str = "") -> str | None:
    """The first name (op name, alias or Tensor method) one of ``ops``, or of the methods registered
    as ``functions``, would take from what the table holds, unless overriding; or a method that
    could not be bound at all."""
    if not ops and not functions:  # a backend plugin: nothing of the table's changes, nothing to check again
        return None
    taken = dict(new.ops)
    methods = {method: owner for method, (owner, _) in new.methods.items()}
    owners = {method: plugin for method, (_, plugin) in new.method_functions.items()}
    owners.update({method: op.plugin for method, op in methods.items()})
    for method, _ in functions:
        if method in owners:
            return (f"the Tensor method {method!r} is registered by two plugins, {owners[method]!r} and "
                    f"{plugin!r}; uninstall or block one of them")
    for op, override in ops:
        replaced = taken.get(op.name) if override else None
        if replaced is not None:  # overriding an op frees its names and methods for the new one
            for public in (replaced.name, *replaced.aliases):
                taken.pop(public, None)
            for method in (*replaced.methods, *replaced.inplace_methods):
                if methods.get(method) is replaced:
                    del methods[method]
        for public in (op.name, *op.aliases):
            existing = taken.get(public)
            if existing is not None and not override:
                return (
                    f"op {public!r} is registered by two plugins, {existing.plugin!r} and {op.plugin!r}; "
                    f"uninstall or block one of them, or register with override=True to replace it deliberately"
                )
            taken[public] = op
        for method in (*op.methods, *op.inplace_methods):
            if not method.isidentifier() or method.startswith("_"):
                return (f"op {op.name!r} binds the method {method!r}, but a method name must be a public "
                        "identifier (operators such as + follow op names, see tapegrad.operators)")
            if method in _ORIGINAL_TENSOR_ATTRS:
                return f"op {op.name!r} binds the method {method!r}, which would shadow Tensor's own attribute"
            if method in new.method_functions:
                return (f"op {op.name!r} binds the method {method!r}, which plugin "
                        f"{new.method_functions[method][1]!r} registered as a method; uninstall or block one of them")
            existing = methods.get(method)
            if existing is not None and (not override or existing.plugin == op.plugin):
                return (
                    f"the Tensor method {method!r} is bound by two ops, {existing.name!r} of plugin "
                    f"{existing.plugin!r} and {op.name!r} of plugin {op.plugin!r}; uninstall or block one of "
                    "them, or register with override=True to replace it deliberately"
                )
            methods[method] = op
    shadowed = sorted(set(taken) & prefixes_of(taken))
    if shadowed:
        owner = taken[shadowed[0]]
        return (f"op {shadowed[0]!r} of plugin {owner.plugin!r} has the name of the namespace {shadowed[0]!r} "
                f"(tapegrad.{shadowed[0]}.*) that other ops are registered under; rename one of them")
    return None


def _add_op(new: OpTable, op: OpDef, override: bool) -> list[str]:
    """Add ``op`` under its name, aliases and methods, replacing earlier ones when overriding.

    Returns a sentence for each op or method taken from another plugin: an override changes
    ``+`` or ``x.sum()`` for every user, so it is announced, naming the plugin.
    """
    notes = []
    if override:
        replaced = new.ops.get(op.name)
        if replaced is not None:
            for public in (replaced.name, *replaced.aliases):
                if new.ops.get(public) is replaced:
                    del new.ops[public]
            for method in (*replaced.methods, *replaced.inplace_methods):
                if new.methods.get(method, (None,))[0] is replaced:
                    del new.methods[method]
            if replaced.plugin != op.plugin:
                notes.append(f"tapegrad plugin {op.plugin!r} overrides op {op.name!r} of plugin {replaced.plugin!r} "
                             f"(override=True): every call of {op.name!r}, and the operators and methods bound to "
                             "it, now run its version")
    for public in (op.name, *op.aliases):
        new.ops[public] = op
    for inplace, names in ((False, op.methods), (True, op.inplace_methods)):
        for method in names:
            owner = new.methods.get(method, (None,))[0]
            if owner is not None and owner.plugin != op.plugin:
                notes.append(f"tapegrad plugin {op.plugin!r} overrides Tensor.{method}, bound by op {owner.name!r} "
                             f"of plugin {owner.plugin!r} (override=True)")
            new.methods[method] = (op, inplace)
    return notes


def warn(message: str, category: type[Warning]) -> None:
    """Warn, attributed to the user's code that triggered loading (roughly: the call depth varies)."""
    warnings.warn(message, category, stacklevel=6)


# ---------------------------------------------------------------------- binding onto Tensor
def _install(new: OpTable) -> None:
    """Bind op methods and operators onto Tensor and op functions onto the tapegrad modules.

    Interrupted halfway (a KeyboardInterrupt), it takes back what it bound, so the next use
    builds afresh rather than running on a half-installed table.
    """
    try:
        _bind(new)
    except BaseException:
        _uninstall(new)
        raise
    lazy_methods(False)  # every method is bound: attribute reads on tensors may now be specialised


def _bind(new: OpTable) -> None:
    inplace_of: dict[int, Callable[..., Any]] = {}
    for method, (op, inplace) in new.methods.items():
        if op.apply is None:
            continue
        if inplace and id(op) not in inplace_of:
            inplace_of[id(op)] = make_inplace(op)
        _put(new, op, Tensor, method, inplace_of[id(op)] if inplace else op.apply, make_inplace if inplace else _apply)
        new.bound["tensor"].append(method)
    for method, (function, _) in new.method_functions.items():
        setattr(Tensor, method, function)
        new.bound["tensor"].append(method)
    binders: tuple[tuple[dict[str, str], Callable[[OpDef], Any]], ...] = (
        (operators.BINARY, _apply),
        (operators.UNARY, _apply),
        (operators.REFLECTED, lambda found: _reflected(found.apply)),
        (operators.INPLACE, make_inplace),
        ({"__getitem__": operators.INDEXING["__getitem__"]}, lambda found: _getitem(found.apply)),
        ({"__setitem__": operators.INDEXING["__setitem__"]}, lambda found: _setitem(make_inplace(found))),
    )
    for dunders, bind in binders:
        for dunder, name in dunders.items():
            found = new.ops.get(name)
            if found is not None and found.apply is not None:
                _put(new, found, Tensor, dunder, bind(found), bind)
    for module_name in ("tapegrad", "tapegrad.ops"):
        module = sys.modules.get(module_name)
        if module is None:
            continue
        own = vars(module)
        for public, op in new.ops.items():
            if op.apply is not None and "." not in public and public not in own:
                _put(new, op, module, public, new.functions.get(op, op.apply), _apply)
                new.bound["module"].append(f"{module_name}:{public}")
    attach(new.namespaces)
    for prefix in new.namespaces:
        namespace = namespace_module(prefix)
        if namespace is not None:
            _bind_namespace(new, namespace, prefix)


def _apply(op: OpDef) -> Callable[..., Tensor]:
    return op.apply


def _put(new: OpTable, op: OpDef, owner: Any, name: str, value: Any, factory: Callable[[OpDef], Any]) -> None:
    """Bind ``value`` (made by ``factory(op)``) as ``owner.name``, remembering to make it again from the
    built apply while ``op``'s is a stand-in (see ``_unbuilt``)."""
    setattr(owner, name, value)
    waiting = new.unbuilt.get(op)
    # Modules keep the stand-in: a public function's identity never changes under the user (``f is
    # tapegrad.lt``, a dict keyed by ops); Tensor's methods and operators, which nobody compares,
    # take the built apply and skip the stand-in's call.
    if waiting is not None and not isinstance(owner, ModuleType):
        waiting.append((owner, name, value, factory))


def bind_namespace(module: Any) -> None:
    """Bind the ops of a namespace module imported after the table was built (``tapegrad.linalg``)."""
    with _lock:
        _bind_namespace(table(), module, module.__name__.partition(".")[2])


def _bind_namespace(new: OpTable, module: Any, prefix: str) -> None:
    own = vars(module)
    for public, op in new.ops.items():
        namespace, leaf = split(public)
        if namespace == prefix and op.apply is not None and leaf not in own:
            _put(new, op, module, leaf, new.functions.get(op, op.apply), _apply)
            new.bound["module"].append(f"{module.__name__}:{leaf}")


def _uninstall(old: OpTable) -> None:
    lazy_methods(True)  # first: a thread that misses a method from here on waits for the rebuild
    for method in old.bound["tensor"]:
        if method in vars(Tensor):
            delattr(Tensor, method)
    for module_and_name in old.bound["module"]:
        module_name, public = module_and_name.split(":")
        module = sys.modules.get(module_name)
        if module is not None and public in vars(module):
            delattr(module, public)
    detach()
    _install_stubs()


def _reflected(apply: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def reflected(self: Tensor, other: Any) -> Tensor:
        return apply(other, self)

    reflected.__name__ = f"r{apply.__name__}"
    return reflected


def index_param(key: Any) -> Any:
    """An indexing key as a static param: tensors inside it (masks, index arrays) become arrays."""
    if type(key) is Tensor:
        return key._data
    if type(key) is tuple:
        return tuple(index_param(k) for k in key)
    return key


def _getitem(apply: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def __getitem__(self: Tensor, key: Any) -> Tensor:
        return apply(self, index=index_param(key))

    return __getitem__


def _setitem(inplace: Callable[..., Tensor]) -> Callable[..., None]:
    def __setitem__(self: Tensor, key: Any, value: Any) -> None:
        inplace(self, value, index=index_param(key))

    return __setitem__


def _stub(dunder: str, op_name: str) -> Callable[..., Any]:
    """Stands in for an operator until the table is built; then explains if no op provides it."""
    comparison = op_name in ("eq", "ne", "lt", "le", "gt", "ge")

    def method(self: Tensor, *args: Any) -> Any:
        ensure_built()  # returns once the table is built, by this thread or another one
        bound = getattr(Tensor, dunder)
        if bound is not method:
            return bound(self, *args)
        if comparison:
            return NotImplemented  # Python then falls back to identity (==) or a TypeError
        if dunder in operators.INPLACE:  # no in-place op: x += y rebinds x, as for any Python object
            return getattr(self, dunder.replace("__i", "__", 1))(*args)
        raise NoSuchOpError(
            _missing_message(op_name, f", so Tensor does not support {operators.SYMBOLS[op_name]}")
        )

    method.__name__ = dunder
    return method


def _install_stubs() -> None:
    for table_ in (operators.BINARY, operators.REFLECTED, operators.UNARY, operators.INPLACE, operators.INDEXING):
        for dunder, op_name in table_.items():
            setattr(Tensor, dunder, _stub(dunder, op_name))
    setattr(Tensor, "__hash__", object.__hash__)  # defining __eq__ would otherwise unset it


_install_stubs()
