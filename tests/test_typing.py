"""tapegrad is typed: its own code and user code calling it pass mypy (when mypy is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is a development tool (pip install 'tapegrad[dev]'), not a test dependency")

USER_CODE = textwrap.dedent("""
    import tapegrad
    x = tapegrad.ones(2, 2, requires_grad=True)
    y = (x + 2) * 3 @ x - 1 / x.sum()
    z = -y[0] ** 2
    z.sum().backward()
    with tapegrad.no_grad():
        x -= 0.1 * x.grad
    print(x.grad, z.shape, z.dtype)
""")


ROOT = Path(__file__).resolve().parents[1]


def run_mypy(*args: str, path: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MYPYPATH=str(path)) if path else None
    return subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-incremental", *args],
                          capture_output=True, text=True, timeout=600, env=env, cwd=path)


def test_user_code_with_operators_type_checks(tmp_path):
    path = tmp_path / "user.py"
    path.write_text(USER_CODE)
    result = run_mypy(str(path))
    assert result.returncode == 0, result.stdout


def test_the_package_type_checks(tmp_path):
    # Lay the source out as it installs (core/ is tapegrad, ops_builtin/ tapegrad.ops_builtin):
    # mypy cannot see through an editable install's import hook.
    shutil.copytree(ROOT / "core", tmp_path / "tapegrad")
    shutil.copytree(ROOT / "ops_builtin", tmp_path / "tapegrad" / "ops_builtin")
    result = run_mypy("-p", "tapegrad", path=tmp_path)
    assert result.returncode == 0, result.stdout
