"""Linear algebra: matmul (``@``), dot, outer, tensordot, einsum.

``matmul`` follows NumPy's (and PyTorch's) rules: 1-D operands are promoted to a
matrix for the product and the added dimension removed afterwards, and batch
dimensions broadcast. Its VJP returns each cotangent in the broadcast batch shape;
the engine sums it down to the operand's shape.

``einsum`` is a composite over the primitive ``contract``: the composite parses
PyTorch's equation syntax (implicit output, ``...`` with broadcasting, operands given
one by one or as a list) into a canonical equation of single letters and calls
``contract``. ``contract`` evaluates it as a sequence of pairwise contractions, each a
batched ``matmul`` after a permutation (so NumPy's BLAS does the work), and it is closed
under differentiation: the cotangent of operand ``k`` is another ``contract`` of the
output's cotangent with the other operands. Two extensions of einsum make that
possible, and ``contract`` accepts them: an output letter may repeat (``"i->ii"``:
values on the diagonal, zeros elsewhere; the cotangent of a trace ``"ii->"``) and may be
absent from the inputs (broadcast, its size given in ``sizes``; the cotangent of a
summed-out letter). So einsum is differentiable to any order.

``tensordot``'s VJP is a ``contract`` too. Every forward uses array-API functions only
(``matmul``, ``permute_dims``, ``reshape``, ``take``, ...), so all of them run on any
backend.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from tapegrad.dims import axis
from tapegrad.testing.samples import EdgeCase, Sample

from . import batching_rules as batch
from . import node_names
from . import references as ref

if TYPE_CHECKING:
    from tapegrad import Registry

LETTERS = batch.LETTERS


def _ndim(x: Any) -> int:
    return len(getattr(x, "shape", ()))


# ---------------------------------------------------------------------------- matmul
def _matmul_shape_error(x: Any, y: Any) -> None:
    """Refuse operands matmul cannot multiply, in PyTorch's words."""
    xs, ys = tuple(getattr(x, "shape", ())), tuple(getattr(y, "shape", ()))
    if not xs or not ys:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(xs)}D and {len(ys)}D")
    n, m = xs[-1], (ys[-2] if len(ys) > 1 else ys[0])
    if n != m:
        if len(xs) == 1 and len(ys) == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number of "
                f"elements, but got {n} and {m} elements respectively"
            )
        rows = math.prod(xs[:-1])
        if len(ys) == 1:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{n}), vec ({m})")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{n} and {m}x{ys[-1]})")
    a, b = xs[:-2], ys[:-2]
    for k in range(1, min(len(a), len(b)) + 1):
        if a[-k] != b[-k] and a[-k] != 1 and b[-k] != 1:
            raise RuntimeError(
                f"The size of tensor a ({a[-k]}) must match the size of tensor b ({b[-k]}) at non-singleton "
                f"dimension {max(len(a), len(b)) - k}"
            )


def _matmul(xp: Any, x: Any, y: Any) -> Any:
    """Matrix product with NumPy's rules: 1-D @ 1-D is a dot product, a 1-D operand is a row
    (left) or column (right) vector, and leading batch dimensions broadcast."""
    _matmul_shape_error(x, y)
    return xp.matmul(x, y)


def _mT(xp: Any, a: Any) -> Any:
    """``a`` with its last two dimensions swapped (a view)."""
    n = _ndim(a)
    return xp.permute_dims(a, axes=(*range(n - 2), n - 1, n - 2))


def _as_matrices(xp: Any, g: Any, x: Any, y: Any) -> tuple[Any, Any, Any]:
    """``g``, ``x``, ``y`` with 1-D operands promoted as matmul promotes them (row / column)."""
    if _ndim(y) == 1:
        g, y = xp.expand_dims(g, axis=-1), xp.reshape(y, (y.shape[0], 1))
    if _ndim(x) == 1:
        g, x = xp.expand_dims(g, axis=-2), xp.reshape(x, (1, x.shape[0]))
    return g, x, y


def _matmul_vjp_x(xp: Any, g: Any, ans: Any, x: Any, y: Any) -> Any:
    if _ndim(x) == 1 and _ndim(y) == 1:
        return g * y
    g2, _, y2 = _as_matrices(xp, g, x, y)
    gx = xp.matmul(g2, _mT(xp, y2))  # (..., m, n), batch dims broadcast: the engine sums them down
    if _ndim(x) == 1:  # drop the row dimension matmul added
        gx = xp.reshape(gx, (*tuple(gx.shape)[:-2], gx.shape[-1]))
    return gx


def _matmul_vjp_y(xp: Any, g: Any, ans: Any, x: Any, y: Any) -> Any:
    if _ndim(x) == 1 and _ndim(y) == 1:
        return g * x
    g2, x2, _ = _as_matrices(xp, g, x, y)
    gy = xp.matmul(_mT(xp, x2), g2)  # (..., n, k)
    if _ndim(y) == 1:  # drop the column dimension matmul added
        gy = xp.reshape(gy, tuple(gy.shape)[:-1])
    return gy


# ---------------------------------------------------------------------------- dot, outer
def _dot(xp: Any, x: Any, y: Any) -> Any:
    """Dot product of two 1-D tensors of the same length (a 0-d result)."""
    if _ndim(x) != 1 or _ndim(y) != 1:
        raise RuntimeError(f"1D tensors expected, but got {_ndim(x)}D and {_ndim(y)}D tensors")
    _matmul_shape_error(x, y)
    return xp.matmul(x, y)


def _outer(xp: Any, x: Any, y: Any) -> Any:
    """Outer product of two 1-D tensors: ``out[i, j] = x[i] * y[j]``."""
    for name, v in (("self", x), ("vec2", y)):
        if _ndim(v) != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {_ndim(v)}-D")
    return xp.multiply(xp.expand_dims(x, axis=-1), y)


# ---------------------------------------------------------------------------- tensordot
def _tensordot_axes(dims: Any, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[list[int], list[int]]:
    """PyTorch's ``dims``: an int n (last n of a with first n of b) or two sequences of dims."""
    if hasattr(dims, "tolist"):  # a tensor or array of dims, as PyTorch accepts
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        n = int(dims)
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        if n > len(a_shape) or n > len(b_shape):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n}")
        left, right = list(range(len(a_shape) - n, len(a_shape))), list(range(n))
    elif isinstance(dims, (tuple, list)) and len(dims) == 2:
        first, second = ([d] if isinstance(d, numbers.Integral) else list(d) for d in dims)
        if len(first) != len(second):
            raise RuntimeError("both dimension lists should have same length")
        left = [axis(d, len(a_shape), "dims") for d in first]
        right = [axis(d, len(b_shape), "dims") for d in second]
    else:
        raise TypeError(f"tensordot(): dims must be an int or a pair of sequences of ints, got {dims!r}")
    for axes, name in ((left, "first"), (right, "second")):
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"tensordot(): a dim appears multiple times in the {name} list of dims {axes}")
    for i, j in zip(left, right):
        if a_shape[i] != b_shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a_shape[i]} in dim {i} and second has "
                f"size {b_shape[j]} in dim {j}"
            )
    return left, right


def _tensordot(xp: Any, a: Any, b: Any, dims: Any = 2) -> Any:
    """Sum of products over the dims ``dims`` pairs up: an int n contracts the last n dims of
    ``a`` with the first n of ``b``; ``([1, 0], [0, 1])`` names them. ``axes`` is accepted too."""
    left, right = _tensordot_axes(dims, tuple(a.shape), tuple(b.shape))
    return xp.tensordot(a, b, axes=(left, right))


def _tensordot_letters(dims: Any, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[str, str, str]:
    """``tensordot`` as an einsum: subscripts of ``a``, ``b`` and the output."""
    left, right = _tensordot_axes(dims, a_shape, b_shape)
    if len(a_shape) + len(b_shape) - len(left) > len(LETTERS):
        raise RuntimeError(f"tensordot(): at most {len(LETTERS)} distinct dimensions are supported")
    a = LETTERS[:len(a_shape)]
    fresh = iter(LETTERS[len(a_shape):])
    shared = dict(zip(right, (a[i] for i in left)))
    b = "".join(shared[j] if j in shared else next(fresh) for j in range(len(b_shape)))
    out = "".join(c for i, c in enumerate(a) if i not in left) + "".join(
        c for j, c in enumerate(b) if j not in shared)
    return a, b, out


def _tensordot_vjp_a(xp: Any, g: Any, ans: Any, a: Any, b: Any, dims: Any = 2) -> Any:
    sa, sb, out = _tensordot_letters(dims, tuple(a.shape), tuple(b.shape))
    return xp.contract(g, b, equation=f"{out},{sb}->{sa}")


def _tensordot_vjp_b(xp: Any, g: Any, ans: Any, a: Any, b: Any, dims: Any = 2) -> Any:
    sa, sb, out = _tensordot_letters(dims, tuple(a.shape), tuple(b.shape))
    return xp.contract(a, g, equation=f"{sa},{out}->{sb}")


# ---------------------------------------------------------------------------- contract: einsum's primitive
@functools.lru_cache(maxsize=1024)
def _parse(equation: str) -> tuple[tuple[str, ...], str]:
    """A canonical equation: letters only, one term per operand, an explicit output."""
    if not isinstance(equation, str) or equation.count("->") != 1:
        raise ValueError(f"contract(): equation must be a str like 'ij,jk->ik', got {equation!r}")
    lhs, output = equation.split("->")
    inputs = tuple(lhs.split(","))
    for term in (*inputs, output):
        bad = [c for c in term if c not in LETTERS]
        if bad:
            raise ValueError(f"contract(): subscripts must be letters [a-zA-Z], got {bad[0]!r} in {equation!r}")
    return inputs, output


def _diagonal(xp: Any, a: Any, letters: str, size: dict[str, int]) -> tuple[Any, list[str]]:
    """Take the diagonal over every letter repeated within one operand (``"ii"``), portably:
    the repeated dims go last, flatten into one, and ``take`` picks the entries (i, i, ...)."""
    subs = list(letters)
    for letter in list(dict.fromkeys(subs)):
        where = [i for i, c in enumerate(subs) if c == letter]
        if len(where) < 2:
            continue
        rest = [i for i in range(len(subs)) if i not in where]
        n, r = size[letter], len(where)
        a = xp.permute_dims(a, axes=tuple(rest + where))
        a = xp.reshape(a, (*(a.shape[k] for k in range(len(rest))), n ** r))
        stride = sum(n ** k for k in range(r))  # flat index of (i, i, ..., i) is i * stride
        a = xp.take(a, xp.arange(n) * stride, axis=len(rest))
        subs = [subs[i] for i in rest] + [letter]
    return a, subs


def _sum_out(xp: Any, a: Any, letters: list[str], keep: set[str]) -> tuple[Any, list[str]]:
    """Sum ``a`` over its letters not in ``keep``."""
    gone = tuple(i for i, c in enumerate(letters) if c not in keep)
    if not gone:
        return a, letters
    return xp.sum(a, axis=gone), [c for c in letters if c in keep]


def _permuted(xp: Any, a: Any, letters: list[str], order: list[str]) -> Any:
    perm = tuple(letters.index(c) for c in order)
    return a if perm == tuple(range(len(perm))) else xp.permute_dims(a, axes=perm)


def _pair(xp: Any, a: Any, la: list[str], b: Any, lb: list[str], keep: set[str],
          size: dict[str, int]) -> tuple[Any, list[str]]:
    """Contract two operands: letters in both and needed later are batch dims, letters in both
    and not needed are summed; one batched matmul does it."""
    a, la = _sum_out(xp, a, la, keep | set(lb))
    b, lb = _sum_out(xp, b, lb, keep | set(la))
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    only_a = [c for c in la if c not in lb]
    only_b = [c for c in lb if c not in la]
    nb, m, k, n = (math.prod(size[c] for c in group) for group in (batch, only_a, summed, only_b))
    lead = (nb,) if batch else ()
    a = xp.reshape(_permuted(xp, a, la, batch + only_a + summed), (*lead, m, k))
    b = xp.reshape(_permuted(xp, b, lb, batch + summed + only_b), (*lead, k, n))
    letters = batch + only_a + only_b
    return xp.reshape(xp.matmul(a, b), tuple(size[c] for c in letters)), letters


def _emit(xp: Any, r: Any, letters: list[str], output: str, size: dict[str, int]) -> Any:
    """Lay the result out as ``output``: order its letters, embed repeated output letters on
    a diagonal, and broadcast output letters the inputs do not have."""
    first: dict[str, int] = {}
    for i, c in enumerate(output):
        first.setdefault(c, i)
    r = _permuted(xp, r, letters, [c for c in first if c in letters])
    layout = tuple(size[c] if first[c] == i and c in letters else 1 for i, c in enumerate(output))
    if tuple(r.shape) != layout:
        r = xp.reshape(r, layout)
    for i, c in enumerate(output):
        if first[c] != i:  # a repeat: the values on the identity over (first occurrence, here), its zeros
            shape = [1] * len(output)  # elsewhere (+0., where r * eye would give -0. beside negative values)
            shape[first[c]] = shape[i] = size[c]
            eye = xp.reshape(xp.eye(size[c], dtype=r.dtype), tuple(shape))
            r = xp.where(eye != 0, r, eye)
    full = tuple(size[c] for c in output)
    return r if tuple(r.shape) == full else xp.broadcast_to(r, full)


def _sizes(equation: str, inputs: tuple[str, ...], arrays: Sequence[Any], sizes: Any) -> dict[str, int]:
    size: dict[str, int] = {}
    for k, (term, a) in enumerate(zip(inputs, arrays)):
        shape = tuple(a.shape)
        if len(term) != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(term)}) does not match the number of "
                f"dimensions ({len(shape)}) for operand {k} and no ellipsis was given"
            )
        for c, n in zip(term, shape):
            if size.setdefault(c, n) != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast with "
                    f"previously seen size {size[c]}"
                )
    for c, n in dict(sizes).items():
        size.setdefault(c, operator.index(n))
    return size


def _contract(xp: Any, *arrays: Any, equation: str, sizes: Any = ()) -> Any:
    """The primitive behind ``einsum``: ``contract(a, b, equation="ij,jk->ik")`` (or the operands
    as one list). The equation is canonical: single letters, one term per operand, an explicit
    output. An output letter may repeat (the values go on the diagonal, zeros elsewhere) or be
    absent from the inputs (the result is constant along it; give its size in
    ``sizes={"j": 3}``). ``tapegrad.einsum`` is the friendly spelling."""
    inputs, output = _parse(equation)
    if len(inputs) != len(arrays):
        raise RuntimeError(f"einsum(): the equation {equation!r} has {len(inputs)} operands, got {len(arrays)}")
    for k, a in enumerate(arrays):
        if not hasattr(a, "shape"):
            raise TypeError(f"einsum(): operand {k} must be a tensor, got {type(a).__name__}")
    size = _sizes(equation, inputs, arrays, sizes)
    missing = [c for c in output if c not in size]
    if missing:
        raise RuntimeError(f"einsum(): output subscript {missing[0]} does not appear in the equation for any input "
                           "operand (give its size in sizes= to broadcast along it)")
    terms = []
    for k, (term, a) in enumerate(zip(inputs, arrays)):
        a, letters = _diagonal(xp, a, term, size)
        elsewhere = set(output).union(*(t for j, t in enumerate(inputs) if j != k))
        terms.append(_sum_out(xp, a, letters, elsewhere))
    r, letters = terms[0]
    for j in range(1, len(terms)):
        keep = set(output).union(*(letters_ for _, letters_ in terms[j + 1:]))
        r, letters = _pair(xp, r, letters, *terms[j], keep, size)
    result = _emit(xp, r, letters, output, size)
    # One operand may come back as a view of it (a diagonal, a permutation, a broadcast): copy it, or
    # in-place writes into the operand would change the result behind autograd's back.
    return xp.asarray(result, copy=True) if len(arrays) == 1 else result


def _contract_vjp(xp: Any, g: Any, ans: Any, *arrays: Any, equation: str, sizes: Any = ()) -> tuple[Any, ...]:
    # d out / d operand k: contract the output's cotangent with every other operand, back to
    # operand k's subscripts (repeated letters: a diagonal; letters found nowhere else: broadcast).
    inputs, output = _parse(equation)
    cotangents = []
    for k, term in enumerate(inputs):
        others = [t for j, t in enumerate(inputs) if j != k]
        known = set(output).union(*others)
        new = {c: n for c, n in zip(term, arrays[k].shape) if c not in known}
        cotangents.append(xp.contract(g, *(a for j, a in enumerate(arrays) if j != k),
                                      equation=",".join([output, *others]) + "->" + term,
                                      sizes=tuple(sorted(new.items()))))
    return tuple(cotangents)


# ---------------------------------------------------------------------------- einsum
def _split_term(term: str, position: int) -> tuple[str, bool]:
    """One operand's subscripts without ``...``, and whether it had one."""
    ellipsis = "..." in term
    letters = term.replace("...", "", 1) if ellipsis else term
    for i, c in enumerate(letters):
        if c not in LETTERS:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {position + i} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )
    return letters, ellipsis


@functools.lru_cache(maxsize=1024)
def _canonical(equation: str, shapes: tuple[tuple[int, ...], ...]) -> str:
    """PyTorch's einsum equation for operands of ``shapes``, as ``contract``'s canonical one.

    ``...`` becomes fresh letters, one per broadcast dimension; an operand whose dimension is
    1 where another's is larger gets a letter of its own there, summed away (that is what
    broadcasting it means for a sum of products)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    parsed = []
    position = 0
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        letters, ellipsis = _split_term(term, position)
        position += len(term) + 1
        extra = len(shape) - len(letters)
        if not ellipsis and extra:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) does not match the number of "
                f"dimensions ({len(shape)}) for operand {k} and no ellipsis was given"
            )
        if extra < 0:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(letters)}) is more than the number of "
                f"dimensions ({len(shape)}) for operand {k}"
            )
        start = term.index("...") if ellipsis else len(letters)
        parsed.append((letters, start, shape[start:start + extra]))
    out_letters, out_ellipsis = _split_term(rhs, len(lhs) + 2) if arrow else ("", True)
    used = set("".join(p[0] for p in parsed)) | set(out_letters)
    fresh = iter(c for c in LETTERS if c not in used)
    # one letter per broadcast dimension of the ellipsis, aligned from the right
    width = max((len(e) for _, _, e in parsed), default=0)
    broadcast = [1] * width
    for _, _, e in parsed:
        for i, n in enumerate(e):
            j = width - len(e) + i
            if n != 1 and broadcast[j] not in (1, n):
                remapped = " ".join(f"{list(s)}" for s in shapes)
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (original->remapped): "
                                   f"{remapped}")
            broadcast[j] = max(broadcast[j], n)
    try:
        shared = [next(fresh) for _ in range(width)]
        canonical_terms = []
        for letters, start, e in parsed:
            dims = "".join(shared[width - len(e) + i] if n == broadcast[width - len(e) + i] else next(fresh)
                           for i, n in enumerate(e))
            canonical_terms.append(letters[:start] + dims + letters[start:])
    except StopIteration:
        raise RuntimeError(f"einsum(): the equation needs more than {len(LETTERS)} distinct subscripts") from None
    if arrow:
        seen = set()
        for c in out_letters:
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            seen.add(c)
            if not any(c in letters for letters, _, _ in parsed):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
        if "..." in rhs:
            at = rhs.index("...")
            output = out_letters[:at] + "".join(shared) + out_letters[at:]
        else:
            output = out_letters
    else:  # implicit: the broadcast dims, then every letter used exactly once, in alphabetical order
        counts: dict[str, int] = {}
        for letters, _, _ in parsed:
            for c in letters:
                counts[c] = counts.get(c, 0) + 1
        output = "".join(shared) + "".join(sorted(c for c, n in counts.items() if n == 1))
    return ",".join(canonical_terms) + "->" + output


def _einsum(equation: str, *operands: Any) -> Any:
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", a, b)`` (operands one by
    one, or as one list). Letters name dimensions; a letter in two operands is multiplied
    along, a letter missing from the output is summed; a repeated letter within an operand
    takes a diagonal (``"ii->"`` is the trace). Without ``->`` the output is every letter used
    once, in alphabetical order. ``...`` stands for the remaining dimensions, which broadcast.
    Differentiable to any order (see the primitive ``contract``)."""
    import tapegrad

    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the equation must come first, as a str; got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for k, t in enumerate(operands):
        if not hasattr(t, "shape"):
            raise TypeError(f"einsum(): operand {k} must be a tensor, got {type(t).__name__}")
    canonical = _canonical(equation, tuple(tuple(t.shape) for t in operands))
    return tapegrad.ops.contract(*operands, equation=canonical)


# ---------------------------------------------------------------------------- samples
MATMUL_SAMPLES = [
    Sample((3,), (3,)), Sample((2, 3), (3,)), Sample((3,), (3, 4)), Sample((2, 3), (3, 4)),
    Sample((2, 2, 3), (3, 4)), Sample((2, 1, 2, 3), (3, 3, 2)), Sample((2, 3), (4, 3, 1)), Sample((4,), (2, 4, 3)),
    Sample((2, 3), (2, 2, 3, 4)), Sample((2, 2, 3, 4), (4, 3)),  # ranks two apart
]
TENSORDOT_SAMPLES = [
    Sample((2, 3, 4), (3, 4, 2)), Sample((2, 3), (3, 4), dims=1), Sample((3, 2), (4, 3), dims=([0], [1])),
    Sample((2, 3, 4), (4, 2, 5), dims=([2, 0], [0, 1])), Sample((2,), (3,), dims=0),
]
CONTRACT_SAMPLES = [
    Sample((2, 3), (3, 4), equation="ij,jk->ik"),
    Sample((3, 3), equation="ii->"),
    Sample((2, 3, 3), equation="bii->bi"),
    Sample((3,), equation="i->ii"),
    Sample((2, 3), equation="ij->ijk", sizes={"k": 2}),
    Sample((2, 3, 4), (2, 4, 5), equation="bij,bjk->bik"),
    Sample((2, 3), (3, 4), (4, 2), equation="ij,jk,kl->il"),
    Sample((3,), (3,), (2,), equation="i,i,j->j"),
    Sample((), (2, 3), equation=",ij->ji"),
]
EINSUM_SAMPLES = [
    Sample("ij,jk->ik", (2, 3), (3, 4)), Sample("ii", (3, 3)), Sample("...ij,...jk", (2, 2, 3), (3, 4)),
    Sample("bij,bkj->bik", (2, 3, 4), (2, 5, 4)), Sample("i,j", (2,), (3,)),
    Sample("...ij,...jk", (2, 4, 3, 2, 3), (1, 3, 3, 4)),  # the ellipsis dimensions broadcast
    Sample("i...j,j->...i", (2, 3, 4), (4,)), Sample("i...j,j->i...", (2, 3, 4), (4,)),  # an ellipsis inside a term
    Sample("ij,jk->ik", [(2, 3), (3, 4)]), Sample("ii", [(3, 3)]),  # operands as one list, as torch.einsum takes them
]


# ---------------------------------------------------------------------------- registration
def register(registry: Registry) -> None:
    registry.register_op("matmul", forward=_matmul, vjp=(_matmul_vjp_x, _matmul_vjp_y), saves=("inputs",),
                         reference=np.matmul,
                         methods=("matmul",), samples=MATMUL_SAMPLES, node_name=node_names.matmul, batching=batch.matmul,
                         edge_cases=[EdgeCase(np.array(2.0), [1.0, 2.0], raises=RuntimeError, match="both arguments to "
                                              "matmul need to be at least 1D, but they are 0D and 1D"),
                                     EdgeCase([1.0, 2.0], np.array(2.0), raises=RuntimeError, match="both arguments to "
                                              "matmul need to be at least 1D, but they are 1D and 0D")])
    registry.register_op("dot", forward=_dot, vjp=(lambda xp, g, ans, x, y: g * y, lambda xp, g, ans, x, y: g * x),
                         reference=np.dot, batching=batch.dot,
                         saves=("inputs",), methods=("dot",),
                         samples=[Sample((3,), (3,)), Sample((1,), (1,))])
    registry.register_op("outer", forward=_outer,
                         reference=np.outer, batching=batch.outer,
                         vjp=(lambda xp, g, ans, x, y: xp.matmul(g, y), lambda xp, g, ans, x, y: xp.matmul(x, g)),
                         saves=("inputs",), methods=("outer",), samples=[Sample((3,), (4,)), Sample((1,), (2,))])
    registry.register_op("tensordot", forward=_tensordot, vjp=(_tensordot_vjp_a, _tensordot_vjp_b),
                         reference=ref.tensordot,
                         saves=("inputs",), params=("dims",), param_aliases={"axes": "dims"},
                         samples=TENSORDOT_SAMPLES, batching=batch.tensordot,
                         edge_cases=[EdgeCase(np.ones((2, 3)), np.ones((3, 2)), params={"dims": ([1], [0], [1])},
                                              raises=TypeError, match="dims must be an int or a pair of sequences",
                                              why="Not PyTorch's type: PyTorch's Python unpacks dims into two, "
                                                  "raising ValueError('too many values to unpack')")])
    registry.register_op("contract", forward=_contract, vjp=_contract_vjp, saves=("inputs",), variadic=True,
                         reference=ref.contract,
                         params=("equation", "sizes"), node_name="EinsumBackward0", samples=CONTRACT_SAMPLES,
                         batching=batch.contract,
                         edge_cases=[EdgeCase(np.ones((2, 3)), np.ones((3, 2)), params={"equation": "ij,jk"},
                                              raises=ValueError, match="equation must be a str like 'ij,jk->ik'",
                                              why="Not PyTorch's: contract is tapegrad's op behind einsum, which "
                                                  "completes an implicit output before calling it")])
    registry.register_composite("einsum", _einsum, samples=EINSUM_SAMPLES,
                                reference=ref.einsum)
