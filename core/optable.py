"""The dispatch table: every plugin's ops, merged once into plain dicts.

Built on first use (the first op call, method lookup or ``tapegrad.NAME``) and again
after the set of plugins changes. Building is where hooks are called, conflicts are
found, and ops are bound as Tensor methods, operators and module functions; after
that, an op call never touches pluggy or this module.
"""

from __future__ import annotations

import sys
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from . import operators, quiet
from .dispatch import make_apply
from .inplace import make_inplace
from .namespace import ArrayNamespace
from .plugins import PluginInfo, PluginLoadError, collect, strict
from .registry import Backend, OpDef
from .tensor import Tensor

__all__ = ["OpTable", "table", "ensure_built", "invalidate", "lookup", "PluginLoadWarning", "NoSuchOpError"]


class PluginLoadWarning(UserWarning):
    """A plugin failed to load; tapegrad goes on without it."""


class NoSuchOpError(RuntimeError, AttributeError):
    """No loaded plugin registers the op asked for."""


@dataclass
class OpTable:
    """The merged registrations: ops by every public name, backends by name and array type."""

    ops: dict[str, OpDef] = field(default_factory=dict)
    backends: dict[str, Backend] = field(default_factory=dict)
    backend_of: dict[type, Backend] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    bound: dict[str, list[str]] = field(default_factory=lambda: {"tensor": [], "module": []})

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
    if t is None:
        ensure_built()
        t = _table
        assert t is not None
    return t


def ensure_built() -> bool:
    """Build the table if it is not built; True when this call built it."""
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
        if _table is not None:
            _uninstall(_table)
        _table = None


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
    return frozenset(names) | frozenset(_ORIGINAL_TENSOR_ATTRS)


def _build() -> OpTable:
    quiet.install()  # again: tapegrad may have been imported inside a catch_warnings() block
    loaded, failed = collect(_reserved_names())
    new = OpTable()
    for info in failed:
        if pm_has(info.name):  # load failures were reported when they happened
            warn(f"tapegrad plugin {info.name!r} failed to register and was skipped: {info.error}",
                 PluginLoadWarning)
    for info, registry in loaded:
        for backend in registry.backends:
            if backend.name in new.backends:
                warn(
                    f"backend {backend.name!r} is registered by both {new.backends[backend.name].plugin!r} "
                    f"and {info.name!r}; keeping the first",
                    PluginLoadWarning,
                )
                continue
            new.backends[backend.name] = backend
            for array_type in backend.array_types:
                new.backend_of.setdefault(array_type, backend)
            info.backends.append(backend.name)
    for info, registry in loaded:
        clash = _first_clash(new, registry.ops)
        if clash is not None:  # the later plugin is refused whole; the rest keeps working
            info.error = clash
            for name in info.backends:
                backend = new.backends.pop(name)
                for array_type in backend.array_types:
                    if new.backend_of.get(array_type) is backend:
                        del new.backend_of[array_type]
            info.backends = []
            if strict():
                raise PluginLoadError(f"tapegrad plugin {info.name!r} was refused: {clash}")
            warn(f"tapegrad plugin {info.name!r} was refused: {clash}", PluginLoadWarning)
            continue
        for op, override in registry.ops:
            _add_op(new, op, override)
            info.ops.append(op.name)
    new.plugins = [info for info, _ in loaded] + failed
    default = new.backends.get("numpy") or next(iter(new.backends.values()), None)
    for backend in new.backends.values():
        object.__setattr__(backend, "xp", ArrayNamespace(backend.name, backend.namespace, new.ops))
    if default is not None:
        for op in new.canonical_ops():
            object.__setattr__(op, "apply", make_apply(op, new.backend_of, default))
    return new


def _first_clash(new: OpTable, ops: list[tuple[OpDef, bool]]) -> str | None:
    """The first name one of ``ops`` would take from an op already in the table, unless overriding."""
    taken = dict(new.ops)
    for op, override in ops:
        for public in (op.name, *op.aliases):
            existing = taken.get(public)
            if existing is not None and not override:
                return (
                    f"op {public!r} is registered by two plugins, {existing.plugin!r} and {op.plugin!r}; "
                    f"uninstall or block one of them, or register with override=True to replace it deliberately"
                )
            taken[public] = op
    return None


def _add_op(new: OpTable, op: OpDef, override: bool) -> None:
    """Add ``op`` under its name and aliases, replacing an earlier op when overriding."""
    if override:
        replaced = new.ops.get(op.name)
        if replaced is not None:
            for public in (replaced.name, *replaced.aliases):
                if new.ops.get(public) is replaced:
                    del new.ops[public]
    for public in (op.name, *op.aliases):
        new.ops[public] = op


def warn(message: str, category: type[Warning]) -> None:
    """Warn once per message, attributed to the user's code that triggered loading."""
    warnings.warn(message, category, stacklevel=5)


def pm_has(name: str) -> bool:
    from .plugins import plugin_manager

    return plugin_manager().has_plugin(name)


# ---------------------------------------------------------------------- binding onto Tensor
def _install(new: OpTable) -> None:
    """Bind op methods and operators onto Tensor and op functions onto the tapegrad modules."""
    for op in new.canonical_ops():
        if op.apply is None:
            continue
        for method in op.methods:
            if method in _ORIGINAL_TENSOR_ATTRS:
                continue
            setattr(Tensor, method, op.apply)
            new.bound["tensor"].append(method)
    for op in new.canonical_ops():
        if op.apply is not None and op.inplace_methods:
            inplace = make_inplace(op)
            for method in op.inplace_methods:
                if method not in _ORIGINAL_TENSOR_ATTRS:
                    setattr(Tensor, method, inplace)
                    new.bound["tensor"].append(method)
    binders: tuple[tuple[dict[str, str], Callable[[OpDef], Any]], ...] = (
        (operators.BINARY, lambda found: found.apply),
        (operators.UNARY, lambda found: found.apply),
        (operators.REFLECTED, lambda found: _reflected(found.apply)),
        (operators.INPLACE, make_inplace),
        ({"__getitem__": operators.INDEXING["__getitem__"]}, lambda found: _getitem(found.apply)),
        ({"__setitem__": operators.INDEXING["__setitem__"]}, lambda found: _setitem(make_inplace(found))),
    )
    for dunders, bind in binders:
        for dunder, name in dunders.items():
            found = new.ops.get(name)
            if found is not None and found.apply is not None:
                setattr(Tensor, dunder, bind(found))
    for module_name in ("tapegrad", "tapegrad.ops"):
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for public, op in new.ops.items():
            if op.apply is not None and public not in vars(module):
                setattr(module, public, op.apply)
                new.bound["module"].append(f"{module_name}:{public}")


def _uninstall(old: OpTable) -> None:
    for method in old.bound["tensor"]:
        if method in vars(Tensor):
            delattr(Tensor, method)
    for module_and_name in old.bound["module"]:
        module_name, public = module_and_name.split(":")
        module = sys.modules.get(module_name)
        if module is not None and public in vars(module):
            delattr(module, public)
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
        if ensure_built():
            return getattr(self, dunder)(*args)
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
