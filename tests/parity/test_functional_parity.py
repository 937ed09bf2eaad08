"""torch.autograd.functional and gradcheck, side by side with tapegrad's (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402
from parity.nested import assert_same  # noqa: E402
import tapegrad.autograd.functional as F  # noqa: E402
import torch.autograd.functional as TF  # noqa: E402

rng = np.random.default_rng(1234)
A, B, C = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(3)


def f_elementwise(x):
    return x.sin() * x


def f_pair(x, y):
    return (x * y).sum(1), x.exp() * y


def f_scalar(x):
    return (x ** 3).sum() + (x[0] * x).sum()


def f_scalar_pair(x, y):
    return (x.sin() * y).sum() ** 2


CALLS = {
    "jacobian": lambda L, M: M.jacobian(f_elementwise, L(A)),
    "jacobian_tuple": lambda L, M: M.jacobian(f_pair, (L(A), L(B))),
    "jacobian_unused": lambda L, M: M.jacobian(lambda x, y: x * 2, (L(A), L(B))),
    "hessian": lambda L, M: M.hessian(f_scalar, L(A)),
    "hessian_tuple": lambda L, M: M.hessian(f_scalar_pair, (L(A), L(B))),
    "vjp": lambda L, M: M.vjp(f_elementwise, L(A), L(C)),
    "vjp_tuple": lambda L, M: M.vjp(f_pair, (L(A), L(B)), (L(A[:2]), L(B))),
    "vjp_scalar": lambda L, M: M.vjp(f_scalar, L(A)),
    "jvp": lambda L, M: M.jvp(f_elementwise, L(A), L(C)),
    "jvp_tuple": lambda L, M: M.jvp(f_pair, (L(A), L(B)), (L(C), L(B))),
    "hvp": lambda L, M: M.hvp(f_scalar, L(A), L(C)),
    "vhp": lambda L, M: M.vhp(f_scalar, L(A), L(C)),
    "hvp_tuple": lambda L, M: M.hvp(f_scalar_pair, (L(A), L(B)), (L(C), L(B))),
}



@pytest.mark.parametrize("name", sorted(CALLS))
def test_functional_matches_torch(name):
    ours = CALLS[name](lambda a: tapegrad.tensor(a, dtype=tapegrad.float64), F)
    theirs = CALLS[name](lambda a: torch.tensor(a, dtype=torch.float64), TF)
    assert_same(ours, theirs)


def test_functional_errors_match_torch():
    for call in (
        lambda L, M: M.vjp(f_elementwise, L(A)),
        lambda L, M: M.vjp(f_elementwise, L(A), L(B)),
        lambda L, M: M.jacobian(lambda x, y: x * 2, (L(A), L(B)), strict=True),
    ):
        with pytest.raises(RuntimeError) as theirs:
            call(lambda a: torch.tensor(a, dtype=torch.float64), TF)
        with pytest.raises(RuntimeError) as ours:
            call(lambda a: tapegrad.tensor(a, dtype=tapegrad.float64), F)
        assert str(ours.value).replace("tapegrad", "torch") == str(theirs.value)


@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
def test_gradcheck_verdicts_match_torch(check):
    def make(L):
        class Wrong(L.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * a

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                # wrong first derivative for gradcheck; right first, cut second for gradgradcheck
                return g * a * 3 if check == "gradcheck" else g * a.detach() * 2

        x = L.tensor(B, dtype=L.float64, requires_grad=True)
        good = getattr(L.autograd, check)(lambda a: (a.sin() * a).exp(), (x,))
        bad = getattr(L.autograd, check)(Wrong.apply, (x,), raise_exception=False)
        return good, bad

    assert make(tapegrad) == make(torch) == (True, False)
