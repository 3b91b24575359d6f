"""``rocks lab``: new, run, list, show and sweep experiments (see docs/lab.md)."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from rocks.lab.folders import (
    Experiment,
    LabError,
    default_root,
    find_experiments,
    new_experiment,
    resolve_experiment,
)
from rocks.lab.ledger import Ledger, RunRecord

EXIT_FOR_STATUS = {"ok": 0, "failed": 1, "interrupted": 130, "running": 1}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rocks lab", description=__doc__)
    parser.add_argument("--root", type=Path, default=None,
                        help="the experiments folder (default: experiments/ of this checkout)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("new", help="create experiments/YYYY-MM-DD_HH-MM_<slug>/")
    p.add_argument("topic", help="what the experiment is about, in a few words")
    p.add_argument("--now", default=None, help="the clock, as YYYY-MM-DDTHH:MM (UTC)")

    p = sub.add_parser("run", help="run an experiment once and record it in its ledger")
    p.add_argument("experiment", help="a folder, its name, or a unique part of the name")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a Config field (repeatable)")
    p.add_argument("--timeout", type=float, default=None, help="stop the run after S seconds")
    p.add_argument("--resume", default=None, metavar="RUN_ID",
                   help="run again in an earlier run's folder with its config (+ --set)")
    p.add_argument("--quiet", action="store_true", help="keep the output in log.txt only")

    sub.add_parser("list", help="a table of experiments, their runs and headline metrics")

    p = sub.add_parser("show", help="print an experiment's report and its runs")
    p.add_argument("experiment")

    p = sub.add_parser("sweep", help="run a grid of Config values, one ledger row per trial")
    p.add_argument("experiment")
    p.add_argument("--param", dest="params", action="append", default=[],
                   metavar="NAME=V1,V2", help="a field and its values (repeatable)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a fixed override for every trial (repeatable)")
    p.add_argument("--quiet", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return COMMANDS[args.command](args)
    except LabError as exc:
        print(f"rocks lab {args.command}: error: {exc}", file=sys.stderr)
        return 2


def cmd_new(args: argparse.Namespace) -> int:
    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise LabError(f"--now {args.now!r}: use YYYY-MM-DDTHH:MM") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    exp = new_experiment(args.topic, root=args.root, now=now)
    print(exp.path)
    print(f"next: edit {exp.run_py}, then `rocks lab run {exp.name}`")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from rocks.lab.runner import run_experiment

    exp = resolve_experiment(args.experiment, args.root)
    record = run_experiment(exp, args.overrides, echo=not args.quiet, timeout=args.timeout,
                            resume=args.resume)
    print(f"{record.run_id}: {record.status} in {record.seconds:.1f} s"
          + (f", {record.headline_name} = {record.headline_value:g}"
             if record.headline_name else "")
          + (f" ({record.error})" if record.error else ""))
    return EXIT_FOR_STATUS[record.status]


def cmd_sweep(args: argparse.Namespace) -> int:
    from rocks.lab.sweep import parse_params, run_sweep

    exp = resolve_experiment(args.experiment, args.root)
    result = run_sweep(exp, parse_params(args.params), args.overrides, echo=not args.quiet)
    counts: dict[str, int] = {}
    for r in result.trials:
        counts[r.status] = counts.get(r.status, 0) + 1
    print(f"{result.sweep_id}: {len(result.trials)} trials "
          + ", ".join(f"{n} {s}" for s, n in counts.items()))
    print(f"table: {result.csv}")
    if result.figure:
        print(f"figure: {result.figure}")
    if counts.get("interrupted"):
        return 130
    return 0 if counts.get("ok") == len(result.trials) else 1


def _headline(records: list[RunRecord]) -> str:
    ok = [r for r in records if r.status == "ok" and r.headline_name]
    if not ok:
        return ""
    last = ok[-1]
    value = "" if math.isnan(last.headline_value) else f"{last.headline_value:.4g}"
    return f"{last.headline_name}={value}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table (it must read the same in a terminal, a log and a test)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def experiment_row(exp: Experiment) -> list[object]:
    records = Ledger(exp.ledger).read()
    ok = sum(r.status == "ok" for r in records)
    status = records[-1].status if records else "new"
    last = records[-1].end or records[-1].start if records else ""
    return [exp.name, f"{ok}/{len(records)}", status, _headline(records), last]


def cmd_list(args: argparse.Namespace) -> int:
    root = args.root if args.root is not None else default_root()
    experiments = find_experiments(root)
    if not experiments:
        print(f"no experiments under {root} (`rocks lab new \"topic\"` makes one)")
        return 0
    print(format_table(["experiment", "ok/runs", "last status", "headline (last ok)",
                        "last run"], [experiment_row(e) for e in experiments]))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    exp = resolve_experiment(args.experiment, args.root)
    report = exp.report.read_text(encoding="utf-8") if exp.report.is_file() else "(no report)"
    print(report.rstrip())
    print(f"\n## Runs ({exp.ledger})\n")
    records = Ledger(exp.ledger).read()
    if not records:
        print("no runs yet")
    else:
        rows = [[r.run_id, r.sweep_id, r.status, r.start, "" if math.isnan(r.seconds)
                 else f"{r.seconds:.1f}", r.config_diff,
                 f"{r.headline_name}={r.headline_value:.4g}" if r.headline_name else "",
                 r.error[:60]] for r in records]
        print(format_table(["run", "sweep", "status", "start", "s", "config diff",
                            "headline", "error"], rows))
    sweeps = sorted(exp.sweeps_dir.glob("sweep-*.csv")) if exp.sweeps_dir.is_dir() else []
    for s in sweeps:
        fig = exp.figures / f"{s.stem}.png"
        print(f"{s.stem}: {s.relative_to(exp.path)}"
              + (f", figure {fig.relative_to(exp.path)}" if fig.is_file() else ""))
    return 0


COMMANDS = {"new": cmd_new, "run": cmd_run, "list": cmd_list, "show": cmd_show,
            "sweep": cmd_sweep}
