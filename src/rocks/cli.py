"""The ``rocks`` command: a thin dispatcher to each area's own command-line module.

Each area owns its commands in ``rocks/<area>/cli.py`` as ``main(argv) -> int``, so areas can
change their options without touching each other; imports are lazy so ``rocks gtp`` starts fast.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "play": ("rocks.play.cli:play_main", "play Go in the browser against the bundled model"),
    "gtp": ("rocks.play.cli:gtp_main", "speak GTP v2 on stdin/stdout (for Sabaki, GoGui, Lizzie)"),
    "arena": ("rocks.play.cli:arena_main", "matches between GTP engines, Elo ratings"),
    "nets": ("rocks.nets.cli:main", "create, inspect and tune policy/value networks"),
    "data": ("rocks.train.cli:data_main", "game records -> training shards; teacher games"),
    "train": ("rocks.train.cli:train_main", "supervised and self-play training"),
    "reason": ("rocks.reason.cli:main", "R1-Zero: tasks, pretraining, GRPO, evaluation"),
    "lab": ("rocks.lab.cli:main", "experiment folders, runs, ledger, sweeps"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: rocks <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
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
    module_name, func_name = COMMANDS[name][0].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("rocks"):
            print(f"rocks {name}: not built yet ({exc.name})", file=sys.stderr)
            return 2
        raise
    return int(getattr(module, func_name)(argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
