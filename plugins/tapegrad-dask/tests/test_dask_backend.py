"""Dask as a tapegrad backend: every built-in op passes the kit on it, a training step stays one
lazy graph, ``tapegrad.compute`` shares work, and it runs unchanged on a distributed cluster."""

from __future__ import annotations

import contextlib
import signal

import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad
from tapegrad.testing import EdgeCase, check_op, ops_of_plugin, parametrize_with_op_checks
from tapegrad.testing.kit import CHECKS
from tapegrad_dask import computations

from dask_refusals import documented, verdict

REFUSALS = documented()

BACKEND = "dask"


def test_the_backend_is_discovered_through_its_entry_point():
    info = {p.name: p for p in tapegrad.plugins.infos()}["dask"]
    assert info.source == "entry point" and info.error is None
    backend = tapegrad.optable.table().backends[BACKEND]
    assert backend.lazy and backend.compute is not None


# What Dask's linear algebra cannot do, each a strict xfail: Dask raises its own error there (or,
# for the functions it lacks, tapegrad_dask.namespace says so); nothing computes silently.
_DASK_LINALG = ("Dask's linalg: LU, Cholesky, QR and SVD need one chunk per matrix (QR and SVD tall-and-skinny, "
                "full_matrices=False), and it has no det, slogdet, eigh or cross")
DASK_LIMITS = {f"linalg.{name}-backends": _DASK_LINALG for name in (
    "solve", "solve_triangular", "inv", "det", "slogdet_output", "slogdet", "matrix_norm", "matrix_exp",
    "matrix_power", "cross", "cholesky", "cholesky_ex", "qr_output", "qr", "svd_output", "svd", "svdvals",
    "eigh_output", "eigh", "eigvalsh", "pinv", "lstsq_solution", "lstsq")}


# every other check is tests/test_kit.py's, on NumPy; here the backends check: native leaves, one and
# several chunks, a first size unknown (NaN, as a mask leaves it), implicit backward, no computation
# during forward and backward. Where an op refuses the unknown size (the declared limit the kit
# reports), the README's generated list must say so, and say nothing of the others.
@parametrize_with_op_checks(ops_of_plugin("tapegrad.ops_builtin"), backends=(BACKEND,),
                            skip=tuple(c for c in CHECKS if c != "backends"), expected_failures=DASK_LIMITS)
def test_builtin_ops_conform_on_dask(op_check):
    limits = op_check()
    found, listed = verdict(limits), REFUSALS.get(op_check.op, "none")
    assert found == listed, (f"{op_check.op}: the kit finds {found!r} (refusals: {limits}), the README lists "
                             f"{listed!r}; regenerate the list: python plugins/tapegrad-dask/tests/dask_refusals.py")


def test_the_kit_runs_every_op_with_an_unknown_size():
    backend = tapegrad.optable.table().backends[BACKEND]
    shapes = [v.shape for v in backend.kit_inputs(np.ones((3, 2)))]
    assert len(shapes) == 3 and shapes[-1][0] != shapes[-1][0] and shapes[-1][1] == 2
    assert REFUSALS, "the README lists no refusals"


def test_an_op_that_computes_is_refused_by_the_guard_naming_it():
    x = tapegrad.as_tensor(da.from_array(np.array([3.0, 1.0, 2.0]), chunks=2))
    with pytest.raises(RuntimeError, match=r"\(\) must look at .*lazy backend 'dask'"):
        tapegrad.sort(x)  # (refused when Dask is about to start: nothing is computed)


def test_cholesky_is_the_lower_factor_on_dask():
    a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    got = tapegrad.compute(tapegrad.linalg.cholesky(tapegrad.as_tensor(da.from_array(a))))[0]
    np.testing.assert_allclose(got.numpy(), np.linalg.cholesky(a))


def lazy(values, chunks=2, requires_grad=False):
    return tapegrad.as_tensor(da.from_array(np.asarray(values, dtype=np.float64), chunks=chunks),
                              requires_grad=requires_grad)


def test_as_tensor_wraps_without_computing_or_casting():
    array = da.from_array(np.arange(6.0), chunks=2)
    with computations() as count:
        t = tapegrad.as_tensor(array)
        assert t._data is array and t.dtype is tapegrad.float64 and t.backend == BACKEND
        copied = tapegrad.tensor(array)
        assert type(copied._data) is da.Array and copied._data is not array
        f32 = tapegrad.as_tensor(array, dtype=tapegrad.float32)
        assert type(f32._data) is da.Array and f32.dtype is tapegrad.float32
        assert count() == 0


def test_a_training_step_is_one_lazy_graph_and_compute_shares_it():
    rng = np.random.default_rng(0)
    x_np, t_np = rng.standard_normal(1000), rng.standard_normal(1000)
    x, t = lazy(x_np, chunks=250), lazy(t_np, chunks=250)
    a = lazy([0.5], chunks=1, requires_grad=True)
    b = tapegrad.as_tensor(da.zeros(1, chunks=1), requires_grad=True)
    with computations() as count:
        loss = ((a * x + b - t) ** 2).sum() / 1000
        loss.backward()
        assert count() == 0, "forward and backward computed"
        assert type(a.grad._data) is da.Array
        value, ga, gb = tapegrad.compute(loss, a.grad, b.grad)
        assert count() == 1, "compute() evaluates everything in one pass"
    r = 0.5 * x_np - t_np
    assert value.item() == pytest.approx((r ** 2).mean(), rel=1e-12)
    np.testing.assert_allclose(ga.numpy(), [2 * (r * x_np).mean()], rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), [2 * r.mean()], rtol=1e-12)
    assert ga.backend == "numpy"


def test_compute_passes_eager_tensors_and_none_through():
    e = tapegrad.ones(2)
    out = tapegrad.compute(e, None, lazy([1.0, 2.0]))
    assert out[0] is e and out[1] is None and out[2].tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="compute\\(\\) takes tensors"):
        tapegrad.compute(np.ones(2))


def test_to_passes_options_and_like_makers_follow_the_backend():
    t = tapegrad.tensor(np.arange(10.0)).to(BACKEND, chunks=5)
    assert t._data.chunks == ((5, 5),)
    for made in (tapegrad.zeros_like(t), tapegrad.ones_like(t), tapegrad.full_like(t, 3.0)):
        assert type(made._data) is da.Array and made._data.chunks == ((5, 5),)
    assert tapegrad.full_like(t, 3.0).tolist() == [3.0] * 10
    with pytest.raises(TypeError, match="backend options such as chunks= go with a backend"):
        t.to(tapegrad.float32, chunks=2)


def test_printing_item_and_numpy_compute():
    t = lazy([1.0, 2.0, 3.0])
    assert repr(t) == "tensor([1., 2., 3.], dtype=tapegrad.float64, backend='dask')"
    assert t.sum().item() == 6.0 and t.numpy().tolist() == [1.0, 2.0, 3.0]


def test_unknown_sizes_run_forward_and_backward_with_lazy_counts():
    base = da.from_array(np.array([1.0, -2.0, 3.0, -4.0]), chunks=2)
    leaf = tapegrad.as_tensor(base[base > 0], requires_grad=True)
    assert leaf.shape[0] != leaf.shape[0]  # NaN: unknown until computed
    y = (leaf.exp() * 2).sum()
    assert tapegrad.compute(y)[0].item() == pytest.approx(2 * (np.e + np.e ** 3))
    y.backward()  # sum's cotangent spread by zeros_like of the masked input, lazily
    assert leaf.grad.shape[0] != leaf.grad.shape[0]
    np.testing.assert_allclose(tapegrad.compute(leaf.grad)[0].numpy(), 2 * np.exp([1.0, 3.0]))
    selected = tapegrad.as_tensor(base[base > 0], requires_grad=True)
    loss = ((selected - 1.0) ** 2).mean()  # the mean's gradient divides by a count that is lazy too
    loss.backward()
    value, grad = tapegrad.compute(loss, selected.grad)
    assert value.item() == pytest.approx(2.0)
    np.testing.assert_allclose(grad.numpy(), [0.0, 2.0])
    for correction in (1, 0, 2, 3):  # 1 / (N - correction), a lazy count: infinite at N == correction
        spread = tapegrad.as_tensor(base[base > 0], requires_grad=True)
        spread.var(correction=correction).backward()
        eager = tapegrad.tensor([1.0, 3.0], dtype=tapegrad.float64, requires_grad=True)
        eager.var(correction=correction).backward()
        np.testing.assert_array_equal(tapegrad.compute(spread.grad)[0].numpy(), eager.grad.numpy())
    values = [[0.5, 1.0], [2.0, -1.0], [0.0, 3.0]]
    columns = masked(values, requires_grad=True)
    columns.std(dim=0).sum().backward()  # along the unknown dimension: a lazy count per column
    eager = tapegrad.tensor(values, dtype=tapegrad.float64, requires_grad=True)
    eager.std(dim=0).sum().backward()
    np.testing.assert_allclose(tapegrad.compute(columns.grad)[0].numpy(), eager.grad.numpy())
    known = tapegrad.as_tensor(base[base > 0].compute_chunk_sizes(), requires_grad=True)
    (known.exp() * 2).sum().backward()
    np.testing.assert_allclose(tapegrad.compute(known.grad)[0].numpy(), 2 * np.exp([1.0, 3.0]))


def test_partial_sums_over_an_unknown_size_spread_back_lazily():
    x = masked([[0.5, 1.0], [2.0, -1.0], [0.0, 3.0]], requires_grad=True)
    for dim, keepdim in [(1, False), (1, True), (0, False), (0, True), (None, False)]:
        x.grad = None
        x.exp().sum(dim=dim, keepdim=keepdim).sum().backward()
        np.testing.assert_allclose(tapegrad.compute(x.grad)[0].numpy(), np.exp([[0.5, 1.0], [2.0, -1.0], [0.0, 3.0]]))
    x.grad = None
    x.mean(dim=1).sum().backward()  # counts along the known dimension only
    np.testing.assert_allclose(tapegrad.compute(x.grad)[0].numpy(), np.full((3, 2), 0.5))


def test_second_order_over_an_unknown_size():
    # create_graph gave [60.] for [3., 27.]: the fitted cotangent, whose NaN size differed from the
    # input's NaN (NaN != NaN), was summed over no axes, which tensors read as every axis
    x = masked([1.0, 3.0], requires_grad=True)
    (g,) = tapegrad.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (gg,) = tapegrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(tapegrad.compute(g)[0].numpy(), [3.0, 27.0])
    np.testing.assert_allclose(tapegrad.compute(gg)[0].numpy(), [6.0, 18.0])


def masked(values, requires_grad=False):
    """``values`` on Dask behind an all-true mask: the same numbers, the first size unknown (NaN)."""
    values = np.asarray(values, dtype=np.float64)
    mask = da.from_array(np.ones(values.shape[0], dtype=bool), chunks=2)
    return tapegrad.as_tensor(da.from_array(values, chunks=2)[mask], requires_grad=requires_grad)


UNKNOWN = tapegrad.backends.UnknownSizeError


def test_logcumsumexp_refuses_an_unknown_size_instead_of_returning_its_input():
    # it gave x itself: the doubling scan ran "while step < nan", zero times
    x = masked([[0.5, 1.0], [2.0, -1.0], [0.0, 3.0]])
    with pytest.raises(UNKNOWN, match=r"logcumsumexp\(\): a scan .* needs the size .*compute_chunk_sizes\(\)"):
        tapegrad.logcumsumexp(x, 0)
    with pytest.raises(UNKNOWN, match="Tried to concatenate arrays with unknown shape"):  # Dask's own limit
        tapegrad.logcumsumexp(x, 1)


def test_var_and_std_gradients_count_an_unknown_size_lazily_instead_of_giving_nan():
    values = [[0.5, 1.0], [2.0, -1.0], [0.0, 3.0]]
    for name in ("var", "std"):
        x = masked(values, requires_grad=True)
        y = getattr(x, name)()  # a scalar: its backward needs N - 1, N unknown (it gave 1 / (nan - 1))
        assert tapegrad.compute(y)[0].item() == pytest.approx(getattr(np, name)([0.5, 1, 2, -1, 0, 3], ddof=1))
        y.backward()  # N is counted lazily, with the rest of the graph
        eager = tapegrad.tensor(values, dtype=tapegrad.float64, requires_grad=True)
        getattr(eager, name)().backward()
        grad = tapegrad.compute(x.grad)[0].numpy()
        assert not np.isnan(grad).any()
        np.testing.assert_allclose(grad, eager.grad.numpy(), rtol=1e-12)


def test_squeeze_refuses_to_guess_whether_an_unknown_size_is_one():
    x = masked(np.ones((1, 3, 1)))  # (nan, 3, 1): squeeze() kept the NaN, NumPy drops the 1
    with pytest.raises(UNKNOWN, match=r"squeeze\(\) \(whether the size is 1\) needs the size"):
        x.squeeze()
    assert tapegrad.compute(x.squeeze(2))[0].shape == (1, 3)
    assert tuple(x.unsqueeze(0).shape)[2:] == (3, 1) and tapegrad.compute(x.unsqueeze(0))[0].shape == (1, 1, 3, 1)


def test_argmax_over_an_unknown_size_refuses_when_called_not_when_computed():
    x = masked([3.0, 1.0, 4.0])  # Dask built it, then failed computing (ravel_multi_index of NaN)
    with pytest.raises(UNKNOWN, match="argmax along a dimension of unknown size"):
        x.argmax()
    assert tapegrad.compute(masked([[3.0, 1.0], [1.0, 2.0]]).argmax(1))[0].tolist() == [0, 1]


def test_obscure_failures_on_unknown_sizes_become_one_clear_refusal():
    x = masked(np.arange(6.0).reshape(3, 2))
    for call in (lambda: x.reshape(2, 3), lambda: x.flip(0), lambda: tapegrad.split(x, 1),
                 lambda: x + masked(np.arange(6.0).reshape(3, 2))[:, :1].expand(3, 2)):
        with pytest.raises(UNKNOWN, match=r"\(\) needs the size of an input whose size is unknown.*compute_chunk_sizes"):
            call()
    y = x * masked(np.arange(6.0).reshape(3, 2))  # masked alike: Dask aligns them, nothing needs the size
    np.testing.assert_allclose(tapegrad.compute(y)[0].numpy(), np.arange(6.0).reshape(3, 2) ** 2)


def test_ops_that_look_at_values_are_refused_not_computed():
    name = tapegrad.plugins.register(type("P", (), {"tapegrad_register_ops": staticmethod(
        tapegrad.hookimpl(lambda registry: registry.register_op(
            "count_positive", forward=lambda xp, x: xp.asarray(int((x > 0).sum())), inspects_values=True)))}),
        name="peek")
    try:
        assert tapegrad.count_positive(tapegrad.tensor([1.0, -1.0])).item() == 1
        with computations() as count, pytest.raises(RuntimeError, match="would force the lazy backend 'dask'"):
            tapegrad.count_positive(lazy([1.0, -1.0]))
        assert count() == 0
    finally:
        tapegrad.plugins.unregister(name)


def test_in_place_writes_through_views_are_refused():
    t = lazy([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(RuntimeError, match="lazy backend 'dask'"):
        t[:2].mul_(2)
    t.mul_(2)  # no views: fine, and still lazy
    assert type(t._data) is da.Array and t.tolist() == [2.0, 4.0, 6.0, 8.0]


def test_matches_numpy_on_a_small_mlp():
    rng = np.random.default_rng(1)
    x_np, w_np = rng.standard_normal((8, 5)), rng.standard_normal((5, 3))
    grads = []
    for make in (lambda a: tapegrad.tensor(a, requires_grad=True), lambda a: lazy(a, chunks=(4, 5), requires_grad=True)):
        x, w = make(x_np), make(w_np)
        (x @ w).tanh().pow(2).mean().backward()
        grads.append(tapegrad.compute(x.grad, w.grad))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail (not hang) if the block runs longer than ``seconds``."""
    def expired(signum, frame):
        raise TimeoutError(f"the distributed test ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_runs_unchanged_on_a_distributed_cluster():
    distributed = pytest.importorskip("distributed")
    with deadline(180), distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        rng = np.random.default_rng(2)
        x_np = rng.standard_normal(4000)
        x = lazy(x_np, chunks=1000)
        w = tapegrad.as_tensor(da.ones(1, chunks=1), requires_grad=True)
        loss = ((w * x - 1.0) ** 2).mean()
        loss.backward()
        value, g = tapegrad.compute(loss, w.grad)
        assert client.run(lambda: 1)  # the work ran on the cluster's workers
        assert value.item() == pytest.approx(((x_np - 1.0) ** 2).mean(), rel=1e-12)
        np.testing.assert_allclose(g.numpy(), [2 * ((x_np - 1.0) * x_np).mean()], rtol=1e-12)


def test_the_regression_example_fits_lazily_chunk_by_chunk():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "docs" / "examples" / "dask_regression.py"
    spec = importlib.util.spec_from_file_location("dask_regression", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    with computations() as count:
        w, b, losses = example.main(["--rows", "20000", "--chunk", "5000", "--steps", "30"])
        assert count() == 30, "one computation per SGD step, for the loss and both gradients"
    np.testing.assert_allclose(w, example.TRUE_W, atol=0.01)
    assert b == pytest.approx(0.5, abs=0.01) and losses[-1] < 0.011 < losses[0]


def test_check_runs_the_kit_on_a_backend():
    from tapegrad.cli import main

    assert main(["check", "sin", "--backend", BACKEND]) == 0
    assert main(["check", "sin", "--backend", "no_such_backend"]) == 2


def test_the_cotangent_of_a_big_sum_is_chunked_not_one_block():
    """The VJP of sum spreads a 0-d cotangent over the input's shape: in chunks, so a loss over data
    bigger than memory never holds a whole gradient-sized block (benchmarks/out_of_core.py)."""
    from tapegrad_dask import namespace

    spread = namespace.broadcast_to(da.ones((), chunks=()), (50_000_000,))
    assert spread.npartitions > 1 and max(spread.chunks[0]) * 8 <= 2 ** 28
    x = lazy(np.ones(8), chunks=4, requires_grad=True)
    x.sum().backward()
    assert tapegrad.compute(x.grad)[0].tolist() == [1.0] * 8


# real masks (some rows kept, some dropped, maybe none): each call gives NumPy's values on the
# masked data, or refuses with UnknownSizeError; never a wrong value, never another error
MASKED_CALLS = {
    "exp": lambda t: t.exp(), "square": lambda t: t * t, "sum0": lambda t: t.sum(0), "sum1": lambda t: t.sum(1),
    "mean": lambda t: t.mean(), "amax0": lambda t: t.amax(0), "cumsum0": lambda t: t.cumsum(0),
    "cumsum1": lambda t: t.cumsum(1), "var0": lambda t: t.var(0), "unsqueeze": lambda t: t.unsqueeze(0),
    "squeeze1": lambda t: t.squeeze(1), "softmax1": lambda t: tapegrad.softmax(t, 1),
    "logsumexp1": lambda t: t.logsumexp(1), "logcumsumexp0": lambda t: t.logcumsumexp(0),
    "transpose": lambda t: t.transpose(0, 1), "gram": lambda t: t.transpose(0, 1) @ t, "flip1": lambda t: t.flip(1),
    "norm0": lambda t: tapegrad.linalg.vector_norm(t, dim=0), "std": lambda t: t.std(),
    "prod0": lambda t: t.prod(0), "softmax0": lambda t: tapegrad.softmax(t, 0), "logsumexp0": lambda t: t.logsumexp(0),
    "mean0": lambda t: t.mean(0), "amin1": lambda t: t.amin(1), "norm1": lambda t: tapegrad.linalg.vector_norm(t, dim=1),
    "nansum0": lambda t: tapegrad.nansum(t, 0), "cumprod1": lambda t: t.cumprod(1), "std1": lambda t: t.std(1),
    "max1": lambda t: t.max(1)[0], "log_softmax1": lambda t: tapegrad.log_softmax(t, 1), "all": lambda t: (t > 0).all(),
}


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 5), cols=st.integers(1, 3), keep=st.integers(0, 31), chunks=st.integers(1, 3),
       name=st.sampled_from(sorted(MASKED_CALLS)))
def test_ops_on_really_masked_data_are_right_or_refuse(rows, cols, keep, chunks, name):
    values = np.arange(rows * cols, dtype=np.float64).reshape(rows, cols) / 7 - 1
    mask = np.array([(keep >> i) & 1 for i in range(rows)], dtype=bool)
    x = tapegrad.as_tensor(da.from_array(values, chunks=chunks)[da.from_array(mask, chunks=chunks)])
    call = MASKED_CALLS[name]
    try:
        got = call(x)
    except tapegrad.backends.UnknownSizeError as exc:
        assert "compute_chunk_sizes()" in str(exc)
        return
    with np.errstate(all="ignore"):
        want = call(tapegrad.tensor(values[mask])).numpy()
    np.testing.assert_allclose(tapegrad.compute(got)[0].numpy(), want, rtol=1e-12, atol=1e-12)


def _doubling_op(name: str, peeks: bool):
    """An op doubling x; with ``peeks``, it first looks at x's values (refusing zeros, as integer
    division's zero-divisor check does), which Dask's guard refuses."""
    def forward(xp, x):
        if peeks and bool(xp.any(x == 0)):
            raise RuntimeError("no zeros")
        return 2 * x

    point = EdgeCase([1.0, -3.0], value=[2.0, -6.0], grads=([2.0, 2.0],), lazy_refused=True)
    return tapegrad.plugins.register(type("P", (), {"tapegrad_register_ops": staticmethod(tapegrad.hookimpl(
        lambda registry: registry.register_op(name, forward=forward, vjp=(lambda xp, g, ans, x: 2 * g,), saves=(),
                                              samples=[], edge_cases=[point])))}), name=f"plugin-{name}")


def test_a_point_declared_lazy_refused_passes_where_the_guard_refuses_and_fails_where_it_computes():
    refusing = _doubling_op("double_peeking", peeks=True)
    computing = _doubling_op("double_lazily", peeks=False)
    try:
        assert check_op("double_peeking", backends=(BACKEND,)) == []  # and on NumPy the value and gradient hold
        with pytest.raises(AssertionError, match=r"\[dask\] returned where the point declares the lazy backend's "
                                                 r"refusal \(lazy_refused\)"):
            check_op("double_lazily", backends=(BACKEND,))
    finally:
        tapegrad.plugins.unregister(refusing)
        tapegrad.plugins.unregister(computing)
