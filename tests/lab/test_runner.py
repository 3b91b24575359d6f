"""``rocks lab run``: overrides, ledger rows, statuses, and never overwriting a run."""

from __future__ import annotations

import json
import math
import signal
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from rocks.lab.folders import Experiment, LabError
from rocks.lab.ledger import Ledger
from rocks.lab.runner import config_fields, parse_overrides, run_experiment


def fixed_clock(start: datetime):
    ticks = iter(range(1000))
    return lambda: start + timedelta(seconds=10 * next(ticks))


def test_config_fields_are_read_from_the_source_without_running_it(tiny: Experiment) -> None:
    fields = config_fields(tiny.run_py)
    assert list(fields) == ["x", "n", "mode", "sizes", "flag"]
    assert fields["sizes"].type == "tuple[int, ...]" and fields["sizes"].default == (5, 7)


def test_a_run_with_overrides_gets_a_ledger_row_and_its_own_folder(tiny: Experiment) -> None:
    clock = fixed_clock(datetime(2026, 11, 25, 21, 30, tzinfo=UTC))
    r = run_experiment(tiny, ["x=2.5", "n=4", "sizes=9,13", "flag=true", "mode=ok"],
                       clock=clock, echo=False)
    assert (r.run_id, r.status, r.error) == ("run-001", "ok", "")
    assert (r.start, r.end, r.seconds) == ("2026-11-25T21:30:00+00:00",
                                           "2026-11-25T21:30:10+00:00", 10.0)
    # The diff names only the fields that differ from run.py's defaults.
    assert r.config_diff == "x=2.5 n=4 sizes=9,13 flag=true"
    assert (r.headline_name, r.headline_value) == ("y_last", 7.5)
    assert r.command == "python run.py --x 2.5 --n 4 --sizes 9,13 --flag --mode ok"
    run_dir = tiny.runs_dir / "run-001"
    config = json.loads((run_dir / "config.json").read_text())["config"]
    assert config == {"x": 2.5, "n": 4, "mode": "ok", "sizes": [9, 13], "flag": True}
    assert pd.read_csv(run_dir / "values.csv")["y"].tolist() == [0.0, 2.5, 5.0, 7.5]
    assert Ledger(tiny.ledger).read() == [r]


def test_a_second_run_never_overwrites_the_first(tiny: Experiment) -> None:
    first = run_experiment(tiny, ["n=2"], echo=False)
    before = (tiny.runs_dir / "run-001" / "values.csv").read_text()
    second = run_experiment(tiny, ["n=5"], echo=False)
    assert (first.run_id, second.run_id) == ("run-001", "run-002")
    assert (tiny.runs_dir / "run-001" / "values.csv").read_text() == before
    assert [r.run_id for r in Ledger(tiny.ledger).read()] == ["run-001", "run-002"]


def test_a_failing_run_is_recorded_with_its_error(tiny: Experiment) -> None:
    r = run_experiment(tiny, {"mode": "fail"}, echo=False)
    assert r.status == "failed"
    assert r.error.startswith("exit 1: RuntimeError: the experiment broke on purpose")
    log = (tiny.runs_dir / r.run_id / "log.txt").read_text()
    assert "Traceback" in log and "broke on purpose" in log
    assert math.isnan(r.headline_value)
    assert Ledger(tiny.ledger).get(r.run_id).status == "failed"


def test_an_interrupted_run_is_recorded_as_interrupted(tiny: Experiment) -> None:
    r = run_experiment(tiny, ["mode=interrupt"], echo=False)
    assert r.status == "interrupted"
    # The rows logged before the interruption are kept.
    assert (tiny.runs_dir / r.run_id / "values.csv").read_text().count("\n") == 4


def test_a_run_past_its_timeout_is_stopped_and_recorded_as_interrupted(tiny: Experiment) -> None:
    r = run_experiment(tiny, ["mode=sleep"], echo=False, timeout=3)
    assert (r.status, r.error) == ("interrupted", "timed out or interrupted")
    assert r.seconds < 30  # the sleeping child was stopped, not waited for


def test_a_run_without_summary_is_ok_with_no_headline(tiny: Experiment) -> None:
    r = run_experiment(tiny, ["mode=nosummary"], echo=False)
    assert r.status == "ok" and r.headline_name == "" and math.isnan(r.headline_value)


@pytest.mark.parametrize(("override", "message"), [
    ("nn=3", r"no field 'nn' \(did you mean 'n'\?\)"),
    ("n=three", "n: 'three' is not a valid int"),
    ("n", "write key=value"),
    ("=3", "write key=value"),
])
def test_bad_overrides_are_clear_errors_that_create_nothing(tiny: Experiment, override: str,
                                                           message: str) -> None:
    with pytest.raises(LabError, match=message):
        run_experiment(tiny, [override], echo=False)
    assert not tiny.runs_dir.exists() and not tiny.ledger.exists()


def test_dashes_in_keys_mean_underscores(tiny: Experiment) -> None:
    fields = config_fields(tiny.run_py)
    assert parse_overrides(["mode=ok"], fields) == {"mode": "ok"}
    with pytest.raises(LabError, match="no field"):
        parse_overrides(["mo-de=ok"], fields)


def test_a_run_py_without_config_is_refused(tiny: Experiment) -> None:
    tiny.run_py.write_text("print('no config')\n")
    with pytest.raises(LabError, match="no top-level `class Config`"):
        run_experiment(tiny, [], echo=False)


def test_resume_reopens_the_run_with_its_recorded_config(tiny: Experiment) -> None:
    first = run_experiment(tiny, ["x=2", "n=2"], echo=False)
    again = run_experiment(tiny, ["n=4"], echo=False, resume=first.run_id)
    assert again.run_id == "run-001" and again.status == "ok"
    assert again.config_diff == "x=2.0 n=4"  # x from the recorded config, n from --set
    assert again.seconds >= first.seconds
    assert [r.run_id for r in Ledger(tiny.ledger).read()] == ["run-001"]
    run_dir = tiny.runs_dir / "run-001"
    # The same CSV continues (the tiny script does not skip done rows; a real one would).
    assert pd.read_csv(run_dir / "values.csv")["i"].tolist() == [0, 1, 0, 1, 2, 3]
    assert "=== resumed" in (run_dir / "log.txt").read_text()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["config"]["n"] == 4
    assert config["earlier_starts"][0]["config"]["n"] == 2
    with pytest.raises(LabError, match="no run run-009"):
        run_experiment(tiny, [], echo=False, resume="run-009")


def test_a_launcher_that_ignores_ctrl_c_still_lets_its_run_take_it(tiny: Experiment) -> None:
    # `nohup rocks lab run ... &` starts the launcher with SIGINT ignored; its child must not be.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        r = run_experiment(tiny, ["mode=interrupt"], echo=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert r.status == "interrupted"
