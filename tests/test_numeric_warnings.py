"""NumPy's floating-point RuntimeWarnings never reach the user where PyTorch prints nothing,
forward or backward, and the values are PyTorch's (inf and nan where it gives them).

The mechanism (``tapegrad.quiet``) is one warnings filter scoped to tapegrad's modules, so
it is tested where filters get replaced: ``python -W error``, pytest's own capture (with
``filterwarnings = error``), and an import inside the user's ``warnings.catch_warnings()``.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import tapegrad as T

INF, NAN = math.inf, math.nan

# NumPy's Python-level reductions (np.sum) would warn from NumPy's own frames, where a filter
# scoped to tapegrad cannot tell them from the user's: the numpy backend calls the ufunc
# reductions itself (tapegrad.numpy_namespace.NumPyNamespace), so sums are silent too.

# expression, PyTorch 2.13's value (recorded)
VALUES = [
    ("T.log(T.tensor([0.0, -1.0]))", [-INF, NAN]),
    ("1 / T.tensor([0.0])", [INF]),
    ("T.tensor([1.0]) / 0", [INF]),
    ("T.tensor([0.0]) / T.tensor([0.0])", [NAN]),
    ("T.exp(T.tensor([1000.0]))", [INF]),
    ("T.sqrt(T.tensor([-1.0]))", [NAN]),
    ("T.tensor([70000.0], dtype=T.float16) * 2", [INF]),
    ("T.tensor([60000.0], dtype=T.float16) + T.tensor([60000.0], dtype=T.float16)", [INF]),
    ("T.tensor([1e30]) * 1e30", [INF]),
    ("T.tensor([10.0]) ** 400", [INF]),
    ("T.log2(T.tensor([0.0]))", [-INF]),
    ("T.log10(T.tensor([0.0]))", [-INF]),
    ("T.log1p(T.tensor([-1.0, -2.0]))", [-INF, NAN]),
    ("T.rsqrt(T.tensor([0.0, -1.0]))", [INF, NAN]),
    ("T.asin(T.tensor([2.0]))", [NAN]),
    ("T.acos(T.tensor([2.0]))", [NAN]),
    ("T.cosh(T.tensor([1000.0]))", [INF]),
    ("T.sinh(T.tensor([1000.0]))", [INF]),
    ("T.expm1(T.tensor([1000.0]))", [INF]),
    ("T.tensor([INF]) - INF", [NAN]),
    ("T.tensor([INF]) * 0", [NAN]),
    ("T.tensor([0.0]) ** -1", [INF]),
    ("T.tensor([-8.0]) ** 0.5", [NAN]),
    ("T.tensor([1e38]).sum() * 10", INF),
    ("T.tensor([3e38, 3e38]).sum()", INF),  # NumPy's np.sum would warn from its own frames
    ("T.tensor([3e38, 3e38]).prod()", INF),
    ("T.tensor([1e200], dtype=T.float64) * 1e200", [INF]),
    ("T.tensor([1e-45]) / 1e10", [0.0]),
    ("T.tensor([1.0], dtype=T.float16) / 0", [INF]),
    ("T.exp(T.tensor([100.0], dtype=T.float16))", [INF]),
    ("T.tensor([1e300])", [INF]),
    ("T.tensor([1e5], dtype=T.float16)", [INF]),
    ("T.tensor([0.0, 1.0]).prod() / 0", NAN),
]

# function, leaf values, PyTorch 2.13's gradient of f(x).sum() (recorded)
GRADIENTS = [
    ("T.log", [0.0], [INF]),
    ("T.sqrt", [0.0], [INF]),
    ("T.sqrt", [-1.0], [NAN]),
    ("T.rsqrt", [0.0], [-INF]),
    ("T.exp", [1000.0], [INF]),
    ("T.asin", [1.0], [INF]),
    ("T.acos", [1.0], [-INF]),
    ("T.log1p", [-1.0], [INF]),
    ("T.log2", [0.0], [INF]),
    ("T.log10", [0.0], [INF]),
    ("T.cosh", [1000.0], [INF]),
    ("lambda v: 1 / v", [0.0], [-INF]),
    ("lambda v: v ** 0.5", [0.0], [INF]),
    ("lambda v: v ** -1", [0.0], [-INF]),
    ("lambda v: v / v", [0.0], [NAN]),
    ("lambda v: T.exp(v) * 0", [1000.0], [NAN]),
    ("lambda v: v * 1e30 * 1e30", [1.0], [INF]),
    ("lambda v: T.sqrt(v) * T.log(v)", [0.0], [NAN]),
]


def _quietly(run):
    """Run ``run()``, returning its result and every RuntimeWarning that got through the filters."""
    with warnings.catch_warnings(record=True) as caught:
        result = run()
    return result, [w for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("expr, expected", VALUES, ids=[str(v[0] if isinstance(v, tuple) else v.values[0]) for v in VALUES])
def test_forward_edge_case_is_silent_and_pytorchs(expr, expected) -> None:
    value, escaped = _quietly(lambda: eval(expr, {"T": T, "INF": INF}))
    assert not escaped, [str(w.message) for w in escaped]
    np.testing.assert_array_equal(np.asarray(value.tolist(), dtype=float), np.asarray(expected, dtype=float))


@pytest.mark.parametrize("fn, xs, expected", GRADIENTS, ids=[f"{g[0]}@{g[1]}" for g in GRADIENTS])
@pytest.mark.parametrize("create_graph", [False, True])
def test_backward_edge_case_is_silent_and_pytorchs(fn, xs, expected, create_graph) -> None:
    x = T.tensor(xs, requires_grad=True)

    def run():
        eval(fn, {"T": T})(x).sum().backward(create_graph=create_graph)
        return x.grad

    grad, escaped = _quietly(run)
    assert not escaped, [str(w.message) for w in escaped]
    np.testing.assert_array_equal(np.asarray(grad.tolist(), dtype=float), np.asarray(expected, dtype=float))


def test_users_own_numpy_still_warns() -> None:
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.log(np.zeros(1))


PROGRAM = """
import tapegrad as T
x = T.tensor([0.0, -1.0, 1000.0], requires_grad=True)
y = (T.log(x) + T.sqrt(x) + T.exp(x) + 1 / x).sum()
y.backward()
T.tensor([70000.0], dtype=T.float16) * 2
print("quiet")
"""


def _python(*args: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args, "-c", code], capture_output=True, text=True, timeout=120)


def test_silent_under_python_W_error() -> None:
    result = _python("-W", "error", code=PROGRAM)
    assert result.returncode == 0, result.stderr
    assert "quiet" in result.stdout and "Warning" not in result.stderr


def test_silent_when_imported_inside_catch_warnings() -> None:
    # catch_warnings() restores the filters it saved, dropping the one the import added; the
    # op table, built on first use, installs it again.
    code = "import warnings\nwith warnings.catch_warnings():\n    import tapegrad\n" + PROGRAM
    result = _python("-W", "error::RuntimeWarning", code=code)
    assert result.returncode == 0, result.stderr


def test_silent_under_pytests_capture_with_filterwarnings_error(tmp_path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings =\n    error\n")
    (tmp_path / "test_user.py").write_text(textwrap.dedent("""
        import tapegrad as T

        def test_edge_cases():
            x = T.tensor([0.0, -1.0], requires_grad=True)
            (T.log(x) + T.sqrt(x) + 1 / x).sum().backward()
            assert T.exp(T.tensor([1000.0])).item() == float("inf")
    """))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "RuntimeWarning" not in result.stdout
