"""Parity specs of ops_builtin/elementwise_more.py, special_functions.py and the tapegrad-special
plugin: values, dtypes, gradients (first and second order, at ties) and errors against PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opspec import (DIVISOR, FLOATS, GAMMA, INTS, POSITIVE, REALS, UNIT, Case, OpSpec, binary, binary_errors,
                      partner, shape, tg, th, unary, values)

PROBABILITY = (0.05, 0.95)
ABOVE_ONE = (1.1, 3.0)


def _th_polygamma(torch: Any, n: Any, x: Any) -> Any:
    return torch.polygamma(n, x)


def gen_polygamma(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = [Case((int(rng.integers(0, 4)), values(rng, shape(rng), dtype, GAMMA))) for _ in range(8)]
    if dtype in FLOATS:
        cases.append(Case((1, values(rng, (9,), dtype, pool=(0.5, 1.0, 2.0, -0.5, -1.5, 7.25, 30.0))), tag="special"))
    return cases


def gen_lerp(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for i in range(10):
        s = shape(rng)
        weight: Any = float(rng.uniform(-0.5, 1.5)) if i % 2 else values(rng, partner(rng, s), dtype, (-0.5, 1.5))
        cases.append(Case((values(rng, s, dtype), values(rng, partner(rng, s), dtype), weight)))
    return cases


def gen_clamp_tensor(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for i in range(10):
        s = shape(rng)
        lo = values(rng, partner(rng, s), dtype, (-1.5, 0.5))
        hi = values(rng, partner(rng, s), dtype, (-0.5, 1.5))
        params = [{"min": lo, "max": hi}, {"min": lo}, {"max": hi}][i % 3]
        cases.append(Case((values(rng, s, dtype),), params))
    return cases


def _bounds(bounds: tuple[Any, ...], which: str) -> dict[str, Any]:
    """Parity cases hold arrays in ``args`` only (they become tensors); the bounds go by keyword."""
    return dict(zip({"both": ("min", "max"), "min": ("min",), "max": ("max",)}[which], bounds))


def _tg_clamp_tensor(x: Any, *bounds: Any, which: str) -> Any:
    return tg("clamp")(x, **_bounds(bounds, which))


def _th_clamp_tensor(torch: Any, x: Any, *bounds: Any, which: str) -> Any:
    return torch.clamp(x, **_bounds(bounds, which))


def gen_clamp_tensor_args(rng: np.random.Generator, dtype: str) -> list[Case]:
    return [Case((c.args[0], *c.params.values()), {"which": "both" if len(c.params) == 2 else next(iter(c.params))})
            for c in gen_clamp_tensor(rng, dtype)]


def gen_nan_to_num(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = unary()(rng, dtype)
    for c in cases[:4]:
        c.params = {"nan": 1.5, "posinf": 2.0, "neginf": -2.0}
    if dtype in FLOATS:
        cases.append(Case((values(rng, (9,), dtype, pool=(np.nan, np.inf, -np.inf, 0.5)),), {"posinf": 3.0},
                          "special"))
    return cases


def gen_heaviside(rng: np.random.Generator, dtype: str) -> list[Case]:
    cases = []
    for _ in range(8):
        s = shape(rng)
        x = values(rng, s, dtype, pool=(0.0, -1.0, 2.0, 0.5)) if dtype in FLOATS else values(rng, s, dtype, (-1, 1))
        cases.append(Case((x, values(rng, partner(rng, s), dtype))))
    return cases


UNARY = {  # op -> (torch path, domain, dtypes, ties)
    "reciprocal": ("reciprocal", (0.3, 2.0), REALS, False),
    "exp2": ("exp2", None, REALS, False),
    "sinc": ("sinc", None, REALS, True),
    "trunc": ("trunc", None, FLOATS + INTS, True),
    "frac": ("frac", None, FLOATS, True),
    "arcsinh": ("asinh", None, REALS, False),
    "arccosh": ("acosh", ABOVE_ONE, REALS, False),
    "arctanh": ("atanh", UNIT, REALS, False),
    "sgn": ("sgn", None, REALS, True),
    "signbit": ("signbit", None, REALS, False),
    "deg2rad": ("deg2rad", None, REALS, False),
    "rad2deg": ("rad2deg", None, REALS, False),
    "erf": ("erf", None, REALS, False),
    "erfc": ("erfc", None, REALS, False),
    "erfinv": ("erfinv", UNIT, REALS, False),
    "lgamma": ("lgamma", GAMMA, REALS, False),
    "digamma": ("digamma", GAMMA, REALS, False),
}
# logaddexp, logaddexp2 and hypot: PyTorch refuses two integer tensors (NotImplementedError), tapegrad
# computes them in the default float dtype as for one integer tensor; only floats are compared
BINARY = {  # op -> (torch path, domains, dtypes, differentiable, ties)
    "logaddexp": ("logaddexp", (None, None), FLOATS, True, True),
    "logaddexp2": ("logaddexp2", (None, None), FLOATS, True, True),
    "hypot": ("hypot", (None, None), FLOATS, True, False),
    "atan2": ("atan2", (None, None), REALS, True, False),
    "fmod": ("fmod", (None, DIVISOR), REALS, True, False),
    "copysign": ("copysign", (None, None), REALS, True, True),
    "clamp_min": ("clamp_min", (None, None), REALS, True, True),
    "clamp_max": ("clamp_max", (None, None), REALS, True, True),
    "xlogy": ("xlogy", (None, POSITIVE), REALS, True, False),
}


def _specs() -> list[OpSpec]:
    specs = []
    for name, (path, domain, dtypes, ties) in UNARY.items():
        specs.append(OpSpec(name, th(path), tg(name), unary(domain), dtypes=dtypes, ties=ties,
                            grad=name != "signbit"))
    for name, (path, domain, dtypes, diff, ties) in BINARY.items():
        specs.append(OpSpec(name, th(path), tg(name), binary(domain), dtypes=dtypes, grad=diff, ties=ties,
                            errors=binary_errors))
    specs += [
        OpSpec("logit", th("logit"), tg("logit"),
               unary(PROBABILITY, lambda rng: [{}, {"eps": 0.1}, {"eps": None}][int(rng.integers(0, 3))]),
               dtypes=REALS),
        OpSpec("polygamma", _th_polygamma, tg("polygamma"), gen_polygamma, dtypes=REALS,
               errors=lambda rng: [Case((-1, values(rng, (3,), "float64"))), Case((1.5, values(rng, (3,), "float64")))]),
        OpSpec("lerp", th("lerp"), tg("lerp"), gen_lerp, dtypes=FLOATS,
               errors=lambda rng: [Case((values(rng, (3,), "float32"), values(rng, (3,), "float64"), 0.5)),
                                   Case((values(rng, (3,), "int64"), values(rng, (3,), "int64"), 0.5))]),
        OpSpec("nan_to_num", th("nan_to_num"), tg("nan_to_num"), gen_nan_to_num),
        OpSpec("heaviside", th("heaviside"), tg("heaviside"), gen_heaviside, dtypes=FLOATS + INTS, grad=False,
               errors=lambda rng: [Case((values(rng, (3,), "float32"), values(rng, (3,), "float64")))]),
        OpSpec("clamp_tensor", _th_clamp_tensor, _tg_clamp_tensor,
               gen_clamp_tensor_args, dtypes=REALS, ties=True,
               errors=lambda rng: [Case((values(rng, (3,), "float64"), values(rng, (3,), "float64"), 0.5),
                                        {"which": "both"})]),
        OpSpec("special.log_expit", th("nn.functional.logsigmoid"), tg("special.log_expit"), unary(), dtypes=FLOATS),
        OpSpec("i0", th("i0"), tg("i0"), unary(), dtypes=REALS),
        OpSpec("special.i1", th("special.i1"), tg("special.i1"), unary(), dtypes=REALS),
    ]
    for name, path, domain in (("special.expit", "special.expit", None), ("special.expm1", "special.expm1", None),
                               ("special.log1p", "special.log1p", (-0.5, 2.0)), ("special.exp2", "special.exp2", None),
                               ("special.sinc", "special.sinc", None), ("special.round", "special.round", None),
                               ("special.ndtr", "special.ndtr", None)):
        # torch.special.round refuses integer tensors, torch.round (and tapegrad's) keeps them
        specs.append(OpSpec(name, th(path), tg(name), unary(domain), dtypes=FLOATS if name == "special.round" else REALS))
    for name in ("logsumexp", "softmax", "log_softmax"):
        specs.append(OpSpec(f"special.{name}", th(f"special.{name}"), tg(f"special.{name}"),
                            _with_dim(name == "logsumexp"), dtypes=FLOATS))
    return specs


def _with_dim(keepdim: bool) -> Any:
    def gen(rng: np.random.Generator, dtype: str) -> list[Case]:
        cases = []
        for _ in range(6):
            s = shape(rng, low=1)
            d = int(rng.integers(-len(s), len(s)))
            cases.append(Case((values(rng, s, dtype),), {"dim": d, **({"keepdim": bool(rng.random() < 0.5)}
                                                                      if keepdim else {})}))
        return cases
    return gen


SPECS = _specs()
NO_TORCH_COUNTERPART = {
    "special.iv": "torch.special has Bessel I of orders 0 and 1 only (i0, i1), not of any real order v",
    "clamp_scalar": "what tapegrad.clamp calls for number bounds (checked as clamp)",
}
EDGE_CASE_TORCH = {  # op -> the PyTorch function its declared special points are checked against
    "reciprocal": lambda torch: torch.reciprocal, "exp2": lambda torch: torch.exp2,
    "logaddexp": lambda torch: torch.logaddexp, "logaddexp2": lambda torch: torch.logaddexp2,
    "logit": lambda torch: torch.logit, "sinc": lambda torch: torch.sinc, "hypot": lambda torch: torch.hypot,
    "atan2": lambda torch: torch.atan2, "fmod": lambda torch: torch.fmod, "trunc": lambda torch: torch.trunc,
    "frac": lambda torch: torch.frac, "lerp": lambda torch: torch.lerp, "copysign": lambda torch: torch.copysign,
    "arccosh": lambda torch: torch.acosh, "arctanh": lambda torch: torch.atanh,
    "nan_to_num": lambda torch: torch.nan_to_num, "clamp_min": lambda torch: torch.clamp_min,
    "clamp_max": lambda torch: torch.clamp_max, "sgn": lambda torch: torch.sgn, "signbit": lambda torch: torch.signbit,
    "heaviside": lambda torch: torch.heaviside, "erf": lambda torch: torch.erf, "erfc": lambda torch: torch.erfc,
    "erfinv": lambda torch: torch.erfinv, "lgamma": lambda torch: torch.lgamma, "digamma": lambda torch: torch.digamma,
    "polygamma": lambda torch: torch.polygamma, "xlogy": lambda torch: torch.xlogy,
    "clamp_tensor": lambda torch: _torch_clamp_tensor(torch),
}


def _torch_clamp_tensor(torch: Any) -> Any:
    def clamp(x: Any, lo: Any, hi: Any, bounds: str = "both") -> Any:
        return torch.clamp(x, min=None if bounds == "max" else lo, max=None if bounds == "min" else hi)
    return clamp


KNOWN_FAILURES: dict[str, str] = {}
