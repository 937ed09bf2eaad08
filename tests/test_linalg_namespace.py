"""``tapegrad.linalg`` (ops_builtin/linalg_ops.py): the conformance kit over every op (first and
second order, array_api_strict too, NumPy references), gradients of gauge-invariant functions of
the decompositions, hypothesis properties over batch shapes, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry
from tapegrad.ops_builtin import linalg_ops
from tapegrad.testing import parametrize_with_op_checks

OPS = sorted("linalg." + name for name in (
    "solve", "solve_triangular", "inv", "det", "slogdet_output", "slogdet", "cholesky", "cholesky_ex", "qr_output",
    "qr", "svd_output", "svd", "svdvals", "eigh_output", "eigh", "eigvalsh", "pinv", "lstsq_solution", "lstsq",
    "vector_norm", "matrix_norm", "norm", "matrix_exp", "matrix_power", "multi_dot", "cross", "diagonal", "vecdot"))


@parametrize_with_op_checks(OPS)
def test_conformance(op_check):
    op_check()


def test_the_list_above_is_every_op_the_module_registers():
    registry = Registry("probe")
    linalg_ops.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == OPS
