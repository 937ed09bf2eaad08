"""Op namespaces: ``tapegrad.linalg``, ``tapegrad.nn.functional``, ``tapegrad.special``, ...

An op registered as ``"linalg.solve"`` is ``tapegrad.linalg.solve``. The namespace modules are
made from the registrations, not written per namespace: an import finder creates
``tapegrad.linalg`` (or ``tapegrad.nn`` and ``tapegrad.nn.functional``) on first import when
some loaded plugin registers an op under that prefix, so ``import tapegrad.nn.functional as F``
and ``from tapegrad.linalg import solve`` work, and a plugin may add ops to any namespace.

The op table binds each op function onto its namespace module when it is built (and takes it
back when it is rebuilt), so ``F.relu`` is a plain attribute lookup; ``__getattr__`` covers the
moment between a rebuild and the next use. Dropping the table also takes the modules off their
parents (``detach``) and the rebuild puts back those still registered (``attach``, the same
module objects) and forgets the others, so a namespace leaves with its plugin.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import operator
import sys
import types
from typing import Any, Iterable, Sequence

__all__ = ["OpNamespace", "split", "prefixes_of", "install_finder", "detach", "attach"]

PACKAGE = "tapegrad"


def split(public: str) -> tuple[str, str]:
    """``"nn.functional.relu"`` -> ``("nn.functional", "relu")``; a flat name has namespace ``""``."""
    namespace, _, leaf = public.rpartition(".")
    return namespace, leaf


_DOTTED = operator.methodcaller("__contains__", ".")  # a filter looping in C


def prefixes_of(names: Iterable[str]) -> set[str]:
    """Every namespace the dotted ``names`` make: ``nn.functional.relu`` gives ``nn`` and ``nn.functional``."""
    found: set[str] = set()
    for public in filter(_DOTTED, names):  # most are flat: the table asks this of every name for each plugin
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
        from .optable import function, table

        t = table()
        full = f"{self._prefix}.{name}"
        op = t.ops.get(full)
        if op is not None and op.apply is not None:
            return function(full)  # the module function's one identity (see optable._unbuilt)
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


class _Finder:
    """Finds ``tapegrad.<namespace>`` modules no file provides, among the loaded plugins' namespaces.

    It sits after Python's own finders, so tapegrad's real submodules always win. A meta path
    finder and loader by protocol (``find_spec``, ``create_module``, ``exec_module``), not by
    subclassing ``importlib.abc``, whose import (importlib.resources, tempfile, shutil, bz2, lzma)
    cost a fifth of ``import tapegrad``."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
        if not fullname.startswith(PACKAGE + "."):
            return None
        from .optable import table

        prefix = fullname[len(PACKAGE) + 1:]
        if prefix not in table().namespaces:
            return None
        loader: Any = self  # a loader by protocol
        return importlib.machinery.ModuleSpec(fullname, loader, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return OpNamespace(spec.name[len(PACKAGE) + 1:])

    def exec_module(self, module: types.ModuleType) -> None:
        from .optable import bind_namespace

        module.__path__ = []  # a package, so deeper namespaces import under it
        bind_namespace(module)


_finder = _Finder()


def install_finder() -> None:
    """Put the namespace finder on ``sys.meta_path`` (once)."""
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)


def _imported() -> list[tuple[str, OpNamespace]]:
    """The namespace modules in ``sys.modules``, parents first."""
    found = [(name, m) for name, m in list(sys.modules.items()) if isinstance(m, OpNamespace)]
    return sorted(found, key=lambda item: item[0].count("."))


def detach() -> None:
    """Take every namespace module off its parent as the op table is dropped, so the next
    ``tapegrad.linalg`` asks the rebuilt table; ``attach`` puts back those it still has. They stay
    in ``sys.modules`` meanwhile: another thread's import of a deeper one needs its parent there."""
    for fullname, module in _imported():
        parent, _, leaf = fullname.rpartition(".")
        owner = sys.modules.get(parent)
        if owner is not None and vars(owner).get(leaf) is module:
            with contextlib.suppress(AttributeError):  # another thread took it off first
                delattr(owner, leaf)


def attach(namespaces: frozenset[str]) -> None:
    """Put the namespace modules whose namespace is in ``namespaces`` back on their parents, and
    forget the others, so a namespace leaves with its plugin (no longer importable, and free
    for a flat op of that name)."""
    for fullname, module in _imported():
        if module._prefix not in namespaces:
            sys.modules.pop(fullname, None)
            continue
        parent, _, leaf = fullname.rpartition(".")
        owner = sys.modules.get(parent)
        if owner is not None:
            setattr(owner, leaf, module)


def namespace_module(prefix: str) -> types.ModuleType | None:
    """The namespace module for ``prefix`` if it has been imported."""
    module = sys.modules.get(f"{PACKAGE}.{prefix}")
    return module if isinstance(module, OpNamespace) else None
