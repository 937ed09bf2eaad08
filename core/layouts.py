"""Tensors made over memory the user laid out: their strides are PyTorch's, whatever they are.

PyTorch's ``torch.from_numpy(a.T)`` keeps the array's strides: the tensor is not contiguous, so
``view(-1)`` is refused and ``contiguous()`` copies. tapegrad takes an op's fresh result for
contiguous (as PyTorch's are), whatever memory its NumPy forward happened to return; only a tensor
made over the user's own NumPy array (``from_numpy``, ``as_tensor`` without a copy) that is not
C-contiguous is recorded here, so ``ops_builtin.strides.layout`` reads its strides, and its views'.
A side table keyed by id, as ``tapegrad.views`` keeps its own, so that other tensors carry nothing.
Not recorded (taken for contiguous, as before): another backend's array given to ``as_tensor``,
and a tensor sharing such memory made otherwise (``detach()``, whose PyTorch strides are the same).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

__all__ = ["record_user_layout", "user_layout", "user_layouts"]

# id(tensor) -> a weak reference to it; ``id(t) in user_layouts`` is ``user_layout(t)`` without the
# call, for a hot path (``view`` of a tensor that is not a view). Read it only.
user_layouts: dict[int, weakref.ref] = {}


def record_user_layout(tensor: Any) -> Any:
    """Record ``tensor`` as laid out by the user where its NumPy memory is not C-contiguous; returns it."""
    data = tensor._data
    if type(data) is np.ndarray and not data.flags.c_contiguous:
        key = id(tensor)

        def forget(_: Any) -> None:  # the tensor died: its id may be reused
            user_layouts.pop(key, None)

        user_layouts[key] = weakref.ref(tensor, forget)
    return tensor


def user_layout(tensor: Any) -> bool:
    """Whether ``tensor`` was made over a user's NumPy array that is not C-contiguous (one dict lookup)."""
    return id(tensor) in user_layouts
