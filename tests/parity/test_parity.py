"""tapegrad against PyTorch 2.13, op by op: values, dtypes, gradients, second order, errors.

One test item per op, kind of case and input dtype, each running a seeded batch of random
cases (opspec.py) and listing every case that differs. Item ids read ``OP-CHECK[-DTYPE]``.
Values and result dtypes: ``forward`` (one dtype), ``mixed`` (two dtypes, 0-d operands among
them), ``scalar`` (a Python scalar on either side), ``special`` (NaN, infinities, signed zeros),
``broadcast`` (einsum's size-1 dimensions), ``large`` (70,000 float16 elements), and for
``inplace:view`` one id per view and write. Derivatives: ``grad`` (plain and under
create_graph=True, which must agree), ``grad2`` (grad of grad . v), ``ties`` (at 0 and at ties),
``nan`` (at NaN). ``errors``: what PyTorch refuses tapegrad refuses, with the same kind of
exception.
"""

from __future__ import annotations

import math
import zlib
from functools import lru_cache

import numpy as np
import pytest

pytest.importorskip("torch")

from .differences import DIFFERENCES  # noqa: E402
from .harness import Mismatch, run_cases  # noqa: E402
from .known_failures import KNOWN_FAILURES  # noqa: E402
from .opspec import OPS, TIES, Case, OpSpec  # noqa: E402

GRAD_CHECKS = ("grad", "grad2", "ties", "nan")


@lru_cache(maxsize=None)
def generated(name: str, dtype: str) -> tuple[Case, ...]:
    """The op's cases for one input dtype, from a seed of their own (collection and run agree)."""
    rng = np.random.default_rng(zlib.crc32(f"{name}-{dtype}".encode()))
    return tuple(OPS[name].cases(rng, dtype))


def keys() -> list[str]:
    out = []
    for name, spec in OPS.items():
        for dtype in spec.dtypes:
            tags = dict.fromkeys(case.tag for case in generated(name, dtype))
            out += [f"{name}-{tag}-{dtype}" for tag in tags]
        if spec.grad and spec.grads_by_tag:
            tags = dict.fromkeys(case.tag for case in generated(name, "float64"))
            out += [f"{name}-{check}-{tag}" for check in ("grad", "grad2") for tag in tags]
        elif spec.grad:
            out += [f"{name}-{check}" for check in GRAD_CHECKS if check in ("grad", "grad2") or spec.ties]
        if spec.errors is not None:
            out.append(f"{name}-errors")
    return out


def prefixes(key: str) -> list[str]:
    parts = key.split("-")
    return ["-".join(parts[:i]) for i in range(1, len(parts) + 1)]


def listed(key: str, table: dict[str, str]) -> str | None:
    """The entry of ``table`` covering ``key`` (the key itself or a shorter one), if any."""
    for prefix in prefixes(key):
        if prefix in table:
            return prefix
    return None


def param(key: str) -> object:
    difference = listed(key, DIFFERENCES)
    if difference is not None:
        return pytest.param(key, id=key, marks=pytest.mark.skip(reason=f"differs on purpose: {difference}"))
    known = listed(key, KNOWN_FAILURES)
    if known is not None:
        return pytest.param(key, id=key, marks=pytest.mark.xfail(
            strict=True, raises=Mismatch, reason=f"{KNOWN_FAILURES[known]} (if this XPASSes, the bug is "
                                                 f"fixed: delete {known!r} from tests/parity/known_failures.py)"))
    return pytest.param(key, id=key)


def _arrays(value: object) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays(v)]
    return []


def _at_ties(rng: np.random.Generator, case: Case, pool: tuple[float, ...]) -> Case:
    """The case with its float inputs' values drawn from ``pool``: kinks, ties, NaN."""
    def swap(value: object) -> object:
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return rng.choice(pool, size=value.shape).astype(value.dtype)
        if isinstance(value, (list, tuple)):
            return type(value)(swap(v) for v in value)
        return value
    return Case(tuple(swap(a) for a in case.args), case.params, "ties")


NAN_POINTS = (math.nan, 0.0, 1.0, -1.0, 2.0)  # how NaN passes through kinks (maximum, relu, clamp ...)


def grad_cases(spec: OpSpec, check: str, rng: np.random.Generator) -> list[Case]:
    """float64 cases (all but NaN/inf ones) and a few float32 ones for the gradients' dtypes."""
    skip = {"special", "broadcast"} | {tag for tag in ("mixed", "scalar") if f"{spec.name}-{tag}" in DIFFERENCES}
    cases = [c for c in generated(spec.name, "float64") if c.tag not in skip]
    if check in ("ties", "nan"):
        return [_at_ties(rng, c, TIES if check == "ties" else NAN_POINTS) for c in cases[:24]]
    float32 = [c for c in generated(spec.name, "float32") if c.tag == "forward"][:4]
    large = [c for c in generated(spec.name, "float16") if c.tag == "large"] if "float16" in spec.dtypes else []
    return cases + [c for c in float32 + large if c.tag not in skip]


@pytest.mark.parametrize("key", [param(k) for k in keys()])
def test_parity(key: str) -> None:
    name, check, *dtype = key.split("-")
    spec = OPS[name]
    seed = zlib.crc32(key.encode())
    if check == "errors":
        assert spec.errors is not None
        run_cases(spec, spec.errors(np.random.default_rng(seed)), check, seed)
    elif check in GRAD_CHECKS:
        cases = grad_cases(spec, check, np.random.default_rng(seed))
        run_cases(spec, [c for c in cases if c.tag == dtype[0]] if dtype else cases, check, seed)
    else:
        run_cases(spec, [c for c in generated(name, dtype[0]) if c.tag == check], "forward", seed)
