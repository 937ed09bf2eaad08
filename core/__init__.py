"""tapegrad: PyTorch's autograd semantics on NumPy, with every op a pluggy plugin.

The core holds graph mechanics only: tensors, graph nodes, the backward engine,
grad mode, the op registry and plugin loading, printing. Every operation, the
built-in ones included, arrives through the ``tapegrad_register_ops`` hook and is
reachable as ``tapegrad.NAME``, ``tapegrad.ops.NAME`` and the Tensor methods and
operators it binds.
"""

from __future__ import annotations

import builtins
from typing import Any

__version__ = "0.1.0"

from . import autograd, func, ops, plugins, viz
from .backends import compute
from .autograd.anomaly import is_anomaly_enabled
from .creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace, manual_seed,
    normal, ones, ones_like, rand, rand_like, randint, randn, randn_like, tensor, zeros, zeros_like,
)
from .devices import device
from .dtypes import (
    DType, bool, complex64, complex128, float16, float32, float64, get_default_dtype, int8, int16, int32,
    int64, set_default_dtype, uint8,
)
from .grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .optable import NoSuchOpError, PluginLoadWarning, lookup
from .optable import function as _op_function
from .printing import set_printoptions
from .promotion import promote_types, result_type
from .registry import Registry, RegistrationError
from .tensor import Size, Tensor

# PyTorch's other names for the dtypes (``torch.float`` is float32, ``torch.long`` int64, ...).
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

__all__ = [
    "__version__", "autograd", "func", "ops", "plugins", "viz",
    "Tensor", "Size", "DType", "Registry", "RegistrationError", "NoSuchOpError", "PluginLoadWarning",
    "tensor", "as_tensor", "from_numpy", "ones", "zeros", "full", "empty", "arange", "linspace",
    "randn", "rand", "ones_like", "zeros_like", "full_like", "empty_like", "manual_seed",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "hookimpl", "set_printoptions", "list_ops",
    "device", "eye", "logspace", "randint", "rand_like", "randn_like", "normal",
    "half", "float", "double", "short", "int", "long", "cfloat", "cdouble", "complex64", "complex128",
    "inference_mode", "is_inference_mode_enabled", "is_anomaly_enabled",
    "is_tensor", "is_floating_point", "numel", "compute",
]


def is_tensor(obj: Any) -> builtins.bool:
    """Whether ``obj`` is a tapegrad Tensor."""
    return type(obj) is Tensor


def is_floating_point(input: Tensor) -> builtins.bool:
    """Whether ``input`` holds floating-point numbers."""
    if type(input) is not Tensor:
        raise TypeError(f"is_floating_point(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.is_floating_point()


def numel(input: Tensor) -> builtins.int:
    """How many elements ``input`` holds."""
    if type(input) is not Tensor:
        raise TypeError(f"numel(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.numel()


def list_ops() -> dict[str, str]:
    """Every registered op name (aliases included) with the plugin that registered it."""
    from .optable import table

    return {name: op.plugin for name, op in sorted(table().ops.items())}


def __getattr__(name: str) -> Any:
    if name == "hookimpl":  # imports pluggy, so only when a plugin asks for it
        from .hookspecs import hookimpl

        globals()["hookimpl"] = hookimpl
        return hookimpl
    # Op functions (tapegrad.add, ...) are bound here when the op table is built.
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _namespaces():  # tapegrad.linalg, tapegrad.nn: made from the registrations
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    return _op_function(name)  # NoSuchOpError is an AttributeError too, with a useful message


def __dir__() -> list[str]:
    from .optable import table

    t = table()
    return sorted(set(globals()) | {n for n in t.ops if "." not in n} | {n for n in t.namespaces if "." not in n})


def _namespaces() -> frozenset[str]:
    from .optable import table

    return table().namespaces


# NumPy's floating-point warnings (log(0), 1/0, ...) stay inside tapegrad, as PyTorch prints none.
from . import quiet as _quiet  # noqa: E402

_quiet.install()

from .namespaces import install_finder as _install_finder  # noqa: E402

_install_finder()
