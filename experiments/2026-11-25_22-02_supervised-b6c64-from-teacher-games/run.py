"""Supervised b6c64 from GNU Go teacher games (AlphaGo's first stage), then its strength.

Stages (each resumes from what the run folder holds, so `rocks lab run ... --resume run-NNN`
continues after a crash): import the teacher SGFs into shards (data/runs/<id>/shards), train
(data/runs/<id>/train: train.csv per epoch, checkpoints), play the trained net with MCTS against
GNU Go (data/runs/<id>/strength.csv, one row per game), figures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from rocks.engines.commands import gnugo_command
from rocks.lab import Run, new_figure, start_run
from rocks.nets.checkpoint import read_checkpoint
from rocks.nets.evaluator import Evaluator
from rocks.train.evaluate import play_vs_gtp
from rocks.train.records import ImportConfig, import_records
from rocks.train.selfplay import net_evaluate
from rocks.train.supervised import SupervisedConfig, run_supervised

TEACHER = "../2026-11-25_21-49_teacher-games-gnugo-9x9/data"


@dataclass(frozen=True)
class Config:
    """Every knob; `--name value` on the command line overrides a default."""

    games: tuple[str, ...] = (f"{TEACHER}/games", f"{TEACHER}/games_fast")
    net: str = "b6c64"
    init: str = ""  # a checkpoint (relative to this folder) to continue from; "": from scratch
    epochs: int = 12
    batch_size: int = 256
    lr: float = 2e-3
    bf16: bool = True
    val_fraction: float = 0.05
    seed: int = 0
    threads: int = 1  # two torch threads on the shared VM measured ~6x slower per step
    eval_levels: tuple[int, ...] = (1, 10)  # GNU Go levels to play
    eval_games: int = 10  # games per level, colours alternating
    eval_visits: int = 100  # MCTS visits per move of the net


def main(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    here = Path(__file__).resolve().parent
    shards = run.dir / "shards"
    cpu0 = time.process_time()
    if not (shards / "report.json").exists():
        report = import_records(ImportConfig(
            sources=tuple(str(here / g) for g in cfg.games), out_dir=str(shards), size=9,
            val_fraction=cfg.val_fraction, seed=cfg.seed))
        print(report.summary(), flush=True)
    last = run_supervised(SupervisedConfig(
        data_dir=str(shards), out_dir=str(run.dir / "train"), net=cfg.net,
        init=str((here / cfg.init).resolve()) if cfg.init else None, epochs=cfg.epochs,
        batch_size=cfg.batch_size, lr=cfg.lr, bf16=cfg.bf16, seed=cfg.seed))
    train_cpu = time.process_time() - cpu0

    ckpt = run.dir / "train" / "checkpoints" / "latest.safetensors"
    evaluate = net_evaluate(Evaluator(read_checkpoint(ckpt).net, batch_size=64,
                                      use_bf16=cfg.bf16))
    log = run.metrics("strength")
    done = {(int(r["level"]), int(r["game"])) for _, r in log.read().iterrows()} \
        if log.path.exists() else set()
    for level in cfg.eval_levels:
        for g in range(cfg.eval_games):
            if (level, g) in done:
                continue
            t0 = time.perf_counter()
            res = play_vs_gtp(evaluate, gnugo_command(level, seed=1000 + g), 1,
                              cfg.eval_visits, seed=cfg.seed, start=g)
            me, winner = res.games[0]
            log.log(level=level, game=g, colour="B" if me == 1 else "W",
                    win=int(winner == me), seconds=round(time.perf_counter() - t0, 1))
    log.close()

    train = pd.read_csv(run.dir / "train" / "train.csv")
    fig, axes = new_figure(1, 2, width=11)
    axes[0].plot(train.epoch, train.train_policy_ce, marker="o", label="train policy CE")
    axes[0].plot(train.epoch, train.val_policy_ce, marker="o", label="val policy CE")
    axes[0].plot(train.epoch, train.val_value_mse, marker="s", label="val value MSE")
    axes[0].set_xlabel("epoch")
    axes[0].legend()
    axes[1].plot(train.epoch, train.val_accuracy, marker="o", label="val move accuracy")
    axes[1].plot(train.epoch, train.train_accuracy, marker="o", label="train move accuracy")
    axes[1].set_xlabel("epoch")
    axes[1].legend()
    run.save_figure(fig, "loss")
    strength = log.read()
    per_level = strength.groupby("level").win.agg(["sum", "count"])
    fig, ax = new_figure()
    ax.bar([f"GNU Go L{lv}" for lv in per_level.index], per_level["sum"] / per_level["count"])
    ax.set_ylabel(f"win rate ({cfg.eval_visits} visits/move)")
    ax.set_ylim(0, 1)
    run.save_figure(fig, "strength")
    metrics = {f"wins_vs_l{lv}": f"{int(r['sum'])}/{int(r['count'])}"
               for lv, r in per_level.iterrows()}
    run.finish("val_accuracy", last.get("accuracy", float("nan")),
               val_value_mse=last.get("value_mse"), train_cpu_s=round(train_cpu, 1),
               examples=int(train.examples.iloc[-1]), **metrics)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
