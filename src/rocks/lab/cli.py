"""``rocks lab``: new, run, list, show, sweep, tune and next (see docs/lab.md).

Each subcommand's options are the fields of its config below (:mod:`rocks.configcli`); ``--root``
(:class:`LabConfig`) comes before the subcommand and applies to all of them.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rocks.configcli import add_config_arguments, config_from_args
from rocks.lab.folders import (
    Experiment,
    LabError,
    default_root,
    find_experiments,
    new_experiment,
    resolve_experiment,
)
from rocks.lab.ledger import Ledger, RunRecord

EXIT_FOR_STATUS = {"ok": 0, "failed": 1, "interrupted": 130, "running": 1, "pruned": 1}


@dataclass(frozen=True)
class LabConfig:
    """Options of every ``rocks lab`` command.

    Attributes:
        root: the experiments folder (none: experiments/ of this checkout).
    """

    root: Path | None = None


@dataclass(frozen=True)
class NewConfig:
    """``rocks lab new``.

    Attributes:
        topic: what the experiment is about, in a few words.
        now: the clock, as YYYY-MM-DDTHH:MM (UTC); none: the time now.
    """

    topic: str = field(metadata={"positional": True})
    now: str | None = None


@dataclass(frozen=True)
class RunConfig:
    """``rocks lab run``.

    Attributes:
        experiment: a folder, its name, or a unique part of the name.
        overrides: KEY=VALUE, a Config field of run.py and its value.
        timeout: stop the run after this many seconds (none: never).
        resume: RUN_ID: run again in an earlier run's folder with its config (+ --set).
        quiet: keep the output in log.txt only.
    """

    experiment: str = field(metadata={"positional": True})
    overrides: tuple[str, ...] = field(default=(), metadata={"flag": "--set", "repeat": True})
    timeout: float | None = None
    resume: str | None = None
    quiet: bool = False


@dataclass(frozen=True)
class ListConfig:
    """``rocks lab list``.

    Attributes:
        json: print JSON (docs/lab.md, "driving the loop from a program") instead of a table.
    """

    json: bool = False


@dataclass(frozen=True)
class ShowConfig:
    """``rocks lab show``.

    Attributes:
        experiment: a folder, its name, or a unique part of the name.
        json: print JSON: runs with config and metrics, sweeps, tunes, the report's lists.
    """

    experiment: str = field(metadata={"positional": True})
    json: bool = False


@dataclass(frozen=True)
class NextConfig:
    """``rocks lab next``.

    Attributes:
        experiment: a folder, its name, or a unique part of the name.
        json: print JSON instead of text.
    """

    experiment: str = field(metadata={"positional": True})
    json: bool = False


@dataclass(frozen=True)
class SweepConfig:
    """``rocks lab sweep``.

    Attributes:
        experiment: a folder, its name, or a unique part of the name.
        params: NAME=V1,V2,...: a Config field and its values (``;`` separates tuple values).
        overrides: KEY=VALUE: a fixed override for every trial.
        quiet: keep the output in log.txt only.
    """

    experiment: str = field(metadata={"positional": True})
    params: tuple[str, ...] = field(default=(), metadata={"flag": "--param", "repeat": True})
    overrides: tuple[str, ...] = field(default=(), metadata={"flag": "--set", "repeat": True})
    quiet: bool = False


@dataclass(frozen=True)
class TuneConfig:
    """``rocks lab tune``.

    Attributes:
        experiment: a folder, its name, or a unique part of the name.
        params: NAME=KIND:...: a Config field and its range, log:LO:HI, float:LO:HI,
            int:LO:HI or cat:A,B,...
        overrides: KEY=VALUE: a fixed override for every trial.
        metric: the summary.json metric to optimise ('': the headline).
        direction: whether a larger (max) or smaller (min) metric is better.
        trials: the budget, in trials that finish (ok, failed or pruned); the same command
            run again continues the tune up to it.
        sampler: tpe, gp (a Gaussian process; needs scipy) or random.
        seed: the sampler's seed.
        startup_trials: random trials before the sampler models the results (none: a third
            of the budget, 2 to 10).
        prune: stop a trial whose curve is below the median of earlier trials at that step.
        curve: FILE:COLUMN: a CSV in the run's folder with intermediate values, e.g.
            grpo/eval.csv:pass1 (what --prune reads).
        fresh: start a new tune even if one with this space exists.
        quiet: keep each run's output in its log.txt only.
    """

    experiment: str = field(metadata={"positional": True})
    params: tuple[str, ...] = field(default=(), metadata={"flag": "--param", "repeat": True})
    overrides: tuple[str, ...] = field(default=(), metadata={"flag": "--set", "repeat": True})
    metric: str = ""
    direction: Literal["max", "min"] = "max"
    trials: int = 20
    sampler: Literal["tpe", "gp", "random"] = "tpe"
    seed: int = 0
    startup_trials: int | None = None
    prune: bool = False
    curve: str = ""
    fresh: bool = False
    quiet: bool = False


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks lab`` (without running anything)."""
    parser = argparse.ArgumentParser(prog="rocks lab", description=__doc__)
    add_config_arguments(parser, LabConfig)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (config, _, help_) in COMMANDS.items():
        add_config_arguments(sub.add_parser(name, help=help_, description=help_), config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    lab = config_from_args(LabConfig, args)
    config, run, _ = COMMANDS[args.command]
    try:
        return run(config_from_args(config, args), lab.root)
    except LabError as exc:
        print(f"rocks lab {args.command}: error: {exc}", file=sys.stderr)
        return 2


def cmd_new(cfg: NewConfig, root: Path | None) -> int:
    now = None
    if cfg.now:
        try:
            now = datetime.fromisoformat(cfg.now)
        except ValueError:
            raise LabError(f"--now {cfg.now!r}: use YYYY-MM-DDTHH:MM") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    exp = new_experiment(cfg.topic, root=root, now=now)
    print(exp.path)
    print(f"next: edit {exp.run_py}, then `rocks lab run {exp.name}`")
    return 0


def cmd_run(cfg: RunConfig, root: Path | None) -> int:
    from rocks.lab.runner import run_experiment

    exp = resolve_experiment(cfg.experiment, root)
    record = run_experiment(exp, cfg.overrides, echo=not cfg.quiet, timeout=cfg.timeout,
                            resume=cfg.resume)
    print(f"{record.run_id}: {record.status} in {record.seconds:.1f} s"
          + (f", {record.headline_name} = {record.headline_value:g}"
             if record.headline_name else "")
          + (f" ({record.error})" if record.error else ""))
    return EXIT_FOR_STATUS[record.status]


def cmd_sweep(cfg: SweepConfig, root: Path | None) -> int:
    from rocks.lab.sweep import parse_params, run_sweep

    exp = resolve_experiment(cfg.experiment, root)
    result = run_sweep(exp, parse_params(cfg.params), cfg.overrides, echo=not cfg.quiet)
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


def cmd_tune(cfg: TuneConfig, root: Path | None) -> int:
    from rocks.lab.tune import TuneSpec, run_tune

    exp = resolve_experiment(cfg.experiment, root)
    spec = TuneSpec(params=cfg.params, fixed=cfg.overrides, metric=cfg.metric,
                    direction=cfg.direction, sampler=cfg.sampler, seed=cfg.seed,
                    startup_trials=cfg.startup_trials, prune=cfg.prune, curve=cfg.curve)
    result = run_tune(exp, spec, cfg.trials, fresh=cfg.fresh, echo=not cfg.quiet)
    states: dict[str, int] = {}
    for r in result.rows:
        states[r["state"]] = states.get(r["state"], 0) + 1
    done = sum(states.get(s, 0) for s in ("complete", "fail", "pruned"))
    print(f"{result.tune_id}: {done}/{result.budget} trials ({result.ran} run now): "
          + ", ".join(f"{n} {s}" for s, n in states.items()))
    if result.best is not None:
        b = result.best
        names = [p.partition("=")[0].strip().replace("-", "_") for p in cfg.params]
        print(f"best: {cfg.metric or b.get('headline_name') or 'headline'} = {b['value']:.4g} "
              f"({b['run_id']}, trial {b['trial']}): "
              + " ".join(f"{n}={b[n]}" for n in names))
    print(f"table: {result.csv}")
    if result.figure:
        print(f"figure: {result.figure}")
    if done < result.budget:
        return 130
    return 0 if result.best is not None else 1


def cmd_next(cfg: NextConfig, root: Path | None) -> int:
    from rocks.lab.state import dumps, format_next, next_steps

    steps = next_steps(resolve_experiment(cfg.experiment, root))
    print(dumps(steps) if cfg.json else format_next(steps))
    return 0


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


def cmd_list(cfg: ListConfig, root: Path | None) -> int:
    root = root if root is not None else default_root()
    if cfg.json:
        from rocks.lab.state import dumps, lab_summary

        print(dumps(lab_summary(root)))
        return 0
    experiments = find_experiments(root)
    if not experiments:
        print(f"no experiments under {root} (`rocks lab new \"topic\"` makes one)")
        return 0
    print(format_table(["experiment", "ok/runs", "last status", "headline (last ok)",
                        "last run"], [experiment_row(e) for e in experiments]))
    return 0


def cmd_show(cfg: ShowConfig, root: Path | None) -> int:
    exp = resolve_experiment(cfg.experiment, root)
    if cfg.json:
        from rocks.lab.state import dumps, experiment_state

        print(dumps(experiment_state(exp)))
        return 0
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
    tunes = sorted((exp.data / "tunes").glob("tune-*.csv"))
    for s in [*sweeps, *tunes]:
        fig = exp.figures / f"{s.stem}.png"
        print(f"{s.stem}: {s.relative_to(exp.path)}"
              + (f", figure {fig.relative_to(exp.path)}" if fig.is_file() else ""))
    return 0


# name -> (config, what runs it, help)
COMMANDS: dict[str, tuple[type, Callable[[Any, Path | None], int], str]] = {
    "new": (NewConfig, cmd_new, "create experiments/YYYY-MM-DD_HH-MM_<slug>/"),
    "run": (RunConfig, cmd_run, "run an experiment once and record it in its ledger"),
    "list": (ListConfig, cmd_list, "a table of experiments, their runs and headline metrics"),
    "show": (ShowConfig, cmd_show, "print an experiment's report and its runs"),
    "sweep": (SweepConfig, cmd_sweep, "run a grid of Config values, one ledger row per trial"),
    "tune": (TuneConfig, cmd_tune, "choose each trial from the results so far (Optuna), one "
             "ledger row per trial"),
    "next": (NextConfig, cmd_next, "print the report's Next items and the settings not yet "
             "run"),
}
