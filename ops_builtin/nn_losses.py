"""``tapegrad.nn.functional`` losses, with PyTorch's ``reduction=`` (``'mean'``, ``'sum'``, ``'none'``).

Losses PyTorch computes in one kernel are primitives here, with one VJP each and PyTorch's node
names (``MseLossBackward0``, ``SmoothL1LossBackward0``, ``HuberLossBackward0``, ``NllLossBackward0``
and ``NllLoss2DBackward0``, ``BinaryCrossEntropyBackward0``, ``BinaryCrossEntropyWithLogitsBackward0``);
those PyTorch composes from other ops (``l1_loss``, ``cross_entropy`` = ``log_softmax`` + ``nll_loss``,
``kl_div``, ``poisson_nll_loss``, ``gaussian_nll_loss``) are composites over the same ops, so their
nodes and gradients are PyTorch's too.

A pointwise loss's VJP is ``g * dloss/dx``, divided by the element count for ``'mean'``: ``g`` is a
0-d array for a reduced loss and broadcasts. Class labels (``nll_loss``'s target) decide which
element is read, never a value: they are read on the host, and the VJP scatters ``g`` back with
``index_scatter_add``, which is differentiable again, so every loss has a second order.

Class weights and ``pos_weight`` are data, not inputs: PyTorch refuses gradients for them
("the derivative for 'weight' is not implemented") and so does tapegrad. A target of another
size than the input warns and broadcasts for the regression losses, as PyTorch's do.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from tapegrad.dims import known_numel, known_size
from tapegrad.testing.samples import EdgeCase, Sample

from .elementwise import sign
from .nn_activations import NS, broadcast_shape, functional, host_indices, ops, real, tensor_like

if TYPE_CHECKING:
    from tapegrad import Registry

REDUCTIONS = ("none", "mean", "sum")
BCE_EPSILON = float(np.float32(1e-12))  # the floor under x * (1 - x) in the gradient: PyTorch's 1e-12f
LOG_FLOOR = -100.0  # PyTorch clamps binary_cross_entropy's logs here, so a 0 or 1 input gives 100, not inf
_TORCH_DTYPES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char", "int16": "Short",
                 "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}


# ---------------------------------------------------------------------------- helpers
def reduction_of(reduction: Any) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce(xp: Any, loss: Any, reduction: str) -> Any:
    if reduction == "none":
        return loss
    return xp.sum(loss) if reduction == "sum" else xp.mean(loss)


def reduced_cotangent(g: Any, slope: Any, reduction: str) -> Any:
    """``g * slope``, and over the element count for ``'mean'`` (``g`` is 0-d then and broadcasts)."""
    if reduction == "mean":
        return g * slope / max(known_numel(slope.shape, "a 'mean' loss's gradient (the element count)"), 1)
    return g * slope


def _size(shape: Any) -> str:
    from tapegrad.tensor import Size

    return repr(Size(tuple(shape)))


def warn_user(message: str) -> None:
    """A ``UserWarning`` attributed to the first frame outside tapegrad (the user's call)."""
    import tapegrad
    import tapegrad.ops_builtin

    ours = tuple(os.path.dirname(m.__file__) for m in (tapegrad, tapegrad.ops_builtin) if m.__file__)
    level, frame = 2, sys._getframe(1)  # stacklevel 2 is warn_user's caller
    while frame.f_code.co_filename.startswith(ours) and frame.f_back is not None:
        level, frame = level + 1, frame.f_back
    warnings.warn(message, UserWarning, stacklevel=level)


def check_target_size(input: Any, target: Any) -> None:
    """PyTorch's regression losses: a target of another size warns, then broadcasts (or fails to)."""
    if tuple(input.shape) == tuple(target.shape):
        return
    broadcast_shape(input, target)
    warn_user(f"Using a target size ({_size(target.shape)}) that is different to the input size "
              f"({_size(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
              "Please ensure they have the same size.")


def constant(name: str, what: str, value: Any) -> np.ndarray | None:
    """A weight-like tensor argument as a host array; PyTorch gives no gradient for it, so asking is an error."""
    if value is None:
        return None
    if getattr(value, "requires_grad", False):
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to argument '{what}'. "
                           "This input cannot have requires_grad True.")
    return np.asarray(getattr(value, "_data", value))


def _as(xp: Any, host: Any, like: Any) -> Any:
    """A host array in ``like``'s namespace and dtype."""
    return xp.asarray(np.asarray(host), dtype=like.dtype)


# ---------------------------------------------------------------------------- pointwise regression losses
def _mse_loss(xp: Any, input: Any, target: Any, *, reduction: str = "mean") -> Any:
    """``(input - target) ** 2``, reduced."""
    check_target_size(input, target)
    d = input - target
    return reduce(xp, d * d, reduction_of(reduction))


def _mse_vjp(sign: float) -> Callable[..., Any]:
    def rule(xp: Any, g: Any, ans: Any, input: Any, target: Any, *, reduction: str = "mean") -> Any:
        return reduced_cotangent(g, (2.0 * sign) * (input - target), reduction)
    return rule


def _smooth_l1_loss(xp: Any, input: Any, target: Any, *, reduction: str = "mean", beta: float = 1.0) -> Any:
    """``0.5 * d**2 / beta`` where ``|d| < beta``, ``|d| - 0.5 * beta`` elsewhere (``d = input - target``);
    ``beta=0`` is ``l1_loss``."""
    real("smooth_l1_loss", "beta", beta)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    check_target_size(input, target)
    d = input - target
    a = xp.abs(d)
    loss = a if beta == 0 else xp.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
    return reduce(xp, loss, reduction_of(reduction))


def _smooth_l1_slope(xp: Any, input: Any, target: Any, beta: float) -> Any:
    # PyTorch's branches: +-1 beyond +-beta, d / beta between and at NaN; beta = 0 is abs's slope
    d = input - target
    if beta == 0:
        return sign(xp, d)
    return xp.where(d > beta, 1.0, xp.where(d < -beta, -1.0, d / beta))


def _huber_loss(xp: Any, input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """``0.5 * d**2`` where ``|d| < delta``, ``delta * (|d| - 0.5 * delta)`` elsewhere (``d = input - target``)."""
    real("huber_loss", "delta", delta)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    check_target_size(input, target)
    d = input - target
    a = xp.abs(d)
    return reduce(xp, xp.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction_of(reduction))


def _huber_slope(xp: Any, input: Any, target: Any, delta: float) -> Any:
    d = input - target
    return xp.minimum(xp.maximum(d, -delta), delta)


def _pointwise_rules(slope: Callable[..., Any], name: str, default: float) -> tuple[Callable[..., Any], ...]:
    """VJP rules for input and target of a loss of ``input - target`` whose slope is
    ``slope(xp, input, target, param)``, ``param`` the loss's one static number (``beta``, ``delta``)."""
    def for_input(xp: Any, g: Any, ans: Any, input: Any, target: Any, reduction: str = "mean", **params: Any) -> Any:
        return reduced_cotangent(g, slope(xp, input, target, params.get(name, default)), reduction)

    def for_target(xp: Any, g: Any, ans: Any, input: Any, target: Any, reduction: str = "mean", **params: Any) -> Any:
        return -reduced_cotangent(g, slope(xp, input, target, params.get(name, default)), reduction)

    return for_input, for_target


def _l1_node(params: dict[str, Any], inputs: Any) -> str:
    """``beta=0`` is PyTorch's ``l1_loss``: ``abs`` then a reduction, named after its last node."""
    if params.get("beta", 1.0) != 0:
        return "SmoothL1LossBackward0"
    return {"none": "AbsBackward0", "sum": "SumBackward0"}.get(params.get("reduction", "mean"), "MeanBackward0")


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """``|input - target|``, reduced."""
    reduction_of(reduction)
    check_target_size(input, target)
    loss = ops().abs(input - target)
    return reduce(ops(), loss, reduction)


# ---------------------------------------------------------------------------- binary cross entropy
def _same_size(name: str, input: Any, target: Any, message: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(message.format(target=_size(target.shape), input=_size(input.shape)))


_BCE_SIZE = ("Using a target size ({target}) that is different to the input size ({input}) is deprecated. "
             "Please ensure they have the same size.")
_BCE_LOGITS_SIZE = "Target size ({target}) must be the same as input size ({input})"


def _weights(xp: Any, name: str, weight: Any, like: Any) -> Any:
    host = constant(name, "weight", weight)
    return None if host is None else _as(xp, host, like)


def _binary_cross_entropy(xp: Any, input: Any, target: Any, weight: Any = None, *, reduction: str = "mean") -> Any:
    """``-w * (t * log(x) + (1 - t) * log(1 - x))`` with the logs floored at -100, as PyTorch's."""
    reduction_of(reduction)
    _same_size("binary_cross_entropy", input, target, _BCE_SIZE)
    for what, v in (("input", input), ("target", target)):
        if bool(xp.any(xp.logical_or(v < 0, v > 1))):
            raise RuntimeError(f"all elements of {what} should be between 0 and 1")
    loss = -(target * xp.maximum(xp.log(input), LOG_FLOOR) + (1 - target) * xp.maximum(xp.log1p(-input), LOG_FLOOR))
    w = _weights(xp, "binary_cross_entropy", weight, input)
    return reduce(xp, loss if w is None else loss * w, reduction)


def _bce_input_vjp(xp: Any, g: Any, ans: Any, input: Any, target: Any, weight: Any = None, *,
                   reduction: str = "mean") -> Any:
    slope = (input - target) / xp.maximum((1 - input) * input, BCE_EPSILON)
    w = _weights(xp, "binary_cross_entropy", weight, input)
    return reduced_cotangent(g, slope if w is None else slope * w, reduction)


def _bce_target_vjp(xp: Any, g: Any, ans: Any, input: Any, target: Any, weight: Any = None, *,
                    reduction: str = "mean") -> Any:
    # -logit(input), as PyTorch's (-0. at 0.5); - 0 * target: the target's shape, keeping that sign
    slope = -(xp.log(input) - xp.log1p(-input)) - 0 * target
    w = _weights(xp, "binary_cross_entropy", weight, input)
    return reduced_cotangent(g, slope if w is None else slope * w, reduction)


_BCEL = "binary_cross_entropy_with_logits"


def _softplus_neg(xp: Any, x: Any) -> Any:
    """``log(1 + exp(-x))``, without overflow for any ``x``."""
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0.0)


def _log_weight(xp: Any, input: Any, target: Any, pos_weight: Any) -> Any:
    """``1 + (pos_weight - 1) * target``: the weight of the positive term (1 without ``pos_weight``)."""
    pw = constant(_BCEL, "pos_weight", pos_weight)
    return 1.0 if pw is None else 1.0 + (_as(xp, pw, input) - 1.0) * target


def _bce_logits(xp: Any, input: Any, target: Any, weight: Any = None, *, reduction: str = "mean",
                pos_weight: Any = None) -> Any:
    """``w * ((1 - t) * x + lw * softplus(-x))`` with ``lw = 1 + (pos_weight - 1) * t``: stable for any ``x``."""
    reduction_of(reduction)
    _same_size(_BCEL, input, target, _BCE_LOGITS_SIZE)
    loss = (1 - target) * input + _log_weight(xp, input, target, pos_weight) * _softplus_neg(xp, input)
    w = _weights(xp, _BCEL, weight, input)
    return reduce(xp, loss if w is None else loss * w, reduction)


def _bce_logits_input_vjp(xp: Any, g: Any, ans: Any, input: Any, target: Any, weight: Any = None, *,
                          reduction: str = "mean", pos_weight: Any = None) -> Any:
    slope = (1 - target) - _log_weight(xp, input, target, pos_weight) * xp.sigmoid(-input)
    w = _weights(xp, _BCEL, weight, input)
    return reduced_cotangent(g, slope if w is None else slope * w, reduction)


def _bce_logits_target_vjp(xp: Any, g: Any, ans: Any, input: Any, target: Any, weight: Any = None, *,
                           reduction: str = "mean", pos_weight: Any = None) -> Any:
    pw = constant(_BCEL, "pos_weight", pos_weight)
    slope = -input + 0 * target
    if pw is not None:
        slope = slope + (_as(xp, pw, input) - 1.0) * _softplus_neg(xp, input)
    w = _weights(xp, _BCEL, weight, input)
    return reduced_cotangent(g, slope if w is None else slope * w, reduction)


# ---------------------------------------------------------------------------- negative log likelihood
def _class_weight(weight: Any, classes: int) -> np.ndarray | None:
    host = constant("nll_loss", "weight", weight)
    if host is not None and host.shape != (classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes but got "
                           f"weight tensor of shape: {list(host.shape)}")
    return host


def _nll_plan(input: Any, target: Any, weight: Any, ignore_index: int) -> tuple[tuple[Any, ...], np.ndarray]:
    """Where each target's log-probability is (an indexing key into ``input``) and its weight
    (the class weight, 0 where ignored), checking PyTorch's shape, dtype and range rules."""
    labels = host_indices("nll_loss", target, "biuf")
    if labels.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_TORCH_DTYPES.get(labels.dtype.name, labels.dtype.name)}")
    shape = tuple(input.shape)
    if not shape:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if len(shape) >= 2 and (labels.ndim == 0 or labels.shape[0] != shape[0]):
        got = labels.shape[0] if labels.ndim else 1
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({got}).")
    expected = () if len(shape) == 1 else (shape[0], *shape[2:])
    if labels.shape != expected:
        if len(shape) <= 2:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        raise RuntimeError(f"size mismatch (got input: {list(shape)} , target: {list(labels.shape)}")
    classes = shape[0] if len(shape) == 1 else shape[1]
    w = _class_weight(weight, classes)
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise IndexError(f"Target {int(labels[bad].reshape(-1)[0])} is out of bounds.")
    picked = np.where(valid, labels, 0).astype(np.intp)
    if len(shape) == 1:
        key: tuple[Any, ...] = (picked,)
    else:
        grids = np.ogrid[tuple(slice(n) for n in expected)] if expected else []
        key = (grids[0], picked, *grids[1:])
    weights = (np.ones(picked.shape) if w is None else w[picked].astype(np.float64)) * valid
    return key, weights


def _nll_scale(weights: np.ndarray, reduction: str) -> Any:
    """What each picked log-probability is multiplied by: ``-weight``, over the total weight for ``'mean'``."""
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return -weights / weights.sum()  # everything ignored: 0 / 0 = nan, as PyTorch's
    return -weights


def _nll_loss(xp: Any, input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
              reduction: str = "mean") -> Any:
    """``-weight[t] * input[n, t]`` per element; ``'mean'`` divides by the total weight of the counted targets."""
    reduction_of(reduction)
    key, weights = _nll_plan(input, target, weight, ignore_index)
    loss = xp.getitem(input, index=key) * _as(xp, _nll_scale(weights, reduction), input)
    return loss if reduction == "none" else xp.sum(loss)


def _nll_vjp(xp: Any, g: Any, ans: Any, input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Any:
    key, weights = _nll_plan(input, target, weight, ignore_index)
    return xp.index_scatter_add(g * _as(xp, _nll_scale(weights, reduction), g), index=key, shape=tuple(input.shape))


def _nll_node(params: dict[str, Any], inputs: Any) -> str:
    return "NllLoss2DBackward0" if inputs[0] is not None and inputs[0].ndim >= 3 else "NllLossBackward0"


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Any:
    """``nll_loss(log_softmax(input, class_dim), target)`` for class indices; for class probabilities
    (a float target of the input's shape) ``-sum(target * log_softmax(input))``; ``label_smoothing``
    mixes the target with the uniform distribution. Inputs ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``."""
    reduction_of(reduction)
    real("cross_entropy", "label_smoothing", label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:  # PyTorch looks for the class dimension 1 first
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    logp = ops().log_softmax(input, dim=class_dim)
    w = _class_weight(weight, classes)
    w_view = None if w is None else tensor_like(w, logp).reshape([classes if k == class_dim else 1
                                                                  for k in range(input.ndim)])
    if getattr(target, "is_floating_point", lambda: False)() and tuple(target.shape) == tuple(input.shape):
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        product = logp * target if w_view is None else logp * target * w_view
        if reduction == "mean":
            count = known_numel(input.shape, "cross_entropy()'s 'mean' (the element count)")
            # PyTorch divides by numel / C even where that is 0: an empty input's mean is NaN
            return -product.sum() / (count / classes) if count else -(product.sum() * math.nan)
        return -product.sum() if reduction == "sum" else -product.sum(class_dim)
    nll = functional("nll_loss")(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    ignored = np.asarray(host_indices("cross_entropy", target) == ignore_index)
    smooth = -(logp if w_view is None else logp * w_view).sum(class_dim)
    smooth = ops().masked_fill(smooth, tensor_like(ignored, smooth), 0.0)
    if reduction == "mean":
        labels = host_indices("cross_entropy", target)[~ignored]
        total = float(w[labels].sum()) if w is not None else float((~ignored).sum())
        smooth = smooth.sum() / total
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / classes)


# ---------------------------------------------------------------------------- divergences and likelihoods
def _xlogx(t: Any) -> Any:
    """``t * log(t)``, 0 at 0, with no NaN in its gradient there."""
    positive = t > 0
    safe = ops().where(positive, t, 1.0)
    return ops().where(positive, t * ops().log(safe), 0.0)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
    """``target * (log(target) - input)`` pointwise (``input`` in log space; ``target`` too with
    ``log_target``); ``'batchmean'`` divides the sum by the batch size, the KL divergence itself."""
    if reduction == "mean":
        warn_user("reduction: 'mean' divides the total loss by both the batch size and the support size."
                  "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                  "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    if reduction != "batchmean":
        reduction_of(reduction)
    if log_target:
        loss = ops().exp(target) * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / known_size(input.shape[0], "kl_div()'s 'batchmean' (the batch size)") if input.ndim \
            else loss.sum()
    return reduce(ops(), loss, reduction)


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False, eps: float = 1e-8,
                     reduction: str = "mean") -> Any:
    """``exp(input) - target * input`` (``log_input``) or ``input - target * log(input + eps)``; ``full``
    adds Stirling's approximation of ``log(target!)`` where ``target > 1``."""
    reduction_of(reduction)
    if log_input:
        loss = ops().exp(input) - target * input
    else:
        loss = input - target * ops().log(input + eps)
    if full:
        big = target > 1
        safe = ops().where(big, target, 2.0)
        stirling = safe * ops().log(safe) - safe + 0.5 * ops().log(2 * math.pi * safe)
        loss = loss + ops().where(big, stirling, 0.0)
    return reduce(ops(), loss, reduction)


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Any:
    """``0.5 * (log(var) + (input - target)**2 / var)``, ``var`` clamped below at ``eps`` (its gradient
    passes the clamp, as PyTorch's clamps a copy under no_grad); ``full`` adds ``0.5 * log(2 pi)``."""
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        import tapegrad

        var = tapegrad.full_like(input, float(var))
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    var = var + (ops().clamp(var, min=eps) - var).detach()
    loss = 0.5 * (ops().log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce(ops(), loss, reduction)


# ---------------------------------------------------------------------------- references (plain NumPy)
def _np_reduce(loss: Any, reduction: str = "mean") -> Any:
    return loss if reduction == "none" else (np.sum(loss) if reduction == "sum" else np.mean(loss))


def _np_smooth_l1(x: Any, t: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
    a = np.abs(x - t)
    return _np_reduce(a if beta == 0 else np.where(a < beta, 0.5 * a ** 2 / beta, a - 0.5 * beta), reduction)


def _np_huber(x: Any, t: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    a = np.abs(x - t)
    return _np_reduce(np.where(a < delta, 0.5 * a ** 2, delta * (a - 0.5 * delta)), reduction)


def _np_bce(x: Any, t: Any, weight: Any = None, reduction: str = "mean") -> Any:
    loss = -(t * np.log(x) + (1 - t) * np.log(1 - x))
    return _np_reduce(loss if weight is None else loss * np.asarray(weight), reduction)


def _np_bce_logits(x: Any, t: Any, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> Any:
    p = 1 / (1 + np.exp(-np.asarray(x)))
    pw = 1.0 if pos_weight is None else np.asarray(pos_weight)
    loss = -(pw * t * np.log(p) + (1 - t) * np.log(1 - p))
    return _np_reduce(loss if weight is None else loss * np.asarray(weight), reduction)


def _np_log_softmax(x: Any, axis: int) -> Any:
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _np_nll(x: Any, t: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> Any:
    x = np.asarray(x)
    cd = 0 if x.ndim == 1 else 1
    w = np.ones(x.shape[cd]) if weight is None else np.asarray(weight)
    moved = np.moveaxis(x, cd, -1)
    valid = t != ignore_index
    tc = np.where(valid, t, 0)
    picked = np.take_along_axis(moved, tc[..., None], axis=-1)[..., 0]
    wt = w[tc] * valid
    loss = -picked * wt
    if reduction == "mean":
        return loss.sum() / wt.sum()
    return loss.sum() if reduction == "sum" else loss


def _np_cross_entropy(x: Any, t: Any, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                      label_smoothing: float = 0.0) -> Any:
    cd = 0 if np.ndim(x) == 1 else 1
    c = x.shape[cd]
    logp = _np_log_softmax(np.asarray(x), cd)
    if np.asarray(t).dtype.kind == "f":
        t = t * (1 - label_smoothing) + label_smoothing / c
        w = np.ones(c) if weight is None else np.asarray(weight)
        per = -np.sum(logp * t * w.reshape([c if k == cd else 1 for k in range(np.ndim(x))]), axis=cd)
        return per.mean() if reduction == "mean" else (per.sum() if reduction == "sum" else per)
    nll = _np_nll(logp, t, weight, ignore_index, reduction)
    w = np.ones(c) if weight is None else np.asarray(weight)
    valid = t != ignore_index
    smooth = -np.sum(np.moveaxis(logp, cd, -1) * w, axis=-1) * valid  # every class's log-probability
    if reduction == "mean":
        smooth = smooth.sum() / w[np.where(valid, t, 0)][valid].sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + label_smoothing / c * smooth


def _np_kl(x: Any, t: Any, reduction: str = "mean", log_target: bool = False) -> Any:
    loss = np.exp(t) * (t - x) if log_target else np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) - t * x
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return _np_reduce(loss, reduction)


def _np_poisson(x: Any, t: Any, log_input: bool = True, full: bool = False, eps: float = 1e-8,
                reduction: str = "mean") -> Any:
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        s = np.where(t > 1, t, 2.0)
        loss = loss + np.where(t > 1, s * np.log(s) - s + 0.5 * np.log(2 * np.pi * s), 0.0)
    return _np_reduce(loss, reduction)


def _np_gaussian(x: Any, t: Any, var: Any, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> Any:
    var = np.maximum(np.asarray(var, dtype=np.float64), eps)
    if var.shape != np.shape(x) and np.shape(x)[:-1] == var.shape:
        var = var[..., None]
    loss = 0.5 * (np.log(var) + (x - t) ** 2 / var) + (0.5 * np.log(2 * np.pi) if full else 0.0)
    return _np_reduce(loss, reduction)


# ---------------------------------------------------------------------------- registration
def _each_reduction(*inputs: Any, **params: Any) -> list[Sample]:
    return [Sample(*inputs, reduction=r, **params) for r in REDUCTIONS]


_LABELS = np.array([0, 2, 1])
_IGNORED = np.array([0, -100, 3, 1])
_LABELS_2D = np.array([[[0, 1], [2, 2]], [[1, 0], [-100, 2]]])  # (N=2, d1=2, d2=2) for a (2, 3, 2, 2) input
_CLASS_WEIGHT = np.array([0.5, 2.0, 1.0])
_WEIGHT_4 = np.array([0.3, 1.0, 2.0, 0.7])
_IGNORED_1 = np.array([0, -100])  # one class: an ignored label's stand-in index must be that class


def _resized_target_points(value: float, grad: list[float]) -> list[EdgeCase]:
    """A 0-d target of 0.5 for the input [1, 2, 3]: PyTorch warns (pointing at the caller), then broadcasts."""
    return [EdgeCase([1.0, 2.0, 3.0], np.array(0.5), value=value, grads=(grad, None), warns=UserWarning,
                     match=r"Using a target size \(\w+\.Size\(\[\]\)\) that is different to the input size",
                     why="PyTorch's: a target of another size warns, then broadcasts")]


def register(registry: Registry) -> None:
    pair = ((2, 3), (2, 3))
    registry.register_op(
        NS + "mse_loss", forward=_mse_loss, vjp=(_mse_vjp(1.0), _mse_vjp(-1.0)), saves=("inputs",),
        promotion="float", reference=lambda x, t, reduction="mean": _np_reduce((x - t) ** 2, reduction),
        samples=_each_reduction(*pair) + [Sample((3,), ())],
        edge_cases=_resized_target_points(2.9166666666666665, [1 / 3, 1.0, 5 / 3]),
    )
    registry.register_op(
        NS + "smooth_l1_loss", forward=_smooth_l1_loss, vjp=_pointwise_rules(_smooth_l1_slope, "beta", 1.0),
        saves=("inputs",), promotion="float", reference=_np_smooth_l1, node_name=_l1_node,
        samples=_each_reduction(*pair) + [Sample((3,), (3,), beta=0.5), Sample((2, 3), (2, 3), beta=0.0),
                                          Sample((2, 3), (2, 3), beta=3.0, reduction="sum")],
        edge_cases=_resized_target_points(1.0416666666666667, [1 / 6, 1 / 3, 1 / 3]),
    )
    registry.register_op(
        NS + "huber_loss", forward=_huber_loss, vjp=_pointwise_rules(_huber_slope, "delta", 1.0), saves=("inputs",),
        params=("reduction", "delta"), promotion="float", reference=_np_huber,
        samples=_each_reduction(*pair) + [Sample((3,), (3,), delta=0.5), Sample((2, 3), (2, 3), delta=3.0)],
        edge_cases=_resized_target_points(1.0416666666666667, [1 / 6, 1 / 3, 1 / 3]),
    )
    registry.register_composite(NS + "l1_loss", l1_loss, samples=_each_reduction(*pair),
                                reference=lambda x, t, reduction="mean": _np_reduce(np.abs(x - t), reduction),
                                edge_cases=_resized_target_points(1.5, [1 / 3, 1 / 3, 1 / 3]))
    unit = ((0.05, 0.95), (0.0, 1.0))
    registry.register_op(
        NS + "binary_cross_entropy", forward=_binary_cross_entropy, inspects_values=True, vjp=(_bce_input_vjp, _bce_target_vjp),
        saves=("inputs",), params=("weight",), promotion="float", reference=_np_bce, domain=unit,
        node_name="BinaryCrossEntropyBackward0",
        samples=_each_reduction(*pair) + [Sample((3,), (3,), weight=np.array([0.5, 1.0, 2.0]))],
        edge_cases=[EdgeCase([0.0, 1.0, 0.5], [1.0, 0.0, 0.0], params={"reduction": "sum"}, value=200.69314718055995,
                             grads=([-1000000003995.8029, 1000000003995.8029, 2.0], [math.inf, -math.inf, -0.0]),
                             why="PyTorch's: each log clamped at -100, x * (1 - x) floored at 1e-12f in the gradient")],
    )
    registry.register_op(
        NS + _BCEL, forward=_bce_logits, vjp=(_bce_logits_input_vjp, _bce_logits_target_vjp), saves=("inputs",),
        params=("weight",), promotion="float", reference=_np_bce_logits, domain=(None, (0.0, 1.0)),
        node_name="BinaryCrossEntropyWithLogitsBackward0",
        samples=_each_reduction(*pair) + [Sample((2, 4), (2, 4), pos_weight=_WEIGHT_4, weight=_WEIGHT_4),
                                          Sample((3,), (3,), pos_weight=np.array([2.0, 0.5, 1.0]))],
        edge_cases=[EdgeCase([0.3, -0.2], [0.0, 1.0], params={"reduction": "sum"}, value=1.652494113850119,
                             grads=([0.574442516811659, -0.5498339973124778], [-0.3, 0.2]),
                             why="PyTorch's: a target of exactly 0 or 1 has the gradient -input")],
    )
    registry.register_op(
        NS + "nll_loss", forward=_nll_loss, inspects_values=True, vjp=(_nll_vjp, None), saves=("inputs",), params=("weight",),
        promotion=False, reference=_np_nll, node_name=_nll_node,
        samples=_each_reduction((3, 3), _LABELS) + [
            Sample((4, 4), _IGNORED), Sample((3, 3), _LABELS, weight=_CLASS_WEIGHT),
            Sample((4, 4), _IGNORED, weight=_WEIGHT_4, reduction="none"), Sample((3,), np.array(1)),
            Sample((2, 3, 2, 2), _LABELS_2D), Sample((2, 3, 2, 2), _LABELS_2D, weight=_CLASS_WEIGHT,
                                                       reduction="sum"), Sample((2, 1), _IGNORED_1)],
    )
    registry.register_composite(
        NS + "cross_entropy", cross_entropy, inspects_values=True, reference=_np_cross_entropy,
        samples=_each_reduction((3, 3), _LABELS) + [
            Sample((4, 4), _IGNORED, weight=_WEIGHT_4), Sample((3,), np.array(2)),
            Sample((2, 3, 2, 2), _LABELS_2D), Sample((3, 3), _LABELS, label_smoothing=0.2),
            Sample((4, 4), _IGNORED, weight=_WEIGHT_4, label_smoothing=0.1),
            Sample((4, 4), _IGNORED, weight=_WEIGHT_4, label_smoothing=0.1, reduction="sum"),  # smoothing summed
            Sample((2, 3, 2, 2), _LABELS_2D, label_smoothing=0.2, reduction="none"),
            Sample((2, 3), (2, 3), reduction="sum"), Sample((2, 3, 2), (2, 3, 2), label_smoothing=0.3),
            Sample((2, 1), _IGNORED_1), Sample((3, 3), _LABELS, label_smoothing=1.0),
            Sample((2, 3), (2, 3), weight=_CLASS_WEIGHT), Sample((2, 3, 2), (2, 3, 2), weight=_CLASS_WEIGHT, reduction="none")],
        edge_cases=[EdgeCase(np.zeros(shape), np.zeros(shape), value=math.nan, why="an empty input's mean divides by 0")
                    for shape in ((0, 3), (2, 0))],  # probability targets, no element or no class
    )
    registry.register_composite(
        NS + "kl_div", kl_div, reference=_np_kl, domain=(None, (0.0, 1.0)),
        samples=[Sample(*pair, reduction=r) for r in ("sum", "none", "batchmean")] + [
            Sample(*pair, reduction="batchmean", log_target=True)],
        edge_cases=[EdgeCase([-1.0, -0.5], [0.0, 0.5], params={"reduction": "sum"}, value=-0.09657359027997264,
                             grads=([-0.0, -0.5], None), why="PyTorch's: a target of 0 adds 0 (0 * log 0 is 0)"),
                    EdgeCase([-1.0, -0.5], [0.25, 0.5], value=-0.09657359027997264, grads=([-0.125, -0.25], None),
                             warns=UserWarning, match="reduction: 'mean' divides the total loss by both the batch size "
                             "and the support size", why="PyTorch's: 'mean' warns that it is not 'batchmean'")],
    )
    registry.register_composite(
        NS + "poisson_nll_loss", poisson_nll_loss, reference=_np_poisson, domain=((0.2, 2.0), (0.0, 4.0)),
        samples=_each_reduction(*pair) + [Sample(*pair, log_input=False), Sample(*pair, full=True),
                                          Sample(*pair, log_input=False, full=True, reduction="sum")],
        edge_cases=[EdgeCase([0.5, 0.2], [1.0, 3.0], params={"full": True, "reduction": "sum"}, value=3.534205572403355,
                             grads=([0.6487212707001282, -1.7785972418398301], [-0.5, 1.0652789553347766]),
                             why="PyTorch's: Stirling's term only where target > 1 (none at target 1)")],
    )
    registry.register_composite(
        NS + "gaussian_nll_loss", gaussian_nll_loss, inspects_values=True, reference=_np_gaussian, domain=(None, None, (0.2, 2.0)),
        samples=_each_reduction(*pair, (2, 3)) + [Sample((2, 3), (2, 3), (2,), full=True),
                                                  Sample((2, 3), (2, 3), 0.5), Sample((2, 3), (2, 3), (2, 1)),
                                                  Sample((2, 3, 4), (2, 3, 4), (2, 3))],
        edge_cases=[EdgeCase([1.0, 2.0], [0.5, 0.5], [1e-7, 1.0], params={"reduction": "sum"}, value=124994.21724472102,
                             grads=([500000.0, 1.5], [-500000.0, -1.5], [-124999500000.0, -0.625]),
                             why="PyTorch's: var clamped at eps=1e-6, its gradient taken through the clamp")],
    )
