"""Reference forwards for the conformance kit: each built-in op's values, written again in
plain NumPy (or as exact values at points, checked against PyTorch 2.13), independently
of the op's own code, so that a wrong forward fails the kit's ``reference`` check.

Each function takes the op's arrays as NumPy arrays and its static params by their
canonical names, as ``register_op(reference=...)`` documents. The ops' special points
(``edge_cases=``) live in ``edge_cases.py``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable

import numpy as np

from tapegrad.testing.samples import EdgeCase

# ---------------------------------------------------------------------------- elementwise
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def ndtr(x: Any) -> Any:
    return 0.5 * _erfc(-np.asarray(x) / math.sqrt(2.0))


def rsqrt(x: Any) -> Any:
    return np.power(x, -0.5)


def sigmoid(x: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(np.asarray(x) / 2.0))


def relu(x: Any) -> Any:
    return np.where(x > 0, x, 0.0)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    return np.where(x > 0, x, negative_slope * np.asarray(x))


def softplus(x: Any, beta: float = 1, threshold: float = 20) -> Any:
    return np.where(x * beta > threshold, x, np.logaddexp(0.0, beta * np.asarray(x)) / beta)


def gelu(x: Any, approximate: str = "none") -> Any:
    x = np.asarray(x)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return x * ndtr(x)


def clamp(x: Any, min: float | None = None, max: float | None = None) -> Any:
    return np.clip(x, min, max)  # NumPy's clip also gives max where min > max, as PyTorch's


def where(condition: Any, x: Any, y: Any) -> Any:
    return np.where(condition, x, y)


def round_(x: Any, decimals: int = 0) -> Any:
    return np.round(x, decimals)


def fill(x: Any, value: Any) -> Any:
    return np.full_like(x, value)


# ---------------------------------------------------------------------------- reductions
def _axis(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def reduction(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function(x, axis=, keepdims=)`` with PyTorch's ``dim``/``keepdim`` spelling."""
    def reference(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        return np.asarray(function(x, axis=_axis(dim), keepdims=keepdim))

    return reference


def logsumexp(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    return np.log(np.sum(np.exp(x), axis=_axis(dim), keepdims=keepdim))


def arg_extremum(function: Callable[..., Any]) -> Callable[..., Any]:
    def reference(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        if np.ndim(x) == 0:
            return np.asarray(0, dtype=np.int64)
        return np.asarray(function(x, axis=dim, keepdims=keepdim), dtype=np.int64)

    return reference


def max_min(values: Callable[..., Any], indices: Callable[..., Any]) -> Callable[..., Any]:
    """PyTorch's ``max(x)``, and ``max(x, dim)`` as the pair (values, indices)."""
    def reference(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            return values(x, axis=None, keepdims=keepdim)
        return values(x, axis=dim, keepdims=keepdim), indices(x, axis=dim, keepdims=keepdim)

    return reference


def _correction(correction: Any, unbiased: Any) -> Any:
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def moment(function: Callable[..., Any]) -> Callable[..., Any]:
    def reference(x: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
                  correction: Any = None) -> Any:
        return np.asarray(function(x, axis=_axis(dim), ddof=_correction(correction, unbiased), keepdims=keepdim))

    return reference


def norm(x: Any, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    order = 2.0 if p == "fro" else float(p)
    return np.asarray(np.linalg.vector_norm(x, ord=order, axis=_axis(dim), keepdims=keepdim))


def softmax(x: Any, *, dim: Any, dtype: Any = None) -> Any:
    if np.ndim(x) == 0:
        return np.ones_like(x)
    e = np.exp(x)
    return e / np.sum(e, axis=dim, keepdims=True)


def log_softmax(x: Any, *, dim: Any, dtype: Any = None) -> Any:
    if np.ndim(x) == 0:
        return np.zeros_like(x)
    return x - np.log(np.sum(np.exp(x), axis=dim, keepdims=True))


def cumsum(x: Any, *, dim: Any, dtype: Any = None) -> Any:
    return np.cumsum(x, axis=dim) if np.ndim(x) else np.array(x)


# ---------------------------------------------------------------------------- shapes
def _axis_of(d: int, ndim: int) -> int:
    return d % ndim if ndim else 0


def reshape(x: Any, shape: Any) -> Any:
    return np.reshape(x, shape)


def broadcast_to(x: Any, shape: Any) -> Any:
    return np.broadcast_to(x, shape)


def expand_dims(x: Any, dim: int) -> Any:
    return np.expand_dims(x, dim)


def astype(x: Any, dtype: Any) -> Any:
    return np.asarray(x).astype(dtype)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    if np.ndim(x) == 0:
        return np.reshape(x, (1,))
    start, end = _axis_of(start_dim, x.ndim), _axis_of(end_dim, x.ndim)
    return np.reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def squeeze(x: Any, dim: Any = None) -> Any:
    dims = range(np.ndim(x)) if dim is None else (dim if isinstance(dim, (tuple, list)) else (dim,))
    axes = {_axis_of(d, np.ndim(x)) for d in dims}
    return np.squeeze(x, axis=tuple(a for a in axes if np.ndim(x) and x.shape[a] == 1))


def transpose(x: Any, dim0: int, dim1: int) -> Any:
    return np.swapaxes(x, dim0, dim1) if np.ndim(x) else np.array(x)


def permute(x: Any, dims: Any) -> Any:
    return np.transpose(x, dims) if np.ndim(x) else np.array(x)


def expand(x: Any, sizes: Any) -> Any:
    lead = len(sizes) - np.ndim(x)
    return np.broadcast_to(x, tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes)))


def flip(x: Any, dims: Any) -> Any:
    return np.flip(x, axis=dims) if np.ndim(x) else np.array(x)


def cat(*arrays: Any, dim: int = 0) -> Any:
    return np.concatenate(arrays, axis=dim)


def stack(*arrays: Any, dim: int = 0) -> Any:
    return np.stack(arrays, axis=dim)


def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> Any:
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        cuts = list(range(split_size_or_sections, n, split_size_or_sections))
    else:
        cuts = list(np.cumsum(split_size_or_sections)[:-1])
    return tuple(np.split(x, cuts, axis=dim))


def chunk(x: Any, chunks: int, dim: int = 0) -> Any:
    return split(x, -(-x.shape[dim] // chunks), dim)


def narrow(x: Any, dim: int, start: int, length: int) -> Any:
    begin = start % x.shape[dim]
    return np.take(x, range(begin, begin + length), axis=dim)


def converter(dtype: str) -> Callable[[Any], Any]:
    return lambda x: np.asarray(x).astype(dtype)


_ARANGE_23 = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def _floats(rows: Any) -> np.ndarray:
    """Values written as integers, of a float64 result (the kit compares the dtype too)."""
    return np.asarray(rows, dtype=np.float64)


# torch.nn.functional.pad(torch.arange(6.).reshape(2, 3), ...) in PyTorch 2.13
PAD = [
    EdgeCase(_ARANGE_23, params={"pad": (1, 2)},
             value=_floats([[0, 0, 1, 2, 0, 0], [0, 3, 4, 5, 0, 0]])),
    EdgeCase(_ARANGE_23, params={"pad": (1, 0, 2, 1), "value": 0.5},
             value=[[0.5] * 4, [0.5] * 4, [0.5, 0, 1, 2], [0.5, 3, 4, 5], [0.5] * 4]),
    EdgeCase(_ARANGE_23, params={"pad": (-1, 1)}, value=_floats([[1, 2, 0], [4, 5, 0]])),
    EdgeCase(_ARANGE_23, params={"pad": (2, 1), "mode": "reflect"}, value=_floats([[2, 1, 0, 1, 2, 1], [5, 4, 3, 4, 5, 4]])),
    EdgeCase(_ARANGE_23, params={"pad": (1, 1, 1, 0), "mode": "replicate"},
             value=_floats([[0, 0, 1, 2, 2], [0, 0, 1, 2, 2], [3, 3, 4, 5, 5]])),
    EdgeCase(_ARANGE_23, params={"pad": (3, 1), "mode": "circular"}, value=_floats([[0, 1, 2, 0, 1, 2, 0], [3, 4, 5, 3, 4, 5, 3]])),
    EdgeCase([[0.0, 1.0], [2.0, 3.0]], params={"pad": (1, 1), "mode": "reflect"}, value=_floats([[1, 0, 1, 0], [3, 2, 3, 2]])),
    EdgeCase([1.0, 2.0, 3.0, 4.0], params={"pad": (-4, 1)}, value=[0.0], why="cropped away entirely"),
    # NumPy's pad_width spellings, with NumPy's own values
    EdgeCase(_ARANGE_23, params={"pad_width": ((1, 2),)}, value=np.pad(_ARANGE_23, ((1, 2),))),
    EdgeCase(_ARANGE_23, params={"pad_width": (1,)}, value=np.pad(_ARANGE_23, (1,))),
    EdgeCase(_ARANGE_23, params={"pad_width": 1, "mode": "edge"}, value=np.pad(_ARANGE_23, 1, mode="edge")),
]


# ---------------------------------------------------------------------------- indexing
def getitem(x: Any, index: Any) -> Any:
    return np.asarray(x[index])


def index_scatter_add(g: Any, index: Any, shape: Any) -> Any:
    out = np.zeros(shape, dtype=np.asarray(g).dtype)
    np.add.at(out, index, g)
    return out


def index_put(x: Any, v: Any, index: Any, accumulate: bool = False) -> Any:
    out = np.array(x, copy=True)
    if accumulate:
        np.add.at(out, index, v)
    else:
        out[index] = v
    return out


def gather(x: Any, dim: int, index: Any) -> Any:
    return x.copy() if x.ndim == 0 else np.take_along_axis(x, index, axis=dim)


# ---------------------------------------------------------------------------- linear algebra
def tensordot(a: Any, b: Any, dims: Any = 2) -> Any:
    return np.tensordot(a, b, axes=dims)


def contract(*arrays: Any, equation: str, sizes: Any = ()) -> Any:
    """Einstein summation by brute force over every assignment of the letters: slow, obvious,
    and covers what ``np.einsum`` does not (repeated and new output letters)."""
    inputs, output = equation.split("->")
    terms = inputs.split(",")
    size = dict(sizes)
    for letters, a in zip(terms, arrays):
        size.update(zip(letters, np.shape(a)))
    names = sorted(size)
    out = np.zeros(tuple(size[c] for c in output))
    for values in itertools.product(*[range(size[c]) for c in names]):
        at = dict(zip(names, values))
        term = 1.0
        for letters, a in zip(terms, arrays):
            term = term * np.asarray(a)[tuple(at[c] for c in letters)]
        out[tuple(at[c] for c in output)] += term  # a repeated output letter writes a diagonal
    return out


def einsum(equation: str, *operands: Any) -> Any:
    return np.einsum(equation, *operands)
