"""``tapegrad.linalg``: PyTorch's ``torch.linalg``, registered as namespaced ops (the
decompositions, cholesky/qr/svd/eigh/pinv/lstsq, are in linalg_decompositions.py; the kit's
samples and references in linalg_kit.py).

Every forward uses array-API functions of ``xp`` (``xp.linalg.solve``, ``xp.linalg.svd``, ...),
so it runs on any backend with the array API's ``linalg`` extension. Every VJP is written with
``xp`` functions and this module's own ops (called by their dotted names,
``getattr(xp, "linalg.solve")``), so the same rule runs on arrays for first order and on
tensors for ``create_graph=True``: second order (and higher) comes from differentiating the
rule. The rules are the ones in the literature (Giles, "An extended collection of matrix
derivative results", 2008; Murray, "Differentiation of the Cholesky decomposition", 2016;
Townsend, "Differentiating the singular value decomposition", 2016; Seeger et al. for eigh),
in the form PyTorch's ``FunctionsManual.cpp`` uses, batched over leading dimensions.

Several results (``qr``, ``svd``, ``eigh``, ``slogdet``): the op contract gives an op one
array result, so a decomposition is one primitive op per result, ``linalg.svd_output(A,
output="U")``, and the public function is a composite returning PyTorch's named tuple. Each
primitive's VJP is the decomposition's VJP with the other results' cotangents zero; the
engine adds the contributions, which by linearity is the decomposition's VJP. Each result's
node has PyTorch's name (``LinalgSvdBackward0``). The price is recomputing the decomposition
once per result used (and in backward), which these small dense problems afford.

Symmetric inputs: ``cholesky``, ``eigh`` and ``eigvalsh`` read ``(A + A^T) / 2``. On the
symmetric matrices they are defined for, that is ``A`` itself (bit for bit), and the
gradient is the symmetric one PyTorch returns; being a function of every entry, the finite
differences of the conformance kit check it. (PyTorch reads one triangle, so on a
non-symmetric ``A`` the two differ; neither is meaningful there.)

Gauge: eigenvectors and singular vectors are fixed up to sign only. Their gradients are
those of the vectors LAPACK returns, and exactly so for any loss that does not depend on
the sign (``U @ diag(S) @ Vh``, ``V * V``): the tests use such losses. At repeated
eigenvalues or singular values the vectors' gradient divides by zero, and is NaN/inf, as
PyTorch 2.13's is (it neither warns nor raises there); eigenvalue and singular-value
gradients stay finite.

Real dtypes only (tapegrad has no complex tensors); float16 is refused as PyTorch refuses it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import operator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np

from tapegrad import Tensor
from tapegrad.dims import axis
from tapegrad.registry import LaterModule
from tapegrad.return_types import return_type
from tapegrad.testing.samples import Sample

from . import reductions
from .linalg import _mT

if TYPE_CHECKING:
    from tapegrad import Registry

kit = LaterModule(__package__ + ".linalg_kit")  # seeded matrices: a tenth of a first op, made when the kit asks


class LinAlgError(RuntimeError):
    """A matrix the decomposition cannot handle (singular, not positive-definite): PyTorch's
    ``torch.linalg.LinAlgError``, a ``RuntimeError``."""


LinAlgError.__module__ = "tapegrad.linalg"

SlogdetResult = return_type("linalg_slogdet", ["sign", "logabsdet"])

_TORCH_DTYPE = {"float64": "Double", "float32": "Float", "float16": "Half", "bfloat16": "BFloat16",
                "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


# ---------------------------------------------------------------------------- shared helpers
def _op(xp: Any, name: str) -> Callable[..., Any]:
    """This module's op ``linalg.NAME`` in ``xp``: on arrays or, under create_graph, on tensors."""
    return getattr(xp, "linalg." + name)


def _dtype_name(x: Any) -> str:
    return _TORCH_DTYPE.get(str(x.dtype).rpartition(".")[2], str(x.dtype))


def _matrices(name: str, xp: Any, *arrays: Any, names: Sequence[str] = ("A",), square: bool = True) -> None:
    """PyTorch's checks of linalg inputs: at least 2-D, floating (not half), square."""
    for a, label in zip(arrays, names):
        if len(a.shape) < 2:
            raise RuntimeError(f"{name}: The input tensor {label} must have at least 2 dimensions.")
    for a in arrays:
        if not xp.isdtype(a.dtype, "real floating"):
            raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_dtype_name(a)}")
        if _dtype_name(a) in ("Half", "BFloat16"):
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_dtype_name(a)}")
    if square:
        m, n = arrays[0].shape[-2:]
        if m != n:
            raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {m} by {n} matrices")


def _same_dtype(name: str, a: Any, b: Any, names: Sequence[str] = ("A", "B")) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: Expected {names[0]} and {names[1]} to have the same dtype, but found "
                           f"{names[0]} of type {_dtype_name(a)} and {names[1]} of type {_dtype_name(b)} instead")


def _lapack(name: str, what: str, run: Callable[[], Any]) -> Any:
    """``run()``, a backend's LinAlgError (NumPy's, which array_api_strict raises too) as PyTorch's."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - only errors named LinAlgError are translated
        if type(exc).__name__ != "LinAlgError":
            raise
        raise LinAlgError(f"{name}: {what}") from None


_SINGULAR = "The solver failed because the input matrix is singular."


def _grid(xp: Any, like: Any) -> tuple[Any, Any]:
    """Row and column numbers (from 1) of each entry of ``like``'s last two dimensions, in any
    namespace (a cumulative sum of ones: neither ``arange`` nor ``tril`` is an op)."""
    ones = xp.ones_like(like)
    return xp.cumsum(ones, axis=-2), xp.cumsum(ones, axis=-1)


def _tril(xp: Any, x: Any, k: int = 0) -> Any:
    rows, cols = _grid(xp, x)
    return xp.where(rows - cols >= -k, x, 0.0)


def _triu(xp: Any, x: Any, k: int = 0) -> Any:
    rows, cols = _grid(xp, x)
    return xp.where(cols - rows >= k, x, 0.0)


def _eye_like(xp: Any, x: Any) -> Any:
    """The identity in the shape and dtype of the square matrices ``x``."""
    rows, cols = _grid(xp, x)
    return xp.where(rows == cols, xp.ones_like(x), 0.0)


def _diag_embed(xp: Any, v: Any) -> Any:
    """Square matrices with ``v`` (``(..., n)``) on their diagonals."""
    return xp.expand_dims(v, axis=-2) * _eye_like(xp, xp.expand_dims(v, axis=-1) * xp.expand_dims(v, axis=-2))


def _sym(xp: Any, a: Any) -> Any:
    """``(A + A^T) / 2``: ``A`` itself, bit for bit, for a symmetric ``A``."""
    return (a + _mT(xp, a)) * 0.5


def _factors(xp: Any, A: Any, op: str, outputs: Sequence[str], at_once: Callable[[], Any], **params: Any) -> tuple:
    """A decomposition's results for its VJP: under create_graph (tensors) through its per-result
    ops, so that they are differentiated again; on arrays all at once, one factorization."""
    if type(A) is Tensor:
        return tuple(_op(xp, op)(A, output=o, **params) for o in outputs)
    return tuple(at_once())


_SHARED: ContextVar[dict | None] = ContextVar("tapegrad_linalg_shared", default=None)


@contextlib.contextmanager
def sharing_factorizations() -> Iterator[None]:
    """Within it, the per-result ops of one decomposition of one array factorize it once: a
    composite returning all of a decomposition's results (``svd``: U, S, Vh) runs inside one."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def sharing() -> bool:
    """Whether a ``sharing_factorizations`` block is active."""
    return _SHARED.get() is not None


def _factorized(key: tuple, A: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, or inside ``sharing_factorizations`` its result for this very array ``A``
    (by identity: nothing can modify ``A`` in place between the calls of one composite)."""
    memo = _SHARED.get()
    if memo is None:
        return compute()
    found = memo.get((key, id(A)))
    if found is None or found[0] is not A:
        found = memo[(key, id(A))] = (A, compute())
    return found[1]


def _col(b: Any) -> Any:
    return b[..., None]


# ---------------------------------------------------------------------------- solve
def _vector_rhs(a: Any, b: Any) -> bool:
    """PyTorch's rule: ``B`` is a vector (or a batch of them) when it is 1-D or has ``A``'s batch shape."""
    return len(b.shape) == 1 or (len(b.shape) == len(a.shape) - 1 and tuple(b.shape) == tuple(a.shape[:-1]))


def _solve(xp: Any, A: Any, B: Any, *, left: bool = True) -> Any:
    """Solve ``A X = B`` (``X A = B`` with ``left=False``) for square invertible ``A``.

    Batches broadcast; a ``B`` of ``A``'s shape less the last dimension is a vector."""
    _matrices("linalg.solve", xp, A, square=False)
    _same_dtype("linalg.solve", A, B)
    m, n = A.shape[-2:]
    if m != n:
        raise RuntimeError(f"linalg.solve: A must be batches of square matrices, but they are {m} by {n} matrices")
    vector = _vector_rhs(A, B)
    b = _col(B) if vector else B
    if not left:
        b = _mT(xp, b)
    if b.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    a = A if left else _mT(xp, A)
    x = _lapack("torch.linalg.solve", _SINGULAR, lambda: xp.linalg.solve(a, b))
    if not left:
        x = _mT(xp, x)
    return x[..., 0] if vector else x


def _solve_vjp_b(xp: Any, g: Any, X: Any, A: Any, B: Any, *, left: bool = True) -> Any:
    return _op(xp, "solve")(_mT(xp, A), g, left=left)  # A^-T g (left), g A^-T (right)


def _solve_vjp_a(xp: Any, g: Any, X: Any, A: Any, B: Any, *, left: bool = True) -> Any:
    gB = _op(xp, "solve")(_mT(xp, A), g, left=left)
    if _vector_rhs(A, B):
        gB, X = _col(gB), _col(X)
    return -xp.matmul(gB, _mT(xp, X)) if left else -xp.matmul(_mT(xp, X), gB)


# ---------------------------------------------------------------------------- solve_triangular
def _triangle(xp: Any, A: Any, upper: bool, unitriangular: bool) -> Any:
    """The triangle of ``A`` the solve reads (ones on the diagonal for ``unitriangular``)."""
    t = _triu(xp, A) if upper else _tril(xp, A)
    if unitriangular:
        eye = _eye_like(xp, A)
        t = t * (1.0 - eye) + eye
    return t


def _solve_triangular(xp: Any, A: Any, B: Any, *, upper: bool, left: bool = True,
                      unitriangular: bool = False) -> Any:
    """Solve ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A``.

    Only ``A``'s upper (``upper=True``) or lower triangle is read, its diagonal not with ``unitriangular``.
    ``B`` of another dtype (integer, bool, another float) is solved in ``A``'s, the result's, as PyTorch's."""
    for t, label in ((A, "A"), (B, "B")):
        if len(t.shape) < 2:
            raise RuntimeError(f"linalg.solve_triangular: The input tensor {label} must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m != n:
        raise RuntimeError(f"linalg.solve_triangular: A must be batches of square matrices, but they are {m} by {n} "
                           "matrices")
    k = B.shape[-2] if left else B.shape[-1]
    if k != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if _dtype_name(A) not in ("Float", "Double"):  # PyTorch's kernel exists for these (and complex) only
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{_dtype_name(A)}'")
    if B.dtype != A.dtype:
        B = xp.astype(B, A.dtype)
    t = _triangle(xp, A, bool(upper), bool(unitriangular))
    if left:
        return _lapack("linalg.solve_triangular", _SINGULAR, lambda: xp.linalg.solve(t, B))
    return _mT(xp, _lapack("linalg.solve_triangular", _SINGULAR, lambda: xp.linalg.solve(_mT(xp, t), _mT(xp, B))))


def _solve_triangular_vjp_b(xp: Any, g: Any, X: Any, A: Any, B: Any, *, upper: bool, left: bool = True,
                            unitriangular: bool = False) -> Any:
    return _op(xp, "solve_triangular")(_mT(xp, A), g, upper=not upper, left=left, unitriangular=unitriangular)


def _solve_triangular_vjp_a(xp: Any, g: Any, X: Any, A: Any, B: Any, *, upper: bool, left: bool = True,
                            unitriangular: bool = False) -> Any:
    gB = _solve_triangular_vjp_b(xp, g, X, A, B, upper=upper, left=left, unitriangular=unitriangular)
    gA = -xp.matmul(gB, _mT(xp, X)) if left else -xp.matmul(_mT(xp, X), gB)
    gA = _triu(xp, gA, 1 if unitriangular else 0) if upper else _tril(xp, gA, -1 if unitriangular else 0)
    return gA


# ---------------------------------------------------------------------------- inv, det, slogdet
def _inv(xp: Any, A: Any) -> Any:
    """The inverse of each square matrix of ``A``; a singular one is a LinAlgError."""
    _matrices("linalg.inv", xp, A)
    return _lapack("linalg.inv", "The input matrix is singular, so the inversion could not be completed.",
                   lambda: xp.linalg.inv(A))


def _inv_vjp(xp: Any, g: Any, out: Any, A: Any) -> Any:
    t = _mT(xp, out)
    return -xp.matmul(t, xp.matmul(g, t))


def _det(xp: Any, A: Any) -> Any:
    """The determinant of each square matrix of ``A`` (0 for a singular one)."""
    _matrices("linalg.det", xp, A)
    return xp.linalg.det(A)


def _safe_inverse_t(xp: Any, A: Any, d: Any) -> Any:
    """``A^-T`` where ``det A != 0``; the identity's where it is 0, so the product with ``d`` is 0."""
    singular = xp.expand_dims(xp.expand_dims(d == 0, axis=-1), axis=-1)
    eye = _eye_like(xp, A)
    return _mT(xp, _op(xp, "inv")(xp.where(singular, eye, A)))


def _det_vjp(xp: Any, g: Any, d: Any, A: Any) -> Any:
    # d det(A) = det(A) tr(A^-1 dA) (Giles 2.2.2): the cotangent is g det(A) A^-T. As PyTorch 2.13,
    # 0 at an exactly singular A (the cofactor matrix there is not computed).
    scale = xp.expand_dims(xp.expand_dims(g * d, axis=-1), axis=-1)
    return scale * _safe_inverse_t(xp, A, d)


def _slogdet_output(xp: Any, A: Any, *, output: str = "logabsdet") -> Any:
    """One result of ``slogdet``, ``output="sign"`` or ``"logabsdet"``: the primitive behind it.

    One result of ``slogdet``: ``output="sign"`` (no gradient) or ``"logabsdet"``, ``log|det A|``;
    ``tapegrad.linalg.slogdet`` gives both as PyTorch's named pair."""
    _matrices("linalg.slogdet", xp, A)
    if output not in ("sign", "logabsdet"):
        raise ValueError(f"output must be 'sign' or 'logabsdet', got {output!r}")
    sign, logabsdet = _factorized(("slogdet",), A, lambda: xp.linalg.slogdet(A))
    return sign if output == "sign" else logabsdet


def _slogdet_output_vjp(xp: Any, g: Any, out: Any, A: Any, *, output: str = "logabsdet") -> Any:
    if output == "sign":
        return xp.zeros_like(A)
    # d log|det A| = tr(A^-1 dA): the cotangent is g A^-T
    return xp.expand_dims(xp.expand_dims(g, axis=-1), axis=-1) * _mT(xp, _op(xp, "inv")(A))


def _slogdet(A: Any) -> Any:
    """``(sign, logabsdet)`` with ``det A = sign * exp(logabsdet)``, computed without overflow.

    ``(sign, logabsdet)`` of each square matrix: ``det A = sign * exp(logabsdet)``, without
    overflow; a singular matrix gives ``(0, -inf)``. Only ``logabsdet`` has a gradient, ``A^-T``."""
    import tapegrad

    f = tapegrad.linalg.slogdet_output
    with sharing_factorizations():
        return SlogdetResult(f(A, output="sign"), f(A, output="logabsdet"))


# ---------------------------------------------------------------------------- norms
def _vector_norm(xp: Any, x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The vector ``ord``-norm over ``dim`` (every dimension by default).

    The vector ``ord``-norm over ``dim`` (every dimension by default): ``2``, ``1``, ``inf``,
    ``-inf``, ``0`` (non-zeros) or any real ``ord``, ``sum(|x|**ord) ** (1/ord)``."""
    if isinstance(ord, str):
        raise TypeError(f"linalg.vector_norm(): argument 'ord' must be Number, not str")
    if not xp.isdtype(x.dtype, "real floating"):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_dtype_name(x)}")
    return reductions._norm(xp, x, ord, dim, keepdim)


def _vector_norm_vjp(xp: Any, g: Any, out: Any, x: Any, ord: Any = 2, dim: Any = None,  # noqa: A002
                     keepdim: bool = False) -> Any:
    return reductions._norm_vjp(xp, g, out, x, ord, dim, keepdim)


def _matrix_dims(name: str, A: Any, dim: Any) -> tuple[int, int]:
    if len(A.shape) < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (axis(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def _matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False,  # noqa: A002
                 *, dtype: Any = None) -> Any:
    """A matrix norm over the two dimensions ``dim``: Frobenius, nuclear, spectral, 1 or inf.

    The matrix norm over the two dimensions ``dim``: ``"fro"`` (default), ``"nuc"`` (sum of
    singular values), ``2``/``-2`` (largest/smallest singular value), ``1``/``-1`` (max/min
    column sum of ``|A|``), ``inf``/``-inf`` (max/min row sum)."""
    import tapegrad

    name = "linalg.matrix_norm"
    d0, d1 = _matrix_dims(name, A, dim)
    if dtype is not None:
        A = A.to(dtype)
    if not A.is_floating_point():
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_dtype_name(A)}")
    if ord == "fro":
        return tapegrad.linalg.vector_norm(A, 2, dim=(d0, d1), keepdim=keepdim)
    if ord == "nuc" or ord in (2, -2):
        if isinstance(ord, bool):
            raise RuntimeError(f"{name}: Order {ord} not supported.")
        moved = tapegrad.permute(A, (*(i for i in range(A.ndim) if i not in (d0, d1)), d0, d1))
        S = tapegrad.linalg.svdvals(moved)
        r = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
        return tapegrad.unsqueeze(tapegrad.unsqueeze(r, min(d0, d1)), max(d0, d1)) if keepdim else r
    if isinstance(ord, numbers.Real) and not isinstance(ord, bool) and ord in (1, -1, math.inf, -math.inf):
        summed, then = (d0, d1) if abs(ord) == 1 else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        r = sums.amax(then, keepdim=True) if float(ord) > 0 else sums.amin(then, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    raise RuntimeError(f"{name}: Order {ord} not supported.")


def _norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """``vector_norm`` or ``matrix_norm``, chosen from ``ord``, ``dim`` and the rank as PyTorch does.

    ``vector_norm`` or ``matrix_norm``, as PyTorch chooses: with ``dim`` an int (or ``ord`` None
    and ``dim`` None) a vector norm, with ``dim`` a 2-tuple or a 2-D input and ``ord`` given a
    matrix norm; ``ord=None`` is the 2-norm / Frobenius norm."""
    import tapegrad

    if dtype is not None:
        A = A.to(dtype)
    if isinstance(dim, int) and not isinstance(dim, bool):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and A.ndim == 2):
        return _matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A.ndim}D.")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: Order {ord} not supported for vector norms.")
    return tapegrad.linalg.vector_norm(A, 2 if ord is None else ord, dim=dim, keepdim=keepdim)


# ---------------------------------------------------------------------------- matrix functions
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)


def _matrix_exp(xp: Any, A: Any) -> Any:
    """The matrix exponential ``exp(A)`` of each square matrix.

    ``exp(A)`` of each square matrix, by scaling and squaring with the [13/13] Padé approximant
    (Higham 2005), in ``xp`` matrix products and one solve."""
    _matrices("linalg.matrix_exp", xp, A)
    if A.shape[-1] == 0 or math.prod(A.shape) == 0:
        return xp.asarray(A, copy=True)
    norm1 = xp.max(xp.sum(xp.abs(A), axis=-2))  # one scaling for the batch: the largest 1-norm
    theta13 = 5.371920351148152
    s = max(0, int(math.ceil(math.log2(float(norm1) / theta13)))) if float(norm1) > theta13 else 0
    a = A * (2.0 ** -s)
    eye = _eye_like(xp, a)
    b = _PADE13
    a2 = xp.matmul(a, a)
    a4 = xp.matmul(a2, a2)
    a6 = xp.matmul(a4, a2)
    u = xp.matmul(a, xp.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
                  + b[1] * eye)
    v = xp.matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = xp.matmul(r, r)
    return r


def _matrix_exp_vjp(xp: Any, g: Any, out: Any, A: Any) -> Any:
    # Mathias (1996), as PyTorch: the upper-right block of exp([[A^T, g], [0, A^T]]).
    n = A.shape[-1]
    at = _mT(xp, A)
    top = xp.concat([at, g], axis=-1)
    bottom = xp.concat([xp.zeros_like(at), at], axis=-1)
    return _op(xp, "matrix_exp")(xp.concat([top, bottom], axis=-2))[..., :n, n:]


def _matrix_power(A: Any, n: Any) -> Any:
    """``A`` to the integer power ``n`` (of ``inv(A)`` for ``n < 0``; the identity for 0).

    ``A`` multiplied by itself ``n`` times (an int): the identity for 0, powers of ``inv(A)``
    for ``n < 0``; by repeated squaring."""
    import tapegrad

    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    n = operator.index(n)
    if n == 0:  # the identity, with A's zero gradient (as PyTorch's result requires grad)
        from tapegrad.namespace import tensor_namespace as tn

        constant = A.detach()
        return tapegrad.where(tn.zeros_like(constant, dtype=tapegrad.bool), A, _eye_like(tn, constant))
    if n == 1:
        return tapegrad.clone(A)  # a new tensor, as PyTorch's
    base = tapegrad.linalg.inv(A) if n < 0 else A
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else tapegrad.matmul(result, base)
        n >>= 1
        if n:
            base = tapegrad.matmul(base, base)
    return result


def _multi_dot(*tensors: Any) -> Any:
    """The product of a list of matrices; the first and the last may be vectors.

    The product of two or more matrices given as one list (``multi_dot([a, b, c])``, or one by
    one); the first and last may be vectors (a row and a column). Three are multiplied in the
    cheaper order, more left to right."""
    import tapegrad

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    elif len(tensors) == 1:  # PyTorch's words: one tensor is not a sequence of them
        raise TypeError("linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors[0]).__name__}")
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    mats = list(tensors)
    if first.ndim == 1:
        mats[0] = tapegrad.unsqueeze(first, 0)
    if last.ndim == 1:
        mats[-1] = tapegrad.unsqueeze(last, 1)
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    for t in mats[1:]:
        if t.dtype != mats[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{mats[0].dtype} and tensor {mats.index(t)} {t.dtype}")
    if len(mats) == 3:
        (a, b), (_, c), (_, d) = (tuple(m.shape) for m in mats)
        left_first = a * b * c + a * c * d <= b * c * d + a * b * d
        mm = tapegrad.matmul
        out = mm(mm(mats[0], mats[1]), mats[2]) if left_first else mm(mats[0], mm(mats[1], mats[2]))
    else:
        out = functools.reduce(tapegrad.matmul, mats)
    if first.ndim == 1:
        out = tapegrad.squeeze(out, 0)
    if last.ndim == 1:
        out = tapegrad.squeeze(out, -1)
    return out


# ---------------------------------------------------------------------------- cross, diagonal, vecdot
def _cross(xp: Any, x: Any, y: Any, *, dim: int = -1) -> Any:
    """The cross product of 3-vectors along ``dim`` (the shapes broadcast)."""
    if len(x.shape) != len(y.shape):
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    nd = len(x.shape)
    d = axis(dim, nd)
    xs, ys = (len(x.shape) - nd + d, len(y.shape) - nd + d)
    nx = x.shape[xs] if xs >= 0 else 1
    ny = y.shape[ys] if ys >= 0 else 1
    if nx != 3 or ny != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {nx} and {ny}")
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.cross: Expected input and other to have the same dtype, but got "
                           f"{_dtype_name(x)} and {_dtype_name(y)}")
    shape = np.broadcast_shapes(tuple(x.shape), tuple(y.shape))
    return xp.linalg.cross(xp.broadcast_to(x, shape), xp.broadcast_to(y, shape), axis=d - nd)


def _cross_vjp_x(xp: Any, g: Any, out: Any, x: Any, y: Any, *, dim: int = -1) -> Any:
    return _op(xp, "cross")(y, g, dim=dim)  # d <g, x × y> / dx = y × g


def _cross_vjp_y(xp: Any, g: Any, out: Any, x: Any, y: Any, *, dim: int = -1) -> Any:
    return _op(xp, "cross")(g, x, dim=dim)


def _diagonal_axes(A: Any, offset: int, dim1: int, dim2: int) -> tuple[int, int]:
    nd = len(A.shape)
    d1, d2 = axis(dim1, nd), axis(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if isinstance(offset, bool) or not isinstance(offset, numbers.Integral):
        raise TypeError(f"linalg.diagonal(): argument 'offset' must be int, not {type(offset).__name__}")
    return d1, d2


def _diagonal(xp: Any, A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """The diagonal of the matrices over ``dim1`` and ``dim2``, as the last dimension.

    The diagonal (``offset`` above it, or below for negative) of the matrices over ``dim1`` and
    ``dim2``, as the last dimension of the result (a copy)."""
    d1, d2 = _diagonal_axes(A, offset, dim1, dim2)
    rest = [i for i in range(len(A.shape)) if i not in (d1, d2)]
    moved = xp.permute_dims(A, axes=(*rest, d1, d2))
    return xp.asarray(xp.linalg.diagonal(moved, offset=int(offset)), copy=True)


def _diagonal_vjp(xp: Any, g: Any, out: Any, A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    d1, d2 = _diagonal_axes(A, offset, dim1, dim2)
    n, m = A.shape[d1], A.shape[d2]
    k = int(offset)
    rest = [i for i in range(len(A.shape)) if i not in (d1, d2)]
    # Place g on the diagonal of an (n, m) block: entry (i, i + k) gets g[i] for k >= 0, (j - k, j) g[j] below.
    length = g.shape[-1]
    if k >= 0:
        vec = xp.concat([g, _zeros_tail(xp, g, n - length)], axis=-1)
        block = xp.expand_dims(vec, axis=-1) + _zeros_block(xp, g, n, m)
    else:
        vec = xp.concat([g, _zeros_tail(xp, g, m - length)], axis=-1)
        block = xp.expand_dims(vec, axis=-2) + _zeros_block(xp, g, n, m)
    rows, cols = _grid(xp, block)
    block = xp.where(cols - rows == k, block, 0.0)
    inverse = [0] * len(A.shape)
    for position, original in enumerate((*rest, d1, d2)):
        inverse[original] = position
    return xp.permute_dims(block, axes=tuple(inverse))


def _zeros_tail(xp: Any, g: Any, count: int) -> Any:
    """Zeros of ``g``'s batch shape and dtype, ``count`` long in the last dimension."""
    shape = (*g.shape[:-1], count)
    z = xp.sum(xp.zeros_like(g), axis=-1, keepdims=True)  # (..., 1) zeros in g's namespace
    return xp.broadcast_to(z, shape) if count else z[..., :0]


def _zeros_block(xp: Any, g: Any, n: int, m: int) -> Any:
    """Zeros of ``g``'s batch shape and dtype, ``(n, m)`` in the last two dimensions."""
    z = xp.expand_dims(xp.sum(xp.zeros_like(g), axis=-1, keepdims=True), axis=-1)  # (..., 1, 1)
    return xp.broadcast_to(z, (*g.shape[:-1], n, m))


def _vecdot(x: Any, y: Any, *, dim: int = -1) -> Any:
    """The dot product of vectors along ``dim`` (the shapes broadcast): ``(x * y).sum(dim)``."""
    import tapegrad

    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_dtype_name(x)} and y of type {_dtype_name(y)} instead")
    return tapegrad.sum(x * y, dim=dim)


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    def op(name: str, **kw: Any) -> None:
        registry.register_op("linalg." + name, promotion=False, **kw)

    op("solve", forward=_solve, vjp=(_solve_vjp_a, _solve_vjp_b), saves=("inputs", "output"),
       reads=((0, 1, "output"), (0, 1)), node_name="LinalgSolveExBackward0", samples=kit.SOLVE_SAMPLES, edge_cases=kit.SAME_DTYPE_RAISES,
       reference=lambda a, b, left=True: (np.linalg.solve(a, b[..., None])[..., 0] if b.ndim == 1 or b.shape == a.shape[:-1]
                                          else np.linalg.solve(a, b)) if left
       else np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2))
    op("solve_triangular", forward=_solve_triangular, vjp=(_solve_triangular_vjp_a, _solve_triangular_vjp_b),
       reads=((0, "output"), (0,)), node_name="LinalgSolveTriangularBackward0", samples=kit.SOLVE_TRIANGULAR_SAMPLES,
       edge_cases=kit.SOLVE_TRIANGULAR_EDGES, reference=kit._solve_triangular_reference)
    op("inv", forward=_inv, vjp=(_inv_vjp,), saves=("output",), node_name="LinalgInvExBackward0", samples=kit.SQUARE,
       edge_cases=kit.INV_EDGES,
       reference=np.linalg.inv)
    op("det", forward=_det, vjp=(_det_vjp,), node_name="LinalgDetBackward0", samples=kit.SQUARE,
       edge_cases=kit(lambda kit: kit.DET_EDGES + kit.SQUARE_RAISES),
       reference=np.linalg.det)
    op("slogdet_output", forward=_slogdet_output, vjp=(_slogdet_output_vjp,), saves=("inputs",),
       node_name="LinalgSlogdetBackward0", reference=kit._slogdet_reference,
       samples=kit(lambda kit: [Sample(s.inputs[0], output=o) for s in kit.SQUARE for o in ("sign", "logabsdet")]
       + [Sample(-kit._well_conditioned((3, 3), 50), output="logabsdet")]))
    registry.register_composite("linalg.slogdet", _slogdet, samples=kit.SQUARE,
                                reference=lambda a: tuple(np.linalg.slogdet(a)))
    op("vector_norm", forward=_vector_norm, vjp=(_vector_norm_vjp,), params=("ord", "dim", "keepdim"),
       node_name="LinalgVectorNormBackward0", samples=kit.VECTOR_NORM_SAMPLES, edge_cases=kit.VECTOR_NORM_EDGES,
       reference=lambda x, ord=2, dim=None, keepdim=False: np.asarray(
           np.linalg.vector_norm(x, ord=ord, axis=dim, keepdims=keepdim)))
    registry.register_composite("linalg.matrix_norm", _matrix_norm, reference=kit._matrix_norm_reference, samples=kit(lambda kit: [
        Sample(kit._distinct_singular((3, 3), 51)), Sample(kit._distinct_singular((2, 3, 2), 52), ord="nuc"),
        Sample(kit._distinct_singular((3, 2), 53), ord=2), Sample(kit._distinct_singular((3, 2), 54), ord=-2),
        Sample((2, 3), ord=1), Sample((2, 3), ord=-1), Sample((2, 3), ord=math.inf), Sample((2, 3), ord=-math.inf),
        Sample((2, 3, 4), dim=(0, 2))] + kit.MATRIX_NORM_MORE_SAMPLES), edge_cases=kit.MATRIX_NORM_RAISES)
    registry.register_composite("linalg.norm", _norm, reference=kit._norm_reference, samples=kit(lambda kit: [
        Sample((2, 3)), Sample((4,), ord=1), Sample((2, 3, 4), dim=1), Sample((2, 3), ord=math.inf),
        Sample((2, 3, 4), dim=(0, 2))] + kit.NORM_MORE_SAMPLES))
    op("matrix_exp", forward=_matrix_exp, vjp=(_matrix_exp_vjp,), saves=("inputs",),
       node_name="LinalgMatrixExpBackward0", samples=kit(lambda kit: kit.MATRIX_EXP_SAMPLES + kit.MATRIX_EXP_MORE_SAMPLES),
       edge_cases=kit(lambda kit: kit.MATRIX_EXP_EDGES + kit.MATRIX_EXP_MORE_EDGES), reference=kit._expm_reference)
    registry.register_composite("linalg.matrix_power", _matrix_power, samples=kit(lambda kit: [
        Sample((3, 3), n=3), Sample((2, 2, 2), n=2), Sample(kit._well_conditioned((3, 3), 55), n=-2),
        Sample((2, 2), n=0), Sample((2, 2), n=1)]),
        reference=lambda a, n: np.linalg.matrix_power(a, n))
    registry.register_composite("linalg.multi_dot", _multi_dot, samples=kit(lambda kit: [
        Sample(*[kit._well_conditioned(s, seed) for seed, s in enumerate(shapes, 56)])
        for shapes in (((2, 3), (3, 4)), ((3,), (3, 4), (4, 2), (2,)), ((2, 3), (3, 4), (4, 1)), ((4, 1), (1, 4), (4, 3)))]
        + [Sample([kit._well_conditioned((2, 3), 60), kit._well_conditioned((3, 2), 61)]),
           Sample(*[kit._well_conditioned(s, seed) for seed, s in enumerate(((1, 4), (4, 2), (2, 5)), 62)])]  # PyTorch's form: one list
        + kit.MULTI_DOT_MORE_SAMPLES), edge_cases=kit.MULTI_DOT_RAISES,
        reference=lambda *tensors: np.linalg.multi_dot(tensors))
    op("cross", forward=_cross, vjp=(_cross_vjp_x, _cross_vjp_y), saves=("inputs",), params=("dim",),
       reads=((1,), (0,)), node_name="LinalgCrossBackward0", samples=kit.CROSS_SAMPLES,
       reference=kit._cross_reference)
    op("diagonal", forward=_diagonal, vjp=(_diagonal_vjp,), saves=(), node_name="DiagonalBackward0",
       samples=kit.DIAGONAL_SAMPLES, reference=kit._diagonal_reference)
    registry.register_composite("linalg.vecdot", _vecdot, samples=[
        Sample((3,), (3,)), Sample((2, 3), (2, 3)), Sample((2, 3), (3,)), Sample((3, 2), (3, 2), dim=0)],
        reference=lambda x, y, dim=-1: np.sum(x * y, axis=dim))

