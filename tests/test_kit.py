"""The conformance kit: the built-in ops pass it, and it catches what it promises to catch."""

from __future__ import annotations

import pytest

import tapegrad
from tapegrad import plugins
from conftest import EAGER
from tapegrad.testing import EdgeCase, Sample, check_op, op_checks, ops_of_plugin, parametrize_with_op_checks

BUILTIN_OPS = ops_of_plugin("tapegrad.ops_builtin")

# Special points where the declared expectation is PyTorch's (tests/parity checks it) and the op
# is wrong today; the fixes are on other branches. Strict xfails: remove an entry once its fix is
# merged (a fixed op then fails here as an unexpected pass, so it cannot be forgotten).
KNOWN_EDGE_CASE_FAILURES: dict[str, str] = {}  # "op-edge_cases" -> why a declared special point fails today


def known_failures(ops: list[str]) -> dict[str, str]:
    """The entries of KNOWN_EDGE_CASE_FAILURES for ``ops``: for the other suites that run the kit on built-ins."""
    return {k: v for k, v in KNOWN_EDGE_CASE_FAILURES.items() if k.rsplit("-", 1)[0] in ops}


@parametrize_with_op_checks(BUILTIN_OPS, expected_failures=KNOWN_EDGE_CASE_FAILURES, backends=EAGER)
def test_builtin_op_conforms(op_check):
    op_check()


def test_builtin_ops_are_all_checked():
    assert set(BUILTIN_OPS) >= {"add", "sub", "mul", "div", "pow", "neg", "sum", "mean", "exp", "log",
                                "reshape", "broadcast_to", "expand_dims", "astype"}
    ids = {c.id for name in BUILTIN_OPS for c in op_checks(name)}
    assert {"add-broadcasting", "add-python_scalars", "mul-higher_order", "sum-gradients", "log-no_mutation"} <= ids


def register(name: str, **kwargs) -> None:
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op(name, **kwargs)

    plugins.register(Plugin, name=f"plugin-{name}")


def failures(name: str, **options) -> str:
    with pytest.raises(AssertionError) as info:
        check_op(name, **options)
    return str(info.value)


def test_wrong_vjp_fails_gradients_naming_op_check_and_input():
    register("badsin", forward=lambda xp, x: xp.sin(x), vjp=(lambda xp, g, ans, x: g * xp.cos(x) * 1.01,))
    message = failures("badsin", order=1)
    assert "op 'badsin' (plugin 'plugin-badsin') failed check 'gradients' for Sample((3,))" in message
    assert "VJP for input 0" in message


def test_wrong_second_order_is_caught():
    # right first derivative, but written with a constant that hides the dependence on x
    register("cube", forward=lambda xp, x: x * x * x,
             vjp=(lambda xp, g, ans, x: g * 3 * xp.asarray(x * x if not hasattr(x, "_grad_fn") else x.detach() ** 2),),
             saves=("inputs",))
    message = failures("cube")
    assert "failed check 'higher_order'" in message and "gradients'" not in message


def test_claimed_no_second_order_must_really_raise():
    register("twice", forward=lambda xp, x: xp.multiply(x, 2), vjp=(lambda xp, g, ans, x: g * 2,), second_order=False)
    check_op("twice")  # create_graph through it raises, as declared
    with pytest.raises(RuntimeError, match="op 'twice'.*declares no second-order derivative"):
        x = tapegrad.ones(2, requires_grad=True)
        tapegrad.autograd.grad(tapegrad.twice(x).sum(), x, create_graph=True)


def test_vjp_mutating_g_is_caught():
    def vjp(xp, g, ans, x):
        g *= 2
        return g

    register("mutator", forward=lambda xp, x: xp.multiply(x, 2), vjp=(vjp,), saves=())
    assert "failed check 'no_mutation'" in failures("mutator", order=1)


def test_forward_mutating_input_is_caught():
    def forward(xp, x):
        x += 1
        return xp.asarray(x)

    register("bumper", forward=forward, vjp=(lambda xp, g, ans, x: g,), saves=())
    assert "forward modified input 0" in failures("bumper", order=1)


def test_wrong_cotangent_shape_is_caught():
    register("badshape", forward=lambda xp, x: xp.sum(x), vjp=(lambda xp, g, ans, x: xp.reshape(g, (1,)),), saves=())
    message = failures("badshape", order=1)
    assert "returned an invalid gradient at index 0" in message and "plugin-badshape" in message


def test_broadcasting_that_does_not_broadcast_is_caught():
    register("strict_add", forward=lambda xp, x, y: x + y if x.shape == y.shape else xp.asarray(x),
             vjp=(lambda xp, g, ans, x, y: g, lambda xp, g, ans, x, y: g), saves=(), broadcasts=True)
    assert "failed check 'broadcasting'" in failures("strict_add", order=1)


def test_widening_python_scalars_is_caught():
    import numpy as np

    register("widen", forward=lambda xp, x, y: np.asarray(x, dtype=np.float64) * y,
             vjp=(lambda xp, g, ans, x, y: g * y, lambda xp, g, ans, x, y: g * x), broadcasts=True,
             promotion=False)
    assert "float32 inputs with a Python scalar gave tapegrad.float64" in failures("widen", order=1)


def test_required_params_without_samples_are_reported():
    register("scaled", forward=lambda xp, x, *, factor: x * factor, vjp=(lambda xp, g, ans, x, factor: g * factor,))
    assert "forward requires params ['factor']: declare samples" in failures("scaled", order=1)
    check_op("scaled", samples=[Sample((3,), factor=2.0)])


def test_expected_failures_are_strict_xfails():
    register("badsin", forward=lambda xp, x: xp.sin(x), vjp=(lambda xp, g, ans, x: g * xp.cos(x) * 1.01,))
    mark = parametrize_with_op_checks(["badsin"], expected_failures={"badsin-gradients": "known", "badsin-higher_order": "known"})
    params = {p.id: p for p in mark.args[1]}
    assert [m.kwargs["strict"] for m in params["badsin-gradients"].marks] == [True]
    assert not params["badsin-no_grad"].marks
    with pytest.raises(ValueError, match="do not exist"):
        parametrize_with_op_checks(["badsin"], expected_failures={"badsin-nonsense": "x"})


def test_unknown_op_is_a_clear_error():
    with pytest.raises(tapegrad.NoSuchOpError, match="no op 'nonexistent' is registered"):
        check_op("nonexistent")


def test_composites_are_checked_through_their_parts():
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_composite(
                "bump", lambda x, *, scale=1.0: x * scale / (1 + x * x), methods=("bump",),
                samples=[Sample((3,)), Sample((2, 3), scale=2.0)],
            )
            registry.register_composite("nosamples", lambda x: x * 2)

    plugins.register(Plugin, name="composites")
    x = tapegrad.tensor([0.5], requires_grad=True)
    assert x.bump(scale=2.0).item() == pytest.approx(0.8)
    checks = {c.check for c in op_checks("bump")}
    assert {"gradients", "higher_order", "no_grad", "metadata"} <= checks and "no_mutation" not in checks
    check_op("bump")
    assert "it is a composite, so the kit cannot build inputs" in failures("nosamples")


def test_ops_with_several_results_are_checked_concatenated():
    ids = {c.id for c in op_checks("split")} | {c.id for c in op_checks("max")}
    assert {"split-gradients", "split-higher_order", "max-gradients", "max-higher_order"} <= ids
    check_op("split")
    check_op("chunk")
    check_op("max", samples=[Sample((2, 3), dim=1)])


# ---------------------------------------------------------------------------- missing rules
def test_a_missing_rule_is_not_believed():
    import numpy as np

    register("ruleless_sin", forward=lambda xp, x: xp.sin(x), vjp=(None,))
    message = failures("ruleless_sin", order=1)
    assert "failed check 'missing_rules'" in message
    assert "input 0 has no VJP rule, so its gradient is silently taken to be zero" in message
    register("half_mul", forward=lambda xp, x, y: x * y, vjp=(None, lambda xp, g, ans, x, y: g * x),
             broadcasts=True)
    message = failures("half_mul", order=1)
    assert "failed check 'missing_rules'" in message and "input 0 has no VJP rule" in message
    # a rule for every input: nothing to probe
    assert "missing_rules" not in {c.check for c in op_checks("mul")}
    del np


def test_zero_gradient_declarations_are_checked():
    register("my_floor", forward=lambda xp, x: xp.floor(x), zero_gradient=True)
    check_op("my_floor")
    register("not_constant", forward=lambda xp, x: xp.floor(x) + x, zero_gradient=True)
    message = failures("not_constant", order=1)
    assert "declares zero_gradient for input 0, but its central-difference derivative is" in message
    with pytest.raises(tapegrad.RegistrationError, match="zero_gradient lists 1 inputs, forward takes 2"):
        class Plugin:
            @staticmethod
            @tapegrad.hookimpl
            def tapegrad_register_ops(registry):
                registry.register_op("bad_zero", forward=lambda xp, x, y: x + y, zero_gradient=(True,))

        Plugin.tapegrad_register_ops(tapegrad.Registry("p"))


def test_builtin_piecewise_constant_ops_declare_zero_gradient():
    from tapegrad.optable import lookup

    for name in ("floor", "ceil", "round", "sign", "eq", "lt", "ge", "floor_divide", "argmax", "isnan",
                 "logical_and", "all", "fill"):
        assert all(lookup(name).zero_gradient), name
    assert not lookup("mul").zero_gradient


# ---------------------------------------------------------------------------- variants run every check
def test_python_scalar_variants_run_on_every_backend():
    import math

    # the bug the backends check found: pow's exponent rule called xp.pow / xp.log on a Python float
    y = tapegrad.tensor([0.5, 1.0, 2.0], dtype=tapegrad.float64, requires_grad=True)
    tapegrad.pow(2.0, y.to("array_api_strict")).sum().backward()
    assert y.grad.tolist() == pytest.approx([2 ** v * math.log(2.0) for v in (0.5, 1.0, 2.0)], rel=1e-15)
    # and on tensors (create_graph=True) xp.log(1.6) was rounded to float32
    (g,) = tapegrad.autograd.grad(tapegrad.pow(1.6, y).sum(), y, create_graph=True)
    assert g.tolist() == pytest.approx([1.6 ** v * math.log(1.6) for v in (0.5, 1.0, 2.0)], rel=1e-15)
    # a plugin's VJP making the same mistake fails the kit
    register("scaled_exp", forward=lambda xp, x, y: x ** y,
             vjp=(lambda xp, g, ans, x, y: g * y * x ** (y - 1), lambda xp, g, ans, x, y: g * ans * xp.log(x)),
             broadcasts=True, domain=((0.5, 2.0), None))
    message = failures("scaled_exp")
    assert "failed check 'backends' for Sample(1.25, (3,))" in message and "backward raised TypeError" in message


def test_scalar_and_broadcast_variants_join_the_samples():
    ctx = op_checks("mul")[0].context
    assert len(ctx.all_samples) == len(ctx.samples) + 6 + 2
    assert any(isinstance(x, float) for s in ctx.all_samples for x in s.inputs)


# ---------------------------------------------------------------------------- create_graph
def test_a_rule_wrong_only_under_create_graph_is_caught():
    def vjp_cond(xp, g, ans, c, x, y):
        shift = 1e-3 if type(g) is tapegrad.Tensor else 0.0  # wrong only when run on tensors
        return xp.where(c, g, 0.0) + shift

    import numpy as np

    register("my_where", forward=lambda xp, c, x, y: xp.where(c, x, y),
             vjp=(None, vjp_cond, lambda xp, g, ans, c, x, y: xp.where(c, 0.0, g)),
             promotes=(1, 2),  # the condition stays bool, as the built-in where's
             samples=[Sample(np.array([True, False, True]), (3,), (3,))])
    message = failures("my_where")
    assert "failed check 'higher_order'" in message
    assert "the gradient for input 1 computed with create_graph=True differs from the plain one" in message
    assert "failed check 'gradients'" not in message


def test_a_rule_wrong_only_for_a_one_value_cotangent_is_caught():
    import numpy as np

    def vjp(xp, g, ans, x):  # a fast path for the cotangent behind sum and mean, which forgets the 2
        if isinstance(g, np.ndarray) and g.size > 1 and not any(g.strides):
            return x * g.flat[0]
        return g * 2 * x

    register("my_square", forward=lambda xp, x: x * x, vjp=(vjp,))
    message = failures("my_square", order=1)
    assert "failed check 'gradients'" in message
    assert "through sum() * 0.7 (a cotangent that is one value broadcast) differs" in message


# ---------------------------------------------------------------------------- forward values
def test_forwards_are_checked_against_their_reference():
    import numpy as np

    register("off_sin", forward=lambda xp, x: xp.sin(x) + 1e-6, vjp=(lambda xp, g, ans, x: g * xp.cos(x),),
             reference=np.sin)
    message = failures("off_sin")
    assert "failed check 'reference' for Sample((3,))" in message and "differs from the expected" in message
    register("exact_sin", forward=lambda xp, x: xp.sin(x), vjp=(lambda xp, g, ans, x: g * xp.cos(x),),
             reference=[EdgeCase([0.0, 1.0], value=[0.0, 0.8414709848078965])])
    check_op("exact_sin")
    register("wrong_point", forward=lambda xp, x: xp.sin(x), vjp=(lambda xp, g, ans, x: g * xp.cos(x),),
             reference=[EdgeCase([0.0], value=[1.0])])
    assert "failed check 'reference' for EdgeCase([0.])" in failures("wrong_point")


def test_every_builtin_op_declares_a_reference_and_passes_it():
    from tapegrad.optable import lookup

    missing = [name for name in BUILTIN_OPS if lookup(name).reference is None]
    assert not missing, f"built-in ops without a reference: {missing}"


# ---------------------------------------------------------------------------- special points
def _sinc_plugin(wrong_second_order: bool):
    import math

    def vjp(xp, g, ans, x):
        at_zero = x == 0
        safe = xp.where(at_zero, 1.0, x)
        slope = (xp.cos(math.pi * safe) * math.pi * safe - xp.sin(math.pi * safe)) / (math.pi * safe * safe)
        if wrong_second_order:  # right value at 0 (0), but the branch taken there is constant
            return g * xp.where(at_zero, 0.0, slope)
        # near 0, the series -pi**2 x / 3 (the formula cancels catastrophically there)
        return g * xp.where(xp.abs(x) < 1e-3, -(math.pi ** 2) / 3 * x, slope)

    def forward(xp, x):
        safe = xp.where(x == 0, 1.0, x)
        return xp.where(x == 0, 1.0, xp.sin(math.pi * safe) / (math.pi * safe))

    return dict(forward=forward, vjp=(vjp,), saves=("inputs",),
                edge_cases=[EdgeCase([0.0], value=[1.0], smooth=True)])  # smooth: the derivatives by finite differences


def test_special_points_catch_a_wrong_second_derivative_at_a_removable_singularity():
    register("sinc_wrong", **_sinc_plugin(wrong_second_order=True))
    message = failures("sinc_wrong")
    assert "failed check 'edge_cases' for EdgeCase([0.])" in message and "order 2" in message
    assert "'gradients'" not in message and "'higher_order'" not in message  # random points miss it
    register("sinc_right", **_sinc_plugin(wrong_second_order=False))
    check_op("sinc_right")


def test_special_points_check_values_gradients_and_second_order():
    import math

    register("my_abs", forward=lambda xp, x: xp.abs(x), vjp=(lambda xp, g, ans, x: g * (x >= 0) * 2 - g,),
             edge_cases=[EdgeCase([0.0, -1.0], value=[0.0, 1.0], grads=([0.0, -1.0],), why="abs'(0) = 0")])
    message = failures("my_abs")
    assert "gradient for input 0 is [ 1. -1.], expected [ 0. -1.] (abs'(0) = 0)" in message
    register("my_cube", forward=lambda xp, x: x * x * x, vjp=(lambda xp, g, ans, x: 3 * g * x * x,),
             edge_cases=[EdgeCase([0.0, 1.0], value=[0.0, 1.0], grads=([0.0, 3.0],), grad2=([0.0, 6.0],))])
    check_op("my_cube")
    register("bad_cube", forward=lambda xp, x: x * x * x, vjp=(lambda xp, g, ans, x: 3 * g * x * x,),
             edge_cases=[EdgeCase([1.0], grad2=([5.0],))])
    assert "second-order gradient for input 0 is [6.], expected [5.]" in failures("bad_cube")
    del math


# ---------------------------------------------------------------------------- clear verdicts
def test_a_vjp_calling_numpy_is_told_so():
    import numpy as np

    register("np_sin", forward=lambda xp, x: xp.sin(x), vjp=(lambda xp, g, ans, x: g * np.cos(x),))
    message = failures("np_sin")
    assert "failed check 'higher_order'" in message
    assert "calls NumPy directly instead of xp" in message
    assert "Can't call numpy()" not in message.split("(RuntimeError")[0]


def test_shape_failures_show_the_sample_and_inputs():
    register("badshape2", forward=lambda xp, x: xp.sum(x), vjp=(lambda xp, g, ans, x: xp.reshape(g, (1,)),), saves=())
    message = failures("badshape2", order=1)
    assert "failed check 'gradients' for Sample((3,)): RuntimeError: Function Badshape2Backward0 returned an invalid gradient" in message
    assert "inputs: [array(shape=(3,), dtype=float64, values=[" in message


def test_integer_results_never_carry_a_graph_node():
    """An op choosing its own dtype (promotion=False) that returns integers records no node, and the
    kit's integer_results check agrees; with the default promotion its result takes the declared
    (float) dtype instead, as the promotion rule says. (The check once caught dispatch recording
    nodes for such results.)"""
    register("int_out", forward=lambda xp, x: xp.astype(x * 10, xp.int64), vjp=(lambda xp, g, ans, x: g * 0,),
             saves=(), promotion=False)
    x = tapegrad.ones(3, dtype=tapegrad.float64, requires_grad=True)
    out = tapegrad.int_out(x)
    assert out.dtype is tapegrad.int64 and out.grad_fn is None and not out.requires_grad
    check_op("int_out", order=1)  # every check passes, integer_results included


def test_checks_can_be_skipped_by_name():
    checks = {c.check for c in op_checks("sin", skip=("reference", "edge_cases"))}
    assert "reference" not in checks and "gradients" in checks
    with pytest.raises(ValueError, match="skip names checks that do not exist: \\['nonsense'\\]"):
        op_checks("sin", skip=("nonsense",))
