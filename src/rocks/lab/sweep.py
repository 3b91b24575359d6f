"""``rocks lab sweep``: a sequential grid over Config fields, one ledger row per trial.

The essay varies one or two knobs at a time and plots the headline metric against them; a full
grid, run in order, is the honest version of that for the small sweeps a 2-core machine
affords: every point is measured, results do not depend on a sampler's seed, and the ledger
reads in the order the grid was written.

Departures from common sweep tools (Optuna, W&B sweeps):
  1. Grid only: every point is measured and the figure has no holes; choosing each trial from
     the results so far is ``rocks lab tune`` (:mod:`rocks.lab.tune`).
  2. Trials run one after another in the foreground; a failed trial is recorded and the sweep
     goes on, an interrupted one ends the sweep (the rows so far are kept).

Outputs: ``data/sweeps/<sweep_id>.csv`` (one row per trial: parameters, status, headline and
every metric of summary.json; rewritten atomically after each trial) and
``figures/<sweep_id>.png`` (headline and metrics against the first parameter, one line per
combination of the others).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocks.configcli import format_value
from rocks.lab.figures import new_figure, save_figure
from rocks.lab.folders import Experiment, LabError
from rocks.lab.ledger import RunRecord
from rocks.lab.runner import Clock, _now, config_fields, parse_overrides, run_experiment
from rocks.metrics import write_table

MAX_TRIALS = 200
MAX_PANELS = 6


@dataclass(frozen=True)
class SweepResult:
    """A finished (or interrupted) sweep: its id, ledger rows, CSV and figure (None if no data)."""

    sweep_id: str
    trials: tuple[RunRecord, ...]
    csv: Path
    figure: Path | None


def parse_params(specs: Iterable[str]) -> dict[str, list[str]]:
    """``["name=v1,v2", ...]`` as ``{name: ["v1", "v2"]}``.

    Values of a tuple-typed field contain commas, so for those separate values with ``;``
    (``sizes=5,7;9,13``); ``;`` works for every field.
    """
    params: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise LabError(f"--param {spec!r}: write name=v1,v2,... e.g. --param seed=0,1,2")
        if name in params:
            raise LabError(f"--param {name} given twice")
        sep_char = ";" if ";" in values else ","
        items = [v.strip() for v in values.split(sep_char) if v.strip()]
        if not items:
            raise LabError(f"--param {name}: no values")
        params[name] = items
    if not params:
        raise LabError("a sweep needs at least one --param name=v1,v2,...")
    return params


def grid(params: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """Every combination, the last parameter varying fastest."""
    names = list(params)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(params[n] for n in names))]


def _next_sweep_id(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    taken = [int(m.group(1)) for p in folder.iterdir()
             if (m := re.match(r"^sweep-(\d+)\.csv$", p.name))]
    n = max(taken, default=0) + 1
    while True:
        sweep_id = f"sweep-{n:03d}"
        try:
            (folder / f"{sweep_id}.csv").open("x").close()  # claim the id
            return sweep_id
        except FileExistsError:
            n += 1


def run_sweep(experiment: Experiment | Path | str, params: Mapping[str, Sequence[str]],
              fixed: Iterable[str] | Mapping[str, Any] = (), clock: Clock = _now,
              echo: bool = True, python: str | None = None) -> SweepResult:
    """Run every grid point of ``params`` (plus the ``fixed`` overrides) as one ledger row each.

    All values are checked against run.py's Config before the first trial starts.
    """
    exp = experiment if isinstance(experiment, Experiment) else Experiment.at(Path(experiment))
    fields = config_fields(exp.run_py)
    fixed_values = parse_overrides(fixed, fields)
    points = grid(params)
    if len(points) > MAX_TRIALS:
        raise LabError(f"{len(points)} trials is more than {MAX_TRIALS}: sweep fewer values")
    overlap = set(fixed_values) & set(params)
    if overlap:
        raise LabError(f"{sorted(overlap)} given both as --set and --param")
    typed = [parse_overrides(p, fields) for p in points]  # every value checked up front
    sweep_id = _next_sweep_id(exp.sweeps_dir)
    csv_path = exp.sweeps_dir / f"{sweep_id}.csv"
    rows: list[dict[str, Any]] = []
    records: list[RunRecord] = []
    for i, values in enumerate(typed):
        label = " ".join(f"{k}={format_value(v)}" for k, v in values.items())
        if echo:
            print(f"[{sweep_id} trial {i + 1}/{len(typed)}] {label}", flush=True)
        record = run_experiment(exp, {**fixed_values, **values}, sweep_id=sweep_id,
                                clock=clock, echo=echo, python=python)
        records.append(record)
        rows.append(trial_row(exp, i, record, points[i]))
        write_table(csv_path, rows)
        if record.status == "interrupted":
            break
    figure = summary_figure(rows, list(params), exp.figures / f"{sweep_id}.png")
    return SweepResult(sweep_id, tuple(records), csv_path, figure)


def trial_row(exp: Experiment, i: int, record: RunRecord, point: Mapping[str, str]) -> dict:
    """A trial's table row: its number, run, parameters, status, headline and summary metrics
    (the columns a sweep's and a tune's CSV share)."""
    row: dict[str, Any] = {"trial": i, "run_id": record.run_id, **point,
                           "status": record.status, "seconds": record.seconds,
                           "headline_name": record.headline_name,
                           "headline_value": record.headline_value}
    summary = exp.runs_dir / record.run_id / "summary.json"
    if summary.is_file():
        try:
            metrics = json.loads(summary.read_text()).get("metrics", {})
        except ValueError:
            metrics = {}
        for k, v in metrics.items():
            if k not in row and isinstance(v, int | float | str | bool):
                row[k] = v
    return row


def _as_number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def summary_figure(rows: Sequence[Mapping[str, Any]], params: Sequence[str],
                   path: Path) -> Path | None:
    """Headline and numeric metrics of the ok trials against the first parameter."""
    ok = [r for r in rows if r.get("status") == "ok"]
    if not ok or not params:
        return None
    x_name, others = params[0], list(params[1:])
    fixed_cols = {"trial", "run_id", "status", "seconds", "headline_name", *params}
    metrics = ["headline_value"] + [
        k for k in ok[0] if k not in fixed_cols and k != "headline_value"
        and all(_as_number(r.get(k)) is not None for r in ok)]
    metrics = metrics[:MAX_PANELS]
    xs_text = list(dict.fromkeys(str(r[x_name]) for r in ok))
    numeric_x = all(_as_number(x) is not None for x in xs_text)
    position = {x: (float(x) if numeric_x else float(i)) for i, x in enumerate(xs_text)}
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = new_figure(nrows, ncols, width=4.2, height=3.2, squeeze=False)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in ok:
        key = " ".join(f"{o}={r[o]}" for o in others) or "all"
        groups.setdefault(key, []).append(r)
    headline = str(ok[0].get("headline_name") or "headline")
    for j, metric in enumerate(metrics):
        ax = axes[j // ncols][j % ncols]
        for key, grp in groups.items():
            pts = sorted((position[str(r[x_name])], float(r[metric])) for r in grp
                         if _as_number(r.get(metric)) is not None)
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", label=key)
        ax.set_title(headline if metric == "headline_value" else metric)
        ax.set_xlabel(x_name)
        if not numeric_x:
            ax.set_xticks(list(position.values()), list(position))
        elif min(position.values()) > 0 and max(position.values()) >= 100 * min(position.values()):
            ax.set_xscale("log")  # e.g. sample counts or learning rates spanning decades
        ax.grid(alpha=0.3)
        if len(groups) > 1 and j == 0:
            ax.legend(fontsize="small")
    for j in range(len(metrics), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    fig.suptitle(f"{path.stem}: {len(ok)} ok trials")
    return save_figure(fig, path.name, path.parent)
