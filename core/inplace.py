"""In-place ops: ``x.add_(y)``, ``x += y``, ``x[i] = v``, built from the out-of-place op.

The result is computed by the op as usual (recording a node when grad mode is on),
then written into ``x``'s own memory, so every tensor and NumPy array sharing that
memory sees it. ``x`` takes the new node as its ``grad_fn``. The write is marked in
the version counters, so a node that saved ``x``'s old values refuses to run backward.

When ``x`` is a view of another tensor (``tapegrad.views``), the write changes that base
too: a recorded write gives the base a ``CopySlices`` history, and every live view of
the base (``x`` included) a history replayed from it.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .grad_mode import is_grad_enabled
from .promotion import can_cast
from .registry import OpDef
from .tensor import Tensor
from .versions import base_chain, mark_modified
from .views import check_recorded_write, check_writable, has_live_views, refresh_views, rewrite_base, view_info

__all__ = ["make_inplace", "LEAF_MESSAGE", "VIEW_OF_LEAF_MESSAGE"]

LEAF_MESSAGE = (
    "a leaf Variable that requires grad is being used in an in-place operation. Update it under "
    "`with tapegrad.no_grad():` (as optimizers do), or work on a copy"
)


VIEW_OF_LEAF_MESSAGE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation. Write into "
    "a copy, or update the leaf itself under `with tapegrad.no_grad():`"
)


def _views_a_leaf(tensor: Tensor, array: Any, depth: int = 8) -> bool:
    """Whether ``array`` shares memory with a leaf that requires grad upstream of ``tensor``.

    The safety net for aliases ``tapegrad.views`` does not track (memory shared outside a
    declared view op): walks a few nodes up the graph comparing NumPy base chains; cheap,
    and only asked when an in-place write targets such an array.
    """
    bases = {id(a) for a in base_chain(array)}
    frontier = [tensor._grad_fn]
    for _ in range(depth):
        following = []
        for node in frontier:
            for edge in node.edges if node is not None else ():
                if type(edge) is Tensor:
                    if any(id(a) in bases for a in base_chain(edge._data)):
                        return True
                elif edge is not None:
                    following.append(edge)
        if not following:
            return False
        frontier = following
    return False


def make_inplace(op: OpDef) -> Callable[..., Tensor]:
    """The in-place form of ``op``: its first input is overwritten with the result and returned."""
    apply = op.apply

    def inplace(self: Tensor, *args: Any, **params: Any) -> Tensor:
        if type(self) is not Tensor:
            raise TypeError(f"{op.name}_() needs a Tensor to write into, got {type(self).__name__}")
        target = self._data
        info = view_info(self)
        recording = is_grad_enabled()
        if recording:
            if self._requires_grad and self._grad_fn is None:
                raise RuntimeError(LEAF_MESSAGE)
            if info is not None:
                if info.base._requires_grad and info.base._grad_fn is None:
                    raise RuntimeError(VIEW_OF_LEAF_MESSAGE)
            elif self._requires_grad and getattr(target, "base", None) is not None and _views_a_leaf(self, target):
                raise RuntimeError(VIEW_OF_LEAF_MESSAGE)
        check_writable(self, info)
        result = apply(self, *args, **params)
        data = result._data
        if tuple(data.shape) != tuple(target.shape):
            raise RuntimeError(
                f"output with shape {list(target.shape)} doesn't match the broadcast shape {list(data.shape)}"
            )
        if isinstance(target, np.ndarray) and not can_cast(data.dtype, target.dtype):
            raise RuntimeError(f"result type {data.dtype} can't be cast to the desired output type {target.dtype}")
        node = result._grad_fn
        # A write through a view that autograd records rewrites the base's history.
        through_view = info is not None and recording and (node is not None or info.base._requires_grad)
        if through_view:
            check_recorded_write(info)  # type: ignore[arg-type]
        if node is not None and node.op.saves_inputs and any(v is target for v in node.inputs):
            # The new node still needs the old values the write is about to replace.
            node.inputs = tuple(v.copy() if v is target else v for v in node.inputs)
        target[...] = data
        mark_modified(target)
        if through_view:
            rewrite_base(self, info, node)  # type: ignore[arg-type]
        elif node is not None:
            self._grad_fn = node
            self._requires_grad = True
            if has_live_views(self):
                refresh_views(self)
        return self

    inplace.__name__ = f"{op.name}_"
    inplace.__doc__ = f"In-place form of {op.name!r}: writes the result into this tensor and returns it."
    return inplace
