"""The first op's shortcuts answer what the general paths answer (issue 12).

Registration reads plain functions' code objects (arity, static params, one-line docstrings),
and the plugin manager reads module plugins' ``__dict__``; each is checked here against the path it
replaces: ``inspect`` (through a ``functools.wraps`` wrapper, which takes the general path) and
pluggy's own attribute parsing.
"""

from __future__ import annotations

import functools
import inspect
import types

import pluggy
from hypothesis import given, settings
from hypothesis import strategies as st
from test_startup import _function, signatures

import tapegrad
from tapegrad import plugins
from tapegrad.registry import RegistrationError, _count_array_inputs, _doc_of, _static_params


def _wrapped(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


def _outcome(read):
    try:
        return read()
    except RegistrationError as exc:
        return str(exc)


@settings(max_examples=300, deadline=None)
@given(signatures, st.integers(0, 4), st.lists(st.sampled_from(["a", "dim", "*shape", "p1"]), max_size=2, unique=True))
def test_reading_arity_and_params_off_the_code_object_agrees_with_inspect(signature, nin, declared):
    f = _function(*signature)
    assert _outcome(lambda: _count_array_inputs(f, "w")) == _outcome(lambda: _count_array_inputs(_wrapped(f), "w"))
    assert _static_params(f, nin, declared) == _static_params(_wrapped(f), nin, declared)


@given(st.text(alphabet=" \tab.\n", max_size=12) | st.none())
def test_a_docstring_is_cleaned_as_inspect_cleans_it(doc):
    def f():
        pass

    f.__doc__ = doc
    assert _doc_of(f) == inspect.getdoc(f)


def _hook(function, **options):
    return tapegrad.hookimpl(**options)(function)


def test_the_manager_parses_module_attributes_as_pluggy_does():
    class Lazy:
        def __getattr__(self, name):
            raise AssertionError("a plugin's attribute was asked for more than its value")

    def plain(registry):
        pass

    module = types.ModuleType("tg_fake_plugin")
    module.__dict__.update(
        tapegrad_register_ops=_hook(lambda registry: None), renamed=_hook(plain, specname="tapegrad_register_ops"),
        unmarked=lambda registry: None, static=staticmethod(_hook(plain)), klass=type("K", (), {}), lazy=Lazy(),
        number=3, sub=types, method=_hook(plain).__get__(object()), builtin=len,
    )
    ours = plugins.plugin_manager()
    theirs = pluggy.PluginManager("tapegrad")
    for plugin in [module, *ours.get_plugins()]:
        for name in dir(plugin):
            if name == "lazy":
                assert ours.parse_hookimpl_opts(plugin, name) is None
                continue
            assert ours.parse_hookimpl_opts(plugin, name) == theirs.parse_hookimpl_opts(plugin, name), name
