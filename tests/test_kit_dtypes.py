"""The kit compares result dtypes and the sign of expected zeros: against the declared
``reference=``, at declared points (``edge_cases=``), and across backends."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import plugins
from tapegrad.testing import EdgeCase, Sample, check_op, op_checks
from test_kit import failures, register


def _is_numpy(x) -> bool:
    return type(x).__module__.startswith("numpy")


def backends_failure(name: str) -> str:
    """The ``backends`` check's verdict alone, on array_api_strict."""
    (check,) = [c for c in op_checks(name, backends=("array_api_strict",)) if c.check == "backends"]
    with pytest.raises(AssertionError) as info:
        check()
    return str(info.value)


# ---------------------------------------------------------------------------- dtypes
def test_an_integer_result_of_the_wrong_dtype_fails_the_reference():
    # equal values, int32 where the reference (and PyTorch's argmax) gives int64
    register("argmax32", promotion=False, forward=lambda xp, x: xp.astype(xp.argmax(x, axis=-1), xp.int32),
             reference=lambda x: np.argmax(x, axis=-1))
    message = failures("argmax32")
    assert "op 'argmax32'" in message and "failed check 'reference' for Sample((3,))" in message
    assert "result has dtype int32, expected int64" in message


def test_a_bool_result_given_as_integers_fails_the_reference():
    register("ints_not_bools", promotion=False, forward=lambda xp, x: xp.astype(x > 0, xp.int64),
             reference=lambda x: x > 0)
    assert "result has dtype int64, expected bool" in failures("ints_not_bools")


def test_a_float_result_narrowed_or_widened_fails_the_reference():
    register("narrowing_sin", promotion=False, forward=lambda xp, x: xp.astype(xp.sin(x), xp.float32), reference=np.sin,
             )
    assert "result has dtype float32, expected float64" in failures("narrowing_sin")
    # float32 in, float64 out, where float64 in gives float64 and the reference keeps float32
    register("widening_sin", promotion=False, forward=lambda xp, x: xp.sin(xp.astype(x, xp.float64)), reference=np.sin,
             )
    message = failures("widening_sin")
    assert "failed check 'reference'" in message
    assert "[float32] result has dtype float64, expected float32 (float64 inputs give float64, and the " \
           "reference float32)" in message
    # a cast the reference makes too is the op's meaning, not widening
    register("to_f64", promotion=False, forward=lambda xp, x: xp.astype(x, xp.float64), vjp=(lambda xp, g, ans, x: g,),
             reference=lambda x: x.astype(np.float64))
    check_op("to_f64")


def test_declared_values_state_their_dtype():
    register("count_pos", promotion=False, forward=lambda xp, x: xp.astype(xp.sum(x > 0), xp.int32),
             edge_cases=[EdgeCase([1.0, -1.0, 2.0], value=np.int64(2))])
    message = failures("count_pos")
    assert "failed check 'edge_cases' for EdgeCase([ 1., -1.,  2.])" in message
    assert "result has dtype int32, expected int64" in message
    # written in Python numbers: the kind PyTorch infers from them (True: bool, 2: integer, 2.0: floating)
    register("pos_as_float", promotion=False, forward=lambda xp, x: xp.astype(x > 0, x.dtype),
             edge_cases=[EdgeCase([1.0, -1.0], value=[True, False])])
    assert "result has dtype float64, a bool result expected (the value is written in bool Python numbers)" \
        in failures("pos_as_float")
    register("pos_as_bool", promotion=False, forward=lambda xp, x: x > 0,
             edge_cases=[EdgeCase([1.0, -1.0], value=[True, False])])
    check_op("pos_as_bool")
    register("floor_as_int", promotion=False, forward=lambda xp, x: xp.astype(xp.floor(x), xp.int64),
             edge_cases=[EdgeCase([1.5, -1.5], value=[1.0, -2.0])])
    assert "a floating result expected" in failures("floor_as_int")


def test_backends_give_numpys_dtypes():
    # int64 on NumPy, int32 on every other backend: the same values
    register("positions", promotion=False, forward=lambda xp, x: xp.argsort(x) if _is_numpy(x) else xp.astype(xp.argsort(x), xp.int32),
             backends=("numpy", "array_api_strict"))
    message = backends_failure("positions")
    assert "failed check 'backends' for Sample((3,)): [array_api_strict] result has dtype int32, NumPy's int64" \
        in message


def test_integer_results_beside_floating_ones_are_compared_across_backends():
    # max(x, dim)-like: the values agree, the indices do not (the gradient checks see only the values)
    register("shifted_argmax", promotion=False, backends=("numpy", "array_api_strict"),
             forward=lambda xp, x: xp.argmax(x, axis=-1) + (0 if _is_numpy(x) else 1))

    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_composite("max_and_index", lambda x: (tapegrad.amax(x, -1), tapegrad.shifted_argmax(x)),
                                        samples=[Sample((2, 3))])

    plugins.register(Plugin, name="max-and-index")
    assert "[array_api_strict] result 1 [2 3] differs from NumPy's [1 2]" in backends_failure("max_and_index")


# ---------------------------------------------------------------------------- signs of zeros
def test_a_zero_of_the_wrong_sign_fails_a_declared_point():
    register("neg_by_sub", forward=lambda xp, x: 0.0 - x, vjp=(lambda xp, g, ans, x: -g,),
             edge_cases=[EdgeCase([0.0, 1.0], value=[-0.0, -1.0], why="neg(0.) is -0., as PyTorch's")])
    message = failures("neg_by_sub", order=1)
    assert "failed check 'edge_cases'" in message
    assert "the sign of the zero differs at index (0,) (np.float64(0.0), expected np.float64(-0.0))" in message
    register("neg_right", forward=lambda xp, x: -x, vjp=(lambda xp, g, ans, x: -g,),
             edge_cases=[EdgeCase([0.0, 1.0], value=[-0.0, -1.0])])
    check_op("neg_right", order=1)


def test_a_zero_of_the_wrong_sign_fails_the_reference():
    # abs as x * sign(x): -0. at -0. (and NumPy's reference gives 0.)
    register("abs_by_sign", forward=lambda xp, x: x * xp.sign(x), vjp=(lambda xp, g, ans, x: g * xp.sign(x),),
             reference=np.abs, samples=[Sample(np.array([-0.0, 1.5, -2.0]))])
    message = failures("abs_by_sign", order=1)
    assert "failed check 'reference'" in message and "the sign of the zero differs at index (0,)" in message


def test_a_gradient_zero_of_the_wrong_sign_fails_a_declared_point():
    # relu's gradient at 0 is +0. in PyTorch; a rule writing -0. there
    register("relu_neg_mask", forward=lambda xp, x: xp.maximum(x, 0.0),
             vjp=(lambda xp, g, ans, x: xp.where(x > 0, g, -0.0),),
             edge_cases=[EdgeCase([0.0, 1.0], value=[0.0, 1.0], grads=([0.0, 1.0],))])
    message = failures("relu_neg_mask", order=1)
    assert "gradient for input 0 is [-0.  1.], expected [0. 1.]" in message


@pytest.mark.parametrize("name", ["neg", "abs", "relu", "mul"])
def test_builtins_keep_pytorchs_signed_zeros(name):
    check_op(name, order=1)
