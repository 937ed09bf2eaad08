"""What the mutation test of the kit (benchmarks/mutate_kit.py) found: the ops it showed wrong,
the kit's blind spot it showed, and the script's own rules of what it mutates."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad
from tapegrad import plugins
from tapegrad.testing import check_op

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "mutate_kit.py"


def _script():
    spec = importlib.util.spec_from_file_location("mutate_kit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- ops the mutants showed wrong
@pytest.mark.parametrize("repeats, message", [
    (3, r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"),
    (tapegrad.tensor([2]), "Dimension specified as 0 but tensor has no dimensions"),
])
def test_repeat_interleave_of_a_0d_tensor_along_a_dim_raises_as_pytorch(repeats, message):
    # PyTorch 2.13: torch.repeat_interleave(torch.tensor(5.), 3, dim=0) raises IndexError (it gave [5, 5, 5])
    with pytest.raises(IndexError, match=message):
        tapegrad.repeat_interleave(tapegrad.tensor(5.0), repeats, dim=0)
    assert tapegrad.repeat_interleave(tapegrad.tensor(5.0), 3).tolist() == [5.0, 5.0, 5.0]  # without dim: flattened


def test_a_negative_repeat_of_an_empty_dim_is_empty_and_differentiable():
    x = tapegrad.zeros(0, 2, requires_grad=True)
    y = x.repeat(-1, 3)  # PyTorch: shape (0, 6) (its backward then fails to reshape)
    y.sum().backward()
    assert tuple(y.shape) == (0, 6) and tuple(x.grad.shape) == (0, 2)
    with pytest.raises(RuntimeError, match="negative dimension"):
        tapegrad.ones(2).repeat(-1, 2)


# ---------------------------------------------------------------------------- the kit's blind spot
def test_a_read_only_result_is_caught():
    class Plugin:
        @staticmethod
        @tapegrad.hookimpl
        def tapegrad_register_ops(registry):
            registry.register_op("doubled_view", forward=lambda xp, x: np.broadcast_to(x * 2, x.shape),
                                 vjp=(lambda xp, g, ans, x: g * 2,), saves=(), backends=("numpy",))

    plugins.register(Plugin, name="plugin-doubled_view")
    with pytest.raises(AssertionError, match="read-only array"):
        check_op("doubled_view", order=1)


# ---------------------------------------------------------------------------- what the script mutates
def test_validation_and_reshape_wildcards_are_not_mutated():
    kit = _script()
    tree = ast.parse(
        "def f(xp, x, k):\n"
        "    padded = x.shape[0] + 2 * k\n"
        "    if k > padded:\n"
        "        raise RuntimeError('too big')\n"
        "    for n in x.shape:\n"
        "        if n < 0:\n"
        "            raise RuntimeError('negative')\n"
        "    return xp.reshape(x, (-1,)) * 2\n")
    skip, wildcards = kit._validation(tree), kit._reshape_wildcards(tree)
    function = tree.body[0]
    assert skip == {id(function.body[0])}  # padded feeds only the guard
    walked = [node for _, node in kit._walk_math(function, (("body", 0),), skip)]
    made = [d for node in walked for d, _ in kit._node_mutations(node, wildcards)]
    assert made == ["xp.reshape(x, (-1,)) * 2: Mult -> Div", "xp.reshape(x, (-1,)) * 2: drop the right term",
                    "xp.reshape(x, (-1,)) * 2: drop the left term", "-1: drop the USub", "2 -> 3"]
    assert kit._is_declaration("_ref_repeat") and kit._is_declaration("_references") and kit._is_declaration("_sort_ref")
    assert not kit._is_declaration("_refuse_integer_zero")


def test_a_rule_no_trace_reaches_is_run_on_the_ops_it_changes():
    # A rule named by a loop's variable (tril and triu share one register_op call) or a
    # Combine(operator.mul, 1) resolves to no function in the source; registration runs at load, so
    # no check's trace reaches it either. The script builds the mutated table to find its ops (it
    # ran such mutants on div and mul, or on nothing, before).
    kit = _script()
    import tapegrad.ops_builtin as builtin
    from tapegrad.optable import table

    held = {op.name: kit._rules_held(op) for op in table().canonical_ops() if op.plugin == kit.PLUGIN}
    assert held["mul"] == ("Combine(mul, 1)", "Combine(mul, 0)")
    found = {}
    for module in (builtin.shape_more, builtin.arithmetic):
        for mutant in kit.mutants_of(module, {}):
            if mutant.function.startswith("register_op(") and not mutant.rule_ops:
                found[mutant.key[1:]] = kit._ops_of_registration(module, mutant, held, builtin.MODULES)
    assert table().ops["tril"].vjps[0] is not None  # the table is the original again
    loop = 'name, forward=forward, vjp=(vjp,), saves=(), params=("diagonal",), methods=(name,),'
    assert found[(loop, "VJP rule 0 of name -> None")] == {"tril", "triu"}
    assert found[("vjp=(Combine(operator.mul, 1),  # g * y", "VJP rule 0 of 'mul' -> None")] == {"mul"}
    assert found[("vjp=(Combine(operator.mul, 1),  # g * y", "1 -> 2")] == {"mul"}
