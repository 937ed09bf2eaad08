"""tapegrad-special: the conformance kit on every op, values against SciPy, and discovery."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.special as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad
from tapegrad.autograd import grad
from tapegrad.testing import ops_of_plugin, parametrize_with_op_checks

OPS = ["erf", "erfc", "erfinv", "gammaln", "digamma", "polygamma", "expit", "log_expit",
       "xlogy", "i0", "i1", "iv"]


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(ops_of_plugin("special"))
def test_conformance(op_check):
    op_check()


def test_plugin_registers_exactly_these_ops():
    assert sorted(ops_of_plugin("special")) == sorted(OPS)


@pytest.mark.parametrize("name", OPS)
def test_ops_say_plugin_special_and_numpy_only(name):
    op = tapegrad.lookup(name)
    assert op.plugin == "special"
    assert op.backends == ("numpy",)
    assert op.second_order
    assert op.doc, "the forward's docstring becomes the op's doc"
    assert getattr(tapegrad, name).__doc__ == op.doc


# ---------------------------------------------------------------------------- discovery
def test_reachable_through_entry_point_without_importing_the_plugin():
    script = textwrap.dedent("""
        import sys
        import tapegrad
        assert "tapegrad_special" not in sys.modules, "loaded before first use"
        x = tapegrad.tensor([0.5, 1.0])
        assert tapegrad.erf is tapegrad.ops.erf
        print(tapegrad.erf(x).tolist())
        print(tapegrad.ops.gammaln(x).tolist())
        [info] = [i for i in tapegrad.plugins.infos() if i.name == "special"]
        print(info.source, info.version, info.error)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    erf, gammaln, source = done.stdout.splitlines()
    np.testing.assert_allclose(eval(erf), sc.erf([0.5, 1.0]), rtol=1e-6)
    np.testing.assert_allclose(eval(gammaln), sc.gammaln([0.5, 1.0]), rtol=1e-6, atol=1e-7)
    assert source == "entry point 0.1.0 None"


def test_blocked_plugin_takes_its_ops_away():
    tapegrad.plugins.block("special")
    try:
        with pytest.raises(tapegrad.NoSuchOpError, match="erf"):
            tapegrad.ops.erf
    finally:
        tapegrad.plugins.unblock("special")
    assert tapegrad.lookup("erf").plugin == "special"


# ---------------------------------------------------------------------------- values
UNARY = {
    "erf": (sc.erf, (-3, 3)), "erfc": (sc.erfc, (-3, 3)), "erfinv": (sc.erfinv, (-0.99, 0.99)),
    "gammaln": (sc.gammaln, (0.01, 30)), "digamma": (sc.digamma, (0.01, 30)),
    "expit": (sc.expit, (-40, 40)), "log_expit": (sc.log_expit, (-40, 40)),
    "i0": (sc.i0, (-5, 5)), "i1": (sc.i1, (-5, 5)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_values_and_dtype_match_scipy(name, dtype):
    reference, (low, high) = UNARY[name]
    x = np.linspace(low, high, 37).astype(dtype).reshape(37, 1)
    out = getattr(tapegrad, name)(tapegrad.from_numpy(x))
    assert out.dtype == getattr(tapegrad, dtype) and tuple(out.shape) == (37, 1)
    np.testing.assert_allclose(out.detach().numpy(), reference(x), rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("n", [0, 1, 2, 4])
def test_polygamma_values(n):
    x = np.linspace(0.1, 10, 23)
    out = tapegrad.polygamma(tapegrad.from_numpy(x), n=n)
    np.testing.assert_allclose(out.detach().numpy(), sc.polygamma(n, x), rtol=1e-13)
    assert tapegrad.polygamma(tapegrad.from_numpy(x.astype("float32")), n=n).dtype == tapegrad.float32


@pytest.mark.parametrize("bad", [-1, 1.5, True, "1"])
def test_polygamma_order_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        tapegrad.polygamma(tapegrad.ones(3), n=bad)


def test_polygamma_order_is_keyword_only():
    # torch.polygamma(n, x) puts n first; refusing positional n keeps that spelling from misbinding.
    with pytest.raises(TypeError):
        tapegrad.polygamma(tapegrad.ones(3), 1)


@pytest.mark.parametrize("v", [0, 1, 2, 2.5, -1.5])
def test_iv_values(v):
    x = np.linspace(0.1, 5, 11)
    np.testing.assert_allclose(tapegrad.iv(tapegrad.from_numpy(x), v=v).detach().numpy(), sc.iv(v, x), rtol=1e-13)


def test_xlogy_values_broadcasting_and_zero_convention():
    x = np.array([[0.0], [2.0]])
    y = np.array([0.0, 0.5, 3.0])
    got = tapegrad.xlogy(tapegrad.from_numpy(x), tapegrad.from_numpy(y))
    np.testing.assert_array_equal(got.detach().numpy(), sc.xlogy(x, y))
    assert got.detach().numpy()[0].tolist() == [0.0, 0.0, 0.0]
    y32 = tapegrad.from_numpy(y.astype("float32"))
    assert tapegrad.xlogy(2.0, y32).dtype == tapegrad.float32  # SciPy computes in float64
    assert tapegrad.xlogy(y32, 2.0).dtype == tapegrad.float32


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4),
                  elements=st.floats(-20, 20, allow_nan=False)))
def test_first_derivatives_match_closed_forms(data):
    x = tapegrad.from_numpy(data).requires_grad_(True)
    pos = tapegrad.from_numpy(np.abs(data) + 0.5).requires_grad_(True)
    cases = [
        (tapegrad.erf(x), x, 2 / np.sqrt(np.pi) * np.exp(-data**2), 0),
        (tapegrad.erfc(x), x, -2 / np.sqrt(np.pi) * np.exp(-data**2), 0),
        # ans * (1 - ans), as PyTorch computes it: 1 - ans loses digits where expit rounds to 1
        (tapegrad.expit(x), x, sc.expit(data) * sc.expit(-data), 1e-15),
        (tapegrad.log_expit(x), x, sc.expit(-data), 0),
        (tapegrad.i0(x), x, sc.i1(data), 0),
        (tapegrad.i1(x), x, sc.ivp(1, data), 0),
        (tapegrad.gammaln(pos), pos, sc.digamma(pos.detach().numpy()), 0),
        (tapegrad.digamma(pos), pos, sc.polygamma(1, pos.detach().numpy()), 0),
    ]
    for out, wrt, want, atol in cases:
        [g] = grad(out.sum(), [wrt])
        np.testing.assert_allclose(g.detach().numpy(), want, rtol=1e-10, atol=atol)


def test_erfinv_gradient_is_reciprocal_of_erf_gradient():
    data = np.linspace(-0.99, 0.99, 9)
    x = tapegrad.from_numpy(data).requires_grad_(True)
    [g] = grad(tapegrad.erfinv(x).sum(), [x])
    y = sc.erfinv(data)
    np.testing.assert_allclose(g.detach().numpy(), 1 / (2 / np.sqrt(np.pi) * np.exp(-y**2)), rtol=1e-12)


def test_i1_gradient_at_zero_is_one_half():
    x = tapegrad.tensor([0.0, -0.0], dtype=tapegrad.float64, requires_grad=True)
    [g] = grad(tapegrad.i1(x).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [0.5, 0.5])
    [h] = grad(g.sum(), [x])
    np.testing.assert_allclose(h.detach().numpy(), [0.0, 0.0], atol=1e-15)  # i1 is odd: i1''(0) = 0


# ---------------------------------------------------------------------------- higher order
def test_create_graph_through_digamma_gives_polygamma():
    data = np.array([0.3, 1.0, 2.5, 7.0])
    x = tapegrad.from_numpy(data).requires_grad_(True)
    [d1] = grad(tapegrad.digamma(x).sum(), [x], create_graph=True)
    assert d1.requires_grad and d1.grad_fn is not None  # g * polygamma(x, n=1), recorded
    np.testing.assert_allclose(d1.detach().numpy(), sc.polygamma(1, data), rtol=1e-13)
    [d2] = grad(d1.sum(), [x], create_graph=True)
    np.testing.assert_allclose(d2.detach().numpy(), sc.polygamma(2, data), rtol=1e-13)
    [d3] = grad(d2.sum(), [x])
    np.testing.assert_allclose(d3.detach().numpy(), sc.polygamma(3, data), rtol=1e-13)


def test_gammaln_third_derivative_is_polygamma_2():
    data = np.array([0.7, 3.0])
    x = tapegrad.from_numpy(data).requires_grad_(True)
    g = tapegrad.gammaln(x).sum()
    for _ in range(3):
        [g] = grad(g.sum() if g.ndim else g, [x], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), sc.polygamma(2, data), rtol=1e-13)


def test_expit_second_derivative():
    data = np.linspace(-4, 4, 9)
    x = tapegrad.from_numpy(data).requires_grad_(True)
    [d1] = grad(tapegrad.expit(x).sum(), [x], create_graph=True)
    [d2] = grad(d1.sum(), [x])
    s = sc.expit(data)
    np.testing.assert_allclose(d2.detach().numpy(), s * (1 - s) * (1 - 2 * s), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------- backends
def test_numpy_only_backend_is_declared_and_kit_skips_others():
    from tapegrad.testing import op_checks

    checks = {c.check for name in OPS for c in op_checks(name)}
    assert "backends" not in checks
