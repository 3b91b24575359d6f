"""Each command line is its config: a subcommand's flags are exactly its config fields' flags.

A field without a flag, or a flag without a field (other than the few listed extras, which do
not change what is computed), fails here.  Every subcommand of every ``rocks`` command must be
in CONFIGS or in OPERATIONS, so a new command cannot slip in with hand-written options.
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
    ("train", "supervised"): (("rocks.train.supervised:SupervisedConfig",),
                              frozenset({"--threads"})),
    ("train", "loop"): (("rocks.train.loop:LoopConfig",), frozenset({"--threads"})),
    ("nets", "init"): (("rocks.nets.cli:InitConfig",), frozenset()),
    ("nets", "info"): (("rocks.nets.cli:InfoConfig",), frozenset()),
    ("nets", "tune"): (("rocks.nets.cli:TuneConfig",), frozenset()),
}

# Commands whose areas are converting them to configcli today (issue 12): until their rows are
# in CONFIGS a missing row is an expected failure, not an error.  Remove a name when its rows
# are in.
PENDING = {"play", "gtp", "arena", "reason"}

# Subcommands that act on files rather than run a configured stage: no config to mirror.
# (An experiment's own Config is its run.py's command line: tests/lab/test_runfile.py.)
OPERATIONS = {("lab",), ("lab", "new"), ("lab", "run"), ("lab", "list"), ("lab", "show"),
              ("lab", "sweep")}


def parser_or_xfail(name: str) -> argparse.ArgumentParser:
    try:
        return build_parser(name)
    except (AttributeError, ImportError) as exc:
        pytest.xfail(f"rocks {name} does not expose {COMMANDS[name].parser} yet ({exc})")


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...]
           ) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every runnable (sub)command under ``parser`` (argparse keeps subparsers in _actions)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {path: parser}
    out: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    for name, sub in subs[0].choices.items():
        out.update(leaves(sub, (*path, name)))
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
    for path, parser in leaves(parser_or_xfail(name), (name,)).items():
        if path in OPERATIONS:
            continue
        if path not in CONFIGS and name in PENDING:
            pytest.xfail(f"rocks {' '.join(path)}: not in CONFIGS yet (being converted)")
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
    init = leaves(parser, ("nets",))[("nets", "init")]
    init.add_argument("--fp16", action="store_true")
    assert parser_flags(init) - expected_flags(CONFIGS[("nets", "init")][0]) == {"--fp16"}
