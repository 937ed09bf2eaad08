"""Every built-in unary and binary float op at the points where formulas break.

The points: 0 and -0, +-1, ties (equal operands, equal elements of a reduction), NaN,
+-inf, tiny and huge numbers, in float64, float32 and float16. At each, the rule checked
is PyTorch's behaviour where tapegrad's formula would otherwise betray it:

- where the value is finite, the gradient is not NaN (PyTorch gives a finite gradient
  there; the few points where PyTorch itself gives NaN are listed in ``PYTORCH_NAN`` and
  checked against PyTorch by ``tests/parity/test_op_edge_values_torch.py``);
- the gradient recorded under ``create_graph=True`` (the VJP run on tensors, through the
  tensor namespace) equals the plain one (the VJP run on arrays): the two namespaces must
  not disagree at NaN, infinities or Python scalars.

The ops come from the op table, so a new built-in op is swept as soon as it is registered:
it must either run with the inputs alone, get its static params in ``VARIANTS``, or be
listed in ``NOT_SWEPT`` with the reason.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad.optable import table

PLUGIN = "tapegrad.ops_builtin"
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 2.0, 1e-30, -1e-30, 1e30, 1e300, -1e300,
           math.inf, -math.inf, math.nan)
DTYPES = ("float64", "float32", "float16")

# Ops of the table with a VJP that this sweep leaves to other tests, and why.
NOT_SWEPT = {
    **dict.fromkeys(("reshape", "view", "broadcast_to", "expand", "expand_dims", "unsqueeze", "transpose",
                     "permute", "flip", "astype", "fill", "getitem", "index_scatter_add", "index_put", "gather"),
                    "needs a shape, dim, dtype, value or index: linear in x, covered by test_shape_ops/test_indexing"),
    **dict.fromkeys(("matmul", "dot", "outer", "tensordot"), "shape-dependent products: test_linalg_ops"),
    **dict.fromkeys(("copy", "masked_fill"), "a destination or a mask beside x: test_tensor_api"),
    **dict.fromkeys(("rot90", "tril", "triu", "diagonal", "diagonal_copy", "trace", "repeat"),
                    "matrix ops, or a Tensor method only in PyTorch (repeat); they move or sum elements: test_shape_more"),
    **dict.fromkeys(("scatter_at", "scatter_add_at", "scatter_reduce_at", "index_add_at", "index_copy_at",
                     "index_fill_at", "masked_select", "take", "mm", "bmm", "mv", "cdist"),
                    "needs an index, a mask or matrix shapes: test_scatter_products (cdist's special points too)"),
    **dict.fromkeys(tuple("linalg." + n for n in (
        "solve", "solve_triangular", "inv", "det", "slogdet_output", "cholesky", "qr_output", "svd_output",
        "eigh_output", "pinv", "lstsq_solution", "vector_norm", "matrix_exp", "cross", "diagonal")),
        "matrix functions (vector_norm: norm's rules, swept as norm): test_linalg_namespace"),
    **dict.fromkeys(("nn.functional.unfold", "nn.functional.fold", "max_pool2d", "nn.functional.avg_pool2d",
                     "nn.functional.adaptive_avg_pool2d"), "images (N, C, H, W) and window sizes: test_nn_conv"),
    "gather_values": "needs a dim and an index: gather's, covered by test_scans_sorting",
    "polygamma": "the order n comes first, an int: tests/test_elementwise_more.py",
    **dict.fromkeys(("nn.functional.glu", "nn.functional.embedding", "nn.functional.nll_loss"),
                    "halves an even dimension, or reads class / row indices: test_nn_functional"),
    "nn.functional.binary_cross_entropy": "refuses inputs outside [0, 1], as PyTorch: test_nn_functional",
}

# Static params per op (each tuple one variant); ops not here run with the inputs alone.
VARIANTS: dict[str, tuple[dict[str, Any], ...]] = {
    "softmax": ({"dim": 0},), "log_softmax": ({"dim": 0},), "cumsum": ({"dim": 0},),
    "logsumexp": ({"dim": 0}, {}),
    "clamp_scalar": ({"min": -1.0, "max": 1.0}, {"min": 0.5}, {"max": -0.5}, {"min": 1.0, "max": -1.0}),
    "logit": ({}, {"eps": 0.1}), "nan_to_num": ({}, {"nan": 1.0, "posinf": 2.0}),
    "norm": tuple({"p": p} for p in (2, 1, 0, 0.5, 1.5, 3, -1, math.inf, -math.inf)),
    "var": ({}, {"correction": 0}), "std": ({}, {"correction": 0}),
    "gelu": ({}, {"approximate": "tanh"}),
    "leaky_relu": ({}, {"negative_slope": 0.2}),
    "softplus": ({}, {"beta": 2.0, "threshold": 5.0}),
    "pad": ({"pad": (1, 2)}, {"pad": (1, 1), "mode": "reflect"}),
    "roll": ({"shifts": 1},),
    "cumprod": ({"dim": 0},), "logcumsumexp": ({"dim": 0},),
    "nn.functional.threshold": ({"threshold": 0.5, "value": -1.0},),
    "nn.functional.hardtanh": ({}, {"min_val": 0.0, "max_val": 2.0}),
    "nn.functional.elu": ({}, {"alpha": 0.5}), "nn.functional.celu": ({}, {"alpha": 2.0}),
    "nn.functional.smooth_l1_loss": ({}, {"beta": 0.0}, {"reduction": "none"}),
    "nn.functional.binary_cross_entropy_with_logits": ({}, {"pos_weight": np.array([2.0])}),
}


def op_function(name: str) -> Callable[..., Any]:
    """``tapegrad.NAME``, dotted names through their namespace (``nn.functional.elu``)."""
    function: Any = tapegrad
    for part in name.split("."):
        function = getattr(function, part)
    return function


def _finite(a: np.ndarray) -> bool:
    return bool(np.isfinite(a).all())


# Points where PyTorch 2.13 itself gives a NaN gradient at a finite value (the parity test checks
# each against PyTorch): (op variant, input index) -> predicate on the inputs (float64 arrays as
# the tensors hold them) and the dtype.
PYTORCH_NAN: dict[tuple[str, int], Callable[[list[np.ndarray], str], bool]] = {
    # the tanh form's slope has (1 - tanh^2) * x^2: 0 * inf once x * x overflows
    ("gelu approximate=tanh", 0): lambda xs, dt: bool((np.abs(xs[0]) > np.sqrt(np.finfo(dt).max)).any()),
    # d/dx x**y = y x**(y-1): 0 * inf or 1**nan-like forms when y is infinite or NaN
    ("pow", 0): lambda xs, dt: not _finite(xs[1]),
    # d/dy x**y = x**y log(x): log of a negative or NaN base; inf * 0 at x = inf, y < 0
    ("pow", 1): lambda xs, dt: bool(((xs[0] < 0) | np.isnan(xs[0]) | (np.isinf(xs[0]) & (xs[1] < 0))).any()),
    # atan2(y, x)'s gradients y / (x**2 + y**2) and x / (...): inf / inf when the other operand is infinite
    ("atan2", 0): lambda xs, dt: bool(np.isinf(xs[1]).any()),
    ("atan2", 1): lambda xs, dt: bool(np.isinf(xs[0]).any()),
    # hypot's gradients x / hypot(x, y): 0 / 0 at the origin
    ("hypot", 0): lambda xs, dt: bool(((xs[0] == 0) & (xs[1] == 0)).any()),
    ("hypot", 1): lambda xs, dt: bool(((xs[0] == 0) & (xs[1] == 0)).any()),
    # xlogy's d/dy = x / y: 0 / 0 at x = y = 0
    ("xlogy", 1): lambda xs, dt: bool(((xs[0] == 0) & (xs[1] == 0)).any()),
}


def _swept() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for op in table().canonical_ops():
        if op.plugin != PLUGIN or op.composite or not op.has_vjp or op.nin not in (1, 2) or op.name in NOT_SWEPT:
            continue
        for params in VARIANTS.get(op.name, ({},)):
            cases.append((op.name, params))
    return cases


CASES = _swept()


def _label(name: str, params: dict[str, Any]) -> str:
    return " ".join([name] + [f"{k}={v}" for k, v in params.items()])


def test_every_builtin_op_with_a_gradient_is_swept_or_excused():
    names = {name for name, _ in CASES}
    for op in table().canonical_ops():
        if op.plugin == PLUGIN and op.has_vjp and not op.composite and op.nin in (1, 2):
            assert op.name in names or op.name in NOT_SWEPT, op.name
    assert {"maximum", "minimum", "pow", "std", "norm", "mean", "relu", "clamp_scalar", "abs"} <= names


def _evaluate(name: str, params: dict[str, Any], inputs: list[np.ndarray], dtype: str, create_graph: bool):
    xs = [tapegrad.tensor(v, dtype=getattr(tapegrad, dtype), requires_grad=True) for v in inputs]
    out = op_function(name)(*xs, **params)
    grads = tapegrad.autograd.grad(out.sum(), xs, create_graph=create_graph)
    return out.detach().numpy().astype(np.float64), [g.detach().numpy().astype(np.float64) for g in grads]


def _grid(nin: int) -> list[list[np.ndarray]]:
    """Every special point, every pair of them as a vector (ties included) and, for binary ops,
    every pair of operands."""
    if nin == 2:
        return [[np.asarray([a]), np.asarray([b])] for a in SPECIAL for b in SPECIAL]
    singles = [[np.asarray([a])] for a in SPECIAL]
    return singles + [[np.asarray([a, b])] for i, a in enumerate(SPECIAL) for b in SPECIAL[i:]]


def _nan_gradients(name: str, params: dict[str, Any], inputs: list[np.ndarray], dtype: str) -> list[str]:
    """The gradients that are NaN where the value is finite and PyTorch's gradient is not NaN."""
    with np.errstate(all="ignore"):
        value, grads = _evaluate(name, params, inputs, dtype, create_graph=False)
    if not _finite(value):
        return []
    cast = [v.astype(dtype).astype(np.float64) for v in inputs]  # what the tensors hold
    found = []
    for i, g in enumerate(grads):
        excused = PYTORCH_NAN.get((_label(name, params), i))
        if np.isnan(g).any() and not (excused is not None and excused(cast, dtype)):
            found.append(f"{dtype} at {[c.tolist() for c in cast]}: value {value.tolist()}, gradient {i} {g.tolist()}")
    return found


@pytest.mark.parametrize("name,params", CASES, ids=[_label(n, p) for n, p in CASES])
def test_no_nan_gradient_where_the_value_is_finite_at_every_special_point(name, params):
    found = [f for dtype in DTYPES for inputs in _grid(table().ops[name].nin)
             for f in _nan_gradients(name, params, inputs, dtype)]
    assert not found, f"{_label(name, params)}: " + "; ".join(found[:5])


element = st.one_of(st.sampled_from(SPECIAL), st.floats(-3, 3, allow_nan=False, width=16))


@st.composite
def edge_case(draw: Any) -> tuple[str, dict[str, Any], str, list[np.ndarray]]:
    name, params = draw(st.sampled_from(CASES))
    dtype = draw(st.sampled_from(DTYPES))
    n = draw(st.integers(1, 3))
    x = [draw(element) for _ in range(n)]
    if draw(st.booleans()):  # ties: a repeated element (reductions) or equal operands (binary ops)
        x = [x[0]] * n
    inputs = [np.asarray(x, dtype=np.float64)]
    if table().ops[name].nin == 2:
        y = list(x) if draw(st.booleans()) else [draw(element) for _ in range(n)]
        inputs.append(np.asarray(y, dtype=np.float64))
    return name, params, dtype, inputs


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=edge_case())
def test_no_nan_gradient_where_the_value_is_finite_at_random_mixes(case):
    """Longer vectors mixing special and ordinary values, with ties."""
    name, params, dtype, inputs = case
    assert not _nan_gradients(name, params, inputs, dtype)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=edge_case())
def test_the_gradient_under_create_graph_is_the_plain_gradient(case):
    name, params, dtype, inputs = case
    with np.errstate(all="ignore"):
        _, plain = _evaluate(name, params, inputs, dtype, create_graph=False)
        _, recorded = _evaluate(name, params, inputs, dtype, create_graph=True)
    tol = {"float64": 1e-12, "float32": 1e-6, "float16": 1e-3}[dtype]
    for a, b in zip(plain, recorded):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=f"{_label(name, params)} {dtype} at {[v.tolist() for v in inputs]}")


@pytest.mark.parametrize("name", ["mean", "sum", "amax", "norm", "softmax", "std"])
def test_large_float16_reductions_have_nonzero_gradients(name):
    """Counts and shares of 70,000 elements overflow float16: scale factors must be computed wider."""
    x = tapegrad.ones(70000, dtype=tapegrad.float16, requires_grad=True)
    w = tapegrad.linspace(0.0, 1.0, 70000).to(tapegrad.float16)
    out = {"softmax": lambda: (tapegrad.softmax(x, dim=0) * w).sum(), "std": lambda: (x * w).std(),
           "norm": lambda: x.norm()}.get(name, lambda: getattr(x, name)())()
    g = tapegrad.autograd.grad(out, x)[0].numpy()
    assert np.isfinite(g).all() and (g != 0).any(), name
