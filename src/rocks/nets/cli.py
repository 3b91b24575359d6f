"""Command line for networks: create a checkpoint, describe one, find the fastest CPU setting.

    python -m rocks.nets init models/random-b6c64.safetensors --net b6c64 --seed 0
    python -m rocks.nets info models/random-b6c64.safetensors
    python -m rocks.nets tune models/random-b6c64.safetensors --size 9 --batch 32 --threads 1,2
"""

from __future__ import annotations

import argparse
import json

from rocks.nets.checkpoint import CheckpointError, init_checkpoint, read_checkpoint
from rocks.nets.evaluator import fastest_settings
from rocks.nets.model import NetConfig, count_parameters


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rocks nets", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="save a randomly initialised network")
    init.add_argument("path")
    init.add_argument("--net", default="b6c64", help="b<blocks>c<channels>, e.g. b6c64, b10c128")
    init.add_argument("--seed", type=int, default=0)
    info = sub.add_parser("info", help="print a checkpoint's config, step and metadata")
    info.add_argument("path")
    tune = sub.add_parser("tune", help="measure CPU settings and print the fastest")
    tune.add_argument("path")
    tune.add_argument("--size", type=int, default=9)
    tune.add_argument("--batch", type=int, default=32)
    tune.add_argument("--threads", default=None, help="thread counts to try, e.g. 1,2")
    args = ap.parse_args(argv)

    try:
        if args.command == "init":
            try:
                config = NetConfig.from_name(args.net)
            except ValueError as exc:
                ap.error(str(exc))
            path = init_checkpoint(args.path, config, seed=args.seed)
            print(f"wrote {path} ({config.name}, {count_parameters(read_checkpoint(path).net):,} "
                  "parameters)")
        elif args.command == "info":
            ckpt = read_checkpoint(args.path)
            print(json.dumps({"config": ckpt.config.to_dict(), "step": ckpt.step,
                              "metadata": ckpt.metadata,
                              "parameters": count_parameters(ckpt.net)}, indent=1))
        else:
            ckpt = read_checkpoint(args.path)
            threads = [int(t) for t in args.threads.split(",")] if args.threads else None
            best = fastest_settings(ckpt.net, args.size, batch_size=args.batch, threads=threads)
            for name, rate in sorted(best.measured.items(), key=lambda kv: -kv[1]):
                print(f"{name:>20}: {rate:8.0f} evaluations/s")
            print(f"bf16 check: {best.precision}")
            print(f"fastest: backend={best.backend} use_bf16={best.use_bf16} "
                  f"channels_last={best.channels_last} threads={best.threads}")
    except CheckpointError as exc:
        print(f"rocks nets: {exc}")
        return 1
    return 0
