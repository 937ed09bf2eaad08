"""Parity specs of the shape ops in ``ops_builtin/shape_more.py``: random shapes of rank 0 to 3
(size-1 dims included), every dim form each op takes, and the invalid calls PyTorch refuses."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opspec import (DTYPES, FLOATS, Case, Gen, OpSpec, _dim, dim_op, fixed_errors, shape, tg, th, values)

MATRIX_DTYPES = tuple(d for d in DTYPES if d != "bool")  # trace refuses bool (tested under errors)


def _shifts(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    if not s or rng.random() < 0.3:
        return {"shifts": int(rng.integers(-5, 6))}
    k = int(rng.integers(1, 3))
    return {"shifts": tuple(int(v) for v in rng.integers(-5, 6, size=k)),
            "dims": tuple(_dim(rng, s) for _ in range(k))}


def _plane(rng: np.random.Generator, s: tuple[int, ...]) -> tuple[int, int]:
    """Two distinct dims of ``s`` (at least 2-D), negative half the time."""
    a, b = (int(d) for d in rng.choice(len(s), size=2, replace=False))
    return (a - len(s) if rng.random() < 0.5 else a), (b - len(s) if rng.random() < 0.5 else b)


def _rot90(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    return {"k": int(rng.integers(-5, 6)), "dims": _plane(rng, s)}


def _triangle(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    return {"diagonal": int(rng.integers(-4, 5))}


def _diagonal(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    a, b = _plane(rng, s)
    return {"offset": int(rng.integers(-4, 5)), "dim1": a, "dim2": b}


def _diag_embed(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    a, b = _plane(rng, s + (1,))
    return {"offset": int(rng.integers(-3, 4)), "dim1": a, "dim2": b}


def _repeats(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    extra = int(rng.integers(0, 2))
    return {"*": (tuple(int(r) for r in rng.integers(0, 3, size=len(s) + extra)),)}


def _tile(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    return {"*": (tuple(int(r) for r in rng.integers(1, 3, size=int(rng.integers(0, len(s) + 2)))),)}


def _interleave(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"repeats": int(rng.integers(0, 4))}
    if s and rng.random() < 0.7:
        out["dim"] = _dim(rng, s)
    return out


def _move(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    if not s:
        return {"source": 0, "destination": -1}
    k = int(rng.integers(1, len(s) + 1))
    src = [int(d) for d in rng.choice(len(s), size=k, replace=False)]
    dst = [int(d) for d in rng.choice(len(s), size=k, replace=False)]
    return {"source": src[0], "destination": dst[0]} if k == 1 and rng.random() < 0.5 else \
        {"source": tuple(src), "destination": tuple(dst)}


def _unflatten(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    d = _dim(rng, s)
    n = s[d]
    a = int(rng.choice([f for f in range(1, n + 1) if n % f == 0]))
    sizes = [a, n // a] if rng.random() < 0.7 else [n]
    if rng.random() < 0.3:
        sizes[0] = -1
    return {"dim": d, "sizes": tuple(sizes)}


def _sections(rng: np.random.Generator, s: tuple[int, ...]) -> dict[str, Any]:
    d = _dim(rng, s)
    if rng.random() < 0.5:
        return {"*": (int(rng.integers(1, 6)),), "dim": d}  # PyTorch takes it positionally only
    cuts = [int(c) for c in rng.integers(-s[d] - 1, s[d] + 2, size=int(rng.integers(0, 4)))]
    return {"*": (cuts,), "dim": d}


def _even(rng: np.random.Generator, n: int) -> Any:
    if rng.random() < 0.5:
        return [int(c) for c in rng.integers(0, n + 1, size=int(rng.integers(1, 3)))]
    return int(rng.choice([f for f in range(1, n + 1) if n % f == 0]))


def gen_directional(dim: int | None, min_rank: int) -> Gen:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            s = shape(rng, low=min_rank)
            d = (0 if len(s) == 1 else 1) if dim is None else dim
            cases.append(Case((values(rng, s, dtype), _even(rng, s[d]))))
        return cases
    return gen


def gen_several(rank: tuple[int, int], same_shape: bool = False, broadcast: bool = False) -> Gen:
    """One to three tensors of ranks in ``rank`` (of one shape, or broadcasting together)."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            k = int(rng.integers(1, 4))
            base = shape(rng, max_rank=rank[1], low=rank[0])
            shapes = []
            for _ in range(k):
                if same_shape:
                    shapes.append(base)
                elif broadcast:
                    shapes.append(tuple(1 if rng.random() < 0.4 else n for n in base)[int(rng.integers(0, 2)):])
                else:
                    shapes.append(shape(rng, max_rank=rank[1], low=rank[0]))
            cases.append(Case(tuple(values(rng, sh, dtype) for sh in shapes)))
        return cases
    return gen


def gen_stack(kind: str) -> Gen:
    """Lists of tensors that the stack ``kind`` joins: equal shapes but for the joined dim."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            rank = int(rng.integers(0, 4))
            base = list(shape(rng, max_rank=rank, low=rank))
            parts = []
            for _ in range(int(rng.integers(1, 4))):
                s = list(base)
                joined = {"hstack": 0 if rank == 1 else 1, "vstack": 0, "dstack": 2, "column_stack": 1}[kind]
                if joined < rank and not (kind == "column_stack" and rank <= 1):
                    s[joined] = int(rng.integers(1, 4))
                other = str(rng.choice(FLOATS)) if rng.random() < 0.3 else dtype
                parts.append(values(rng, tuple(s), other))
            cases.append(Case((parts,)))
        return cases
    return gen


def gen_meshgrid(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        parts = tuple(values(rng, shape(rng, max_rank=1), dtype) for _ in range(int(rng.integers(1, 4))))
        cases.append(Case(parts, {"indexing": str(rng.choice(["ij", "xy"]))}))
    return cases


def gen_with_tensor(second: Any) -> Gen:
    """A tensor and an integer tensor ``second(rng, shape, dim)`` beside it (counts, indices), with a dim."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            s = shape(rng, low=1)
            d = _dim(rng, s)
            cases.append(Case((values(rng, s, dtype), np.asarray(second(rng, s, d))), {"dim": d}))
        return cases
    return gen


def _counts(rng: np.random.Generator, s: tuple[int, ...], d: int) -> Any:
    return rng.integers(0, 4, size=s[d] if rng.random() < 0.8 else 1)


def _cuts(rng: np.random.Generator, s: tuple[int, ...], d: int) -> Any:
    return rng.integers(0, s[d] + 1, size=int(rng.integers(0, 3))) if rng.random() < 0.7 else 2


def gen_ranked(ranks: tuple[int, int], params: Any = None) -> Gen:
    """Inputs of ranks ``ranks[0]`` to ``ranks[1]`` (no size-0 dims), with ``params(rng, shape)``."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(10):
            s = shape(rng, max_rank=ranks[1], low=ranks[0])
            cases.append(Case((values(rng, s, dtype),), params(rng, s) if params else {}))
        return cases
    return gen


def _args(*shapes: tuple[int, ...]) -> Any:
    """Invalid calls of several-tensor ops: their float64 inputs of ``shapes``."""
    def gen(rng: np.random.Generator) -> list[Case]:
        return [Case(tuple(values(rng, s, "float64") for s in shapes))]
    return gen


def _joined(*gens: Any) -> Any:
    return lambda rng: [c for g in gens for c in g(rng)]


def _with_tensor(name: str) -> tuple[Any, Any]:
    """torch and tapegrad calls whose second argument is an integer tensor (repeats, indices)."""
    return (lambda torch, x, t, **k: getattr(torch, name)(x, t, **k),
            lambda x, t, **k: getattr(__import__("tapegrad"), name)(x, t, **k))


def _stack_mismatch(name: str) -> Any:
    return lambda rng: [Case(([values(rng, (2, 3), "float64"), values(rng, (3, 2), "float64")],))]


SPECS: list[OpSpec] = [
    OpSpec("roll", th("roll"), tg("roll"), dim_op(_shifts),
           errors=fixed_errors(((2, 3), (), {"shifts": (1, 2), "dims": 0}), ((2, 3), (), {"shifts": 1, "dims": 2}),
                               ((), (), {"shifts": 1, "dims": 0}), ((2, 3), (), {"shifts": (1, 2)}))),
    OpSpec("rot90", th("rot90"), tg("rot90"), dim_op(_rot90, min_rank=2),
           errors=fixed_errors(((2, 3), (), {"dims": (0, 1, 2)}), ((3,), (), {}), ((2, 3), (), {"dims": (0, 0)}),
                               ((2, 3), (), {"dims": (0, 2)}), ((2, 3), (), {"dims": (0, -2)}))),
    OpSpec("tril", th("tril"), tg("tril"), dim_op(_triangle, min_rank=2),
           errors=fixed_errors(((3,), (), {}), ((), (), {}))),
    OpSpec("triu", th("triu"), tg("triu"), dim_op(_triangle, min_rank=2),
           errors=fixed_errors(((3,), (), {}), ((), (), {}))),
    OpSpec("diagonal", th("diagonal"), tg("diagonal"), dim_op(_diagonal, min_rank=2),
           errors=fixed_errors(((2, 3), (), {"dim1": 1, "dim2": 1}), ((2, 3), (), {"dim1": 0, "dim2": 2}),
                               ((3,), (), {}))),
    OpSpec("diagonal_copy", th("diagonal_copy"), tg("diagonal_copy"), dim_op(_diagonal, min_rank=2),
           errors=fixed_errors(((2, 3), (), {"dim1": -1, "dim2": 1}))),
    OpSpec("diag_embed", th("diag_embed"), tg("diag_embed"), dim_op(_diag_embed, min_rank=1),
           errors=fixed_errors(((2, 3), (), {"dim1": 1, "dim2": 1}), ((2, 3), (), {"dim1": 0, "dim2": 3}),
                               ((), (), {}))),
    OpSpec("diag", th("diag"), tg("diag"), gen_ranked((1, 2), lambda rng, s: {"diagonal": int(rng.integers(-3, 4))}),
           errors=fixed_errors(((), (), {}), ((2, 2, 2), (), {}))),
    OpSpec("trace", th("trace"), tg("trace"), gen_ranked((2, 2)), dtypes=MATRIX_DTYPES,
           errors=_joined(fixed_errors(((3,), (), {}), ((2, 2, 2), (), {})),
                          lambda rng: [Case((np.ones((2, 2), dtype=bool),))])),
    OpSpec("repeat", lambda torch, x, r: x.repeat(r), lambda x, r: x.repeat(r), dim_op(_repeats),
           errors=fixed_errors(((2, 3), ((2,),), {}), ((2, 3), ((-1, 2),), {}))),
    OpSpec("tile", lambda torch, x, r: torch.tile(x, r), tg("tile"), dim_op(_tile),
           errors=fixed_errors(((2, 3), ((-1,),), {}))),
    OpSpec("repeat_interleave", th("repeat_interleave"), tg("repeat_interleave"), dim_op(_interleave),
           errors=fixed_errors(((2, 3), (), {"repeats": -1}), ((2, 3), (), {"repeats": 2, "dim": 2}))),
    OpSpec("repeat_interleave:tensor", *_with_tensor("repeat_interleave"), gen_with_tensor(_counts),
           errors=lambda rng: [Case((values(rng, (3, 2), "float64"), np.array([1, 2])), {"dim": 0}),
                               Case((values(rng, (3, 2), "float64"), np.array([[1, 2, 0]])), {"dim": 0}),
                               Case((values(rng, (3, 2), "float64"), np.array([1, -2, 0])), {"dim": 0}),
                               Case((values(rng, (3, 2), "float64"), np.array([1.0, 2.0, 0.0])), {"dim": 0})]),
    OpSpec("movedim", th("movedim"), tg("movedim"), dim_op(_move),
           errors=fixed_errors(((2, 3), (), {"source": (0, 0), "destination": (0, 1)}),
                               ((2, 3), (), {"source": (0, 1), "destination": (0,)}),
                               ((2, 3), (), {"source": (0, 1), "destination": (1, 1)}),
                               ((2, 3), (), {"source": 2, "destination": 0}))),
    OpSpec("moveaxis", th("moveaxis"), tg("moveaxis"), dim_op(_move)),
    OpSpec("unflatten", th("unflatten"), tg("unflatten"), dim_op(_unflatten, min_rank=1),
           errors=fixed_errors(((2, 4), (), {"dim": 1, "sizes": (3, 2)}), ((2, 4), (), {"dim": 1, "sizes": ()}),
                               ((2, 4), (), {"dim": 2, "sizes": (2, 2)}))),
    OpSpec("unbind", th("unbind"), tg("unbind"), dim_op(lambda rng, s: {"dim": _dim(rng, s)}, min_rank=1),
           errors=fixed_errors(((), (), {}), ((2, 3), (), {"dim": 2}))),
    OpSpec("tensor_split", th("tensor_split"), tg("tensor_split"), dim_op(_sections, min_rank=1),
           errors=fixed_errors(((2, 3), (0,), {}), ((), (2,), {}), ((2, 3), (2,), {"dim": 2}),
                               ((2, 3), (2.0,), {}))),
    OpSpec("tensor_split:tensor", *_with_tensor("tensor_split"), gen_with_tensor(_cuts),
           errors=lambda rng: [Case((values(rng, (3, 2), "float64"), np.array([1.0])), {"dim": 0}),
                               Case((values(rng, (3, 2), "float64"), np.array([[1]])), {"dim": 0})]),
    OpSpec("hsplit", th("hsplit"), tg("hsplit"), gen_directional(None, 1),
           errors=fixed_errors(((), (2,), {}), ((2, 4), (3,), {}), ((2, 4), (0,), {}))),
    OpSpec("vsplit", th("vsplit"), tg("vsplit"), gen_directional(0, 2),
           errors=fixed_errors(((4,), (2,), {}), ((3, 2), (2,), {}))),
    OpSpec("dsplit", th("dsplit"), tg("dsplit"), gen_directional(2, 3),
           errors=fixed_errors(((2, 4), (2,), {}), ((2, 2, 3), (2,), {}))),
    OpSpec("meshgrid", th("meshgrid"), tg("meshgrid"), gen_meshgrid,
           errors=_joined(lambda rng: [Case((values(rng, (3,), "float64"),), {"indexing": "xx"}),
                                       Case((values(rng, (3,), "float64"), values(rng, (2,), "float32")),
                                            {"indexing": "ij"})],
                          _args((2, 3), (3,)))),
    OpSpec("broadcast_tensors", th("broadcast_tensors"), tg("broadcast_tensors"), gen_several((0, 3), broadcast=True),
           errors=_args((3,), (2, 4))),
    *[OpSpec(f"atleast_{n}d", th(f"atleast_{n}d"), tg(f"atleast_{n}d"), gen_several((0, 3))) for n in (1, 2, 3)],
    *[OpSpec(name, th(name), tg(name), gen_stack(name),
             errors=_joined(lambda rng, name=name: [Case(([],))], _stack_mismatch(name)))
      for name in ("hstack", "vstack", "dstack", "column_stack")],
]
