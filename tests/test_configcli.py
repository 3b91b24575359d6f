"""A config dataclass is the command line: flags from fields, values typed, help from docs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from rocks.configcli import (
    ConfigError,
    add_config_arguments,
    config_flags,
    config_from_args,
    field_help,
    format_value,
    parse_value,
    to_argv,
)


@dataclass(frozen=True)
class Search:
    """How to search.

    Attributes:
        visits: simulations per move.
        c_puct, fpu: exploration constants
            (AlphaGo Zero notation).
    """

    visits: int = 64
    c_puct: float = 1.5
    fpu: float = 0.25


@dataclass(frozen=True)
class Job:
    """A job.

    Attributes:
        out_dir: where results go.
        search: the search (nested).
    """

    sources: tuple[str, ...] = field(default=(), metadata={"positional": True})
    out_dir: str = field(default="runs/x", metadata={"flag": "--out"})
    batch_size: int = 32  # examples per step
    lr: float = 1e-3
    bf16: bool = True
    init: str | None = None
    mode: Literal["fast", "slow"] = "fast"
    levels: tuple[int, ...] = (1, 4)
    model: Path = Path("models/x")
    search: Search = field(default_factory=lambda: Search(visits=8))

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be positive")


def parse(cls: type, argv: list[str], **kwargs) -> object:
    parser = argparse.ArgumentParser(prog="job", exit_on_error=False)
    add_config_arguments(parser, cls, **kwargs)
    return config_from_args(cls, parser.parse_args(argv), prefix=kwargs.get("prefix", ""))


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """What the parser accepts, besides --help (argparse keeps its arguments in _actions)."""
    names: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        names.update(action.option_strings or [action.dest])
    return names


def test_every_field_is_an_option_and_untouched_fields_keep_their_defaults() -> None:
    assert parse(Job, ["a.sgf"]) == Job(sources=("a.sgf",))
    cfg = parse(Job, ["a", "b", "--batch-size", "1_024", "--lr", "3e-4", "--no-bf16",
                      "--init", "ckpt", "--mode", "slow", "--levels", "1,5,10",
                      "--model", "m.pt", "--out", "o"])
    assert cfg == Job(sources=("a", "b"), out_dir="o", batch_size=1024, lr=3e-4, bf16=False,
                      init="ckpt", mode="slow", levels=(1, 5, 10), model=Path("m.pt"))
    assert parse(Job, ["a", "--init", "none", "--levels", ""]) == Job(sources=("a",),
                                                                       levels=())


def test_nested_configs_are_dotted_options_over_the_parents_default() -> None:
    cfg = parse(Job, ["a", "--search.c-puct", "2.5"])
    assert cfg.search == Search(visits=8, c_puct=2.5)  # visits=8 is Job's default, not Search's
    assert parse(Job, ["a"]).search == Search(visits=8)


def test_the_fields_own_spelling_is_accepted_but_not_listed() -> None:
    assert parse(Job, ["a", "--batch_size", "8", "--search.c_puct", "2"]) == \
        Job(sources=("a",), batch_size=8, search=Search(visits=8, c_puct=2.0))
    parser = argparse.ArgumentParser()
    add_config_arguments(parser, Job)
    assert "--batch-size" in parser.format_help() and "--batch_size" not in parser.format_help()


def test_the_parser_has_exactly_the_flags_of_the_fields() -> None:
    parser = argparse.ArgumentParser()
    add_config_arguments(parser, Job)
    expected = {"sources", "--out-dir", "--out", "--batch-size", "--lr", "--bf16", "--no-bf16",
                "--init", "--mode", "--levels", "--model", "--search.visits",
                "--search.c-puct", "--search.fpu",
                "--out_dir", "--batch_size", "--search.c_puct"}  # the fields' own spelling
    assert config_flags(Job) == expected == option_strings(parser)
    assert "--lr" not in config_flags(Job, exclude=["lr"])
    assert config_flags(Search, prefix="mcts.") == {"--mcts.visits", "--mcts.c-puct",
                                                    "--mcts.c_puct", "--mcts.fpu"}


def test_help_comes_from_the_docstring_or_the_comment_and_shows_the_default() -> None:
    helps = field_help(Search)
    assert helps["visits"] == "simulations per move."
    assert helps["fpu"] == helps["c_puct"] == "exploration constants (AlphaGo Zero notation)."
    assert field_help(Job)["batch_size"] == "examples per step"
    parser = argparse.ArgumentParser(prog="job")
    add_config_arguments(parser, Job)
    text = " ".join(parser.format_help().split())
    assert "examples per step (default: 32)" in text
    assert "exploration constants (AlphaGo Zero notation). (default: 2.5)" not in text
    assert "(default: 1.5)" in text and "--search.visits INT" in text
    assert "--bf16, --no-bf16" in text and "--mode {fast,slow}" in text


@pytest.mark.parametrize(("argv", "message"), [
    (["a", "--batch-size", "ten"], "argument --batch-size: 'ten' is not a valid int"),
    (["a", "--mode", "medium"], "argument --mode: 'medium' is not one of fast, slow"),
    (["a", "--levels", "1,x"], "argument --levels: 'x' is not a valid int"),
    (["a", "--bf16", "true"], "unrecognized arguments: true"),
    (["a", "--nope", "1"], "unrecognized arguments: --nope"),
    ([], "the following arguments are required: SOURCES"),
])
def test_bad_command_lines_are_argparse_errors_naming_the_flag(argv, message, capsys) -> None:
    parser = argparse.ArgumentParser(prog="job")
    add_config_arguments(parser, Job)
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_the_config_checks_its_own_values() -> None:
    with pytest.raises(ValueError, match="batch_size must be positive"):
        parse(Job, ["a", "--batch-size", "0"])


def test_types_the_command_line_cannot_set_are_refused_when_the_parser_is_built() -> None:
    @dataclass(frozen=True)
    class Bad:
        table: dict[str, int] | None = None

    with pytest.raises(ConfigError, match="Bad.table of type"):
        add_config_arguments(argparse.ArgumentParser(), Bad)


def test_a_repeatable_tuple_takes_one_item_per_flag() -> None:
    @dataclass(frozen=True)
    class Match:
        engine: tuple[str, ...] = field(default=("gnugo:1",), metadata={"repeat": True})

    assert parse(Match, []) == Match()
    assert parse(Match, ["--engine", "gnugo:10", "--engine", "rocks:a,b"]) == \
        Match(engine=("gnugo:10", "rocks:a,b"))

    @dataclass(frozen=True)
    class Bad:
        n: int = field(default=0, metadata={"repeat": True})

    with pytest.raises(ConfigError, match="only a tuple field can repeat"):
        add_config_arguments(argparse.ArgumentParser(), Bad)


def test_required_fields_are_required_options(capsys) -> None:
    @dataclass(frozen=True)
    class Needs:
        path: str = field(metadata={"positional": True})
        net: str

    assert parse(Needs, ["p", "--net", "b1c8"]) == Needs("p", "b1c8")
    with pytest.raises(SystemExit):
        parse(Needs, ["p"])
    assert "the following arguments are required: --net" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "annotation", "value"), [
    ("1_000", "int", 1000),
    ("3e-4", "float", 3e-4),
    ("true", "bool", True),
    ("off", "bool", False),
    ("none", "int | None", None),
    ("5,7,9", "tuple[int, ...]", (5, 7, 9)),
    ("a,b", "tuple[str, ...] | None", ("a", "b")),
    ("slow", 'Literal["fast", "slow"]', "slow"),
    ("x/y", "Path", Path("x/y")),
    ("7", int | None, 7),
])
def test_text_values_follow_the_annotation_even_as_source_text(text, annotation, value) -> None:
    assert parse_value(text, annotation) == value
    assert parse_value(format_value(value), annotation) == value


@pytest.mark.parametrize(("text", "annotation", "message"), [
    ("ten", "int", "steps: 'ten' is not a valid int"),
    ("maybe", "bool", "steps: 'maybe' is not a valid bool: use true or false"),
    ("1", "dict[str, int]", "cannot be set from the command line"),
    ("1", "os.system('true')", "cannot be set from the command line"),
])
def test_bad_text_values_name_the_field(text, annotation, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_value(text, annotation, "steps")


def test_to_argv_writes_what_the_parser_reads() -> None:
    values = {"batch_size": 8, "bf16": False, "levels": (1, 5), "init": None}
    argv = to_argv(values)
    assert argv == ["--batch-size", "8", "--no-bf16", "--levels", "1,5", "--init", "none"]
    assert parse(Job, ["a", *argv]) == Job(sources=("a",), batch_size=8, bf16=False,
                                            levels=(1, 5), init=None)
