"""The kit's layout check: an op declaring ``layout="contiguous"`` keeps or copies as PyTorch's does.

PyTorch's ``x.contiguous()`` returns ``x`` itself where ``x.is_contiguous()``, else a contiguous
copy. The values are the same either way, so no check comparing values or gradients tells a wrong
answer about the layout (an op copying every input, or returning a transposed view as it is, after
which ``view`` silently copies) from the right one. Here the answer comes from the memory itself:
NumPy's ``flags.c_contiguous`` is PyTorch's rule (strides of size-1 dimensions ignored, an empty
array contiguous), read off the array the input holds, never from tapegrad's own stride tracking.

The op's first input is given fresh (contiguous); as a contiguous view of a larger base (its later
rows, or a size-1 first dimension with the base's stride); in every strided layout of the strided
check (not contiguous, except an empty array; on NumPy the transposed one a leaf over a user's
column-major array, ``from_numpy(a.T)``, whose strides PyTorch keeps); and on NumPy a view of such
a leaf. Where the memory is contiguous the result must be the input itself; elsewhere a new tensor
sharing no memory with it, of its values, on NumPy laid out row-major. Eager backends only (a lazy
one has no memory layout); one forward per input, no gradients: the gradient of a copy is the
strided check's.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from ..backends import to_numpy
from ..creation import as_tensor, from_numpy
from ..grad_mode import no_grad
from ..tensor import Tensor
from .samples import Sample, materialize
from .strided import _filler, layouts_for, strided_view

__all__ = ["check_layout", "layout_inputs"]


def layout_inputs(make: Callable[[np.ndarray], Tensor], array: np.ndarray,
                  user_memory: bool = False) -> Iterator[tuple[str, Tensor, Tensor]]:
    """``(label, tensor, base)`` for each layout ``array``'s values are given in (see the module's
    docstring); ``make`` builds a leaf from a NumPy array on some backend, ``user_memory``: also a
    tensor over a column-major NumPy array, as ``from_numpy`` makes it (NumPy only)."""
    fresh = make(array)
    yield "fresh", fresh, fresh
    if array.ndim and array.shape[0]:
        n = array.shape[0]
        buffer = np.full((2 * n,) + array.shape[1:], _filler(array.dtype), dtype=array.dtype)
        rows = slice(n, None) if n > 1 else slice(None, None, 2)  # an offset, or a size-1 dim's odd stride
        buffer[rows] = array
        base = make(buffer)
        with no_grad():
            yield "a contiguous view", base[rows], base
    for layout in layouts_for([array]):
        view, base = strided_view(make, array, layout, user_memory)
        yield f"strided ({layout})", view, base
    if user_memory and sum(n > 1 for n in array.shape) >= 2:  # the leaf itself is the transposed layout's
        leaf = from_numpy(np.asfortranarray(array))
        with no_grad():
            yield "a view of a column-major NumPy array (from_numpy(a.T)[...])", leaf[...], leaf


def _memory(t: Tensor) -> np.ndarray:
    return np.asarray(to_numpy(t._data))


def check_layout(ctx: Any) -> None:
    """An op declaring ``layout="contiguous"`` returns its first input itself exactly where that
    input's memory is contiguous, else a copy sharing no memory with it (row-major on NumPy)."""
    from .kit import SEED, _apply, _each, _fail, _leaves, _other_backends
    from ..optable import table

    op = ctx.op
    backends = [table().backends[n] for n in ("numpy", *_other_backends(ctx)) if not table().backends[n].lazy]

    def one(k: int, sample: Sample) -> None:
        arrays = materialize(op, sample, "float64", SEED + k)
        if not arrays or not isinstance(arrays[0], np.ndarray):
            return
        for backend in backends:
            def make(a: np.ndarray) -> Tensor:
                return as_tensor(backend.from_numpy(a))

            rest = _leaves(op, arrays[1:], False, make)
            for how, x, base in layout_inputs(make, arrays[0], user_memory=backend.name == "numpy"):
                label = f"[{backend.name}, input 0 {how}]"
                out = _apply(op, [x, *rest], sample.call_params)
                held = _memory(x)
                if held.flags.c_contiguous:
                    if out is not x:
                        raise _fail(ctx, "layout", sample, f"{label} returned a new tensor, where the input is "
                                    "contiguous already: PyTorch's returns the input itself", arrays)
                    continue
                if out is x:
                    raise _fail(ctx, "layout", sample, f"{label} returned the input itself, which is not contiguous "
                                f"(strides {[s // held.itemsize for s in held.strides]} for shape "
                                f"{list(held.shape)}): PyTorch's returns a contiguous copy", arrays)
                got = _memory(out)
                if np.may_share_memory(got, _memory(base)):
                    raise _fail(ctx, "layout", sample, f"{label} the result shares memory with the input, which is "
                                "not contiguous: PyTorch's is a copy", arrays)
                if not np.array_equal(got, held, equal_nan=True):
                    raise _fail(ctx, "layout", sample, f"{label} the copy's values differ from the input's", arrays)
                if backend.name == "numpy" and not got.flags.c_contiguous:
                    raise _fail(ctx, "layout", sample, f"{label} the copy is not laid out row-major (strides "
                                f"{[s // got.itemsize for s in got.strides]})", arrays)

    _each(ctx, "layout", ctx.samples, one)
