"""The tutorial prints what PyTorch 2.13 prints.

``docs/tutorial.py`` is the seed tutorial with ``import tapegrad as torch``; its output
is compared line by line with ``tests/data/tutorial_torch_output.txt``, captured from
PyTorch. Two kinds of line cannot match character for character: node reprs carry an
object address (compared by node name), and the tensor built from ``torch.randn``
holds different random numbers (compared by format: same layout, 4 decimals).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import tapegrad

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.py"
EXPECTED = Path(__file__).resolve().parent / "data" / "tutorial_torch_output.txt"

NODE = re.compile(r"^<(\w+Backward\d) object at 0x[0-9a-f]+>$")
NUMBER = re.compile(r"-?\d+\.\d{4}")
# The x.grad printed after ``y.backward(gradient)`` with a random gradient: lines 21-22.
RANDOM_LINES = (20, 21)


@pytest.fixture(scope="module")
def printed() -> list[str]:
    result = subprocess.run(
        [sys.executable, str(TUTORIAL)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # no warning either
    return result.stdout.splitlines()


@pytest.fixture(scope="module")
def expected() -> list[str]:
    return EXPECTED.read_text().splitlines()


def _shape_of(line: str) -> str:
    """The line with every number replaced and padding removed: its layout only."""
    return re.sub(r"\s+", "", NUMBER.sub("#", line))


def test_same_number_of_lines(printed: list[str], expected: list[str]) -> None:
    assert len(printed) == len(expected), "\n".join(printed)


def test_random_lines_are_where_we_think(expected: list[str]) -> None:
    # Guards the test itself: if the captured file changes, RANDOM_LINES must follow.
    first, second = (expected[i] for i in RANDOM_LINES)
    assert first.startswith("tensor([[") and second.startswith("        [")
    assert expected[RANDOM_LINES[0] - 1].endswith("grad_fn=<MulBackward0>)")  # print(z) just before


@pytest.mark.parametrize("index", range(len(EXPECTED.read_text().splitlines())))
def test_line(index: int, printed: list[str], expected: list[str]) -> None:
    want = expected[index]
    got = printed[index] if index < len(printed) else "<missing>"
    node = NODE.match(want)
    if node:
        match = NODE.match(got)
        assert match, f"line {index + 1}: expected a node repr like {want!r}, got {got!r}"
        assert match.group(1) == node.group(1)
    elif index in RANDOM_LINES:
        assert _shape_of(got) == _shape_of(want), f"line {index + 1}: {got!r} vs {want!r}"
        assert len(NUMBER.findall(got)) == len(NUMBER.findall(want)) == 2
        # PyTorch pads each column to a common width: same indentation rule here.
        assert got.index("[") == want.index("[")
    else:
        assert got == want, f"line {index + 1}"


def test_random_lines_hold_one_plus_the_seeded_gradient(printed: list[str]) -> None:
    """The random gradient's line really is x.grad = 1 + randn (the second draw after seed 0)."""
    tapegrad.manual_seed(0)
    tapegrad.randn(2, 2)  # a = torch.randn(2, 2)
    gradient = tapegrad.randn(2, 2)
    expected = repr(gradient + 1).splitlines()
    assert [printed[i] for i in RANDOM_LINES] == expected


def test_tutorial_imports_tapegrad_as_torch() -> None:
    source = TUTORIAL.read_text()
    assert "import tapegrad as torch" in source
    assert "torch.manual_seed(0)" in source
    assert "import torch\n" not in source
