"""Regression tests from a review of the namespace, node-class and lazy-backend work: each one
reproduces a bug found there (PyTorch's behaviour asserted where it has one)."""

from __future__ import annotations

import tapegrad


def test_next_functions_shows_a_leaf_as_accumulate_grad():
    # PyTorch: ((<AccumulateGrad object at ...>, 0), (None, 0)), .variable the leaf itself
    x = tapegrad.tensor([1.0, 2.0], requires_grad=True)
    (sink, index), (scalar, _) = (x * 2).grad_fn.next_functions
    assert type(sink).__name__ == "AccumulateGrad" and sink.variable is x and index == 0
    assert scalar is None
    assert repr(sink).startswith("<AccumulateGrad object at 0x")
