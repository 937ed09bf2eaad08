"""Python's operator syntax, mapped onto op names.

This is a protocol, not op math: it says that ``a + b`` calls whatever op is
registered as ``add`` (as ``a + b`` is ``torch.add`` in PyTorch), so a plugin that
registers or overrides ``add`` gets ``+`` with it. ``& | ^ ~`` are bitwise, as PyTorch's
(on bool tensors that is the logical meaning).
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
    "__and__": "bitwise_and",
    "__or__": "bitwise_or",
    "__xor__": "bitwise_xor",
    "__lshift__": "bitwise_left_shift",
    "__rshift__": "bitwise_right_shift",
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
    "__rand__": "bitwise_and",
    "__ror__": "bitwise_or",
    "__rxor__": "bitwise_xor",
    "__rlshift__": "bitwise_left_shift",
    "__rrshift__": "bitwise_right_shift",
}

UNARY: dict[str, str] = {
    "__neg__": "neg",
    "__pos__": "positive",
    "__abs__": "abs",
    "__invert__": "bitwise_not",
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
    "__iand__": "bitwise_and",
    "__ior__": "bitwise_or",
    "__ixor__": "bitwise_xor",
    "__ilshift__": "bitwise_left_shift",
    "__irshift__": "bitwise_right_shift",
}

# ``x[key]`` is the op ``getitem(x, index=key)``; ``x[key] = v`` is ``index_put`` in place,
# ``index_put(x, v, index=key)``. Tensors inside ``key`` arrive as arrays.
INDEXING: dict[str, str] = {
    "__getitem__": "getitem",
    "__setitem__": "index_put",
}

SYMBOLS: dict[str, str] = {
    "add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@",
    "floor_divide": "//", "remainder": "%", "bitwise_and": "&", "bitwise_or": "|",
    "bitwise_xor": "^", "bitwise_left_shift": "<<", "bitwise_right_shift": ">>", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=",
    "neg": "unary -", "positive": "unary +", "abs": "abs()", "bitwise_not": "~",
    "getitem": "indexing (x[key])", "index_put": "indexed assignment (x[key] = v)",
}
