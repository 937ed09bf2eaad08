"""torch.func.vmap side by side with tapegrad.func.vmap on the batched paths (skipped without torch).

Each call runs under ``BatchingFallbackWarning`` as an error: tapegrad must batch it op by op
(no loop), and give what PyTorch gives.
"""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.func as TF  # noqa: E402

import tapegrad  # noqa: E402
from parity.nested import assert_same  # noqa: E402
from tapegrad import func as F  # noqa: E402
from tapegrad.batching import BatchingFallbackWarning  # noqa: E402

RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 3, 2))
W = RNG.standard_normal((2, 5))
V = RNG.standard_normal(3)
S = RNG.standard_normal(4)

CALLS = {
    "elementwise": lambda L, M: M.vmap(lambda r: (r.sin() * 2 + 1).exp() / (1 + r * r))(L(X)),
    "broadcast_unbatched": lambda L, M: M.vmap(lambda r, v: r * v.unsqueeze(-1) - v.sum(), in_dims=(0, None))(L(X),
                                                                                                         L(V)),
    "in_dims_1": lambda L, M: M.vmap(lambda r: r.tanh().sum(-1), in_dims=1)(L(X)),
    "reductions": lambda L, M: M.vmap(lambda r: r.sum(0) * r.mean() + r.amax(0) + r.logsumexp(0) + r.std(0)
                                      + r.amax(-1, keepdim=True).squeeze(-1).prod())(L(X)),
    "argmax": lambda L, M: M.vmap(lambda r: r.argmax())(L(X)),
    "shape_ops": lambda L, M: M.vmap(lambda r: r.transpose(0, 1).reshape(-1).unsqueeze(0).expand(2, 6).flatten())(L(X)),
    "permute_flip_cat": lambda L, M: M.vmap(lambda r: M_cat(M, [r.permute(1, 0), r.flip(0).T], 1))(L(X)),
    "stack_getitem": lambda L, M: M.vmap(lambda r: M_stack(M, [r[0], r[-1], r[1, ...]], 0)[:, None, 1:])(L(X)),
    "matmul": lambda L, M: M.vmap(lambda r, w: (r @ w).softmax(-1), in_dims=(0, None))(L(X), L(W)),
    "matvec_batched_rhs": lambda L, M: M.vmap(lambda v, r: r.T @ v, in_dims=(None, 0))(L(V), L(X)),
    "scalar_examples": lambda L, M: M.vmap(lambda s, v: s * v + s ** 2, in_dims=(0, None))(L(S), L(V)),
    "nested": lambda L, M: M.vmap(M.vmap(lambda a, w: (a @ w).relu(), in_dims=(0, None)),
                                  in_dims=(1, None))(L(X), L(W)),
    "out_dims": lambda L, M: M.vmap(lambda r: (r.cumsum(0), r.norm()), out_dims=(2, 0))(L(X)),
    "grad_of_vmap": lambda L, M: M.grad(lambda x: M.vmap(lambda r: (r.sin() @ r.T).sum())(x).sum())(L(X)),
    "vmap_grad": lambda L, M: M.vmap(M.grad(lambda r, w: (r @ w).tanh().sum()), in_dims=(0, None))(L(X), L(W)),
    "vmap_vmap_grad": lambda L, M: M.vmap(M.vmap(M.grad(lambda r: (r.sin() * r).sum())))(L(X)),
    "vmap_jacrev": lambda L, M: M.vmap(M.jacrev(lambda r: (r @ r.T).sin()), in_dims=1)(L(X)),
    "vmap_hessian": lambda L, M: M.vmap(M.hessian(lambda r: (r.exp() * r).sum()))(L(X)),
    "where_clamp": lambda L, M: M.vmap(lambda r: M_where(M, r > 0, r, r.clamp(min=-0.5) * 3))(L(X)),
}


def _namespace(M):
    return torch if M is TF else tapegrad


def M_cat(M, xs, dim):  # noqa: N802 - the module-generic spellings of cat/stack/where
    return _namespace(M).cat(xs, dim)


def M_stack(M, xs, dim):  # noqa: N802
    return _namespace(M).stack(xs, dim)


def M_where(M, c, x, y):  # noqa: N802
    return _namespace(M).where(c, x, y)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_batched_vmap_matches_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        ours = CALLS[name](lambda a: tapegrad.tensor(a, dtype=tapegrad.float64), F)
    theirs = CALLS[name](lambda a: torch.tensor(a, dtype=torch.float64), TF)
    assert_same(ours, theirs)


def test_gradients_through_vmap_match_torch():
    def run(L, M):
        x = L(X).requires_grad_()
        w = L(W).requires_grad_()
        M.vmap(lambda r: (r @ w).tanh().sum(0))(x).pow(2).sum().backward()
        return x.grad, w.grad

    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchingFallbackWarning)
        ours = run(lambda a: tapegrad.tensor(a, dtype=tapegrad.float64), F)
    theirs = run(lambda a: torch.tensor(a, dtype=torch.float64), TF)
    assert_same(ours, theirs)
