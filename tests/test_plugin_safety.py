"""Adversarial plugins: whatever one plugin does while loading, everyone else keeps a working tapegrad.

Each test is a plugin written to hurt (replacing methods, raising BaseException, changing global
state, clashing backends, half-marked hooks), registered in-process or installed by entry point,
and asserts that it is refused or contained with a message naming it.
"""

from __future__ import annotations

import json
import textwrap
import types
import warnings

import numpy as np
import pytest
from fake_site import make_site, run_python

import tapegrad
from tapegrad import plugins
from tapegrad.plugins import PluginLoadError, PluginSideEffectWarning

IDENT = dict(forward=lambda xp, x: xp.asarray(x), vjp=(lambda xp, g, ans, x: g,))


def plugin(register_ops=None, register_backends=None):
    """A plugin object with the given hook bodies."""
    attrs = {}
    if register_ops is not None:
        attrs["tapegrad_register_ops"] = staticmethod(tapegrad.hookimpl(
            lambda registry: register_ops(registry)))
    if register_backends is not None:
        attrs["tapegrad_register_backends"] = staticmethod(tapegrad.hookimpl(
            lambda registry: register_backends(registry)))
    return type("Plugin", (), attrs)


def refused_with(match: str) -> pytest.WarningsChecker:
    return pytest.warns(tapegrad.PluginLoadWarning, match=match)


# ------------------------------------------------------------- methods and operators conflict like op names
def test_a_plugin_replacing_a_tensor_method_is_refused_whole():
    def evil(registry):
        registry.register_op("evil_sum", forward=lambda xp, x: -xp.sum(x), vjp=(lambda xp, g, ans, x: -g,),
                             methods=("sum",))
        registry.register_op("innocent", **IDENT)

    plugins.register(plugin(evil), name="evil")
    x = tapegrad.tensor([1.0, 2.0, 3.0])
    with refused_with(r"plugin 'evil' was refused: .*Tensor method 'sum' is bound by two ops, 'sum' of plugin "
                      r"'tapegrad.ops_builtin' and 'evil_sum' of plugin 'evil'"):
        assert x.sum().item() == 6.0
    assert tapegrad.sum(x).item() == 6.0
    assert "evil_sum" not in tapegrad.list_ops() and "innocent" not in tapegrad.list_ops()


def test_a_plugin_replacing_an_inplace_method_is_refused_whole_and_an_error_when_strict(monkeypatch):
    def evil(registry):
        registry.register_op("evil_add", forward=lambda xp, x, y: x - y,
                             vjp=(lambda xp, g, ans, x, y: g, lambda xp, g, ans, x, y: -g),
                             inplace_methods=("add_",))

    plugins.register(plugin(evil), name="evil")
    with refused_with(r"'evil' was refused: .*Tensor method 'add_'"):
        x = tapegrad.ones(2)
        x.add_(1)
    assert x.tolist() == [2.0, 2.0]
    monkeypatch.setenv("TAPEGRAD_STRICT_PLUGINS", "1")
    plugins.unregister("evil")
    plugins.register(plugin(evil), name="evil")
    for _ in range(2):  # every use, not only the first
        with pytest.raises(PluginLoadError, match=r"'evil' was refused: .*'add_'"):
            tapegrad.ones(2).add_(1)


@pytest.mark.parametrize("method, why", [("backward", "Tensor's own attribute"), ("__add__", "public identifier"),
                                          ("_secret", "public identifier")])
def test_methods_may_not_shadow_tensor_attributes_or_operators(method, why):
    def sneaky(registry):
        registry.register_op("sneaky", **IDENT, methods=(method,))

    plugins.register(plugin(sneaky), name="sneaky")
    with refused_with(rf"'sneaky' was refused: .*{method!r}.*{why}"):
        tapegrad.list_ops()
    x = tapegrad.ones(2, requires_grad=True)
    (x + x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_two_ops_of_one_plugin_binding_one_method_are_refused():
    def twice(registry):
        registry.register_op("first_op", **IDENT, methods=("twice",))
        registry.register_op("second_op", **IDENT, methods=("twice",))

    plugins.register(plugin(twice), name="twice")
    with refused_with(r"'twice' was refused: .*'twice' is bound by two ops, 'first_op' of plugin 'twice' and "
                      r"'second_op' of plugin 'twice'"):
        tapegrad.list_ops()


def test_override_of_a_builtin_op_warns_once_naming_the_plugin():
    def loud(registry):
        registry.register_op("add", forward=lambda xp, x, y: x + y + 100,
                             vjp=(lambda xp, g, ans, x, y: g, lambda xp, g, ans, x, y: g), override=True)

    plugins.register(plugin(loud), name="loud-add")
    with pytest.warns(PluginSideEffectWarning,
                      match=r"plugin 'loud-add' overrides op 'add' of plugin 'tapegrad.ops_builtin'"):
        assert (tapegrad.ones(1) + 1).tolist() == [102.0]
    plugins.register(plugin(lambda r: r.register_op("other_op", **IDENT)), name="unrelated")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the table is rebuilt; the override is not announced again
        assert (tapegrad.ones(1) + 1).tolist() == [102.0]


def test_override_may_take_a_method_deliberately_and_says_so():
    def taker(registry):
        registry.register_op("my_sum", forward=lambda xp, x: xp.sum(x) * 0, vjp=(lambda xp, g, ans, x: 0 * g,),
                             methods=("sum",), override=True)

    plugins.register(plugin(taker), name="taker")
    x = tapegrad.ones(3)
    with pytest.warns(PluginSideEffectWarning, match=r"'taker' overrides Tensor.sum, bound by op 'sum' of plugin "
                                                      r"'tapegrad.ops_builtin'"):
        assert x.sum().item() == 0.0
    assert tapegrad.sum(x).item() == 3.0


# ------------------------------------------------------------- BaseException while loading
@pytest.mark.parametrize("exc", [SystemExit(3), GeneratorExit()])
def test_a_hook_raising_a_base_exception_is_that_plugins_failure(exc):
    def exits(registry):
        raise exc

    plugins.register(plugin(exits), name="exits")
    with refused_with(rf"plugin 'exits' failed in tapegrad_register_ops: {type(exc).__name__}"):
        assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]


def test_keyboard_interrupt_in_a_hook_propagates_and_the_next_use_builds_again():
    calls = []

    def interrupted_once(registry):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        registry.register_op("late_op", **IDENT)

    plugins.register(plugin(interrupted_once), name="interrupted")
    with pytest.raises(KeyboardInterrupt):
        tapegrad.ones(2) + 1
    assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]
    assert "late_op" in tapegrad.list_ops() and "add" in tapegrad.list_ops()


def test_an_interrupt_while_binding_leaves_no_half_installed_table(monkeypatch):
    """Interrupted while binding functions onto tapegrad.ops (after tapegrad itself got them all), the
    next build must bind its own ops, not keep the interrupted build's."""
    interrupted = []

    class Interrupting(types.ModuleType):
        def __setattr__(self, name, value):
            if not interrupted:
                interrupted.append(name)
                raise KeyboardInterrupt
            super().__setattr__(name, value)

    plugins.register(plugin(lambda r: r.register_op("fresh_op", **IDENT)), name="fresh")
    monkeypatch.setattr(tapegrad.ops, "__class__", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        tapegrad.list_ops()
    assert "fresh_op" not in vars(tapegrad)
    assert tapegrad.fresh_op is tapegrad.lookup("fresh_op").apply
    assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]


# ------------------------------------------------------------- strict mode, every use
def test_strict_mode_raises_on_every_use_naming_every_failure(monkeypatch):
    monkeypatch.setenv("TAPEGRAD_STRICT_PLUGINS", "1")

    def boom(registry):
        raise ValueError("boom")

    plugins.register(plugin(boom), name="boom-1")
    plugins.register(plugin(boom), name="boom-2")
    for _ in range(3):
        with pytest.raises(PluginLoadError, match=r"(?s)'boom-1' failed in tapegrad_register_ops.*'boom-2' failed"):
            tapegrad.ones(2) + 1
    monkeypatch.delenv("TAPEGRAD_STRICT_PLUGINS")
    with refused_with("boom"):
        assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]


def test_dash_w_error_raises_on_every_use_too():
    def boom(registry):
        raise ValueError("boom")

    plugins.register(plugin(boom), name="boom")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            with pytest.raises(tapegrad.PluginLoadWarning, match="'boom' failed in tapegrad_register_ops"):
                tapegrad.ones(2) + 1


# ------------------------------------------------------------- block / unblock keeps the load order
def test_block_then_unblock_builtins_with_a_clashing_plugin_restores_the_builtins():
    def clash(registry):
        registry.register_op("add", forward=lambda xp, x, y: x * 0, vjp=(None, None))

    plugins.register(plugin(clash), name="clash")
    with refused_with("'clash' was refused"):
        assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]
    plugins.block("tapegrad.ops_builtin")
    assert (tapegrad.ones(2) + 1).tolist() == [0.0, 0.0]  # the only 'add' now
    plugins.unblock("tapegrad.ops_builtin")
    with refused_with("'clash' was refused"):
        assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]
    assert len(tapegrad.list_ops()) > 50
    names = [p.name for p in plugins.infos()]
    assert names.index("tapegrad.ops_builtin") < names.index("clash")


# ------------------------------------------------------------- global state is restored, and named
def test_global_state_changed_by_a_hook_is_restored_with_a_warning_naming_the_plugin():
    def meddling(registry):
        np.seterr(all="raise")
        np.set_printoptions(precision=2)
        tapegrad.set_default_dtype(tapegrad.float64)
        tapegrad.set_printoptions(precision=1)
        registry.register_op("meddled", **IDENT)

    before = np.geterr(), np.get_printoptions()
    plugins.register(plugin(meddling), name="meddling")
    with pytest.warns(PluginSideEffectWarning,
                      match=r"plugin 'meddling' changed .*np.seterr.*np.set_printoptions.*set_default_dtype.*"
                            r"set_printoptions.* while loading; tapegrad restored"):
        assert "meddled" in tapegrad.list_ops()
    assert (np.geterr(), np.get_printoptions()) == before
    assert tapegrad.get_default_dtype() is tapegrad.float32
    assert repr(tapegrad.tensor([1.0 / 3])) == "tensor([0.3333])"


# ------------------------------------------------------------- a plugin's op failing at run time names it
def test_a_vjp_that_raises_names_op_and_plugin():
    def bad(registry):
        registry.register_op("keyed", forward=lambda xp, x: x * 2, vjp=(lambda xp, g, ans, x: {}["missing"],))

    plugins.register(plugin(bad), name="bad-vjp")
    x = tapegrad.ones(2, requires_grad=True)
    with pytest.raises(KeyError) as caught:
        tapegrad.keyed(x).sum().backward()
    assert any("op 'keyed'" in note and "plugin 'bad-vjp'" in note for note in caught.value.__notes__)


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_vjp_returning_a_string_names_op_and_plugin(create_graph):
    def bad(registry):
        registry.register_op("stringy", forward=lambda xp, x: x * 2, vjp=(lambda xp, g, ans, x: "oops",))

    plugins.register(plugin(bad), name="bad-vjp")
    x = tapegrad.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"the VJP of op 'stringy' \(plugin 'bad-vjp'\) returned str for input 0"):
        tapegrad.stringy(x).sum().backward(create_graph=create_graph)


@pytest.mark.parametrize("vjp, expected", [
    ((lambda xp, g, x: g,), r"vjp rule for input 0 .*takes xp, g, out and the 1 input"),
    ((lambda xp, g, out, x, y: g,), r"vjp rule for input 0 "),
    (lambda xp, g, out: (g,), r"vjp "),
    ((lambda xp, g, out, x, *, scale: g,), r"required keyword 'scale'"),
    ((lambda xp, g, out, x: g,), r"does not accept the param 'factor'"),
])
def test_vjp_signatures_are_checked_at_registration(vjp, expected):
    def bad(registry):
        registry.register_op("arity", forward=lambda xp, x, factor=2.0: x * factor, vjp=vjp)

    plugins.register(plugin(bad), name="bad-arity")
    with refused_with(rf"plugin 'bad-arity', op 'arity': .*{expected}"):
        assert "arity" not in tapegrad.list_ops()


def test_vjps_with_star_args_and_kwargs_pass_the_signature_check():
    def fine(registry):
        registry.register_op("flexible", forward=lambda xp, x, factor=2.0: x * factor,
                             vjp=(lambda xp, g, out, *inputs, **params: g * params.get("factor", 2.0),))

    plugins.register(plugin(fine), name="fine")
    x = tapegrad.ones(2, requires_grad=True)
    tapegrad.flexible(x, factor=3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


# ------------------------------------------------------------- backends
NUMPY_AGAIN = dict(namespace=np, array_types=(np.ndarray,), to_numpy=np.asarray, from_numpy=np.asarray)


class Fake:
    """An array type nobody else claims."""


FAKE = dict(namespace=np, array_types=(Fake,), to_numpy=np.asarray, from_numpy=np.asarray)


def test_a_backend_claiming_numpys_array_type_is_refused():
    plugins.register(plugin(register_backends=lambda r: r.register_backend("fake_numpy", **NUMPY_AGAIN)),
                     name="claims-ndarray")
    with refused_with(r"'claims-ndarray' was refused: backend 'fake_numpy' claims the array type numpy.ndarray, "
                      r"which is backend 'numpy''s"):
        assert "fake_numpy" not in tapegrad.optable.table().backends
    assert tapegrad.optable.table().backend_of[np.ndarray].name == "numpy"


def test_a_backend_name_clash_refuses_the_later_plugin_and_is_an_error_when_strict(monkeypatch):
    plugins.register(plugin(register_backends=lambda r: r.register_backend("numpy", **FAKE)), name="second-numpy")
    with refused_with(r"'second-numpy' was refused: backend 'numpy' is registered by two plugins"):
        assert tapegrad.optable.table().backends["numpy"].plugin == "tapegrad.numpy_backend"
    monkeypatch.setenv("TAPEGRAD_STRICT_PLUGINS", "1")
    plugins.unregister("second-numpy")
    plugins.register(plugin(register_backends=lambda r: r.register_backend("numpy", **FAKE)), name="second-numpy")
    with pytest.raises(PluginLoadError, match="backend 'numpy' is registered by two plugins"):
        tapegrad.list_ops()


# ------------------------------------------------------------- what is a plugin at all
@pytest.mark.parametrize("thing, match", [
    (3, r"plugin 'three' is int 3, not a module or object with tapegrad hook implementations"),
    (types.SimpleNamespace(), r"plugin 'three' implements no tapegrad hook"),
])
def test_an_object_with_no_hooks_is_refused(thing, match):
    with pytest.raises(PluginLoadError, match=match):
        plugins.register(thing, name="three")
    assert not plugins.plugin_manager().has_plugin("three")


def test_unmarked_hook_functions_are_named():
    class Unmarked:
        @staticmethod
        def tapegrad_register_ops(registry):
            registry.register_op("never", **IDENT)

    with pytest.raises(PluginLoadError, match=r"plugin 'unmarked' defines tapegrad_register_ops without "
                                              r"@tapegrad.hookimpl"):
        plugins.register(Unmarked, name="unmarked")


@pytest.mark.parametrize("marked", [True, False])
def test_misspelled_hooks_get_a_did_you_mean(marked):
    def tapegrad_register_op(registry):
        pass

    typo = type("Typo", (), {"tapegrad_register_op": staticmethod(
        tapegrad.hookimpl(tapegrad_register_op) if marked else tapegrad_register_op)})
    with pytest.raises(PluginLoadError, match=r"tapegrad_register_op.*did you mean 'tapegrad_register_ops'\?"):
        plugins.register(typo, name="typo")


# ------------------------------------------------------------- the same by entry point
MODULES = {
    "exits_at_import": "raise SystemExit(3)\n",
    "an_int": "VALUE = 3\n",
    "unmarked": "def tapegrad_register_ops(registry):\n    registry.register_op('never', forward=lambda xp, x: x)\n",
    "misspelled": "import tapegrad\n@tapegrad.hookimpl\ndef tapegrad_register_op(registry):\n    pass\n",
    "meddling": ("import numpy as np, tapegrad\nnp.seterr(all='raise')\ntapegrad.set_default_dtype(tapegrad.float64)\n"
                 "np.set_printoptions(precision=2)\n@tapegrad.hookimpl\ndef tapegrad_register_ops(registry):\n"
                 "    registry.register_op('meddled', forward=lambda xp, x: x * 1, vjp=(lambda xp, g, out, x: g,))\n"),
    "good": ("import tapegrad\n@tapegrad.hookimpl\ndef tapegrad_register_ops(registry):\n"
             "    registry.register_op('good_op', forward=lambda xp, x: x * 1, vjp=(lambda xp, g, out, x: g,))\n"),
}

PROBE = f"MINE = {sorted(MODULES)}\n" + textwrap.dedent('''
    import json, sys, warnings
    import numpy as np
    import tapegrad
    report = {"uses": []}
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            if not sys.warnoptions:  # under -W error, warnings stay errors
                warnings.simplefilter("always")
            try:
                report["uses"].append((tapegrad.ones(2) + 1).tolist())
            except BaseException as exc:
                report["uses"].append(f"{type(exc).__name__}: {exc}")
        report.setdefault("warnings", [str(w.message) for w in caught])
    report["ops"] = sorted(n for n, p in tapegrad.list_ops().items() if p.startswith("tg_") or p in MINE) \\
        if isinstance(report["uses"][-1], list) else None
    report["infos"] = {p.name: p.error for p in tapegrad.plugins.infos()}
    report["state"] = [np.geterr()["divide"], str(tapegrad.get_default_dtype()), np.get_printoptions()["precision"]]
    print(json.dumps(report))
''')


@pytest.fixture(scope="module")
def adversarial_site(tmp_path_factory):
    """Every adversarial module, the first on an earlier path entry than the good one."""
    root = tmp_path_factory.mktemp("site")
    early = make_site(root / "early", {f"dist_{m}": (m, f"tg_{m}" + (":VALUE" if m == "an_int" else ""), src) for m, src in MODULES.items() if m != "good"})
    late = make_site(root / "late", {"dist_good": ("good", "tg_good", MODULES["good"])})
    return early, late


def probe(sites, args=(), **env):
    proc = run_python(PROBE, *sites, args=args, **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_entry_points_each_load_or_fail_on_their_own(adversarial_site):
    report = probe(adversarial_site)
    assert report["uses"] == [[2.0, 2.0], [2.0, 2.0]]
    assert report["ops"] == ["good_op", "meddled"]
    infos, text = report["infos"], "\n".join(report["warnings"])
    assert infos["good"] is None and infos["meddling"] is None
    assert "SystemExit: 3" in infos["exits_at_import"] and "'exits_at_import' failed to load" in text
    assert "is int 3, not a module" in infos["an_int"]
    assert "defines tapegrad_register_ops without @tapegrad.hookimpl" in infos["unmarked"]
    assert "did you mean 'tapegrad_register_ops'?" in infos["misspelled"]
    assert report["state"] == ["warn", "tapegrad.float32", 8]
    assert "plugin 'meddling' changed" in text and "restored" in text


@pytest.mark.parametrize("how", [{"env": {"TAPEGRAD_STRICT_PLUGINS": "1"}, "error": "PluginLoadError"},
                                 {"args": ("-W", "error"), "error": "PluginLoadWarning"}])
def test_strict_and_dash_w_error_raise_on_every_use_and_still_load_every_plugin(adversarial_site, how):
    report = probe(adversarial_site, args=how.get("args", ()), **how.get("env", {}))
    assert all(isinstance(use, str) and use.startswith(how["error"]) for use in report["uses"]), report["uses"]
    assert "'exits_at_import' failed to load" in report["uses"][0]
    assert report["infos"]["good"] is None  # loaded and listed, though after failing ones


def test_keyboard_interrupt_while_importing_an_entry_point_propagates_and_the_next_use_loads_again(tmp_path):
    site = make_site(tmp_path, {"dist_ki": ("ki", "tg_ki", '''
        import os, tapegrad
        if not os.environ.get("TG_INTERRUPTED"):
            os.environ["TG_INTERRUPTED"] = "1"
            raise KeyboardInterrupt
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("ki_op", forward=lambda xp, x: x * 1, vjp=(lambda xp, g, out, x: g,))
    ''')})
    proc = run_python('''
        import tapegrad
        try:
            tapegrad.ones(2) + 1
        except KeyboardInterrupt:
            print("interrupted")
        print((tapegrad.ones(2) + 1).tolist(), "ki_op" in tapegrad.list_ops(), [p.name for p in tapegrad.plugins.infos()])
    ''', site, TAPEGRAD_PLUGINS="ki")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["interrupted", "[2.0, 2.0] True ['tapegrad.numpy_backend', "
                                                       "'tapegrad.ops_builtin', 'ki']"]


def test_tapegrad_plugins_empty_loads_none_and_an_unknown_name_warns(adversarial_site):
    report = probe(adversarial_site, TAPEGRAD_PLUGINS="")
    assert report["ops"] == [] and report["warnings"] == []
    report = probe(adversarial_site, TAPEGRAD_PLUGINS="good,nonexistent")
    assert report["ops"] == ["good_op"]
    assert any("'nonexistent'" in w and "no such plugin is installed" in w for w in report["warnings"])


def test_the_loader_knows_every_hook():
    from tapegrad import hookspecs

    assert set(plugins.HOOKS) == {name for name in vars(hookspecs) if name.startswith("tapegrad_")}
