"""The built-in special functions (ops_builtin/special_kernels.py) against 40-digit values
(tests/data/special_values.json, made by tests/data/make_special_values.py with mpmath), and
against SciPy where it is installed (it never is a dependency of the library)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import tapegrad

TABLE = json.loads((Path(__file__).parent / "data" / "special_values.json").read_text())
# relative error bounds, for x >= 0 and for x < 0 (below 0 the reflection formulas subtract two
# terms, and near the function's negative zeros only the absolute error stays small)
BOUNDS = {"erf": (1e-15, 1e-15), "erfc": (2e-15, 1e-15), "erfinv": (1e-15, 1e-15), "lgamma": (3e-15, 1e-13),
          "digamma": (5e-15, 1e-12), "polygamma1": (2e-15, 1e-13), "polygamma2": (2e-15, 1e-11),
          "polygamma3": (2e-15, 1e-13), "polygamma5": (2e-15, 1e-13)}


def _call(name: str, x: tapegrad.Tensor) -> tapegrad.Tensor:
    if name.startswith("polygamma"):
        return tapegrad.polygamma(int(name[len("polygamma"):]), x)
    return getattr(tapegrad, name)(x)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_float64_values_against_40_digits(name):
    x, want = np.array(TABLE[name]["x"]), np.array(TABLE[name]["y"])
    got = _call(name, tapegrad.from_numpy(x)).numpy()
    error = np.abs(got - want) / np.abs(want)
    positive, negative = BOUNDS[name]
    assert error[x >= 0].max() <= positive, (x[x >= 0][np.argmax(error[x >= 0])], error[x >= 0].max())
    if (x < 0).any():
        assert error[x < 0].max() <= negative, (x[x < 0][np.argmax(error[x < 0])], error[x < 0].max())


def test_the_table_covers_the_hard_places():
    x = np.array(TABLE["lgamma"]["x"])
    assert (np.abs(x - 1) < 1e-3).sum() >= 10 and (np.abs(x - 2) < 1e-3).sum() >= 10  # lgamma's zeros
    assert (np.abs(np.array(TABLE["digamma"]["x"]) - 1.4616321449683622) < 1e-3).sum() >= 10  # digamma's root
    assert max(TABLE["erfinv"]["x"]) > 1 - 1e-15 and max(TABLE["erfc"]["x"]) > 26  # far tails


SPECIAL_POINTS = [  # name, x, PyTorch 2.13's value
    ("erf", [0.0, -0.0, math.inf, -math.inf, math.nan], [0.0, -0.0, 1.0, -1.0, math.nan]),
    ("erfc", [math.inf, -math.inf, 27.0, 30.0], [0.0, 2.0, 5.237048923789255e-319, 0.0]),
    ("erfinv", [1.0, -1.0, 1.5, 0.0, -0.0, 1 - 2 ** -53], [math.inf, -math.inf, math.nan, 0.0, -0.0, 5.863584748755167]),
    ("lgamma", [0.0, -0.0, -1.0, -2.0, math.inf, -math.inf, 1.0, 2.0], [math.inf] * 6 + [0.0, 0.0]),
    ("digamma", [0.0, -0.0, -1.0, math.inf, -math.inf], [-math.inf, math.inf, math.nan, math.inf, math.nan]),
    ("polygamma1", [0.0, -3.0, math.inf], [math.inf, math.inf, 0.0]),
    ("polygamma2", [0.0, -3.0], [-math.inf, -math.inf]),
]


@pytest.mark.parametrize("name, x, want", SPECIAL_POINTS, ids=[p[0] for p in SPECIAL_POINTS])
def test_special_points_as_pytorch(name, x, want):
    got = _call(name, tapegrad.tensor(x, dtype=tapegrad.float64)).numpy()
    np.testing.assert_allclose(got, np.array(want), rtol=4e-16, atol=0)  # infinities and NaNs exactly
    np.testing.assert_array_equal(np.signbit(got), np.signbit(np.array(want)))


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "lgamma", "digamma"])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_lower_precision_is_the_float64_value_rounded(name, dtype):
    x = np.linspace(-0.9 if name == "erfinv" else 0.1, 0.9 if name == "erfinv" else 8.0, 41)
    got = getattr(tapegrad, name)(tapegrad.from_numpy(x.astype(dtype)))
    assert got.dtype == getattr(tapegrad, dtype)
    want = getattr(tapegrad, name)(tapegrad.from_numpy(x.astype(dtype).astype(np.float64))).numpy().astype(dtype)
    np.testing.assert_array_equal(got.numpy(), want)


def test_scipy_agrees_where_scipy_is_accurate():
    sc = pytest.importorskip("scipy.special")
    x = np.linspace(0.05, 40, 997)
    for name, reference in (("erf", sc.erf), ("lgamma", sc.gammaln), ("digamma", sc.digamma)):
        keep = np.abs(x - (1.4616321449683622 if name == "digamma" else 1.0)) > 1e-2
        keep &= np.abs(x - 2.0) > 1e-2 if name == "lgamma" else True
        np.testing.assert_allclose(getattr(tapegrad, name)(tapegrad.from_numpy(x[keep])).numpy(), reference(x[keep]),
                                   rtol=1e-14)
    u = np.linspace(-0.999, 0.999, 501)
    np.testing.assert_allclose(tapegrad.erfinv(tapegrad.from_numpy(u)).numpy(), sc.erfinv(u), rtol=1e-14)


def test_the_library_imports_no_scipy():
    import subprocess
    import sys

    script = ("import sys, tapegrad; x = tapegrad.ones(2); tapegrad.erf(x); tapegrad.lgamma(x); "
              "tapegrad.polygamma(2, x); print('scipy' in sys.modules)")
    env_plugins = {"TAPEGRAD_PLUGINS": ""}  # no entry points: tapegrad-special (which uses SciPy) stays out
    import os

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, **env_plugins})
    assert done.stdout.strip() == "False"
