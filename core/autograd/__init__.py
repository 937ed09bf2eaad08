"""``tapegrad.autograd``: the functional entry points to the backward engine.

``backward`` accumulates into leaves' ``.grad`` (what ``Tensor.backward`` calls);
``grad`` returns gradients instead, touching no ``.grad``. Both validate every
argument before the engine starts, so a bad call changes nothing.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

from ..backends import UNKNOWN_SIZE_ADVICE, UnknownSizeError, array_namespace, has_unknown_size
from ..dims import as_flag
from ..engine import backward_scalar, run_backward
from ..hooks import array_tensor
from ..tensor import Size, Tensor, _wrap
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .function import Function, FunctionCtx, once_differentiable

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "gradcheck", "gradgradcheck", "GradcheckError", "functional"]

Tensors = Tensor | Sequence[Tensor]


def backward(
    tensors: Tensors,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Tensors | None = None,
) -> None:
    """Accumulate the gradient of ``tensors`` into the ``.grad`` of the leaves they depend on.

    ``grad_tensors`` gives the gradient of each output (needed unless it has one
    element); ``retain_graph`` (default: ``create_graph``) keeps saved values for
    another backward; ``create_graph`` records the backward pass for higher order.
    ``inputs``, when given, limits accumulation to those tensors.
    """
    if backward_scalar(tensors, grad_tensors, retain_graph, create_graph, inputs):
        return  # loss.backward(): the lean entry, which has nothing to normalise
    roots = _as_tuple(tensors, "tensors")
    grads = _root_grads(roots, grad_tensors, create_graph)
    keep = _flags("backward", retain_graph, create_graph)
    targets = None if inputs is None else _inputs(inputs, "backward")
    run_backward(roots, grads, retain_graph=keep, create_graph=create_graph, inputs=targets)


def grad(
    outputs: Tensors,
    inputs: Tensors,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to each of ``inputs``, as a tuple.

    No ``.grad`` is modified. With ``create_graph=True`` the results carry a graph and
    can be differentiated again. An input the outputs do not depend on is an error
    unless ``allow_unused=True``, which gives None for it (zeros with
    ``materialize_grads=True``). ``only_inputs`` is accepted and ignored, as in PyTorch.
    """
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
            "gradient for other parts of the graph, please use tapegrad.autograd.backward.",
            FutureWarning, stacklevel=2,
        )
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported yet; loop over "
                                  "the batch of grad_outputs, or use tapegrad.func.vjp")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    keep = _flags("grad", retain_graph, create_graph, allow_unused)
    allow_unused = bool(allow_unused) or materialize_grads
    roots = _as_tuple(outputs, "outputs")
    targets = _inputs(inputs, "grad")
    grads = _root_grads(roots, grad_outputs, create_graph)
    results = run_backward(
        roots, grads, retain_graph=keep, create_graph=create_graph, inputs=targets, accumulate=False
    )
    assert results is not None
    out: list[Tensor | None] = []
    for value, target in zip(results, targets):
        if value is None and materialize_grads:
            data = target._data
            out.append(_wrap(array_namespace(data).zeros_like(data)))
            continue
        if value is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            out.append(None)
        else:
            out.append(array_tensor(value))  # never a Tensor around a NumPy scalar
    return tuple(out)


def _inputs(inputs: Tensors, fn: str) -> tuple[Tensor, ...]:
    """The tensors to differentiate with respect to: some (``inputs=[]`` asks for nothing, an
    error in PyTorch, not a silent no-op), and each one requiring grad."""
    targets = _as_tuple(inputs, "inputs")
    if not targets:
        raise RuntimeError(f"`inputs` argument to `{fn}()` cannot be empty.")
    for t in targets:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    return targets


def _flags(fn: str, retain_graph: Any, create_graph: Any, allow_unused: Any = None) -> bool:
    """The flags as bools (``retain_graph="no"`` must not mean True); returns retain_graph's value
    (None: as ``create_graph``). ``allow_unused`` may be None (unset)."""
    try:
        create = as_flag(create_graph, "create_graph")
        if allow_unused is not None:
            as_flag(allow_unused, "allow_unused")
        return create if retain_graph is None else as_flag(retain_graph, "retain_graph")
    except TypeError as exc:
        raise TypeError(f"{fn}(): {exc}") from None


def _as_tuple(value: Tensors, what: str) -> tuple[Tensor, ...]:
    if type(value) is Tensor:
        return (value,)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        if what == "inputs":
            raise RuntimeError(f"all inputs have to be Tensors, but got {type(value).__name__}")
        raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, not {type(value).__name__}")
    items = tuple(value)
    for i, item in enumerate(items):
        if type(item) is not Tensor:
            if what == "inputs":  # PyTorch's type and words for this one
                raise RuntimeError(f"all inputs have to be Tensors, but got {type(item).__name__}")
            raise TypeError(f"{what}[{i}] must be a Tensor, not {type(item).__name__}")
    return items


def _root_grads(roots: tuple[Tensor, ...], given: Any, create_graph: bool) -> list[Any]:
    """One starting gradient per output: validated, shaped and typed like the output."""
    if given is None:
        given = (None,) * len(roots)
    elif type(given) is Tensor or not isinstance(given, (list, tuple)):
        given = (given,)
    if len(given) != len(roots):
        raise RuntimeError(f"got {len(given)} gradients for {len(roots)} outputs; pass one per output")
    grads = []
    for i, (root, g) in enumerate(zip(roots, given)):
        data = root._data
        if not root._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            value: Any = _ones_like(data)
        else:
            if type(g) is not Tensor and not hasattr(g, "shape") and not isinstance(g, (int, float)):
                raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
            value = g._data if type(g) is Tensor else _to_backend_array(g, data)
            if value.shape != data.shape:
                if has_unknown_size((value, data)):  # NaN != NaN: equal or not, it cannot be told
                    raise UnknownSizeError(
                        f"the gradient for output {i} (shape {Size(value.shape)!r}) cannot be checked against the "
                        f"output's shape {Size(data.shape)!r}: a size is unknown until computed; {UNKNOWN_SIZE_ADVICE}")
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {Size(value.shape)!r} and "
                    f"output[{i}] has a shape of {Size(data.shape)!r}."
                )
            if value.dtype != data.dtype:
                value = array_namespace(data).astype(value, data.dtype)
        if create_graph:
            grads.append(g if type(g) is Tensor and g._data is value else _wrap(value))
        else:
            grads.append(value)
    return grads


def _ones_like(data: Any) -> Any:
    namespace = array_namespace(data)
    return namespace.ones_like(data)


def _to_backend_array(value: Any, like: Any) -> Any:
    namespace = array_namespace(like)
    try:
        return namespace.asarray(value, dtype=like.dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"gradient must be a Tensor or array-like, not {type(value).__name__}: {exc}") from None


# Built on grad above, so imported after it.
from . import functional, graph  # noqa: E402
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402
