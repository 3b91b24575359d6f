"""The CSV metrics logger, the figure helper and collecting CSVs across runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rocks.lab.figures import new_figure, save_figure
from rocks.lab.folders import Experiment, LabError
from rocks.lab.metrics import MetricsLogger, collect


def test_rows_are_on_disk_as_soon_as_they_are_logged(tmp_path: Path) -> None:
    log = MetricsLogger(tmp_path / "m.csv")
    log.log(step=0, loss=1.5)
    log.log({"step": 1}, loss=0.75)
    # Not closed: a crash now must still leave both rows readable.
    df = pd.read_csv(tmp_path / "m.csv")
    assert df.to_dict("list") == {"step": [0, 1], "loss": [1.5, 0.75]}
    assert len(log) == 2
    log.close()


def test_reopening_appends_after_the_last_row(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    with MetricsLogger(path) as log:
        log.log(step=0, loss=2.0)
    with MetricsLogger(path) as log:
        assert log.last() == {"step": "0", "loss": "2.0"}
        assert len(log) == 1
        log.log(step=1, loss=1.0)
    assert pd.read_csv(path)["step"].tolist() == [0, 1]


def test_a_torn_last_row_is_dropped_on_resume(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("step,loss\n0,2.0\n1,1.")  # the process died mid-row
    with MetricsLogger(path) as log:
        assert log.last() == {"step": "0", "loss": "2.0"}
        log.log(step=1, loss=1.0)
    assert path.read_text() == "step,loss\n0,2.0\n1,1.0\n"


def test_missing_values_are_empty_and_unknown_columns_are_errors(tmp_path: Path) -> None:
    with MetricsLogger(tmp_path / "m.csv") as log:
        log.log(step=0, loss=1.0)
        log.log(step=1)
        with pytest.raises(LabError, match="not in the header"):
            log.log(step=2, acc=0.5)
        assert log.read()["loss"].isna().tolist() == [False, True]


def test_resuming_with_other_columns_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    with MetricsLogger(path) as log:
        log.log(step=0, loss=1.0)
    with pytest.raises(LabError, match="has columns"):
        MetricsLogger(path, columns=["step", "acc"])


def test_numpy_scalars_are_written_as_plain_numbers(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    with MetricsLogger(tmp_path / "m.csv") as log:
        log.log(a=np.float32(0.5), b=np.int64(3), c=np.bool_(True))
    assert (tmp_path / "m.csv").read_text().splitlines()[1] == "0.5,3,True"


def test_save_figure_writes_a_png_under_the_folder(tmp_path: Path) -> None:
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, "curve", tmp_path / "figures")
    assert path == tmp_path / "figures" / "curve.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    with pytest.raises(LabError, match="figure name"):
        save_figure(fig, "../escape", tmp_path)


def test_collect_joins_runs_with_their_config(tiny: Experiment) -> None:
    for run_id, x in (("run-001", 1.0), ("run-002", 2.0)):
        d = tiny.runs_dir / run_id
        d.mkdir(parents=True)
        (d / "config.json").write_text(f'{{"config": {{"x": {x}, "sizes": [5, 7]}}}}')
        (d / "values.csv").write_text(f"i,y\n0,0\n1,{x}\n")
    df = collect(tiny, "values.csv")
    assert df["run_id"].tolist() == ["run-001"] * 2 + ["run-002"] * 2
    assert df["x"].tolist() == [1.0, 1.0, 2.0, 2.0]
    assert df["sizes"].iloc[0] == "5,7"
    with pytest.raises(LabError, match="no run"):
        collect(tiny, "other.csv")


def test_collect_leaves_out_runs_the_ledger_says_failed(tiny: Experiment) -> None:
    from rocks.lab.ledger import Ledger, RunRecord

    for run_id in ("run-001", "run-002", "run-003"):
        d = tiny.runs_dir / run_id
        d.mkdir(parents=True)
        (d / "values.csv").write_text("i\n0\n")
    Ledger(tiny.ledger).add(RunRecord("run-001", status="ok"))
    Ledger(tiny.ledger).add(RunRecord("run-002", status="failed"))
    assert collect(tiny, "values.csv")["run_id"].tolist() == ["run-001", "run-003"]
    assert len(collect(tiny, "values.csv", only_ok=False)) == 3
