"""``rocks reason``: every subcommand runs end to end for a few steps (the CLI smoke test)."""

from __future__ import annotations

import csv
import json

import torch

from rocks.cli import main as rocks_main
from rocks.reason.cli import main


def test_help_and_unknown_subcommand(capsys):
    assert main([]) == 0
    assert "pretrain" in capsys.readouterr().out
    assert main(["fly"]) == 2
    assert "unknown subcommand" in capsys.readouterr().err


def test_tasks_prints_prompts_and_answers(capsys):
    assert rocks_main(["reason", "tasks", "--family", "arithmetic", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("answer:") == 2 and "What is" in out


def test_pretrain_train_eval_round_trip(tmp_path, capsys):
    base, run, ev = tmp_path / "base", tmp_path / "run", tmp_path / "eval"
    assert main(["pretrain", "--steps", "2", "--batch-size", "4", "--out", str(base)]) == 0
    assert (base / "config.json").exists()
    assert main(["pretrain", "--steps", "1", "--batch-size", "4", "--init", str(base),
                 "--out", str(base)]) == 0  # a further stage, in place
    assert (
        main(
            [
                "train",
                "--base",
                str(base),
                "--steps",
                "1",
                "--prompts",
                "2",
                "-G",
                "2",
                "--max-new-tokens",
                "8",
                "--eval-tasks",
                "2",
                "--eval-every",
                "1",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert len(rows) == 1 and float(rows[0]["response_tokens"]) <= 8
    assert json.loads((run / "config.json").read_text())["group_size"] == 2
    torch.set_num_threads(2)  # the eval must set its own thread count back to one
    assert (
        main(
            [
                "eval",
                "--model",
                str(run / "checkpoint"),
                "--tasks",
                "3",
                "--samples",
                "2",
                "--max-new-tokens",
                "8",
                "--out",
                str(ev),
            ]
        )
        == 0
    )
    summary = json.loads((ev / "summary.json").read_text())
    assert summary["free"]["tasks"] == 3 and "forced_short" in summary
    # One torch thread unless asked: two threads on the shared 2-core VM ran 10-40x slower.
    assert summary["config"]["threads"] == 1 and torch.get_num_threads() == 1
    assert "pass@1" in capsys.readouterr().out


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", "--model", str(tmp_path / "nope")]) == 2
    assert "not a rocks LM checkpoint" in capsys.readouterr().err
