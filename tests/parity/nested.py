"""Comparing nested results (tensors in tuples of tuples) of tapegrad and PyTorch, leaf by leaf."""

from __future__ import annotations

from typing import Any

import numpy as np


def leaves(value: Any) -> list[Any]:
    """The tensors of a nested tuple/list result, in order."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def assert_same(ours: Any, theirs: Any) -> None:
    """Same structure, shapes and values (to float64 rounding) in both results."""
    a, b = leaves(ours), leaves(theirs)
    assert len(a) == len(b)
    for o, t in zip(a, b):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
