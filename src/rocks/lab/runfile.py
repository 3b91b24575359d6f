"""What an experiment's ``run.py`` calls: its Config from the command line, and one Run.

Follows cleanrl's single-file convention (a frozen ``Config``/``Args`` dataclass whose fields
are the command-line options, saved next to the results).  ``start_run(Config, __file__)``
parses ``--field-name value`` options, picks the run's folder, and writes
``data/runs/<run_id>/config.json`` with the config, the git commit and the command line before
the experiment starts, so even a crashed run says what it was.

Departures from cleanrl:
  1. The options come from :mod:`rocks.configcli` (argparse, not tyro): the field types it
     knows (``int``, ``float``, ``str``, ``bool`` as ``--flag``/``--no-flag``, ``Path``,
     ``Literal``, ``tuple[X, ...]`` comma separated, ``X | None``); others are refused at start,
     not misparsed.
  2. The same converter checks ``rocks lab run --set`` overrides before a run starts, reading
     the annotations from run.py's source without executing it (:mod:`rocks.lab.runner`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rocks import atomic
from rocks.configcli import ConfigError, add_config_arguments, config_from_args
from rocks.lab.figures import save_figure
from rocks.lab.folders import LabError
from rocks.metrics import MetricsLogger

RUN_ID_RE = re.compile(r"^run-(\d{3,})$")


def parse_config(config_cls: type, argv: list[str]) -> tuple[Any, argparse.Namespace]:
    """The Config that the options in ``argv`` describe (see :mod:`rocks.configcli`), and the
    parsed options (``--out``, this run's folder, is the one that is not a Config field)."""
    parser = argparse.ArgumentParser(description=(config_cls.__doc__ or "").strip() or None)
    parser.add_argument("--out", type=Path, default=None,
                        help="this run's folder (default: the next data/runs/run-NNN)")
    try:
        add_config_arguments(parser, config_cls)
    except ConfigError as exc:
        raise LabError(str(exc)) from None
    args = parser.parse_args(argv)
    try:
        return config_from_args(config_cls, args), args
    except ValueError as exc:  # the Config's own checks
        raise LabError(f"cannot build {config_cls.__name__}: {exc}") from None


def git_commit(path: Path) -> str:
    """HEAD's commit of the checkout holding ``path``, ``+dirty`` when ``path`` has changes.

    Only ``path`` (the experiment folder) is checked: in a shared tree other people's edits
    would otherwise make every run dirty.  ``unknown`` outside git.
    """
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        status = subprocess.run(["git", "status", "--porcelain", "--", "run.py"], cwd=path,
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = head.stdout.strip()[:12]
    return commit + ("+dirty" if status.stdout.strip() else "")


def next_run_dir(runs_dir: Path, prefix: str = "run") -> Path:
    """Create and return the next free ``runs_dir/<prefix>-NNN`` (exclusive mkdir: race-safe)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    taken = [int(m.group(1)) for p in runs_dir.iterdir() if (m := pattern.match(p.name))]
    n = max(taken, default=0) + 1
    while True:
        path = runs_dir / f"{prefix}-{n:03d}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


# ------------------------------------------------------------------ one run
@dataclass(frozen=True)
class Run:
    """One run of an experiment, as its run.py sees it.

    Attributes:
        config: the Config instance (defaults plus command-line options).
        run_id: ``run-NNN``.
        dir: ``data/runs/<run_id>/``: config.json, summary.json and the run's CSV files.
        figures: ``figures/<run_id>/``: the run's PNG figures.
        experiment: the experiment folder.
        resumed: True when the folder held an earlier start of this run
            (``rocks lab run --resume``): continue from what it left.
    """

    config: Any
    run_id: str
    dir: Path
    figures: Path
    experiment: Path
    resumed: bool = False

    def metrics(self, name: str, columns: list[str] | None = None) -> MetricsLogger:
        """A CSV logger for ``data/runs/<run_id>/<name>.csv``."""
        stem = name[:-4] if name.endswith(".csv") else name
        return MetricsLogger(self.dir / f"{stem}.csv", columns)

    def save_figure(self, fig: Any, name: str) -> Path:
        """Save ``fig`` as ``figures/<run_id>/<name>.png``."""
        return save_figure(fig, name, self.figures)

    def finish(self, headline: str, value: float, **metrics: Any) -> Path:
        """Write summary.json: the headline metric (for the ledger) and any other metrics."""
        summary = {"run_id": self.run_id,
                   "headline": {"name": headline, "value": _number(value)},
                   "metrics": {k: _number(v) for k, v in metrics.items()},
                   "finished": datetime.now(UTC).isoformat(timespec="seconds")}
        path = atomic.write_json(self.dir / "summary.json", summary)
        print(f"{self.run_id}: {headline} = {summary['headline']['value']}", flush=True)
        return path


def _number(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    return value


def start_run(config_cls: type, script: str | Path, argv: list[str] | None = None) -> Run:
    """Parse the command line into a Config, make the run's folder, write its config.json.

    ``script`` is the run.py's ``__file__``: the experiment is its folder.  ``--out`` (what
    ``rocks lab run`` passes) names the run's folder; without it the next ``run-NNN`` is made.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    exp_dir = Path(script).resolve().parent
    try:
        cfg, args = parse_config(config_cls, argv)
    except LabError as exc:
        raise SystemExit(f"error: {exc}") from None
    if args.out is None:
        run_dir = next_run_dir(exp_dir / "data" / "runs")
    else:
        run_dir = Path(args.out).resolve()
        run_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_dir.name
    figures = exp_dir / "figures" / run_id
    record = {
        "run_id": run_id,
        "experiment": exp_dir.name,
        "config": dataclasses.asdict(cfg),
        "commit": git_commit(exp_dir),
        "command": shlex.join([Path(sys.executable).name, Path(script).name, *argv]),
        "cwd": os.getcwd(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    earlier = _earlier_starts(run_dir / "config.json")
    if earlier:
        record["earlier_starts"] = earlier  # a resumed run keeps how it was first started
    atomic.write_json(run_dir / "config.json", record)
    return Run(cfg, run_id, run_dir, figures, exp_dir, resumed=bool(earlier))


def _earlier_starts(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return []
    keep = {k: old.get(k) for k in ("started", "commit", "command", "config")}
    return [*old.get("earlier_starts", []), keep]
