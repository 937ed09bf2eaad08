"""Linear regression on a chunked dataset too large to hold twice in memory, on Dask.

The data are generated lazily, chunk by chunk, and never held whole: each SGD step builds the
loss and its gradient as one lazy Dask graph (forward and ``backward()``), and
``tapegrad.compute`` evaluates both in one pass over the chunks. Only the weights (a few
numbers) live in NumPy between steps.

    python docs/examples/dask_regression.py                  # 2e8 rows x 8 features: 12.8 GB of float64
    python docs/examples/dask_regression.py --rows 100000    # a quick run
    python docs/examples/dask_regression.py --scheduler distributed   # on a LocalCluster
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Iterator

import dask.array as da
import numpy as np

import tapegrad

FEATURES = 8
TRUE_W = np.linspace(-1.0, 1.0, FEATURES)


def dataset(rows: int, chunk: int) -> tuple[da.Array, da.Array]:
    """Features and targets ``y = X @ TRUE_W + 0.5 + noise``, as lazy Dask arrays (nothing generated yet)."""
    rng = da.random.default_rng(0)
    x = rng.standard_normal((rows, FEATURES), chunks=(chunk, FEATURES))
    y = x @ TRUE_W + 0.5 + 0.1 * rng.standard_normal(rows, chunks=chunk)
    return x, y


def fit(rows: int, chunk: int, steps: int, lr: float) -> tuple[np.ndarray, float, list[float]]:
    x_data, y_data = dataset(rows, chunk)
    x, y = tapegrad.as_tensor(x_data), tapegrad.as_tensor(y_data)  # wrapped, not computed
    w_np, b_np = np.zeros(FEATURES), np.zeros(1)
    losses = []
    for _ in range(steps):
        # the parameters join the data's backend as one-chunk Dask arrays, leaves of this step's graph
        w = tapegrad.as_tensor(da.from_array(w_np, chunks=-1), requires_grad=True)
        b = tapegrad.as_tensor(da.from_array(b_np, chunks=-1), requires_grad=True)
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()                                    # still lazy: w.grad is a Dask tensor
        value, gw, gb = tapegrad.compute(loss, w.grad, b.grad)  # one pass over the chunks
        w_np = w_np - lr * gw.numpy()
        b_np = b_np - lr * gb.numpy()
        losses.append(value.item())
    return w_np, float(b_np[0]), losses


@contextlib.contextmanager
def scheduler(kind: str) -> Iterator[None]:
    if kind == "distributed":
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster):
            yield
    else:
        yield


def main(argv: list[str] | None = None) -> tuple[np.ndarray, float, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=float, default=2e8)
    parser.add_argument("--chunk", type=float, default=2e6, help="rows per chunk")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--scheduler", choices=("threads", "distributed"), default="threads")
    args = parser.parse_args(argv)
    with scheduler(args.scheduler):
        w, b, losses = fit(int(args.rows), int(args.chunk), args.steps, args.lr)
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {args.steps} steps")
    print("w", np.round(w, 3), "b", round(b, 3))
    return w, b, losses


if __name__ == "__main__":
    main()
