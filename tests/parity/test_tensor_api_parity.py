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
