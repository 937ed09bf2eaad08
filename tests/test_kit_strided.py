"""The kit's strided-view input variant: ops meet non-contiguous views of a larger base, and the
kit catches an op that reads, writes or refuses them wrongly."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from test_kit import register
from tapegrad.ops_builtin.strides import is_contiguous, layout
from tapegrad.testing import Sample, check_op, op_checks
from tapegrad.testing.strided import LAYOUTS, layouts_for, strided_view


def strided_failure(name: str) -> str:
    (check,) = [c for c in op_checks(name) if c.check == "strided"]
    with pytest.raises(AssertionError) as info:
        check()
    return str(info.value)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(5,), (2, 3), (3, 1, 4), (1, 3)])
def test_strided_views_hold_the_values_in_a_non_contiguous_layout(shape, layout):
    values = np.arange(float(np.prod(shape))).reshape(shape)
    if layout not in layouts_for([values]):
        pytest.skip(f"{layout} leaves a {shape} array contiguous")
    view, base = strided_view(tapegrad.as_tensor, values, layout)
    np.testing.assert_array_equal(view.detach().numpy(), values)
    assert view.is_leaf and view is not base and layout_of(view) is not None
    assert not is_contiguous(view)
    assert view._data.base is not None  # a view of the base's memory, as PyTorch's strided tensors


def layout_of(t):
    return layout(t)


def test_layouts_leave_out_inputs_no_layout_changes():
    assert layouts_for([np.zeros(()), 2.0]) == ()
    assert layouts_for([np.zeros((1, 1))]) == ()
    assert layouts_for([np.zeros(3)]) == LAYOUTS[:1]  # a vector: only its elements apart
    # one dimension above size 1: transposing changes nothing, but its rows of one can be halves of wider ones
    assert layouts_for([np.zeros((3, 1))]) == (LAYOUTS[0], LAYOUTS[2])
    assert layouts_for([np.zeros((1, 3))]) == LAYOUTS[:1]
    assert layouts_for([np.zeros(3), np.zeros((2, 3))]) == LAYOUTS


def test_builtin_view_is_refused_exactly_where_numpy_cannot_view():
    # view's reference is NumPy's no-copy reshape: refusing the transposed (2, 3) -> (3, 2) is checked
    check_op("view", backends=())
    view, _ = strided_view(tapegrad.as_tensor, np.zeros((2, 3)), "transposed")
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        view.view(3, 2)
    assert tuple(view.view(2, 3, 1).shape) == (2, 3, 1)


def test_an_op_reading_the_base_past_its_view_fails():
    def forward(xp, x):  # the memory as if it were contiguous: the base's filler shows
        flat = np.lib.stride_tricks.as_strided(x, shape=x.shape, strides=tuple(
            x.itemsize * int(np.prod(x.shape[i + 1:])) for i in range(x.ndim)))
        return flat * 2.0

    register("flatread", forward=forward, vjp=(lambda xp, g, ans, x: g * 2.0,), backends=("numpy",))
    message = strided_failure("flatread")
    assert "failed check 'strided'" in message and "forward differs from the contiguous inputs'" in message


def test_an_op_refusing_non_contiguous_inputs_fails():
    def forward(xp, x):
        if not x.flags.c_contiguous:
            raise RuntimeError("needs a contiguous input")
        return x * 2.0

    register("contig_only", forward=forward, vjp=(lambda xp, g, ans, x: g * 2.0,), backends=("numpy",))
    message = strided_failure("contig_only")
    assert "forward raised RuntimeError: needs a contiguous input, where contiguous inputs of the same values work" \
        in message


def test_an_op_viewing_what_its_reference_refuses_fails():
    register("loose_view", forward=lambda xp, x: xp.reshape(x, (-1,)), vjp=(lambda xp, g, ans, x: xp.reshape(g, x.shape),),
             view=True, saves=(), reference=lambda x: np.reshape(x, (-1,), copy=False), samples=[Sample((2, 3))])
    message = strided_failure("loose_view")
    assert "the op accepted a layout its reference refuses" in message


def test_a_vjp_writing_into_the_cotangent_fails():
    def vjp(xp, g, ans, x):
        g[...] = 0.0  # the strided cotangent's memory
        return g

    register("gwriter", forward=lambda xp, x: x * 1.0, vjp=(vjp,), backends=("numpy",))
    message = strided_failure("gwriter")
    assert "wrote into the (strided) cotangent" in message


def test_a_forward_writing_into_the_base_fails():
    def forward(xp, x):
        if x.base is not None and not x.flags.c_contiguous:
            x.base.reshape(-1)[1] = 7.0  # between the view's elements: its values stay, the base changes
        return x * 1.0

    register("basewriter", forward=forward, vjp=(lambda xp, g, ans, x: g,), backends=("numpy",))
    message = strided_failure("basewriter")
    assert "forward or VJP wrote into the base of input 0's view" in message


def test_the_variant_runs_on_every_builtin_op_with_an_array_input():
    ids = {c.id for name in ("add", "sum", "view", "matmul", "index_copy") for c in op_checks(name)}
    assert {"add-strided", "sum-strided", "view-strided", "matmul-strided", "index_copy-strided"} <= ids
