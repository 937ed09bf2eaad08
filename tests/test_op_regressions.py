"""Issue 7's silent wrong numbers in op math, each asserting PyTorch 2.13's result.

Every expected value here was computed with ``torch==2.13.0`` (CPU); the comments give the
PyTorch expression. Each test names the class of bug it closes, not only the one reproducer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad.autograd import Function


def f64(values, requires_grad=False):
    return tapegrad.tensor(values, dtype=tapegrad.float64, requires_grad=requires_grad)


def grad(y, x, **kwargs):
    return tapegrad.autograd.grad(y, x, **kwargs)[0]


# ---------------------------------------------------------------------------- 2. scatter-add broadcasting
def test_index_put_accumulate_broadcasts_the_value():
    # torch.zeros(4, dtype=float64).index_put((tensor([[0,3,3],[2,1,0]]),), tensor([1.,2.,3.]), accumulate=True)
    out = tapegrad.index_put(tapegrad.zeros(4, dtype=tapegrad.float64), tapegrad.tensor([1.0, 2.0, 3.0]),
                             index=(np.array([[0, 3, 3], [2, 1, 0]]),), accumulate=True)
    assert out.tolist() == [4.0, 2.0, 1.0, 5.0]


def test_index_scatter_add_broadcasts_the_cotangent():
    out = tapegrad.index_scatter_add(f64([1.0, 2.0, 3.0]), index=(np.array([[0, 3, 3], [2, 1, 0]]),), shape=(4,))
    assert out.tolist() == [4.0, 2.0, 1.0, 5.0]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5), rows=st.integers(1, 4), cols=st.integers(1, 4), seed=st.integers(0, 2**16),
       value_shape=st.sampled_from(["full", "row", "scalar", "column"]), dtype=st.sampled_from(["float32", "float64"]))
def test_accumulating_writes_equal_a_loop_for_every_broadcast_value(n, rows, cols, seed, value_shape, dtype):
    """Repeated indices with any value that broadcasts to the index's shape: a Python loop is the truth."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(rows, cols))
    shape = {"full": (rows, cols), "row": (cols,), "scalar": (), "column": (rows, 1)}[value_shape]
    value = rng.normal(size=shape).astype(dtype)
    expected = np.zeros(n, dtype=dtype)
    full = np.broadcast_to(value, (rows, cols))
    for i in range(rows):
        for j in range(cols):
            expected[index[i, j]] += full[i, j]
    x = tapegrad.zeros(n, dtype=getattr(tapegrad, dtype))
    put = tapegrad.index_put(x, tapegrad.tensor(value), index=(index,), accumulate=True)
    np.testing.assert_allclose(put.numpy(), expected, rtol=1e-5, atol=1e-6)
    scattered = tapegrad.index_scatter_add(tapegrad.tensor(value), index=(index,), shape=(n,))
    np.testing.assert_allclose(scattered.numpy(), expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- 3. Functions that save outputs
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, g):
        (result,) = ctx.saved_tensors
        return g * result


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x


def test_a_function_saving_its_output_is_differentiable_twice():
    # y = exp(x) * x: y'' = exp(x) (x + 2) = 3e at x = 1 (PyTorch: 8.1548)
    x = f64(1.0, requires_grad=True)
    first = grad(Exp.apply(x) * x, x, create_graph=True)
    assert first.item() == pytest.approx(2 * math.e)
    assert grad(first, x).item() == pytest.approx(3 * math.e)


def test_a_function_saving_its_input_is_differentiable_twice_through_a_non_leaf():
    x = f64(1.5, requires_grad=True)
    h = x * 2  # the Function's input is a non-leaf: its saved copy must be that very node's output
    first = grad(Square.apply(h), x, create_graph=True)  # 8 x
    assert first.item() == pytest.approx(12.0)
    assert grad(first, x).item() == pytest.approx(8.0)


def test_the_tensor_forward_returns_is_the_output_and_the_saved_output_carries_no_cycle():
    import gc
    import weakref

    x = f64([0.5, 1.0], requires_grad=True)
    seen = {}

    class Keep(Exp):  # Exp's backward; the forward also shows the tensor it returns
        @staticmethod
        def forward(ctx, x):
            seen["out"] = out = Exp.forward(ctx, x)
            return out

    y = Keep.apply(x)
    assert y is seen.pop("out") and y.grad_fn is not None  # as PyTorch: the very tensor, now in the graph
    node = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y
        assert node() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_a_function_returning_its_input_leaves_the_input_alone():
    unpacked = []

    class Identity(Function):  # saves its input, which is also what it returns
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            unpacked.extend(ctx.saved_tensors)
            return g

    x = f64([2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn is not None
    assert grad((y * y).sum(), x).tolist() == [4.0]
    assert len(unpacked) == 1 and unpacked[0] is x  # the saved input unpacks as the input itself


# ---------------------------------------------------------------------------- 4. Python scalars keep full precision
def test_number_to_a_tensor_power_keeps_float64_under_create_graph():
    # torch: autograd.grad(2.5 ** x, x, create_graph=True) at x = 0.3 (float64) = 1.206188813435532
    x = f64(0.3, requires_grad=True)
    first = grad(2.5 ** x, x, create_graph=True)
    assert first.item() == 1.206188813435532 == grad(2.5 ** x, x).item()
    assert grad(first, x).item() == pytest.approx(2.5 ** 0.3 * math.log(2.5) ** 2, rel=1e-15)


def test_pow_exponent_gradient_with_an_integer_base_is_not_float16():
    # torch: b = tensor([3, 5], int8); e float64 -> grad of (b ** e).sum() = [11.035679711948125, 24.826942297931037]
    b = tapegrad.tensor([3, 5], dtype=tapegrad.int8)
    expected = [11.035679711948125, 24.826942297931037]
    for create_graph in (False, True):
        e = f64([2.1, 1.7], requires_grad=True)
        np.testing.assert_allclose(grad((b ** e).sum(), e, create_graph=create_graph).tolist(), expected, rtol=1e-15)


@pytest.mark.parametrize("name", ["log", "exp", "sqrt", "sin", "tanh", "log1p"])
def test_ops_on_numbers_alone_in_a_vjp_are_python_numbers(name):
    """The tensor namespace computes a number-only call as the array namespace does (float64)."""
    from tapegrad.namespace import tensor_namespace

    value = getattr(tensor_namespace, name)(0.7)
    assert type(value) is float and value == getattr(np, name)(0.7)
    assert tensor_namespace.asarray(0.7).dtype is tapegrad.float64


# ---------------------------------------------------------------------------- 5. conversions to the same dtype
@pytest.mark.parametrize("method,dtype", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                          ("long", "int64"), ("int", "int32"), ("bool", "bool")])
def test_converting_to_the_dtype_a_tensor_has_returns_the_tensor(method, dtype):
    d = getattr(tapegrad, dtype)
    x = tapegrad.ones(2, dtype=d, requires_grad=d.is_floating_point)
    assert getattr(x, method)() is x and x.to(d) is x and x.to(dtype) is x


def test_a_converted_leaf_stays_a_leaf_and_gets_its_gradient():
    w = tapegrad.ones(2, requires_grad=True).float()  # PyTorch: w is a leaf, w.grad = [2., 2.]
    (w * 2).sum().backward()
    assert w.is_leaf and w.grad.tolist() == [2.0, 2.0]
    v = tapegrad.ones(2, requires_grad=True)
    assert v.double() is not v and v.double().grad_fn is not None  # another dtype: a new node


# ---------------------------------------------------------------------------- 6. zero deviations, zeros, counts, NaN and ties
def test_std_at_zero_deviation_has_zero_gradient():
    # torch 2.13: tensor([2., 2., 2.], requires_grad=True).std().backward() -> grad [0., 0., 0.]
    x = f64([2.0, 2.0, 2.0], requires_grad=True)
    assert grad(x.std(), x).tolist() == [0.0, 0.0, 0.0]
    assert grad(x.var(), x).tolist() == [0.0, 0.0, 0.0]
    first = grad(x.std(), x, create_graph=True)
    assert grad(first.sum(), x).tolist() == [0.0, 0.0, 0.0]
    rows = f64([[2.0, 2.0], [1.0, 3.0]], requires_grad=True)  # only the constant row is 0
    np.testing.assert_allclose(grad(rows.std(dim=1).sum(), rows).numpy(), [[0, 0], [-0.5 ** 0.5, 0.5 ** 0.5]])


def test_std_of_one_element_is_still_nan_as_pytorch():
    x = f64([2.0], requires_grad=True)
    with np.errstate(all="ignore"):
        assert math.isnan(grad(x.std(), x).item())


@pytest.mark.parametrize("p,values,expected", [
    (0.5, [0.0, 1.0, -2.0], [0.0, 2.414213562373095, -1.7071067811865475]),
    (0.5, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    (-1.0, [0.0, 1.0, -2.0], [0.0, 0.0, 0.0]),
    (-1.0, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    (1.5, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    (3.0, [0.0, 1.0, -2.0], [0.0, 0.23112042478354, -0.92448169913416]),
])
def test_norm_gradient_at_zero_entries_is_pytorchs(p, values, expected):
    x = f64(values, requires_grad=True)
    np.testing.assert_allclose(grad(x.norm(p=p), x).numpy(), expected, rtol=1e-7, atol=0)


def test_mean_of_70000_float16_ones_has_a_nonzero_gradient():
    # torch: ones(70000, float16).mean() -> grad 1.430511474609375e-05 each
    x = tapegrad.ones(70000, dtype=tapegrad.float16, requires_grad=True)
    assert grad(x.mean(), x)[:2].tolist() == [1.430511474609375e-05] * 2
    assert grad(x.amax(), x)[:2].tolist() == [1.430511474609375e-05] * 2  # 70000-way tie
    assert grad(x.max(), x)[-1].item() == 1.430511474609375e-05


@pytest.mark.parametrize("name,expected", [
    ("norm", 264.5), ("softmax", 1.430511474609375e-05), ("cumsum", 700.5),
])
def test_float16_reductions_accumulate_in_float32(name, expected):
    # torch: ones(70000, float16).norm() = 264.5, softmax(., 0)[0] = 1.4305e-05; cumsum(x * 0.01)[-1] = 700.5
    x = tapegrad.ones(70000, dtype=tapegrad.float16)
    value = {"norm": lambda: x.norm(), "softmax": lambda: tapegrad.softmax(x, dim=0)[0],
             "cumsum": lambda: (x * 0.01).cumsum(0)[-1]}[name]()
    assert value.dtype is tapegrad.float16
    assert value.item() == pytest.approx(expected, rel=2e-3)


NAN = math.nan


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_pass_the_gradient_to_nan_and_split_ties(name):
    # torch: x = [nan, 1, 2, nan], y = [1, nan, 2, nan] -> values [nan, nan, 2, nan], both grads [1, 1, .5, 1]
    x = f64([NAN, 1.0, 2.0, NAN], requires_grad=True)
    y = f64([1.0, NAN, 2.0, NAN], requires_grad=True)
    z = getattr(tapegrad, name)(x, y)
    gx, gy = tapegrad.autograd.grad(z.sum(), [x, y])
    assert gx.tolist() == gy.tolist() == [1.0, 1.0, 0.5, 1.0]
    assert np.isnan(z.detach().numpy()[[0, 1, 3]]).all() and z.tolist()[2] == 2.0


def test_relu_abs_sign_clamp_at_nan_follow_pytorch():
    x = f64([NAN, 0.0, -1.0, 1.0], requires_grad=True)
    assert grad(tapegrad.relu(x).sum(), x).tolist() == [1.0, 0.0, 0.0, 1.0]
    assert grad(tapegrad.abs(x).sum(), x).tolist() == [0.0, 0.0, -1.0, 1.0]
    assert tapegrad.sign(x).tolist() == [0.0, 0.0, -1.0, 1.0]  # torch.sign(nan) is 0
    c = f64([NAN, 0.0, -1.0, 1.0, 2.0], requires_grad=True)
    assert grad(tapegrad.clamp(c, -1.0, 1.0).sum(), c).tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


# ---------------------------------------------------------------------------- 8. integer division by zero, reshape(-2)
@pytest.mark.parametrize("expression", [
    lambda: tapegrad.tensor([3, 4]) // tapegrad.tensor([0, 1]),
    lambda: tapegrad.tensor([3, 4]) // 0,
    lambda: tapegrad.tensor([3, 4]) % tapegrad.tensor([0, 1]),
    lambda: tapegrad.tensor([3, 4]) % 0,
    lambda: 3 // tapegrad.tensor([0]),
    lambda: tapegrad.remainder(3, tapegrad.tensor([0], dtype=tapegrad.int8)),
])
def test_integer_division_by_zero_raises_as_pytorch(expression):
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        expression()


def test_float_division_by_zero_still_computes():
    with np.errstate(all="ignore"):
        assert (tapegrad.tensor([3.0, 4.0]) // tapegrad.tensor([0.0, 1.0])).tolist() == [math.inf, 4.0]
        assert math.isnan((tapegrad.tensor([3.0]) % 0.0).item())


@pytest.mark.parametrize("method", ["reshape", "view"])
def test_reshape_refuses_negative_sizes_other_than_minus_one(method):
    x = tapegrad.ones(4)
    with pytest.raises(RuntimeError, match=r"^invalid shape dimension -2 at index 0 of shape \[-2\]$"):
        getattr(x, method)(-2)
    with pytest.raises(RuntimeError, match=r"^invalid shape dimension -3 at index 1 of shape \[2, -3\]$"):
        getattr(x, method)(2, -3)
    with pytest.raises(RuntimeError, match="^only one dimension can be inferred$"):
        getattr(x, method)(-1, -1)
    assert getattr(x, method)(-1, 2).shape == (2, 2)


def test_max_min_at_nan_and_ties_follow_pytorch():
    # torch: x.max() of [nan, 1, nan] -> grad [.5, 0, .5]; amax -> NaN grads; max(x, 0) of [3, 3, 1] -> grad [1, 0, 0]
    x = f64([NAN, 1.0, NAN], requires_grad=True)
    assert math.isnan(x.max().item()) and grad(x.max(), x).tolist() == [0.5, 0.0, 0.5]
    assert grad(x.min(), x).tolist() == [0.5, 0.0, 0.5]
    assert np.isnan(grad(x.amax(), x).numpy()).all()
    t = f64([3.0, 3.0, 1.0], requires_grad=True)
    values, indices = t.max(0)
    assert indices.item() == 0 and grad(values, t).tolist() == [1.0, 0.0, 0.0]
    rows = f64([[NAN, 1.0, 2.0, 2.0], [3.0, 3.0, 1.0, 0.0]], requires_grad=True)
    values, indices = rows.max(1, keepdim=True)
    assert values.shape == (2, 1) and indices.tolist() == [[0], [0]]
    assert grad(values.sum(), rows).tolist() == [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    assert grad(rows.min(dim=1).values.sum(), rows).tolist() == [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
