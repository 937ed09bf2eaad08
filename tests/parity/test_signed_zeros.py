"""Signed zeros PyTorch 2.13 gives, which the kit's sign comparison found tapegrad getting wrong:
each value and gradient compared bit for bit in its sign (``-0.`` is not ``0.``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402


def _same(got, want) -> None:
    """Equal to a few ulps, and every zero of PyTorch's sign."""
    got, want = np.asarray(got), np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    zeros = (got == 0) & (want == 0)
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))


def _grads(fn_t, fn_g, *values, cotangent=None):
    """Values and gradients of ``fn_t`` (PyTorch) and ``fn_g`` (tapegrad) on ``values`` (float64)."""
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    gs = [tapegrad.tensor(v, dtype=tapegrad.float64, requires_grad=True) for v in values]
    out_t, out_g = fn_t(*ts), fn_g(*gs)
    u = np.ones(tuple(out_t.shape)) if cotangent is None else np.asarray(cotangent, dtype=np.float64)
    want = torch.autograd.grad(out_t, ts, torch.tensor(u), allow_unused=True)
    got = tapegrad.autograd.grad(out_g, gs, tapegrad.tensor(u), allow_unused=True)
    _same(out_g.detach().numpy(), out_t.detach().numpy())
    for a, b in zip(got, want):
        _same(a.numpy(), b.numpy())


def test_softshrink_is_plus_zero_between_the_bounds():
    # 8 float64 elements: PyTorch's vectorised kernel (its scalar loop, for fewer, gives -0. at a negative x)
    x = [0.3, -0.3, 0.0, -0.0, -0.5, 0.5, 0.7, -0.7]
    _grads(torch.nn.functional.softshrink, tapegrad.nn.functional.softshrink, x)


def test_sinc_slope_at_zero_is_plus_zero():
    _grads(torch.sinc, tapegrad.sinc, [0.0, -0.0, 0.05, -0.05])
    _grads(torch.sinc, tapegrad.sinc, [0.0, -0.0], cotangent=[-1.0, -1.0])


def test_atan2_gradients_at_every_signed_zero_and_axis():
    values = [0.0, -0.0, 1.0, -1.0]
    pairs = list(itertools.product(values, values))
    y, x = [p[0] for p in pairs], [p[1] for p in pairs]
    for g in (1.0, -1.0):
        _grads(torch.atan2, tapegrad.atan2, y, x, cotangent=[g] * len(pairs))


def test_cdist_x2_gradient_zeros_are_plus_zero():
    a, b = [[0.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, 3.0]]
    for p in (0.5, 1.0, 2.0, 3.0, float("inf")):
        _grads(lambda u, v: torch.cdist(u, v, p=p), lambda u, v: tapegrad.cdist(u, v, p=p), a, b)


def test_binary_cross_entropy_target_gradient_is_minus_logit():
    for reduction, u in (("none", [1.0, -1.0, 1.0, 1.0]), ("sum", None), ("mean", None)):
        def bce(F):
            return lambda x, t: F.binary_cross_entropy(x, t, reduction=reduction)

        _grads(bce(torch.nn.functional), bce(tapegrad.nn.functional), [0.5, 0.5, 0.25, 0.9], [0.0, 1.0, 0.3, 0.0],
               cotangent=u)


def test_dropout_with_p_1_keeps_the_signs():
    x = [0.5, -0.5, -0.0]
    want = torch.nn.functional.dropout(torch.tensor(x, dtype=torch.float64), p=1.0)
    _same(tapegrad.nn.functional.dropout(tapegrad.tensor(x, dtype=tapegrad.float64), p=1.0).numpy(), want.numpy())


def test_einsum_diagonal_embedding_has_plus_zeros_off_the_diagonal():
    x = [-1.5, 0.0, 2.0]
    want = torch.diag_embed(torch.tensor(x, dtype=torch.float64))  # PyTorch's einsum refuses "i->ii"
    _same(tapegrad.contract(tapegrad.tensor(x, dtype=tapegrad.float64), equation="i->ii").numpy(), want.numpy())
