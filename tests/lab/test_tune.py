"""``rocks lab tune``: trials chosen from the results so far, each an ordinary run, resumable."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from rocks.lab import runner
from rocks.lab.folders import Experiment, LabError, new_experiment
from rocks.lab.ledger import Ledger
from rocks.lab.runner import config_fields, run_experiment
from rocks.lab.tune import TuneSpec, parse_param, run_tune, tune_command

from .conftest import NOW

# A toy objective with a known optimum: value 1.0 at x = 0.3, lr = 10^-3.5, kind = "b".
TOY_RUN_PY = '''"""A toy objective for the tune's tests."""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import dataclass

from rocks.lab import start_run


@dataclass(frozen=True)
class Config:
    x: float = 0.0
    lr: float = 1e-3
    kind: str = "a"
    mode: str = "ok"  # ok | fail | nosummary | nan
    sleep: float = 0.0  # seconds per curve step
    steps: int = 0  # curve.csv rows (step, value) written as the run goes


def value(cfg: Config) -> float:
    bonus = {"a": 0.0, "b": 0.5, "c": 0.2}[cfg.kind]
    return 0.5 + bonus - (cfg.x - 0.3) ** 2 - 0.05 * (math.log10(cfg.lr) + 3.5) ** 2


if __name__ == "__main__":
    run = start_run(Config, __file__)
    cfg = run.config
    curve = run.metrics("curve")
    for step in range(cfg.steps):
        curve.log(step=step, value=cfg.x * (step + 1))
        time.sleep(cfg.sleep)
    if cfg.mode == "fail":
        raise SystemExit("diverged: loss is nan")
    if cfg.mode == "nan":
        run.finish("score", float("nan"))
    elif cfg.mode != "nosummary":
        run.finish("score", value(cfg), distance=abs(cfg.x - 0.3))
'''
OPTIMUM = 1.0


@pytest.fixture
def toy(root: Path) -> Experiment:
    exp = new_experiment("toy objective", root=root, now=NOW)
    exp.run_py.write_text(TOY_RUN_PY)
    return exp


SPACE = ("x=float:-1:1", "lr=log:1e-5:1e-2", "kind=cat:a,b,c")


@pytest.mark.slow
def test_a_tune_finds_a_known_optimum_within_its_budget(toy: Experiment) -> None:
    result = run_tune(toy, TuneSpec(params=SPACE, seed=1), trials=30, echo=False)
    assert result.tune_id == "tune-001" and result.ran == 30
    best = result.best
    assert best is not None and best["kind"] == "b"
    assert best["value"] > OPTIMUM - 0.05, best
    assert abs(float(best["x"]) - 0.3) < 0.2
    # Each trial is an ordinary run: a ledger row tagged with the tune, a folder, a config.json.
    ledger = Ledger(toy.ledger).read()
    assert [r.sweep_id for r in ledger] == ["tune-001"] * 30
    config = json.loads((toy.runs_dir / best["run_id"] / "config.json").read_text())
    assert config["config"]["kind"] == "b" and config["commit"]
    table = pd.read_csv(result.csv)
    assert list(table.columns[:8]) == ["trial", "run_id", "x", "lr", "kind", "status", "state",
                                       "value"]
    assert table["best_so_far"].is_monotonic_increasing
    assert table["best_so_far"].iloc[-1] == pytest.approx(best["value"])
    assert result.figure == toy.figures / "tune-001.png"
    assert result.figure.read_bytes()[:4] == b"\x89PNG"


def test_a_failed_trial_is_recorded_and_the_tune_goes_on(toy: Experiment) -> None:
    spec = TuneSpec(params=("x=float:0:1", "mode=cat:ok,fail,nosummary,nan"),
                    sampler="random", seed=1)  # seed 1 draws every mode in 6 trials
    result = run_tune(toy, spec, trials=6, echo=False)
    assert len(result.rows) == 6
    by_mode = {r["mode"]: r for r in result.rows}
    assert set(by_mode) == {"ok", "fail", "nosummary", "nan"}
    failed = by_mode["fail"]
    assert (failed["status"], failed["state"]) == ("failed", "fail")
    assert "diverged" in failed["error"]
    assert by_mode["nosummary"]["status"] == "ok"  # the run is fine, but it has no metric
    assert by_mode["nosummary"]["state"] == "fail"
    assert "no finite" in by_mode["nosummary"]["error"]
    assert by_mode["nan"]["state"] == "fail"  # a diverged run (NaN) is no value to learn from
    assert by_mode["ok"]["state"] == "complete"
    assert {r.status for r in Ledger(toy.ledger).read()} == {"ok", "failed"}


def _tune_script(exp: Experiment, trials: int) -> str:
    return textwrap.dedent(f"""
        from rocks.lab.tune import TuneSpec, run_tune
        run_tune({str(exp.path)!r}, TuneSpec(params=("x=float:-1:1",), fixed=("sleep=0.5",
                 "steps=2")), trials={trials}, echo=False)
    """)


def test_a_tune_killed_with_sigkill_resumes_without_repeating_finished_trials(
        toy: Experiment) -> None:
    ledger = Ledger(toy.ledger)
    proc = subprocess.Popen([sys.executable, "-c", _tune_script(toy, 5)],
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill while the third trial runs
            rows = ledger.read()
            if len(rows) >= 3 and rows[2].status == "running":
                break
            assert proc.poll() is None, "the tune ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the tune never reached its third trial")
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and its run, as a crash would
    finally:
        proc.wait()
    before = ledger.read()
    assert [r.status for r in before] == ["ok", "ok", "running"]

    result = run_tune(toy, TuneSpec(params=("x=float:-1:1",), fixed=("sleep=0.5", "steps=2")),
                      trials=5, echo=False)
    assert result.tune_id == "tune-001"  # the same command continued the same tune
    after = ledger.read()
    assert after[:2] == before[:2]  # finished trials are neither rerun nor rewritten
    assert after[2].status == "interrupted"
    states = [r["state"] for r in result.rows]
    # The budget counts finished trials: two before the kill, three now.
    assert states == ["complete", "complete", "interrupted"] + ["complete"] * 3
    # The interrupted trial's settings are tried again, first.
    assert result.rows[3]["x"] == result.rows[2]["x"]
    assert len(after) == 6 and result.ran == 3


def test_a_run_that_finished_before_the_launcher_died_is_adopted(toy: Experiment) -> None:
    import optuna
    from optuna.storages.journal import JournalFileBackend

    spec = TuneSpec(params=("x=float:-1:1",))
    run_tune(toy, spec, trials=1, echo=False)
    # A launcher that ran a trial and died before telling Optuna its value:
    storage = optuna.storages.JournalStorage(
        JournalFileBackend(str(toy.data / "tunes" / "tune-001.journal")))
    study = optuna.load_study(study_name="tune-001", storage=storage)
    trial = study.ask()
    x = trial.suggest_float("x", -1, 1)
    record = run_experiment(toy, {"x": x}, sweep_id="tune-001", echo=False)
    result = run_tune(toy, spec, trials=2, echo=False)
    assert result.ran == 0 and len(Ledger(toy.ledger).read()) == 2
    assert result.rows[1]["run_id"] == record.run_id
    assert result.rows[1]["value"] == pytest.approx(record.headline_value)


@pytest.mark.slow
def test_pruning_stops_trials_whose_curve_falls_behind(toy: Experiment,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "WATCH_SECONDS", 0.1)
    # 36 steps of 0.1 s: room for the 0.1 s watch to stop a trial on a loaded machine.
    spec = TuneSpec(params=("x=float:0:1",), fixed=("sleep=0.1", "steps=36"),
                    sampler="random", seed=0, startup_trials=2, prune=True,
                    curve="curve.csv:value")
    result = run_tune(toy, spec, trials=8, echo=False)
    pruned = [r for r in result.rows if r["state"] == "pruned"]
    assert pruned, [(r["x"], r["state"]) for r in result.rows]
    for r in pruned:
        assert r["status"] == "pruned"
        assert "pruner" in Ledger(toy.ledger).get(r["run_id"]).error
        curve = pd.read_csv(toy.runs_dir / r["run_id"] / "curve.csv")
        assert len(curve) < 36  # stopped before the end
    complete = [float(r["x"]) for r in result.rows if r["state"] == "complete"]
    assert max(complete) > max(float(r["x"]) for r in pruned)


def test_a_second_launcher_cannot_run_the_same_tune(toy: Experiment) -> None:
    from rocks.lab.tune import _Lock

    run_tune(toy, TuneSpec(params=("x=float:0:1",)), trials=1, echo=False)
    journal = toy.data / "tunes" / "tune-001.journal"
    with _Lock(journal, "tune-001"), \
            pytest.raises(LabError, match="tune-001 is running in another process"):
        run_tune(toy, TuneSpec(params=("x=float:0:1",)), trials=2, echo=False)
    assert run_tune(toy, TuneSpec(params=("x=float:0:1",)), trials=2, echo=False).ran == 1
    assert sorted(p.suffix for p in journal.parent.iterdir()) == [".csv", ".journal", ".json"]


def test_another_space_or_fresh_is_another_tune(toy: Experiment) -> None:
    a = run_tune(toy, TuneSpec(params=("x=float:0:1",)), trials=1, echo=False)
    b = run_tune(toy, TuneSpec(params=("x=float:0:1",), direction="min"), trials=1,
                 echo=False)
    c = run_tune(toy, TuneSpec(params=("x=float:0:1",)), trials=1, fresh=True, echo=False)
    d = run_tune(toy, TuneSpec(params=("x=float:0:1",)), trials=2, echo=False)
    assert [a.tune_id, b.tune_id, c.tune_id, d.tune_id] == ["tune-001", "tune-002", "tune-003",
                                                           "tune-003"]
    assert d.ran == 1  # the latest tune of that space continued to its new budget
    stored = json.loads((toy.data / "tunes" / "tune-003.json").read_text())
    assert tune_command(toy.name, stored).endswith("--direction max --trials 2")


@pytest.mark.parametrize(("spec", "message"), [
    ("x", "name=log"),
    ("x=lin:0:1", "name=log"),
    ("y=float:0:1", "no field 'y'"),
    ("x=float:1:0", "LO < HI"),
    ("lr=log:0:1", "LO > 0"),
    ("x=float:a:b", "two numbers"),
    ("kind=float:0:1", "not a number"),
    ("steps=float:0:9", "is an int"),
    ("steps=int:0.5:3", "integer bounds"),
    ("sleep=cat:fast,slow", "not a valid float"),
])
def test_bad_spaces_are_clear_errors(toy: Experiment, spec: str, message: str) -> None:
    with pytest.raises(LabError, match=message):
        parse_param(spec, config_fields(toy.run_py))


def test_every_setting_is_checked_before_the_first_trial(toy: Experiment) -> None:
    with pytest.raises(LabError, match="both"):
        run_tune(toy, TuneSpec(params=("x=float:0:1",), fixed=("x=1",)), trials=2, echo=False)
    with pytest.raises(LabError, match="--curve"):
        run_tune(toy, TuneSpec(params=("x=float:0:1",), prune=True), trials=2, echo=False)
    with pytest.raises(LabError, match="--trials"):
        run_tune(toy, TuneSpec(params=("x=float:0:1",)), trials=0, echo=False)
    assert not toy.ledger.exists()


def test_an_int_log_range_samples_integers(toy: Experiment) -> None:
    p = parse_param("steps=log:1:64", config_fields(toy.run_py))
    assert p.integer
    result = run_tune(toy, TuneSpec(params=("steps=log:1:64",), sampler="random"), trials=3,
                      echo=False)
    assert all(float(r["steps"]).is_integer() for r in result.rows)
    assert not any(math.isnan(r["value"]) for r in result.rows)


def test_the_gaussian_process_sampler_runs(toy: Experiment) -> None:
    spec = TuneSpec(params=("x=float:-1:1", "kind=cat:a,b"), sampler="gp", startup_trials=2)
    result = run_tune(toy, spec, trials=4, echo=False)
    assert [r["state"] for r in result.rows] == ["complete"] * 4
