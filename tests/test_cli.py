"""The plugin author's day with the ``tapegrad`` command: init, install, check, test; and its manners."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from fake_site import make_site

from tapegrad.cli import main


def _can_build_without_isolation() -> bool:
    """Whether pip can build a wheel offline in this environment (``wheel``, or setuptools >= 70.1)."""
    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    return importlib.util.find_spec("wheel") is not None or (major, minor) >= (70, 1)


def install(package: Path, site: Path) -> None:
    """Install ``package`` into the folder ``site`` with pip; where pip cannot build offline without
    isolation (and isolation would take long), write what installing writes: its module and entry points."""
    if _can_build_without_isolation():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--target", str(site), str(package)], check=True, capture_output=True, timeout=300)
        return
    project = tomllib.loads((package / "pyproject.toml").read_text())
    ((name, target),) = project["project"]["entry-points"]["tapegrad"].items()
    (module,) = project["tool"]["setuptools"]["py-modules"]
    make_site(site, {project["project"]["name"]: (name, target, (package / f"{module}.py").read_text())},
              version=project["project"]["version"])


def run(args: list[str], cwd: Path, site: Path, **variables: str) -> subprocess.CompletedProcess:
    """``python ARGS`` in ``cwd`` with ``site`` on the path and only the given TAPEGRAD_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEGRAD_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    env.update(variables)
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_init_writes_a_plugin_that_installs_passes_check_and_its_own_tests(tmp_path, capsys):
    assert main(["init", "demo-ops", str(tmp_path / "pkg")]) == 0
    package = tmp_path / "pkg"
    assert sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()) == [
        "README.md", "pyproject.toml", "tapegrad_demo_ops.py", "tests/test_tapegrad_demo_ops.py"]
    assert "tapegrad check demo-ops" in capsys.readouterr().out
    install(package, tmp_path / "site")

    listing = run(["-m", "tapegrad", "plugins"], tmp_path, tmp_path / "site")
    assert "demo-ops 0.1.0 (entry point)" in listing.stdout and "ops: demo_ops_softsign" in listing.stdout
    for target in ("demo-ops", "tapegrad_demo_ops", "demo_ops_softsign"):  # plugin, its module, one op
        check = run(["-m", "tapegrad", "check", target], tmp_path, tmp_path / "site")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "all checks passed for 1 op(s)" in check.stdout
    tests = run(["-m", "pytest", "-q", "-p", "no:cacheprovider"], package, tmp_path / "site")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_init_refuses_bad_names_and_existing_folders(tmp_path, capsys):
    assert main(["init", "Bad Name", str(tmp_path / "a")]) == 2
    assert "not a usable plugin name" in capsys.readouterr().err
    (tmp_path / "b").mkdir()
    assert main(["init", "fine", str(tmp_path / "b")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_version(capsys):
    import tapegrad

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"tapegrad {tapegrad.__version__}\n"


@pytest.mark.parametrize("order", ["0", "-1", "two"])
def test_order_is_validated(order, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["check", "add", "--order", order])
    assert exit_.value.code == 2
    assert "--order: must be a whole number >= 1" in capsys.readouterr().err


def test_check_names_an_unknown_target(capsys):
    assert main(["check", "no_such_thing"]) == 2
    assert "no plugin, plugin module or op is named 'no_such_thing'" in capsys.readouterr().err


def test_check_one_op_by_name(capsys):
    assert main(["check", "sinh", "--order", "1"]) == 0
    assert "all checks passed for 1 op(s): op 'sinh' of plugin 'tapegrad.ops_builtin'" in capsys.readouterr().out


def test_no_broken_pipe_traceback_when_the_reader_leaves():
    proc = subprocess.Popen([sys.executable, "-m", "tapegrad", "ops"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head -0`: every write now fails with EPIPE
    _, err = proc.communicate(timeout=120)
    assert err == b"" and proc.returncode == 1


def test_strict_failures_are_reported_without_a_traceback(tmp_path):
    site = make_site(tmp_path, {"broken": ("broken", "tg_broken", "raise ImportError('missing xyz')\n")})
    proc = run(["-m", "tapegrad", "ops"], tmp_path, site, TAPEGRAD_STRICT_PLUGINS="1")
    assert proc.returncode == 1
    assert "'broken' failed to load: ImportError: missing xyz" in proc.stderr and "Traceback" not in proc.stderr
