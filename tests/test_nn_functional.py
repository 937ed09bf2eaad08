"""``tapegrad.nn.functional`` (ops_builtin/nn_activations.py, nn_losses.py): every op through the
conformance kit (first and second order, array_api_strict too), PyTorch's node names, errors and
warnings, dropout's seeding, and hypothesis properties of the losses and activations."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
import tapegrad.nn.functional as F
from tapegrad import Registry
from tapegrad.ops_builtin import nn_activations, nn_losses
from conftest import EAGER
from tapegrad.testing import parametrize_with_op_checks


def _names(module) -> list[str]:
    registry = Registry("probe")
    module.register(registry)
    return sorted(op.name for op, _ in registry.ops)


OPS = _names(nn_activations) + _names(nn_losses)


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS, backends=EAGER)
def test_conformance(op_check):
    op_check()


def test_the_list_above_is_every_op_the_modules_register():
    assert {tapegrad.lookup(name).plugin for name in OPS} == {"tapegrad.ops_builtin"}
    assert all(name.startswith("nn.functional.") for name in OPS)


# ---------------------------------------------------------------------------- the namespace
def test_the_namespace_imports_and_holds_the_flat_activations_as_aliases():
    from tapegrad.nn.functional import cross_entropy

    assert cross_entropy is F.cross_entropy is tapegrad.nn.functional.cross_entropy
    for name in ("relu", "leaky_relu", "gelu", "softplus", "sigmoid", "tanh", "softmax", "log_softmax"):
        assert getattr(F, name) is getattr(tapegrad, name), name


@pytest.mark.parametrize("name", ["selu", "celu", "threshold", "hardshrink", "cosine_similarity",
                                  "pairwise_distance", "bilinear"])
def test_pytorch_top_level_names_are_aliases(name):
    assert getattr(tapegrad, name) is getattr(F, name)


def test_hardshrink_is_a_tensor_method_as_in_pytorch():
    x = tapegrad.tensor([-1.0, 0.2, 0.75])
    assert x.hardshrink(0.5).tolist() == F.hardshrink(x, 0.5).tolist() == [-1.0, 0.0, 0.75]


# ---------------------------------------------------------------------------- node names (PyTorch 2.13's)
X = tapegrad.tensor([[0.5, -1.0, 2.0, -0.25], [1.5, 0.0, -2.0, 3.0]], requires_grad=True)
T = tapegrad.tensor([[0.25, -0.5, 1.0, 0.0], [1.0, 0.5, -1.0, 2.0]])
P = tapegrad.tensor([[0.25, 0.5, 0.75, 0.5], [0.125, 0.5, 0.25, 0.875]], requires_grad=True)
LABELS = tapegrad.tensor([1, 3])
NODES = {
    "ReluBackward0": lambda: F.relu(X), "HardtanhBackward0": lambda: F.relu6(X),
    "EluBackward0": lambda: F.selu(X), "CeluBackward0": lambda: F.celu(X), "GeluBackward0": lambda: F.gelu(X),
    "SiluBackward0": lambda: F.silu(X), "MishBackward0": lambda: F.mish(X), "DivBackward0": lambda: F.softsign(X),
    "HardsigmoidBackward0": lambda: F.hardsigmoid(X), "HardswishBackward0": lambda: F.hardswish(X),
    "LogSigmoidBackward0": lambda: F.logsigmoid(X), "SubBackward0": lambda: F.tanhshrink(X),
    "SoftshrinkBackward0": lambda: F.softshrink(X), "HardshrinkBackward0": lambda: F.hardshrink(X),
    "ThresholdBackward0": lambda: F.threshold(X, 0.1, 20.0), "GluBackward0": lambda: F.glu(X),
    "SoftmaxBackward0": lambda: F.softmin(X, dim=1), "MseLossBackward0": lambda: F.mse_loss(X, T),
    "MeanBackward0": lambda: F.l1_loss(X, T), "SmoothL1LossBackward0": lambda: F.smooth_l1_loss(X, T),
    "HuberLossBackward0": lambda: F.huber_loss(X, T), "NllLossBackward0": lambda: F.cross_entropy(X, LABELS),
    "NllLoss2DBackward0": lambda: F.nll_loss(X.reshape(1, 2, 4), tapegrad.tensor([[0, 1, 1, 0]])),
    "BinaryCrossEntropyBackward0": lambda: F.binary_cross_entropy(P, P.detach()),
    "BinaryCrossEntropyWithLogitsBackward0": lambda: F.binary_cross_entropy_with_logits(X, P.detach()),
    "EmbeddingBackward0": lambda: F.embedding(LABELS, X.reshape(4, 2)),
}


@pytest.mark.parametrize("node", NODES)
def test_node_names_are_pytorchs(node):
    assert repr(NODES[node]().grad_fn).startswith(f"<{node} object at 0x")


def test_smooth_l1_with_beta_0_is_l1_loss_and_named_so():
    for reduction, node in (("mean", "MeanBackward0"), ("sum", "SumBackward0"), ("none", "AbsBackward0")):
        y = F.smooth_l1_loss(X, T, beta=0.0, reduction=reduction)
        assert repr(y.grad_fn).startswith(f"<{node} "), reduction
        np.testing.assert_allclose(y.detach().numpy(), F.l1_loss(X, T, reduction=reduction).detach().numpy())


# ---------------------------------------------------------------------------- errors and warnings (PyTorch's)
def test_a_bad_reduction_is_pytorchs_value_error():
    for loss in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.binary_cross_entropy_with_logits,
                 F.poisson_nll_loss):
        with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
            loss(X, P.detach(), reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.cross_entropy(X, LABELS, reduction="avg")


def test_a_target_of_another_size_warns_then_broadcasts_as_pytorch(recwarn):
    target = tapegrad.tensor([0.0, 1.0, 2.0, 3.0])
    for loss in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        with pytest.warns(UserWarning, match=r"Using a target size \(tapegrad.Size\(\[4\]\)\) that is different to "
                                             r"the input size \(tapegrad.Size\(\[2, 4\]\)\)") as caught:
            got = loss(X, target, reduction="none")
        assert caught[0].filename == __file__  # attributed to the caller, as PyTorch's stacklevel=2
        np.testing.assert_allclose(got.detach().numpy(),
                                   loss(X, target.expand(2, 4), reduction="none").detach().numpy())
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(4\) must match the size of tensor b \(5\)"):
        F.mse_loss(X, tapegrad.zeros(5))


def test_classification_errors_are_pytorchs():
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F.nll_loss(X, tapegrad.tensor([0, 4]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.cross_entropy(X, tapegrad.tensor([0, -1]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.nll_loss(X, tapegrad.tensor([0, 1], dtype=tapegrad.int32))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(2\) to match target batch_size \(3\)"):
        F.nll_loss(X, tapegrad.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4 classes"):
        F.cross_entropy(X, LABELS, weight=tapegrad.ones(3))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(X, LABELS, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(X, P.detach(), ignore_index=1)
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(X, P.detach())
    with pytest.raises(ValueError, match=r"Target size \(tapegrad.Size\(\[4\]\)\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(X, tapegrad.zeros(4))


def test_binary_cross_entropy_at_0_and_1_is_pytorchs_100_and_its_float32_epsilon():
    x = tapegrad.tensor([0.0, 1.0, 0.5], dtype=tapegrad.float64, requires_grad=True)
    loss = F.binary_cross_entropy(x, tapegrad.tensor([1.0, 0.0, 0.5], dtype=tapegrad.float64), reduction="none")
    assert loss.tolist()[:2] == [100.0, 100.0]  # logs floored at -100
    loss.sum().backward()
    # PyTorch 2.13 divides by max(x * (1 - x), 1e-12f): -1000000003995.8029 at x = 0, t = 1
    np.testing.assert_allclose(x.grad.tolist(), [-1000000003995.8029, 1000000003995.8029, 0.0], rtol=1e-15)


def test_weights_refuse_gradients_as_pytorch_does():
    w = tapegrad.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.cross_entropy(X, LABELS, weight=w)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(X, P.detach(), pos_weight=w)


def test_activation_errors_are_pytorchs():
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(X, 1.0, -1.0)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(tapegrad.ones(2, 3))
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        F.softshrink(X, -1.0)
    with pytest.raises(NotImplementedError, match="inplace=True is not supported"):
        F.elu(X, inplace=True)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin has been deprecated"):
        F.softmin(X)


def test_one_hot_is_int64_without_grad_and_checks_its_classes():
    out = F.one_hot(tapegrad.tensor([0, 3, 1]))
    assert out.dtype == tapegrad.int64 and not out.requires_grad and out.tolist() == [
        [1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]]
    assert F.one_hot(tapegrad.tensor([[1], [0]]), num_classes=3).shape == (2, 1, 3)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(tapegrad.tensor([0, 3]), 2)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor."):
        F.one_hot(tapegrad.tensor([0.0, 1.0]))


# ---------------------------------------------------------------------------- embedding, dropout
def test_embedding_accumulates_repeated_rows_and_skips_the_padding_row():
    w = tapegrad.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    rows = tapegrad.tensor([[1, 1], [3, 0]])
    out = F.embedding(rows, w, padding_idx=0)
    assert out.tolist() == [[[2.0, 3.0], [2.0, 3.0]], [[6.0, 7.0], [0.0, 1.0]]]
    out.sum().backward()
    assert w.grad.tolist() == [[0.0, 0.0], [2.0, 2.0], [0.0, 0.0], [1.0, 1.0]]
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tapegrad.tensor([4]), w)


def test_dropout_honours_manual_seed_training_and_its_scale():
    x = tapegrad.ones(2000, requires_grad=True)
    tapegrad.manual_seed(3)
    a = F.dropout(x, 0.25)
    tapegrad.manual_seed(3)
    b = F.dropout(x, 0.25)
    assert a.tolist() == b.tolist()  # the mask comes from the seeded generator
    kept = a.detach().numpy() != 0
    assert set(np.unique(a.detach().numpy())) == {0.0, np.float32(1 / 0.75)}
    assert 0.2 < 1 - kept.mean() < 0.3
    assert repr(a.grad_fn).startswith("<MulBackward0 ")
    a.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-6)  # the gradient is the mask
    assert F.dropout(x, 0.25, training=False) is x and F.dropout(x, 0.0) is x  # the input itself, as PyTorch's
    assert F.dropout(x, 1.0).abs().sum().item() == 0.0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


# ---------------------------------------------------------------------------- properties (hypothesis)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tapegrad.testing import check_grads  # noqa: E402

dims = st.lists(st.integers(1, 3), min_size=0, max_size=2)


def leaf(rng: np.random.Generator, shape, low=-2.0, high=2.0) -> tapegrad.Tensor:
    return tapegrad.tensor(rng.uniform(low, high, size=shape), requires_grad=True)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(2, 5), spatial=dims, seed=st.integers(0, 2**31), smoothing=st.booleans())
def test_cross_entropy_is_log_softmax_then_nll_and_differentiates_twice(n, c, spatial, seed, smoothing):
    rng = np.random.default_rng(seed)
    x = leaf(rng, (n, c, *spatial))
    labels = rng.integers(0, c, size=(n, *spatial))
    if labels.size > 1:
        labels.reshape(-1)[0] = -100  # one ignored target
    target = tapegrad.tensor(labels)
    ls = 0.2 if smoothing else 0.0
    got = F.cross_entropy(x, target, label_smoothing=ls)
    logp = np.moveaxis(F.log_softmax(x, dim=1).detach().numpy(), 1, -1)
    valid = labels != -100
    picked = np.take_along_axis(logp, np.where(valid, labels, 0)[..., None], axis=-1)[..., 0]
    nll = -picked[valid].mean()
    uniform = -logp.sum(-1)[valid].mean() / c
    np.testing.assert_allclose(got.item(), (1 - ls) * nll + ls * uniform, rtol=1e-10)
    check_grads(lambda x: F.cross_entropy(x, target, label_smoothing=ls), [x], order=2, seed=seed)


@settings(max_examples=25, deadline=None)
@given(shape=dims, seed=st.integers(0, 2**31), param=st.sampled_from([0.5, 1.0, 2.0]))
def test_reductions_agree_and_huber_is_delta_times_smooth_l1(shape, seed, param):
    rng = np.random.default_rng(seed)
    x, t = leaf(rng, shape), tapegrad.tensor(rng.uniform(-2, 2, size=shape))
    for loss, options in ((F.mse_loss, {}), (F.l1_loss, {}), (F.smooth_l1_loss, {"beta": param}),
                          (F.huber_loss, {"delta": param}), (F.binary_cross_entropy_with_logits, {}),
                          (F.poisson_nll_loss, {})):
        target = t.sigmoid() if loss is F.binary_cross_entropy_with_logits else t.abs()
        each = loss(x, target, reduction="none", **options).detach().numpy()
        np.testing.assert_allclose(loss(x, target, reduction="sum", **options).item(), each.sum(), rtol=1e-12)
        np.testing.assert_allclose(loss(x, target, reduction="mean", **options).item(), each.mean(), rtol=1e-12)
    huber = F.huber_loss(x, t, reduction="none", delta=param)
    smooth = F.smooth_l1_loss(x, t, reduction="none", beta=param)
    np.testing.assert_allclose(huber.detach().numpy(), param * smooth.detach().numpy(), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(shape=dims, seed=st.integers(0, 2**31))
def test_activation_identities(shape, seed):
    rng = np.random.default_rng(seed)
    x = leaf(rng, shape, -5.0, 5.0)
    xs = x.detach().numpy()

    def close(a, b):
        np.testing.assert_allclose(a.detach().numpy(), np.asarray(b), rtol=1e-12, atol=1e-15)

    close(F.selu(x), nn_activations.SELU_SCALE * F.elu(x, nn_activations.SELU_ALPHA).detach().numpy())
    close(F.celu(x, 1.0), F.elu(x).detach().numpy())
    close(F.hardswish(x), xs * F.hardsigmoid(x).detach().numpy())
    close(F.silu(x), xs * F.sigmoid(x).detach().numpy())
    close(F.logsigmoid(x), np.log(F.sigmoid(x).detach().numpy()))
    close(F.relu6(x), np.clip(xs, 0, 6))
    bce = F.binary_cross_entropy_with_logits(x, x.detach().sigmoid(), reduction="none")
    np.testing.assert_allclose(bce.detach().numpy(), F.binary_cross_entropy(
        x.detach().sigmoid(), x.detach().sigmoid(), reduction="none").detach().numpy(), rtol=1e-9)


# ---------------------------------------------------------------------------- the docs tell the truth
def test_docs_list_every_op_and_their_example_prints_what_it_says():
    import re
    import subprocess
    import sys
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "nn_functional.md").read_text()
    section = text.split("## Activations, losses and friends", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`F\.(\w+)\(", section))
    missing = sorted(name.rpartition(".")[2] for name in OPS if name.rpartition(".")[2] not in listed)
    assert not missing, f"docs/nn_functional.md lists no line for {missing}"
    for code in re.findall(r"^```python\n(.*?)^```", text, re.S | re.M):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        for expected in re.findall(r"print\(.*\)\s+#\s*(.+)$", code, re.M):
            assert expected.strip() in run.stdout, (expected, run.stdout)
