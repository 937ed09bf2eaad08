"""array-api-strict as a backend: every built-in op passes the kit on it, tensors move both ways."""

from __future__ import annotations

import array_api_strict
import numpy as np
import pytest

import tapegrad
from tapegrad.testing import ops_of_plugin, parametrize_with_op_checks

BACKEND = "array_api_strict"


def test_the_backend_is_discovered_through_its_entry_point():
    info = {p.name: p for p in tapegrad.plugins.infos()}["array_api_strict"]
    assert info.source == "entry point" and info.error is None
    assert BACKEND in tapegrad.optable.table().backends


# reference values and special points are checked on NumPy (tests/test_kit.py); here, the backend
@parametrize_with_op_checks(ops_of_plugin("tapegrad.ops_builtin"), backends=(BACKEND,), skip=("reference", "edge_cases"))
def test_builtin_ops_conform_on_array_api_strict(op_check):
    op_check()


def test_every_builtin_op_has_a_backend_check():
    from tapegrad.testing import op_checks

    for name in ops_of_plugin("tapegrad.ops_builtin"):
        assert "backends" in {c.check for c in op_checks(name, backends=(BACKEND,))}, name


def test_round_trip_and_gradients_cross_the_seam():
    x = tapegrad.tensor([0.5, 1.5, 2.5], dtype=tapegrad.float64, requires_grad=True)
    xs = x.to(BACKEND)
    assert xs.backend == BACKEND and type(xs._data) is type(array_api_strict.asarray(0))
    assert xs.dtype is tapegrad.float64
    y = ((xs * xs).log() - 1 / xs).mean()
    y.backward()
    expected = (2 / x.detach().numpy() + 1 / x.detach().numpy() ** 2) / 3
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    back = xs.to("numpy")
    assert back.backend == "numpy" and back.tolist() == [0.5, 1.5, 2.5]


def test_second_order_across_the_seam():
    x = tapegrad.tensor([0.5, 2.0], dtype=tapegrad.float64, requires_grad=True)
    (g,) = tapegrad.autograd.grad((x.to(BACKEND) ** 3).sum(), x, create_graph=True)
    (h,) = tapegrad.autograd.grad(g.sum(), x)
    assert h.backend == "numpy"
    np.testing.assert_allclose(h.numpy(), 6 * np.array([0.5, 2.0]))


def test_mixing_backends_in_one_op_is_a_clear_error():
    a = tapegrad.ones(3).to(BACKEND)
    with pytest.raises(RuntimeError, match=r"same backend.*'array_api_strict' and 'numpy'.*tensor.to\("):
        a + tapegrad.ones(3)


def test_printing_names_the_backend():
    text = repr(tapegrad.tensor([1.0, 2.0]).to(BACKEND))
    assert text == "tensor([1., 2.], backend='array_api_strict')"


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(RuntimeError, match="no installed tapegrad backend provides device type 'cupy'"):
        tapegrad.ones(2).to("cupy")
