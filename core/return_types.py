"""Named results, printed as PyTorch prints its ``torch.return_types``.

``x.max(dim)`` returns a named pair ``(values, indices)``; PyTorch prints it as
``torch.return_types.max(\\nvalues=tensor(...),\\nindices=tensor(...))``, and programs print
these. Ops with several results build their result type here once.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Iterable, Sequence

__all__ = ["return_type"]


class _NamedResult(tuple):
    """What ``collections.namedtuple`` gives (fields by name and index, ``_fields``, ``_make``,
    ``_asdict``, ``_replace``), made without it: ``namedtuple`` compiles each class's ``__new__``,
    ~100 us a class, and the built-in plugin makes 17 of them when a user's first op loads it."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _field_defaults: dict[str, Any] = {}

    def __new__(cls, *values: Any, **named: Any) -> Any:
        if named or len(values) != len(cls._fields):
            values = cls._bind(values, named)
        return tuple.__new__(cls, values)

    @classmethod
    def _bind(cls, values: tuple[Any, ...], named: dict[str, Any]) -> tuple[Any, ...]:
        fields = cls._fields
        if len(values) > len(fields):
            raise TypeError(f"{cls.__name__}() takes {len(fields)} positional arguments but {len(values)} were given")
        bound = dict(zip(fields, values))
        for name, value in named.items():
            if name not in fields:
                raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {name!r}")
            if name in bound:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
            bound[name] = value
        missing = [name for name in fields if name not in bound]
        if missing:
            raise TypeError(f"{cls.__name__}() missing {len(missing)} required argument(s): "
                            f"{', '.join(map(repr, missing))}")
        return tuple(bound[name] for name in fields)

    @classmethod
    def _make(cls, iterable: Iterable[Any]) -> Any:
        values = tuple(iterable)
        if len(values) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(values)}")
        return tuple.__new__(cls, values)

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self))

    def _replace(self, **changes: Any) -> Any:
        return type(self)(**{**self._asdict(), **changes})

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        parts = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"tapegrad.return_types.{type(self).__name__}(\n{parts})"

    __str__ = __repr__


def return_type(name: str, fields: Sequence[str]) -> type:
    """A named-tuple class ``name`` with ``fields``, whose repr is PyTorch's."""
    names = tuple(fields)
    namespace: dict[str, Any] = {"__slots__": (), "_fields": names, "__match_args__": names,
                                 "__module__": "tapegrad.return_types", "__qualname__": name,
                                 "__doc__": f"{name}({', '.join(names)})"}
    for i, field in enumerate(names):
        namespace[field] = property(itemgetter(i), doc=f"Alias for field number {i}")
    return type(name, (_NamedResult,), namespace)
