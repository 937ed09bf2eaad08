"""``tapegrad.testing``: the conformance kit op authors run in their CI.

``check_op(name)`` proves a registered op right from its registration alone;
``parametrize_with_op_checks(names)`` makes one pytest test per op x check;
``check_grads(fn, args)`` checks any function's gradients against finite differences.

Each name is imported from its module on first use: plugins import ``Sample`` and ``EdgeCase``
to declare their ops when the op table is built, which must not load the kit itself.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "check_grads", "TOLERANCES", "check_op", "op_checks", "ops_of_plugin", "parametrize_with_op_checks",
    "CHECKS", "OpCheck", "Sample", "EdgeCase", "Verbatim",
]

_HOMES = {"check_grads": "gradcheck", "TOLERANCES": "gradcheck", "Sample": "samples", "EdgeCase": "samples", "Verbatim": "samples",
          **dict.fromkeys(("CHECKS", "OpCheck", "check_op", "op_checks", "ops_of_plugin", "parametrize_with_op_checks"),
                          "kit")}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
