"""The edge-value sweep of ``tests/test_op_edge_values.py``, compared with PyTorch itself.

Skipped without torch. At every special point (0, -0, +-1, ties, NaN, +-inf, tiny, huge; float64,
float32, float16) and every swept op: tapegrad's value equals PyTorch's (NaN where PyTorch's is
NaN), and wherever PyTorch's gradient is finite tapegrad's equals it. ``PYTORCH_NAN``, the
points the torch-free sweep excuses, is checked to be NaN in PyTorch too.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

_spec = importlib.util.spec_from_file_location("op_edge_values", Path(__file__).parents[1] / "test_op_edge_values.py")
edge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(edge)  # type: ignore[union-attr]


def _torch_op(name: str, params: dict[str, Any]) -> Any:
    """The PyTorch function for a swept tapegrad op (None: PyTorch has no such form)."""
    if name == "norm":
        return lambda x: torch.linalg.vector_norm(x, ord=params["p"])
    if name == "logsumexp" and "dim" not in params:
        return lambda x: torch.logsumexp(x, dim=tuple(range(x.ndim)))
    if name == "zero":
        return lambda x: x.clone().zero_()
    if name == "pad":
        return None if params.get("mode", "constant") != "constant" else lambda x: F.pad(x, params["pad"])
    special = {"ndtr": torch.special.ndtr, "softplus": F.softplus, "leaky_relu": F.leaky_relu, "gelu": F.gelu,
               "arcsin": torch.asin, "arccos": torch.acos, "arctan": torch.atan, "clamp_scalar": torch.clamp,
               "arcsinh": torch.asinh, "arccosh": torch.acosh, "arctanh": torch.atanh}
    if name.startswith("nn.functional."):
        function = getattr(F, name.rpartition(".")[2])
        return lambda *xs: function(*xs, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                            for k, v in params.items()})
    function = special.get(name) or getattr(torch, name)
    return lambda *xs: function(*xs, **params)


def _powers_overflow(inputs: list[np.ndarray], dtype: str, p: float) -> bool:
    """Whether some |x|**p over- or underflows ``dtype`` (to 0 or a subnormal), which PyTorch's
    norm does not guard against."""
    with np.errstate(all="ignore"):
        x = np.abs(inputs[0].astype(dtype))
        powers = x ** np.asarray(p, dtype=dtype)
    return bool((np.isinf(powers) & np.isfinite(x)).any() or ((powers < np.finfo(dtype).tiny) & (x != 0)).any())


# Where tapegrad knowingly differs from PyTorch at these points (value and gradients both), and why.
DIFFERENCES = {
    # norm scales by the dominant |x| first and differentiates in logarithms: right where PyTorch's
    # sum of powers over- or underflows (|x| = 1e300, or 1e-30 in float32), PyTorch's is inf or 0
    "norm": lambda params, inputs, dtype: math.isfinite(params["p"]) and params["p"] not in (0, 1)
    and _powers_overflow(inputs, dtype, params["p"]),
    # PyTorch's vectorised float32 gelu gives NaN at +inf (its float64 kernel and the formula: inf), and so
    # does its float16 one on CPUs where float16 takes that kernel (AVX-512 FP16/AMX hosts; elsewhere inf)
    "gelu": lambda params, inputs, dtype: dtype in ("float32", "float16") and _has_inf(inputs[0], dtype),
}


def _has_inf(values: np.ndarray, dtype: str) -> bool:
    with np.errstate(over="ignore"):  # 1e30 is inf in float16: that is the point
        return bool(np.isinf(values.astype(dtype)).any())


def _run(library: Any, function: Any, inputs: list[np.ndarray], dtype: str) -> tuple[np.ndarray, list[np.ndarray]]:
    xs = [library.tensor(v, dtype=getattr(library, dtype), requires_grad=True) for v in inputs]
    out = function(*xs)
    grads = library.autograd.grad(out.sum(), xs)
    return (out.detach().numpy().astype(np.float64), [g.detach().numpy().astype(np.float64) for g in grads])


TOL = {"float64": 1e-9, "float32": 2e-5, "float16": 2e-3}


def _close(ours: np.ndarray, theirs: np.ndarray, dtype: str) -> np.ndarray:
    tol = TOL[dtype]
    return np.isclose(ours, theirs, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("name,params", edge.CASES, ids=[edge._label(n, p) for n, p in edge.CASES])
def test_values_and_gradients_at_special_points_equal_pytorchs(name, params):
    reference = _torch_op(name, params)
    if reference is None:
        pytest.skip(f"PyTorch has no 1-d form of {edge._label(name, params)}")
    label = edge._label(name, params)
    mismatches = []
    for dtype in edge.DTYPES:
        for inputs in edge._grid(edge.table().ops[name].nin):
            try:
                their_value, their_grads = _run(torch, reference, inputs, dtype)
            except (RuntimeError, NotImplementedError):
                continue  # PyTorch has no kernel for this dtype
            with np.errstate(all="ignore"):
                value, grads = _run(edge.tapegrad, lambda *xs: edge.op_function(name)(*xs, **params), inputs, dtype)
            where = f"{dtype} at {[v.tolist() for v in inputs]}"
            known = DIFFERENCES.get(name)
            if known is not None and known(params, inputs, dtype):
                continue
            if value.shape != their_value.shape or not _close(value, their_value, dtype).all():
                mismatches.append(f"{where}: value {value.tolist()} vs PyTorch {their_value.tolist()}")
                continue
            cast = [v.astype(dtype).astype(np.float64) for v in inputs]
            for i, (g, theirs) in enumerate(zip(grads, their_grads)):
                finite = np.isfinite(theirs) & np.isfinite(value).all()
                if not _close(g[finite], theirs[finite], dtype).all():
                    mismatches.append(f"{where}: gradient {i} {g.tolist()} vs PyTorch {theirs.tolist()}")
                excused = edge.PYTORCH_NAN.get((label, i))
                if excused is not None and excused(cast, dtype) and np.isfinite(value).all() \
                        and np.isnan(g).any() and not np.isnan(theirs).any():
                    mismatches.append(f"{where}: excused NaN gradient {i} {g.tolist()} but PyTorch {theirs.tolist()}")
    assert not mismatches, f"{label}: {len(mismatches)} mismatches: " + "; ".join(mismatches[:6])


def test_the_sweep_covers_the_ops_pytorch_users_reach_for():
    names = {n for n, _ in edge.CASES}
    assert {"maximum", "minimum", "relu", "clamp_scalar", "std", "var", "norm", "mean", "softmax", "pow"} <= names
    assert math.isnan(edge.SPECIAL[-1])
