"""Named results, printed as PyTorch prints its ``torch.return_types``.

``x.max(dim)`` returns a named pair ``(values, indices)``; PyTorch prints it as
``torch.return_types.max(\\nvalues=tensor(...),\\nindices=tensor(...))``, and programs print
these. Ops with several results build their result type here once.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Sequence

__all__ = ["return_type"]


def return_type(name: str, fields: Sequence[str]) -> type:
    """A named-tuple class ``name`` with ``fields``, whose repr is PyTorch's."""
    base: Any = namedtuple(name, fields)  # type: ignore[misc]

    def __repr__(self: Any) -> str:
        parts = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"tapegrad.return_types.{name}(\n{parts})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__,
                                "__module__": "tapegrad.return_types"})
