"""Views: tensors sharing memory with a base tensor, and history rewritten through them.

An op registered with ``view=True`` (reshape, transpose, getitem with a basic key, ...)
may return a result sharing memory with its first input. When it really does, the
result gets a ``ViewInfo`` (in a side table keyed by the view): its root base tensor
(views of views point at the same root) and the chain of view calls that make it from
that base. A second table lists each base's live views.

An in-place op on a view V of base B writes into B's memory, so B's history must change
too, as in PyTorch: B takes a ``CopySlices`` node whose inputs are B's old history and
the new value of V. Its VJP finds which elements of B the view holds by replaying the
chain on an index array; the cotangent at those elements flows to V's new value, the
rest to B's old history. Both rules are written with ``xp`` ops (reshape, getitem,
index_put), so second order works. After any recorded write to B or one of its views,
every live view of B takes a ``grad_fn`` replaying its chain on B's new history, since
its values may have changed.

As PyTorch, some views refuse recorded writes: those of functions returning several
views (split, chunk, iteration), views made under ``no_grad``, and views that repeat
elements (expand). The first two are invalidated instead of replayed when their base
changes: backward through them raises PyTorch's error.
"""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .graph import Node, ShapeDtype
from .grad_mode import grad_enabled_fast
from .registry import OpDef
from .tensor import Tensor
from .versions import base_chain

__all__ = ["ViewInfo", "view_info", "record_view", "mark_multiple", "shares_memory", "check_writable",
           "rewrite_base", "refresh_views", "has_live_views"]

ndarray = np.ndarray

MULTIPLE_TAIL = (
    "This view is the output of a function that returns multiple views. Such functions do not allow the "
    "output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
)
NO_GRAD_TAIL = (
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
    "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
    "inplace to be tracked) or both outside (if you want the inplace to be tracked)."
)
OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single memory "
    "location. Please clone() the tensor before performing the operation."
)


class ViewInfo(weakref.ref):
    """What a view remembers, as a weak reference to the view itself (calling it gives the view).

    ``base``: the root base tensor; ``chain``: one ``(op, extra positional args, params, input
    array)`` per view op from the base; ``multiple``: ``(function name, output index)`` when made
    by a function returning several views (or a view of such a view: then ``(last view op, 0)``);
    ``no_grad``: 0 if made with grad mode on, 1 if made under ``no_grad``, 2 if a view of such a
    view; ``overlapping``: some step may repeat elements (expand), so writes are refused;
    ``steps``: the chain normalised for replay, made on its first replay.
    One object per view, whose death callback drops it from the side tables.
    """

    __slots__ = ("base", "chain", "multiple", "no_grad", "overlapping", "key", "steps")
    base: Tensor
    chain: tuple
    multiple: tuple[str, int] | None
    no_grad: int
    overlapping: bool
    key: int
    steps: tuple | None  # the chain normalised for replay, made once on first use


def view_info(tensor: Tensor) -> ViewInfo | None:
    """The tensor's ``ViewInfo``, or None when it is not a tracked view."""
    return _info.get(id(tensor))


# Side tables, so that tensors that are not views carry nothing: id(view) -> its ViewInfo, and
# id(base) -> {id(view): ViewInfo}. A view holds its base, so the base outlives it; the view's
# death drops both entries (``_drop``) before its id can be reused.
_info: dict[int, ViewInfo] = {}
_live: dict[int, dict[int, ViewInfo]] = {}


def _drop(info: Any) -> None:
    _info.pop(info.key, None)
    base_key = id(info.base)
    views = _live.get(base_key)
    if views is not None:
        views.pop(info.key, None)
        if not views:
            del _live[base_key]


def shares_memory(out: Any, x: Any) -> bool:
    """Whether ``out`` is a view of ``x``'s memory: exact for NumPy (same owning array).

    Other backends are asked through their NumPy conversion when it shares memory (as
    array-api-strict's does); where it copies (a device backend), the op's declaration
    is trusted.
    """
    if type(out) is ndarray:
        if type(x) is not ndarray or out.base is None:
            return False
        return base_chain(out)[-1] is base_chain(x)[-1]
    from .backends import backend_of, to_numpy

    if backend_of(x).lazy:
        return True  # converting would compute: the declaration is trusted (writes are refused, check_writable)
    host = to_numpy(x)
    if not np.may_share_memory(host, to_numpy(x)):
        return True  # the conversion copies: nothing to compare
    return bool(np.may_share_memory(to_numpy(out), host))


def record_view(out: Tensor, x: Tensor, op: OpDef, rest: tuple, params: dict) -> None:
    """Mark ``out`` as the view ``op(x, *rest, **params)`` of ``x``'s root base.

    The step keeps the call as given and ``x``'s array (memory the view keeps alive anyway);
    it is normalised only if the view is ever replayed (``_steps``), which is rare.
    """
    parent = _info.get(id(x))
    step = (op, rest, params, x._data)
    no_grad = 0 if grad_enabled_fast() else 1
    if parent is None:
        base, chain, multiple, overlapping = x, (step,), None, False
    else:
        base, chain, overlapping = parent.base, parent.chain + (step,), parent.overlapping
        multiple = None if parent.multiple is None else (_short_name(op, params), 0)
        if parent.no_grad and not no_grad:
            no_grad = 2
    info = ViewInfo(out, _drop)
    info.base, info.chain, info.multiple, info.no_grad = base, chain, multiple, no_grad
    info.steps = None  # the chain normalised, made on the first replay
    info.overlapping = overlapping or op.view == "broadcast"
    info.key = key = id(out)
    _info[key] = info
    views = _live.get(id(base))
    if views is None:
        views = _live[id(base)] = {}
    views[key] = info


def _steps(info: ViewInfo) -> tuple:
    """The view's chain as ``(op, keyword params, stand-in of the step's input)`` triples, worked out
    on the first replay and kept (the chain never changes after the view is made)."""
    if info.steps is None:
        from .dispatch import normalize_params

        info.steps = tuple((op, normalize_params(op, rest, params), _stand_in(source))
                           for op, rest, params, source in info.chain)
    return info.steps


def mark_multiple(outputs: Any, name: str, first: int = 0) -> Any:
    """Mark each view among ``outputs`` as output ``first + i`` of ``name``, a function returning several
    views (unless marked already: ``chunk`` calls ``split``, and PyTorch names ``Split`` in its errors).
    Returns ``outputs``."""
    for i, t in enumerate(outputs):
        info = view_info(t) if type(t) is Tensor else None
        if info is not None and info.multiple is None:
            info.multiple = (name, first + i)
    return outputs


def has_live_views(base: Tensor) -> bool:
    return id(base) in _live


def _short_name(op: OpDef, params: dict | None = None) -> str:
    """The op's node name without ``Backward0`` (``Select``), as PyTorch's view errors name it."""
    name = op.node_name
    if op.node_namer is not None and params is not None:
        try:
            name = op.node_namer(params, None)
        except Exception:
            pass
    return name[:-len("Backward0")] if name.endswith("Backward0") else name


# ---------------------------------------------------------------------- refusing writes
def check_writable(tensor: Tensor, info: ViewInfo | None) -> None:
    """Refuse writes into memory whose elements repeat (an expanded tensor) or is read-only."""
    data = tensor._data
    if info is not None and info.overlapping:
        raise RuntimeError(OVERLAP_MESSAGE)
    if type(data) is not ndarray and (info is not None or has_live_views(tensor)):
        from .backends import backend_of

        backend = backend_of(data)
        if backend.lazy:
            raise RuntimeError(
                f"in-place writes through a view, or into a tensor that has views, are not supported on the lazy "
                f"backend {backend.name!r}: its arrays share no memory, so the other tensors would not see the write; "
                "use the out-of-place op (or clone() first)")
    if type(data) is ndarray and not data.flags.writeable:
        if any(s == 0 and n > 1 for s, n in zip(data.strides, data.shape)):
            raise RuntimeError(OVERLAP_MESSAGE)
        raise RuntimeError(
            "the tensor's memory is read-only (it was made from a read-only NumPy array), so it cannot be "
            "modified in place; write into a copy (tensor.clone())"
        )


def check_recorded_write(info: ViewInfo) -> None:
    """PyTorch's refusals of a write through a view that autograd would have to record."""
    if info.multiple is not None:
        name, i = info.multiple
        raise RuntimeError(f"Output {i} of {name} is a view and is being modified inplace. {MULTIPLE_TAIL}")
    if info.no_grad == 1:
        raise RuntimeError(
            f"A view was created in no_grad mode and is being modified inplace with grad mode enabled. {NO_GRAD_TAIL}"
        )
    if info.no_grad == 2:
        name = _short_name(info.chain[-1][0], info.chain[-1][2])  # the op of the last step
        raise RuntimeError(
            f"Output 0 of {name} is a view of a view which was created in no_grad mode and is being modified "
            f"inplace with grad mode enabled. {NO_GRAD_TAIL}"
        )


# ---------------------------------------------------------------------- CopySlices
def _positions(chain: tuple, shape: tuple[int, ...]) -> np.ndarray:
    """Where in the flattened base each element of the view lies: the chain replayed on ``arange``.

    Worked out from shapes alone at backward (nothing is kept between); view ops only move
    elements, so their forwards run on an index array as on any other.
    """
    from .backends import backend_named

    xp = backend_named("numpy").xp
    index = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)
    for op, params, _ in chain:
        index = op.forward(xp, index, **params)
    return np.asarray(index)


def _base_rule(xp: Any, g: Any, out: Any, base: Any, value: Any, *, chain: tuple) -> Any:
    # The elements the write did not replace: g with the view's elements set to exactly 0 (no
    # subtraction, so an infinite g stays infinite where it belongs).
    flat = xp.index_put(xp.reshape(g, (-1,)), 0.0, index=_positions(chain, tuple(base.shape)).reshape(-1))
    return xp.reshape(flat, tuple(base.shape))


def _value_rule(xp: Any, g: Any, out: Any, base: Any, value: Any, *, chain: tuple) -> Any:
    return xp.getitem(xp.reshape(g, (-1,)), index=_positions(chain, tuple(base.shape)))


def _invalid_rule(xp: Any, g: Any, out: Any, base: Any, *, message: str) -> Any:
    raise RuntimeError(message)


def _core_op(name: str, node_name: str, nin: int, vjps: tuple) -> OpDef:
    return OpDef(
        name=name, forward=lambda *a, **k: None, plugin="tapegrad", nin=nin, vjps=vjps, vjp_all=None,
        differentiable=None, saves_inputs=False, saves_output=False, params=(), param_aliases={},
        aliases=(), methods=(), second_order=True, broadcasts=False, promotion=False, backends=None,
        domain=None, samples=None, dtypes=None, node_name=node_name, doc="",
    )


COPY_SLICES = _core_op("copy_slices", "CopySlices", 2, (_base_rule, _value_rule))
INVALID = _core_op("invalid_view", "Invalid", 1, (_invalid_rule,))


def _stand_in(data: Any) -> ShapeDtype:
    from .dispatch import stand_in  # dispatch imports this module: on use

    return stand_in(data)


def _xp_of(data: Any) -> Any:
    from .backends import backend_of

    return backend_of(data).xp


def rewrite_base(view: Tensor, info: ViewInfo, value_node: Node | None) -> None:
    """After a recorded write into ``view``: its base's history becomes CopySlices(old, new value)."""
    base = info.base
    old = base._grad_fn if base._requires_grad else None
    node = Node(COPY_SLICES, {"chain": _steps(info)}, (old, value_node),
                (_stand_in(base._data), _stand_in(view._data)), None, _xp_of(base._data))
    base._grad_fn = node
    base._requires_grad = True
    refresh_views(base)


def refresh_views(base: Tensor) -> None:
    """Give every live view of ``base`` a history replaying its chain on ``base``'s current one."""
    views = _live.get(id(base))
    if not views or not base._requires_grad:
        return
    xp = _xp_of(base._data)
    for info in list(views.values()):
        view = info()
        if view is None:
            continue
        edge: Any = base._grad_fn or base
        if info.multiple is not None or info.no_grad:
            view._grad_fn = Node(INVALID, {"message": _invalid_message(info)}, (edge,),
                                 (_stand_in(view._data),), None, xp)
        else:
            for op, params, source in _steps(info):
                edge = Node(op, params, (edge,), (source,), None, xp)
            view._grad_fn = edge
        view._requires_grad = True


def _invalid_message(info: ViewInfo) -> str:
    if info.multiple is not None:
        name, i = info.multiple
        return (f"Output {i} of {name} is a view and its base or another view of its base has been modified "
                f"inplace. {MULTIPLE_TAIL}")
    return ("A view was created in no_grad mode and its base or another view of its base has been modified "
            f"inplace with grad mode enabled. {NO_GRAD_TAIL}")
