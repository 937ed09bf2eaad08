"""``tapegrad.linalg`` against ``torch.linalg``: values, dtypes, gradients to second order, errors.

Inputs are drawn well conditioned (a multiple of the identity added to square matrices,
positive-definite ones for ``cholesky``, well-separated eigenvalues and singular values for the
decompositions), over batch shapes of rank 0 to 2. Decompositions are compared as returned:
NumPy and PyTorch call the same LAPACK routines, so the vectors' signs agree; their gradients
are compared with random cotangents on every result, gauge-dependent ones included.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..opspec import Case, Gen, OpSpec, th, tg, values

FLOATS = ("float64", "float32")


def batch(rng: np.random.Generator) -> tuple[int, ...]:
    rank = int(rng.integers(0, 3))
    return tuple(int(s) for s in rng.integers(1, 4, size=rank))


def square(rng: np.random.Generator, b: tuple[int, ...], n: int, dtype: str) -> np.ndarray:
    return (values(rng, b + (n, n), "float64", (-1.0, 1.0)) + 2.0 * n * np.eye(n) / 2).astype(dtype)


def spd(rng: np.random.Generator, b: tuple[int, ...], n: int, dtype: str) -> np.ndarray:
    a = values(rng, b + (n, n), "float64", (-1.0, 1.0))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def separated_symmetric(rng: np.random.Generator, b: tuple[int, ...], n: int, dtype: str) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal(b + (n, n)))
    return ((q * np.arange(1.0, n + 1)) @ np.swapaxes(q, -1, -2)).astype(dtype)


def separated(rng: np.random.Generator, b: tuple[int, ...], m: int, n: int, dtype: str) -> np.ndarray:
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(b + (m, k)))
    v, _ = np.linalg.qr(rng.standard_normal(b + (n, k)))
    return ((u * np.arange(1.0, k + 1)) @ np.swapaxes(v, -1, -2)).astype(dtype)


def sizes(rng: np.random.Generator) -> tuple[int, int]:
    return int(rng.integers(1, 5)), int(rng.integers(1, 5))


def one_input(make: Callable[[np.random.Generator, str], tuple[np.ndarray, dict[str, Any]]], n: int = 6) -> Gen:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        return [Case((a,), p) for a, p in (make(rng, dtype) for _ in range(n))]
    return gen


def gen_solve(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        b, n, k = batch(rng), int(rng.integers(1, 4)), int(rng.integers(1, 3))
        a = square(rng, b, n, dtype)
        left = bool(rng.random() < 0.7)
        rhs = [b + (n, k) if left else b + (k, n), b + (n,), (n, k) if left else (k, n)][int(rng.integers(0, 3))]
        if not left and len(rhs) == len(b) + 1:
            rhs = b + (k, n)
        cases.append(Case((a, values(rng, rhs, dtype)), {"left": left}))
    return cases


def gen_solve_triangular(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        b, n, k = batch(rng), int(rng.integers(1, 4)), int(rng.integers(1, 3))
        upper, left, unit = (bool(rng.random() < 0.5) for _ in range(3))
        a = square(rng, b, n, dtype)
        rhs = b + ((n, k) if left else (k, n))
        cases.append(Case((a, values(rng, rhs, dtype)), {"upper": upper, "left": left, "unitriangular": unit}))
    return cases


def gen_square(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((square(rng, batch(rng), int(rng.integers(1, 4)), dtype),)) for _ in range(6)]


def gen_det(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = gen_square(rng, dtype)
    cases.append(Case((-square(rng, (2,), 3, dtype),)))  # negative determinants: slogdet's sign
    return cases


def gen_cholesky(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((spd(rng, batch(rng), int(rng.integers(1, 4)), dtype),), {"upper": bool(rng.random() < 0.3)})
            for _ in range(6)]


def gen_qr(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        m, n = sizes(rng)
        mode = str(rng.choice(["reduced", "reduced", "complete"])) if m <= n else "reduced"
        cases.append(Case((square(rng, batch(rng), max(m, n), "float64")[..., :m, :n].astype(dtype),), {"mode": mode}))
    return cases


def gen_svd(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        m, n = sizes(rng)
        cases.append(Case((separated(rng, batch(rng), m, n, dtype),), {"full_matrices": m == n or rng.random() < 0.3}))
    return cases


def gen_svdvals(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((separated(rng, batch(rng), *sizes(rng), dtype),)) for _ in range(6)]


def gen_eigh(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((separated_symmetric(rng, batch(rng), int(rng.integers(1, 4)), dtype),)) for _ in range(6)]


def gen_pinv(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = gen_svdvals(rng, dtype)
    cases.append(Case((separated_symmetric(rng, (), 3, dtype),), {"hermitian": True}))
    return cases


def gen_lstsq(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        b, (m, n), k = batch(rng), sizes(rng), int(rng.integers(1, 3))
        cases.append(Case((separated(rng, b, m, n, dtype), values(rng, b + (m, k), dtype))))
    return cases


def gen_vector_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = batch(rng) + (int(rng.integers(2, 4)),)
        ord_ = [2, 1, 3, math.inf, -math.inf, 0.5][int(rng.integers(0, 6))]
        dim = [None, -1, (0, -1)][int(rng.integers(0, 3))]
        if dim == (0, -1) and len(s) < 2:
            dim = -1
        cases.append(Case((values(rng, s, dtype, (0.2, 2.0)) * rng.choice([-1.0, 1.0], size=s).astype(dtype),),
                          {"ord": ord_, "dim": dim, "keepdim": bool(rng.random() < 0.5)}))
    return cases


def gen_matrix_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for ord_ in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        m, n = sizes(rng)
        cases.append(Case((separated(rng, batch(rng), m, n, dtype),), {"ord": ord_, "keepdim": bool(rng.random() < 0.5)}))
    cases.append(Case((separated(rng, (2,), 3, 4, dtype).transpose(1, 0, 2).copy(),), {"dim": (0, 2)}))
    return cases


def gen_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((separated(rng, (), 3, 2, dtype),)), Case((separated(rng, (), 3, 2, dtype),), {"ord": 1}),
            Case((values(rng, (4,), dtype),), {"ord": 3}), Case((values(rng, (2, 3, 2), dtype),), {"dim": 1}),
            Case((separated(rng, (2,), 3, 3, dtype),), {"ord": "nuc", "dim": (-2, -1)}),
            Case((values(rng, (2, 3), dtype),), {"ord": math.inf})]


def gen_matrix_exp(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((values(rng, batch(rng) + (n, n), dtype, scale),)) for n, scale in
            ((1, (-1.0, 1.0)), (2, (-1.0, 1.0)), (3, (-2.0, 2.0)), (3, (-4.0, 4.0)), (4, (-0.5, 0.5)))]


def gen_matrix_power(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((square(rng, batch(rng), int(rng.integers(1, 4)), dtype) / 2,), {"n": n}) for n in (3, 2, 1, -1, -2)]


def gen_multi_dot(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for shapes in (((2, 3), (3, 4)), ((3,), (3, 4), (4, 2), (2,)), ((2, 3), (3, 4), (4, 1)), ((4, 1), (1, 4), (4, 3)),
                   ((3,), (3,))):
        cases.append(Case(([values(rng, s, dtype) for s in shapes],)))
    return cases


def gen_cross(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        b = batch(rng)
        other = tuple(1 if rng.random() < 0.3 else d for d in b)  # same rank, size-1 dims broadcast
        if rng.random() < 0.5 or not b:
            cases.append(Case((values(rng, b + (3,), dtype), values(rng, other + (3,), dtype))))
        else:
            cases.append(Case((values(rng, (3,) + b, dtype), values(rng, (3,) + b, dtype)), {"dim": 0}))
    return cases


def gen_diagonal(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        s = batch(rng) + sizes(rng)
        cases.append(Case((values(rng, s, dtype),), {"offset": int(rng.integers(-2, 3))}))
    cases.append(Case((values(rng, (2, 3, 4), dtype),), {"offset": 1, "dim1": 0, "dim2": 2}))
    return cases


def gen_vecdot(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        b = batch(rng)
        n = int(rng.integers(1, 4))
        cases.append(Case((values(rng, b + (n,), dtype), values(rng, b[len(b) // 2:] + (n,), dtype))))
    cases.append(Case((values(rng, (3, 2), dtype), values(rng, (3, 2), dtype)), {"dim": 0}))
    return cases


# ---------------------------------------------------------------------------- gauge
def _signs(lib: Any, U: Any) -> Any:
    """One sign per column of ``U``, chosen from ``U`` itself, the same for ``-U``'s columns flipped."""
    w = lib.tensor(np.linspace(1.0, 2.0, U.shape[-2]).astype(str(U.dtype).rpartition(".")[2]))
    return ((U * w.unsqueeze(-1)).sum(-2)).sign()


def gauge_fixed(path: str, vectors: tuple[int, ...], lib_arg: bool) -> Callable[..., Any]:
    """``path``'s results with the singular/eigen vectors' signs fixed (results ``vectors``: the
    columns of the first, the rows of a second ``Vh``): both libraries' vectors, whichever sign
    LAPACK chose, then agree, and so do the gradients of everything computed from them."""
    def call(*a: Any, **k: Any) -> Any:
        lib, args = (a[0], a[1:]) if lib_arg else (None, a)
        import tapegrad
        lib = lib or tapegrad
        fn: Any = lib
        for part in path.split("."):
            fn = getattr(fn, part)
        out = list(fn(*args, **k))
        s = _signs(lib, out[vectors[0]])
        out[vectors[0]] = out[vectors[0]] * s.unsqueeze(-2)
        if len(vectors) > 1:
            out[vectors[1]] = out[vectors[1]] * s.unsqueeze(-1)
        return tuple(out)
    return call


# ---------------------------------------------------------------------------- errors
def errors(*cases: Callable[[np.random.Generator], Case]) -> Callable[[np.random.Generator], list[Case]]:
    return lambda rng: [make(rng) for make in cases]


def mat(*s: int, dtype: str = "float64") -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: values(rng, s, dtype)


def case(*args: Any, **params: Any) -> Callable[[np.random.Generator], Case]:
    def draw(rng: np.random.Generator, a: Any) -> Any:
        if isinstance(a, list):
            return [draw(rng, x) for x in a]
        return a(rng) if callable(a) else a
    return lambda rng: Case(tuple(draw(rng, a) for a in args), params)


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
NOT_PD = -np.eye(3)
INTS = np.eye(3, dtype=np.int64)
HALF = np.eye(3, dtype=np.float16)

SQUARE_ERRORS = (case(mat(2, 3)), case(mat(3)), case(INTS), case(HALF))


def spec(name: str, gen: Gen, errs: Callable[[np.random.Generator], list[Case]] | None = None,
         grad: bool = True, torch_name: str | None = None) -> OpSpec:
    return OpSpec("linalg." + name, th("linalg." + (torch_name or name)), tg("linalg." + name), gen, dtypes=FLOATS,
                  grad=grad, errors=errs)


def gauge_spec(name: str, gen: Gen, vectors: tuple[int, ...],
               errs: Callable[[np.random.Generator], list[Case]] | None) -> OpSpec:
    return OpSpec("linalg." + name, gauge_fixed("linalg." + name, vectors, True),
                  gauge_fixed("linalg." + name, vectors, False), gen, dtypes=FLOATS, errors=errs)


SPECS = [
    spec("solve", gen_solve, errors(case(mat(2, 3), mat(2, 1)), case(mat(3), mat(3)), case(SINGULAR, mat(2, 1)),
                                    case(np.eye(3), mat(2)), case(INTS, INTS),
                                    case(np.eye(3, dtype=np.float32), mat(3, 1)))),
    spec("solve_triangular", gen_solve_triangular, errors(case(np.eye(3), mat(3), upper=True),
                                                          case(mat(2, 3), mat(2, 1), upper=False),
                                                          case(np.eye(3), mat(2, 1), upper=True))),
    spec("inv", gen_square, errors(*SQUARE_ERRORS, case(SINGULAR))),
    spec("det", gen_det, errors(*SQUARE_ERRORS)),
    spec("slogdet", gen_det, errors(*SQUARE_ERRORS)),
    spec("cholesky", gen_cholesky, errors(*SQUARE_ERRORS, case(NOT_PD))),
    spec("cholesky_ex", gen_cholesky, errors(case(mat(2, 3)), case(mat(3)))),
    spec("qr", gen_qr, errors(case(mat(3)), case(mat(2, 3), mode="bad"), case(INTS))),
    gauge_spec("svd", gen_svd, (0, 2), errors(case(mat(3)), case(INTS))),
    spec("svdvals", gen_svdvals, errors(case(mat(3)), case(INTS))),
    gauge_spec("eigh", gen_eigh, (1,), errors(case(mat(2, 3)), case(mat(3)), case(np.eye(2), UPLO="X"), case(INTS))),
    spec("eigvalsh", gen_eigh, errors(case(mat(2, 3)), case(mat(3)))),
    spec("pinv", gen_pinv, errors(case(mat(3)), case(INTS))),
    spec("lstsq", gen_lstsq, errors(case(mat(3), mat(3)), case(mat(2, 3), mat(3, 1)))),
    spec("vector_norm", gen_vector_norm, errors(case(np.ones(3, dtype=np.int64)))),
    spec("matrix_norm", gen_matrix_norm, errors(case(mat(3)), case(mat(2, 3), ord=3), case(INTS))),
    spec("norm", gen_norm, errors(case(mat(2, 3, 4), ord=2))),
    spec("matrix_exp", gen_matrix_exp, errors(case(mat(2, 3)), case(mat(3)), case(INTS))),
    spec("matrix_power", gen_matrix_power, errors(case(mat(2, 3), n=2), case(SINGULAR, n=-1), case(SINGULAR, n=1.5))),
    spec("multi_dot", gen_multi_dot, errors(case([mat(2, 3)]), case([mat(2, 3), mat(2, 3, 2)]),
                                            case([mat(2, 3), mat(2, 3)]))),
    spec("cross", gen_cross, errors(case(mat(2, 3), mat(2, 2)), case(mat(2, 3), mat(2, 3, dtype="float32")))),
    spec("diagonal", gen_diagonal, errors(case(mat(3)), case(mat(3, 3), dim1=0, dim2=0))),
    spec("vecdot", gen_vecdot, errors(case(mat(2, 3), mat(2, 3, dtype="float32")), case(mat(2, 3), mat(2, 4)))),
]

NO_TORCH_COUNTERPART = {
    "linalg.slogdet_output": "the primitive behind linalg.slogdet, one result per op (PyTorch's has both)",
    "linalg.qr_output": "the primitive behind linalg.qr, one result per op",
    "linalg.svd_output": "the primitive behind linalg.svd and linalg.svdvals, one result per op",
    "linalg.eigh_output": "the primitive behind linalg.eigh and linalg.eigvalsh, one result per op",
    "linalg.lstsq_solution": "the primitive behind linalg.lstsq's solution",
}
