"""The PyTorch functions the special points added with the kit's dtype comparison are checked
against, by ``tests/parity/test_edge_cases_torch.py``."""

from __future__ import annotations

from typing import Any

SPECS: list[Any] = []

EDGE_CASE_TORCH = {  # op -> the PyTorch function its declared special points are checked against
    "linalg.solve_triangular": lambda torch: torch.linalg.solve_triangular,
}
