"""Devices: PyTorch's ``device`` objects, each naming the backend that holds the data.

``"cpu"`` is the NumPy backend. Another backend answers to the device type it declares
when it registers (``register_backend(..., device="cuda")``), or to its own name, so
``x.to("cuda")`` and ``device="cuda"`` work as soon as a GPU backend plugin is installed,
and fail with an error that says which plugin to install until then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .registry import Backend, DeferredBackend
    from .tensor import Tensor

__all__ = ["device", "backend_for", "device_of", "place", "GPU_PLUGIN_HINT"]

GPU_PLUGIN_HINT = "install a backend plugin that provides it (tapegrad-cupy provides 'cuda', on CuPy arrays)"


class device:  # noqa: N801 - mirrors torch.device
    """Where a tensor's data lives: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:1")``."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str) or not type:
            raise RuntimeError(f"Expected a non-empty device string or a device, got {type!r}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type}")
            name, _, number = type.partition(":")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            type, index = name, int(number)
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index!r}")
        self.type: str = type
        self.index: int | None = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def _backend_device(backend: Backend | DeferredBackend) -> str:
    return "cpu" if backend.name == "numpy" else (getattr(backend, "device", None) or backend.name)


def backend_for(where: Any) -> Backend:
    """The backend a device (or device string) names: ``cpu`` is NumPy's."""
    from .optable import table

    wanted = device(where)
    backends = table().backends
    for backend in backends.declared():  # by what they declared: only the one chosen is loaded
        if _backend_device(backend) == wanted.type or backend.name == wanted.type:
            return backends[backend.name]
    raise RuntimeError(
        f"device '{wanted}' is not available: no installed tapegrad backend provides device type "
        f"'{wanted.type}'; {GPU_PLUGIN_HINT}. Installed backends: {sorted(backends)}"
    )


def device_of(data: Any) -> device:
    """The device of a tensor's data."""
    if type(data) is np.ndarray:
        return device("cpu")
    from .backends import backend_of

    return device(_backend_device(backend_of(data)))


def place(array: np.ndarray, where: Any) -> Any:
    """A freshly made NumPy array, put on the device ``where`` (None: stays on the CPU)."""
    if where is None:
        return array
    backend = backend_for(where)
    return array if backend.name == "numpy" else backend.from_numpy(array)


def parse_to_arguments(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """``(device, dtype)`` from ``Tensor.to``'s forms: ``to(dtype)``, ``to(device, dtype)``,
    ``to(other)``, ``to("cpu")``, ``to("array_api_strict")`` and their keywords."""
    from . import dtypes
    from .tensor import Tensor

    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:  # options for the backend moved onto (x.to("dask", chunks=...)): Tensor.to passes them
        raise TypeError(f"to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    where, dtype = kwargs.get("device"), kwargs.get("dtype")
    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments ({len(args)} given)")
    for arg in args:
        if type(arg) is Tensor:
            where, dtype = device_of(arg._data), arg.dtype
        elif isinstance(arg, device) or (isinstance(arg, str) and arg not in dtypes.DTYPE_NAMES):
            where = arg
        elif isinstance(arg, bool):
            continue  # to(dtype, non_blocking) in PyTorch's positional form
        else:
            dtype = arg
    return where, dtype


def move(tensor: Tensor, where: Any, **options: Any) -> Tensor:
    """``tensor`` on the backend the device names; itself when it is there already. ``options``
    go to the backend's ``from_numpy`` (``chunks=`` for Dask)."""
    from .backends import transfer

    return transfer(tensor, backend_for(where).name, **options)
