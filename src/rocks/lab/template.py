"""The files ``rocks lab new`` writes: a runnable single-file ``run.py`` and a ``report.md``.

The run.py follows the cleanrl convention (one file, one frozen ``Config`` dataclass at the top
whose fields are the command-line options) that the essay's experiments use, so a reader sees
every knob before any code.  Its example body (a Monte Carlo estimate of pi) runs in a second
and shows the helpers: metrics CSV, progress bar, figure, headline metric.
"""

from __future__ import annotations

from datetime import datetime

RUN_PY = '''"""{topic}

Experiment {name}.  Run it with `rocks lab run experiments/{name} --set key=value`
(which adds a row to the ledger data/runs.csv) or directly as `python run.py --key value`.
Each run writes into data/runs/<run_id>/ (config.json, summary.json, CSV files) and
figures/<run_id>/; no run overwrites another's.

Replace the example below (a Monte Carlo estimate of pi) with the experiment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rocks.lab import Run, new_figure, progress, start_run


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    seed: int = 0  # random seed
    samples: int = 20_000  # random points per batch
    batches: int = 10  # batches; one row of metrics.csv each


def main(cfg: Config, run: Run) -> None:
    rng = np.random.default_rng(cfg.seed)
    log = run.metrics("metrics")  # data/runs/<run_id>/metrics.csv, flushed row by row
    inside = total = 0
    for batch in progress(range(cfg.batches), desc="batches"):
        xy = rng.random((cfg.samples, 2))
        inside += int((np.square(xy).sum(axis=1) <= 1.0).sum())
        total += cfg.samples
        log.log(batch=batch, samples=total, estimate=4 * inside / total)
    log.close()
    estimate = 4 * inside / total

    rows = log.read()  # a pandas DataFrame of the CSV just written
    fig, ax = new_figure()
    ax.plot(rows["samples"], rows["estimate"], marker="o", label="estimate")
    ax.axhline(np.pi, color="grey", linestyle="--", label="pi")
    ax.set_xlabel("samples")
    ax.set_ylabel("estimate of pi")
    ax.legend()
    run.save_figure(fig, "estimate")  # figures/<run_id>/estimate.png

    # The headline metric goes into the ledger; the others into summary.json.
    run.finish("abs_error", abs(estimate - np.pi), estimate=estimate, samples=total)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
'''

REPORT_MD = """# {topic}

Experiment folder `experiments/{name}`, created {created} UTC.

## Goal

What question does this experiment answer, and why does it matter to the project?

## Hypothesis

What do you expect, in numbers, before running it?

## Setup

- Script: `run.py`; its `Config` holds every knob.  Each run's `data/runs/<run_id>/config.json`
  records the config, the git commit and the command line.
- Rerun: `rocks lab run experiments/{name} --set key=value`;
  sweep: `rocks lab sweep experiments/{name} --param key=v1,v2`.
- Runs: see the ledger `data/runs.csv` (`rocks lab show {name}`).

## Results

The numbers and figures, written from the CSV files in `data/` (name the run ids).

## Settled

What the data shows beyond reasonable doubt.

## Unknown

What the data does not show yet; threats to validity.

## Next

The experiments this one suggests.
"""


def render_run_py(topic: str, name: str) -> str:
    """The run.py of a new experiment about ``topic`` in folder ``name``."""
    return RUN_PY.format(topic=_one_line(topic), name=name)


def render_report(topic: str, name: str, created: datetime) -> str:
    """The report.md skeleton with the seven sections."""
    return REPORT_MD.format(topic=_one_line(topic), name=name,
                            created=f"{created:%Y-%m-%d %H:%M}")


def _one_line(topic: str) -> str:
    # A topic pasted with newlines or triple quotes must not break the generated Python.
    text = " ".join(topic.split())
    return text.replace("\\", "/").replace('"""', "'''")
