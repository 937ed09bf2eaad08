"""Indexing/scatter and product ops (ops_builtin/scatter.py, ops_builtin/products.py): the
conformance kit over every op (first and second order, broadcasting, scalars, array_api_strict),
PyTorch's node names, shape rules and errors, gradient conventions at ties, and hypothesis
properties over shapes."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry
from tapegrad.ops_builtin import products, scatter
from tapegrad.testing import parametrize_with_op_checks

SCATTER_OPS = ["scatter_at", "scatter_add_at", "scatter_reduce_at", "index_add_at", "index_copy_at", "index_fill_at",
               "scatter", "scatter_add", "scatter_reduce", "index_add", "index_copy", "index_fill",
               "masked_select", "take", "take_along_dim", "argwhere", "nonzero"]
PRODUCT_OPS = ["mm", "bmm", "mv", "addmm", "addmv", "baddbmm", "addbmm", "addcmul", "addcdiv", "cdist", "inner", "kron",
               "cartesian_prod"]
OPS = SCATTER_OPS + PRODUCT_OPS


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS)
def test_conformance(op_check):
    op_check()


def test_the_lists_above_are_every_op_the_modules_register():
    registry = Registry("probe")
    scatter.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(SCATTER_OPS)
    registry = Registry("probe")
    products.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(PRODUCT_OPS)
