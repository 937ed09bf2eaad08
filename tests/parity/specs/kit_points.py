"""The PyTorch functions the kit's forward-only points (``EdgeCase(backward_raises=)``) and verbatim
arguments (``Verbatim``) are checked against, by ``tests/parity/test_edge_cases_torch.py``."""

from __future__ import annotations

from typing import Any

SPECS: list[Any] = []

EDGE_CASE_TORCH = {  # op -> the PyTorch function its declared special points are checked against
    "linalg.qr_output": lambda torch: lambda a, mode="reduced", output="Q": getattr(torch.linalg.qr(a, mode=mode), output),
    "scatter": lambda torch: lambda x, dim, index, src: torch.scatter(x, dim, index, src),
}
