"""Version counters: which arrays were modified in place, and when.

Nodes record the mutation epoch at which they were made (one integer). An in-place
op bumps the epoch and marks the array it wrote, and every array it is a view of.
Before backward runs, each node's saved arrays are checked: one marked after the node
was made means the VJP would read the wrong values, and backward refuses, naming the
op, instead of returning a wrong gradient. Nothing is marked until a program uses an
in-place op, so ordinary programs pay one integer per node.
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["EPOCH", "MODIFIED", "mark_modified", "version_of", "modified_after", "base_chain"]

EPOCH = [0]  # a list so the op hot path can read it without a function call

# id(array) -> [epoch of last in-place write, number of writes, weakref keeping the entry honest]
_modified: dict[int, list] = {}
MODIFIED = _modified  # read-only to others: empty while no array alive was written in place (the engine's test)


def base_chain(array: Any) -> list[Any]:
    """``array`` and every array it is a view of."""
    chain = [array]
    base = getattr(array, "base", None)
    while base is not None:
        chain.append(base)
        base = getattr(base, "base", None)
    return chain


def _forget(key: int) -> Any:
    def callback(_: Any) -> None:
        _modified.pop(key, None)

    return callback


def mark_modified(array: Any) -> None:
    """Record an in-place write to ``array`` (and so to what it views)."""
    EPOCH[0] += 1
    for arr in base_chain(array):
        entry = _modified.get(id(arr))
        if entry is None or entry[2]() is not arr:
            ref: Any
            try:
                ref = weakref.ref(arr, _forget(id(arr)))
            except TypeError:  # arrays that cannot be weakly referenced are tracked by id alone
                ref = (lambda a: lambda: a)(arr)
            entry = _modified[id(arr)] = [EPOCH[0], 0, ref]
        entry[0] = EPOCH[0]
        entry[1] += 1


def version_of(array: Any) -> int:
    """How many in-place writes ``array``'s memory has seen, through any view of it (PyTorch's
    ``tensor._version``, which a view shares with its base)."""
    array = base_chain(array)[-1]
    entry = _modified.get(id(array))
    return 0 if entry is None or entry[2]() is not array else entry[1]


def modified_after(array: Any, epoch: int) -> bool:
    """Whether ``array``, or an array it views, was written in place after ``epoch``."""
    for arr in base_chain(array):
        entry = _modified.get(id(arr))
        if entry is not None and entry[0] > epoch and entry[2]() is arr:
            return True
    return False
