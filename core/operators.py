"""Python's operator syntax, mapped onto op names.

This is a protocol, not op math: it says that ``a + b`` calls whatever op is
registered as ``add`` (as ``a + b`` is ``torch.add`` in PyTorch), so a plugin that
registers or overrides ``add`` gets ``+`` with it.
"""

from __future__ import annotations

__all__ = ["BINARY", "REFLECTED", "UNARY", "SYMBOLS"]

# dunder -> op name, for ``tensor OP other``
BINARY: dict[str, str] = {
    "__add__": "add",
    "__sub__": "sub",
    "__mul__": "mul",
    "__truediv__": "div",
    "__pow__": "pow",
    "__matmul__": "matmul",
    "__floordiv__": "floor_divide",
    "__mod__": "remainder",
    "__and__": "logical_and",
    "__or__": "logical_or",
    "__xor__": "logical_xor",
    "__lt__": "lt",
    "__le__": "le",
    "__gt__": "gt",
    "__ge__": "ge",
    "__eq__": "eq",
    "__ne__": "ne",
}

# dunder -> op name, for ``other OP tensor`` (operands swapped before the call)
REFLECTED: dict[str, str] = {
    "__radd__": "add",
    "__rsub__": "sub",
    "__rmul__": "mul",
    "__rtruediv__": "div",
    "__rpow__": "pow",
    "__rmatmul__": "matmul",
    "__rfloordiv__": "floor_divide",
    "__rmod__": "remainder",
    "__rand__": "logical_and",
    "__ror__": "logical_or",
    "__rxor__": "logical_xor",
}

UNARY: dict[str, str] = {
    "__neg__": "neg",
    "__pos__": "positive",
    "__abs__": "abs",
    "__invert__": "logical_not",
}

SYMBOLS: dict[str, str] = {
    "add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@",
    "floor_divide": "//", "remainder": "%", "logical_and": "&", "logical_or": "|",
    "logical_xor": "^", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=",
    "neg": "unary -", "positive": "unary +", "abs": "abs()", "logical_not": "~",
}
