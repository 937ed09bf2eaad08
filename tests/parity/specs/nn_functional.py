"""``tapegrad.nn.functional`` (activations, losses, and friends) against ``torch.nn.functional``.

Cases are random shapes of rank 0 to 3 for the activations, and for the losses every reduction,
class-index targets with ignored entries and class weights for ``nll_loss``/``cross_entropy``
(inputs ``(C,)``, ``(N, C)`` and ``(N, C, d1, ...)``), probabilities for ``cross_entropy``, and the
options PyTorch has (``label_smoothing``, ``pos_weight``, ``log_target``, ``full``...). Weight-like
arguments travel as params (NumPy arrays) and are made tensors of either library by the callables,
so they never require grad (PyTorch refuses gradients for them). ``dropout`` is compared where it
is deterministic (``training=False``, ``p`` 0 or 1); its random masks are tested in
tests/test_nn_functional.py.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import tapegrad

from ..opspec import FLOATS, Case, OpSpec, fixed_errors, shape, tg, th, unary, values

LOSS_DTYPES = ("float64", "float32")
REDUCTIONS = ("mean", "sum", "none")
CONSTANTS = ("weight", "pos_weight")  # weight-like params: tensors, never requiring grad


def _consts(fn: Callable[..., Any], lib: Callable[[], Any]) -> Callable[..., Any]:
    """``fn`` with the weight-like NumPy params made tensors of the library ``lib()``."""
    def call(*args: Any, **params: Any) -> Any:
        for name in CONSTANTS:
            if isinstance(params.get(name), np.ndarray):
                params[name] = lib().tensor(params[name])
        return fn(*args, **params)
    return call


def pair(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The PyTorch and tapegrad callables of ``nn.functional.NAME``, weight-like params converted."""
    theirs = th(f"nn.functional.{name}")
    ours = _consts(tg(f"nn.functional.{name}"), lambda: tapegrad)
    return (lambda torch, *a, **k: _consts(lambda *b, **kk: theirs(torch, *b, **kk), lambda: torch)(*a, **k)), ours


def spec(name: str, cases: Any, **facts: Any) -> OpSpec:
    theirs, ours = pair(name)
    return OpSpec(f"nn.functional.{name}", theirs, ours, cases, **facts)


def _choice(rng: np.random.Generator, options: Any) -> Any:
    value = options[int(rng.integers(0, len(options)))]
    return value.item() if hasattr(value, "item") else value


# ---------------------------------------------------------------------------- activations
def _params(**options: tuple[Any, ...]) -> Callable[[np.random.Generator], dict[str, Any]]:
    return lambda rng: {k: _choice(rng, v) for k, v in options.items()}


ACTIVATIONS: dict[str, tuple[Callable[[np.random.Generator], dict[str, Any]] | None, bool]] = {
    # name: (random params, ties: gradients at 0 and at kinks too)
    "relu6": (None, True),
    "hardtanh": (_params(min_val=(-1.0, -0.5, 0.0), max_val=(1.0, 2.0)), True),
    "elu": (_params(alpha=(1.0, 0.5, 2.0)), True),
    "selu": (None, True),
    "celu": (_params(alpha=(1.0, 0.5, 2.0)), True),
    "silu": (None, False),
    "mish": (None, False),
    "softsign": (None, True),
    "hardsigmoid": (None, True),
    "hardswish": (None, True),
    "logsigmoid": (None, False),
    "tanhshrink": (None, False),
    "softshrink": (_params(lambd=(0.5, 1.0, 0.0)), True),
    "hardshrink": (_params(lambd=(0.5, 1.0)), True),
    "threshold": (_params(threshold=(0.0, 1.0, -0.5), value=(0.0, 20.0, -1.0)), True),
}
ACTIVATION_ERRORS = {
    "hardtanh": fixed_errors(((3,), (), {"min_val": 1.0, "max_val": -1.0})),
    "softshrink": fixed_errors(((3,), (), {"lambd": -1.0})),
}


def gen_glu(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = list(shape(rng, low=1))
        d = int(rng.integers(-len(s), len(s)))
        s[d] = 2 * int(rng.integers(1, 3))
        cases.append(Case((values(rng, tuple(s), dtype),), {"dim": d}))
    return cases


def gen_softmin(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng)
        cases.append(Case((values(rng, s, dtype),), {"dim": int(rng.integers(-max(len(s), 1), max(len(s), 1)))}))
    return cases


# ---------------------------------------------------------------------------- linear maps, vectors
def gen_linear(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        lead = shape(rng, 2)
        n_in, n_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        w = values(rng, (n_out, n_in) if rng.random() < 0.8 else (n_in,), dtype)
        args: tuple[Any, ...] = (values(rng, lead + (n_in,), dtype), w)
        if w.ndim == 2 and rng.random() < 0.6:
            args += (values(rng, (n_out,) if rng.random() < 0.8 else (), dtype),)
        cases.append(Case(args))
    return cases


def gen_bilinear(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(6):
        lead = shape(rng, 2)
        a, b, k = (int(rng.integers(1, 4)) for _ in range(3))
        args: tuple[Any, ...] = (values(rng, lead + (a,), dtype), values(rng, lead + (b,), dtype),
                                 values(rng, (k, a, b), dtype))
        if rng.random() < 0.6:
            args += (values(rng, (k,), dtype),)
        cases.append(Case(args))
    return cases


def _wide(rng: np.random.Generator) -> tuple[tuple[int, ...], int]:
    """A shape and a dim of it of size 2 or more: along a size-1 dim ``x / |x|`` is constant, so
    its gradient is 0 up to rounding noise that no tolerance relative to 0 can compare."""
    s = list(shape(rng, low=1))
    d = int(rng.integers(-len(s), len(s)))
    s[d] = max(s[d], 2)
    return tuple(s), d


def gen_normalize(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s, d = _wide(rng)
        cases.append(Case((values(rng, s, dtype),), {"dim": d, "p": _choice(rng, (2.0, 1.0, 3.0))}))
    return cases


def gen_two_vectors(keepdim: bool) -> Callable[[np.random.Generator, str], list[Case]]:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(8):
            s, d = _wide(rng)
            if keepdim:
                other = s if rng.random() < 0.7 else s[1:]
                params: dict[str, Any] = {"p": _choice(rng, (2.0, 1.0, 3.0)), "keepdim": bool(rng.random() < 0.5)}
            else:
                other = s[1:] if d == -1 and len(s) >= 2 and rng.random() < 0.3 else s  # broadcast leading dims
                params = {"dim": d}
            cases.append(Case((values(rng, s, dtype), values(rng, other or (1,), dtype)), params))
        return cases
    return gen


# ---------------------------------------------------------------------------- regression losses
def gen_regression(extra: Callable[[np.random.Generator], dict[str, Any]] | None = None,
                   domains: tuple[Any, Any] = (None, None)) -> Callable[[np.random.Generator, str], list[Case]]:
    """Input and target of one shape (now and then a target that broadcasts: PyTorch warns, then
    broadcasts), every reduction."""
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for i in range(10):
            s = shape(rng)
            t = s[1:] if i % 4 == 3 and s else s
            params = {"reduction": _choice(rng, REDUCTIONS), **(extra(rng) if extra else {})}
            cases.append(Case((values(rng, s, dtype, domains[0]), values(rng, t, dtype, domains[1])), params))
        return cases
    return gen


def _regression_errors(**params: Any) -> Callable[[np.random.Generator], list[Case]]:
    def gen(rng: np.random.Generator) -> list[Case]:
        x = values(rng, (2, 3), "float64")
        return [Case((x, values(rng, (2, 3), "float64")), {"reduction": "avg"}),
                Case((x, values(rng, (2, 4), "float64")), {}),
                *[Case((x, values(rng, (2, 3), "float64")), {k: v}) for k, v in params.items()]]
    return gen


# ---------------------------------------------------------------------------- classification losses
def _class_case(rng: np.random.Generator, dtype: str, ignore: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """An input of shape (C,), (N, C), or (N, C, d1[, d2]), and class labels for it (some ignored)."""
    c = int(rng.integers(2, 5))
    kind = int(rng.integers(0, 4))
    n = int(rng.integers(1, 4))
    spatial = tuple(int(d) for d in rng.integers(1, 3, size=kind - 1)) if kind >= 2 else ()
    x_shape = (c,) if kind == 0 else (n, c, *spatial)
    t_shape = () if kind == 0 else (n, *spatial)
    labels = rng.integers(0, c, size=t_shape)
    if ignore and rng.random() < 0.4 and labels.size > 1:
        labels.reshape(-1)[0] = -100
    return values(rng, x_shape, dtype), np.asarray(labels, dtype=np.int64), c


def gen_nll(smoothing: bool) -> Callable[[np.random.Generator, str], list[Case]]:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(12):
            x, t, c = _class_case(rng, dtype)
            params: dict[str, Any] = {"reduction": _choice(rng, REDUCTIONS)}
            if rng.random() < 0.4:
                params["weight"] = rng.uniform(0.2, 2.0, size=c).astype(dtype)
            if smoothing and rng.random() < 0.5:
                params["label_smoothing"] = _choice(rng, (0.1, 0.3))
            cases.append(Case((x, t), params))
        if smoothing:  # class probabilities, of the input's shape
            for _ in range(6):
                x, _, c = _class_case(rng, dtype)
                p = rng.uniform(0.0, 1.0, size=x.shape)
                p = (p / p.sum(axis=0 if x.ndim == 1 else 1, keepdims=True)).astype(dtype)
                params = {"reduction": _choice(rng, REDUCTIONS)}
                if rng.random() < 0.4:
                    params["label_smoothing"] = 0.2
                if rng.random() < 0.3:
                    params["weight"] = rng.uniform(0.2, 2.0, size=c).astype(dtype)
                cases.append(Case((x, p), params))
        return cases
    return gen


def nll_errors(rng: np.random.Generator) -> list[Case]:
    x = values(rng, (3, 4), "float64")
    long = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    return [Case((x, long(0, 1, 4))), Case((x, long(0, 1, -1))), Case((x, long(0, 1))),
            Case((x, np.array([0, 1, 2], dtype=np.int32))), Case((x, long(0, 1, 2)), {"reduction": "avg"}),
            Case((x, long(0, 1, 2)), {"weight": np.ones(3)}), Case((values(rng, (), "float64"), long(0))),
            Case((values(rng, (2, 3, 4, 5), "float64"), np.zeros((2, 4, 4), dtype=np.int64)))]


def cross_entropy_errors(rng: np.random.Generator) -> list[Case]:
    x = values(rng, (3, 4), "float64")
    return nll_errors(rng) + [Case((x, np.array([0, 1, 2])), {"label_smoothing": 1.5}),
                              Case((x, values(rng, (3, 4), "float64", (0, 1))), {"ignore_index": 1})]


def gen_binary(logits: bool) -> Callable[[np.random.Generator, str], list[Case]]:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(10):
            s = shape(rng)
            x = values(rng, s, dtype, None if logits else (0.02, 0.98))
            params: dict[str, Any] = {"reduction": _choice(rng, REDUCTIONS)}
            if rng.random() < 0.4:
                params["weight"] = rng.uniform(0.2, 2.0, size=s[int(rng.integers(0, len(s) + 1)):]).astype(dtype)
            if logits and s and rng.random() < 0.5:
                params["pos_weight"] = rng.uniform(0.2, 3.0, size=s[-1:]).astype(dtype)
            cases.append(Case((x, values(rng, s, dtype, (0.0, 1.0))), params))
        return cases
    return gen


def binary_errors(rng: np.random.Generator) -> list[Case]:
    return [Case((values(rng, (3,), "float64", (0.1, 0.9)), values(rng, (2, 3), "float64", (0, 1)))),
            Case((np.array([1.5, 0.5]), np.array([1.0, 0.0]))), Case((np.array([0.5]), np.array([1.5]))),
            Case((np.array([0.5]), np.array([1.0])), {"reduction": "avg"})]


def gen_kl(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(10):
        s = shape(rng, low=1)
        log_target = bool(rng.random() < 0.4)
        target = values(rng, s, dtype, None if log_target else (0.0, 1.0))
        params = {"reduction": _choice(rng, ("mean", "sum", "none", "batchmean")), "log_target": log_target}
        cases.append(Case((values(rng, s, dtype), target), params))
    return cases


def gen_poisson(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(10):
        s = shape(rng)
        log_input = bool(rng.random() < 0.6)
        params = {"reduction": _choice(rng, REDUCTIONS), "log_input": log_input, "full": bool(rng.random() < 0.4)}
        cases.append(Case((values(rng, s, dtype, None if log_input else (0.2, 3.0)),
                           values(rng, s, dtype, (0.0, 4.0))), params))
    return cases


def gen_gaussian(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(10):
        s = shape(rng, low=1)
        v = s if rng.random() < 0.6 else s[:-1]
        params = {"reduction": _choice(rng, REDUCTIONS), "full": bool(rng.random() < 0.4)}
        cases.append(Case((values(rng, s, dtype), values(rng, s, dtype), values(rng, v, dtype, (0.1, 2.0))), params))
    return cases


def gaussian_errors(rng: np.random.Generator) -> list[Case]:
    x = values(rng, (2, 3), "float64")
    return [Case((x, x, -np.ones((2, 3)))), Case((x, x, np.ones(3))), Case((x, x, np.ones((2, 3))), {"reduction": "x"})]


# ---------------------------------------------------------------------------- lookups, dropout
def gen_embedding(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        n, d = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        rows = np.asarray(rng.integers(0, n, size=shape(rng, 2)), dtype=np.int64)
        params: dict[str, Any] = {}
        if rng.random() < 0.4:
            params["padding_idx"] = int(rng.integers(-n, n))
        if rng.random() < 0.3:
            params["scale_grad_by_freq"] = True
        cases.append(Case((rows, values(rng, (n, d), dtype)), params))
    return cases


def embedding_errors(rng: np.random.Generator) -> list[Case]:
    w = values(rng, (3, 2), "float64")
    return [Case((np.array([5]), w)), Case((np.array([1.0]), w)), Case((np.array([1]), values(rng, (3,), "float64"))),
            Case((np.array([1]), w), {"padding_idx": 3})]


def gen_one_hot(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        labels = np.asarray(rng.integers(0, 4, size=shape(rng, 2, low=1)), dtype=np.int64)
        cases.append(Case((labels,), {"num_classes": _choice(rng, (-1, 4, 6))}))
    return cases


def one_hot_errors(rng: np.random.Generator) -> list[Case]:
    return [Case((np.array([0, 3]),), {"num_classes": 2}), Case((np.array([0, -1]),)),
            Case((np.array([0.0, 1.0]),)), Case((np.array([0, 1], dtype=np.int32),)),
            Case((np.array([], dtype=np.int64),))]


def gen_dropout(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for params in ({"p": 0.0}, {"p": 0.5, "training": False}, {"p": 1.0}, {"training": False}):
        cases.append(Case((values(rng, shape(rng), dtype),), params))
    return cases


def _build() -> list[OpSpec]:
    specs = [spec(name, unary(None, params), dtypes=FLOATS, ties=ties, errors=ACTIVATION_ERRORS.get(name))
             for name, (params, ties) in ACTIVATIONS.items()]
    specs += [
        spec("glu", gen_glu, dtypes=FLOATS, errors=fixed_errors(((3, 3), (), {}), ((), (), {}))),
        spec("softmin", gen_softmin, dtypes=FLOATS),
        spec("linear", gen_linear, dtypes=LOSS_DTYPES, errors=fixed_errors(((3, 4), (np.ones((5, 3)),), {}))),
        spec("bilinear", gen_bilinear, dtypes=LOSS_DTYPES),
        spec("normalize", gen_normalize, dtypes=LOSS_DTYPES),
        spec("cosine_similarity", gen_two_vectors(False), dtypes=LOSS_DTYPES),
        spec("pairwise_distance", gen_two_vectors(True), dtypes=LOSS_DTYPES),
        spec("mse_loss", gen_regression(), dtypes=LOSS_DTYPES, errors=_regression_errors()),
        spec("l1_loss", gen_regression(), dtypes=LOSS_DTYPES, errors=_regression_errors()),
        spec("smooth_l1_loss", gen_regression(_params(beta=(1.0, 0.5, 2.0, 0.0))), dtypes=LOSS_DTYPES,
             errors=_regression_errors(beta=-1.0)),
        spec("huber_loss", gen_regression(_params(delta=(1.0, 0.5, 2.0))), dtypes=LOSS_DTYPES,
             errors=_regression_errors(delta=0.0)),
        spec("nll_loss", gen_nll(False), dtypes=LOSS_DTYPES, errors=nll_errors),
        spec("cross_entropy", gen_nll(True), dtypes=LOSS_DTYPES, errors=cross_entropy_errors),
        spec("binary_cross_entropy", gen_binary(False), dtypes=LOSS_DTYPES, errors=binary_errors),
        spec("binary_cross_entropy_with_logits", gen_binary(True), dtypes=LOSS_DTYPES, errors=binary_errors),
        spec("kl_div", gen_kl, dtypes=LOSS_DTYPES, errors=fixed_errors(((3,), ((np.ones(3)),), {"reduction": "x"}))),
        spec("poisson_nll_loss", gen_poisson, dtypes=LOSS_DTYPES,
             errors=fixed_errors(((3,), (np.ones(3),), {"reduction": "x"}))),
        spec("gaussian_nll_loss", gen_gaussian, dtypes=LOSS_DTYPES, errors=gaussian_errors),
        spec("embedding", gen_embedding, dtypes=LOSS_DTYPES, errors=embedding_errors),
        spec("one_hot", gen_one_hot, dtypes=("int64",), grad=False, errors=one_hot_errors),
        spec("dropout", gen_dropout, dtypes=FLOATS, errors=fixed_errors(((3,), (), {"p": 1.5}))),
    ]
    return specs


SPECS: list[OpSpec] = _build()
# PyTorch's CPU kernels disagree with themselves at NaN: the vectorised loop (runs of 8 or more
# float64 elements) and the scalar loop (the rest, and small tensors) take different branches of
# the same comparison. tapegrad follows the vectorised loop, the one real tensors take.
NAN_SPLIT = ("PyTorch's gradient at NaN depends on the tensor's size (its vectorised and scalar kernels branch "
             "differently); tapegrad always gives the vectorised kernel's")
KNOWN_FAILURES: dict[str, str] = {
    **{f"nn.functional.{name}-nan": NAN_SPLIT
       for name in ("relu6", "hardtanh", "elu", "selu", "celu", "hardswish", "softshrink", "hardshrink")},
    "nn.functional.hardsigmoid-grad2": "PyTorch has no second derivative of hardsigmoid (\"derivative for "
                                       "aten::hardsigmoid_backward is not implemented\"); tapegrad's is 0, as the "
                                       "slope is piecewise constant",
}
