"""What each tapegrad op is in PyTorch, and the random cases that compare them.

One ``OpSpec`` per op of tapegrad's op table (``OPS``), keyed by the op's canonical name, plus
the Python operators whose meaning is part of the contract (``operator:&`` ...). A spec holds the
tapegrad call, the PyTorch call (a function of the ``torch`` module, so this file imports no
torch and the coverage test runs without it) and generators of cases: random shapes of rank 0
to 3 with size-1 dimensions, broadcasting partners, Python scalars on either side, every
dim/keepdim form of a reduction, and invalid combinations. ``NO_TORCH_COUNTERPART`` lists the
ops PyTorch lacks. Everything is drawn from a seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import tapegrad

FLOATS = ("float64", "float32", "float16")
INTS = ("int64", "int32", "int16", "int8", "uint8")
DTYPES = FLOATS + INTS + ("bool",)
REALS = FLOATS + INTS  # no bool: PyTorch refuses bool for these ops, tested under "errors" instead

POSITIVE = (0.2, 3.0)
UNIT = (-0.9, 0.9)
GAMMA = (0.5, 4.0)
DIVISOR = (0.5, 2.0)
DEFAULT = (-2.0, 2.0)
SPECIAL_VALUES = (0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.nan, math.inf, -math.inf)
TIES = (0.0, 1.0, -1.0, 2.0)  # points where derivatives have PyTorch's conventions (0, ties)

NO_TORCH_COUNTERPART: dict[str, str] = {}


@dataclass
class Case:
    """One call: positional args (arrays, scalars, shapes), static params."""

    args: tuple[Any, ...]
    params: dict[str, Any] = field(default_factory=dict)
    tag: str = "forward"  # which test item runs it: forward, mixed (dtypes), scalar, special (NaN, inf)


Gen = Callable[[np.random.Generator, str], list[Case]]


@dataclass
class OpSpec:
    name: str
    torch_fn: Callable[..., Any]          # (torch, *args, **params)
    tapegrad_fn: Callable[..., Any]       # (*args, **params)
    cases: Gen                            # (rng, dtype) -> forward cases; grad cases use float64
    dtypes: tuple[str, ...] = DTYPES
    grad: bool = True                     # check first and second order gradients
    errors: Callable[[np.random.Generator], list[Case]] | None = None
    ties: bool = False                    # also take gradients at 0, at ties and at NaN
    grads_by_tag: bool = False            # one gradient test item per case tag, not one in all


# ---------------------------------------------------------------------------- random data
def shape(rng: np.random.Generator, max_rank: int = 3, low: int = 0) -> tuple[int, ...]:
    rank = int(rng.integers(low, max_rank + 1))
    return tuple(int(s) for s in rng.choice([1, 2, 3, 4], size=rank, p=[0.3, 0.3, 0.2, 0.2]))


def partner(rng: np.random.Generator, s: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with ``s``: equal, fewer leading dims, some dims 1, or more dims."""
    kind = rng.integers(0, 5)
    if kind == 0:
        return s
    if kind == 1:
        return s[int(rng.integers(0, len(s) + 1)):]
    if kind == 2:
        return tuple(1 if rng.random() < 0.5 else d for d in s)
    if kind == 3:
        return tuple(int(d) for d in rng.integers(1, 3, size=int(rng.integers(1, 3)))) + s
    return ()


def bad_partner(s: tuple[int, ...]) -> tuple[int, ...] | None:
    """A shape that does not broadcast with ``s`` (None for shapes every shape broadcasts with)."""
    for i in range(len(s) - 1, -1, -1):
        if s[i] != 1:
            return s[:i] + (s[i] + 1,) + s[i + 1:]
    return None


def values(rng: np.random.Generator, s: tuple[int, ...], dtype: str, domain: tuple[float, float] | None = None,
           pool: tuple[float, ...] | None = None) -> np.ndarray:
    low, high = domain or DEFAULT
    if dtype == "bool":
        return np.asarray(rng.random(s) < 0.5)
    if pool is not None and dtype in FLOATS:
        return np.asarray(rng.choice(pool, size=s)).astype(dtype)
    if dtype in FLOATS:
        return np.asarray(rng.uniform(low, high, size=s)).astype(dtype)
    lo, hi = math.ceil(low), math.floor(high)
    if dtype == "uint8":
        lo = max(lo, 0)
    if lo > hi:
        lo, hi = 1, 3
    return np.asarray(rng.integers(lo, hi + 1, size=s)).astype(dtype)


def scalar(rng: np.random.Generator, dtype: str, domain: tuple[float, float] | None = None) -> Any:
    """A Python scalar: a float, an int or a bool, in ``domain``."""
    kind = rng.choice(["float", "int", "bool"], p=[0.5, 0.4, 0.1])
    low, high = domain or DEFAULT
    if kind == "float":
        return round(float(rng.uniform(low, high)), 3)
    if kind == "int":
        lo, hi = max(math.ceil(low), 0 if dtype == "uint8" else -9), math.floor(high)
        return int(rng.integers(lo, hi + 1)) if lo <= hi else 2
    return bool(low <= 1 <= high)


def reduce_forms(nd: int, tuples: bool = True, none: bool = True) -> list[dict[str, Any]]:
    """Every dim form for a rank-``nd`` input: all, each dim (negative too), pairs, with both keepdims."""
    dims: list[Any] = [None] if none else []
    dims += list(range(-max(nd, 1), max(nd, 1)))
    if tuples and nd >= 2:
        dims += [(0, -1), tuple(range(nd))]
    return [{"dim": d, "keepdim": k} for d in dims for k in (False, True)]


def bad_dims(nd: int) -> list[Any]:
    return [max(nd, 1), -max(nd, 1) - 1]


# ---------------------------------------------------------------------------- case generators
def unary(domain: tuple[float, float] | None = None, params: Callable[[np.random.Generator], dict] | None = None,
          n: int = 10) -> Gen:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(n):
            cases.append(Case((values(rng, shape(rng), dtype, domain),), params(rng) if params else {}))
        if dtype in FLOATS:  # NaN, infinities, signed zeros, out-of-domain points
            cases.append(Case((values(rng, (9,), dtype, pool=SPECIAL_VALUES),), params(rng) if params else {},
                              "special"))
        return cases
    return gen


def binary(domain: tuple[Any, Any] = (None, None), n: int = 12, scalars: bool = True, mixed: bool = True) -> Gen:
    """Broadcasting pairs (the second of a random dtype), and a Python scalar on either side."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for i in range(n):
            s = shape(rng)
            other = str(rng.choice(DTYPES)) if mixed and i % 2 else dtype
            case = Case((values(rng, s, dtype, domain[0]), values(rng, partner(rng, s), other, domain[1])),
                        tag="forward" if other == dtype else "mixed")
            if rng.random() < 0.3 and domain == (None, None):
                case.args = case.args[::-1]
            cases.append(case)
        if scalars:
            for _ in range(4):
                s = shape(rng)
                cases.append(Case((values(rng, s, dtype, domain[0]), scalar(rng, dtype, domain[1])), tag="scalar"))
                cases.append(Case((scalar(rng, dtype, domain[0]), values(rng, s, dtype, domain[1])), tag="scalar"))
        if dtype in FLOATS:
            cases.append(Case((values(rng, (9,), dtype, pool=SPECIAL_VALUES),
                               values(rng, (9,), dtype, pool=SPECIAL_VALUES)), tag="special"))
        return cases
    return gen


def binary_errors(rng: np.random.Generator) -> list[Case]:
    cases = []
    while len(cases) < 4:
        s = shape(rng, low=1)
        bad = bad_partner(s)
        if bad is not None:
            cases.append(Case((values(rng, s, "float64"), values(rng, bad, "float64"))))
    return cases


def reduction(tuples: bool = True, none: bool = True, domain: tuple[float, float] | None = None,
              extra: Callable[[np.random.Generator], dict] | None = None, keepdim: bool = True,
              none_keepdim: bool = True) -> Gen:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(4):
            s = shape(rng)
            for form in reduce_forms(len(s), tuples, none):
                if not keepdim:
                    form.pop("keepdim")
                elif form["dim"] is None and form["keepdim"] and not none_keepdim:
                    continue  # torch.prod has no dim=None form with keepdim=True
                if rng.random() < 0.5:
                    cases.append(Case((values(rng, s, dtype, domain),), {**form, **(extra(rng) if extra else {})}))
        if dtype in FLOATS:
            cases.append(Case((values(rng, (3, 3), dtype, pool=SPECIAL_VALUES),), extra(rng) if extra else {},
                              "special"))
        if dtype == "float16" and none:  # 70,000 elements: a count float16 cannot hold (issue 7 item 6)
            cases.append(Case((np.ones(70_000, dtype),), extra(rng) if extra else {}, "large"))
        return cases
    return gen


def reduction_errors(tuples: bool = True, keepdim: bool = True) -> Callable[[np.random.Generator], list[Case]]:
    def gen(rng: np.random.Generator) -> list[Case]:
        cases = []
        for nd in (0, 1, 2, 3):
            x = values(rng, (2,) * nd, "float64")
            for d in bad_dims(nd):
                cases.append(Case((x,), {"dim": d, **({"keepdim": False} if keepdim else {})}))
            if tuples and nd >= 2:
                cases.append(Case((x,), {"dim": (0, 0), **({"keepdim": False} if keepdim else {})}))
        return cases
    return gen


def dim_op(rng_params: Callable[[np.random.Generator, tuple[int, ...]], dict[str, Any]],
           min_rank: int = 0, n: int = 10, domain: tuple[float, float] | None = None) -> Gen:
    """An op whose params depend on the input's shape (``dim=``, a new shape ...)."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(n):
            s = shape(rng, low=min_rank)
            p = rng_params(rng, s)
            args = p.pop("*", ())
            cases.append(Case((values(rng, s, dtype, domain), *args), p))
        return cases
    return gen


def fixed_errors(*specs: tuple[tuple[int, ...], tuple[Any, ...], dict[str, Any]]) -> Callable[..., list[Case]]:
    """Invalid calls given as (input shape, extra positional args, params)."""
    def gen(rng: np.random.Generator) -> list[Case]:
        return [Case((values(rng, s, "float64"), *args), dict(p)) for s, args, p in specs]
    return gen


# ---------------------------------------------------------------------------- calling helpers
def tg(name: str) -> Callable[..., Any]:
    """``tapegrad.NAME``, dotted names through their namespaces (``linalg.solve``)."""
    def call(*a: Any, **k: Any) -> Any:
        fn: Any = tapegrad
        for part in name.split("."):
            fn = getattr(fn, part)
        return fn(*a, **k)
    return call


def th(path: str) -> Callable[..., Any]:
    """``torch.X.Y`` by dotted path below the torch module."""
    def call(torch: Any, *a: Any, **k: Any) -> Any:
        fn = torch
        for part in path.split("."):
            fn = getattr(fn, part)
        return fn(*a, **k)
    return call


def via_operator(fn: Callable[..., Any], op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """Python's operator when a Python scalar is on the left (functions take tensors first)."""
    def call(*a: Any, **k: Any) -> Any:
        if not hasattr(a[0], "shape") and len(a) == 2 and not k:
            return op(*a)
        return fn(*a, **k)
    return call


def th_via_operator(path: str, op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    base = th(path)
    return lambda torch, *a, **k: via_operator(lambda *b, **kk: base(torch, *b, **kk), op)(*a, **k)


def torch_dtype(torch: Any, name: str) -> Any:
    return getattr(torch, name)


def _tensorize(torch: Any, index: Any) -> Any:
    """An indexing key with NumPy arrays made torch tensors."""
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    if isinstance(index, tuple):
        return tuple(_tensorize(torch, i) for i in index)
    return index


# ---------------------------------------------------------------------------- shape-op params
def _reshape_target(rng: np.random.Generator, s: tuple[int, ...]) -> tuple[int, ...]:
    n = int(np.prod(s))
    factors = [d for d in range(1, n + 1) if n % d == 0]
    a = int(rng.choice(factors))
    target = [a, n // a] if rng.random() < 0.6 else [n]
    if rng.random() < 0.3:
        target.insert(int(rng.integers(0, len(target) + 1)), 1)
    if rng.random() < 0.4:
        target[int(rng.integers(0, len(target)))] = -1
    return tuple(target)


def _rank(s: tuple[int, ...]) -> int:
    return max(len(s), 1)


def _dim(rng: np.random.Generator, s: tuple[int, ...], extra: int = 0) -> int:
    """A valid dim for rank ``len(s) + extra``, negative half the time."""
    nd = max(len(s) + extra, 1)
    return int(rng.integers(-nd, nd))


def _perm(rng: np.random.Generator, s: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(d) for d in rng.permutation(len(s)))


def _expand_target(rng: np.random.Generator, s: tuple[int, ...]) -> tuple[int, ...]:
    lead = tuple(int(d) for d in rng.integers(1, 3, size=int(rng.integers(0, 2))))
    return lead + tuple(int(rng.integers(2, 4)) if d == 1 else (-1 if rng.random() < 0.3 else d) for d in s)


def _broadcast_target(rng: np.random.Generator, s: tuple[int, ...]) -> tuple[int, ...]:
    target = _expand_target(rng, s)
    lead = len(target) - len(s)
    return target[:lead] + tuple(d if t == -1 else t for d, t in zip(s, target[lead:]))


def _split_params(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    d = _dim(rng, s) if s else 0
    size = s[d] if s else 1
    if rng.random() < 0.5:
        return {"split_size_or_sections": int(rng.integers(1, size + 1)), "dim": d}
    cut = sorted(int(c) for c in rng.integers(0, size + 1, size=2))
    return {"split_size_or_sections": [cut[0], cut[1] - cut[0], size - cut[1]], "dim": d}


def _narrow_params(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    d = _dim(rng, s)
    size = s[d]
    start = int(rng.integers(0, size))
    length = int(rng.integers(0, size - start + 1))
    return {"dim": d, "start": start - size if rng.random() < 0.3 else start, "length": length}


def _pad_params(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    k = int(rng.integers(1, len(s) + 1))
    pads = tuple(int(p) for p in rng.integers(0, 3, size=2 * k))
    return {"pad": pads, "value": float(rng.choice([0.0, 1.5]))}


def _index_key(rng: np.random.Generator, s: tuple[int, ...]) -> Any:
    """A random indexing key: ints (negative too), slices with steps, None, Ellipsis, int arrays, a mask."""
    kind = rng.integers(0, 6)
    if not s:
        return [(), Ellipsis, None, np.array(True)][int(rng.integers(0, 4))]
    if kind == 0:
        return int(rng.integers(-s[0], s[0]))
    if kind == 1:
        return tuple(slice(int(rng.integers(0, d)), None, int(rng.integers(1, 3))) for d in s)
    if kind == 2:
        return (Ellipsis, None, int(rng.integers(0, s[-1])))
    if kind == 3:
        return np.asarray(rng.integers(-s[0], s[0], size=int(rng.integers(1, 4))))
    if kind == 4:
        return rng.random(s[:1]) < 0.5
    return (slice(None), None) if len(s) == 1 else (np.array([0, s[0] - 1]), slice(None, None, -1 + 2))


def _array_key(rng: np.random.Generator, s: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Integer-array indices for the leading dims (repeats likely: accumulate matters)."""
    k = int(rng.integers(1, len(s) + 1))
    ishape = shape(rng, 2, low=1)
    return tuple(np.asarray(rng.integers(-d, d, size=ishape)) for d in s[:k])


def _indexed(rng: np.random.Generator, arrays_only: bool = True) -> tuple[tuple[int, ...], Any, tuple[int, ...]]:
    """A shape, an indexing key into it, and a shape of values that broadcasts to what it selects."""
    s = shape(rng, low=1)
    key = _array_key(rng, s) if arrays_only or rng.random() < 0.5 else _index_key(rng, s)
    selected = np.empty(s)[key].shape
    return s, key, selected[int(rng.integers(0, len(selected) + 1)):]


# ---------------------------------------------------------------------------- generators for special ops
def gen_where(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(10):
        s = shape(rng)
        other = str(rng.choice(DTYPES)) if rng.random() < 0.5 else dtype
        cases.append(Case((np.asarray(rng.random(partner(rng, s)) < 0.5), values(rng, s, dtype),
                           values(rng, partner(rng, s), other)), tag="forward" if other == dtype else "mixed"))
    for _ in range(3):
        s = shape(rng)
        cases.append(Case((np.asarray(rng.random(s) < 0.5), values(rng, s, dtype), scalar(rng, dtype)),
                          tag="scalar"))
    return cases


def gen_minmax(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(4):
        s = shape(rng)
        cases.append(Case((values(rng, s, dtype),)))
        for d in range(-_rank(s), _rank(s)):
            cases.append(Case((values(rng, s, dtype), d), {"keepdim": bool(rng.random() < 0.5)}))
        cases.append(Case((values(rng, s, dtype), values(rng, partner(rng, s), dtype))))
    return cases


def gen_cat(stack: bool) -> Gen:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            s = shape(rng, low=0 if stack else 1)
            d = _dim(rng, s, extra=1 if stack else 0)
            parts = []
            for _ in range(int(rng.integers(1, 4))):
                ps = list(s)
                if not stack:
                    ps[d] = int(rng.integers(0, 3))
                parts.append(values(rng, tuple(ps), dtype if rng.random() < 0.7 else str(rng.choice(DTYPES))))
            mixed = any(p.dtype != parts[0].dtype for p in parts)
            cases.append(Case((parts,), {"dim": d}, "mixed" if mixed else "forward"))
        return cases
    return gen


def gen_matmul(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(10):
        n, k, m = (int(v) for v in rng.integers(1, 4, size=3))
        batch = shape(rng, 2)
        a = [(k,), (n, k), batch + (n, k)][int(rng.integers(0, 3))]
        b = [(k,), (k, m), partner(rng, batch) + (k, m)][int(rng.integers(0, 3))]
        cases.append(Case((values(rng, a, dtype), values(rng, b, dtype))))
    return cases


def gen_vectors(outer: bool) -> Gen:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(6):
            n = int(rng.integers(1, 5))
            m = int(rng.integers(1, 5)) if outer else n
            cases.append(Case((values(rng, (n,), dtype), values(rng, (m,), dtype))))
        return cases
    return gen


def gen_tensordot(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        shared = shape(rng, 2)
        a = shape(rng, 2) + shared
        b = shared + shape(rng, 2)
        if rng.random() < 0.5:
            cases.append(Case((values(rng, a, dtype), values(rng, b, dtype)), {"dims": len(shared)}))
        else:
            da = list(range(len(a) - len(shared), len(a)))
            cases.append(Case((values(rng, a, dtype), values(rng, b, dtype)),
                              {"dims": (da, list(range(len(shared))))}))
    return cases


EINSUM_FORMS = [("ij,jk->ik", (2, 3), (3, 4)), ("ii->i", (3, 3)), ("ii", (3, 3)), ("...ij,...jk", (2, 2, 3), (3, 4)),
                ("bij,bkj->bik", (2, 3, 4), (2, 5, 4)), ("i,j", (2,), (3,)), ("i,i->", (4,), (4,)),
                ("ij->ji", (2, 3)), ("ijk->", (2, 1, 3)), ("ij,ij,ij->i", (2, 3), (2, 3), (1, 3)),
                (",ij->ij", (), (2, 3))]


def gen_einsum(contract: bool) -> Gen:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for eq, *shapes in EINSUM_FORMS:
            if contract and ("..." in eq or "->" not in eq or "1" in str(shapes)):
                continue
            arrays = tuple(values(rng, s, dtype) for s in shapes)
            # a size-1 dimension broadcast against a letter's size has a test item of its own
            tag = "broadcast" if any(1 in s for s in shapes) else "forward"
            cases.append(Case(arrays, {"equation": eq}, tag) if contract else Case((eq, *arrays), tag=tag))
        return cases
    return gen


def gen_getitem(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, s, dtype),), {"index": _index_key(rng, s)}) for s in (shape(rng) for _ in range(14))]


def gen_index_put(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(10):
        s, key, vshape = _indexed(rng)
        cases.append(Case((values(rng, s, dtype), values(rng, vshape, dtype)),
                          {"index": key, "accumulate": bool(rng.random() < 0.5)}))
    return cases


def gen_scatter_add(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s, key, vshape = _indexed(rng)
        cases.append(Case((values(rng, vshape, dtype),), {"index": key, "shape": s}))
    return cases


def gen_setitem(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(10):
        s, key, vshape = _indexed(rng, arrays_only=False)
        cases.append(Case((values(rng, s, dtype), values(rng, vshape, dtype)), {"index": key}))
    return cases


def gen_gather(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng, low=1)
        d = _dim(rng, s)
        ishape = tuple(int(rng.integers(1, n + 1)) for n in s)
        ishape = ishape[:d % len(s)] + (int(rng.integers(1, 5)),) + ishape[d % len(s) + 1:]
        cases.append(Case((values(rng, s, dtype),), {"dim": d, "index": rng.integers(0, s[d], size=ishape)}))
    return cases


def gen_astype(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, shape(rng), dtype), str(rng.choice(DTYPES)))) for _ in range(6)]


def gen_fill(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, shape(rng), dtype), scalar(rng, dtype))) for _ in range(5)]


def gen_no_params(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, shape(rng), dtype),)) for _ in range(5)]


def gen_pad_modes(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = dim_op(_pad_params, min_rank=1)(rng, dtype)
    for mode in ("reflect", "replicate", "circular"):
        s = (2, 4) if rng.random() < 0.5 else (2, 3, 4)
        cases.append(Case((values(rng, s, dtype),), {"pad": (int(rng.integers(0, 3)), int(rng.integers(0, 3))),
                                                    "mode": mode}))
    cases.append(Case((values(rng, (3, 5), dtype),), {"pad": (-1, 2)}))
    return cases


# ---------------------------------------------------------------------------- the table
def _th_astype(torch: Any, x: Any, dtype: str) -> Any:
    return x.to(torch_dtype(torch, dtype))


def _th_var(name: str) -> Callable[..., Any]:
    return lambda torch, x, dim=None, keepdim=False, unbiased=True: getattr(torch, name)(
        x, dim=dim, unbiased=unbiased, keepdim=keepdim)


def _th_norm(torch: Any, x: Any, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    return torch.linalg.vector_norm(x, ord=2 if p == "fro" else p, dim=dim, keepdim=keepdim)


def _th_logsumexp(torch: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    return torch.logsumexp(x, dim=tuple(range(x.ndim)) if dim is None else dim, keepdim=keepdim)


def _th_all_dims(name: str) -> Callable[..., Any]:
    """Reductions whose PyTorch form takes no ``dim=None`` keyword (prod, argmax ...)."""
    def call(torch: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        fn = getattr(torch, name)
        return fn(x) if dim is None and not keepdim else fn(x, dim=dim, keepdim=keepdim)
    return call


UNARY_MATH = {
    "exp": None, "log": POSITIVE, "sqrt": POSITIVE, "rsqrt": POSITIVE, "expm1": None, "log1p": (-0.5, 2.0),
    "log2": POSITIVE, "log10": POSITIVE, "sin": None, "cos": None, "tan": (-1.2, 1.2), "arcsin": UNIT,
    "arccos": UNIT, "arctan": None, "tanh": None, "sinh": None, "cosh": None, "sigmoid": None,
    "neg": None, "abs": None, "sign": None, "square": None, "relu": None, "floor": None, "ceil": None,
    "round": None,
}
UNARY_SPECIAL = {  # op -> (torch path, domain); the special functions' specs are in specs/elementwise.py
    "ndtr": ("special.ndtr", None),
}
PREDICATES = ("logical_not", "isnan", "isfinite", "isinf")
TIE_OPS = {"abs", "relu", "sign", "floor", "ceil", "round", "maximum", "minimum", "clamp", "leaky_relu", "amax",
           "amin", "max", "min", "std", "var", "norm", "prod", "mean", "sum", "cumsum", "remainder"}

ARITH = {  # op -> (Python operator or None, domain of the two operands, differentiable)
    "add": (operator.add, (None, None), True), "sub": (operator.sub, (None, None), True),
    "mul": (operator.mul, (None, None), True), "div": (operator.truediv, (None, DIVISOR), True),
    "pow": (operator.pow, (POSITIVE, None), True), "floor_divide": (operator.floordiv, (None, DIVISOR), False),
    "remainder": (operator.mod, (None, DIVISOR), True), "maximum": (None, (None, None), True),
    "minimum": (None, (None, None), True),
    "eq": (operator.eq, (None, None), False), "ne": (operator.ne, (None, None), False),
    "lt": (operator.lt, (None, None), False), "le": (operator.le, (None, None), False),
    "gt": (operator.gt, (None, None), False), "ge": (operator.ge, (None, None), False),
    "logical_and": (None, (None, None), False), "logical_or": (None, (None, None), False),
    "logical_xor": (None, (None, None), False),
}
TORCH_PATH: dict[str, str] = {}
OPERATORS = {"&": operator.and_, "|": operator.or_, "^": operator.xor}


def _build() -> dict[str, OpSpec]:
    ops: dict[str, OpSpec] = {}

    def add(spec: OpSpec) -> None:
        assert spec.name not in ops, spec.name
        ops[spec.name] = spec

    for name, domain in UNARY_MATH.items():
        add(OpSpec(name, th(name), tg(name), unary(domain), ties=name in TIE_OPS and domain is None))
    for name, (path, domain) in UNARY_SPECIAL.items():
        add(OpSpec(name, th(path), tg(name), unary(domain), dtypes=REALS))
    for name in PREDICATES:
        add(OpSpec(name, th(name), tg(name), unary(), grad=False))
    add(OpSpec("softplus", th("nn.functional.softplus"), tg("softplus"),
               unary(None, lambda rng: {"beta": float(rng.choice([1.0, 2.0, 0.5])),
                                        "threshold": float(rng.choice([20.0, 0.6]))}), dtypes=FLOATS))
    add(OpSpec("leaky_relu", th("nn.functional.leaky_relu"), tg("leaky_relu"),
               unary(None, lambda rng: {"negative_slope": float(rng.choice([0.01, 0.2]))}), dtypes=FLOATS,
               ties=True))
    add(OpSpec("gelu", th("nn.functional.gelu"), tg("gelu"),
               unary(None, lambda rng: {"approximate": str(rng.choice(["none", "tanh"]))}), dtypes=FLOATS))
    add(OpSpec("clamp", th("clamp"), tg("clamp"),
               unary(None, lambda rng: [{"min": -0.5, "max": 1.0}, {"min": 0.2}, {"max": 0}, {"min": 1, "max": 0}][
                   int(rng.integers(0, 4))]), dtypes=REALS, ties=True,
               errors=fixed_errors(((3,), (), {}))))

    for name, (op, domain, diff) in ARITH.items():
        path = TORCH_PATH.get(name, name)
        add(OpSpec(name, th_via_operator(path, op) if op else th(path),
                   via_operator(tg(name), op) if op else tg(name), binary(domain), grad=diff,
                   errors=binary_errors, ties=name in TIE_OPS))
    for symbol, op in OPERATORS.items():
        add(OpSpec(f"operator:{symbol}", lambda torch, a, b, op=op: op(a, b), lambda a, b, op=op: op(a, b),
                   binary(), dtypes=INTS + ("bool",), grad=False))
    add(OpSpec("operator:~", lambda torch, a: ~a, lambda a: ~a, unary(), dtypes=INTS + ("bool",), grad=False))
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        add(OpSpec(name, th(name), tg(name), binary(), dtypes=INTS + ("bool",), grad=False, errors=binary_errors))
    for name in ("bitwise_left_shift", "bitwise_right_shift"):  # shift counts within the bit width
        add(OpSpec(name, th(name), tg(name), binary(domain=(None, (0, 7))), dtypes=INTS, grad=False))
    add(OpSpec("bitwise_not", th("bitwise_not"), tg("bitwise_not"), unary(), dtypes=INTS + ("bool",), grad=False))
    add(OpSpec("where", lambda torch, c, x, y: torch.where(torch.as_tensor(c), x, y), tg("where"), gen_where,
               errors=lambda rng: [Case((np.array([True, False, True]), values(rng, (2,), "float64"),
                                         values(rng, (3,), "float64")))]))

    # reductions
    for name in ("sum", "mean", "amax", "amin", "all", "any"):
        add(OpSpec(name, th(name), tg(name), reduction(), grad=name not in ("all", "any"),
                   errors=reduction_errors(), ties=name in TIE_OPS))
    add(OpSpec("prod", _th_all_dims("prod"), tg("prod"), reduction(tuples=False, none_keepdim=False),
               errors=reduction_errors(False),
               ties=True))
    for name in ("argmax", "argmin"):
        add(OpSpec(name, _th_all_dims(name), tg(name), reduction(tuples=False), dtypes=REALS, grad=False,
                   errors=reduction_errors(False)))
    for name in ("var", "std"):
        add(OpSpec(name, _th_var(name), tg(name), reduction(extra=lambda rng: {"unbiased": bool(rng.random() < 0.7)}),
                   dtypes=FLOATS, errors=reduction_errors(), ties=True))
    add(OpSpec("norm", _th_norm, tg("norm"),
               reduction(extra=lambda rng: {"p": [2, 1, math.inf, -math.inf, 3, 1.5, 0, "fro", 0.5][
                   int(rng.integers(0, 9))]}), dtypes=FLOATS, errors=reduction_errors(), ties=True))
    add(OpSpec("logsumexp", _th_logsumexp, tg("logsumexp"), reduction(), dtypes=REALS, errors=reduction_errors()))
    for name in ("softmax", "log_softmax", "cumsum"):
        add(OpSpec(name, th(name), tg(name), reduction(tuples=False, none=False, keepdim=False),
                   dtypes=REALS if name == "cumsum" else FLOATS, errors=reduction_errors(False, keepdim=False),
                   ties=name in TIE_OPS))
    for name in ("max", "min"):
        add(OpSpec(name, th(name), tg(name), gen_minmax, dtypes=REALS, ties=True,
                   errors=lambda rng: [Case((values(rng, (2, 3), "float64"), 2)),
                                       Case((values(rng, (2, 3), "float64"), values(rng, (4,), "float64")))]))

    # shapes
    add(OpSpec("reshape", lambda torch, x, s: torch.reshape(x, s), tg("reshape"),
               dim_op(lambda rng, s: {"*": (_reshape_target(rng, s),)}),
               errors=fixed_errors(((2, 3), ((4,),), {}), ((2, 3), ((-1, -1),), {}), ((4,), ((-2,),), {}),
                                   ((2, 3), ((-2, 3),), {}))))
    add(OpSpec("view", lambda torch, x, s: x.view(s), lambda x, s: x.view(s),
               dim_op(lambda rng, s: {"*": (_reshape_target(rng, s),)}),
               errors=fixed_errors(((2, 3), ((5,),), {}), ((2, 3), ((-1, -1),), {}))))
    add(OpSpec("broadcast_to", lambda torch, x, s: torch.broadcast_to(x, s), tg("broadcast_to"),
               dim_op(lambda rng, s: {"*": (_broadcast_target(rng, s),)}),
               errors=fixed_errors(((2, 3), ((3, 3),), {}), ((2, 3), ((3,),), {}))))
    add(OpSpec("expand", lambda torch, x, s: x.expand(s), lambda x, s: x.expand(s),
               dim_op(lambda rng, s: {"*": (_expand_target(rng, s),)}),
               errors=fixed_errors(((2, 3), ((3, 3),), {}), ((2, 3), ((3,),), {}), ((1, 3), ((-1, 3, 3),), {}))))
    add(OpSpec("expand_dims", lambda torch, x, dim: torch.unsqueeze(x, dim), tg("expand_dims"),
               dim_op(lambda rng, s: {"dim": _dim(rng, s, 1)}), errors=fixed_errors(((2, 3), (), {"dim": 3}))))
    add(OpSpec("unsqueeze", th("unsqueeze"), tg("unsqueeze"), dim_op(lambda rng, s: {"dim": _dim(rng, s, 1)}),
               errors=fixed_errors(((2, 3), (), {"dim": 3}), ((2, 3), (), {"dim": -4}))))
    add(OpSpec("squeeze", th("squeeze"), tg("squeeze"),
               dim_op(lambda rng, s: [{}, {"dim": _dim(rng, s)}, {"dim": tuple(range(len(s)))}][
                   int(rng.integers(0, 3))]),
               errors=fixed_errors(((2, 1), (), {"dim": 2}))))
    add(OpSpec("flatten", th("flatten"), tg("flatten"),
               dim_op(lambda rng, s: dict(zip(("start_dim", "end_dim"), sorted(
                   (int(rng.integers(0, _rank(s))), int(rng.integers(0, _rank(s)))))))),
               errors=fixed_errors(((2, 3), (), {"start_dim": 1, "end_dim": 0}), ((2, 3), (), {"start_dim": 2}))))
    add(OpSpec("transpose", th("transpose"), tg("transpose"),
               dim_op(lambda rng, s: {"dim0": _dim(rng, s), "dim1": _dim(rng, s)}),
               errors=fixed_errors(((2, 3), (), {"dim0": 0, "dim1": 2}))))
    add(OpSpec("permute", lambda torch, x, dims: torch.permute(x, dims), tg("permute"),
               dim_op(lambda rng, s: {"*": (_perm(rng, s),)}),
               errors=fixed_errors(((2, 3), ((0,),), {}), ((2, 3), ((0, 0),), {}), ((2, 3), ((0, 2),), {}))))
    add(OpSpec("flip", lambda torch, x, dims: torch.flip(x, dims), tg("flip"),
               dim_op(lambda rng, s: {"*": (tuple(int(d) for d in rng.choice(np.arange(-len(s), 0), size=min(
                   len(s), int(rng.integers(0, 3))), replace=False)) if s else (),)}),
               errors=fixed_errors(((2, 3), ((2,),), {}), ((2, 3), ((0, 0),), {}))))
    add(OpSpec("cat", th("cat"), tg("cat"), gen_cat(False),
               errors=lambda rng: [Case(([values(rng, (2, 3), "float64"), values(rng, (3, 2), "float64")],),
                                        {"dim": 0}), Case(([],), {"dim": 0}),
                                   Case(([values(rng, (2,), "float64")],), {"dim": 1})]))
    add(OpSpec("stack", th("stack"), tg("stack"), gen_cat(True),
               errors=lambda rng: [Case(([values(rng, (2, 3), "float64"), values(rng, (3, 2), "float64")],),
                                        {"dim": 0}), Case(([],), {"dim": 0}),
                                   Case(([values(rng, (2,), "float64")],), {"dim": 2})]))
    add(OpSpec("pad", th("nn.functional.pad"), tg("pad"), gen_pad_modes, dtypes=FLOATS,
               errors=fixed_errors(((2, 3), (), {"pad": (1, 2, 3)}), ((2, 3), (), {"pad": (1, 1), "mode": "nope"}))))
    add(OpSpec("split", th("split"), tg("split"), dim_op(_split_params, min_rank=1),
               errors=fixed_errors(((4,), (), {"split_size_or_sections": [1, 2]}),
                                   ((4,), (), {"split_size_or_sections": 2, "dim": 1}))))
    add(OpSpec("chunk", th("chunk"), tg("chunk"),
               dim_op(lambda rng, s: {"chunks": int(rng.integers(1, 5)), "dim": _dim(rng, s)}, min_rank=1),
               errors=fixed_errors(((4,), (), {"chunks": 0}), ((4,), (), {"chunks": 2, "dim": 1}))))
    add(OpSpec("narrow", th("narrow"), tg("narrow"), dim_op(_narrow_params, min_rank=1),
               errors=fixed_errors(((4,), (), {"dim": 0, "start": 3, "length": 2}),
                                   ((4,), (), {"dim": 1, "start": 0, "length": 1}))))
    add(OpSpec("astype", _th_astype, tg("astype"), gen_astype))
    for name, method in (("to_float", "float"), ("to_double", "double"), ("to_half", "half"), ("to_long", "long"),
                         ("to_int", "int"), ("to_bool", "bool")):
        add(OpSpec(name, lambda torch, x, m=method: getattr(x, m)(), lambda x, m=method: getattr(x, m)(),
                   gen_no_params))
    add(OpSpec("fill", lambda torch, x, v: torch.fill(x, v), tg("fill"), gen_fill))
    add(OpSpec("zero", lambda torch, x: x.clone().zero_(), tg("zero"), gen_no_params))

    # indexing
    add(OpSpec("getitem", lambda torch, x, index: x[_tensorize(torch, index)], tg("getitem"), gen_getitem,
               errors=fixed_errors(((3,), (), {"index": 3}), ((3,), (), {"index": (0, 0)}),
                                   ((2, 3), (), {"index": (slice(None), -4)}))))
    add(OpSpec("index_put", lambda torch, x, v, index, accumulate=False: torch.index_put(
        x, _tensorize(torch, index), v, accumulate=accumulate), tg("index_put"), gen_index_put,
        errors=lambda rng: [Case((values(rng, (3,), "float64"), values(rng, (), "float64")),
                                 {"index": (np.array([3]),)})]))
    add(OpSpec("operator:[]=", _th_setitem, _tg_setitem, gen_setitem))
    add(OpSpec("index_scatter_add", lambda torch, g, index, shape: torch.zeros(shape, dtype=g.dtype).index_put(
        _tensorize(torch, index), g, accumulate=True), tg("index_scatter_add"), gen_scatter_add, dtypes=REALS))
    add(OpSpec("gather", lambda torch, x, dim, index: torch.gather(x, dim, torch.from_numpy(index)), tg("gather"),
               gen_gather,
               errors=lambda rng: [Case((values(rng, (2, 3), "float64"),), {"dim": 1, "index": np.array([[3]])}),
                                   Case((values(rng, (2, 3), "float64"),), {"dim": 2, "index": np.array([[0]])})]))

    # linear algebra
    add(OpSpec("matmul", th("matmul"), tg("matmul"), gen_matmul, dtypes=REALS,
               errors=lambda rng: [Case((values(rng, (2, 3), "float64"), values(rng, (4, 2), "float64"))),
                                   Case((values(rng, (), "float64"), values(rng, (3,), "float64"))),
                                   Case((values(rng, (3,), "float64"), values(rng, (4,), "float64")))]))
    add(OpSpec("dot", th("dot"), tg("dot"), gen_vectors(False), dtypes=REALS,
               errors=lambda rng: [Case((values(rng, (3,), "float64"), values(rng, (4,), "float64"))),
                                   Case((values(rng, (2, 3), "float64"), values(rng, (2, 3), "float64"))),
                                   Case((values(rng, (3,), "float64"), values(rng, (3,), "float32")))]))
    add(OpSpec("outer", th("outer"), tg("outer"), gen_vectors(True), dtypes=REALS))
    add(OpSpec("tensordot", th("tensordot"), tg("tensordot"), gen_tensordot, dtypes=REALS,
               errors=lambda rng: [Case((values(rng, (2, 3), "float64"), values(rng, (2, 3), "float64")),
                                        {"dims": 1})]))
    add(OpSpec("einsum", th("einsum"), tg("einsum"), gen_einsum(False), dtypes=REALS,
               errors=lambda rng: [Case(("ij,jk->ik", values(rng, (2, 3), "float64"), values(rng, (2, 3), "float64"))),
                                   Case(("ij->ik", values(rng, (2, 3), "float64"))),
                                   Case(("ij,jk", values(rng, (2, 3), "float64")))]))
    add(OpSpec("contract", lambda torch, *arrays, equation: torch.einsum(equation, *arrays), tg("contract"),
               gen_einsum(True), dtypes=REALS))
    present = {op.name for op in tapegrad.optable.table().canonical_ops()}
    for spec in _newer_ops():  # ops main gained while this suite was written: specified where they exist
        if spec.name in present:
            add(spec)
    for op in tapegrad.optable.table().canonical_ops():
        if op.inplace_methods and op.name in ops:
            add(inplace_spec(ops[op.name], op.inplace_methods[0]))
    add(OpSpec("inplace:view", _th_view_write, _tg_view_write, gen_view_write, dtypes=("float64", "int64"),
               grads_by_tag=True))
    return ops


def _as_tensor(lib: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A call that answers a Python bool (allclose, equal) made to answer a tensor, to compare alike."""
    return lambda *a, **k: lib.tensor(fn(*a, **k))


def _concrete(s: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    return np.empty(s).reshape(target).shape


def gen_as(kind: str) -> Gen:
    """``x.view_as(other)`` and friends: ``other`` of a random dtype and a shape that fits ``x``."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            s = shape(rng)
            target = _broadcast_target(rng, s) if kind == "expand" else _concrete(s, _reshape_target(rng, s))
            cases.append(Case((values(rng, s, dtype), values(rng, target, str(rng.choice(DTYPES))))))
        return cases
    return gen


def gen_masked_fill(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng)
        cases.append(Case((values(rng, s, dtype), np.asarray(rng.random(partner(rng, s)) < 0.5)),
                          {"value": scalar(rng, dtype)}))
    return cases


def gen_index_select(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng, low=1)
        d = _dim(rng, s)
        size = () if rng.random() < 0.2 else (int(rng.integers(1, 5)),)
        cases.append(Case((values(rng, s, dtype), d, np.asarray(rng.integers(0, s[d], size=size)))))
    return cases


# ops (and their in-place methods) that main gained while this suite was written; their specs and
# known failures apply where the op exists
NEWER_OPS = frozenset({"clone", "copy", "masked_fill", "isclose", "allclose", "equal", "positive", "contiguous",
                       "t", "view_as", "reshape_as", "expand_as", "index_select", "inplace:copy_",
                       "inplace:masked_fill_"})


def _newer_ops() -> list[OpSpec]:
    torch_tensor = lambda torch, x: torch.as_tensor(x)  # noqa: E731
    return [
        OpSpec("clone", th("clone"), tg("clone"), gen_no_params),
        OpSpec("copy", lambda torch, dst, src: _th_fresh(dst).copy_(src), tg("copy"), binary(scalars=False)),
        OpSpec("masked_fill", th("masked_fill"), tg("masked_fill"), gen_masked_fill),
        OpSpec("isclose", th("isclose"), tg("isclose"), binary(scalars=False), grad=False),
        OpSpec("allclose", lambda torch, a, b: torch.tensor(torch.allclose(a, b)),
               _as_tensor(tapegrad, tg("allclose")), binary(scalars=False), grad=False),
        OpSpec("equal", lambda torch, a, b: torch.tensor(torch.equal(a, b)), _as_tensor(tapegrad, tg("equal")),
               binary(scalars=False), grad=False),
        OpSpec("positive", th("positive"), tg("positive"), unary()),
        OpSpec("contiguous", lambda torch, x: x.contiguous(), lambda x: x.contiguous(), gen_no_params),
        OpSpec("t", lambda torch, x: x.t(), lambda x: x.t(), gen_no_params),
        OpSpec("view_as", lambda torch, x, o: x.view_as(o), lambda x, o: x.view_as(o), gen_as("view")),
        OpSpec("reshape_as", lambda torch, x, o: x.reshape_as(o), lambda x, o: x.reshape_as(o), gen_as("view")),
        OpSpec("expand_as", lambda torch, x, o: x.expand_as(o), lambda x, o: x.expand_as(o), gen_as("expand")),
        OpSpec("index_select", lambda torch, x, d, i: torch.index_select(x, d, torch_tensor(torch, i)),
               tg("index_select"), gen_index_select),
    ]


def _tg_fresh(x: Any) -> Any:
    """A non-leaf copy of ``x`` to write into: its gradient flows back to ``x``."""
    return x * 1 if x.dtype.is_floating_point else tapegrad.tensor(x.numpy())


def _th_fresh(x: Any) -> Any:
    return x * 1 if x.dtype.is_floating_point else x.clone()


def inplace_spec(base: OpSpec, method: str) -> OpSpec:
    """``y = x * 1; y.METHOD(*rest)``: the in-place form of ``base``, on the cases of ``base``
    whose first argument is a tensor (broadcasting into it and dtype casts PyTorch refuses are
    errors tapegrad must raise too)."""
    def ours(x: Any, *rest: Any, **params: Any) -> Any:
        y = _tg_fresh(x)
        out = getattr(y, method)(*rest, **params)
        assert out is y, f"{method} returned a new tensor, not its input"
        return y

    def theirs(torch: Any, x: Any, *rest: Any, **params: Any) -> Any:
        y = _th_fresh(x)
        getattr(y, method)(*rest, **params)
        return y

    def cases(rng: np.random.Generator, dtype: str) -> list[Case]:
        return [c for c in base.cases(rng, dtype) if isinstance(c.args[0], np.ndarray)]

    return OpSpec(f"inplace:{method}", theirs, ours, cases, dtypes=base.dtypes, grad=base.grad)


# an in-place write through a view of a non-leaf (issue 7 item 1): name -> how to take the view
VIEWS: dict[str, Callable[[Any], Any]] = {
    "row": lambda y: y[0], "slice": lambda y: y[:, 1:], "reshape": lambda y: y.reshape(-1),
    "view": lambda y: y.view(-1), "transpose": lambda y: y.transpose(0, 1), "expand_dims": lambda y: y.unsqueeze(0),
    "split": lambda y: y.split(1, 0)[0], "chunk": lambda y: y.chunk(2, 1)[0], "narrow": lambda y: y.narrow(1, 0, 1),
}
WRITES: dict[str, Callable[[Any], Any]] = {
    "mul_": lambda v: v.mul_(3), "add_": lambda v: v.add_(1), "zero_": lambda v: v.zero_(),
    "setitem": lambda v: v.__setitem__(0, 5.0),
}


def _view_write(y: Any, view: str, write: str) -> Any:
    WRITES[write](VIEWS[view](y))
    return y * y  # the base is read after the write: its history must include it


def _tg_view_write(x: Any, view: str, write: str) -> Any:
    return _view_write(_tg_fresh(x), view, write)


def _th_view_write(torch: Any, x: Any, view: str, write: str) -> Any:
    return _view_write(_th_fresh(x), view, write)


def gen_view_write(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, (2, 3), dtype), view, write), tag=f"{view}.{write}".replace("_", ""))
            for view in VIEWS for write in WRITES]


def _th_setitem(torch: Any, x: Any, v: Any, index: Any) -> Any:
    y = x * 1 if x.dtype.is_floating_point else x.clone()
    y[_tensorize(torch, index)] = v
    return y


def _tg_setitem(x: Any, v: Any, index: Any) -> Any:
    y = x * 1 if x.dtype.is_floating_point else tapegrad.tensor(x.numpy())
    y[index] = v
    return y


OPS: dict[str, OpSpec] = _build()


def _gather_areas() -> None:
    """Add each area module's specs (``specs/``) to ``OPS`` and its tables to this module's."""
    from . import specs

    for module in specs.modules():
        for spec in getattr(module, "SPECS", ()):
            assert spec.name not in OPS, f"{spec.name} has two specs ({module.__name__})"
            OPS[spec.name] = spec
        NO_TORCH_COUNTERPART.update(getattr(module, "NO_TORCH_COUNTERPART", {}))


_gather_areas()
