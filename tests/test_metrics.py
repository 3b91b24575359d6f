"""The one CSV writer: rows on disk at once, resumable, torn rows cut, whole tables atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from rocks.metrics import MetricsError, MetricsLogger, read_rows, write_table


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
        with pytest.raises(MetricsError, match="not in the header"):
            log.log(step=2, acc=0.5)
        assert log.read()["loss"].isna().tolist() == [False, True]


def test_resuming_with_other_columns_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    with MetricsLogger(path) as log:
        log.log(step=0, loss=1.0)
    with pytest.raises(MetricsError, match="has columns"):
        MetricsLogger(path, columns=["step", "acc"])


def test_numpy_scalars_are_written_as_plain_numbers(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    with MetricsLogger(tmp_path / "m.csv") as log:
        log.log(a=np.float32(0.5), b=np.int64(3), c=np.bool_(True))
    assert (tmp_path / "m.csv").read_text().splitlines()[1] == "0.5,3,True"


def test_a_resumed_run_drops_the_rows_logged_after_its_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    with MetricsLogger(path) as log:
        for step in range(5):
            log.log(step=step, loss=1.0 / (step + 1))
    # The run crashed after step 4 but its last checkpoint is step 2: steps 3 and 4 are redone.
    with MetricsLogger(path) as log:
        assert log.drop_after("step", 2) == 2
        assert len(log) == 3
        log.log(step=3, loss=0.2)
    assert pd.read_csv(path)["step"].tolist() == [0, 1, 2, 3]
    with MetricsLogger(path) as log, pytest.raises(MetricsError, match="no column"):
        log.drop_after("epoch", 0)


def test_write_table_replaces_the_whole_file_with_the_union_of_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_table(path, [{"a": 1, "b": None}, {"a": 2, "c": "x,y"}])
    assert read_rows(path) == [{"a": "1", "b": "", "c": ""}, {"a": "2", "b": "", "c": "x,y"}]
    write_table(path, [{"a": 3}], columns=["a", "b"])  # a rewrite, not an append
    assert path.read_text() == "a,b\n3,\n"
    assert os.listdir(tmp_path) == ["t.csv"]  # no temporary file left behind
    with pytest.raises(MetricsError, match="not in the header"):
        write_table(path, [{"a": 1, "z": 2}], columns=["a"])
    assert path.read_text() == "a,b\n3,\n"  # a refused table leaves the old one


def test_read_rows_leaves_out_a_torn_row_and_an_absent_file_has_none(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    assert read_rows(path) == []
    path.write_text("a,b\n1,2\n3,")
    assert read_rows(path) == [{"a": "1", "b": "2"}]
