"""Parity specs of ``tapegrad.nn.functional``'s convolution, pooling, im2col/col2im, padding and
normalization, and of the kernel ops under them (``convolution``, ``max_pool2d``,
``native_layer_norm``/``native_batch_norm``/``native_group_norm``).

Random cases over batch sizes, channels, groups, kernel sizes, strides, paddings (ints, pairs,
"same"/"valid"), dilations and ceil modes; invalid calls for the errors item. The kernels' specs
call PyTorch's ATen functions of the same name (their first result: tapegrad's return one), with
a number for "no weight/bias" on tapegrad's side and ``None`` on PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tapegrad

from ..opspec import Case, OpSpec, fixed_errors, tg, th, values

FLOATS = ("float64", "float32")
F = "nn.functional."


def _ints(rng: np.random.Generator, low: int, high: int, n: int = 2) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(low, high + 1, size=n))


def _maybe_pair(rng: np.random.Generator, pair: tuple[int, ...]) -> Any:
    return pair[0] if rng.random() < 0.4 and len(set(pair)) == 1 else pair


# ---------------------------------------------------------------------------- convolution
def _conv_case(rng: np.random.Generator, dtype: str, rank: int, bias: bool | None = None,
               strings: bool = True) -> tuple[tuple[Any, ...], dict[str, Any]]:
    groups = int(rng.choice([1, 1, 2]))
    cg, per, n = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    k, s, d = _ints(rng, 1, 3, rank), _ints(rng, 1, 2, rank), _ints(rng, 1, 2, rank)
    p: Any = _ints(rng, 0, 2, rank)
    if strings and rng.random() < 0.25:
        p, s = str(rng.choice(["same", "valid"])), (1,) * rank
    pads = (0,) * rank if isinstance(p, str) else p
    size = tuple(int(max(rng.integers(2, 7), dd * (kk - 1) + 1 - 2 * pp)) for kk, dd, pp in zip(k, d, pads))
    x = values(rng, (n, groups * cg, *size), dtype)
    w = values(rng, (groups * per, cg, *k), dtype)
    with_bias = rng.random() < 0.6 if bias is None else bias
    b = values(rng, (groups * per,), dtype) if with_bias else None
    params = {"stride": _maybe_pair(rng, s), "padding": p if isinstance(p, str) else _maybe_pair(rng, p),
              "dilation": _maybe_pair(rng, d), "groups": groups}
    return (x, w, b), params


def gen_conv(rank: int) -> Any:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            args, params = _conv_case(rng, dtype, rank)
            cases.append(Case(args, params))
        args, params = _conv_case(rng, dtype, rank)  # unbatched
        cases.append(Case((args[0][0], *args[1:]), params))
        return cases
    return gen


def _transpose_case(rng: np.random.Generator, dtype: str, rank: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A transposed convolution: weight (C_in, C_out / groups, k...), output_padding below the stride."""
    (x, w, b), params = _conv_case(rng, dtype, rank, strings=False)
    groups = params["groups"]
    w = values(rng, (x.shape[1], int(rng.integers(1, 3)), *w.shape[2:]), dtype)
    b = None if b is None else values(rng, (w.shape[1] * groups,), dtype)
    strides = params["stride"] if isinstance(params["stride"], tuple) else (params["stride"],) * rank
    params["output_padding"] = tuple(int(rng.integers(0, s)) for s in strides)
    return (x, w, b), params


def gen_convolution(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for i in range(12):
        if i < 8:
            (x, w, b), params = _conv_case(rng, dtype, 1 + i % 2, strings=False)
        else:
            (x, w, b), params = _transpose_case(rng, dtype, 1 + i % 2)
            params["transposed"] = True
        cases.append(Case((x, w, 0 if b is None else b), params))
    return cases


def gen_conv_transpose(rank: int) -> Any:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = [Case(*_transpose_case(rng, dtype, rank)) for _ in range(8)]
        (x, w, b), params = _transpose_case(rng, dtype, rank)  # unbatched
        return cases + [Case((x[0], w, b), params)]
    return gen


def _th_convolution(torch: Any, x: Any, w: Any, b: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                    transposed: bool = False, output_padding: Any = 0, groups: int = 1) -> Any:
    rank = x.ndim - 2

    def listed(v: Any) -> list[int]:
        return list(v) if isinstance(v, (list, tuple)) else [v] * rank
    return torch.convolution(x, w, None if isinstance(b, (int, float)) else b, listed(stride), listed(padding),
                             listed(dilation), transposed, listed(output_padding), groups)


CONV_ERRORS = fixed_errors(
    ((2, 3, 6, 6), ((4, 2, 3, 3),), {}), ((2, 3, 6, 6), ((4, 3, 7, 7),), {}), ((6, 6), ((4, 3, 3, 3),), {}),
    ((2, 3, 6, 6), ((4, 3, 3, 3),), {"stride": 0}), ((2, 3, 6, 6), ((4, 3, 3, 3),), {"padding": -1}),
    ((2, 3, 6, 6), ((4, 3, 3, 3),), {"dilation": 0}), ((2, 3, 6, 6), ((4, 1, 3, 3),), {"groups": 3}),
    ((2, 3, 6, 6), ((4, 3, 3, 3),), {"padding": "same", "stride": 2}),
    ((2, 3, 6, 6), ((4, 3, 3, 3),), {"padding": "foo"}),
)


def _conv_errors(rng: np.random.Generator) -> list[Case]:
    cases = CONV_ERRORS(rng)
    return [Case((c.args[0], values(rng, c.args[1], "float64")), c.params) for c in cases]


def _conv1d_errors(rng: np.random.Generator) -> list[Case]:
    x, w = values(rng, (2, 3, 6, 6), "float64"), values(rng, (4, 3, 3), "float64")
    return [Case((x, w)), Case((x[:, :, 0], w), {"stride": 0}), Case((x[:, :, 0], w[:, :2]))]


# ---------------------------------------------------------------------------- pooling
def _pool_params(rng: np.random.Generator, dilated: bool, rank: int = 2) -> dict[str, Any]:
    k = _ints(rng, 1, 3, rank)
    params: dict[str, Any] = {"kernel_size": _maybe_pair(rng, k)}
    if rng.random() < 0.7:
        params["stride"] = _maybe_pair(rng, _ints(rng, 1, 3, rank))
    params["padding"] = _maybe_pair(rng, tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k))
    if dilated and rng.random() < 0.5:
        params["dilation"] = _maybe_pair(rng, _ints(rng, 1, 2, rank))
    params["ceil_mode"] = bool(rng.random() < 0.5)
    return params


def _pool_input(rng: np.random.Generator, dtype: str, params: dict[str, Any], rank: int) -> np.ndarray:
    def pair(v: Any) -> tuple[int, ...]:
        return tuple(v) if isinstance(v, tuple) else (v,) * rank
    k, d = pair(params["kernel_size"]), pair(params.get("dilation", 1))
    size = tuple(int(max(rng.integers(1, 8), dd * (kk - 1) + 1)) for kk, dd in zip(k, d))
    lead = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < 0.7 else (int(rng.integers(1, 3)),)
    return values(rng, (*lead, *size), dtype)


def gen_pool(kind: str, rank: int, indices: bool = False) -> Any:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(10):
            params = _pool_params(rng, kind == "max", rank)
            if kind == "avg":
                params["count_include_pad"] = bool(rng.random() < 0.5)
                if rank == 2 and rng.random() < 0.3:
                    params["divisor_override"] = int(rng.integers(1, 5))
            if indices and rng.random() < 0.5:
                params["return_indices"] = True
            cases.append(Case((_pool_input(rng, dtype, params, rank),), params))
        return cases
    return gen


def gen_adaptive(rank: int) -> Any:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            size = _ints(rng, 1, 7, rank)
            lead = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))[:int(rng.integers(1, 3))]
            out = _maybe_pair(rng, _ints(rng, 1, 5, rank)) if rank == 2 else int(rng.integers(1, 5))
            cases.append(Case((values(rng, (*lead, *size), dtype),), {"output_size": out}))
        return cases
    return gen


POOL_ERRORS = fixed_errors(((2, 3, 6, 6), (), {"kernel_size": 7}), ((2, 3, 6, 6), (), {"kernel_size": 3, "padding": 2}),
                           ((2, 3, 6, 6), (), {"kernel_size": 2, "stride": 0}), ((6, 6), (), {"kernel_size": 2}))
POOL1D_ERRORS = fixed_errors(((2, 3, 6), (), {"kernel_size": 7}), ((2, 3, 6), (), {"kernel_size": 3, "padding": 2}),
                             ((6,), (), {"kernel_size": 2}))


# ---------------------------------------------------------------------------- unfold / fold
def _window(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, tuple[int, int]], tuple[int, int]]:
    """Random unfold/fold params, the same as pairs, and a spatial size the kernel fits in."""
    params = {"kernel_size": _maybe_pair(rng, _ints(rng, 1, 3)), "dilation": _maybe_pair(rng, _ints(rng, 1, 2)),
              "padding": _maybe_pair(rng, _ints(rng, 0, 1)), "stride": _maybe_pair(rng, _ints(rng, 1, 2))}
    w = {k: v if isinstance(v, tuple) else (v, v) for k, v in params.items()}
    size = tuple(int(max(rng.integers(1, 7), w["dilation"][i] * (w["kernel_size"][i] - 1) + 1)) for i in range(2))
    return params, w, (size[0], size[1])


def gen_unfold(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        params, _, size = _window(rng)
        lead = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))[:int(rng.integers(1, 3))]
        cases.append(Case((values(rng, (*lead, *size), dtype),), params))
    return cases


def gen_fold(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        params, w, size = _window(rng)
        blocks = [(size[i] + 2 * w["padding"][i] - w["dilation"][i] * (w["kernel_size"][i] - 1) - 1)
                  // w["stride"][i] + 1 for i in range(2)]
        c = int(rng.integers(1, 3))
        shape = (c * w["kernel_size"][0] * w["kernel_size"][1], blocks[0] * blocks[1])
        lead = (int(rng.integers(1, 3)),) if rng.random() < 0.7 else ()
        cases.append(Case((values(rng, (*lead, *shape), dtype),), {"output_size": size, **params}))
    return cases


# ---------------------------------------------------------------------------- pad
def gen_pad(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        rank = int(rng.integers(1, 5))
        s = tuple(int(v) for v in rng.integers(1, 4, size=rank))
        k = int(rng.integers(1, rank + 1))
        pads = tuple(int(v) for v in rng.integers(-1 if rng.random() < 0.3 else 0, 3, size=2 * k))
        pads = tuple(max(p, -1) if s[-1 - i // 2] > 1 else max(p, 0) for i, p in enumerate(pads))
        cases.append(Case((values(rng, s, dtype),), {"pad": pads, "value": float(rng.choice([0.0, 1.5]))}))
    for mode in ("reflect", "replicate", "circular"):
        for k in (1, 2, 3):
            rank = k + int(rng.integers(1, 3))
            s = tuple(int(v) for v in rng.integers(2, 5, size=rank))
            limit = [s[-1 - i] - 1 for i in range(k)]
            pads = tuple(int(rng.integers(0, limit[i // 2] + 1)) for i in range(2 * k))
            cases.append(Case((values(rng, s, dtype),), {"pad": pads, "mode": mode}))
    return cases


PAD_ERRORS = fixed_errors(
    ((2,), (), {"pad": (1, 1), "mode": "reflect"}), ((2, 3), (), {"pad": (3, 3), "mode": "reflect"}),
    ((2, 3), (), {"pad": (4, 4), "mode": "circular"}), ((2, 3), (), {"pad": (1, 1), "mode": "foo"}),
    ((2, 3), (), {"pad": (1, 1), "mode": "reflect", "value": 2.0}), ((2, 3), (), {"pad": (1, 2, 3)}),
    ((2, 3, 4), (), {"pad": (1, 1, 1, 1), "mode": "replicate"}), ((2, 3), (), {"pad": (1, 1, 1, 1, 1, 1)}),
)


# ---------------------------------------------------------------------------- normalization
def _affine(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> tuple[Any, Any]:
    w = values(rng, shape, dtype) if rng.random() < 0.7 else None
    b = values(rng, shape, dtype) if rng.random() < 0.7 else None
    return w, b


# Normalizing fewer than 4 numbers is ill-conditioned (2 give +-1 whatever they are): the gradients are
# rounding noise in both libraries, so the cases normalize at least 4.
def gen_layer_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = tuple(int(v) for v in rng.integers(1, 5, size=int(rng.integers(1, 4))))
        ns = s[len(s) - int(rng.integers(1, len(s) + 1)):]
        if int(np.prod(ns)) < 4:
            s, ns = s[:len(s) - len(ns)] + (4,) + ns, (4,) + ns
        w, b = _affine(rng, ns, dtype)
        cases.append(Case((values(rng, s, dtype), ns, w, b), {"eps": float(rng.choice([1e-5, 1e-3]))}))
    return cases


def gen_native_layer_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((x, 1.0 if w is None else w, 0.0 if b is None else b), {"normalized_shape": ns, **c.params})
            for c in gen_layer_norm(rng, dtype) for x, ns, w, b in [c.args]]


def _bn_case(rng: np.random.Generator, dtype: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    c = int(rng.integers(1, 4))
    s = (int(rng.integers(2, 4)), c, *(int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 3)))))
    if int(np.prod(s)) // c < 4:  # at least 4 numbers per channel (see gen_layer_norm)
        s = (4, *s[1:])
    w, b = _affine(rng, (c,), dtype)
    training = bool(rng.random() < 0.5)
    params: dict[str, Any] = {"training": training, "eps": float(rng.choice([1e-5, 1e-3]))}
    if not training or rng.random() < 0.5:
        params["running_mean"] = rng.uniform(-1, 1, size=c).astype(dtype)
        params["running_var"] = rng.uniform(0.5, 2, size=c).astype(dtype)
    if training and rng.random() < 0.5:
        params["momentum"] = 0.3
    return (values(rng, s, dtype), w, b), params


def gen_batch_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case(*_bn_case(rng, dtype)) for _ in range(8)]


def _tg_running(name: str) -> Any:
    """tapegrad's ``F.NAME(x, running_mean, running_var, w, b, ...)``: the result and the running
    statistics after the call (updated in place, as PyTorch does)."""
    def call(x: Any, w: Any, b: Any, running_mean: Any = None, running_var: Any = None, **params: Any) -> Any:
        rm, rv = (None if v is None else tapegrad.tensor(v.copy()) for v in (running_mean, running_var))
        out = getattr(tapegrad.nn.functional, name)(x, rm, rv, w, b, **params)
        return (out, *(t for t in (rm, rv) if t is not None))
    return call


def _th_running(name: str) -> Any:
    """PyTorch's side of ``_tg_running``; an absent weight and bias as ones and zeros (``_affine_for_torch``)."""
    def call(torch: Any, x: Any, w: Any, b: Any, running_mean: Any = None, running_var: Any = None,
             **params: Any) -> Any:
        rm, rv = (None if v is None else torch.from_numpy(v.copy()) for v in (running_mean, running_var))
        w, b = _affine_for_torch(torch, x, w, b, x.shape[1:2]) if x.ndim > 1 else (w, b)
        out = getattr(torch.nn.functional, name)(x, rm, rv, w, b, **params)
        return (out, *(t for t in (rm, rv) if t is not None))
    return call


def gen_native_batch_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        (x, w, b), params = _bn_case(rng, dtype)
        params.pop("momentum", None)
        if params["training"]:
            params.pop("running_mean", None), params.pop("running_var", None)
        cases.append(Case((x, 1.0 if w is None else w, 0.0 if b is None else b), params))
    return cases


def _th_native_batch_norm(torch: Any, x: Any, w: Any, b: Any, training: bool = True, running_mean: Any = None,
                          running_var: Any = None, eps: float = 1e-5) -> Any:
    rm = None if running_mean is None else torch.from_numpy(np.asarray(running_mean).copy())
    rv = None if running_var is None else torch.from_numpy(np.asarray(running_var).copy())
    return torch.native_batch_norm(x, *_affine_for_torch(torch, x, w, b, x.shape[1:2]), rm, rv, training, 0.1,
                                   eps)[0]


def _none(v: Any) -> Any:
    return None if isinstance(v, (int, float)) else v


def _affine_for_torch(torch: Any, x: Any, w: Any, b: Any, shape: Any) -> tuple[Any, Any]:
    """A missing weight as ones and bias as zeros: the same function, and PyTorch's double backward of
    its norms fails on an undefined weight ('Expected a proper Tensor but got None')."""
    w = torch.ones(tuple(shape), dtype=x.dtype) if w is None or isinstance(w, (int, float)) else w
    b = torch.zeros(tuple(shape), dtype=x.dtype) if b is None or isinstance(b, (int, float)) else b
    return w, b


def _th_layer_norm(torch: Any, x: Any, ns: Any, w: Any = None, b: Any = None, eps: float = 1e-5) -> Any:
    return torch.nn.functional.layer_norm(x, ns, *_affine_for_torch(torch, x, w, b, ns), eps=eps)


def _th_group_norm(torch: Any, x: Any, groups: int, w: Any = None, b: Any = None, eps: float = 1e-5) -> Any:
    return torch.nn.functional.group_norm(x, groups, *_affine_for_torch(torch, x, w, b, x.shape[1:2]), eps=eps)


def gen_group_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        groups = int(rng.integers(1, 4))
        c = groups * int(rng.integers(1, 3))
        s = (int(rng.integers(1, 3)), c, *(int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 3)))))
        if int(np.prod(s[1:])) // groups < 4:  # at least 4 numbers per group (see gen_layer_norm)
            s = (*s, 4)
        w, b = _affine(rng, (c,), dtype)
        cases.append(Case((values(rng, s, dtype), groups, w, b), {"eps": float(rng.choice([1e-5, 1e-3]))}))
    return cases


def gen_native_group_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((x, 1.0 if w is None else w, 0.0 if b is None else b), {"num_groups": g, **c.params})
            for c in gen_group_norm(rng, dtype) for x, g, w, b in [c.args]]


def _th_native_group_norm(torch: Any, x: Any, w: Any, b: Any, num_groups: int, eps: float = 1e-5) -> Any:
    n, c = x.shape[:2]
    return torch.native_group_norm(x, *_affine_for_torch(torch, x, w, b, (c,)), n, c, int(np.prod(x.shape[2:])),
                                   num_groups, eps)[0]


def _th_native_layer_norm(torch: Any, x: Any, w: Any, b: Any, normalized_shape: Any, eps: float = 1e-5) -> Any:
    return torch.native_layer_norm(x, list(normalized_shape), *_affine_for_torch(torch, x, w, b, normalized_shape),
                                   eps)[0]


def gen_instance_norm(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        c = int(rng.integers(1, 4))
        s = (int(rng.integers(1, 3)), c, 4, *(int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 2)))))
        w, b = _affine(rng, (c,), dtype)
        params: dict[str, Any] = {"use_input_stats": bool(rng.random() < 0.7), "eps": float(rng.choice([1e-5, 1e-3]))}
        if not params["use_input_stats"] or rng.random() < 0.5:
            params["running_mean"] = rng.uniform(-1, 1, size=c).astype(dtype)
            params["running_var"] = rng.uniform(0.5, 2, size=c).astype(dtype)
            params["momentum"] = 0.3
        cases.append(Case((values(rng, s, dtype), w, b), params))
    return cases


NORM_ERRORS = {
    "layer_norm": lambda rng: [Case((values(rng, (2, 3, 4), "float64"), (5,))),
                               Case((values(rng, (2, 3, 4), "float64"), (4,), values(rng, (3,), "float64")))],
    "batch_norm": lambda rng: [Case((values(rng, (2, 3, 4), "float64"), None, None), {"training": False}),
                               Case((values(rng, (1, 3), "float64"), None, None), {"training": True}),
                               Case((values(rng, (2, 3, 4), "float64"), values(rng, (2,), "float64"), None))],
    "group_norm": lambda rng: [Case((values(rng, (2, 3, 4), "float64"), 2)),
                               Case((values(rng, (2, 4, 4), "float64"), 2, values(rng, (3,), "float64")))],
}



SPECS = [
    OpSpec("convolution", _th_convolution, tg("convolution"), gen_convolution, dtypes=FLOATS),
    OpSpec(F + "conv1d", th(F + "conv1d"), tg(F + "conv1d"), gen_conv(1), dtypes=FLOATS, errors=_conv1d_errors),
    OpSpec(F + "conv2d", th(F + "conv2d"), tg(F + "conv2d"), gen_conv(2), dtypes=FLOATS, errors=_conv_errors),
    OpSpec(F + "conv_transpose1d", th(F + "conv_transpose1d"), tg(F + "conv_transpose1d"), gen_conv_transpose(1),
           dtypes=FLOATS, errors=lambda rng: [Case((values(rng, (2, 3, 5), "float64"), values(rng, (2, 3, 3), "float64"))),
                                              Case((values(rng, (2, 3, 5), "float64"), values(rng, (3, 2, 3), "float64")),
                                                   {"stride": 2, "output_padding": 2})]),
    OpSpec(F + "conv_transpose2d", th(F + "conv_transpose2d"), tg(F + "conv_transpose2d"), gen_conv_transpose(2),
           dtypes=FLOATS),
    OpSpec(F + "unfold", th(F + "unfold"), tg(F + "unfold"), gen_unfold, dtypes=FLOATS,
           errors=fixed_errors(((2, 3, 6, 6), (), {"kernel_size": 7}), ((6, 6), (), {"kernel_size": 2}))),
    OpSpec(F + "fold", th(F + "fold"), tg(F + "fold"), gen_fold, dtypes=FLOATS,
           errors=fixed_errors(((2, 13, 25), (), {"output_size": (6, 6), "kernel_size": 2}),
                               ((2, 12, 24), (), {"output_size": (6, 6), "kernel_size": 2}))),
    OpSpec("max_pool2d", th("max_pool2d"), tg("max_pool2d"), gen_pool("max", 2), dtypes=FLOATS, errors=POOL_ERRORS),
    OpSpec(F + "max_pool2d", th(F + "max_pool2d"), tg(F + "max_pool2d"), gen_pool("max", 2, indices=True),
           dtypes=FLOATS, errors=POOL_ERRORS),
    OpSpec(F + "max_pool1d", th(F + "max_pool1d"), tg(F + "max_pool1d"), gen_pool("max", 1, indices=True),
           dtypes=FLOATS, errors=POOL1D_ERRORS),
    OpSpec(F + "avg_pool2d", th(F + "avg_pool2d"), tg(F + "avg_pool2d"), gen_pool("avg", 2), dtypes=FLOATS,
           errors=POOL_ERRORS),
    OpSpec(F + "avg_pool1d", th(F + "avg_pool1d"), tg(F + "avg_pool1d"), gen_pool("avg", 1), dtypes=FLOATS,
           errors=POOL1D_ERRORS),
    OpSpec(F + "adaptive_avg_pool2d", th(F + "adaptive_avg_pool2d"), tg(F + "adaptive_avg_pool2d"), gen_adaptive(2),
           dtypes=FLOATS, errors=fixed_errors(((6,), (), {"output_size": 2}))),
    OpSpec(F + "adaptive_avg_pool1d", th(F + "adaptive_avg_pool1d"), tg(F + "adaptive_avg_pool1d"), gen_adaptive(1),
           dtypes=FLOATS, errors=fixed_errors(((2, 3, 4, 4), (), {"output_size": 2}))),
    OpSpec(F + "pad", th(F + "pad"), tg(F + "pad"), gen_pad, dtypes=FLOATS, errors=PAD_ERRORS),
    OpSpec(F + "layer_norm", _th_layer_norm, tg(F + "layer_norm"), gen_layer_norm, dtypes=FLOATS,
           errors=NORM_ERRORS["layer_norm"]),
    OpSpec("native_layer_norm", _th_native_layer_norm, tg("native_layer_norm"), gen_native_layer_norm,
           dtypes=FLOATS),
    OpSpec(F + "batch_norm", _th_running("batch_norm"), _tg_running("batch_norm"), gen_batch_norm, dtypes=FLOATS,
           errors=lambda rng: NORM_ERRORS["batch_norm"](rng)),
    OpSpec("native_batch_norm", _th_native_batch_norm, tg("native_batch_norm"), gen_native_batch_norm,
           dtypes=FLOATS),
    OpSpec(F + "group_norm", _th_group_norm, tg(F + "group_norm"), gen_group_norm, dtypes=FLOATS,
           errors=NORM_ERRORS["group_norm"]),
    OpSpec(F + "instance_norm", _th_running("instance_norm"), _tg_running("instance_norm"), gen_instance_norm, dtypes=FLOATS,
           errors=lambda rng: [Case((values(rng, (2, 3, 1), "float64"), None, None)),
                               Case((values(rng, (2, 3), "float64"), None, None))]),
    OpSpec("native_group_norm", _th_native_group_norm, tg("native_group_norm"), gen_native_group_norm,
           dtypes=FLOATS),
]
