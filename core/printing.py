"""Tensor repr text that matches PyTorch's character for character.

tapegrad promises PyTorch's autograd semantics, and people check that promise
by comparing printed output (tutorials, doctests, logs) with PyTorch's. This
module reproduces the rules of PyTorch's ``torch/_tensor_str.py`` on NumPy
arrays. It imports nothing else from tapegrad (but its leaf module ``records``), so the tensor class can use it
without an import cycle.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .records import record

_ELIDED = object()
"""Stands where a summary leaves items out."""


@record()
class _PrintOptions:
    """What ``set_printoptions`` set."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTIONS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change how tensors print, with the meaning of ``torch.set_printoptions``.

    Options left as None keep their value, except ``sci_mode``: like PyTorch,
    it is always assigned, so leaving it out restores the automatic choice.
    """
    if precision is not None:
        _OPTIONS.precision = precision
    if threshold is not None:
        _OPTIONS.threshold = threshold
    if edgeitems is not None:
        _OPTIONS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTIONS.linewidth = linewidth
    _OPTIONS.sci_mode = sci_mode


def tensor_repr(
    data: np.ndarray,
    *,
    dtype_name: str | None,
    grad_fn_name: str | None,
    requires_grad: bool,
    prefix: str = "tensor(",
) -> str:
    """Return the text PyTorch's ``repr`` gives a tensor holding ``data``.

    ``dtype_name`` is shown as ``dtype=...`` when given; the caller decides
    when, as PyTorch does: it omits the default float dtype, int64 and bool,
    except for empty tensors, where it omits only the default float dtype.
    ``grad_fn_name`` wins over ``requires_grad``, as in PyTorch.
    """
    data = np.asarray(data)
    indent = len(prefix)
    suffixes = []
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffixes.append(f"size={data.shape}")
    else:
        body = _tensor_body(data, indent)
        if not _OPTIONS.edgeitems:
            suffixes.append(f"size={data.shape}")
    if dtype_name is not None:
        suffixes.append(f"dtype={dtype_name}")
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)


@record(frozen=True)
class _Formatter:
    """Formats every element of one tensor the same way, padded to one width."""

    floating: bool
    int_mode: bool
    sci_mode: bool
    precision: int
    width: int

    def format(self, value: Any) -> str:
        """Text of one element, right-aligned to the common column width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{self.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("." if math.isfinite(value) else "")
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


def _tensor_body(data: np.ndarray, indent: int) -> str:
    """The bracketed values of a non-empty tensor, summarized when large."""
    summarize = data.size > _OPTIONS.threshold
    formatter = _make_formatter(_summarized(data) if summarize else data)
    return _render(data, indent, summarize, formatter)


def _summarized(data: np.ndarray) -> np.ndarray:
    """Only the values a summary shows, so that they alone set the format."""
    edge = _OPTIONS.edgeitems
    for axis, size in enumerate(data.shape):
        if size > 2 * edge:
            kept = np.r_[0:edge, size - edge : size]
            data = data.take(kept, axis=axis)
    return data


def _make_formatter(data: np.ndarray) -> _Formatter:
    """Choose the one format that all shown values of a tensor share."""
    flat = data.ravel()
    precision = _OPTIONS.precision
    if not np.issubdtype(data.dtype, np.floating):
        return _Formatter(False, False, False, precision, _integer_width(flat))
    values = flat.astype(np.float64)
    shown = values[np.isfinite(values) & (values != 0)]
    if shown.size == 0:
        return _Formatter(True, True, False, precision, 1)
    int_mode = bool(np.all(shown == np.ceil(shown)))
    sci_mode = _wants_sci_mode(np.abs(shown))
    if sci_mode:
        template, extra = f"{{:.{precision}e}}", 0
    elif int_mode:
        template, extra = "{:.0f}", 1  # room for the trailing '.'
    else:
        template, extra = f"{{:.{precision}f}}", 0
    width = max(len(template.format(value)) for value in shown.tolist()) + extra
    return _Formatter(True, int_mode, sci_mode, precision, width)


def _integer_width(flat: np.ndarray) -> int:
    """Widest text among integers or bools: always the smallest or the largest."""
    if flat.size == 0:
        return 1
    return max(len(str(flat.min().item())), len(str(flat.max().item())))


def _wants_sci_mode(magnitudes: np.ndarray) -> bool:
    """Scientific notation when magnitudes span too far to read in fixed point."""
    if _OPTIONS.sci_mode is not None:
        return _OPTIONS.sci_mode
    largest, smallest = magnitudes.max(), magnitudes.min()
    with np.errstate(over="ignore"):  # an infinite ratio is as wide a span as any
        spread = largest / smallest
    return bool(spread > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)


def _render(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """Nested brackets, one level per dimension, blank lines between blocks."""
    if data.ndim == 0:
        return formatter.format(data.item())
    if data.ndim == 1:
        return _render_vector(data, indent, summarize, formatter)
    blocks = [
        "..." if block is _ELIDED else _render(block, indent + 1, summarize, formatter)
        for block in _edges(list(data), summarize)
    ]
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _render_vector(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """One row of values, wrapped to fit the line width."""
    # PyTorch pads the marker like a value, except when it stands alone.
    elided = " ..." if _OPTIONS.edgeitems else "..."
    cells = [
        elided if value is _ELIDED else formatter.format(value)
        for value in _edges(data.tolist(), summarize)
    ]
    per_line = max(1, (_OPTIONS.linewidth - indent) // (formatter.width + 2))
    lines = [", ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _edges(items: list[Any], summarize: bool) -> list[Any]:
    """The first and last edge items with a marker between, when summarizing."""
    edge = _OPTIONS.edgeitems
    if not summarize or len(items) <= 2 * edge:
        return items
    return items[:edge] + [_ELIDED] + items[len(items) - edge :]


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, key=value`` parts, moving one to a new line when it would overflow."""
    # PyTorch counts two more than the last line's length; match it exactly.
    line_length = len(text) - text.rfind("\n") + 1
    parts = [text]
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > _OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(parts) + ")"
