"""The bad-input table against live PyTorch: PyTorch raises each recorded type, its message
holds the recorded words, and tapegrad raises the same type. Skipped without torch."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

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


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    source=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    target=st.lists(st.integers(-3, 6), min_size=0, max_size=4),
    method=st.sampled_from(["reshape", "view", "broadcast_to", "expand"]),
)
def test_reshaping_raises_where_pytorch_raises(source, target, method) -> None:
    lead = len(target) - len(source)
    # PyTorch 2.13 accepts a negative size when the result is empty, and returns a shape holding
    # it (torch.ones(()).expand(0, -1).shape == [0, -1], torch.ones(1).expand(0, -2) too);
    # tapegrad refuses it.
    assume(method in ("reshape", "view") or all(n >= 0 for n in target[:max(lead, 0)]))
    assume(method in ("reshape", "view") or not (0 in target and any(n < 0 for n in target)))
    results = []
    for library in (torch, tapegrad):
        x = library.ones(*source) if source else library.ones(())
        try:
            results.append(("ok", list(getattr(x, method)(tuple(target)).shape)))
        except Exception as exc:  # which exception, and that both raise
            results.append((_kind(exc), None))
    assert results[0] == results[1], (source, target, method)


DIM_CALLS = {
    "sum": lambda x, d: x.sum(d), "mean": lambda x, d: x.mean(d), "prod": lambda x, d: x.prod(d),
    "amax": lambda x, d: x.amax(d), "argmax": lambda x, d: x.argmax(d), "logsumexp": lambda x, d: x.logsumexp(d),
    "cumsum": lambda x, d: x.cumsum(d), "softmax": lambda x, d: x.softmax(d), "unsqueeze": lambda x, d: x.unsqueeze(d),
    "squeeze": lambda x, d: x.squeeze(d), "flip": lambda x, d: x.flip(d), "transpose": lambda x, d: x.transpose(d, 0),
    "size": lambda x, d: x.size(d), "sum-keepdim": lambda x, d: x.sum(d, keepdim=True), "var": lambda x, d: x.var(d),
}


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    shape=st.lists(st.integers(1, 3), min_size=0, max_size=3),
    # (dim=None is left out: tapegrad takes it as "every dimension" where PyTorch's prod,
    # logsumexp and squeeze refuse it, a superset kept on purpose)
    dim=st.one_of(st.integers(-5, 5), st.sampled_from(["a", 1.5, True])),
    call=st.sampled_from(sorted(DIM_CALLS)),
)
def test_dims_raise_where_pytorch_raises(shape, dim, call) -> None:
    results = []
    for library in (torch, tapegrad):
        x = library.ones(*shape) if shape else library.ones(())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = DIM_CALLS[call](x, dim)
                results.append(("ok", list(out.shape) if hasattr(out, "shape") else out))
            except Exception as exc:  # which exception, and that both raise
                results.append((_kind(exc), None))
    assert results[0] == results[1], (shape, dim, call)


def _kind(exc: BaseException) -> str:
    """The builtin exception type an error is (PyTorch raises subclasses, e.g. torch.AcceleratorError)."""
    for kind in (TypeError, ValueError, IndexError, RuntimeError):
        if isinstance(exc, kind):
            return kind.__name__
    return type(exc).__name__
