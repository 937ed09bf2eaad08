"""``cosine_similarity`` below ``eps``: PyTorch clamps a copy of each norm in place under no_grad, so
the gradient keeps the norm's own term there (the issue's reproducer: 9e7, not 1e8)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402


def _run(lib, a, b, **params):
    x1 = lib.tensor(a, dtype=lib.float64, requires_grad=True)
    x2 = lib.tensor(b, dtype=lib.float64, requires_grad=True)
    out = lib.nn.functional.cosine_similarity(x1, x2, **params)
    g1, g2 = lib.autograd.grad(out.sum(), (x1, x2))
    return [np.asarray(t.detach().numpy()) for t in (out, g1, g2)]


@pytest.mark.parametrize("scale", [0.0, 1e-12, 3e-9, 9.9e-9, 1e-8, 1.01e-8, 1e-3, 1.0])
@pytest.mark.parametrize("eps", [1e-8, 1e-2])
def test_gradients_at_norms_around_eps_are_pytorchs(scale, eps):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a = a / np.linalg.norm(a, axis=1, keepdims=True) * scale  # every row of norm `scale`
    for got, want in zip(_run(tapegrad, a, b, eps=eps), _run(torch, a, b, eps=eps)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_the_issue_reproducer():
    a, b = [[1e-9, 2e-9, -1e-9]], [[0.5, -1.0, 2.0]]
    _, g1, _ = _run(tapegrad, a, b)
    np.testing.assert_allclose(g1, _run(torch, a, b)[1], rtol=1e-12)  # 8.1e7 where 1/eps * x2's direction gave 8.7e7
