"""Write ``docs/graphs.md`` (the DOT text of the tutorial's graph) and ``docs/tutorial_graph.svg``.

Run it with ``python docs/make_graph_picture.py`` after changing how graphs are
drawn. The SVG needs the optional ``graphviz`` package and the Graphviz ``dot`` program
(``pip install 'tapegrad[viz]'``, ``apt-get install graphviz``); without them only the
Markdown page is written. ``tests/test_viz.py`` checks that the page is up to date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import tapegrad as torch
from tapegrad import viz

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "graphs.md"
PICTURE = DOCS / "tutorial_graph.svg"


def tutorial_out() -> torch.Tensor:
    """The ``out`` of ``docs/tutorial.py``, built by the tutorial's own lines, before its backward."""
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return out


def page(dot: str) -> str:
    """The text of ``docs/graphs.md`` around the DOT text ``dot``."""
    return f"""# Graph pictures

`tapegrad.viz` draws the graph that backward will walk. This is the graph of the
tutorial's `out` (`docs/tutorial.py`), made by these lines:

```python
x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
```

![The tutorial's graph: a leaf feeds AddBackward0, whose output is multiplied by itself
(MulBackward0), then by 3 (MulBackward0), then averaged (MeanBackward0)](tutorial_graph.svg)

Each recorded op is one box, named as `grad_fn` prints it, with the op it came from,
the plugin that registered that op, and the shape and dtype of the tensor it made. The
leaf `x` is the blue box, the root `out` is green, and arrows go from each input to the
op that used it: `y * y` uses `y` twice, hence the two arrows. The constants `2` and
`3` do not take part in backward and are not drawn.

## Making one

```python
from tapegrad import viz

print(viz.to_dot(out))                   # DOT text; needs nothing but tapegrad
viz.to_dot(out, show_saved=True)         # also what each node saved for backward
viz.render(out, "graph.svg")             # or .png / .pdf; needs the viz extra
```

`render` needs the optional `graphviz` package, `pip install 'tapegrad[viz]'`, and the
Graphviz `dot` program (`apt-get install graphviz`, `brew install graphviz`); without
them it raises an error that says which is missing. `to_dot` works anywhere: paste its
text into any Graphviz viewer.

Draw a graph before calling `backward()`: backward frees what nodes saved, and the
shapes of inner nodes are read from those saved values (the root's and the leaves' own
shapes always show).

## The DOT text

`python docs/make_graph_picture.py` regenerates this page and the picture.

```dot
{dot.rstrip()}
```
"""


def main() -> int:
    out = tutorial_out()
    PAGE.write_text(page(viz.to_dot(out)))
    print(f"wrote {PAGE}")
    try:
        viz.render(out, PICTURE)
    except (ImportError, RuntimeError) as exc:
        print(f"did not draw {PICTURE.name}: {exc}", file=sys.stderr)
        return 0
    print(f"wrote {PICTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
