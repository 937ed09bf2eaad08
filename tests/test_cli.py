"""The plugin author's day with the ``tapegrad`` command: init, install, check, test; and its manners."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_site import make_site

from tapegrad.cli import main


def install(package: Path, site: Path) -> None:
    """``pip install`` ``package`` into the folder ``site``: a real build from its pyproject, offline
    (without build isolation where this environment can build wheels itself: seconds, not tens)."""
    import setuptools

    version = tuple(int(part) for part in setuptools.__version__.split(".")[:2])
    builds_alone = importlib.util.find_spec("wheel") is not None or version >= (70, 1)
    flags = ["--no-build-isolation"] if builds_alone else []
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *flags, "--target", str(site),
                    str(package)], check=True, capture_output=True, timeout=300)


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

    code = ("from tapegrad.cli import main\n"  # one interpreter: the listing, then check by plugin, module, op
            "print([main(args) for args in (['plugins'], ['check', 'demo-ops'], ['check', 'tapegrad_demo_ops'],"
            " ['check', 'demo_ops_softsign'])])")
    proc = run(["-c", code], tmp_path, tmp_path / "site")
    assert proc.returncode == 0 and proc.stdout.endswith("[0, 0, 0, 0]\n"), proc.stdout + proc.stderr
    assert "demo-ops 0.1.0 (entry point)" in proc.stdout and "ops: demo_ops_softsign" in proc.stdout
    assert proc.stdout.count("all checks passed for 1 op(s)") == 3
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


def test_check_of_a_plugin_that_failed_says_why(tmp_path):
    site = make_site(tmp_path, {"broken": ("broken", "tg_broken", "raise ImportError('missing xyz')\n")})
    proc = run(["-m", "tapegrad", "check", "broken"], tmp_path, site)
    assert proc.returncode == 1
    assert "tapegrad check: tapegrad plugin 'broken' failed to load: ImportError: missing xyz" in proc.stderr


def test_plugins_lists_what_a_plugin_overrode(tmp_path):
    site = make_site(tmp_path, {"loud": ("loud", "tg_loud", """
        import tapegrad

        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("neg", forward=lambda xp, x: -x, vjp=(lambda xp, g, out, x: -g,), override=True)
    """)})
    proc = run(["-m", "tapegrad", "plugins"], tmp_path, site)
    assert "    note: tapegrad plugin 'loud' overrides op 'neg' of plugin 'tapegrad.ops_builtin'" in proc.stdout
