"""Regressions found while killing the mutation test's linalg survivors (benchmarks/mutate_kit.py)."""

from __future__ import annotations

import pytest

import tapegrad


def test_multi_dot_of_one_tensor_is_pytorchs_type_error():
    # PyTorch 2.13: TypeError "linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of
    # Tensors, not Tensor"; tapegrad raised a RuntimeError (and a mutant unpacking the tensor's rows survived).
    with pytest.raises(TypeError, match=r"argument 'tensors' \(position 1\) must be tuple of Tensors, not Tensor"):
        tapegrad.linalg.multi_dot(tapegrad.ones(2, 3))


def test_multi_dot_of_a_list_of_one_is_still_pytorchs_runtime_error():
    with pytest.raises(RuntimeError, match="expected at least 2 tensors but got 1"):
        tapegrad.linalg.multi_dot([tapegrad.ones(2, 3)])
