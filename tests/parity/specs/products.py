"""Parity specs of ops_builtin/products.py: mm, bmm, mv, the add* family (with beta/alpha and
their in-place methods), addcmul/addcdiv, cdist over p, inner, kron, cartesian_prod."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..opspec import FLOATS, Case, OpSpec, inplace_spec, shape, tg, th, values

MATMUL_DTYPES = ("float64", "float32", "int64", "int32")


def _sizes(rng: np.random.Generator, k: int) -> list[int]:
    return [int(v) for v in rng.integers(1, 4, size=k)]


def _coefficients(rng: np.random.Generator, dtype: str) -> dict[str, Any]:
    if rng.random() < 0.4:
        return {}
    pick = (lambda: round(float(rng.uniform(-2, 2)), 2)) if dtype in FLOATS else (lambda: int(rng.integers(-2, 3)))
    out = {"beta": pick(), "alpha": pick()}
    if rng.random() < 0.2:
        out["beta"] = 0
    return out


def _trailing(rng: np.random.Generator, target: tuple[int, ...]) -> tuple[int, ...]:
    """A shape ``target`` broadcasts from, as PyTorch's expand allows (fewer dims, some 1)."""
    lead = int(rng.integers(0, len(target) + 1))
    return tuple(1 if rng.random() < 0.3 else n for n in target[lead:])


def _mm_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, (n, k), dtype), values(rng, (k, m), dtype))) for n, k, m in
            (_sizes(rng, 3) for _ in range(6))]


def _bmm_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, (b, n, k), dtype), values(rng, (b, k, m), dtype))) for b, n, k, m in
            (_sizes(rng, 4) for _ in range(6))]


def _mv_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, (n, k), dtype), values(rng, (k,), dtype))) for n, k in (_sizes(rng, 2) for _ in range(6))]


def _added(kind: str) -> Any:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            b, n, k, m = _sizes(rng, 4)
            a, c, out = {"addmm": ((n, k), (k, m), (n, m)), "addmv": ((n, k), (k,), (n,)),
                         "baddbmm": ((b, n, k), (b, k, m), (b, n, m)), "addbmm": ((b, n, k), (b, k, m), (n, m))}[kind]
            cases.append(Case((values(rng, _trailing(rng, out), dtype), values(rng, a, dtype), values(rng, c, dtype)),
                              _coefficients(rng, dtype)))
        return cases
    return gen


def _full(kind: str) -> Any:
    """Cases whose input has the product's full shape: the in-place forms write into it."""
    base = _added(kind)

    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        out = []
        for c in base(rng, dtype):
            x, a, b = c.args
            target = np.matmul(a, b).shape[1:] if kind == "addbmm" else np.matmul(a, b).shape
            out.append(Case((values(rng, target, str(x.dtype)), a, b), c.params))
        return out
    return gen


def _addc_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng)
        parts = [tuple(1 if rng.random() < 0.3 else n for n in s[int(rng.integers(0, len(s) + 1)):]) for _ in range(2)]
        params = {"value": round(float(rng.uniform(-2, 2)), 2)} if rng.random() < 0.5 and dtype in FLOATS else {}
        cases.append(Case((values(rng, s, dtype), values(rng, parts[0], dtype),
                           values(rng, parts[1], dtype, (0.5, 2.0))), params))
    return cases


def _cdist_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for p in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf):
        n, r, m = _sizes(rng, 3)
        batch = () if rng.random() < 0.6 else (int(rng.integers(1, 3)),)
        cases.append(Case((values(rng, batch + (n, m), dtype), values(rng, (r, m), dtype)), {"p": p},
                          "forward" if p else "p0"))
    return cases


def _inner_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        k = int(rng.integers(1, 4))
        a, b = shape(rng, 2) + (k,), shape(rng, 2) + (k,)
        cases.append(Case((values(rng, a, dtype), values(rng, b, dtype))))
    cases.append(Case((values(rng, (), dtype), values(rng, (2, 3), dtype))))
    return cases


def _kron_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, shape(rng), dtype), values(rng, shape(rng), dtype))) for _ in range(6)]


def _cartesian_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case(tuple(values(rng, (int(rng.integers(1, 4)),), dtype) for _ in range(int(rng.integers(1, 4)))))
            for _ in range(5)]


def _fixed(*cases: Case) -> Any:
    return lambda rng: list(cases)


KNOWN_FAILURES = {
    "addcdiv-errors": ("addcdiv of integer tensor1/tensor2 with a float input computes: type promotion casts them "
                       "before the forward could see their dtypes; PyTorch raises 'Integer division with addcdiv is "
                       "no longer supported'"),
}

M23, M34, V3 = np.ones((2, 3)), np.ones((3, 4)), np.ones(3)
B = np.ones((2, 2, 3))
SPECS: list[OpSpec] = [
    OpSpec("mm", th("mm"), tg("mm"), _mm_cases, dtypes=MATMUL_DTYPES,
           errors=_fixed(Case((M23, M23)), Case((M23, V3)), Case((V3, M34)), Case((M23, M34.astype(np.float32))),
                         Case((M23 > 0, M34 > 0)))),
    OpSpec("bmm", th("bmm"), tg("bmm"), _bmm_cases, dtypes=MATMUL_DTYPES,
           errors=_fixed(Case((M23, M34)), Case((B, np.ones((3, 3, 4)))), Case((B, np.ones((2, 4, 4)))),
                         Case((B, np.ones((2, 3, 4), np.float32))))),
    OpSpec("mv", th("mv"), tg("mv"), _mv_cases, dtypes=MATMUL_DTYPES,
           errors=_fixed(Case((M23, np.ones(4))), Case((M23, M34)), Case((V3, V3)), Case((M23, V3.astype(np.float32))))),
    OpSpec("addcmul", th("addcmul"), tg("addcmul"), _addc_cases),
    OpSpec("addcdiv", th("addcdiv"), tg("addcdiv"), _addc_cases, dtypes=FLOATS,
           errors=_fixed(Case((V3, V3.astype(np.int64), V3.astype(np.int64))))),
    OpSpec("cdist", th("cdist"), tg("cdist"), _cdist_cases, dtypes=("float64", "float32"),
           errors=_fixed(Case((V3, V3)), Case((M23, np.ones((4, 2)))), Case((M23.astype(np.int64), M23.astype(np.int64))),
                         Case((M23, M23), {"p": -1.0}), Case((M23, M23.astype(np.float32))))),
    OpSpec("inner", th("inner"), tg("inner"), _inner_cases, dtypes=MATMUL_DTYPES,
           errors=_fixed(Case((M23, M34)), Case((V3, V3.astype(np.float32))))),
    OpSpec("kron", th("kron"), tg("kron"), _kron_cases),
    OpSpec("cartesian_prod", th("cartesian_prod"), tg("cartesian_prod"), _cartesian_cases,
           errors=_fixed(Case((M23,)), Case((V3, V3.astype(np.float32))))),
]
for _kind, _errors in (("addmm", _fixed(Case((np.ones(3), M23, M34)), Case((np.ones((1, 2, 4)), M23, M34)),
                                        Case((np.ones(4, np.float32), M23, M34)), Case((np.ones(4), M23, M23)))),
                       ("addmv", _fixed(Case((V3, M23, V3)), Case((np.ones((1, 2)), M23, V3)))),
                       ("baddbmm", _fixed(Case((V3, B, np.ones((2, 3, 4)))), Case((np.ones(4), B, np.ones((3, 3, 4)))))),
                       ("addbmm", _fixed(Case((np.ones(4), B, np.ones((3, 3, 4))))))):
    SPECS.append(OpSpec(_kind, th(_kind), tg(_kind), _added(_kind), dtypes=MATMUL_DTYPES, errors=_errors))
    SPECS.append(inplace_spec(OpSpec(_kind, th(_kind), tg(_kind), _full(_kind), dtypes=MATMUL_DTYPES), f"{_kind}_"))
SPECS += [inplace_spec(s, f"{s.name}_") for s in SPECS if s.name in ("addcmul", "addcdiv")]
