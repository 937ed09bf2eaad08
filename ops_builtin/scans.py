"""Scans and NaN-aware reductions: ``cumprod``, ``logcumsumexp``, ``cummax``, ``cummin``;
``nansum``, ``nanmean``, ``count_nonzero``, ``var_mean``, ``std_mean``, ``aminmax``.

``running(xp, name, x, axis)`` is the one inclusive scan the others use: NumPy's
``ufunc.accumulate`` where the backend has it (sequential, as PyTorch's CPU kernels), else a
Hillis-Steele doubling scan of ``xp.<name>`` (``log2(n)`` elementwise steps, any backend, tensors
under ``create_graph`` too).

Gradients, as PyTorch's:

- ``cumprod`` is exact where inputs are zero: ``x[i]``'s cotangent is ``sum_{j>=i} g[j] out[j] / x[i]``
  where ``x[i] != 0``; at the first zero of a slice the products are taken with that zero lifted to
  1; at later zeros it is 0. Its second derivative is exact too, with any number of zeros (the
  second zero's cotangent is written as ``x[first zero]`` times the products without both).
- ``logcumsumexp``: ``x[i]``'s cotangent is ``sum_{j>=i} g[j] exp(x[i] - out[j])``, computed as a
  reversed ``logcumsumexp`` of ``log|g| - out`` for the positive and the negative part of ``g``,
  so it neither overflows nor underflows where the result is representable.
- ``cummax``/``cummin`` return ``(values, indices)``, the index of the last extremum so far (a NaN
  counting as the extremum), read with ``gather_values`` (``ops_builtin/sorting.py``): the gradient
  goes to those indices.
- ``nansum``'s gradient is 0 at NaN; ``nanmean`` is ``nansum / (number of non-NaN)`` (its node
  ``DivBackward0``, as PyTorch's).
- ``var_mean``, ``std_mean`` and ``aminmax`` are the pairs of the ops of those names (nodes
  ``VarBackward0``/``MeanBackward1`` &c., where PyTorch records one ``VarMeanBackward0``); ``aminmax``
  shares the gradient between ties evenly, as ``amin``/``amax`` and PyTorch's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.backends import is_lazy
from tapegrad.dims import as_flag, axis, known_size
from tapegrad.dtypes import in_namespace
from tapegrad.return_types import return_type
from tapegrad.testing.samples import EdgeCase, Sample

from .reductions import REDUCTION_PARAMS, _kept, _require_floating, _single_dim, reduced_axes

if TYPE_CHECKING:
    from tapegrad import Registry

CummaxResult = return_type("cummax", ["values", "indices"])
CumminResult = return_type("cummin", ["values", "indices"])
AminmaxResult = return_type("aminmax", ["min", "max"])


# ---------------------------------------------------------------------------- the scan
def running(xp: Any, name: str, x: Any, a: int) -> Any:
    """The inclusive scan of the binary elementwise ``xp.<name>`` along axis ``a``."""
    accumulate = getattr(getattr(xp, name), "accumulate", None)
    if accumulate is not None and isinstance(x, np.ndarray):
        return accumulate(x, axis=a)
    combine = getattr(xp, name)
    n = known_size(x.shape[a], "a scan along a dimension (its number of doubling steps)")
    step = 1
    while step < n:
        lead = (slice(None),) * a
        head = x[lead + (slice(0, step), Ellipsis)]
        tail = combine(x[lead + (slice(step, n), Ellipsis)], x[lead + (slice(0, n - step), Ellipsis)])
        x = xp.concat([head, tail], axis=a)
        step *= 2
    return x


def _reversed(xp: Any, f: Any, x: Any, a: int) -> Any:
    """``f`` applied from the end of axis ``a``: the suffix scan of a prefix scan ``f``."""
    return xp.flip(f(xp.flip(x, axis=a)), axis=a)


def _scan_axis(name: str, x: Any, dim: Any) -> int:
    return _single_dim(name, dim, len(x.shape))


# ---------------------------------------------------------------------------- cumprod
def _cumprod(xp: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    """Running product along ``dim``: ``out[i] = x[0] * ... * x[i]``. Integers and bools multiply
    as int64 (the op's promotion); ``dtype`` casts the input first."""
    if dtype is not None:
        x = xp.astype(x, in_namespace(xp, dtype))
    a = _scan_axis("cumprod", x, dim)
    if x.ndim == 0:
        return x * 1
    return xp.cumulative_prod(x, axis=a) if hasattr(xp, "cumulative_prod") else running(xp, "multiply", x, a)


def _cumprod_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    if len(x.shape) == 0:
        return g
    a = _scan_axis("cumprod", x, dim)
    if x.shape[a] == 1:  # out is x itself: its gradient, finite at NaN and inf too (as PyTorch's)
        return g

    def suffix_sum(v: Any) -> Any:
        return _reversed(xp, lambda w: xp.cumsum(w, axis=a), v, a)

    zero = x == 0
    safe = xp.where(zero, xp.ones_like(x), x)
    spread = suffix_sum(g * ans) / safe  # exact where x != 0, and its derivative too
    if not is_lazy(x) and not bool(xp.any(zero)):  # (a lazy backend takes the general form: no look at x)
        return spread
    # A slice's first zero z: the products without it. Its second zero w: x_z times the products
    # without both (0, but its derivative in x_z is the mixed second derivative). Later zeros: 0,
    # and so are their derivatives, as every term holds another zero.
    count = xp.cumsum(xp.astype(zero, xp.int64), axis=a)
    first, second = zero & (count == 1), zero & (count == 2)
    ones = xp.ones_like(x)
    at_first = suffix_sum(g * xp.cumprod(xp.where(first, ones, x), axis=a))
    x_first = xp.sum(xp.where(first, x, xp.zeros_like(x)), axis=a, keepdims=True)
    at_second = x_first * suffix_sum(g * xp.cumprod(xp.where(first | second, ones, x), axis=a))
    at_zero = xp.where(first, at_first, xp.where(second, at_second, xp.zeros_like(at_first)))
    return xp.where(zero, at_zero, spread)


# ---------------------------------------------------------------------------- logcumsumexp
def _logcumsumexp(xp: Any, x: Any, *, dim: Any) -> Any:
    """``log(cumsum(exp(x)))`` along ``dim``, computed without overflow or underflow."""
    _require_floating("logcumsumexp", xp, x)
    a = _scan_axis("logcumsumexp", x, dim)
    if x.ndim == 0:
        return x * 1
    return running(xp, "logaddexp", x, a)


def _logcumsumexp_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dim: Any) -> Any:
    if len(x.shape) == 0:
        return g
    a = _scan_axis("logcumsumexp", x, dim)

    def part(positive: Any) -> Any:  # exp(x[i] + log sum_{j>=i} |g[j]| exp(-out[j])) over one sign of g
        safe = xp.where(positive, xp.abs(g), xp.ones_like(g))
        logs = xp.where(positive, xp.log(safe) - ans, xp.zeros_like(g) - np.inf)
        return xp.exp(x + _reversed(xp, lambda w: xp.logcumsumexp(w, dim=a), logs, a))

    return part(g > 0) - part(g < 0)


# ---------------------------------------------------------------------------- cummax, cummin
def _cum_extremum_indices(name: str, combine: str) -> Any:
    def indices(xp: Any, x: Any, *, dim: Any) -> Any:
        a = _scan_axis(name, x, dim)
        if x.ndim == 0:
            return xp.zeros((), dtype=xp.int64)
        best = running(xp, combine, x, a)
        shape = [1] * x.ndim
        shape[a] = x.shape[a]
        pos = xp.reshape(xp.arange(x.shape[a], dtype=xp.int64), tuple(shape))
        new = x == best  # a new extremum, or a tie with it: the latest index wins, as PyTorch's
        if xp.isdtype(x.dtype, "real floating"):
            new = new | xp.isnan(x)
        return running(xp, "maximum", xp.where(new, pos, pos * 0), a)

    indices.__name__ = f"{name}_indices"
    indices.__doc__ = (f"The index (int64) of the last {'largest' if name == 'cummax' else 'smallest'} element so "
                       f"far along ``dim`` (a NaN counting as it), as ``{name}`` returns it. No gradient.")
    return indices


def _cum_extremum(name: str, result: Any) -> Any:
    def cum(input: Any, dim: Any) -> Any:
        import tapegrad

        indices = getattr(tapegrad.ops, f"{name}_indices")(input, dim=dim)
        d = axis(dim, input.ndim)
        node = f"{name.capitalize()}Backward0"
        return result(tapegrad.ops.gather_values(input, dim=d, index=indices, node=node), indices)

    cum.__name__ = cum.__qualname__ = name
    cum.__doc__ = (f"The pair ``(values, indices)``: the running {'maximum' if name == 'cummax' else 'minimum'} "
                   "along ``dim`` and where it was found (the latest on ties; NaN wins); the gradient goes there.")
    return cum


# ---------------------------------------------------------------------------- NaN-aware reductions
def _nansum(xp: Any, x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Sum over ``dim`` (every dimension by default), NaNs counted as zero."""
    if dtype is not None:
        x = xp.astype(x, in_namespace(xp, dtype))
    axes = reduced_axes(dim, x.ndim, keepdim)
    if xp.isdtype(x.dtype, "real floating"):
        x = xp.where(xp.isnan(x), xp.zeros_like(x), x)
    return xp.sum(x, axis=axes, keepdims=keepdim)


def _nansum_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    axes = reduced_axes(dim, len(x.shape))
    return xp.where(xp.isnan(x), xp.zeros_like(x), xp.broadcast_to(_kept(xp, g, x.shape, axes), x.shape))


def nanmean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Mean over ``dim`` of the elements that are not NaN; floating inputs only."""
    import tapegrad

    if dtype is None and not input.is_floating_point():
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got {input.dtype}")
    ops = tapegrad.ops
    total = ops.nansum(input, dim=dim, keepdim=keepdim, dtype=dtype)
    return total / ops.sum(ops.logical_not(ops.isnan(input)), dim=dim, keepdim=keepdim)


def _count_nonzero(xp: Any, x: Any, dim: Any = None) -> Any:
    """The number (int64) of non-zero elements over ``dim`` (every dimension by default)."""
    return xp.sum(xp.astype(x != 0, xp.int64), axis=reduced_axes(dim, x.ndim))


def _moment_mean(name: str) -> Any:
    def moment_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
                    correction: Any = None) -> Any:
        import tapegrad

        spread = getattr(tapegrad.ops, name)(input, dim, unbiased, keepdim, correction=correction)
        return spread, tapegrad.ops.mean(input, dim=dim, keepdim=keepdim)

    moment_mean.__name__ = moment_mean.__qualname__ = f"{name}_mean"
    moment_mean.__doc__ = f"The pair ``({name}(input, ...), mean(input, ...))`` over the same ``dim``."
    return moment_mean


def aminmax(input: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
    """The named pair ``(min, max)`` of ``input`` over ``dim`` (one int, or every dimension)."""
    import tapegrad

    if dim is not None and type(dim) in (tuple, list):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    as_flag(keepdim, "keepdim")
    if input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    ops = tapegrad.ops
    return AminmaxResult(ops.amin(input, dim=dim, keepdim=keepdim), ops.amax(input, dim=dim, keepdim=keepdim))


# ---------------------------------------------------------------------------- samples
_ZEROS = np.array([[0.5, 0.0, -1.5, 2.0], [1.2, 0.7, 0.0, 0.9]])
_TWO_ZEROS = np.array([[0.0, 1.5, 0.0, 2.0], [1.2, 0.0, 0.8, 0.0]])
SCAN_SAMPLES = [Sample((2, 3), dim=0), Sample((2, 3), dim=-1), Sample((2, 3, 4), dim=1), Sample((4,), dim=0),
                Sample((), dim=0), Sample((0, 3), dim=1), Sample((1, 3), dim=0)]
CUMPROD_SAMPLES = SCAN_SAMPLES + [Sample(_ZEROS, dim=1), Sample(_ZEROS.T, dim=0), Sample(_TWO_ZEROS, dim=1)]
CUM_EXTREMUM_SAMPLES = SCAN_SAMPLES  # distinct values: the values are not differentiable at ties
NAN_SAMPLES = [Sample((2, 3)), Sample((2, 3), dim=0), Sample((2, 3, 4), dim=(0, -1), keepdim=True), Sample(()),
               Sample(np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 0.5]]), dim=1),
               Sample(np.array([1.0, np.nan, -2.0]))]
COUNT_SAMPLES = [Sample(np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])), Sample((2, 3), dim=0), Sample(()),
                 Sample(np.array([[[0.0, 1.0], [0.0, 0.0]], [[3.0, 0.0], [1.0, 1.0]]]), dim=(0, 2))]
MOMENT_SAMPLES = [Sample((2, 3)), Sample((2, 3), dim=0), Sample((2, 3, 4), dim=(0, -1), keepdim=True),
                  Sample((4,), correction=0), Sample((3, 2), dim=0, unbiased=False)]
AMINMAX_SAMPLES = [Sample((2, 3)), Sample((2, 3), dim=1), Sample((2, 3, 4), dim=0, keepdim=True), Sample(())]


def _cum_extremum_ref(name: str) -> Any:
    """``(values, indices)`` of the running extremum, by a loop: the latest index on ties, NaN winning."""
    better = np.greater_equal if name == "cummax" else np.less_equal

    def row(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx = np.zeros(r.shape, np.int64)
        for j in range(1, r.size):
            k = idx[j - 1]
            idx[j] = j if (np.isnan(r[j]) or (not np.isnan(r[k]) and better(r[j], r[k]))) else k
        return r[idx], idx

    def reference(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
        if x.ndim == 0:
            return x, np.zeros((), np.int64)
        moved = np.moveaxis(x, dim, -1)
        pairs = [row(r) for r in moved.reshape(-1, moved.shape[-1])]
        values = np.array([v for v, _ in pairs], dtype=x.dtype).reshape(moved.shape)
        indices = np.array([i for _, i in pairs], dtype=np.int64).reshape(moved.shape)
        return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)

    return reference


def _moment_mean_ref(function: Any) -> Any:
    def reference(x: np.ndarray, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
                  correction: Any = None) -> tuple[np.ndarray, np.ndarray]:
        axis = None if dim is None else dim
        ddof = correction if correction is not None else 0 if unbiased is False else 1
        return function(x, axis=axis, ddof=ddof, keepdims=keepdim), np.mean(x, axis=axis, keepdims=keepdim)
    return reference


def _aminmax_ref(x: np.ndarray, *, dim: Any = None, keepdim: bool = False) -> tuple[np.ndarray, np.ndarray]:
    return np.min(x, axis=dim, keepdims=keepdim), np.max(x, axis=dim, keepdims=keepdim)


def _numpy_scan_ref(name: str) -> Any:
    def reference(x: Any, dim: Any, dtype: Any = None) -> Any:
        return x * 1 if np.ndim(x) == 0 else getattr(np, name).accumulate(x, axis=dim)

    return reference


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    scan: dict[str, Any] = dict(params=("dim",), param_aliases={"axis": "dim"})
    registry.register_op("cumprod", forward=_cumprod, vjp=(_cumprod_vjp,), saves=("inputs", "output"),
                         methods=("cumprod",), promotion="int64", samples=CUMPROD_SAMPLES,
                         reference=_numpy_scan_ref("multiply"), **scan, edge_cases=[
                             EdgeCase(np.array([2.0, 0.0, 3.0, 0.0, 0.0, 5.0]), params={"dim": 0},
                                      value=np.array([2.0, 0.0, 0.0, 0.0, 0.0, 0.0]), grads=(np.array([1.0, 8.0, 0.0, 0.0, 0.0, 0.0]),),
                                      why="PyTorch 2.13: past a slice's second zero every term holds another zero")])
    registry.register_op("logcumsumexp", forward=_logcumsumexp, vjp=(_logcumsumexp_vjp,), saves=("inputs", "output"),
                         methods=("logcumsumexp",), samples=SCAN_SAMPLES,
                         reference=_numpy_scan_ref("logaddexp"), **scan, edge_cases=[
                             EdgeCase(np.array([50.0, 0.0]), params={"dim": 0},
                                      grads=(np.array([2.0000000000000036, 1.9287498479639178e-22]),),
                                      why="PyTorch 2.13: a tiny gradient (exp(-50)) beside a large one keeps its digits")])
    for name, combine, result in (("cummax", "maximum", CummaxResult), ("cummin", "minimum", CumminResult)):
        reference = _cum_extremum_ref(name)
        registry.register_op(f"{name}_indices", forward=_cum_extremum_indices(name, combine), inspects_values=True, promotion=False,
                             zero_gradient=True, samples=CUM_EXTREMUM_SAMPLES,
                             reference=lambda x, dim, reference=reference: reference(x, dim)[1], **scan)
        registry.register_composite(name, _cum_extremum(name, result), inspects_values=True, methods=(name,), samples=CUM_EXTREMUM_SAMPLES,
                                    reference=reference)
    registry.register_op("nansum", forward=_nansum, vjp=(_nansum_vjp,), saves=("inputs",), methods=("nansum",),
                         promotion="int64", samples=NAN_SAMPLES, reference=lambda x, dim=None, keepdim=False: np.nansum(
                             x, axis=None if dim is None else dim, keepdims=keepdim), **REDUCTION_PARAMS)
    registry.register_composite("nanmean", nanmean, methods=("nanmean",), samples=NAN_SAMPLES,
                                reference=lambda x, dim=None, keepdim=False: np.nanmean(x, axis=dim, keepdims=keepdim))
    registry.register_op("count_nonzero", forward=_count_nonzero, methods=("count_nonzero",), promotion=False,
                         zero_gradient=True,
                         params=("dim",), param_aliases={"axis": "dim"}, samples=COUNT_SAMPLES,
                         reference=lambda x, dim=None: np.count_nonzero(x, axis=dim))
    for name in ("var", "std"):
        registry.register_composite(f"{name}_mean", _moment_mean(name), samples=MOMENT_SAMPLES,
                                    reference=_moment_mean_ref(getattr(np, name)))
    registry.register_composite("aminmax", aminmax, methods=("aminmax",), samples=AMINMAX_SAMPLES,
                                reference=_aminmax_ref)
