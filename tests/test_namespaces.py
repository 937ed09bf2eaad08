"""Op namespaces: ``register_op("linalg.solve", ...)`` makes ``tapegrad.linalg.solve``.

The namespace modules come from the registrations: importable, listed, bound and unbound with
the op table, open to every plugin, and refused where they would clash.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

import tapegrad
from tapegrad import plugins

ADD_ONE = dict(forward=lambda xp, x: x + 1, vjp=(lambda xp, g, ans, x: g,))


def plugin(register_ops):
    return type("Plugin", (), {"tapegrad_register_ops": staticmethod(tapegrad.hookimpl(register_ops))})


@pytest.fixture
def spaced():
    """An in-process plugin with ops in a new namespace, one level deeper, and flat."""
    def register_ops(registry):
        registry.register_op("testns.plus_one", **ADD_ONE)
        registry.register_op("testns.deep.plus_two", forward=lambda xp, x: x + 2, vjp=(lambda xp, g, ans, x: g,),
                             aliases=("plus_two_flat",))
    name = plugins.register(plugin(register_ops), name="spaced")
    yield
    plugins.unregister(name)
    for module in ("tapegrad.testns.deep", "tapegrad.testns"):
        sys.modules.pop(module, None)
    vars(tapegrad).pop("testns", None)


def test_namespaced_op_is_an_attribute_and_a_module(spaced):
    x = tapegrad.tensor([1.0, 2.0], requires_grad=True)
    y = tapegrad.testns.plus_one(x)
    assert y.tolist() == [2.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    import tapegrad.testns.deep as deep

    assert deep.plus_two(x).tolist() == [3.0, 4.0]
    from tapegrad.testns.deep import plus_two

    assert plus_two is deep.plus_two
    assert tapegrad.plus_two_flat is plus_two  # an alias may be flat: the same op at top level
    assert "plus_one" in dir(tapegrad.testns) and "deep" in dir(tapegrad.testns)
    assert "testns" in dir(tapegrad) and "testns.plus_one" not in dir(tapegrad)


def test_namespaced_node_name_is_its_last_part(spaced):
    x = tapegrad.tensor([1.0], requires_grad=True)
    assert tapegrad.testns.plus_one(x).grad_fn.name() == "PlusOneBackward0"


def test_namespace_listed_and_checked(spaced):
    assert tapegrad.list_ops()["testns.plus_one"] == "spaced"
    from tapegrad.testing import check_op, op_checks

    check_op("testns.plus_one")  # the kit takes the dotted name as it takes any other
    assert all(check.id.startswith("testns.plus_one-") for check in op_checks("testns.plus_one"))


def test_unknown_namespace_member_says_what_is_missing(spaced):
    with pytest.raises(AttributeError, match="no loaded plugin registers an op 'testns.nope'"):
        tapegrad.testns.nope
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tapegrad.nonexistent_namespace")


def test_namespace_goes_with_its_plugin():
    name = plugins.register(plugin(lambda registry: registry.register_op("gone.plus_one", **ADD_ONE)), name="gone")
    try:
        module = tapegrad.gone
        assert module.plus_one(tapegrad.tensor(1.0)).item() == 2.0
    finally:
        plugins.unregister(name)
    with pytest.raises(AttributeError):
        module.plus_one
    with pytest.raises(AttributeError):
        tapegrad.gone2


@pytest.mark.parametrize("names, match", [
    (("clash", "clash.inner"), "has the name of the namespace 'clash'"),
    (("autograd.mine",), "the namespace 'autograd' would shadow tapegrad's own API"),
    (("bad..name",), "public identifiers joined by dots"),
    (("ns._private",), "public identifiers joined by dots"),
])
def test_namespace_clashes_are_refused(names, match):
    def register_ops(registry):
        for n in names:
            registry.register_op(n, **ADD_ONE)
    name = plugins.register(plugin(register_ops), name="clashing")
    try:
        with pytest.warns(tapegrad.PluginLoadWarning, match=match):
            tapegrad.ones(1) + 1
    finally:
        plugins.unregister(name)


def test_import_in_a_fresh_interpreter():
    """``import tapegrad.X as F`` is the first thing a program does, before any op is used."""
    code = ("import tapegrad, sys\n"
            "assert 'tapegrad.testing' in sys.modules or True\n"
            "from tapegrad import autograd\n"
            "import tapegrad.autograd.functional\n")
    subprocess.run([sys.executable, "-c", code], check=True)
