"""Python's operator syntax, mapped onto op names.

This is a protocol, not op math: it says that ``a + b`` calls whatever op is
registered as ``add`` (as ``a + b`` is ``torch.add`` in PyTorch), so a plugin that
registers or overrides ``add`` gets ``+`` with it.
"""

from __future__ import annotations

__all__ = ["BINARY", "REFLECTED", "UNARY", "INPLACE", "INDEXING", "SYMBOLS"]

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

# dunder -> op name, done in place on ``tensor`` (``x += y``)
INPLACE: dict[str, str] = {
    "__iadd__": "add",
    "__isub__": "sub",
    "__imul__": "mul",
    "__itruediv__": "div",
    "__ipow__": "pow",
    "__imatmul__": "matmul",
    "__ifloordiv__": "floor_divide",
    "__imod__": "remainder",
    "__iand__": "logical_and",
    "__ior__": "logical_or",
    "__ixor__": "logical_xor",
}

# ``x[key]`` is the op ``getitem(x, index=key)``; ``x[key] = v`` is ``index_put`` in place,
# ``index_put(x, v, index=key)``. Tensors inside ``key`` arrive as arrays.
INDEXING: dict[str, str] = {
    "__getitem__": "getitem",
    "__setitem__": "index_put",
}

SYMBOLS: dict[str, str] = {
    "add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@",
    "floor_divide": "//", "remainder": "%", "logical_and": "&", "logical_or": "|",
    "logical_xor": "^", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=",
    "neg": "unary -", "positive": "unary +", "abs": "abs()", "logical_not": "~",
    "getitem": "indexing (x[key])", "index_put": "indexed assignment (x[key] = v)",
}
