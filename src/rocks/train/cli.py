"""``rocks data`` (teacher games, SGF import into shards) and ``rocks train`` (supervised, loop).

Each subcommand's options are its stage's config dataclass (:mod:`rocks.configcli`: one flag per
field, help from the field's docstring): ``rocks data teacher`` is :class:`TeacherConfig`,
``rocks data import`` :class:`ImportConfig`, ``rocks data value-games``
:class:`ValueDataConfig`, ``rocks data starts`` :class:`MiningConfig`, ``rocks train supervised``
:class:`SupervisedConfig` and ``rocks train loop`` :class:`LoopConfig` (nested configs as
``--selfplay.full-visits``, ``--weights.value``).  The one option that is not a config field is
``--threads`` of the training commands: how many torch threads this machine should use, which
does not change what is computed.  Each subcommand saves its config as JSON next to its output
and runs the stage; every stage resumes from what it finds on disk.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rocks.atomic import write_json
from rocks.configcli import add_config_arguments, config_from_args

THREADS_HELP = "torch threads (1: on a shared machine two can be far slower) (default: 1)"


def _stage(sub: argparse._SubParsersAction, name: str, config: type, help_: str,
           run: Callable[[Any, argparse.Namespace], int],
           threads: bool = False) -> argparse.ArgumentParser:
    """A subcommand whose options are the fields of ``config``."""
    p = sub.add_parser(name, help=help_, description=f"{help_}.  Options: the fields of "
                       f"{config.__module__}.{config.__name__}.")
    add_config_arguments(p, config)
    if threads:
        p.add_argument("--threads", type=int, default=1, metavar="INT", help=THREADS_HELP)
    p.set_defaults(_config=config, _run=run)
    return p


def _main(parser: argparse.ArgumentParser, argv: list[str] | None,
          errors: tuple[type[Exception], ...]) -> int:
    args = parser.parse_args(argv)
    try:
        cfg = config_from_args(args._config, args)
        return int(args._run(cfg, args))
    except errors as exc:
        print(f"{parser.prog} {args.cmd}: {exc}", file=sys.stderr)
        return 2


# ------------------------------------------------------------------ rocks data
def _teacher(cfg: Any, args: argparse.Namespace) -> int:
    from rocks.train.teacher import generate

    name = "teacher_config.json" if cfg.workers == 1 else f"teacher_config_w{cfg.worker}.json"
    write_json(Path(cfg.out_dir) / name, dataclasses.asdict(cfg))
    played = generate(cfg)
    print(f"played {played} games into {cfg.out_dir}")
    return 0


def _import(cfg: Any, args: argparse.Namespace) -> int:
    from rocks.train.records import import_records

    write_json(Path(cfg.out_dir) / "import_config.json", dataclasses.asdict(cfg))
    report = import_records(cfg)
    print(report.summary())
    return 0 if report.files_read else 1


def _value_games(cfg: Any, args: argparse.Namespace) -> int:
    import torch

    from rocks.train.valuegames import write_value_data

    torch.set_num_threads(args.threads)
    stats = write_value_data(cfg)
    print(f"{stats['games']:.0f} games, {stats['examples']:.0f} positions in {cfg.out_dir} "
          f"(mean length {stats['mean_moves']:.1f} moves, Black won {stats['black_wins']:.1%})")
    return 0


def _starts(cfg: Any, args: argparse.Namespace) -> int:
    from rocks.train.starts import write_start_positions

    counts = write_start_positions(cfg)
    write_json(Path(cfg.out_dir) / "starts_config.json", dataclasses.asdict(cfg))
    print(f"{counts['files']} SGF files ({counts['unreadable']} unreadable, "
          f"{counts['other_size']} of another size), {counts['lost']} lost by "
          f"{cfg.player!r} -> {counts['positions']} start positions in {cfg.out_dir}")
    return 0 if counts["positions"] else 1


def data_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks data`` (without running anything)."""
    from rocks.train.records import ImportConfig
    from rocks.train.starts import MiningConfig
    from rocks.train.teacher import TeacherConfig
    from rocks.train.valuegames import ValueDataConfig

    parser = argparse.ArgumentParser(prog="rocks data", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    _stage(sub, "teacher", TeacherConfig,
           "generate teacher games between GNU Go levels (SGF)", _teacher)
    _stage(sub, "import", ImportConfig, "SGF files/folders -> npz training shards", _import)
    _stage(sub, "value-games", ValueDataConfig, "AlphaGo's value-network data: one position "
           "per game of policy play from a random move -> npz shards", _value_games,
           threads=True)
    _stage(sub, "starts", MiningConfig, "start positions for self-play (--start-positions): "
           "positions cut from the games a player lost", _starts)
    return parser


def data_main(argv: list[str] | None = None) -> int:
    from rocks.nets.checkpoint import CheckpointError

    return _main(data_parser(), argv, (ValueError, FileNotFoundError, CheckpointError))


# ------------------------------------------------------------------ rocks train
def _supervised(cfg: Any, args: argparse.Namespace) -> int:
    import torch

    from rocks.train.supervised import run_supervised

    torch.set_num_threads(args.threads)
    last = run_supervised(cfg)
    print("validation: " + ", ".join(f"{k} {v:.4f}" for k, v in last.items()))
    return 0


def _loop(cfg: Any, args: argparse.Namespace) -> int:
    import torch

    from rocks.train.loop import Loop

    torch.set_num_threads(args.threads)
    state = Loop(cfg).run()
    print(f"generation {state['generation']}, best {state['best']}, "
          f"{float(state['cpu_s']) / 3600:.2f} CPU-hours")  # type: ignore[arg-type]
    return 0


def train_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks train`` (without running anything)."""
    from rocks.train.loop import LoopConfig
    from rocks.train.supervised import SupervisedConfig

    parser = argparse.ArgumentParser(prog="rocks train", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    _stage(sub, "supervised", SupervisedConfig,
           "policy + value from shards (AlphaGo's SL stage)", _supervised, threads=True)
    loop = _stage(sub, "loop", LoopConfig, "self-play RL loop (AlphaGo Zero / AlphaZero)",
                  _loop, threads=True)
    for action in loop._actions:
        if action.dest == "ray":  # ``--ray`` alone: start Ray on this machine (docs/cluster.md)
            action.nargs, action.const, action.metavar = "?", "local", "ADDRESS"
    return parser


def train_main(argv: list[str] | None = None) -> int:
    from rocks.nets.checkpoint import CheckpointError
    from rocks.train.supervised import TrainConfigError

    return _main(train_parser(), argv,
                 (TrainConfigError, CheckpointError, FileNotFoundError, ValueError))
