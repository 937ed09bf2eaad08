"""``tapegrad.viz``: pictures of the graph behind a tensor.

``to_dot(t)`` returns Graphviz DOT text and needs nothing beyond tapegrad: paste it
into any Graphviz viewer. ``render(t, "graph.svg")`` draws it to a file with the
optional ``graphviz`` package (``pip install 'tapegrad[viz]'``) and the Graphviz
``dot`` program.

One DOT node per graph ``Node``, labelled with its name (``MulBackward0``), its op, the
plugin that registered the op, and the shape and dtype of the tensor it made where
that is known; leaves are drawn as blue boxes with their shape, dtype and
``requires_grad``; edges go from each input to the node that consumed it. The roots
are green. Ids (``n0``, ``n1``, ...) follow a breadth-first walk from the roots, so
the same graph always gives the same text, and the walk is iterative: a chain of any
length is fine.

Shapes of inner nodes are not stored on a ``Node``: they are read from what the graph
already holds (a root's tensor, an op's saved output, or the shape its consumer
recorded for that input). Once backward has freed a node's saved values, shapes that
depended on them are no longer shown.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .graph import Node
from .tensor import Tensor

__all__ = ["to_dot", "render"]

INSTALL_HINT = "pip install 'tapegrad[viz]'"
_FORMATS = ("svg", "png", "pdf")

_ROOT_COLOR = "darkolivegreen1"
_NODE_COLOR = "lightgrey"
_LEAF_COLOR = "lightblue"


def to_dot(tensor_or_tensors: Tensor | Iterable[Tensor], *, show_saved: bool = False) -> str:
    """The Graphviz DOT text of the graph behind one tensor or several.

    ``show_saved=True`` adds what each node keeps for backward (its saved inputs and
    output, or that backward freed them) and its static parameters.
    """
    roots = _as_roots(tensor_or_tensors)
    ids: dict[int, str] = {}  # id(Node or leaf Tensor) -> DOT id
    order: list[Any] = []  # the Nodes and Tensors in id order (keeps them alive while we key by id)
    meta: dict[int, tuple[tuple[int, ...], str]] = {}  # id(obj) -> (shape, dtype name) where known
    root_ids: set[int] = set()
    arrows: list[tuple[str, str]] = []
    queue: deque[Any] = deque()

    def visit(obj: Any) -> str:
        key = id(obj)
        name = ids.get(key)
        if name is None:
            name = ids[key] = f"n{len(order)}"
            order.append(obj)
            if isinstance(obj, Node):
                queue.append(obj)
        return name

    for root in roots:
        obj = root._grad_fn if root._grad_fn is not None else root
        visit(obj)
        root_ids.add(id(obj))
        meta.setdefault(id(obj), _meta_of(root._data))
    while queue:
        node = queue.popleft()
        consumer = ids[id(node)]
        if id(node) not in meta and node.out is not None and hasattr(node.out, "shape"):
            meta[id(node)] = _meta_of(node.out)
        saved = node.inputs
        for i, edge in enumerate(node.edges):
            if edge is None:
                continue
            arrows.append((visit(edge), consumer))
            if isinstance(edge, Node) and id(edge) not in meta and saved is not None and i < len(saved):
                value = saved[i]
                if hasattr(value, "shape") and hasattr(value, "dtype"):
                    meta[id(edge)] = _meta_of(value)

    lines = [
        "digraph tapegrad {",
        '  node [shape=box, style="rounded,filled", fillcolor=%s, fontname="Helvetica", fontsize=10];'
        % _NODE_COLOR,
        '  edge [arrowsize=0.7];',
    ]
    for obj in order:
        key = id(obj)
        if isinstance(obj, Node):
            label = [obj.name(), f"op: {obj.op.name}", f"plugin: {obj.plugin}"]
            if key in meta:
                label.append(_format_meta(meta[key]))
            if show_saved:
                label.extend(_saved_lines(obj))
            attrs = f'label="{_escape_lines(label)}"'
        else:
            kind = "leaf" if obj._grad_fn is None and obj._requires_grad else "tensor"
            label = [kind, _format_meta(meta.get(key) or _meta_of(obj._data)),
                     f"requires_grad={obj._requires_grad}"]
            attrs = f'label="{_escape_lines(label)}", style=filled'
            if key not in root_ids:
                attrs += f", fillcolor={_LEAF_COLOR}"
        if key in root_ids:
            attrs += f", fillcolor={_ROOT_COLOR}"
        lines.append(f"  {ids[key]} [{attrs}];")
    lines.extend(f"  {a} -> {b};" for a, b in arrows)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(tensor: Tensor | Iterable[Tensor], path: str | Path, format: str | None = None, *,
           show_saved: bool = False) -> Path:
    """Draw the graph behind ``tensor`` into ``path`` (SVG, PNG or PDF) and return the path.

    ``format`` defaults to the file's suffix. Needs the optional ``graphviz`` package
    (``pip install 'tapegrad[viz]'``) and the Graphviz ``dot`` program on ``PATH``.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in _FORMATS:
        raise ValueError(
            f"render: cannot tell the picture format from {str(path)!r}; give the file a suffix "
            f"({', '.join('.' + f for f in _FORMATS)}) or pass format=, one of {list(_FORMATS)}"
        )
    import shutil

    graphviz = _import_graphviz()
    if shutil.which("dot") is None:
        raise RuntimeError(_no_dot_message())
    source = graphviz.Source(to_dot(tensor, show_saved=show_saved))
    try:
        picture = source.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(_no_dot_message()) from None
    path.write_bytes(picture)
    return path


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "tapegrad.viz.render needs the optional 'graphviz' Python package: "
            f"{INSTALL_HINT} (or pip install graphviz), plus the Graphviz 'dot' program "
            "(apt-get install graphviz, brew install graphviz, conda install graphviz). "
            "tapegrad.viz.to_dot needs neither: it returns the DOT text."
        ) from None
    return graphviz


def _no_dot_message() -> str:
    return (
        "tapegrad.viz.render found the 'graphviz' Python package but not the Graphviz 'dot' program on "
        "PATH; install Graphviz itself (apt-get install graphviz, brew install graphviz, conda install "
        "graphviz), or use tapegrad.viz.to_dot and render the text elsewhere."
    )


def _as_roots(value: Any) -> list[Tensor]:
    if type(value) is Tensor:
        return [value]
    try:
        roots = list(value)
    except TypeError:
        raise TypeError(f"to_dot expects a Tensor or a sequence of Tensors, got {type(value).__name__}") from None
    if not roots:
        raise ValueError("to_dot needs at least one tensor")
    for i, t in enumerate(roots):
        if type(t) is not Tensor:
            raise TypeError(f"to_dot expects Tensors; item {i} is a {type(t).__name__}")
    return roots


def _meta_of(value: Any) -> tuple[tuple[int, ...], str]:
    return tuple(int(d) for d in value.shape), _dtype_name(value.dtype)


def _dtype_name(dtype: Any) -> str:
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype).rsplit(".", 1)[-1]


def _format_meta(meta: tuple[tuple[int, ...], str]) -> str:
    shape, dtype = meta
    return f"[{', '.join(map(str, shape))}] {dtype}"


def _saved_lines(node: Node) -> list[str]:
    lines = []
    if node.params:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in node.params.items())
        lines.append(f"params: {shown}")
    op = node.op
    if not (op.saves_inputs or op.saves_output):
        return lines
    if node.freed:
        return lines + ["saved: freed by backward"]
    if op.saves_inputs:
        for i, value in enumerate(node.inputs):
            lines.append(f"saved input {i}: " + (_format_meta(_meta_of(value)) if hasattr(value, "shape")
                                                 else _short(value)))
    if op.saves_output and node.out is not None:
        lines.append(f"saved output: {_format_meta(_meta_of(node.out))}")
    return lines


def _short(value: Any) -> str:
    if isinstance(value, (bool, int, float, complex, str, type(None))) or (
        isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value)
    ):
        text = repr(value)
    else:
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _escape_lines(lines: list[str]) -> str:
    """One DOT label: quotes and backslashes escaped, lines joined with DOT's centred line break."""
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
