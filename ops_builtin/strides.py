"""When ``x.view(shape)`` is allowed, as PyTorch decides it: from strides, not contiguity.

PyTorch allows a view whenever the new shape can be laid over the old memory with strides of its
own (``computeStride`` in ATen): each run of old dimensions that are contiguous with each other
(a "chunk") must be split or merged into whole new dimensions. So ``x.t().view(3, 2)`` fails (the
transposed dims are two chunks that a merge would span), but ``x.t().view(3, 2, 1)``, splitting an
expanded dimension (stride 0), or a slice's rows split further all succeed.

tapegrad's tensors have PyTorch's strides where it matters: a view op's result (a transpose, a
slice, an expand; tracked in ``tapegrad.views``) of a base laid out contiguously, on a backend
whose arrays have a memory layout (NumPy; array-api-strict through its NumPy memory), and a tensor
made over a user's non-contiguous NumPy array (``from_numpy(a.T)``: ``tapegrad.layouts``) and its
views. Elsewhere it cannot know them, and allows the view: a tensor that is not a view is
contiguous in PyTorch as a rule (an op's fresh result; tapegrad does not follow PyTorch where an
elementwise result takes the strides of a non-contiguous input), and a lazy backend (Dask) has no
memory layout at all, nor allows writes through views, so its ``view`` is ``reshape``, which no
write can tell apart.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from tapegrad.layouts import user_layout, user_layouts
from tapegrad.views import view_info

VIEW_REFUSED = ("view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead.")


def view_strides(shape: Sequence[int], strides: Sequence[int], new_shape: Sequence[int]) -> tuple[int, ...] | None:
    """The strides (in elements) of ``new_shape`` laid over memory of ``shape`` and ``strides``, or
    None where no strides fit (PyTorch's ``computeStride``). Sizes must hold the same number of elements."""
    if not shape or math.prod(shape) == 0:  # a 0-d or empty tensor: any shape fits, contiguously
        return _contiguous(new_shape)
    new = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = strides[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[tensor_d]
        # the end of a chunk: the next dimension out is not contiguous with this one
        if tensor_d == 0 or (shape[tensor_d - 1] != 1 and strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    return tuple(new) if view_d == -1 else None


def is_contiguous(tensor: Any) -> bool:
    """Whether PyTorch's ``tensor.is_contiguous()`` holds, as far as tapegrad knows its strides (see
    ``layout``): every dimension of size above 1 has the stride of a row-major layout."""
    strides = layout(tensor)
    if strides is None or math.prod(tensor.shape) == 0:
        return True
    return all(n == 1 or s == c for n, s, c in zip(tensor.shape, strides, _contiguous(tensor.shape)))


def _contiguous(shape: Sequence[int]) -> tuple[int, ...]:
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= max(n, 1)
    return tuple(reversed(out))


def layout(tensor: Any) -> tuple[int, ...] | None:
    """``tensor``'s strides in elements as PyTorch's would be, or None where tapegrad cannot know
    them (see the module's docstring): a tensor over a user's NumPy memory (``tapegrad.layouts``),
    or a tracked view of a base laid out contiguously or by the user, on a backend with memory."""
    info = view_info(tensor)
    root = tensor if info is None else info.base
    if info is None and not user_layout(tensor):
        return None  # an op's fresh result: contiguous, as PyTorch's
    base, mine = _host(root._data), _host(tensor._data)
    if base is None or mine is None or not (base.flags.c_contiguous or user_layout(root)):
        return None
    return tuple(s // mine.itemsize for s in mine.strides)


def _host(data: Any) -> np.ndarray | None:
    """``data``'s own memory as a NumPy array, or None where the backend has none to share (lazy, or a device)."""
    if type(data) is np.ndarray:
        return data
    from tapegrad.backends import backend_of, to_numpy

    if backend_of(data).lazy:
        return None
    host = to_numpy(data)
    return host if np.may_share_memory(host, to_numpy(data)) else None


def check_view(x: Any, shape: Any) -> bool:
    """Refuse ``x.view(shape)`` where PyTorch's would, in its words; False (a view is never ``x`` itself),
    for the op's ``identity`` hook, which sees the tensor before the forward runs."""
    if view_info(x) is None and id(x) not in user_layouts:
        return False  # not a view: contiguous, as PyTorch's fresh results (two dict lookups, no call)
    from .shape import _new_shape

    strides = layout(x)
    if strides is None:
        return False
    numel = math.prod(x.shape)
    sizes = _new_shape(shape, numel)
    if -1 in sizes:
        known = math.prod(n for n in sizes if n != -1)
        sizes = tuple(numel // known if n == -1 else n for n in sizes)
    if view_strides(tuple(x.shape), strides, sizes) is None:
        raise RuntimeError(VIEW_REFUSED)
    return False


def view_reference(x: np.ndarray, shape: Any) -> np.ndarray:
    """``view``'s reference: NumPy's reshape without a copy, which refuses (ValueError) exactly the
    layouts PyTorch's ``view`` refuses, so the kit's strided-view inputs check the rule above."""
    return np.reshape(x, shape, copy=False)
