"""``tapegrad.records.record`` behaves as ``dataclasses.dataclass`` does (issue 12: the same classes,
made without compiling their methods at import)."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tapegrad.records import record


def _classes(frozen: bool, eq: bool) -> tuple[type, type]:
    """The same class made by ``dataclass`` and by ``record``."""
    made = []
    for decorate in (dataclasses.dataclass(frozen=frozen, eq=eq), record(frozen=frozen, eq=eq)):
        class Point:
            """A point."""

            x: int
            y: Any = None
            tags: list = field(default_factory=list)
            hidden: int = field(default=0, repr=False, compare=False)
            later: Any = field(init=False, default=7)

        made.append(decorate(Point))
    return made[0], made[1]


def _outcome(make: Any) -> Any:
    try:
        return ("ok", make())
    except TypeError as exc:
        return ("TypeError", None)


calls = st.tuples(st.lists(st.integers(0, 3), max_size=5),
                  st.dictionaries(st.sampled_from(["x", "y", "tags", "hidden", "later", "other"]), st.integers(0, 3)))


@given(calls, st.booleans(), st.booleans())
def test_a_record_is_made_refused_printed_and_compared_as_a_dataclass(call, frozen, eq):
    args, kwargs = call
    ours_cls, theirs_cls = _classes(frozen, eq)[1], _classes(frozen, eq)[0]
    ours, theirs = _outcome(lambda: ours_cls(*args, **kwargs)), _outcome(lambda: theirs_cls(*args, **kwargs))
    if ours[0] != "ok" or theirs[0] != "ok":
        assert ours == theirs  # refused alike
        return
    a, b = ours[1], theirs[1]
    assert repr(a) == repr(b)
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(b)]
    twin_a, twin_b = ours_cls(*args, **kwargs), theirs_cls(*args, **kwargs)
    assert (a == twin_a) == (b == twin_b) and (a != twin_a) == (b != twin_b)
    assert (a == dataclasses.replace(a, x=99)) == (b == dataclasses.replace(b, x=99))
    assert (ours_cls.__hash__ is None) == (theirs_cls.__hash__ is None)
    if frozen and eq and ours_cls.__hash__ is not None and not isinstance(a.tags, list):
        assert hash(a) == hash(twin_a)
    for attempt in (lambda o: setattr(o, "x", 5), lambda o: delattr(o, "y"), lambda o: setattr(o, "new", 1)):
        outcomes = []
        for obj in (copy.copy(a), copy.copy(b)):
            try:
                attempt(obj)
                outcomes.append("ok")
            except dataclasses.FrozenInstanceError:
                outcomes.append("frozen")
        assert outcomes[0] == outcomes[1]


def test_what_a_class_defines_itself_is_kept():
    @record(frozen=True)
    class Own:
        a: int

        def __init__(self, a: int) -> None:
            object.__setattr__(self, "a", a * 2)

        def __repr__(self) -> str:
            return "own"

    assert Own(2).a == 4 and repr(Own(2)) == "own" and Own(2) == Own(2) and hash(Own(2)) == hash(Own(2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        Own(1).a = 3


def test_post_init_runs():
    @record()
    class Post:
        a: int
        b: int = field(init=False)

        def __post_init__(self) -> None:
            self.b = self.a + 1

    assert Post(1).b == 2 and repr(Post(1)) == "test_post_init_runs.<locals>.Post(a=1, b=2)"


def test_a_missing_field_is_named():
    @record()
    class Need:
        a: int

    with pytest.raises(TypeError, match="missing 1 required positional argument: 'a'"):
        Need()
    with pytest.raises(TypeError, match="unexpected keyword argument 'b'"):
        Need(1, b=2)
