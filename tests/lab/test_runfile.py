"""What run.py sees: typed options from the Config, a fresh run folder, config.json."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from rocks.lab.folders import Experiment, LabError
from rocks.lab.runfile import git_commit, next_run_dir, parse_config, start_run


@dataclass(frozen=True)
class Config:
    lr: float = 0.1
    steps: int = 10
    name: str = "a"
    sizes: tuple[int, ...] = (9,)
    bf16: bool = False
    limit: int | None = None


def test_options_are_parsed_by_field_type() -> None:
    # The conversions themselves are rocks.configcli's (tests/test_configcli.py).
    cfg, args = parse_config(Config, ["--lr", "3e-4", "--steps", "1_000", "--sizes", "5,7,9",
                                      "--bf16", "--limit", "none", "--name", "b"])
    assert cfg == Config(lr=3e-4, steps=1000, name="b", sizes=(5, 7, 9), bf16=True, limit=None)
    assert args.out is None
    cfg, _ = parse_config(Config, ["--limit", "4"])
    assert cfg == Config(limit=4)


def test_unsupported_field_types_are_refused() -> None:
    @dataclass(frozen=True)
    class Bad:
        table: dict[str, int] | None = None

    with pytest.raises(LabError, match="cannot be set from the command line"):
        parse_config(Bad, [])


def test_run_ids_count_up_and_never_reuse_a_folder(tmp_path: Path) -> None:
    assert next_run_dir(tmp_path).name == "run-001"
    (tmp_path / "run-007").mkdir()
    assert next_run_dir(tmp_path).name == "run-008"


def test_start_run_records_config_commit_and_command(tiny: Experiment) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tiny.path, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q",
                    "--allow-empty", "-m", "init"], cwd=tiny.path, check=True)
    run = start_run(Config, tiny.run_py, ["--steps", "5"])
    assert run.run_id == "run-001" and run.dir == tiny.runs_dir.resolve() / "run-001"
    record = json.loads((run.dir / "config.json").read_text())
    assert record["config"]["steps"] == 5 and record["config"]["sizes"] == [9]
    assert record["command"].endswith("run.py --steps 5")
    assert len(record["commit"].removesuffix("+dirty")) == 12
    assert record["commit"].endswith("+dirty")  # run.py is not committed
    assert git_commit(tiny.path.parent) == "unknown"  # outside any git checkout
    assert not run.resumed
    again = start_run(Config, tiny.run_py, ["--out", str(run.dir), "--steps", "9"])
    assert again.resumed and again.run_id == "run-001"
    record = json.loads((run.dir / "config.json").read_text())
    assert [s["config"]["steps"] for s in record["earlier_starts"]] == [5]


def test_run_py_runs_on_its_own_with_options(root: Path) -> None:
    from rocks.lab.folders import new_experiment

    exp = new_experiment("standalone", root=root)
    out = subprocess.run([sys.executable, "run.py", "--batches", "2", "--samples", "500"],
                         cwd=exp.path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    run_dir = exp.runs_dir / "run-001"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["headline"]["name"] == "abs_error"
    assert summary["metrics"]["samples"] == 1000
    assert (exp.figures / "run-001" / "estimate.png").is_file()
    bad = subprocess.run([sys.executable, "run.py", "--batches", "two"], cwd=exp.path,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "--batches: 'two' is not a valid int" in bad.stderr
