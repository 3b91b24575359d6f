"""`rocks data` and `rocks train` run from the command line for a few steps."""

from __future__ import annotations

from rocks.cli import main
from rocks.go.sgf import write_sgf


def test_import_then_supervised_from_the_command_line(tmp_path, make_game, capsys):
    src = tmp_path / "sgf"
    src.mkdir()
    for i, moves in enumerate([["E5", "C3", "pass", "pass"], ["D4", "F6", "E5", "pass", "pass"],
                               ["C7", "G3", "pass", "pass"]]):
        (src / f"g{i}.sgf").write_text(write_sgf(make_game(moves, result="B+9.5")))
    (src / "bad.sgf").write_text("(;SZ[9];B[zz")
    assert main(["data", "import", str(src), "--out", str(tmp_path / "shards"),
                 "--val-fraction", "0"]) == 0
    out = capsys.readouterr().out
    assert "kept 3 games" in out and "unreadable SGF" in out
    assert main(["train", "supervised", "--data", str(tmp_path / "shards"), "--out",
                 str(tmp_path / "run"), "--net", "b1c16", "--epochs", "1", "--batch-size", "4",
                 "--no-bf16"]) == 0
    assert (tmp_path / "run" / "checkpoints" / "latest.safetensors").exists()
    assert (tmp_path / "run" / "train.csv").exists()


def test_bad_options_are_clear_errors(tmp_path, capsys):
    assert main(["data", "teacher", "--out", str(tmp_path), "--levels", "1,12"]) == 2
    assert "levels must be in 0..10" in capsys.readouterr().err
    assert main(["train", "supervised", "--data", str(tmp_path / "none"), "--out",
                 str(tmp_path / "run")]) == 2
    assert "no readable training shards" in capsys.readouterr().err
