"""The figure helper and collecting a CSV across an experiment's runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from rocks.lab.figures import new_figure, save_figure
from rocks.lab.folders import Experiment, LabError
from rocks.lab.ledger import Ledger, RunRecord, collect


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
    for run_id in ("run-001", "run-002", "run-003"):
        d = tiny.runs_dir / run_id
        d.mkdir(parents=True)
        (d / "values.csv").write_text("i\n0\n")
    Ledger(tiny.ledger).add(RunRecord("run-001", status="ok"))
    Ledger(tiny.ledger).add(RunRecord("run-002", status="failed"))
    assert collect(tiny, "values.csv")["run_id"].tolist() == ["run-001", "run-003"]
    assert len(collect(tiny, "values.csv", only_ok=False)) == 3
