"""What an op promises beyond values and gradients, which the kit checks: random ops checked as
functions of their inputs (``random=True``), warnings and where they point (``EdgeCase(warns=)``),
what a call writes into its inputs (``EdgeCase(writes=)``), refusals kept under vmap, writes
through a view's result, and gradients under a declared cotangent (``EdgeCase(cotangent=)``)."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

import tapegrad
from tapegrad import plugins
from tapegrad.batching import to_front
from tapegrad.testing import EdgeCase, Sample, check_op, op_checks
from test_kit import failures, register

pytestmark = pytest.mark.filterwarnings("ignore:doubling is deprecated")  # the warning ops' other calls


def composite(name: str, function, **kwargs) -> None:
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_composite(name, function, **kwargs)

    plugins.register(Plugin, name=f"plugin-{name}")


def only(name: str, check: str, **options) -> str:
    """The failure message of one check of op ``name``."""
    (item,) = [c for c in op_checks(name, **options) if c.check == check]
    with pytest.raises(AssertionError) as info:
        item()
    return str(info.value)


# ---------------------------------------------------------------------------- random ops
def _dropout(scale: float):
    def dropout(x, p=0.5):
        kept = tapegrad.rand(tuple(x.shape), dtype=tapegrad.float64) >= p
        return x * kept * (scale / (1 - p))

    return dropout


def _np_dropout(x, p=0.5):
    """The op's mask, drawn from the generator the kit seeded alike for the op and for this reference."""
    kept = np.asarray(tapegrad.rand(x.shape, dtype=tapegrad.float64)) >= p
    return x * kept / (1 - p)


SAMPLES = [Sample((4, 5)), Sample((3, 4), p=0.25)]


def test_a_random_op_declared_random_is_checked_like_any_op():
    composite("my_dropout", _dropout(1.0), random=True, samples=SAMPLES, reference=_np_dropout)
    check_op("my_dropout", backends=())


def test_a_random_op_with_the_wrong_scale_fails_the_reference():
    composite("bad_dropout", _dropout(1.01), random=True, samples=SAMPLES, reference=_np_dropout)
    message = failures("bad_dropout", backends=())
    assert "op 'bad_dropout' (plugin 'plugin-bad_dropout') failed check 'reference' for Sample((4, 5))" in message


def test_a_random_op_not_declared_random_fails_finite_differences():
    # each evaluation draws another mask: no function of the inputs to differentiate
    composite("undeclared_dropout", _dropout(1.0), samples=SAMPLES)
    assert "failed check 'gradients'" in failures("undeclared_dropout", backends=())


def test_the_kit_leaves_the_users_random_stream_alone():
    composite("my_dropout", _dropout(1.0), random=True, samples=SAMPLES, reference=_np_dropout)
    tapegrad.manual_seed(5)
    expected = tapegrad.rand(3).tolist()
    tapegrad.manual_seed(5)
    check_op("my_dropout", backends=())
    assert tapegrad.rand(3).tolist() == expected


def test_builtin_dropout_is_random_and_reproduces_its_mask():
    op = tapegrad.optable.lookup("nn.functional.dropout")
    assert op.random and any(s.params.get("p", 0.5) not in (0.0, 1.0) for s in op.samples)
    assert not any(c.check == "batching" for c in op_checks("nn.functional.dropout"))


# ---------------------------------------------------------------------------- warnings
def _caller_level() -> int:
    """For a warnings.warn in the calling function: the stacklevel naming the first frame outside
    tapegrad and this plugin (this file)."""
    ours = (os.path.dirname(tapegrad.__file__), __file__)
    level, frame = 1, sys._getframe(1)  # stacklevel 1 is the function calling warnings.warn
    while frame.f_code.co_filename.startswith(ours) and frame.f_back is not None:
        level, frame = level + 1, frame.f_back
    return level


def _warning_double(level):
    def forward(xp, x):
        warnings.warn("doubling is deprecated", DeprecationWarning, stacklevel=level())
        return 2 * x

    return forward


WARNS = [EdgeCase([1.0, 2.0], value=[2.0, 4.0], grads=([2.0, 2.0],), warns=DeprecationWarning,
                  match="doubling is deprecated")]
DOUBLE_VJP = (lambda xp, g, ans, x: 2 * g,)


def test_a_warning_pointing_at_the_caller_passes():
    register("warning_double", forward=_warning_double(_caller_level), vjp=DOUBLE_VJP, edge_cases=WARNS)
    check_op("warning_double")


def test_a_warning_pointing_into_tapegrad_fails():
    register("inner_warning_double", forward=_warning_double(lambda: 2), vjp=DOUBLE_VJP, edge_cases=WARNS)
    message = only("inner_warning_double", "edge_cases")
    assert "failed check 'edge_cases' for EdgeCase([1., 2.])" in message
    assert "the DeprecationWarning matching 'doubling is deprecated' points at" in message
    assert "not at the line that called the op: warnings.warn's stacklevel must name the caller's frame" in message


def test_a_declared_warning_not_given_fails():
    register("silent_double", forward=lambda xp, x: 2 * x, vjp=DOUBLE_VJP, edge_cases=WARNS)
    message = only("silent_double", "edge_cases")
    assert "did not warn DeprecationWarning matching 'doubling is deprecated' (warnings given: none)" in message


def test_a_warning_with_other_words_fails():
    def forward(xp, x):
        warnings.warn("tripling is deprecated", DeprecationWarning, stacklevel=_caller_level())
        return 2 * x

    register("worded_double", forward=forward, vjp=DOUBLE_VJP, edge_cases=WARNS)
    message = only("worded_double", "edge_cases")
    assert "(warnings given: DeprecationWarning: tripling is deprecated)" in message


def test_builtin_losses_warn_at_the_callers_line():
    with pytest.warns(UserWarning, match="Using a target size") as seen:
        tapegrad.nn.functional.mse_loss(tapegrad.ones(3), tapegrad.tensor(0.5))
    assert [w.filename for w in seen] == [__file__]
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin") as seen:
        tapegrad.nn.functional.softmin(tapegrad.ones(3))
    assert [w.filename for w in seen] == [__file__]


# ---------------------------------------------------------------------------- writes into inputs
def _running_mean(momentum_in_eval: float):
    def f(x, running, training=True):
        with tapegrad.no_grad():
            m = 0.5 if training else momentum_in_eval
            running.mul_(1 - m).add_(m * x.detach().mean())
        return x - x.mean()

    return f


WRITES = [EdgeCase([1.0, 3.0], [0.0], params={"training": True}, value=[-1.0, 1.0], writes={1: [1.0]}),
          EdgeCase([1.0, 3.0], [0.0], params={"training": False}, value=[-1.0, 1.0], writes={1: [0.0]})]


def test_declared_writes_hold_after_the_call():
    composite("tracked_center", _running_mean(0.0), samples=[Sample((3,), np.zeros(1))], edge_cases=WRITES)
    check_op("tracked_center", backends=())


def test_a_write_the_op_must_not_make_fails():
    composite("leaky_center", _running_mean(0.1), samples=[Sample((3,), np.zeros(1))], edge_cases=WRITES)
    message = only("leaky_center", "edge_cases", backends=())
    assert "failed check 'edge_cases' for EdgeCase([1., 3.], [0.], training=False)" in message
    assert "input 1 holds [0.2] after the call, expected [0.] (what the op writes in place)" in message


def test_builtin_batch_norm_declares_its_running_statistics():
    op = tapegrad.optable.lookup("nn.functional.batch_norm")
    written = [p for p in op.edge_cases if p.writes]
    # training given either way, and left at its default (False: evaluation) by one point
    assert {p.params.get("training", False) for p in written} == {True, False}
    assert any("training" not in p.params for p in written)


# ---------------------------------------------------------------------------- refusals under vmap
def _at_least_1d(xp, x):
    if len(x.shape) == 0:
        raise RuntimeError("doubled() needs at least one dimension")
    return 2 * x


def _rule(checks_rank: bool):
    def rule(call, args, dims, params):
        x = to_front(args[0], dims[0])
        if checks_rank and x.ndim == 1:
            return NotImplemented  # a 0-d example: the loop raises the op's error
        return call(x), 0

    return rule


REFUSED = [EdgeCase(np.array(2.0), raises=RuntimeError, match="needs at least one dimension")]


def _doubled(name: str, checks_rank: bool) -> None:
    register(name, forward=_at_least_1d, vjp=DOUBLE_VJP, batching=_rule(checks_rank),
             samples=[Sample((4,)), Sample((2, 4))], edge_cases=REFUSED)


def test_a_rule_keeping_the_refusal_passes():
    _doubled("doubled", checks_rank=True)
    check_op("doubled")


def test_a_rule_computing_what_the_op_refuses_fails_batching():
    _doubled("lax_doubled", checks_rank=False)
    message = only("lax_doubled", "batching")
    assert "failed check 'batching' for 'EdgeCase(2.) with batch dims [0]'" in message
    assert "under vmap returned where it must raise RuntimeError" in message


# ---------------------------------------------------------------------------- writes through views
def _flat_view(writeable: bool):
    def forward(xp, x):
        out = x.reshape(-1)
        out.flags.writeable = writeable
        return out

    return forward


def test_a_view_writes_through_to_its_input():
    register("flat_view", forward=_flat_view(True), vjp=(lambda xp, g, ans, x: xp.reshape(g, x.shape),), saves=(),
             view=True, backends=("numpy",))
    check_op("flat_view")


def test_a_read_only_view_fails_view_writes():
    register("frozen_view", forward=_flat_view(False), vjp=(lambda xp, g, ans, x: xp.reshape(g, x.shape),), saves=(),
             view=True, backends=("numpy",))
    message = only("frozen_view", "view_writes")
    assert "op 'frozen_view' (plugin 'plugin-frozen_view') failed check 'view_writes' for Sample((3,))" in message
    assert "read-only" in message


# ---------------------------------------------------------------------------- a declared cotangent
def test_edge_case_gradients_under_a_declared_cotangent():
    # a VJP that ignores its cotangent's values is right for ones only
    register("ones_vjp_double", forward=lambda xp, x: 2 * x, vjp=(lambda xp, g, ans, x: 2 * xp.ones_like(g),),
             edge_cases=[EdgeCase([1.0, 2.0], cotangent=[3.0, -1.0], grads=([6.0, -2.0],))])
    message = only("ones_vjp_double", "edge_cases")
    assert "gradient for input 0 is [2. 2.], expected [ 6. -2.]" in message
    register("right_double", forward=lambda xp, x: 2 * x, vjp=DOUBLE_VJP,
             edge_cases=[EdgeCase([1.0, 2.0], cotangent=[3.0, -1.0], grads=([6.0, -2.0],))])
    check_op("right_double")


@pytest.mark.parametrize("kwargs, words", [
    ({"match": "x"}, "needs raises= or warns="),
    ({"cotangent": [1.0]}, "needs grads="),
    ({"writes": {3: [0.0]}}, "are not indices of its 1 inputs"),
    ({"warns": ValueError}, "takes a warning class"),
    ({"raises": ValueError, "writes": {0: [0.0]}}, "give no value, grads, smooth, warns, writes or cotangent"),
])
def test_edge_case_refuses_incoherent_declarations(kwargs, words):
    with pytest.raises(TypeError, match=words):
        EdgeCase([1.0], **kwargs)
