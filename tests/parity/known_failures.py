"""Known tapegrad bugs the parity suite finds: each a strict xfail until it is fixed.

Key: a test id of test_parity.py (``OP-CHECK[-DTYPE]``) or a shorter prefix of one, which then
covers every item below it. Value: what is wrong and where it belongs (every issue 7 item is fixed;
what remains is outside its list). The reasons are named
once below; an item failing for two reasons names both, and passes only when both are fixed.
When a fix lands the test XPASSes and strict xfail turns that into a failure: delete the entry.
"""

from __future__ import annotations

REFUSED_DTYPE = ("not in issue 7 (PyTorch raises => tapegrad raises): PyTorch refuses this dtype (abs/floor/ceil/"
                 "round/relu/pow/remainder/floor_divide of bool, bool in subtraction, log_sigmoid of integers); "
                 "tapegrad computes")
POLYGAMMA = ("not in issue 7: polygamma(+inf, n=2) is -0.0 (PyTorch nan; the limit is 0, so PyTorch is the odd "
             "one: a candidate for the differences table); polygamma(n=-1) raises ValueError, PyTorch RuntimeError")
GAMMALN_INF = "not in issue 7 (special points): gammaln(-inf) is -inf, PyTorch (and SciPy) inf"
EINSUM_BCAST = ("not in issue 7: einsum refuses a size-1 dimension broadcast against a letter's size "
                "('ij,ij,ij->i' with a (1, 3) operand); PyTorch broadcasts it")
DOT_DTYPE = ("not in issue 7 (PyTorch raises => tapegrad raises): dot of float64 and float32 promotes; PyTorch "
             "raises 'expected both vectors to have same dtype'")
FILL_OVERFLOW = ("not in issue 7 (item 8's class): fill_(uint8 tensor, -1.69) wraps to 255; PyTorch raises "
                 "'value cannot be converted to type uint8_t without overflow'")
ALL_UINT8 = "not in issue 7: all/any of a uint8 tensor give bool; PyTorch keeps uint8"


ISCLOSE_DTYPE = ("not in issue 7 (PyTorch raises => tapegrad raises): isclose/allclose of two dtypes compute; "
                 "PyTorch raises 'Float did not match Double'")
T_SELF = ("not in issue 7: x.t() of a 0-D or 1-D tensor returns x itself (a leaf); PyTorch returns a new view "
          "with a grad_fn")
EXPAND_0D = ("not in issue 7: x.expand_as(other) of a 0-d x to a 0-d other crashes (TypeError: _expand() missing "
             "'sizes', a private name)")
EINSUM_INT = ("not in issue 7 (dtypes): einsum reducing a small integer type ('ii', a trace) keeps its dtype; "
              "PyTorch sums it into int64 as sum does")
NEG_BOOL = ("not in issue 7's list (error type): -bool raises TypeError naming neg (NumPy's refusal), PyTorch a "
            "RuntimeError")
PROD_NAN = ("not in issue 7's list (gradients at NaN): prod's gradient where the reduced elements hold a NaN and a "
            "zero is NaN where PyTorch's is finite (PyTorch differentiates through cumulative products)")
NORM_NAN = ("not in issue 7's list (gradients at NaN): norm with p=0.5 or 1.5 over a NaN has gradient 0 at zero "
            "entries; PyTorch's is NaN everywhere")
KNOWN_FAILURES: dict[str, str] = {
    "einsum-forward-int32": EINSUM_INT,
    "einsum-forward-int16": EINSUM_INT,
    "einsum-forward-int8": EINSUM_INT,
    "inplace:relu_-forward-bool": REFUSED_DTYPE,
    "inplace:round_-forward-bool": REFUSED_DTYPE,
    "inplace:remainder_-forward-bool": REFUSED_DTYPE,
    "neg-forward-bool": NEG_BOOL,
    "abs-forward-bool": REFUSED_DTYPE,
    "relu-forward-bool": REFUSED_DTYPE,
    "floor-forward-bool": REFUSED_DTYPE,
    "ceil-forward-bool": REFUSED_DTYPE,
    "round-forward-bool": REFUSED_DTYPE,
    "gammaln-special-float64": GAMMALN_INF,
    "gammaln-special-float16": GAMMALN_INF,
    "log_expit-forward-int64": REFUSED_DTYPE,
    "log_expit-forward-int32": REFUSED_DTYPE,
    "log_expit-forward-int16": REFUSED_DTYPE,
    "log_expit-forward-int8": REFUSED_DTYPE,
    "log_expit-forward-uint8": REFUSED_DTYPE,
    "polygamma-special": POLYGAMMA,
    "polygamma-errors": POLYGAMMA,
    "sub-forward-bool": REFUSED_DTYPE,
    "sub-mixed-float16": REFUSED_DTYPE,
    "sub-mixed-int64": REFUSED_DTYPE,
    "sub-mixed-int32": REFUSED_DTYPE,
    "sub-mixed-int8": REFUSED_DTYPE,
    "sub-mixed-uint8": REFUSED_DTYPE,
    "sub-mixed-bool": REFUSED_DTYPE,
    "sub-scalar-float32": REFUSED_DTYPE,
    "sub-scalar-float16": REFUSED_DTYPE,
    "sub-scalar-int32": REFUSED_DTYPE,
    "sub-scalar-int16": REFUSED_DTYPE,
    "sub-scalar-int8": REFUSED_DTYPE,
    "sub-scalar-uint8": REFUSED_DTYPE,
    "sub-scalar-bool": REFUSED_DTYPE,
    "floor_divide-forward-bool": REFUSED_DTYPE,
    "remainder-forward-bool": REFUSED_DTYPE,
    "remainder-scalar-bool": REFUSED_DTYPE,
    "all-forward-uint8": ALL_UINT8,
    "any-forward-uint8": ALL_UINT8,
    "prod-nan": PROD_NAN,
    "norm-nan": NORM_NAN,
    "pad-errors": REFUSED_DTYPE,
    "fill-forward-uint8": FILL_OVERFLOW,
    "dot-errors": DOT_DTYPE,
    "einsum-forward-uint8": EINSUM_INT,
    "einsum-broadcast-float64": EINSUM_BCAST,
    "einsum-broadcast-float32": EINSUM_BCAST,
    "einsum-broadcast-float16": EINSUM_BCAST,
    "einsum-broadcast-int64": EINSUM_BCAST,
    "einsum-broadcast-int32": EINSUM_BCAST,
    "einsum-broadcast-int16": EINSUM_BCAST,
    "einsum-broadcast-int8": EINSUM_BCAST,
    "einsum-broadcast-uint8": EINSUM_BCAST + "; " + EINSUM_INT,
    "masked_fill-forward-uint8": FILL_OVERFLOW,
    "isclose-mixed": ISCLOSE_DTYPE,
    "allclose-mixed": ISCLOSE_DTYPE,
    "t-grad": T_SELF,
    "t-grad2": T_SELF,
    "expand_as-forward-float64": EXPAND_0D,
    "expand_as-forward-float16": EXPAND_0D,
    "expand_as-forward-int32": EXPAND_0D,
    "expand_as-forward-int16": EXPAND_0D,
    "expand_as-forward-uint8": EXPAND_0D,
    "expand_as-grad": EXPAND_0D,
    "expand_as-grad2": EXPAND_0D,
    "inplace:sub_-forward-bool": REFUSED_DTYPE,
    "inplace:sub_-mixed-float64": REFUSED_DTYPE,
    "inplace:sub_-mixed-int32": REFUSED_DTYPE,
    "inplace:sub_-scalar-int32": REFUSED_DTYPE,
    "inplace:sub_-scalar-int8": REFUSED_DTYPE,
    "inplace:sub_-grad": REFUSED_DTYPE,
    "inplace:sub_-grad2": REFUSED_DTYPE,
    "inplace:neg_-forward-bool": NEG_BOOL,
    "inplace:fill_-forward-uint8": FILL_OVERFLOW,
    "inplace:abs_-forward-bool": REFUSED_DTYPE,
    "inplace:floor_-forward-bool": REFUSED_DTYPE,
    "inplace:ceil_-forward-bool": REFUSED_DTYPE,
    "inplace:masked_fill_-forward-uint8": FILL_OVERFLOW,
}


def _gather_areas() -> None:
    """Each area module's known failures (``specs/``) join the table."""
    # opspec first: it imports every area module (which import opspec) and gathers their specs;
    # importing an area module from here first would leave opspec seeing it half-initialised
    from . import opspec, specs  # noqa: F401

    for module in specs.modules():
        KNOWN_FAILURES.update(getattr(module, "KNOWN_FAILURES", {}))


_gather_areas()
