"""Products: mm, bmm, mv, addmm, addmv, baddbmm, addbmm, addcmul, addcdiv, inner, kron,
cdist, cartesian_prod.

The matrix products are ``matmul`` with PyTorch's stricter rules (exact ranks, one dtype, no
batch broadcasting) and its words for each refusal; NumPy's ``matmul`` (BLAS) does the work,
and each VJP is two more matmuls, written with ``xp`` so second order works. ``addmm`` &
co. add ``beta * input`` (``input`` broadcast to the product's shape as PyTorch's ``expand``
does; with ``beta=0`` it is ignored, NaN included) to ``alpha`` times the product.

``cdist`` computes the p-norm of every pairwise difference (batch dims broadcast); its VJP
follows PyTorch's conventions: no gradient where two points coincide, nor along a
coordinate where they agree, and for ``p=inf`` the full gradient to every coordinate
attaining the maximum. It is differentiable twice (PyTorch's is not).
``inner``, ``kron`` and ``cartesian_prod`` are composites of registered ops.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.dispatch import raise_if_not_broadcastable
from tapegrad.testing.samples import EdgeCase, Sample

from .linalg import _mT
from .scatter import _np_dtype, torch_type
from .shape import _expand_shape

if TYPE_CHECKING:
    from tapegrad import Registry, Tensor


def _ndim(a: Any) -> int:
    return len(getattr(a, "shape", ()))


def _no_bool(*arrays: Any) -> None:
    if any(_np_dtype(a.dtype).kind == "b" for a in arrays):
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _scaled(x: Any, s: Any) -> Any:
    """``s * x``, leaving ``x`` alone for ``s == 1`` (PyTorch's ``maybe_multiply``)."""
    return x if isinstance(s, (int, float)) and s == 1 else x * s


def _coefficient(x: Any, s: Any) -> Any:
    """``beta``/``alpha`` as the product's dtype holds them: integer tensors truncate a float, as PyTorch's."""
    return int(s) if _np_dtype(x.dtype).kind in "iu" and isinstance(s, float) else s


# ---------------------------------------------------------------------------- mm, bmm, mv
def _check_mm(a: Any, b: Any) -> None:
    if _ndim(a) != 2:
        raise RuntimeError("self must be a matrix")
    if _ndim(b) != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_np_dtype(a.dtype)} != "
                           f"{_np_dtype(b.dtype)}")
    _no_bool(a, b)


def _mm(xp: Any, a: Any, b: Any) -> Any:
    """The matrix product of two 2-D tensors (no broadcasting: see ``matmul``)."""
    _check_mm(a, b)
    return xp.matmul(a, b)


def _check_bmm(a: Any, b: Any) -> None:
    if _ndim(a) != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if _ndim(b) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {torch_type(a.dtype)} but found {torch_type(b.dtype)}")
    _no_bool(a, b)


def _bmm(xp: Any, a: Any, b: Any) -> Any:
    """Batched matrix product of two 3-D tensors with the same batch size: ``out[i] = a[i] @ b[i]``."""
    _check_bmm(a, b)
    return xp.matmul(a, b)


def _check_mv(m: Any, v: Any, out_ndim: int = 1, out_dtype: Any = None) -> None:
    if out_ndim != 1 or _ndim(m) != 2 or _ndim(v) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {out_ndim}, {_ndim(m)}, {_ndim(v)}")
    if m.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({m.shape[0]}), mat ({m.shape[0]}x{m.shape[1]}), "
                           f"vec ({v.shape[0]})")
    first = v.dtype if out_dtype is None else out_dtype
    if not (m.dtype == v.dtype == first):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {torch_type(first)}, "
                           f"{torch_type(m.dtype)}, and {torch_type(v.dtype)}")
    _no_bool(m, v)


def _mv(xp: Any, m: Any, v: Any) -> Any:
    """Matrix-vector product of a 2-D and a 1-D tensor."""
    _check_mv(m, v)
    return xp.matmul(m, v)


def _mm_vjp_a(xp: Any, g: Any, out: Any, a: Any, b: Any) -> Any:
    return xp.matmul(g, _mT(xp, b))


def _mm_vjp_b(xp: Any, g: Any, out: Any, a: Any, b: Any) -> Any:
    return xp.matmul(_mT(xp, a), g)


def _mv_vjp_m(xp: Any, g: Any, out: Any, m: Any, v: Any) -> Any:
    return xp.expand_dims(g, axis=-1) * v


def _mv_vjp_v(xp: Any, g: Any, out: Any, m: Any, v: Any) -> Any:
    return xp.matmul(g, m)


# ---------------------------------------------------------------------------- addmm & co.
def _added(xp: Any, input: Any, product: Any, beta: Any, alpha: Any) -> Any:
    """``beta * input + alpha * product``, ``input`` expanded to the product's shape as PyTorch's
    ``expand`` checks it; ``beta=0`` ignores ``input`` (NaN included)."""
    shape = tuple(product.shape)
    _expand_shape(tuple(input.shape), shape)
    if input.dtype != product.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {torch_type(input.dtype)} and "
                           f"{torch_type(product.dtype)}")
    beta, alpha = _coefficient(input, beta), _coefficient(input, alpha)
    scaled = _scaled(product, alpha)
    if beta == 0:
        return xp.asarray(xp.broadcast_to(scaled, shape), copy=True)
    return _scaled(input, beta) + scaled


def _addmm(xp: Any, input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape."""
    _check_mm(mat1, mat2)
    return _added(xp, input, xp.matmul(mat1, mat2), beta, alpha)


def _addmv(xp: Any, input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat @ vec)``; ``input`` broadcasts to the product's shape."""
    _check_mv(mat, vec, max(_ndim(input), 1), input.dtype)
    return _added(xp, input, xp.matmul(mat, vec), beta, alpha)


def _baddbmm(xp: Any, input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``input`` broadcasts to the product's shape."""
    _check_bmm(batch1, batch2)
    return _added(xp, input, xp.matmul(batch1, batch2), beta, alpha)


def _addbmm(xp: Any, input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``: the batch of products summed."""
    if _ndim(batch1) == 3 and _ndim(batch2) == 3 and batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and "
                           f"{batch2.shape[0]}")
    _check_bmm(batch1, batch2)
    products = xp.matmul(batch1, batch2)
    return _added(xp, input, xp.sum(products, axis=0, dtype=products.dtype), beta, alpha)


def _vjp_input(xp: Any, g: Any, out: Any, input: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return _scaled(g, beta)  # in the product's shape: the engine sums it down to input's


def _addmm_vjp_1(xp: Any, g: Any, out: Any, input: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return _scaled(xp.matmul(g, _mT(xp, b)), alpha)


def _addmm_vjp_2(xp: Any, g: Any, out: Any, input: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return _scaled(xp.matmul(_mT(xp, a), g), alpha)


def _addmv_vjp_mat(xp: Any, g: Any, out: Any, input: Any, m: Any, v: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return _scaled(xp.expand_dims(g, axis=-1) * v, alpha)


def _addmv_vjp_vec(xp: Any, g: Any, out: Any, input: Any, m: Any, v: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return _scaled(xp.matmul(g, m), alpha)


def _addbmm_vjp_1(xp: Any, g: Any, out: Any, input: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return _scaled(xp.matmul(g, _mT(xp, b)), alpha)  # (n, p) @ (B, p, m): one per batch


def _addbmm_vjp_2(xp: Any, g: Any, out: Any, input: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    return _scaled(xp.matmul(_mT(xp, a), g), alpha)


# ---------------------------------------------------------------------------- addcmul, addcdiv
def _addcmul(xp: Any, input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """``input + value * tensor1 * tensor2``, all three broadcast."""
    if hasattr(input, "dtype") and _np_dtype(input.dtype).kind == "b":
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    return input + _scaled(tensor1 * tensor2, value)


def _addcdiv(xp: Any, input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """``input + value * tensor1 / tensor2``, all three broadcast; integer ``tensor1``/``tensor2`` are refused."""
    for t in (tensor1, tensor2):
        if hasattr(t, "dtype") and _np_dtype(t.dtype).kind in "biu":
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
                "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
                "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
                "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
                "(input + value * tensor1 / tensor2), for all dtypes.")
    return input + _scaled(tensor1 / tensor2, value)


# ---------------------------------------------------------------------------- cdist
def _check_cdist(x1: Any, x2: Any, p: Any) -> None:
    for name, x in (("X1", x1), ("X2", x2)):
        if _ndim(x) < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {_ndim(x)}D")
    for name, x in (("X1", x1), ("X2", x2)):
        if _np_dtype(x.dtype).kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {torch_type(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {torch_type(x1.dtype)} but found {torch_type(x2.dtype)}")


def _differences(xp: Any, x1: Any, x2: Any) -> Any:
    """``x1[..., i, :] - x2[..., j, :]`` for every pair, shape ``(..., P, R, M)``."""
    return xp.expand_dims(x1, axis=-2) - xp.expand_dims(x2, axis=-3)


def _cdist(xp: Any, x1: Any, x2: Any, *, p: Any = 2.0, compute_mode: Any = None) -> Any:
    """The p-norm distance between each row of ``x1`` and each row of ``x2`` (batch dims broadcast):
    ``out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p``; ``p=0`` counts differing coordinates."""
    _check_cdist(x1, x2, p)
    try:
        d = _differences(xp, x1, x2)
    except ValueError as exc:
        # the batch dims' shapes, not slices: array_api_strict refuses a slice past an empty row dim
        raise_if_not_broadcastable([SimpleNamespace(shape=tuple(x.shape[:-2])) for x in (x1, x2)], exc)
        raise
    a = xp.abs(d)
    if p == 0:
        return xp.sum(xp.astype(d != 0, d.dtype), axis=-1)
    if p == 1:
        return xp.sum(a, axis=-1)
    if p == 2:
        return xp.sqrt(xp.sum(d * d, axis=-1))
    if math.isinf(p):
        return xp.max(a, axis=-1) if a.shape[-1] else xp.sum(a, axis=-1)
    return xp.sum(a ** p, axis=-1) ** (1.0 / p)


def _cdist_slope(xp: Any, d: Any, out: Any, p: Any) -> Any:
    """d out[..., i, j] / d d[..., i, j, k] for the differences ``d`` of the point moved minus the
    other, shape ``(..., P, R, M)``: PyTorch's conventions at coinciding points (0) and at
    coordinates that agree (0)."""
    dist = xp.expand_dims(out, axis=-1)
    zero = xp.zeros_like(d)
    if p == 0:
        return zero
    if p == 1:
        return xp.sign(d)
    if math.isinf(p):
        return xp.where(xp.abs(d) == dist, xp.sign(d), zero)
    apart = dist != 0
    safe = xp.where(apart, dist, xp.ones_like(dist))
    if p == 2:
        return xp.where(apart, d / safe, zero)
    moved = d != 0
    a = xp.where(moved, xp.abs(d), xp.ones_like(d))  # |d| ** (p - 1) is inf at 0 for p < 1: kept off 0
    return xp.where(apart & moved, xp.sign(d) * (a / safe) ** (p - 1), zero)


def _cdist_vjp_1(xp: Any, g: Any, out: Any, x1: Any, x2: Any, *, p: Any = 2.0, compute_mode: Any = None) -> Any:
    return xp.sum(xp.expand_dims(g, axis=-1) * _cdist_slope(xp, _differences(xp, x1, x2), out, p), axis=-2)


def _cdist_vjp_2(xp: Any, g: Any, out: Any, x1: Any, x2: Any, *, p: Any = 2.0, compute_mode: Any = None) -> Any:
    # x2's own differences, as PyTorch's (x1's rule negated would make each zero -0.)
    d = xp.expand_dims(x2, axis=-3) - xp.expand_dims(x1, axis=-2)
    return xp.sum(xp.expand_dims(g, axis=-1) * _cdist_slope(xp, d, out, p), axis=-3)


# ---------------------------------------------------------------------------- composites
def _inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dimension of each: ``out[i..., j...] = sum_k input[i..., k] * other[j..., k]``;
    a 0-d operand multiplies."""
    import tapegrad

    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    if input.dtype != other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    k = input.shape[-1]
    flat = tapegrad.matmul(input.reshape(-1, k), other.reshape(-1, k).transpose(0, 1))
    return flat.reshape(tuple(input.shape[:-1]) + tuple(other.shape[:-1]))


def _kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: every element of ``input`` times the whole of ``other``, in blocks;
    the shorter shape gains leading 1s."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    spread_a = a.reshape(tuple(s for d in a.shape for s in (d, 1)))
    spread_b = b.reshape(tuple(s for d in b.shape for s in (1, d)))
    return (spread_a * spread_b).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def _cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, one per row (``itertools.product``
    order); a single tensor is returned as it is."""
    import tapegrad

    for i, t in enumerate(tensors):  # PyTorch's: no list of tensors (it would unpack it silently here)
        if not isinstance(t, tapegrad.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    shape = tuple(t.shape[0] for t in tensors)
    columns = []
    for k, t in enumerate(tensors):
        lined = t.reshape(*[-1 if j == k else 1 for j in range(len(tensors))])
        columns.append(tapegrad.broadcast_to(lined, shape).reshape(-1))
    return tapegrad.stack(columns, dim=1)


# ---------------------------------------------------------------------------- samples
MM_SAMPLES = [Sample((2, 3), (3, 4)), Sample((1, 1), (1, 2)), Sample((3, 2), (2, 3))]
BMM_SAMPLES = [Sample((2, 2, 3), (2, 3, 4)), Sample((1, 3, 1), (1, 1, 2))]
MV_SAMPLES = [Sample((2, 3), (3,)), Sample((1, 1), (1,))]
COEFFICIENTS: tuple[dict[str, Any], ...] = ({}, {"beta": 0.5, "alpha": -2.0}, {"beta": 0})
ADDMM_SAMPLES = [Sample((2, 4), (2, 3), (3, 4), **c) for c in COEFFICIENTS] + [
    Sample((4,), (2, 3), (3, 4)), Sample((2, 1), (2, 3), (3, 4), alpha=2), Sample((), (2, 3), (3, 4))]
ADDMV_SAMPLES = [Sample((2,), (2, 3), (3,), **c) for c in COEFFICIENTS] + [Sample((1,), (2, 3), (3,)),
                                                                           Sample((), (2, 3), (3,))]
BADDBMM_SAMPLES = [Sample((2, 2, 4), (2, 2, 3), (2, 3, 4), **c) for c in COEFFICIENTS] + [
    Sample((4,), (2, 2, 3), (2, 3, 4)), Sample((2, 1, 1), (2, 2, 3), (2, 3, 4))]
ADDBMM_SAMPLES = [Sample((2, 4), (3, 2, 3), (3, 3, 4), **c) for c in COEFFICIENTS] + [Sample((4,), (3, 2, 3),
                                                                                           (3, 3, 4))]
ADDC_SAMPLES = [Sample((2, 3), (2, 3), (2, 3)), Sample((2, 3), (3,), (2, 1), value=-0.5)]
CDIST_SAMPLES = [Sample((3, 2), (4, 2), p=p) for p in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf)] + [
    Sample((2, 3, 2), (1, 4, 2)), Sample((1, 2, 3), (3, 4, 3), p=1.0), Sample((3, 0), (4, 0), p=math.inf)]
CDIST_EDGES = [
    EdgeCase([[0.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, 3.0]], params={"p": p}, grads=grads,
             why="PyTorch: no gradient where points coincide, nor along coordinates that agree")
    for p, grads in (
        (0.5, ([[-2.414213562373095, -1.7071067811865475], [1.0, -1.0]],
               [[-1.0, 0.0], [2.414213562373095, 2.7071067811865475]])),
        (1.0, ([[-1.0, -1.0], [1.0, -1.0]], [[-1.0, 0.0], [1.0, 2.0]])),
        (2.0, ([[-0.4472135954999579, -0.8944271909999159], [1.0, -1.0]],
               [[-1.0, 0.0], [0.4472135954999579, 1.8944271909999157]])),
        (math.inf, ([[0.0, -1.0], [1.0, -1.0]], [[-1.0, 0.0], [0.0, 2.0]])),
        (0.0, ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]])))] + [
    EdgeCase([[0.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [1.0, 3.0]], params={"p": 0.0}, value=[[0.0, 2.0], [1.0, 1.0]],
             why="p=0 counts the coordinates that differ")] + [
    EdgeCase(np.zeros(a), np.zeros(b), raises=RuntimeError,
             match=rf"^The size of tensor a \({m}\) must match the size of tensor b \({n}\) at non-singleton "
                   rf"dimension {d}$", why="PyTorch names the batch dims that differ, even where one side has no rows")
    for a, b, m, n, d in (((2, 0, 3), (3, 4, 3), 2, 3, 0), ((2, 4, 3), (3, 0, 3), 2, 3, 0),
                          ((2, 5, 4, 3), (3, 4, 3), 5, 3, 1))]  # batch ranks apart: counted from the left


def _ref_cdist(x1: Any, x2: Any, p: Any = 2.0, compute_mode: Any = None) -> Any:
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(x1.dtype)
    return np.max(d, -1, initial=0.0) if math.isinf(p) else (d ** p).sum(-1) ** (1 / p)  # no coordinates: 0


def _ref_added(product: Any) -> Any:
    def ref(input: Any, a: Any, b: Any, beta: Any = 1, alpha: Any = 1) -> Any:
        p = product(a, b)
        return alpha * p + (0 if beta == 0 else beta * input)
    return ref


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    exact: dict[str, Any] = {"saves": ("inputs",), "promotion": False}
    registry.register_op("mm", forward=_mm, vjp=(_mm_vjp_a, _mm_vjp_b), methods=("mm",), samples=MM_SAMPLES,
                         reads=((1,), (0,)), reference=np.matmul, **exact)
    registry.register_op("bmm", forward=_bmm, vjp=(_mm_vjp_a, _mm_vjp_b), methods=("bmm",), samples=BMM_SAMPLES,
                         reads=((1,), (0,)), reference=np.matmul, **exact)
    registry.register_op("mv", forward=_mv, vjp=(_mv_vjp_m, _mv_vjp_v), methods=("mv",), samples=MV_SAMPLES,
                         reads=((1,), (0,)), reference=np.matmul, **exact)
    added: dict[str, Any] = {"params": ("beta", "alpha"), **exact}
    for name, forward, rules, samples, product in (
            ("addmm", _addmm, (_addmm_vjp_1, _addmm_vjp_2), ADDMM_SAMPLES, np.matmul),
            ("addmv", _addmv, (_addmv_vjp_mat, _addmv_vjp_vec), ADDMV_SAMPLES, np.matmul),
            ("baddbmm", _baddbmm, (_addmm_vjp_1, _addmm_vjp_2), BADDBMM_SAMPLES, np.matmul),
            ("addbmm", _addbmm, (_addbmm_vjp_1, _addbmm_vjp_2), ADDBMM_SAMPLES, lambda a, b: (a @ b).sum(0))):
        registry.register_op(name, forward=forward, vjp=(_vjp_input, *rules), methods=(name,),
                             inplace_methods=(f"{name}_",), samples=samples, reads=((), (2,), (1,)),
                             reference=_ref_added(product), **added)
    registry.register_op(
        "addcmul", forward=_addcmul, params=("value",), broadcasts=True, saves=("inputs",),
        vjp=(lambda xp, g, out, x, a, b, *, value=1: g,
             lambda xp, g, out, x, a, b, *, value=1: _scaled(g * b, value),
             lambda xp, g, out, x, a, b, *, value=1: _scaled(g * a, value)),
        reads=((), (2,), (1,)), methods=("addcmul",), inplace_methods=("addcmul_",), samples=ADDC_SAMPLES,
        reference=lambda x, a, b, value=1: x + value * a * b)
    registry.register_op(
        "addcdiv", forward=_addcdiv, params=("value",), broadcasts=True, saves=("inputs",),
        vjp=(lambda xp, g, out, x, a, b, *, value=1: g,
             lambda xp, g, out, x, a, b, *, value=1: _scaled(g / b, value),
             lambda xp, g, out, x, a, b, *, value=1: _scaled(-g * a / (b * b), value)),
        reads=((), (2,), (1, 2)), domain=(None, None, (0.5, 2.0)), methods=("addcdiv",),
        inplace_methods=("addcdiv_",), samples=ADDC_SAMPLES, reference=lambda x, a, b, value=1: x + value * a / b)
    registry.register_op(
        "cdist", forward=_cdist, vjp=(_cdist_vjp_1, _cdist_vjp_2), params=("p", "compute_mode"), promotion=False,
        samples=CDIST_SAMPLES, edge_cases=CDIST_EDGES, reference=_ref_cdist)
    registry.register_composite("inner", _inner, methods=("inner",),
                                samples=[Sample((2, 3), (4, 3)), Sample((3,), (3,)), Sample((), (2, 3)),
                                         Sample((2, 1, 3), (3,))],
                                reference=np.inner)
    registry.register_composite("kron", _kron, methods=("kron",),
                                samples=[Sample((2, 3), (3, 2)), Sample((2,), (2, 3)), Sample((), (3,)), Sample((2, 3), (2,))],
                                reference=np.kron)
    registry.register_composite("cartesian_prod", _cartesian_prod,
                                samples=[Sample((2,), (3,)), Sample((2,), (1,), (2,)), Sample((3,))],
                                reference=lambda *ts: np.array(np.meshgrid(*ts, indexing="ij")).reshape(len(ts), -1).T
                                if len(ts) > 1 else ts[0])
