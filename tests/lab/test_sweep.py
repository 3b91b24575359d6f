"""``rocks lab sweep``: a grid of trials, each a ledger row, with a table and a figure."""

from __future__ import annotations

import pandas as pd
import pytest

from rocks.lab.folders import Experiment, LabError
from rocks.lab.ledger import Ledger
from rocks.lab.sweep import grid, parse_params, run_sweep


def test_params_parse_into_value_lists() -> None:
    assert parse_params(["n=1,2, 3", "sizes=5,7;9"]) == {"n": ["1", "2", "3"],
                                                         "sizes": ["5,7", "9"]}


@pytest.mark.parametrize(("specs", "message"), [
    ([], "at least one"),
    (["n"], "name=v1,v2"),
    (["n="], "no values"),
    (["n=1", "n=2"], "twice"),
])
def test_bad_params_are_clear_errors(specs: list[str], message: str) -> None:
    with pytest.raises(LabError, match=message):
        parse_params(specs)


def test_the_grid_varies_the_last_parameter_fastest() -> None:
    assert grid({"a": ["1", "2"], "b": ["x", "y"]}) == [
        {"a": "1", "b": "x"}, {"a": "1", "b": "y"}, {"a": "2", "b": "x"}, {"a": "2", "b": "y"}]


def test_a_sweep_runs_every_trial_and_writes_a_table_and_a_figure(tiny: Experiment) -> None:
    result = run_sweep(tiny, {"x": ["1", "2"], "n": ["2", "3"]}, ["sizes=9"], echo=False)
    assert result.sweep_id == "sweep-001"
    assert [r.status for r in result.trials] == ["ok"] * 4
    ledger = Ledger(tiny.ledger).read()
    assert [r.sweep_id for r in ledger] == ["sweep-001"] * 4
    assert [r.config_diff for r in ledger] == ["sizes=9 n=2", "sizes=9",
                                               "sizes=9 x=2.0 n=2", "sizes=9 x=2.0"]
    table = pd.read_csv(result.csv)
    assert table["headline_value"].tolist() == [1.0, 2.0, 2.0, 4.0]
    assert table["sizes"].tolist() == [9] * 4  # metrics from summary.json are columns too
    assert result.figure == tiny.figures / "sweep-001.png"
    assert result.figure.read_bytes()[:4] == b"\x89PNG"


def test_a_failed_trial_is_recorded_and_the_sweep_goes_on(tiny: Experiment) -> None:
    result = run_sweep(tiny, {"mode": ["fail", "ok"]}, echo=False)
    assert [r.status for r in result.trials] == ["failed", "ok"]
    assert pd.read_csv(result.csv)["status"].tolist() == ["failed", "ok"]
    again = run_sweep(tiny, {"mode": ["ok"]}, echo=False)
    assert again.sweep_id == "sweep-002"  # a new sweep never overwrites an old table


def test_every_value_is_checked_before_the_first_trial(tiny: Experiment) -> None:
    with pytest.raises(LabError, match="'x' is not a valid float"):
        run_sweep(tiny, {"n": ["1", "2"], "mode": ["ok"]}, ["n=1", "x=x"], echo=False)
    with pytest.raises(LabError, match="both"):
        run_sweep(tiny, {"n": ["1", "2"]}, ["n=1"], echo=False)
    with pytest.raises(LabError, match="'two' is not a valid int"):
        run_sweep(tiny, {"n": ["1", "two"]}, echo=False)
    assert not tiny.ledger.exists()
