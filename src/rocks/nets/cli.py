"""``rocks nets``: create a checkpoint, describe one, find the fastest inference mode.

    rocks nets init models/random-b6c64.safetensors --net b6c64 --seed 0
    rocks nets info models/random-b6c64.safetensors
    rocks nets tune models/random-b6c64.safetensors --size 9 --batch 16 --device cpu

Each subcommand's options are the fields of its config below (:mod:`rocks.configcli`).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field

from rocks.configcli import add_config_arguments, config_from_args
from rocks.nets.checkpoint import CheckpointError, init_checkpoint, read_checkpoint
from rocks.nets.evaluator import fastest_settings
from rocks.nets.model import NetConfig, count_parameters


@dataclass(frozen=True)
class InitConfig:
    """``rocks nets init``: save a randomly initialised network.

    Attributes:
        path: the checkpoint to write (``.safetensors``).
        net: ``b<blocks>c<channels>``, e.g. b6c64, b10c128.
        seed: the initial weights.
    """

    path: str = field(metadata={"positional": True})
    net: str = "b6c64"
    seed: int = 0


@dataclass(frozen=True)
class InfoConfig:
    """``rocks nets info``: print a checkpoint's config, step and metadata.

    Attributes:
        path: the checkpoint to describe.
    """

    path: str = field(metadata={"positional": True})


@dataclass(frozen=True)
class TuneConfig:
    """``rocks nets tune``: check every inference mode against fp32, time the faithful ones.

    Attributes:
        path: the checkpoint whose network is timed.
        size: board size of the positions.
        batch: positions per network call.
        threads: torch thread counts to try, e.g. 1,2 (none: the evaluator's defaults).
        callers: threads calling the network at once (the search threads of ``rocks gtp``).
        device: auto (CUDA, then MPS, then the CPU), cpu, cuda or mps.
    """

    path: str = field(metadata={"positional": True})
    size: int = 9
    batch: int = 32
    threads: tuple[int, ...] | None = None
    callers: int = 1
    device: str = "auto"


COMMANDS: dict[str, tuple[type, str]] = {
    "init": (InitConfig, "save a randomly initialised network"),
    "info": (InfoConfig, "print a checkpoint's config, step and metadata"),
    "tune": (TuneConfig, "check and time the inference modes, print the fastest faithful one"),
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks nets`` (without running anything)."""
    parser = argparse.ArgumentParser(prog="rocks nets", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (config, help_) in COMMANDS.items():
        add_config_arguments(sub.add_parser(name, help=help_, description=help_), config)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    cfg = config_from_args(COMMANDS[args.command][0], args)
    try:
        if isinstance(cfg, InitConfig):
            try:
                config = NetConfig.from_name(cfg.net)
            except ValueError as exc:
                parser.error(str(exc))
            path = init_checkpoint(cfg.path, config, seed=cfg.seed)
            print(f"wrote {path} ({config.name}, {count_parameters(read_checkpoint(path).net):,} "
                  "parameters)")
        elif isinstance(cfg, InfoConfig):
            ckpt = read_checkpoint(cfg.path)
            print(json.dumps({"config": ckpt.config.to_dict(), "step": ckpt.step,
                              "metadata": ckpt.metadata,
                              "parameters": count_parameters(ckpt.net)}, indent=1))
        else:
            tune(cfg)
    except CheckpointError as exc:
        print(f"rocks nets: {exc}")
        return 1
    return 0


def tune(cfg: TuneConfig) -> None:
    """Time the settings on ``cfg.path``'s network and print them, fastest first."""
    ckpt = read_checkpoint(cfg.path)
    threads = list(cfg.threads) if cfg.threads else None
    best = fastest_settings(ckpt.net, cfg.size, batch_size=cfg.batch, threads=threads,
                            device=cfg.device, callers=cfg.callers)
    for name, rate in sorted(best.measured.items(), key=lambda kv: -kv[1]):
        check = best.checks[name.partition("@")[0]]
        print(f"{name:>34}: {rate:8.0f} evaluations/s, top move as fp32 on "
              f"{check.argmax_agreement:.1%}")
    for name in best.refused:
        print(f"{name:>34}: refused, top move as fp32 on only "
              f"{best.checks[name].argmax_agreement:.1%} (< 97%)")
    print(f"fastest: {best.mode} on {best.device}, threads={best.threads}")
