"""docs/examples/lab_turn.py: one turn of the research loop from the command line alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rocks.lab.folders import Experiment, new_experiment
from rocks.lab.ledger import Ledger
from rocks.lab.runner import run_experiment

from .conftest import NOW

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "lab_turn.py"

# Training that diverges above a learning rate of 1e-3, as a real one might.
RUN_PY = '''"""A training stand-in that diverges when the learning rate is too high."""

from dataclasses import dataclass

from rocks.lab import start_run


@dataclass(frozen=True)
class Config:
    lr: float = 1e-3
    crash: bool = False


if __name__ == "__main__":
    run = start_run(Config, __file__)
    if run.config.crash:
        raise SystemExit("out of disk space")
    if run.config.lr > 1e-3:
        raise SystemExit("diverged: loss is nan at step 12")
    run.finish("accuracy", 0.9 - run.config.lr * 100)
'''


def turn(exp: Experiment) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), exp.name, "--root",
                           str(exp.path.parent)], capture_output=True, text=True, timeout=120)


def test_a_turn_halves_the_learning_rate_until_the_run_converges(root: Path) -> None:
    exp = new_experiment("diverging training", root=root, now=NOW)
    exp.run_py.write_text(RUN_PY)
    assert run_experiment(exp, ["lr=0.004"], echo=False).status == "failed"

    first = turn(exp)
    assert first.returncode == 0, first.stderr
    assert "run-001 diverged at lr=0.004: trying 0.002" in first.stdout
    second = turn(exp)
    assert second.returncode == 0, second.stderr
    ledger = Ledger(exp.ledger).read()
    assert [(r.config_diff, r.status) for r in ledger] == [
        ("lr=0.004", "failed"), ("lr=0.002", "failed"), ("", "ok")]  # 0.001 is the default

    third = turn(exp)  # converged: the rule has nothing to do, and runs nothing
    assert third.returncode == 0 and "run-003 converged" in third.stdout
    assert len(Ledger(exp.ledger).read()) == 3

    results = exp.report.read_text().split("## Results")[1].split("## Settled")[0]
    assert "- run-002: lr = 0.002 (halved from run-001's 0.004, which diverged): diverged " \
           "again." in results
    assert "- run-003: lr = 0.001 (halved from run-002's 0.002, which diverged): " \
           "accuracy = 0.8." in results
    assert exp.report.read_text().count("## ") == 7  # the other sections are untouched


def test_a_failure_that_is_not_divergence_stops_the_loop(root: Path) -> None:
    exp = new_experiment("crashing training", root=root, now=NOW)
    exp.run_py.write_text(RUN_PY)
    run_experiment(exp, ["crash=true"], echo=False)
    result = turn(exp)
    assert result.returncode == 1 and "out of disk space" in result.stdout
    assert len(Ledger(exp.ledger).read()) == 1
