"""CuPy as the ``cuda`` device: the kit on every built-in op, moves, gradients, a training step.

Skipped cleanly without CuPy or without a CUDA device (CI has neither); run on a GPU machine."""

from __future__ import annotations

import numpy as np
import pytest

cupy = pytest.importorskip("cupy")
try:
    if cupy.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("no device")
except Exception as exc:  # CuPy without a usable GPU
    pytest.skip(f"no CUDA device ({exc})", allow_module_level=True)

import tapegrad  # noqa: E402
from tapegrad.testing import ops_of_plugin, parametrize_with_op_checks  # noqa: E402


@parametrize_with_op_checks(ops_of_plugin("tapegrad.ops_builtin"), backends=("cupy",), skip=("reference", "edge_cases"))
def test_builtin_ops_conform_on_cupy(op_check):
    op_check()


def test_cuda_device_moves_and_gradients():
    x = tapegrad.tensor([0.5, 1.5], requires_grad=True)
    xc = x.cuda()
    assert xc.device.type == "cuda" and type(xc._data) is cupy.ndarray
    (xc * xc).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 3.0])
    assert tapegrad.ones(3, device="cuda").device.type == "cuda"
    assert xc.cpu().device.type == "cpu"


def test_an_mlp_step_matches_numpy():
    rng = np.random.default_rng(0)
    x_np, w_np = rng.standard_normal((64, 32)), rng.standard_normal((32, 8))
    grads = []
    for device in ("cpu", "cuda"):
        x = tapegrad.tensor(x_np, device=device)
        w = tapegrad.tensor(w_np, device=device, requires_grad=True)
        (x @ w).tanh().pow(2).mean().backward()
        grads.append(w.grad.cpu().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)
