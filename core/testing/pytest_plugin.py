"""The pytest plugin tapegrad installs (entry point ``pytest11``): helpers for plugin authors' CI.

It imports nothing heavy at collection time (no NumPy, no tapegrad) so that installing
tapegrad never slows an unrelated test suite; fixtures import tapegrad when used.

- ``--tapegrad-strict-plugins``: a tapegrad plugin that fails to load fails the run
  (sets ``TAPEGRAD_STRICT_PLUGINS=1``) instead of warning.
- fixture ``tapegrad_plugin``: ``tapegrad_plugin(obj, name)`` registers a plugin object for
  one test and unregisters it afterwards, whatever the test did.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tapegrad")
    group.addoption(
        "--tapegrad-strict-plugins", action="store_true", default=False,
        help="fail when a tapegrad plugin cannot be loaded (TAPEGRAD_STRICT_PLUGINS=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # NumPy's floating-point warnings from tapegrad's code stay silent in tests too, even under
    # ``filterwarnings = error`` (later ini lines win): see tapegrad.quiet.
    from tapegrad.quiet import MESSAGES, MODULES

    config.addinivalue_line("filterwarnings", f"ignore:{MESSAGES}:RuntimeWarning:{MODULES}")
    if config.getoption("--tapegrad-strict-plugins", default=False):
        os.environ["TAPEGRAD_STRICT_PLUGINS"] = "1"


@pytest.fixture
def tapegrad_plugin() -> Iterator[Callable[[Any, str], str]]:
    """Register plugin objects for the duration of one test."""
    from tapegrad import plugins

    registered: list[str] = []

    def register(plugin: Any, name: str) -> str:
        registered.append(plugins.register(plugin, name=name))
        return registered[-1]

    yield register
    for name in reversed(registered):
        if plugins.plugin_manager().has_plugin(name):
            plugins.unregister(name)
