"""NumPy's floating-point warnings stay inside tapegrad, as PyTorch prints none.

``log(0)``, ``1 / 0``, ``exp(1000)``, ``sqrt(-1)`` give -inf, inf, inf and nan in PyTorch
without a word; NumPy computes the same values but also issues a ``RuntimeWarning``
("divide by zero encountered in log"). One warnings filter, scoped to tapegrad's own
modules (where NumPy attributes the warnings: the frame that called the ufunc) and to
those four messages, silences them: no per-op cost, the user's own NumPy code still
warns, and tapegrad's other warnings still show.

A filter is a list entry, so a filter the user adds later and that matches every
``RuntimeWarning`` (``simplefilter("error")``) comes first; and ``catch_warnings``
restores the list it saved. So the filter is installed at import and again whenever the
op table is built, and tapegrad's pytest plugin adds it to pytest's own filters.
"""

from __future__ import annotations

import warnings

__all__ = ["MODULES", "MESSAGES", "install"]

MODULES = r"tapegrad"  # tapegrad.*, and plugins packaged as tapegrad_* (re.match: a prefix)
MESSAGES = r"(overflow|divide by zero|invalid value|underflow) encountered"


def install() -> None:
    """Add the filter at the front of the warnings filters, unless it is there already."""
    for action, message, category, module, _ in warnings.filters:
        if action == "ignore" and category is RuntimeWarning and module is not None \
                and module.pattern == MODULES and message is not None and message.pattern == MESSAGES:
            return
    warnings.filterwarnings("ignore", message=MESSAGES, category=RuntimeWarning, module=MODULES)
