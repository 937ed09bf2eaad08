"""The ``tapegrad`` command: list plugins and ops, and run the conformance kit on a plugin.

    tapegrad plugins [--json]     every plugin: name, version, source, ops, backends, error
    tapegrad ops [--json]         every op with the plugin that registered it
    tapegrad check PLUGIN         the kit on each of PLUGIN's ops: a table of op x check
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Sequence

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
    return 0


def _ops(args: argparse.Namespace) -> int:
    from .optable import table

    rows = [(op.name, op.plugin, list(op.aliases)) for op in table().canonical_ops()]
    if args.json:
        print(json.dumps([{"op": n, "plugin": p, "aliases": a} for n, p, a in rows], indent=2))
        return 0
    width = max((len(n) for n, _, _ in rows), default=2)
    for name, plugin, aliases in rows:
        extra = f"  (also {', '.join(aliases)})" if aliases else ""
        print(f"{name:<{width}}  {plugin}{extra}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from .testing.kit import CHECKS, op_checks, ops_of_plugin

    try:
        names = ops_of_plugin(args.plugin)
    except ValueError as exc:
        print(f"tapegrad check: {exc}", file=sys.stderr)
        return 2
    if not names:
        print(f"plugin {args.plugin!r} registers no ops")
        return 0
    checks = list(CHECKS)
    results: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    for name in names:
        row = results.setdefault(name, {c: "-" for c in checks})
        for item in op_checks(name, order=args.order):
            try:
                item()
                row[item.check] = "ok"
            except Exception as exc:
                row[item.check] = "FAIL"
                failures.append(f"{item.id}: {exc}")
    width = max(len(n) for n in names)
    print(f"{'op':<{width}}  " + "  ".join(checks))
    for name in names:
        print(f"{name:<{width}}  " + "  ".join(f"{results[name][c]:<{len(c)}}" for c in checks))
    if failures:
        failed_ops = sorted({f.split('-', 1)[0] for f in failures})
        print(f"\n{len(failures)} check(s) failed in op(s): {', '.join(failed_ops)}")
        for line in failures:
            print(f"- {line}")
        return 1
    print(f"\nall checks passed for {len(names)} op(s) of plugin {args.plugin!r}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tapegrad`` console script and ``python -m tapegrad``."""
    parser = argparse.ArgumentParser(prog="tapegrad", description="tapegrad plugins, ops and conformance checks")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plugins", help="list plugins with their ops and backends")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_plugins)
    p = sub.add_parser("ops", help="list ops with the plugin that registered each")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_ops)
    p = sub.add_parser("check", help="run the conformance kit on every op of a plugin")
    p.add_argument("plugin", help="plugin name, as `tapegrad plugins` shows it")
    p.add_argument("--order", type=int, default=2, help="highest derivative order to check (default 2)")
    p.set_defaults(run=_check)
    args = parser.parse_args(argv)
    return int(args.run(args))
