"""``tapegrad.nn.functional``: activations, ``linear``/``bilinear``, and the vector helpers
(``normalize``, ``cosine_similarity``, ``pairwise_distance``, ``one_hot``, ``embedding``, ``dropout``).

Where PyTorch has a kernel of its own, the op is a primitive with its own VJP, named as PyTorch
names its node (``elu`` and ``selu`` both print ``EluBackward0``, ``relu6`` ``HardtanhBackward0``);
where PyTorch's is a composition in Python or ATen (``softsign`` is ``x / (1 + |x|)``, ``softmin``
is ``softmax(-x)``, ``normalize`` divides by a clamped norm), it is a composite over the same ops,
so its nodes are PyTorch's too. Every VJP uses ``xp`` and Python operators only, so the same rule
runs under ``create_graph=True`` for second order. Gradients at kinks follow PyTorch's kernels:
``hardtanh`` passes nothing at its bounds, ``elu``'s slope at 0 is ``alpha``, ``hardswish``'s at 3 is
1.5, ``threshold`` and the shrinks pass the gradient only strictly beyond the threshold.

The ops PyTorch also has at top level with the same signature (``torch.selu``, ``torch.celu``,
``torch.threshold``, ``torch.hardshrink``, ``torch.cosine_similarity``, ``torch.pairwise_distance``,
``torch.bilinear``) get those names as aliases; ``torch.dropout(input, p, train)`` and
``torch.embedding(weight, indices)`` take other arguments, so they are not aliased.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from tapegrad.dims import axis
from tapegrad.dispatch import raise_if_not_broadcastable
from tapegrad.testing.samples import EdgeCase, Sample, Seeded

if TYPE_CHECKING:
    from tapegrad import Registry

NS = "nn.functional."
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ONE_SIXTH_F32 = float(np.float32(1.0 / 6.0))  # hardsigmoid's slope: PyTorch's kernel writes 1.0f / 6.0f


# ---------------------------------------------------------------------------- helpers
def functional(name: str) -> Callable[..., Any]:
    """``tapegrad.nn.functional.NAME``, for composites calling their siblings."""
    from tapegrad.optable import lookup

    return lookup(NS + name).apply


def ops() -> Any:
    import tapegrad

    return tapegrad.ops


def tensor_like(host: np.ndarray, like: Any) -> Any:
    """A host array as a tensor of ``like``'s dtype on ``like``'s backend (masks, class weights)."""
    from tapegrad.creation import as_tensor
    from tapegrad.dtypes import to_numpy_dtype

    out = as_tensor(np.asarray(host).astype(to_numpy_dtype(like.dtype)) if host.dtype.kind != "b" else host)
    return out if out.device == like.device else out.to(like.device)


def real(op: str, name: str, value: Any) -> Any:
    """A static parameter that must be a real number (not a bool, not a tensor)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}(): argument '{name}' must be a real number, not {type(value).__name__}")
    return value


def no_inplace(op: str, inplace: Any) -> None:
    """``inplace=True`` would write into the input; tapegrad's functional ops are out of place."""
    if inplace:
        raise NotImplementedError(f"{op}(): inplace=True is not supported; use the result of {op}(x) instead")


# ---------------------------------------------------------------------------- hardtanh, relu6, threshold
def _hardtanh(xp: Any, x: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Any:
    """``x`` clipped to ``[min_val, max_val]``; the gradient is zero at and beyond the bounds."""
    real("hardtanh", "min_val", min_val)
    real("hardtanh", "max_val", max_val)
    no_inplace("hardtanh", inplace)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return xp.minimum(xp.maximum(x, min_val), max_val)


def _hardtanh_vjp(xp: Any, g: Any, ans: Any, x: Any, min_val: float = -1.0, max_val: float = 1.0,
                  inplace: bool = False) -> Any:
    # PyTorch's: nothing passes at or beyond the bounds, nor at NaN (its vectorised kernel)
    return xp.where(xp.logical_and(x > min_val, x < max_val), g, 0.0)


def relu6(input: Any, inplace: bool = False) -> Any:
    """``min(max(x, 0), 6)``: PyTorch's ``hardtanh(x, 0, 6)``."""
    no_inplace("relu6", inplace)
    return functional("hardtanh")(input, 0.0, 6.0)


def _threshold(xp: Any, x: Any, *, threshold: float, value: float, inplace: bool = False) -> Any:
    """``x`` where ``x > threshold``, else ``value``."""
    real("threshold", "threshold", threshold)
    real("threshold", "value", value)
    no_inplace("threshold", inplace)
    return xp.where(x <= threshold, value, x)  # NaN is not <= threshold: it passes, as in PyTorch


def _threshold_vjp(xp: Any, g: Any, ans: Any, x: Any, *, threshold: float, value: float, inplace: bool = False) -> Any:
    return xp.where(x <= threshold, 0.0, g)


# ---------------------------------------------------------------------------- the elu family
def _elu_like(xp: Any, x: Any, alpha: float, scale: float, input_scale: float) -> Any:
    """``scale * x`` for ``x > 0``, ``scale * alpha * (exp(input_scale * x) - 1)`` otherwise:
    ATen's one kernel behind elu, selu and celu."""
    negative = alpha * xp.expm1(xp.minimum(x, 0.0) * input_scale)  # min: no overflow where unused
    return scale * xp.where(x > 0, x, negative)


def _elu_like_vjp(xp: Any, g: Any, x: Any, alpha: float, scale: float, input_scale: float) -> Any:
    slope = alpha * input_scale * xp.exp(xp.minimum(x, 0.0) * input_scale)
    return g * scale * xp.where(x > 0, 1.0, slope)  # ATen's: slope alpha * input_scale at 0, NaN at NaN


def _elu(xp: Any, x: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    real("elu", "alpha", alpha)
    no_inplace("elu", inplace)
    return _elu_like(xp, x, alpha, 1.0, 1.0)


def _selu(xp: Any, x: Any, inplace: bool = False) -> Any:
    """``scale * elu(x, alpha)`` with SELU's fixed ``alpha = 1.6733`` and ``scale = 1.0507``."""
    no_inplace("selu", inplace)
    return _elu_like(xp, x, SELU_ALPHA, SELU_SCALE, 1.0)


def _celu(xp: Any, x: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    real("celu", "alpha", alpha)
    no_inplace("celu", inplace)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu_like(xp, x, alpha, 1.0, 1.0 / alpha)


# ---------------------------------------------------------------------------- smooth gates
def _silu(xp: Any, x: Any, inplace: bool = False) -> Any:
    """``x * sigmoid(x)`` (swish)."""
    no_inplace("silu", inplace)
    return x * xp.sigmoid(x)


def _silu_vjp(xp: Any, g: Any, ans: Any, x: Any, inplace: bool = False) -> Any:
    s = xp.sigmoid(x)
    return g * s * (1 + x * (1 - s))


def _mish(xp: Any, x: Any, inplace: bool = False) -> Any:
    """``x * tanh(softplus(x))``."""
    no_inplace("mish", inplace)
    return x * xp.tanh(xp.softplus(x))


def _mish_vjp(xp: Any, g: Any, ans: Any, x: Any, inplace: bool = False) -> Any:
    t = xp.tanh(xp.softplus(x))
    return g * (t + x * xp.sigmoid(x) * (1 - t * t))


def _logsigmoid(xp: Any, x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, without overflow for any ``x``."""
    return xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))


def _logsigmoid_vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    return g * xp.sigmoid(-x)


def _hardsigmoid(xp: Any, x: Any, inplace: bool = False) -> Any:
    """``relu6(x + 3) / 6``."""
    no_inplace("hardsigmoid", inplace)
    return xp.minimum(xp.maximum(x + 3.0, 0.0), 6.0) / 6.0


def _hardsigmoid_vjp(xp: Any, g: Any, ans: Any, x: Any, inplace: bool = False) -> Any:
    return xp.where(xp.logical_and(x > -3.0, x < 3.0), g * ONE_SIXTH_F32, 0.0)


def _hardswish(xp: Any, x: Any, inplace: bool = False) -> Any:
    """``x * relu6(x + 3) / 6``."""
    no_inplace("hardswish", inplace)
    return x * xp.minimum(xp.maximum(x + 3.0, 0.0), 6.0) / 6.0


def _hardswish_vjp(xp: Any, g: Any, ans: Any, x: Any, inplace: bool = False) -> Any:
    # PyTorch's: 0 up to -3, x / 3 + 1/2 on (-3, 3) and at NaN (its vectorised kernel), 1 from 3 on
    return xp.where(x >= 3.0, g, xp.where(x <= -3.0, 0.0, g * (x / 3.0 + 0.5)))


def softsign(input: Any) -> Any:
    """``x / (1 + |x|)``."""
    return input / (1 + ops().abs(input))


def tanhshrink(input: Any) -> Any:
    """``x - tanh(x)``."""
    return input - ops().tanh(input)


def _shrink_lambd(op: str, lambd: Any) -> float:
    real(op, "lambd", lambd)
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return lambd


def _softshrink(xp: Any, x: Any, lambd: float = 0.5) -> Any:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between.

    +0. between, as PyTorch's vectorised kernel (its scalar loop, run on a short tensor's elements,
    gives -0. for a negative ``x``)."""
    _shrink_lambd("softshrink", lambd)
    return xp.where(xp.abs(x) <= lambd, 0.0, x - xp.sign(x) * lambd)  # NaN stays NaN


def _hardshrink(xp: Any, x: Any, lambd: float = 0.5) -> Any:
    """``x`` where ``|x| > lambd``, else 0."""
    real("hardshrink", "lambd", lambd)  # any lambd, negative too, as PyTorch's
    return xp.where(xp.logical_and(x >= -lambd, x <= lambd), 0.0, x)  # NaN stays NaN


def _shrink_vjp(xp: Any, g: Any, ans: Any, x: Any, lambd: float = 0.5) -> Any:
    return xp.where(xp.logical_or(x > lambd, x < -lambd), g, 0.0)  # nothing at NaN, as PyTorch's vectorised kernel


# ---------------------------------------------------------------------------- glu, softmin
def _glu_halves(x: Any, dim: Any) -> tuple[int, int]:
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = axis(dim, x.ndim)
    if x.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}")
    return d, x.shape[d] // 2


def _half(x: Any, d: int, start: int, size: int) -> Any:
    return x[(slice(None),) * d + (slice(start, start + size), Ellipsis)]


def _glu(xp: Any, x: Any, dim: int = -1) -> Any:
    """The gated linear unit: ``a * sigmoid(b)`` with ``a``, ``b`` the halves of ``x`` along ``dim``."""
    d, n = _glu_halves(x, dim)
    return _half(x, d, 0, n) * xp.sigmoid(_half(x, d, n, n))


def _glu_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: int = -1) -> Any:
    d, n = _glu_halves(x, dim)
    a, s = _half(x, d, 0, n), xp.sigmoid(_half(x, d, n, n))
    return xp.concat([g * s, g * a * s * (1 - s)], axis=d)


def _softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's implicit dim for the softmax family, with its deprecation warning (at the user's line)."""
    from .nn_losses import warn_user  # nn_losses imports this module

    warn_user(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
              "dim=X as an argument.")
    return 0 if ndim in (0, 1, 3) else 1


# PyTorch 2.13's softmin without dim: dim 0 for 0-d, 1-d and 3-d inputs, else dim 1
_SOFTMIN_IMPLICIT: list[tuple[Any, Any, int]] = [
    (np.array(1.5), 1.0, 0),
    ([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], [[0.3314989604240915, 0.12195165230972885, 0.5465493872661796],
                                           [0.26538792877224193, 0.7213991842739687, 0.013212886953789414]], 1),
    ([[[1.0, 2.0], [0.5, 0.0]], [[-1.0, 3.0], [2.0, 2.5]]],
     [[[0.11920292202211755, 0.7310585786300049], [0.8175744761936437, 0.9241418199787566]],
      [[0.8807970779778823, 0.2689414213699951], [0.18242552380635632, 0.07585818002124356]]], 0)]


def softmin(input: Any, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    """``softmax(-x, dim)``: weights that favour the smallest entries."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return ops().softmax(-input, dim=dim, dtype=dtype)


# ---------------------------------------------------------------------------- linear maps
def linear(input: Any, weight: Any, bias: Any = None) -> Any:
    """``input @ weight.T + bias``: ``weight`` is ``(out_features, in_features)`` (or ``(in_features,)``)."""
    out = ops().matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Any:
    """``y_k = x1 . weight[k] . x2 + bias_k``, ``weight`` of shape ``(out, in1, in2)``."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.ndim != 3 or weight.shape[1] != input1.shape[-1] or weight.shape[2] != input2.shape[-1]:
        raise RuntimeError(f"bilinear(): weight of shape {list(weight.shape)} does not fit inputs of sizes "
                           f"{input1.shape[-1]} and {input2.shape[-1]}")
    out = ops().einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


# ---------------------------------------------------------------------------- vectors
def _floating(name: str, *tensors: Any) -> None:
    for t in tensors:
        if hasattr(t, "dtype") and not t.is_floating_point():
            raise RuntimeError(f"{name}: expected a floating point tensor as input, got {t.dtype}")


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Any:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported; use the returned tensor")
    _floating("normalize", input)
    norm = ops().norm(input, p, dim, keepdim=True)
    return input / ops().clamp(norm, min=eps).expand_as(input)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Any:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``; broadcasts."""
    if not (x1.is_floating_point() or x2.is_floating_point()):
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {x1.dtype}")
    shape = broadcast_shape(x1, x2)
    x1, x2 = ops().broadcast_to(x1, shape), ops().broadcast_to(x2, shape)
    n1, n2 = _norm_at_least(x1, dim, eps), _norm_at_least(x2, dim, eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _norm_at_least(x: Any, dim: int, eps: float) -> Any:
    """``max(||x||, eps)`` along ``dim`` (kept), whose gradient is the norm's own even below ``eps``:
    PyTorch clamps a copy of the norm in place under no_grad, so below eps the gradient is not 1/eps
    times ``x2``'s direction alone but also has the norm's term (9e7, not 1e8, at ``||x1|| = 3e-9``)."""
    n = ops().norm(x, 2, dim, keepdim=True)
    return ops().where(n < eps, (n - n.detach()) + eps, n)  # exactly eps below it (n - n is 0), and no in-place write: vmap batches it


def broadcast_shape(a: Any, b: Any) -> tuple[int, ...]:
    """The shape ``a`` and ``b`` broadcast to, or PyTorch's "The size of tensor a ..." error."""
    try:
        return tuple(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    except ValueError as exc:
        raise_if_not_broadcastable((a, b), exc)
        raise


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Any:
    """``||x1 - x2 + eps||_p`` over the last dimension; broadcasts."""
    ndim = max(x1.ndim, getattr(x2, "ndim", 0))
    return ops().norm(x1 - x2 + eps, p, ndim - 1 if ndim else None, keepdim=keepdim)


# ---------------------------------------------------------------------------- indices
def host_indices(name: str, indices: Any, kinds: str = "iu") -> np.ndarray:
    """An index tensor's values on the host (class labels, embedding rows decide positions, not values)."""
    data = getattr(indices, "_data", indices)
    array = np.asarray(data)
    if array.dtype.kind not in kinds:
        raise RuntimeError(f"{name}: expected an integer index tensor, got {array.dtype}")
    return array


def _one_hot(xp: Any, x: Any, num_classes: int = -1) -> Any:
    """``(*x.shape, num_classes)`` int64 with a 1 at each index (``num_classes=-1``: max + 1)."""
    labels = np.asarray(x)
    if labels.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if labels.size and labels.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = xp.reshape(xp.arange(num_classes, dtype=xp.int64), (1,) * x.ndim + (num_classes,))
    return xp.astype(xp.expand_dims(x, axis=-1) == classes, xp.int64)


def _embedding_rows(indices: Any, weight: Any, padding_idx: Any) -> tuple[np.ndarray, int | None]:
    rows = host_indices("embedding", indices)
    if rows.dtype.kind == "u" or rows.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {rows.dtype} instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    return rows, padding_idx


def _embedding(xp: Any, input: Any, weight: Any, padding_idx: int | None = None, max_norm: Any = None,
               norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Any:
    """The rows of ``weight`` at ``input``; the row ``padding_idx`` gets no gradient."""
    if max_norm is not None or sparse:
        raise NotImplementedError("embedding(): max_norm (which renormalises the weight in place) and sparse "
                                  "gradients are not supported")
    rows, _ = _embedding_rows(input, weight, padding_idx)
    return xp.getitem(weight, index=(rows,))


def _embedding_vjp(xp: Any, g: Any, ans: Any, input: Any, weight: Any, padding_idx: int | None = None,
                   max_norm: Any = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                   sparse: bool = False) -> Any:
    rows, padding_idx = _embedding_rows(input, weight, padding_idx)
    keep = np.ones(rows.shape, dtype=np.float64)
    if padding_idx is not None:
        keep[rows == padding_idx] = 0.0
    if scale_grad_by_freq:
        counts = np.bincount(rows.reshape(-1), minlength=weight.shape[0])
        keep = keep / counts[rows]
    if padding_idx is not None or scale_grad_by_freq:
        g = g * xp.asarray(keep[..., None], dtype=g.dtype)
    return xp.index_scatter_add(g, index=(rows,), shape=tuple(weight.shape))


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` while
    ``training``; the mask is drawn from tapegrad's seeded generator (``manual_seed``). With
    ``training=False`` or ``p=0`` the input itself is returned, as PyTorch's."""
    real("dropout", "p", p)
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    no_inplace("dropout", inplace)
    if not training or p == 0:
        return input
    if not input.is_floating_point():
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype}")
    from tapegrad.creation import _rng

    keep = _rng().random(tuple(input.shape)) >= p  # p == 1 keeps nothing, as PyTorch's
    mask = tensor_like(keep * (0.0 if p == 1 else 1.0 / (1.0 - p)), input)
    return input * mask


# ---------------------------------------------------------------------------- references (plain NumPy)
def _np_sigmoid(x: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(np.asarray(x) / 2.0))


def _np_elu(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
    x = np.asarray(x)
    return scale * np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0) * input_scale) - 1.0))


def _np_softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


REFERENCES: dict[str, Callable[..., Any]] = {
    "hardtanh": lambda x, min_val=-1.0, max_val=1.0, inplace=False: np.clip(x, min_val, max_val),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "threshold": lambda x, threshold, value, inplace=False: np.where(x > threshold, x, value),
    "elu": lambda x, alpha=1.0, inplace=False: _np_elu(x, alpha),
    "selu": lambda x, inplace=False: _np_elu(x, SELU_ALPHA, SELU_SCALE),
    "celu": lambda x, alpha=1.0, inplace=False: _np_elu(x, alpha, 1.0, 1.0 / alpha),
    "silu": lambda x, inplace=False: x * _np_sigmoid(x),
    "mish": lambda x, inplace=False: x * np.tanh(_np_softplus(x)),
    "logsigmoid": lambda x: -_np_softplus(-np.asarray(x)),
    "hardsigmoid": lambda x, inplace=False: np.clip(np.asarray(x) / 6.0 + 0.5, 0.0, 1.0),
    "hardswish": lambda x, inplace=False: x * np.clip(np.asarray(x) + 3.0, 0.0, 6.0) / 6.0,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "tanhshrink": lambda x: x - np.tanh(x),
    "softshrink": lambda x, lambd=0.5: np.sign(x) * np.maximum(np.abs(x) - lambd, 0.0) + 0.0,  # + 0.0: no -0.
    "hardshrink": lambda x, lambd=0.5: np.where(np.abs(x) > lambd, x, 0.0),
}


def _np_glu(x: Any, dim: int = -1) -> Any:
    a, b = np.split(np.asarray(x), 2, axis=dim)
    return a * _np_sigmoid(b)


def _np_softmin(x: Any, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    e = np.exp(-(x - np.min(x, axis=dim, keepdims=True)))
    return e / e.sum(axis=dim, keepdims=True)


def _np_linear(x: Any, w: Any, b: Any = None) -> Any:
    out = np.asarray(x) @ (w.T if w.ndim == 2 else w)
    return out if b is None else out + b


def _np_bilinear(x1: Any, x2: Any, w: Any, b: Any = None) -> Any:
    out = np.einsum("...i,kij,...j->...k", x1, w, x2)
    return out if b is None else out + b


def _np_normalize(x: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Any:
    norm = np.sum(np.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / np.maximum(norm, eps)


def _np_cosine(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Any:
    n1 = np.maximum(np.linalg.norm(x1, axis=dim, keepdims=True), eps)
    n2 = np.maximum(np.linalg.norm(x2, axis=dim, keepdims=True), eps)
    return np.sum((x1 / n1) * (x2 / n2), axis=dim)


def _np_pairwise(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Any:
    d = np.abs(np.asarray(x1) - x2 + eps)
    return np.sum(d ** p, axis=-1, keepdims=keepdim) ** (1.0 / p)


def _np_dropout(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
    """The input, zeros for ``p=1``, else the kept elements scaled by ``1 / (1 - p)``: dropout declares
    ``random``, so the kit seeds tapegrad's generator alike before the op and before this reference,
    and ``tapegrad.rand`` here draws the op's uniform numbers (an element is kept where its number is
    at least ``p``, as PyTorch's bernoulli(1 - p))."""
    x = np.asarray(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0  # x * 0: PyTorch's -0. for x < 0, NaN for inf
    import tapegrad

    kept = np.asarray(tapegrad.rand(x.shape, dtype=tapegrad.float64)) >= p
    return x * kept / (1 - p)


def _np_embedding(i: Any, w: Any, padding_idx: Any = None, **_: Any) -> Any:
    return np.asarray(w)[i]


# ---------------------------------------------------------------------------- edge cases (PyTorch 2.13's values)
EDGE_CASES: dict[str, list[EdgeCase]] = {
    "hardtanh": [EdgeCase([-1.0, 1.0, 0.0, -2.0], value=[-1.0, 1.0, 0.0, -1.0], grads=([0.0, 0.0, 1.0, 0.0],),
                          why="no gradient at the bounds, as PyTorch's hardtanh_backward")],
    "relu6": [EdgeCase([0.0, 6.0, 3.0], value=[0.0, 6.0, 3.0], grads=([0.0, 0.0, 1.0],), why="hardtanh(x, 0, 6)")],
    "elu": [EdgeCase([0.0], value=[0.0], grads=([1.0],), why="the x <= 0 branch at 0: alpha"),
            EdgeCase([0.0], params={"alpha": 2.0}, value=[0.0], grads=([2.0],)),
            EdgeCase([-1.0], value=[-0.6321205588285577], grads=([0.36787944117144233],), why="alpha's default 1")],
    "selu": [EdgeCase([0.0], value=[0.0], grads=([SELU_ALPHA * SELU_SCALE],), why="the x <= 0 branch at 0"),
             EdgeCase([-1.0, 1.0], value=[-1.1113307378125625, 1.0507009873554805],
                      grads=([0.646768603034814, 1.0507009873554805],), why="PyTorch's alpha and scale, to every digit")],
    "celu": [EdgeCase([0.0], params={"alpha": 2.0}, value=[0.0], grads=([1.0],), why="alpha * (1 / alpha) at 0"),
             EdgeCase([-1.0], value=[-0.6321205588285577], grads=([0.36787944117144233],), why="alpha's default 1")],
    "hardsigmoid": [EdgeCase([-3.0, 3.0, 0.0], value=[0.0, 1.0, 0.5], grads=([0.0, 0.0, ONE_SIXTH_F32],),
                                   why="PyTorch's slope is the float32 1/6, in every dtype")],
    "hardswish": [EdgeCase([-3.0, 3.0, 0.0], value=[-0.0, 3.0, 0.0], grads=([0.0, 1.0, 0.5],),
                           why="PyTorch's hardswish_backward: slope 1 from 3 on")],
    "threshold": [EdgeCase([1.0, 2.0], params={"threshold": 1.0, "value": -5.0}, value=[-5.0, 2.0],
                           grads=([0.0, 1.0],), why="x > threshold, strictly")],
    "softshrink": [EdgeCase([0.5, -0.5, 0.0, -0.0, 0.25, -0.25, 0.1, -0.1], value=[0.0] * 8, grads=([0.0] * 8,),
                            why="+0. between the bounds: 8 float64 elements run PyTorch's vectorised kernel (its "
                                "scalar loop, for fewer, gives -0. at a negative x)"),
                   EdgeCase([0.5003, -0.5003], value=[0.00029999999999996696, -0.00029999999999996696],
                            grads=([1.0, 1.0],), why="lambd's default 0.5")],
    "hardshrink": [EdgeCase([0.5, -0.5, 0.6], value=[0.0, 0.0, 0.6], grads=([0.0, 0.0, 1.0],)),
                   EdgeCase([0.5003, -0.5003], value=[0.5003, -0.5003], grads=([1.0, 1.0],), why="lambd's default 0.5")],
    "logsigmoid": [EdgeCase([-800.0, 0.0, 800.0], value=[-800.0, -math.log(2.0), 0.0], grads=([1.0, 0.5, 0.0],))],
    "silu": [EdgeCase([0.0], value=[0.0], grads=([0.5],), smooth=True)],
    "mish": [EdgeCase([0.0], value=[0.0], grads=([math.tanh(math.log(2.0))],), smooth=True)],
}

# padding_idx and scale_grad_by_freq are conventions, not derivatives: the padding row gets no
# gradient, and each row's gradient is divided by how often it was looked up
_LOOKUPS = np.array([1, 1, 0, 3])
_TABLE = [[0.5, -1.0], [2.0, 0.25], [1.5, 3.0], [-2.0, 0.0]]
_EMBEDDING_CASES = [
    EdgeCase(_LOOKUPS, _TABLE, params={"padding_idx": 1}, value=[[2.0, 0.25], [2.0, 0.25], [0.5, -1.0], [-2.0, 0.0]],
             grads=(None, [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]), why="no gradient to the padding row"),
    EdgeCase(_LOOKUPS, _TABLE, params={"padding_idx": -3}, grads=(None, [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0],
                                                                         [1.0, 1.0]]), why="-3 is row 1"),
    EdgeCase(_LOOKUPS, _TABLE, params={"scale_grad_by_freq": True},
             grads=(None, [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]), why="row 1, looked up twice, gets 2 / 2"),
    EdgeCase(_LOOKUPS, _TABLE, params={"scale_grad_by_freq": True, "padding_idx": 0},
             cotangent=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]],
             grads=(None, [[0.0, 0.0], [2.0, 3.0], [0.0, 0.0], [7.0, 8.0]]),
             why="PyTorch's: each row's cotangents, over its count; none to the padding row"),
]
_GLU = Seeded(7).uniform(-2, 2, size=(2, 4))


# ---------------------------------------------------------------------------- registration
def _unary(registry: Registry, name: str, forward: Any, vjp: Any, *, samples: Any = None,
           aliases: tuple[str, ...] = (), **facts: Any) -> None:
    facts.setdefault("promotion", "float")
    registry.register_op(
        NS + name, forward=forward, vjp=(vjp,), saves=("inputs",), aliases=aliases,
        reference=REFERENCES[name], edge_cases=EDGE_CASES.get(name, ()),
        samples=samples or [Sample((3,)), Sample((2, 3))], **facts,
    )


def register(registry: Registry) -> None:
    _unary(registry, "hardtanh", _hardtanh, _hardtanh_vjp, params=("min_val", "max_val"), promotion="same",
           samples=[Sample((3,)), Sample((2, 3), min_val=-0.5, max_val=1.5), Sample((3,), min_val=0.2, max_val=0.2)])
    _unary(registry, "threshold", _threshold, _threshold_vjp, params=("threshold", "value"), promotion="same",
           aliases=("threshold",), samples=[Sample((3,), threshold=0.1, value=20.0),
                                            Sample((2, 3), threshold=-0.5, value=-1.0)])
    _unary(registry, "elu", lambda xp, x, alpha=1.0, inplace=False: _elu(xp, x, alpha, inplace),
           lambda xp, g, ans, x, alpha=1.0, inplace=False: _elu_like_vjp(xp, g, x, alpha, 1.0, 1.0),
           params=("alpha",), samples=[Sample((3,)), Sample((2, 3), alpha=0.5)], doc=_elu.__doc__)
    _unary(registry, "selu", _selu,
           lambda xp, g, ans, x, inplace=False: _elu_like_vjp(xp, g, x, SELU_ALPHA, SELU_SCALE, 1.0),
           aliases=("selu",), node_name="EluBackward0")
    _unary(registry, "celu", _celu,
           lambda xp, g, ans, x, alpha=1.0, inplace=False: _elu_like_vjp(xp, g, x, alpha, 1.0, 1.0 / alpha),
           params=("alpha",), aliases=("celu",), samples=[Sample((3,)), Sample((2, 3), alpha=2.0)])
    _unary(registry, "silu", _silu, _silu_vjp)
    _unary(registry, "mish", _mish, _mish_vjp)
    _unary(registry, "logsigmoid", _logsigmoid, _logsigmoid_vjp, node_name="LogSigmoidBackward0")
    _unary(registry, "hardsigmoid", _hardsigmoid, _hardsigmoid_vjp, domain=((-4.0, 4.0),))
    _unary(registry, "hardswish", _hardswish, _hardswish_vjp, domain=((-4.0, 4.0),))
    _unary(registry, "softshrink", _softshrink, _shrink_vjp, params=("lambd",),
           samples=[Sample((3,)), Sample((2, 3), lambd=1.0)])
    _unary(registry, "hardshrink", _hardshrink, _shrink_vjp, params=("lambd",), aliases=("hardshrink",),
           methods=("hardshrink",), samples=[Sample((3,)), Sample((2, 3), lambd=1.0)])
    registry.register_op(
        NS + "glu", forward=_glu, vjp=(_glu_vjp,), saves=("inputs",), params=("dim",), promotion="float",
        reference=_np_glu, samples=[Sample((2, 4)), Sample(_GLU, dim=0), Sample((3, 2, 2), dim=1), Sample((2, 2, 4))],
    )
    for name, function in (("relu6", relu6), ("softsign", softsign), ("tanhshrink", tanhshrink)):
        registry.register_composite(NS + name, function, reference=REFERENCES[name],
                                    edge_cases=EDGE_CASES.get(name, ()), samples=[Sample((3,)), Sample((2, 3))])
    registry.register_composite(NS + "softmin", softmin, reference=_np_softmin,
                                samples=[Sample((3,), dim=0), Sample((2, 3), dim=1), Sample((2, 3), dim=0)],
                                edge_cases=[EdgeCase([1.0, 2.0], value=[0.7310585786300049, 0.2689414213699951],
                                                     warns=UserWarning, match="Implicit dimension choice for softmin",
                                                     why="PyTorch's: no dim warns, then takes dim 0 of a 1-D input")] + [
                                    EdgeCase(x, value=v, warns=UserWarning, match="Implicit dimension choice for softmin",
                                             why=f"PyTorch's implicit dim of a {np.ndim(x)}-d input: {d}")
                                    for x, v, d in _SOFTMIN_IMPLICIT])
    registry.register_composite(NS + "linear", linear, reference=_np_linear, samples=[
        Sample((2, 3), (4, 3), (4,)), Sample((3,), (4, 3), (4,)), Sample((2, 2, 3), (4, 3)), Sample((2, 3), (3,))])
    registry.register_composite(NS + "bilinear", bilinear, aliases=("bilinear",), reference=_np_bilinear, samples=[
        Sample((2, 3), (2, 4), (5, 3, 4), (5,)), Sample((3,), (2,), (2, 3, 2))])
    registry.register_composite(NS + "normalize", normalize, reference=_np_normalize, samples=[
        Sample((2, 3)), Sample((3,), dim=0), Sample((2, 3), p=1.0, dim=0), Sample((2, 3, 2), p=3.0, dim=-1)],
        edge_cases=[EdgeCase([[1e-13, 0.0]], value=[[0.1, 0.0]], grads=([[1e12, 1e12]],), why="a norm under eps=1e-12 is eps")])
    registry.register_composite(NS + "cosine_similarity", cosine_similarity, aliases=("cosine_similarity",),
                                reference=_np_cosine, samples=[
        Sample((2, 3), (2, 3)), Sample((3,), (3,), dim=0), Sample((2, 3), (3,), dim=-1), Sample((2, 3, 2), (2, 3, 2))],
        edge_cases=[EdgeCase([[1e-9, 0.0]], [[1.0, 0.0]], value=[0.1], grads=([[9e7, 0.0]], [[0.0, 0.0]]),
                             why="a norm under eps=1e-8 is eps, with the norm's own gradient (PyTorch's: 9e7, not 1e8)")])
    registry.register_composite(NS + "pairwise_distance", pairwise_distance, aliases=("pairwise_distance",),
                                reference=_np_pairwise, samples=[
        Sample((2, 3), (2, 3)), Sample((3,), (3,)), Sample((2, 3), (3,), p=1.0, keepdim=True),
        Sample((2, 3), (2, 3), p=3.0)])
    registry.register_op(
        NS + "one_hot", forward=_one_hot, inspects_values=True, params=("num_classes",), promotion=False, zero_gradient=True,
        reference=lambda x, num_classes=-1: np.eye(int(x.max()) + 1 if num_classes == -1 else num_classes,
                                                   dtype=np.int64)[x],
        samples=[Sample(np.array([0, 3, 1])), Sample(np.array([[0, 1], [2, 0]]), num_classes=4)],
        edge_cases=[EdgeCase(np.array(2), params={"num_classes": 4}, value=np.array([0, 0, 1, 0]), why="a 0-d label: one row")],
    )
    _ROWS = np.array([[0, 2, 0], [3, 1, 2]])
    registry.register_op(
        NS + "embedding", forward=_embedding, inspects_values=True, vjp=(None, _embedding_vjp), saves=("inputs",), promotion=False,
        params=("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse"),
        reference=_np_embedding, node_name="EmbeddingBackward0",
        samples=[Sample(_ROWS, (4, 3)), Sample(np.array([1, 1, 0]), (3, 2)), Sample(np.array(2), (3, 2))],
        edge_cases=_EMBEDDING_CASES,
    )
    registry.register_composite(NS + "dropout", dropout, reference=_np_dropout, random=True, samples=[
        Sample((3,), p=0.0), Sample((2, 3), training=False), Sample((2, 3), p=1.0), Sample((4, 5)),
        Sample((3, 4), p=0.25)],
        edge_cases=[EdgeCase([math.inf, 1.0], params={"p": 1.0}, value=[math.nan, 0.0], why="PyTorch's: p=1 is input * 0")])
