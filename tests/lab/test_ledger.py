"""The run ledger: rows added at start, completed at the end, atomic and safe under races."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pandas as pd
import pytest

from rocks.lab.folders import LabError
from rocks.lab.ledger import COLUMNS, Ledger, RunRecord


def test_a_row_is_added_then_completed(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "data" / "runs.csv")
    ledger.add(RunRecord("run-001", start="2026-11-25T21:30:00+00:00", commit="abc",
                         config_diff="seed=1", command="python run.py --seed 1"))
    assert ledger.get("run-001").status == "running"
    done = ledger.update("run-001", status="ok", end="2026-11-25T21:31:00+00:00",
                         seconds=60.0, headline_name="acc", headline_value=0.9)
    assert ledger.read() == [done]
    df = pd.read_csv(ledger.path)
    assert tuple(df.columns) == COLUMNS
    assert df.loc[0, "headline_value"] == 0.9 and df.loc[0, "status"] == "ok"


def test_missing_numbers_read_back_as_nan(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.csv")
    ledger.add(RunRecord("run-001"))
    r = ledger.read()[0]
    assert math.isnan(r.seconds) and math.isnan(r.headline_value)


def test_duplicate_ids_unknown_runs_and_bad_status_are_errors(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.csv")
    ledger.add(RunRecord("run-001"))
    with pytest.raises(LabError, match="already"):
        ledger.add(RunRecord("run-001"))
    with pytest.raises(LabError, match="not in"):
        ledger.update("run-009", status="ok")
    with pytest.raises(LabError, match="status"):
        ledger.update("run-001", status="great")
    assert [r.status for r in ledger.read()] == ["running"]


def test_concurrent_writers_lose_no_row(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.csv")

    def add(i: int) -> None:
        Ledger(ledger.path).add(RunRecord(f"run-{i:03d}"))
        Ledger(ledger.path).update(f"run-{i:03d}", status="ok")

    threads = [threading.Thread(target=add, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = ledger.read()
    assert sorted(r.run_id for r in records) == [f"run-{i:03d}" for i in range(16)]
    assert {r.status for r in records} == {"ok"}
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]  # no temporary files left
