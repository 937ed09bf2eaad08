"""Op namespaces: ``tapegrad.linalg``, ``tapegrad.nn.functional``, ``tapegrad.special``, ...

An op registered as ``"linalg.solve"`` is ``tapegrad.linalg.solve``. The namespace modules are
made from the registrations, not written per namespace: an import finder creates
``tapegrad.linalg`` (or ``tapegrad.nn`` and ``tapegrad.nn.functional``) on first import when
some loaded plugin registers an op under that prefix, so ``import tapegrad.nn.functional as F``
and ``from tapegrad.linalg import solve`` work, and a plugin may add ops to any namespace.

The op table binds each op function onto its namespace module when it is built (and takes it
back when it is rebuilt), so ``F.relu`` is a plain attribute lookup; ``__getattr__`` covers the
moment between a rebuild and the next use. A rebuild also takes the modules themselves off
(``detach``) and puts back those still registered (``attach``), so a namespace leaves with its
plugin while a surviving one stays the same module object.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Iterable, Sequence

__all__ = ["OpNamespace", "split", "prefixes_of", "install_finder", "detach", "attach"]

PACKAGE = "tapegrad"


def split(public: str) -> tuple[str, str]:
    """``"nn.functional.relu"`` -> ``("nn.functional", "relu")``; a flat name has namespace ``""``."""
    namespace, _, leaf = public.rpartition(".")
    return namespace, leaf


def prefixes_of(names: Iterable[str]) -> set[str]:
    """Every namespace the dotted ``names`` make: ``nn.functional.relu`` gives ``nn`` and ``nn.functional``."""
    found: set[str] = set()
    for public in names:
        parts = public.split(".")[:-1]
        for k in range(1, len(parts) + 1):
            found.add(".".join(parts[:k]))
    return found


class OpNamespace(types.ModuleType):
    """A module whose functions are the ops registered under its prefix (and whose submodules are
    the deeper namespaces)."""

    def __init__(self, prefix: str) -> None:
        super().__init__(f"{PACKAGE}.{prefix}", f"tapegrad ops registered under {prefix!r} by the loaded plugins.")
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        from .optable import table

        t = table()
        full = f"{self._prefix}.{name}"
        op = t.ops.get(full)
        if op is not None and op.apply is not None:
            return op.apply
        if full in t.namespaces:
            return importlib.import_module(f"{PACKAGE}.{full}")
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}: no loaded plugin registers an op "
                             f"{full!r} (see `tapegrad ops`)")

    def __dir__(self) -> list[str]:
        from .optable import table

        t = table()
        depth = self._prefix.count(".") + 1
        mine = {public.split(".")[depth] for public in (*t.ops, *t.namespaces)
                if public.startswith(self._prefix + ".") and public.count(".") >= depth}
        return sorted(mine | set(vars(self)))


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``tapegrad.<namespace>`` modules no file provides, among the loaded plugins' namespaces.

    It sits after Python's own finders, so tapegrad's real submodules always win."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
        if not fullname.startswith(PACKAGE + "."):
            return None
        from .optable import table

        prefix = fullname[len(PACKAGE) + 1:]
        if prefix not in table().namespaces:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        # the module put back by a rebuild while this import waited for it, or one taken off: itself again
        existing = sys.modules.get(spec.name) or _detached.pop(spec.name, None)
        return existing if isinstance(existing, OpNamespace) else OpNamespace(spec.name[len(PACKAGE) + 1:])

    def exec_module(self, module: types.ModuleType) -> None:
        from .optable import bind_namespace

        module.__path__ = []  # a package, so deeper namespaces import under it
        bind_namespace(module)


_finder = _Finder()


def install_finder() -> None:
    """Put the namespace finder on ``sys.meta_path`` (once)."""
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)


_detached: dict[str, OpNamespace] = {}  # namespace modules taken off while the op table is rebuilt


def detach() -> None:
    """Take every namespace module out of ``sys.modules`` and off its parent, as the op table is
    dropped: a namespace whose plugin left must not stay importable, nor hide a later op of its
    name. ``attach`` puts back, as the same module objects, those the new table still has."""
    for fullname, module in list(sys.modules.items()):
        if isinstance(module, OpNamespace) and sys.modules.pop(fullname, None) is module:
            _detached[fullname] = module
    for fullname, module in list(_detached.items()):
        parent, _, leaf = fullname.rpartition(".")
        owner = sys.modules.get(parent) or _detached.get(parent)
        if owner is not None and vars(owner).get(leaf) is module:
            delattr(owner, leaf)


def attach(namespaces: frozenset[str]) -> None:
    """Put back the detached namespace modules whose namespace is in ``namespaces``, parents first."""
    for fullname in sorted(_detached, key=lambda name: name.count(".")):
        if fullname[len(PACKAGE) + 1:] not in namespaces:
            continue
        module = _detached.pop(fullname)
        sys.modules[fullname] = module
        parent, _, leaf = fullname.rpartition(".")
        owner = sys.modules.get(parent)
        if owner is not None:
            setattr(owner, leaf, module)


def namespace_module(prefix: str) -> types.ModuleType | None:
    """The namespace module for ``prefix`` if it has been imported."""
    module = sys.modules.get(f"{PACKAGE}.{prefix}")
    return module if isinstance(module, OpNamespace) else None
