"""Scans and sorting (ops_builtin/scans.py, sorting.py): the conformance kit over every op (first
and second order, every backend), PyTorch's values, indices, ties and node names, gradients at
zeros (cumprod) and at ties (median), the named results, the errors, and hypothesis properties
over shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad
from tapegrad import Registry
from tapegrad.autograd import grad
from tapegrad.ops_builtin import scans, sorting
from tapegrad.testing import check_grads, parametrize_with_op_checks

SCAN_OPS = ["cumprod", "logcumsumexp", "cummax_indices", "cummax", "cummin_indices", "cummin", "nansum", "nanmean",
            "count_nonzero", "var_mean", "std_mean", "aminmax"]
SORT_OPS = ["gather_values", "argsort", "sort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode_indices",
            "mode", "unique", "searchsorted", "bucketize"]


def f64(values, requires_grad: bool = False):
    return tapegrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def arr(t) -> np.ndarray:
    return t.detach().numpy()


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(SCAN_OPS + SORT_OPS)
def test_conformance(op_check):
    op_check()


@pytest.mark.parametrize("module,names", [(scans, SCAN_OPS), (sorting, SORT_OPS)], ids=["scans", "sorting"])
def test_the_lists_above_are_every_op_the_modules_add(module, names):
    registry = Registry("probe")
    module.register(registry)
    assert sorted(op.name for op, _ in registry.ops) == sorted(names)
