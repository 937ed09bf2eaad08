"""``linalg.solve_triangular`` with mixed dtypes, as PyTorch 2.13: ``B`` is solved in ``A``'s dtype
(the result's; each gradient in its input's), and an ``A`` that is not float32 or float64 is refused
in PyTorch's words, after the shape checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402

DTYPES = ["float32", "float64", "int64", "float16", "bool"]


def _outcome(lib, a_dtype, b_dtype, b_shape, left):
    a = lib.tensor([[2.0, 0.0], [1.0, 3.0]]).to(getattr(lib, a_dtype))
    b = lib.ones(b_shape).to(getattr(lib, b_dtype))
    try:
        x = lib.linalg.solve_triangular(a, b, upper=False, left=left)
    except Exception as exc:
        return type(exc).__name__, str(exc).splitlines()[0]
    return str(x.dtype).rpartition(".")[2], np.round(x.numpy().astype(float), 6).tolist()


@pytest.mark.parametrize("a_dtype, b_dtype", list(itertools.product(DTYPES, repeat=2)))
def test_results_and_refusals_are_pytorchs(a_dtype, b_dtype):
    for b_shape, left in (((2, 1), True), ((1, 2), False), ((2,), True), ((3, 1), True)):
        assert _outcome(tapegrad, a_dtype, b_dtype, b_shape, left) == _outcome(torch, a_dtype, b_dtype, b_shape, left)


def test_each_gradient_has_its_inputs_dtype():
    grads = []
    for lib in (torch, tapegrad):
        a = lib.tensor([[2.0, 0.0], [1.0, 3.0]], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([[1.0], [2.0]], dtype=lib.float32, requires_grad=True)
        x = lib.linalg.solve_triangular(a, b, upper=False)
        assert str(x.dtype).endswith("float64")
        grads.append([(str(g.dtype).rpartition(".")[2], g.numpy()) for g in lib.autograd.grad(x.sum(), (a, b))])
    for (dt_t, g_t), (dt_g, g_g) in zip(*grads):
        assert dt_t == dt_g
        np.testing.assert_allclose(g_g, g_t, rtol=1e-6)
