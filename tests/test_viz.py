"""tapegrad.viz: DOT text of a graph, and rendering it when graphviz is installed."""

from __future__ import annotations

import builtins
import importlib.util
import re
import shutil
import sys
import types
from pathlib import Path

import pytest

import tapegrad
from tapegrad import viz

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def tutorial_out():
    x = tapegrad.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    return z.mean()


def statements(dot: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The node labels by id, and the edges, of a DOT text made by to_dot."""
    nodes = {m[1]: m[2] for m in re.finditer(r'^  (n\d+) \[label="(.*?)"', dot, re.M)}
    edges = re.findall(r"^  (n\d+) -> (n\d+);$", dot, re.M)
    return nodes, edges


def test_tutorial_graph():
    dot = viz.to_dot(tutorial_out())
    assert dot.startswith("digraph tapegrad {\n") and dot.endswith("}\n")
    nodes, edges = statements(dot)
    plugin = r"\nplugin: tapegrad.ops_builtin\n"
    assert nodes == {
        "n0": "MeanBackward0\\nop: mean" + plugin + "[] float32",
        "n1": "MulBackward0\\nop: mul" + plugin + "[2, 2] float32",
        "n2": "MulBackward0\\nop: mul" + plugin + "[2, 2] float32",
        "n3": "AddBackward0\\nop: add" + plugin + "[2, 2] float32",
        "n4": "leaf\\n[2, 2] float32\\nrequires_grad=True",
    }
    # From inputs to consumers; y * y uses y twice.
    assert edges == [("n1", "n0"), ("n2", "n1"), ("n3", "n2"), ("n3", "n2"), ("n4", "n3")]
    assert re.search(r"^  n0 \[.*fillcolor=darkolivegreen1\];$", dot, re.M)  # the root
    assert re.search(r"^  n4 \[.*fillcolor=lightblue\];$", dot, re.M)  # the leaf


def test_ids_are_deterministic():
    assert viz.to_dot(tutorial_out()) == viz.to_dot(tutorial_out())
    assert "0x" not in viz.to_dot(tutorial_out())  # no memory addresses


def test_leaves_and_constants():
    w = tapegrad.ones(3, 2, dtype=tapegrad.float64, requires_grad=True)
    b = tapegrad.zeros(2, dtype=tapegrad.float64, requires_grad=True)
    c = tapegrad.ones(3, 2, dtype=tapegrad.float64)  # a constant: no edge, not drawn
    out = (w * c + b).sum()
    nodes, edges = statements(viz.to_dot(out))
    leaves = sorted(label for label in nodes.values() if label.startswith("leaf"))
    assert leaves == ["leaf\\n[2] float64\\nrequires_grad=True", "leaf\\n[3, 2] float64\\nrequires_grad=True"]
    assert len(nodes) == 5 and len(edges) == 4
    assert not any("requires_grad=False" in label for label in nodes.values())


def test_a_tensor_without_history():
    dot = viz.to_dot(tapegrad.zeros(4))
    nodes, edges = statements(dot)
    assert nodes == {"n0": "tensor\\n[4] float32\\nrequires_grad=False"} and edges == []
    nodes, _ = statements(viz.to_dot(tapegrad.zeros(4, requires_grad=True)))
    assert nodes == {"n0": "leaf\\n[4] float32\\nrequires_grad=True"}


def test_several_roots_share_nodes():
    x = tapegrad.ones(2, requires_grad=True)
    y = x * 2
    a, b = y.sum(), y.mean()
    nodes, edges = statements(viz.to_dot([a, b]))
    assert [nodes[k].split("\\n")[0] for k in sorted(nodes)] == [
        "SumBackward0", "MeanBackward0", "MulBackward0", "leaf"]
    assert edges == [("n2", "n0"), ("n2", "n1"), ("n3", "n2")]
    assert viz.to_dot((a, b)).count("darkolivegreen1") == 2


def test_long_chain_is_iterative():
    x = tapegrad.ones(3, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    dot = viz.to_dot(y)
    nodes, edges = statements(dot)
    assert len(nodes) == 10_001 and len(edges) == 10_000
    assert nodes["n10000"].startswith("leaf")
    assert all("[3] float32" in label for label in nodes.values())


def test_show_saved_and_freed():
    out = tutorial_out()
    nodes, _ = statements(viz.to_dot(out, show_saved=True))
    assert nodes["n2"].endswith("\\nsaved input 0: [2, 2] float32\\nsaved input 1: [2, 2] float32")
    assert nodes["n1"].endswith("\\nsaved input 1: 3")
    assert "saved" not in nodes["n3"]  # add saves nothing
    out.backward()
    nodes, _ = statements(viz.to_dot(out, show_saved=True))
    assert nodes["n2"].endswith("saved: freed by backward")
    assert nodes["n0"].endswith("[] float32")  # the root's own shape is always known


def test_params_shown_with_show_saved():
    x = tapegrad.ones(2, 3, requires_grad=True)
    out = x.sum(1, keepdim=True)
    nodes, _ = statements(viz.to_dot(out, show_saved=True))
    assert "params: " in nodes["n0"] and "dim=1" in nodes["n0"] and "keepdim=True" in nodes["n0"]


def test_custom_function_nodes():
    class Double(tapegrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = tapegrad.ones(2, requires_grad=True)
    nodes, edges = statements(viz.to_dot(Double.apply(x)))
    assert nodes["n0"].startswith("DoubleBackward\\n") and "[2] float32" in nodes["n0"]
    assert edges == [("n1", "n0")]


def test_bad_arguments():
    with pytest.raises(TypeError, match="Tensor or a sequence of Tensors"):
        viz.to_dot(3)
    with pytest.raises(TypeError, match="item 1"):
        viz.to_dot([tapegrad.ones(1), "x"])
    with pytest.raises(ValueError, match="at least one tensor"):
        viz.to_dot([])


# --------------------------------------------------------------------------- render
def test_render_without_graphviz_names_the_extra(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz" or name.startswith("graphviz."):
            raise ImportError("No module named 'graphviz'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "graphviz", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    with pytest.raises(ImportError, match=re.escape("pip install 'tapegrad[viz]'")):
        viz.render(tutorial_out(), tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


def test_render_without_dot_says_so(monkeypatch, tmp_path):
    fake = types.ModuleType("graphviz")
    fake.ExecutableNotFound = RuntimeError
    monkeypatch.setitem(sys.modules, "graphviz", fake)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"Graphviz 'dot' program.*apt-get install graphviz"):
        viz.render(tutorial_out(), tmp_path / "graph.png")


def test_render_needs_a_known_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        viz.render(tutorial_out(), tmp_path / "graph")
    with pytest.raises(ValueError, match="format"):
        viz.render(tutorial_out(), tmp_path / "graph.svg", format="bmp")


def _need_graphviz() -> None:
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz 'dot' program is not installed")


def test_render_writes_svg_and_png(tmp_path):
    _need_graphviz()
    out = tutorial_out()
    svg = viz.render(out, tmp_path / "graph.svg")
    assert svg == tmp_path / "graph.svg"
    text = svg.read_text()
    assert "<svg" in text and "MulBackward0" in text and "AddBackward0" in text
    png = viz.render(out, str(tmp_path / "graph.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    other = viz.render(out, tmp_path / "graph.out", format="svg")
    assert "<svg" in other.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.out", "graph.png", "graph.svg"]


# --------------------------------------------------------------------------- the docs
def _picture_script():
    spec = importlib.util.spec_from_file_location("make_graph_picture", DOCS / "make_graph_picture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_page_is_up_to_date():
    script = _picture_script()
    expected = script.page(viz.to_dot(script.tutorial_out()))
    assert (DOCS / "graphs.md").read_text() == expected, "run python docs/make_graph_picture.py"
    assert viz.to_dot(script.tutorial_out()) == viz.to_dot(tutorial_out())
    assert (DOCS / "tutorial_graph.svg").read_text().lstrip().startswith("<?xml")


def test_docs_graph_is_the_tutorials():
    tutorial = (DOCS / "tutorial.py").read_text()
    for line in ("x = torch.ones(2, 2, requires_grad=True)", "y = x + 2", "z = y * y * 3", "out = z.mean()"):
        assert f"\n{line}\n" in tutorial
        assert f"    {line}\n" in (DOCS / "make_graph_picture.py").read_text()
