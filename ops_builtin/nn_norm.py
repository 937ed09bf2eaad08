"""``tapegrad.nn.functional``: layer, batch and group normalization.

Each is one kernel op (``native_layer_norm``, ``native_batch_norm``, ``native_group_norm``, named
after PyTorch's, whose nodes they name: ``NativeLayerNormBackward0`` ...) taking the input, the
weight and the bias, where a missing weight is the number 1 and a missing bias 0 (numbers carry no
gradient). The VJPs are the closed forms: with ``xhat = (x - mean) * rstd`` and ``h = g * weight``,
``dx = rstd * (h - mean(h) - xhat * mean(h * xhat))`` over the normalized elements (the mean and
variance are functions of ``x``), ``dweight = sum(g * xhat)``, ``dbias = sum(g)``. They are written
with ``xp``, so they are differentiable again. ``F.layer_norm`` & co. are composites with PyTorch's
signatures and errors; ``F.batch_norm`` also updates ``running_mean``/``running_var`` in place when
``training=True``, with the unbiased variance, as PyTorch does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

from tapegrad.testing.samples import EdgeCase, Sample

from . import nn_references as ref

if TYPE_CHECKING:
    from tapegrad import Registry

F = "nn.functional."


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _normalized(xp: Any, x: Any, dims: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """``(xhat, rstd)`` over ``dims`` with the biased variance."""
    mean = xp.mean(x, axis=dims, keepdims=True)
    centered = x - mean
    rstd = 1.0 / xp.sqrt(xp.mean(centered * centered, axis=dims, keepdims=True) + eps)
    return centered * rstd, rstd


def _dx(xp: Any, h: Any, xhat: Any, rstd: Any, dims: tuple[int, ...]) -> Any:
    """The input's cotangent of ``xhat`` given ``h = g * weight``: the mean and variance depend on ``x``."""
    return rstd * (h - xp.mean(h, axis=dims, keepdims=True) - xhat * xp.mean(h * xhat, axis=dims, keepdims=True))


# ---------------------------------------------------------------------------- layer norm
def _ln_dims(x: Any, normalized_shape: Any) -> tuple[int, ...]:
    shape = tuple(int(s) for s in x.shape)
    ns = _shape_arg(normalized_shape)
    if not ns or shape[len(shape) - len(ns):] != ns or len(ns) > len(shape):
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size{list(shape)}")
    return tuple(range(len(shape) - len(ns), len(shape)))


def _shape_arg(v: Any) -> tuple[int, ...]:
    return (int(v),) if isinstance(v, int) else tuple(int(s) for s in v)


def _native_layer_norm(xp: Any, x: Any, weight: Any, bias: Any, *, normalized_shape: Any, eps: float = 1e-5) -> Any:
    """Layer normalization over the trailing ``normalized_shape``, then ``* weight + bias`` (numbers 1 and 0
    when absent)."""
    xhat, _ = _normalized(xp, x, _ln_dims(x, normalized_shape), eps)
    return xhat * weight + bias


def _ln_vjp_x(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, *, normalized_shape: Any,
              eps: float = 1e-5) -> Any:
    dims = _ln_dims(x, normalized_shape)
    xhat, rstd = _normalized(xp, x, dims, eps)
    return _dx(xp, g * weight, xhat, rstd, dims)


def _ln_vjp_w(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, *, normalized_shape: Any,
              eps: float = 1e-5) -> Any:
    xhat, _ = _normalized(xp, x, _ln_dims(x, normalized_shape), eps)
    return g * xhat  # the engine sums it down to the weight's (normalized) shape


def _bias_vjp(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, **params: Any) -> Any:
    return g


# ---------------------------------------------------------------------------- batch norm
def _per_channel(xp: Any, v: Any, ndim: int) -> Any:
    """A per-channel (C,) value shaped to broadcast against (N, C, ...); numbers as they are."""
    return v if _number(v) else xp.reshape(v, (-1,) + (1,) * (ndim - 2))


def _bn_dims(x: Any) -> tuple[int, ...]:
    return (0, *range(2, len(x.shape)))


def _bn_stats(xp: Any, x: Any, training: bool, running_mean: Any, running_var: Any, eps: float) -> tuple[Any, Any]:
    if training:
        return _normalized(xp, x, _bn_dims(x), eps)
    mean = _per_channel(xp, xp.asarray(running_mean, dtype=x.dtype), len(x.shape))
    var = _per_channel(xp, xp.asarray(running_var, dtype=x.dtype), len(x.shape))
    rstd = 1.0 / xp.sqrt(var + eps)
    return (x - mean) * rstd, rstd


def _native_batch_norm(xp: Any, x: Any, weight: Any, bias: Any, *, training: bool = True, running_mean: Any = None,
                       running_var: Any = None, eps: float = 1e-5) -> Any:
    """Batch normalization of ``x`` (N, C, ...) per channel: with the batch's statistics when ``training``,
    else with ``running_mean``/``running_var`` (arrays, not differentiated); then ``* weight + bias``."""
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    xhat, _ = _bn_stats(xp, x, training, running_mean, running_var, eps)
    n = len(x.shape)
    return xhat * _per_channel(xp, weight, n) + _per_channel(xp, bias, n)


def _bn_vjp_x(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, *, training: bool = True,
              running_mean: Any = None, running_var: Any = None, eps: float = 1e-5) -> Any:
    xhat, rstd = _bn_stats(xp, x, training, running_mean, running_var, eps)
    h = g * _per_channel(xp, weight, len(x.shape))
    return _dx(xp, h, xhat, rstd, _bn_dims(x)) if training else h * rstd


def _bn_vjp_w(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, *, training: bool = True,
              running_mean: Any = None, running_var: Any = None, eps: float = 1e-5) -> Any:
    xhat, _ = _bn_stats(xp, x, training, running_mean, running_var, eps)
    return xp.sum(g * xhat, axis=_bn_dims(x))


def _channel_sum(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, **params: Any) -> Any:
    return xp.sum(g, axis=_bn_dims(x))


# ---------------------------------------------------------------------------- group norm
def _grouped(xp: Any, x: Any, num_groups: Any) -> Any:
    shape = tuple(int(s) for s in x.shape)
    if len(shape) < 2 or int(num_groups) <= 0 or shape[1] % int(num_groups):
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(shape)} and num_groups={num_groups}")
    return xp.reshape(x, (shape[0], int(num_groups), -1))


def _native_group_norm(xp: Any, x: Any, weight: Any, bias: Any, *, num_groups: int, eps: float = 1e-5) -> Any:
    """Group normalization: the channels of ``x`` (N, C, ...) in ``num_groups`` groups, each normalized over
    its channels and positions, then ``* weight + bias`` per channel."""
    xhat, _ = _normalized(xp, _grouped(xp, x, num_groups), (2,), eps)
    n = len(x.shape)
    return xp.reshape(xhat, tuple(x.shape)) * _per_channel(xp, weight, n) + _per_channel(xp, bias, n)


def _gn_vjp_x(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, *, num_groups: int,
              eps: float = 1e-5) -> Any:
    xhat, rstd = _normalized(xp, _grouped(xp, x, num_groups), (2,), eps)
    h = _grouped(xp, g * _per_channel(xp, weight, len(x.shape)), num_groups)
    return xp.reshape(_dx(xp, h, xhat, rstd, (2,)), tuple(x.shape))


def _gn_vjp_w(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any, *, num_groups: int,
              eps: float = 1e-5) -> Any:
    xhat, _ = _normalized(xp, _grouped(xp, x, num_groups), (2,), eps)
    return xp.sum(g * xp.reshape(xhat, tuple(x.shape)), axis=_bn_dims(x))


# ---------------------------------------------------------------------------- the public functions
def _check_affine(v: Any, shape: Sequence[int], name: str) -> None:
    if v is not None and tuple(v.shape) != tuple(shape):
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                           f"{list(v.shape)} and normalized_shape = {list(shape)}")


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.layer_norm``: normalize over the trailing ``normalized_shape`` dims, then scale and shift."""
    import tapegrad

    shape = _shape_arg(normalized_shape)
    _check_affine(weight, shape, "weight")
    _check_affine(bias, shape, "bias")
    return tapegrad.native_layer_norm(input, 1.0 if weight is None else weight, 0.0 if bias is None else bias,
                                      normalized_shape=shape, eps=eps)


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None, bias: Any = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.batch_norm``: per-channel normalization of (N, C, ...). With ``training``, the batch's
    statistics, and ``running_mean``/``running_var`` (if given) are updated in place:
    ``(1 - momentum) * running + momentum * batch`` (the variance unbiased)."""
    import tapegrad

    channels = int(input.shape[1]) if input.ndim > 1 else 0
    for name, v in (("running_mean", running_mean), ("running_var", running_var)):
        if v is not None and v.requires_grad:
            raise RuntimeError(f"The function 'native_batch_norm' is not differentiable with respect to argument "
                               f"'{name}'. This input cannot have requires_grad True.")
        if v is not None and v.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {v.numel()}")
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and v.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {v.numel()}")
    if training:
        _both_or_neither(running_mean, running_var)
        count = input.numel() // max(channels, 1)
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(input.shape)})")
    elif running_mean is None or running_var is None:
        raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined in "
                           "evaluation mode")
    stats = {} if training else {"running_mean": running_mean.detach().numpy(),
                                 "running_var": running_var.detach().numpy()}
    out = tapegrad.native_batch_norm(input, 1.0 if weight is None else weight, 0.0 if bias is None else bias,
                                     training=bool(training), eps=eps, **stats)
    if training and (running_mean is not None or running_var is not None):
        _update_running(input, running_mean, running_var, momentum)
    return out


def _both_or_neither(running_mean: Any, running_var: Any) -> None:
    """PyTorch's refusal of one running statistic without the other where they would be updated."""
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")


def _update_running(input: Any, running_mean: Any, running_var: Any, momentum: float) -> None:
    import tapegrad

    dims = (0, *range(2, input.ndim))
    with tapegrad.no_grad():
        x = input.detach()
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(momentum * x.mean(dim=dims).astype(running_mean.dtype))
        if running_var is not None:
            running_var.mul_(1 - momentum).add_(momentum * x.var(dim=dims, unbiased=True).astype(running_var.dtype))


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.group_norm``: normalize each of ``num_groups`` channel groups, then scale and shift per channel."""
    import tapegrad

    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and (v.ndim != 1 or v.numel() != int(input.shape[1])):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(v.shape)} and input of shape {list(input.shape)}")
    size = [int(input.shape[0]) * int(input.shape[1]) // max(int(num_groups), 1), int(num_groups),
            *(int(n) for n in input.shape[2:])]
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    return tapegrad.native_group_norm(input, 1.0 if weight is None else weight, 0.0 if bias is None else bias,
                                      num_groups=num_groups, eps=eps)


def instance_norm(input: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                  bias: Any = None, use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.instance_norm``: each sample's channels normalized over their positions (batch norm of
    the (1, N * C, ...) view, as PyTorch computes it); ``running_mean``/``running_var`` updated in place
    with the batch's mean of the per-instance statistics, or used when ``use_input_stats=False``."""
    import tapegrad

    if input.ndim < 3:
        raise ValueError(f"expected 3D or higher input (got {input.ndim}D input)")
    n, c = int(input.shape[0]), int(input.shape[1])
    if use_input_stats:
        _both_or_neither(running_mean, running_var)
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    if use_input_stats and math.prod(int(s) for s in input.shape[2:]) <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(input.shape)})")
    tiled = [None if v is None else v.expand(n, c).reshape(n * c) for v in (weight, bias)]
    stats = {} if use_input_stats else {
        "running_mean": tapegrad.tensor(running_mean.detach().numpy()).expand(n, c).reshape(n * c),
        "running_var": tapegrad.tensor(running_var.detach().numpy()).expand(n, c).reshape(n * c)}
    out = batch_norm(input.reshape(1, n * c, *input.shape[2:]), stats.get("running_mean"),
                     stats.get("running_var"), tiled[0], tiled[1], training=bool(use_input_stats), eps=eps)
    if use_input_stats and (running_mean is not None or running_var is not None):
        dims = tuple(range(2, input.ndim))
        with tapegrad.no_grad():
            x = input.detach()
            if running_mean is not None:
                batch_mean = x.mean(dim=dims).mean(dim=0).astype(running_mean.dtype)
                running_mean.mul_(1 - momentum).add_(momentum * batch_mean)
            if running_var is not None:
                batch_var = x.var(dim=dims, unbiased=True).mean(dim=0).astype(running_var.dtype)
                running_var.mul_(1 - momentum).add_(momentum * batch_var)
    return out.reshape(tuple(input.shape))


# ---------------------------------------------------------------------------- registration
LN_SAMPLES = [Sample((2, 3, 4), (4,), (4,), normalized_shape=(4,)),
              Sample((2, 3, 4), (3, 4), 0.0, normalized_shape=(3, 4), eps=1e-3),
              Sample((3, 5), 1.0, 0.0, normalized_shape=5)]
BN_SAMPLES = [Sample((4, 3), (3,), (3,)),
              Sample((2, 3, 2, 2), (3,), 0.0, eps=1e-3),
              Sample((3, 2, 4), 1.0, (2,), training=False, running_mean=[0.1, -0.2], running_var=[1.5, 0.5])]
GN_SAMPLES = [Sample((2, 4, 3), (4,), (4,), num_groups=2),
              Sample((2, 6, 2, 2), 1.0, 0.0, num_groups=3, eps=1e-3), Sample((3, 2), (2,), (2,), num_groups=1)]


_BN_X = [[1.0, -2.0], [3.0, 0.5], [-1.0, 4.0]]
_IN_X = [[[1.0, -2.0, 0.5], [3.0, 0.5, 1.0]], [[-1.0, 4.0, 2.0], [0.0, 1.0, -3.0]]]
_STATS = ([0.5, -1.0], [2.0, 0.5])
# PyTorch 2.13's results and running statistics after the call (momentum 0.1, the variance unbiased)
BN_CASES = [
    EdgeCase(_BN_X, *_STATS, params={"training": True}, value=[
        [0.0, -1.151384333829694], [1.2247425750014138, -0.13545698045055227], [-1.2247425750014138, 1.2868413142802464]],
        writes={1: [0.55, -0.8166666666666667], 2: [2.2, 1.3583333333333332]},
        why="PyTorch's: training updates the running statistics in place"),
    EdgeCase(_IN_X, *_STATS, params={"training": True}, value=[
        [[0.12803671201600675, -1.408403832176074, -0.1280367120160067],
         [1.4438116868058521, 0.046574570542124244, 0.32602199379486985]],
        [[-0.896256984112047, 1.6644772562080874, 0.6401835600800336],
         [-0.23287285271062133, 0.32602199379486985, -1.9095573922270948]]],
        writes={1: [0.525, -0.8583333333333334], 2: [2.2575000000000003, 0.8341666666666667]},
        why="PyTorch's: a channel's statistics are over the batch and every position after the channel dim"),
    EdgeCase(_BN_X, *_STATS, params={"training": False}, value=[
        [0.35355250671311184, -1.4141994204496], [1.7677625335655591, 2.1212991306744],
        [-1.0606575201393356, 7.0709971022480005]], writes=dict(enumerate(_STATS, 1)),
        why="PyTorch's: evaluation reads the running statistics and leaves them as they were"),
    EdgeCase(_BN_X, *_STATS, value=[
        [0.35355250671311184, -1.4141994204496], [1.7677625335655591, 2.1212991306744],
        [-1.0606575201393356, 7.0709971022480005]], writes=dict(enumerate(_STATS, 1)),
        why="training defaults to False: evaluation, as above"),
    EdgeCase(_BN_X, _STATS[0], None, params={"training": True}, raises=ValueError,
             match="running_mean and running_var must either both be None or neither be None"),
    EdgeCase(_BN_X, _STATS[0], None, params={"training": False}, raises=RuntimeError,
             match="running_var must be defined in evaluation mode"),
]
IN_CASES = [
    EdgeCase(_IN_X, *_STATS, value=[
        [[0.8889983080422502, -1.3969973412092505, 0.5079990331670001],
         [1.3887241979964464, -0.9258161319976311, -0.4629080659988156]],
        [[-1.2977698322143145, 1.135548603187525, 0.16222122902678926],
         [0.39223159141458575, 0.9805789785364644, -1.3728105699510502]]],
        writes={1: [0.525, -0.8583333333333334], 2: [2.2458333333333336, 0.7541666666666667]},
        why="PyTorch's: the batch's mean of the instances' statistics updates the running ones in place"),
    EdgeCase(_IN_X, *_STATS, params={"use_input_stats": False}, value=[
        [[0.35355250671311184, -1.7677625335655591, 0.0], [5.6567976817984, 2.1212991306744, 2.8283988408992]],
        [[-1.0606575201393356, 2.4748675469917827, 1.0606575201393356], [1.4141994204496, 2.8283988408992,
                                                                           -2.8283988408992]]],
        writes=dict(enumerate(_STATS, 1)), why="PyTorch's: use_input_stats=False reads them and leaves them alone"),
    EdgeCase(_IN_X, None, _STATS[1], raises=ValueError,
             match="running_mean and running_var must either both be None or neither be None"),
    EdgeCase(_IN_X, _STATS[0], None, params={"use_input_stats": False}, raises=RuntimeError,
             match="Expected running_mean and running_var to be defined when use_input_stats is false"),
]


def register(registry: Registry) -> None:
    registry.register_op(
        "native_layer_norm", forward=_native_layer_norm, vjp=(_ln_vjp_x, _ln_vjp_w, _bias_vjp),
        saves=("inputs",), reads=((0, 1), (0,), ()), samples=LN_SAMPLES, reference=ref.native_layer_norm)
    registry.register_op(
        "native_batch_norm", forward=_native_batch_norm, vjp=(_bn_vjp_x, _bn_vjp_w, _channel_sum),
        saves=("inputs",), reads=((0, 1), (0,), (0,)), samples=BN_SAMPLES, reference=ref.native_batch_norm)
    registry.register_op(
        "native_group_norm", forward=_native_group_norm, vjp=(_gn_vjp_x, _gn_vjp_w, _channel_sum),
        saves=("inputs",), reads=((0, 1), (0,), (0,)), samples=GN_SAMPLES, reference=ref.native_group_norm)
    registry.register_composite(F + "layer_norm", layer_norm, samples=[
        Sample((2, 3, 4), normalized_shape=(3, 4), eps=1e-3), Sample((2, 3, 4), 4, (4,), (4,))], reference=ref.layer_norm)
    registry.register_composite(F + "batch_norm", batch_norm, samples=[
        Sample((4, 3, 2), running_mean=None, running_var=None, training=True)], reference=ref.batch_norm,
        edge_cases=BN_CASES)
    registry.register_composite(F + "instance_norm", instance_norm, samples=[
        Sample((2, 3, 4), weight=None, bias=None), Sample((2, 2, 2, 3), None, None, (2,), (2,), eps=1e-3)],
        reference=ref.instance_norm, edge_cases=IN_CASES)
    registry.register_composite(F + "group_norm", group_norm, samples=[Sample((2, 4, 3), num_groups=2)],
                                reference=ref.group_norm)
