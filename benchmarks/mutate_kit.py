"""Mutation test of the conformance kit: how many wrong built-in ops does it catch?

Each mutant is one mechanical edit of one ``ops_builtin`` module, made on its syntax tree: an
operator swapped (``+``/``-``, ``*``/``/``, ``**``/``*``, a comparison), a term dropped
(``a + b`` -> ``a``), a sign removed, a numeric constant nudged (ints ``+1``, which shifts dims
and exponents by one; floats ``*1.001``), a bool flipped, an ``xp`` function swapped for its
sibling (``sin``/``cos``, ``max``/``min``, ``sum``/``mean``...), or a VJP rule replaced by
``None``. Only the ops' math is mutated: forwards, VJPs and their helpers, not argument
validation (``raise``, the ``if`` guarding it, a loop of such checks, assignments only validation
reads), docstrings, nor the kit's own declarations (samples, domains, edge cases, references:
``_ref_*``/``*_ref`` functions, the nn modules' plain-NumPy ``_np_*`` references that no op math calls,
``*_samples`` functions building samples, and the modules in ``DECLARATIONS``), nor the ``-1`` of a reshape
size (NumPy reads ``-2`` as "the rest" too). The mutated module replaces the original in the
built-in plugin and in ``sys.modules``, every module using its names is loaded afresh (so they
bind the mutant), the op table is rebuilt, and the kit runs on every op whose checks executed
the mutated line (recorded once, by tracing the kit on the unmutated ops). A mutant is killed
when some check that passes on the original fails.

The kit runs on NumPy and array_api_strict (and, for ops using an optional extension or
``searchsorted``, array_api_strict's functions made stricter: ``tapegrad.testing.stricter``): Dask is left out of the backends check here,
being slow per check, and the Dask plugin's own kit tests (``plugins/tapegrad-dask``) prove every
op on Dask against NumPy's results; a line asking ``is_lazy`` or what the namespace offers runs
on Dask too (``BACKEND_QUESTIONS``), and so does a line only Dask reaches (unknown sizes): where
some mutants are on lines no other check runs, every op's backends check on Dask is traced once
(minutes; ``--no-dask`` skips it), and a mutant on such a line runs that check on Dask. A limit the
kit accepts (an ``UnknownSizeError`` on an unknown size) met where the original computed kills. A mutant's checks run in order of cost per kill (each
check's cost measured on the original ops, each kind's kill rate learnt during the run) and stop
at the first failure; a mutant that runs past twice its checks' original time (plus
``--timeout``) counts as killed (it loops).

    python benchmarks/mutate_kit.py                      # every mutant (minutes)
    python benchmarks/mutate_kit.py --sample 300         # a seeded sample of them
    python benchmarks/mutate_kit.py --modules arithmetic,exponential --list
    python benchmarks/mutate_kit.py -v --only keys.txt      # rerun the mutants of these keys

Not part of the test suite: it prints the score and the survivors, to read.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import functools
import random
import signal
import sys
import time
import types
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

import tapegrad
import tapegrad.ops_builtin as builtin
from tapegrad.optable import invalidate, table
from tapegrad.testing import op_checks

PLUGIN = "tapegrad.ops_builtin"
KIT_KEYWORDS = {"samples", "domain", "reference", "edge_cases", "doc", "dtypes", "zero_gradient", "node_name",
                "methods", "inplace_methods", "aliases", "param_aliases", "params"}
SWAPS = {"sin": "cos", "cos": "sin", "sinh": "cosh", "cosh": "sinh", "exp": "expm1", "expm1": "exp",
         "log": "log1p", "log1p": "log", "maximum": "minimum", "minimum": "maximum", "max": "min", "min": "max",
         "sum": "mean", "mean": "sum", "sqrt": "abs", "sign": "abs", "abs": "sign", "tanh": "sigmoid",
         "sigmoid": "tanh", "floor": "ceil", "ceil": "floor", "argmax": "argmin", "argmin": "argmax",
         "ones_like": "zeros_like", "zeros_like": "ones_like", "prod": "sum", "flip": "negative",
         "logical_and": "logical_or", "logical_or": "logical_and"}
FORWARD_SWAPS = {**SWAPS, "add": "subtract", "subtract": "add", "multiply": "divide", "divide": "multiply",
                 "negative": "abs", "pow": "multiply", "asin": "acos", "acos": "asin", "atan": "tan", "tan": "atan",
                 "square": "abs", "log2": "log10", "log10": "log2", "round": "floor", "equal": "not_equal",
                 "less": "less_equal", "greater": "greater_equal", "isnan": "isinf", "isinf": "isnan",
                 "isfinite": "isnan"}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv}
COMPARE_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq}


# Mutants no input can tell from the original (or only where PyTorch gives NaN as well), and
# mutants whose difference finite differences cannot see and no convention pins down: each with
# the reason. Keyed by (module, the mutated line as written, description), so line moves do not
# matter; an edit of the line drops its entries (they then show up as survivors to look at again).
# The score counts them apart.
# The p-norm's general line, reached by samples only where the reduced dimension is empty.
_EMPTY_NORM = ('an empty reduced dimension (or an empty result): the sum has no terms, 0 whatever they are, and '
               '0 ** a is 0 for every a > 0; a negative p was refused before (no identity), so 1 / p, p, 1.001 / p '
               'and 1 all give 0')
# No input tells these from the original (or only where PyTorch gives NaN as well).
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ('arithmetic', 'inexact = (q * y != x) & ((x < 0) != (y < 0))  # floored past zero: one step back', 'x < 0: Lt -> LtE'):
        'x == 0 divides exactly (q * y == x), so whether 0 counts as negative is never read',
    ('arithmetic', 'inexact = (q * y != x) & ((x < 0) != (y < 0))  # floored past zero: one step back', 'y < 0: Lt -> LtE'):
        'y == 0 is refused before (integer division by zero), so whether 0 counts as negative is never read',
    ('arithmetic', 'inexact = (q * y != x) & ((x < 0) != (y < 0))  # floored past zero: one step back', '0 -> 1'):
        'integers: x < 1 is x <= 0, and y < 1 is y <= 0; x == 0 divides exactly and y == 0 is refused before',
    ('nn_activations', 'return ops().where(n < eps, (n - n.detach()) + eps, n)  # exactly eps below it (n - n is 0), and no in-place write: vmap batches it', 'n < eps: Lt -> LtE'):
        'at n == eps both branches give eps, and both pass the norm\'s own gradient (n - n.detach() has gradient 1): the boundary moved changes nothing',
    ('cotangents', 'if type(g) is np.ndarray and g.size > 1 and not any(g.strides):  # empty and 0-d: as they are', 'g.size > 1: Gt -> GtE'):
        'a one-element cotangent scaled as a scalar broadcasts back to the same one element: only the path differs',
    ('cotangents', 'if type(g) is np.ndarray and g.size > 1 and not any(g.strides):  # empty and 0-d: as they are', '1 -> 2'):
        'a two-element one-value cotangent scaled as an array gives the same values: only the path differs',
    ('cotangents', 'return g.flat[0] * c', '0 -> 1'):
        'every element of a one-value cotangent is the same number, and the guard ensures a second one exists',
    ('elementwise', 'shifted = xp.bitwise_left_shift(x, xp.where(inside, y, xp.zeros_like(y)))', 'xp.zeros_like -> xp.ones_like'):
        'the shift used outside [0, bits) is masked by the where() that follows: any in-range shift gives the same result',
    ('elementwise', 'return xp.bitwise_right_shift(x, bits - 1) if signed else xp.zeros_like(x)', 'bits - 1: Sub -> Add'):
        "a signed right shift by the width or more: NumPy (under array_api_strict and Dask too) fills with the sign for every shift of bits - 1 and over, so bits + 1 gives the same; bits - 1 is the shift C defines (a backend leaving wider shifts undefined would differ)",
    ('elementwise', 'return xp.bitwise_right_shift(x, bits - 1) if signed else xp.zeros_like(x)', 'bits - 1: drop the right term'):
        "a signed right shift by the width or more: NumPy (under array_api_strict and Dask too) fills with the sign for every shift of bits - 1 and over, so bits gives the same; bits - 1 is the shift C defines (a backend leaving wider shifts undefined would differ)",
    ('elementwise_more', 'return xp.where(origin, num * 0.0, num / xp.where(origin, 1.0, r2))', 'num * 0.0: drop the right term'):
        "at the exact origin num is g times a zero coordinate: num * 0.0, num * 0.001 and num itself are the same signed zero (NaN for an infinite g, either way); where r2 underflows to 0 with a coordinate nonzero (under 1e-154 in float64) they differ from PyTorch's 0 by num, itself under 1e-154 times g: below every tolerance",
    ('elementwise_more', 'return xp.where(origin, num * 0.0, num / xp.where(origin, 1.0, r2))', '0.0 -> 0.001'):
        "at the exact origin num is g times a zero coordinate: num * 0.0, num * 0.001 and num itself are the same signed zero (NaN for an infinite g, either way); where r2 underflows to 0 with a coordinate nonzero (under 1e-154 in float64) they differ from PyTorch's 0 by num, itself under 1e-154 times g: below every tolerance",
    ('elementwise_more', 'return xp.where(origin, num * 0.0, num / xp.where(origin, 1.0, r2))', '1.0 -> 1.001'):
        "the inner where's stand-in for r2 at the origin, where the outer where takes num * 0.0",
    ('scatter', 'n = x.shape[d] if ndim else 1', '1 -> 2'):
        "index_add's range check of a 0-d tensor passing index 1: _index_put refuses it next, in the same words (index out of range in self)",
    ('scatter', 'return xp.sum(xp.reshape(g, (-1,))[:0] if key is None else xp.getitem(g, index=key))', '-1: drop the USub'):
        "the key is None only for a 0-d tensor with an empty index, whose cotangent has one element: (1,) and (-1,) are the same shape",
    ('reductions', 'return xp.where(lazy == 0, math.inf, 1.0 / xp.where(lazy == 0, 1.0, lazy))', '0 -> 1'):
        "the inner where's lazy == 1 (of two mutants of this line): where lazy is 1, 1 / 1.0 is 1 / lazy; the outer where's is killed",
    ('reductions', 'return xp.where(lazy == 0, math.inf, 1.0 / xp.where(lazy == 0, 1.0, lazy))', '1.0 -> 1.001'):
        "the inner where's stand-in 1.001 for a zero count (of two mutants of this line): the outer where puts inf there; the numerator's is killed",
    ('reductions', 'axes = None if dim is None and keepdim is False else reduced_axes(dim, x.ndim, keepdim)  # None: every axis', 'False -> True'):
        "with dim None, axis=None and reduced_axes' tuple of every axis reduce the same (a 0-d input's () too), and both paths leave a keepdim that is not a bool to reduced_axes, which refuses it: only the path differs",
    ('reductions', 'return xp.sum(size ** order, axis=axes, keepdims=keepdim) ** (1.0 / order)', 'xp.sum(size ** order, axis=axes, keepdims=keepdim): Pow -> Mult'):
        _EMPTY_NORM,
    ('reductions', 'return xp.sum(size ** order, axis=axes, keepdims=keepdim) ** (1.0 / order)', 'size ** order: Pow -> Mult'):
        _EMPTY_NORM,
    ('reductions', 'return xp.sum(size ** order, axis=axes, keepdims=keepdim) ** (1.0 / order)', '1.0 / order: Div -> Mult'):
        _EMPTY_NORM,
    ('reductions', 'return xp.sum(size ** order, axis=axes, keepdims=keepdim) ** (1.0 / order)', '1.0 / order: drop the right term'):
        _EMPTY_NORM,
    ('reductions', 'return xp.sum(size ** order, axis=axes, keepdims=keepdim) ** (1.0 / order)', '1.0 -> 1.001'):
        _EMPTY_NORM,
    ('reductions', 'keepdim: Any = False) -> tuple[tuple[int, ...], Any]:', 'False -> True'):
        "_moments passes keepdim on to reduced_axes, which only validates it; the callers leaving it out are the VJPs, whose axes do not depend on it",
    ('reductions', 'if len(exc.args) == 1 and type(exc.args[0]) is str:', 'len(exc.args) == 1 and type(exc.args[0]) is str: And -> Or'):
        'the errors max/min meet there (their arg-extremum, gather, amax: tapegrad\'s own, each raised with one message string) satisfy both halves: the guards differ only for an exception of several args or a non-str one, which none raises',
    ('linalg_ops', 'keepdim: bool = False) -> Any:', 'False -> True'):
        "_vector_norm_vjp passes keepdim on to reductions._norm_vjp, which never reads it (the cotangent is broadcast back over the reduced axes either way)",
    ('reductions', 'def reduced_axes(dim: Any, ndim: int, keepdim: Any = False) -> tuple[int, ...]:', 'False -> True'):
        'keepdim is only validated here (the forwards pass their own); the default is never read otherwise',
    ('reductions', 'if keepdim is not False and keepdim is not True:', 'False -> True'):
        'the guard only skips as_flag for the bools it accepts anyway: as_flag(False) is False',
    ('reductions', 'if keepdim is not False and keepdim is not True:', 'True -> False'):
        'the guard only skips as_flag for the bools it accepts anyway: as_flag(True) is True',
    ('reductions', 'if keepdim is not False and keepdim is not True:', 'keepdim is not False and keepdim is not True: And -> Or'):
        'as_flag is then called for bools too, and returns them unchanged',
    ('reductions', 'log_ratio = xp.log(xp.where(skip, xp.ones_like(size), size)) - xp.log(safe_norm)', 'xp.ones_like -> xp.zeros_like'):
        'the stand-in is read only where skip holds, and the where() of the next line puts 0 there',
    ('reductions', 'return xp.where(skip, 0.0, g * sign(xp, x) * xp.exp(log_ratio * (order - 1)))', 'g * sign(xp, x): Mult -> Div'):
        'sign(x) is +-1 wherever the where() keeps the value (x != 0), and g / +-1 == g * +-1',
    ('reductions', 'm = (xp.max if order > 0 else xp.min)(size, axis=axes, keepdims=True)', 'order > 0: Gt -> GtE'):
        'order == 0 returned earlier: the comparison never sees 0',
    ('reductions', 'm = (xp.max if order > 0 else xp.min)(size, axis=axes, keepdims=True)', '0 -> 1'):
        'moves only 0 < p <= 1 to the smallest |x| as scale; p == 1 returned earlier, and for 0 < p < 1 (|x|/scale)**p neither overflows nor underflows with either scale',
    ('reductions', 'scale = xp.where(zero, 0.0, _kept(xp, g, x.shape, axes) / xp.where(zero, 1.0, std))', '0.0 -> 0.001'):
        'where std is 0 every deviation of that slice is 0, so the product with centered is 0 whatever the scale',
    ('reductions', 'scale = xp.where(zero, 0.0, _kept(xp, g, x.shape, axes) / xp.where(zero, 1.0, std))', '1.0 -> 1.001'):
        'the safe divisor is read only where std is 0, which the outer where() replaces',
    ('tensor_api', 'fa, fb = xp.where(finite, a, 0), xp.where(finite, b, 0)  # no inf - inf: nothing to warn about', '0 -> 1'):
        "the stand-in for a non-finite element is masked by `finite &` in the next line: any number gives the same result",
    ('arithmetic', 'safe_x = xp.where(pole, xp.ones_like(x), x)', 'xp.ones_like -> xp.zeros_like'):
        "safe_x is read off the pole (x == 0 and y == 0) only, where the where() takes zeros; the second derivative there is NaN either way, as PyTorch's",
    ('arithmetic', 'return g * x ** y * (math.log(x) if x > 0 else math.nan)', 'x > 0: Gt -> GtE'):
        'x == 0 returned just above',
    ('reductions', 'if type(dim) is tuple or type(dim) is list:', 'type(dim) is tuple or type(dim) is list: Or -> And'):
        'a tuple or list then takes the general iterable path below, to the same axes',
    ('reductions', 'return axes[0] if axes else 0', '0 -> 1'):
        'axes is empty only for a 0-d tensor, whose callers never read the axis',
    ('reductions', 'lifted = xp.where(zero, x + 1, x)', 'x + 1: drop the left term'):
        'any nonzero stand-in for the zeros gives the same products of the others',
    ('reductions', 'lifted = xp.where(zero, x + 1, x)', '1 -> 2'):
        'any nonzero stand-in for the zeros gives the same products of the others',
    ('reductions', 'if x.size == 0:', 'x.size == 0: Eq -> NotEq'):
        "_nonempty with no axes never raises, so the branch does nothing either way (argmax of an empty tensor without dim raises NumPy's error, not PyTorch's: reported)",
    ('reductions', 'if x.size == 0:', '0 -> 1'):
        "_nonempty with no axes never raises, so the branch does nothing either way (argmax of an empty tensor without dim raises NumPy's error, not PyTorch's: reported)",
    ('reductions', 'return (xp.max if order > 0 else xp.min)(size, axis=axes, keepdims=keepdim)', 'order > 0: Gt -> GtE'):
        'order is +inf or -inf on this line',
    ('reductions', 'return (xp.max if order > 0 else xp.min)(size, axis=axes, keepdims=keepdim)', '0 -> 1'):
        'order is +inf or -inf on this line',
    ('reductions', 'return g * xp.zeros_like(x)', 'g * xp.zeros_like(x): drop the left term'):
        'g * 0 and 0 are the same zeros',
    ('reductions', 'return g * x / xp.where(norm == 0, 1, norm)', '1 -> 2'):
        'the stand-in for a zero norm divides a zero numerator',
    ('reductions', 'return g * xp.sign(x) * xp.abs(x) ** (order - 1) / xp.where(norm == 0, 1, norm) ** (order - 1)', '1 -> 2'):
        'the stand-in for a zero norm divides a zero numerator',
    ('reductions', 'm = xp.where(xp.isfinite(m), m, xp.zeros_like(m))', 'xp.zeros_like -> xp.ones_like'):
        'the shift used where the maximum is infinite: inf - 1 and -inf - 1 give the same results as inf - 0',
    ('reductions', 'if not xp.isdtype(x.dtype, ("real floating", "complex floating")):', "not xp.isdtype(x.dtype, ('real floating', 'complex: drop the Not"):
        'floats then run in float64 and the dtype rule rounds the result back: the same numbers to rounding',
    ('shape', 'if type(shape) is tuple or type(shape) is list:', 'type(shape) is tuple or type(shape) is list: Or -> And'):
        'a tuple or list then takes the general iterable path below, to the same shape',
    ('shape', 'if type(dims) is tuple or type(dims) is list or (isinstance(dims, Iterable) and not isinstance(dims, (str, bytes))):', 'not isinstance(dims, (str, bytes)): drop the Not'):
        'only a str dims differs, which is refused either way',
    ('shape', '_dim(start_dim, 0)  # validated all the same', '0 -> 1'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('shape', '_dim(end_dim, 0)', '0 -> 1'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('shape', 'inverse = [0] * len(perm)', '0 -> 1'):
        'every entry is overwritten',
    ('shape', 'elif s == n or (n == 1 and s >= 0):', 'n == 1 and s >= 0: And -> Or'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('shape', 'first = tuple(arrays[0].shape)', '0 -> 1'):
        "every input has the first's shape outside dim (checked), so any input serves",
    ('shape', 'd = _dim(dim, inputs[0].ndim)', '0 -> 1'):
        'every input has the same number of dimensions (checked)',
    ('shape', 'd = _dim(dim, inputs[0].ndim, new=True)', '0 -> 1'):
        'every input has the same number of dimensions (checked)',
    ('elementwise', 'for a, b in zip(_A[:3], _B[:3]):', '3 -> 4'):
        'zip stops at the shorter slice: lengthening one of the two changes nothing',
    ('elementwise', 'y2 = xp.minimum(y, 4.0)', '4.0 -> 4.004'):
        'y2 is read only where y <= 4, where min(y, 4.004) is y too',
    ('elementwise', 'for c, d in zip(_C[:7], _D[:7]):', '7 -> 8'):
        'zip stops at the shorter slice: lengthening one of the two changes nothing',
    ('elementwise', 'for p, q in zip(_P[:4], _Q[:4]):', '4 -> 5'):
        'zip stops at the shorter slice: lengthening one of the two changes nothing',
    ('elementwise', 'r = xp.trunc(yc * 16.0) / 16.0', 'yc * 16.0: Mult -> Div'):
        'exp(-r*r) * exp(-(y-r)(y+r)) is exp(-y*y) for any r; r only bounds the rounding error',
    ('elementwise', 'r = xp.trunc(yc * 16.0) / 16.0', 'yc * 16.0: drop the right term'):
        'exp(-r*r) * exp(-(y-r)(y+r)) is exp(-y*y) for any r; r only bounds the rounding error',
    ('elementwise', 'r = xp.trunc(yc * 16.0) / 16.0', '16.0 -> 16.016'):
        'exp(-r*r) * exp(-(y-r)(y+r)) is exp(-y*y) for any r; r only bounds the rounding error',
    ('elementwise', 'return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))', 'x >= 0: GtE -> Gt'):
        'at x == 0, e == 1 and both branches are 1/2',
    ('elementwise', 'return xp.where(x > 0, x, x * negative_slope)', 'x > 0: Gt -> GtE'):
        'at x == 0 both branches are 0',
    ('elementwise', 'far = xp.where(z < 0, 2 - far, far)', 'z < 0: Lt -> LtE'):
        'at z == 0 the near branch is taken below',
    ('elementwise', 'elif not hasattr(condition, "dtype") or not xp.isdtype(condition.dtype, "bool"):', "not hasattr(condition, 'dtype') or not xp.isdtype(: Or -> And"):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('indexing', 'return hasattr(k, "shape") and hasattr(k, "dtype")', "hasattr(k, 'shape') and hasattr(k, 'dtype'): And -> Or"):
        'only objects with a shape but no dtype (or the reverse) differ: none is a valid index',
    ('indexing', 'return _is_array(k) and np.asarray(k).dtype.kind != "b"', "_is_array(k) and np.asarray(k).dtype.kind != 'b': And -> Or"):
        'ints and slices never repeat a position, so both gradient paths it chooses between give the same cotangent',
    ('indexing', 'return tuple([np.asarray(k) if _is_array(k) and not isinstance(k, np.ndarray) else k for k in key])', 'not isinstance(k, np.ndarray): drop the Not'):
        'np.asarray of a NumPy array is that array',
    ('indexing', 'zero = xp.zeros((1,), dtype=values.dtype)', '1 -> 2'):
        'a second zero of padding is never indexed',
    ('indexing', "if extra > 0:  # NumPy accepts leading size-1 dimensions beyond the target's", 'extra > 0: Gt -> GtE'):
        'with extra == 0 the reshape adds no dimensions',
    ('indexing', 'written = xp.take(xp.concat([values, xp.zeros((1,), dtype=x.dtype)]), xp.asarray(slot), axis=0)', '1 -> 2'):
        'a second zero of padding is never indexed',
    ('indexing', 'extra = getattr(v, "ndim", 0) - gv.ndim', "getattr(v, 'ndim', 0) - gv.ndim: Sub -> Add"):
        "the engine sums a cotangent in a broadcast shape down to the input's, so extra leading 1s are redundant",
    ('indexing', 'extra = getattr(v, "ndim", 0) - gv.ndim', "getattr(v, 'ndim', 0) - gv.ndim: drop the right term"):
        "the engine sums a cotangent in a broadcast shape down to the input's, so extra leading 1s are redundant",
    ('indexing', 'extra = getattr(v, "ndim", 0) - gv.ndim', '0 -> 1'):
        "the engine sums a cotangent in a broadcast shape down to the input's, so extra leading 1s are redundant",
    ('indexing', 'if extra > 0:  # v had leading size-1 dimensions NumPy dropped', 'extra > 0: Gt -> GtE'):
        'with extra == 0 the reshape adds no dimensions',
    ('indexing', 'low, high = (-ndim, ndim - 1) if ndim else (-1, 0)', 'ndim - 1: Sub -> Add'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('indexing', 'low, high = (-ndim, ndim - 1) if ndim else (-1, 0)', 'ndim - 1: drop the right term'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('indexing', 'low, high = (-ndim, ndim - 1) if ndim else (-1, 0)', '-1: drop the USub'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('indexing', 'low, high = (-ndim, ndim - 1) if ndim else (-1, 0)', '1 -> 2'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('indexing', 'low, high = (-ndim, ndim - 1) if ndim else (-1, 0)', '0 -> 1'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('linalg', 'n, m = xs[-1], (ys[-2] if len(ys) > 1 else ys[0])', '1 -> 2'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('linalg', 'for k in range(1, min(len(a), len(b)) + 1):', '1 -> 2'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('linalg', 'for k in range(1, min(len(a), len(b)) + 1):', 'min(len(a), len(b)) + 1: Add -> Sub'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('linalg', 'for k in range(1, min(len(a), len(b)) + 1):', 'min(len(a), len(b)) + 1: drop the right term'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('linalg', 'for k in range(1, min(len(a), len(b)) + 1):', 'min(len(a), len(b)) + 1: drop the left term'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('linalg', 'g, y = xp.expand_dims(g, axis=-1), xp.reshape(y, (y.shape[0], 1))', '-1: drop the USub'):
        'g is 1-d on this line: axis 1 is axis -1',
    ('linalg', 'gy = xp.reshape(gy, tuple(gy.shape)[:-1])', '-1: drop the USub'):
        'gy is 2-d on this line: [:1] is [:-1]',
    ('linalg', 'return xp.multiply(xp.expand_dims(x, axis=-1), y)', '-1: drop the USub'):
        "outer's x is 1-d: axis 1 is axis -1",
    ('linalg', 'letters = term.replace("...", "", 1) if ellipsis else term', '1 -> 2'):
        'a second ellipsis in a term is refused either way',
    ('linalg', 'position = 0', '0 -> 1'):
        'the character position quoted in an error message',
    ('linalg', 'position += len(term) + 1', 'len(term) + 1: Add -> Sub'):
        'the character position quoted in an error message',
    ('linalg', 'position += len(term) + 1', 'len(term) + 1: drop the right term'):
        'the character position quoted in an error message',
    ('linalg', 'position += len(term) + 1', 'len(term) + 1: drop the left term'):
        'the character position quoted in an error message',
    ('linalg', 'position += len(term) + 1', '1 -> 2'):
        'the character position quoted in an error message',
    ('linalg', 'out_letters, out_ellipsis = _split_term(rhs, len(lhs) + 2) if arrow else ("", True)', 'len(lhs) + 2: Add -> Sub'):
        'the character position quoted in an error message',
    ('linalg', 'out_letters, out_ellipsis = _split_term(rhs, len(lhs) + 2) if arrow else ("", True)', 'len(lhs) + 2: drop the right term'):
        'the character position quoted in an error message',
    ('linalg', 'out_letters, out_ellipsis = _split_term(rhs, len(lhs) + 2) if arrow else ("", True)', 'len(lhs) + 2: drop the left term'):
        'the character position quoted in an error message',
    ('linalg', 'out_letters, out_ellipsis = _split_term(rhs, len(lhs) + 2) if arrow else ("", True)', '2 -> 3'):
        'the character position quoted in an error message',
    ('linalg', 'out_letters, out_ellipsis = _split_term(rhs, len(lhs) + 2) if arrow else ("", True)', 'True -> False'):
        'out_ellipsis is never read',
    ('linalg', 'width = max((len(e) for _, _, e in parsed), default=0)', '0 -> 1'):
        'parsed is never empty',
    ('reductions', 'return xp.log(xp.sum(xp.exp(x), axis=axes, keepdims=keepdim))', 'xp.exp -> xp.expm1'):
        'the empty-tensor path: the sum of no terms is 0 either way',
    ('reductions', 'return xp.exp(x)', 'xp.exp -> xp.expm1'):
        "softmax's empty-tensor path: an empty result has no values",
    ('reductions', 'return x - 0', 'x - 0: Sub -> Add'):
        "log_softmax's empty-tensor path: an empty result has no values",
    ('reductions', 'return x - 0', '0 -> 1'):
        "log_softmax's empty-tensor path: an empty result has no values",
    ('arithmetic', 'p = xp.pow(x, xp.where(negative, xp.zeros_like(y), y))', 'xp.zeros_like -> xp.ones_like'):
        'the stand-in exponent is read only where y < 0, which the last where() replaces by the unit powers',
    ('arithmetic', 'pole = (y == 0) & ((x == 0) | xp.isnan(x) | (xp.abs(x) < 1e-4))  # also a tiny base: x**-1 may overflow', 'x == 0: Eq -> NotEq'):
        'x == 0 is inside |x| < 1e-4 anyway, and off the pole the formula gives the same 0 (y == 0, x**-1 finite)',
    ('arithmetic', 'pole = (y == 0) & ((x == 0) | xp.isnan(x) | (xp.abs(x) < 1e-4))  # also a tiny base: x**-1 may overflow', '0 -> 1'):
        'x == 0 is inside |x| < 1e-4 anyway, and at x == 1 (y == 0) the formula gives the same 0',
    ('arithmetic', 'pole = (y == 0) & ((x == 0) | xp.isnan(x) | (xp.abs(x) < 1e-4))  # also a tiny base: x**-1 may overflow', 'xp.abs(x) < 0.0001: Lt -> LtE'):
        'at |x| == 1e-4 (y == 0) the formula gives the same 0: x**-1 is finite there',
    ('arithmetic', 'pole = (y == 0) & ((x == 0) | xp.isnan(x) | (xp.abs(x) < 1e-4))  # also a tiny base: x**-1 may overflow', '0.0001 -> 0.0001001'):
        'any threshold above where x**-1 overflows (about 1e-308, or 6e-5 in float16) masks the same points with the same 0',
    ('reductions', 'if type(input) is not tapegrad.Tensor or not input.is_floating_point():', 'type(input) is not tapegrad.Tensor or not input.is: Or -> And'):
        'an integer tensor then reaches the NaN test, which finds none and returns the values alike',
    ('elementwise', 'inside = xp.logical_and(y >= 0, y < bits)', 'y < bits: Lt -> LtE'):
        "NumPy's own shift by the full bit width already gives PyTorch's 0 (left) or the sign (right); array_api_strict runs on NumPy",
    ('elementwise', 'shifted = xp.bitwise_right_shift(x, xp.where(inside, y, xp.full(y.shape, bits - 1, dtype=y.dtype)))', 'bits - 1: Sub -> Add'):
        "NumPy's shift by bits + 1 gives the sign too, as the shift by bits - 1",
    ('elementwise', 'shifted = xp.bitwise_right_shift(x, xp.where(inside, y, xp.full(y.shape, bits - 1, dtype=y.dtype)))', 'bits - 1: drop the right term'):
        "NumPy's shift by the full bit width gives the sign too, as the shift by bits - 1",
    ('indexing', 'zero = xp.full((1,), fill, dtype=values.dtype)', '1 -> 2'):
        'a second element of padding is never indexed',
    ('shape_more', 'positions = np.full(tuple(shape[i] for i in others) + (length,), k * strides[b] if k >= 0 else -k * strides[a],', 'k >= 0: GtE -> Gt'):
        'at k == 0 both branches are 0',
    ('shape_more', 'positions = np.full(tuple(shape[i] for i in others) + (length,), k * strides[b] if k >= 0 else -k * strides[a],', '0 -> 1'):
        'at k == 0 both branches are 0',
    ('shape_more', 'perm = [-1] * nd', '1 -> 2'):
        'a placeholder read only by p >= 0: -2 is as negative',
    ('shape_more', 'n, known = x.shape[d], math.prod(s for s in new if s != -1)', '-1: drop the USub'):
        'the product then skips the 1s (which change nothing) and takes the -1 in: n % -k is 0 exactly when n % k is, and it is 0 exactly when some size is',
    ('shape_more', 'n, known = x.shape[d], math.prod(s for s in new if s != -1)', '1 -> 2'):
        'the product then takes the -1 in: n % -k is 0 exactly when n % k is, and it is 0 exactly when some size is',
    ('shape_more', 'sizes = [0] * len(ts)', '0 -> 1'):
        'every entry is overwritten',
    ('shape_more', 'return cat(ts, dim=0 if ts[0].ndim == 1 else 1)', '0 -> 1'):
        'after atleast_1d the tensors cat can join have one ndim: ts[1] has ts[0]\'s',
    ('products', 'return xp.expand_dims(g, axis=-1) * v', '-1: drop the USub'):
        "mv's cotangent is 1-D: its axis 1 is its axis -1",
    ('products', 'return _scaled(xp.expand_dims(g, axis=-1) * v, alpha)', '-1: drop the USub'):
        "addmv's cotangent is 1-D: its axis 1 is its axis -1",
    ('products', 'safe = xp.where(apart, dist, xp.ones_like(dist))', 'xp.ones_like -> xp.zeros_like'):
        'the stand-in divisor is read only where the where() that follows puts 0',
    ('products', 'a = xp.where(moved, xp.abs(d), xp.ones_like(d))  # |d| ** (p - 1) is inf at 0 for p < 1: kept off 0', 'xp.ones_like -> xp.zeros_like'):
        'the stand-in base is read only where the where() that follows puts 0',
    ('linalg_ops', 'left_first = a * b * c + a * c * d <= b * c * d + a * b * d', '*'):
        "the cost comparison only chooses the order of multi_dot's three products: (AB)C and A(BC) agree to rounding",
    ('linalg_ops', 'xs, ys = (len(x.shape) - nd + d, len(y.shape) - nd + d)', 'len(x.shape) - nd + d: drop the left term'):
        'len(x.shape) is nd here: the index is d either way',
    ('linalg_ops', 'xs, ys = (len(x.shape) - nd + d, len(y.shape) - nd + d)', 'len(y.shape) - nd + d: drop the left term'):
        'len(y.shape) is nd here (checked): the index is d either way',
    ('linalg_ops', 'nx = x.shape[xs] if xs >= 0 else 1', '1 -> 2'):
        'xs is d, never negative: the fallback is never read',
    ('linalg_ops', 'ny = y.shape[ys] if ys >= 0 else 1', '1 -> 2'):
        'ys is d, never negative: the fallback is never read',
    ('linalg_ops', 'if k >= 0:', 'k >= 0: GtE -> Gt'):
        "at k == 0 both placements put g[i] at (i, i); the padding is read only off the diagonal",
    ('linalg_ops', 'if k >= 0:', '0 -> 1'):
        "at k == 0 both placements put g[i] at (i, i); the padding is read only off the diagonal",
    ('linalg_ops', 'block = xp.expand_dims(vec, axis=-1) + _zeros_block(xp, g, n, m)', 'xp.expand_dims(vec, axis=-1) + _zeros_block(xp, g,: Add -> Sub'):
        'the block is zeros: adding or subtracting it is the same',
    ('linalg_ops', 'block = xp.expand_dims(vec, axis=-2) + _zeros_block(xp, g, n, m)', 'xp.expand_dims(vec, axis=-2) + _zeros_block(xp, g,: Add -> Sub'):
        'the block is zeros: adding or subtracting it is the same',
    ('linalg_ops', 'inverse = [0] * len(A.shape)', '0 -> 1'):
        'every entry is overwritten',
    ('linalg_ops', 'z = xp.sum(xp.zeros_like(g), axis=-1, keepdims=True)  # (..., 1) zeros in g\'s namespace', 'xp.sum -> xp.mean'):
        'the padding is read only off the diagonal, where the where() that follows puts 0',
    ('linalg_ops', 'z = xp.sum(xp.zeros_like(g), axis=-1, keepdims=True)  # (..., 1) zeros in g\'s namespace', 'xp.zeros_like -> xp.ones_like'):
        'the padding is read only off the diagonal, where the where() that follows puts 0',
    ('linalg_ops', 'z = xp.expand_dims(xp.sum(xp.zeros_like(g), axis=-1, keepdims=True), axis=-1)  # (..., 1, 1)', 'xp.sum -> xp.mean'):
        "a NaN mean comes only from an empty diagonal, where the where() that follows keeps nothing",
    ('linalg_ops', 'z = xp.expand_dims(xp.sum(xp.zeros_like(g), axis=-1, keepdims=True), axis=-1)  # (..., 1, 1)', '1 -> 2'):
        "z's last dim is 1: the new 1 before or after it gives the same shape",
    ('nn_conv', 'view = view[:, :, :s[0] * (oh - 1) + 1:s[0], :s[1] * (ow - 1) + 1:s[1], ::d[0], ::d[1]]', 'oh - 1: Sub -> Add'):
        'the window view holds no position past the last the output needs: a slice end past s*(o-1)+1 reads nothing more',
    ('nn_conv', 'view = view[:, :, :s[0] * (oh - 1) + 1:s[0], :s[1] * (ow - 1) + 1:s[1], ::d[0], ::d[1]]', 'oh - 1: drop the right term'):
        'the window view holds no position past the last the output needs: a slice end past s*(o-1)+1 reads nothing more',
    ('nn_conv', 'view = view[:, :, :s[0] * (oh - 1) + 1:s[0], :s[1] * (ow - 1) + 1:s[1], ::d[0], ::d[1]]', 'ow - 1: Sub -> Add'):
        'the window view holds no position past the last the output needs: a slice end past s*(o-1)+1 reads nothing more',
    ('nn_conv', 'view = view[:, :, :s[0] * (oh - 1) + 1:s[0], :s[1] * (ow - 1) + 1:s[1], ::d[0], ::d[1]]', 'ow - 1: drop the right term'):
        'the window view holds no position past the last the output needs: a slice end past s*(o-1)+1 reads nothing more',
    ('nn_activations', 'return scale * xp.where(x > 0, x, negative)', 'x > 0: Gt -> GtE'):
        'at x == 0 both branches are 0',
    ('nn_activations', 'return xp.where(xp.abs(x) <= lambd, 0.0, x - xp.sign(x) * lambd)  # NaN stays NaN', 'xp.abs(x) <= lambd: LtE -> Lt'):
        'at |x| == lambd both branches are 0',
    ('nn_losses', 'loss = a if beta == 0 else xp.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)', 'a < beta: Lt -> LtE'):
        'at |d| == beta both branches are beta / 2',
    ('nn_losses', 'return xp.where(d > beta, 1.0, xp.where(d < -beta, -1.0, d / beta))', 'd > beta: Gt -> GtE'):
        'at d == beta both branches are 1',
    ('nn_losses', 'return xp.where(d > beta, 1.0, xp.where(d < -beta, -1.0, d / beta))', 'd < -beta: Lt -> LtE'):
        'at d == -beta both branches are -1',
    ('nn_losses', 'return reduce(xp, xp.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction_of(reduction))', 'a < delta: Lt -> LtE'):
        'at |d| == delta both branches are delta**2 / 2',
    ('scans', 'return x * 1', 'x * 1: Mult -> Div'):
        'x / 1 is x * 1 for the floats logcumsumexp takes; for cumprod of a 0-d integer tensor the result is cast back to its int64 by the promotion rule',
    # nn (k2)
    ('nn_activations', 'def _elu(xp: Any, x: Any, alpha: float = 1.0, inplace: bool = False) -> Any:', '1.0 -> 1.001'):
        "the registered forward (a lambda with PyTorch's defaults) always passes alpha and inplace: _elu's own defaults are never read",
    ('nn_activations', 'def _elu(xp: Any, x: Any, alpha: float = 1.0, inplace: bool = False) -> Any:', 'False -> True'):
        "the registered forward (a lambda with PyTorch's defaults) always passes alpha and inplace: _elu's own defaults are never read",
    ('nn_activations', 'counts = np.bincount(rows.reshape(-1), minlength=weight.shape[0])', '0 -> 1'):
        'counts is read only at looked-up rows, which bincount covers whatever minlength',
    ('nn_conv', 'return (fill, ntuple(v, 1, what)[0])', '1 -> 2'):
        'ntuple(v, 2)[0] is ntuple(v, 1)[0] for an int or a 1-sequence; only a longer sequence differs, which n=1 refuses: argument validation only',
    ('nn_conv', 'size = ntuple(output_size, 1, "output_size")[0]', '1 -> 2'):
        'ntuple(v, 2)[0] is ntuple(v, 1)[0] for an int or a 1-sequence; only a longer sequence differs, which n=1 refuses: argument validation only',
    ('nn_conv', 'stride, "stride", 1)', '1 -> 2'):
        'the lifted height of a 1-D op is 1, with kernel height 1 and no padding: one output row whatever its stride or dilation',
    ('nn_conv', 'stride, "stride", 1)', '1 -> 2'):
        'the lifted height of a 1-D op is 1, with kernel height 1 and no padding: one output row whatever its stride or dilation',
    ('nn_conv', '_one_d(dilation, "dilation", 1), ceil_mode, return_indices)', '1 -> 2'):
        'the lifted height of a 1-D op is 1, with kernel height 1 and no padding: one output row whatever its stride or dilation',
    ('nn_conv', 'lift = (1,) if rank == 1 else ()  # 1-D as 2-D with a height of 1', '1 -> 2'):
        'the lifted height of a 1-D op is 1, with kernel height 1 and no padding: one output row whatever its stride or dilation',
    ('nn_conv', 'lift = (1,) if rank == 1 else ()', '1 -> 2'):
        'the lifted height of a 1-D op is 1, with kernel height 1 and no padding: one output row whatever its stride or dilation',
    ('nn_conv', 'for i in range(len(flat) // 2):', '2 -> 3'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_conv', 'before, after = int(flat[2 * i]), int(flat[2 * i + 1])', '2 * i: drop the left term'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_conv', 'before, after = int(flat[2 * i]), int(flat[2 * i + 1])', '2 * i + 1: drop the right term'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_conv', 'before, after = int(flat[2 * i]), int(flat[2 * i + 1])', '2 * i: drop the left term'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_conv', 'if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):', 'input.dtype != weight.dtype or (bias is not None a: Or -> And'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_conv', 'if 0 in tuple(out.shape)[2:]:  # torch.convolution allows it, F.conv_transpose does not', '2 -> 3'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_conv', '_refuse_rank(shape, 2)', '2 -> 3'):
        'the dimension only names itself in the IndexError that a 2-D input gets either way',
    ('nn_conv', '_refuse_rank(_shape(x), -3)', '-3: drop the USub'):
        'the dimension only names itself in the IndexError that a 2-D input gets either way',
    ('nn_conv', '_refuse_rank(_shape(x), -3)', '3 -> 4'):
        'the dimension only names itself in the IndexError that a 2-D input gets either way',
    ('nn_conv', 'return float(table.flat[0]) if np.all(table == table.flat[0]) else table', 'table == table.flat[0]: Eq -> NotEq'):
        'the table is then always returned: a table of one value divides as that value does',
    ('nn_losses', 'return reduced_cotangent(g, (2.0 * sign) * (input - target), reduction)', '2.0 * sign: Mult -> Div'):
        'sign is +1 or -1, and 2 / +-1 == 2 * +-1',
    ('nn_losses', 'if len(shape) >= 2 and (labels.ndim == 0 or labels.shape[0] != shape[0]):', 'len(shape) >= 2: GtE -> Gt'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_losses', 'if len(shape) >= 2 and (labels.ndim == 0 or labels.shape[0] != shape[0]):', '2 -> 3'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_losses', 'if len(shape) >= 2 and (labels.ndim == 0 or labels.shape[0] != shape[0]):', 'labels.ndim == 0 or labels.shape[0] != shape[0]: Or -> And'):
        'argument validation only: it changes which invalid arguments are refused, never a valid result',
    ('nn_losses', 'if getattr(target, "is_floating_point", lambda: False)() and tuple(target.shape) == tuple(input.shape):', "getattr(target, 'is_floating_point', lambda: False: And -> Or"):
        'only a float target of another shape than input, or a non-tensor target, takes the other path: PyTorch refuses both (argument validation only)',
    ('nn_losses', 'if getattr(target, "is_floating_point", lambda: False)() and tuple(target.shape) == tuple(input.shape):', 'False -> True'):
        'only a float target of another shape than input, or a non-tensor target, takes the other path: PyTorch refuses both (argument validation only)',
    ('nn_losses', 'return g * slope / max(known_numel(slope.shape, "a \'mean\' loss\'s gradient (the element count)"), 1)', '1 -> 2'):
        'the count is 0 only for an empty slope, whose gradient is empty whatever the divisor',
    ('nn_losses', 'safe = ops().where(positive, t, 1.0)', '1.0 -> 1.001'):
        'the stand-in log argument is read only where t <= 0, which the where() that follows replaces by 0 (and its gradient there by 0)',
    ('nn_losses', 'safe = ops().where(big, target, 2.0)', '2.0 -> 2.002'):
        'the stand-in is read only where target <= 1, which the where() that follows replaces by 0 (and its gradient there by 0)',
    ('nn_losses', 'slope = -input + 0 * target', '-input + 0 * target: Add -> Sub'):
        "- 0 * target is + 0 * target (target is finite, of input's shape: PyTorch checks it)",
    ('nn_losses', 'slope = -(xp.log(input) - xp.log1p(-input)) - 0 * target', '-(xp.log(input) - xp.log1p(-input)) - 0 * target: drop the right term'):
        "target has input's shape (PyTorch checks it), so the zero term changes neither the value nor the shape (-x - 0 is -x, signed zeros too)",
    ('nn_losses', 'slope = -input + 0 * target', '-input + 0 * target: drop the right term'):
        "target has input's shape (PyTorch checks it), so the zero term changes neither the value nor the shape",
    ('nn_losses', 'slope = -(xp.log(input) - xp.log1p(-input)) - 0 * target', '0 * target: drop the right term'):
        "target has input's shape (PyTorch checks it), so the zero term changes neither the value nor the shape (-x - 0 is -x, signed zeros too)",
    ('nn_losses', 'slope = -input + 0 * target', '0 * target: drop the right term'):
        "target has input's shape (PyTorch checks it), so the zero term changes neither the value nor the shape",
    ('nn_activations', 'negative = alpha * xp.expm1(xp.minimum(x, 0.0) * input_scale)  # min: no overflow where unused', '0.0 -> 0.001'):
        'min(x, 0.001) differs from min(x, 0) only where x > 0, where the where() that follows takes the other branch',
    ('nn_activations', 'slope = alpha * input_scale * xp.exp(xp.minimum(x, 0.0) * input_scale)', '0.0 -> 0.001'):
        'min(x, 0.001) differs from min(x, 0) only where x > 0, where the where() that follows takes the other branch',
    ('nn_activations', 'classes = xp.reshape(xp.arange(num_classes, dtype=xp.int64), (1,) * x.ndim + (num_classes,))', '(1,) * x.ndim + (num_classes,): drop the left term'):
        'leading 1s change nothing in the comparison with x[..., None]: broadcasting adds them',
    ('nn_activations', 'ndim = max(x1.ndim, getattr(x2, "ndim", 0))', '0 -> 1'):
        'the default is read only for an x2 that is not a tensor, which PyTorch refuses (argument validation only)',
    ('nn_activations', 'e = np.exp(-(x - np.min(x, axis=dim, keepdims=True)))', 'x - np.min(x, axis=dim, keepdims=True): Sub -> Add'):
        "the reference's shift cancels in the normalisation (softmin is shift-invariant); it only keeps exp() from overflowing, which the sampled magnitudes never do either way",
    ('nn_activations', 'e = np.exp(-(x - np.min(x, axis=dim, keepdims=True)))', 'x - np.min(x, axis=dim, keepdims=True): drop the right term'):
        "the reference's shift cancels in the normalisation (softmin is shift-invariant); it only keeps exp() from overflowing, which the sampled magnitudes never do either way",
    ('nn_activations', 'e = np.exp(-(x - np.min(x, axis=dim, keepdims=True)))', 'np.min -> np.max'):
        "the reference's shift cancels in the normalisation (softmin is shift-invariant); it only keeps exp() from overflowing, which the sampled magnitudes never do either way",
    ('nn_activations', 'def _np_dropout(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:', '0.5 -> 0.5005'):
        'the reference refuses every 0 < p < 1 (random), 0.5 and 0.5005 alike',
    # sorting/scans/scatter/batching (k3)
    ('sorting', 'def unique(input: Any, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002', 'True -> False'):
        "sorted is only validated (as_flag): the values come sorted either way, as PyTorch's CPU kernel gives them",
    ('sorting', 'def _argsort(xp: Any, x: Any, dim: Any = -1, descending: bool = False, stable: bool = False) -> Any:', 'False -> True'):
        '_argsort is always stable (its `stable` flag only states it), so the flag passed or defaulted changes nothing',
    ('sorting', 'def sort(input: Any, dim: Any = -1, descending: bool = False, stable: bool = False) -> Any:', 'False -> True'):
        '_argsort is always stable (its `stable` flag only states it), so the flag passed or defaulted changes nothing',
    ('sorting', 'indices = _ops().argsort(input, dim=d, descending=largest, stable=True)', 'True -> False'):
        '_argsort is always stable (its `stable` flag only states it), so the flag passed or defaulted changes nothing',
    ('sorting', 'order = ops.argsort(input, dim=d, stable=True) if order is None else order', 'True -> False'):
        '_argsort is always stable (its `stable` flag only states it), so the flag passed or defaulted changes nothing',
    ('sorting', 'order = ops.argsort(x.detach(), dim=0, stable=True)', 'True -> False'):
        '_argsort is always stable (its `stable` flag only states it), so the flag passed or defaulted changes nothing',
    ('sorting', 's = xp.sort(x, axis=dim, stable=True)', 'True -> False'):
        'only the sorted values are read, and equal values are alike whatever order they came in',
    ('sorting', 'def topk(input: Any, k: Any, dim: Any = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002', 'True -> False'):
        'topk returns sorted order for sorted=False too (PyTorch leaves it unspecified), so the default is only validated',
    ('sorting', 'axis(dim, 0)', '0 -> 1'):
        'axis() accepts dims -1 and 0 for ndim 0 and for ndim 1 alike; its result is discarded here (a 0-d input)',
    ('sorting', 'n = x.shape[d] if x.ndim else 1', '1 -> 2'):
        'n is read only for x.ndim > 0: a 0-d x takes the x.ndim == 0 branch, which ignores the position',
    ('sorting', 'return result(*_at(x, 0, 0, keepdim, node))', '0 -> 1'):
        '_at returns before reading its dim or position when the input is 0-d, the only input this line sees',
    ('sorting', 'count = pos - first + 1  # how far each run has got; its length at its last element', 'pos - first + 1: Add -> Sub'):
        'count is only compared with its own maximum and argmax-ed: a constant shift changes neither',
    ('sorting', 'count = pos - first + 1  # how far each run has got; its length at its last element', 'pos - first + 1: drop the right term'):
        'count is only compared with its own maximum and argmax-ed: a constant shift changes neither',
    ('sorting', 'count = pos - first + 1  # how far each run has got; its length at its last element', '1 -> 2'):
        'count is only compared with its own maximum and argmax-ed: a constant shift changes neither',
    ('sorting', 'hits = xp.where(x == value, pos, pos * 0 - 1)', 'pos * 0 - 1: drop the right term'):
        'the mode value occurs in its slice, so the maximum of hits is its last position (>= 0) whether non-hits are -1 or 0',
    ('sorting', 'hits = xp.where(x == value, pos, pos * 0 - 1)', 'pos * 0: drop the left term'):
        'pos * 0 - 1 becomes 0 - 1: the same -1 filler, below every position of the value',
    ('sorting', 'hits = xp.where(x == value, pos, pos * 0 - 1)', '1 -> 2'):
        'any negative filler is below every position of the value, which occurs in its slice',
    ('sorting', 'out = xp.stack(found) if found else xp.zeros((0, input.shape[-1]), dtype=dtype)', '-1: drop the USub'):
        'with no rows the zero-row array is empty whatever its second size, and the reshape to the (empty) input shape that follows accepts it',
    ('sorting', 'out = xp.stack(found) if found else xp.zeros((0, input.shape[-1]), dtype=dtype)', '1 -> 2'):
        'with no rows the zero-row array is empty whatever its second size, and the reshape to the (empty) input shape that follows accepts it',
    ('scans', 'if accumulate is not None and isinstance(x, np.ndarray):', 'accumulate is not None and isinstance(x, np.ndarra: And -> Or'):
        'every function running() scans with (maximum, minimum, multiply, logaddexp) is a NumPy ufunc with accumulate, and other arrays fail isinstance either way',
    ('scans', 'while step < n:', 'step < n: Lt -> LtE'):
        'the extra doubling step at step == n combines two empty slices: the concatenation is unchanged',
    ('scans', 'safe = xp.where(positive, xp.abs(g), xp.ones_like(g))', 'xp.ones_like -> xp.zeros_like'):
        'the filler is only read where positive is False, and the next where() drops exactly those entries',
    ('scans', 'logs = xp.where(positive, xp.log(safe) - ans, xp.zeros_like(g) - np.inf)', 'xp.zeros_like -> xp.ones_like'):
        '1 - inf is -inf as 0 - inf is',
    ('scans', 'return part(g > 0) - part(g < 0)', 'g > 0: Gt -> GtE'):
        'an entry with g == 0 adds log(0) = -inf to the sum of logs: exp(-inf) = 0, no contribution',
    ('scans', 'return part(g > 0) - part(g < 0)', 'g < 0: Lt -> LtE'):
        'an entry with g == 0 adds log(0) = -inf to the sum of logs: exp(-inf) = 0, no contribution',
    ('scans', 'return running(xp, "maximum", xp.where(new, pos, pos * 0), a)', 'pos * 0: drop the left term'):
        'where(new, pos, 0) is where(new, pos, pos * 0): the Python 0 takes pos\'s int64',
    ('scatter', 'return xp.astype(xp.stack(found, axis=-1), xp.int64)', '-1: drop the USub'):
        'found holds 1-D arrays, so their stack is 2-D and its axis 1 is its axis -1',
    ('scatter', 'shape = list(np.broadcast_shapes(*(tuple(s[:d]) + (1,) + tuple(s[d + 1:]) for s in (input.shape, idx.shape))))', '1 -> 2'):
        'both shapes get the same placeholder at dim d, and the broadcast size there is overwritten on the next line',
    ('batching_rules', 'if dims[0] != 0:', 'dims[0] != 0: NotEq -> Eq'):
        "tapegrad's view keeps no strides: it reshapes a moved (non-contiguous) batch as reshape does, so which of the two runs is unobservable",
    # special_kernels/special_functions (k1)
    ('special_functions', 'return xp.where(zero, 0.0, x * xp.log(xp.where(zero, 1.0, y)))', '1.0 -> 1.001'):
        'the stand-in for y where x == 0 is discarded by the outer where()',
    ('special_kernels', 'return xp.where(y <= _THRESH, near, xp.where(x < 0, -far, far))', 'x < 0: Lt -> LtE'):
        'differs only at x == 0, where |x| <= 0.46875 takes the other branch',
    ('special_kernels', 'return xp.where(y <= _THRESH, near, xp.where(x < 0, 2.0 - far, far))', 'x < 0: Lt -> LtE'):
        'differs only at x == 0, where |x| <= 0.46875 takes the other branch',
    ('special_kernels', 'odd = xp.remainder(n, 2.0) != 0', 'xp.remainder(n, 2.0) != 0: NotEq -> Eq'):
        'sin and cos carry the same sign and every use takes |sin| or cos / sin, so a sign change of both cancels',
    ('special_kernels', 'odd = xp.remainder(n, 2.0) != 0', '2.0 -> 2.002'):
        'sin and cos carry the same sign and every use takes |sin| or cos / sin, so a sign change of both cancels',
    ('special_kernels', 'odd = xp.remainder(n, 2.0) != 0', '0 -> 1'):
        'sin and cos carry the same sign and every use takes |sin| or cos / sin, so a sign change of both cancels',
    ('special_kernels', 'sign = 1.0 - 2.0 * xp.astype(odd, r.dtype)', '1.0 - 2.0 * xp.astype(odd, r.dtype): drop the right term'):
        'sin and cos carry the same sign and every use takes |sin| or cos / sin, so a sign change of both cancels',
    ('special_kernels', 'sign = 1.0 - 2.0 * xp.astype(odd, r.dtype)', '2.0 * xp.astype(odd, r.dtype): drop the right term'):
        'sin and cos carry the same sign and every use takes |sin| or cos / sin, so a sign change of both cancels',
    ('special_kernels', 'return (x == 0.0) & (xp.atan2(x, -1.0) < 0)  # atan2(-0, -1) = -pi: no signbit in every namespace', 'xp.atan2(x, -1.0) < 0: Lt -> LtE'):
        'read only where x == 0, where atan2 is +-pi, never 0',
    ('special_kernels', 'return (x == 0.0) & (xp.atan2(x, -1.0) < 0)  # atan2(-0, -1) = -pi: no signbit in every namespace', '1.0 -> 1.001'):
        'read only where x == 0, where atan2(+-0, -1.001) is +-pi as with -1',
    ('special_kernels', 'return (x == 0.0) & (xp.atan2(x, -1.0) < 0)  # atan2(-0, -1) = -pi: no signbit in every namespace', '0 -> 1'):
        'read only where x == 0, where atan2 is +-pi: < 1 and < 0 agree',
    ('special_kernels', 'total = (total + _zeta_k(k) * (-1) ** k / k) * e', '_zeta_k(k) * (-1) ** k: Mult -> Div'):
        '(-1)**k is +-1: dividing by it is multiplying',
    ('special_kernels', 'e1 = xp.minimum(xp.maximum(xp.where(tiny, z, z - 1.0), -0.5), 0.5)  # z + 1 - 1 is z itself', '0.5 -> 0.5005'):
        'the clip only keeps the lanes of the other branches in range; the lanes this branch serves lie inside either way',
    ('special_kernels', 'near_one = _lgamma_series_at_one(xp, e1) - xp.where(tiny, xp.log(xp.where(tiny, z, 1.0)), 0.0)', '1.0 -> 1.001'):
        'a stand-in for lanes whose result a later where() replaces (NaN, 0, inf or non-negative inputs): never read',
    ('special_kernels', 'for _ in range(8):', '8 -> 9'):
        'eight steps bring the clipped 10 below 2.5 already: a ninth moves nothing',
    ('special_kernels', 'negative = x < 0.0', 'x < 0.0: Lt -> LtE'):
        'differs only at x == 0, whose inf a later where() sets',
    ('special_kernels', 'z = xp.where(xp.isnan(z) | (z == 0.0) | (z == math.inf), 1.0, z)', '1.0 -> 1.001'):
        'a stand-in for lanes whose result a later where() replaces (NaN, 0, inf or non-negative inputs): never read',
    ('special_kernels', 'sin, _ = _sinpi_cospi(xp, xp.where(negative, x, 0.5))', '0.5 -> 0.5005'):
        'a stand-in for lanes whose result a later where() replaces (NaN, 0, inf or non-negative inputs): never read',
    ('special_kernels', 'total = (total + (-1) ** (k + 1) * _zeta_python(k + 1, PSI_ROOT)) * d', 'k + 1: Add -> Sub'):
        "of the two, the zeta order's is killed; (-1) ** (k - 1) is (-1) ** (k + 1)",
    ('special_kernels', 'z = xp.where(xp.isnan(z) | (z == 0.0), 1.0, z)', '1.0 -> 1.001'):
        'a stand-in for lanes whose result a later where() replaces (NaN, 0, inf or non-negative inputs): never read',
    ('special_kernels', 'zs = xp.where(z < ASYMPTOTIC, z, ASYMPTOTIC)', 'z < ASYMPTOTIC: Lt -> LtE'):
        'at z == 10 the clip gives 10 either way',
    ('special_kernels', 'y, moved = _shift(xp, zs, 10)', '10 -> 11'):
        'ten steps bring every z > 0 to 10 or more already: an eleventh moves nothing',
    ('special_kernels', 'positive = xp.where(z < ASYMPTOTIC, _psi_asymptotic(xp, y) - total, _psi_asymptotic(xp, xp.maximum(z, ASYMPTOTIC)))', 'z < ASYMPTOTIC: Lt -> LtE'):
        'at z == 10 nothing was shifted: the asymptotic series at 10 either way',
    ('special_kernels', 'positive = xp.where(xp.abs(d) <= 0.3, _psi_near_root(xp, xp.minimum(xp.maximum(d, -0.3), 0.3)), positive)', '0.3 -> 0.30029999999999996'):
        "of the three 0.3s the threshold's is killed; the two that bound the clip: the clip only keeps the lanes of the other branches in range; the lanes this branch serves lie inside either way",
    ('special_kernels', 'sin, cos = _sinpi_cospi(xp, xp.where(negative, x, 0.5))', '0.5 -> 0.5005'):
        'a stand-in for lanes whose result a later where() replaces (NaN, 0, inf or non-negative inputs): never read',
    ('special_kernels', 'qs = xp.where(q < start, q, start)', 'q < start: Lt -> LtE'):
        'at q == start the head is empty and the tail starts at q == start either way',
    ('special_kernels', 'y = xp.where(q < start, y, q)', 'q < start: Lt -> LtE'):
        'at q == start y is start either way',
    ('special_kernels', 'p = [0, 1]', '0 -> 1'):
        "P_0's constant term vanishes in the first derivative, and n >= 1 here",
    ('special_kernels', 'dp = [i * p[i] for i in range(1, len(p))] or [0]', '0 -> 1'):
        'the fallback for an empty derivative: P_k is never constant',
    ('special_kernels', 'out = [0] * (len(dp) + 2)', '2 -> 3'):
        "one more zero leading coefficient: Horner's sum is the same",
    ('special_kernels', 'positive = sign * math.factorial(n) * hurwitz_zeta(xp, xp.where(z == math.inf, 1.0, z), n + 1)', '1.0 -> 1.001'):
        'a stand-in for lanes whose result a later where() replaces (NaN, 0, inf or non-negative inputs): never read',
    ('special_kernels', 'positive = xp.where(z == math.inf, 0.0 * sign, positive)', '0.0 * sign: Mult -> Div'):
        '0.0 / sign is 0.0 * sign for sign = +-1',
    # linalg/elementwise (k4)
    ('linalg_ops', 'if found is None or found[0] is not A:', '0 -> 1'):
        'found[1] (the result) is never A: the cache always misses, and each call recomputes the same factorization',
    ('linalg_ops', 'singular = xp.expand_dims(xp.expand_dims(d == 0, axis=-1), axis=-1)', '1 -> 2'):
        'the outer expand_dims of an array whose last axis is 1 already: axis -2 or -1 gives the same (..., 1, 1)',
    ('linalg_ops', 'scale = xp.expand_dims(xp.expand_dims(g * d, axis=-1), axis=-1)', '1 -> 2'):
        'the outer expand_dims of an array whose last axis is 1 already: axis -2 or -1 gives the same (..., 1, 1)',
    ('linalg_ops', 'return xp.expand_dims(xp.expand_dims(g, axis=-1), axis=-1) * _mT(xp, _op(xp, "inv")(A))', '1 -> 2'):
        'the outer expand_dims of an array whose last axis is 1 already: axis -2 or -1 gives the same (..., 1, 1)',
    ('linalg_ops', 'if A.shape[-1] == 0 or math.prod(A.shape) == 0:', '-1: drop the USub'):
        'any zero dimension makes math.prod(A.shape) 0, so the "or" decides alone whichever dimension the first test reads',
    ('linalg_ops', 'if A.shape[-1] == 0 or math.prod(A.shape) == 0:', '1 -> 2'):
        'any zero dimension makes math.prod(A.shape) 0, so the "or" decides alone whichever dimension the first test reads',
    ('linalg_ops', 's = max(0, int(math.ceil(math.log2(float(norm1) / theta13)))) if float(norm1) > theta13 else 0', 'float(norm1) > theta13: Gt -> GtE'):
        'at norm1 == theta13, log2(1) is 0: s is 0 either way',
    ('linalg_ops', 'u = xp.matmul(a, xp.matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2', 'b[13] * a6: drop the left term'):
        'b[13] is 1.0',
    ('linalg_ops', 'n = A.shape[-1]', '1 -> 2'):
        "matrix_exp's A is square: A.shape[-2] is A.shape[-1]",
    ('linalg_decompositions', 'if m < n:', 'm < n: Lt -> LtE'):
        "a square A through the wide branch has an empty Y and gV: gQ gains Y gV^T = 0 and gY is empty, so the square QR's gradient is unchanged",
    ('linalg_decompositions', 'gQ = xp.matmul(Y, _mT(xp, gV)) if gQ is None else gQ + xp.matmul(Y, _mT(xp, gV))', 'gQ + xp.matmul(Y, _mT(xp, gV)): Add -> Sub'):
        '_qr_output_vjp passes the cotangent of Q or of R, never both: with gV given, gQ is None and this branch never runs',
    ('linalg_decompositions', 'gQ = xp.matmul(Y, _mT(xp, gV)) if gQ is None else gQ + xp.matmul(Y, _mT(xp, gV))', 'gQ + xp.matmul(Y, _mT(xp, gV)): drop the right term'):
        '_qr_output_vjp passes the cotangent of Q or of R, never both: with gV given, gQ is None and this branch never runs',
    ('linalg_decompositions', 'gQ = xp.matmul(Y, _mT(xp, gV)) if gQ is None else gQ + xp.matmul(Y, _mT(xp, gV))', 'gQ + xp.matmul(Y, _mT(xp, gV)): drop the left term'):
        '_qr_output_vjp passes the cotangent of Q or of R, never both: with gV given, gQ is None and this branch never runs',
    ('linalg_decompositions', 'return xp.linalg.svdvals(A) if not sharing() else _svd_of(xp, A, full_matrices)[1]', 'not sharing(): drop the Not'):
        'the same singular values either way (to rounding): sharing only decides whether a factorization is computed once or reused',
    ('linalg_decompositions', 'if output == "eigenvalues" and not sharing():', 'not sharing(): drop the Not'):
        'the same eigenvalues either way (to rounding): sharing only decides whether a factorization is computed once or reused',
    ('linalg_decompositions', 'if full_matrices and m != n:', 'full_matrices and m != n: And -> Or'):
        "without full_matrices (or for square A) gU and gVh already have k columns (rows): the slices [..., :k] are no-ops",
    ('linalg_decompositions', 'if m >= n:', 'm >= n: GtE -> Gt'):
        'U (gS[..., None] * Vh) and (U * gS[..., None, :]) Vh are the same product U diag(gS) Vh, grouped differently',
    ('linalg_decompositions', 'E = E + _eye_like(xp, E)', 'E + _eye_like(xp, E): Add -> Sub'):
        "only E's diagonal changes (1 to -1), where the numerator (a skew-symmetric part) is 0: 0 / 1 and 0 / -1 are both 0",
    ('linalg_decompositions', 'inner = 0.5 * (VhgV - _mT(xp, VhgV)) / (E + _eye_like(xp, E))', 'E + _eye_like(xp, E): Add -> Sub'):
        "only E's diagonal changes (1 to -1), where the numerator (a skew-symmetric part) is 0: 0 / 1 and 0 / -1 are both 0",
    ('linalg_decompositions', 'inner = inner + Scol * (VhgV - _mT(xp, VhgV))', 'inner + Scol * (VhgV - _mT(xp, VhgV)): drop the left term'):
        '_svd_output_vjp passes the cotangent of one result: with gVh given gU is None, so inner is still 0.0 here',
    ('linalg_decompositions', 'if m > n and gU is not None:', 'm > n: Gt -> GtE'):
        "a square A's U is orthogonal: the added gU S^-1 - U U^T gU S^-1 is 0 up to rounding",
    ('linalg_decompositions', 'if m < n and gVh is not None:', 'm < n: Lt -> LtE'):
        "a square A's V is orthogonal: the added S^-1 gVh - S^-1 gVh V V^T is 0 up to rounding",
    ('linalg_decompositions', 'return tapegrad.linalg.svd_output(A, full_matrices=False, output="S")', 'False -> True'):
        "S does not depend on full_matrices, and with only gS given the backward never slices by it",
    ('linalg_decompositions', 'top = S[..., :1] if S.shape[-1] else xp.zeros_like(S[..., :1])', 'xp.zeros_like -> xp.ones_like'):
        "the branch runs only for an empty last axis: zeros or ones like an empty slice are the same empty array",
    ('linalg_decompositions', 'top = S[..., :1] if S.shape[-1] else xp.zeros_like(S[..., :1])', '1 -> 2'):
        "in the empty branch, S[..., :1] and S[..., :2] of an empty last axis are the same empty array (the other branch's mutant is killed)",
    ('linalg_decompositions', 'inv_s = xp.where(keep, 1.0 / xp.where(keep, s, xp.ones_like(s)), 0.0)', 'xp.ones_like -> xp.zeros_like'):
        "the 1 / 0 = inf it lets through where a value is dropped is discarded by the outer where (only NumPy's divide warning differs)",
    ('linalg_decompositions', 'if m <= n:', 'm <= n: LtE -> Lt'):
        "for square A both branches are Golub and Pereyra's formula, grouped for the cheaper products (PyTorch's pinv_backward chooses by shape alone)",
    ('linalg_ops', 'r = sums.amax(then, keepdim=True) if float(ord) > 0 else sums.amin(then, keepdim=True)', 'float(ord) > 0: Gt -> GtE'):
        'ord is +-1 or +-inf in this branch, never 0',
    ('linalg_ops', 'return _matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim)', '-1: drop the USub'):
        'with dim None this branch runs only for a 2-D A, where axis 1 is axis -1',
    ('linalg_ops', 'base = tapegrad.linalg.inv(A) if n < 0 else A', 'n < 0: Lt -> LtE'):
        'n is neither 0 nor 1 here (both returned above), so n < 0, n <= 0 and n < 1 agree',
    ('linalg_ops', 'base = tapegrad.linalg.inv(A) if n < 0 else A', '0 -> 1'):
        'n is neither 0 nor 1 here (both returned above), so n < 0, n <= 0 and n < 1 agree',
    ('elementwise_more', 'd = xp.where(same, 0.0, xp.abs(x - y))', '0.0 -> 0.001'):
        'wherever same is true the result is x + ln 2 (x + 1 for logaddexp2) from the where that follows: d there is never read',
    ('elementwise_more', 'px = PI * xp.where(zero, 1.0, x)', '1.0 -> 1.001'):
        'a placeholder at x == 0, where the result is 1 from the where that follows',
    ('elementwise_more', 'far_x = xp.where(near, 1.0, x)', '1.0 -> 1.001'):
        'a placeholder where |x| is small, where the result is the series from the where that follows',
    ('elementwise_more', 'near_x = xp.where(near, x, 0.0)', '0.0 -> 0.001'):
        'a placeholder where |x| is large, where the result is the closed form from the where that follows',
    ('elementwise_more', 'return g * xp.where(zero, 0.0, ans / xp.where(zero, 1.0, x))', '1.0 -> 1.001'):
        'a placeholder divisor at x == 0, where the outer where gives 0',
    ('elementwise_more', 'return xp.where(origin, 0.0, num / xp.where(origin, 1.0, r2))', '1.0 -> 1.001'):
        'a placeholder divisor at the origin, where the outer where gives 0',
    ('elementwise_more', 'step = xp.where(x > 0, one, xp.zeros_like(x))', 'x > 0: Gt -> GtE'):
        'at x == 0 the where that follows gives values, whatever step is there',
    ('nn_conv', 'view = view[:, :, :s[0] * (oh - 1) + 1:s[0], :s[1] * (ow - 1) + 1:s[1], ::d[0], ::d[1]]', '1 -> 2'):
        "the stop one index further reaches a window start only with stride 1 (s * (oh - 1) + 1 is a multiple of s only then), and with stride 1 the output size is the view's window count, so no window lies past the last",
    ('nn_conv', 'full = _col2im(xp, cols, (size[0] + 2 * p[0], size[1] + 2 * p[1]), k, d, s, out)', '2 -> 3'):
        'a canvas p rows (columns) larger only adds zeros past the last block, which the crop [p : p + size] that follows drops',
    ('nn_conv', 'return dict(n=xs[0], cin=xs[1], o=o, groups=g, k=k, s=lift + s, p=(0,) * (2 - rank) + p, d=lift + d,', 'lift + s: drop the left term'):
        'rank 1 only (lift is empty for rank 2): the lifted height is 1 with a kernel of 1, so whatever stride the height gets (ntuple repeats the 1-tuple), it holds one block',
    ('nn_conv', 'return dict(n=xs[0], cin=xs[1], o=o, groups=g, k=k, s=lift + s, p=(0,) * (2 - rank) + p, d=lift + d,', 'lift + d: drop the left term'):
        'rank 1 only (lift is empty for rank 2): the lifted height is 1 with a kernel of 1, so whatever dilation the height gets (ntuple repeats the 1-tuple), it holds one block',
    ('nn_conv', 'start_r = np.where(rows[0] < 0, rows[0] + (-rows[0] + d[0] - 1) // d[0] * d[0], rows[0])', 'rows[0] < 0: Lt -> LtE'):
        'a start at row 0 gives 0 + ((d - 1) // d) * d == 0 on either branch',
    ('nn_conv', 'start_c = np.where(cols[0] < 0, cols[0] + (-cols[0] + d[1] - 1) // d[1] * d[1], cols[0])', 'cols[0] < 0: Lt -> LtE'):
        'a start at column 0 gives 0 + ((d - 1) // d) * d == 0 on either branch',
    ('nn_conv', 'start_r = np.where(rows[0] < 0, rows[0] + (-rows[0] + d[0] - 1) // d[0] * d[0], rows[0])', '0 -> 1'):
        "the two survivors: `< 1` (a start at 0 gives 0 either way), and rows[1] for the else branch's rows[0]: that branch serves a window that misses the input by its columns only, which needs a kernel at least 2 wide (padding <= kernel // 2), so index 1 is the same kernel row",
    ('nn_conv', 'start_c = np.where(cols[0] < 0, cols[0] + (-cols[0] + d[1] - 1) // d[1] * d[1], cols[0])', '0 -> 1'):
        '`< 1`: a start at column 0 gives 0 either way (cols[1] for the else branch is killed by the edge case of a 1 x 2 input)',
    ('nn_conv', 'start_r = np.where(rows[0] < 0, rows[0] + (-rows[0] + d[0] - 1) // d[0] * d[0], rows[0])', '(-rows[0] + d[0] - 1) // d[0]: FloorDiv -> Div'):
        'read for windows wholly in the padding only; those PyTorch accepts (padding <= kernel // 2 and <= the dilated kernel // 2; enumerated over heights < 12, kernels < 14, dilations < 10, strides < 6, ceil_mode) start at -1, or -3 with dilation 2, where -start + d - 1 is a multiple of d',
    ('nn_conv', 'start_c = np.where(cols[0] < 0, cols[0] + (-cols[0] + d[1] - 1) // d[1] * d[1], cols[0])', '(-cols[0] + d[1] - 1) // d[1]: FloorDiv -> Div'):
        'as for rows: the windows wholly in the padding PyTorch accepts start at -1, or -3 with dilation 2, where -start + d - 1 is a multiple of d (enumerated)',
    ('nn_conv', 'start_r = np.where(rows[0] < 0, rows[0] + (-rows[0] + d[0] - 1) // d[0] * d[0], rows[0])', '-rows[0] + d[0] - 1: drop the right term'):
        '(-r + d) // d differs from (-r + d - 1) // d only where d divides r, and a window starting at -m * d (m < kernel) holds row 0: never wholly in the padding, where this is read (enumerated too)',
    ('nn_conv', 'start_c = np.where(cols[0] < 0, cols[0] + (-cols[0] + d[1] - 1) // d[1] * d[1], cols[0])', '-cols[0] + d[1] - 1: drop the right term'):
        '(-c + d) // d differs from (-c + d - 1) // d only where d divides c, and a window starting at -m * d (m < kernel) holds column 0: never wholly in the padding, where this is read (enumerated too)',
    ('nn_conv', 'size = ntuple(output_size, 2, "output_size")', '2 -> 3'):
        "the survivor is the int output_size's: repeated three times instead of twice, of which only the first two are read",
    ('batching_rules', 'if da is not None and na < rank:', 'na < rank: Lt -> LtE'):
        'at na == rank the reshape inserts no dims: a reshape to the same shape',
    ('batching_rules', 'if db is not None and nb < rank:', 'nb < rank: Lt -> LtE'):
        'at nb == rank the reshape inserts no dims: a reshape to the same shape',
    ('batching_rules', 'return _op("sum")(x * y, dim=-1), 0', '-1: drop the USub'):
        'x * y is (batch, n): dim 1 is dim -1',
    ('batching_rules', 'return _op("sum")(x * y, dim=-1), 0', '0 -> 1'):
        'the result is 1-D (the batch only): run_batched reads the batch dim modulo the rank, 1 % 1 == 0',
    ('batching_rules', 'letter = free[0]', '0 -> 1'):
        'any letter the equation does not use names the batch equally',
    ('scatter', 'def _fill_key(x: Any, dim: Any, index: Any, unique: bool = False) -> tuple[Any, ...]:', 'False -> True'):
        'the callers on the default write (a value, or zeros in the cotangent) at the key: writing a slot once or twice leaves the same',
    ('shape_more', 'length = max(0, min(shape[a], shape[b] - k) if k >= 0 else min(shape[a] + k, shape[b]))', 'k >= 0: GtE -> Gt'):
        'at k == 0 both branches give min(shape[a], shape[b])',
    ('shape_more', 'length = max(0, min(shape[a], shape[b] - k) if k >= 0 else min(shape[a] + k, shape[b]))', '0 -> 1'):
        'the survivor is k >= 1: at k == 0 both branches give min(shape[a], shape[b]) (max(1, ...) is killed by the offset-5 sample)',
    ('arithmetic', 'if not xp.isdtype(x.dtype, ("real floating", "complex floating")):', "not xp.isdtype(x.dtype, ('real floating', 'complex: drop the Not"):
        "the saved inputs reach the VJP promoted to the result's dtype (an int8 base with a float64 exponent arrives as float64; measured), so x is a float of g's dtype and the cast is a no-op either way; POW's int8 edge case checks that gradient against PyTorch",
    ('nn_conv', 'k, p = ntuple(kernel_size, 1, "kernel_size")[0], ntuple(padding, 1, "padding")[0]', '1 -> 2'):
        'ntuple(v, 2)[0] is ntuple(v, 1)[0] for an int or a 1-sequence; a longer sequence passes here but _one_d, on the next lines, refuses it with the same message',
    ('elementwise_more', 'return ops.clamp_tensor(x, 0 if min is None else min, 0 if max is None else max, bounds=bounds)', '0 -> 1'):
        'the stand-in for an omitted bound: bounds names the bounds given, and clamp_tensor reads only those',
    ('nn_losses', 'return -product.sum() / (count / classes) if count else -(product.sum() * math.nan)', '-(product.sum() * math.nan): drop the USub'):
        "the negation of NaN is NaN (the node is NegBackward0, as PyTorch's, only with it; the kit does not name a composite's nodes)",
    ('nn_losses', 'return -product.sum() / (count / classes) if count else -(product.sum() * math.nan)', 'product.sum() * math.nan: Mult -> Div'):
        'a sum times NaN and a sum over NaN are both NaN',
    ('nn_norm', 'if training and (running_mean is not None or running_var is not None):', 'running_mean is not None or running_var is not Non: Or -> And'):
        "training refuses one running statistic without the other (ValueError, PyTorch's), so both or neither are given here",
    ('nn_norm', 'if use_input_stats and (running_mean is not None or running_var is not None):', 'running_mean is not None or running_var is not Non: Or -> And'):
        "use_input_stats refuses one running statistic without the other (ValueError, PyTorch's), so both or neither are given here",
    ('nn_activations', 'mask = tensor_like(keep * (0.0 if p == 1 else 1.0 / (1.0 - p)), input)', '0.0 -> 0.001'):
        'at p == 1 keep is all False (uniform numbers are below 1), and every scale times False is 0',
    ('scatter', 'elif value.dtype != x.dtype:', 'value.dtype != x.dtype: NotEq -> Eq'):
        "_index_put writes the value in x's dtype on every backend (NumPy's setitem casts, the others' _fit_value), so the cast before it changes nothing",
    # strides (the kit's strided inputs reach the rest of view_strides: measured 63 of 82 killed before these)
    ('strides', 'if not shape or math.prod(shape) == 0:  # a 0-d or empty tensor: any shape fits, contiguously', '0 -> 1'):
        "a one-element tensor takes the contiguous path: computeStride fits any shape over it too (every dimension of size 1 is one chunk)",
    ('strides', 'new = [0] * len(new_shape)', '0 -> 1'):
        'every entry is written before the strides are returned (or None is)',
    ('strides', 'new[view_d] = view_numel * chunk_base_stride', 'view_numel * chunk_base_stride: Mult -> Div'):
        "the strides' values: check_view asks only whether a view exists (None or not); NumPy's reshape lays the view out itself",
    ('strides', 'new[view_d] = view_numel * chunk_base_stride', 'view_numel * chunk_base_stride: drop the right term'):
        "the strides' values: check_view asks only whether a view exists (None or not); NumPy's reshape lays the view out itself",
    ('strides', 'new[view_d] = view_numel * chunk_base_stride', 'view_numel * chunk_base_stride: drop the left term'):
        "the strides' values: check_view asks only whether a view exists (None or not); NumPy's reshape lays the view out itself",
    ('strides', 'if tensor_d > 0:', 'tensor_d > 0: Gt -> GtE'):
        'at tensor_d == 0 the loop ends: the reset is never read',
    ('strides', 'if tensor_d > 0:', '0 -> 1'):
        "skipping the reset before the outermost chunk only: both counts then carry the same product P of the inner chunks, matched exactly, so 'view_numel < tensor_numel' and the final equality scale by P alike (the strides differ, unread)",
    ('strides', 'return tuple(s // mine.itemsize for s in mine.strides)', 's // mine.itemsize: FloorDiv -> Div'):
        'strides are whole numbers of elements: as floats they compare equal to the same ints',
    ('strides', 'sizes = tuple(numel // known if n == -1 else n for n in sizes)', 'numel // known: FloorDiv -> Div'):
        'the size for -1 is a whole number: as a float it compares and multiplies as the int (check_view asks only whether a view exists)',
    ('scatter', 'key = _index_copy_key(x, source, dim, index, dtypes=False)', 'False -> True'):
        "the VJPs' x and source have the dtypes the forward checked equal, so the check they skip passes",
    ('scatter', 'n = x.shape[d] if len(x.shape) else 1', '1 -> 2'):
        "_dim_key's range check of a 0-d tensor is never the first: index_add's forward runs _index_add_range on the "
        "same one slot before it (an index of more dims is refused before either), its VJP sees only the index the "
        "forward accepted, and _fill_key returns before calling it for a 0-d tensor",
    ('cotangents', 'if donatable(x, 2) and getattr(c, "dtype", None) == x.dtype and np.shape(c) in ((), x.shape):',
     "getattr(c, 'dtype', None) == x.dtype: Eq -> NotEq"):
        "a choice between two ways to the same bits: where c (scale(g, 2)) has x's dtype the mutant computes c * x "
        "where the original writes it into x (the buffer_reuse check compares the two); where it has another, "
        "np.multiply(c, x, out=x) rounds the product once into x's dtype, as the engine's cast of c * x to the input's "
        "dtype does (both callers, square's rule and pow's base rule at a Python 2, return times' result as it is)",
    ('scatter', 'def _fill_key(x: Any, dim: Any, index: Any, unique: bool = False) -> tuple[Any, ...] | None:', 'False -> True'):
        "index_fill writes one value: a slot named twice, or the slots in another order, hold the same result",
}
# Only a point of measure zero, or a sliver where two approximations agree to a few ulps, could
# show these: finite differences at sampled points cannot, and no convention pins them down.
UNDECIDABLE: dict[tuple[str, str, str], str] = {
    ('filling', '"fill", forward=_fill, vjp=(_no_dependence,), saves=(), params=("value",),', "VJP rule 0 of 'fill' -> None"):
        'the gradient is zero by either rule; only whether the result records a node (FillBackward in PyTorch) differs, which no value or gradient shows',
    ('filling', '"zero", forward=_zero, vjp=(_no_dependence,), saves=(), inplace_methods=("zero_",), promotion=False,', "VJP rule 0 of 'zero' -> None"):
        'as for fill',
    ('elementwise', 'y3 = xp.minimum(xp.maximum(y, 4.0), _XBIG)', '4.0 -> 4.004'):
        "moves the start of Cody's outer interval by 0.1%: only y in (4, 4.004) sees it, where both approximations agree to a few ulps",
    ('elementwise', 'scaled = half * (xp.exp(-(yc - r) * (yc + r)) * xp.where(y <= 4.0, middle, tail)) * half', 'y <= 4.0: LtE -> Lt'):
        "moves a boundary between two of Cody's intervals, where both approximations agree to a few ulps",
    ('elementwise', 'scaled = half * (xp.exp(-(yc - r) * (yc + r)) * xp.where(y <= 4.0, middle, tail)) * half', '4.0 -> 4.004'):
        "moves a boundary between two of Cody's intervals, where both approximations agree to a few ulps",
    ('elementwise', 'return xp.where(y >= _XBIG, 0.0, scaled)', 'y >= _XBIG: GtE -> Gt'):
        'at y == XBIG exactly erfc is below the smallest subnormal: 0 and the formula agree',
    ('elementwise', 'return 0.5 * xp.where(y <= _THRESH, near, far)', 'y <= _THRESH: LtE -> Lt'):
        "at y == 0.46875 exactly both of Cody's approximations agree to a few ulps",
    ('elementwise', '_THRESH = 0.46875', '0.46875 -> 0.46921874999999996'):
        "moves the boundary between Cody's two inner intervals by 0.1%, clip included: both approximations agree to a few ulps there",
    ('elementwise', '_XBIG = 27.3', '27.3 -> 27.327299999999997'):
        'moves the point past which erfc is taken as 0, where it is below the smallest subnormal already',
    # nn (k2)
    ('nn_activations', "keep = _rng().random(tuple(input.shape)) >= p  # p == 1 keeps nothing, as PyTorch's", '_rng().random(tuple(input.shape)) >= p: GtE -> Gt'):
        'random() returns exactly p with probability 2**-53 per element',
    # special_kernels/special_functions (k1)
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '691 -> 692'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '2730 -> 2731'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '7 -> 8'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '6 -> 7'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '-3617: drop the USub'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '3617 -> 3618'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '510 -> 511'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '43867 -> 43868'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,', '798 -> 799'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', '-174611 / 330)', '-174611 / 330: drop the right term'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', '-174611 / 330)', '-174611: drop the USub'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', '-174611 / 330)', '174611 -> 174612'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', '-174611 / 330)', '330 -> 331'):
        "a small change of a high Bernoulli number: its term weighs most in polygamma of high order at the start of the Euler-Maclaurin sum (q = 11 + n), and there, at orders 1 to 30, 45, 60, 100 and 150, and in lgamma and digamma from 10, it moves no value by more than 7e-13 (measured), under the kit's tolerance and PyTorch's own error",
    ('special_kernels', 'ASYMPTOTIC = 10.0  # the series are used from here on', '10.0 -> 10.009999999999998'):
        'moves the start of the asymptotic series by 0.1%: moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'return xp.where(y <= _THRESH, near, xp.where(x < 0, -far, far))', 'y <= _THRESH: LtE -> Lt'):
        "at |x| == 0.46875 exactly both of Cody's approximations agree to a few ulps",
    ('special_kernels', 'return xp.where(y <= _THRESH, near, xp.where(x < 0, 2.0 - far, far))', 'y <= _THRESH: LtE -> Lt'):
        "at |x| == 0.46875 exactly both of Cody's approximations agree to a few ulps",
    ('special_kernels', '_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,', '2.81022636e-08 -> 2.8130365863599997e-08'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,', '3.43273939e-07 -> 3.4361721293899997e-07'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,', '-3.5233877e-06: drop the USub'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,', '3.5233877e-06 -> 3.5269110876999996e-06'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,', '-4.39150654e-06: drop the USub'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,', '4.39150654e-06 -> 4.395898046539999e-06'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,', '0.00021858087 -> 0.00021879945087'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.00125372503, -0.00417768164, 0.246640727, 1.50140941)', '-0.00125372503: drop the USub'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.00125372503, -0.00417768164, 0.246640727, 1.50140941)', '0.00125372503 -> 0.0012549787550299998'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.00125372503, -0.00417768164, 0.246640727, 1.50140941)', '-0.00417768164: drop the USub'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.00125372503, -0.00417768164, 0.246640727, 1.50140941)', '0.00417768164 -> 0.00418185932164'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.00125372503, -0.00417768164, 0.246640727, 1.50140941)', '0.246640727 -> 0.24688736772699998'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.00125372503, -0.00417768164, 0.246640727, 1.50140941)', '1.50140941 -> 1.5029108194099998'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,', '-0.000200214257: drop the USub'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,', '0.000200214257 -> 0.00020041447125699997'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,', '0.000100950558 -> 0.00010105150855799998'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,', '0.00134934322 -> 0.0013506925632199998'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,', '-0.00367342844: drop the USub'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,', '0.00367342844 -> 0.0036771018684399995'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,', '0.00573950773 -> 0.00574524723773'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.0076224613, 0.00943887047, 1.00167406, 2.83297682)', '-0.0076224613: drop the USub'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.0076224613, 0.00943887047, 1.00167406, 2.83297682)', '0.0076224613 -> 0.007630083761299999'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.0076224613, 0.00943887047, 1.00167406, 2.83297682)', '0.00943887047 -> 0.009448309340469998'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.0076224613, 0.00943887047, 1.00167406, 2.83297682)', '1.00167406 -> 1.0026757340599999'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', '-0.0076224613, 0.00943887047, 1.00167406, 2.83297682)', '2.83297682 -> 2.8358097968199996'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'p = coefficients[0]', '0 -> 1'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'for c in coefficients[1:]:', '1 -> 2'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 's = xp.where(inside, a, 0.5)  # the iteration runs on (0, 1); the rest is set at the end', '0.5 -> 0.5005'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'w = -xp.log((1.0 - s) * (1.0 + s))', '1.0 -> 1.001'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'central = _horner(_GILES_CENTRAL, xp.minimum(w, 5.0) - 2.5)', '5.0 -> 5.004999999999999'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'central = _horner(_GILES_CENTRAL, xp.minimum(w, 5.0) - 2.5)', '2.5 -> 2.5024999999999995'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'tail = _horner(_GILES_TAIL, xp.sqrt(xp.maximum(w, 5.0)) - 3.0)', '5.0 -> 5.004999999999999'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'tail = _horner(_GILES_TAIL, xp.sqrt(xp.maximum(w, 5.0)) - 3.0)', '3.0 -> 3.0029999999999997'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'y = xp.where(w < 5.0, central, tail) * s', 'w < 5.0: Lt -> LtE'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'y = xp.where(w < 5.0, central, tail) * s', '5.0 -> 5.004999999999999'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'small = s <= 0.5', 's <= 0.5: LtE -> Lt'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'small = s <= 0.5', '0.5 -> 0.5005'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'far = -xp.log(xp.where(w < 16.0, 1e-8, complement))', 'w < 16.0: Lt -> LtE'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'far = -xp.log(xp.where(w < 16.0, 1e-8, complement))', '16.0 -> 16.016'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'far = -xp.log(xp.where(w < 16.0, 1e-8, complement))', '1e-08 -> 1.0009999999999998e-08'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'y_far = xp.sqrt(far)', 'xp.sqrt -> xp.abs'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'for _ in range(3):', '3 -> 4'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'y_far = xp.sqrt(far - xp.log(SQRT_PI * y_far))', 'xp.log -> xp.log1p'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'y = xp.where(w < 16.0, y, y_far)', 'w < 16.0: Lt -> LtE'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'y = xp.where(w < 16.0, y, y_far)', '16.0 -> 16.016'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', "for _ in range(2):  # Halley: y -= u / (1 + y u), u = f / f', f'' / f' = -2 y for erf and erfc", '2 -> 3'):
        "Giles' approximation is only erfinv's start: two Halley steps (cubic) refine any start within reach to full precision (measured on 22,500 points over (-1, 1) and the tails: even a Horner sum that drops a coefficient changes no result by more than 1e-15)",
    ('special_kernels', 'low = y < ASYMPTOTIC', 'y < ASYMPTOTIC: Lt -> LtE'):
        'moves y == 10 on to 11 (psi(11) - 1/10 for psi(10)): moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'total = 0.0', '0.0 -> 0.001'):
        'the seed of a Horner sum that is multiplied by the small variable once per term (at least 1e-17 in all): below rounding',
    ('special_kernels', 'for k in range(60, 1, -1):  # Horner from the smallest term', '60 -> 61'):
        'one more term of a converged series: below rounding of the value',
    ('special_kernels', 'series = 0.0', '0.0 -> 0.001'):
        'the seed of a Horner sum that is multiplied by the small variable once per term (at least 1e-17 in all): below rounding',
    ('special_kernels', 'for k in range(8, 0, -1):', '8 -> 9'):
        'one more term of a converged series: below rounding of the value',
    ('special_kernels', 'tiny = z < 0.5', 'z < 0.5: Lt -> LtE'):
        'moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'high = middle >= 2.5', 'middle >= 2.5: GtE -> Gt'):
        'moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'high = middle >= 2.5', '2.5 -> 2.5024999999999995'):
        'moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'return xp.where(z < 1.5, near_one, xp.where(z < ASYMPTOTIC, near_two, big))', 'z < 1.5: Lt -> LtE'):
        'moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'return xp.where(z < 1.5, near_one, xp.where(z < ASYMPTOTIC, near_two, big))', 'z < ASYMPTOTIC: Lt -> LtE'):
        'moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'negative = x < 0.0', '0.0 -> 0.001'):
        'reflects (0, 0.001) too: the reflection formula holds there, both sides agree to rounding',
    ('special_kernels', 'for k in range(40, 0, -1):', '40 -> 41'):
        'one more term of a converged series: below rounding of the value',
    ('special_kernels', 'positive = xp.where(xp.abs(d) <= 0.3, _psi_near_root(xp, xp.minimum(xp.maximum(d, -0.3), 0.3)), positive)', 'xp.abs(d) <= 0.3: LtE -> Lt'):
        'moves a boundary between two expansions of the same function, which agree to rounding there',
    ('special_kernels', 'positive = xp.where(z == math.inf, 0.0 * sign, positive)', '0.0 * sign: drop the right term'):
        "only the sign of the zero at +inf for even n: the kit compares no zero's sign",
    # linalg/elementwise (k4)
    ('linalg_ops', 'theta13 = 5.371920351148152', '5.371920351148152 -> 5.377292271499299'):
        "moves the 1-norm past which A is halved once more by 0.1%: only norms in (5.3719, 5.3773) * 2**k see it, where Higham's approximant is accurate to the unit roundoff with either count of halvings, so the results agree to rounding",
    ('linalg_ops', 's = max(0, int(math.ceil(math.log2(float(norm1) / theta13)))) if float(norm1) > theta13 else 0', '0 -> 1'):
        "max(1, ...) is the same s (the ceil of a positive log2 is at least 1); 'else 1' halves a matrix already within theta13 and squares it back once: the approximant is accurate to rounding at both norms, so the results agree to rounding",
    ('linalg_ops', 's = max(0, int(math.ceil(math.log2(float(norm1) / theta13)))) if float(norm1) > theta13 else 0', 'float(norm1) / theta13: Div -> Mult'):
        'halves A more often than needed (log2(norm1 * theta13)) and squares back as often: a more accurate approximant and more squarings, which differ from the original by rounding only',
    ('linalg_ops', 's = max(0, int(math.ceil(math.log2(float(norm1) / theta13)))) if float(norm1) > theta13 else 0', 'float(norm1) / theta13: drop the right term'):
        'halves A more often than needed (log2(norm1)) and squares back as often: a more accurate approximant and more squarings, which differ from the original by rounding only',
    ('linalg_decompositions', 'rank = (S > (max(m, n) * eps if rcond is None else float(rcond)) * S[..., :1]).sum(-1)', 'S > (max(m, n) * eps if rcond is None else float(r: Gt -> GtE'):
        "at S == cutoff exactly PyTorch's gelsy decides the rank by its condition estimate of a pivoted QR's R11, not by the singular values: it counts diag(2, 1) at rcond=0.5 as rank 2 but a zero singular value at rcond=0 as rank 2 with an inf solution, so no convention pins > or >= there",
    ('elementwise_more', 'series = 0.0', '0.0 -> 0.001'):
        "adds 0.001 * x**14 to sinc' where |x| < 0.1: under 1e-17, below rounding",
    ('elementwise_more', 'for k in range(7, 0, -1):', '7 -> 8'):
        "one more Taylor term of sinc' where |x| < 0.1: (pi x)**15 * 16 / 17! < 1e-21, below rounding",
    ('elementwise_more', "SINC_SERIES = 0.1  # |x| below this: sinc' from its Taylor series, where the closed form cancels", '0.1 -> 0.1001'):
        "moves the switch between sinc's series and its closed form by 0.1%: at |x| near 0.1 both agree to about 1e-14",
    ('elementwise_more', 'near = xp.abs(x) < SINC_SERIES', 'xp.abs(x) < SINC_SERIES: Lt -> LtE'):
        "at |x| == 0.1 exactly sinc's series and its closed form agree to about 1e-14",
    ('elementwise_more', 'return xp.where(xp.abs(w) < 0.5, start + w * d, end - d * (1.0 - w))', 'xp.abs(w) < 0.5: Lt -> LtE'):
        'at |w| == 0.5 start + w d and end - d (1 - w) are the same value up to one rounding',
    ('elementwise_more', 'return xp.where(xp.abs(w) < 0.5, start + w * d, end - d * (1.0 - w))', 'xp.abs -> xp.sign'):
        'start + w d and end - d (1 - w) are the same lerp up to rounding for every w; both are exact at w = 0 and w = 1, where PyTorch pins it',
    ('elementwise_more', 'return xp.where(xp.abs(w) < 0.5, start + w * d, end - d * (1.0 - w))', '0.5 -> 0.5005'):
        'moves the switch between two formulas of the same lerp, which agree up to rounding',
    ('elementwise_more', '"sgn", forward=_sgn, vjp=(_zero_vjp,), saves=(), zero_gradient=True, methods=("sgn",),', "VJP rule 0 of 'sgn' -> None"):
        'the gradient is zero by either rule (sgn declares zero_gradient); only whether the result records a node (SgnBackward0 in PyTorch) and x.grad is zeros rather than None differs, which no finite difference shows',
    # var/std with no degree of freedom left (3 December's full run): the spent paths give only inf and NaN
    ('reductions', 'return _in_float64(xp, x, lambda w: xp.sqrt(_spent_var(xp, w, axes, keepdim)))', 'xp.sqrt -> xp.abs'):
        "the spent variance is a non-negative sum over 0.0, so inf or NaN, where sqrt and abs agree",
    ('reductions', 'return xp.sum(xp.square(w - mean), axis=axes, keepdims=keepdim) / 0.0', 'xp.sum -> xp.mean'):
        "a non-negative sum or mean over 0.0 is inf or NaN alike (an empty slice's sum 0 gives NaN, its mean NaN)",
    ('reductions', 'lazy = _lazy_count(xp, x, axes, True) - correction', 'True -> False'):
        "this branch reduces the whole tensor (no dim, or 0-d): the count is one number, which broadcasts alike kept or not",
    ('reductions', 'spent = xp.where(x == mean, math.nan, xp.zeros_like(x) + math.inf)', 'xp.zeros_like(x) + math.inf: drop the left term'):
        "x == mean gives the shape; the float64 inf the mutant leaves is cast to the input's dtype by the engine (inf either way)",
    ('reductions', 'spent = xp.where(x == mean, math.nan, xp.zeros_like(x) + math.inf)', 'xp.zeros_like -> xp.ones_like'):
        "1 + inf is inf",
    ('reductions', 'return xp.where(x == mean, math.nan, xp.zeros_like(x) + math.inf)', 'xp.zeros_like -> xp.ones_like'):
        "1 + inf is inf",
    ('reductions', 'return xp.where(lazy <= 0, spent, centered * (2 / xp.where(lazy <= 0, 1.0, lazy)))', 'lazy <= 0: LtE -> Lt'):
        "the inner where's: its stand-in is read only where the outer where takes spent (the outer one's mutant is killed)",
    ('reductions', 'return xp.where(lazy <= 0, spent, centered * (2 / xp.where(lazy <= 0, 1.0, lazy)))', '0 -> 1'):
        "the inner where's: at a count of 1 its stand-in 1.0 is the count itself (the outer one's mutant is killed)",
    ('reductions', 'return xp.where(lazy <= 0, spent, centered * (2 / xp.where(lazy <= 0, 1.0, lazy)))', '1.0 -> 1.001'):
        "a stand-in read only where the outer where takes spent",
    ('reductions', 'scale = xp.where(zero, 0.0, _kept(xp, g, x.shape, axes) / xp.where(zero, 1.0, 2 * std))', '0.0 -> 0.001'):
        "where std is 0 var's slope is 0 (every deviation 0), but for deviations whose squares underflow (under 1e-162), where the product is under any tolerance",
    ('reductions', 'scale = xp.where(zero, 0.0, _kept(xp, g, x.shape, axes) / xp.where(zero, 1.0, 2 * std))', '1.0 -> 1.001'):
        "a stand-in read only where the outer where gives 0",
}
# Real differences on inputs the kit does not sample (integer tensors, mixed dtypes, argument
# forms a Sample cannot express): counted as survivors, listed with what would show them.
UNSAMPLED: dict[tuple[str, str, str], str] = {
}


def _listed(table: dict[tuple[str, str, str], str], mutant: Mutant) -> tuple[str, str, str] | None:
    """The entry of ``table`` that lists ``mutant``: its key, or its line's (description ``"*"``:
    every mutant of that line, for a line that only chooses among equal results)."""
    for key in (mutant.key, (mutant.module, mutant.source, "*")):
        if key in table:
            return key
    return None


@dataclass
class Mutant:
    module: str
    line: int
    description: str
    path: tuple[Any, ...]  # how to find the node again in a fresh tree
    apply: Callable[[ast.AST], ast.AST | None]
    rule_ops: frozenset[str] = frozenset()  # for a VJP replaced by None: the ops holding that rule
    function: str = ""
    readers: tuple[int, ...] = ()  # for a module constant: first lines of the functions reading it (for a default: of its function)  # the enclosing function (or constant): with description, a key that survives edits

    def where(self) -> str:
        return f"ops_builtin/{self.module}.py:{self.line}"

    @property
    def source(self) -> str:
        """The mutated line as written, stripped: with module and description, a key that survives line moves."""
        return _source_lines(self.module)[self.line - 1].strip()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.source, self.description)


@functools.lru_cache(maxsize=None)
def _source_lines(module: str) -> list[str]:
    return Path(builtin.__file__).with_name(f"{module}.py").read_text().splitlines()


# ---------------------------------------------------------------------------- finding mutation sites
def _is_guard(node: ast.AST) -> bool:
    """``if ...: raise ...`` (argument validation), ``raise``, and a loop of such checks: not the op's math."""
    if isinstance(node, ast.Raise):
        return True
    if isinstance(node, ast.For):
        return all(_is_guard(s) for s in node.body) and not node.orelse
    return isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body) and not node.orelse


def _validation(tree: ast.AST) -> set[int]:
    """Assignments whose names only guards read (``padded = ...`` feeding ``if kernel > padded: raise``),
    or only such assignments: part of the argument validation, so not mutated either."""
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.Lambda)):
            continue
        in_guards = {id(n) for g in ast.walk(function) if _is_guard(g) for n in ast.walk(g)}
        loads: dict[str, list[int]] = defaultdict(list)
        for n in ast.walk(function):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                loads[n.id].append(id(n))
        grew = True
        while grew:  # and assignments read only by those (channels -> count -> the guard)
            grew = False
            for node in ast.walk(function):
                if (id(node) not in found and isinstance(node, ast.Assign)
                        and all(isinstance(t, ast.Name) for t in node.targets)):
                    uses = [u for t in node.targets for u in loads[t.id]]
                    if uses and all(u in in_guards for u in uses):
                        found.add(id(node))
                        in_guards |= {id(n) for n in ast.walk(node)}
                        grew = True
    return found


def _children(node: ast.AST) -> Iterator[tuple[Any, ast.AST]]:
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield (field, i), item
        elif isinstance(value, ast.AST):
            yield (field, None), value


def _get(tree: ast.AST, path: tuple[Any, ...]) -> ast.AST:
    node = tree
    for field, i in path:
        value = getattr(node, field)
        node = value if i is None else value[i]
    return node


def _set(tree: ast.AST, path: tuple[Any, ...], new: ast.AST) -> None:
    parent = _get(tree, path[:-1])
    field, i = path[-1]
    if i is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[i] = new


def _is_declaration(function: str) -> bool:
    """A reference the kit compares with (``_ref_repeat``, ``_sort_ref``, ``_references``) or a builder of
    samples or special points (``*_samples``, ``*_points``): a declaration, not op math."""
    return (function.lstrip("_").startswith(("ref_", "references"))
            or function.endswith(("_ref", "_reference", "_samples", "_points")))


def _numpy_references(tree: ast.Module) -> set[str]:
    """``_np_*`` functions that no op math reads, only ``reference=`` keywords, other references and
    the tables holding them (the nn modules' plain-NumPy references, ``_np_cross_entropy``): the kit's
    declarations, like ``_ref_*``, so not mutated. One that op math calls (scatter's ``_np_dtype``,
    a dtype conversion) is math."""
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("_np_")}
    in_references = {id(n) for call in ast.walk(tree) if isinstance(call, ast.Call)
                     for k in call.keywords if k.arg == "reference" for n in ast.walk(k.value)}
    read = set()
    for top in tree.body:
        if isinstance(top, ast.FunctionDef) and top.name not in defined and not _is_declaration(top.name):
            read |= {n.id for n in ast.walk(top) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                     and id(n) not in in_references}
    return defined - read


def _math_names(tree: ast.Module) -> set[str]:
    """Module-level names read inside the ops' functions (constants of their math)."""
    names = set()
    references = _numpy_references(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.FunctionDef) and not node.name.lstrip("_").startswith("register")
                and not _is_declaration(node.name) and node.name not in references):
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names


def _reshape_wildcards(tree: ast.AST) -> set[int]:
    """The ``1`` of each ``-1`` given as a size to a reshape: NumPy (and array_api_strict on it) reads
    any negative size as "the rest", so the mutant ``-2`` is no mutant; it is not made."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "reshape":
            for arg in node.args:
                for n in ast.walk(arg):
                    if (isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and isinstance(n.operand, ast.Constant)
                            and n.operand.value == 1):
                        found.add(id(n.operand))
    return found


def _node_mutations(node: ast.AST, wildcards: set[int] = frozenset()
                    ) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST | None]]]:
    if id(node) in wildcards:
        return
    if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        new_op = BINOP_SWAPS[type(node.op)]

        def swap(n: ast.AST, new_op: type = new_op) -> ast.AST:
            n.op = new_op()
            return n

        yield f"{ast.unparse(node)[:50]}: {type(node.op).__name__} -> {new_op.__name__}", swap
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            yield f"{ast.unparse(node)[:50]}: drop the right term", lambda n: n.left
            if isinstance(node.op, (ast.Add, ast.Mult)):
                yield f"{ast.unparse(node)[:50]}: drop the left term", lambda n: n.right
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        yield f"{ast.unparse(node)[:50]}: drop the {type(node.op).__name__}", lambda n: n.operand
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE_SWAPS:
        new_cmp = COMPARE_SWAPS[type(node.ops[0])]

        def swap_cmp(n: ast.AST, new_cmp: type = new_cmp) -> ast.AST:
            n.ops = [new_cmp()]
            return n

        yield f"{ast.unparse(node)[:50]}: {type(node.ops[0]).__name__} -> {new_cmp.__name__}", swap_cmp
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield f"{ast.unparse(node)[:50]}: {type(node.op).__name__} -> {other.__name__}", \
            lambda n, other=other: ast.BoolOp(op=other(), values=n.values)
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield f"{node.value} -> {not node.value}", lambda n: ast.Constant(not n.value)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if type(node.value) is int:
            yield f"{node.value} -> {node.value + 1}", lambda n: ast.Constant(n.value + 1)
        else:
            new = node.value * 1.001 if node.value else 1e-3
            yield f"{node.value!r} -> {new!r}", lambda n, new=new: ast.Constant(new)
    elif isinstance(node, ast.Attribute) and node.attr in SWAPS and isinstance(node.value, ast.Name) \
            and node.value.id in ("xp", "np"):
        yield f"{node.value.id}.{node.attr} -> {node.value.id}.{SWAPS[node.attr]}", \
            lambda n: ast.Attribute(value=n.value, attr=SWAPS[n.attr], ctx=n.ctx)


def _unused_defaults(node: ast.AST) -> set[int]:
    """Defaults of parameters a function never reads (``keepdim`` in a VJP): no edit of them can matter."""
    if not isinstance(node, (ast.FunctionDef, ast.Lambda)):
        return set()
    body = node.body if isinstance(node.body, list) else [node.body]
    read = {n.id for b in body for n in ast.walk(b) if isinstance(n, ast.Name)}
    args = node.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return {id(d) for a, d in pairs if a.arg not in read}


def _walk_math(node: ast.AST, path: tuple[Any, ...], skip: set[int] = frozenset()
               ) -> Iterator[tuple[tuple[Any, ...], ast.AST]]:
    """Every node of the ops' math under ``node``, skipping guards, docstrings and annotations."""
    unused = _unused_defaults(node)
    for (field, i), child in _children(node):
        if _is_guard(child) or id(child) in skip or field in ("annotation", "returns", "decorator_list"):
            continue
        if field == "args" and unused:  # the arguments node: walk it without the unused defaults
            for (f2, j), default in _children(child):
                if id(default) not in unused and f2 in ("defaults", "kw_defaults"):
                    sub = path + ((field, i), (f2, j))
                    yield sub, default
                    yield from _walk_math(default, sub, skip)
            continue
        if field == "body" and i == 0 and isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant):
            continue  # docstring
        if isinstance(child, ast.JoinedStr):
            continue
        if isinstance(child, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "__doc__"
                                                 for t in child.targets):
            continue  # a docstring made at run time (``median.__doc__ = ...``): text, as a docstring is
        yield path + ((field, i),), child
        yield from _walk_math(child, path + ((field, i),), skip)


def _register_call_sites(tree: ast.Module, module: Any, rules_to_ops: dict[Any, set[str]],
                         wildcards: set[int] = frozenset(), skip: set[int] = frozenset()) -> Iterator[Mutant]:
    """Inside ``register*`` functions: the VJP lambdas' math, and each VJP rule replaced by None."""
    name = module.__name__.rsplit(".", 1)[1]
    for top_path, top in _children(tree):
        if not (isinstance(top, ast.FunctionDef) and top.name.lstrip("_").startswith("register")):
            continue
        for path, node in _walk_math(top, (top_path,), skip):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("register_op",)):
                continue
            op = f"register_op({ast.unparse(node.args[0])})"
            for k, keyword in enumerate(node.keywords):
                if keyword.arg not in ("vjp", "forward"):
                    continue
                kw_path = path + (("keywords", k), ("value", None))
                value = keyword.value
                if keyword.arg == "forward" and isinstance(value, ast.Constant) and value.value in FORWARD_SWAPS:
                    other = FORWARD_SWAPS[value.value]
                    named = frozenset({node.args[0].value}) if isinstance(node.args[0], ast.Constant) else frozenset()
                    yield Mutant(name, value.lineno, f'forward="{value.value}" -> "{other}"', kw_path,
                                 lambda n, other=other: ast.Constant(other), named, op)
                if keyword.arg == "vjp" and isinstance(value, ast.Tuple):
                    for j, element in enumerate(value.elts):
                        if isinstance(element, ast.Constant) and element.value is None:
                            continue
                        ops = _ops_of_rule(element, module, rules_to_ops)
                        yield Mutant(name, element.lineno, f"VJP rule {j} of {ast.unparse(node.args[0])} -> None",
                                     kw_path + (("elts", j),), lambda n: ast.Constant(None), frozenset(ops), op)
                for sub_path, sub in _walk_math(value, kw_path, skip):
                    if isinstance(sub, ast.Lambda) or not hasattr(sub, "lineno"):
                        continue
                    for description, apply in _node_mutations(sub, wildcards):
                        yield Mutant(name, sub.lineno, description, sub_path, apply, function=op)


def _ops_of_rule(element: ast.AST, module: Any, rules_to_ops: dict[Any, set[str]]) -> set[str]:
    """The ops whose VJP rules include the function ``element`` names (or the lambda at its line)."""
    if isinstance(element, ast.Name):
        code = getattr(getattr(module, element.id, None), "__code__", None)
        return set(rules_to_ops.get(code, ())) if code is not None else set()  # not a module function: the run finds them
    found = set()
    for code, ops in rules_to_ops.items():
        if code is not None and code.co_filename == module.__file__ and code.co_firstlineno == element.lineno:
            found |= ops
    return found


def mutants_of(module: Any, rules_to_ops: dict[Any, set[str]]) -> list[Mutant]:
    source = Path(module.__file__).read_text()
    tree = ast.parse(source)
    name = module.__name__.rsplit(".", 1)[1]
    constants = _math_names(tree)
    wildcards = _reshape_wildcards(tree)
    skip = _validation(tree)
    references = _numpy_references(tree)
    readers: dict[str, set[int]] = defaultdict(set)  # constant -> first lines of functions and lambdas reading it
    # A default of a signature is evaluated when the def runs (at load): the trace never runs its line
    # when the signature spans lines, so a mutant there is read by the calls of its function, which the
    # trace records at the function's first line (its code's co_firstlineno: the first decorator's).
    signature_of: dict[int, int] = {}  # id of a node inside a default -> its function's first line
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    readers[n.id].add(node.lineno)
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])
            for default in (*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]):
                for n in ast.walk(default):
                    signature_of[id(n)] = first
    found: list[Mutant] = []
    for top_path, top in _children(tree):
        if isinstance(top, ast.FunctionDef) and (_is_declaration(top.name) or top.name in references):
            continue
        if isinstance(top, ast.FunctionDef) and not top.name.lstrip("_").startswith("register"):
            walk = _walk_math(top, (top_path,), skip)
        elif isinstance(top, ast.Assign) and all(isinstance(t, ast.Name) and t.id in constants for t in top.targets):
            walk = _walk_math(top, (top_path,), skip)  # a constant of the math (Cody's coefficients, LN2)
        else:
            continue
        function = top.name if isinstance(top, ast.FunctionDef) else ast.unparse(top.targets[0])
        read_by = () if isinstance(top, ast.FunctionDef) else tuple(
            sorted(set().union(*[readers[t.id] for t in top.targets])))
        for path, node in walk:
            if not hasattr(node, "lineno"):
                continue
            read = read_by + ((signature_of[id(node)],) if id(node) in signature_of else ())
            for description, apply in _node_mutations(node, wildcards):
                found.append(Mutant(name, node.lineno, description, path, apply, function=function, readers=read))
    found.extend(_register_call_sites(tree, module, rules_to_ops, wildcards, skip))
    return found


# ---------------------------------------------------------------------------- running the kit
# Modules of ops_builtin that are not op modules: the kit's declarations (never mutated) and
# helpers holding op math shared by several op modules (mutated, and re-bound into their users).
DECLARATIONS = frozenset({"references", "edge_cases", "node_names", "nn_references", "linalg_kit"})


def helper_modules() -> list[types.ModuleType]:
    """``ops_builtin`` modules the op modules import that hold op math (``scalars``)."""
    found: dict[str, types.ModuleType] = {}
    for module in builtin.MODULES:
        for value in vars(module).values():
            home = value if isinstance(value, types.ModuleType) else sys.modules.get(getattr(value, "__module__", ""))
            if (isinstance(home, types.ModuleType) and home.__name__.startswith(builtin.__name__ + ".")
                    and home not in builtin.MODULES and home.__name__.rsplit(".", 1)[1] not in DECLARATIONS):
                found[home.__name__] = home
    return list(found.values())


def _users(module: types.ModuleType) -> list[types.ModuleType]:
    """The ``ops_builtin`` modules that hold names of ``module`` (``from .linalg_ops import _sym``),
    directly or through another such module, in their import order (a module after those it uses)."""
    package = [m for name, m in list(sys.modules.items())
               if name.startswith(builtin.__name__ + ".") and isinstance(m, types.ModuleType)]
    found = {module.__name__}
    grew = True
    while grew:
        grew = False
        for m in package:
            if m.__name__ not in found and any(
                    (value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None))
                    in found for value in vars(m).values()):
                found.add(m.__name__)
                grew = True
    return [m for m in package if m.__name__ in found and m.__name__ != module.__name__]


@contextlib.contextmanager
def _installed(module: types.ModuleType, mutated: types.ModuleType) -> Iterator[tuple[types.ModuleType, ...]]:
    """The op modules with ``mutated`` in ``module``'s place: it replaces ``module`` in ``sys.modules``
    (so imports made when an op runs find it), and every module using its names is loaded afresh
    (so it binds the mutated ones); all put back on exit."""
    short = module.__name__.rsplit(".", 1)[1]
    saved = {module.__name__: module}
    replaced = {module: mutated}
    try:
        sys.modules[module.__name__] = mutated
        setattr(builtin, short, mutated)
        for user in _users(module):
            saved[user.__name__] = user
            fresh = _exec(user, _code(user.__file__))
            sys.modules[user.__name__] = fresh
            setattr(builtin, user.__name__.rsplit(".", 1)[1], fresh)
            replaced[user] = fresh
        yield tuple(replaced.get(m, m) for m in builtin.MODULES)
    finally:
        for name, original in saved.items():
            sys.modules[name] = original
            setattr(builtin, name.rsplit(".", 1)[1], original)


@functools.lru_cache(maxsize=None)
def _source_tree(path: str) -> ast.Module:
    return ast.parse(Path(path).read_text())


@functools.lru_cache(maxsize=None)
def _code(path: str) -> types.CodeType:
    """An unmutated module compiled once (a user of a mutated module runs it afresh for each mutant)."""
    return compile(_source_tree(path), path, "exec")


def _tree(module: types.ModuleType) -> ast.Module:
    """A fresh copy of the module's syntax tree (parsed once: the sources must not change during the run)."""
    return copy.deepcopy(_source_tree(module.__file__))


def _rules_held(op: Any) -> tuple[str | None, ...]:
    """An op's VJP rules as names that survive reloading a module: None where an input has none, a
    function's qualified name (with the numbers and strings its closure holds: ``_mse_vjp(-1.0)``'s
    sign, ``_pointwise_rules(..., "beta", 1.0)``'s default), or a rule object's repr (``Combine(mul, 1)``)."""
    return tuple(None if rule is None else _rule_held(rule) for rule in op.vjps or ())


def _rule_held(rule: Any) -> str:
    name = getattr(rule, "__qualname__", None)
    if name is None:
        return repr(rule)
    bound = []
    for cell in getattr(rule, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, (bool, int, float, str)):
            bound.append(value)
    return f"{name}{tuple(bound)!r}" if bound else name


def _ops_of_registration(module: Any, mutant: Mutant, held: dict[str, tuple[str | None, ...]],
                         original: tuple[Any, ...]) -> set[str]:
    """The ops whose rules a mutant of a ``register_op`` call changes, found by building the mutated
    table: for what no check's trace reaches (registration runs at load) and the source cannot resolve,
    such as a rule named by a loop's variable (``vjp=(vjp,)``) or a ``Combine(operator.mul, 1)``."""
    try:
        mutated = _load_mutated(module, mutant)
        with _installed(module, mutated) as builtin.MODULES:
            invalidate()
            return {op.name for op in table().canonical_ops()
                    if op.name in held and _rules_held(op) != held[op.name]}
    except Exception:  # the mutant does not even load: the run below says so
        return set()
    finally:
        builtin.MODULES = original
        invalidate()


def _load_mutated(module: Any, mutant: Mutant) -> types.ModuleType:
    tree = _tree(module)
    node = _get(tree, mutant.path)
    replacement = mutant.apply(copy.deepcopy(node))
    _set(tree, mutant.path, replacement)
    ast.fix_missing_locations(tree)
    return _exec(module, tree)


def _exec(module: Any, tree: ast.Module | types.CodeType) -> types.ModuleType:
    mutated = types.ModuleType(module.__name__)
    mutated.__file__ = module.__file__
    mutated.__package__ = module.__package__
    exec(tree if isinstance(tree, types.CodeType) else compile(tree, module.__file__, "exec"), mutated.__dict__)
    return mutated


@functools.lru_cache(maxsize=None)
def _function_spans(module: str) -> tuple[tuple[int, int], ...]:
    """The (first, last) lines of every function of an ``ops_builtin`` module, innermost last."""
    tree = ast.parse("\n".join(_source_lines(module)))
    return tuple(sorted(((n.lineno, n.end_lineno or n.lineno) for n in ast.walk(tree)
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))),
                        key=lambda span: (span[0], -span[1])))


def _enclosing_function(module: str, line: int) -> tuple[int, int] | None:
    """The innermost function holding ``line``, or None for module-level code."""
    found = None
    for first, last in _function_spans(module):
        if first <= line <= last:
            found = (first, last)
    return found


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


# The kit's backends in this run: NumPy (always) and array_api_strict. Dask is left out: it is
# slow per check, and its plugin's own kit tests (plugins/tapegrad-dask) prove every op there
# against NumPy's results, so a wrong NumPy op is caught here and a wrong Dask path there.
BACKENDS = ("array_api_strict",)
# A line that asks whether its array is lazy chooses between an eager path and one that never
# looks at values, and one that asks what the backend's namespace offers chooses between its
# function and a portable fallback: on NumPy and array_api_strict both give the same numbers,
# so such a line's mutants run the backends check on Dask too (where looking at values fails).
LAZY_BACKENDS = BACKENDS + ("dask",)
DASK = ("dask",)  # a line only Dask reaches runs the backends check there alone
BACKEND_QUESTIONS = ("is_lazy(", "hasattr(linalg")
Check = tuple[str, str]  # (op, check name)
LIMITS = "limits met: "  # a check's outcome when it passed meeting declared limits (where each was)


class Stats:
    """What the run learns about the checks, to order them: each one's cost on the unmutated ops,
    and how often each kind of check kills. A mutant's checks run cheapest per kill first
    (with ``stop_early`` the first failure ends the mutant), which changes only the time."""

    def __init__(self) -> None:
        self.cost: dict[Check, float] = {}
        self.tries: dict[str, int] = defaultdict(int)
        self.kills: dict[str, int] = defaultdict(int)

    def order(self, checks: list[Check]) -> list[Check]:
        def key(c: Check) -> tuple[float, Check]:
            rate = (self.kills[c[1]] + 1) / (self.tries[c[1]] + 2)
            return self.cost.get(c, 1.0) / rate, c
        return sorted(checks, key=key)

    def record(self, ran: list[Check], killer: Check | None) -> None:
        for c in ran:
            self.tries[c[1]] += 1
        if killer is not None:
            self.kills[killer[1]] += 1


def _checks_of(name: str, order: int, backends: tuple[str, ...]) -> dict[str, Any]:
    return {c.check: c for c in op_checks(name, order=order, backends=backends)}


def _failures(names: list[str], order: int, stop_early: bool, baseline: dict[str, str],
              stats: Stats | None = None, backends: tuple[str, ...] = BACKENDS,
              only: str | None = None) -> dict[str, str]:
    """check id -> failure message, for the checks of ``names`` that fail otherwise than in ``baseline``
    (a check failing already, such as a known edge-case failure, still kills when it fails elsewhere).
    With ``stats``, the checks of all ``names`` run in its order and each one's cost is recorded
    when ``stop_early`` is off (the baseline run). With ``only``, just the checks of that name."""
    failed: dict[str, str] = {}
    built: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            built[name] = _checks_of(name, order, backends)
        except Exception as exc:  # the op is gone or broken
            failed[name] = f"{type(exc).__name__}: {exc}"
            if stop_early:
                return failed
    pending = [(name, check) for name, checks in built.items() for check in checks if only in (None, check)]
    if stats is not None and stop_early:
        pending = stats.order(pending)
    ran: list[Check] = []
    try:
        for name, check_name in pending:
            check = built[name][check_name]
            ran.append((name, check_name))
            began = time.perf_counter()
            try:
                message = _outcome(check, baseline.get(check.id, ""))
            finally:
                if stats is not None and not stop_early:
                    stats.cost[(name, check_name)] = time.perf_counter() - began
            if message is not None and baseline.get(check.id) != message:
                failed[check.id] = message
                if stop_early:
                    return failed
    finally:
        if stats is not None and stop_early:
            killer = ran[-1] if failed and ran else None
            stats.record(ran, killer)
    return failed


def _first_line(message: str, width: int = 160) -> str:
    """A failure message's first line, cut to ``width``: enough to see why a check failed."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= width else line[:width - 3] + "..."


def _outcome(check: Any, known: str) -> str | None:
    """A check's verdict: None when it passes, else its error; ``known`` if it passed meeting no
    declared limit (a refusal of unknown sizes) that ``known``, the original's verdict, did not.
    A limit met is part of the verdict, by where it was (not its words): a mutant refusing where
    the original computed is caught by the limit it adds; one refusing less passed where it computed."""
    try:
        with np.errstate(all="ignore"):
            limits = check()
    except _Timeout:
        raise
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    where = sorted({line.split(": UnknownSizeError")[0] for line in limits or ()})
    if known.startswith(LIMITS) and set(where) <= set(ast.literal_eval(known[len(LIMITS):])):
        return known
    return f"{LIMITS}{where}" if where else None


def coverage(names: list[str], files: set[str], order: int, stats: Stats | None,
             backends: tuple[str, ...] = BACKENDS,
             only: str | None = None) -> tuple[dict[tuple[str, int], set[str]], dict[str, str]]:
    """Which lines of the op modules each op's checks execute; and the checks failing already.
    Each check's cost is recorded in ``stats`` (traced, so an overestimate: it orders the checks
    and bounds a mutant's time). ``backends`` and ``only`` as for ``_failures``."""
    lines: dict[tuple[str, int], set[str]] = defaultdict(set)
    current: list[str] = [""]

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in files:
            return None

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                lines[(frame.f_code.co_filename, frame.f_lineno)].add(current[0])
            return local

        lines[(frame.f_code.co_filename, frame.f_code.co_firstlineno)].add(current[0])
        return local

    baseline: dict[str, str] = {}
    for name in names:
        current[0] = name
        sys.settrace(tracer)
        try:
            baseline.update(_failures([name], order, stop_early=False, baseline={}, stats=stats,
                                      backends=backends, only=only))
        finally:
            sys.settrace(None)
    return lines, baseline


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    table()  # build once, untraced: registration runs every register() line
    helpers = helper_modules()
    modules = [m for m in (*builtin.MODULES, *helpers)
               if not args.modules or m.__name__.rsplit(".", 1)[1] in args.modules]
    names = [op.name for op in table().canonical_ops() if op.plugin == PLUGIN]
    rules_to_ops: dict[Any, set[str]] = defaultdict(set)
    for op in table().canonical_ops():
        if op.plugin == PLUGIN:
            for rule in (op.vjps or ()) + ((op.vjp_all,) if op.vjp_all else ()):
                if rule is not None:
                    rules_to_ops[getattr(rule, "__code__", None)].add(op.name)
    all_mutants = [m for module in modules for m in mutants_of(module, rules_to_ops)]
    mutants = all_mutants
    if args.sample and args.sample < len(all_mutants):
        mutants = random.Random(args.seed).sample(all_mutants, args.sample)
        mutants.sort(key=lambda m: (m.module, m.line))
    if args.only:
        wanted = {ast.literal_eval(line) for line in Path(args.only).read_text().splitlines() if line.strip()}
        mutants = [m for m in mutants if m.key in wanted]
    if args.list:
        for m in mutants:
            print(f"{m.where()}: {m.description}")
        print(f"{len(mutants)} mutants")
        return 0
    files = {m.__file__ for m in modules}
    stats = Stats()
    lines, baseline = coverage(names, files, args.order, stats)
    op_cost: dict[str, float] = defaultdict(float)
    for (name, _), cost in stats.cost.items():
        op_cost[name] += cost
    print(f"{len(all_mutants)} mutants in {len(modules)} modules, {len(mutants)} run; "
          f"checks failing already (they kill only by failing otherwise): "
          f"{sorted(k for k, v in baseline.items() if not v.startswith(LIMITS)) or 'none'}; "
          f"coverage took {time.perf_counter() - started:.0f} s", flush=True)
    by_module = {m.__name__.rsplit(".", 1)[1]: m for m in modules}
    original = builtin.MODULES
    killed, survivors, unreached = 0, [], []
    equivalent: list[Mutant] = []
    undecidable: list[Mutant] = []
    listed_killed: dict[tuple[str, str, str], str] = {}  # a line may hold several mutants of one description
    listed_survived: set[tuple[str, str, str]] = set()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # killed, equiv, undec, survived, unreached
    signal.signal(signal.SIGALRM, _alarm)
    run_started = time.perf_counter()
    def ops_reaching(mutant: Mutant, lines: dict[tuple[str, int], set[str]]) -> set[str]:
        file = by_module[mutant.module].__file__
        ops = lines.get((file, mutant.line), set()).copy()
        for first in mutant.readers:  # a constant: the ops whose checks ran a function reading it
            ops |= lines.get((file, first), set())
        return ops

    # Lines only Dask reaches (unknown sizes: the lazy counts of mean/var/std, a reduction's
    # spread without a shape): traced once over every op's backends check on Dask alone. A mutant
    # found there runs that check, on Dask, against its result on the original ops; so does one
    # surviving the other checks in a function holding such lines (a default its lazy path reads).
    dask_lines: dict[tuple[str, int], set[str]] = {}
    dask_baseline: dict[str, str] = {}
    dask_stats = Stats()
    if args.dask and "dask" in table().backends:
        began = time.perf_counter()
        dask_lines, dask_baseline = coverage(names, files, args.order, dask_stats, backends=DASK, only="backends")
        print(f"lines reached on Dask alone: traced its backends check of every op in "
              f"{time.perf_counter() - began:.0f} s", flush=True)
    dask_cost: dict[str, float] = defaultdict(float)
    for (name, _), cost in dask_stats.cost.items():
        dask_cost[name] += cost
    dask_only = {where for where in dask_lines if where not in lines}

    def dask_reaching(mutant: Mutant) -> set[str]:
        """For a mutant of a function holding lines only Dask reaches (a default, a value the lazy
        path reads): the ops whose Dask backends check ran its line, else none."""
        file = by_module[mutant.module].__file__
        span = _enclosing_function(mutant.module, mutant.line)
        if span is None or not any((file, line) in dask_only for line in range(span[0], span[1] + 1)):
            return set()
        return ops_reaching(mutant, dask_lines)
    rules_held = {op.name: _rules_held(op) for op in table().canonical_ops() if op.plugin == PLUGIN}
    on_dask_only = 0
    for k, mutant in enumerate(mutants):
        module = by_module[mutant.module]
        ops = set(mutant.rule_ops) | ops_reaching(mutant, lines)
        if not ops and mutant.function.startswith("register_op("):  # a rule no trace reaches
            ops = _ops_of_registration(module, mutant, rules_held, original)
        backends, known, bound, only = BACKENDS, baseline, 2 * sum(op_cost[name] for name in ops), None
        if not ops:
            ops = ops_reaching(mutant, dask_lines)
            if not ops:
                unreached.append(mutant)
                tally[mutant.module][4] += 1
                continue
            on_dask_only += 1
            backends, known, bound, only = DASK, dask_baseline, 2 * sum(dask_cost[name] for name in ops), "backends"
        verdict = "survived"
        if only is None and any(question in mutant.source for question in BACKEND_QUESTIONS):
            backends, began = LAZY_BACKENDS, time.perf_counter()
            known = _failures(sorted(ops), args.order, stop_early=False, baseline={}, backends=backends)
            bound = 2 * (time.perf_counter() - began)
        lazy_ops = dask_reaching(mutant) if only is None and backends is BACKENDS else set()
        bound += 2 * sum(dask_cost[name] for name in lazy_ops)
        try:
            # A mutant may loop forever (killed); a slow one must not pass for that: its bound is
            # twice what its checks took, traced, on the original ops, plus the --timeout.
            signal.alarm(args.timeout + int(bound))
            mutated = _load_mutated(module, mutant)
            with _installed(module, mutated) as builtin.MODULES:
                invalidate()
                failed = _failures(sorted(ops), args.order, stop_early=True, baseline=known, stats=stats,
                                   backends=backends, only=only)
                if not failed and lazy_ops:  # its function's lazy path, on Dask
                    failed = _failures(sorted(lazy_ops), args.order, stop_early=True, baseline=dask_baseline,
                                       stats=stats, backends=DASK, only="backends")
            verdict = f"killed by {next(iter(failed))}" if failed else "survived"
        except _Timeout:
            verdict = "killed (timeout)"
        except Exception as exc:  # the mutated module does not even load
            verdict = f"killed ({type(exc).__name__} at load)"
        finally:
            signal.alarm(0)
            builtin.MODULES = original
            invalidate()
        same, blind = _listed(EQUIVALENT, mutant), _listed(UNDECIDABLE, mutant)
        if verdict.startswith("killed"):
            killed += 1
            tally[mutant.module][0] += 1
            if same or blind:  # the listing is stale, or the kit learnt to tell: say what told it
                why = f": {_first_line(failed[next(iter(failed))])}" if verdict.startswith("killed by") else ""
                listed_killed[same or blind] = f"{mutant.where()} {mutant.description} ({verdict}{why})"
        elif same:
            equivalent.append(mutant)
            listed_survived.add(same)
            tally[mutant.module][1] += 1
        elif blind:
            undecidable.append(mutant)
            listed_survived.add(blind)
            tally[mutant.module][2] += 1
        else:
            survivors.append((mutant, sorted(ops)))  # UNSAMPLED ones too: they are real misses
            tally[mutant.module][3] += 1
        if args.verbose:
            rate = (k + 1) / (time.perf_counter() - run_started)
            print(f"[{k + 1}/{len(mutants)} {rate:.2f}/s] {mutant.where()} {mutant.description}: {verdict}"
                  + (f"\n    key {mutant.key!r}" if verdict == "survived" and not same and not blind else ""),
                  flush=True)
    reached = len(mutants) - len(unreached)
    decidable = reached - len(equivalent) - len(undecidable)
    elapsed = time.perf_counter() - started
    print(f"\nkilled {killed}/{decidable} non-equivalent mutants ({100 * killed / max(decidable, 1):.1f}%), "
          f"{len(survivors)} survived; {len(equivalent)} equivalent and {len(undecidable)} undecidable by finite "
          f"differences (listed in this script with reasons); {len(unreached)} more on lines no sample "
          f"reaches; {len(mutants)} mutants in {elapsed:.0f} s"
          + (f" ({on_dask_only} of them reached on Dask alone, by its backends check)" if on_dask_only else ""))
    print("per module: killed/non-equivalent, equivalent, undecidable, survived, unreached")
    for name, (k_, e_, u_, s_, n_) in tally.items():
        print(f"  {name}: {k_}/{k_ + s_}, {e_}, {u_}, {s_}, {n_}")
    print(f"{(len(mutants) - len(unreached)) / max(time.perf_counter() - run_started, 1e-9):.2f} reached mutants/s")
    for key, what in listed_killed.items():
        if key not in listed_survived:
            print(f"note: listed as equivalent or undecidable, but every such mutant was killed: {what}")
    if survivors:
        print("\nsurvivors (ops run):")
        for mutant, ops in survivors:
            known = UNSAMPLED.get(mutant.key)
            print(f"  {mutant.where()} in {mutant.function}: {mutant.description}  "
                  f"[{', '.join(ops[:4])}{'...' if len(ops) > 4 else ''}]"
                  + (f"\n      not sampled: {known}" if known else f"\n      key {mutant.key!r}"))
    if unreached and args.verbose:
        print("\nnot reached by any sample:")
        for mutant in unreached:
            print(f"  {mutant.where()}: {mutant.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=lambda s: set(s.split(",")), default=None,
                        help="only these ops_builtin modules (comma-separated, e.g. arithmetic,elementwise)")
    parser.add_argument("--sample", type=int, default=0, help="run a seeded random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--order", type=int, default=2, help="the kit's highest derivative order")
    parser.add_argument("--timeout", type=int, default=10,
                        help="seconds per mutant, beyond twice what its checks took on the original ops")
    parser.add_argument("--list", action="store_true", help="list the mutants without running them")
    parser.add_argument("--only", default=None, help="a file of mutant keys, one a line (as -v prints a survivor's): "
                        "run only those")
    parser.add_argument("--no-dask", dest="dask", action="store_false",
                        help="skip tracing Dask's backends check for the lines only it reaches (unknown sizes; "
                        "minutes: every op's check on Dask)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every verdict and the unreached mutants")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    tapegrad.plugins  # noqa: B018 (loaded)
    raise SystemExit(main())
