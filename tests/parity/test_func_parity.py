"""torch.func's transforms side by side with tapegrad.func's (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.func as TF  # noqa: E402

import tapegrad  # noqa: E402
from parity.nested import assert_same  # noqa: E402
from tapegrad import func as F  # noqa: E402

A = np.array([0.3, -0.7, 1.2])
B = np.array([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]])


def pair(x, y):
    return (x.sin() * y).sum(1), x.exp()


def cube(x):
    return (x ** 3).sum()


CALLS = {
    "jvp": lambda L, M: M.jvp(pair, (L(A), L(B)), (L(A[::-1].copy()), L(B * 2)))[1],
    "jacfwd": lambda L, M: M.jacfwd(lambda t: t.sin() * t)(L(A)),
    "jacfwd_tuple": lambda L, M: M.jacfwd(pair, argnums=(0, 1))(L(A), L(B)),
    "jacrev_tuple": lambda L, M: M.jacrev(pair, argnums=(0, 1))(L(A), L(B)),
    "hessian_fwd_rev": lambda L, M: M.jacfwd(M.jacrev(cube))(L(A)),
    "hessian": lambda L, M: M.hessian(cube)(L(A)),
    "grad_and_value": lambda L, M: M.grad_and_value(cube)(L(A)),
    "grad_of_jvp": lambda L, M: M.grad(lambda t: M.jvp(cube, (t,), (L(np.ones(3)),))[1])(L(A)),
    "vjp": lambda L, M: M.vjp(lambda t: t.sin(), L(A))[1](L(A)),
    "linearize": lambda L, M: M.linearize(lambda t: t.sin() * t, L(A))[1](L(A)),
}



@pytest.mark.parametrize("name", sorted(CALLS))
def test_func_matches_torch(name):
    ours = CALLS[name](lambda a: tapegrad.tensor(a, dtype=tapegrad.float64), F)
    theirs = CALLS[name](lambda a: torch.tensor(a, dtype=torch.float64), TF)
    assert_same(ours, theirs)


VMAPPED = {
    "vmap": lambda L, M: M.vmap(lambda r: (r * r).sum())(L(B)),
    "vmap_in_dims": lambda L, M: M.vmap(lambda r, s: r * s, in_dims=(1, None))(L(B), L(A[:2])),
    "vmap_grad": lambda L, M: M.vmap(M.grad(lambda r: (r.sin() * r).sum()))(L(B)),
    "vmap_nested": lambda L, M: M.vmap(M.vmap(lambda a: a.exp()))(L(B)),
    "vmap_out_dims": lambda L, M: M.vmap(lambda r: (r, r.sum()), out_dims=(1, 0))(L(B)),
    "vmap_jacrev": lambda L, M: M.vmap(M.jacrev(lambda r: r.sin() * r))(L(B)),
}


@pytest.mark.parametrize("name", sorted(VMAPPED))
def test_vmap_matches_torch(name):
    ours = VMAPPED[name](lambda a: tapegrad.tensor(a, dtype=tapegrad.float64), F)
    theirs = VMAPPED[name](lambda a: torch.tensor(a, dtype=torch.float64), TF)
    assert_same(ours, theirs)
