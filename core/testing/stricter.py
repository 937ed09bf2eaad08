"""Stricter namespaces for the kit's ``backends`` check: a backend's own functions, refusing what the
array API standard leaves to the library.

An op that passes on array_api_strict may still lean on what that one library happens to do where
the standard says nothing, and another conforming library may differ there:

- an extension (``linalg``, ``fft``) is optional, and one a library offers may be partial: "extension
  module implementors must aim to provide all functions" (the standard's words), and Dask's
  ``linalg`` has no ``det``, ``eigh`` nor ``pinv`` (data-apis/array-api#950);
- ``searchsorted`` is specified for ``x1`` and ``x2`` each, not for two dtypes compared with each other
  (no type promotion rule covers it; the array API test suite draws both of one dtype).

``Stricter(module, extensions)`` wraps a backend's namespace module: each extension is absent
(``None``), partial (the member names it withholds) or whole (not listed), and the functions of
``ONE_DTYPE`` refuse arrays of two dtypes. ``Recording(module)`` only notes which names an op looks up,
so the kit runs the stricter namespaces only for ops that use what they change. ``installed`` puts a
namespace in a backend's place for a block (forward and backward alike: a graph node keeps the ``xp``
its forward ran with).

Arithmetic across float dtypes is not among the refusals: the standard's type promotion rules
specify ``float32`` with ``float64`` (``float64``), so a conforming library must accept it.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Mapping

__all__ = ["EXTENSIONS", "ONE_DTYPE", "Refusal", "Recording", "Stricter", "installed", "describe"]

EXTENSIONS = ("linalg", "fft")

# Functions whose array arguments (positions) the standard relates by no promotion rule: the
# stricter namespace requires them to share one dtype.
ONE_DTYPE: dict[str, tuple[int, ...]] = {"searchsorted": (0, 1)}


class Refusal(Exception):
    """What a stricter namespace refuses (a missing extension or member, mixed dtypes): the kit reports it
    as it is, not as a sign of NumPy called directly."""


class _Missing(Refusal, AttributeError):
    pass


class _MixedDtypes(Refusal, TypeError):
    pass


class Recording:
    """A namespace module as it is, noting each name looked up on it (``used``) and on its
    extensions (``"linalg.diagonal"``)."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.used: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        self.used.add(name)
        if name in EXTENSIONS:
            return _Noted(value, name, self.used)
        return value


class _Noted:
    """An extension namespace noting the members looked up on it into ``used``."""

    def __init__(self, module: Any, name: str, used: set[str]) -> None:
        self._module, self._name, self._used = module, name, used

    def __getattr__(self, member: str) -> Any:
        value = getattr(self._module, member)
        self._used.add(f"{self._name}.{member}")
        return value


class Stricter:
    """A namespace module refusing what the standard leaves to the library (see the module's text).

    ``extensions`` maps an extension's name to ``None`` (the library has none) or to the member names
    its partial extension lacks; extensions not named are offered whole."""

    def __init__(self, module: Any, extensions: Mapping[str, frozenset[str] | None]) -> None:
        self._module = module
        self._extensions = dict(extensions)

    def __getattr__(self, name: str) -> Any:
        if name in self._extensions:
            withheld = self._extensions[name]
            if withheld is None:
                raise _Missing(f"this namespace has no {name!r} extension (the array API makes extensions "
                                     "optional)")
            return _Partial(getattr(self._module, name), name, withheld)
        value = getattr(self._module, name)
        if name in ONE_DTYPE:
            return _one_dtype(name, value, ONE_DTYPE[name])
        return value


class _Partial:
    """An extension namespace lacking the members ``withheld``, as a library's partial extension does."""

    def __init__(self, module: Any, name: str, withheld: frozenset[str]) -> None:
        self._module, self._name, self._withheld = module, name, withheld

    def __getattr__(self, member: str) -> Any:
        if member in self._withheld:
            raise _Missing(f"this namespace's {self._name!r} extension is partial: it has no {member!r} "
                                 "(as Dask's linalg has no det nor eigh)")
        return getattr(self._module, member)


def _one_dtype(name: str, function: Any, positions: tuple[int, ...]) -> Any:
    def strict(*args: Any, **kwargs: Any) -> Any:
        dtypes = [getattr(args[i], "dtype", None) for i in positions if i < len(args)]
        dtypes = [d for d in dtypes if d is not None]
        if any(d != dtypes[0] for d in dtypes[1:]):
            raise _MixedDtypes(f"{name}() got arrays of dtypes {', '.join(map(str, dtypes))}: the array API standard "
                            f"specifies {name} for arrays of one dtype (no promotion rule relates them), so a "
                            "conforming library may refuse or misorder mixed ones; cast them to one dtype first")
        return function(*args, **kwargs)

    strict.__name__ = name
    return strict


def describe(extensions: Mapping[str, frozenset[str] | None]) -> str:
    """How the kit names a stricter namespace in a failure: what it lacks."""
    parts = []
    for name, withheld in extensions.items():
        parts.append(f"no {name} extension" if withheld is None
                     else f"a {name} extension without {', '.join(sorted(withheld))}")
    parts.append(f"{', '.join(ONE_DTYPE)} of one dtype")
    return "; ".join(parts)


@contextlib.contextmanager
def installed(backend: Any, namespace: Any) -> Iterator[None]:
    """``namespace`` (a module or one of the wrappers above) as ``backend``'s for the block, extended
    with the registered ops it lacks as the backend's own is; the backend's own put back after."""
    from ..namespace import ArrayNamespace
    from ..optable import table

    saved = backend.xp
    object.__setattr__(backend, "xp", ArrayNamespace(backend.name, namespace, table().ops))
    try:
        yield
    finally:
        object.__setattr__(backend, "xp", saved)
