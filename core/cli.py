"""The ``tapegrad`` command: list plugins and ops, run the conformance kit, start a plugin.

    tapegrad plugins [--json]     every plugin: name, version, source, ops, backends, error
    tapegrad ops [--json|--markdown]  every op with the plugin that registered it (--markdown: docs/ops.md)
    tapegrad backends [--json]    every backend: plugin, device, lazy, array types, loaded yet (loads none)
    tapegrad check TARGET [--backend NAME]  the kit on each op of a plugin (by name or module), or on one
                                  op; a backend plugin's TARGET: every op on its backend
    tapegrad init NAME [DIR]      a new plugin package: pyproject, module with an example op, tests
    tapegrad --version
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .plugins import PluginInfo

__all__ = ["main"]


def _plugins(args: argparse.Namespace) -> int:
    from .optable import table

    infos = table().plugins
    if args.json:
        print(json.dumps([asdict(info) for info in infos], indent=2))
        return 0
    for info in infos:
        status = f"FAILED: {info.error}" if info.error else ""
        print(f"{info.name} {info.version or '-'} ({info.source}) {status}".rstrip())
        if info.backends:
            print(f"    backends: {', '.join(info.backends)}")
        if info.ops:
            print(f"    ops: {', '.join(info.ops)}")
        for note in info.notes:
            print(f"    note: {note}")
    return 0


def _ops(args: argparse.Namespace) -> int:
    from .optable import table

    rows = [(op.name, op.plugin, list(op.aliases)) for op in table().canonical_ops()]
    if args.markdown:
        from .opdocs import ops_markdown

        print(ops_markdown(table().canonical_ops(), [i.name for i in table().plugins if i.error is None]), end="")
        return 0
    if args.json:
        print(json.dumps([{"op": n, "plugin": p, "aliases": a} for n, p, a in rows], indent=2))
        return 0
    width = max((len(n) for n, _, _ in rows), default=2)
    for name, plugin, aliases in rows:
        extra = f"  (also {', '.join(aliases)})" if aliases else ""
        print(f"{name:<{width}}  {plugin}{extra}")
    return 0


def _backends(args: argparse.Namespace) -> int:
    from .devices import _backend_device
    from .optable import table
    from .registry import Backend, qualified_name

    rows: list[dict[str, Any]] = [{"name": b.name, "plugin": b.plugin, "device": _backend_device(b),
             "lazy": b.lazy, "loaded": type(b) is Backend,
             "array_types": [t if isinstance(t, str) else qualified_name(t) for t in b.array_types]}
            for b in table().backends.declared()]  # as declared: listing loads no backend's library
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = "loaded" if row["loaded"] else "not loaded yet (loads on first use)"
        print(f"{row['name']} (plugin {row['plugin']}, device {row['device']}{', lazy' if row['lazy'] else ''}): {state}")
        print(f"    array types: {', '.join(row['array_types'])}")
    return 0


def _resolve(target: str) -> tuple[str, list[str], PluginInfo | None]:
    """What ``tapegrad check TARGET`` means: a plugin by name or by module, else one op.

    Returns a label, the op names to check, and the plugin's info when TARGET is a plugin.
    """
    from .optable import table
    from .plugins import plugin_manager
    from .testing.kit import ops_of_plugin

    t = table()
    known = {info.name: info for info in t.plugins}
    if target not in known:
        modules = {getattr(obj, "__name__", None): name for name, obj in plugin_manager().list_name_plugin()}
        target = modules.get(target, target)
    if target in known:
        info = known[target]
        return f"plugin {target!r}", [] if info.error else ops_of_plugin(target), info
    op = t.ops.get(target)
    if op is not None:
        return f"op {op.name!r} of plugin {op.plugin!r}", [op.name], None
    raise LookupError(f"no plugin, plugin module or op is named {target!r}; plugins: {', '.join(known)} "
                      "(`tapegrad ops` lists the ops)")


def _check(args: argparse.Namespace) -> int:
    from .testing.kit import CHECKS, op_checks

    try:
        label, names, info = _resolve(args.target)
    except LookupError as exc:
        print(f"tapegrad check: {exc.args[0]}", file=sys.stderr)
        return 2
    if info is not None and info.error:  # it failed to load or was refused: that is the verdict
        print(f"tapegrad check: {info.failure()}", file=sys.stderr)
        return 1
    from .optable import table

    backends: tuple[str, ...] | None = None
    if args.backend is not None:
        if args.backend not in table().backends:
            print(f"tapegrad check: no backend {args.backend!r}; registered: {', '.join(sorted(table().backends))}",
                  file=sys.stderr)
            return 2
        backends = (args.backend,)
    only = None
    if info is not None and not names and info.backends:  # a backend plugin: every op, on its backends
        names = [op.name for op in table().canonical_ops()]
        backends = backends or tuple(info.backends)
        only = {"backends"}
        label = f"every op on {label}'s backend(s) {', '.join(backends)}"
    if not names:
        print(f"{label} registers no ops")
        return 0
    checks = [c for c in CHECKS if only is None or c in only]
    results: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    limits: list[str] = []
    for name in names:
        row = results.setdefault(name, {c: "-" for c in checks})
        for item in op_checks(name, order=args.order, backends=backends):
            if only is not None and item.check not in only:
                continue
            try:
                met = item()
                row[item.check] = "limit" if met else "ok"
                limits.extend(met)
            except Exception as exc:
                row[item.check] = "FAIL"
                failures.append(f"{item.id}: {exc}")
    width = max(len(n) for n in names)
    print(f"{'op':<{width}}  " + "  ".join(checks))
    for name in names:
        print(f"{name:<{width}}  " + "  ".join(f"{results[name][c]:<{len(c)}}" for c in checks))
    if limits:  # passed, with a documented limit met (an unknown size refused): said, not hidden
        print(f"\n{len(limits)} declared limit(s) met (the check passes; 'limit' above):")
        for line in limits:
            print(f"- {line}")
    if failures:
        failed_ops = sorted({f.split('-', 1)[0] for f in failures})
        print(f"\n{len(failures)} check(s) failed in op(s): {', '.join(failed_ops)}")
        for line in failures:
            print(f"- {line}")
        return 1
    print(f"\nall checks passed for {len(names)} op(s): {label}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from . import __version__
    from .scaffold import write_plugin_package

    directory = Path(args.directory) if args.directory else Path(f"tapegrad-{args.name}")
    try:
        written = write_plugin_package(args.name, directory, __version__)
    except (ValueError, FileExistsError) as exc:
        print(f"tapegrad init: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the tapegrad plugin {args.name!r} in {directory}:")
    for path in written:
        print(f"    {path.relative_to(directory)}")
    print(f"next: cd {directory} && pip install -e '.[test]' && tapegrad check {args.name} && pytest")
    return 0


def _order(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (1: first derivatives only), got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tapegrad`` console script and ``python -m tapegrad``."""
    from . import __version__
    from .plugins import PluginLoadError

    parser = argparse.ArgumentParser(prog="tapegrad", description="tapegrad plugins, ops and conformance checks")
    parser.add_argument("--version", action="version", version=f"tapegrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plugins", help="list plugins with their ops and backends")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_plugins)
    p = sub.add_parser("ops", help="list ops with the plugin that registered each")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--markdown", action="store_true", help="the op reference, docs/ops.md")
    p.set_defaults(run=_ops)
    p = sub.add_parser("backends", help="list backends, loaded or not (listing imports no array library)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_backends)
    p = sub.add_parser("check", help="run the conformance kit on every op of a plugin, or on one op")
    p.add_argument("target", metavar="TARGET",
                   help="a plugin name (as `tapegrad plugins` shows it), a plugin's module, or an op name")
    p.add_argument("--order", type=_order, default=2, help="highest derivative order to check (default 2)")
    p.add_argument("--backend", metavar="NAME", default=None,
                   help="run the backends check on this backend only (a backend plugin's TARGET checks every op on it)")
    p.set_defaults(run=_check)
    p = sub.add_parser("init", help="write a new plugin package, ready to install and test")
    p.add_argument("name", help="the plugin's name (its entry point); the package is tapegrad-NAME")
    p.add_argument("directory", nargs="?", help="where to write it (default: ./tapegrad-NAME)")
    p.set_defaults(run=_init)
    args = parser.parse_args(argv)
    try:
        code = int(args.run(args))
        sys.stdout.flush()
    except BrokenPipeError:  # `tapegrad ops | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except PluginLoadError as exc:  # strict mode: the failures, without a traceback
        print(f"tapegrad: {exc}", file=sys.stderr)
        return 1
    return code
