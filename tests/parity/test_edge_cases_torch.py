"""Every special point the built-in ops declare for the kit (``edge_cases=``, and reference
points given as values) holds in PyTorch: the declared values and gradients are PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from tapegrad.optable import table  # noqa: E402
from tapegrad.testing import EdgeCase  # noqa: E402
from tapegrad.testing.samples import Verbatim  # noqa: E402


def _index_put(x, v, index, accumulate=False):
    """tapegrad's index_put is ``x[index] = v`` out of place (its value cast to x's dtype, as setitem casts)."""
    return x.index_put(tuple(torch.as_tensor(i) for i in index), torch.as_tensor(v).to(x.dtype), accumulate)


def _pad(x, pad, mode="constant", value=0.0):
    if mode == "constant":
        return F.pad(x, pad, value=value)
    return F.pad(x[None], pad, mode=mode)[0]  # PyTorch pads the last dims of a batch


TORCH = {
    "div": torch.div, "pow": torch.pow, "exp": torch.exp, "log": torch.log, "log1p": torch.log1p,
    "log2": torch.log2, "log10": torch.log10, "expm1": torch.expm1, "abs": torch.abs, "sign": torch.sign,
    "sqrt": torch.sqrt, "rsqrt": torch.rsqrt, "square": torch.square, "arcsin": torch.asin, "arccos": torch.acos,
    "arctan": torch.atan, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
    "leaky_relu": F.leaky_relu, "softplus": F.softplus, "ndtr": torch.special.ndtr, "gelu": F.gelu,
    "clamp_scalar": torch.clamp, "maximum": torch.maximum, "minimum": torch.minimum, "where": torch.where,
    "floor": torch.floor, "ceil": torch.ceil, "round": torch.round, "remainder": torch.remainder,
    "prod": torch.prod, "amax": torch.amax, "amin": torch.amin, "std": torch.std, "var": torch.var,
    "norm": lambda x, p=2, dim=None: torch.linalg.vector_norm(x, ord=p, dim=dim),
    "logsumexp": lambda x, dim=None: torch.logsumexp(x, dim=tuple(range(x.ndim)) if dim is None else dim),
    "softmax": torch.softmax, "log_softmax": torch.log_softmax,
    "logical_and": torch.logical_and, "logical_or": torch.logical_or, "logical_xor": torch.logical_xor,
    "logical_not": torch.logical_not,
    "index_put": _index_put, "pad": _pad,
    "chunk": lambda x, chunks, dim=0: torch.chunk(x, chunks, dim),
    "fill": lambda x, value: x.clone().fill_(value),
    "copy": lambda x, src: x.clone().copy_(src),
    "gather": lambda x, dim, index: torch.gather(x, dim, torch.as_tensor(index)),
    "masked_fill": lambda x, mask, value: x.masked_fill(mask, value),
    "isclose": torch.isclose,
    "index_select": lambda x, dim, index: torch.index_select(x, dim, torch.as_tensor(index)),
    "max": torch.max, "min": torch.min,
    "bitwise_left_shift": torch.bitwise_left_shift, "bitwise_right_shift": torch.bitwise_right_shift,
    "linalg.det": torch.linalg.det, "linalg.inv": torch.linalg.inv, "linalg.matrix_exp": torch.linalg.matrix_exp,
    "linalg.cholesky": torch.linalg.cholesky, "linalg.vector_norm": torch.linalg.vector_norm,
    "linalg.eigh_output": lambda a, output, UPLO="L": getattr(torch.linalg.eigh(a, UPLO=UPLO), output),
    "linalg.svd_output": lambda a, output, full_matrices=True: getattr(torch.linalg.svd(a, full_matrices), output),
}
TORCH["scatter_reduce_at"] = lambda x, src, dim, index, reduce, include_self=True: torch.scatter_reduce(
    x, dim, torch.as_tensor(index), src, reduce, include_self=include_self)
TORCH["cdist"] = torch.cdist


def _gather_areas() -> None:
    """Each area module of ``specs/`` may name the PyTorch function of its ops' points (``EDGE_CASE_TORCH``:
    op name -> function of the torch module)."""
    from .specs import modules

    for module in modules():
        TORCH.update({name: fn(torch) for name, fn in getattr(module, "EDGE_CASE_TORCH", {}).items()})


_gather_areas()


def _points():
    for op in table().canonical_ops():
        if op.plugin != "tapegrad.ops_builtin":
            continue
        points = list(op.edge_cases) + ([] if callable(op.reference) or op.reference is None else list(op.reference))
        for k, point in enumerate(points):
            if point.why.startswith("Not PyTorch's"):  # a documented difference (docs/autograd.md)
                continue
            if "pad_width" not in point.params:  # NumPy's spelling, with NumPy's own values
                yield pytest.param(op.name, point, id=f"{op.name}-{k}")


def _as_torch(x, requires=True):
    if isinstance(x, Verbatim):  # passed as written (a list where PyTorch wants a tensor)
        return x.value
    if isinstance(x, np.ndarray):
        t = torch.tensor(x)
        return t.requires_grad_(True) if requires and t.is_floating_point() else t
    return x


def _close(got, want):
    """Close, and each declared zero of PyTorch's sign (the kit compares those signs too)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    want = np.broadcast_to(want, got.shape)
    signs = (got != 0) | (want != 0) | (np.signbit(got) == np.signbit(want))
    return np.allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True) and bool(np.all(signs))


def _same_dtype(got, want) -> bool:
    """A value declared as a NumPy array or scalar states its dtype: PyTorch's (the kit compares it)."""
    return not isinstance(want, (np.ndarray, np.generic)) or str(got.dtype).removeprefix("torch.") == want.dtype.name


@pytest.mark.parametrize("name, point", list(_points()))
def test_declared_point_is_pytorchs(name: str, point: EdgeCase):
    # as the kit calls it: buffers written in place, and the inputs of a call that must raise, need no grad
    args = [_as_torch(x, point.raises is None and i not in point.writes) for i, x in enumerate(point.inputs)]
    fn = getattr(F, name.rpartition(".")[2]) if name.startswith("nn.functional.") else TORCH[name]
    if point.raises is not None:  # PyTorch refuses the point too, with the same exception type
        with pytest.raises(point.raises, match=point.match):
            fn(*args, **point.params)
        return
    if point.warns is not None:  # PyTorch warns there too, pointing at this line
        with pytest.warns(point.warns, match=point.match) as seen:
            out = fn(*args, **point.params)
        assert any(w.filename == __file__ for w in seen if issubclass(w.category, point.warns)), \
            [(w.filename, w.lineno) for w in seen]
    else:
        out = fn(*args, **point.params)
    for i, want in point.writes.items():  # what PyTorch wrote into its buffers
        assert _close(args[i].numpy(), want), (i, args[i], want)
    if isinstance(out, tuple):  # several results (chunk): each against its declared value
        assert len(out) == len(point.value), (out, point.value)
        for got, want in zip(out, point.value):
            assert tuple(got.shape) == np.shape(want) and _close(got.detach().numpy(), want), (got, want)
            assert _same_dtype(got, want), (got.dtype, want.dtype)
        return
    if point.has_value:
        assert _same_dtype(out, point.value), (out.dtype, point.value.dtype)
    if out.dtype == torch.bool:
        assert np.array_equal(out.numpy(), np.asarray(point.value)), (out, point.value)
        return
    if point.has_value:
        assert _close(out.detach().numpy(), point.value), (out, point.value)
    if point.backward_raises is not None:  # PyTorch's backward refuses there too, writing no .grad
        with pytest.raises(point.backward_raises, match=point.backward_match):
            out.sum().backward()
        assert all(a.grad is None for a in args if isinstance(a, torch.Tensor)), args
        return
    wrt = [(i, a) for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad]
    if point.grads is not None and wrt:
        u = 1.0 if point.cotangent is None else torch.tensor(point.cotangent)
        grads = torch.autograd.grad((out * u).sum(), [a for _, a in wrt], allow_unused=True)
        for (i, a), g in zip(wrt, grads):
            want = point.grads[i] if i < len(point.grads) else None
            if want is not None:
                got = np.zeros(a.shape) if g is None else g.numpy()
                assert _close(got, want), (i, got, want)
