"""Anomaly detection: find the op whose backward produced NaN or inf.

Inside ``detect_anomaly()`` (per thread, like grad mode) every recorded node keeps the
traceback of the forward call that made it, and backward checks each cotangent: the
first NaN or inf raises, naming the node, its op and plugin, and showing where that op
ran in the forward pass. Slow; for debugging only.
"""

from __future__ import annotations

import functools
import weakref
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

from ..grad_mode import ANOMALY, _anomaly, _grad_enabled

if TYPE_CHECKING:
    from ..graph import Node

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "record_trace", "check_finite"]

F = TypeVar("F", bound=Callable[..., Any])

_traces: "weakref.WeakKeyDictionary[Node, str]" = weakref.WeakKeyDictionary()


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on in this thread."""
    return _anomaly.get()


class detect_anomaly:
    """Context manager and decorator turning anomaly detection on (``check_nan=True``)."""

    def __init__(self, check_nan: bool = True) -> None:
        self._on = bool(check_nan)
        self._tokens: list[tuple[Any, Any]] = []

    def __enter__(self) -> None:
        anomaly_token = _anomaly.set(self._on)
        grad = _grad_enabled.get()
        grad_token = _grad_enabled.set((ANOMALY if self._on else True) if grad else False)
        self._tokens.append((anomaly_token, grad_token))

    def __exit__(self, *exc: object) -> None:
        anomaly_token, grad_token = self._tokens.pop()
        _grad_enabled.reset(grad_token)
        _anomaly.reset(anomaly_token)

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for this thread from now on."""
    _anomaly.set(bool(mode))
    grad = _grad_enabled.get()
    if grad:
        _grad_enabled.set(ANOMALY if mode else True)


def record_trace(node: Node) -> None:
    """Keep the forward traceback of the op that made ``node`` (called when anomaly mode is on)."""
    import traceback  # anomaly mode only

    stack = traceback.format_stack()[:-3]  # drop tapegrad's own dispatch frames
    _traces[node] = "".join(stack)


def check_finite(node: Node, i: int, cotangent: Any) -> None:
    """Raise if the cotangent ``node`` produced for input ``i`` holds NaN or inf."""
    data = getattr(cotangent, "_data", cotangent)
    values = np.asarray(data)
    if np.all(np.isfinite(values)):
        return
    kind = "nan" if np.any(np.isnan(values)) else "inf"
    op = node.op
    trace = _traces.get(node)
    where = (
        f"\nTraceback of the forward call that created it:\n{trace}"
        if trace else "\n(no forward traceback: the node was recorded outside detect_anomaly)"
    )
    raise RuntimeError(
        f"Function '{op.node_name}' (op {op.name!r}, plugin {op.plugin!r}) returned {kind} values in its "
        f"{i}th output.{where}"
    )
