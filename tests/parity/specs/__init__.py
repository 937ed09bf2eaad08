"""Parity specs by area, one module each (``linalg.py``, ``nn_functional.py``, ...).

Each module defines ``SPECS: list[OpSpec]`` (built with the helpers of ``..opspec``) and may
define ``KNOWN_FAILURES: dict[str, str]`` (strict xfails, as in ``..known_failures``) and
``NO_TORCH_COUNTERPART: dict[str, str]``. ``opspec.OPS`` and the tables gather them all, so an
area's ops, cases and known bugs live in one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    """Every spec module of this package, in name order (``opspec`` made first: the modules import it,
    and the tables gathered from them must not be read from a half-made module)."""
    from .. import opspec  # noqa: F401

    return [importlib.import_module(f"{__name__}.{info.name}")
            for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)]
