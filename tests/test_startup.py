"""Startup stays cheap by mechanism, and the mechanism is invisible (issue 12).

Backends registered by their array types' names (``register_backend(load=...)``) load when their
arrays show up or they are named; registration checks read code objects instead of
``inspect.signature`` but refuse what they refused; entry points are found without
``importlib.metadata``. No timing here: what is imported, what is listed, what is raised.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad import plugins
from tapegrad.cli import main as cli
from tapegrad.registry import (
    DeferredBackend, RegistrationError, Registry, _binds_quickly, _parameters,
)

LIB = "tg_startup_fake_lib"  # a library only these tests import


@pytest.fixture
def fake_lib(tmp_path, monkeypatch):
    """An importable array library, not imported yet: its arrays are a NumPy subclass."""
    (tmp_path / f"{LIB}.py").write_text(textwrap.dedent("""
        import numpy as np

        class Array(np.ndarray):
            pass

        def asarray(a):
            return np.asarray(a, dtype=float).view(Array)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, LIB, raising=False)
    yield LIB
    sys.modules.pop(LIB, None)


def _load():
    import importlib

    lib = importlib.import_module(LIB)
    return dict(namespace=np, to_numpy=np.asarray, from_numpy=lib.asarray)


def backend_plugin(**keywords):
    def tapegrad_register_backends(registry):
        registry.register_backend("fake", **{"array_types": (f"{LIB}.Array",), "load": _load, **keywords})

    return type("FakeBackendPlugin", (), {"tapegrad_register_backends": staticmethod(
        tapegrad.hookimpl(tapegrad_register_backends))})


def listed(capsys) -> dict:
    assert cli(["backends", "--json"]) == 0
    return {row["name"]: row for row in json.loads(capsys.readouterr().out)}


def test_a_deferred_backend_is_listed_unloaded_and_loads_when_its_arrays_show_up(fake_lib, capsys):
    plugins.register(backend_plugin(), name="fake-backend")
    assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]  # the table is built
    assert fake_lib not in sys.modules
    assert "fake" in tapegrad.optable.table().backends
    row = listed(capsys)["fake"]
    assert row == {"name": "fake", "plugin": "fake-backend", "device": "fake", "lazy": False, "loaded": False,
                   "array_types": [f"{LIB}.Array"]}
    assert fake_lib not in sys.modules  # listing loads nothing

    import importlib

    lib = importlib.import_module(fake_lib)  # the user's own import, after the table was built
    x = tapegrad.as_tensor(lib.asarray([1.0, 2.0]))
    y = x * 2
    assert y.device.type == "fake" and type(y._data) is lib.Array and y.tolist() == [2.0, 4.0]
    assert listed(capsys)["fake"]["loaded"] is True


def test_a_deferred_backend_loads_when_named_and_moves_differentiably(fake_lib):
    plugins.register(backend_plugin(), name="fake-backend")
    w = tapegrad.tensor([1.0, 2.0], requires_grad=True)
    moved = w.to("fake")
    assert fake_lib in sys.modules and moved.device.type == "fake"
    (moved * moved).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_an_op_meeting_an_unloaded_backends_array_loads_it(fake_lib):
    plugins.register(backend_plugin(), name="fake-backend")
    tapegrad.ones(1) + 1  # the table is built before the array exists
    import importlib

    lib = importlib.import_module(fake_lib)
    x = tapegrad.ones(2).to("numpy")
    x._data = lib.asarray([3.0, 4.0])  # data of the deferred type reaching dispatch directly
    assert (x + 1).device.type == "fake"


def test_a_deferred_backend_that_fails_to_load_says_so_naming_its_plugin(fake_lib):
    def broken():
        raise ImportError("No module named 'missing_gpu_library'")

    plugins.register(backend_plugin(load=broken), name="broken-backend")
    assert (tapegrad.ones(2) * 3).tolist() == [3.0, 3.0]  # the rest of tapegrad is unaffected
    with pytest.raises(RegistrationError, match=r"plugin 'broken-backend', backend 'fake' could not be loaded: "
                                                r"ImportError: No module named 'missing_gpu_library'"):
        tapegrad.ones(2).to("fake")


def test_what_load_gives_is_checked_as_a_registration_is(fake_lib):
    plugins.register(backend_plugin(load=lambda: dict(namespace=object(), to_numpy=np.asarray,
                                                      from_numpy=np.asarray)), name="incomplete")
    with pytest.raises(RegistrationError, match=r"plugin 'incomplete', backend 'fake': its namespace .* lacks "
                                                r"asarray, astype"):
        tapegrad.ones(2).to("fake")


@pytest.mark.parametrize("keywords, match", [
    (dict(load=_load, namespace=np), r"with load=, namespace come from load\(\)"),
    (dict(load=_load, array_types=(np.ndarray,)), r"with load=, name the array types"),
    (dict(load=3), r"load must be a function"),
    (dict(array_types=("not a name",), load=_load), r"array_types must be a non-empty sequence of classes or "
                                                    r"qualified class names"),
    (dict(array_types=(f"{LIB}.Array",), lazy=True, namespace=np, to_numpy=np.asarray, from_numpy=np.asarray),
     r"a lazy backend needs compute"),
])
def test_deferred_registrations_are_refused_at_registration(keywords, match):
    registry = Registry("p")
    with pytest.raises(RegistrationError, match=r"plugin 'p', backend 'fake': " + match):
        registry.register_backend("fake", **{"array_types": (f"{LIB}.Array",), **keywords})
    assert registry.backends == []


def test_a_deferred_type_name_clashing_with_a_loaded_class_is_refused_when_the_table_is_built(fake_lib):
    import importlib

    lib = importlib.import_module(fake_lib)
    eager = dict(namespace=np, array_types=(lib.Array,), to_numpy=np.asarray, from_numpy=lib.asarray)
    plugins.register(type("Eager", (), {"tapegrad_register_backends": staticmethod(tapegrad.hookimpl(
        lambda registry: registry.register_backend("eager_fake", **eager)))}), name="eager-fake")
    plugins.register(backend_plugin(), name="fake-backend")
    with pytest.warns(tapegrad.PluginLoadWarning, match=rf"'fake-backend' was refused: backend 'fake' claims the "
                                                        rf"array type {LIB}.Array, which is backend 'eager_fake''s"):
        assert "fake" not in tapegrad.optable.table().backends


def test_a_device_lookup_loads_only_the_backend_it_chooses(fake_lib):
    plugins.register(backend_plugin(device="fakegpu"), name="fake-backend")
    assert tapegrad.ones(2, device="cpu").device.type == "cpu"
    assert fake_lib not in sys.modules
    assert tapegrad.ones(2, device="fakegpu").device.type == "fakegpu"
    assert fake_lib in sys.modules


def test_a_deferred_backends_array_given_to_as_tensor_finds_it():
    dask_array = pytest.importorskip("dask.array")
    if "dask" not in tapegrad.optable.table().backends:
        pytest.skip("the Dask plugin is not installed")
    x = tapegrad.as_tensor(dask_array.ones(3, chunks=2), requires_grad=True)
    (x * 2).sum().backward()
    assert x.device.type == "dask" and tapegrad.compute(x.grad)[0].tolist() == [2.0, 2.0, 2.0]


def run(code: str) -> str:
    env = {k: v for k, v in __import__("os").environ.items() if k != "TAPEGRAD_DISABLE_PLUGIN_AUTOLOAD"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_and_a_first_op_import_no_backend_library():
    out = run("""
        import sys, json
        import tapegrad as tg
        y = tg.ones(2) + 1
        y.sum().backward() if y.requires_grad else None
        names = [info.name for info in tg.plugins.infos()]
        print(json.dumps({"names": names, "imported": sorted(m for m in ("dask", "array_api_strict", "cupy",
              "scipy", "importlib.metadata", "tapegrad.testing.kit",
              "tapegrad.ops_builtin.linalg_kit", "tapegrad.ops_builtin.edge_cases")
              if m in sys.modules)}))
    """)
    result = json.loads(out)
    assert "tapegrad.ops_builtin" in result["names"]
    assert result["imported"] == []


def test_import_alone_loads_no_plugin_machinery():
    """``import tapegrad`` leaves pluggy, the plugin hooks and the op table to the first op (the import
    target is NumPy's import plus 30 ms): the engine's NumPy helpers live in a module without them."""
    out = run("""
        import sys
        import tapegrad
        print(sorted(m for m in ("pluggy", "tapegrad.hookspecs", "tapegrad.numpy_backend", "tapegrad.ops_builtin")
                     if m in sys.modules))
    """)
    assert out.strip() == "[]"


def test_the_backends_listing_imports_no_backend_library():
    out = run("""
        import sys, contextlib, io
        from tapegrad.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as text:
            main(["backends"])
        print("dask" in sys.modules, "array_api_strict" in sys.modules)
        print(text.getvalue())
    """)
    assert out.startswith("False False")
    assert "numpy (plugin tapegrad.numpy_backend, device cpu): loaded" in out


def test_dask_arrays_after_the_table_is_built_find_the_backend():
    pytest.importorskip("dask.array")
    out = run("""
        import sys
        import tapegrad as tg
        tg.ones(2) + 1
        assert "dask" not in sys.modules
        if "dask" in tg.optable.table().backends:
            import dask.array as da
            x = tg.as_tensor(da.arange(4.0, chunks=2), requires_grad=True)
            (x * x).sum().backward()
            print(x.device, tg.compute(x.grad)[0].tolist())
        else:
            print("dask [0.0, 2.0, 4.0, 6.0]")
    """)
    assert out.strip() == "dask [0.0, 2.0, 4.0, 6.0]"


# ------------------------------------------------------------- the cheap signature reading is inspect's
def _function(positional: int, posonly: int, defaults: int, varargs: bool, kwonly: list[tuple[str, bool]],
              varkw: bool):
    names = [f"p{i}" for i in range(positional)]
    parts = [n + ("=0" if i >= positional - defaults else "") for i, n in enumerate(names)]
    if posonly:
        parts.insert(min(posonly, positional), "/")
    if varargs:
        parts.append("*args")
    elif kwonly:
        parts.append("*")
    parts += [f"{n}=1" if d else n for n, d in kwonly]
    if varkw:
        parts.append("**kw")
    scope: dict = {}
    exec(f"def f({', '.join(parts)}): pass", scope)  # noqa: S102 - a generated signature under test
    return scope["f"]


signatures = st.integers(0, 5).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(0, n), st.integers(0, n), st.booleans(),
    st.lists(st.tuples(st.sampled_from(["a", "b", "dim", "keepdim"]), st.booleans()), max_size=3,
             unique_by=lambda kv: kv[0]),
    st.booleans()))


@settings(max_examples=300, deadline=None)
@given(signatures, st.integers(0, 7), st.lists(st.sampled_from(["a", "b", "dim", "keepdim", "p0", "p2", "kw"]),
                                                max_size=3, unique=True), st.booleans())
def test_reading_a_code_object_binds_as_inspect_does(signature, npositional, keywords, partial):
    f = _function(*signature)
    sig = inspect.signature(f)
    assert _parameters(f) == [(p.name, int(p.kind), p.default is not p.empty) for p in sig.parameters.values()]
    call = sig.bind_partial if partial else sig.bind
    try:
        call(*range(npositional), **dict.fromkeys(keywords))
        binds = True
    except TypeError:
        binds = False
    assert _binds_quickly(_parameters(f), npositional, keywords, partial) is binds


@pytest.mark.parametrize("vjp, match", [
    ((lambda xp, g, out: g,), r"the vjp rule for input 0 cannot be called as vjp\(xp, g, out, input0\): too many "
                              r"positional arguments"),
    ((lambda xp, g, out, x, y: g,), r"missing a required argument: 'y'"),
    ((lambda xp, g, out, x, *, scale: g,), r"it has a required keyword 'scale' the forward does not require"),
])
def test_vjp_arity_errors_are_still_raised_at_registration(vjp, match):
    with pytest.raises(RegistrationError, match=r"plugin 'p', op 'twice': .*" + match):
        Registry("p").register_op("twice", forward=lambda xp, x, *, factor=2: x * factor, vjp=vjp)


def test_a_vjp_refusing_a_param_of_the_forward_is_refused_at_registration():
    with pytest.raises(RegistrationError, match=r"does not accept the param 'factor' that the forward takes"):
        Registry("p").register_op("twice", forward=lambda xp, x, *, factor=2: x * factor,
                                  vjp=(lambda xp, g, out, x: g,))


def test_wrapped_functions_are_read_through_their_wrapper_as_inspect_does():
    import functools

    def forward(xp, x, y):
        return x + y

    @functools.wraps(forward)
    def wrapper(*args, **kwargs):
        return forward(*args, **kwargs)

    registry = Registry("p")
    registry.register_op("wrapped", forward=wrapper, vjp=(lambda xp, g, out, x, y: g, lambda xp, g, out, x, y: g))
    assert registry.ops[0][0].nin == 2


# ------------------------------------------------------------- entry points without importlib.metadata
def test_entry_points_are_found_as_importlib_metadata_finds_them():
    from importlib import metadata

    for group in ("tapegrad", "console_scripts", "pytest11"):
        ours = sorted((ep.name, ep.value, ep.version()) for ep in plugins.entry_points(group))
        theirs = sorted((ep.name, ep.value, ep.dist.version if ep.dist else None)
                        for ep in metadata.entry_points(group=group))
        assert ours == theirs, group


def test_a_deferred_backend_is_a_declaration_until_used():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry = Registry("p")
        registry.register_backend("lazyfake", array_types=(f"{LIB}.Array",), load=_load, device="cuda")
    (declared,) = registry.backends
    assert type(declared) is DeferredBackend and declared.device == "cuda" and declared.type_names() == (
        f"{LIB}.Array",)


def test_where_only_importlib_metadata_can_read_the_path_it_is_asked(monkeypatch):
    class Finder:  # a finder of distributions tapegrad cannot read itself
        @staticmethod
        def find_distributions(context=None):
            return iter(())

        @staticmethod
        def find_spec(*args):
            return None

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    found = {ep.name: ep for ep in plugins.entry_points("tapegrad")}
    assert "tapegrad.ops_builtin" not in found  # built-ins are no entry points
    assert all(ep.dist is not None for ep in found.values())


def test_ops_made_without_the_dataclass_init_are_the_same_frozen_ops():
    import dataclasses

    from tapegrad.registry import OpDef, _new_opdef

    registry = Registry("p")
    registry.register_op("twice", forward=lambda xp, x: x * 2, vjp=(lambda xp, g, out, x: 2 * g,))
    op = registry.ops[0][0]
    values = {f.name: getattr(op, f.name) for f in dataclasses.fields(OpDef) if f.name != "promotion_by_param"}
    assert repr(OpDef(**values)) == repr(_new_opdef(**values)) == repr(op)
    assert _new_opdef(**values).promotion_by_param == {} and op.promotion_by_param is not _new_opdef(
        **values).promotion_by_param  # a default made per op, as the dataclass makes it
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.name = "thrice"
    with pytest.raises(TypeError, match="missing"):
        _new_opdef(name="incomplete")


def test_an_unhashable_callable_forward_is_read_too():
    class Forward:
        __hash__ = None  # type: ignore[assignment]

        def __eq__(self, other):
            return False

        def __call__(self, xp, x):
            return x * 2

    registry = Registry("p")
    registry.register_op("twice", forward=Forward(), vjp=(lambda xp, g, out, x: 2 * g,))
    assert registry.ops[0][0].nin == 1
