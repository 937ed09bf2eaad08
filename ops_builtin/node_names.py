"""Node naming rules: the names PyTorch gives a call's ``grad_fn``, from what the node records.

PyTorch names a node after the kernel a call chose: ``1 - x`` is ``RsubBackward1``,
``x.sum(0)`` ``SumBackward1``, a 2-D ``@`` ``MmBackward0``, ``x[0]`` ``SelectBackward0``.
Each rule takes the node's params and what it keeps of its inputs (None once backward has
freed them; the rules then answer from the params alone).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

_SCALARS = (int, float, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, _SCALARS)


def sub(params: Mapping[str, Any], inputs: Sequence[Any] | None) -> str:
    """``1 - x`` is ``RsubBackward1``; a tensor minus anything is ``SubBackward0``."""
    return "RsubBackward1" if inputs is not None and _is_scalar(inputs[0]) else "SubBackward0"


def pow(params: Mapping[str, Any], inputs: Sequence[Any] | None) -> str:  # noqa: A001 - the op's name
    """``x ** 2`` is ``PowBackward0``, ``x ** y`` ``PowBackward1``, ``2 ** x`` ``PowBackward2``."""
    if inputs is None:
        return "PowBackward0"
    if _is_scalar(inputs[1]):
        return "PowBackward0"
    return "PowBackward2" if _is_scalar(inputs[0]) else "PowBackward1"


def with_dim(base: str) -> Any:
    """``BaseBackward1`` when a ``dim`` was given (``x.sum(0)``), ``BaseBackward0`` for the whole tensor."""
    def rule(params: Mapping[str, Any], inputs: Sequence[Any] | None) -> str:
        return f"{base}Backward{0 if params.get('dim') is None else 1}"

    rule.__name__ = f"{base.lower()}_name"
    return rule


def matmul(params: Mapping[str, Any], inputs: Sequence[Any] | None) -> str:
    """By operand ranks, as PyTorch dispatches ``@``: ``Dot``, ``Mv``, ``Mm``; ``Matmul`` otherwise."""
    if inputs is None:
        return "MatmulBackward0"
    ranks: tuple[int, ...] = tuple(int(getattr(v, "ndim", 0)) for v in inputs)
    names: dict[tuple[int, ...], str] = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0"}
    return names.get(ranks, "MatmulBackward0")


def getitem(params: Mapping[str, Any], inputs: Sequence[Any] | None) -> str:
    """The last indexing step PyTorch takes: ``x[0]`` ``Select``, ``x[:, 1:]`` ``Slice``, ``x[None]``
    ``Unsqueeze``; any array or mask index makes it ``Index``."""
    key = params.get("index")
    parts = key if isinstance(key, tuple) else (key,)
    if any(not (isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis) or isinstance(k, bool)
           for k in parts):
        return "IndexBackward0"
    steps = [k for k in parts if k is not Ellipsis and k != slice(None)]
    if not steps:
        return "AliasBackward0"
    last = steps[-1]
    if last is None:
        return "UnsqueezeBackward0"
    return "SliceBackward0" if isinstance(last, slice) else "SelectBackward0"


def squeeze(params: Mapping[str, Any], inputs: Sequence[Any] | None) -> str:
    """``x.squeeze()`` is ``SqueezeBackward0``, ``x.squeeze(dim)`` ``SqueezeBackward1``."""
    return "SqueezeBackward0" if params.get("dim") is None else "SqueezeBackward1"


def pad(params: Mapping[str, Any], inputs: Sequence[Any] | None) -> str:
    """``ConstantPadNdBackward0`` for constant padding; ``ReflectionPad2DBackward0`` & co. by the number of
    padded dimensions (PyTorch's flat ``pad`` gives two numbers per dimension); circular padding is
    slicing assignments in PyTorch, so its node is ``CopySlices``."""
    mode = params.get("mode") or "constant"
    if mode in ("circular", "wrap"):
        return "CopySlices"
    kind = {"reflect": "Reflection", "replicate": "Replication", "edge": "Replication"}.get(mode)
    if kind is None:
        return "ConstantPadNdBackward0"
    flat = params.get("pad")
    if isinstance(flat, (list, tuple)) and flat and all(isinstance(v, (int, np.integer)) for v in flat):
        dims = len(flat) // 2
    else:
        dims = int(getattr(inputs[0], "ndim", 1)) if inputs is not None else 1
    return f"{kind}Pad{min(max(dims, 1), 3)}DBackward0"
