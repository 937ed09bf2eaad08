"""Regression tests from a review of the namespace, node-class and lazy-backend work: each one
reproduces a bug found there (PyTorch's behaviour asserted where it has one)."""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
import threading
from typing import Iterator

import numpy as np
import pytest

import tapegrad
from tapegrad import plugins


def test_next_functions_shows_a_leaf_as_accumulate_grad():
    # PyTorch: ((<AccumulateGrad object at ...>, 0), (None, 0)), .variable the leaf itself
    x = tapegrad.tensor([1.0, 2.0], requires_grad=True)
    (sink, index), (scalar, _) = (x * 2).grad_fn.next_functions
    assert type(sink).__name__ == "AccumulateGrad" and sink.variable is x and index == 0
    assert scalar is None
    assert repr(sink).startswith("<AccumulateGrad object at 0x")


def _plugin(register_ops):
    return type("Plugin", (), {"tapegrad_register_ops": staticmethod(tapegrad.hookimpl(register_ops))})


ADD_ONE = dict(forward=lambda xp, x: x + 1, vjp=(lambda xp, g, ans, x: g,))


@contextlib.contextmanager
def _op_plugin(op_name: str, plugin_name: str) -> Iterator[None]:
    """A plugin registering the op ``op_name`` (x + 1), unregistered on leaving."""
    registered = plugins.register(_plugin(lambda registry: registry.register_op(op_name, **ADD_ONE)), name=plugin_name)
    try:
        yield
    finally:
        plugins.unregister(registered)


@pytest.mark.parametrize("name", ["testing.plus_one", "graph.plus_one", "engine"])
def test_names_of_tapegrad_submodules_are_refused(name):
    # tapegrad.testing / tapegrad.graph are real modules: an op under them would be unreachable
    with _op_plugin(name, "undermodule"), pytest.warns(tapegrad.PluginLoadWarning, match="would shadow tapegrad's own API"):
        tapegrad.ones(1) + 1


def test_namespace_module_leaves_with_its_plugin():
    with _op_plugin("leaving.plus_one", "leaving"):
        import tapegrad.leaving as leaving  # the import system puts it on tapegrad and in sys.modules

        assert tapegrad.leaving is leaving
    assert not hasattr(tapegrad, "leaving") and "leaving" not in dir(tapegrad)  # (the table is rebuilt here)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tapegrad.leaving")
    with _op_plugin("leaving", "flat"):  # the name is free again: a flat op may take it
        assert tapegrad.leaving(tapegrad.ones(1)).tolist() == [2.0]


def test_namespace_module_survives_a_rebuild_as_itself():
    with _op_plugin("staying.deep.plus_one", "staying"):
        import tapegrad.staying.deep as deep

        with _op_plugin("unrelated_op", "other"):  # the table is rebuilt, twice
            pass
        assert importlib.import_module("tapegrad.staying.deep") is deep
        assert tapegrad.staying.deep is deep
        assert deep.plus_one(tapegrad.ones(1)).tolist() == [2.0]
    assert not hasattr(tapegrad, "staying")


def test_float16_on_dask():
    # PyTorch holds half tensors; Dask arrays carry NumPy's float16, which the array API names not
    da = pytest.importorskip("dask.array")
    x = tapegrad.as_tensor(da.from_array(np.array([1.0, 2.0], np.float16)), requires_grad=True)
    assert x.dtype == tapegrad.float16
    assert tapegrad.tensor(np.array([1.0], np.float16)).to("dask").dtype == tapegrad.float16
    assert tapegrad.zeros_like(x, dtype=tapegrad.half).dtype == tapegrad.float16
    wide = tapegrad.as_tensor(da.from_array(np.array([1.0, 2.0], np.float32)), dtype=tapegrad.float16)
    assert wide.dtype == tapegrad.float16
    (x * x).sum().backward()
    (grad,) = tapegrad.compute(x.grad)
    assert grad.dtype == tapegrad.float16 and grad.tolist() == [2.0, 4.0]


def test_as_tensor_of_a_tensor_honours_requires_grad():
    # as_tensor(data, requires_grad=True) made a leaf for arrays but silently ignored it for tensors
    base = tapegrad.tensor([1.0, 2.0])
    x = tapegrad.as_tensor(base, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    assert not base.requires_grad  # the caller's tensor is left as it was
    assert np.shares_memory(x._data, base._data)  # as_tensor shares memory
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    already = tapegrad.tensor([1.0], requires_grad=True)
    assert tapegrad.as_tensor(already, requires_grad=True) is already


def test_kit_backends_check_feeds_vjps_chunked_cotangents():
    # a VJP wrong only when its cotangent arrives in several Dask chunks passed the kit, which
    # chunked the inputs but always sent a one-chunk cotangent
    pytest.importorskip("dask.array")
    from tapegrad.testing import Sample, check_op

    def register_ops(registry):
        registry.register_op("chunk_sensitive", forward=lambda xp, x: x * 2, samples=[Sample((4,))],
                             vjp=(lambda xp, g, ans, x: g * (3 if len(getattr(g, "chunks", ((1,),))[0]) > 1 else 2),))

    registered = plugins.register(_plugin(register_ops), name="chunk_sensitive")
    try:
        with pytest.raises(AssertionError, match=r"\[dask, input variant 1\] gradient 0 differs"):
            check_op("chunk_sensitive", backends=("dask",))
    finally:
        plugins.unregister(registered)


def test_autograd_graph_is_there_after_import_tapegrad():
    # torch.autograd.graph.Node needs no import of its own after `import torch`
    code = ("import tapegrad\n"
            "x = tapegrad.tensor([1.0], requires_grad=True)\n"
            "assert isinstance((x * 2).grad_fn, tapegrad.autograd.graph.Node)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_namespace_imports_race_table_rebuilds_safely():
    # rebuilds take namespace modules off their parents but leave them in sys.modules, where
    # another thread's import of a deeper namespace needs its parent
    errors: list[str] = []
    stop = threading.Event()

    def user() -> None:
        while not stop.is_set():
            try:
                assert importlib.import_module("tapegrad.racing.deep").plus_one(tapegrad.ones(1)).item() == 2.0
                assert tapegrad.racing.deep.plus_one(tapegrad.ones(1)).item() == 2.0
            except Exception as exc:  # noqa: BLE001 - collected, asserted below
                errors.append(repr(exc))

    threads = [threading.Thread(target=user) for _ in range(3)]
    with _op_plugin("racing.deep.plus_one", "racing"):
        try:
            for t in threads:
                t.start()
            for _ in range(15):
                with _op_plugin("churn", "churn"):  # a rebuild coming and going
                    pass
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
    assert not errors, sorted(set(errors))



def test_to_refuses_keywords_the_backend_does_not_take():
    # tapegrad.ones(2).to("cpu", foo=1) returned the tensor, the keyword ignored (PyTorch: TypeError)
    x = tapegrad.ones(4)
    with pytest.raises(TypeError, match="to\\(\\) got an unexpected keyword argument 'foo'") as info:
        x.to("cpu", foo=1)
    with pytest.raises(TypeError, match="to\\(\\) got an unexpected keyword argument 'chunks'"):
        x.to("array_api_strict", chunks=2)
    assert "_from_numpy" not in str(info.value)


def test_to_with_options_onto_the_backend_it_is_on_says_so():
    pytest.importorskip("dask.array")
    x = tapegrad.ones(4)
    with pytest.raises(TypeError, match="to\\(\\) got an unexpected keyword argument 'foo'") as info:
        x.to("dask", foo=1)
    assert "_from_numpy" not in str(info.value)
    moved = x.to("dask", chunks=2)
    assert moved._data.chunks == ((2, 2),)
    with pytest.raises(ValueError, match="on the 'dask' backend already"):  # was: chunks= silently ignored
        moved.to("dask", chunks=1)


@pytest.mark.parametrize("backend", ["numpy", "dask"])
def test_as_tensor_cast_of_a_tensor_stays_differentiable(backend):
    # PyTorch: as_tensor(x, dtype=float64) of a float32 x requiring grad is x.to(float64) (ToCopyBackward0)
    if backend == "dask":
        pytest.importorskip("dask.array")
    x = tapegrad.ones(2).to(backend).requires_grad_(True)
    y = tapegrad.as_tensor(x, dtype=tapegrad.float64)
    assert y.dtype == tapegrad.float64 and y.requires_grad and y.grad_fn is not None
    (y * 3).sum().backward()
    (grad,) = tapegrad.compute(x.grad)
    assert grad.dtype == tapegrad.float32 and grad.tolist() == [3.0, 3.0]
    assert tapegrad.as_tensor(x, dtype="float64").requires_grad  # dtype given as NumPy names it, too
