"""The everyday names of tests/test_tensor_api.py, run side by side with PyTorch (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tapegrad  # noqa: E402


def program(lib):
    """A PyTorch-style snippet using the names; returns what it computed, as plain data."""
    out = {}
    x = lib.Tensor([[1, 2, 3], [4, 5, 6]]).requires_grad_()
    y = x.clone() * 2
    z = lib.zeros(3, 2, dtype=lib.float).copy_(y.t())
    z = z.masked_fill(lib.tensor([True, False]), 0.5).index_select(0, lib.tensor([2, 0]))
    w = z.where(z > 1, lib.zeros_like(z))
    loss = (w.view_as(lib.ones(4)) * lib.eye(4)[0]).sum() + y.new_ones(2, 3).mul(y).sum()
    loss.backward()
    out["loss"] = loss.item()
    out["grad"] = x.grad.tolist()
    out["types"] = [x.type(), x.double().type(), x.long().dtype == lib.long, x.dtype == lib.float]
    out["shapes"] = [list(y.reshape_as(lib.ones(6)).shape), list(x[0:1].expand_as(x).shape),
                     list(lib.logspace(0, 1, 4).shape)]
    out["logspace"] = lib.logspace(0, 2, 3).tolist()
    out["close"] = [lib.allclose(x, x + 1e-9), lib.equal(x, x), lib.isclose(x, x + 1).tolist()]
    out["device"] = [str(x.device), repr(lib.device("cpu")), x.cpu() is x, x.to("cpu") is x]
    out["max"] = repr(lib.tensor([[1.0, 3.0], [2.0, 0.0]]).max(1)).replace("torch", "tapegrad")
    return out


def test_everyday_program_matches_torch():
    ours, theirs = program(tapegrad), program(torch)
    theirs["types"][:2] = [t.replace("torch", "tapegrad") for t in theirs["types"][:2]]
    for key in theirs:
        if key in ("loss", "logspace"):
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6)
        else:
            assert ours[key] == theirs[key], key


@pytest.mark.parametrize("spelling", ["float", "double", "half", "long", "int", "short", "uint8", "bool"])
def test_dtype_aliases_match(spelling):
    ours, theirs = getattr(tapegrad, spelling), getattr(torch, spelling)
    assert repr(ours).replace("tapegrad", "torch") == repr(theirs)


NAMED = {
    "rsub": lambda x, v: 1 - x, "sub": lambda x, v: x - 1, "pow0": lambda x, v: x ** 2,
    "pow1": lambda x, v: x ** x, "pow2": lambda x, v: 2 ** x, "sum0": lambda x, v: x.sum(),
    "sum1": lambda x, v: x.sum(0), "mean1": lambda x, v: x.mean(1), "prod1": lambda x, v: x.prod(0),
    "mm": lambda x, v: x @ x.T, "mv": lambda x, v: x @ v, "dot": lambda x, v: v @ v,
    "view": lambda x, v: x.reshape(6), "select": lambda x, v: x[0], "slice": lambda x, v: x[:, 1:],
    "ellipsis": lambda x, v: x[..., 0], "none": lambda x, v: x[None], "narrow": lambda x, v: x.narrow(1, 0, 2),
    "squeeze0": lambda x, v: x.squeeze(), "squeeze1": lambda x, v: x.squeeze(0), "to": lambda x, v: x.double(),
    "clone": lambda x, v: x.clone(), "masked_fill": lambda x, v: x.masked_fill(x > 0, 0.0),
    "copy": lambda x, v: x.new_zeros(2, 3).copy_(x),
}


@pytest.mark.parametrize("case", sorted(NAMED))
def test_node_names_match_torch(case):
    ours = NAMED[case](tapegrad.ones(2, 3, requires_grad=True), tapegrad.ones(3, requires_grad=True))
    theirs = NAMED[case](torch.ones(2, 3, requires_grad=True), torch.ones(3, requires_grad=True))
    assert ours.grad_fn.name() == type(theirs.grad_fn).__name__
