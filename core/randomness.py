"""vmap's ``randomness`` mode, where the random creation functions can see it (``core/creation.py``).

Kept apart from ``core/batching.py`` so that creation, imported by nearly everything, imports
nothing of vmap's.
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["RANDOMNESS", "refuse_random"]

# The innermost running vmap's randomness ("error", "same"); None outside vmap.
RANDOMNESS: ContextVar[str | None] = ContextVar("tapegrad_vmap_randomness", default=None)


def refuse_random() -> None:
    raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the 'same' "
                       "or 'different' randomness flags on vmap or perform the randomness operation out of vmap")
