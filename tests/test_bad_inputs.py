"""Every bad input in ``bad_inputs.BAD_INPUTS`` gets PyTorch's exception type, a message in
tapegrad's words that names the call, and changes nothing. Runs without torch: PyTorch's
answers are recorded in the table (``parity/test_errors_parity.py`` checks them live)."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from bad_inputs import BAD_INPUTS, Bad, fixtures, state

# Wording that means an internal error escaped: private names (`_sum()`), NumPy's and Python's
# own words where PyTorch has its own.
LEAKS = re.compile(
    r"(?<![\w.])_[a-z]\w*\(\)|for axis \d|cannot reshape array|operands could not be broadcast|"
    r"has no attribute '_|NoneType' object|object is not iterable|cannot be interpreted as an integer|"
    r"numpy\.newaxis|array is \d+-dimensional|division by zero|Python int too large|out of bounds for int"
)


def test_the_table_is_large_and_distinct() -> None:
    codes = [bad.code for bad in BAD_INPUTS]
    assert len(codes) >= 300
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.code for b in BAD_INPUTS])
def test_bad_input(bad: Bad) -> None:
    env = fixtures(tapegrad)
    before = state(env)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # reading .grad of the non-leaf fixtures
        with pytest.raises(bad.error) as info:
            exec(bad.code, env)
    message = str(info.value)
    assert bad.words in message
    assert bad.names in message
    assert bad.words or bad.names, "an entry must say what the message names"
    assert not LEAKS.search(message), message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert state(env) == before, "the failed call changed a tensor"


def test_the_attribute_hint_names_a_function_that_exists() -> None:
    """A miss before the op table is built names ``list_ops``; once it is built, ``Tensor`` has no
    ``__getattr__`` (it would stop CPython specialising every attribute read on tensors) and a miss
    reads as PyTorch's."""
    from tapegrad import optable

    optable.invalidate()
    x = tapegrad.ones(2)
    with pytest.raises(AttributeError, match=r"see tapegrad\.list_ops\(\)"):
        x.no_such_method()
    assert callable(tapegrad.list_ops)
    assert "__getattr__" not in vars(tapegrad.Tensor)
    with pytest.raises(AttributeError, match=r"^'Tensor' object has no attribute 'no_such_method'$"):
        x.no_such_method()


def test_every_function_a_message_names_exists() -> None:
    """Hints such as "see tapegrad.list_ops()" or "use tapegrad.maximum" in the library's own
    text must name something a user can call."""
    import importlib
    from pathlib import Path

    root = Path(tapegrad.__file__).resolve().parent
    sources = [*root.rglob("*.py"), *(root.parent / "ops_builtin").rglob("*.py")]
    named = set()
    for path in sources:
        named |= set(re.findall(r"tapegrad\.((?:[A-Za-z_]\w*\.)*[a-z_]\w*)\(", path.read_text()))
    assert "list_ops" in named
    for name in sorted(named - {"NAME"}):
        obj: object = tapegrad
        for i, part in enumerate(name.split(".")):
            if not hasattr(obj, part):
                obj = importlib.import_module("tapegrad." + ".".join(name.split(".")[: i + 1]))
            else:
                obj = getattr(obj, part)
        assert callable(obj), name


@settings(max_examples=300, deadline=None)
@given(
    source=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    target=st.lists(st.integers(-3, 6), min_size=0, max_size=4),
    method=st.sampled_from(["reshape", "view"]),
)
def test_reshape_to_any_shape_gives_the_shape_or_pytorchs_error(source, target, method) -> None:
    x = tapegrad.ones(*source, requires_grad=True) if source else tapegrad.ones((), requires_grad=True)
    numel = x.numel()
    known = 1
    for n in target:
        known *= n if n != -1 else 1
    inferred = target.count(-1)
    valid = all(n >= -1 for n in target) and inferred <= 1 and (
        known == numel if not inferred else known != 0 and numel % known == 0)
    if valid:
        out = getattr(x, method)(*target) if target else getattr(x, method)(())
        assert out.numel() == numel
        assert list(out.shape) == [numel // known if n == -1 else n for n in target]
    else:
        with pytest.raises(RuntimeError, match="invalid|only one dimension can be inferred|ambiguous") as info:
            getattr(x, method)(*target) if target else getattr(x, method)(())
        assert not LEAKS.search(str(info.value))
    assert x.grad is None
