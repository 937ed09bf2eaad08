"""The kit's buffer-reuse check: a VJP writing into a dying saved input gives what it gives without.

``tapegrad.backward_reuse`` lets a VJP write its result into an input its node saved, when a
backward that frees the graph is running and nothing else holds that array (``times`` in
``ops_builtin/cotangents.py``: ``square``'s ``2 * g * x`` into ``x``). It starts at ``reuse.BIG``
elements, far above any sample, so no other check ever runs that path: a rule donating an array
the caller still holds (the user's leaf), or donating where the result would differ, passes them
all. Here the threshold is lowered to one element for the check's own backwards, and each sample's
gradients of a freeing ``backward()`` (a random cotangent) are compared, bit for bit, with
those of the same backward with reuse off, twice: with the inputs held by the caller (leaves,
which nothing may write into: their values are compared after each backward) and with them
dying (each input a fresh ``clone`` of its leaf that only the op's node holds once the call
returns, so a VJP may write into it). NumPy only (nothing else is donated); float64.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from typing import Any, Iterator

import numpy as np

from .. import backward_reuse
from ..tensor import Tensor, _wrap
from .samples import Sample, materialize

__all__ = ["check_buffer_reuse", "reuse_threshold"]


@contextlib.contextmanager
def reuse_threshold(elements: int) -> Iterator[None]:
    """Backward buffer reuse from ``elements`` elements up for the block (``sys.maxsize``: off)."""
    saved = backward_reuse.BIG
    backward_reuse.BIG = elements
    try:
        yield
    finally:
        backward_reuse.BIG = saved


def _reuse_blocked() -> str | None:
    """Why no backward in this process may reuse buffers now, if something global turns it off: a
    hook on a non-leaf tensor's gradient or a ``retain_grad()`` alive anywhere takes every backward
    off the plain path (garbage in cycles is collected first), and so does anomaly mode."""
    from .. import hooks
    from ..grad_mode import _anomaly

    if hooks.node_hooks or hooks.retained_tensors:
        gc.collect()  # hooks that close over their tensors are cycles the collector may not have reached
    if hooks.node_hooks or hooks.retained_tensors:
        return (f"{len(hooks.node_hooks)} tensor(s) with gradient hooks (register_hook on a non-leaf tensor) and "
                f"{len(hooks.retained_tensors)} with retain_grad() are alive in this process")
    return "anomaly mode is on" if _anomaly.get() else None


def check_buffer_reuse(ctx: Any) -> None:
    """See the module's docstring."""
    from .kit import SEED, _call, _each, _fail, _leaves, _seeded

    op = ctx.op
    blocked = _reuse_blocked()
    if blocked is not None:  # the check would compare reuse off with reuse off: it must not pass so
        raise _fail(ctx, "buffer_reuse", None, f"the check cannot run: {blocked}, which turns backward buffer "
                    "reuse off for every backward; run the kit where none is (release those tensors first)")

    def grads(arrays: list[Any], params: Any, u: np.ndarray | None, dying: bool,
              elements: int) -> tuple[list[Any], Any, Any]:
        leaves = _leaves(op, [a.copy() if isinstance(a, np.ndarray) else a for a in arrays])
        wrt = [t for t in leaves if type(t) is Tensor and t.requires_grad]
        args = [t.clone() if dying and type(t) is Tensor and t.requires_grad else t for t in leaves]
        with reuse_threshold(elements), _seeded() if op.random else contextlib.nullcontext():
            out = _call(op, args, params)
            del args  # a dying input is now held by the op's node alone
            if not out.requires_grad:
                return [], None, leaves
            cotangent = u if u is not None else np.random.default_rng(SEED).standard_normal(tuple(out.shape))
            out.backward(_wrap(cotangent.astype(out._data.dtype)))  # into .grad: grad() keeps what it reads
        return [None if t.grad is None else np.asarray(t.grad._data) for t in wrt], cotangent, leaves

    def one(k: int, sample: Sample) -> None:
        arrays, params = materialize(op, sample, "float64", SEED + k), sample.call_params
        want, u, _ = grads(arrays, params, None, False, sys.maxsize)
        for dying in (False, True):
            got, _, leaves = grads(arrays, params, u, dying, 1)
            how = "dying inputs (only the op's node holds them)" if dying else "inputs the caller holds"
            for i, (a, b) in enumerate(zip(got, want)):
                same = (a is None) == (b is None) and (a is None or (
                    a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)))
                if not same:
                    raise _fail(ctx, "buffer_reuse", sample, f"with backward buffer reuse on, for {how}, the "
                                f"gradient of the input requiring grad numbered {i} (from 0) differs from the one "
                                f"without reuse ({a!r} against {b!r}): a VJP wrote into a saved array that was not dying, or "
                                "its in-place result is not the one it computes otherwise", arrays)
            for i, (t, a) in enumerate(zip(leaves, arrays)):  # the leaves (cloned or not) are the caller's
                if type(t) is Tensor and not np.array_equal(np.asarray(t._data), a, equal_nan=True):
                    raise _fail(ctx, "buffer_reuse", sample, f"with backward buffer reuse on, the backward wrote "
                                f"into input {i}, which the caller holds (a leaf): a VJP may write only into a "
                                "saved array that nothing else holds (tapegrad.backward_reuse.donatable)", arrays)

    _each(ctx, "buffer_reuse", ctx.samples, one)
