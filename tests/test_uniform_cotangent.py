"""A cotangent that is one value broadcast (every sum's and mean's) is scaled as a scalar by
the square's VJPs: the gradient must be the same bits as with that cotangent written out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapegrad as tg
from tapegrad.ops_builtin.cotangents import scale

SQUARES = {
    "pow 2": lambda x: x ** 2,
    "pow method": lambda x: x.pow(2),
    "square": tg.square,
}
DTYPES = [np.float16, np.float32, np.float64]


def _grads(square, data: np.ndarray, reduce: str) -> tuple[np.ndarray, np.ndarray]:
    """x's gradient from ``reduce(square(x))`` and from the same cotangent passed written out."""
    x = tg.from_numpy(data.copy()).requires_grad_(True)
    getattr(square(x), reduce)().backward()
    written = tg.from_numpy(data.copy()).requires_grad_(True)
    value = 1.0 if reduce == "sum" else 1.0 / max(data.size, 1)
    square(written).backward(gradient=tg.from_numpy(np.full(data.shape, value, dtype=data.dtype)))
    return x.grad.numpy(), written.grad.numpy()


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
@settings(max_examples=60, deadline=None)
@given(data=st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    elements=st.floats(-100, 100, width=np.finfo(dt).bits))),
    square=st.sampled_from(sorted(SQUARES)), reduce=st.sampled_from(["sum", "mean"]))
def test_uniform_cotangent_gives_the_written_out_bits(data: np.ndarray, square: str, reduce: str) -> None:
    uniform, written = _grads(SQUARES[square], data, reduce)
    assert uniform.dtype == written.dtype == data.dtype
    assert uniform.shape == data.shape
    np.testing.assert_array_equal(uniform, written)


@pytest.mark.parametrize("dtype", DTYPES)
def test_big_uniform_cotangent_is_one_pass_and_right(dtype: type) -> None:
    data = np.random.default_rng(0).standard_normal(1 << 16).astype(dtype)
    uniform, written = _grads(SQUARES["pow 2"], data, "mean")
    np.testing.assert_array_equal(uniform, written)
    np.testing.assert_array_equal(uniform, data * dtype(2 / data.size))


def test_scale_keeps_the_dtype_and_reads_only_broadcasts() -> None:
    one = np.broadcast_to(np.float32(0.25), (3, 4))
    s = scale(one, 2)
    assert np.ndim(s) == 0 and s.dtype == np.float32 and s == 0.5
    full = np.full((3, 4), 0.25, dtype=np.float32)  # equal values but real strides: left an array
    assert scale(full, 2).shape == (3, 4)
    assert scale(np.float64(3.0) * np.ones(()), 2).shape == ()  # 0-d: the array path, still 0-d
    row = np.broadcast_to(np.arange(3.0), (2, 3))  # broadcast along one dim only: not one value
    np.testing.assert_array_equal(scale(row, 2), 2 * row)


def test_square_gradient_graph_is_unchanged_by_the_scalar() -> None:
    """Second order through the scaled cotangent: d/dx of sum(d/dx x**2) = 2 per element."""
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (g,) = tg.autograd.grad((x ** 2).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [2.0, -4.0, 6.0])
    (gg,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(gg.numpy(), [2.0, 2.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(data=st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=5), elements=st.floats(width=np.finfo(dt).bits))),
    exponent=st.sampled_from([2, 2.0]))
def test_a_square_power_gives_numpys_power_bits(data: np.ndarray, exponent: float) -> None:
    """``x ** 2`` runs as ``square`` (NumPy's ``**`` does the same): the bits of ``np.power``, infinities and NaNs too."""
    with np.errstate(all="ignore"):
        want = np.power(data, exponent)
    got = (tg.from_numpy(data.copy()) ** exponent).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
