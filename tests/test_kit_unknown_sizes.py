"""The kit on unknown sizes (a Dask array after a boolean mask): a clean ``UnknownSizeError`` is a
declared limit, reported as such; a wrong value or gradient there, or any other error, fails."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad
from tapegrad import plugins
from tapegrad.backends import has_unknown_size
from tapegrad.dims import known_size
from tapegrad.testing import Sample, op_checks

da = pytest.importorskip("dask.array")
pytest.importorskip("tapegrad_dask")


def register(name: str, **kwargs) -> None:
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op(name, samples=[Sample((3,)), Sample((2, 3))], **kwargs)

    plugins.register(Plugin, name=f"plugin-{name}")


def backends_check(name: str) -> list[str]:
    """The op's backends check on Dask: what it returns (the declared limits met)."""
    (check,) = [c for c in op_checks(name, backends=("dask",)) if c.check == "backends"]
    return check()


def backends_failure(name: str) -> str:
    with pytest.raises(AssertionError) as info:
        backends_check(name)
    return str(info.value)


def total_vjp(scale_when_unknown: float = 1.0):
    def vjp(xp, g, ans, x):
        return g * xp.ones_like(x) * (scale_when_unknown if has_unknown_size(x) else 1.0)

    return vjp


def test_an_op_right_on_unknown_sizes_passes_with_no_limit():
    register("total", forward=lambda xp, x: xp.sum(x), vjp=(total_vjp(),), saves=("inputs",))
    assert backends_check("total") == []


def test_a_wrong_gradient_only_on_unknown_sizes_fails():
    register("total_wrong_grad", forward=lambda xp, x: xp.sum(x), vjp=(total_vjp(2.0),), saves=("inputs",))
    message = backends_failure("total_wrong_grad")
    assert "input 0 of unknown size] gradient 0 differs from NumPy's" in message


def test_a_gradient_of_the_wrong_length_on_unknown_sizes_fails():
    def vjp(xp, g, ans, x):  # twice as long as x, its shape (NaN,) as x's: only computing shows it
        ones = xp.ones_like(x)
        return g * (xp.concat([ones, ones], axis=0) if has_unknown_size(x) else ones)

    register("total_long_grad", forward=lambda xp, x: xp.sum(x), vjp=(vjp,), saves=("inputs",))
    message = backends_failure("total_long_grad")
    assert "input 0 of unknown size] gradient 0 differs from NumPy's (shape (6,), NumPy's (3,))" in message


def test_a_wrong_value_only_on_unknown_sizes_fails():
    register("twice_when_unknown", forward=lambda xp, x: x * (2.0 if has_unknown_size(x) else 1.0),
             vjp=(lambda xp, g, ans, x: g,))
    assert "input 0 of unknown size] forward differs from NumPy's" in backends_failure("twice_when_unknown")


def test_a_refusal_is_a_declared_limit_reported_with_where_and_why():
    def forward(xp, x):
        known_size(x.shape[0], "needs_size()")
        return x * 1.0

    register("needs_size", forward=forward, vjp=(lambda xp, g, ans, x: g,))
    limits = backends_check("needs_size")
    assert limits and all(line.startswith("op 'needs_size' [dask, input 0 of unknown size] forward for Sample(")
                          for line in limits)
    assert "UnknownSizeError: needs_size() needs the size" in limits[0] and "compute_chunk_sizes()" in limits[0]
    assert tapegrad.testing.check_op("needs_size", backends=("dask",)) == limits


def test_a_refusal_with_every_size_known_fails():
    def forward(xp, x):  # right on NumPy, a refusal on Dask whatever the sizes
        if isinstance(x, da.Array):
            raise tapegrad.backends.UnknownSizeError("no size, ever")
        return x * 1.0

    register("never_sized", forward=forward, vjp=(lambda xp, g, ans, x: g,))
    assert "input variant 0] forward raised UnknownSizeError: never_sized(): no size, ever, with every size known" in \
        backends_failure("never_sized")


def test_an_error_when_the_lazy_result_is_computed_fails():
    # Dask builds an argmax over a dimension of unknown size, then fails computing it: no refusal
    register("raw_argmax_1d", forward=lambda xp, x: da.argmax(x) * 1.0 if isinstance(x, da.Array) else
             np.asarray(np.argmax(x) * 1.0), vjp=(None,))
    assert "input 0 of unknown size] computing the forward raised TypeError" in backends_failure("raw_argmax_1d")


def test_obscure_errors_on_unknown_sizes_become_the_clear_refusal():
    register("int_of_size", forward=lambda xp, x: x * int(x.shape[0]) / int(x.shape[0]),
             vjp=(lambda xp, g, ans, x: g,))
    limits = backends_check("int_of_size")
    assert limits and "int_of_size() needs the size of an input whose size is unknown" in limits[0]
    assert "What needed it: ValueError: cannot convert float NaN to integer" in limits[0]


def test_a_misfitting_cotangent_with_known_sizes_still_fails():
    # the unknown-size refusal is only for unknown sizes: a small cotangent of a size-1 output is
    # made with its size known (the variants of the inputs and of the cotangent are chosen alike)
    register("keep_first", forward=lambda xp, x: x[:1] * 1.0, vjp=(None,))
    backends_check("keep_first")


def test_a_gradient_whose_shape_cannot_be_checked_is_refused_clearly():
    x = tapegrad.as_tensor(da.from_array(np.arange(3.0))[da.from_array(np.ones(3, dtype=bool))], requires_grad=True)
    y = x.exp()
    with pytest.raises(tapegrad.backends.UnknownSizeError, match="cannot be checked against the output's shape"):
        y.backward(tapegrad.as_tensor(y._data * 0 + 1))


def test_tapegrad_check_prints_the_limits_met(capsys):
    from tapegrad.cli import main

    def forward(xp, x):
        known_size(x.shape[0], "needs_size_cli()")
        return x * 1.0

    register("needs_size_cli", forward=forward, vjp=(lambda xp, g, ans, x: g,))
    assert main(["check", "needs_size_cli", "--backend", "dask"]) == 0
    out = capsys.readouterr().out
    assert "limit" in out.splitlines()[1] and "declared limit(s) met (the check passes" in out
    assert "- op 'needs_size_cli' [dask, input 0 of unknown size] forward for Sample((3,))" in out
