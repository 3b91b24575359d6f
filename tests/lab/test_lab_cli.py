"""The ``rocks lab`` command line: new, run, list, show, sweep, tune, next, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rocks.cli import main as rocks_main
from rocks.lab.cli import format_table, main
from rocks.lab.folders import Experiment


def test_new_prints_the_folder_and_a_clash_is_exit_2(root: Path, capsys) -> None:
    assert main(["--root", str(root), "new", "Random Go games", "--now",
                 "2026-11-25T21:30"]) == 0
    assert capsys.readouterr().out.startswith(str(root / "2026-11-25_21-30_random-go-games"))
    assert main(["--root", str(root), "new", "random go games", "--now",
                 "2026-11-25T21:30"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--root", str(root), "new", "???"]) == 2
    assert "no letters or digits" in capsys.readouterr().err
    assert main(["--root", str(root), "new", "x", "--now", "yesterday"]) == 2
    assert "--now 'yesterday'" in capsys.readouterr().err


def test_run_list_show_and_sweep(tiny: Experiment, root: Path, capsys) -> None:
    r = ["--root", str(root)]
    assert main([*r, "list"]) == 0
    assert "tiny-test" in capsys.readouterr().out and True
    assert main([*r, "run", "tiny", "--set", "x=3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "run-001: ok" in out and "y_last = 6" in out
    assert main([*r, "run", "tiny", "--set", "mode=fail", "--quiet"]) == 1
    assert "run-002: failed" in capsys.readouterr().out
    assert main([*r, "sweep", "tiny", "--param", "n=2,3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "sweep-001: 2 trials 2 ok" in out and "sweep-001.png" in out
    assert main([*r, "list"]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if "tiny-test" in ln][0]
    assert "3/4" in line and "ok" in line and "y_last=2" in line
    assert main([*r, "show", "tiny"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# tiny test") and "## Settled" in out
    assert "run-002" in out and "failed" in out and "x=3.0" in out
    assert "sweep-001: data/sweeps/sweep-001.csv, figure figures/sweep-001.png" in out


def test_tune_and_next(tiny: Experiment, root: Path, capsys) -> None:
    r = ["--root", str(root)]
    assert main([*r, "tune", "tiny", "--param", "x=float:0:3", "--param", "n=int:2:4",
                 "--trials", "3", "--sampler", "random", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "tune-001: 3/3 trials (3 run now): 3 complete" in out
    assert "best: y_last = " in out and "table:" in out and "tune-001.png" in out
    assert main([*r, "tune", "tiny", "--param", "x=float:0:3", "--param", "n=int:2:4",
                 "--trials", "3", "--sampler", "random", "--quiet"]) == 0
    assert "3/3 trials (0 run now)" in capsys.readouterr().out  # the same tune, already done
    assert main([*r, "show", "tiny"]) == 0
    assert "tune-001: data/tunes/tune-001.csv, figure figures/tune-001.png" in \
        capsys.readouterr().out
    tiny.report.write_text(tiny.report.read_text().replace(
        "The experiments this one suggests.", "- Try n=5 with x=1.0."))
    assert main([*r, "next", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "1. Try n=5 with x=1.0.  [untried]" in out
    assert f"rocks lab run {tiny.name} --set x=1.0 --set n=5" in out
    assert main([*r, "tune", "tiny", "--param", "x=linear:0:3"]) == 2
    assert "name=log" in capsys.readouterr().err


def test_errors_are_one_line_and_exit_2(tiny: Experiment, root: Path, capsys) -> None:
    r = ["--root", str(root)]
    assert main([*r, "run", "nothing-like-this"]) == 2
    assert "no experiment 'nothing-like-this'" in capsys.readouterr().err
    assert main([*r, "run", "tiny", "--set", "nope=1"]) == 2
    assert "Config has no field 'nope'" in capsys.readouterr().err
    assert main([*r, "sweep", "tiny"]) == 2
    assert "at least one --param" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*r, "frobnicate"])


def test_the_rocks_dispatcher_reaches_lab(root: Path, capsys) -> None:
    assert rocks_main(["lab", "--root", str(root), "list"]) == 0
    assert "no experiments" in capsys.readouterr().out


def test_tables_align_columns() -> None:
    assert format_table(["a", "bb"], [["xxx", 1]]).splitlines() == ["a    bb", "---  --",
                                                                     "xxx  1"]
