"""Each command line is its config: a (sub)command's flags are exactly its config fields' flags.

A field without a flag, or a flag without a field (other than the few listed extras, which do
not change what is computed), fails here.  Every parser of every ``rocks`` command that has any
option must be in CONFIGS, so a new command cannot slip in with hand-written options.
"""

from __future__ import annotations

import argparse
import importlib

import pytest

from rocks.cli import COMMANDS, build_parser
from rocks.configcli import config_flags

# command path -> (config classes as "module:Class" or "module:Class@prefix.", extra flags)
CONFIGS: dict[tuple[str, ...], tuple[tuple[str, ...], frozenset[str]]] = {
    ("data", "teacher"): (("rocks.train.teacher:TeacherConfig",), frozenset()),
    ("data", "import"): (("rocks.train.records:ImportConfig",), frozenset()),
    ("data", "starts"): (("rocks.train.starts:MiningConfig",), frozenset()),
    ("data", "value-games"): (("rocks.train.valuegames:ValueDataConfig",),
                              frozenset({"--threads"})),
    ("train", "supervised"): (("rocks.train.supervised:SupervisedConfig",),
                              frozenset({"--threads"})),
    ("train", "loop"): (("rocks.train.loop:LoopConfig",), frozenset({"--threads"})),
    ("nets", "init"): (("rocks.nets.cli:InitConfig",), frozenset()),
    ("nets", "info"): (("rocks.nets.cli:InfoConfig",), frozenset()),
    ("nets", "tune"): (("rocks.nets.cli:TuneConfig",), frozenset()),
    ("lab",): (("rocks.lab.cli:LabConfig",), frozenset()),
    ("lab", "new"): (("rocks.lab.cli:NewConfig",), frozenset()),
    ("lab", "run"): (("rocks.lab.cli:RunConfig",), frozenset()),
    ("lab", "list"): (("rocks.lab.cli:ListConfig",), frozenset()),
    ("lab", "show"): (("rocks.lab.cli:ShowConfig",), frozenset()),
    ("lab", "sweep"): (("rocks.lab.cli:SweepConfig",), frozenset()),
    ("lab", "tune"): (("rocks.lab.cli:TuneConfig",), frozenset()),
    ("lab", "next"): (("rocks.lab.cli:NextConfig",), frozenset()),
    ("play",): (("rocks.play.web.server:WebConfig",), frozenset()),
    ("gtp",): (("rocks.play.gtp.command:GtpConfig",), frozenset()),
    ("arena",): (("rocks.play.cli:ArenaOptions",), frozenset()),
    ("analysis",): (("rocks.play.cli:AnalysisOptions",), frozenset()),
    ("review",): (("rocks.play.review:ReviewConfig",), frozenset()),
}

# Commands whose flags are compared with their configs by their own area's test, because some
# of their config fields are set by the command itself and have no flag: rocks reason
# (tests/reason/test_cli.py::test_each_subcommand_has_exactly_its_config_fields_as_flags, with
# rocks.reason.cli.EXCLUDED).
OWN_TEST = {"reason": "tests/reason/test_cli.py compares its flags with its configs"}


def parser_or_xfail(name: str) -> argparse.ArgumentParser:
    try:
        return build_parser(name)
    except (AttributeError, ImportError) as exc:
        pytest.xfail(f"rocks {name} does not expose {COMMANDS[name].parser} yet ({exc})")


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...]
            ) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """``parser`` and every subcommand's parser under it (argparse keeps them in _actions)."""
    out = {path: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.update(parsers(sub, (*path, name)))
    return out


def parser_flags(parser: argparse.ArgumentParser) -> set[str]:
    """Option strings of every option, and the name of every positional, besides --help."""
    names: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        names.update(action.option_strings or [action.dest])
    return names


def expected_flags(classes: tuple[str, ...]) -> set[str]:
    flags: set[str] = set()
    for spec in classes:
        target, _, prefix = spec.partition("@")
        module, name = target.split(":")
        flags |= config_flags(getattr(importlib.import_module(module), name), prefix=prefix)
    return flags


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_subcommand_is_generated_from_a_config(name: str) -> None:
    for path, parser in parsers(parser_or_xfail(name), (name,)).items():
        if path not in CONFIGS and not parser_flags(parser):
            continue  # "rocks data": only chooses a subcommand
        if path not in CONFIGS and name in OWN_TEST:
            continue
        assert path in CONFIGS, f"rocks {' '.join(path)}: add its config class to CONFIGS"
        classes, extras = CONFIGS[path]
        flags, fields = parser_flags(parser), expected_flags(classes)
        assert flags - extras == fields, (
            f"rocks {' '.join(path)}: flags without a field {sorted(flags - extras - fields)}, "
            f"fields without a flag {sorted(fields - flags)}")
        assert extras <= flags, f"rocks {' '.join(path)}: extras {sorted(extras - flags)} gone"


def test_the_comparison_sees_a_hand_written_flag() -> None:
    # The check above must be able to fail: a parser with one flag more than its config.
    parser = build_parser("nets")
    init = parsers(parser, ("nets",))[("nets", "init")]
    init.add_argument("--fp16", action="store_true")
    assert parser_flags(init) - expected_flags(CONFIGS[("nets", "init")][0]) == {"--fp16"}
