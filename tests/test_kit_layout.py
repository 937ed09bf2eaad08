"""The kit's layout check: an op declaring ``layout="contiguous"`` returns its input itself exactly
where that input's memory is contiguous, else a row-major copy; the kit catches each wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import RegistrationError, plugins
from tapegrad.ops_builtin.strides import is_contiguous
from tapegrad.testing import Sample, op_checks
from tapegrad.testing.layout import layout_inputs


def composite(name: str, function, **kwargs) -> None:
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_composite(name, function, samples=[Sample((2, 3)), Sample((3, 1))],
                                        layout="contiguous", **kwargs)

    plugins.register(Plugin, name=f"plugin-{name}")


def layout_failure(name: str) -> str:
    (check,) = [c for c in op_checks(name) if c.check == "layout"]
    with pytest.raises(AssertionError) as info:
        check()
    return str(info.value)


def test_builtin_contiguous_is_checked_and_passes():
    (check,) = [c for c in op_checks("contiguous") if c.check == "layout"]
    check()
    assert not any(c.check == "layout" for c in op_checks("clone"))  # only ops declaring a layout


@pytest.mark.parametrize("shape", [(2, 3), (3, 1), (1, 3), (5,), (0, 3), (2, 3, 4)])
def test_the_inputs_hold_what_their_labels_say(shape):
    values = np.arange(float(np.prod(shape))).reshape(shape)
    seen = []
    for label, x, base in layout_inputs(tapegrad.as_tensor, values, user_memory=True):
        np.testing.assert_array_equal(x.detach().numpy(), values)
        memory = x._data
        if label in ("fresh", "a contiguous view") or 0 in shape:
            assert memory.flags.c_contiguous, label
        else:  # a strided layout, or the user's column-major array: not contiguous
            assert not memory.flags.c_contiguous, label
        assert is_contiguous(x) == memory.flags.c_contiguous, label  # tapegrad's strides agree with the memory
        if label != "fresh" and memory.size:  # an empty array holds no memory to share
            assert np.shares_memory(memory, base._data)
        seen.append(label)
    assert seen[0] == "fresh" and ("a contiguous view" in seen) == (shape[0] > 0)
    assert ("a view of a column-major NumPy array (from_numpy(a.T)[...])" in seen) == (sum(n > 1 for n in shape) >= 2)


def test_an_op_copying_a_contiguous_input_fails():
    composite("always_copies", lambda x: x.clone())
    assert "input 0 fresh] returned a new tensor, where the input is contiguous already" in \
        layout_failure("always_copies")


def test_an_op_returning_a_strided_input_itself_fails():
    composite("never_copies", lambda x: x)
    message = layout_failure("never_copies")
    assert "returned the input itself, which is not contiguous (strides [6, 1] for shape [2, 3])" in message


def test_an_op_returning_a_view_of_a_strided_input_fails():
    composite("views_it", lambda x: x if is_contiguous(x) else x[...])
    assert "the result shares memory with the input, which is not contiguous" in layout_failure("views_it")


def test_an_op_copying_into_a_column_major_layout_fails():
    def copy_as_laid_out(x):  # NumPy's copy keeps the transposed layout: PyTorch's contiguous would not
        return x if is_contiguous(x) else tapegrad.from_numpy(np.copy(x.detach().numpy(), order="K"))

    composite("keeps_order", copy_as_laid_out)
    assert "the copy is not laid out row-major" in layout_failure("keeps_order")


def test_a_layout_other_than_contiguous_is_refused():
    with pytest.raises(RegistrationError, match="layout must be None or 'contiguous', got 'channels_last'"):
        tapegrad.Registry("p").register_composite("channels", lambda x: x, layout="channels_last")
    with pytest.raises(RegistrationError, match="layout must be None or 'contiguous', got 'F'"):
        tapegrad.Registry("p").register_op("order_f", forward=lambda xp, x: x, layout="F")
