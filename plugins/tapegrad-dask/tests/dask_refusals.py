"""Which built-in ops refuse unknown (NaN) sizes on Dask, as the kit finds them, and the README's
list of them. Run as a script to rewrite that list from the kit's verdicts:
``python plugins/tapegrad-dask/tests/dask_refusals.py``; test_dask_backend.py checks every op
against it, so the list cannot drift from what the ops do."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Mapping, Sequence

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- unknown-size refusals: begin -->", "<!-- unknown-size refusals: end -->"
KINDS = {"forward": "Refused in forward (the op needs the size):",
         "backward": "Forward runs; refused in backward (the gradient needs the size):"}


def verdict(limits: Sequence[str]) -> str:
    """``"forward"``, ``"backward"`` or ``"none"``: where the kit's backends check met the op's refusal."""
    if any("] forward for " in line for line in limits):
        return "forward"
    return "backward" if limits else "none"


def documented(text: str | None = None) -> dict[str, str]:
    """The README's list: op name -> ``"forward"`` or ``"backward"`` (an op not listed runs both)."""
    text = README.read_text() if text is None else text
    section = text[text.index(BEGIN):text.index(END)]
    found: dict[str, str] = {}
    for kind, title in KINDS.items():
        block = section[section.index(title):].split("\n\n")[0]
        found.update({name: kind for name in re.findall(r"`([^`]+)`", block)})
    return found


def section(verdicts: Mapping[str, str]) -> str:
    lines = [BEGIN]
    for kind, title in KINDS.items():
        names = sorted(n for n, v in verdicts.items() if v == kind)
        lines += textwrap.wrap(f"{title} {len(names)} ops: " + ", ".join(f"`{n}`" for n in names) + ".", 100,
                               break_on_hyphens=False, break_long_words=False)
        lines.append("")
    return "\n".join(lines[:-1] + [END])


def main() -> None:
    import tapegrad_dask  # noqa: F401 - the backend under test
    from tapegrad.testing import op_checks, ops_of_plugin

    verdicts = {}
    for name in ops_of_plugin("tapegrad.ops_builtin"):
        for check in op_checks(name, backends=("dask",)):
            if check.check == "backends":
                try:
                    verdicts[name] = verdict(check())
                except AssertionError:  # a failure is test_dask_backend's to report (or an expected one)
                    pass
    text = README.read_text()
    README.write_text(text[:text.index(BEGIN)] + section(verdicts) + text[text.index(END) + len(END):])
    print(f"wrote {README}: " + ", ".join(f"{sum(v == k for v in verdicts.values())} {k}" for k in KINDS),
          file=sys.stderr)


if __name__ == "__main__":
    main()
