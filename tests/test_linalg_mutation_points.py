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


@pytest.mark.parametrize("a_dtype, b_dtype, names", [
    (tapegrad.float32, tapegrad.float64, ("Float", "Double")), (tapegrad.int64, tapegrad.float32, ("Long", "Float")),
])
def test_lstsq_refuses_mixed_dtypes_in_pytorchs_words(a_dtype, b_dtype, names):
    # PyTorch 2.13 checks the dtypes are equal before their kind, with these words; tapegrad said
    # "Expected A and B to have the same dtype" (or, for an integer A, that A must be floating).
    message = (f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's dtype "
               f"{names[0]} and other's dtype {names[1]}")
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        tapegrad.linalg.lstsq(tapegrad.ones(2, 2, dtype=a_dtype), tapegrad.ones(2, 1, dtype=b_dtype))
