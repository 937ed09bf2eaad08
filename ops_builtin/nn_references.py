"""References for the conformance kit's ``reference`` check of the nn.functional convolution,
pooling and normalization ops: each op by its definition, a loop over output positions in plain
NumPy, written independently of the im2col forwards in ``nn_conv.py`` and ``nn_norm.py``."""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np


def _tuple(v: Any, n: int) -> tuple[int, ...]:
    return tuple(int(e) for e in v) * (n if len(v) == 1 else 1) if isinstance(v, (list, tuple)) else (int(v),) * n


# ---------------------------------------------------------------------------- convolution
def convolution(x: np.ndarray, w: np.ndarray, b: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                transposed: bool = False, output_padding: Any = 0, groups: int = 1) -> np.ndarray:
    """``out[n, o, i, j] = b[o] + sum over c, a, e of w[o, c, a, e] * xpad[n, g(o) * Cg + c, i s + a d, j s + e d]``."""
    rank = w.ndim - 2
    if rank == 1:
        return convolution(x[:, :, None], w[:, :, None], b, (1, *_tuple(stride, 1)), (0, *_tuple(padding, 1)),
                           (1, *_tuple(dilation, 1)), transposed, (0, *_tuple(output_padding, 1)), groups)[:, :, 0]
    if transposed:
        return _transposed(x, w, b, _tuple(stride, 2), _tuple(padding, 2), _tuple(dilation, 2),
                           _tuple(output_padding, 2), groups)
    s, p, d = _tuple(stride, 2), _tuple(padding, 2), _tuple(dilation, 2)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros((n, o, oh, ow))
    per = o // groups
    for oi, i, j in itertools.product(range(o), range(oh), range(ow)):
        g = oi // per
        window = xp[:, g * cg:(g + 1) * cg, i * s[0]:i * s[0] + d[0] * (kh - 1) + 1:d[0],
                    j * s[1]:j * s[1] + d[1] * (kw - 1) + 1:d[1]]
        out[:, oi, i, j] = (window * w[oi]).sum(axis=(1, 2, 3))
    return out + (b if isinstance(b, (int, float)) else b[:, None, None])


def _transposed(x: np.ndarray, w: np.ndarray, b: Any, s: tuple[int, ...], p: tuple[int, ...],
                d: tuple[int, ...], op: tuple[int, ...], groups: int) -> np.ndarray:
    """``x[n, c, i, j] * w[c, o, a, e]`` added at output position ``(i s + a d - p, j s + e d - p)``."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    size = [(h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + 1 + op[0],
            (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + 1 + op[1]]
    out = np.zeros((n, og * groups, size[0] + 2 * p[0], size[1] + 2 * p[1]))
    cg = c // groups
    for ci, i, j, a, e in itertools.product(range(c), range(h), range(wd), range(kh), range(kw)):
        g = ci // cg
        out[:, g * og:(g + 1) * og, i * s[0] + a * d[0], j * s[1] + e * d[1]] += x[:, ci, i, j, None] * w[ci, :, a, e]
    out = out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    return out + (b if isinstance(b, (int, float)) else b[:, None, None])


def conv_transpose(input: np.ndarray, weight: np.ndarray, bias: Any = None, stride: Any = 1, padding: Any = 0,
                   output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> np.ndarray:
    """``F.conv_transpose1d``/``F.conv_transpose2d``, batched or not."""
    batched = input.ndim == weight.ndim
    out = convolution(input if batched else input[None], weight, 0 if bias is None else bias, stride, padding,
                      dilation, True, output_padding, groups)
    return out if batched else out[0]


def _same(x: np.ndarray, w: np.ndarray, dilation: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """``padding="same"``: the input padded by the odd remainders on the right, and the even part."""
    rank = w.ndim - 2
    d = _tuple(dilation, rank)
    totals = [d[i] * (w.shape[2 + i] - 1) for i in range(rank)]
    widths = [(0, 0), (0, 0)] + [(0, t % 2) for t in totals]
    return np.pad(x, widths), tuple(t // 2 for t in totals)


def conv(input: np.ndarray, weight: np.ndarray, bias: Any = None, stride: Any = 1, padding: Any = 0,
         dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """``F.conv1d``/``F.conv2d``: batched or not, padding also "same"/"valid"."""
    batched = input.ndim == weight.ndim
    x = input if batched else input[None]
    if padding == "valid":
        padding = 0
    elif padding == "same":
        x, padding = _same(x, weight, dilation)
    out = convolution(x, weight, 0 if bias is None else bias, stride, padding, dilation, groups=groups)
    return out if batched else out[0]


# ---------------------------------------------------------------------------- im2col / col2im
def _blocks(size: Sequence[int], k: Sequence[int], d: Sequence[int], p: Sequence[int],
            s: Sequence[int]) -> tuple[int, int]:
    out = [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    return out[0], out[1]


def unfold(x: np.ndarray, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> np.ndarray:
    """Column ``l`` of block ``(i, j)`` holds ``xpad[c, i s + a d, j s + e d]`` at row ``(c, a, e)``."""
    k, d, p, s = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    batched = x.ndim == 4
    x4 = x if batched else x[None]
    xp = np.pad(x4, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh, ow = _blocks(x4.shape[2:], k, d, p, s)
    n, c = x4.shape[:2]
    out = np.zeros((n, c * k[0] * k[1], oh * ow))
    for ci, a, e, i, j in itertools.product(range(c), range(k[0]), range(k[1]), range(oh), range(ow)):
        out[:, (ci * k[0] + a) * k[1] + e, i * ow + j] = xp[:, ci, i * s[0] + a * d[0], j * s[1] + e * d[1]]
    return out if batched else out[0]


def fold(x: np.ndarray, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> np.ndarray:
    """Every column entry added back to the input position it would have been read from."""
    size, k, d, p, s = (_tuple(v, 2) for v in (output_size, kernel_size, dilation, padding, stride))
    batched = x.ndim == 3
    x3 = x if batched else x[None]
    n, rows, _ = x3.shape
    c = rows // (k[0] * k[1])
    oh, ow = _blocks(size, k, d, p, s)
    out = np.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]))
    for ci, a, e, i, j in itertools.product(range(c), range(k[0]), range(k[1]), range(oh), range(ow)):
        out[:, ci, i * s[0] + a * d[0], j * s[1] + e * d[1]] += x3[:, (ci * k[0] + a) * k[1] + e, i * ow + j]
    out = out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    return out if batched else out[0]


# ---------------------------------------------------------------------------- pooling
def _pool_geometry(shape: Sequence[int], k: Sequence[int], s: Sequence[int], p: Sequence[int], d: Sequence[int],
                   ceil_mode: bool) -> list[int]:
    out = []
    for n, kk, ss, pp, dd in zip(shape[-2:], k, s, p, d):
        eff = dd * (kk - 1) + 1
        o = (n + 2 * pp - eff + (ss - 1 if ceil_mode else 0)) // ss + 1
        if ceil_mode and (o - 1) * ss >= n + pp:
            o -= 1
        out.append(o)
    return out


def _stride(stride: Any, k: tuple[int, ...], n: int) -> tuple[int, ...]:
    return k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _tuple(stride, n)


def _max_pool(x: np.ndarray, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's scan: the first strict maximum of each window, a NaN always taking over."""
    k = _tuple(kernel_size, 2)
    s, p, d = _stride(stride, k, 2), _tuple(padding, 2), _tuple(dilation, 2)
    h, w = x.shape[-2:]
    oh, ow = _pool_geometry(x.shape, k, s, p, d, ceil_mode)
    planes = x.reshape(-1, h, w)
    out = np.full((planes.shape[0], oh, ow), -np.inf)
    idx = np.zeros((planes.shape[0], oh, ow), dtype=np.int64)
    for q, i, j in itertools.product(range(planes.shape[0]), range(oh), range(ow)):
        rows = [r for r in (i * s[0] - p[0] + a * d[0] for a in range(k[0])) if 0 <= r < h]
        cols = [c for c in (j * s[1] - p[1] + e * d[1] for e in range(k[1])) if 0 <= c < w]
        best, where = -np.inf, None
        for r, c in itertools.product(rows, cols):
            v = planes[q, r, c]
            if where is None:
                where = r * w + c
            if v > best or math.isnan(v):
                best, where = v, r * w + c
        out[q, i, j] = best
        first_r = next((r for r in (i * s[0] - p[0] + a * d[0] for a in range(k[0])) if r >= 0), 0)
        first_c = next((c for c in (j * s[1] - p[1] + e * d[1] for e in range(k[1])) if c >= 0), 0)
        idx[q, i, j] = where if where is not None else first_r * w + first_c
    lead = x.shape[:-2]
    return out.reshape(*lead, oh, ow), idx.reshape(*lead, oh, ow)


def max_pool2d(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False) -> np.ndarray:
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode)[0]


def max_pool2d_fn(input: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                  ceil_mode: bool = False, return_indices: bool = False) -> Any:
    out, idx = _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _lift(v: Any, fill: int) -> tuple[int, int]:
    return (fill, _tuple(v, 1)[0])


def max_pool1d_fn(input: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                  ceil_mode: bool = False, return_indices: bool = False) -> Any:
    s = None if stride is None else _lift(stride, 1)
    out, idx = _max_pool(input[..., None, :], _lift(kernel_size, 1), s, _lift(padding, 0), _lift(dilation, 1),
                         ceil_mode)
    return (out[..., 0, :], idx[..., 0, :]) if return_indices else out[..., 0, :]


def avg_pool2d(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: Any = None) -> np.ndarray:
    """The window's sum over PyTorch's count: the window cut at the padding's end (``count_include_pad``),
    else at the input's, or ``divisor_override``."""
    k = _tuple(kernel_size, 2)
    s, p = _stride(stride, k, 2), _tuple(padding, 2)
    h, w = x.shape[-2:]
    oh, ow = _pool_geometry(x.shape, k, s, p, (1, 1), ceil_mode)
    out = np.zeros((*x.shape[:-2], oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        r0, c0 = i * s[0] - p[0], j * s[1] - p[1]
        r1, c1 = min(r0 + k[0], h + p[0]), min(c0 + k[1], w + p[1])
        total = x[..., max(r0, 0):min(r1, h), max(c0, 0):min(c1, w)].sum(axis=(-2, -1))
        if divisor_override is not None:
            count = divisor_override
        elif count_include_pad:
            count = (r1 - r0) * (c1 - c0)
        else:
            count = (min(r1, h) - max(r0, 0)) * (min(c1, w) - max(c0, 0))
        out[..., i, j] = total / count
    return out


def avg_pool1d_fn(input: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0,
                  ceil_mode: bool = False, count_include_pad: bool = True) -> np.ndarray:
    s = None if stride is None else _lift(stride, 1)
    return avg_pool2d(input[..., None, :], _lift(kernel_size, 1), s, _lift(padding, 0), ceil_mode,
                      count_include_pad)[..., 0, :]


def adaptive_avg_pool2d(x: np.ndarray, output_size: Any) -> np.ndarray:
    h, w = x.shape[-2:]
    size = [n if v is None else int(v) for n, v in zip((h, w), output_size)] if isinstance(
        output_size, (list, tuple)) and len(output_size) == 2 else list(_tuple(output_size, 2))
    out = np.zeros((*x.shape[:-2], *size))
    for i, j in itertools.product(range(size[0]), range(size[1])):
        r0, r1 = (i * h) // size[0], math.ceil((i + 1) * h / size[0])
        c0, c1 = (j * w) // size[1], math.ceil((j + 1) * w / size[1])
        out[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return out


def adaptive_avg_pool1d_fn(input: np.ndarray, output_size: Any) -> np.ndarray:
    return adaptive_avg_pool2d(input[..., None, :], (1, _tuple(output_size, 1)[0]))[..., 0, :]


# ---------------------------------------------------------------------------- padding
_NUMPY_MODES: dict[str, Any] = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_fn(input: np.ndarray, pad: Sequence[int], mode: str = "constant", value: Any = None) -> np.ndarray:
    """NumPy's ``pad``, pairs read from the last dimension back; negative constant pads crop."""
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    crop = tuple(slice(max(-a, 0), n - max(-b, 0)) for (a, b), n in zip(widths, input.shape))
    positive = [(max(a, 0), max(b, 0)) for a, b in widths]
    if mode == "constant":
        return np.pad(input[crop], positive, constant_values=0.0 if value is None else value)
    return np.pad(input, positive, mode=_NUMPY_MODES[mode])


# ---------------------------------------------------------------------------- normalization
def _standardize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def native_layer_norm(x: np.ndarray, weight: Any, bias: Any, normalized_shape: Any, eps: float = 1e-5) -> np.ndarray:
    n = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    return _standardize(x, tuple(range(x.ndim - n, x.ndim)), eps) * weight + bias


def layer_norm(input: np.ndarray, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> np.ndarray:
    return native_layer_norm(input, 1.0 if weight is None else weight, 0.0 if bias is None else bias,
                             normalized_shape, eps)


def _per_channel(v: Any, ndim: int) -> Any:
    return v if isinstance(v, (int, float)) else np.reshape(v, (-1,) + (1,) * (ndim - 2))


def native_batch_norm(x: np.ndarray, weight: Any, bias: Any, training: bool = True, running_mean: Any = None,
                      running_var: Any = None, eps: float = 1e-5) -> np.ndarray:
    axes = (0, *range(2, x.ndim))
    if training:
        xhat = _standardize(x, axes, eps)
    else:
        xhat = (x - _per_channel(np.asarray(running_mean), x.ndim)) / np.sqrt(
            _per_channel(np.asarray(running_var), x.ndim) + eps)
    return xhat * _per_channel(weight, x.ndim) + _per_channel(bias, x.ndim)


def batch_norm(input: np.ndarray, running_mean: Any, running_var: Any, weight: Any = None, bias: Any = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
    return native_batch_norm(input, 1.0 if weight is None else weight, 0.0 if bias is None else bias, training,
                             running_mean, running_var, eps)


def native_group_norm(x: np.ndarray, weight: Any, bias: Any, num_groups: int, eps: float = 1e-5) -> np.ndarray:
    grouped = x.reshape(x.shape[0], num_groups, -1)
    xhat = _standardize(grouped, (2,), eps).reshape(x.shape)
    return xhat * _per_channel(weight, x.ndim) + _per_channel(bias, x.ndim)


def group_norm(input: np.ndarray, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> np.ndarray:
    return native_group_norm(input, 1.0 if weight is None else weight, 0.0 if bias is None else bias, num_groups,
                             eps)


def instance_norm(input: np.ndarray, running_mean: Any = None, running_var: Any = None, weight: Any = None,
                  bias: Any = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> np.ndarray:
    axes = tuple(range(2, input.ndim))
    if use_input_stats:
        xhat = _standardize(input, axes, eps)
    else:
        xhat = (input - _per_channel(np.asarray(running_mean), input.ndim)) / np.sqrt(
            _per_channel(np.asarray(running_var), input.ndim) + eps)
    return xhat * _per_channel(1.0 if weight is None else weight, input.ndim) + _per_channel(
        0.0 if bias is None else bias, input.ndim)
