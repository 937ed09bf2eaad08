"""Tensors over a user's NumPy memory keep its strides (``tapegrad.layouts``), and only those."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import tapegrad
from tapegrad.layouts import user_layout, user_layouts
from tapegrad.ops_builtin.strides import VIEW_REFUSED, is_contiguous, layout


def test_a_tensor_over_a_column_major_array_has_its_strides():
    a = np.arange(6.0).reshape(2, 3).T
    for make in (tapegrad.from_numpy, tapegrad.as_tensor):
        x = make(a)
        assert user_layout(x) and layout(x) == (1, 3) and not is_contiguous(x)
        assert layout(x[1:]) == (1, 3) and layout(x.t()) == (3, 1) and is_contiguous(x.t())
        with pytest.raises(RuntimeError, match=r"^view size is not compatible") as info:
            x.view(6)
        assert str(info.value) == VIEW_REFUSED
        y = x.contiguous()
        assert y is not x and y._data.flags.c_contiguous and not np.shares_memory(y._data, a)
        np.testing.assert_array_equal(y.view(6).numpy(), a.reshape(-1))


def test_only_memory_the_user_laid_out_is_recorded():
    a = np.arange(6.0).reshape(2, 3)
    assert not user_layout(tapegrad.from_numpy(a))  # contiguous: nothing to remember
    copied = tapegrad.tensor(a.T)  # a copy: a fresh tensor, contiguous as PyTorch's
    assert not user_layout(copied) and layout(copied) is None and copied.view(6).shape == (6,)
    assert not user_layout(tapegrad.as_tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert not user_layout(tapegrad.ones(3, 2).t())  # a view: tapegrad.views tracks it


def test_the_record_goes_with_the_tensor():
    gc.collect()
    before = len(user_layouts)
    x = tapegrad.from_numpy(np.zeros((3, 4)).T)
    assert len(user_layouts) == before + 1
    del x
    gc.collect()
    assert len(user_layouts) == before
