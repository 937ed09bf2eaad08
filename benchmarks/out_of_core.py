"""Dask cases of the benchmark: tapegrad on Dask against hand-written Dask, and a loss bigger than memory.

    python benchmarks/out_of_core.py                 # both cases (the big one: four 1e9-element arrays)
    python benchmarks/out_of_core.py --elements 1e8  # a smaller out-of-core case

1. The 4e6-element loss ``((a*x + b - t) ** 2).sum() / n`` and its gradients wrt ``a`` and ``b``, in
   4 chunks, with tapegrad (forward, ``backward()``, ``tapegrad.compute``) and with Dask by hand
   (the same expressions and the hand-derived gradients, computed together): medians of
   interleaved rounds, the ratio tapegrad / Dask.
2. The same loss over four arrays of ``--elements`` float64 each (4e9 elements, 32 GB by default:
   more than this machine's memory), generated lazily chunk by chunk: forward and backward, the
   loss and the gradients' squared norms computed in one pass. Run in a fresh interpreter so its
   peak resident memory (``ru_maxrss``) is this case's alone; time per element reported.
Needs dask (``pip install ./plugins/tapegrad-dask``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

BIG = r'''
import json, resource, sys, time
import dask, dask.array as da
import tapegrad

n, chunk = int(float(sys.argv[1])), int(float(sys.argv[2]))
rs = da.random.default_rng(0)
arrays = [rs.standard_normal(n, chunks=chunk) for _ in range(4)]
started = time.perf_counter()
a, x, b, t = (tapegrad.as_tensor(v, requires_grad=k in (0, 2)) for k, v in enumerate(arrays))
loss = ((a * x + b - t) ** 2).sum() / n
loss.backward()
with tapegrad.no_grad():
    norms = [(g * g).sum() for g in (a.grad, b.grad)]
value, ga, gb = tapegrad.compute(loss, *norms)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"elements": 4 * n, "seconds": elapsed, "ns_per_element": 1e9 * elapsed / (4 * n),
                  "peak_bytes": peak, "loss": value.item(), "grad_norms": [ga.item(), gb.item()]}))
'''


def dask_loss_case(n: int = 4_000_000, rounds: int = 7) -> dict[str, float]:
    import dask
    import dask.array as da
    import numpy as np

    import tapegrad

    rng = np.random.default_rng(0)
    a_np, x_np, b_np, t_np = (rng.standard_normal(n) for _ in range(4))
    chunks = n // 4
    arrays = [da.from_array(v, chunks=chunks).persist() for v in (a_np, x_np, b_np, t_np)]

    def by_hand() -> tuple:
        a, x, b, t = arrays
        r = a * x + b - t
        return dask.compute((r * r).sum() / n, (2.0 / n) * r * x, (2.0 / n) * r)

    def with_tapegrad() -> tuple:
        a, x, b, t = (tapegrad.as_tensor(v, requires_grad=k in (0, 2)) for k, v in enumerate(arrays))
        loss = ((a * x + b - t) ** 2).sum() / n
        loss.backward()
        return tapegrad.compute(loss, a.grad, b.grad)

    want, got = by_hand(), with_tapegrad()
    assert abs(got[0].item() - float(want[0])) <= 1e-9 * abs(float(want[0]))
    assert np.allclose(got[1].numpy(), want[1]) and np.allclose(got[2].numpy(), want[2])
    hand, ours = [], []
    for _ in range(rounds):
        for fn, into in ((by_hand, hand), (with_tapegrad, ours)):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    h, o = statistics.median(hand), statistics.median(ours)
    return {"dask_by_hand_ms": 1e3 * h, "tapegrad_ms": 1e3 * o, "ratio": o / h}


def big_case(elements: float, chunk: float) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", BIG, str(elements), str(chunk)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=float, default=1e9, help="elements of each of the four arrays")
    parser.add_argument("--chunk", type=float, default=2.5e7, help="elements per chunk")
    parser.add_argument("--skip-big", action="store_true", help="only the 4e6-element case")
    args = parser.parse_args()
    print("4e6-element loss, 4 chunks:", json.dumps(dask_loss_case()))
    if not args.skip_big:
        result = big_case(args.elements, args.chunk)
        result["peak_GB"] = result["peak_bytes"] / 1e9
        result["data_GB"] = result["elements"] * 8 / 1e9
        print("out of core:", json.dumps(result))


if __name__ == "__main__":
    main()
