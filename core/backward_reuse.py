"""Backward buffer reuse: a VJP writes its result into a saved array that is dying.

A NumPy expert's backward of ``((a*x + b - t) ** 2).sum()`` scales the residual in place
(``r *= 2 / n``): the forward's last big temporary becomes the gradient, with no new array. A
graph saves ``r`` for the square's VJP, and in a backward that frees the graph (no
``retain_graph``) nothing reads it after that VJP, so the VJP may do the same. ``donatable``
says when it may; the engine says which backward is running (``frees``). An array is donatable
when, all of them:

- the backward running in this thread frees each node's saved values as it goes (plain
  first-order ``backward()`` or ``grad()`` without ``retain_graph``, no hooks nor anomaly mode:
  the engine frees a node before calling its VJPs, so a concurrent backward that still reads it
  sees it freed and raises rather than reading overwritten values);
- it is a big NumPy array (``reuse.BIG`` elements and up: below that an allocation is cheaper
  than the checks) that owns its memory and is writeable;
- it is referenced only by the node that saved it and by the calling VJP: no tensor holds it
  (the user's, a leaf's), nor a view, a ``.numpy()`` of it, another node or a hook (reference
  count, CPython's; elsewhere nothing is donated).

The VJP that writes must be the last reader of that saved value in its node: a rule reading only
its own input's saved value, where no other rule of the op reads it, qualifies (``square``'s;
``pow``'s base rule with a Python exponent, which leaves no exponent rule to run).
"""

from __future__ import annotations

import threading
from sys import getrefcount
from typing import Any

import numpy as np

from .reuse import BIG, ENABLED

__all__ = ["donatable", "frees", "STATE"]

# .frees: whether the backward running in this thread frees what it reads (the engine sets and restores
# it itself, with no call; ``frees`` is the same for other callers)
STATE = threading.local()
_ndarray = np.ndarray
# References to a donatable array besides the caller's: the node's saved tuple, this function's
# parameter and getrefcount's argument.
_OWN_REFS = 3


def frees(active: bool) -> bool:
    """Set whether this thread's running backward frees each node before its VJPs; return the
    previous setting, to restore when it ends (a VJP may run a backward of its own)."""
    previous = getattr(STATE, "frees", False)
    STATE.frees = active
    return previous


def donatable(array: Any, held: int) -> bool:
    """Whether the VJP running now may overwrite ``array``, an input its node saved (see the
    module's doc). ``held``: the references the calling code holds, one per function parameter
    it came through (a rule's own parameter, a helper's)."""
    return (ENABLED and type(array) is _ndarray and array.size >= BIG and getattr(STATE, "frees", False)
            and array.base is None and array.flags.writeable and getrefcount(array) == held + _OWN_REFS)
