"""The PyTorch functions the special points added with the kit's refusals-under-vmap check are
checked against, by ``tests/parity/test_edge_cases_torch.py``."""

from __future__ import annotations

from typing import Any

SPECS: list[Any] = []

EDGE_CASE_TORCH = {  # op -> the PyTorch function its declared special points are checked against
    "expand": lambda torch: lambda x, sizes: x.expand(*sizes),
    "cat": lambda torch: lambda *tensors, dim=0: torch.cat(tensors, dim),
    "matmul": lambda torch: torch.matmul,
    "tensordot": lambda torch: torch.tensordot,
}
