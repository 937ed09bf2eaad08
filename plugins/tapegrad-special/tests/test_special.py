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

OPS = ["special.log_expit", "i0", "special.i1", "special.iv"]


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
    assert _public(name).__doc__ == op.doc


def _public(name):
    """``tapegrad.NAME``, through its namespace for a dotted name."""
    fn = tapegrad
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn


def test_top_level_only_where_pytorch_has_the_name():
    assert tapegrad.i0 is tapegrad.special.i0  # torch.i0 and torch.special.i0
    for name in ("i1", "iv", "log_expit", "expit", "gammaln"):  # torch.special only, or not torch's at all
        assert not hasattr(tapegrad, name), name


def test_the_builtins_own_the_special_functions_pytorch_has_at_top_level():
    for name in ("erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "xlogy"):
        assert tapegrad.lookup(name).plugin == "tapegrad.ops_builtin", name
    for name in ("gammaln", "psi", "expit", "erf"):
        assert tapegrad.lookup(f"special.{name}").plugin == "tapegrad.ops_builtin", name


# ---------------------------------------------------------------------------- discovery
def test_reachable_through_entry_point_without_importing_the_plugin():
    script = textwrap.dedent("""
        import sys
        import tapegrad
        assert "tapegrad_special" not in sys.modules, "loaded before first use"
        x = tapegrad.tensor([0.5, 1.0])
        assert tapegrad.i0 is tapegrad.ops.i0
        print(tapegrad.i0(x).tolist())
        print(tapegrad.special.i1(x).tolist())
        [info] = [i for i in tapegrad.plugins.infos() if i.name == "special"]
        print(info.source, info.version, info.error)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    i0, i1, source = done.stdout.splitlines()
    np.testing.assert_allclose(eval(i0), sc.i0([0.5, 1.0]), rtol=1e-6)
    np.testing.assert_allclose(eval(i1), sc.i1([0.5, 1.0]), rtol=1e-6)
    assert source == "entry point 0.1.0 None"


def test_blocked_plugin_takes_its_ops_away():
    tapegrad.plugins.block("special")
    try:
        with pytest.raises(tapegrad.NoSuchOpError, match="i0"):
            tapegrad.ops.i0
        assert tapegrad.erf(tapegrad.zeros(1)).tolist() == [0.0]  # the built-ins stay
    finally:
        tapegrad.plugins.unblock("special")
    assert tapegrad.lookup("i0").plugin == "special"


# ---------------------------------------------------------------------------- values
UNARY = {
    "special.log_expit": (sc.log_expit, (-40, 40)), "i0": (sc.i0, (-5, 5)), "special.i1": (sc.i1, (-5, 5)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_values_and_dtype_match_scipy(name, dtype):
    reference, (low, high) = UNARY[name]
    x = np.linspace(low, high, 37).astype(dtype).reshape(37, 1)
    out = _public(name)(tapegrad.from_numpy(x))
    assert out.dtype == getattr(tapegrad, dtype) and tuple(out.shape) == (37, 1)
    np.testing.assert_allclose(out.detach().numpy(), reference(x), rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("v", [0, 1, 2, 2.5, -1.5])
def test_iv_values(v):
    x = np.linspace(0.1, 5, 11)
    got = tapegrad.special.iv(tapegrad.from_numpy(x), v=v).detach().numpy()
    np.testing.assert_allclose(got, sc.iv(v, x), rtol=1e-13)


# the built-ins the plugin used to provide, cross-checked against SciPy where SciPy is installed anyway
BUILTIN = {
    "erf": (sc.erf, (-6, 6)), "erfc": (sc.erfc, (-6, 10)),  # SciPy loses digits further out "erfinv": (sc.erfinv, (-0.999999, 0.999999)),
    "lgamma": (sc.gammaln, (0.01, 300)), "digamma": (sc.digamma, (0.01, 300)),
}


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtins_agree_with_scipy(name):
    reference, (low, high) = BUILTIN[name]
    x = np.linspace(low, high, 2001)
    x = x[np.abs(x - 1.4616321449683622) > 1e-3] if name == "digamma" else x  # SciPy's own error near its root
    x = x[(np.abs(x - 1) > 1e-3) & (np.abs(x - 2) > 1e-3)] if name == "lgamma" else x  # and near lgamma's zeros
    got = getattr(tapegrad, name)(tapegrad.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, reference(x), rtol=2e-14, atol=1e-300)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_polygamma_agrees_with_scipy(n):
    x = np.linspace(0.1, 10, 23)
    np.testing.assert_allclose(tapegrad.polygamma(n, tapegrad.from_numpy(x)).numpy(), sc.polygamma(n, x), rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4),
                  elements=st.floats(-20, 20, allow_nan=False)))
def test_first_derivatives_match_closed_forms(data):
    x = tapegrad.from_numpy(data).requires_grad_(True)
    cases = [
        (tapegrad.special.log_expit(x), sc.expit(-data)),
        (tapegrad.i0(x), sc.i1(data)),
        (tapegrad.special.i1(x), sc.ivp(1, data)),
    ]
    for out, want in cases:
        [g] = grad(out.sum(), [x])
        np.testing.assert_allclose(g.detach().numpy(), want, rtol=1e-10)


def test_i1_gradient_at_zero_is_one_half():
    x = tapegrad.tensor([0.0, -0.0], dtype=tapegrad.float64, requires_grad=True)
    [g] = grad(tapegrad.special.i1(x).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [0.5, 0.5])
    [h] = grad(g.sum(), [x])
    np.testing.assert_allclose(h.detach().numpy(), [0.0, 0.0], atol=1e-15)  # i1 is odd: i1''(0) = 0


# ---------------------------------------------------------------------------- higher order
def test_create_graph_through_i0_gives_its_second_derivative():
    data = np.array([0.3, 1.0, 2.5])
    x = tapegrad.from_numpy(data).requires_grad_(True)
    [d1] = grad(tapegrad.i0(x).sum(), [x], create_graph=True)
    [d2] = grad(d1.sum(), [x])
    np.testing.assert_allclose(d2.detach().numpy(), sc.ivp(0, data, 2), rtol=1e-12)


# ---------------------------------------------------------------------------- backends
def test_numpy_only_backend_is_declared_and_kit_skips_others():
    from tapegrad.testing import op_checks

    checks = {c.check for name in OPS for c in op_checks(name)}
    assert "backends" not in checks
