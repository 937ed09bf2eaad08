"""Type promotion exactly as PyTorch's (core/promotion.py), tested as a table PyTorch 2.13 made
(tests/data/promotion_torch.json, from tests/promotion_cases.py): every pair of dtypes x
{dimensioned, 0-d, Python scalar} for the binary ops, every dtype for the unary ones, with the
default float dtype float32 and float64. Then the issue's reproducers, bitwise ops, complex
numbers refused, NumPy scalars never escaping, other backends and plugin-declared categories."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import promotion_cases as cases
import tapegrad
from tapegrad import Registry, RegistrationError, plugins

TORCH = json.loads(cases.TABLE.read_text())


def _compare(default: str, ops: list[str]) -> list[str]:
    wrong = []
    tapegrad.set_default_dtype(getattr(tapegrad, default))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for (op, a, b), want in cases.expected(TORCH, default).items():
            if op not in ops:
                continue
            got = cases.run(tapegrad, op, a, b)
            if got == want or (got.startswith("!") and want.startswith("!")):
                continue
            if want.startswith("!") and op in cases.TAPEGRAD_COMPUTES and cases.TAPEGRAD_COMPUTES[op](a, b):
                continue
            wrong.append(f"{op}({a}, {b}): PyTorch {want}, tapegrad {got}")
    return wrong


@pytest.mark.parametrize("op", list(cases.BINARY) + list(cases.UNARY))
def test_result_dtypes_are_pytorchs(op):
    wrong = _compare("float32", [op])
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("op", cases.DEFAULT_FLOAT64)
def test_result_dtypes_are_pytorchs_with_default_float64(op):
    wrong = _compare("float64", [op])
    assert not wrong, "\n".join(wrong[:20])


def test_the_table_covers_every_dtype_pair_and_kind():
    table = cases.expected(TORCH)
    assert len([k for k in table if k[0] == "add"]) == len(cases.SPECS) ** 2 - len(cases.PYTHON) ** 2
    assert TORCH["torch"].startswith("2.13")


def test_promote_types_is_pytorchs_table():
    for pair, want in TORCH["promote_types"].items():
        a, b = (getattr(tapegrad, n) for n in pair.split())
        assert tapegrad.promote_types(a, b) is getattr(tapegrad, want), pair


def test_result_type_ranks_tensors_over_zero_dim_over_numbers():
    i8, f64_0d = tapegrad.tensor([1], dtype=tapegrad.int8), tapegrad.tensor(1.0, dtype=tapegrad.float64)
    assert tapegrad.result_type(i8, 2.5) is tapegrad.float32
    assert tapegrad.result_type(i8, 300) is tapegrad.int8
    assert tapegrad.result_type(i8, f64_0d) is tapegrad.float64
    assert tapegrad.result_type(tapegrad.tensor([1.0]), f64_0d) is tapegrad.float32
    assert tapegrad.result_type(True, tapegrad.tensor([True])) is tapegrad.bool


# ---------------------------------------------------------------------------- the reproducers
def test_float_ops_on_small_integers_give_the_default_float_dtype():
    for dtype in (tapegrad.int8, tapegrad.uint8, tapegrad.bool):
        x = tapegrad.tensor([1, 1], dtype=dtype)
        assert tapegrad.sin(x).dtype is tapegrad.float32  # NumPy: float16
        assert tapegrad.sigmoid(x).dtype is tapegrad.float32
        assert (x / x).dtype is tapegrad.float32
    assert tapegrad.sigmoid(tapegrad.tensor([True])).tolist() == pytest.approx([0.7310585975646973])
    assert tapegrad.sign(tapegrad.tensor([True, False])).tolist() == [True, False]
    assert tapegrad.square(tapegrad.tensor([True])).dtype is tapegrad.int64
    tapegrad.set_default_dtype(tapegrad.float64)
    assert tapegrad.exp(tapegrad.tensor([1], dtype=tapegrad.int8)).dtype is tapegrad.float64


def test_float16_with_an_integer_tensor_stays_float16():
    h = tapegrad.tensor([1.5], dtype=tapegrad.float16)
    assert (h * tapegrad.tensor([2])).dtype is tapegrad.float16  # NumPy: float64
    assert (h + tapegrad.tensor([2], dtype=tapegrad.int16)).dtype is tapegrad.float16


def test_zero_dim_tensors_rank_below_dimensioned_ones():
    f32 = tapegrad.tensor([1.0, 2.0])
    assert (f32 + tapegrad.tensor(1.0, dtype=tapegrad.float64)).dtype is tapegrad.float32
    i8 = tapegrad.tensor([1, 2], dtype=tapegrad.int8)
    assert (i8 * tapegrad.tensor(3)).dtype is tapegrad.int8
    assert (i8 * tapegrad.tensor(3)).tolist() == [3, 6]
    # a higher category still wins, with the 0-d tensor's own dtype
    assert (i8 + tapegrad.tensor(1.0, dtype=tapegrad.float64)).dtype is tapegrad.float64
    assert (tapegrad.tensor(1) + tapegrad.tensor(1.0, dtype=tapegrad.float16)).dtype is tapegrad.float16


def test_sums_of_small_integers_are_int64_and_print():
    u = tapegrad.tensor([200, 100], dtype=tapegrad.uint8)
    for total in (u.sum(), u.prod(), u.cumsum(0)):
        assert total.dtype is tapegrad.int64  # NumPy: uint64
    assert u.sum().item() == 300 and u.prod().item() == 20000
    assert repr(u.sum()) == "tensor(300)"
    assert u.cumsum(0, dtype=tapegrad.int16).dtype is tapegrad.int16
    assert tapegrad.tensor([True, True]).sum().item() == 2


def test_integer_powers_as_pytorchs():
    x = tapegrad.tensor([2, 1, -1, 0])
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        x ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        tapegrad.tensor([True]) ** -2
    # exponents in tensors, 0-d included, compute: C's integer pow, rounding toward zero
    assert (x ** tapegrad.tensor([-1, -2, -3, -1])).tolist() == [0, 1, -1, 0]
    assert (x ** tapegrad.tensor(-1)).tolist() == [0, 1, -1, 0]
    assert (tapegrad.tensor([-1, -1]) ** tapegrad.tensor([-2, -3])).tolist() == [1, -1]
    assert (2 ** tapegrad.tensor([-1, 1])).tolist() == [0, 2]
    assert (tapegrad.tensor([2]) ** -1.0).tolist() == [0.5]
    with pytest.raises(NotImplementedError, match="pow"):
        tapegrad.tensor([True]) ** tapegrad.tensor([True])


def test_python_ints_wrap_into_integer_tensors_as_pytorchs():
    i8 = tapegrad.tensor([1, 100], dtype=tapegrad.int8)
    assert (i8 + 300).tolist() == [45, -112]  # NumPy: OverflowError
    assert (i8 < 300).tolist() == [True, False]  # 300 is 44 in int8, as PyTorch compares
    assert (tapegrad.tensor([255], dtype=tapegrad.uint8) == -1).tolist() == [True]
    assert (i8 < 300.5).tolist() == [True, True]
    assert (300 + i8).tolist() == [45, -112] and (i8 - 300).tolist() == [-43, 56]
    assert (tapegrad.tensor([1]) + 2 ** 63).tolist() == [-(2 ** 63) + 1]
    with pytest.raises(OverflowError):
        tapegrad.tensor([1]) + 2 ** 64


def test_params_take_part_where_declared():
    i = tapegrad.tensor([1, 3])
    assert tapegrad.clamp(i, min=2.5).tolist() == [2.5, 3.0]
    assert tapegrad.clamp(i, min=2).dtype is tapegrad.int64
    w = tapegrad.where(tapegrad.tensor([True, False]), i, 2.5)
    assert w.dtype is tapegrad.float32 and w.tolist() == [1.0, 2.5]


def test_mixed_float_dtypes_give_gradients_in_each_inputs_dtype():
    h = tapegrad.tensor([1.5, 2.0], dtype=tapegrad.float16, requires_grad=True)
    f = tapegrad.tensor([3.0, 4.0], requires_grad=True)
    (h * f).sum().backward()
    assert h.grad.dtype is tapegrad.float16 and h.grad.tolist() == [3.0, 4.0]
    assert f.grad.dtype is tapegrad.float32 and f.grad.tolist() == [1.5, 2.0]
    x = tapegrad.tensor([1.5, 2.0], requires_grad=True)
    s = tapegrad.tensor(3.0, dtype=tapegrad.float64, requires_grad=True)
    y = x * s * x
    assert y.dtype is tapegrad.float32
    (gs,) = tapegrad.autograd.grad(y.sum(), [s], create_graph=True)
    assert gs.dtype is tapegrad.float64 and gs.item() == 6.25
    (gx,) = tapegrad.autograd.grad(gs, [x])
    assert gx.dtype is tapegrad.float32 and gx.tolist() == [3.0, 4.0]


def test_an_integer_base_is_promoted_before_the_exponents_gradient():
    x = tapegrad.tensor([3, 5], dtype=tapegrad.int8)
    y = tapegrad.tensor([2.5, 1.3], dtype=tapegrad.float64, requires_grad=True)
    (x ** y).sum().backward()
    # PyTorch 2.13: log(x) in float64, not NumPy's float16 log of int8
    assert y.grad.tolist() == pytest.approx([17.12567071613423, 13.041730848768768], rel=1e-14)


# ---------------------------------------------------------------------------- bitwise ops
def test_bitwise_operators_on_integers_are_bitwise():
    a, b = tapegrad.tensor([1, 2, 12]), tapegrad.tensor([3, 2, 10])
    assert (a & b).tolist() == [1, 2, 8]  # was logical: [True, True, True]
    assert (a | b).tolist() == [3, 2, 14]
    assert (a ^ b).tolist() == [2, 0, 6]
    assert (~a).tolist() == [-2, -3, -13]
    assert (3 & a).tolist() == [1, 2, 0] and (a | 1).tolist() == [1, 3, 13]
    assert (~tapegrad.tensor([1], dtype=tapegrad.uint8)).tolist() == [254]
    assert (tapegrad.tensor([1], dtype=tapegrad.uint8) ^ tapegrad.tensor([1], dtype=tapegrad.int8)).dtype \
        is tapegrad.int16
    assert tapegrad.bitwise_and(a, b).tolist() == a.bitwise_and(b).tolist() == [1, 2, 8]


def test_bitwise_operators_on_bools_keep_their_logical_meaning():
    p, q = tapegrad.tensor([True, True, False]), tapegrad.tensor([True, False, False])
    assert (p & q).tolist() == [True, False, False] and (p & q).dtype is tapegrad.bool
    assert (p | q).tolist() == [True, True, False]
    assert (p ^ q).tolist() == [False, True, False]
    assert (~p).tolist() == [False, False, True]
    assert (p & True).dtype is tapegrad.bool and (p & 1).dtype is tapegrad.int64


def test_shifts_as_pytorchs():
    x = tapegrad.tensor([-5, 5])
    assert (x << 1).tolist() == [-10, 10] and (x >> 1).tolist() == [-3, 2]
    # out-of-range counts: 0 for <<, the sign for >> (PyTorch 2.13's values)
    assert (x << -1).tolist() == [0, 0] and (x << 64).tolist() == [0, 0]
    assert (x << 63).tolist() == [-(2 ** 63), -(2 ** 63)]
    assert (x >> 70).tolist() == [-1, 0] and (x >> -1).tolist() == [-1, 0]
    i8 = tapegrad.tensor([-5, 5], dtype=tapegrad.int8)
    assert (i8 >> 8).tolist() == [-1, 0] and (i8 << 9).tolist() == [0, 0]
    assert (i8 >> tapegrad.tensor([1, 2])).dtype is tapegrad.int64
    assert (i8 >> tapegrad.tensor(1)).tolist() == [-3, 2]
    assert (tapegrad.tensor([200], dtype=tapegrad.uint8) >> 9).tolist() == [0]
    assert (1 << tapegrad.tensor([1, 2])).tolist() == [2, 4]
    assert tapegrad.bitwise_left_shift(tapegrad.tensor([1]), tapegrad.tensor([3])).tolist() == [8]
    y = tapegrad.tensor([1, 2])
    y <<= 2
    y.bitwise_right_shift_(1)
    assert y.tolist() == [2, 4]


def test_bitwise_ops_refuse_floats_in_pytorchs_words():
    f = tapegrad.tensor([1.0])
    for call in (lambda: f & f, lambda: ~f, lambda: f << 1, lambda: tapegrad.tensor([1]) & 3.0):
        with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
            call()
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        tapegrad.tensor([True]) << tapegrad.tensor([True])


# ---------------------------------------------------------------------------- complex numbers
@pytest.mark.parametrize("call", [
    lambda: tapegrad.ones(2) + 1j,
    lambda: 1j * tapegrad.ones(2),
    lambda: tapegrad.ones(2) * np.complex64(1j),
    lambda: tapegrad.ones(2) + np.array([1j, 2]),
    lambda: tapegrad.tensor([1j]),
    lambda: tapegrad.tensor(np.array([1 + 0j])),
    lambda: tapegrad.as_tensor([1.0, 2j]),
    lambda: tapegrad.from_numpy(np.zeros(2, dtype=np.complex64)),
    lambda: tapegrad.full((2,), 1j),
    lambda: tapegrad.ones(2).fill_(1j),
    lambda: tapegrad.ones(2).__setitem__(0, 1j),
], ids=["add", "radd", "numpy-scalar", "numpy-array", "tensor", "tensor-numpy", "as_tensor", "from_numpy",
        "full", "fill_", "setitem"])
def test_complex_numbers_are_refused_where_they_enter(call):
    with pytest.raises(TypeError, match="complex numbers are not supported by tapegrad yet"):
        call()


def test_an_op_whose_result_would_be_complex_is_refused():
    class Plugin:
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry: Registry) -> None:
            registry.register_op("to_complex", forward=lambda xp, x: x * 1j)

    plugins.register(Plugin, name="complexplugin")
    with pytest.raises(TypeError, match="to_complex\\(\\): complex numbers are not supported"):
        tapegrad.to_complex(tapegrad.ones(2))


# ---------------------------------------------------------------------------- NumPy scalars never escape
@pytest.mark.parametrize("call", [
    lambda: tapegrad.tensor(2.0) * tapegrad.tensor(3.0),
    lambda: tapegrad.tensor(2.0) * 3,
    lambda: 3 - tapegrad.tensor(2.0),
    lambda: tapegrad.tensor(2) * tapegrad.tensor(3.0, dtype=tapegrad.float64),
    lambda: tapegrad.tensor(2.0).exp(),
    lambda: tapegrad.tensor(2).exp(),
    lambda: tapegrad.tensor([2.0, 3.0]).sum(),
    lambda: tapegrad.tensor([2, 3], dtype=tapegrad.uint8).sum(),
    lambda: tapegrad.tensor(2.0) < 3,
    lambda: tapegrad.tensor(5) & 3,
    lambda: tapegrad.tensor(np.float64(2.0)),
    lambda: tapegrad.tensor(2.0).to("array_api_strict") * 3,
])
def test_every_result_holds_an_array(call):
    out = call()
    data = out._data
    assert not isinstance(data, np.generic)
    assert isinstance(data, np.ndarray) or type(data).__module__.startswith("array_api_strict")


# ---------------------------------------------------------------------------- every backend
@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["add", "mul", "div", "lt", "maximum", "pow", "bitwise_and"]),
       st.sampled_from([s for s in cases.SPECS if "float16" not in s]),
       st.sampled_from([s for s in cases.SPECS if "float16" not in s]))
def test_other_backends_promote_alike(op, a, b):
    """array_api_strict refuses mixed dtypes itself: the dispatcher's casts make every pair work."""
    if a.startswith("py") and b.startswith("py"):
        return
    want = cases.expected(TORCH)[(op, a, b)]
    if want.startswith("!") or (cases.bool_operand(a) and cases.bool_operand(b) and op != "bitwise_and"):
        return  # the array API has no arithmetic or ordering on bools

    class Strict:
        bool, int8, uint8, int16, int32, int64, float32, float64 = (
            tapegrad.bool, tapegrad.int8, tapegrad.uint8, tapegrad.int16, tapegrad.int32, tapegrad.int64,
            tapegrad.float32, tapegrad.float64)
        maximum, where = tapegrad.maximum, tapegrad.where

        @staticmethod
        def tensor(data, dtype=None):
            return tapegrad.tensor(data, dtype=dtype).to("array_api_strict")

    got = cases.run(Strict, op, a, b)
    if op == "maximum" and (a.startswith("py") or b.startswith("py")):
        return
    assert got == want, f"{op}({a}, {b}) on array_api_strict"


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(cases.DTYPES), st.sampled_from(cases.DTYPES),
       st.lists(st.integers(1, 3), max_size=3), st.lists(st.integers(1, 3), max_size=3))
def test_values_are_computed_in_the_promoted_dtype(a, b, shape_a, shape_b):
    """Whatever the shapes, ``x + y`` is NumPy's sum of both cast to PyTorch's result dtype."""
    rng = np.random.default_rng(len(shape_a) * 7 + len(shape_b))
    shape_b = shape_b[: len(shape_a)] if shape_a else shape_b
    xa = (rng.uniform(0, 5, tuple(shape_a)) > 2).astype(a) if a == "bool" else rng.uniform(0, 5, tuple(shape_a)).astype(a)
    xb = (rng.uniform(0, 5, tuple(shape_b)) > 2).astype(b) if b == "bool" else rng.uniform(0, 5, tuple(shape_b)).astype(b)
    try:
        np.broadcast_shapes(xa.shape, xb.shape)
    except ValueError:
        return
    ka = "0" if xa.ndim == 0 else "T"
    kb = "0" if xb.ndim == 0 else "T"
    want = cases.expected(TORCH)[("mul", f"{ka}:{a}", f"{kb}:{b}")]
    out = tapegrad.tensor(xa) * tapegrad.tensor(xb)
    assert str(out.dtype) == f"tapegrad.{want}"
    target = np.dtype(np.bool_ if want == "bool" else want)
    np.testing.assert_array_equal(out.numpy(), np.multiply(xa.astype(target), xb.astype(target)))


# ---------------------------------------------------------------------------- declared categories
def _plugin(**declared):
    seen = {}

    def forward(xp, x, y=None):
        seen["dtypes"] = [getattr(v, "dtype", type(v)) for v in (x, y) if v is not None]
        return x if y is None else x + y

    class Plugin:
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry: Registry) -> None:
            registry.register_op("probe_op", forward=lambda xp, x, y: forward(xp, x, y), **declared)
            registry.register_op("probe_unary", forward=lambda xp, x: forward(xp, x), **declared)
            registry.register_op("probe_wide", forward=lambda xp, x: xp.astype(x, xp.float64), **declared)

    plugins.register(Plugin, name="probeplugin")
    return seen


def test_a_declared_float_category_casts_the_operands_first():
    seen = _plugin(promotion="float")
    out = tapegrad.probe_op(tapegrad.tensor([1], dtype=tapegrad.int8), tapegrad.tensor([2], dtype=tapegrad.int16))
    assert seen["dtypes"] == [np.dtype(np.float32)] * 2 and out.dtype is tapegrad.float32
    assert tapegrad.probe_unary(tapegrad.tensor([True])).dtype is tapegrad.float32


def test_the_declared_dtype_wins_over_what_the_forward_returns():
    _plugin()
    assert tapegrad.probe_wide(tapegrad.ones(2)).dtype is tapegrad.float32
    assert tapegrad.probe_wide(tapegrad.ones(2, dtype=tapegrad.float16)).dtype is tapegrad.float16


def test_ops_choosing_their_own_dtype_are_left_alone():
    seen = _plugin(promotion=False)
    assert tapegrad.probe_wide(tapegrad.ones(2)).dtype is tapegrad.float64
    tapegrad.probe_op(tapegrad.tensor([1], dtype=tapegrad.int8), tapegrad.tensor([2.0]))
    assert seen["dtypes"] == [np.dtype(np.int8), np.dtype(np.float32)]


def test_an_unknown_category_is_refused_at_registration():
    registry = Registry("p")
    with pytest.raises(RegistrationError, match="promotion must be True, False or one of"):
        registry.register_op("bad", forward=lambda xp, x: x, promotion="floating")


def test_numpy_operands_promote_by_dtype_whatever_its_spelling():
    f = tapegrad.tensor([1.0, 2.0])
    assert (f * np.array([2, 3], dtype=np.longlong)).dtype is tapegrad.float32  # longlong is int64
    assert (tapegrad.tensor([1], dtype=tapegrad.int8) * np.array([2], dtype=np.intc)).dtype is tapegrad.int32
    with pytest.raises(TypeError, match="no dtype for NumPy's uint64"):
        f * np.array([2], dtype=np.uint64)
