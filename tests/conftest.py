"""Shared fixtures: every test leaves the plugin set as it found it."""

from __future__ import annotations

import pytest

import tapegrad
from tapegrad import plugins

# The backends the op modules' kit runs check besides NumPy: array-api-strict, the portability
# proof. Every other backend plugin runs the backends check of every built-in op in its own tests
# (plugins/*/tests), with its own declared limits (Dask's linear algebra, say).
EAGER = ("array_api_strict",)


@pytest.fixture(autouse=True)
def _restore_plugins():
    """Undo registrations and blocks a test made, so no test sees another's plugins."""
    pm = plugins.plugin_manager()
    before = {name for name, _ in pm.list_name_plugin()}
    blocked_before = set(plugins._blocked)
    yield
    for name in set(plugins._blocked) - blocked_before:
        plugins.unblock(name)
    for name, _ in list(pm.list_name_plugin()):
        if name not in before and pm.has_plugin(name):
            plugins.unregister(name)
    tapegrad.set_default_dtype(tapegrad.float32)
