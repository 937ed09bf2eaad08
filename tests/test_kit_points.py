"""The kit's checks of what samples cannot express: a point whose forward works but whose backward
must refuse (``EdgeCase(backward_raises=)``), an argument passed as written (``Verbatim``), and the
``backends`` check's stricter namespaces (an optional extension absent or partial, ``searchsorted``
of one dtype: ``tapegrad.testing.stricter``)."""

from __future__ import annotations

import numbers

import numpy as np
import pytest

import tapegrad
from tapegrad.optable import table
from tapegrad.testing import EdgeCase, Sample, Verbatim, check_op, op_checks
from tapegrad.testing import kit, stricter
from test_kit import register
from test_kit_contracts import composite, only

pytest.importorskip("array_api_strict")
STRICT = ("array_api_strict",)


# ---------------------------------------------------------------------------- forward only, backward refused
def _refusing_vjp(kind: type = RuntimeError):
    def vjp(xp, g, ans, x):
        raise kind("double_r(): no gradient in this mode")

    return vjp


def _double(factor: float = 2.0):
    return lambda xp, x: factor * x


POINT = EdgeCase([1.0, -3.0], value=[2.0, -6.0], backward_raises=RuntimeError,
                 backward_match="no gradient in this mode")


def test_a_forward_only_point_passes_where_the_backward_refuses():
    register("double_r", forward=_double(), vjp=(_refusing_vjp(),), saves=(), samples=[], edge_cases=[POINT])
    assert check_op("double_r", backends=STRICT) == []


def test_a_backward_that_computes_where_it_must_refuse_fails():
    register("double_ok", forward=_double(), vjp=(lambda xp, g, ans, x: 2 * g,), saves=(), samples=[],
             edge_cases=[POINT])
    message = only("double_ok", "edge_cases")
    assert "the backward returned where it must raise RuntimeError" in message
    # the other backends refuse it too: there, in the type alone
    assert "[array_api_strict] the backward returned where it must raise RuntimeError" in only(
        "double_ok", "backends", backends=STRICT)


def test_a_backward_refusing_with_another_type_or_words_fails():
    register("double_value_error", forward=_double(), vjp=(_refusing_vjp(ValueError),), saves=(), samples=[],
             edge_cases=[POINT])
    assert "the backward raised ValueError: double_r(): no gradient in this mode, expected RuntimeError" in only(
        "double_value_error", "edge_cases")
    register("double_words", forward=_double(), vjp=(_refusing_vjp(),), saves=(), samples=[],
             edge_cases=[EdgeCase([1.0], value=[2.0], backward_raises=RuntimeError, backward_match="^other words")])
    assert "whose message does not match '^other words'" in only("double_words", "edge_cases")


def test_a_forward_only_point_checks_the_value():
    register("triple_r", forward=_double(3.0), vjp=(_refusing_vjp(),), saves=(), samples=[], edge_cases=[POINT])
    message = only("triple_r", "edge_cases")
    assert "result [ 3. -9.] (shape (2,)) differs from the expected [ 2. -6.]" in message


def test_a_backward_that_leaves_grad_behind_fails():
    def leaves_grad(x):
        x.grad = tapegrad.zeros_like(x)  # state a refused backward must not leave (here even before it runs)
        return tapegrad.linalg.qr(tapegrad.stack([x, x]) * 1.0 + tapegrad.eye(2, dtype=tapegrad.float64), mode="r")[1]

    composite("leaves_grad", leaves_grad, samples=[],
              edge_cases=[EdgeCase([1.0, 0.0], backward_raises=RuntimeError)])
    message = only("leaves_grad", "edge_cases")
    assert "the backward raised, but wrote .grad of input(s) [0]" in message


def test_a_point_whose_result_needs_no_grad_cannot_declare_a_refused_backward():
    register("floor_r", forward=lambda xp, x: xp.floor(x), zero_gradient=True, samples=[],
             edge_cases=[EdgeCase([1.5], value=[1.0], backward_raises=RuntimeError)])
    assert "the result does not require grad" in only("floor_r", "edge_cases")


@pytest.mark.parametrize("kwargs, words", [
    ({"backward_raises": RuntimeError, "grads": ([1.0],)}, "give no raises, grads, grad2, smooth or cotangent"),
    ({"backward_raises": RuntimeError, "raises": ValueError}, "give no raises, grads"),
    ({"backward_match": "x"}, "needs backward_raises="),
    ({"backward_raises": "RuntimeError"}, r"EdgeCase\(backward_raises=...\) takes an exception class"),
    ({"lazy_refused": True, "raises": RuntimeError}, r"lazy_refused=True\) says a lazy backend refuses"),
    ({"lazy_refused": True, "backward_raises": RuntimeError}, "give no raises or backward_raises with it"),
])
def test_edge_case_refuses_incoherent_backward_declarations(kwargs, words):
    with pytest.raises(TypeError, match=words):
        EdgeCase([1.0], **kwargs)


# ---------------------------------------------------------------------------- arguments as written
def _add_number(checks: bool):
    def add_number(x, v):
        if checks and not isinstance(v, numbers.Number):
            raise TypeError(f"add_number(): argument 'v' must be a number, not {type(v).__name__}")
        return x + (v if isinstance(v, numbers.Number) else tapegrad.tensor(v, dtype=x.dtype))

    return add_number


LIST_POINT = EdgeCase([1.0, 2.0], Verbatim([1.0, 2.0]), raises=TypeError, match="must be a number, not list")


def test_a_verbatim_argument_reaches_the_op_as_written():
    composite("add_number", _add_number(True), samples=[Sample((3,), 0.5)], edge_cases=[LIST_POINT])
    assert check_op("add_number", backends=STRICT) == []


def test_an_op_accepting_what_it_must_refuse_fails_on_a_verbatim_argument():
    composite("add_anything", _add_number(False), samples=[Sample((3,), 0.5)], edge_cases=[LIST_POINT])
    message = only("add_anything", "edge_cases")
    assert "for EdgeCase([1., 2.], Verbatim([1.0, 2.0])): returned" in message
    assert "where it must raise TypeError" in message


def test_a_plain_list_in_an_edge_case_is_still_an_array():
    seen = []

    def note(x, v):
        seen.append(type(v))
        return x + v

    composite("note_kind", note, samples=[], edge_cases=[EdgeCase([1.0], [2.0], value=[3.0])])
    check_op("note_kind", backends=())
    assert seen and all(kind is tapegrad.Tensor for kind in seen)


# ---------------------------------------------------------------------------- the stricter namespaces
def _trace_forward(probes: bool):
    """The sum of a matrix's diagonal; the array API's ``linalg.diagonal`` where there is one, written
    with the core namespace otherwise (``probes``: asking for the function, not only for the extension)."""
    def forward(xp, x):
        if type(x) is np.ndarray:
            return np.asarray(np.trace(x))
        linalg = getattr(xp, "linalg", None)
        if linalg is not None and (hasattr(linalg, "diagonal") or not probes):
            return xp.sum(linalg.diagonal(x))
        return xp.sum(x * xp.eye(x.shape[0], dtype=x.dtype))

    return forward


def _trace_vjp(xp, g, ans, x):
    return g * xp.eye(x.shape[0], dtype=x.dtype)


def test_an_op_probing_each_linalg_function_passes_the_stricter_namespaces(monkeypatch):
    runs = _stricter_runs(monkeypatch)
    register("my_trace", forward=_trace_forward(True), vjp=(_trace_vjp,), samples=[Sample((3, 3))], second_order=False)
    assert check_op("my_trace", backends=STRICT) == []
    assert runs == ["array_api_strict, no linalg extension; searchsorted of one dtype",
                    "array_api_strict, a linalg extension without diagonal; searchsorted of one dtype"]


def test_an_op_asking_only_for_the_extension_fails_where_it_is_partial():
    register("my_trace_unprobed", forward=_trace_forward(False), vjp=(_trace_vjp,), samples=[Sample((3, 3))],
             second_order=False)
    message = only("my_trace_unprobed", "backends", backends=STRICT)
    assert ("[array_api_strict, a linalg extension without diagonal; searchsorted of one dtype] forward raised"
            in message)
    assert "'linalg' extension is partial: it has no 'diagonal'" in message


def test_an_op_needing_an_extension_keeps_it_whole(monkeypatch):
    runs = _stricter_runs(monkeypatch)
    register("my_inv", forward=lambda xp, a: np.linalg.inv(a) if type(a) is np.ndarray else xp.linalg.inv(a),
             vjp=(lambda xp, g, ans, a: -(ans.T @ g @ ans.T),), saves=("output",),
             samples=[Sample(np.array([[2.0, 1.0], [0.5, 3.0]]))], dtypes=("float64",))
    assert check_op("my_inv", backends=STRICT) == []
    assert runs == ["array_api_strict, no linalg extension; searchsorted of one dtype"]  # tried: it needs linalg


def _searcher(casts: bool):
    def forward(xp, seq, x):
        if casts and seq.dtype != x.dtype:
            seq, x = xp.astype(seq, xp.float64), xp.astype(x, xp.float64)
        return xp.searchsorted(seq, x)

    return forward


SEARCH = dict(inspects_values=True, promotion=False, zero_gradient=True, dtypes=("float64",),
              samples=[Sample(np.array([0.0, 1.0, 2.0]), (4,))],
              edge_cases=[EdgeCase(np.array([1, 2, 3]), np.array([2.5]), value=np.array([2]))])


def test_searchsorted_of_mixed_dtypes_fails_on_the_stricter_namespace():
    register("my_search", forward=_searcher(False), **SEARCH)
    message = only("my_search", "backends", backends=STRICT)
    assert "[array_api_strict, searchsorted of one dtype] forward raised TypeError: searchsorted() got arrays of " \
           "dtypes array_api_strict.int64, array_api_strict.float64" in message
    register("my_search_cast", forward=_searcher(True), **SEARCH)
    assert check_op("my_search_cast", backends=STRICT) == []


def test_only_ops_using_what_the_stricter_namespaces_change_run_again(monkeypatch):
    runs = _stricter_runs(monkeypatch)
    for name in ("sin", "add", "matmul", "cumsum", "searchsorted", "linalg.inv"):
        (backends,) = [c for c in op_checks(name, backends=STRICT) if c.check == "backends"]
        backends()
    assert runs == ["array_api_strict, searchsorted of one dtype",  # searchsorted's own, then linalg.inv's try
                    "array_api_strict, no linalg extension; searchsorted of one dtype"]


def _stricter_runs(monkeypatch) -> list[str]:
    runs: list[str] = []
    original = kit._on_backend

    def spy(ctx, backend, points, shown=None):
        if shown is not None:
            runs.append(shown)
        return original(ctx, backend, points, shown)

    monkeypatch.setattr(kit, "_on_backend", spy)
    return runs


def test_the_stricter_namespace_itself():
    import array_api_strict as xp

    absent = stricter.Stricter(xp, {"linalg": None})
    assert not hasattr(absent, "linalg") and absent.sum is xp.sum
    partial = stricter.Stricter(xp, {"linalg": frozenset({"diagonal"})})
    assert not hasattr(partial.linalg, "diagonal") and partial.linalg.inv is xp.linalg.inv
    with pytest.raises(TypeError, match="specifies searchsorted for arrays of one dtype"):
        partial.searchsorted(xp.asarray([1, 2]), xp.asarray([1.5]))
    assert int(partial.searchsorted(xp.asarray([1.0, 2.0]), xp.asarray([1.5]))[0]) == 1
    recording = stricter.Recording(xp)
    recording.linalg.diagonal, recording.sum
    assert recording.used == {"linalg", "linalg.diagonal", "sum"}


def test_the_backends_namespace_is_put_back_even_after_an_error():
    backend = table().backends["array_api_strict"]
    before = backend.xp
    with pytest.raises(ZeroDivisionError):
        with stricter.installed(backend, stricter.Stricter(backend.namespace, {})):
            assert backend.xp is not before
            1 / 0
    assert backend.xp is before


# ---------------------------------------------------------------------------- results on the inputs' backend
def _with_positions(moved: bool):
    """A composite returning x doubled and an int64 tensor of positions made on the host (NumPy), put
    back on x's backend when ``moved``: as max pooling's indices are."""
    def with_positions(x):
        positions = tapegrad.tensor(np.arange(x.numel()).reshape(tuple(x.shape)))
        return x * 2, positions.to(x.backend) if moved and x.backend != "numpy" else positions

    return with_positions


def test_a_result_left_on_numpy_for_another_backends_inputs_fails_the_backends_check():
    composite("positions_moved", _with_positions(True), samples=[Sample((2, 3))])
    (moved,) = [c for c in op_checks("positions_moved", backends=STRICT) if c.check == "backends"]
    moved()  # passes
    composite("positions_left", _with_positions(False), samples=[Sample((2, 3))])
    message = only("positions_left", "backends", backends=STRICT)
    assert "[array_api_strict] result 1 is on 'numpy', not on the inputs' backend 'array_api_strict'" in message
