"""The PyTorch functions the special points of the sorting and scan ops added for the mutation
test of the kit (k3: ties, NaN, zeros) are checked against, by ``tests/parity/test_edge_cases_torch.py``."""

from __future__ import annotations

from typing import Any

SPECS: list[Any] = []

EDGE_CASE_TORCH = {
    "mode": lambda torch: torch.mode,
    "mode_indices": lambda torch: lambda x, dim=-1: torch.mode(x, dim).indices,
    "median": lambda torch: torch.median,
    "topk": lambda torch: torch.topk,
    "searchsorted": lambda torch: torch.searchsorted,
    "bucketize": lambda torch: torch.bucketize,
    "cumprod": lambda torch: torch.cumprod,
    "logcumsumexp": lambda torch: torch.logcumsumexp,
}
