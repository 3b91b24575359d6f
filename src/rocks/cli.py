"""The ``rocks`` command: a thin dispatcher to each area's own command-line module.

Each area owns its commands in ``rocks/<area>/cli.py``: ``main(argv) -> int`` runs a command,
and a parser function returns its ``argparse`` parser without running anything (built from the
command's config dataclass, :mod:`rocks.configcli`), so tests can check every documented
command line against the real parser (tests/test_documented_commands.py).  Areas change their
options without touching each other; imports are lazy so ``rocks gtp`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One ``rocks <name>`` command: where it runs, where its parser is built, what it does."""

    main: str  # "module:function", function(argv: list[str]) -> int
    parser: str  # "module:function", function() -> argparse.ArgumentParser
    help: str


COMMANDS: dict[str, Command] = {
    "play": Command("rocks.play.cli:play_main", "rocks.play.cli:play_parser",
                    "play Go in the browser against the bundled model"),
    "gtp": Command("rocks.play.cli:gtp_main", "rocks.play.cli:gtp_parser",
                   "speak GTP v2 on stdin/stdout (for Sabaki, GoGui, Lizzie)"),
    "arena": Command("rocks.play.cli:arena_main", "rocks.play.cli:arena_parser",
                     "matches between GTP engines, Elo ratings"),
    "analysis": Command("rocks.play.cli:analysis_main", "rocks.play.cli:analysis_parser",
                        "KataGo's JSON analysis protocol on stdin/stdout (for KaTrain)"),
    "review": Command("rocks.play.cli:review_main", "rocks.play.cli:review_parser",
                      "review a game: annotated SGF, biggest mistakes, win-rate graph"),
    "nets": Command("rocks.nets.cli:main", "rocks.nets.cli:build_parser",
                    "create, inspect and tune policy/value networks"),
    "data": Command("rocks.train.cli:data_main", "rocks.train.cli:data_parser",
                    "game records -> training shards; teacher games"),
    "train": Command("rocks.train.cli:train_main", "rocks.train.cli:train_parser",
                     "supervised and self-play training"),
    "reason": Command("rocks.reason.cli:main", "rocks.reason.cli:build_parser",
                      "R1-Zero: tasks, pretraining, GRPO, evaluation"),
    "lab": Command("rocks.lab.cli:main", "rocks.lab.cli:build_parser",
                   "experiment folders, runs, ledger, sweeps"),
}


def _resolve(target: str) -> object:
    module_name, func_name = target.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def build_parser(name: str) -> argparse.ArgumentParser:
    """The argument parser of ``rocks <name>``; KeyError for an unknown command, AttributeError
    while its module does not expose the parser function named in :data:`COMMANDS`."""
    return _resolve(COMMANDS[name].parser)()  # type: ignore[operator]


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: rocks <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {cmd.help}" for name, cmd in COMMANDS.items()]
    lines += ["", "rocks <command> --help shows a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] == "--version":
        from rocks import __version__

        print(f"rocks {__version__}")
        return 0
    name = argv[0]
    if name not in COMMANDS:
        print(f"rocks: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    try:
        run = _resolve(COMMANDS[name].main)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("rocks"):
            print(f"rocks {name}: not built yet ({exc.name})", file=sys.stderr)
            return 2
        raise
    return int(run(argv[1:]) or 0)  # type: ignore[operator]


if __name__ == "__main__":
    raise SystemExit(main())
