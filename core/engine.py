"""The backward engine: replays a recorded graph in reverse, iteratively.

Dependencies are counted first (how many consumers each node has among the nodes
reached from the roots), then nodes run from a ready stack as soon as every consumer
has passed its cotangent on, as PyTorch's engine and HIPS autograd's toposort do: no
recursion, so a 100,000-op chain is as easy as a short one.

Two modes share the loop. Without ``create_graph``, cotangents are raw backend
arrays and each VJP runs with the backend namespace as ``xp``. With it, cotangents
are Tensors and VJPs run with ``tapegrad``'s own namespace, so the backward pass is
itself recorded and can be differentiated again.

Leaf gradients are gathered in a pending table and written to ``.grad`` only when
the whole pass succeeded, in two phases (every new value computed, then all assigned):
a failure leaves no partial gradient behind.

Threads: the commit holds a lock, so concurrent backward passes into shared leaves add
up exactly; a backward that frees the graph first claims the nodes it will free, so of
two threads backward through one graph exactly one runs and the other gets the "second
time" error before any VJP has run.
"""

from __future__ import annotations

import threading
from sys import getrefcount
from typing import AbstractSet, Any, Sequence

import numpy as np

from .backward_reuse import STATE as _reuse_state
from .backends import array_namespace, raise_if_unknown_size
from .grad_mode import ANOMALY, _anomaly, _grad_enabled
from .graph import Combine, Node, ShapeDtype, passthrough
from .hooks import array_tensor, as_array, hooked_leaves, leaf_hooks_of, node_hooks, retained_tensors, run_hooks
from .namespace import tensor_namespace
from .numpy_namespace import NAMESPACE
from .reuse import BIG
from .tensor import Tensor, _wrap
from .versions import MODIFIED, modified_after, version_of

__all__ = ["run_backward", "backward_scalar", "FREED_GRAPH_MESSAGE"]

ndarray = np.ndarray
_NOTHING: frozenset = frozenset()


FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)

# Guards the .grad commit (read, add, write back) and the claims on nodes to be freed.
_lock = threading.Lock()
_acquire, _release_lock = _lock.acquire, _lock.release  # the hot path's two holds: no ``with`` to enter and exit
# What each running backward without retain_graph will free, by id of the claim: the nodes it
# runs, as one or two collections (no per-node work when only one backward runs at a time).
_claims: dict[int, tuple] = {}


def check_finite(node: Node, i: int, c: Any) -> None:
    """Anomaly mode: NaN or inf in a cotangent raises, naming the node (imported lazily)."""
    from .autograd.anomaly import check_finite as check

    check(node, i, c)


def backward_scalar(root: Any, gradient: Any, retain_graph: Any, create_graph: Any, inputs: Any) -> bool:
    """The lean entry for ``loss.backward()`` (``Tensor.backward`` and ``autograd.backward`` call it
    first, with their arguments): a one-element NumPy root with a graph, and no ``gradient``,
    ``inputs`` or ``create_graph``. Such a call has nothing to validate, and its implicit gradient is
    ones of the root's shape and dtype, so the general normalisation is skipped. Returns False,
    having done nothing, for any other call."""
    if (gradient is not None or inputs is not None or create_graph is not False or type(root) is not Tensor
            or retain_graph is not None and type(retain_graph) is not bool):
        return False
    data = root._data
    if root._grad_fn is None or type(data) is not ndarray:
        return False
    if data.ndim == 0:  # a 0-d loss: a copy of the dtype's 0-d one, cheaper than making one
        unit = _UNITS.get(data.dtype)
        if unit is None:
            unit = _UNITS[data.dtype] = NAMESPACE.ones((), dtype=data.dtype)
        ones = unit.copy()  # its own array: a VJP or .grad may keep it, or write into it
    elif data.size == 1:
        ones = NAMESPACE.ones(data.shape, dtype=data.dtype)
    else:
        return False
    run_backward((root,), (ones,), retain_graph=retain_graph is True, create_graph=False)
    return True


_UNITS: dict[Any, ndarray] = {}  # NumPy dtype -> a 0-d one of it, never handed out (copied)


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    *,
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> list[Any] | None:
    """Propagate ``root_grads`` (arrays, or Tensors when ``create_graph``) back from ``roots``.

    Without ``inputs``: accumulate into the ``.grad`` of every leaf reached (and of
    tensors that called ``retain_grad``). With ``inputs``: compute only what reaches
    them and return the gradient for each (None where it was not reached),
    accumulating it into their ``.grad`` too when ``accumulate``.
    """
    buffers: dict[Node, Any] = {}
    pending: dict[int, list] = {}  # id(tensor) -> [tensor, summed cotangent]
    capture = inputs is not None
    if capture:
        targets = tuple(inputs)  # type: ignore[arg-type]
        target_leaves: AbstractSet[int] = {id(t) for t in targets if t._grad_fn is None}
        target_nodes: AbstractSet[Node] = {t._grad_fn for t in targets if t._grad_fn is not None}
    else:  # no per-call sets to build: the shared empty one
        targets, target_leaves, target_nodes = (), _NOTHING, _NOTHING

    for tensor, g in zip(roots, root_grads):
        node = tensor._grad_fn
        if node is None:
            if not capture or id(tensor) in target_leaves:
                _pend(pending, tensor, g)
        elif node in buffers:
            buffers[node] = buffers[node] + g
        else:
            buffers[node] = g

    captured: dict[Node, Any] = {}
    anomaly = _anomaly.get()
    # The common case, first order into .grad with no hooks or anomaly checks, calls each
    # input's rule right in the edge loop; every other case goes through _special_node.
    plain = not create_graph and not capture and not node_hooks and not retained_tensors and not anomaly
    carried = None  # a node whose last consumer just ran, with its cotangent: next, no bookkeeping
    carried_g = None
    # What carried_g was checked against (the stand-in or input of the consumer that passed it), and
    # the same for g while its node runs: a rule returning g itself to an input with that very
    # stand-in (interned per shape and dtype) needs no second check.
    carried_meta = meta = None
    node = claim = io = None
    # Grad mode is set for the VJPs that can record (they get tensors: create_graph, autograd.Function,
    # hooks); a plain backward's rules get arrays and the backend's namespace, so it switches only when
    # a node takes _special_node (a ContextVar set and reset cost two thousand instructions).
    token = None if plain else _grad_enabled.set((ANOMALY if anomaly else True) if create_graph else False)
    # A plain backward that frees the graph lets VJPs write into saved arrays nothing else holds
    # (backward_reuse.frees, inlined: this thread's setting, restored when this backward ends).
    freed_before = getattr(_reuse_state, "frees", False)
    _reuse_state.frees = plain and not retain_graph
    try:
        _acquire()  # count and claim at once: another backward sees this one's claim, or its frees
        try:
            deps = _count_dependencies(buffers)
            needed = _needed_nodes(buffers, target_nodes, target_leaves) if capture else None
            if not retain_graph:
                claim = _claim(buffers, deps, needed)
        finally:
            _release_lock()
        if len(buffers) == 1:  # one root (loss.backward()): it runs first, as a chain's next node does
            carried, carried_g = buffers.popitem()
            ready = []
        else:
            ready = [node for node in buffers if node not in deps]
        while True:
            if carried is not None:
                node = carried  # one assignment a name: a tuple swap would build a tuple a node
                g = carried_g
                meta = carried_meta
                carried = None
            elif ready:
                node = ready.pop()
                g = buffers.pop(node, None)
                meta = None
            else:
                break
            op = node.op
            io = node.io  # the n edges, then what each input's rule gets
            n = node.n
            rules = cotangents = like = None  # like: a result known to have g's shape and dtype
            if g is None:
                pass  # no cotangent reached this node: its inputs only need their counts lowered
            elif plain and op.vjps is not None:
                rules = op.vjps
                xp = node.xp
                out = node.out
                params = node.params
            else:
                if token is None:
                    token = _grad_enabled.set(False)
                cotangents = _special_node(node, g, create_graph, needed, target_leaves,
                                           target_nodes if capture else None, captured, pending, anomaly)
            if not retain_graph and (op.saves_inputs or op.saves_output):
                # Released before its rules run (they have io): a concurrent backward reading this
                # node then finds it freed, and never values a rule overwrote (backward_reuse).
                node.io = io[:n]  # node.freed is now True
                node.out = None
            for i in node.live:  # the edges that are not None (a stored tuple: no range to build)
                edge = io[i]
                if rules is not None:
                    rule = rules[i]
                    if rule is None:
                        c = None
                    elif rule is passthrough:
                        c = g
                    elif params:
                        c = rule(xp, g, out, *io[n:], **params)
                    elif type(rule) is Combine:  # fn(g, input j), called with no Python frame
                        v = io[n + rule.j]
                        if type(v) is float or type(v) is int:
                            # the ufunc the operator would call on an array (no operator slot, no argument tuple)
                            c = rule.ufunc(g, v) if type(g) is ndarray else rule.fn(g, v)
                            if type(c) is ndarray:
                                like = c  # an elementwise operator with a Python number: g's shape and dtype
                        else:
                            c = rule.fn(g, v)
                    elif n == 2:
                        c = rule(xp, g, out, io[2], io[3])
                    elif n == 1:
                        c = rule(xp, g, out, io[1])
                    else:
                        c = rule(xp, g, out, *io[n:])
                else:
                    c = None if cotangents is None else cotangents[i]
                if c is not None:
                    # The common case needs no fitting: an array of the input's shape and dtype.
                    saved = io[n + i]  # a stand-in (a tuple: unpacked), or the input itself (saved, or of unknown size)
                    if c is not g and c is not like or saved is not meta:
                        shape, dtype = saved if type(saved) is ShapeDtype else (saved.shape, saved.dtype)
                        if not (type(c) is ndarray and c.shape == shape and (c.dtype is dtype or c.dtype == dtype)):
                            c = _fit(node, i, c, shape, dtype)
                if isinstance(edge, Node):
                    remaining = deps[edge] - 1
                    if remaining:  # consumers still to run (the count's last 0 is never stored: no one reads it)
                        deps[edge] = remaining
                    elif carried is None and (needed is None or edge in needed):
                        previous = buffers.pop(edge, None) if buffers else None  # (empty along a chain)
                        carried = edge
                        carried_g = c if previous is None else (previous if c is None else _sum(previous, c, 3))
                        carried_meta = saved if previous is None and c is not None else None
                        continue
                    if c is not None:
                        previous = buffers.get(edge)
                        buffers[edge] = c if previous is None else _sum(previous, c, 4)
                    if remaining == 0 and (needed is None or edge in needed):
                        ready.append(edge)
                elif c is not None and (not capture or id(edge) in target_leaves):
                    _pend(pending, edge, c)
            if retain_graph and node.io is not io:  # another thread's backward freed it while its VJP ran
                raise RuntimeError(FREED_GRAPH_MESSAGE)
    except BaseException as exc:
        if claim is not None:
            _release(claim)
        if not isinstance(exc, Exception):  # KeyboardInterrupt and the like: as they are
            raise
        if retain_graph and node is not None and node.freed and exc.args != (FREED_GRAPH_MESSAGE,):
            raise RuntimeError(FREED_GRAPH_MESSAGE) from exc  # freed by another thread while its VJP read it
        if node is not None:
            _note_the_node(exc, node)
            raise_if_unknown_size(node.op.name, node.io if io is None else io, exc, "its gradient")
        raise
    finally:
        if token is not None:
            _grad_enabled.reset(token)
        _reuse_state.frees = freed_before
    # Drop the loop's last references, so that _commit can see which arrays nobody else holds.
    g = c = carried_g = previous = cotangents = saved = meta = carried_meta = io = v = like = None

    if claim is not None and (hooked_leaves or capture):  # released before hooks run (one may run a backward)
        _release(claim)
        claim = None
    if hooked_leaves:
        for entry in pending.values():
            hooks = leaf_hooks_of(entry[0])
            if hooks is not None and hooks.pre:
                entry[1] = run_hooks(hooks.pre, entry[1], tuple(entry[0].shape), "a leaf tensor")
    if not capture:
        _commit(pending, create_graph, claim)  # releases the claim under the commit's own hold of the lock
        return None
    results = [
        captured.get(t._grad_fn) if t._grad_fn is not None else _pending_value(pending, t)
        for t in targets
    ]
    if accumulate:
        _commit({id(t): [t, g] for t, g in zip(targets, results) if g is not None}, create_graph)
    return results


def _note_the_node(exc: Exception, node: Node) -> None:
    """Add to an error raised while ``node`` ran (its VJP, its hooks) which op and plugin it was, unless it says so."""
    op = node.op
    if f"plugin {op.plugin!r}" not in str(exc) and hasattr(exc, "add_note"):
        exc.add_note(f"(raised while computing the gradient of {op.node_name}: op {op.name!r}, registered by "
                     f"plugin {op.plugin!r})")


def _count_dependencies(roots: dict[Node, Any]) -> dict[Node, int]:
    """For every node reachable from ``roots``, how many reachable nodes feed it a cotangent.

    The walk goes straight on to a node's first newly found input node, without the stack:
    a chain of ops (the common shape of a graph) then costs no stack traffic."""
    deps: dict[Node, int] = {}
    stack = list(roots)
    push = stack.append
    several = len(stack) > 1  # one root is reached from no node (a graph has no cycles): no need to ask
    check_versions = bool(MODIFIED)  # any in-place write to an array still alive
    while stack:
        node: Node | None = stack.pop()
        while node is not None:
            io = node.io
            n = node.n
            if len(io) == n:  # freed by an earlier backward
                raise RuntimeError(FREED_GRAPH_MESSAGE)
            if check_versions:
                _check_saved_unmodified(node)
            live = node.live
            node = None
            for i in live:
                edge = io[i]
                if isinstance(edge, Node):
                    if edge in deps:
                        deps[edge] += 1
                    else:
                        deps[edge] = 1  # first visit: explore it (roots are explored already)
                        if not several or edge not in roots:
                            if node is None:
                                node = edge
                            else:
                                push(edge)
    return deps


def _release(claim: tuple) -> None:
    """End ``claim``: under the lock, so not during another's count and claim, which saw the graph
    before this backward's frees."""
    with _lock:
        del _claims[id(claim)]


def _claim(roots: dict[Node, Any], deps: dict[Node, int], needed: set[Node] | None) -> tuple:
    """Register the nodes this backward will run and free (called under ``_lock``, with the count).

    If another running backward claimed one of them that saved something, raise the
    "second time" error before any VJP has run: one of the two frees it. The claim is
    the graph's own collections, so a backward alone costs a dict entry, not a pass.
    """
    claim = (tuple(roots), deps if needed is None else needed)  # roots run (and free) even if not needed
    if _claims:
        mine = set().union(*claim)
        for other in _claims.values():
            for nodes in other:
                for node in mine.intersection(nodes):
                    if node.op.saves_inputs or node.op.saves_output:
                        raise RuntimeError(FREED_GRAPH_MESSAGE)
    _claims[id(claim)] = claim
    return claim


def _check_saved_unmodified(node: Node) -> None:
    """Refuse to run a VJP whose saved inputs or output were overwritten in place since."""
    op = node.op
    saved = []
    if op.saves_inputs and node.inputs is not None:
        saved += [(f"input {i}", v) for i, v in enumerate(node.inputs) if hasattr(v, "shape")]
    if op.saves_output and node.out is not None:
        saved.append(("output 0", node.out))
    for role, array in saved:
        if modified_after(array, node.epoch):
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{array.dtype} {list(array.shape)}], which is {role} of {op.node_name} "
                f"(op {op.name!r}, plugin {op.plugin!r}), is at version {version_of(array)}; it was "
                "saved before that. Clone the tensor before modifying it, or modify it out of place."
            )


def _needed_nodes(roots: dict[Node, Any], target_nodes: AbstractSet[Node], target_leaves: AbstractSet[int]) -> set[Node]:
    """Nodes from which some requested input can be reached: only they need to run."""
    needed: set[Node] = set()
    visited: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(node, False) for node in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:  # post-order: every edge target is already decided
            if node in target_nodes or any(
                (e in needed) if isinstance(e, Node) else (e is not None and id(e) in target_leaves)
                for e in node.edges
            ):
                needed.add(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((e, False) for e in node.edges if isinstance(e, Node) and e not in visited)
    return needed


def _special_node(node: Node, g: Any, create_graph: bool, needed: set[Node] | None,
                  target_leaves: AbstractSet[int], target_nodes: AbstractSet[Node] | None,
                  captured: dict[Node, Any], pending: dict[int, list], anomaly: bool) -> Sequence[Any] | None:
    """Everything a node may need beyond the plain case: its hooks, capture for
    ``autograd.grad``, ``retain_grad``, the create_graph VJP, anomaly checks."""
    g = array_tensor(g) if type(g) is Tensor else as_array(g)  # a sum of 0-d arrays is a NumPy scalar
    if node_hooks and id(node) in node_hooks:
        g = run_hooks(node.hooks, g, tuple(g.shape), f"the output of {node.op.node_name}")
    if target_nodes is not None:
        if node in target_nodes:
            captured[node] = g
    elif retained_tensors and id(node) in retained_tensors:
        retained = retained_tensors[id(node)]()
        if retained is not None:
            _pend(pending, retained, g)
    cotangents = _call_vjp(node, g, create_graph, needed, target_leaves)
    if anomaly and cotangents is not None:
        for i, c in enumerate(cotangents):
            if c is not None:
                check_finite(node, i, c)
    return cotangents


def _call_vjp(node: Node, g: Any, create_graph: bool, needed: set[Node] | None,
              target_leaves: AbstractSet[int]) -> Sequence[Any] | None:
    """Run the node's VJP rules for the inputs that need a cotangent."""
    op = node.op
    edges = node.edges
    if needed is None:
        wanted = None  # every edge that exists wants a cotangent
    else:
        wanted = [e is not None and (e in needed if isinstance(e, Node) else id(e) in target_leaves) for e in edges]
        if not any(wanted):
            return None
    if create_graph:
        if not op.second_order:
            raise RuntimeError(
                f"op {op.name!r} (plugin {op.plugin!r}) declares no second-order derivative, so "
                f"{op.node_name} cannot be differentiated with create_graph=True"
            )
        xp = tensor_namespace
        inputs = _tensor_inputs(node)
        out = _wrap(as_array(node.out), node) if node.out is not None else None
        g = array_tensor(g)
    else:
        xp = node.xp
        inputs = node.inputs
        out = node.out
    params = node.params
    if op.vjp_all is not None:
        cotangents = op.vjp_all(xp, g, out, *inputs, **params)
        if not isinstance(cotangents, (tuple, list)) or len(cotangents) != len(edges):
            raise RuntimeError(
                f"the vjp of op {op.name!r} (plugin {op.plugin!r}) must return a tuple of "
                f"{len(edges)} cotangents, got {type(cotangents).__name__}"
                + (f" of length {len(cotangents)}" if isinstance(cotangents, (tuple, list)) else "")
            )
        return cotangents
    rules = op.vjps or ()
    if wanted is None:
        return [None if e is None or rule is None else rule(xp, g, out, *inputs, **params)
                for rule, e in zip(rules, edges)]
    return [rule(xp, g, out, *inputs, **params) if want and rule is not None else None
            for rule, want in zip(rules, wanted)]


def _tensor_inputs(node: Node) -> tuple:
    """The node's inputs as tensors wired into the graph, so the VJP's own ops are recorded."""
    values = node.inputs
    rebuilt = []
    for value, edge in zip(values, node.edges):
        if isinstance(edge, Node):
            rebuilt.append(value if type(value) is ShapeDtype else _wrap(as_array(value), edge))  # stand-in: not read
        elif edge is not None:
            rebuilt.append(edge)  # a leaf: gradients must reach this very tensor
        elif type(value) is not ShapeDtype and hasattr(value, "shape"):
            rebuilt.append(_wrap(as_array(value)))  # a saved array no gradient flows to: a constant
        else:
            rebuilt.append(value)  # a Python scalar, or the stand-in of an unsaved input
    return tuple(rebuilt)


def _fit(node: Node, i: int, c: Any, shape: tuple, dtype: Any) -> Any:
    """Sum a broadcast-shaped cotangent down to input ``i``'s shape and cast it to its dtype."""
    tensor_mode = type(c) is Tensor
    xp = tensor_namespace if tensor_mode else node.xp
    if not tensor_mode and (not hasattr(c, "shape") or isinstance(c, np.generic)):
        if not isinstance(c, (int, float, complex, np.generic)):
            raise TypeError(
                f"the VJP of op {node.op.name!r} (plugin {node.op.plugin!r}) returned {type(c).__name__} for input "
                f"{i}; a cotangent must be an array (or tensor), a number, or None"
            )
        c = xp.asarray(c, dtype=dtype)  # Python or NumPy scalars from 0-d arithmetic
    cshape = tuple(c.shape)
    if cshape != shape:
        c = _sum_to_shape(xp, c, cshape, shape, node, i)
    cdtype = c._data.dtype if tensor_mode else c.dtype
    if cdtype != dtype:
        c = xp.astype(c, dtype)
    return c


def _sum_to_shape(xp: Any, c: Any, cshape: tuple, shape: tuple, node: Node, i: int) -> Any:
    lead = len(cshape) - len(shape)
    if lead < 0 or any(n != 1 and not _same_size(n, cshape[lead + k]) for k, n in enumerate(shape)):
        op = node.op
        raise RuntimeError(
            f"Function {op.node_name} returned an invalid gradient at index {i} - got {list(cshape)} "
            f"but expected shape compatible with {list(shape)} (op {op.name!r} registered by plugin "
            f"{op.plugin!r})"
        )
    axes = tuple(range(lead)) + tuple(lead + k for k, n in enumerate(shape) if n == 1 and cshape[lead + k] != 1)
    if axes:  # none when only unknown sizes differed (NaN != NaN); and tensors' sum over () sums all, as PyTorch's
        c = xp.sum(c, axis=axes, keepdims=True)
    return xp.reshape(c, shape) if lead else c


def _same_size(a: Any, b: Any) -> bool:
    """Equal sizes, an unknown one (NaN: a lazy backend's chunk of data-dependent length) matching
    anything: it cannot be checked without computing, and the backend checks it when it computes."""
    return a == b or a != a or b != b


def _pend(pending: dict[int, list], tensor: Tensor, c: Any) -> None:
    """Add ``c`` to the gradient gathered for ``tensor`` (written to ``.grad`` at the end)."""
    if type(c) is not ndarray and isinstance(c, np.generic):  # arithmetic on 0-d arrays gives NumPy scalars
        c = np.asarray(c)
    entry = pending.get(id(tensor))
    if entry is None:
        pending[id(tensor)] = [tensor, c]
    else:
        total = _sum(entry[1], c, 3)
        entry[1] = np.asarray(total) if isinstance(total, np.generic) else total


def _sum(previous: Any, c: Any, alone: int) -> Any:
    """``previous + c``, added into ``previous`` in place when it is a big array only the engine holds
    (``alone`` references to it, getrefcount's and this call's included; a VJP's result that was
    passed on to two inputs, kept by a hook or retained is held more often) and the sum has its shape
    and dtype. The same values either way: this saves an allocation and a pass over memory."""
    if (type(previous) is ndarray and type(c) is ndarray and previous.size >= BIG and previous.base is None
            and getrefcount(previous) == alone and previous.shape == c.shape and previous.dtype == c.dtype
            and previous.flags.writeable):
        previous += c
        return previous
    return previous + c


def _pending_value(pending: dict[int, list], tensor: Tensor) -> Any:
    entry = pending.get(id(tensor))
    return None if entry is None else entry[1]


# References to a gathered gradient array when only the engine holds it: the pending
# entry, the loop variable and getrefcount's own argument.
_ENGINE_ONLY_REFS = 3


def _commit(pending: dict[int, list], create_graph: bool, claim: tuple | None = None) -> None:
    """Write the gathered gradients into ``.grad``: accumulate in place, or adopt the array.

    Two phases under the lock: first every new value is computed and checked (this is
    where a bad ``.grad`` or a failing add raises), then all are assigned, which cannot
    fail; so an error leaves every ``.grad`` as it was, and concurrent backward passes
    into one leaf add up exactly.

    A leaf's first gradient adopts the gathered array when nothing else refers to it
    (PyTorch's AccumulateGrad checks the use count the same way), else takes a copy:
    two leaves, or a leaf and the caller's ``gradient``, never share memory.

    ``claim``: the calling backward's claim on the nodes it freed, released under the same hold of
    the lock (one acquisition fewer a ``backward()``), before anything here can raise.
    """
    _acquire()  # (acquire and release: a third of the cost of ``with``; the finally releases it)
    try:
        if claim is not None:  # the claim of the backward that gathered these ends first, whatever follows
            del _claims[id(claim)]
        # Phase one: (tensor, its new .grad), or (an old .grad, its new array), or (an old
        # .grad's array, what to add into it in place). Nothing is written yet.
        writes: list[tuple[Any, Any]] = []
        for tensor, c in pending.values():
            old = tensor._grad
            if create_graph:
                # A private copy in the same graph position (PyTorch clones here too): two leaves
                # fed by one cotangent, or the user's own gradient tensor, must not share a .grad.
                c = array_tensor(c)
                grad = _wrap(_copy(c._data), c._grad_fn)
                writes.append((tensor, grad if old is None else _accumulated(old, grad)))
            else:
                if type(c) is Tensor:
                    c = as_array(c._data)
                if old is None:
                    alone = type(c) is ndarray and c.base is None and getrefcount(c) <= _ENGINE_ONLY_REFS
                    writes.append((tensor, _wrap(c if alone and c.shape == tensor._data.shape else _copy(c))))
                else:
                    data = old._data
                    if (type(data) is ndarray and type(c) is ndarray and c.shape == data.shape
                            and (c.dtype is data.dtype or c.dtype == data.dtype) and data.flags.writeable):
                        writes.append((data, c))  # the common case: add in place, which cannot fail
                    else:
                        writes.append((old, _accumulated(old, _wrap(c))._data))
            del c
        # Phase two: assign everything (the kind of write told by the types); nothing here can raise.
        for target, value in writes:
            if type(target) is ndarray:
                target += value
            elif type(value) is Tensor:
                target._grad = value
            else:
                target._data = value
                target._meta = None
    finally:
        _release_lock()
    if hooked_leaves:  # after every .grad is written, outside the lock: a hook may run backward
        for tensor, _ in pending.values():
            hooks = leaf_hooks_of(tensor)
            if hooks is not None:
                for hook in list(hooks.post):
                    hook(tensor)


def _accumulated(old: Tensor, c: Tensor) -> Tensor:
    """``old + c`` (through the add op: recorded under create_graph) if it keeps the shape and dtype
    of the ``.grad`` it replaces, else the error PyTorch's accumulation raises (a ``.grad`` given
    another dtype or shape through ``.data``)."""
    total = old + c
    if total._data.dtype != old._data.dtype:
        raise RuntimeError(f"result type {total.dtype} can't be cast to the desired output type {old.dtype}")
    if tuple(total.shape) != tuple(old.shape):
        raise RuntimeError(
            f"output with shape {list(old.shape)} doesn't match the broadcast shape {list(total.shape)}"
        )
    return total


def _copy(array: Any) -> Any:
    array = as_array(array)
    if type(array) is np.ndarray:
        return array.copy()
    return array_namespace(array).asarray(array, copy=True)
