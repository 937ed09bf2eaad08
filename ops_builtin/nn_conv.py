"""``tapegrad.nn.functional``: convolution, pooling, im2col/col2im and padding.

Everything spatial is 2-D underneath, as in PyTorch's CPU kernels: a 1-D convolution or pool is
the 2-D one on a height of 1. The kernels rest on one pair of linear maps that are each other's
adjoint, ``unfold`` (im2col: every kernel-sized window of the padded input as a column) and
``fold`` (col2im: the columns added back where they came from). Both are a loop over the kernel
offsets (``kh * kw`` strided slices), array-API only, so they run on any backend.

- ``convolution`` is im2col then one ``matmul`` (BLAS) per group; its VJPs are the same two
  moves: the input's cotangent is ``fold(W^T @ g)``, the weight's ``g @ unfold(x)^T``. They are
  written with ``xp`` and call ``fold``/``unfold`` as ops, so under ``create_graph`` each step is
  recorded and convolution is differentiable to any order (gradient penalties need the second).
- ``max_pool2d``'s VJP adds ``g`` at the argmax of each window (first maximum, as PyTorch);
  ``avg_pool2d``'s is ``fold`` of ``g`` over the divisors; ``adaptive_avg_pool2d`` is two small
  averaging matrices, ``P_h @ x @ P_w^T``, so its VJP is ``P_h^T @ g @ P_w``.

The public ``nn.functional`` functions with PyTorch's signatures (an optional ``bias``,
``padding="same"``, ``return_indices``, 1-D variants) are composites over these kernels, and
check their arguments in PyTorch's words before anything runs.
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from tapegrad.testing.samples import EdgeCase, Sample

from . import nn_references as ref

if TYPE_CHECKING:
    from tapegrad import Registry

F = "nn.functional."


def _op(xp: Any, name: str) -> Any:
    """A registered op through ``xp`` (dotted names included), so VJPs record under ``create_graph``."""
    return getattr(xp, name)


# ---------------------------------------------------------------------------- arguments
def _int(v: Any, what: str) -> int:
    if isinstance(v, bool):
        raise TypeError(f"{what} must be an int or a tuple of ints, not bool")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{what} must be an int or a tuple of ints, not {type(v).__name__}") from None


def ntuple(v: Any, n: int, what: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as an ``n``-tuple (PyTorch's ``_pair``)."""
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (_int(v[0], what),) * n
        if len(v) != n:
            raise RuntimeError(f"{what} must be an int or a tuple of {n} ints, but got {what}={list(v)}")
        return tuple(_int(e, what) for e in v)
    return (_int(v, what),) * n


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in x.shape)


def _blocks(size: int, k: int, d: int, p: int, s: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


# ---------------------------------------------------------------------------- im2col / col2im
def _padded(xp: Any, x: Any, pads: Sequence[tuple[int, int]], value: float = 0.0) -> Any:
    """``x`` (..., H, W) with ``pads`` = ((top, bottom), (left, right)) of ``value`` (raw arrays)."""
    (t, b), (left, r) = pads
    if not (t or b or left or r):
        return x
    *lead, h, w = _shape(x)
    out = xp.full((*lead, h + t + b, w + left + r), value, dtype=x.dtype)
    out[..., t:t + h, left:left + w] = x
    return out


def _im2col(xp: Any, x: Any, k: Sequence[int], d: Sequence[int], s: Sequence[int], out_hw: Sequence[int]) -> Any:
    """Windows of the (already padded) ``x`` (N, C, H, W) as (N, C, kh * kw, oh * ow)."""
    n, c = _shape(x)[:2]
    oh, ow = out_hw
    if isinstance(x, np.ndarray):  # NumPy: one strided view of every window, copied once
        span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
        view = np.lib.stride_tricks.sliding_window_view(x, span, axis=(2, 3))
        view = view[:, :, :s[0] * (oh - 1) + 1:s[0], :s[1] * (ow - 1) + 1:s[1], ::d[0], ::d[1]]
        return view.transpose(0, 1, 4, 5, 2, 3).reshape(n, c, k[0] * k[1], oh * ow)
    parts = [x[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0], j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
             for i in range(k[0]) for j in range(k[1])]
    return xp.reshape(xp.stack(parts, axis=2), (n, c, k[0] * k[1], oh * ow))


def _col2im(xp: Any, cols: Any, size: Sequence[int], k: Sequence[int], d: Sequence[int], s: Sequence[int],
            out_hw: Sequence[int]) -> Any:
    """The adjoint of ``_im2col``: (N, C, kh * kw, oh * ow) added into zeros of (N, C, *size)."""
    n, c = _shape(cols)[:2]
    oh, ow = out_hw
    cols = xp.reshape(cols, (n, c, k[0] * k[1], oh, ow))
    out = xp.zeros((n, c, *size), dtype=cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            rows = slice(i * d[0], i * d[0] + s[0] * (oh - 1) + 1, s[0])
            columns = slice(j * d[1], j * d[1] + s[1] * (ow - 1) + 1, s[1])
            out[:, :, rows, columns] += cols[:, :, i * k[1] + j, ...]
    return out


def _window_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple[tuple[int, ...], ...]:
    k, d = ntuple(kernel_size, 2, "kernel_size"), ntuple(dilation, 2, "dilation")
    p, s = ntuple(padding, 2, "padding"), ntuple(stride, 2, "stride")
    if min(k) <= 0 or min(d) <= 0 or min(s) <= 0:
        raise RuntimeError(f"kernel size, dilation and stride should be greater than zero, but got kernel_size="
                           f"{k}, dilation={d}, stride={s}")
    if min(p) < 0:
        raise RuntimeError(f"padding should be non-negative, but got padding={p}")
    return k, d, p, s


def _refuse_rank(shape: tuple[int, ...], dim: int) -> None:
    """PyTorch reads dimension ``dim`` (or ``-3``) of a 2-D input before checking its rank: an IndexError."""
    if len(shape) == 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-2, 1], but got {dim})")


def _unfold(xp: Any, x: Any, *, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Any:
    """Every kernel-sized block of ``x`` (N, C, H, W) as a column: (N, C * kh * kw, L) (im2col)."""
    shape = _shape(x)
    _refuse_rank(shape, 2)
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got: {list(shape)}")
    k, d, p, s = _window_args(kernel_size, dilation, padding, stride)
    out = tuple(_blocks(shape[-2 + i], k[i], d[i], p[i], s[i]) for i in range(2))
    if min(out) < 1:
        raise RuntimeError(
            f"Given input with spatial size {tuple(shape[-2:])}, kernel_size={k}, dilation={d}, padding={p}, "
            f"calculated shape of the array of sliding blocks as {out}, but its components must be at least one.")
    x4 = x if len(shape) == 4 else xp.reshape(x, (1, *shape))
    cols = _im2col(xp, _padded(xp, x4, tuple((q, q) for q in p)), k, d, s, out)
    n, c = _shape(x4)[:2]
    return xp.reshape(cols, (n, c * k[0] * k[1], out[0] * out[1]) if len(shape) == 4 else
                      (c * k[0] * k[1], out[0] * out[1]))


def _fold(xp: Any, x: Any, *, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
          stride: Any = 1) -> Any:
    """The columns of ``x`` (N, C * kh * kw, L) added back into (N, C, *output_size) (col2im)."""
    shape = _shape(x)
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got: {list(shape)}")
    size = ntuple(output_size, 2, "output_size")
    k, d, p, s = _window_args(kernel_size, dilation, padding, stride)
    rows, length = shape[-2:]
    if rows % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension {len(shape) - 2} to be divisible by the product of "
                           f"kernel_size, but got input.size({len(shape) - 2})={rows} and kernel_size={k}.")
    out = tuple(_blocks(size[i], k[i], d[i], p[i], s[i]) for i in range(2))
    if out[0] * out[1] != length:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, expected size of "
            f"input's dimension {len(shape) - 1} to match the calculated number of sliding blocks {out[0]} * "
            f"{out[1]} = {out[0] * out[1]}, but got input.size({len(shape) - 1})={length}.")
    n = shape[0] if len(shape) == 3 else 1
    c = rows // (k[0] * k[1])
    cols = xp.reshape(x, (n, c, k[0] * k[1], length))
    full = _col2im(xp, cols, (size[0] + 2 * p[0], size[1] + 2 * p[1]), k, d, s, out)
    full = full[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    return full if len(shape) == 3 else xp.reshape(full, (c, *size))


def _unfold_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                stride: Any = 1) -> Any:
    return _op(xp, F + "fold")(g, output_size=tuple(x.shape[-2:]), kernel_size=kernel_size, dilation=dilation,
                               padding=padding, stride=stride)


def _fold_vjp(xp: Any, g: Any, ans: Any, x: Any, *, output_size: Any, kernel_size: Any, dilation: Any = 1,
              padding: Any = 0, stride: Any = 1) -> Any:
    return _op(xp, F + "unfold")(g, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)


# ---------------------------------------------------------------------------- convolution
def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _conv_args(x: Any, w: Any, stride: Any, padding: Any, dilation: Any, groups: Any,
               what: str) -> tuple[tuple[int, ...], tuple[int, ...], int, int, tuple[tuple[int, ...], ...]]:
    """The shapes, rank, groups and (stride, padding, dilation) of a convolution, checked in PyTorch's words."""
    xs, ws = _shape(x), _shape(w)
    rank = len(ws) - 2
    if rank not in (1, 2) or len(xs) != rank + 2:
        raise RuntimeError(f"Expected {rank + 2}D (batched) input to {what}{rank}d with weight of size {list(ws)}, "
                           f"but got input of size: {list(xs)}")
    g = _int(groups, "groups")
    if g <= 0:
        raise RuntimeError("non-positive groups is not supported")
    s, p, d = (ntuple(v, rank, what) for v, what in ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    if min(s) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(p) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(d) <= 0:
        raise RuntimeError("non-positive dilation is not supported")
    if ws[0] % g:
        raise RuntimeError(f"Given groups={g}, expected weight to be divisible by {g} at dimension 0, but got weight "
                           f"of size [{list(ws)}] instead")
    return xs, ws, rank, g, (s, p, d)


def _add_bias(xp: Any, out: Any, b: Any, rank: int) -> Any:
    """``b`` (O,) added per output channel; a number as it is (0: none)."""
    if not _number(b):
        return out + xp.reshape(b, (-1,) + (1,) * rank)
    return out + b if b else out


def _conv_geometry(x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any, groups: Any) -> dict[str, Any]:
    """Shapes and windows of a convolution, checked in PyTorch's words; 1-D made 2-D (height 1)."""
    xs, ws, rank, g, (s, p, d) = _conv_args(x, w, stride, padding, dilation, groups, "conv")
    if xs[1] != ws[1] * g:
        raise RuntimeError(f"Given groups={g}, weight of size {list(ws)}, expected input{list(xs)} to have "
                           f"{ws[1] * g} channels, but got {xs[1]} channels instead")
    if not _number(b) and _shape(b) != (ws[0],):
        raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be 1-dimensional with {ws[0]} "
                           f"elements, but got bias of size {list(_shape(b))} instead")
    spatial, kernel = xs[2:], ws[2:]
    padded = tuple(n + 2 * q for n, q in zip(spatial, p))
    effective = tuple(dd * (kk - 1) + 1 for dd, kk in zip(d, kernel))
    if any(e > n for e, n in zip(effective, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, effective))}). Kernel size can't be greater than actual input size")
    lift = (1,) if rank == 1 else ()  # 1-D as 2-D with a height of 1
    k, s2, p2, d2 = (1,) * (2 - rank) + kernel, lift + s, (0,) * (2 - rank) + p, lift + d
    size = (1,) * (2 - rank) + spatial
    out = tuple(_blocks(size[i], k[i], d2[i], p2[i], s2[i]) for i in range(2))
    return dict(n=xs[0], c=xs[1], o=ws[0], groups=g, k=k, s=s2, p=p2, d=d2, size=size, out=out, rank=rank,
                cg=ws[1], out_shape=(xs[0], ws[0], *out[2 - rank:]))


def _convolution(xp: Any, x: Any, w: Any, b: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 transposed: bool = False, output_padding: Any = 0, groups: Any = 1) -> Any:
    """The convolution kernel behind ``conv1d``/``conv2d`` (PyTorch's ``torch.convolution``): ``x`` (N, C,
    [H,] W) with ``w`` (O, C/groups, [kh,] kw) and ``b`` (O,) or a number (0: no bias); im2col and one
    batched ``matmul``. ``transposed``: the adjoint, ``w`` (C, O/groups, ...), ``fold(W^T @ x)``, behind
    ``conv_transpose1d/2d``."""
    if transposed:
        return _transposed(xp, x, w, b, _transposed_geometry(x, w, b, stride, padding, dilation, groups,
                                                             output_padding))
    geo = _conv_geometry(x, w, b, stride, padding, dilation, groups)
    n, c, o, g, k, cg = geo["n"], geo["c"], geo["o"], geo["groups"], geo["k"], geo["cg"]
    x4 = xp.reshape(x, (n, c, *geo["size"]))
    cols = _im2col(xp, _padded(xp, x4, tuple((q, q) for q in geo["p"])), k, geo["d"], geo["s"], geo["out"])
    length = geo["out"][0] * geo["out"][1]
    kk = cg * k[0] * k[1]
    if g == 1:
        out = xp.matmul(xp.reshape(w, (o, kk)), xp.reshape(cols, (n, kk, length)))
    else:
        out = xp.matmul(xp.reshape(w, (g, o // g, kk)), xp.reshape(cols, (n, g, kk, length)))
    return _add_bias(xp, xp.reshape(out, geo["out_shape"]), b, geo["rank"])


def _conv_vjp_x(xp: Any, g: Any, ans: Any, x: Any, w: Any, b: Any, *, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, transposed: bool = False, output_padding: Any = 0, groups: Any = 1) -> Any:
    """``fold(W^T @ g)``: the transposed convolution of the cotangent (of a transposed one: ``W @ unfold(g)``)."""
    if transposed:
        geo = _transposed_geometry(x, w, b, stride, padding, dilation, groups, output_padding)
        n, gr, cgi, length = geo["n"], geo["groups"], geo["cin"] // geo["groups"], geo["length"]
        cols = xp.reshape(_unfold_output(xp, g, geo), (n, gr, geo["kk"], length))
        return xp.reshape(xp.matmul(xp.reshape(w, (gr, cgi, geo["kk"])), cols), tuple(x.shape))
    geo = _conv_geometry(x, w, b, stride, padding, dilation, groups)
    n, c, o, gr, k, cg = geo["n"], geo["c"], geo["o"], geo["groups"], geo["k"], geo["cg"]
    length, kk = geo["out"][0] * geo["out"][1], cg * k[0] * k[1]
    wt = xp.permute_dims(xp.reshape(w, (gr, o // gr, kk)), (0, 2, 1))
    cols = xp.matmul(wt, xp.reshape(g, (n, gr, o // gr, length)))  # (N, G, Cg * kh * kw, L)
    gx = _op(xp, F + "fold")(xp.reshape(cols, (n, c * k[0] * k[1], length)), output_size=geo["size"],
                             kernel_size=k, dilation=geo["d"], padding=geo["p"], stride=geo["s"])
    return xp.reshape(gx, tuple(x.shape))


def _conv_vjp_w(xp: Any, g: Any, ans: Any, x: Any, w: Any, b: Any, *, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, transposed: bool = False, output_padding: Any = 0, groups: Any = 1) -> Any:
    """``g @ unfold(x)^T``, summed over the batch (of a transposed one: ``x @ unfold(g)^T``)."""
    if transposed:
        geo = _transposed_geometry(x, w, b, stride, padding, dilation, groups, output_padding)
        n, gr, cgi, length = geo["n"], geo["groups"], geo["cin"] // geo["groups"], geo["length"]
        cols = xp.permute_dims(xp.reshape(_unfold_output(xp, g, geo), (n, gr, geo["kk"], length)), (0, 1, 3, 2))
        gw = xp.sum(xp.matmul(xp.reshape(x, (n, gr, cgi, length)), cols), axis=0)
        return xp.reshape(gw, tuple(w.shape))
    geo = _conv_geometry(x, w, b, stride, padding, dilation, groups)
    n, c, o, gr, k, cg = geo["n"], geo["c"], geo["o"], geo["groups"], geo["k"], geo["cg"]
    length, kk = geo["out"][0] * geo["out"][1], cg * k[0] * k[1]
    cols = _op(xp, F + "unfold")(xp.reshape(x, (n, c, *geo["size"])), kernel_size=k, dilation=geo["d"],
                                 padding=geo["p"], stride=geo["s"])
    cols = xp.permute_dims(xp.reshape(cols, (n, gr, kk, length)), (0, 1, 3, 2))
    gw = xp.sum(xp.matmul(xp.reshape(g, (n, gr, o // gr, length)), cols), axis=0)
    return xp.reshape(gw, tuple(w.shape))


def _conv_vjp_b(xp: Any, g: Any, ans: Any, x: Any, w: Any, b: Any, **params: Any) -> Any:
    return xp.sum(g, axis=(0, *range(2, len(g.shape))))


def _transposed_geometry(x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any, groups: Any,
                         output_padding: Any) -> dict[str, Any]:
    """Shapes of a transposed convolution, checked in PyTorch's words; 1-D made 2-D (height 1)."""
    xs, ws, rank, g, (s, p, d) = _conv_args(x, w, stride, padding, dilation, groups, "conv_transpose")
    op = ntuple(output_padding, rank, "output_padding")
    if min(op) < 0:
        raise RuntimeError("negative padding is not supported")
    if any(o >= ss and o >= dd for o, ss, dd in zip(op, s, d)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={list(op)}, stride={list(s)} and dilation={list(d)}")
    if any(o >= ss for o, ss in zip(op, s)):  # PyTorch allows it below the dilation; not implemented here
        raise NotImplementedError(f"conv_transpose{rank}d(): output_padding={list(op)} not smaller than "
                                  f"stride={list(s)} is not supported")
    if xs[1] != ws[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected input{list(xs)} to have "
                           f"{ws[0]} channels, but got {xs[1]} channels instead")
    o = ws[1] * g
    if not _number(b) and _shape(b) != (o,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected bias to be 1-dimensional with "
                           f"{o} elements, but got bias of size {list(_shape(b))} instead")
    spatial, kernel = xs[2:], ws[2:]
    full = tuple((n - 1) * ss - 2 * pp + dd * (kk - 1) + 1 for n, ss, pp, dd, kk in zip(spatial, s, p, d, kernel))
    if min(f + q for f, q in zip(full, op)) < 0:
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, spatial))}). Calculated output "
                           f"size per channel: ({' x '.join(str(f + q) for f, q in zip(full, op))}). Output size is "
                           "too small")
    lift = (1,) if rank == 1 else ()
    k = (1,) * (2 - rank) + kernel
    return dict(n=xs[0], cin=xs[1], o=o, groups=g, k=k, s=lift + s, p=(0,) * (2 - rank) + p, d=lift + d,
                op=(0,) * (2 - rank) + op, full=(1,) * (2 - rank) + full,
                rank=rank, kk=ws[1] * k[0] * k[1], length=math.prod(spatial),
                out_shape=(xs[0], o, *(f + q for f, q in zip(full, op))))


def _transposed(xp: Any, x: Any, w: Any, b: Any, geo: dict[str, Any]) -> Any:
    """``fold(W^T @ x)``: every input position spreads its kernel-weighted values over the output."""
    n, gr, o, k, kk, length = geo["n"], geo["groups"], geo["o"], geo["k"], geo["kk"], geo["length"]
    cgi = geo["cin"] // gr
    wt = xp.permute_dims(xp.reshape(w, (gr, cgi, kk)), (0, 2, 1))
    cols = xp.matmul(wt, xp.reshape(x, (n, gr, cgi, length)))  # (N, G, O/G * kh * kw, L)
    size = (geo["full"][0] + geo["op"][0], geo["full"][1] + geo["op"][1])
    out = _fold(xp, xp.reshape(cols, (n, o * k[0] * k[1], length)), output_size=size, kernel_size=k,
                dilation=geo["d"], padding=geo["p"], stride=geo["s"])
    return _add_bias(xp, xp.reshape(out, geo["out_shape"]), b, geo["rank"])


def _unfold_output(xp: Any, g: Any, geo: dict[str, Any]) -> Any:
    """The columns of a transposed convolution's cotangent, one per input position (output_padding below
    the stride adds no block)."""
    full, op = geo["full"], geo["op"]
    g4 = xp.reshape(g, (geo["n"], geo["o"], full[0] + op[0], full[1] + op[1]))
    return _op(xp, F + "unfold")(g4, kernel_size=geo["k"], dilation=geo["d"], padding=geo["p"], stride=geo["s"])


# ---------------------------------------------------------------------------- pooling
def _pool_sizes(shape: tuple[int, ...], k: tuple[int, int], s: tuple[int, int], p: tuple[int, int],
                d: tuple[int, int], ceil_mode: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    """Output size and right/bottom padding (``ceil_mode`` may reach past the left padding)."""
    for i in range(2):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:  # and of the kernel itself, dilation aside (PyTorch's next check)
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
                           f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    out, right = [], []
    for i in range(2):
        n, eff = shape[-2 + i], d[i] * (k[i] - 1) + 1
        o = (n + 2 * p[i] - eff + ((s[i] - 1) if ceil_mode else 0)) // s[i] + 1
        if ceil_mode and (o - 1) * s[i] >= n + p[i]:
            o -= 1
        out.append(o)
        right.append(max((o - 1) * s[i] + eff - n - p[i], 0))
    if min(out) < 1:
        planes = "x".join(map(str, shape[-3:]))
        raise RuntimeError(f"Given input size: ({planes}). Calculated output size: ({shape[-3]}x{out[0]}x{out[1]}). "
                           "Output size is too small")
    return (out[0], out[1]), (right[0], right[1])


def _pool_args(x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, what: str) -> tuple[Any, ...]:
    shape = _shape(x)
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError(f"non-empty 3D or 4D (batch mode) tensor expected for input{what}")
    k = ntuple(kernel_size, 2, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else ntuple(stride, 2, "stride")
    p, d = ntuple(padding, 2, "padding"), ntuple(dilation, 2, "dilation")
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError("stride should not be zero")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    if min(p) < 0:
        raise RuntimeError("pad must be non-negative")
    return shape, k, s, p, d


def _as_planes(xp: Any, x: Any, shape: tuple[int, ...]) -> Any:
    return xp.reshape(x, (math.prod(shape[:-2]), 1, *shape[-2:]))


def _lowest(xp: Any, dtype: Any) -> float:
    return -math.inf if xp.isdtype(dtype, "real floating") else int(np.iinfo(np.dtype(str(dtype).split(".")[-1])).min)


def _max_windows(xp: Any, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: bool) -> tuple[Any, tuple[int, ...], tuple[int, int], Any]:
    """Raw arrays: the windows (planes, k, L) of ``x`` padded with its lowest value."""
    shape, k, s, p, d = _pool_args(x, kernel_size, stride, padding, dilation, "")
    out, right = _pool_sizes(shape, k, s, p, d, bool(ceil_mode))
    planes = _as_planes(xp, x, shape)
    padded = _padded(xp, planes, ((p[0], right[0]), (p[1], right[1])), _lowest(xp, x.dtype))
    win = _im2col(xp, padded, k, d, s, out)
    return win[:, 0, ...], shape, out, (k, s, p, d)


def _max_pool2d(xp: Any, x: Any, *, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                ceil_mode: bool = False) -> Any:
    """The maximum of each window of ``x`` (N, C, H, W) or (C, H, W); PyTorch's ``torch.max_pool2d``."""
    win, shape, out, _ = _max_windows(xp, x, kernel_size, stride, padding, dilation, ceil_mode)
    return xp.reshape(xp.max(win, axis=1), (*shape[:-2], *out))


def _to_numpy(a: Any) -> np.ndarray:
    """A NumPy copy of a raw array or a tensor's values: for index computations (non-differentiable)."""
    if hasattr(a, "detach"):
        a = a.detach().numpy()
    return np.asarray(a)


def _window_positions(x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                      ceil_mode: bool) -> tuple[np.ndarray, np.ndarray]:
    """For each output element, the flat position in its input plane (H * W) PyTorch's kernel picks, and
    whether the window holds any input element. PyTorch scans a window in order keeping the first
    strict maximum, except that every NaN takes over (so the last NaN wins); a window of -inf keeps its
    first element; a window wholly in the padding keeps its first row/column at or past 0."""
    win, shape, out, (k, s, p, d) = _max_windows(np, _to_numpy(x), kernel_size, stride, padding, dilation,
                                                 ceil_mode)
    h, w = shape[-2:]
    oi, oj = np.divmod(np.arange(out[0] * out[1]), out[1])
    ki, kj = np.divmod(np.arange(k[0] * k[1]), k[1])
    rows = oi[None, :] * s[0] - p[0] + ki[:, None] * d[0]  # (k, L)
    cols = oj[None, :] * s[1] - p[1] + kj[:, None] * d[1]
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    if win.dtype.kind == "f":
        best = np.max(np.where(inside, win, -np.inf), axis=1, keepdims=True)
        nan = inside & np.isnan(win)
        last_nan = k[0] * k[1] - 1 - np.argmax(nan[:, ::-1], axis=1)
        pick = np.where(nan.any(axis=1), last_nan, np.argmax(inside & (win == best), axis=1))
    else:
        best = np.max(np.where(inside, win, np.iinfo(win.dtype).min), axis=1, keepdims=True)
        pick = np.argmax(inside & (win == best), axis=1)
    valid = inside.any(axis=0)
    r = np.take_along_axis(np.broadcast_to(rows, pick.shape[:1] + rows.shape), pick[:, None], 1)[:, 0]
    c = np.take_along_axis(np.broadcast_to(cols, pick.shape[:1] + cols.shape), pick[:, None], 1)[:, 0]
    start_r = np.where(rows[0] < 0, rows[0] + (-rows[0] + d[0] - 1) // d[0] * d[0], rows[0])
    start_c = np.where(cols[0] < 0, cols[0] + (-cols[0] + d[1] - 1) // d[1] * d[1], cols[0])
    pos = np.where(valid, r * w + c, start_r * w + start_c)
    lead = (*shape[:-2], *out)
    return pos.reshape(lead).astype(np.int64), np.broadcast_to(valid, pos.shape).reshape(lead)


def max_pool_positions(x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                       ceil_mode: bool) -> np.ndarray:
    """PyTorch's ``return_indices``: each maximum's flat position in its input plane (NumPy, int64)."""
    return _window_positions(x, kernel_size, stride, padding, dilation, ceil_mode)[0]


def _max_pool2d_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: Any, stride: Any = None, padding: Any = 0,
                    dilation: Any = 1, ceil_mode: bool = False) -> Any:
    """``g`` added at each window's pick (an ``index_scatter_add``, so differentiable in ``g``); windows
    wholly in the padding send nothing."""
    shape = _shape(x)
    pos, valid = _window_positions(x, kernel_size, stride, padding, dilation, ceil_mode)
    plane = shape[-2] * shape[-1]
    planes = math.prod(shape[:-2])
    flat = (pos.reshape(planes, -1) + (np.arange(planes) * plane)[:, None]).reshape(-1)
    g = xp.reshape(g, (-1,))
    if not valid.all():
        keep = np.flatnonzero(valid.reshape(-1))
        g, flat = xp.getitem(g, index=(keep,)), flat[keep]
    gx = xp.index_scatter_add(g, index=(flat,), shape=(planes * plane,))
    return xp.reshape(gx, shape)


def _avg_divisors(shape: tuple[int, ...], k: tuple[int, int], s: tuple[int, int], p: tuple[int, int],
                  out: tuple[int, int], count_include_pad: bool, divisor_override: Any) -> np.ndarray | float:
    """The divisor of each output element, as PyTorch's kernel counts it (one number when all agree)."""
    if divisor_override is not None:
        if _int(divisor_override, "divisor_override") == 0:
            raise RuntimeError("divisor must be not zero")
        return float(divisor_override)
    counts = []
    for i in range(2):
        n = shape[-2 + i]
        start = np.arange(out[i]) * s[i] - p[i]
        end = np.minimum(start + k[i], n + p[i])
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, n) - np.maximum(start, 0))
    table = np.outer(counts[0], counts[1]).astype(np.float64)
    return float(table.flat[0]) if np.all(table == table.flat[0]) else table


def _avg_args(x: Any, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool, count_include_pad: bool,
              divisor_override: Any) -> tuple[Any, ...]:
    _refuse_rank(_shape(x), -3)
    shape, k, s, p, d = _pool_args(x, kernel_size, stride, padding, 1, "")
    out, right = _pool_sizes(shape, k, s, p, d, bool(ceil_mode))
    return shape, k, s, p, out, right, _avg_divisors(shape, k, s, p, out, bool(count_include_pad), divisor_override)


def _divide(xp: Any, a: Any, div: np.ndarray | float) -> Any:
    return a / div if isinstance(div, float) else a / xp.asarray(div.reshape(-1), dtype=a.dtype)


def _avg_pool2d(xp: Any, x: Any, *, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                count_include_pad: bool = True, divisor_override: Any = None) -> Any:
    """The mean of each window of ``x`` (N, C, H, W) or (C, H, W), with PyTorch's divisors."""
    shape, k, s, p, out, right, div = _avg_args(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                                divisor_override)
    planes = _padded(xp, _as_planes(xp, x, shape), ((p[0], right[0]), (p[1], right[1])))
    total = xp.sum(_im2col(xp, planes, k, (1, 1), s, out)[:, 0, ...], axis=1)
    return xp.reshape(_divide(xp, total, div), (*shape[:-2], *out))


def _avg_pool2d_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: Any, stride: Any = None, padding: Any = 0,
                    ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: Any = None) -> Any:
    """``fold`` of ``g / divisor`` spread over each window, the padding cut off."""
    shape, k, s, p, out, right, div = _avg_args(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                                divisor_override)
    length = out[0] * out[1]
    spread = xp.broadcast_to(xp.reshape(_divide(xp, xp.reshape(g, (-1, length)), div), (-1, 1, length)),
                             (math.prod(shape[:-2]), k[0] * k[1], length))
    size = (shape[-2] + p[0] + right[0], shape[-1] + p[1] + right[1])
    full = _op(xp, F + "fold")(spread, output_size=size, kernel_size=k, stride=s)
    gx = xp.getitem(full, index=(slice(None), slice(None), slice(p[0], p[0] + shape[-2]),
                                 slice(p[1], p[1] + shape[-1])))
    return xp.reshape(gx, shape)


def _adaptive_matrix(n: int, m: int) -> np.ndarray:
    """(m, n): row i averages PyTorch's adaptive window ``[floor(i n / m), ceil((i + 1) n / m))``."""
    a = np.zeros((m, n))
    for i in range(m):
        start, end = (i * n) // m, -((-(i + 1) * n) // m)
        a[i, start:end] = 1.0 / (end - start)
    return a


def _adaptive_args(x: Any, output_size: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = _shape(x)
    if len(shape) not in (3, 4) or 0 in shape[-2:]:
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(shape)}")
    if isinstance(output_size, (list, tuple)):
        size = tuple(shape[-2 + i] if v is None else _int(v, "output_size") for i, v in enumerate(output_size))
        size = ntuple(size, 2, "output_size")
    else:
        size = ntuple(output_size, 2, "output_size")
    if min(size) < 0:
        raise RuntimeError(f"adaptive_avg_pool2d(): output_size must be non-negative, got {list(size)}")
    return shape, size


def _adaptive_pair(xp: Any, shape: tuple[int, ...], size: tuple[int, ...], dtype: Any) -> tuple[Any, Any]:
    ph = xp.asarray(_adaptive_matrix(shape[-2], size[0]), dtype=dtype)
    pwt = xp.asarray(_adaptive_matrix(shape[-1], size[1]).T.copy(), dtype=dtype)
    return ph, pwt


def _adaptive_avg_pool2d(xp: Any, x: Any, *, output_size: Any) -> Any:
    """The mean over PyTorch's adaptive windows: ``P_h @ x @ P_w^T`` with averaging matrices."""
    shape, size = _adaptive_args(x, output_size)
    ph, pwt = _adaptive_pair(xp, shape, size, x.dtype)
    return xp.matmul(ph, xp.matmul(x, pwt))


def _adaptive_avg_pool2d_vjp(xp: Any, g: Any, ans: Any, x: Any, *, output_size: Any) -> Any:
    shape, size = _adaptive_args(x, output_size)
    ph, pwt = _adaptive_pair(xp, shape, size, g.dtype)
    return xp.matmul(xp.permute_dims(ph, (1, 0)), xp.matmul(g, xp.permute_dims(pwt, (1, 0))))


def _adaptive_name(params: Any, inputs: Any) -> str:
    """PyTorch computes an output size of 1 as a mean (``MeanBackward1``)."""
    size = params.get("output_size")
    return "MeanBackward1" if size in (1, (1, 1), [1, 1]) else "AdaptiveAvgPool2DBackward0"


# ---------------------------------------------------------------------------- registration
CONV_SAMPLES = [
    Sample((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
    Sample((1, 2, 4, 5), (2, 2, 2, 3), 0, stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    Sample((1, 4, 5, 4), (2, 2, 3, 2), (2,), groups=2, padding=1),
    Sample((2, 2, 7), (3, 2, 3), (3,), stride=2, padding=1, dilation=2),
    Sample((2, 3, 3, 4), (3, 2, 2, 3), (2,), transposed=True, stride=(2, 1), padding=(1, 0), output_padding=(1, 0)),
    Sample((1, 4, 3, 3), (4, 1, 3, 2), 0, transposed=True, groups=2, dilation=(1, 2), stride=2, output_padding=1,
           padding=(0, 1)),
    Sample((2, 2, 5), (2, 3, 3), (3,), transposed=True, stride=3, padding=1, output_padding=2),
    Sample((2, 2, 5), (2, 3, 3), (3,), transposed=True, stride=2),  # output_padding left at its default, 0
    Sample((1, 2, 4, 4), (2, 2, 2, 2), 0.5),  # a number bias added as it is
]

UNFOLD_SAMPLES = [Sample((2, 2, 4, 5), kernel_size=(2, 3)),
                  Sample((1, 2, 5, 5), kernel_size=3, dilation=2, padding=1, stride=2),
                  Sample((2, 4, 3), kernel_size=2, stride=(1, 2)), Sample((2, 4, 5), kernel_size=(2, 3))]
FOLD_SAMPLES = [Sample((2, 12, 9), output_size=(4, 5), kernel_size=(2, 3)),
                Sample((1, 18, 9), output_size=5, kernel_size=3, dilation=2, padding=1, stride=(1, 1)),
                Sample((8, 4), output_size=(3, 4), kernel_size=2, stride=(1, 2)),
                Sample((1, 9, 36), output_size=4, kernel_size=3, padding=2)]
MAX_POOL_SAMPLES = [Sample((2, 2, 5, 5), kernel_size=2),
                    Sample((1, 2, 5, 6), kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2)),
                    Sample((2, 5, 5), kernel_size=2, stride=2, ceil_mode=True),
                    Sample((1, 1, 5, 5), kernel_size=2, stride=2, padding=1, ceil_mode=True),  # a last window in the padding: dropped
                    Sample((1, 2, 5, 5), kernel_size=3, stride=2, ceil_mode=True),  # the stride divides what the windows span
                    Sample((1, 2, 6, 5), kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1))]
AVG_POOL_SAMPLES = [Sample((2, 2, 5, 5), kernel_size=2),
                    Sample((1, 2, 5, 6), kernel_size=(3, 2), stride=(2, 1), padding=1),
                    Sample((1, 2, 5, 6), kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
                    Sample((1, 2, 5, 6), kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
                    Sample((2, 5, 5), kernel_size=2, divisor_override=3),
                    Sample((1, 1, 5, 5), kernel_size=2, stride=2, padding=1, ceil_mode=True),
                    Sample((1, 2, 3, 3), kernel_size=3, padding=1, stride=3, count_include_pad=False)]  # one window
ADAPTIVE_SAMPLES = [Sample((2, 2, 5, 7), output_size=(2, 3)), Sample((2, 4, 4), output_size=3),
                    Sample((1, 2, 3, 5), output_size=(None, 2)), Sample((1, 2, 3, 5), output_size=(2, None)),
                    Sample((2, 3, 5), output_size=(None, 2))]  # None keeps that input size, counted from the end

WINDOW_PARAMS = ("kernel_size", "dilation", "padding", "stride")


def register(registry: Registry) -> None:
    registry.register_op(
        F + "unfold", forward=_unfold, vjp=(_unfold_vjp,), saves=(), params=WINDOW_PARAMS,
        node_name="Im2ColBackward0", samples=UNFOLD_SAMPLES, reference=ref.unfold)
    registry.register_op(
        F + "fold", forward=_fold, vjp=(_fold_vjp,), saves=(), params=("output_size", *WINDOW_PARAMS),
        node_name="Col2ImBackward0", samples=FOLD_SAMPLES, reference=ref.fold)
    registry.register_op(
        "convolution", forward=_convolution, vjp=(_conv_vjp_x, _conv_vjp_w, _conv_vjp_b), saves=("inputs",),
        reads=((1,), (0,), ()), params=("stride", "padding", "dilation", "transposed", "output_padding", "groups"),
        samples=CONV_SAMPLES,
        reference=ref.convolution)
    registry.register_op(
        "max_pool2d", forward=_max_pool2d, inspects_values=True, vjp=(_max_pool2d_vjp,), saves=("inputs",),
        params=("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
        node_name="MaxPool2DWithIndicesBackward0", samples=MAX_POOL_SAMPLES, reference=ref.max_pool2d)
    registry.register_op(
        F + "avg_pool2d", forward=_avg_pool2d, vjp=(_avg_pool2d_vjp,), saves=(),
        params=("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
        node_name="AvgPool2DBackward0", samples=AVG_POOL_SAMPLES, reference=ref.avg_pool2d)
    registry.register_op(
        F + "adaptive_avg_pool2d", forward=_adaptive_avg_pool2d, vjp=(_adaptive_avg_pool2d_vjp,), saves=(),
        params=("output_size",), node_name=_adaptive_name, samples=ADAPTIVE_SAMPLES,
        reference=ref.adaptive_avg_pool2d)
    register_functional(registry)


# ---------------------------------------------------------------------------- the public functions
_TORCH_TYPES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _dtype_name(t: Any) -> str:
    return _TORCH_TYPES.get(str(t.dtype).split(".")[-1], str(t.dtype))


def _same_padding(weight: Any, rank: int, stride: Any, dilation: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``padding="same"``: the (left, extra right) padding per spatial dim, PyTorch's split of an odd total."""
    if any(v != 1 for v in ntuple(stride, rank, "stride")):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    d = ntuple(dilation, rank, "dilation")
    totals = [d[i] * (int(weight.shape[2 + i]) - 1) for i in range(rank)]
    return tuple(t // 2 for t in totals), tuple(t - 2 * (t // 2) for t in totals)


def _conv(rank: int) -> Any:
    def conv(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
             groups: int = 1) -> Any:
        import tapegrad

        x, batched = _batched(input, weight, bias, rank, "conv")
        if isinstance(padding, str):
            if padding == "valid":
                padding = 0
            elif padding == "same":
                padding, extra = _same_padding(weight, rank, stride, dilation)
                if any(extra):
                    flat = [v for e in reversed(extra) for v in (0, e)]
                    x = tapegrad.ops.pad(x, pad=tuple(flat))
            else:
                raise RuntimeError(f"Invalid padding string: {padding!r}")
        out = tapegrad.ops.convolution(x, weight, 0 if bias is None else bias, stride=stride, padding=padding,
                                       dilation=dilation, groups=groups)
        return out if batched else out.squeeze(0)

    conv.__name__ = f"conv{rank}d"
    conv.__doc__ = (f"PyTorch's ``F.conv{rank}d``: a {rank}-D convolution (cross-correlation) of ``input`` with "
                    "``weight``, optional ``bias``, ``stride``, ``padding`` (ints, or \"same\"/\"valid\"), "
                    "``dilation``, ``groups``; im2col and BLAS.")
    return conv


def _conv_transpose(rank: int) -> Any:
    def conv_transpose(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                       output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
        import tapegrad

        x, batched = _batched(input, weight, bias, rank, "conv_transpose")
        out = tapegrad.ops.convolution(x, weight, 0 if bias is None else bias,
                                       stride=stride, padding=padding, dilation=dilation, transposed=True,
                                       output_padding=output_padding, groups=groups)
        if 0 in tuple(out.shape)[2:]:  # torch.convolution allows it, F.conv_transpose does not
            lift = ["1"] * (2 - rank)
            raise RuntimeError(
                f"Given input size per channel: ({' x '.join(lift + [str(n) for n in input.shape[-rank:]])}). "
                f"Calculated output size per channel: ({' x '.join(lift + [str(n) for n in out.shape[-rank:]])}). "
                "Output size is too small")
        return out if batched else out.squeeze(0)

    conv_transpose.__name__ = f"conv_transpose{rank}d"
    conv_transpose.__doc__ = (f"PyTorch's ``F.conv_transpose{rank}d``: the adjoint of ``conv{rank}d`` (``weight`` "
                              "(C_in, C_out/groups, ...)), with ``output_padding`` below the stride; col2im of "
                              "``W^T @ x``.")
    return conv_transpose


def _batched(input: Any, weight: Any, bias: Any, rank: int, what: str) -> tuple[Any, bool]:
    """``input`` with a batch dimension, and whether it had one; ranks and dtypes checked as PyTorch does."""
    if input.ndim not in (rank + 1, rank + 2):
        raise RuntimeError(f"Expected {rank + 1}D (unbatched) or {rank + 2}D (batched) input to {what}{rank}d, "
                           f"but got input of size: {list(input.shape)}")
    if weight.ndim != rank + 2:
        raise RuntimeError(f"{what}{rank}d(): expected weight to be {rank + 2}-dimensional, but got weight of size "
                           f"{list(weight.shape)}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        other = weight if input.dtype != weight.dtype else bias
        raise RuntimeError(f"expected scalar type {_dtype_name(input)} but found {_dtype_name(other)}")
    batched = input.ndim == rank + 2
    return (input if batched else input.unsqueeze(0)), batched


def _one_d(v: Any, what: str, fill: int) -> tuple[int, int]:
    return (fill, ntuple(v, 1, what)[0])


def _max_pool2d_fn(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                   ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool2d``: the maximum of each window; ``return_indices`` adds the flat position
    of each maximum in its input plane (int64), as ``max_unpool2d`` reads them."""
    import tapegrad

    out = tapegrad.ops.max_pool2d(input, kernel_size=kernel_size, stride=stride, padding=padding,
                                  dilation=dilation, ceil_mode=ceil_mode)
    if not return_indices:
        return out
    # computed on the host from the shape alone (NumPy), then put on the input's backend (to() of the
    # backend it is on already returns the tensor itself)
    return out, tapegrad.tensor(max_pool_positions(input, kernel_size, stride, padding, dilation, ceil_mode)).to(
        input.backend)


def _lift_1d(input: Any, what: str) -> Any:
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{what}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got: {list(input.shape)}")
    return input.unsqueeze(-2)


def _max_pool1d_fn(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                   ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool1d``: ``max_pool2d`` on a height of 1."""
    x = _lift_1d(input, "max_pool1d()")
    k, p = ntuple(kernel_size, 1, "kernel_size")[0], ntuple(padding, 1, "padding")[0]
    if not return_indices and p > k // 2:  # its own kernel's words (with indices, max_pool2d's)
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    stride = None if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _one_d(
        stride, "stride", 1)
    out = _max_pool2d_fn(x, _one_d(kernel_size, "kernel_size", 1), stride, _one_d(padding, "padding", 0),
                         _one_d(dilation, "dilation", 1), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def _avg_pool1d_fn(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                   count_include_pad: bool = True) -> Any:
    """PyTorch's ``F.avg_pool1d``: ``avg_pool2d`` on a height of 1."""
    import tapegrad

    x = _lift_1d(input, "avg_pool1d()")
    stride = None if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _one_d(
        stride, "stride", 1)
    out = tapegrad.nn.functional.avg_pool2d(x, kernel_size=_one_d(kernel_size, "kernel_size", 1), stride=stride,
                                                padding=_one_d(padding, "padding", 0), ceil_mode=ceil_mode,
                                                count_include_pad=count_include_pad)
    return out.squeeze(-2)


def _adaptive_avg_pool1d_fn(input: Any, output_size: Any) -> Any:
    """PyTorch's ``F.adaptive_avg_pool1d``: ``adaptive_avg_pool2d`` on a height of 1."""
    import tapegrad

    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {list(input.shape)}")
    size = ntuple(output_size, 1, "output_size")[0]
    return tapegrad.nn.functional.adaptive_avg_pool2d(input.unsqueeze(-2), output_size=(1, size)).squeeze(-2)


_PAD_COMBINATIONS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}


def _pad_fn(input: Any, pad: Any, mode: str = "constant", value: Any = None) -> Any:
    """PyTorch's ``F.pad``: ``pad`` pairs from the last dimension backwards; modes constant (``value``,
    negative pads crop), reflect, replicate, circular, with PyTorch's limits on the non-constant ones."""
    import tapegrad

    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    flat = list(pad)
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
        if len(flat) % 2 == 0 and len(flat) // 2 <= input.ndim and input.ndim not in _PAD_COMBINATIONS.get(
                len(flat), ()):
            raise NotImplementedError(
                f"Padding size {len(flat)} is not supported for {input.ndim}D input tensor.\nSupported combinations "
                "for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D "
                "input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last "
                "3 dimensions)")
        _check_pad_sizes(input, flat, mode)
        return tapegrad.ops.pad(input, pad=tuple(flat), mode=mode)
    return tapegrad.ops.pad(input, pad=tuple(flat), value=0.0 if value is None else value)


def _check_pad_sizes(input: Any, flat: list[Any], mode: str) -> None:
    shape = list(input.shape)
    for i in range(len(flat) // 2):
        dim = input.ndim - 1 - i
        before, after = int(flat[2 * i]), int(flat[2 * i + 1])
        if mode == "reflect" and (before >= shape[dim] or after >= shape[dim]):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({before}, {after}) at dimension {dim} of input {shape}")
        if mode == "circular" and (before > shape[dim] or after > shape[dim]):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and shape[dim] == 0:
            raise RuntimeError(f"Expected {input.ndim - 1}D or {input.ndim}D (batch mode) tensor with possibly 0 "
                               f"batch size and other non-zero dimensions for input, but got: {shape}")


_NAN = math.nan
# The element PyTorch's max pooling picks (its return_indices, and where the gradient goes): the last
# NaN of a window; in a window wholly in the padding, -inf at its first row and column at or past 0.
FUNCTIONAL_EDGES = {"max_pool2d": [
    EdgeCase(np.array([[[[1.0, _NAN, 3.0, _NAN, 5.0, 0.0]]]]), params={"kernel_size": (1, 3), "stride": (1, 3),
             "return_indices": True}, value=([[[[_NAN, _NAN]]]], np.array([[[[1, 3]]]])),
             grads=([[[[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]]]],), why="the last NaN of a window wins"),
    EdgeCase(np.array([[[[5.0]]]]), params={"kernel_size": 2, "padding": 1, "dilation": 2, "return_indices": True},
             value=([[[[-math.inf]]]], np.array([[[[2]]]])), grads=([[[[0.0]]]],),
             why="a window wholly in the padding: -inf, at its first row and column past 0 (PyTorch's)"),
    EdgeCase(np.array([[[[5.0], [6.0]]]]), params={"kernel_size": (2, 1), "padding": (1, 0), "dilation": (3, 1),
             "return_indices": True}, value=([[[[-math.inf]]]], np.array([[[[2]]]])), grads=([[[[0.0], [0.0]]]],)),
    # A window wholly in the padding three rows (columns) before the input, dilation 2: its first row at or
    # past 0 is two dilations on; and one in the padding above a row of two columns (its plane position).
    EdgeCase(np.array([[[[5.0]]]]), params={"kernel_size": (6, 1), "stride": 5, "padding": (3, 0), "dilation": (2, 1),
             "ceil_mode": True, "return_indices": True}, value=([[[[-math.inf]]]], np.array([[[[1]]]]))),
    EdgeCase(np.array([[[[5.0]]]]), params={"kernel_size": (1, 6), "stride": 5, "padding": (0, 3), "dilation": (1, 2),
             "ceil_mode": True, "return_indices": True}, value=([[[[-math.inf]]]], np.array([[[[1]]]]))),
    EdgeCase(np.array([[[[5.0, 6.0]]]]), params={"kernel_size": 2, "padding": (1, 0), "dilation": (2, 1),
             "return_indices": True}, value=([[[[-math.inf]]]], np.array([[[[2]]]])), grads=([[[[0.0, 0.0]]]],)),
    EdgeCase(np.array([[[[5.0, 6.0, 7.0]]]]), params={"kernel_size": (2, 1), "padding": (1, 0), "dilation": (2, 1),
             "return_indices": True}, value=([[[[-math.inf, -math.inf, -math.inf]]]], np.array([[[[3, 4, 5]]]])),
             grads=([[[[0.0, 0.0, 0.0]]]],)),
    # Its last column at the input's width: still wholly in the padding (PyTorch's backward writes that
    # position into the next plane, where there is one: not a convention, so one plane only).
    EdgeCase(np.array([[[[5.0]]]]), params={"kernel_size": (1, 2), "padding": (0, 1), "dilation": (1, 2),
             "return_indices": True}, value=([[[[-math.inf]]]], np.array([[[[1]]]])), grads=([[[[0.0]]]],)),
    EdgeCase(np.array([[[[1.0, _NAN], [_NAN, 4.0]]]]), params={"kernel_size": 2, "return_indices": True},
             value=([[[[_NAN]]]], np.array([[[[2]]]])), grads=([[[[0.0, 0.0], [1.0, 0.0]]]],),
             why="the last NaN of a window of two rows"),
    EdgeCase(np.array([[[[-5, -7], [-9, -3]]]]), params={"kernel_size": 2, "stride": 1, "padding": 1},
             value=np.array([[[[-5, -5, -7], [-5, -3, -3], [-9, -3, -3]]]]),
             why="an integer tensor's padding is its dtype's minimum, below every element"),
    EdgeCase(np.ones((1, 1, 1, 1)), params={"kernel_size": 2, "padding": 2, "dilation": 3}, raises=RuntimeError,
             match="pad should be smaller than or equal to half of kernel size",
             why="PyTorch checks the padding against half the kernel as well as half the dilated kernel")],
    "max_pool1d": [
    EdgeCase(np.ones((1, 1, 3)), params={"kernel_size": 2, "padding": 2, "dilation": 3}, raises=RuntimeError,
             match="max_pool1d\\(\\) padding should be at most half of kernel size"),
    EdgeCase(np.ones((1, 1, 3)), params={"kernel_size": 2, "padding": 2, "dilation": 3, "return_indices": True},
             raises=RuntimeError, match="pad should be smaller than or equal to half of kernel size")]}
FUNCTIONAL_SAMPLES = {
    "conv1d": [Sample((2, 2, 7), (3, 2, 3), (3,), stride=2, padding=1),
               Sample((2, 6), (2, 2, 2), padding="same", dilation=3), Sample((2, 2, 7), (3, 2, 3))],
    "conv2d": [Sample((1, 2, 5, 5), (3, 2, 3, 3), (3,), padding="same"), Sample((1, 2, 5, 5), (3, 2, 3, 2), padding="same"),
               Sample((2, 4, 4), (2, 1, 2, 2), groups=2, padding="same"),
               Sample((1, 2, 4, 5), (2, 2, 2, 3), None, stride=(2, 1), padding="valid")],
    "conv_transpose1d": [Sample((2, 2, 5), (2, 3, 3), (3,), stride=2, padding=1, output_padding=1),
                         Sample((4, 3), (4, 1, 2), None, groups=2, dilation=2)],
    "conv_transpose2d": [Sample((1, 2, 3, 4), (2, 2, 3, 2), (2,), stride=(2, 1), padding=1, output_padding=(1, 0)),
                         Sample((2, 3, 3), (2, 1, 2, 2)), Sample((2, 1, 3), (2, 1, 1, 2))],
    "max_pool1d": [Sample((2, 3, 7), kernel_size=3, stride=2, padding=1, return_indices=True),
                   Sample((2, 6), kernel_size=2, dilation=2, ceil_mode=True),
                   Sample((3, 7), kernel_size=(3,), stride=(2,), return_indices=True),
                   Sample((2, 3, 8), kernel_size=3, stride=2)],  # ceil_mode's default decides: 3 windows, not 4
    "max_pool2d": [Sample((1, 2, 5, 5), kernel_size=2, return_indices=True),
                   Sample((1, 2, 5, 5), kernel_size=(2,), stride=[1]),  # one size for both dims
                   Sample((2, 5, 6), kernel_size=3, stride=2, padding=1, ceil_mode=True)],
    "avg_pool1d": [Sample((2, 3, 7), kernel_size=3, stride=2, padding=1, count_include_pad=False),
                   Sample((2, 6), kernel_size=4, ceil_mode=True), Sample((3, 8), kernel_size=(3,), stride=(2,)),
                   Sample((2, 3, 7), kernel_size=3, stride=2, padding=1)],  # padding counted: the default
    "adaptive_avg_pool1d": [Sample((2, 3, 7), output_size=3), Sample((2, 5), output_size=5)],
    "pad": [Sample((2, 3), pad=(1, 2)), Sample((2, 3, 4), pad=(2, 1), mode="reflect"),
            Sample((1, 2, 3, 4), pad=(1, 1, 2, 0), mode="replicate"),
            Sample((1, 2, 3, 4), pad=(2, 1, 0, 3), mode="circular"), Sample((3, 4), pad=(-1, 1, 1, 0), value=2.5),
            Sample((3, 4), pad=(1, 2), mode="reflect"), Sample((1, 2, 5), pad=(1, 4, 0, 1), mode="reflect"),
            Sample((2, 2, 3, 4), pad=(1, 0, 1, 2, 0, 1), mode="replicate"),
            Sample((1, 1, 2, 2, 3), pad=(1, 1, 0, 1, 1, 0), mode="circular")],
}


def register_functional(registry: Registry) -> None:
    functions = {"conv1d": (_conv(1), ref.conv), "conv2d": (_conv(2), ref.conv),
                 "conv_transpose1d": (_conv_transpose(1), ref.conv_transpose),
                 "conv_transpose2d": (_conv_transpose(2), ref.conv_transpose),
                 "max_pool1d": (_max_pool1d_fn, ref.max_pool1d_fn), "max_pool2d": (_max_pool2d_fn, ref.max_pool2d_fn),
                 "avg_pool1d": (_avg_pool1d_fn, ref.avg_pool1d_fn),
                 "adaptive_avg_pool1d": (_adaptive_avg_pool1d_fn, ref.adaptive_avg_pool1d_fn),
                 "pad": (_pad_fn, ref.pad_fn)}
    for name, (function, reference) in functions.items():
        registry.register_composite(F + name, function, samples=FUNCTIONAL_SAMPLES[name], reference=reference,
                                    edge_cases=FUNCTIONAL_EDGES.get(name, ()),
                                    inspects_values=name.startswith("max_pool"))  # the argmax, on the host
