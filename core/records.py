"""Dataclasses made without compiling their methods.

``dataclasses.dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` and frozen
``__setattr__`` as source and compiles it when the class is made: for tapegrad's records (``OpDef``
has ~50 fields) that was 5 ms of ``import tapegrad`` and 1 ms of a first op. ``record`` makes the
same dataclass (``dataclasses.fields``, ``replace`` and ``asdict`` work on it, and
``FrozenInstanceError`` guards a frozen one) with methods that read the fields, written once here.
What a class defines itself is kept, as ``dataclass`` keeps it.
"""

from __future__ import annotations

import dataclasses
import reprlib
from dataclasses import MISSING, FrozenInstanceError
from typing import Any, Callable, TypeVar, dataclass_transform

__all__ = ["record"]

T = TypeVar("T", bound=type)


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(*, frozen: bool = False, eq: bool = True) -> Callable[[T], T]:
    """``@dataclass(frozen=frozen, eq=eq)`` for plain classes (no ``InitVar``, ``order`` or ``slots``)."""

    def wrap(cls: T) -> T:
        own = set(vars(cls))
        dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
        fields = dataclasses.fields(cls)
        init = tuple((f.name, f.default, f.default_factory) for f in fields if f.init)
        after = tuple((f.name, f.default, f.default_factory) for f in fields if not f.init)
        shown = tuple(f.name for f in fields if f.repr)
        compared = tuple(f.name for f in fields if f.compare)
        hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
        names = frozenset(f.name for f in fields)
        methods: dict[str, Any] = {"__init__": _init(cls, init, after), "__repr__": _repr(shown)}
        if eq:
            methods["__eq__"] = _eq(compared)
            if "__hash__" not in own:
                methods["__hash__"] = _hash(hashed) if frozen else None
        if frozen:
            methods["__setattr__"], methods["__delattr__"] = _frozen(cls, names)
        for name, method in methods.items():
            if name not in own:
                if callable(method):
                    method.__qualname__ = f"{cls.__qualname__}.{name}"
                setattr(cls, name, method)
        return cls

    return wrap


def _init(cls: type, init: tuple[tuple[str, Any, Any], ...], after: tuple[tuple[str, Any, Any], ...]) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(init):
            raise TypeError(f"{cls.__qualname__}.__init__() takes {len(init) + 1} positional arguments but "
                            f"{len(args) + 1} were given")
        put = object.__setattr__
        for i, (name, default, factory) in enumerate(init):
            if i < len(args):
                if name in kwargs:
                    raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}")
                value = args[i]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif default is not MISSING:
                value = default
            elif factory is not MISSING:
                value = factory()
            else:
                raise TypeError(f"{cls.__qualname__}.__init__() missing 1 required positional argument: {name!r}")
            put(self, name, value)
        if kwargs:
            raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {next(iter(kwargs))!r}")
        for name, default, factory in after:  # init=False fields with a default are set, as dataclass sets them
            if default is not MISSING:
                put(self, name, default)
            elif factory is not MISSING:
                put(self, name, factory())
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    return __init__


def _repr(shown: tuple[str, ...]) -> Any:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({parts})"

    return __repr__


def _eq(compared: tuple[str, ...]) -> Any:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, n) for n in compared) == tuple(getattr(other, n) for n in compared)

    return __eq__


def _hash(hashed: tuple[str, ...]) -> Any:
    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in hashed))

    return __hash__


def _frozen(cls: Any, names: frozenset[str]) -> tuple[Any, Any]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__
