"""Grad mode: whether operations record a graph, per thread and per async context.

Stored in a ContextVar, so another thread's ``no_grad`` never changes yours. The op
hot path reads it with one ``is_grad_enabled()`` call.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Any, Callable, TypeVar

__all__ = ["is_grad_enabled", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]

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


class _BareDecoratorContext(_GradModeContext):
    """A grad-mode context that may also decorate a function without parentheses
    (``@no_grad`` as well as ``@no_grad()``), as PyTorch's may."""

    def __new__(cls, func: Any = None) -> Any:
        self = super().__new__(cls)
        if func is None:
            return self
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments, or decorates a function; got {func!r}")
        return self(func)

    def __init__(self, func: Any = None) -> None:
        pass


class no_grad(_BareDecoratorContext):
    """Run without recording a graph: results never require grad (inference, weight updates)."""

    _mode = False


class enable_grad(_BareDecoratorContext):
    """Record a graph again inside a ``no_grad`` region."""

    _mode = True


_inference: ContextVar[bool] = ContextVar("tapegrad_inference_mode", default=False)


class inference_mode(_GradModeContext):
    """PyTorch's ``inference_mode``: here ``no_grad`` (nothing is recorded), reported by
    ``is_inference_mode_enabled``; ``inference_mode(False)`` changes nothing."""

    def __new__(cls, mode: Any = True) -> Any:
        self = super().__new__(cls)
        if callable(mode):  # @inference_mode without parentheses
            self._on = True
            return self(mode)
        return self

    def __init__(self, mode: Any = True) -> None:
        if callable(mode):
            return
        self._on = bool(mode)
        self._mode = not self._on and _grad_enabled.get() is not False

    def __enter__(self) -> None:
        self._inference_tokens = getattr(self, "_inference_tokens", [])
        self._inference_tokens.append(_inference.set(self._on))
        if self._on:
            super().__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._on:
            super().__exit__(*exc)
        _inference.reset(self._inference_tokens.pop())

    def __call__(self, func: F) -> F:
        on = self._on

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # Tokens kept per call, not on the shared instance: the decorated function may
            # run in several threads, or recursively.
            inference = _inference.set(on)
            grad = _grad_enabled.set(False) if on else None
            try:
                return func(*args, **kwargs)
            finally:
                if grad is not None:
                    _grad_enabled.reset(grad)
                _inference.reset(inference)

        return wrapper  # type: ignore[return-value]


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return _inference.get()


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
