"""Known tapegrad bugs the parity suite finds: each a strict xfail until it is fixed.

Key: a test id of test_parity.py (``OP-CHECK[-DTYPE]``) or a shorter prefix of one, which then
covers every item below it. Value: what is wrong, naming the issue item. The reasons are named
once below; an item failing for two reasons names both, and passes only when both are fixed.
When a fix lands the test XPASSes and strict xfail turns that into a failure: delete the entry.
"""

from __future__ import annotations

I7 = "issue 7"
INT_FLOAT16 = (f"{I7} dtypes: float ops on int8/uint8/bool give float16 (NumPy's rule), PyTorch the default "
               "float dtype")
HALF_INT = f"{I7} dtypes: float16 with an integer tensor gives float32 (PyTorch float16)"
ZERO_DIM = (f"{I7} dtypes: 0-d tensors take part in promotion as if dimensioned (f32 + 0-d f64 is float64, "
            "PyTorch float32; uint8 with a 0-d int8 is int16, PyTorch uint8)")
UINT64 = f"{I7} dtypes: sum/prod/cumsum/einsum of uint8 give NumPy's uint64, which tapegrad cannot even name"
NEGPOW = f"{I7} dtypes: int_tensor ** negative_int_tensor raises ValueError where PyTorch computes"
BOOL_OPS = (f"{I7} dtypes: sigmoid(bool), sign(bool) raise NumPy's TypeError; square(bool) is int8 (PyTorch "
            "int64), bool ** bool int8 (PyTorch bool); -bool raises TypeError (PyTorch RuntimeError)")
REFUSED_DTYPE = ("not in issue 7 (PyTorch raises => tapegrad raises): PyTorch refuses this dtype (abs/floor/ceil/"
                 "round/relu/pow/remainder/floor_divide of bool, bool in subtraction, log_sigmoid of integers); "
                 "tapegrad computes")
BITWISE = f"{I7} item 7: & | ^ ~ on integer tensors are logical (bool results), PyTorch's are bitwise"
DIVZERO = f"{I7} item 8: integer // and % by zero return 0; PyTorch raises ZeroDivisionError (a RuntimeError)"
RESHAPE_NEG2 = f"{I7} item 8: reshape(-2) is accepted as -1"
POW_PREC = (f"{I7} item 4: pow's gradient with a Python-scalar base has float32 precision under "
            "create_graph=True (log(number) made as a float32 tensor)")
XLOGY_PREC = (f"{I7} item 4 class: xlogy's gradient for x with an integer y computes log(y) in float32, not in "
              "the result's float64")
STD_ZERO = f"{I7} item 6: std where the deviation is zero (a single element) gives NaN gradients, PyTorch 0"
INDEX_PUT = (f"{I7} item 2: index_put(accumulate=True) with a value that must broadcast returns uninitialised "
             "memory")
SHAPE_ERR = (f"{I7} bad input: reshape/view/broadcast_to to a wrong shape raise NumPy's ValueError, PyTorch "
             "RuntimeError (\"shape '[4]' is invalid for input of size 6\")")
CAT_EMPTY = "not in issue 7: cat([]) raises RuntimeError, PyTorch ValueError (exception type)"
POLYGAMMA = ("not in issue 7: polygamma(+inf, n=2) is -0.0 (PyTorch nan; the limit is 0, so PyTorch is the odd "
             "one: a candidate for the differences table); polygamma(n=-1) raises ValueError, PyTorch RuntimeError")
SIGN_NAN = "not in issue 7 (special points, item 6's class): sign(nan) is nan, PyTorch 0"
GAMMALN_INF = "not in issue 7 (special points): gammaln(-inf) is -inf, PyTorch (and SciPy) inf"
EINSUM_BCAST = ("not in issue 7: einsum refuses a size-1 dimension broadcast against a letter's size "
                "('ij,ij,ij->i' with a (1, 3) operand); PyTorch broadcasts it")
DOT_DTYPE = ("not in issue 7 (PyTorch raises => tapegrad raises): dot of float64 and float32 promotes; PyTorch "
             "raises 'expected both vectors to have same dtype'")
FILL_OVERFLOW = ("not in issue 7 (item 8's class): fill_(uint8 tensor, -1.69) wraps to 255; PyTorch raises "
                 "'value cannot be converted to type uint8_t without overflow'")
ALL_UINT8 = "not in issue 7: all/any of a uint8 tensor give bool; PyTorch keeps uint8"

VIEWS = (f"{I7} item 1: an in-place write through a view of a non-leaf does not update the base's history "
         "(wrong gradients); writes to split/chunk outputs are accepted where PyTorch refuses them")
NAN_GRAD = (f"{I7} item 6: gradients at NaN do not follow PyTorch's rule (relu, abs, maximum, minimum, max, min, "
            "prod: PyTorch passes the gradient through, tapegrad gives 0 or NaN)")
NORM_ZERO = f"{I7} item 6: norm(p<1) at zero entries gives NaN gradients, PyTorch 0"
LARGE_F16 = (f"{I7} item 6: reductions of 70,000 float16 elements: mean/amax/amin's gradient is 0 (the count "
             "overflows float16); var/std/norm give inf (PyTorch accumulates in float32)")
IS_LEAF = (f"{I7} item 5: a conversion that changes nothing (x.float() of float32, x.to(its own dtype), "
           "flatten of a 1-D tensor) makes a new non-leaf; PyTorch returns x itself")
INPLACE_CAST = ("not in issue 7: in-place ops refuse a result dtype of the same kind (uint8.mul_(int8) is int16 "
                "into uint8); PyTorch casts it, refusing only float into integer or anything into bool")

ISCLOSE_DTYPE = ("not in issue 7 (PyTorch raises => tapegrad raises): isclose/allclose of two dtypes compute; "
                 "PyTorch raises 'Float did not match Double'")
T_SELF = ("not in issue 7: x.t() of a 0-D or 1-D tensor returns x itself (a leaf); PyTorch returns a new view "
          "with a grad_fn")
EXPAND_0D = ("not in issue 7: x.expand_as(other) of a 0-d x to a 0-d other crashes (TypeError: _expand() missing "
             "'sizes', a private name)")
COPY_INT_GRAD = ("not in issue 7, a silent wrong gradient: dst.copy_(src) with an integer src keeps dst's old "
                 "gradient (PyTorch: zero, dst is overwritten); an integer dst's result requires grad")
EINSUM_INT = ("not in issue 7 (dtypes): einsum reducing a small integer type ('ii', a trace) keeps its dtype; "
              "PyTorch sums it into int64 as sum does")
KNOWN_FAILURES: dict[str, str] = {
    "einsum-forward-int32": EINSUM_INT,
    "einsum-forward-int16": EINSUM_INT,
    "einsum-forward-int8": EINSUM_INT,
    "inplace:relu_-forward-bool": REFUSED_DTYPE,
    "inplace:round_-forward-bool": REFUSED_DTYPE,
    "inplace:remainder_-forward-bool": REFUSED_DTYPE,
    "neg-forward-bool": BOOL_OPS,
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
    "sub-mixed-float16": HALF_INT + "; " + REFUSED_DTYPE,
    "sub-mixed-int64": HALF_INT + "; " + REFUSED_DTYPE,
    "sub-mixed-int32": HALF_INT + "; " + REFUSED_DTYPE + "; " + ZERO_DIM,
    "sub-mixed-int8": REFUSED_DTYPE,
    "sub-mixed-uint8": REFUSED_DTYPE + "; " + ZERO_DIM,
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
    "remainder-scalar-bool": DIVZERO + "; " + REFUSED_DTYPE,
    "all-forward-uint8": ALL_UINT8,
    "any-forward-uint8": ALL_UINT8,
    "prod-nan": NAN_GRAD,
    "norm-nan": NORM_ZERO,
    "pad-errors": REFUSED_DTYPE,
    "fill-forward-uint8": FILL_OVERFLOW,
    "dot-errors": DOT_DTYPE,
    "einsum-forward-uint8": UINT64,
    "einsum-broadcast-float64": EINSUM_BCAST,
    "einsum-broadcast-float32": EINSUM_BCAST,
    "einsum-broadcast-float16": EINSUM_BCAST,
    "einsum-broadcast-int64": EINSUM_BCAST,
    "einsum-broadcast-int32": EINSUM_BCAST,
    "einsum-broadcast-int16": EINSUM_BCAST,
    "einsum-broadcast-int8": EINSUM_BCAST,
    "einsum-broadcast-uint8": EINSUM_BCAST + "; " + UINT64,
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
    "inplace:neg_-forward-bool": BOOL_OPS,
    "inplace:fill_-forward-uint8": FILL_OVERFLOW,
    "inplace:abs_-forward-bool": REFUSED_DTYPE,
    "inplace:floor_-forward-bool": REFUSED_DTYPE,
    "inplace:ceil_-forward-bool": REFUSED_DTYPE,
    "inplace:masked_fill_-forward-uint8": FILL_OVERFLOW,
}
