"""Parity specs of ops_builtin/scatter.py: the scatter family (PyTorch's argument order, and the
array-first primitives ``NAME_at`` against the same PyTorch calls), their in-place methods,
masked_select, take, take_along_dim, nonzero and argwhere."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opspec import FLOATS, REALS, Case, OpSpec, _dim, inplace_spec, partner, scalar, shape, tg, values


def _index_shape(rng: np.random.Generator, s: tuple[int, ...], d: int) -> tuple[int, ...]:
    """An index shape no larger than ``s`` apart from ``d``, where it may be longer."""
    return tuple(int(rng.integers(1, n + 1)) if k != d else int(rng.integers(1, n + 2)) for k, n in enumerate(s))


def _unique_along(rng: np.random.Generator, n: int, ishape: tuple[int, ...], d: int) -> np.ndarray:
    """Indices into a dimension of size ``n``, distinct along ``d`` (a write order PyTorch leaves open)."""
    ishape = ishape[:d] + (min(ishape[d], n),) + ishape[d + 1:]
    lines = np.moveaxis(np.empty(ishape, dtype=np.int64), d, -1)
    for pos in np.ndindex(*lines.shape[:-1]):
        lines[pos] = rng.permutation(n)[:lines.shape[-1]]
    return np.ascontiguousarray(np.moveaxis(lines, -1, d))


def scatter_cases(kind: str) -> Any:
    """``(x, dim, index, src)`` cases: ``kind`` "replace" keeps indices distinct along dim, "add"
    and the reductions repeat them; some ``src`` are larger than the index."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(10):
            s = shape(rng, low=1)
            d = _dim(rng, s) % len(s)
            ishape = _index_shape(rng, s, d)
            index = (_unique_along(rng, s[d], ishape, d) if kind == "replace"
                     else rng.integers(0, s[d], size=ishape).astype(np.int64))
            # a src larger than the index (its unread part: PyTorch's reductions broadcast a gradient over it)
            sshape = tuple(n + int(rng.random() < 0.2 and kind in ("replace", "add")) for n in index.shape)
            src = values(rng, sshape, dtype)
            x = values(rng, s, dtype)
            dim = d - len(s) if rng.random() < 0.3 else d
            if kind in ("replace", "add"):
                cases.append(Case((x, dim, index, src)))
            else:
                cases.append(Case((x, dim, index, src, kind), {"include_self": bool(rng.random() < 0.6)}))
        if kind == "replace":
            for _ in range(3):
                s = shape(rng, low=1)
                index = _unique_along(rng, s[0], _index_shape(rng, s, 0), 0)
                cases.append(Case((values(rng, s, dtype), 0, index), {"value": scalar(rng, dtype)}, "scalar"))
        return cases
    return gen


def primitive_cases(base: Any) -> Any:
    """The same cases for the array-first primitive: ``(x, src)`` with ``dim``, ``index`` as params."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        out = []
        for c in base(rng, dtype):
            x, dim, index, *rest = c.args
            params = dict(c.params)
            src = rest[0] if rest else params.pop("value")
            if len(rest) > 1:
                params["reduce"] = rest[1]
            out.append(Case((x, src), {"dim": dim, "index": index, **params}, c.tag))
        return out
    return gen


def _th_scatter_at(torch: Any, x: Any, src: Any, dim: Any, index: Any) -> Any:
    return torch.scatter(x, dim, torch.from_numpy(index), src)


def _th_scatter_reduce_at(torch: Any, x: Any, src: Any, dim: Any, index: Any, reduce: Any, **kw: Any) -> Any:
    return torch.scatter_reduce(x, dim, torch.from_numpy(index), src, reduce, **kw)


def index_cases(kind: str) -> Any:
    """``(x, dim, index, source)`` cases of index_add / index_copy (distinct indices) / index_fill (a value)."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(10):
            s = shape(rng, low=1)
            d = _dim(rng, s)
            n = s[d]
            if kind == "copy":
                index = rng.permutation(n)[:int(rng.integers(1, n + 1))].astype(np.int64)
            else:
                index = rng.integers(-n if kind == "fill" else 0, n, size=int(rng.integers(1, n + 2))).astype(np.int64)
            if kind == "fill":
                # a value tensor's gradient in PyTorch fails on negative indices: those go with numbers
                value = scalar(rng, dtype) if rng.random() < 0.7 or index.min() < 0 else values(rng, (), dtype)
                cases.append(Case((values(rng, s, dtype), d, index, value)))
                continue
            source = values(rng, s[:d % len(s)] + (index.size,) + s[d % len(s) + 1:], dtype)
            params = {"alpha": (round(float(rng.uniform(-2, 2)), 2) if dtype in FLOATS else int(rng.integers(-2, 3)))
                      } if kind == "add" and rng.random() < 0.5 else {}
            cases.append(Case((values(rng, s, dtype), d, index, source), params))
        return cases
    return gen


def _index_primitive(base: Any) -> Any:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        return [Case((c.args[0], c.args[3]), {"dim": c.args[1], "index": c.args[2], **c.params}, c.tag)
                for c in base(rng, dtype)]
    return gen


def _masked_select_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng)
        cases.append(Case((values(rng, s, dtype), np.asarray(rng.random(partner(rng, s)) < 0.5))))
    return cases


def _take_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng)
        n = int(np.prod(s))
        cases.append(Case((values(rng, s, dtype), rng.integers(-n, n, size=shape(rng, 2)).astype(np.int64))))
    return cases


def _take_along_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng, low=1)
        d = _dim(rng, s)
        ishape = tuple(1 if rng.random() < 0.3 else n for n in s)
        ishape = ishape[:d % len(s)] + (int(rng.integers(1, 4)),) + ishape[d % len(s) + 1:]
        x_shape = tuple(1 if rng.random() < 0.2 else n for n in s)
        x_shape = x_shape[:d % len(s)] + (s[d],) + x_shape[d % len(s) + 1:]
        idx = rng.integers(-s[d], s[d], size=ishape).astype(np.int64)
        cases.append(Case((values(rng, x_shape, dtype), idx), {"dim": d}))
    s = shape(rng, low=1)
    n = int(np.prod(s))
    cases.append(Case((values(rng, s, dtype), rng.integers(-n, n, size=(4,)).astype(np.int64))))
    return cases


def _nonzero_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        x = values(rng, shape(rng), dtype, pool=(0.0, 1.0, -2.5))
        if dtype not in FLOATS and dtype != "bool":
            x = np.asarray(x * (rng.random(x.shape) < 0.5)).astype(dtype)
        cases.append(Case((x,), {"as_tuple": bool(rng.random() < 0.4)}))
    return cases


def _argwhere_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case(c.args) for c in _nonzero_cases(rng, dtype)]


def _fixed(*cases: Case) -> Any:
    return lambda rng: list(cases)


X = np.arange(12.0).reshape(3, 4)
I22 = np.array([[0, 1], [2, 0]])
SRC = np.ones((2, 2))
SCATTER_ERRORS = _fixed(
    Case((X, 0, I22.astype(np.float64), SRC)), Case((X, 0, np.array([[3]]), SRC)), Case((X, 0, np.array([[-1]]), SRC)),
    Case((X, 0, np.array([0, 1]), SRC)), Case((X, 0, np.zeros((4, 1), dtype=np.int64), SRC)),
    Case((X, 0, I22, SRC.astype(np.float32))), Case((X, 2, I22, SRC)), Case((X, 0, np.zeros((2, 3), np.int64), SRC)))
REDUCE_ERRORS = _fixed(Case((X, 0, I22, SRC, "max")), Case((X, 0, I22.astype(np.float64), SRC, "sum")),
                       Case((X, 0, I22, SRC.astype(np.float32), "sum")))
I1 = np.array([0, 2])
S24 = np.ones((2, 4))
INDEX_ERRORS = _fixed(Case((X, 0, I1.astype(np.float64), S24)), Case((X, 0, I1[None], S24)),
                      Case((X, 0, I1, S24[:, :3])), Case((X, 0, np.array([0, 1, 2]), S24)),
                      Case((X, 0, np.array([0, 3]), S24)), Case((X, 0, I1, S24.astype(np.float32))),
                      Case((X, 0, np.array([-1, 0]), S24)))
COPY_ERRORS = _fixed(Case((X, 0, I1.astype(np.int32), S24)), Case((X, 0, I1, S24[:, :3])),
                     Case((X, 0, I1, S24.astype(np.float32))), Case((X, 0, np.array([0, 3]), S24)))
FILL_ERRORS = _fixed(Case((X, 0, I1.astype(np.int32), 2.0)), Case((X, 0, I1[None], 2.0)),
                     Case((X, 0, I1, np.array([2.0]))), Case((X, 0, np.array([5]), 2.0)))

SCATTER = scatter_cases("replace")
ADD = scatter_cases("add")
INDEX_ADD, INDEX_COPY, INDEX_FILL = index_cases("add"), index_cases("copy"), index_cases("fill")


def _th(name: str) -> Any:
    def call(torch: Any, *args: Any, **kw: Any) -> Any:
        return getattr(torch, name)(*args, **kw)
    return call


def _th_index_at(name: str) -> Any:
    def call(torch: Any, x: Any, source: Any, dim: Any, index: Any, **kw: Any) -> Any:
        return getattr(torch, name)(x, dim, torch.from_numpy(index), source, **kw)
    return call


_base = [
    OpSpec("scatter", _th("scatter"), tg("scatter"), SCATTER, dtypes=REALS, errors=SCATTER_ERRORS),
    OpSpec("scatter_add", _th("scatter_add"), tg("scatter_add"), ADD, dtypes=REALS, errors=SCATTER_ERRORS),
    OpSpec("index_add", _th("index_add"), tg("index_add"), INDEX_ADD, dtypes=REALS, errors=INDEX_ERRORS),
    OpSpec("index_copy", _th("index_copy"), tg("index_copy"), INDEX_COPY, dtypes=REALS, errors=COPY_ERRORS),
    OpSpec("index_fill", _th("index_fill"), tg("index_fill"), INDEX_FILL, dtypes=REALS, errors=FILL_ERRORS),
]


def _reduce_cases(rng: np.random.Generator, dtype: str) -> list[Case]:
    out = []
    for how in ("sum", "prod", "mean", "amax", "amin"):
        out += [Case(c.args, c.params, how) for c in scatter_cases(how)(rng, dtype)[:5]]
    return out


SPECS: list[OpSpec] = _base + [
    OpSpec("scatter_reduce", _th("scatter_reduce"), tg("scatter_reduce"), _reduce_cases, dtypes=REALS,
           errors=REDUCE_ERRORS, grads_by_tag=True),
    OpSpec("scatter_at", _th_scatter_at, tg("scatter_at"), primitive_cases(SCATTER), dtypes=REALS),
    OpSpec("scatter_add_at", lambda torch, x, src, dim, index: torch.scatter_add(x, dim, torch.from_numpy(index), src),
           tg("scatter_add_at"), primitive_cases(ADD), dtypes=REALS),
    OpSpec("scatter_reduce_at", _th_scatter_reduce_at, tg("scatter_reduce_at"), primitive_cases(_reduce_cases),
           dtypes=REALS, grads_by_tag=True),
    OpSpec("index_add_at", _th_index_at("index_add"), tg("index_add_at"), _index_primitive(INDEX_ADD), dtypes=REALS),
    OpSpec("index_copy_at", _th_index_at("index_copy"), tg("index_copy_at"), _index_primitive(INDEX_COPY),
           dtypes=REALS),
    OpSpec("index_fill_at", _th_index_at("index_fill"), tg("index_fill_at"), _index_primitive(INDEX_FILL),
           dtypes=REALS),
    OpSpec("masked_select", _th("masked_select"), tg("masked_select"), _masked_select_cases,
           errors=_fixed(Case((X, (X > 3).astype(np.int64))), Case((X, np.ones((3, 3), dtype=bool))))),
    OpSpec("take", lambda torch, x, i: torch.take(x, i), tg("take"), _take_cases,
           errors=_fixed(Case((X, np.array([12]))), Case((X, np.array([-13]))), Case((X, np.array([0], np.int32))))),
    OpSpec("take_along_dim", _th("take_along_dim"), tg("take_along_dim"), _take_along_cases,
           errors=_fixed(Case((X, np.array([[0]], np.int32)), {"dim": 1}), Case((X, np.array([0])), {"dim": 1}))),
    OpSpec("nonzero", _th("nonzero"), tg("nonzero"), _nonzero_cases, grad=False),
    OpSpec("argwhere", _th("argwhere"), tg("argwhere"), _argwhere_cases, grad=False),
] + [inplace_spec(spec, f"{spec.name}_") for spec in _base]
