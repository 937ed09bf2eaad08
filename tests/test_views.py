"""Views of non-leaves: in-place writes through them rewrite the base's history (CopySlices),
writes into a base refresh its views, and the writes PyTorch refuses are refused.

Expected values are PyTorch 2.13's (checked with torch); the property test compares the
gradients of random programs of views and in-place writes with central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad.registry import Registry, RegistrationError


def leaf(values, dtype=tapegrad.float32):
    return tapegrad.tensor(values, dtype=dtype, requires_grad=True)


def square():
    return leaf([[1.0, 2.0], [3.0, 4.0]])


MULTIPLE = ("is a view and is being modified inplace. This view is the output of a function that returns "
            "multiple views. Such functions do not allow the output views to be modified inplace. You should "
            "replace the inplace operation by an out-of-place one.")


# ---------------------------------------------------------------------- the reproducers
def test_a_write_through_a_row_rewrites_the_base_history():
    x = square()
    y = x * 1
    y[0].mul_(3)
    (y * y).sum().backward()
    assert x.grad.tolist() == [[18.0, 36.0], [6.0, 8.0]]
    assert y.grad_fn.name() == "CopySlices"
    assert repr(y.grad_fn).startswith("<CopySlices object at 0x")


def test_an_infinite_cotangent_stays_infinite_through_copy_slices():
    x = square()
    y = x * 1
    y[0].mul_(3)
    (y * tapegrad.tensor([[float("inf"), 1.0], [1.0, 1.0]])).sum().backward()
    assert x.grad.tolist() == [[float("inf"), 3.0], [1.0, 1.0]]  # not NaN


def test_zeroing_a_reshaped_view_zeroes_the_gradient():
    x = square()
    y = x * 1
    y.reshape(4).zero_()
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert y.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("pieces", [lambda y: y.split(1, 0), lambda y: y.chunk(2, 0)])
def test_writing_into_a_piece_of_split_or_chunk_is_refused(pieces):
    y = square() * 1
    with pytest.raises(RuntimeError) as info:
        pieces(y)[0].mul_(2)
    assert str(info.value) == f"Output 0 of Split {MULTIPLE}"
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]  # refused before writing


def test_split_pieces_refuse_views_of_them_too_and_allow_untracked_writes():
    y = square() * 1
    with pytest.raises(RuntimeError, match=f"Output 0 of Select {MULTIPLE[:20]}"):
        y.split(1)[1][0].mul_(2)
    plain = tapegrad.ones(4)
    plain.split(2)[0].mul_(2)  # nothing requires grad: nothing to record, as in PyTorch
    assert plain.tolist() == [2.0, 2.0, 1.0, 1.0]
    with tapegrad.no_grad():
        y.split(1)[0].mul_(2)
    assert y.tolist() == [[2.0, 4.0], [3.0, 4.0]]


def test_rows_from_iteration_refuse_writes_as_unbind_does():
    y = square() * 1
    with pytest.raises(RuntimeError, match=f"^Output 0 of Unbind {MULTIPLE[:20]}"):
        for row in y:
            row.mul_(2)
    rows = list(y)
    with pytest.raises(RuntimeError, match="Output 1 of Unbind"):
        rows[1].add_(1)
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_a_sibling_view_sees_the_write():
    x = square()
    y = x * 1
    row, column = y[0], y[:, 0]
    row.mul_(3)
    assert column.tolist() == [3.0, 3.0]
    (column * column).sum().backward()
    assert x.grad.tolist() == [[18.0, 0.0], [6.0, 0.0]]


def test_split_pieces_are_invalidated_when_their_base_is_written():
    x = square()
    y = x * 1
    first, _ = y.split(1)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="Output 0 of Split is a view and its base or another view of its base "
                                           "has been modified inplace"):
        first.sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("expand", [lambda y: y.expand(2, 2), lambda y: tapegrad.broadcast_to(y, (2, 2))])
def test_writing_into_an_expanded_tensor_is_refused(expand):
    y = square()[0] * 1
    with pytest.raises(RuntimeError, match="unsupported operation: more than one element of the written-to tensor "
                                           "refers to a single memory location. Please clone"):
        expand(y).mul_(2)
    with pytest.raises(RuntimeError, match="more than one element"):
        expand(tapegrad.ones(2)).mul_(2)
    copy = expand(y).clone()  # what the message advises
    copy.mul_(2)
    assert copy.tolist() == [[2.0, 4.0], [2.0, 4.0]] and y.tolist() == [1.0, 2.0]


def test_a_read_only_array_refuses_writes():
    array = np.ones(3)
    array.flags.writeable = False
    with pytest.raises(RuntimeError, match=r"memory is read-only .* write into a copy \(tensor.clone\(\)\)"):
        tapegrad.from_numpy(array).add_(1)


def test_a_write_into_the_base_refreshes_its_live_views():
    x = square()
    y = x * 1
    v = y[0]
    y.mul_(2)
    v.sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [0.0, 0.0]]


def test_copy_into_a_view_of_a_buffer_makes_the_buffer_require_grad():
    x = leaf([1.0, 2.0])
    out = tapegrad.zeros(3)
    rest = out[2:]
    out[0:2].copy_(x)
    assert out.tolist() == [1.0, 2.0, 0.0]
    assert out.grad_fn.name() == "CopySlices" and rest.requires_grad
    (out * tapegrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_setitem_of_a_computed_value_keeps_working():
    x = square()
    out = tapegrad.zeros(3)
    out[1] = (x[0] * 2).sum()
    assert out.tolist() == [0.0, 6.0, 0.0]
    out.sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [0.0, 0.0]]


def test_setitem_through_a_view_and_views_of_views():
    x = square()
    y = x * 1
    v = y[0]
    v[0] = 5.0
    assert y.tolist() == [[5.0, 2.0], [3.0, 4.0]]
    (y * y).sum().backward()
    assert x.grad.tolist() == [[0.0, 4.0], [6.0, 8.0]]
    x.grad = None
    y = x * 1
    y[0][1].mul_(10)
    (y * y).sum().backward()
    assert x.grad.tolist() == [[2.0, 400.0], [6.0, 8.0]]


def test_a_row_of_a_transpose():
    x = square()
    y = x * 1
    t = y.T
    t[0].mul_(2)
    assert y.tolist() == [[2.0, 2.0], [6.0, 4.0]] and y.grad_fn.name() == "CopySlices"
    (y * y).sum().backward()
    assert x.grad.tolist() == [[8.0, 4.0], [24.0, 8.0]]


def test_an_element_of_a_vector_is_a_view():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1
    y[0].mul_(3)  # a 0-d view, not a copy
    assert y.tolist() == [3.0, 2.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 1.0]


def test_flip_is_a_copy_as_in_pytorch():
    y = square() * 1
    y.flip(0).mul_(2)
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_views_share_the_version_counter_and_overwritten_saved_views_are_refused():
    x = square()
    y = x * 1
    v = y[0]
    assert (v._version, y._version) == (0, 0)
    v.add_(1)
    assert (v._version, y._version) == (1, 1)
    y.add_(1)
    assert v._version == 2
    z = y * y
    y[0].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_no_grad_writes_through_views_are_not_recorded():
    x = square()
    y = x * 1
    with tapegrad.no_grad():
        y[0].mul_(2)
    (y * 1).sum().backward()
    assert y.tolist() == [[2.0, 4.0], [3.0, 4.0]]
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_views_made_under_no_grad_refuse_recorded_writes():
    x = square()
    y = x * 1
    with tapegrad.no_grad():
        v = y[0]
    with pytest.raises(RuntimeError, match="^A view was created in no_grad mode and is being modified inplace with "
                                           "grad mode enabled. Given that this use case is ambiguous"):
        v.mul_(2)
    with pytest.raises(RuntimeError, match="^Output 0 of Select is a view of a view which was created in no_grad mode"):
        v[0].mul_(2)
    buffer = tapegrad.ones(2, 2)
    with tapegrad.no_grad():
        row = buffer[0]
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        row.mul_(x[0])
    with tapegrad.no_grad():
        v.mul_(2)  # both inside no_grad: fine
    y.mul_(3)
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and its base or another view of its "
                                           "base has been modified inplace with grad mode enabled"):
        (v * 1).sum().backward()


def test_a_view_of_a_leaf_still_refuses_writes():
    x = square()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0].mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.reshape(4)[0] = 1.0
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_views_cannot_be_detached_in_place():
    y = square() * 1
    with pytest.raises(RuntimeError, match=r"^Can't detach views in-place. Use detach\(\) instead."):
        y[0].detach_()
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        tapegrad.ones(3)[0:2].detach_()
    assert y.detach()[0].requires_grad is False


def test_second_order_through_a_write_into_a_view():
    x = leaf([[1.0, 2.0], [3.0, 4.0]], tapegrad.float64)
    y = x * x
    y[1].mul_(x[0])  # y[1] = x1^2 * x0 (row-wise)
    (g,) = tapegrad.autograd.grad((y * y).sum(), x, create_graph=True)
    # d/dx of sum(x0^4) + sum(x1^4 x0^2): first row 4 x0^3 + 2 x0 x1^4, second row 4 x1^3 x0^2
    x0, x1 = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_allclose(g.detach().numpy(), [4 * x0**3 + 2 * x0 * x1**4, 4 * x1**3 * x0**2])
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12 * x0**2 + 2 * x1**4 + 8 * x1**3 * x0,
                                                8 * x0 * x1**3 + 12 * x1**2 * x0**2])


def test_views_on_another_backend_rewrite_the_base_too():
    pytest.importorskip("array_api_strict")
    x = square()
    y = x.to("array_api_strict") * 1
    y[0].mul_(3)
    (y * y).sum().backward()
    assert x.grad.tolist() == [[18.0, 36.0], [6.0, 8.0]]
    x.grad = None
    y = x.to("array_api_strict") * 1
    y[np.array([0, 1])].mul_(2)  # advanced indexing copies there too: y is left alone
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]] and y.grad_fn.name() == "MulBackward0"
    (y * y).sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]


def test_view_registrations_are_checked():
    registry = Registry("someone")
    with pytest.raises(RegistrationError, match="a view op's VJP must read nothing"):
        registry.register_op("myview", forward=lambda xp, x: x, vjp=(lambda xp, g, ans, x: g,), view=True)
    with pytest.raises(RegistrationError, match="view must be False, True or 'broadcast'"):
        registry.register_op("myview", forward=lambda xp, x: x, vjp=(lambda xp, g, ans, x: g,), saves=(),
                             view="yes")
    with pytest.raises(RegistrationError, match="a composite's view must be False or 'multiple'"):
        registry.register_composite("mysplit", lambda x: (x,), view=True)


# ---------------------------------------------------------------------- false alarms
def test_mul_by_a_number_keeps_no_input_so_a_later_write_is_fine():
    x = leaf([1.0, 2.0])
    h = x * 2
    z = h * 3.0
    h.add_(1)
    z.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_div_by_a_number_keeps_nothing():
    a = leaf([1.0, 2.0])
    y = a / 2
    y += 1
    y.sum().backward()
    assert a.grad.tolist() == [0.5, 0.5]


def test_what_a_needed_rule_reads_is_still_kept_and_checked():
    a = leaf([1.0, 2.0])
    c = tapegrad.tensor([3.0, 4.0])
    h = a * 2
    z = h * c  # h's rule reads c only
    h.add_(1)
    z.sum().backward()
    assert a.grad.tolist() == [6.0, 8.0]
    for make in (lambda h: h * h, lambda h: c / h, lambda h: h * a):
        h = a * 2
        z = make(h)
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_reads_registrations_are_checked():
    registry = Registry("someone")
    rules = (lambda xp, g, ans, x, y: g * y, lambda xp, g, ans, x, y: g * x)
    with pytest.raises(RegistrationError, match="reads lists 1 entries but vjp has 2 rules"):
        registry.register_op("m", forward=lambda xp, x, y: x * y, vjp=rules, saves=("inputs",), reads=((1,),))
    with pytest.raises(RegistrationError, match="reads may name only"):
        registry.register_op("m", forward=lambda xp, x, y: x * y, vjp=rules, saves=("inputs",),
                             reads=((1,), ("output",)))
    with pytest.raises(RegistrationError, match="reads needs vjp given as one rule per input"):
        registry.register_op("m", forward=lambda xp, x, y: x * y, vjp=lambda xp, g, ans, x, y: (g, g),
                             reads=((1,), (0,)))


def test_the_kit_refuses_a_rule_reading_more_than_declared():
    from tapegrad.testing import check_op

    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("badmul", forward=lambda xp, x, y: x * y,
                                 vjp=(lambda xp, g, ans, x, y: g * y, lambda xp, g, ans, x, y: g * x),
                                 saves=("inputs",), reads=((0,), (1,)))

    tapegrad.plugins.register(Plugin, name="plugin-badmul")
    with pytest.raises(AssertionError, match=r"the VJP for input 0 reads more than reads=\(0,\)"):
        check_op("badmul")


# ---------------------------------------------------------------------- no undeclared aliasing
def test_the_kit_refuses_an_op_returning_memory_of_its_input_undeclared():
    from tapegrad.testing import check_op

    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("sneaky_view", forward=lambda xp, x: x[::-1],
                                 vjp=(lambda xp, g, ans, x: g[::-1],), saves=())

    tapegrad.plugins.register(Plugin, name="plugin-sneaky-view")
    with pytest.raises(AssertionError, match="forward returned memory of input 0; copy it, or register the op "
                                             "with view=True"):
        check_op("sneaky_view")


# ---------------------------------------------------------------------- property: random programs
def _view_steps(shape):
    """The view ops applicable to a tensor of ``shape``, as (name, function) pairs."""
    nd = len(shape)
    steps = []
    if nd:
        n = shape[0]
        steps += [(f"[{i}]", lambda t, i=i: t[i]) for i in range(-n, n)]
        steps += [(f"[{a}:{b}:{s}]", lambda t, a=a, b=b, s=s: t[a:b:s])
                  for a in range(n) for b in range(a + 1, n + 1) for s in (1, 2)]
        steps.append(("[::-1]", lambda t: t[::-1]))
        steps.append(("[..., 1:]", lambda t: t[..., 1:]))
        steps.append(("reshape(-1)", lambda t: t.reshape(-1)))
        steps.append(("flatten()", lambda t: t.flatten()))
    if nd >= 2:
        steps.append(("transpose(0, -1)", lambda t: t.transpose(0, -1)))
        steps.append(("permute(rev)", lambda t: t.permute(*range(nd - 1, -1, -1))))
        steps.append(("view(...)", lambda t: t.reshape(shape[0], -1) if t._data.flags.c_contiguous else t[0]))
    if nd < 4:
        steps.append(("unsqueeze(0)", lambda t: t.unsqueeze(0)))
    if 1 in shape:
        steps.append(("squeeze()", lambda t: t.squeeze()))
    return steps


def _writes(shape):
    """In-place writes applicable to a tensor of ``shape``, given the leaves ``w`` (0-d) and ``x``."""
    writes = [
        ("mul_(c)", lambda t, w, x: t.mul_(1.7)),
        ("add_(c)", lambda t, w, x: t.add_(-0.4)),
        ("mul_(w)", lambda t, w, x: t.mul_(w)),
        ("add_(w*w)", lambda t, w, x: t.add_(w * w)),
        ("mul_(x.mean())", lambda t, w, x: t.mul_(x.mean())),
        ("mul_(t)", lambda t, w, x: t.mul_(t)),
        ("zero_()", lambda t, w, x: t.zero_()),
        ("copy_(w*2)", lambda t, w, x: t.copy_(w * 2 + 0.5)),
        ("div_(w)", lambda t, w, x: t.div_(w)),
    ]
    if shape and shape[0]:
        writes.append(("[0] = w*3", lambda t, w, x: t.__setitem__(0, w * 3)))
        writes.append(("[-1] = 0.25", lambda t, w, x: t.__setitem__(-1, 0.25)))
    return writes


@st.composite
def programs(draw):
    """A base (a non-leaf, or a buffer that does not require grad) and a list of actions:
    make a view of the base or of an earlier view, write in place into the base or a view."""
    base_shape = draw(st.sampled_from([(3,), (2, 3), (3, 4), (2, 1, 3)]))
    buffer = draw(st.booleans())
    shapes = [base_shape]  # shapes[0]: the base; then one per view made
    # the views made on zeros, as the run makes them: a step may read its input's layout ("view(...)")
    probes = [tapegrad.zeros(*base_shape)]
    actions = []
    for _ in range(draw(st.integers(2, 8))):
        if draw(st.booleans()):
            source = draw(st.integers(0, len(shapes) - 1))
            name, fn = draw(st.sampled_from(_view_steps(shapes[source])))
            probe = fn(probes[source])
            actions.append(("view", source, name, fn))
            shapes.append(tuple(probe.shape))
            probes.append(probe)
        else:
            target = draw(st.integers(0, len(shapes) - 1) | st.just(len(shapes) - 1))  # the newest view, often
            name, fn = draw(st.sampled_from(_writes(shapes[target])))
            actions.append(("write", target, name, fn))
    return base_shape, buffer, actions


def _run(program, x, w):
    """The program on tensors: the loss uses the base and every view, after all writes."""
    base_shape, buffer, actions = program
    if buffer:  # constant values, no gradient until a write brings one
        base = tapegrad.tensor(np.linspace(0.5, 1.5, int(np.prod(base_shape))).reshape(base_shape))
    else:
        base = x * 1.5
    tensors = [base]
    for kind, index, _, fn in actions:
        if kind == "view":
            tensors.append(fn(tensors[index]))
        else:
            fn(tensors[index], w, x)
    loss = (base * base).sum() + x.sum() * w
    for t in tensors[1:]:
        loss = loss + (t * t * 0.5).sum()
    return loss


def _central_differences(f, x0, eps=1e-6):
    """d f / d x0 (``f`` scalar-valued) by central differences, element by element."""
    grad = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        up, down = x0.copy(), x0.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


def _numerical_grad(program, x0, w0):
    def f(xv, wv):
        with tapegrad.no_grad():
            return _run(program, tapegrad.tensor(xv), tapegrad.tensor(wv)).item()

    return _central_differences(lambda xv: f(xv, w0), x0), _central_differences(lambda wv: f(x0, wv), w0)


@settings(max_examples=150, deadline=None)
@given(programs(), st.integers(0, 2**31 - 1))
def test_random_views_and_writes_match_central_differences(program, seed):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0.5, 1.5, size=program[0])
    w0 = np.asarray(rng.uniform(0.8, 1.2))
    x = tapegrad.tensor(x0, requires_grad=True)
    w = tapegrad.tensor(w0, requires_grad=True)
    loss = _run(program, x, w)
    with tapegrad.no_grad():
        plain = _run(program, tapegrad.tensor(x0), tapegrad.tensor(w0)).item()
    np.testing.assert_allclose(loss.item(), plain, rtol=1e-12)  # recording changes no value
    gx, gw = tapegrad.autograd.grad(loss, [x, w])
    nx, nw = _numerical_grad(program, x0, w0)
    steps = [name for _, _, name, _ in program[2]]
    np.testing.assert_allclose(gx.numpy(), nx, rtol=1e-5, atol=1e-5, err_msg=str(steps))
    np.testing.assert_allclose(gw.item(), nw, rtol=1e-5, atol=1e-5, err_msg=str(steps))


@pytest.mark.parametrize("write", ["row", "transposed column", "reshaped"])
def test_second_order_matches_central_differences_of_the_gradient(write):
    def program(x):
        y = x * x
        if write == "row":
            y[1].mul_(x[0])
        elif write == "transposed column":
            y.T[0].mul_(x[:, 1] + 1)
        else:
            y.reshape(-1)[1:3].mul_(x.reshape(-1)[2:4] * 2)
        return (y * y).sum()

    x0 = np.array([[0.7, 1.2], [0.9, 1.4]])
    u = np.array([[0.3, -0.5], [1.1, 0.2]])

    def directional(xv, create_graph=False):
        x = tapegrad.tensor(xv, requires_grad=True)
        (g,) = tapegrad.autograd.grad(program(x), x, create_graph=create_graph)
        return x, g

    x, g = directional(x0, create_graph=True)
    (h,) = tapegrad.autograd.grad((g * tapegrad.tensor(u)).sum(), x)
    expected = _central_differences(lambda xv: (directional(xv)[1].numpy() * u).sum(), x0)
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(programs(), st.integers(0, 2**31 - 1))
def test_random_views_and_writes_second_order(program, seed):
    """create_graph through CopySlices and refreshed views: a Hessian-vector product against
    central differences of the first-order gradient."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0.5, 1.5, size=program[0])
    u = rng.standard_normal(program[0])
    w = tapegrad.tensor(1.1)

    def gradient(xv, create_graph=False):
        x = tapegrad.tensor(xv, requires_grad=True)
        loss = _run(program, x, w)
        (g,) = tapegrad.autograd.grad(loss, x, create_graph=create_graph, allow_unused=True)
        return x, g

    x, g = gradient(x0, create_graph=True)
    if g is None or not g.requires_grad:
        return  # the loss is linear in x (or does not depend on it): nothing of second order to check
    (h,) = tapegrad.autograd.grad((g * tapegrad.tensor(u)).sum(), x, allow_unused=True)
    expected = _central_differences(lambda xv: (gradient(xv)[1].numpy() * u).sum(), x0)
    got = np.zeros_like(x0) if h is None else h.numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5, err_msg=str([a[2] for a in program[2]]))
