"""Specification of the play commands' parsers (rocks.play.cli): each is its config dataclass."""

from __future__ import annotations

import argparse

import pytest

from rocks.configcli import config_flags, config_from_args
from rocks.play.cli import ArenaOptions, arena_main, arena_parser, gtp_parser, play_parser
from rocks.play.gtp.command import GtpConfig
from rocks.play.web.server import WebConfig


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """What the parser accepts, besides --help (argparse keeps its arguments in _actions)."""
    names: set[str] = set()
    for action in parser._actions:
        if not isinstance(action, argparse._HelpAction):
            names.update(action.option_strings or [action.dest])
    return names


@pytest.mark.parametrize("parser, config", [
    (gtp_parser, GtpConfig), (play_parser, WebConfig), (arena_parser, ArenaOptions)])
def test_the_flags_are_the_config_fields(parser, config):
    assert option_strings(parser()) == config_flags(config)


def test_no_flag_means_the_fields_default():
    assert config_from_args(GtpConfig, gtp_parser().parse_args([])) == GtpConfig()
    assert config_from_args(WebConfig, play_parser().parse_args([])) == WebConfig()
    assert config_from_args(ArenaOptions, arena_parser().parse_args(["--out", "x"])) == \
        ArenaOptions(out="x")


def test_documented_spellings_still_parse():
    web = config_from_args(WebConfig, play_parser().parse_args(["--no-browser"]))
    assert web.open_browser is False
    opts = config_from_args(ArenaOptions, arena_parser().parse_args(
        ["--engine", "gnugo:10", "--engine", "rocks:random", "--out", "a", "--time", "60,10,5"]))
    assert opts.engine == ("gnugo:10", "rocks:random") and opts.clock() == (60.0, 10.0, 5)


@pytest.mark.parametrize("argv", [["--out", "a", "--time", "60,10"],
                                  ["--out", "a", "--time", "60,10,2.5"], []])
def test_bad_arena_options_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        arena_main(argv)
    assert exc.value.code == 2
