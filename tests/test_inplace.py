"""In-place ops: memory semantics, history, version counters and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad


def leaf(values, dtype=tapegrad.float64):
    return tapegrad.tensor(values, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("method, other, expected", [
    ("add_", 2.0, [3.0, 4.0]), ("sub_", 2.0, [-1.0, 0.0]), ("mul_", 3.0, [3.0, 6.0]),
    ("div_", 2.0, [0.5, 1.0]), ("pow_", 2.0, [1.0, 4.0]),
])
def test_inplace_methods_write_into_the_tensor_and_return_it(method, other, expected):
    x = tapegrad.tensor([1.0, 2.0])
    storage = x._data
    result = getattr(x, method)(other)
    assert result is x and x._data is storage
    assert x.tolist() == expected
    assert x._version == 1


def test_augmented_operators_are_inplace_and_shared_memory_sees_them():
    array = np.zeros(3)
    t = tapegrad.from_numpy(array)
    alias = t
    t += 1
    t *= 3
    t -= 1
    t /= 2
    assert alias is t
    np.testing.assert_allclose(array, [1.0, 1.0, 1.0])
    t.neg_()
    t.zero_()
    assert array.tolist() == [0.0, 0.0, 0.0]
    t.fill_(2.5)
    assert array.tolist() == [2.5, 2.5, 2.5]


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1
    assert w.tolist() == [1.0, 2.0]  # nothing was written


def test_sgd_step_under_no_grad_works():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    with tapegrad.no_grad():
        w -= 0.1 * w.grad
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])


def test_inplace_on_a_non_leaf_records_history():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0"
    y.mul_(y)  # y <- (2x + 1)^2, needs the old y for its own gradient
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * (2 * np.array([1.0, 2.0]) + 1))


def test_inplace_into_a_tensor_that_did_not_require_grad():
    x = leaf([1.0, 2.0])
    buffer = tapegrad.zeros(2, dtype=tapegrad.float64)
    buffer.add_(x * 3)
    assert buffer.requires_grad and buffer.grad_fn is not None
    buffer.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_modifying_a_saved_input_is_detected_at_backward_naming_the_op():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*input 0 of MulBackward0 \(op 'mul'"):
        z.sum().backward()
    assert x.grad is None  # refused before any gradient was written


def test_modifying_a_saved_output_is_detected():
    x = leaf([0.5, 1.0])
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"output 0 of ExpBackward0"):
        y.sum().backward()


def test_modifying_a_tensor_no_node_saved_is_fine():
    x = leaf([1.0, 2.0])
    y = x + 1  # add saves nothing
    z = y + 0
    y.mul_(3)
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_modification_through_a_shared_array_is_detected():
    x = leaf([1.0, 2.0])
    y = x * 1
    z = y * y
    alias = y.detach()  # shares y's memory
    alias.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_shape_and_dtype_errors_leave_the_tensor_untouched():
    x = tapegrad.ones(2)
    with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the broadcast shape \[3, 2\]"):
        x.add_(tapegrad.ones(3, 2))
    ints = tapegrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        ints.add_(0.5)
    assert x.tolist() == [1.0, 1.0] and ints.tolist() == [1, 2]


def test_writing_through_a_view_of_a_leaf_is_refused():
    x = leaf([1.5, 2.5])
    view = x[0:1]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        view[0] = 5.0
    assert x.tolist() == [1.5, 2.5]
    copy = (x * 1)[0:1]
    copy[0] = 5.0  # a view of a non-leaf is fine
    assert copy.tolist() == [5.0]


def test_integer_casts_never_require_grad():
    x = leaf([1.5, 2.5])
    assert not x.to(tapegrad.int64).requires_grad
    assert x.to(tapegrad.float32).requires_grad
