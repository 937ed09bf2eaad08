"""The bad-input table against live PyTorch: PyTorch raises each recorded type, its message
holds the recorded words, and tapegrad raises the same type. Skipped without torch."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the shared table
from bad_inputs import BAD_INPUTS, Bad, fixtures  # noqa: E402

import tapegrad  # noqa: E402


def _raised(library, code: str) -> BaseException | None:
    env = fixtures(library)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(code, env)
        except Exception as exc:  # the point: which exception
            return exc
    return None


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.code for b in BAD_INPUTS])
def test_pytorch_raises_what_the_table_records(bad: Bad) -> None:
    theirs = _raised(torch, bad.code)
    assert isinstance(theirs, bad.error), f"PyTorch raised {theirs!r}"
    assert bad.words in str(theirs)
    ours = _raised(tapegrad, bad.code)
    assert isinstance(ours, bad.error), f"tapegrad raised {ours!r}"
