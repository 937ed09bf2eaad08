"""``tapegrad.nn.functional`` (ops_builtin/nn_activations.py, nn_losses.py): every op through the
conformance kit (first and second order, array_api_strict too), PyTorch's node names, errors and
warnings, dropout's seeding, and hypothesis properties of the losses and activations."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
import tapegrad.nn.functional as F
from tapegrad import Registry
from tapegrad.ops_builtin import nn_activations, nn_losses
from tapegrad.testing import parametrize_with_op_checks


def _names(module) -> list[str]:
    registry = Registry("probe")
    module.register(registry)
    return sorted(op.name for op, _ in registry.ops)


OPS = _names(nn_activations) + _names(nn_losses)


# ---------------------------------------------------------------------------- the kit
@parametrize_with_op_checks(OPS)
def test_conformance(op_check):
    op_check()
