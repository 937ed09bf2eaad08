"""Plugin loading: in-process registration, conflicts, isolation, entry points and their controls."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from fake_site import make_site, run_python

import tapegrad
from tapegrad import plugins
from tapegrad.plugins import PluginLoadError


def make_plugin(**ops):
    """A plugin object registering unary ops name -> (forward, vjp)."""

    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            for name, (forward, vjp) in ops.items():
                registry.register_op(name, forward=forward, vjp=vjp)

    return Plugin


SOFTSIGN = (lambda xp, x: x / (1 + xp.abs(x)), (lambda xp, g, ans, x: g / (1 + xp.abs(x)) ** 2,))


def test_register_in_process_makes_op_public_everywhere():
    plugins.register(make_plugin(softsign=SOFTSIGN), name="softsign-plugin")
    x = tapegrad.tensor([0.0, 1.0], requires_grad=True)
    y = tapegrad.softsign(x)
    assert tapegrad.ops.softsign is tapegrad.softsign
    np.testing.assert_allclose(y.detach().numpy(), [0.0, 0.5], rtol=1e-6)
    assert repr(y.grad_fn).startswith("<SoftsignBackward0 object at 0x")
    assert y.grad_fn.plugin == "softsign-plugin"
    (g,) = tapegrad.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = tapegrad.autograd.grad(g.sum(), x)
    x_ = np.array([0.0, 1.0])  # softsign'' = -2 sign(x) / (1 + |x|)^3
    np.testing.assert_allclose(h.numpy(), -2 * np.sign(x_) / (1 + np.abs(x_)) ** 3, rtol=1e-5)


def test_unregister_removes_the_op():
    plugins.register(make_plugin(softsign=SOFTSIGN), name="softsign-plugin")
    assert "softsign" in tapegrad.list_ops()
    plugins.unregister("softsign-plugin")
    assert "softsign" not in tapegrad.list_ops()
    with pytest.raises(tapegrad.NoSuchOpError, match="no op 'softsign' is registered"):
        tapegrad.softsign(tapegrad.ones(2))
    with pytest.raises(ValueError, match="no plugin named"):
        plugins.unregister("softsign-plugin")


def test_registering_the_same_name_twice_is_refused():
    plugins.register(make_plugin(softsign=SOFTSIGN), name="p1")
    with pytest.raises(ValueError, match="already registered"):
        plugins.register(make_plugin(other=SOFTSIGN), name="p1")


def test_two_plugins_with_one_op_name_refuse_the_later_listing_both():
    plugins.register(make_plugin(softsign=SOFTSIGN), name="first")
    plugins.register(make_plugin(softsign=SOFTSIGN, other_op=SOFTSIGN), name="second")
    with pytest.warns(tapegrad.PluginLoadWarning,
                      match=r"'second' was refused: op 'softsign' is registered by two plugins, 'first' and 'second'"):
        assert tapegrad.lookup("softsign").plugin == "first"
    assert "other_op" not in tapegrad.list_ops()  # refused whole, not half-registered
    assert (tapegrad.ones(2) + 1).tolist() == [2.0, 2.0]  # everything else keeps working
    info = {p.name: p for p in tapegrad.optable.table().plugins}["second"]
    assert "registered by two plugins" in info.error and info.ops == []


def test_a_clash_is_an_error_in_strict_mode(monkeypatch):
    monkeypatch.setenv("TAPEGRAD_STRICT_PLUGINS", "1")
    plugins.register(make_plugin(softsign=SOFTSIGN), name="first")
    plugins.register(make_plugin(softsign=SOFTSIGN), name="second")
    with pytest.raises(PluginLoadError, match="'second' was refused: op 'softsign' is registered by two plugins"):
        tapegrad.list_ops()


def test_override_replaces_deliberately():
    class Override:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("neg", forward=lambda xp, x: xp.negative(x) * 10,
                                 vjp=(lambda xp, g, ans, x: -10 * g,), override=True)

    plugins.register(Override, name="loud-neg")
    with pytest.warns(plugins.PluginSideEffectWarning, match="'loud-neg' overrides op 'neg'"):
        assert (-tapegrad.ones(1)).tolist() == [-10.0]
    assert tapegrad.lookup("neg").plugin == "loud-neg"
    assert "negative" not in tapegrad.list_ops()  # the replaced op's aliases went with it


@pytest.mark.parametrize("name", ["tensor", "no_grad", "autograd", "grad", "backward"])
def test_op_names_that_shadow_the_api_are_refused(name):
    plugins.register(make_plugin(**{name: SOFTSIGN}), name="shadow")
    with pytest.warns(tapegrad.PluginLoadWarning, match=rf"'shadow'.*{name!r} would shadow"):
        tapegrad.list_ops()
    assert tapegrad.tensor is not None and callable(tapegrad.no_grad)


def test_a_raising_hook_is_isolated_and_leaves_nothing_behind():
    class Broken:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("half_done", forward=lambda xp, x: x, vjp=(lambda xp, g, ans, x: g,))
            raise ValueError("boom")

    plugins.register(Broken, name="broken")
    with pytest.warns(tapegrad.PluginLoadWarning, match=r"'broken'.*ValueError: boom"):
        ops = tapegrad.list_ops()
    assert "half_done" not in ops and "add" in ops
    assert (tapegrad.ones(1) + 1).tolist() == [2.0]


def test_strict_mode_turns_a_failing_hook_into_an_error(monkeypatch):
    class Broken:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            raise ValueError("boom")

    monkeypatch.setenv("TAPEGRAD_STRICT_PLUGINS", "1")
    plugins.register(Broken, name="broken")
    with pytest.raises(PluginLoadError, match="'broken' failed in tapegrad_register_ops"):
        tapegrad.list_ops()


def test_misspelled_hook_name_is_an_error_naming_the_plugin():
    class Typo:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_op(registry):  # missing the s
            pass

    with pytest.raises(PluginLoadError, match=r"(?s)plugin 'typo'.*tapegrad_register_op"):
        plugins.register(Typo, name="typo")
    assert not plugins.plugin_manager().has_plugin("typo")


def test_misspelled_hook_argument_is_an_error_and_nothing_is_half_registered():
    class Typo:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_backends(registry):
            pass

        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registy):  # misspelled argument
            pass

    with pytest.raises(PluginLoadError, match=r"(?s)plugin 'typo'.*registy"):
        plugins.register(Typo, name="typo")
    pm = plugins.plugin_manager()
    assert not pm.has_plugin("typo")
    assert all(impl.plugin_name != "typo" for impl in pm.hook.tapegrad_register_backends.get_hookimpls())


def test_blocking_the_builtin_ops_leaves_tensors_working():
    plugins.block("tapegrad.ops_builtin")
    x = tapegrad.ones(2, 2, requires_grad=True)
    assert "tensor([[1., 1.]," in repr(x)
    with pytest.raises(tapegrad.NoSuchOpError, match="no op 'add' is registered"):
        x + 1
    with pytest.raises(tapegrad.NoSuchOpError, match="no op 'mul' is registered"):
        tapegrad.mul(x, 2)
    with pytest.raises(AttributeError, match="no attribute 'sum'"):
        x.sum()
    plugins.unblock("tapegrad.ops_builtin")
    assert (x + 1).sum().item() == 8.0


def test_blocked_name_cannot_be_registered():
    plugins.block("nope")
    with pytest.raises(ValueError, match="blocked"):
        plugins.register(make_plugin(softsign=SOFTSIGN), name="nope")


def test_registration_errors_name_plugin_and_op():
    def bad_arity(registry):
        registry.register_op("bad", forward=lambda xp, x, y: x, vjp=(lambda *a: a[1],))

    class Plugin:
        tapegrad_register_ops = staticmethod(tapegrad.hookimpl(bad_arity))

    plugins.register(Plugin, name="arity")
    with pytest.warns(tapegrad.PluginLoadWarning, match=r"plugin 'arity', op 'bad': vjp lists 1 rules but forward takes 2"):
        tapegrad.list_ops()


def test_hook_implementations_are_called_once_per_table_build_not_per_op():
    calls = []

    class Counting:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            calls.append(1)
            registry.register_op("ident", forward=lambda xp, x: xp.asarray(x), vjp=(lambda xp, g, ans, x: g,))

    plugins.register(Counting, name="counting")
    x = tapegrad.ones(3, requires_grad=True)
    for _ in range(50):
        x = tapegrad.ident(x) * 1.0
    x.sum().backward()
    assert calls == [1]


# ----------------------------------------------------------------------------- entry points
FAKE_PLUGIN = textwrap.dedent('''
    import tapegrad

    @tapegrad.hookimpl
    def tapegrad_register_ops(registry):
        registry.register_op(
            "softsign",
            forward=lambda xp, x: x / (1 + xp.abs(x)),
            vjp=lambda xp, g, out, x: (g / (1 + xp.abs(x)) ** 2,),
        )
''')


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder with two installed-looking distributions: a good plugin and one that fails to import."""
    return make_site(tmp_path, {"fake_softsign": ("softsign", "fake_softsign", FAKE_PLUGIN),
                                "fake_broken": ("broken", "fake_broken", "raise ImportError('missing dependency xyz')\n")})


PROBE = textwrap.dedent('''
    import json, warnings
    warnings.simplefilter("always")
    import tapegrad
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ops = tapegrad.list_ops()
    x = tapegrad.tensor([0.5], requires_grad=True)
    result = None
    if "softsign" in ops:
        y = tapegrad.softsign(x)
        (g,) = tapegrad.autograd.grad(y.sum(), x, create_graph=True)
        result = [y.item(), g.item(), y.grad_fn.plugin]
    infos = {p.name: [p.source, p.version, p.error] for p in tapegrad.plugins.infos()}
    print(json.dumps({"result": result, "infos": infos, "warnings": [str(w.message) for w in caught]}))
''')


def test_entry_point_plugins_load_lazily_and_in_isolation(site):
    proc = run_python(PROBE, site)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    value, slope, plugin = report["result"]
    assert value == pytest.approx(0.5 / 1.5, rel=1e-6)
    assert slope == pytest.approx(1 / 1.5 ** 2, rel=1e-6)
    assert plugin == "softsign"
    assert report["infos"]["softsign"][:2] == ["entry point", "1.2.3"]
    assert "missing dependency xyz" in report["infos"]["broken"][2]
    assert any("'broken' failed to load" in w and "missing dependency xyz" in w for w in report["warnings"])
    assert report["infos"]["tapegrad.ops_builtin"][0] == "built-in"


def test_importing_tapegrad_loads_no_plugin(site):
    code = "import sys, tapegrad; print('fake_softsign' in sys.modules, 'pluggy' in sys.modules)"
    proc = run_python(code, site)
    assert proc.stdout.split()[0] == "False"


def test_disable_autoload(site):
    report = json.loads(run_python(PROBE, site, TAPEGRAD_DISABLE_PLUGIN_AUTOLOAD="1").stdout)
    assert report["result"] is None
    assert set(report["infos"]) == {"tapegrad.numpy_backend", "tapegrad.ops_builtin"}


def test_only_the_named_plugins(site):
    report = json.loads(run_python(PROBE, site, TAPEGRAD_PLUGINS="softsign").stdout)
    assert report["result"] is not None
    assert "broken" not in report["infos"]


def test_strict_plugins_make_a_load_failure_an_error(site):
    proc = run_python(PROBE, site, TAPEGRAD_STRICT_PLUGINS="1")
    assert proc.returncode != 0
    assert "PluginLoadError" in proc.stderr and "'broken' failed to load" in proc.stderr


def test_cli_plugins_and_ops(site):
    proc = run_python("from tapegrad.cli import main; raise SystemExit(main(['plugins', '--json']))", site)
    listing = {p["name"]: p for p in json.loads(proc.stdout)}
    assert listing["softsign"]["ops"] == ["softsign"] and listing["softsign"]["version"] == "1.2.3"
    assert "missing dependency xyz" in listing["broken"]["error"]
    proc = run_python("from tapegrad.cli import main; raise SystemExit(main(['ops']))", site)
    assert any(line.split()[:2] == ["softsign", "softsign"] for line in proc.stdout.splitlines())


def test_cli_check_passes_and_fails(site, tmp_path):
    proc = run_python("from tapegrad.cli import main; raise SystemExit(main(['check', 'softsign']))", site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all checks passed for 1 op(s)" in proc.stdout
    (site / "fake_softsign.py").write_text(FAKE_PLUGIN.replace("(g / (1 + xp.abs(x)) ** 2", "(g / (2 + xp.abs(x)) ** 2"))
    proc = run_python("from tapegrad.cli import main; raise SystemExit(main(['check', 'softsign']))", site)
    assert proc.returncode == 1
    assert "failed in op(s): softsign" in proc.stdout and "gradients" in proc.stdout


def test_python_dash_m_tapegrad():
    proc = subprocess.run([sys.executable, "-m", "tapegrad", "ops", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert {"op": "add", "plugin": "tapegrad.ops_builtin", "aliases": []} in json.loads(proc.stdout)
