"""Regenerate ``special_values.json``: the special functions at seeded points, to 40 digits by
mpmath, rounded to float64 (run by hand: ``python tests/data/make_special_values.py``; mpmath
ships with PyTorch's sympy). tests/test_special_functions.py compares tapegrad with these."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import numpy as np

mp.mp.dps = 40
rng = np.random.default_rng(20261201)


def points(*parts: np.ndarray) -> list[float]:
    return [float(v) for v in np.concatenate(parts)]


def main() -> None:
    wide = rng.uniform(-30, 30, 300)
    positive = np.concatenate([rng.uniform(0, 3, 300), 10 ** rng.uniform(-300, 300, 100), rng.uniform(0.5, 2.5, 100)])
    near_roots = np.concatenate([1 + rng.uniform(-1e-3, 1e-3, 20), 2 + rng.uniform(-1e-3, 1e-3, 20),
                                 1.4616321449683622 + rng.uniform(-1e-3, 1e-3, 20)])
    negative = -rng.uniform(0, 20, 100)
    unit = np.concatenate([rng.uniform(-1, 1, 300), 1 - 10 ** rng.uniform(-16, 0, 100), 10 ** rng.uniform(-300, 0, 50)])
    table: dict[str, dict[str, list[float]]] = {}

    def add(name: str, xs: list[float], f) -> None:
        ys = [float(f(mp.mpf(x))) for x in xs]
        keep = [(x, y) for x, y in zip(xs, ys) if np.isfinite(y) and abs(y) > 1e-300]
        table[name] = {"x": [x for x, _ in keep], "y": [y for _, y in keep]}

    add("erf", points(wide, rng.uniform(-6, 6, 200)), mp.erf)
    add("erfc", points(wide, rng.uniform(-6, 27, 300)), mp.erfc)
    add("erfinv", points(unit, -unit[:100]), mp.erfinv)
    add("lgamma", points(positive, near_roots, negative), lambda x: mp.log(abs(mp.gamma(x))))
    add("digamma", points(positive[:500], near_roots, negative), mp.digamma)
    for n in (1, 2, 3, 5):
        add(f"polygamma{n}", points(positive[:400], negative[:50]), lambda x, n=n: mp.polygamma(n, x))
    path = Path(__file__).with_name("special_values.json")
    path.write_text(json.dumps(table))


if __name__ == "__main__":
    main()
