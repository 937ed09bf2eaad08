"""Installed-looking plugin distributions for tests: a folder on PYTHONPATH with dist-info entry points.

``make_site(folder, {"dist_name": ("entry_point_name", "module[:attr]", "module source")})`` writes
each module and a ``*.dist-info`` naming it in the ``tapegrad`` entry-point group; ``run_python``
runs code in a fresh interpreter that sees those folders (and no ``TAPEGRAD_*`` variable).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PluginSource = tuple[str, str, str]


def make_site(folder: Path, dists: dict[str, PluginSource], version: str = "1.2.3") -> Path:
    """Write each distribution's module and metadata into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for dist, (name, target, source) in dists.items():
        (folder / f"{target.split(':')[0]}.py").write_text(textwrap.dedent(source))
        info = folder / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[tapegrad]\n{name} = {target}\n")
    return folder


def run_python(code: str, *sites: Path, args: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter with ``sites`` first on its path; ``args`` go to python itself."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TAPEGRAD_")}
    environment["PYTHONPATH"] = os.pathsep.join([*map(str, sites), environment.get("PYTHONPATH", "")])
    environment.update(env)
    return subprocess.run([sys.executable, *args, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=environment, timeout=120)
