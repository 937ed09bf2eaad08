"""tapegrad.nn.functional's convolution, pooling, im2col/col2im, padding and normalization
(ops_builtin/nn_conv.py, ops_builtin/nn_norm.py): the conformance kit over every op (first and
second order, array_api_strict too), property tests over shapes, strides, paddings and dilations
against direct loops, and PyTorch's argument errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
import tapegrad.nn.functional as F
from tapegrad import Registry
from tapegrad.ops_builtin import nn_conv, nn_norm
from conftest import EAGER
from tapegrad.testing import parametrize_with_op_checks

KERNELS = ["convolution", "max_pool2d", "native_layer_norm", "native_batch_norm", "native_group_norm"]
FUNCTIONAL = ["unfold", "fold", "avg_pool2d", "adaptive_avg_pool2d", "conv1d", "conv2d", "conv_transpose1d",
              "conv_transpose2d", "max_pool1d",
              "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d", "pad", "layer_norm", "batch_norm", "group_norm",
              "instance_norm"]
OPS = KERNELS + [f"nn.functional.{name}" for name in FUNCTIONAL]

RNG = np.random.default_rng(20261201)


def leaf(*shape: int) -> tapegrad.Tensor:
    return tapegrad.tensor(RNG.standard_normal(shape), requires_grad=True)


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS, backends=EAGER)
def test_conformance(op_check):
    op_check()


def test_the_list_above_is_every_op_the_modules_register():
    registry = Registry("probe")
    nn_conv.register(registry)
    nn_norm.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(OPS)


# ---------------------------------------------------------------------------- direct loops
def direct_conv2d(x, w, b, stride, padding, dilation, groups):
    """The textbook definition, one output element at a time."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    per = o // groups
    for ni, oi, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        gi = oi // per
        for ci, a, bb in itertools.product(range(cg), range(kh), range(kw)):
            out[ni, oi, i, j] += w[oi, ci, a, bb] * xp[ni, gi * cg + ci, i * stride[0] + a * dilation[0],
                                                       j * stride[1] + bb * dilation[1]]
        out[ni, oi, i, j] += 0 if b is None else b[oi]
    return out


def direct_pool(x, k, s, p, d, ceil_mode, reduce, count_include_pad=True, divisor=None):
    """Pooling by its definition: windows clipped as PyTorch clips them."""
    h, w = x.shape[-2:]
    sizes = []
    for n, kk, ss, pp, dd in zip((h, w), k, s, p, d):
        eff = dd * (kk - 1) + 1
        o = (n + 2 * pp - eff + (ss - 1 if ceil_mode else 0)) // ss + 1
        if ceil_mode and (o - 1) * ss >= n + pp:
            o -= 1
        sizes.append(o)
    out = np.zeros(x.shape[:-2] + tuple(sizes))
    for i, j in itertools.product(range(sizes[0]), range(sizes[1])):
        rows = [i * s[0] - p[0] + a * d[0] for a in range(k[0])]
        cols = [j * s[1] - p[1] + b * d[1] for b in range(k[1])]
        inside = [(r, c) for r in rows for c in cols if 0 <= r < h and 0 <= c < w]
        if not inside:  # a window wholly in the padding (dilated): the maximum of nothing
            out[..., i, j] = -np.inf
            continue
        vals = np.stack([x[..., r, c] for r, c in inside], axis=-1)
        if reduce == "max":
            out[..., i, j] = vals.max(axis=-1)
        else:
            hend = min(i * s[0] - p[0] + k[0], h + p[0])
            wend = min(j * s[1] - p[1] + k[1], w + p[1])
            full = (hend - (i * s[0] - p[0])) * (wend - (j * s[1] - p[1]))
            count = divisor or (full if count_include_pad else len(inside))
            out[..., i, j] = vals.sum(axis=-1) / count
    return out


conv_cases = st.fixed_dictionaries({
    "n": st.integers(1, 2), "groups": st.integers(1, 2), "cg": st.integers(1, 2), "per": st.integers(1, 2),
    "k": st.tuples(st.integers(1, 3), st.integers(1, 3)), "s": st.tuples(st.integers(1, 3), st.integers(1, 2)),
    "p": st.tuples(st.integers(0, 2), st.integers(0, 1)), "d": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "hw": st.tuples(st.integers(1, 6), st.integers(1, 6)), "bias": st.booleans()})


@settings(max_examples=40, deadline=None)
@given(conv_cases)
def test_conv2d_is_the_direct_sum(case):
    g, k, d, p = case["groups"], case["k"], case["d"], case["p"]
    h, w = (max(hw, dd * (kk - 1) + 1 - 2 * pp) for hw, kk, dd, pp in zip(case["hw"], k, d, p))
    x = RNG.standard_normal((case["n"], g * case["cg"], h, w))
    wt = RNG.standard_normal((g * case["per"], case["cg"], *k))
    b = RNG.standard_normal(g * case["per"]) if case["bias"] else None
    got = F.conv2d(tapegrad.tensor(x), tapegrad.tensor(wt), None if b is None else tapegrad.tensor(b),
                   stride=case["s"], padding=p, dilation=d, groups=g)
    np.testing.assert_allclose(got.numpy(), direct_conv2d(x, wt, b, case["s"], p, d, g), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(conv_cases)
def test_conv2d_gradients_are_the_adjoint(case):
    """<conv(x, w), v> is bilinear: its gradients are exact adjoints, checked against finite
    differences of the direct sum in random directions."""
    g, k, d, p = case["groups"], case["k"], case["d"], case["p"]
    h, w = (max(hw, dd * (kk - 1) + 1 - 2 * pp) for hw, kk, dd, pp in zip(case["hw"], k, d, p))
    x, wt = leaf(case["n"], g * case["cg"], h, w), leaf(g * case["per"], case["cg"], *k)
    out = F.conv2d(x, wt, stride=case["s"], padding=p, dilation=d, groups=g)
    v = RNG.standard_normal(tuple(out.shape))
    gx, gw = tapegrad.autograd.grad(out, (x, wt), tapegrad.tensor(v))
    dx, dw = RNG.standard_normal(tuple(x.shape)), RNG.standard_normal(tuple(wt.shape))
    lin = lambda a, b: float((direct_conv2d(a, b, None, case["s"], p, d, g) * v).sum())  # noqa: E731
    np.testing.assert_allclose((gx.numpy() * dx).sum(), lin(dx, wt.detach().numpy()), atol=1e-9)
    np.testing.assert_allclose((gw.numpy() * dw).sum(), lin(x.detach().numpy(), dw), atol=1e-9)


pool_cases = st.fixed_dictionaries({
    "k": st.tuples(st.integers(1, 3), st.integers(1, 3)), "s": st.tuples(st.integers(1, 3), st.integers(1, 3)),
    "p": st.tuples(st.integers(0, 1), st.integers(0, 1)), "d": st.tuples(st.integers(1, 2), st.integers(1, 2)),
    "hw": st.tuples(st.integers(1, 7), st.integers(1, 7)), "ceil": st.booleans(), "include": st.booleans(),
    "divisor": st.sampled_from([None, 2])})


def _fit(case, dilated):
    k, p = case["k"], tuple(min(pp, kk // 2) for pp, kk in zip(case["p"], case["k"]))
    d = case["d"] if dilated else (1, 1)
    h, w = (max(hw, dd * (kk - 1) + 1 - 2 * pp) for hw, kk, dd, pp in zip(case["hw"], k, d, p))
    return k, p, d, h, w


@settings(max_examples=60, deadline=None)
@given(pool_cases)
def test_max_pool2d_is_the_window_maximum_and_indices_point_at_it(case):
    k, p, d, h, w = _fit(case, True)
    x = RNG.standard_normal((2, 3, h, w))
    out, idx = F.max_pool2d(tapegrad.tensor(x), k, case["s"], p, d, case["ceil"], return_indices=True)
    np.testing.assert_array_equal(out.numpy(), direct_pool(x, k, case["s"], p, d, case["ceil"], "max"))
    found = np.isfinite(out.numpy()).reshape(6, -1)
    picked = np.take_along_axis(x.reshape(6, -1), np.where(found, idx.numpy().reshape(6, -1), 0), 1)
    np.testing.assert_array_equal(picked[found], out.numpy().reshape(6, -1)[found])


@settings(max_examples=60, deadline=None)
@given(pool_cases)
def test_avg_pool2d_divides_as_pytorch_counts(case):
    k, p, _, h, w = _fit(case, False)
    x = RNG.standard_normal((2, h, w))
    got = F.avg_pool2d(tapegrad.tensor(x), k, case["s"], p, case["ceil"], case["include"], case["divisor"])
    want = direct_pool(x, k, case["s"], p, (1, 1), case["ceil"], "avg", case["include"], case["divisor"])
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.tuples(st.integers(1, 6), st.integers(1, 6)), st.tuples(st.integers(1, 6), st.integers(1, 6)))
def test_adaptive_avg_pool2d_averages_pytorchs_windows(hw, size):
    x = RNG.standard_normal((2, *hw))
    got = F.adaptive_avg_pool2d(tapegrad.tensor(x), size).numpy()
    for i, j in itertools.product(range(size[0]), range(size[1])):
        r0, r1 = (i * hw[0]) // size[0], -((-(i + 1) * hw[0]) // size[0])
        c0, c1 = (j * hw[1]) // size[1], -((-(j + 1) * hw[1]) // size[1])
        np.testing.assert_allclose(got[:, i, j], x[:, r0:r1, c0:c1].mean(axis=(1, 2)), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(pool_cases)
def test_fold_is_the_adjoint_of_unfold(case):
    k, p, d, h, w = _fit(case, True)
    x = RNG.standard_normal((2, 3, h, w))
    cols = F.unfold(tapegrad.tensor(x), k, d, p, case["s"]).numpy()
    y = RNG.standard_normal(cols.shape)
    back = F.fold(tapegrad.tensor(y), (h, w), k, d, p, case["s"]).numpy()
    np.testing.assert_allclose((cols * y).sum(), (x * back).sum(), atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(conv_cases, st.tuples(st.integers(0, 1), st.integers(0, 1)))
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case, extra):
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)> when the transposed output has x's size."""
    g, k, d, p, s = case["groups"], case["k"], case["d"], case["p"], case["s"]
    h, w = (max(hw, dd * (kk - 1) + 1 - 2 * pp) for hw, kk, dd, pp in zip(case["hw"], k, d, p))
    x = RNG.standard_normal((case["n"], g * case["cg"], h, w))
    wt = RNG.standard_normal((g * case["per"], case["cg"], *k))
    y = F.conv2d(tapegrad.tensor(x), tapegrad.tensor(wt), stride=s, padding=p, dilation=d, groups=g)
    v = RNG.standard_normal(tuple(y.shape))
    # the rows and columns conv2d's last window left out come back as output_padding
    op = tuple(min((n + 2 * pp - dd * (kk - 1) - 1) % ss, ss - 1)
               for n, pp, dd, kk, ss in zip((h, w), p, d, k, s))
    back = F.conv_transpose2d(tapegrad.tensor(v), tapegrad.tensor(wt), stride=s, padding=p, output_padding=op,
                              groups=g, dilation=d)
    assert tuple(back.shape) == x.shape
    np.testing.assert_allclose((y.numpy() * v).sum(), (x * back.numpy()).sum(), atol=1e-9)


# ---------------------------------------------------------------------------- second order
def test_conv2d_double_backward_gives_a_gradient_penalty():
    x, w = leaf(2, 3, 5, 5), leaf(4, 3, 3, 3)
    (gx,) = tapegrad.autograd.grad(F.conv2d(x, w, padding=1).tanh().sum(), (x,), create_graph=True)
    penalty = (gx * gx).sum()
    (gw,) = tapegrad.autograd.grad(penalty, (w,))
    assert gw.shape == w.shape and np.isfinite(gw.numpy()).all() and np.abs(gw.numpy()).sum() > 0


# ---------------------------------------------------------------------------- batch norm state
def test_batch_norm_updates_running_statistics_in_place_when_training():
    x = RNG.standard_normal((5, 3, 4))
    mean, var = tapegrad.zeros(3), tapegrad.ones(3)
    before = mean
    F.batch_norm(tapegrad.tensor(x), mean, var, training=True, momentum=0.25)
    assert mean is before
    np.testing.assert_allclose(mean.numpy(), 0.25 * x.mean(axis=(0, 2)), rtol=1e-6)
    np.testing.assert_allclose(var.numpy(), 0.75 + 0.25 * x.var(axis=(0, 2), ddof=1), rtol=1e-6)
    F.batch_norm(tapegrad.tensor(x), mean, var, training=False)  # evaluation leaves them alone
    np.testing.assert_allclose(mean.numpy(), 0.25 * x.mean(axis=(0, 2)), rtol=1e-6)


# ---------------------------------------------------------------------------- errors
x4 = tapegrad.zeros(2, 3, 6, 6)
w4 = tapegrad.zeros(4, 3, 3, 3)

ERRORS = [
    (lambda: F.conv2d(x4, tapegrad.zeros(4, 2, 3, 3)), RuntimeError, "expected input[2, 3, 6, 6] to have 2 channels"),
    (lambda: F.conv2d(x4, tapegrad.zeros(4, 3, 7, 7)), RuntimeError, "Kernel size can't be greater"),
    (lambda: F.conv2d(tapegrad.zeros(6, 6), w4), RuntimeError, "Expected 3D (unbatched) or 4D (batched) input"),
    (lambda: F.conv2d(x4, w4, tapegrad.zeros(3)), RuntimeError, "expected bias to be 1-dimensional with 4"),
    (lambda: F.conv2d(x4, w4, stride=0), RuntimeError, "non-positive stride is not supported"),
    (lambda: F.conv2d(x4, w4, padding=-1), RuntimeError, "negative padding is not supported"),
    (lambda: F.conv2d(x4, w4, dilation=0), RuntimeError, "non-positive dilation is not supported"),
    (lambda: F.conv2d(x4, tapegrad.zeros(4, 1, 3, 3), groups=3), RuntimeError, "divisible by 3 at dimension 0"),
    (lambda: F.conv2d(x4, w4, padding="same", stride=2), RuntimeError, "not supported for strided convolutions"),
    (lambda: F.conv2d(x4, w4, padding="foo"), RuntimeError, "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(x4, w4, stride=(1, 2, 3)), RuntimeError, "stride"),
    (lambda: F.conv2d(x4.double(), w4), RuntimeError, "expected scalar type Double but found Float"),
    (lambda: F.conv1d(x4, w4), RuntimeError, "Expected 2D (unbatched) or 3D (batched) input to conv1d"),
    (lambda: F.max_pool2d(x4, 7), RuntimeError, "Output size is too small"),
    (lambda: F.max_pool2d(x4, 3, padding=2), RuntimeError, "pad should be at most half of effective kernel size"),
    (lambda: F.max_pool2d(x4, 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(tapegrad.zeros(6, 6), 2), RuntimeError, "non-empty 3D or 4D (batch mode) tensor"),
    (lambda: F.avg_pool2d(x4, 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: F.adaptive_avg_pool2d(tapegrad.zeros(6, 6), 2), RuntimeError, "Expected 3D or 4D tensor"),
    (lambda: F.layer_norm(x4, (5,)), RuntimeError, "Given normalized_shape=[5], expected input with shape [*, 5]"),
    (lambda: F.layer_norm(x4, (6,), tapegrad.zeros(5)), RuntimeError, "Expected weight to be of same shape"),
    (lambda: F.group_norm(x4, 2), RuntimeError, "divisible by num_groups"),
    (lambda: F.batch_norm(x4, None, None), RuntimeError, "running_mean must be defined in evaluation mode"),
    (lambda: F.batch_norm(tapegrad.zeros(1, 3, 1, 1), None, None, training=True), ValueError,
     "Expected more than 1 value per channel when training"),
    (lambda: F.batch_norm(x4, tapegrad.zeros(2), tapegrad.ones(2)), RuntimeError, "running_mean should contain 3"),
    (lambda: F.batch_norm(x4, tapegrad.zeros(3, requires_grad=True), tapegrad.ones(3)), RuntimeError,
     "not differentiable with respect to argument 'running_mean'"),
    (lambda: F.unfold(x4, 7), RuntimeError, "calculated shape of the array of sliding blocks as (0, 0)"),
    (lambda: F.fold(tapegrad.zeros(2, 13, 25), (6, 6), 2), RuntimeError, "divisible by the product of kernel_size"),
    (lambda: F.fold(tapegrad.zeros(2, 12, 24), (6, 6), 2), RuntimeError, "sliding blocks 5 * 5 = 25"),
    (lambda: F.pad(tapegrad.zeros(2), (1, 1), mode="reflect"), NotImplementedError, "Padding size 2 is not supported"),
    (lambda: F.pad(tapegrad.zeros(2, 3), (3, 3), mode="reflect"), RuntimeError, "Padding size should be less than"),
    (lambda: F.pad(tapegrad.zeros(2, 3), (4, 4), mode="circular"), RuntimeError, "wrapping around more than once"),
    (lambda: F.pad(tapegrad.zeros(2, 3), (1, 1), mode="foo"), NotImplementedError, "Unrecognised padding mode foo"),
    (lambda: F.pad(tapegrad.zeros(2, 3), (1, 1), mode="reflect", value=2.0), RuntimeError,
     "doesn't take in value argument"),
]


@pytest.mark.parametrize("call,kind,words", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_pytorchs_errors(call, kind, words):
    with pytest.raises(kind) as info:
        call()
    assert words in str(info.value)


def test_every_function_has_its_line_in_the_docs():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "nn_functional.md").read_text()
    section = text.split("## Convolution, pooling, normalization", 1)[1]
    missing = [name for name in FUNCTIONAL if f"`F.{name}(" not in section]
    assert not missing, f"docs/nn_functional.md lacks a line for {missing}"


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("row,value,index,grad", [
    ([NAN, 1.0, NAN], NAN, 2, [0.0, 0.0, 1.0]),             # every NaN takes over: the last one wins
    ([1.0, NAN, 2.0, NAN], NAN, 3, [0.0, 0.0, 0.0, 1.0]),
    ([-INF, -INF, -INF], -INF, 0, [1.0, 0.0, 0.0]),          # a window of -inf keeps its first element
    ([2.0, 2.0, 1.0], 2.0, 0, [1.0, 0.0, 0.0]),              # ties: the first maximum
    ([-INF, 1.0, -INF], 1.0, 1, [0.0, 1.0, 0.0]),
], ids=["nan-last", "nan-over-max", "all-inf", "tie", "inf-around"])
def test_max_pool_picks_what_pytorchs_kernel_picks(row, value, index, grad):
    """PyTorch 2.13's values, indices and gradients, measured (max_pool1d over the whole row)."""
    x = tapegrad.tensor([[row]], dtype=tapegrad.float64, requires_grad=True)
    out, idx = F.max_pool1d(x, len(row), return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy().ravel(), [value])
    assert idx.tolist() == [[[index]]]
    np.testing.assert_array_equal(x.grad.numpy().ravel(), grad)


def test_a_dilated_window_wholly_in_the_padding_is_minus_inf_and_sends_nothing():
    """PyTorch: values -inf, indices the first row at or past 0 (3, 4, 5 here), gradient zero."""
    x = tapegrad.tensor([[[[1.0, 2.0, 3.0]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, (2, 1), 1, (1, 0), (2, 1), return_indices=True)
    out.sum().backward()
    assert out.tolist() == [[[[-INF, -INF, -INF]]]] and idx.tolist() == [[[[3, 4, 5]]]]
    assert x.grad.tolist() == [[[[0.0, 0.0, 0.0]]]]


@pytest.mark.parametrize("mode,rank,name", [
    ("constant", 1, "ConstantPadNdBackward0"), ("reflect", 1, "ReflectionPad1DBackward0"),
    ("reflect", 2, "ReflectionPad2DBackward0"), ("reflect", 3, "ReflectionPad3DBackward0"),
    ("replicate", 2, "ReplicationPad2DBackward0"), ("circular", 2, "CopySlices")])
def test_pad_names_its_node_as_pytorch_by_mode_and_padded_rank(mode, rank, name):
    x = leaf(*(3,) * (rank + 1))
    assert repr(F.pad(x, (1, 1) * rank, mode=mode).grad_fn).startswith(f"<{name} object at ")
