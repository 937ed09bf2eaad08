"""Differences from PyTorch kept on purpose: the suite skips these by name.

Mirrors the table in docs/autograd.md, section "Where tapegrad differs from PyTorch"
(test_tables.py checks the two agree). Key: a test id or a shorter prefix of one
(``OP-CHECK[-DTYPE]``, see test_parity.py); value: the table's "difference" column.
"""

from __future__ import annotations

DIFFERENCES: dict[str, str] = {
    "maximum-scalar": "`maximum` accepts a Python scalar operand; PyTorch requires two tensors",
    "minimum-scalar": "`minimum` accepts a Python scalar operand; PyTorch requires two tensors",
    "logical_and-scalar": "`logical_and` accepts a Python scalar operand; PyTorch requires two tensors",
    "logical_or-scalar": "`logical_or` accepts a Python scalar operand; PyTorch requires two tensors",
    "logical_xor-scalar": "`logical_xor` accepts a Python scalar operand; PyTorch requires two tensors",
    "inplace:logical_and_-scalar": "`logical_and_` accepts a Python scalar operand; PyTorch requires a tensor",
    "inplace:logical_or_-scalar": "`logical_or_` accepts a Python scalar operand; PyTorch requires a tensor",
    "inplace:logical_xor_-scalar": "`logical_xor_` accepts a Python scalar operand; PyTorch requires a tensor",
    "cdist-grad2": "`cdist` is differentiable twice; PyTorch's second derivative raises NotImplementedError",
    "logaddexp-scalar": "`logaddexp` accepts a Python scalar operand; PyTorch requires two tensors",
    "logaddexp2-scalar": "`logaddexp2` accepts a Python scalar operand; PyTorch requires two tensors",
    "hypot-scalar": "`hypot` accepts a Python scalar operand; PyTorch requires two tensors",
    "atan2-scalar": "`atan2` accepts a Python scalar operand; PyTorch requires two tensors",
    "fmod-scalar": "`fmod` accepts a Python scalar as its first operand; PyTorch takes one only as the second",
    "copysign-scalar": "`copysign` accepts a Python scalar as its first operand; PyTorch takes one only as the second",
    "clamp_min-scalar": "`clamp_min` accepts a Python scalar as its first operand; PyTorch takes one only as the second",
    "clamp_max-scalar": "`clamp_max` accepts a Python scalar as its first operand; PyTorch takes one only as the second",
    "copysign-grad2": "`copysign`'s second derivative in `x` is exactly 0; PyTorch's float32 one is rounding noise (1e-7)",
    "gelu-special-float32": "`gelu(+inf)` is inf; PyTorch's vectorised CPU kernel gives NaN (its scalar tail and its float64 kernel: inf)",
    "gelu-special-float16": "`gelu(+inf)` is inf; PyTorch's vectorised CPU kernel gives NaN (its scalar tail and its float64 kernel: inf)",
}
