"""``rocks reason``: each subcommand's flags are exactly its config dataclasses' fields, every
documented command line parses, and tasks/pretrain/train/eval run end to end for a few steps
(the CLI smoke test; sft, star and pipeline: test_pipeline.py; tot: test_tot.py)."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import os
import re
import shlex
from pathlib import Path

import pytest
import torch

from rocks.cli import main as rocks_main
from rocks.configcli import config_flags
from rocks.reason import cli
from rocks.reason.cli import EXCLUDED, ModelSource, SandboxChoice, TasksConfig, build_parser, main
from rocks.reason.evaluate import EvalConfig
from rocks.reason.expert_iteration import ExItConfig
from rocks.reason.grpo import GRPOConfig
from rocks.reason.harness import HarnessConfig
from rocks.reason.pipeline import PipelineConfig
from rocks.reason.pretrain import PretrainConfig
from rocks.reason.sft import SFTConfig
from rocks.reason.star import STaRConfig
from rocks.reason.tot import CompareConfig

ROOT = Path(__file__).resolve().parents[2]

# Each subcommand and the config classes its command line is made of (written out here, not
# read from the CLI module, so that a class dropped from a command is noticed).
CONFIGS: dict[str, tuple[type, ...]] = {
    "tasks": (TasksConfig,),
    "pretrain": (PretrainConfig,),
    "train": (GRPOConfig, ModelSource, SandboxChoice),
    "eval": (EvalConfig, SandboxChoice),
    "sft": (SFTConfig, ModelSource, SandboxChoice),
    "star": (STaRConfig, ModelSource, SandboxChoice),
    "tot": (CompareConfig, SandboxChoice),
    "pipeline": (PipelineConfig, SandboxChoice),
    "exit": (ExItConfig, ModelSource, SandboxChoice),
    "harness": (HarnessConfig, ModelSource, SandboxChoice),
}


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def parser_flags(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of ``parser`` except --help."""
    return {s for a in parser._actions if not isinstance(a, argparse._HelpAction)
            for s in a.option_strings}


def field_flags(name: str) -> set[str]:
    return set().union(*(config_flags(c, exclude=EXCLUDED.get(name, ())) for c in CONFIGS[name]))


def field_paths(cls: type, prefix: str = "") -> set[str]:
    paths = set()
    for f in dataclasses.fields(cls):
        paths.add(prefix + f.name)
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        if dataclasses.is_dataclass(default):
            paths |= field_paths(type(default), prefix + f.name + ".")
    return paths


def test_each_subcommand_has_exactly_its_config_fields_as_flags():
    parsers = subparsers(build_parser())
    assert set(parsers) == set(CONFIGS)
    for name, parser in parsers.items():
        flags, fields = parser_flags(parser), field_flags(name)
        assert flags == fields, (f"rocks reason {name}: flags without a field "
                                 f"{sorted(flags - fields)}, fields without a flag "
                                 f"{sorted(fields - flags)}")
    # An excluded field must exist (a typo would silently exclude nothing).
    for name, excluded in EXCLUDED.items():
        known = set().union(*(field_paths(c) for c in CONFIGS[name]))
        assert excluded <= known, sorted(excluded - known)


def test_the_comparison_sees_a_hand_written_flag():
    train = subparsers(build_parser())["train"]
    train.add_argument("--format-weight", type=float)
    assert parser_flags(train) - field_flags("train") == {"--format-weight"}


def documented_commands() -> list[str]:
    """Every ``rocks reason ...`` command line in the README, the model cards and cli's doc."""
    texts = [(ROOT / "README.md").read_text(), cli.__doc__ or ""]
    texts += [p.read_text() for p in sorted((ROOT / "models" / "reason").glob("*/README.md"))]
    names = "|".join(CONFIGS)
    commands = []
    for text in texts:
        text = text.replace("\\\n", " ")
        for line in re.findall(rf"rocks reason (?:{names})\b[^`#\n]*(?:\n--[^`#\n]*)*", text):
            line = re.sub(r"\[[^\]]*\]", "", line)  # optional parts of a usage pattern
            commands.append(" ".join(line.split()))
    return commands


def test_every_documented_command_parses():
    commands = documented_commands()
    assert len(commands) >= 12
    for command in commands:
        argv = shlex.split(command)[2:]
        args = build_parser().parse_args(argv)  # exits (fails the test) on an unknown flag
        for cls in CONFIGS[args.command]:
            cli.config_from_args(cls, args)


def test_help_and_unknown_subcommand(capsys):
    assert main([]) == 0
    assert "pretrain" in capsys.readouterr().out
    assert main(["fly"]) == 2
    assert "unknown subcommand" in capsys.readouterr().err


def test_a_config_check_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--group-size", "1"])
    assert exit_.value.code == 2
    assert "group_size G must be >= 2" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["eval", "train", "pipeline"])
def test_the_sandbox_opt_in_is_a_flag_passed_down_as_configuration(name, monkeypatch):
    seen = []
    command = cli.SUBCOMMANDS[name]
    monkeypatch.setitem(cli.SUBCOMMANDS, name, cli.Subcommand(
        command.configs, lambda *configs: seen.append(configs) or 0, command.help))
    environ = dict(os.environ)
    assert main([name]) == 0 and main([name, "--unsafe-no-bubblewrap"]) == 0
    assert dict(os.environ) == environ  # no process-wide switch
    (plain,), (opted,) = seen[0][:1], seen[1][:1]
    assert not any(isinstance(c, SandboxChoice) for c in seen[0] + seen[1])
    paths = [p for p in (["reward"] if name != "pipeline" else
                         ["stage1.reward", "stage2.reward", "stage3.reward"])]
    for path in paths:
        get = lambda cfg, path=path: functools.reduce(getattr, path.split("."), cfg)  # noqa: E731
        assert get(plain).allow_weak_sandbox is False
        assert get(opted).allow_weak_sandbox is True
        assert dataclasses.replace(get(opted), allow_weak_sandbox=False) == get(plain)


def test_tasks_prints_prompts_and_answers(capsys):
    assert rocks_main(["reason", "tasks", "--family", "arithmetic", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("answer:") == 2 and "What is" in out
    assert main(["tasks", "--family", "nonsense"]) == 2
    assert "unknown task family" in capsys.readouterr().err


def test_pretrain_train_eval_round_trip(tmp_path, capsys):
    base, run, ev = tmp_path / "base", tmp_path / "run", tmp_path / "eval"
    assert main(["pretrain", "--steps", "2", "--batch-size", "4", "--out", str(base)]) == 0
    assert (base / "config.json").exists()
    assert main(["pretrain", "--steps", "1", "--batch-size", "4", "--init", str(base),
                 "--out", str(base)]) == 0  # a further stage, in place
    assert main(["train", "--base", str(base), "--steps", "1", "--prompts-per-step", "2",
                 "--group-size", "2", "--max-new-tokens", "8", "--eval-tasks", "2",
                 "--eval-every", "1", "--reward.format", "0.5", "--out", str(run)]) == 0
    rows = list(csv.DictReader((run / "log.csv").open()))
    assert len(rows) == 1 and float(rows[0]["response_tokens"]) <= 8
    saved = json.loads((run / "config.json").read_text())
    assert saved["group_size"] == 2 and saved["reward"]["format"] == 0.5
    torch.set_num_threads(2)  # the eval must set its own thread count back to one
    assert main(["eval", "--model", str(run / "checkpoint"), "--tasks", "3", "--samples", "2",
                 "--max-new-tokens", "8", "--out", str(ev)]) == 0
    summary = json.loads((ev / "summary.json").read_text())
    assert summary["free"]["tasks"] == 3 and "forced_short" in summary
    # One torch thread unless asked: two threads on the shared 2-core VM ran 10-40x slower.
    assert summary["config"]["threads"] == 1 and torch.get_num_threads() == 1
    assert "pass@1" in capsys.readouterr().out


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    assert main(["eval", "--model", str(tmp_path / "nope")]) == 2
    assert "not a rocks LM checkpoint" in capsys.readouterr().err
