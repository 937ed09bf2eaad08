"""The PyTorch functions the special points added for the mutation test of the kit
(benchmarks/mutate_kit.py) are checked against, by ``tests/parity/test_edge_cases_torch.py``."""

from __future__ import annotations

from typing import Any

SPECS: list[Any] = []


def _long(torch: Any, index: Any) -> Any:
    return torch.as_tensor(index)


EDGE_CASE_TORCH = {  # op -> the PyTorch function its declared special points are checked against
    "add": lambda torch: torch.add, "sub": lambda torch: torch.sub,
    "repeat": lambda torch: lambda x, repeats: x.repeat(*repeats),
    "repeat_interleave": lambda torch: lambda x, repeats, dim=None: torch.repeat_interleave(
        x, torch.as_tensor(repeats) if hasattr(repeats, "shape") else repeats, dim=dim),
    **{name: (lambda torch, name=name: lambda x, indices_or_sections: getattr(torch, name)(x, indices_or_sections))
       for name in ("hsplit", "vsplit", "dsplit")},  # PyTorch takes the sections positionally only
    "scatter_at": lambda torch: lambda x, src, dim, index, **reduce: torch.scatter(x, dim, _long(torch, index), src,
                                                                                   **reduce),  # the legacy reduce=
    "index_add_at": lambda torch: lambda x, source, dim, index, alpha=1: torch.index_add(
        x, dim, _long(torch, index), source, alpha=alpha),
    "index_copy_at": lambda torch: lambda x, source, dim, index: torch.index_copy(x, dim, _long(torch, index), source),
    "index_fill_at": lambda torch: lambda x, value, dim, index: torch.index_fill(x, dim, _long(torch, index), value),
    "argsort": lambda torch: torch.argsort,
    "unique": lambda torch: torch.unique,
}
