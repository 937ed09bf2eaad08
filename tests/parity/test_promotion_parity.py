"""Type promotion against PyTorch itself, live: every case of tests/promotion_cases.py, result
dtypes and values (skipped without torch; tests/test_promotion.py checks the same cases
against a table torch 2.13 made, without torch)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import promotion_cases as cases  # noqa: E402

import tapegrad  # noqa: E402


def _values(lib, op, a, b):
    args = [cases.operand(lib, s) for s in (a, b) if s is not None]
    out = (cases.UNARY[op] if b is None else cases.BINARY[op])(lib, *args)
    return np.asarray(out.tolist(), dtype=np.float64)


@pytest.mark.parametrize(("op", "default"), [(op, "float32") for op in [*cases.BINARY, *cases.UNARY]]
                         + [(op, "float64") for op in cases.DEFAULT_FLOAT64])
def test_dtypes_and_values_match_torch(op, default):
    wrong = []
    torch.set_default_dtype(getattr(torch, default))
    tapegrad.set_default_dtype(getattr(tapegrad, default))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for case_op, a, b in cases.cases():
                if case_op != op:
                    continue
                want, got = cases.run(torch, op, a, b), cases.run(tapegrad, op, a, b)
                if want.startswith("!"):
                    if not got.startswith("!") and not (op in cases.TAPEGRAD_COMPUTES
                                                        and cases.TAPEGRAD_COMPUTES[op](a, b)):
                        wrong.append(f"{op}({a}, {b}): torch raises {want[1:]}, tapegrad gives {got}")
                    continue
                if got != want:
                    wrong.append(f"{op}({a}, {b}): torch {want}, tapegrad {got}")
                    continue
                expected, actual = _values(torch, op, a, b), _values(tapegrad, op, a, b)
                rtol = 1e-3 if "float16" in want else 1e-6
                if not np.allclose(actual, expected, rtol=rtol, equal_nan=True):
                    wrong.append(f"{op}({a}, {b}): torch {expected.tolist()}, tapegrad {actual.tolist()}")
    finally:
        torch.set_default_dtype(torch.float32)
    assert not wrong, "\n".join(wrong[:20])
