"""Property tests of the engine on random programs: shared subexpressions, several roots,
leaves used many times. Whatever the graph's shape, gradients match central differences,
accumulate across calls, and no two ``.grad`` arrays share memory."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad.testing import check_grads

UNARY = [
    lambda a: a * 1.5,
    lambda a: -a,
    lambda a: a.tanh(),
    lambda a: a / (1.0 + a * a),
    lambda a: (a * 0.3).exp(),
    lambda a: a.sum(0, keepdim=True),  # broadcasts back when combined
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (2.0 + b * b),
]

# A program: each step applies one op to earlier values (leaves or results), so values are
# reused and the graph has diamonds; the result sums some of the values.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("u"), st.integers(0, len(UNARY) - 1), st.integers(0, 50)),
        st.tuples(st.just("b"), st.integers(0, len(BINARY) - 1), st.integers(0, 50), st.integers(0, 50)),
    ),
    min_size=1, max_size=12,
)


def run_program(program, leaves):
    values = list(leaves)
    for step in program:
        if step[0] == "u":
            values.append(UNARY[step[1]](values[step[2] % len(values)]))
        else:
            values.append(BINARY[step[1]](values[step[2] % len(values)], values[step[3] % len(values)]))
    return values


def make_leaves(seed, n=3):
    rng = np.random.default_rng(seed)
    return [tapegrad.tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True) for _ in range(n)]


@settings(max_examples=60, deadline=None)
@given(program=steps, seed=st.integers(0, 2**16))
def test_random_programs_have_right_gradients_to_second_order(program, seed):
    def f(*xs):
        values = run_program(program, xs)
        out = values[-1]
        for v in values[len(xs):-1:2]:  # several terms reach the result: shared subgraphs
            out = out + v.sum()
        return out

    check_grads(f, make_leaves(seed), order=2, seed=seed)


@settings(max_examples=40, deadline=None)
@given(program=steps, seed=st.integers(0, 2**16))
def test_backward_accumulates_and_grads_never_alias(program, seed):
    leaves = make_leaves(seed)
    values = run_program(program, leaves)
    roots = [v for v in values[len(leaves):] if v.requires_grad][-2:]
    if not roots:
        return
    grads = [tapegrad.ones(*r.shape, dtype=tapegrad.float64) for r in roots]
    kept = [g.numpy().copy() for g in grads]
    tapegrad.autograd.backward(roots, grads, retain_graph=True)
    first = [None if x.grad is None else x.grad.numpy().copy() for x in leaves]
    tapegrad.autograd.backward(roots, grads)
    for x, g1 in zip(leaves, first):
        if g1 is not None:
            np.testing.assert_allclose(x.grad.numpy(), 2 * g1, rtol=1e-12, atol=1e-12)
    arrays = [x.grad.numpy() for x in leaves if x.grad is not None]
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)
        for g in grads:
            assert not np.shares_memory(a, g.numpy())
    for g, k in zip(grads, kept):
        np.testing.assert_array_equal(g.numpy(), k)  # the caller's gradients are untouched
