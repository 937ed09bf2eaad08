"""The parity suite's tables tell the truth: every op covered, docs and skips agree, no stale keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch")

import tapegrad  # noqa: E402

from .differences import DIFFERENCES  # noqa: E402
from .known_failures import KNOWN_FAILURES  # noqa: E402
from .opspec import NEWER_OPS, NO_TORCH_COUNTERPART, OPS  # noqa: E402
from .test_parity import keys, prefixes  # noqa: E402

AUTOGRAD_MD = Path(__file__).resolve().parents[2] / "docs" / "autograd.md"
SECTION = "## Where tapegrad differs from PyTorch"
ROW = re.compile(r"^\| `(?P<key>[^`]+)` \| (?P<difference>.+?) \| (?P<why>.+?) \|$", re.M)


def test_every_op_has_a_torch_counterpart_or_says_why_not():
    names = [op.name for op in tapegrad.optable.table().canonical_ops()]
    missing = [n for n in names if n not in OPS and n not in NO_TORCH_COUNTERPART]
    assert not missing, (f"ops with no parity spec (add one to tests/parity/opspec.py, or to "
                         f"NO_TORCH_COUNTERPART): {missing}")
    both = [n for n in NO_TORCH_COUNTERPART if n in OPS]
    assert not both, f"ops both specified and listed as having no counterpart: {both}"
    stale = [n for n in NO_TORCH_COUNTERPART if n not in names]
    assert not stale, f"NO_TORCH_COUNTERPART names ops that do not exist: {stale}"


def test_differences_match_docs():
    text = AUTOGRAD_MD.read_text()
    assert SECTION in text, f"docs/autograd.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    documented = {m["key"]: m["difference"] for m in ROW.finditer(section)}
    assert documented == DIFFERENCES, (
        "docs/autograd.md's table and tests/parity/differences.py disagree: "
        f"only in the docs {sorted(set(documented) - set(DIFFERENCES))}, "
        f"only in the suite {sorted(set(DIFFERENCES) - set(documented))}, "
        f"worded differently {sorted(k for k in documented if k in DIFFERENCES and documented[k] != DIFFERENCES[k])}")


@pytest.mark.parametrize("table", [DIFFERENCES, KNOWN_FAILURES], ids=["differences", "known_failures"])
def test_every_key_names_test_items(table):
    covered = {prefix for key in keys() for prefix in prefixes(key)}
    absent = NEWER_OPS - {key.split("-")[0] for key in keys()}  # entries for them wait for the op
    stale = sorted(k for k in table if k not in covered and k.split("-")[0] not in absent)
    assert not stale, f"keys that name no test item (a typo, or the op or check is gone): {stale}"


def test_a_key_is_not_both_a_bug_and_a_difference():
    overlap = [k for k in KNOWN_FAILURES if any(p in DIFFERENCES for p in prefixes(k))]
    assert not overlap, overlap


def test_area_specs_load_whichever_module_is_imported_first():
    # known_failures imported first used to give opspec the first area module half-imported (no SPECS)
    import subprocess
    import sys

    code = ("import parity.known_failures, parity.opspec as o; from parity import specs; "
            "missing = [s.name for m in specs.modules() for s in m.SPECS if s.name not in o.OPS]; "
            "assert not missing, missing")
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], check=True, timeout=300)
