"""The decompositions of ``tapegrad.linalg``: cholesky, qr, svd, eigh, and pinv/lstsq built on the SVD.

Each decomposition with several results is one primitive op per result (``linalg.svd_output(A,
output="U")``) and a composite returning PyTorch's named tuple; see linalg_ops.py for the
conventions shared with the other linalg ops (``xp``-only rules, symmetric inputs read as
``(A + A^T) / 2``, the vectors' sign gauge, NaN gradients at repeated values as PyTorch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.registry import LaterModule
from tapegrad.return_types import return_type
from tapegrad.testing.samples import Sample

from .linalg import _mT
from .linalg_ops import (_diag_embed, _dtype_name, _eye_like, _factorized, _factors, _lapack, _matrices, _op, _sym,
                         _tril, sharing, sharing_factorizations)

if TYPE_CHECKING:
    from tapegrad import Registry

kit = LaterModule(__package__ + ".linalg_kit")  # seeded matrices: a tenth of a first op, made when the kit asks

QRResult = return_type("linalg_qr", ["Q", "R"])
SVDResult = return_type("linalg_svd", ["U", "S", "Vh"])
EighResult = return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
CholeskyExResult = return_type("linalg_cholesky_ex", ["L", "info"])
LstsqResult = return_type("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


# ---------------------------------------------------------------------------- cholesky
def _cholesky(xp: Any, A: Any, *, upper: bool = False) -> Any:
    """The Cholesky factor: lower-triangular ``L`` with ``A = L L^T`` (``L^T`` with ``upper=True``).

    The lower-triangular ``L`` with ``A = L L^T`` for symmetric positive-definite ``A``
    (``L^T`` with ``upper=True``). Reads ``(A + A^T) / 2`` (see the module's notes)."""
    _matrices("linalg.cholesky", xp, A)
    what = ("The factorization could not be completed because the input is not positive-definite.")
    L = _lapack("linalg.cholesky", what, lambda: xp.linalg.cholesky(_sym(xp, A)))
    return _mT(xp, L) if upper else L


def _cholesky_vjp(xp: Any, g: Any, out: Any, A: Any, *, upper: bool = False) -> Any:
    # Murray (2016), as PyTorch's cholesky_backward: Phi = L^T gL with its lower triangle mirrored
    # and the diagonal halved, then gA = L^-T Phi L^-1 (symmetric).
    L, gL = (_mT(xp, out), _mT(xp, g)) if upper else (out, g)
    phi = _tril(xp, xp.matmul(_mT(xp, L), gL))
    phi = 0.5 * (phi + _mT(xp, _tril(xp, phi, -1)))
    solve = _op(xp, "solve_triangular")
    gA = solve(_mT(xp, L), phi, upper=True, left=True)
    return solve(L, gA, upper=False, left=False)


def _cholesky_ex(A: Any, *, upper: bool = False, check_errors: bool = False) -> Any:
    """``(L, info)``: ``cholesky`` and an int32 ``info``, 0 (success).

    ``(L, info)``: ``cholesky`` and an int32 ``info`` (0: success). A matrix that is not
    positive-definite raises a LinAlgError here whether or not ``check_errors`` is set (PyTorch
    returns a partial factor and ``info > 0``; tapegrad does not return a wrong ``L``)."""
    import tapegrad

    L = tapegrad.linalg.cholesky(A, upper=upper)
    return CholeskyExResult(L, (L.detach()[..., 0, 0] * 0).to(tapegrad.int32))  # on L's backend


# ---------------------------------------------------------------------------- qr
_QR_MODES = ("reduced", "complete", "r")


def _qr_output(xp: Any, A: Any, *, mode: str = "reduced", output: str = "Q") -> Any:
    """One result of ``qr``: ``output="Q"`` or ``"R"`` (``tapegrad.linalg.qr`` gives both)."""
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _matrices("linalg.qr", xp, A, square=False)
    if output not in ("Q", "R"):
        raise ValueError(f"output must be 'Q' or 'R', got {output!r}")
    full = "complete" if mode == "complete" else "reduced"
    q, r = _factorized(("qr", full), A, lambda: xp.linalg.qr(A, mode=full))
    if output == "R":
        return r
    return xp.zeros((0,), dtype=A.dtype) if mode == "r" else q


def _qr_backward(xp: Any, gQ: Any, gR: Any, A: Any, mode: str) -> Any:
    """The cotangent of ``A`` from those of ``Q`` and ``R`` (either None), as PyTorch's
    linalg_qr_backward (Walter and Lehmann; Liao et al. 2019): for ``m >= n``,
    ``gA = (gQ + Q copyltu(M)) R^-T`` with ``M = R gR^T - gQ^T Q``; a wide ``A = [X | Y]`` is
    ``X``'s square QR with ``R = [U | Q^T Y]``."""
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                           "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    m, n = A.shape[-2:]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    Q, R = _factors(xp, A, "qr_output", ("Q", "R"), lambda: xp.linalg.qr(A, mode=mode), mode=mode)
    if m < n:
        Y, U = A[..., m:], R[..., :m]
        gU = None if gR is None else gR[..., :m]
        gV = None if gR is None else gR[..., m:]
        if gV is not None:
            gQ = xp.matmul(Y, _mT(xp, gV)) if gQ is None else gQ + xp.matmul(Y, _mT(xp, gV))
        gX = _qr_square(xp, gQ, gU, Q, U)
        gY = xp.matmul(Q, gV) if gV is not None else xp.zeros_like(Y)
        return xp.concat([gX, gY], axis=-1)
    return _qr_square(xp, gQ, gR, Q, R)


def _qr_square(xp: Any, gQ: Any, gR: Any, Q: Any, R: Any) -> Any:
    M = 0.0
    if gR is not None:
        M = xp.matmul(R, _mT(xp, gR))
    if gQ is not None:
        M = M - xp.matmul(_mT(xp, gQ), Q)
    low = _tril(xp, M)
    b = xp.matmul(Q, low + _mT(xp, _tril(xp, low, -1)))  # Q copyltu(M)
    if gQ is not None:
        b = b + gQ
    return _op(xp, "solve_triangular")(_mT(xp, R), b, upper=False, left=False)  # b R^-T


def _qr_output_vjp(xp: Any, g: Any, out: Any, A: Any, *, mode: str = "reduced", output: str = "Q") -> Any:
    return _qr_backward(xp, g if output == "Q" else None, g if output == "R" else None, A, mode)


def _qr(A: Any, mode: str = "reduced") -> Any:
    """``(Q, R)`` with ``A = Q R``: ``Q`` with orthonormal columns, ``R`` upper triangular.

    ``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal columns and ``R`` upper triangular.
    ``mode="reduced"`` (default): ``k = min(m, n)`` columns of ``Q``; ``"complete"``: all ``m``;
    ``"r"``: ``R`` only (``Q`` empty, and no gradient). Differentiable except ``"complete"`` with
    ``m > n``, as in PyTorch."""
    import tapegrad

    f = tapegrad.linalg.qr_output
    with sharing_factorizations():
        return QRResult(f(A, mode=mode, output="Q"), f(A, mode=mode, output="R"))


# ---------------------------------------------------------------------------- svd
_SVD_OUTPUTS = ("U", "S", "Vh")


def _svd_output(xp: Any, A: Any, *, full_matrices: bool = True, output: str = "S") -> Any:
    """One result of ``svd``, ``output="U"``, ``"S"`` or ``"Vh"``: the primitive behind svd and svdvals.

    One result of ``svd``: ``output="U"``, ``"S"`` or ``"Vh"`` (``tapegrad.linalg.svd`` gives
    all three, ``svdvals`` ``S``)."""
    _matrices("linalg.svd", xp, A, square=False)
    if output not in _SVD_OUTPUTS:
        raise ValueError(f"output must be one of {_SVD_OUTPUTS}, got {output!r}")
    if output == "S":
        return xp.linalg.svdvals(A) if not sharing() else _svd_of(xp, A, full_matrices)[1]
    u, _, vh = _svd_of(xp, A, full_matrices)
    return u if output == "U" else vh


def _svd_of(xp: Any, A: Any, full_matrices: Any) -> Any:
    return _factorized(("svd", bool(full_matrices)), A, lambda: xp.linalg.svd(A, full_matrices=bool(full_matrices)))


def _svd_backward(xp: Any, gU: Any, gS: Any, gVh: Any, A: Any, full_matrices: bool) -> Any:
    """The cotangent of ``A`` from those of ``U``, ``S``, ``Vh`` (any may be None), as PyTorch's
    svd_backward (Townsend 2016): with ``E_ij = S_j^2 - S_i^2`` (1 on the diagonal),
    ``gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T`` plus the parts of ``gU``
    (``gV``) outside ``U``'s (``V``'s) span for tall (wide) ``A``. ``full_matrices`` with
    ``m != n`` uses the first ``k`` columns, as PyTorch."""
    U, S, Vh = _factors(xp, A, "svd_output", _SVD_OUTPUTS, lambda: xp.linalg.svd(A, full_matrices=False),
                        full_matrices=False)
    m, n = A.shape[-2:]
    k = min(m, n)
    if full_matrices and m != n:
        gU = None if gU is None else gU[..., :k]
        gVh = None if gVh is None else gVh[..., :k, :]
    if gU is None and gVh is None:
        if m >= n:
            return xp.matmul(U, xp.expand_dims(gS, axis=-1) * Vh)
        return xp.matmul(U * xp.expand_dims(gS, axis=-2), Vh)
    Srow, Scol = xp.expand_dims(S, axis=-2), xp.expand_dims(S, axis=-1)
    S2 = S * S
    E = xp.expand_dims(S2, axis=-2) - xp.expand_dims(S2, axis=-1)
    E = E + _eye_like(xp, E)
    inner = 0.0
    if gU is not None:
        UhgU = xp.matmul(_mT(xp, U), gU)
        inner = (UhgU - _mT(xp, UhgU)) * Srow
    if gVh is not None:
        VhgV = xp.matmul(Vh, _mT(xp, gVh))
        inner = inner + Scol * (VhgV - _mT(xp, VhgV))
    gA = inner / E
    if gS is not None:
        gA = gA + _diag_embed(xp, gS)
    if m > n and gU is not None:
        gA = xp.matmul(U, gA)
        gUSinv = gU / Srow
        gA = gA + gUSinv - xp.matmul(U, xp.matmul(_mT(xp, U), gUSinv))
        return xp.matmul(gA, Vh)
    if m < n and gVh is not None:
        gA = xp.matmul(gA, Vh)
        SinvgVh = gVh / Scol
        gA = gA + SinvgVh - xp.matmul(xp.matmul(SinvgVh, _mT(xp, Vh)), Vh)
        return xp.matmul(U, gA)
    return xp.matmul(U, xp.matmul(gA, Vh))


def _svd_output_vjp(xp: Any, g: Any, out: Any, A: Any, *, full_matrices: bool = True, output: str = "S") -> Any:
    gU, gS, gVh = (g if output == o else None for o in _SVD_OUTPUTS)
    return _svd_backward(xp, gU, gS, gVh, A, bool(full_matrices))


def _svd(A: Any, full_matrices: bool = True, *, driver: Any = None) -> Any:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, ``S`` descending.

    ``(U, S, Vh)`` with ``A = U diag(S) Vh``, ``S`` descending. ``full_matrices=False``: ``U``
    is ``m x k`` and ``Vh`` ``k x n`` (``k = min(m, n)``). The vectors are fixed up to sign, so
    differentiate losses that do not depend on it; at repeated singular values their gradient
    is NaN, as PyTorch's."""
    import tapegrad

    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    f = tapegrad.linalg.svd_output
    with sharing_factorizations():
        return SVDResult(*(f(A, full_matrices=full_matrices, output=o) for o in _SVD_OUTPUTS))


def _svdvals(A: Any, *, driver: Any = None) -> Any:
    """The singular values of each matrix of ``A``, descending.

    The singular values of each matrix of ``A``, descending; their gradient is ``U diag(g) Vh``
    and stays finite at repeated values."""
    import tapegrad

    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")
    return tapegrad.linalg.svd_output(A, full_matrices=False, output="S")


# ---------------------------------------------------------------------------- eigh
def _check_uplo(UPLO: Any) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def _eigh_output(xp: Any, A: Any, *, UPLO: str = "L", output: str = "eigenvalues") -> Any:  # noqa: N803
    """One result of ``eigh``, ``output="eigenvalues"`` or ``"eigenvectors"``: the primitive behind eigh and eigvalsh.

    One result of ``eigh``: ``output="eigenvalues"`` or ``"eigenvectors"`` (``tapegrad.linalg.eigh``
    gives both, ``eigvalsh`` the eigenvalues). Reads ``(A + A^T) / 2``; ``UPLO`` is accepted and
    checked (for symmetric ``A`` either triangle gives the same)."""
    _check_uplo(UPLO)
    _matrices("linalg.eigh", xp, A)
    if output not in ("eigenvalues", "eigenvectors"):
        raise ValueError(f"output must be 'eigenvalues' or 'eigenvectors', got {output!r}")
    if output == "eigenvalues" and not sharing():
        return xp.linalg.eigvalsh(_sym(xp, A))
    return _factorized(("eigh",), A, lambda: xp.linalg.eigh(_sym(xp, A)))[0 if output == "eigenvalues" else 1]


def _eigh_output_vjp(xp: Any, g: Any, out: Any, A: Any, *, UPLO: str = "L",  # noqa: N803
                     output: str = "eigenvalues") -> Any:
    # PyTorch's linalg_eig_backward for Hermitian A: gA = V (diag(gL) + skew(V^T gV) / 2E) V^T,
    # E_ij = L_j - L_i (1 on the diagonal).
    L, V = _factors(xp, A, "eigh_output", ("eigenvalues", "eigenvectors"), lambda: xp.linalg.eigh(_sym(xp, A)),
                    UPLO=UPLO)
    if output == "eigenvalues":
        return xp.matmul(V * xp.expand_dims(g, axis=-2), _mT(xp, V))
    VhgV = xp.matmul(_mT(xp, V), g)
    E = xp.expand_dims(L, axis=-2) - xp.expand_dims(L, axis=-1)
    inner = 0.5 * (VhgV - _mT(xp, VhgV)) / (E + _eye_like(xp, E))
    return xp.matmul(V, xp.matmul(inner, _mT(xp, V)))


def _eigh(A: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of symmetric ``A``, the eigenvalues ascending.

    ``(eigenvalues, eigenvectors)`` of symmetric ``A``: ascending eigenvalues ``L`` and
    orthonormal ``V`` with ``A = V diag(L) V^T``. The vectors are fixed up to sign: differentiate
    losses that do not depend on it; at repeated eigenvalues their gradient is NaN, as PyTorch's."""
    import tapegrad

    f = tapegrad.linalg.eigh_output
    with sharing_factorizations():
        return EighResult(f(A, UPLO=UPLO, output="eigenvalues"), f(A, UPLO=UPLO, output="eigenvectors"))


def _eigvalsh(A: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """The eigenvalues of symmetric ``A``, ascending.

    The eigenvalues of symmetric ``A``, ascending; their gradient ``V diag(g) V^T`` stays finite
    at repeated eigenvalues."""
    import tapegrad

    return tapegrad.linalg.eigh_output(A, UPLO=UPLO, output="eigenvalues")


# ---------------------------------------------------------------------------- pinv, lstsq
def _cutoff(xp: Any, S: Any, m: int, n: int, atol: Any, rtol: Any) -> Any:
    """PyTorch's threshold below which singular values count as zero: ``max(atol, rtol * S_max)``,
    ``rtol`` defaulting to ``max(m, n) * eps`` when neither is given (0 when only ``atol`` is)."""
    if rtol is None:
        rtol = max(m, n) * float(np.finfo(str(S.dtype).rpartition(".")[2]).eps) if atol is None else 0.0
    top = S[..., :1] if S.shape[-1] else xp.zeros_like(S[..., :1])
    return xp.maximum(top * float(rtol), float(atol or 0.0))


def _pinv(xp: Any, A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:
    """The Moore-Penrose pseudo-inverse, from the SVD.

    The Moore-Penrose pseudo-inverse, from the SVD: singular values at most
    ``max(atol, rtol * S_max)`` count as 0. ``hermitian=True`` is accepted (the SVD of a symmetric
    ``A`` gives the same pseudo-inverse; the gradient is PyTorch's, not symmetrized)."""
    if len(A.shape) < 2 or not xp.isdtype(A.dtype, "real floating") or _dtype_name(A) in ("Half", "BFloat16"):
        raise RuntimeError(f"linalg.pinv({_dtype_name(A)}{list(A.shape)}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    u, s, vh = xp.linalg.svd(A, full_matrices=False)
    keep = s > _cutoff(xp, s, A.shape[-2], A.shape[-1], atol, rtol)
    inv_s = xp.where(keep, 1.0 / xp.where(keep, s, xp.ones_like(s)), 0.0)
    return xp.matmul(_mT(xp, vh) * xp.expand_dims(inv_s, axis=-2), _mT(xp, u))


def _pinv_backward(xp: Any, g: Any, P: Any, A: Any) -> Any:
    """PyTorch's pinv_backward (Golub and Pereyra 1973), exact where the rank is constant."""
    m, n = A.shape[-2:]
    Pt, gt = _mT(xp, P), _mT(xp, g)
    if m <= n:
        K = xp.matmul(gt, P)
        KPt = xp.matmul(K, Pt)
        return (-_mT(xp, xp.matmul(P, K)) + KPt - xp.matmul(xp.matmul(A, P), KPt)
                + xp.matmul(xp.matmul(Pt, P), gt - xp.matmul(K, A)))
    K = xp.matmul(P, gt)
    PtK = xp.matmul(Pt, K)
    return (-_mT(xp, xp.matmul(K, P)) + xp.matmul(xp.matmul(gt - xp.matmul(A, K), P), Pt) + PtK
            - xp.matmul(xp.matmul(PtK, P), A))


def _pinv_vjp(xp: Any, g: Any, P: Any, A: Any, *, atol: Any = None, rtol: Any = None,
              hermitian: bool = False) -> Any:
    return _pinv_backward(xp, g, P, A)


def _lstsq_solution(xp: Any, A: Any, B: Any, *, rcond: Any = None) -> Any:
    """The minimum-norm least-squares solution of ``A X = B``: the primitive behind lstsq.

    The least-squares solution of ``A X = B``: ``pinv(A, rtol=rcond) @ B``, the minimum-norm
    one for rank-deficient or wide ``A`` (``tapegrad.linalg.lstsq`` is the PyTorch spelling)."""
    for a in (A, B):
        if len(a.shape) < 2:
            raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if A.dtype != B.dtype:  # PyTorch checks this before the dtypes' kind, in its own words
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's dtype "
                           f"{_dtype_name(A)} and other's dtype {_dtype_name(B)}")
    _matrices("torch.linalg.lstsq", xp, A, B, names=("A", "B"), square=False)
    if A.shape[-2] != B.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    return xp.matmul(_pinv(xp, A, rtol=rcond), B)


def _lstsq_vjp_a(xp: Any, g: Any, X: Any, A: Any, B: Any, *, rcond: Any = None) -> Any:
    P = _op(xp, "pinv")(A, rtol=rcond)
    return _pinv_backward(xp, xp.matmul(g, _mT(xp, B)), P, A)


def _lstsq_vjp_b(xp: Any, g: Any, X: Any, A: Any, B: Any, *, rcond: Any = None) -> Any:
    return xp.matmul(_mT(xp, _op(xp, "pinv")(A, rtol=rcond)), g)


def _lstsq(A: Any, B: Any, rcond: Any = None, *, driver: Any = None) -> Any:
    """``(solution, residuals, rank, singular_values)`` of the least-squares problem ``A X = B``.

    ``(solution, residuals, rank, singular_values)`` of the least-squares problem ``A X = B``,
    as PyTorch's CPU default driver ``"gelsy"`` returns them: the minimum-norm solution, empty
    residuals and singular values, and the rank. Other drivers are refused."""
    import tapegrad

    if driver not in (None, "gelsy"):
        raise RuntimeError(f"torch.linalg.lstsq: driver={driver!r} is not supported by tapegrad; only the CPU default "
                           "'gelsy' is")
    X = tapegrad.linalg.lstsq_solution(A, B, rcond=rcond)
    with tapegrad.no_grad():
        S = tapegrad.linalg.svdvals(A)
        m, n = A.shape[-2:]
        eps = float(np.finfo(np.dtype(str(A.dtype).rpartition(".")[2])).eps)
        rank = (S > (max(m, n) * eps if rcond is None else float(rcond)) * S[..., :1]).sum(-1)
    residuals = X.flatten()[:0].clone()  # empty, as "gelsy" leaves them; tied to the graph as PyTorch's
    return LstsqResult(X, residuals, rank.to(tapegrad.int64), A.detach().flatten()[:0].clone())


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    def op(name: str, **kw: Any) -> None:
        registry.register_op("linalg." + name, promotion=False, **kw)

    op("cholesky", forward=_cholesky, vjp=(_cholesky_vjp,), saves=("output",), node_name="LinalgCholeskyExBackward0",
       samples=kit.SPD, edge_cases=kit.CHOLESKY_EDGES, reference=lambda a, upper=False: np.swapaxes(np.linalg.cholesky(a), -1, -2) if upper
       else np.linalg.cholesky(a))
    registry.register_composite("linalg.cholesky_ex", _cholesky_ex, samples=kit(lambda kit: kit.SPD[:2] + [Sample(kit._spd((1, 1), 60))]),
                                reference=lambda a, upper=False, check_errors=False: (np.linalg.cholesky(a),
                                                                                     np.zeros(a.shape[:-2], np.int32)))
    op("qr_output", forward=_qr_output, vjp=(_qr_output_vjp,), saves=("inputs",), node_name="LinalgQrBackward0",
       samples=kit(lambda kit: kit.QR_SAMPLES + kit.QR_MORE_SAMPLES), reference=kit._qr_reference,
       edge_cases=kit.QR_MODE_R_EDGES)
    registry.register_composite("linalg.qr", _qr, samples=kit(lambda kit: [Sample(s.inputs[0]) for s in kit.QR_SAMPLES[::2]]),
                                reference=lambda a, mode="reduced": tuple(np.linalg.qr(a, mode=mode)))
    op("svd_output", forward=_svd_output, vjp=(_svd_output_vjp,), saves=("inputs",), node_name="LinalgSvdBackward0",
       samples=kit.SVD_SAMPLES, edge_cases=kit(lambda kit: kit.SVD_EDGES + kit.SVD_FULL_EDGES), reference=kit._svd_reference)
    registry.register_composite("linalg.svd", _svd,
                                samples=kit(lambda kit: [Sample(s.inputs[0], full_matrices=s.params["full_matrices"])
                                         for s in kit.SVD_SAMPLES[::3]]),
                                reference=lambda a, full_matrices=True: tuple(np.linalg.svd(a, full_matrices=full_matrices)),
                                edge_cases=kit.SVD_TUPLE_EDGES)
    registry.register_composite("linalg.svdvals", _svdvals, samples=kit(lambda kit: [Sample(s.inputs[0]) for s in kit.SVD_SAMPLES[::3]]),
                                reference=lambda a: np.linalg.svd(a, compute_uv=False))
    op("eigh_output", forward=_eigh_output, vjp=(_eigh_output_vjp,), saves=("inputs",),
       node_name="LinalgEighBackward0", samples=kit.EIGH_SAMPLES, edge_cases=kit.EIGH_EDGES, reference=kit._eigh_reference)
    registry.register_composite("linalg.eigh", _eigh, samples=kit(lambda kit: [Sample(s.inputs[0]) for s in kit.EIGH_SAMPLES[::2]]),
                                reference=lambda a, UPLO="L": tuple(np.linalg.eigh(a)))
    registry.register_composite("linalg.eigvalsh", _eigvalsh, samples=kit(lambda kit: [Sample(s.inputs[0]) for s in kit.EIGH_SAMPLES[::2]]),
                                reference=lambda a, UPLO="L": np.linalg.eigvalsh(a))
    op("pinv", forward=_pinv, vjp=(_pinv_vjp,), node_name="LinalgPinvBackward0", samples=kit.PINV_SAMPLES,
       edge_cases=kit.PINV_EDGES, reference=kit._pinv_reference)
    op("lstsq_solution", forward=_lstsq_solution, vjp=(_lstsq_vjp_a, _lstsq_vjp_b), saves=("inputs",),
       node_name="LinalgLstsqBackward0", samples=kit.LSTSQ_SAMPLES, reference=kit._lstsq_reference,
       edge_cases=kit.LSTSQ_SOLUTION_RAISES)
    registry.register_composite("linalg.lstsq", _lstsq, samples=kit(lambda kit: kit.LSTSQ_SAMPLES[:2]), reference=kit._lstsq_tuple_reference,
                                edge_cases=kit.LSTSQ_EDGES)
