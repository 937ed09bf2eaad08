#!/usr/bin/env python
"""tapegrad against hand-written NumPy and PyTorch: time ratios, peak memory, tape size, import time.

    python benchmarks/bench.py            # full run (about a minute on 2 cores)
    python benchmarks/bench.py --quick    # fewer repeats, about 30 s
    python benchmarks/bench.py --profile  # also profile the per-op path: cProfile, line timings
                                          # (if line_profiler is installed), component timings, GC
    python benchmarks/bench.py --json out.json
    python benchmarks/bench.py --torch-threads 2

Every case runs tapegrad, a hand-written NumPy forward+backward of the same computation written as
a NumPy expert writes it (one expression where NumPy then reuses a dying temporary, gradients
scaled in place), and, when PyTorch is installed, PyTorch's CPU autograd, in the same process,
float64, alternating repeat by repeat so that drift (turbo, other load) hits all alike. A time is
the median over repeats; tiny cases run a loop of ``number`` calls per repeat. Before timing, each
case checks that tapegrad's and PyTorch's gradients equal the NumPy ones, so every side does the
same work. BLAS and PyTorch run on one thread (NumPy's elementwise loops do anyway); set
OPENBLAS_NUM_THREADS or pass --torch-threads to change that. Without PyTorch or Dask, their
columns and rows are left empty.

This is a benchmark, not a test: it prints PASS/MISS against the targets and always
exits 0 (``--strict`` makes a MISS exit 1).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import textwrap
import time
import tracemalloc
from typing import Any, Callable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS: one thread, as PyTorch's
import numpy as np  # noqa: E402

import tapegrad as tg  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _snapshot_sources() -> None:
    """Cache the source of tapegrad's modules as imported, so line timings quote the lines that ran
    even if the files are edited while the benchmark runs."""
    import linecache

    for name, module in list(sys.modules.items()):
        if name == "tapegrad" or name.startswith("tapegrad."):
            filename = getattr(module, "__file__", None)
            if filename:
                linecache.getlines(filename)


_snapshot_sources()

# The constants of the op chains: y*C_MUL, +C_ADD, -C_SUB, /C_DIV, repeated (values stay bounded).
C_MUL, C_ADD, C_SUB, C_DIV = 1.01, 0.5, 0.25, 1.02


# ---------------------------------------------------------------------- timing helpers
def _time_once(fn: Callable[[], Any], number: int) -> float:
    """Seconds per call of ``fn`` over a loop of ``number`` calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def time_alternating(fns: tuple[Callable[[], Any], ...], repeats: int, number: int = 1,
                     warmup: int = 1) -> list[float]:
    """Median seconds per call of each function, all alternating repeat by repeat."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times):
            t.append(_time_once(fn, number))
    return [statistics.median(t) for t in times]


def check_close(name: str, got: Any, want: Any) -> None:
    got = got._data if isinstance(got, tg.Tensor) else got
    if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
        raise AssertionError(f"{name}: tapegrad and NumPy gradients differ; the comparison would be unfair")


# ---------------------------------------------------------------------- PyTorch, when installed
TORCH_THREADS = 1  # --torch-threads; one by default: NumPy's side runs on one core too


def _torch() -> Any | None:
    """PyTorch on ``TORCH_THREADS`` threads, or None when it is not installed (a benchmark may import
    it; the library never does)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(TORCH_THREADS)
    return torch


class Case:
    """One computation three ways: NumPy by hand, tapegrad, and PyTorch (None without it)."""

    def __init__(self, numpy: Callable[[], Any], tapegrad: Callable[[], Any], torch: Callable[[], Any] | None,
                 clear: Callable[[], None] | None = None) -> None:
        self.numpy, self.tapegrad, self.torch, self.clear = numpy, tapegrad, torch, clear

    @property
    def fns(self) -> tuple[Callable[[], Any], ...]:
        return (self.numpy, self.tapegrad) + ((self.torch,) if self.torch is not None else ())


def _check_all(name: str, case: Case) -> Case:
    """Before timing: tapegrad's and PyTorch's gradients equal the NumPy ones (same work on every side)."""
    want = case.numpy()
    want = want if isinstance(want, (tuple, list)) else (want,)
    for side, fn in (("tapegrad", case.tapegrad), ("PyTorch", case.torch)):
        if fn is None:
            continue
        got = fn()
        got = got if isinstance(got, (tuple, list)) else (got,)
        for i, (g, w) in enumerate(zip(got, want)):
            check_close(f"{name} grad {i} ({side})", g if isinstance(g, (tg.Tensor, np.ndarray)) else g.numpy(), w)
    if case.clear is not None:
        case.clear()
    return case


# ---------------------------------------------------------------------- cases 1 and 5: op chains
def _chain(y: Any, reps: int) -> Any:
    """The chain's forward on any array type: ``*c, +c, -c, /c``, one op a line as a user writes it."""
    for _ in range(reps):
        y = y * C_MUL
        y = y + C_ADD
        y = y - C_SUB
        y = y / C_DIV
    return y.sum()


def make_chain_cases(n_ops: int, with_torch: bool = True) -> Case:
    """A chain of ``n_ops`` tiny ops on a (4,) float64 tensor, then ``.sum().backward()``: ``n_ops + 1``
    recorded ops.

    The NumPy side is an expert's: each group of four ops in one expression (nothing to elide at
    this size, but no names to store), and the backward by hand, ``g = g / C_DIV * C_MUL`` per
    group (the sums pass the cotangent through), from ``g = ones`` (d sum / d y).
    """
    assert n_ops % 4 == 0
    reps = n_ops // 4
    x0 = np.random.default_rng(0).uniform(0.5, 1.5, size=4)
    leaf = tg.from_numpy(x0.copy()).requires_grad_(True)

    def tapegrad_chain() -> Any:
        leaf.grad = None
        _chain(leaf, reps).backward()
        return leaf.grad

    def numpy_chain() -> Any:
        y = x0
        for _ in range(reps):
            y = (y * C_MUL + C_ADD - C_SUB) / C_DIV
        y.sum()
        g = np.ones_like(y)
        for _ in range(reps):
            g = g / C_DIV * C_MUL
        return g

    torch = _torch() if with_torch else None
    torch_chain = None
    if torch is not None:
        t_leaf = torch.from_numpy(x0.copy()).requires_grad_(True)

        def torch_chain() -> Any:
            t_leaf.grad = None
            _chain(t_leaf, reps).backward()
            return t_leaf.grad

    return _check_all(f"chain of {n_ops}", Case(numpy_chain, tapegrad_chain, torch_chain))


RESIDENT = r"""
import gc, json, os, sys
from typing import Any
import numpy as np

def rss(field="VmRSS"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(field)

def peak_from_here():
    try:  # "5": the resident set's high-water mark restarts at the current size (Linux 4.0 and later)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return rss()

side, n, n_ops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = {}
if side != "numpy":
    lib = __import__(side)
    if side == "torch":
        lib.set_num_threads(1)
if n_ops and side != "numpy":
    # CHAIN: bench.py puts its constants and _chain here

    leaf = lib.from_numpy(np.ones(4)).requires_grad_(True)
    _chain(leaf, 250).backward()  # the engine and its allocations warmed, on a graph too small to matter
    gc.collect()
    before = rss()
    root = _chain(leaf, n_ops // 4)
    out["tape_bytes_per_op"] = (rss() - before) / (n_ops + 1)
    del root, leaf
    gc.collect()
if n:
    rng = np.random.default_rng(1)
    a0, b0, x0, t0 = (rng.standard_normal(n) for _ in range(4))
    if side == "numpy":
        def step():
            r = a0 * x0 + b0 - t0
            (r * r).sum() / n
            r *= 2.0 / n
            return r * x0, r
    else:
        a, b = (lib.from_numpy(v).requires_grad_(True) for v in (a0, b0))
        x, t = lib.from_numpy(x0), lib.from_numpy(t0)

        def step():
            ((a * x + b - t) ** 2).sum().div(n).backward()
            return a.grad, b.grad
    step()  # once first: the code of every kernel paged in (it is resident set too), then freed
    if side != "numpy":
        a.grad = b.grad = None
    gc.collect()
    before = peak_from_here()
    grads = step()
    out["peak_arrays"] = (rss("VmHWM") - before) / (8 * n)
print(json.dumps(out))
"""


def resident(side: str, n: int = 0, n_ops: int = 0) -> dict[str, float]:
    """Measured in a fresh interpreter by the resident set (``/proc/self/status``), the only way to see
    PyTorch's C++ allocations: ``peak_arrays``, one loss step's peak (the high-water mark, reset just
    before a second step, the first having paged in the kernels' code) over the resident size before
    it, in arrays of ``n`` (glibc told to return big blocks to the system when they are freed); ``tape_bytes_per_op``, the
    growth over the forward of the ``n_ops + 1``-op chain, per op. Pages and the allocator's slack
    count: comparable, not exact. Empty where it failed (not Linux, say)."""
    try:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")  # big arrays go back to the system when freed
        import inspect

        code = RESIDENT.replace("    # CHAIN: bench.py puts its constants and _chain here\n", textwrap.indent(
            f"C_MUL, C_ADD, C_SUB, C_DIV = {C_MUL}, {C_ADD}, {C_SUB}, {C_DIV}\n" + inspect.getsource(_chain), "    "))
        out = subprocess.run([sys.executable, "-c", code, side, str(n), str(n_ops)], capture_output=True,
                             text=True, check=True, timeout=180, cwd=ROOT, env=env)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, OSError):
        return {}


def tape_bytes_per_op(n_ops: int) -> float:
    """Memory held by the recorded graph of the ``n_ops + 1``-op chain after forward, per op.

    tapegrad: tracemalloc's traced memory with the chain's root alive, minus the memory traced before
    the forward, over ``n_ops + 1`` (nodes, their edge tuples, saved values; the intermediate
    tensors themselves are freed as the chain goes on). NumPy holds nothing: 0. PyTorch's graph is
    C++ (its nodes and saved tensors are invisible to tracemalloc): see ``resident``.
    """
    x0 = np.random.default_rng(0).uniform(0.5, 1.5, size=4)
    leaf = tg.from_numpy(x0).requires_grad_(True)
    _chain(leaf, 250)  # every op of the chain bound
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        root = _chain(leaf, n_ops // 4)
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    del root
    return held / (n_ops + 1)


# ---------------------------------------------------------------------- case 2: the tutorial
def make_tutorial_cases() -> Case:
    """PyTorch's autograd tutorial iteration, creation of x included on every side:
    ``x = ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3; z.mean().backward()``."""

    def on(lib: Any) -> Callable[[], Any]:
        def step() -> Any:
            x = lib.ones(2, 2, dtype=lib.float64, requires_grad=True)
            y = x + 2
            z = y * y * 3
            out = z.mean()
            out.backward()
            return x.grad

        return step

    def numpy_tutorial() -> Any:
        x = np.ones((2, 2))
        y = x + 2
        z = y * y * 3
        z.mean()
        gyy = np.full(z.shape, 3.0 / z.size)  # d mean / d (y*y), the 3 folded in
        return gyy * y * 2  # both factors of y*y; d y / d x = 1

    torch = _torch()
    tapegrad_tutorial, torch_tutorial = on(tg), (on(torch) if torch is not None else None)
    return _check_all("tutorial", Case(numpy_tutorial, tapegrad_tutorial, torch_tutorial))


# ---------------------------------------------------------------------- cases 3 and 4: a big loss
def make_big_loss_cases(n: int) -> Case:
    """``loss = ((a*x + b - t) ** 2).sum() / n`` and its gradients wrt a and b (shape (n,)).

    The NumPy side is an expert's: ``r = a*x + b - t`` in one expression (NumPy writes ``+ b`` and
    ``- t`` into the dying ``a*x``), ``(r * r).sum() / n``, then the gradients with no array more
    than needed: ``r *= 2 / n`` is b's gradient, ``r * x`` a's. Two arrays at the peak.
    """
    rng = np.random.default_rng(1)
    a0, b0, x0, t0 = (rng.standard_normal(n) for _ in range(4))
    leaves: list[Any] = []

    def on(lib: Any) -> Callable[[], Any]:
        a, b = (lib.from_numpy(v).requires_grad_(True) for v in (a0, b0))  # shares memory: no copies
        x, t = lib.from_numpy(x0), lib.from_numpy(t0)
        leaves.extend((a, b))

        def step() -> Any:
            a.grad = b.grad = None
            loss = ((a * x + b - t) ** 2).sum() / n
            loss.backward()
            return a.grad, b.grad

        return step

    def numpy_loss() -> Any:
        r = a0 * x0 + b0 - t0
        (r * r).sum() / n
        r *= 2.0 / n  # d loss / d r, which is d loss / d b
        return r * x0, r

    torch = _torch()
    tapegrad_loss, torch_loss = on(tg), (on(torch) if torch is not None else None)

    def clear() -> None:  # no gradient left over between the timing and the memory runs
        for leaf in leaves:
            leaf.grad = None

    return _check_all("loss", Case(numpy_loss, tapegrad_loss, torch_loss, clear))


# ---------------------------------------------------------------------- cases 7 and 8: models
def make_mlp_cases(batch: int = 256, sizes: tuple[int, int, int] = (784, 512, 10)) -> Case:
    """A tanh MLP ``784 -> 512 -> 10`` on a batch of 256 with an MSE loss: forward and backward.

    The NumPy side is an expert's: the bias added into the matmul's result, ``tanh`` in place, the
    loss's cotangent scaled in place, one temporary for ``1 - h*h``."""
    rng = np.random.default_rng(2)
    n_in, n_hidden, n_out = sizes
    x0, y0 = rng.standard_normal((batch, n_in)), rng.standard_normal((batch, n_out))
    w1 = rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)
    b1 = np.zeros(n_hidden)
    w2 = rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)
    b2 = np.zeros(n_out)

    def on(lib: Any) -> Callable[[], Any]:
        """The step in ``lib`` (tapegrad or PyTorch: the same code)."""
        x, y = lib.from_numpy(x0), lib.from_numpy(y0)
        params = [lib.from_numpy(p.copy()).requires_grad_(True) for p in (w1, b1, w2, b2)]

        def step() -> Any:
            W1, B1, W2, B2 = params
            for p in params:
                p.grad = None
            out = (x @ W1 + B1).tanh() @ W2 + B2
            ((out - y) ** 2).mean().backward()
            return [p.grad for p in params]

        return step

    def numpy_mlp() -> Any:
        h = x0 @ w1 + b1
        np.tanh(h, out=h)
        d = h @ w2 + b2 - y0
        (d * d).mean()
        d *= 2.0 / d.size  # d loss / d out
        da = (d @ w2.T) * (1 - h * h)
        return [x0.T @ da, da.sum(0), h.T @ d, d.sum(0)]

    torch = _torch()
    tapegrad_mlp, torch_mlp = on(tg), (on(torch) if torch is not None else None)
    return _check_all("mlp", Case(numpy_mlp, tapegrad_mlp, torch_mlp))


def make_softmax_ce_cases(batch: int = 256, n_in: int = 784, classes: int = 10) -> Case:
    """A linear classifier's softmax cross-entropy step: logits, loss, gradients of W and b."""
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((batch, n_in))
    onehot0 = np.eye(classes)[rng.integers(0, classes, batch)]
    w0 = rng.standard_normal((n_in, classes)) / np.sqrt(n_in)
    b0 = np.zeros(classes)

    def on(lib: Any) -> Callable[[], Any]:
        x, onehot = lib.from_numpy(x0), lib.from_numpy(onehot0)
        w, b = lib.from_numpy(w0.copy()).requires_grad_(True), lib.from_numpy(b0.copy()).requires_grad_(True)

        def step() -> Any:
            w.grad = b.grad = None
            logits = x @ w + b
            (-(lib.log_softmax(logits, dim=1) * onehot).sum(dim=1).mean()).backward()
            return w.grad, b.grad

        return step

    def numpy_step() -> Any:
        logits = x0 @ w0 + b0
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        -(log_p * onehot0).sum(axis=1).mean()
        dlogits = (np.exp(log_p) - onehot0) / batch
        return x0.T @ dlogits, dlogits.sum(0)

    torch = _torch()
    tapegrad_step, torch_step = on(tg), (on(torch) if torch is not None else None)
    return _check_all("softmax cross-entropy", Case(numpy_step, tapegrad_step, torch_step))


# ---------------------------------------------------------------------- case 9: a convolution
def make_conv2d_cases(batch: int = 32, c_in: int = 3, c_out: int = 16, size: int = 32, k: int = 3) -> Case:
    """``F.conv2d(x, w, b, padding=1).sum().backward()``: tapegrad, im2col by hand in NumPy (a strided
    window view copied into columns, one matmul forward and two backward, col2im by kernel offsets),
    and PyTorch's CPU kernel."""
    import tapegrad.nn.functional as F

    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((batch, c_in, size, size))
    w0 = rng.standard_normal((c_out, c_in, k, k)) / np.sqrt(c_in * k * k)
    b0 = rng.standard_normal(c_out)
    p = k // 2

    def on(lib: Any, conv2d: Callable[..., Any]) -> Callable[[], Any]:
        x, w, b = (lib.from_numpy(a.copy()).requires_grad_(True) for a in (x0, w0, b0))

        def step() -> Any:
            x.grad = w.grad = b.grad = None
            conv2d(x, w, b, padding=p).sum().backward()
            return x.grad, w.grad, b.grad

        return step

    def numpy_conv() -> Any:
        xp = np.pad(x0, ((0, 0), (0, 0), (p, p), (p, p)))
        windows = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))  # (N, C, H, W, k, k)
        cols = windows.transpose(0, 1, 4, 5, 2, 3).reshape(batch, c_in * k * k, size * size)  # im2col
        wf = w0.reshape(c_out, c_in * k * k)
        out = (wf @ cols).reshape(batch, c_out, size, size) + b0[:, None, None]
        out.sum()
        g = np.ones_like(out).reshape(batch, c_out, size * size)
        gw = (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w0.shape)
        gcols = (wf.T @ g).reshape(batch, c_in, k, k, size, size)
        gxp = np.zeros_like(xp)
        for i in range(k):  # col2im: each kernel offset's columns added back where they came from
            for j in range(k):
                gxp[:, :, i:i + size, j:j + size] += gcols[:, :, i, j]
        return gxp[:, :, p:p + size, p:p + size], gw, g.sum(axis=(0, 2))

    torch = _torch()
    tapegrad_conv = on(tg, F.conv2d)
    torch_conv = on(torch, torch.nn.functional.conv2d) if torch is not None else None
    return _check_all("conv2d", Case(numpy_conv, tapegrad_conv, torch_conv))


# ---------------------------------------------------------------------- case 10: Dask
def dask_case(rounds: int) -> dict[str, float] | None:
    """The 4e6-element loss on Dask (``benchmarks/out_of_core.py``'s first case), or None without dask."""
    try:
        import dask  # noqa: F401
    except ImportError:
        return None
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        from out_of_core import dask_loss_case
    finally:
        sys.path.pop(0)
    return dask_loss_case(rounds=rounds)


def extra_memory(step: Callable[[], Any], unit: int, repeats: int = 2) -> tuple[float, float]:
    """(peak, held) extra memory of one ``step()``, in units of ``unit`` bytes.

    The rule, the same for both sides: the inputs exist before; the traced memory just
    before the call is the baseline. *peak* is tracemalloc's peak during the call
    minus the baseline: every temporary, the saved graph, and the gradients the step
    produces (which it returns, so they are alive at its end). *held* is what is still
    allocated after the call minus the baseline, with the returned gradients alive:
    for both sides, the two gradient arrays. NumPy reports its data buffers to
    tracemalloc, so arrays are counted with their data.
    """
    peaks, helds = [], []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            result = step()
            current, peak = tracemalloc.get_traced_memory()
            del result
        finally:
            tracemalloc.stop()
        peaks.append((peak - base) / unit)
        helds.append((current - base) / unit)
    return max(peaks), statistics.median(helds)


# ---------------------------------------------------------------------- case 5: import time
def _run_python(code: str, env: dict[str, str] | None = None, flags: tuple[str, ...] = ()) -> tuple[float, str, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env=env, check=True)
    return time.perf_counter() - t0, proc.stdout, proc.stderr


def _importtime_cumulative(stderr: str, module: str) -> float:
    """Cumulative microseconds of ``module`` from ``python -X importtime`` output."""
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == module:
            return float(line.split("|")[1])
    raise ValueError(f"{module} not in -X importtime output")


def bytecode_env(prefix: str) -> dict[str, str]:
    """The environment with bytecode caching on, into ``prefix`` (the source tree is not written).

    A dev environment may set PYTHONDONTWRITEBYTECODE=1: then an editable tapegrad, which has
    no ``__pycache__``, is compiled from source on every import while NumPy's installed .pyc
    files are used. With a private cache prefix both sides read cached bytecode, as after a
    normal install.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = prefix
    return env


def import_times(runs: int, env: dict[str, str] | None) -> dict[str, float]:
    """Median wall seconds of fresh interpreters, and -X importtime cumulative microseconds."""
    wall: dict[str, list[float]] = {"pass": [], "numpy": [], "tapegrad": []}
    cumulative: dict[str, list[float]] = {"numpy": [], "tapegrad": []}
    codes = {"pass": "pass", "numpy": "import numpy", "tapegrad": "import tapegrad"}
    for name in wall:  # warm the OS file cache (and the bytecode cache)
        _run_python(codes[name], env=env)
    for _ in range(runs):
        for name, code in codes.items():
            wall[name].append(_run_python(code, env=env)[0])
        for name in cumulative:
            _, _, err = _run_python(codes[name], env=env, flags=("-X", "importtime"))
            cumulative[name].append(_importtime_cumulative(err, name))
    out = {f"wall_{k}": statistics.median(v) for k, v in wall.items()}
    out.update({f"importtime_{k}_us": statistics.median(v) for k, v in cumulative.items()})
    return out


FIRST_OP_CODE = r"""
import json, time
import numpy as np
import tapegrad as tg
x = tg.from_numpy(np.ones(4)).requires_grad_(True)
t0 = time.perf_counter(); y = x * 2.0; t1 = time.perf_counter()   # builds the op table
y = x * 2.0; t2 = time.perf_counter()                             # a warm call
print(json.dumps({"first": t1 - t0, "second": t2 - t1,
                  "plugins": [p.name for p in tg.plugins.infos()]}))
"""


def first_op_times(runs: int, env: dict[str, str]) -> dict[str, Any]:
    """The first op call in a fresh interpreter (op table built from pluggy hooks) vs a warm one."""
    env_noauto = dict(env, TAPEGRAD_DISABLE_PLUGIN_AUTOLOAD="1")
    _run_python(FIRST_OP_CODE, env=env)  # fill the bytecode cache for the plugins' imports
    first, first_noauto, second = [], [], []
    plugins: list[str] = []
    for _ in range(runs):
        data = json.loads(_run_python(FIRST_OP_CODE, env=env)[1])
        first.append(data["first"])
        second.append(data["second"])
        plugins = data["plugins"]
        first_noauto.append(json.loads(_run_python(FIRST_OP_CODE, env=env_noauto)[1])["first"])
    return {"first": statistics.median(first), "first_no_autoload": statistics.median(first_noauto),
            "second": statistics.median(second), "plugins": plugins}


# ---------------------------------------------------------------------- profile of the per-op path
def _us(fn: Callable[[], Any], loop: int = 20_000, repeats: int = 7) -> float:
    """Median microseconds per call of ``fn`` (no profiler running)."""
    return statistics.median(_time_once(fn, loop) for _ in range(repeats)) * 1e6


def _build_chain(leaf: Any, n_ops: int) -> Any:
    return _chain(leaf, n_ops // 4)


def line_profile(run: Callable[[], Any], top: int = 8) -> str:
    """Line timings of the op closure and the backward engine (needs the line_profiler package).

    Profiles ``Tensor.__mul__`` (the binary-op closure; ``+``, ``-`` and ``/`` run copies of
    the same code, so only a quarter of the chain's forward calls are counted),
    ``Tensor.sum``, ``autograd.backward`` and every function of the engine module. Line
    times include the functions a line calls, and line_profiler's tracing inflates cheap
    lines: read the shares, not the absolute times.
    """
    try:
        from line_profiler import LineProfiler
    except ImportError:
        return "\nLine timings: skipped (pip install line_profiler to get them).\n"
    import inspect
    import linecache

    from tapegrad import autograd, engine

    lp = LineProfiler()
    seen = set()
    for fn in [tg.Tensor.__mul__, tg.Tensor.sum, autograd.backward,
               *(f for _, f in inspect.getmembers(engine, inspect.isfunction) if f.__module__ == engine.__name__)]:
        code = getattr(fn, "__code__", None)
        if code is not None and code not in seen:
            seen.add(code)
            lp.add_function(fn)
    lp.enable_by_count()
    t0 = time.perf_counter()
    try:
        run()
    finally:
        wall = time.perf_counter() - t0
        lp.disable_by_count()
    stats = lp.get_stats()
    out = io.StringIO()
    out.write(f"\nLine timings (line_profiler, one chain, {wall * 1e3:.0f} ms under the tracer; a function's "
              "share is of that wall time,\n  a line's share is of its function, callees included):\n")
    for (filename, first, name), lines in sorted(stats.timings.items(),
                                                 key=lambda kv: -sum(t for _, _, t in kv[1])):
        total = sum(t for _, _, t in lines) * stats.unit
        if total < 0.02 * wall:
            continue
        short = os.path.relpath(filename, ROOT) if filename.startswith(ROOT) else filename
        out.write(f"  {name} ({short}:{first}): {total / wall:.0%} of wall, inclusive\n")
        for lineno, hits, t in sorted(lines, key=lambda x: -x[2])[:top]:
            share = t * stats.unit / total
            if share < 0.03:
                break
            text = linecache.getline(filename, lineno).strip()[:88]
            out.write(f"    {share:5.1%}  {hits:>6} hits  L{lineno:<4} {text}\n")
    return out.getvalue()


def profile_per_op(n_ops: int = 20_000) -> str:
    """Where the per-op time goes: cProfile of the chain, then component timings without the profiler."""
    from tapegrad.graph import Node
    from tapegrad.optable import lookup
    from tapegrad.tensor import _wrap

    out = io.StringIO()
    tg_chain = make_chain_cases(n_ops).tapegrad
    tg_chain()
    prof = cProfile.Profile()
    prof.enable()
    tg_chain()
    prof.disable()
    out.write(f"cProfile, chain of {n_ops} ops (numpy ufunc calls do not show as functions; "
              "their time is inside the callers' tottime):\n")
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)

    out.write(line_profile(tg_chain))

    arr = np.ones(4)
    leaf = tg.from_numpy(arr.copy()).requires_grad_(True)
    plain = tg.from_numpy(arr.copy())
    mul = lookup("mul")
    m_node = (leaf * C_MUL)._grad_fn
    rows: list[tuple[str, float | None]] = []

    def put(label: str, value: Callable[[], float]) -> None:
        try:
            rows.append((label, value()))
        except Exception:  # noqa: BLE001 - an internal changed shape; say n/a rather than fail
            rows.append((label, None))

    out.write("\nForward, microseconds per op call:\n")
    put("numpy: arr * c", lambda: _us(lambda: arr * C_MUL))
    put("tapegrad: plain * c (nothing requires grad: closure + forward + _wrap)", lambda: _us(lambda: plain * C_MUL))
    put("tapegrad: leaf * c (records a Node; mul saves its inputs)", lambda: _us(lambda: leaf * C_MUL))
    put("tapegrad: leaf + c (records a Node; add saves (shape, dtype) per input)", lambda: _us(lambda: leaf + C_ADD))
    put("  forward lambda: mul.forward(np, arr, c) (numpy op + one Python call)", lambda: _us(lambda: mul.forward(np, arr, C_MUL)))
    put("  _wrap(arr, node): Tensor.__new__ + 5 slot writes", lambda: _us(lambda: _wrap(arr, m_node)))
    put("  Node(op, params, edges, inputs, out, xp)", lambda: _us(lambda: Node(mul, {}, (leaf,), (arr, C_MUL), None, np)))
    put("  add's saved metadata: tuple(genexpr of (shape, dtype))",
        lambda: _us(lambda: tuple(d if type(d) is float else (d.shape, d.dtype) for d in (arr, C_ADD))))
    for label, value in rows:
        out.write(("     n/a " if value is None else f"  {value:7.3f}") + f"  {label}\n")
    rows.clear()

    # Backward: the whole loop per node, then its parts. The parts call engine internals, which
    # change as the engine is tuned: a part whose function is gone or changed shows as n/a.
    import inspect

    from tapegrad import engine

    totals = []
    for _ in range(5):
        leaf.grad = None
        s = _build_chain(leaf, n_ops)
        t0 = time.perf_counter()
        s.backward()
        totals.append(time.perf_counter() - t0)
        del s
    nodes = n_ops + 1
    total = statistics.median(totals) / nodes * 1e6
    s = _build_chain(leaf, n_ops)
    kinds = []  # one node of each kind in the chain: div, sub, add, mul
    node = s._grad_fn.edges[0]
    for _ in range(4):
        kinds.append(node)
        node = node.edges[0]
    c_fresh = arr * 2

    def part(fn: Callable[[], float]) -> float | None:
        try:
            return fn()
        except Exception:  # noqa: BLE001 - an internal changed shape; say n/a rather than fail
            return None

    def count_deps() -> float:
        t0 = time.perf_counter()
        engine._count_dependencies({s._grad_fn: None})
        return (time.perf_counter() - t0) / nodes * 1e6

    def fit_args(k: Any) -> tuple:
        c = c_fresh if k.op.name in ("mul", "div") else arr  # add/sub hand g itself on
        if len(inspect.signature(engine._fit).parameters) == 4:
            return (k, 0, c, arr)
        return (k, 0, c, arr, (4,), arr.dtype)  # newer signature: the input's shape and dtype passed in

    def release() -> float:
        rel = []
        for _ in range(3):
            chain_root = _build_chain(leaf, 4000)
            chain_nodes = []
            node = chain_root._grad_fn
            while type(node) is Node:
                chain_nodes.append(node)
                node = node.edges[0]
            t0 = time.perf_counter()
            for node in chain_nodes:
                engine._release(node)
            rel.append((time.perf_counter() - t0) / len(chain_nodes) * 1e6)
        return statistics.median(rel)

    # How often the loop calls each part (the engine may skip some in the common case).
    calls: dict[str, int] = {}
    originals = {name: getattr(engine, name) for name in ("_call_vjp", "_fit", "_release")
                 if hasattr(engine, name)}

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return fn(*a, **k)
        return wrapper

    try:
        for name, fn in originals.items():
            setattr(engine, name, counting(name, fn))
        leaf.grad = None
        _build_chain(leaf, n_ops).backward()
    finally:
        for name, fn in originals.items():
            setattr(engine, name, fn)
    share = {name: calls.get(name, 0) / nodes for name in originals}

    def scaled(value: float | None, name: str) -> float | None:
        return None if value is None or name not in share else value * share[name]

    count = part(count_deps)
    vjp = part(lambda: statistics.mean(_us(lambda k=k: engine._call_vjp(k, arr, False, None, None)) for k in kinds))
    rule = part(lambda: statistics.mean(
        _us(lambda k=k: k.op.vjps[0](np, arr, k.out, *(k.inputs if k.op.saves_inputs else (arr, 1.0))))
        for k in kinds))
    fit = part(lambda: statistics.mean(_us(lambda k=k, a=fit_args(k): engine._fit(*a)) for k in kinds))
    rel = part(release)
    vjp, fit, rel = scaled(vjp, "_call_vjp"), scaled(fit, "_fit"), scaled(rel, "_release")
    vjp_overhead = None if vjp is None or rule is None else max(0.0, vjp - rule * share.get("_call_vjp", 0))
    known = [v for v in (count, rule, vjp_overhead, fit, rel) if v is not None]
    loop = total - sum(known)
    out.write("\nCalls per node during a backward (0 = inlined or skipped): "
              + ", ".join(f"{name} {share[name]:.2f}" for name in share) + "\n")
    out.write(f"\nBackward, microseconds per node (chain of {n_ops}; mul/add/sub/div equally often):\n")
    for label, value in [
        ("whole backward loop, per node", total),
        ("  _count_dependencies (graph walk before the loop)", count),
        ("  the VJP rules themselves (lambda call + numpy op for mul/div)", rule),
        ("  _call_vjp wrapper around the rule (x calls per node)", vjp_overhead),
        ("  _fit (broadcast/dtype fitting, freshness test; x calls per node)", fit),
        ("  _release (drop saved values; x calls per node)", rel),
        ("  the rest of the loop body (buffers, edges, deps, ready stack; = whole - parts above)", loop),
    ]:
        out.write(("     n/a " if value is None else f"  {value:7.3f}") + f"  {label}\n")

    # Fixed costs of one backward() call, from the smallest graph.
    def tiny_fwd() -> Any:
        leaf.grad = None
        return (leaf * 2.0).sum()

    def tiny_both() -> None:
        tiny_fwd().backward()

    fixed = _us(tiny_both, 5000) - _us(tiny_fwd, 5000)
    out.write("\nFixed costs, microseconds:\n")
    for label, value in [
        ("backward() of (leaf * 2.0).sum(): 2 nodes + entry, validation, _root_grads, _commit", fixed),
        ("  np.broadcast_to (sum/mean VJPs)", _us(lambda: np.broadcast_to(np.float64(1.0), (4,)))),
        ("  np.ones_like (implicit root gradient)", _us(lambda: np.ones_like(np.float64(1.0)))),
        ("  np.sum(arr, axis=(0,)) via fromnumeric (sum forward)", _us(lambda: np.sum(arr, axis=(0,), keepdims=False))),
        ("  arr.copy() (commit copies a cotangent it does not own)", _us(arr.copy)),
    ]:
        out.write(f"  {value:7.3f}  {label}\n")

    # The cyclic garbage collector walks the (acyclic) graph as it grows: split by phase.
    out.write("\nGC (cyclic collector) cost, chain fwd / bwd in ms, median of runs:\n")
    for n_chain, runs in ((1000, 101), (100_000, 5)):
        for mode in ("enabled", "disabled"):
            f_t, b_t = [], []
            for _ in range(runs):
                leaf.grad = None
                if mode == "disabled":
                    gc.disable()
                try:
                    t0 = time.perf_counter()
                    root = _build_chain(leaf, n_chain)
                    t1 = time.perf_counter()
                    root.backward()
                    del root  # the graph's teardown counts as backward
                    t2 = time.perf_counter()
                finally:
                    gc.enable()
                f_t.append(t1 - t0)
                b_t.append(t2 - t1)
            out.write(f"  {n_chain:>7}-op chain, gc {mode:<8}: forward {statistics.median(f_t) * 1e3:8.2f}  "
                      f"backward {statistics.median(b_t) * 1e3:8.2f}\n")
    return out.getvalue()


# ---------------------------------------------------------------------- report
def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "tree": source_tree(), "loadavg": loadavg(),
        "cpus": os.cpu_count(), "cpus_usable": usable, "cpu_model": cpu,
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "numpy": np.__version__, "tapegrad": tg.__version__, "platform": platform.platform(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
    }


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def _cpu_seconds() -> tuple[float, float] | None:
    """(busy CPU seconds of the whole machine, CPU seconds of this process and its children)."""
    try:
        import resource

        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        tick = os.sysconf("SC_CLK_TCK")
    except (OSError, ImportError, ValueError):
        return None
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / tick  # all but idle and iowait
    own = sum(getattr(resource.getrusage(who), f)
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
    return busy, own


def source_tree() -> str:
    """The commit measured, and which of tapegrad's own files differ from it (best effort)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "core", "ops_builtin"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "n/a (not a git checkout)"
    changed = [line[3:] for line in dirty if line.strip()]
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else " (clean)")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def main(argv: list[str] | None = None) -> int:
    global TORCH_THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: the whole run takes about 30 s")
    parser.add_argument("--profile", action="store_true", help="also profile the per-op path")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON too")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--torch-threads", type=int, default=1, metavar="N",
                        help="PyTorch's intra-op threads (default 1, as NumPy's side)")
    args = parser.parse_args(argv)
    TORCH_THREADS = args.torch_threads
    quick = args.quick
    started = time.perf_counter()
    cpu_start = _cpu_seconds()

    info = machine()
    torch = _torch()
    print(f"tapegrad {info['tapegrad']} benchmark ({'quick' if quick else 'full'} mode), "
          f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(f"machine: {info['cpus']} cpus ({info['cpus_usable']} usable), {info['cpu_model']}")
    print(f"python {info['python']} ({info['implementation']}), numpy {info['numpy']}, {info['platform']}")
    print("PyTorch: " + (f"{torch.__version__}, {torch.get_num_threads()} thread(s)" if torch is not None
                         else "not installed (its column is empty)"))
    print(f"source: {info['tree']}")
    print(f"load average at start: {info['loadavg']}" + (
        "  (WARNING: the machine is busy; times will be noisy)"
        if info["loadavg"] != "n/a" and float(info["loadavg"].split()[0]) > 0.5 * (info["cpus_usable"] or 1) else ""))
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    if env:
        print("env: " + " ".join(f"{k}={v}" for k, v in sorted(env.items())))
    print()

    rows: list[tuple[str, ...]] = []
    results: dict[str, Any] = {"machine": info, "mode": "quick" if quick else "full", "date": time.strftime("%Y-%m-%d"),
                               "torch": None if torch is None else {"version": torch.__version__,
                                                                     "threads": torch.get_num_threads()}}

    def row(case: str, np_s: str, th_s: str, tg_s: str, ratio: str, target: str, ok: bool | None) -> None:
        rows.append((case, np_s, th_s, tg_s, ratio, target, "info" if ok is None else ("PASS" if ok else "MISS")))
        print(f"  done: {case}", flush=True)

    def timed(case: Case, repeats: int, number: int = 1) -> tuple[float, float, float | None]:
        times = time_alternating(case.fns, repeats=repeats, number=number, warmup=1 if repeats > 1 else 0)
        return times[0], times[1], (times[2] if len(times) > 2 else None)

    def ratio_row(key: str, label: str, case: Case, repeats: int, number: int, target: float | None,
                  per: int = 1, unit: str = "") -> None:
        """A time per call (or per op, ``per`` ops a call) on each side; the ratio and target are to NumPy."""
        t_np, t_tg, t_th = timed(case, repeats, number)
        ratio = t_tg / t_np
        results[key] = {"numpy_s": t_np, "tapegrad_s": t_tg, "torch_s": t_th, "ratio": ratio, "target": target,
                        "torch_ratio": None if t_th is None else t_th / t_np}
        show = (lambda v: f"{v / per * 1e6:.2f} us") if per > 1 else fmt_time
        row(label + unit, show(t_np), "" if t_th is None else f"{show(t_th)} ({t_th / t_np:.2f}x)", show(t_tg),
            f"{ratio:.2f}x", "(info)" if target is None else f"<= {target:g}x", None if target is None else ratio <= target)

    # 1. per-op overhead: a 1,001-op chain (1,000 ops and the sum)
    ratio_row("chain_1000", "1. 1,001-op chain on (4,), per op", make_chain_cases(1000), repeats=7 if quick else 25,
              number=3 if quick else 10, target=3.5, per=1001)

    # 2. the tutorial iteration: its target is to PyTorch
    case = make_tutorial_cases()
    t_np, t_tg, t_th = timed(case, repeats=7 if quick else 25, number=200 if quick else 1000)
    results["tutorial"] = {"numpy_s": t_np, "tapegrad_s": t_tg, "torch_s": t_th, "target_to_torch": 0.6}
    row("2. tutorial iteration", fmt_time(t_np), "" if t_th is None else fmt_time(t_th), fmt_time(t_tg),
        f"{t_tg / t_th:.2f}x PyTorch" if t_th else f"{t_tg / t_np:.2f}x", "<= 0.6x PyTorch",
        None if t_th is None else t_tg / t_th <= 0.6)

    # 3, 4. the 4,000,000-element loss: time, then memory in separate runs (tracemalloc off while timing)
    n = 4_000_000
    case = make_big_loss_cases(n)
    t_np, t_tg, t_th = timed(case, repeats=5 if quick else 15)
    ratio = t_tg / t_np
    assert case.clear is not None
    peak_np, held_np = extra_memory(case.numpy, n * 8)
    case.clear()
    peak_tg, held_tg = extra_memory(case.tapegrad, n * 8)
    case.clear()
    del case
    gc.collect()
    # PyTorch's memory (and, in full mode, NumPy's and tapegrad's as a check of the method) by resident set
    th_res = resident("torch", n, 100_000) if torch is not None else {}
    rss = {"torch": th_res.get("peak_arrays")}
    if not quick:
        rss.update(numpy=resident("numpy", n).get("peak_arrays"), tapegrad=resident("tapegrad", n).get("peak_arrays"))
    results["loss_4e6"] = {"numpy_s": t_np, "tapegrad_s": t_tg, "torch_s": t_th, "ratio": ratio, "target": 1.05,
                           "numpy_peak_arrays": peak_np, "tapegrad_peak_arrays": peak_tg,
                           "numpy_held_arrays": held_np, "tapegrad_held_arrays": held_tg,
                           "peak_by_resident_set_arrays": rss, "peak_target_to_numpy": 1.5}
    row("3. 4e6 loss fwd+bwd, time", fmt_time(t_np), "" if t_th is None else f"{fmt_time(t_th)} ({t_th / t_np:.2f}x)",
        fmt_time(t_tg), f"{ratio:.2f}x", "<= 1.05x", ratio <= 1.05)
    th_peak = rss["torch"]
    row("4. 4e6 loss, extra peak (arrays*)", f"{peak_np:.2f}", "" if th_peak is None else f"{th_peak:.2f} (rss)",
        f"{peak_tg:.2f}", f"{peak_tg / peak_np:.2f}x", "<= 1.5x", peak_tg / peak_np <= 1.5)
    if not quick:
        row("4. ... all by resident set", _fmt(rss["numpy"]), _fmt(th_peak), _fmt(rss["tapegrad"]), "", "(info)", None)
    row("4. ... held after (the gradients)", f"{held_np:.2f}", "", f"{held_tg:.2f}", "", "(info)", None)

    # 5. the 100,001-op chain: tape bytes per op, then its time
    tape = tape_bytes_per_op(100_000)
    th_tape = th_res.get("tape_bytes_per_op")
    results["tape_bytes_per_op"] = {"tapegrad": tape, "numpy": 0, "torch_by_resident_set": th_tape, "target": 300}
    row("5. 100,001-op chain: tape bytes/op", "0", "" if th_tape is None else f"{th_tape:.0f} (rss)", f"{tape:.0f}",
        "", "<= 300", tape <= 300)
    gc.collect()
    # --quick leaves PyTorch out here: seconds of the per-op cost row 1 already shows
    ratio_row("chain_100000", "5. ... fwd+bwd, per op", make_chain_cases(100_000, with_torch=not quick),
              repeats=1 if quick else 5, number=1, target=None, per=100_001)
    gc.collect()

    # 6. import time, and the first op call (op table built from the plugins)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tapegrad-bench-pycache-") as prefix:
        env_ = bytecode_env(prefix)
        imp = import_times(runs=3 if quick else 15, env=env_)
        first = first_op_times(runs=2 if quick else 7, env=env_)
    delta = imp["wall_tapegrad"] - imp["wall_numpy"]
    results["import"] = {**imp, "delta_s": delta, "target_delta_s": 0.030, "first_op": first}
    row("6. import (fresh python -c)", fmt_time(imp["wall_numpy"]), "", fmt_time(imp["wall_tapegrad"]),
        f"+{delta * 1e3:.1f} ms", "<= +30 ms", delta <= 0.030)
    row("6. import (-X importtime, cumul.)", fmt_time(imp["importtime_numpy_us"] * 1e-6), "",
        fmt_time(imp["importtime_tapegrad_us"] * 1e-6),
        f"+{(imp['importtime_tapegrad_us'] - imp['importtime_numpy_us']) / 1e3:.1f} ms", "(info)", None)
    # issue 12: "the first op within 40 ms" (in a fresh interpreter, with the installed plugins)
    row("6. first op call (builds op table)", "", "", fmt_time(first["first"]), f"warm: {fmt_time(first['second'])}",
        "<= 40 ms", first["first"] <= 0.040)
    row("6. ... with plugin autoload off", "", "", fmt_time(first["first_no_autoload"]), "", "(info)", None)

    # 7. a tanh MLP, 256x784 -> 512 -> 10, MSE; 8. a softmax cross-entropy step; 9. conv2d
    ratio_row("mlp", "7. MLP 256x784-512-10 tanh, MSE", make_mlp_cases(), repeats=5 if quick else 21,
              number=2 if quick else 5, target=1.05)
    ratio_row("softmax_ce", "8. softmax cross-entropy step", make_softmax_ce_cases(), repeats=5 if quick else 21,
              number=5 if quick else 20, target=None)
    ratio_row("conv2d", "9. conv2d 32x3x32x32, 16 3x3, fwd+bwd", make_conv2d_cases(), repeats=5 if quick else 15,
              number=1 if quick else 3, target=None)
    gc.collect()

    # 10. the 4e6 loss on Dask, 4 chunks: tapegrad's graph against the same one by hand
    dask_result = dask_case(rounds=3 if quick else 7)
    results["dask_loss_4e6"] = dask_result
    if dask_result is None:
        row("10. Dask 4e6 loss, 4 chunks", "", "", "skipped", "", "(no dask)", None)
    else:
        row("10. Dask 4e6 loss, 4 chunks", f"{dask_result['dask_by_hand_ms']:.2f} ms", "",
            f"{dask_result['tapegrad_ms']:.2f} ms", f"{dask_result['ratio']:.2f}x", "(info)", None)

    # table
    headers = ("case", "numpy by hand", "pytorch", "tapegrad", "ratio", "target", "result")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print(line)
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print(line)
    print("Times: medians over repeats, the sides alternating repeat by repeat, per call (per op where it says).\n"
          "  Ratios are tapegrad over NumPy by hand (the tutorial's: over PyTorch); PyTorch's own ratio to NumPy\n"
          f"  is in brackets. PyTorch ran on {TORCH_THREADS} thread(s). Imports: fresh interpreters, bytecode cached\n"
          f"  in a private PYTHONPYCACHEPREFIX; python -c pass takes {fmt_time(imp['wall_pass'])}.")
    print("* arrays = 4,000,000 * 8 bytes. Extra peak = tracemalloc's peak during one step minus the memory traced\n"
          "  just before it (inputs a, b, x, t allocated; .grad cleared): temporaries, saved values and the two\n"
          "  gradients the step returns (so never under 2). PyTorch's allocations are invisible to tracemalloc:\n"
          "  its figure (rss) is the resident set's high-water mark over its size before the step, in a fresh\n"
          "  interpreter (in full mode a row gives all three sides measured so). Tape bytes: memory held by the\n"
          "  recorded graph of the chain after forward, over 100,001 ops (tracemalloc; PyTorch's by resident set).")
    print(f"First op: plugins loaded = {', '.join(first['plugins'])}.")
    cpu_end = _cpu_seconds()
    if cpu_start and cpu_end:
        wall = time.perf_counter() - started
        others = max(0.0, (cpu_end[0] - cpu_start[0]) - (cpu_end[1] - cpu_start[1])) / wall
        results["other_load_cores"] = others
        print(f"Other processes kept {others:.2f} cores busy on average during the run"
              + ("  (WARNING: noisy; rerun on a quiet machine)" if others > 0.25 else "") + ".")
    missed = [r[0] for r in rows if r[6] == "MISS"]
    print(f"{len(missed)} target(s) missed" + (": " + "; ".join(missed) if missed else "") +
          f". Total run time {time.perf_counter() - started:.1f} s.")

    if args.profile:
        print("\nProfile of the per-op path (chain of 20,000 ops on a (4,) tensor):\n")
        print(profile_per_op())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
