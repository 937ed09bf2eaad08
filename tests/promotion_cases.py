"""The type-promotion cases shared by tests/test_promotion.py (against a table PyTorch 2.13 made)
and tests/parity/test_promotion_parity.py (against torch itself, live).

Every case runs the same code on either library (``lib`` is ``torch`` or ``tapegrad``): each
operand is a dimensioned tensor, a 0-d tensor or a Python scalar, of every dtype PyTorch and
tapegrad share. Run this file with torch installed to rewrite the table:
``python tests/promotion_cases.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

TABLE = Path(__file__).parent / "data" / "promotion_torch.json"

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
PYTHON = ("bool", "int", "float")
# "T:int8" a dimensioned int8 tensor, "0:int8" a 0-d one, "py:float" a Python float
TENSORS = tuple(f"{kind}:{d}" for kind in ("T", "0") for d in DTYPES)
SPECS = TENSORS + tuple(f"py:{p}" for p in PYTHON)

BINARY: dict[str, Callable[[Any, Any, Any], Any]] = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "floor_divide": lambda lib, a, b: a // b,
    "remainder": lambda lib, a, b: a % b,
    "pow": lambda lib, a, b: a ** b,
    "eq": lambda lib, a, b: a == b,
    "lt": lambda lib, a, b: a < b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "where": lambda lib, a, b: lib.where(lib.tensor([True, False]), a, b),
    "bitwise_and": lambda lib, a, b: a & b,
    "bitwise_left_shift": lambda lib, a, b: a << b,
}


def _function(name: str) -> Callable[[Any, Any], Any]:
    return lambda lib, a: getattr(lib, name)(a)


UNARY: dict[str, Callable[[Any, Any], Any]] = {
    "neg": lambda lib, a: -a,
    **{name: _function(name) for name in ("abs", "sign", "square", "floor", "relu", "sin", "exp", "sqrt",
                                          "sigmoid", "tanh", "sum", "prod", "mean", "amax", "isnan")},
    "cumsum": lambda lib, a: lib.cumsum(a, 0),
    "logsumexp": lambda lib, a: lib.logsumexp(a, 0),
    "bitwise_not": lambda lib, a: ~a,
}
# Python floats take the default float dtype: these are checked under float64 as well
DEFAULT_FLOAT64 = ("add", "mul", "div", "pow", "lt", "sin", "sum")


def bool_operand(spec: str | None) -> bool:
    return spec is not None and spec.endswith("bool")


# PyTorch raises here, tapegrad computes (the table below is otherwise exact); these are the
# differences kept, as docs/autograd.md lists them.
TAPEGRAD_COMPUTES = {
    "sub": lambda a, b: bool_operand(a) or bool_operand(b),  # PyTorch refuses bools in -, NumPy's rule
    "maximum": lambda a, b: a.startswith("py") or b.startswith("py"),  # tapegrad takes numbers too
    "abs": lambda a, b: bool_operand(a),
    "floor": lambda a, b: bool_operand(a),
    "relu": lambda a, b: bool_operand(a),
    "floor_divide": lambda a, b: bool_operand(a) and bool_operand(b),
    "remainder": lambda a, b: bool_operand(a) and bool_operand(b),
}


def operand(lib: Any, spec: str) -> Any:
    """The operand ``spec`` names, with small positive values (no integer division by zero)."""
    kind, name = spec.split(":")
    if kind == "py":
        return {"bool": True, "int": 3, "float": 2.5}[name]
    dtype = getattr(lib, name)
    if kind == "0":
        return lib.tensor(True if name == "bool" else 2, dtype=dtype)
    return lib.tensor([True, True] if name == "bool" else [1, 2], dtype=dtype)


def outcome(call: Callable[[], Any]) -> str:
    """The result's dtype name, or ``!`` and the exception's type."""
    try:
        out = call()
    except Exception as exc:  # noqa: BLE001 - the table records which calls raise
        return "!" + type(exc).__name__
    return str(out.dtype).split(".")[-1]


def cases() -> list[tuple[str, str, str | None]]:
    """(op, first operand, second operand or None): every combination with a tensor in it."""
    found: list[tuple[str, str, str | None]] = []
    for op in BINARY:
        found += [(op, a, b) for a in SPECS for b in SPECS if not (a.startswith("py") and b.startswith("py"))]
    for op in UNARY:
        found += [(op, a, None) for a in TENSORS]
    return found


def run(lib: Any, op: str, a: str, b: str | None) -> str:
    if b is None:
        return outcome(lambda: UNARY[op](lib, operand(lib, a)))
    return outcome(lambda: BINARY[op](lib, operand(lib, a), operand(lib, b)))


def table(lib: Any) -> dict[str, dict[str, str]]:
    """Every case's outcome under ``lib``, with the default float dtype float32 and float64.

    ``{default: {"OP A": outcomes}}``: for a binary op, the outcomes with each of ``SPECS`` as
    the second operand, space-separated (``-`` where both are Python scalars); for a unary
    op, the one outcome.
    """
    out: dict[str, dict[str, str]] = {"float32": {}, "float64": {}}
    for default in ("float32", "float64"):
        lib.set_default_dtype(getattr(lib, default))
        try:
            row: dict[str, list[str]] = {}
            for op, a, b in cases():
                if default == "float32" or op in DEFAULT_FLOAT64:
                    row.setdefault(f"{op} {a}", []).append(run(lib, op, a, b))
            for name, found in row.items():
                if name.split(" ")[0] in BINARY and len(found) < len(SPECS):  # no Python scalar pair
                    found += ["-"] * len(PYTHON)
                out[default][name] = " ".join(found)
        finally:
            lib.set_default_dtype(lib.float32)
    return out


def expected(data: dict[str, dict[str, str]], default: str = "float32") -> dict[tuple[str, str, str | None], str]:
    """A table as ``{(op, a, b): outcome}``, for the cases recorded under ``default``."""
    found: dict[tuple[str, str, str | None], str] = {}
    for name, outcomes in data[default].items():
        op, a = name.split(" ")
        if op in UNARY:
            found[(op, a, None)] = outcomes
            continue
        for b, value in zip(SPECS, outcomes.split(" ")):
            if value != "-":
                found[(op, a, b)] = value
    return found


def main() -> None:
    import torch

    data = table(torch)
    data["promote_types"] = {
        f"{a} {b}": str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1]
        for a in DTYPES for b in DTYPES
    }
    data["torch"] = torch.__version__  # type: ignore[assignment]
    TABLE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
