"""Mutation test of the conformance kit: how many wrong built-in ops does it catch?

Each mutant is one mechanical edit of one ``ops_builtin`` module, made on its syntax tree: an
operator swapped (``+``/``-``, ``*``/``/``, ``**``/``*``, a comparison), a term dropped
(``a + b`` -> ``a``), a sign removed, a numeric constant nudged (ints ``+1``, which shifts dims
and exponents by one; floats ``*1.001``), a bool flipped, an ``xp`` function swapped for its
sibling (``sin``/``cos``, ``max``/``min``, ``sum``/``mean``...), or a VJP rule replaced by
``None``. Only the ops' math is mutated: forwards, VJPs and their helpers, not argument
validation (``raise`` and the ``if`` guarding it), docstrings, nor the kit's own declarations
(samples, domains, references, edge cases). The mutated module replaces the original in the
built-in plugin, the op table is rebuilt, and the kit runs on every op whose checks executed
the mutated line (recorded once, by tracing the kit on the unmutated ops). A mutant is killed
when some check that passes on the original fails.

    python benchmarks/mutate_kit.py                      # every mutant (minutes)
    python benchmarks/mutate_kit.py --sample 300         # a seeded sample of them
    python benchmarks/mutate_kit.py --modules arithmetic,exponential --list

Not part of the test suite: it prints the score and the survivors, to read.
"""

from __future__ import annotations

import argparse
import ast
import copy
import random
import signal
import sys
import time
import types
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

import tapegrad
import tapegrad.ops_builtin as builtin
from tapegrad.optable import invalidate, table
from tapegrad.testing import op_checks

PLUGIN = "tapegrad.ops_builtin"
KIT_KEYWORDS = {"samples", "domain", "reference", "edge_cases", "doc", "dtypes", "zero_gradient", "node_name",
                "methods", "inplace_methods", "aliases", "param_aliases", "params"}
SWAPS = {"sin": "cos", "cos": "sin", "sinh": "cosh", "cosh": "sinh", "exp": "expm1", "expm1": "exp",
         "log": "log1p", "log1p": "log", "maximum": "minimum", "minimum": "maximum", "max": "min", "min": "max",
         "sum": "mean", "mean": "sum", "sqrt": "abs", "sign": "abs", "abs": "sign", "tanh": "sigmoid",
         "sigmoid": "tanh", "floor": "ceil", "ceil": "floor", "argmax": "argmin", "argmin": "argmax",
         "ones_like": "zeros_like", "zeros_like": "ones_like", "prod": "sum", "flip": "negative",
         "logical_and": "logical_or", "logical_or": "logical_and"}
FORWARD_SWAPS = {**SWAPS, "add": "subtract", "subtract": "add", "multiply": "divide", "divide": "multiply",
                 "negative": "abs", "pow": "multiply", "asin": "acos", "acos": "asin", "atan": "tan", "tan": "atan",
                 "square": "abs", "log2": "log10", "log10": "log2", "round": "floor", "equal": "not_equal",
                 "less": "less_equal", "greater": "greater_equal", "isnan": "isinf", "isinf": "isnan",
                 "isfinite": "isnan"}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv}
COMPARE_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq}


# Mutants no input can tell from the original (or only where PyTorch gives NaN as well), and
# mutants whose difference finite differences cannot see and no convention pins down: each with
# the reason. Keyed by (module, enclosing function or registration, description), so line moves
# do not matter. The score counts them apart.
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("arithmetic", "_pow_vjp_base", "xp.ones_like -> xp.zeros_like"):
        "safe_x is only read off the pole (x == 0 and y == 0), where the where() takes zeros; the second "
        "derivative there is NaN either way, as PyTorch's",
    ("arithmetic", "_pow_vjp_exponent", "x > 0: Gt -> GtE"): "x == 0 returned just above",
}
UNDECIDABLE: dict[tuple[str, str, str], str] = {
    ("filling", "register_op('fill')", "VJP rule 0 of 'fill' -> None"):
        "the gradient is zero by either rule; only whether the result records a node (FillBackward in "
        "PyTorch) differs, which no value or gradient shows",
    ("filling", "register_op('zero')", "VJP rule 0 of 'zero' -> None"): "as for fill",
}


@dataclass
class Mutant:
    module: str
    line: int
    description: str
    path: tuple[Any, ...]  # how to find the node again in a fresh tree
    apply: Callable[[ast.AST], ast.AST | None]
    rule_ops: frozenset[str] = frozenset()  # for a VJP replaced by None: the ops holding that rule
    function: str = ""  # the enclosing function (or constant): with description, a key that survives edits

    def where(self) -> str:
        return f"ops_builtin/{self.module}.py:{self.line}"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.function, self.description)


# ---------------------------------------------------------------------------- finding mutation sites
def _is_guard(node: ast.AST) -> bool:
    """``if ...: raise ...`` (argument validation) and ``raise``: not the op's math."""
    if isinstance(node, ast.Raise):
        return True
    return isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body) and not node.orelse


def _children(node: ast.AST) -> Iterator[tuple[Any, ast.AST]]:
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield (field, i), item
        elif isinstance(value, ast.AST):
            yield (field, None), value


def _get(tree: ast.AST, path: tuple[Any, ...]) -> ast.AST:
    node = tree
    for field, i in path:
        value = getattr(node, field)
        node = value if i is None else value[i]
    return node


def _set(tree: ast.AST, path: tuple[Any, ...], new: ast.AST) -> None:
    parent = _get(tree, path[:-1])
    field, i = path[-1]
    if i is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[i] = new


def _math_names(tree: ast.Module) -> set[str]:
    """Module-level names read inside the ops' functions (constants of their math)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and not node.name.lstrip("_").startswith("register"):
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names


def _node_mutations(node: ast.AST) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST | None]]]:
    if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        new_op = BINOP_SWAPS[type(node.op)]

        def swap(n: ast.AST, new_op: type = new_op) -> ast.AST:
            n.op = new_op()
            return n

        yield f"{ast.unparse(node)[:50]}: {type(node.op).__name__} -> {new_op.__name__}", swap
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            yield f"{ast.unparse(node)[:50]}: drop the right term", lambda n: n.left
            if isinstance(node.op, (ast.Add, ast.Mult)):
                yield f"{ast.unparse(node)[:50]}: drop the left term", lambda n: n.right
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        yield f"{ast.unparse(node)[:50]}: drop the {type(node.op).__name__}", lambda n: n.operand
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE_SWAPS:
        new_cmp = COMPARE_SWAPS[type(node.ops[0])]

        def swap_cmp(n: ast.AST, new_cmp: type = new_cmp) -> ast.AST:
            n.ops = [new_cmp()]
            return n

        yield f"{ast.unparse(node)[:50]}: {type(node.ops[0]).__name__} -> {new_cmp.__name__}", swap_cmp
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield f"{ast.unparse(node)[:50]}: {type(node.op).__name__} -> {other.__name__}", \
            lambda n, other=other: ast.BoolOp(op=other(), values=n.values)
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield f"{node.value} -> {not node.value}", lambda n: ast.Constant(not n.value)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if type(node.value) is int:
            yield f"{node.value} -> {node.value + 1}", lambda n: ast.Constant(n.value + 1)
        else:
            new = node.value * 1.001 if node.value else 1e-3
            yield f"{node.value!r} -> {new!r}", lambda n, new=new: ast.Constant(new)
    elif isinstance(node, ast.Attribute) and node.attr in SWAPS and isinstance(node.value, ast.Name) \
            and node.value.id in ("xp", "np"):
        yield f"{node.value.id}.{node.attr} -> {node.value.id}.{SWAPS[node.attr]}", \
            lambda n: ast.Attribute(value=n.value, attr=SWAPS[n.attr], ctx=n.ctx)


def _unused_defaults(node: ast.AST) -> set[int]:
    """Defaults of parameters a function never reads (``keepdim`` in a VJP): no edit of them can matter."""
    if not isinstance(node, (ast.FunctionDef, ast.Lambda)):
        return set()
    body = node.body if isinstance(node.body, list) else [node.body]
    read = {n.id for b in body for n in ast.walk(b) if isinstance(n, ast.Name)}
    args = node.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return {id(d) for a, d in pairs if a.arg not in read}


def _walk_math(node: ast.AST, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], ast.AST]]:
    """Every node of the ops' math under ``node``, skipping guards, docstrings and annotations."""
    unused = _unused_defaults(node)
    for (field, i), child in _children(node):
        if _is_guard(child) or field in ("annotation", "returns", "decorator_list"):
            continue
        if field == "args" and unused:  # the arguments node: walk it without the unused defaults
            for (f2, j), default in _children(child):
                if id(default) not in unused and f2 in ("defaults", "kw_defaults"):
                    sub = path + ((field, i), (f2, j))
                    yield sub, default
                    yield from _walk_math(default, sub)
            continue
        if field == "body" and i == 0 and isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant):
            continue  # docstring
        if isinstance(child, ast.JoinedStr):
            continue
        yield path + ((field, i),), child
        yield from _walk_math(child, path + ((field, i),))


def _register_call_sites(tree: ast.Module, module: Any, rules_to_ops: dict[Any, set[str]]) -> Iterator[Mutant]:
    """Inside ``register*`` functions: the VJP lambdas' math, and each VJP rule replaced by None."""
    name = module.__name__.rsplit(".", 1)[1]
    for top_path, top in _children(tree):
        if not (isinstance(top, ast.FunctionDef) and top.name.lstrip("_").startswith("register")):
            continue
        for path, node in _walk_math(top, (top_path,)):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("register_op",)):
                continue
            op = f"register_op({ast.unparse(node.args[0])})"
            for k, keyword in enumerate(node.keywords):
                if keyword.arg not in ("vjp", "forward"):
                    continue
                kw_path = path + (("keywords", k), ("value", None))
                value = keyword.value
                if keyword.arg == "forward" and isinstance(value, ast.Constant) and value.value in FORWARD_SWAPS:
                    other = FORWARD_SWAPS[value.value]
                    yield Mutant(name, value.lineno, f'forward="{value.value}" -> "{other}"', kw_path,
                                 lambda n, other=other: ast.Constant(other), function=op)
                if keyword.arg == "vjp" and isinstance(value, ast.Tuple):
                    for j, element in enumerate(value.elts):
                        if isinstance(element, ast.Constant) and element.value is None:
                            continue
                        ops = _ops_of_rule(element, module, rules_to_ops)
                        yield Mutant(name, element.lineno, f"VJP rule {j} of {ast.unparse(node.args[0])} -> None",
                                     kw_path + (("elts", j),), lambda n: ast.Constant(None), frozenset(ops), op)
                for sub_path, sub in _walk_math(value, kw_path):
                    if isinstance(sub, ast.Lambda) or not hasattr(sub, "lineno"):
                        continue
                    for description, apply in _node_mutations(sub):
                        yield Mutant(name, sub.lineno, description, sub_path, apply, function=op)


def _ops_of_rule(element: ast.AST, module: Any, rules_to_ops: dict[Any, set[str]]) -> set[str]:
    """The ops whose VJP rules include the function ``element`` names (or the lambda at its line)."""
    if isinstance(element, ast.Name):
        function = getattr(module, element.id, None)
        return set(rules_to_ops.get(getattr(function, "__code__", None), ()))
    found = set()
    for code, ops in rules_to_ops.items():
        if code is not None and code.co_filename == module.__file__ and code.co_firstlineno == element.lineno:
            found |= ops
    return found


def mutants_of(module: Any, rules_to_ops: dict[Any, set[str]]) -> list[Mutant]:
    source = Path(module.__file__).read_text()
    tree = ast.parse(source)
    name = module.__name__.rsplit(".", 1)[1]
    constants = _math_names(tree)
    found: list[Mutant] = []
    for top_path, top in _children(tree):
        if isinstance(top, ast.FunctionDef) and not top.name.lstrip("_").startswith("register"):
            walk = _walk_math(top, (top_path,))
        elif isinstance(top, ast.Assign) and all(isinstance(t, ast.Name) and t.id in constants for t in top.targets):
            walk = _walk_math(top, (top_path,))  # a constant of the math (Cody's coefficients, LN2)
        else:
            continue
        function = top.name if isinstance(top, ast.FunctionDef) else ast.unparse(top.targets[0])
        for path, node in walk:
            if not hasattr(node, "lineno"):
                continue
            for description, apply in _node_mutations(node):
                found.append(Mutant(name, node.lineno, description, path, apply, function=function))
    found.extend(_register_call_sites(tree, module, rules_to_ops))
    return found


# ---------------------------------------------------------------------------- running the kit
def _load_mutated(module: Any, mutant: Mutant) -> types.ModuleType:
    tree = ast.parse(Path(module.__file__).read_text())
    node = _get(tree, mutant.path)
    replacement = mutant.apply(copy.deepcopy(node))
    _set(tree, mutant.path, replacement)
    ast.fix_missing_locations(tree)
    mutated = types.ModuleType(module.__name__)
    mutated.__file__ = module.__file__
    mutated.__package__ = module.__package__
    exec(compile(tree, module.__file__, "exec"), mutated.__dict__)
    return mutated


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def _failures(names: list[str], order: int, stop_early: bool, baseline: dict[str, str]) -> dict[str, str]:
    """check id -> failure message, for the checks of ``names`` that fail otherwise than in ``baseline``
    (a check failing already, such as a known edge-case failure, still kills when it fails elsewhere)."""
    failed: dict[str, str] = {}
    for name in names:
        try:
            checks = op_checks(name, order=order)
        except Exception as exc:  # the op is gone or broken
            failed[name] = f"{type(exc).__name__}: {exc}"
            if stop_early:
                return failed
            continue
        for check in checks:
            try:
                with np.errstate(all="ignore"):
                    check()
            except _Timeout:
                raise
            except Exception as exc:
                message = f"{type(exc).__name__}: {exc}"
                if baseline.get(check.id) != message:
                    failed[check.id] = message
                    if stop_early:
                        return failed
    return failed


def coverage(names: list[str], files: set[str], order: int) -> tuple[dict[tuple[str, int], set[str]], dict[str, str]]:
    """Which lines of the op modules each op's checks execute; and the checks failing already."""
    lines: dict[tuple[str, int], set[str]] = defaultdict(set)
    current: list[str] = [""]

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in files:
            return None

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                lines[(frame.f_code.co_filename, frame.f_lineno)].add(current[0])
            return local

        lines[(frame.f_code.co_filename, frame.f_code.co_firstlineno)].add(current[0])
        return local

    baseline: dict[str, str] = {}
    for name in names:
        current[0] = name
        sys.settrace(tracer)
        try:
            baseline.update(_failures([name], order, stop_early=False, baseline={}))
        finally:
            sys.settrace(None)
    return lines, baseline


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    table()  # build once, untraced: registration runs every register() line
    modules = [m for m in builtin.MODULES if not args.modules or m.__name__.rsplit(".", 1)[1] in args.modules]
    names = [op.name for op in table().canonical_ops() if op.plugin == PLUGIN]
    rules_to_ops: dict[Any, set[str]] = defaultdict(set)
    for op in table().canonical_ops():
        if op.plugin == PLUGIN:
            for rule in (op.vjps or ()) + ((op.vjp_all,) if op.vjp_all else ()):
                if rule is not None:
                    rules_to_ops[getattr(rule, "__code__", None)].add(op.name)
    all_mutants = [m for module in modules for m in mutants_of(module, rules_to_ops)]
    mutants = all_mutants
    if args.sample and args.sample < len(all_mutants):
        mutants = random.Random(args.seed).sample(all_mutants, args.sample)
        mutants.sort(key=lambda m: (m.module, m.line))
    if args.list:
        for m in mutants:
            print(f"{m.where()}: {m.description}")
        print(f"{len(mutants)} mutants")
        return 0
    files = {m.__file__ for m in modules}
    lines, baseline = coverage(names, files, args.order)
    print(f"{len(all_mutants)} mutants in {len(modules)} modules, {len(mutants)} run; "
          f"checks failing already (they kill only by failing otherwise): {sorted(baseline) or 'none'}; "
          f"coverage took {time.perf_counter() - started:.0f} s", flush=True)
    by_module = {m.__name__.rsplit(".", 1)[1]: m for m in modules}
    original = builtin.MODULES
    killed, survivors, unreached = 0, [], []
    equivalent: list[Mutant] = []
    undecidable: list[Mutant] = []
    signal.signal(signal.SIGALRM, _alarm)
    for k, mutant in enumerate(mutants):
        module = by_module[mutant.module]
        ops = set(mutant.rule_ops) | lines.get((module.__file__, mutant.line), set())
        if not ops:
            unreached.append(mutant)
            continue
        verdict = "survived"
        try:
            signal.alarm(args.timeout)
            mutated = _load_mutated(module, mutant)
            builtin.MODULES = tuple(mutated if m is module else m for m in original)
            invalidate()
            failed = _failures(sorted(ops), args.order, stop_early=True, baseline=baseline)
            verdict = f"killed by {next(iter(failed))}" if failed else "survived"
        except _Timeout:
            verdict = "killed (timeout)"
        except Exception as exc:  # the mutated module does not even load
            verdict = f"killed ({type(exc).__name__} at load)"
        finally:
            signal.alarm(0)
            builtin.MODULES = original
            invalidate()
        if verdict.startswith("killed"):
            killed += 1
            if mutant.key in EQUIVALENT or mutant.key in UNDECIDABLE:
                print(f"note: {mutant.where()} {mutant.description} is listed as equivalent/undecidable "
                      f"but was killed ({verdict}): remove it from the list", flush=True)
        elif mutant.key in EQUIVALENT:
            equivalent.append(mutant)
        elif mutant.key in UNDECIDABLE:
            undecidable.append(mutant)
        else:
            survivors.append((mutant, sorted(ops)))
        if args.verbose:
            print(f"[{k + 1}/{len(mutants)}] {mutant.where()} {mutant.description}: {verdict}", flush=True)
    reached = len(mutants) - len(unreached)
    decidable = reached - len(equivalent) - len(undecidable)
    elapsed = time.perf_counter() - started
    print(f"\nkilled {killed}/{decidable} non-equivalent mutants ({100 * killed / max(decidable, 1):.1f}%), "
          f"{len(survivors)} survived; {len(equivalent)} equivalent and {len(undecidable)} undecidable by finite "
          f"differences (listed in this script with reasons); {len(unreached)} more on lines no sample "
          f"reaches; {len(mutants)} mutants in {elapsed:.0f} s")
    if survivors:
        print("\nsurvivors (ops run):")
        for mutant, ops in survivors:
            print(f"  {mutant.where()} in {mutant.function}: {mutant.description}  "
                  f"[{', '.join(ops[:4])}{'...' if len(ops) > 4 else ''}]")
    if unreached and args.verbose:
        print("\nnot reached by any sample:")
        for mutant in unreached:
            print(f"  {mutant.where()}: {mutant.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=lambda s: set(s.split(",")), default=None,
                        help="only these ops_builtin modules (comma-separated, e.g. arithmetic,elementwise)")
    parser.add_argument("--sample", type=int, default=0, help="run a seeded random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--order", type=int, default=2, help="the kit's highest derivative order")
    parser.add_argument("--timeout", type=int, default=30, help="seconds per mutant")
    parser.add_argument("--list", action="store_true", help="list the mutants without running them")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every verdict and the unreached mutants")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    tapegrad.plugins  # noqa: B018 (loaded)
    raise SystemExit(main())
