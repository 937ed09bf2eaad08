"""Reductions over dimensions, and the ops built on them.

- sums and products: ``sum``, ``mean``, ``prod``;
- extrema: ``amax``/``amin``, ``max``/``min`` (PyTorch's forms), ``argmax``/``argmin``;
- moments: ``var``, ``std`` (``correction``, or PyTorch's older ``unbiased``);
- ``norm`` (vector p-norms);
- the log-sum-exp family: ``logsumexp``, ``softmax``, ``log_softmax``;
- scans: ``cumsum``;
- truth: ``all``, ``any`` (bool results, no gradient).

``dim`` is None (every dimension), an int, or a sequence of ints, negative ones
counting from the end; ``keepdim`` keeps reduced dimensions with size 1. NumPy's
``axis``/``keepdims`` spellings are accepted too. Ops that PyTorch defines along one
dimension (``argmax`` with a dim, ``softmax``, ``log_softmax``, ``cumsum``) take one int.

Gradients at non-differentiable points follow PyTorch's documentation:

- ``amax``/``amin``, and ``max``/``min`` without ``dim``, split the gradient evenly
  between tied extrema; at NaN ``amax``'s gradient is NaN and ``max``'s is shared between
  the NaNs, as PyTorch's. ``max(x, dim)``/``min(x, dim)`` return PyTorch's
  ``(values, indices)`` pair and send the gradient to the returned index alone.
- ``prod`` is exact where inputs are zero: the gradient of each element is the product
  of the others, so with one zero in a slice only that zero's entry is non-zero, and
  with two or more the slice's gradient is all zero. Its second derivative is exact too
  while a slice holds at most one zero (with two or more, the terms pairing two zeros
  are left out).
- ``norm``: the gradient of the 2-norm at 0 is 0; of the 1-norm, ``sign(x)``; of the
  inf-norm, split evenly between tied ``|x|``.
- ``std`` at a constant slice has gradient 0 (PyTorch 2.13's rule, not 0 / 0); ``norm`` with
  ``p < 1`` has gradient 0 at zero entries and wherever the norm is 0.
- Counts and float16: the gradient's scale factors (``1 / N``, the share of a tie) are
  computed in float64 and never as a float16 number, which overflows at 65,504 elements;
  float16 sums inside ``norm``, ``softmax`` and ``cumsum`` accumulate in float32 and round
  once, as PyTorch's CPU kernels do.

The VJPs use comparisons (``==``), ``where``, ``abs``, ``sign`` and ``flip``: on arrays
these are the backend's own; under ``create_graph=True`` they are the registered ops of
the same names (``ops_builtin/elementwise.py``, ``shape.py``), so every rule here is
differentiable again.

"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from tapegrad.backends import UnknownSizeError, has_unknown_size, is_lazy
from tapegrad.dims import as_flag, as_int, axis, known_size
from tapegrad.dtypes import in_namespace
from tapegrad.ops_builtin.elementwise import sign
from tapegrad.return_types import return_type
from tapegrad.testing.samples import EdgeCase, Sample
from tapegrad.registry import LaterModule

from . import references as ref


from . import batching_rules as batch
from . import node_names

if TYPE_CHECKING:
    from tapegrad import Registry

ec = LaterModule(__package__ + ".edge_cases")  # the special points, made when the kit asks
_ndarray = np.ndarray
_F64 = np.dtype(np.float64)

# ---------------------------------------------------------------------------- dimensions
REDUCTION_PARAMS: dict[str, Any] = dict(params=("dim", "keepdim"), param_aliases={"axis": "dim", "keepdims": "keepdim"})


def reduced_axes(dim: Any, ndim: int, keepdim: Any = False) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes; None or an empty sequence means all.
    ``keepdim``, given by the forwards, must be a bool (``keepdim='yes'`` is refused)."""
    if keepdim is not False and keepdim is not True:
        as_flag(keepdim, "keepdim")
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is tuple or type(dim) is list:
        dims = tuple([as_int(d) for d in dim])
    else:
        try:
            dims = (as_int(dim),)
        except TypeError:
            if not isinstance(dim, Iterable) or isinstance(dim, (str, bytes)):
                raise
            dims = tuple([as_int(d) for d in dim])
    if not dims:
        return tuple(range(ndim))
    axes: list[int] = []
    for d in dims:
        a = axis(d, ndim)
        if a in axes:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        axes.append(a)
    return tuple(sorted(axes)) if ndim else ()


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with every reduced axis set to 1: where a reduction's cotangent broadcasts from."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1
    for a in axes:
        n *= known_size(shape[a], "counting the reduced elements")
    return n


def _is_half(xp: Any, x: Any) -> bool:
    half = getattr(xp, "float16", None)
    return half is not None and x.dtype == half


def _wide(xp: Any, x: Any) -> Any:
    """``x`` in float32 if it is float16: what a float16 sum accumulates in (it overflows at 65,504)."""
    return xp.astype(x, xp.float32) if _is_half(xp, x) else x


def _narrow_to(xp: Any, out: Any, like: Any) -> Any:
    """A result computed from ``_wide(xp, like)`` back in float16 if ``like`` was float16."""
    return xp.astype(out, like.dtype) if _is_half(xp, like) else out


# ---------------------------------------------------------------------------- sum, mean
def _sum(xp: Any, x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Sum of elements over ``dim`` (every dimension by default); ``dtype`` casts the input first."""
    if dtype is not None:
        x = xp.astype(x, in_namespace(xp, dtype))
    return xp.sum(x, axis=reduced_axes(dim, x.ndim, keepdim), keepdims=keepdim)


def _sum_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    return _spread(xp, g, x, dim)


def _spread(xp: Any, g: Any, x: Any, dim: Any) -> Any:
    """A reduction's cotangent ``g`` broadcast back over the reduced axes of ``x``. A 0-d ``g``
    (every axis reduced, no keepdim) broadcasts as it is: no reshape to all-ones first."""
    try:
        if g.ndim == 0:
            return xp.broadcast_to(g, x.shape)
        return xp.broadcast_to(xp.reshape(g, kept_shape(x.shape, reduced_axes(dim, x.ndim))), x.shape)
    except (TypeError, ValueError):
        if not has_unknown_size(x):
            raise
    # A size unknown until computed (Dask after a boolean mask) makes no shape to broadcast to; the
    # input itself is kept (no stand-in for it), and an array of zeros like it has its blocks.
    return xp.zeros_like(x, dtype=g.dtype) + _kept(xp, g, x.shape, reduced_axes(dim, x.ndim))


def _mean(xp: Any, x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Mean of elements over ``dim`` (every dimension by default); floating inputs only, or a
    floating ``dtype`` to cast the input to first."""
    if dtype is not None:
        x = xp.astype(x, in_namespace(xp, dtype))
    # A NumPy dtype's kind answers first: isdtype costs a microsecond, more than the mean of a small array.
    if getattr(x.dtype, "kind", None) not in ("f", "c") and not xp.isdtype(x.dtype, ("real floating", "complex floating")):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {x.dtype}; convert the tensor with .to(tapegrad.float32) first"
        )
    axes = None if dim is None and keepdim is False else reduced_axes(dim, x.ndim, keepdim)  # None: every axis
    return xp.mean(x, axis=axes, keepdims=keepdim)


def _mean_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    if dim is None and type(g) is _ndarray and g.shape == ():  # a NumPy mean of every element (a loss)
        n = math.prod(x.shape)
        # A fresh array of the one value: no reduction bookkeeping, no read-only view for backward to
        # copy. float64 scales as a Python float (the same IEEE product); other dtypes, in their own.
        value = (float(g) if g.dtype is _F64 else g) * (1.0 / n if n else math.nan)
        spread = np.empty(x.shape, g.dtype)
        spread.fill(value)
        return spread
    axes = reduced_axes(dim, x.ndim)
    try:
        n = _count(x.shape, axes)
    except UnknownSizeError:  # a size unknown until computed (Dask after a mask): the count is lazy too
        return _spread(xp, xp.astype(g / _lazy_count(xp, x, axes, keepdim), g.dtype), x, dim)
    scale = 1.0 / n if n else math.nan  # a Python float: weak, so no dtype overflows (float16 at 65,504)
    return _spread(xp, g * scale, x, dim)


def _single_dim(name: str, dim: Any, ndim: int) -> int:
    """One dimension as a non-negative axis, for ops PyTorch defines along one dimension."""
    if dim is None or type(dim) in (tuple, list):
        raise TypeError(f"{name}(): dim must be a single int, got {dim!r}")
    axes = reduced_axes(dim, ndim)
    return axes[0] if axes else 0


def _require_floating(name: str, xp: Any, x: Any) -> None:
    if not xp.isdtype(x.dtype, ("real floating", "complex floating")):
        raise RuntimeError(
            f"{name}(): expected a floating point tensor as input, got {x.dtype}; "
            "convert it with .to(tapegrad.float32) first"
        )


def _kept(xp: Any, value: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """A reduction's result (or cotangent) with its reduced dimensions back as size 1: new axes by
    indexing, which needs no size (a reshape would, and Dask's expand_dims reshapes)."""
    if value.ndim == len(shape):
        return value  # reduced with keepdim
    return value[tuple([None if i in axes else slice(None) for i in range(len(shape))])]


def _lazy_count(xp: Any, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """The number of elements reduced over ``axes``, as an array: where a size is unknown until
    computed (Dask after a mask), it is computed with the rest. Float64, so no dtype overflows."""
    return xp.sum(xp.ones_like(x, dtype=xp.float64), axis=axes, keepdims=keepdims)


# ---------------------------------------------------------------------------- prod
def _prod(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Product of elements over ``dim`` (every dimension by default)."""
    return xp.prod(x, axis=reduced_axes(dim, x.ndim, keepdim), keepdims=keepdim)


def _prod_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    # The cotangent of x[i] is g times the product of the *other* elements of its slice.
    axes = reduced_axes(dim, x.ndim)
    g, ans = _kept(xp, g, x.shape, axes), _kept(xp, ans, x.shape, axes)
    if not is_lazy(x) and bool(xp.all(x)):  # no zeros anywhere: the others' product is prod / x[i]
        return g * ans / x  # (on a lazy backend the general form below, which needs no look at x)
    # With zeros, lift each zero to 1 ("lifted") so division is safe, then put the zeros
    # back as the factor x_k / lifted_k (0, but with the right derivative in x_k):
    #   prod_{j != i} x_j = [prod_{j != i} lifted_j] * prod_{zeros k != i} x_k / lifted_k
    # For i not a zero the last product runs over every zero ("every_zero"); for i a zero
    # it is 1 when i is its slice's only zero and 0 otherwise (held constant).
    zero = x == 0
    lifted = xp.where(zero, x + 1, x)
    others = xp.prod(lifted, axis=axes, keepdims=True) / lifted
    every_zero = xp.prod(x / lifted, axis=axes, keepdims=True)
    count = xp.sum(xp.astype(zero, x.dtype), axis=axes, keepdims=True)
    alone = xp.astype(count == 1, x.dtype)
    return g * others * xp.where(zero, alone, every_zero)


# ---------------------------------------------------------------------------- extrema
def _nonempty(name: str, x: Any, axes: tuple[int, ...], dim: Any) -> None:
    if any(known_size(x.shape[a], f"{name}() (whether the reduced dimension is empty)") == 0 for a in axes):
        if dim is None:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        which = axes[0] if len(axes) == 1 else list(axes)
        raise IndexError(f"{name}(): Expected reduction dim {which} to have non-zero size.")


def _amax(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Largest element over ``dim`` (every dimension by default); ties share the gradient evenly."""
    axes = reduced_axes(dim, x.ndim, keepdim)
    _nonempty("amax", x, axes, dim)
    return xp.max(x, axis=axes, keepdims=keepdim)


def _amin(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Smallest element over ``dim`` (every dimension by default); ties share the gradient evenly."""
    axes = reduced_axes(dim, x.ndim, keepdim)
    _nonempty("amin", x, axes, dim)
    return xp.min(x, axis=axes, keepdims=keepdim)


def _even_split(xp: Any, g: Any, hit: Any, axes: tuple[int, ...]) -> Any:
    """``g`` shared evenly between the elements of each slice where ``hit`` (bool) is True; the
    shares are counted in float64, exact where a float16 count would overflow or round."""
    hit = xp.astype(hit, xp.float64)
    return g * xp.astype(hit / xp.sum(hit, axis=axes, keepdims=True), g.dtype)


def _extremum_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    axes = reduced_axes(dim, x.ndim)
    return _even_split(xp, _kept(xp, g, x.shape, axes), x == _kept(xp, ans, x.shape, axes), axes)


def _arg_extremum(name: str, xp: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    if keepdim is not False and keepdim is not True:
        as_flag(keepdim, "keepdim")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        flat = getattr(xp, name)(xp.reshape(x, (-1,)))
        out = xp.reshape(flat, (1,) * x.ndim) if keepdim else flat
    else:
        axis = _single_dim(name, dim, x.ndim)
        if x.ndim == 0:
            out = xp.zeros((), dtype=xp.int64)
        else:
            _nonempty(name, x, (axis,), dim)
            out = getattr(xp, name)(x, axis=axis, keepdims=keepdim)
    return xp.astype(out, xp.int64)


def _argmax(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Index (int64) of the largest element along ``dim``, or in the flattened tensor when
    ``dim`` is None; the first one on ties. No gradient."""
    return _arg_extremum("argmax", xp, x, dim, keepdim)


def _argmin(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Index (int64) of the smallest element along ``dim``, or in the flattened tensor when
    ``dim`` is None; the first one on ties. No gradient."""
    return _arg_extremum("argmin", xp, x, dim, keepdim)


# PyTorch's torch.return_types.max / .min: a named pair (values, indices).
MaxResult = return_type("max", ["values", "indices"])
MinResult = return_type("min", ["values", "indices"])


def _max_min(name: str, values_op: str, indices_op: str, elementwise_op: str, result: Any) -> Any:
    def reduce(input: Any, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
        import tapegrad

        if "axis" in aliases:
            dim = aliases.pop("axis")
        if "keepdims" in aliases:
            keepdim = aliases.pop("keepdims")
        if aliases:
            raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(aliases))!r}")
        if isinstance(dim, (tapegrad.Tensor, np.ndarray)):  # torch.max(input, other)
            return getattr(tapegrad.ops, elementwise_op)(input, dim)
        if type(dim) in (tuple, list):
            raise TypeError(f"{name}(): dim must be a single int, got {dim!r}; use {values_op} for several dims")
        try:
            if dim is None:
                return _nan_shared(input, getattr(tapegrad.ops, values_op)(input, keepdim=keepdim))
            indices = getattr(tapegrad.ops, indices_op)(input, dim=dim, keepdim=keepdim)
            if type(input) is not tapegrad.Tensor:
                return result(getattr(tapegrad.ops, values_op)(input, dim=dim, keepdim=keepdim), indices)
            if input.ndim == 0:  # the one element is the extremum, NaN or not: the gradient passes through
                return result(tapegrad.ops.reshape(input, ()), indices)
            if is_lazy(input):  # read through a one-hot of the indices: no index leaves the lazy graph
                d = axis(dim, input.ndim)
                n = input.shape[d]
                positions = tapegrad.arange(n).to(input.device).reshape([n if k == d else 1 for k in range(input.ndim)])
                onehot = tapegrad.ops.eq(positions, indices if keepdim else indices.unsqueeze(d))
                picked = tapegrad.ops.where(onehot, input, 0.0).sum(dim=d, keepdim=keepdim)
                return result(picked, indices)
            # As PyTorch: the values are read at the returned indices, so their gradient goes there alone.
            picked = tapegrad.ops.gather(input, dim=dim, index=indices if keepdim else indices.unsqueeze(dim))
            return result(picked if keepdim else picked.squeeze(dim), indices)
        except (TypeError, IndexError, RuntimeError) as exc:  # the user called max(), not amax()
            if len(exc.args) == 1 and type(exc.args[0]) is str:
                exc.args = (exc.args[0].replace(f"{indices_op}()", f"{name}()").replace(f"{values_op}()", f"{name}()"),)
            raise

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = (  # text, not math (benchmarks/mutate_kit.py leaves __doc__ assignments alone)
        f"PyTorch's ``{name}``: ``{name}(x)`` is the {'largest' if name == 'max' else 'smallest'} element (ties share the gradient evenly, and "
        f"so do NaNs, which win); ``{name}(x, dim, keepdim=False)`` is the pair ``(values, indices)`` along "
        f"``dim``, the gradient going to the returned index (the first on ties or NaN), as PyTorch's; "
        f"``{name}(x, other)`` is ``{elementwise_op}(x, other)``."
    )
    return reduce


def _extremum_name(base: str) -> Any:
    """PyTorch's names: ``x.max()`` is ``MaxBackward1``, ``x.max(dim)`` ``MaxBackward0``;
    ``max(x, other)`` keeps ``MaximumBackward0``."""
    def rule(input: Any, dim: Any = None, *rest: Any, **params: Any) -> str | None:
        if dim is None:
            return f"{base}Backward1"
        return None if hasattr(dim, "shape") else f"{base}Backward0"

    return rule


def _nan_shared(input: Any, values: Any) -> Any:
    """``max(x)``/``min(x)`` where ``x`` holds NaN: NaN, its gradient shared evenly between the
    NaN entries (PyTorch's ``evenly_distribute_backward``; ``amax`` gives NaN gradients)."""
    import tapegrad

    if type(input) is not tapegrad.Tensor or not input.is_floating_point():
        return values
    if is_lazy(input):  # the same without looking: the winners are the NaNs if any, else the extrema
        ops = tapegrad.ops
        nan = ops.isnan(input)
        winners = ops.where(nan.any(), nan, ops.eq(input, values.detach()))
        share = ops.where(winners, input, 0.0).sum() / winners.to(input.dtype).sum()
        return ops.reshape(share, tuple(values.shape))
    if not bool(tapegrad.ops.isnan(values).any()):
        return values
    return tapegrad.ops.reshape(input[tapegrad.ops.isnan(input)].mean(), tuple(values.shape))


# ---------------------------------------------------------------------------- var, std
def _moments(name: str, ndim: int, dim: Any, correction: Any, unbiased: Any,
             keepdim: Any = False) -> tuple[tuple[int, ...], Any]:
    """The reduced axes and the correction, from PyTorch's two spellings of the divisor."""
    if isinstance(dim, bool):  # var(x, True): the older var(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{name}() got multiple values for argument 'unbiased'")
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{name}(): give either correction or unbiased, not both")
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{name}(): unbiased must be a bool, got {type(unbiased).__name__}")
        correction = 1 if unbiased else 0
    if correction is None:
        correction = 1
    elif isinstance(correction, bool) or not isinstance(correction, numbers.Real):
        raise TypeError(f"{name}(): correction must be a real number, got {type(correction).__name__}")
    return reduced_axes(dim, ndim, keepdim), correction


def _var(xp: Any, x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
         correction: Any = None) -> Any:
    """Variance over ``dim`` (every dimension by default): the sum of squared deviations from the
    mean divided by ``N - correction`` (``correction=1``, Bessel's, by default; ``unbiased=False``
    means ``correction=0``)."""
    _require_floating("var", xp, x)
    axes, c = _moments("var", x.ndim, dim, correction, unbiased, keepdim)
    if _no_dof("var", x, axes, c):
        return _in_float64(xp, x, lambda w: _spent_var(xp, w, axes, keepdim))
    return _in_float64(xp, x, lambda w: xp.var(w, axis=axes, correction=c, keepdims=keepdim))


def _std(xp: Any, x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
         correction: Any = None) -> Any:
    """Standard deviation over ``dim``: the square root of ``var`` with the same ``correction``."""
    _require_floating("std", xp, x)
    axes, c = _moments("std", x.ndim, dim, correction, unbiased, keepdim)
    if _no_dof("std", x, axes, c):
        return _in_float64(xp, x, lambda w: xp.sqrt(_spent_var(xp, w, axes, keepdim)))
    return _in_float64(xp, x, lambda w: xp.std(w, axis=axes, correction=c, keepdims=keepdim))


def _no_dof(name: str, x: Any, axes: tuple[int, ...], correction: Any) -> bool:
    """Whether ``N - correction <= 0`` (where N is known), warning in PyTorch's words as PyTorch does."""
    try:
        if _count(x.shape, axes) - correction > 0:
            return False
    except UnknownSizeError:
        return False  # counted with the values: NumPy's division gives the same inf and NaN
    from .nn_losses import warn_user

    warn_user(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor "
              "(input numel divided by output numel).")
    return True


def _spent_var(xp: Any, w: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
    """PyTorch's variance with no degree of freedom left: the squared deviations over ``max(0, N -
    correction)``, so 0: inf, or NaN where every deviation is 0 (without NumPy's warnings)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # an empty slice's mean is NaN too, quietly
        mean = xp.sum(w, axis=axes, keepdims=True) / _count(tuple(w.shape), axes)
        return xp.sum(xp.square(w - mean), axis=axes, keepdims=keepdim) / 0.0


def _in_float64(xp: Any, x: Any, moment: Any) -> Any:
    """``moment(x)`` accumulated in float64 and rounded once, as PyTorch's CPU kernels accumulate
    float32 moments: a float32 deviation of 1e-30 would square to 0 and give std 0."""
    if x.dtype == xp.float64:
        return moment(x)
    return xp.astype(moment(xp.astype(x, xp.float64)), x.dtype)


def _inverse_dof(xp: Any, x: Any, axes: tuple[int, ...], correction: Any) -> Any:
    """``1 / (N - correction)``: infinity (NaN at the mean) when N == correction, as PyTorch's. A Python
    float, or, where N is unknown until computed, a lazy array that broadcasts against ``x``."""
    try:
        dof = _count(x.shape, axes) - correction
    except UnknownSizeError:
        lazy = _lazy_count(xp, x, axes, True) - correction
        return xp.where(lazy == 0, math.inf, 1.0 / xp.where(lazy == 0, 1.0, lazy))
    return 1.0 / dof if dof else math.inf


def _var_slope(xp: Any, x: Any, dim: Any, axes: tuple[int, ...], correction: Any) -> Any:
    """``d var / d x`` per unit cotangent, as PyTorch 2.13's ``var_backward``: ``2 (x - mean) / (N -
    correction)``, infinite (NaN at the mean) where N == correction and negative where N < correction
    over a ``dim`` given; but over the whole tensor (no ``dim``, or a 0-d tensor) with ``N - correction
    <= 0``, infinite, NaN at the mean, whatever the sign of ``N - correction``."""
    mean = xp.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    if dim is None or isinstance(dim, bool) or not len(x.shape):
        try:
            dof = _count(x.shape, axes) - correction
        except UnknownSizeError:
            lazy = _lazy_count(xp, x, axes, True) - correction
            spent = xp.where(x == mean, math.nan, xp.zeros_like(x) + math.inf)
            return xp.where(lazy <= 0, spent, centered * (2 / xp.where(lazy <= 0, 1.0, lazy)))
        if dof <= 0:
            return xp.where(x == mean, math.nan, xp.zeros_like(x) + math.inf)
    return centered * (2 * _inverse_dof(xp, x, axes, correction))


def _var_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
             *, correction: Any = None) -> Any:
    axes, c = _moments("var", len(x.shape), dim, correction, unbiased)
    return _kept(xp, g, x.shape, axes) * _var_slope(xp, x, dim, axes, c)


def _std_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
             *, correction: Any = None) -> Any:
    axes, c = _moments("std", len(x.shape), dim, correction, unbiased)
    # As PyTorch 2.13: var's slope times g / (2 std), that 0 where std is 0 (not 0 / 0); NaN stays where std is NaN.
    std = _kept(xp, ans, x.shape, axes)
    zero = std == 0
    scale = xp.where(zero, 0.0, _kept(xp, g, x.shape, axes) / xp.where(zero, 1.0, 2 * std))
    return scale * _var_slope(xp, x, dim, axes, c)


# ---------------------------------------------------------------------------- norm
def _norm_order(p: Any) -> float:
    if p == "fro":
        return 2.0
    if isinstance(p, str):
        raise RuntimeError(f"norm(): the matrix norm {p!r} is not supported; p must be a number, inf, -inf or 'fro'")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"norm(): p must be a number or 'fro', got {type(p).__name__}")
    return float(p)


def _norm(xp: Any, x: Any, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    """Vector p-norm over ``dim`` (every dimension by default): ``p=2`` (default; ``'fro'`` is the
    same), ``1``, ``inf`` (largest ``|x|``), ``-inf`` (smallest), ``0`` (count of non-zeros) or any
    real ``p``, ``sum(|x|**p) ** (1/p)``. ``ord``/``axis``/``keepdims`` spellings are accepted."""
    order = _norm_order(p)
    _require_floating("norm", xp, x)
    axes = reduced_axes(dim, x.ndim, keepdim)
    if 0 in x.shape and (order < 0 or order == math.inf):
        _refuse_empty_reduced(tuple(x.shape), order, dim)
    return _narrow_to(xp, _vector_norm(xp, _wide(xp, x), order, axes, keepdim), x)


def _refuse_empty_reduced(shape: tuple[int, ...], order: float, dim: Any) -> None:
    """PyTorch's: a norm without an identity (``p < 0`` or ``inf``; ``-inf`` among them) refuses an
    empty tensor reduced whole, and each empty dimension it reduces, naming it as given; over
    non-empty dimensions of an empty tensor it gives an empty result."""
    if dim is None or (type(dim) in (tuple, list) and not dim):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {order:g} norm on an empty tensor because the "
                           "operation does not have an identity")
    for d in (dim if type(dim) in (tuple, list) else (dim,)):
        if shape[axis(as_int(d), len(shape))] == 0:
            # PyTorch 2.13's words exactly, no space before "because" included
            raise RuntimeError(f"linalg.vector_norm cannot compute the {order:g} norm on the dimension {as_int(d)}"
                               "because this dimension is empty and the operation does not have an identity")


def _vector_norm(xp: Any, x: Any, order: float, axes: tuple[int, ...], keepdim: bool) -> Any:
    if order == 0:
        return xp.sum(xp.astype(x != 0, x.dtype), axis=axes, keepdims=keepdim)
    size = xp.abs(x)
    if math.isinf(order):  # an empty reduced dimension was refused (_refuse_empty_reduced)
        return (xp.max if order > 0 else xp.min)(size, axis=axes, keepdims=keepdim)
    if order == 1:
        return xp.sum(size, axis=axes, keepdims=keepdim)
    if 0 in x.shape:
        return xp.sum(size ** order, axis=axes, keepdims=keepdim) ** (1.0 / order)
    # Scaled by the dominant |x| (the largest for p > 0, the smallest for p < 0), so |x|**p neither
    # overflows (1e300 ** 2) nor underflows (1e-30 ** 2 in float32) where the norm is representable.
    m = (xp.max if order > 0 else xp.min)(size, axis=axes, keepdims=True)
    scale = xp.where((m == 0) | xp.logical_not(xp.isfinite(m)), xp.ones_like(m), m)
    out = scale * xp.sum((size / scale) ** order, axis=axes, keepdims=True) ** (1.0 / order)
    return out if keepdim else xp.reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _norm_vjp(xp: Any, g: Any, ans: Any, x: Any, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    order = _norm_order(p)
    axes = reduced_axes(dim, x.ndim)
    g, norm = _kept(xp, g, x.shape, axes), _kept(xp, ans, x.shape, axes)
    if order == 0:
        return g * xp.zeros_like(x)
    if order == 1:
        return g * sign(xp, x)  # sign(nan) is 0, as PyTorch's sgn
    size = xp.abs(x)
    if math.isinf(order):  # amax of |x|, a NaN counting as the extremum (PyTorch's rule)
        return sign(xp, x) * _even_split(xp, g, (size == norm) | xp.isnan(size), axes)
    flat = norm == 0
    safe_norm = xp.where(flat, xp.ones_like(norm), norm)
    if order == 2:  # x / norm, and 0 where the norm is 0 (PyTorch's subgradient)
        return g * x / safe_norm
    # d/dx (sum |x|^p)^(1/p) = sign(x) (|x| / norm)^(p-1), in logarithms so that neither the ratio
    # (1e-30 / 1e300) nor its power under- or overflows unless the gradient itself does. As PyTorch:
    # 0 at zero entries (infinite there for p < 1) and where the norm is 0.
    skip = (x == 0) | flat
    log_ratio = xp.log(xp.where(skip, xp.ones_like(size), size)) - xp.log(safe_norm)
    return xp.where(skip, 0.0, g * sign(xp, x) * xp.exp(log_ratio * (order - 1)))


# ---------------------------------------------------------------------------- logsumexp, softmax, log_softmax
def _shifted(xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Any]:
    """``x - m`` and ``m``, ``m`` the maximum over ``axes`` (0 where it is infinite): exp never overflows."""
    m = xp.max(x, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return x - m, m


def _logsumexp(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """``log(sum(exp(x)))`` over ``dim`` (every dimension by default), computed stably."""
    axes = reduced_axes(dim, x.ndim, keepdim)
    if 0 in x.shape:
        return xp.log(xp.sum(xp.exp(x), axis=axes, keepdims=keepdim))
    s, m = _shifted(xp, x, axes)
    out = xp.log(xp.sum(xp.exp(s), axis=axes, keepdims=True)) + m
    return out if keepdim else xp.reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _logsumexp_vjp(xp: Any, g: Any, ans: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    axes = reduced_axes(dim, x.ndim)
    return _kept(xp, g, x.shape, axes) * xp.exp(x - _kept(xp, ans, x.shape, axes))


def _softmax_input(name: str, xp: Any, x: Any, dim: Any, dtype: Any) -> tuple[Any, tuple[int, ...]]:
    if dtype is not None:
        x = xp.astype(x, in_namespace(xp, dtype))
    if not xp.isdtype(x.dtype, "real floating"):
        raise RuntimeError(f"{name}(): expected a floating point tensor, got {x.dtype}; pass dtype=tapegrad.float32")
    axis = _single_dim(name, dim, x.ndim)
    return x, ((axis,) if x.ndim else ())


def _softmax(xp: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` along ``dim``, computed from ``x - max`` so large inputs do not
    overflow; each slice sums to 1. ``dtype`` casts the input first."""
    x, axes = _softmax_input("softmax", xp, x, dim, dtype)
    if 0 in x.shape:
        return xp.exp(x)
    wide = _wide(xp, x)
    e = xp.exp(wide - xp.max(wide, axis=axes, keepdims=True))  # an infinite max gives NaN, as PyTorch's
    return _narrow_to(xp, e / xp.sum(e, axis=axes, keepdims=True), x)


def _log_softmax(xp: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    """``log(softmax(x, dim))``, computed as ``x - max - log(sum(exp(x - max)))``: stable and
    exact where the softmax itself would round to 0. ``dtype`` casts the input first."""
    x, axes = _softmax_input("log_softmax", xp, x, dim, dtype)
    if 0 in x.shape:
        return x - 0
    s = x - xp.max(x, axis=axes, keepdims=True)  # an infinite max gives NaN, as PyTorch's
    return s - xp.log(xp.sum(xp.exp(s), axis=axes, keepdims=True))


def _softmax_axes(x: Any, dim: Any) -> tuple[int, ...]:
    ndim = len(x.shape)
    return (_single_dim("softmax", dim, ndim),) if ndim else ()


def _softmax_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    return ans * (g - xp.sum(g * ans, axis=_softmax_axes(x, dim), keepdims=True))


def _log_softmax_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    return g - xp.exp(ans) * xp.sum(g, axis=_softmax_axes(x, dim), keepdims=True)


# ---------------------------------------------------------------------------- cumsum
def _cumsum(xp: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    """Running sum along ``dim``: ``out[i] = x[0] + ... + x[i]``. Integers and bools sum as
    int64 (the op's promotion); ``dtype`` casts the input first."""
    if dtype is not None:
        x = xp.astype(x, in_namespace(xp, dtype))
    axis = _single_dim("cumsum", dim, x.ndim)
    if x.ndim == 0:
        return xp.reshape(xp.cumulative_sum(xp.reshape(x, (1,)), axis=0), ())
    return _narrow_to(xp, xp.cumulative_sum(_wide(xp, x), axis=axis), x)


def _cumsum_vjp(xp: Any, g: Any, ans: Any, x: Any, *, dim: Any, dtype: Any = None) -> Any:
    # Each x[i] feeds out[i:], so its cotangent is the sum of g[i:]: a cumsum from the end.
    if len(x.shape) == 0:
        return g
    axis = _single_dim("cumsum", dim, len(x.shape))
    return xp.flip(xp.cumsum(xp.flip(g, axis=axis), axis=axis), axis=axis)


# ---------------------------------------------------------------------------- all, any
def _all(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """True where every element over ``dim`` is non-zero (every dimension by default); bool."""
    return xp.all(x, axis=reduced_axes(dim, x.ndim, keepdim), keepdims=keepdim)


def _any(xp: Any, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """True where some element over ``dim`` is non-zero (every dimension by default); bool."""
    return xp.any(x, axis=reduced_axes(dim, x.ndim, keepdim), keepdims=keepdim)


# ---------------------------------------------------------------------------- samples
SAMPLES = [
    Sample((2, 3)), Sample((2, 3), dim=0), Sample((2, 3, 4), dim=(0, -1), keepdim=True),
    Sample((3,), dim=-1, keepdim=True), Sample(()),
    Sample((2, 3), keepdim=True),  # every dim, kept: a one-element cotangent that is not 0-d
    Sample((1, 3), dim=0),  # a reduced dimension of size 1
    Sample((0, 3), dim=1),  # an empty tensor
    Sample((2, 3, 4), dim=(0, -1)),  # two dims apart, no keepdim: on Dask's unknown first size the count is lazy
]
# one zero in a slice, and two: prod's gradient there is the product of the others
PROD_SAMPLES = SAMPLES + [
    Sample(np.array([[0.5, 0.0, -1.5], [1.2, 0.7, 0.0]]), dim=1),
    Sample(np.array([[0.5, 0.0, -1.5], [1.2, 0.7, 2.0]])),
]
ONE_DIM = [Sample((2, 3), dim=0), Sample((2, 3), dim=-1), Sample((2, 3, 4), dim=1), Sample((3,), dim=0),
           Sample((), dim=0),
           Sample((1, 3), dim=0), Sample((0, 3), dim=1)]
ARG_SAMPLES = [Sample((2, 3)), Sample((2, 3), dim=1), Sample((2, 3, 4), dim=-2, keepdim=True),
               Sample((2, 3), keepdim=True), Sample(()),
               Sample((3,), dim=0), Sample((1, 3), dim=0)]
MOMENT_SAMPLES = [
    Sample((2, 3)), Sample((2, 3), dim=0), Sample((2, 3, 4), dim=(0, -1), keepdim=True),
    Sample((4,), correction=0), Sample((2, 5), dim=1, correction=2), Sample((3, 2), dim=0, unbiased=False),
    Sample((3, 2), dim=0, unbiased=True),
]


def _no_dof_points(name: str) -> list[EdgeCase]:
    """No degree of freedom left (N - correction <= 0), PyTorch 2.13's values and gradients (made when
    the kit asks): var divides by max(0, N - correction); its gradient 2 (x - mean) / (N - correction)
    is negative past N over a dim given, but over the whole tensor inf (NaN at the mean) whatever the
    sign; std's is var's times g / (2 std), so NaN wherever std is inf or NaN, 0 over a dim past N."""
    rows, nan3, inf3, inf, nan = [[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], [math.nan] * 3, [math.inf] * 3, math.inf, math.nan
    warns: dict[str, Any] = {"warns": UserWarning, "match": rf"^{name}\(\): degrees of freedom is <= 0\."}  # PyTorch's, at every point
    if name == "std":
        return [
            EdgeCase(rows, **warns, params={"correction": 7}, value=inf, grads=([nan3, nan3],), why="inf * 0 is NaN"),
            EdgeCase(rows, **warns, params={"dim": 1, "correction": 3}, value=[inf, nan], grads=([nan3, nan3],)),
            EdgeCase(rows, **warns, params={"dim": 1, "correction": 5, "keepdim": True}, value=[[inf], [nan]],
                     grads=([[0.0, 0.0, -0.0], nan3],), why="g / (2 std) is 0 where std is inf: -1 * 0 * (x - mean)"),
        ]
    return [
        EdgeCase(rows, **warns, params={"correction": 6}, value=inf, grads=([inf3, inf3],), why="N == correction"),
        EdgeCase(rows, **warns, params={"correction": 7}, value=inf, grads=([inf3, inf3],), why="past N: still inf"),
        EdgeCase([5.0, 5.0], **warns, params={"correction": 3}, value=nan, grads=([nan, nan],), why="NaN at the mean"),
        EdgeCase(np.array(2.0), **warns, params={"correction": 2}, value=nan, grads=(nan,), why="a 0-d tensor is whole"),
        EdgeCase(rows, **warns, params={"dim": 1, "correction": 3}, value=[inf, nan], grads=([[-inf, -inf, inf], nan3],),
                 why="over a dim, N == correction"),
        EdgeCase(rows, **warns, params={"dim": 1, "correction": 5, "keepdim": True}, value=[[inf], [nan]],
                 grads=([[4 / 3, 1 / 3, -5 / 3], [-0.0, -0.0, -0.0]],), why="over a dim past N: 2 / (N - correction) = -1"),
    ]


NORM_SAMPLES = [
    Sample((2, 3)), Sample((2, 3), dim=1), Sample((2, 3, 4), p=1, dim=(0, -1), keepdim=True),
    Sample((2, 3), p=math.inf, dim=0), Sample((3, 2), p=-math.inf), Sample((2, 3), p=3, dim=1),
    Sample((4,), p=1.5), Sample((2, 3), p=0, dim=0), Sample((2, 2), p="fro"), Sample(()),
]
NO_DIM = [Sample((2, 3)), Sample((4,)), Sample(())]


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    # sums and products
    registry.register_op("sum", forward=_sum, vjp=(_sum_vjp,), saves=(), methods=("sum",), promotion="int64",
                         reference=ref.reduction(np.sum),
                         node_name=node_names.with_dim("Sum"), batching=batch.reduction,
                         samples=SAMPLES, **REDUCTION_PARAMS)
    # A call without params is the namespace's own ``mean`` (NumPy's steps, no wrapper: the tutorial's
    # loss); calls with params, and the dtypes whose mean is not their own dtype (integers, refused
    # in _mean), take _mean.
    registry.register_op("mean", forward="mean", param_forward=_mean, vjp=(_mean_vjp,), saves=(), methods=("mean",),
                         reference=ref.reduction(np.mean),
                         node_name=node_names.with_dim("Mean"), batching=batch.reduction,
                         samples=SAMPLES, **REDUCTION_PARAMS)
    registry.register_op("prod", forward=_prod, vjp=(_prod_vjp,), saves=("inputs", "output"), methods=("prod",),
                         edge_cases=ec.PROD,
                         reference=ref.reduction(np.prod),
                         node_name=node_names.with_dim("Prod"), batching=batch.reduction,
                         promotion="int64",
                         samples=PROD_SAMPLES, **REDUCTION_PARAMS)
    # extrema
    for name, forward in (("amax", _amax), ("amin", _amin)):
        registry.register_op(name, forward=forward, vjp=(_extremum_vjp,), saves=("inputs", "output"),
                             edge_cases=ec.AMAX if name == "amax" else ec.AMIN,
                             reference=ref.reduction(np.max if name == "amax" else np.min),
                             methods=(name,), samples=SAMPLES, batching=batch.reduction, **REDUCTION_PARAMS)
    # max(x, dim) returns (values, indices): the kit checks the values.
    extremum_samples = [*NO_DIM, Sample((2, 3), dim=1), Sample((2, 3, 4), dim=0, keepdim=True), Sample((4,), dim=0)]
    registry.register_composite("max", _max_min("max", "amax", "argmax", "maximum", MaxResult),
                                reference=ref.max_min(np.max, np.argmax), node_name=_extremum_name("Max"),
                                edge_cases=ec(lambda ec: [ec.MAX_NAN, *ec.empty_extremum_points("max")]), methods=("max",), samples=extremum_samples)
    registry.register_composite("min", _max_min("min", "amin", "argmin", "minimum", MinResult),
                                reference=ref.max_min(np.min, np.argmin), node_name=_extremum_name("Min"),
                                edge_cases=ec(lambda ec: [ec.MAX_NAN, *ec.empty_extremum_points("min")]), methods=("min",), samples=extremum_samples)
    for name, forward in (("argmax", _argmax), ("argmin", _argmin)):
        registry.register_op(name, forward=forward, methods=(name,), promotion=False, samples=ARG_SAMPLES, **REDUCTION_PARAMS,
                             zero_gradient=True, batching=batch.reduction,
                             reference=ref.arg_extremum(getattr(np, name)))
    # moments
    moment_params: dict[str, Any] = dict(params=("dim", "unbiased", "keepdim"),
                         param_aliases={"axis": "dim", "keepdims": "keepdim", "ddof": "correction"})
    registry.register_op("var", forward=_var, vjp=(_var_vjp,), saves=("inputs",), methods=("var",),
                         edge_cases=ec(lambda ec: ec.VAR + _no_dof_points("var")),
                         reference=ref.moment(np.var), batching=batch.reduction,
                         samples=MOMENT_SAMPLES, **moment_params)
    registry.register_op("std", forward=_std, vjp=(_std_vjp,), saves=("inputs", "output"), methods=("std",),
                         edge_cases=ec(lambda ec: ec.STD + _no_dof_points("std")),
                         reference=ref.moment(np.std), batching=batch.reduction,
                         samples=MOMENT_SAMPLES, **moment_params)
    registry.register_op("norm", forward=_norm, vjp=(_norm_vjp,), saves=("inputs", "output"), methods=("norm",),
                         edge_cases=ec.NORM,
                         reference=ref.norm, batching=batch.reduction,
                         params=("p", "dim", "keepdim"),
                         param_aliases={"ord": "p", "axis": "dim", "keepdims": "keepdim"},
                         node_name="LinalgVectorNormBackward0", samples=NORM_SAMPLES)
    # the log-sum-exp family
    registry.register_op("logsumexp", forward=_logsumexp, vjp=(_logsumexp_vjp,), saves=("inputs", "output"),
                         edge_cases=ec.LOGSUMEXP,
                         reference=ref.logsumexp, batching=batch.reduction,
                         methods=("logsumexp",), promotion="float", samples=SAMPLES, **REDUCTION_PARAMS)
    softmax_params: dict[str, Any] = dict(params=("dim",), param_aliases={"axis": "dim"}, promotion=False, samples=ONE_DIM)
    registry.register_op("softmax", forward=_softmax, vjp=(_softmax_vjp,), saves=("output",),
                         edge_cases=ec.SOFTMAX,
                         reference=ref.softmax, batching=batch.along("dim"),
                         methods=("softmax",), aliases=("nn.functional.softmax",), **softmax_params)
    registry.register_op("log_softmax", forward=_log_softmax, vjp=(_log_softmax_vjp,), saves=("output",),
                         edge_cases=ec.LOG_SOFTMAX,
                         reference=ref.log_softmax, batching=batch.along("dim"),
                         methods=("log_softmax",), aliases=("nn.functional.log_softmax",), **softmax_params)
    # scans
    registry.register_op("cumsum", forward=_cumsum, vjp=(_cumsum_vjp,), saves=(), methods=("cumsum",),
                         reference=ref.cumsum, batching=batch.along("dim"),
                         params=("dim",), param_aliases={"axis": "dim"}, promotion="int64", samples=ONE_DIM)
    # truth
    for name, forward in (("all", _all), ("any", _any)):
        registry.register_op(name, forward=forward, methods=(name,), promotion=False, samples=SAMPLES,
                             zero_gradient=True,
                             reference=ref.reduction(getattr(np, name)), batching=batch.reduction,
                             **REDUCTION_PARAMS)
