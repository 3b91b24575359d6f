"""``rocks data`` (teacher games, SGF import into shards) and ``rocks train`` (supervised, loop).

Each subcommand builds its stage's config dataclass from the options, saves it as JSON next to
its output, and runs the stage; every stage resumes from what it finds on disk.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from rocks.atomic import write_text


def _save_config(folder: str | Path, name: str, cfg: object) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)
    write_text(Path(folder) / name, json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")  # type: ignore[call-overload]


def _levels(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"levels must look like 1,5,10, got {text!r}") from None


def _teacher(args: argparse.Namespace) -> int:
    from rocks.train.teacher import TeacherConfig, generate

    cfg = TeacherConfig(out_dir=args.out, games=args.games, size=args.size, komi=args.komi,
                        levels=args.levels, max_opening=args.max_opening,
                        min_opening=args.min_opening, seed=args.seed,
                        worker=args.worker, workers=args.workers)
    _save_config(cfg.out_dir, "teacher_config.json" if cfg.workers == 1
                 else f"teacher_config_w{cfg.worker}.json", cfg)
    played = generate(cfg)
    print(f"played {played} games into {cfg.out_dir}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from rocks.train.records import ImportConfig, import_records

    cfg = ImportConfig(sources=tuple(args.sources), out_dir=args.out, size=args.size,
                       symmetries=args.symmetries, shard_size=args.shard_size,
                       val_fraction=args.val_fraction, seed=args.seed)
    _save_config(cfg.out_dir, "import_config.json", cfg)
    report = import_records(cfg)
    print(report.summary())
    return 0 if report.files_read else 1


def data_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rocks data", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("teacher", help="generate teacher games between GNU Go levels (SGF)")
    t.add_argument("--out", required=True, help="folder for game_<i>.sgf")
    t.add_argument("--games", type=int, default=100)
    t.add_argument("--size", type=int, default=9)
    t.add_argument("--komi", type=float, default=7.5)
    t.add_argument("--levels", type=_levels, default=(1, 4, 7, 10))
    t.add_argument("--max-opening", type=int, default=4)
    t.add_argument("--min-opening", type=int, default=0,
                   help="shortest random opening (2 or more avoids repeated games)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--worker", type=int, default=0)
    t.add_argument("--workers", type=int, default=1)
    t.set_defaults(func=_teacher)
    i = sub.add_parser("import", help="SGF files/folders -> npz training shards")
    i.add_argument("sources", nargs="+", help="SGF files, folders (searched recursively)")
    i.add_argument("--out", required=True, help="folder for shards")
    i.add_argument("--size", type=int, default=9, help="keep only games of this size")
    i.add_argument("--symmetries", type=int, default=1,
                   help="stored symmetries per position (1..8); training also augments")
    i.add_argument("--shard-size", type=int, default=16384)
    i.add_argument("--val-fraction", type=float, default=0.05)
    i.add_argument("--seed", type=int, default=0)
    i.set_defaults(func=_import)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError) as exc:
        print(f"rocks data {args.cmd}: {exc}", file=sys.stderr)
        return 2


def _supervised(args: argparse.Namespace) -> int:
    import torch

    from rocks.train.supervised import SupervisedConfig, run_supervised

    torch.set_num_threads(args.threads)
    cfg = SupervisedConfig(data_dir=args.data, out_dir=args.out, net=args.net, init=args.init,
                           epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                           bf16=not args.fp32, seed=args.seed, max_examples=args.max_examples)
    last = run_supervised(cfg)
    print("validation: " + ", ".join(f"{k} {v:.4f}" for k, v in last.items()))
    return 0


def train_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rocks train", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("supervised", help="policy + value from shards (AlphaGo's SL stage)")
    s.add_argument("--data", required=True, help="shard folder (with train/ and val/)")
    s.add_argument("--out", required=True, help="run folder (resumed if it exists)")
    s.add_argument("--net", default="b6c64")
    s.add_argument("--init", default=None, help="start from this checkpoint")
    s.add_argument("--epochs", type=int, default=10)
    s.add_argument("--batch-size", type=int, default=256)
    s.add_argument("--lr", type=float, default=2e-3)
    s.add_argument("--fp32", action="store_true", help="no bf16 autocast")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--max-examples", type=int, default=0)
    s.add_argument("--threads", type=int, default=1,
                   help="torch threads (1: on a shared machine two can be far slower)")
    s.set_defaults(func=_supervised)
    _add_loop_parser(sub)
    args = parser.parse_args(argv)
    from rocks.nets.checkpoint import CheckpointError
    from rocks.train.supervised import TrainConfigError

    try:
        return int(args.func(args))
    except (TrainConfigError, CheckpointError, FileNotFoundError, ValueError) as exc:
        print(f"rocks train {args.cmd}: {exc}", file=sys.stderr)
        return 2


def _add_loop_parser(sub: argparse._SubParsersAction) -> None:
    from rocks.train.loop import add_loop_arguments

    add_loop_arguments(sub)
