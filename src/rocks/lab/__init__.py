"""rocks.lab: the research workflow (experiment folders, runs, ledger, sweeps, tunes, state).

From Python::

    from rocks.lab import experiment_state, new_experiment, run_experiment, run_sweep
    exp = new_experiment("random go game length", root="experiments")
    record = run_experiment(exp, ["games=100"])       # one ledger row in data/runs.csv
    state = experiment_state(exp)                     # what `rocks lab show --json` prints

Inside an experiment's run.py::

    from rocks.lab import MetricsLogger, new_figure, progress, save_figure, start_run

Names are imported lazily so that ``import rocks.lab`` stays cheap for run.py scripts.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LabError": "rocks.lab.folders",
    "Experiment": "rocks.lab.folders",
    "new_experiment": "rocks.lab.folders",
    "find_experiments": "rocks.lab.folders",
    "resolve_experiment": "rocks.lab.folders",
    "slugify": "rocks.lab.folders",
    "MetricsLogger": "rocks.metrics",
    "collect": "rocks.lab.ledger",
    "new_figure": "rocks.lab.figures",
    "save_figure": "rocks.lab.figures",
    "progress": "rocks.progress",
    "Run": "rocks.lab.runfile",
    "start_run": "rocks.lab.runfile",
    "Ledger": "rocks.lab.ledger",
    "RunRecord": "rocks.lab.ledger",
    "run_experiment": "rocks.lab.runner",
    "run_sweep": "rocks.lab.sweep",
    "TuneSpec": "rocks.lab.tune",
    "run_tune": "rocks.lab.tune",
    "experiment_state": "rocks.lab.state",
    "lab_summary": "rocks.lab.state",
    "next_steps": "rocks.lab.state",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rocks.lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
