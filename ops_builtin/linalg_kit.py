"""The conformance kit's inputs and NumPy references for ``tapegrad.linalg`` (linalg_ops.py).

Samples are well conditioned: a multiple of the identity away from singular, positive-definite
for ``cholesky``, eigenvalues and singular values 1, 2, ..., n (well separated, so the vectors'
gradients are finite and the vectors themselves locally smooth for finite differences).
References are NumPy's own functions, written apart from the forwards.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapegrad.testing.samples import EdgeCase, Sample, Seeded

_SVD_OUTPUTS = ("U", "S", "Vh")


def _well_conditioned(shape: tuple[int, ...], seed: int, shift: float = 3.0) -> np.ndarray:
    """Random matrices a multiple of the identity away from singular."""
    rng = Seeded(seed)
    a = rng.uniform(-1.0, 1.0, shape)
    return a + shift * np.eye(shape[-1]) if len(shape) > 1 and shape[-1] == shape[-2] else a


def _spd(shape: tuple[int, ...], seed: int) -> np.ndarray:
    a = Seeded(seed).uniform(-1.0, 1.0, shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _distinct_symmetric(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Symmetric matrices with well-separated eigenvalues (1, 2, ..., n, rotated)."""
    rng = Seeded(seed)
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    return (q * np.arange(1.0, shape[-1] + 1)[..., None, :]) @ np.swapaxes(q, -1, -2)


def _distinct_singular(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Matrices with well-separated singular values (1, 2, ..., k)."""
    rng = Seeded(seed)
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal((*shape[:-2], m, k)))
    v, _ = np.linalg.qr(rng.standard_normal((*shape[:-2], n, k)))
    return (u * np.arange(1.0, k + 1)) @ np.swapaxes(v, -1, -2)


def _lower(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.tril(_well_conditioned(shape, seed))


SQUARE = [Sample(_well_conditioned((3, 3), 1)), Sample(_well_conditioned((2, 2, 2), 2)), Sample(_well_conditioned((1, 1), 3)),
          Sample(_well_conditioned((2, 3, 2, 2), 50))]  # two batch dims: the batch's -1 is not the matrices' 1
SOLVE_SAMPLES = [
    Sample(_well_conditioned((3, 3), 4), (3, 2)), Sample(_well_conditioned((3, 3), 5), (3,)),
    Sample(_well_conditioned((2, 3, 3), 6), (2, 3)), Sample(_well_conditioned((2, 3, 3), 7), (3, 1)),
    Sample(_well_conditioned((3, 3), 8), (2, 3), left=False), Sample(_well_conditioned((2, 1, 2, 2), 9), (3, 2, 2)),
]
SOLVE_TRIANGULAR_SAMPLES = [
    Sample(_lower((3, 3), 10), (3, 2), upper=False), Sample(_lower((3, 3), 11).T.copy(), (3, 2), upper=True),
    Sample(_lower((2, 3, 3), 12), (2, 3), upper=False, left=False),
    Sample(_lower((3, 3), 13), (3, 1), upper=False, unitriangular=True),
]
SPD = [Sample(_spd((3, 3), 14)), Sample(_spd((2, 2, 2), 15)), Sample(_spd((3, 3), 16), upper=True)]
QR_SAMPLES = [Sample(_well_conditioned((4, 3), 17), output="Q"), Sample(_well_conditioned((4, 3), 18), output="R"),
              Sample(_well_conditioned((2, 3, 3), 19), output="Q"), Sample(_well_conditioned((2, 3, 3), 20), output="R"),
              Sample(_well_conditioned((2, 4), 21), output="Q"), Sample(_well_conditioned((2, 4), 22), output="R")]
# mode="r": R alone, Q an empty (0,) array, and no gradient (PyTorch's backward refuses, in these words).
# An upper triangular A with a positive diagonal is its own R (each Householder step is the identity).
_QR_UPPER = np.array([[2.0, 1.0], [0.0, 3.0]])
QR_MODE_R_EDGES = [EdgeCase(_QR_UPPER, params={"mode": "r", "output": output}, value=value, backward_raises=RuntimeError,
                            backward_match="not computed when mode='r'", why="qr(A, mode='r') computes no Q")
                   for output, value in (("Q", np.zeros((0,))), ("R", _QR_UPPER))]
SVD_SAMPLES = [Sample(_distinct_singular(s, seed), full_matrices=full, output=o)
               for seed, (s, full) in enumerate((((3, 3), True), ((4, 2), False), ((2, 3), False), ((2, 3, 2), False)), 23)
               for o in _SVD_OUTPUTS]
EIGH_SAMPLES = [Sample(_distinct_symmetric(s, seed), output=o)
                for seed, s in enumerate(((3, 3), (2, 2, 2), (1, 1)), 30) for o in ("eigenvalues", "eigenvectors")]
PINV_SAMPLES = [Sample(_well_conditioned((3, 3), 40)), Sample(_distinct_singular((4, 2), 41)),
                Sample(_distinct_singular((2, 3), 42)), Sample(_distinct_singular((2, 3, 2), 43)),
                Sample(_distinct_symmetric((3, 3), 44), hermitian=True)]
LSTSQ_SAMPLES = [Sample(_distinct_singular((4, 2), 45), (4, 3)), Sample(_distinct_singular((2, 3), 46), (2, 2)),
                 Sample(_well_conditioned((3, 3), 47), (3, 1)), Sample(_distinct_singular((2, 4, 2), 48), (4, 1))]
VECTOR_NORM_SAMPLES = [Sample((2, 3)), Sample((2, 3), dim=1), Sample((2, 3, 4), ord=1, dim=(0, -1), keepdim=True),
                       Sample((2, 3), ord=math.inf, dim=0), Sample((4,), ord=3)]
MATRIX_EXP_SAMPLES = [Sample((3, 3)), Sample((2, 2, 2)), Sample(Seeded(49).uniform(-3, 3, (3, 3)))]
CROSS_SAMPLES = [Sample((3,), (3,)), Sample((2, 3), (2, 3)), Sample((3, 2), (3, 2), dim=0), Sample((4, 3), (1, 3)),
                 Sample((2, 1, 3), (1, 4, 3))]
DIAGONAL_SAMPLES = [Sample((3, 3)), Sample((2, 3, 4)), Sample((3, 4), offset=1), Sample((4, 3), offset=-2),
                    Sample((2, 3, 4), offset=1, dim1=0, dim2=2), Sample((3, 2), offset=5),
                    Sample((2, 3, 4), offset=-1), Sample((2, 4, 3), offset=1), Sample((2, 2, 3, 4), offset=1)]


def _slogdet_reference(a: np.ndarray, output: str = "logabsdet") -> np.ndarray:
    return np.linalg.slogdet(a)[0 if output == "sign" else 1]


def _qr_reference(a: np.ndarray, mode: str = "reduced", output: str = "Q") -> np.ndarray:
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    return r if output == "R" else (np.zeros(0) if mode == "r" else q)


def _svd_reference(a: np.ndarray, full_matrices: bool = True, output: str = "S") -> np.ndarray:
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return {"U": u, "S": s, "Vh": vh}[output]


def _eigh_reference(a: np.ndarray, UPLO: str = "L", output: str = "eigenvalues") -> np.ndarray:  # noqa: N803
    w, v = np.linalg.eigh(a)  # a symmetric sample: either triangle
    return w if output == "eigenvalues" else v


def _expm_reference(a: np.ndarray) -> np.ndarray:
    """exp(A) by its Taylor series in extended precision, after scaling by 2**-8 and squaring back."""
    s = 8
    x: Any = np.asarray(a, dtype=np.longdouble) / 2.0 ** s
    term = np.broadcast_to(np.eye(a.shape[-1], dtype=np.longdouble), x.shape).copy()
    total = term.copy()
    for k in range(1, 30):
        term = term @ x / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total.astype(a.dtype)


def _diagonal_reference(a: np.ndarray, offset: int = 0, dim1: int = -2, dim2: int = -1) -> np.ndarray:
    return np.diagonal(a, offset=offset, axis1=dim1, axis2=dim2).copy()


def _lstsq_reference(a: np.ndarray, b: np.ndarray, rcond: Any = None) -> np.ndarray:
    return np.linalg.pinv(a) @ b


def _pinv_reference(a: np.ndarray, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> np.ndarray:
    return np.linalg.pinv(a, hermitian=hermitian)


def _matrix_norm_reference(a: np.ndarray, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False,  # noqa: A002
                           dtype: Any = None) -> np.ndarray:
    return np.asarray(np.linalg.matrix_norm(np.moveaxis(a, dim, (-2, -1)), ord=ord, keepdims=False))


def _solve_triangular_reference(a: np.ndarray, b: np.ndarray, upper: bool, left: bool = True,
                                unitriangular: bool = False) -> np.ndarray:
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - np.diagonal(t, axis1=-2, axis2=-1)[..., None] * np.eye(a.shape[-1]) + np.eye(a.shape[-1])
    if left:
        return np.linalg.solve(t, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def _cross_reference(x: np.ndarray, y: np.ndarray, dim: int = -1) -> np.ndarray:
    a, b = np.broadcast_arrays(x, y)
    return np.cross(a, b, axis=dim)


def _lstsq_tuple_reference(a: np.ndarray, b: np.ndarray, rcond: Any = None, driver: Any = None) -> tuple:
    s = np.linalg.svd(a, compute_uv=False)
    rank = (s > max(a.shape[-2:]) * np.finfo(a.dtype).eps * s[..., :1]).sum(-1)
    return np.linalg.pinv(a) @ b, np.zeros(0), rank, np.zeros(0)


def _norm_reference(a: np.ndarray, ord: Any = None, dim: Any = None, keepdim: bool = False,  # noqa: A002
                    dtype: Any = None) -> np.ndarray:
    if dim is None and ord is None:
        return np.asarray(np.linalg.norm(a.ravel()))
    return np.asarray(np.linalg.norm(a, ord=ord, axis=dim, keepdims=keepdim))


# ---------------------------------------------------------------------------- special points
# B of another dtype is solved in A's, which is the result's, as PyTorch's (float32 A, float64 or int64 B).
_L2 = np.array([[2.0, 0.0], [2.0, 4.0]], dtype=np.float32)  # powers of 2: every solve exact in float32
_X2 = np.array([[0.5], [0.25]], dtype=np.float32)
SOLVE_TRIANGULAR_EDGES = [
    EdgeCase(_L2, np.array([[1.0], [2.0]]), params={"upper": False}, value=_X2, grads=(None, [[0.25], [0.25]]),
             why="PyTorch 2.13: the result has A's dtype, B's gradient B's"),
    EdgeCase(_L2, np.array([[1], [2]]), params={"upper": False}, value=_X2, why="an integer B too"),
    EdgeCase(_L2.astype(np.int64), np.array([[1.0], [2.0]]), params={"upper": False}, raises=NotImplementedError,
             match="\"triangular_solve_cpu\" not implemented for 'Long'"),
]
# Each checked against PyTorch 2.13 by tests/parity/test_edge_cases_torch.py.
_I2 = [[1.0, 0.0], [0.0, 1.0]]
_ONES2 = [[1.0, 1.0], [1.0, 1.0]]
# The sign of a singular det's zero comes from LU's pivoting ([[1, 2], [2, 4]] gives -0. in PyTorch,
# 0. in LAPACK's NumPy path): this A needs no pivot, so both give +0. (the kit compares zeros' signs).
DET_EDGES = [EdgeCase([[4.0, 2.0], [2.0, 1.0]], value=0.0, grads=([[0.0, 0.0], [0.0, 0.0]],),
                      why="PyTorch 2.13: det and its gradient are 0 at an exactly singular A")]
INV_EDGES = [EdgeCase(_I2, value=_I2, grads=([[-1.0, -1.0], [-1.0, -1.0]],), smooth=True)]
MATRIX_EXP_EDGES = [EdgeCase([[0.0, 0.0], [0.0, 0.0]], value=_I2, grads=(_ONES2,), smooth=True,
                             why="exp(0) = I and d exp at 0 is the identity map")]
CHOLESKY_EDGES = [EdgeCase(_I2, value=_I2, grads=([[0.5, 0.5], [0.5, 0.5]],), smooth=True,
                           why="the symmetric gradient PyTorch returns")]
EIGH_EDGES = [EdgeCase(_I2, params={"output": "eigenvalues"}, value=[1.0, 1.0], grads=(_I2,),
                       why="a repeated eigenvalue: the eigenvalues' gradient V diag(g) V^T stays finite")]
SVD_EDGES = [EdgeCase(_I2, params={"output": "S", "full_matrices": False}, value=[1.0, 1.0], grads=(_I2,),
                      why="a repeated singular value: the singular values' gradient U diag(g) Vh stays finite")]
VECTOR_NORM_EDGES = [EdgeCase([0.0, 0.0], value=0.0, grads=([0.0, 0.0],),
                              why="the 2-norm's subgradient at 0 is 0, as PyTorch's")]

# Rank-deficient and wide points for the mutation test: each singular value sits between the
# cutoffs a wrong rtol, atol or shape would give (checked against PyTorch 2.13 by
# tests/parity/specs/mutation_linalg.py).
_EPS = float(np.finfo(np.float64).eps)
PINV_EDGES = [
    EdgeCase(np.diag([1.0, 1e-4, 4e-16]), value=np.diag([1.0, 1e4, 0.0]),
             why="PyTorch 2.13: rtol defaults to max(m, n) * eps times the largest singular value"),
    EdgeCase(np.array([[[1.0, 0.0, 0.0, 0.0], [0.0, 6e-16, 0.0, 0.0]]]),
             value=np.array([[[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]]),
             why="PyTorch 2.13: a wide batch's max(m, n) is its column count"),
    EdgeCase(np.diag([1.0, 1e-4]), params={"atol": 1e-6}, value=np.diag([1.0, 1e4]),
             why="PyTorch 2.13: atol alone makes rtol 0"),
    EdgeCase(np.diag([1.0, 0.5]), params={"atol": 0.5}, value=np.diag([1.0, 0.0]),
             why="PyTorch 2.13: a singular value equal to the cutoff counts as 0"),
]
LSTSQ_EDGES = [
    EdgeCase(np.diag([3.0, 1e-15]), np.array([[3.0], [1.0]]),
             value=(np.array([[1.0], [0.0]]), np.zeros(0), np.array(1), np.zeros(0)),
             why="PyTorch 2.13 (gelsy): rank counts singular values above max(m, n) * eps times the largest"),
    EdgeCase(np.ones((2, 2, 1)), np.ones((2, 2, 1)),
             value=(np.ones((2, 1, 1)), np.zeros(0), np.array([1, 1]), np.zeros(0)),
             why="PyTorch 2.13: a batch of tall matrices, one rank each"),
]
_TALL = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # U = I3, S = (2, 1), Vh = I2 in LAPACK and PyTorch
SVD_FULL_EDGES = [EdgeCase(_TALL, params={"output": "U"}, value=np.eye(3), grads=([[0.0, 0.0], [0.0, 0.0], [0.5, 1.0]],),
                           why="PyTorch 2.13: full_matrices defaults to True; U's gradient uses its first k columns")]
SVD_TUPLE_EDGES = [EdgeCase(_TALL, value=(np.eye(3), np.array([2.0, 1.0]), np.eye(2)),
                            why="PyTorch 2.13: full_matrices defaults to True")]
_ROTATION = np.zeros((8, 8))
_ROTATION[0, 1], _ROTATION[1, 0] = 30.0, -30.0  # 1-norm 30 in two of eight columns: only the max column sum scales it enough
_ROTATED = np.eye(8)
_ROTATED[:2, :2] = [[math.cos(30.0), math.sin(30.0)], [-math.sin(30.0), math.cos(30.0)]]
MATRIX_EXP_MORE_EDGES = [
    EdgeCase(_ROTATION, value=_ROTATED, why="exp of a skew-symmetric block is a rotation (PyTorch 2.13 agrees)"),
    EdgeCase(np.zeros((0, 2, 2)), value=np.zeros((0, 2, 2)), why="PyTorch 2.13: an empty batch of matrices"),
]
MATRIX_EXP_MORE_SAMPLES = [Sample(_well_conditioned((1, 1), 61)), Sample((2, 1, 3, 3))]
SQUARE_RAISES = [EdgeCase(np.ones((2, 3)), raises=RuntimeError, match="must be batches of square matrices",
                          why="PyTorch 2.13 refuses a non-square A")]
SAME_DTYPE_RAISES = [EdgeCase(np.eye(2, dtype=np.float32), np.ones((2, 1)), raises=RuntimeError,
                              match="to have the same dtype", why="PyTorch 2.13 refuses float32 A with float64 B"),
                     EdgeCase(np.ones((2, 3), dtype=np.float32), np.ones((2, 1)), raises=RuntimeError,
                              match="to have the same dtype", why="PyTorch 2.13 checks the dtypes before the shape")]
QR_MORE_SAMPLES = [Sample(_well_conditioned((2, 2, 4), 62), output="R")]  # a batch of wide ones: concat on the last axis
MATRIX_NORM_MORE_SAMPLES = [Sample(_distinct_singular((2, 2, 3, 2), 63), ord="nuc")]  # two batch dims: S's -1 is not 1
MATRIX_NORM_RAISES = [EdgeCase(np.ones((2, 3)), params={"ord": 3}, raises=RuntimeError, match="Order 3 not supported",
                               why="PyTorch 2.13 refuses a matrix ord other than 'fro', 'nuc', +-1, +-2, +-inf")]
NORM_MORE_SAMPLES = [Sample((2, 3), ord=1, dim=(0, 1))]  # a 2-tuple dim: the matrix 1-norm, not the vector one
MULTI_DOT_MORE_SAMPLES = [Sample(_well_conditioned((3,), 64), _well_conditioned((3, 4), 65), _well_conditioned((4, 2), 66))]
LSTSQ_SOLUTION_RAISES = [EdgeCase(np.eye(2, dtype=np.float32), np.ones((2, 1)), raises=RuntimeError,
                                  match="to have the same dtype", why="PyTorch 2.13 refuses float32 A with float64 B")]
MULTI_DOT_RAISES = [EdgeCase(np.ones((2, 3)), np.ones((3, 4)), np.ones((2, 4, 1)), raises=RuntimeError,
                             match="the last tensor must be 1D or 2D", why="PyTorch 2.13 refuses a 3-D last tensor"),
                    EdgeCase(np.ones((2, 3)), raises=TypeError, match="must be tuple of Tensors, not Tensor",
                             why="PyTorch 2.13: one tensor is not a sequence of them")]
