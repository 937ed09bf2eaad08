"""The PyTorch functions the linalg (and some elementwise) special points added for the mutation test of the kit
(benchmarks/mutate_kit.py) are checked against, by ``tests/parity/test_edge_cases_torch.py``."""

from __future__ import annotations

from typing import Any

SPECS: list[Any] = []

EDGE_CASE_TORCH = {  # op -> the PyTorch function its declared special points are checked against
    "linalg.pinv": lambda torch: torch.linalg.pinv, "linalg.lstsq": lambda torch: torch.linalg.lstsq,
    "linalg.svd": lambda torch: torch.linalg.svd, "linalg.solve": lambda torch: torch.linalg.solve,
    "linalg.matrix_norm": lambda torch: torch.linalg.matrix_norm,
    "linalg.lstsq_solution": lambda torch: lambda a, b: torch.linalg.lstsq(a, b).solution,
    "linalg.multi_dot": lambda torch: lambda *tensors: torch.linalg.multi_dot(tensors if len(tensors) > 1 else tensors[0]),
}
