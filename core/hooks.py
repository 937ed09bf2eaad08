"""Gradient hooks: functions run on a tensor's gradient during backward.

A non-leaf tensor's hooks live with the node that made it, in a side table keyed by
node id (they see the total gradient flowing into that node, and outlive the tensor
object as in PyTorch). A leaf's hooks live on the leaf itself (``Tensor._hooks``), so
a hook whose closure refers to its own leaf makes a cycle the garbage collector can
free; a module-level table holding them would keep the leaf alive forever. Programs
that never register a hook pay nothing per op: the engine tests the tables' truth only.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from .graph import Node
    from .tensor import Tensor

__all__ = ["RemovableHandle", "node_hooks", "hooked_leaves", "leaf_hooks_of", "hooks_of_node", "add_hook", "as_array",
           "array_tensor"]

Hook = Callable[[Any], Any]

# id(node) -> weak reference to every node whose ``hooks`` slot holds hooks on the gradient of the
# tensor it produced (dropped when the node dies): the engine's cheap "any node hooks?" test. The
# node holds its hooks, not this module: a hook closing over its tensor (``y.register_hook(lambda g:
# g * y.sum())``) is then a cycle the collector frees, where an entry here kept the graph alive, and
# every later backward off its plain path, for as long as the process ran.
node_hooks: dict[int, weakref.ref[Node]] = {}
# id(leaf) -> weak reference to every leaf whose ``_hooks`` holds hooks (dropped when it dies):
# the engine's cheap "any leaf hooks?" test, and the way it knows ``_hooks`` is set.
hooked_leaves: dict[int, weakref.ref[Tensor]] = {}
# id(node) -> weak reference to the non-leaf tensor that called retain_grad()
retained_tensors: dict[int, weakref.ref[Tensor]] = {}


class LeafHooks:
    """A leaf's hooks: ``pre`` on its gradient before accumulation, ``post`` on the leaf after."""

    __slots__ = ("pre", "post")

    def __init__(self) -> None:
        self.pre: list[Hook] = []
        self.post: list[Callable[[Tensor], None]] = []


def leaf_hooks_of(tensor: Tensor) -> LeafHooks | None:
    """The hooks registered on ``tensor`` (a leaf), or None."""
    return tensor._hooks if id(tensor) in hooked_leaves else None


def hooks_of_node(node: Node) -> list[Hook] | None:
    """The hooks registered on the gradient of the tensor ``node`` made, or None."""
    return node.hooks if id(node) in node_hooks else None


def _leaf_hooks(tensor: Tensor) -> LeafHooks:
    hooks = leaf_hooks_of(tensor)
    if hooks is None:
        hooks = tensor._hooks = LeafHooks()
        key = id(tensor)
        hooked_leaves[key] = weakref.ref(tensor)
        weakref.finalize(tensor, hooked_leaves.pop, key, None)  # ids are reused once the leaf is gone
    return hooks


def retain(tensor: Tensor) -> None:
    """Keep ``tensor``'s gradient in ``.grad`` after backward (``Tensor.retain_grad``)."""
    node = tensor._grad_fn
    assert node is not None
    key = id(node)
    if key not in retained_tensors:
        weakref.finalize(node, retained_tensors.pop, key, None)

    def forget(ref: weakref.ref, key: int = key) -> None:  # the tensor died: nothing is retained for its node
        if retained_tensors.get(key) is ref:
            del retained_tensors[key]

    retained_tensors[key] = weakref.ref(tensor, forget)


def retains(tensor: Tensor) -> bool:
    """Whether ``retain_grad`` was called on this non-leaf tensor (for its current node)."""
    node = tensor._grad_fn
    ref = retained_tensors.get(id(node)) if node is not None else None
    return ref is not None and ref() is tensor


def as_array(value: Any) -> Any:
    """A NumPy scalar (what arithmetic on 0-d arrays returns) as a 0-d array; anything else as is.

    Every value the engine hands out in a Tensor goes through here: a Tensor wrapping a NumPy
    scalar has no backend, so the next op on it would fail.
    """
    return np.asarray(value) if isinstance(value, np.generic) else value


def array_tensor(value: Any) -> Tensor:
    """``value`` (a raw array or a Tensor) as a Tensor whose data is an array, never a NumPy scalar."""
    from .tensor import Tensor, _wrap

    if type(value) is not Tensor:
        return _wrap(as_array(value))
    if isinstance(value._data, np.generic):
        return _wrap(np.asarray(value._data), value._grad_fn)
    return value


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list, fn: Callable[..., Any]) -> None:
        self._hooks = hooks
        self._fn = fn

    def remove(self) -> None:
        """Unregister the hook; removing twice is harmless."""
        try:
            self._hooks.remove(self._fn)
        except ValueError:
            pass

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(tensor: Tensor, fn: Hook) -> RemovableHandle:
    """Register ``fn`` on ``tensor``'s gradient (see ``Tensor.register_hook``)."""
    if not callable(fn):
        raise TypeError(f"a hook must be callable, got {type(fn).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = tensor._grad_fn
    hooks: list[Hook] | None
    if node is None:
        hooks = _leaf_hooks(tensor).pre
    else:
        hooks = hooks_of_node(node)
        if hooks is None:
            hooks = node.hooks = []
            key = id(node)
            node_hooks[key] = weakref.ref(node)
            weakref.finalize(node, node_hooks.pop, key, None)  # ids are reused once the node is gone
    hooks.append(fn)
    return RemovableHandle(hooks, fn)


def add_post_accumulate_hook(tensor: Tensor, fn: Callable[[Tensor], None]) -> RemovableHandle:
    """Register ``fn(tensor)`` to run after backward updates this leaf's ``.grad``."""
    if not callable(fn):
        raise TypeError(f"a hook must be callable, got {type(fn).__name__}")
    if tensor._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = _leaf_hooks(tensor).post
    hooks.append(fn)
    return RemovableHandle(hooks, fn)


def run_hooks(hooks: list[Hook], grad: Any, shape: tuple, where: str) -> Any:
    """Apply hooks in order; each may return a replacement gradient (a Tensor) or None.

    A replacement must keep the gradient's shape and dtype (PyTorch refuses a hook that
    changes either); ``grad`` comes back as it came, a raw array or a Tensor.
    """
    from .tensor import Tensor

    tensor_mode = type(grad) is Tensor
    value = array_tensor(grad)
    dtype = value._data.dtype
    for fn in list(hooks):
        result = fn(value)
        if result is None:
            continue
        if type(result) is not Tensor:
            raise TypeError(f"a hook on {where} must return a Tensor or None, got {type(result).__name__}")
        if tuple(result.shape) != tuple(shape):
            raise RuntimeError(
                f"hook on {where} returned a gradient of shape {list(result.shape)}, expected {list(shape)}"
            )
        if result._data.dtype != dtype:
            raise RuntimeError(
                f"hook {getattr(fn, '__name__', type(fn).__name__)!r} on {where} has changed the type of "
                f"value (was {value.dtype} got {result.dtype})"
            )
        value = array_tensor(result)
    return value if tensor_mode else value._data
