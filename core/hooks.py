"""Gradient hooks: functions run on a tensor's gradient during backward.

Kept in side tables, not on tensors or nodes, so that programs that never register a
hook pay nothing per op. A non-leaf tensor's hooks live with the node that made it
(they see the total gradient flowing into that node); a leaf's with the leaf, run on
its total gradient before it is accumulated into ``.grad``.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["RemovableHandle", "node_hooks", "leaf_hooks", "post_accumulate_hooks", "add_hook"]

Hook = Callable[[Any], Any]

# id(node) -> hooks on the gradient of the tensor it produced. A plain dict, its entries dropped
# when the node dies: backward tests it once per node, and a WeakKeyDictionary's len() is slow.
node_hooks: dict[int, list[Hook]] = {}
# id(leaf) -> hooks on its gradient before accumulation / on the leaf after it
leaf_hooks: dict[int, list[Hook]] = {}
# id(node) -> weak reference to the non-leaf tensor that called retain_grad()
retained_tensors: dict[int, weakref.ref[Tensor]] = {}


def retain(tensor: Tensor) -> None:
    """Keep ``tensor``'s gradient in ``.grad`` after backward (``Tensor.retain_grad``)."""
    node = tensor._grad_fn
    assert node is not None
    if id(node) not in retained_tensors:
        weakref.finalize(node, retained_tensors.pop, id(node), None)
    retained_tensors[id(node)] = weakref.ref(tensor)


def retains(tensor: Tensor) -> bool:
    """Whether ``retain_grad`` was called on this non-leaf tensor (for its current node)."""
    node = tensor._grad_fn
    ref = retained_tensors.get(id(node)) if node is not None else None
    return ref is not None and ref() is tensor
post_accumulate_hooks: dict[int, list[Callable[[Tensor], None]]] = {}


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


def _by_leaf(table: dict[int, list], tensor: Tensor) -> list:
    key = id(tensor)
    hooks = table.get(key)
    if hooks is None:
        hooks = table[key] = []
        weakref.finalize(tensor, table.pop, key, None)  # ids are reused once the leaf is gone
    return hooks


def add_hook(tensor: Tensor, fn: Hook) -> RemovableHandle:
    """Register ``fn`` on ``tensor``'s gradient (see ``Tensor.register_hook``)."""
    if not callable(fn):
        raise TypeError(f"a hook must be callable, got {type(fn).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = tensor._grad_fn
    hooks: list[Hook] | None
    if node is None:
        hooks = _by_leaf(leaf_hooks, tensor)
    else:
        hooks = node_hooks.get(id(node))
        if hooks is None:
            hooks = node_hooks[id(node)] = []
            weakref.finalize(node, node_hooks.pop, id(node), None)
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
    hooks = _by_leaf(post_accumulate_hooks, tensor)
    hooks.append(fn)
    return RemovableHandle(hooks, fn)


def run_hooks(hooks: list[Hook], grad: Any, shape: tuple, where: str) -> Any:
    """Apply hooks in order; each may return a replacement gradient (a Tensor) or None."""
    from .tensor import Tensor, _wrap

    tensor_mode = type(grad) is Tensor
    value = grad if tensor_mode else _wrap(grad)
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
        value = result
    return value if tensor_mode else value._data
