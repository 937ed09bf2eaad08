"""``tapegrad.autograd.graph``: the graph node class, as ``torch.autograd.graph`` has it (``isinstance(t.grad_fn, Node)``)."""

from __future__ import annotations

from ..graph import Node

__all__ = ["Node"]
