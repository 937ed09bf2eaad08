"""``tapegrad.ops``: every registered op by name, whichever plugin registered it.

``tapegrad.ops.add`` and ``tapegrad.add`` are the same function. Names appear here
when the op table is built; ``dir(tapegrad.ops)`` lists them.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from .optable import function

    return function(name)


def __dir__() -> list[str]:
    from .optable import table

    return sorted(name for name in table().ops if "." not in name)
