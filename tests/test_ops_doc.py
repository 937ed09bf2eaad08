"""docs/ops.md is the op table itself: regenerated here and compared, so it cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest

import tapegrad
from tapegrad.opdocs import ops_markdown
from tapegrad.optable import table

DOC = Path(__file__).resolve().parents[1] / "docs" / "ops.md"
REPO_PLUGINS = {"tapegrad.numpy_backend", "tapegrad.ops_builtin", "special", "array_api_strict", "dask"}


def test_ops_doc_is_generated_from_the_registry():
    loaded = [info.name for info in table().plugins if info.error is None]
    if set(loaded) != REPO_PLUGINS:
        pytest.skip(f"docs/ops.md is made with this repository's plugins {sorted(REPO_PLUGINS)}; loaded: {loaded}")
    expected = ops_markdown(table().canonical_ops(), loaded)
    assert DOC.read_text() == expected, "docs/ops.md is stale: run `tapegrad ops --markdown > docs/ops.md`"


def test_every_op_has_a_documented_line():
    missing = [op.name for op in table().canonical_ops() if not op.doc.strip()]
    assert not missing, f"ops without documentation (doc= or a forward docstring): {missing}"


def test_namespaced_ops_get_their_own_section():
    text = ops_markdown(table().canonical_ops(), ["x"])
    assert text.startswith("# Ops") and "## Top level (`tapegrad.NAME`)" in text
    assert tapegrad.lookup("add").name in text
