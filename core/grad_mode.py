"""Grad mode: whether operations record a graph, per thread and per async context.

Stored in a ContextVar, so another thread's ``no_grad`` never changes yours. The op
hot path reads it with one ``is_grad_enabled()`` call.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Any, Callable, TypeVar

__all__ = ["is_grad_enabled", "no_grad", "enable_grad", "set_grad_enabled"]

F = TypeVar("F", bound=Callable[..., Any])

# False: no recording; True: recording; 2: recording with anomaly detection (forward
# tracebacks kept). One variable, so the op hot path reads a single value.
_grad_enabled: ContextVar[bool | int] = ContextVar("tapegrad_grad_enabled", default=True)
_anomaly: ContextVar[bool] = ContextVar("tapegrad_anomaly", default=False)

ANOMALY = 2


def _recording_value(enabled: bool) -> bool | int:
    """What grad mode stores for ``enabled``, given whether anomaly detection is on."""
    return (ANOMALY if _anomaly.get() else True) if enabled else False


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record a graph."""
    return bool(_grad_enabled.get())


# The op hot path calls the ContextVar's getter directly, skipping one Python call.
grad_enabled_fast: Callable[[], Any] = _grad_enabled.get


class _GradModeContext:
    """Sets grad mode for a ``with`` block, or for every call of a decorated function."""

    _mode: bool

    def __enter__(self) -> None:
        self._tokens = getattr(self, "_tokens", [])
        self._tokens.append(_grad_enabled.set(_recording_value(self._mode)))

    def __exit__(self, *exc: object) -> None:
        _grad_enabled.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _grad_enabled.set(_recording_value(mode))
            try:
                return func(*args, **kwargs)
            finally:
                _grad_enabled.reset(token)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):
    """Run without recording a graph: results never require grad (inference, weight updates)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Record a graph again inside a ``no_grad`` region."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: at once when called, for a block when used with ``with``.

    As in PyTorch, ``set_grad_enabled(False)`` as a plain call switches the mode
    immediately; used as a context manager, the mode reverts when the block exits.
    """

    def __init__(self, mode: bool) -> None:
        if not (mode is True or mode is False):  # set_grad_enabled("no") must not mean True
            from .dims import as_flag

            try:
                mode = as_flag(mode, "mode")
            except TypeError as exc:
                raise TypeError(f"set_grad_enabled(): {exc}") from None
        self._mode = mode
        self._previous = _grad_enabled.get()
        _grad_enabled.set(_recording_value(self._mode))

    def __enter__(self) -> None:
        pass  # the mode was already set by __init__

    def __exit__(self, *exc: object) -> None:
        _grad_enabled.set(self._previous)

    def __call__(self, func: F) -> F:
        # Decorating must not leave the mode switched at definition time.
        _grad_enabled.set(self._previous)
        return super().__call__(func)
