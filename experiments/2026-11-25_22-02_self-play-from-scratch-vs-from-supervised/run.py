"""Self-play RL (AlphaGo Zero loop) from scratch vs from the supervised net, same CPU budget.

One run is one arm: `--init ''` (scratch) or `--init <checkpoint>` (from the supervised net of
experiment 2026-11-25_22-02_supervised-b6c64-from-teacher-games).  The loop runs generation by
generation until its own CPU seconds (self-play + training + gating, the loop process only)
reach `budget_cpu_s`; then the best net plays GNU Go.  Everything resumes: rerun with
`rocks lab run ... --resume run-NNN`.
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
from rocks.train.loop import Loop, LoopConfig
from rocks.train.selfplay import SelfPlayConfig, net_evaluate


@dataclass(frozen=True)
class Config:
    """Every knob; `--name value` on the command line overrides a default."""

    init: str = ""  # checkpoint to start from ('' = random init, AlphaGo Zero from scratch)
    # (budget_cpu_s 0 measures the initial net itself at the same evaluation settings)
    net: str = "b6c64"
    budget_cpu_s: float = 1800.0  # loop CPU seconds (process time, all threads)
    games_per_generation: int = 32
    parallel: int = 16
    full_visits: int = 64
    fast_visits: int = 16
    full_prob: float = 0.25
    train_steps: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    window: int = 20_000
    gating_games: int = 0  # AlphaZero style (always the latest) on this budget
    threads: int = 1  # two torch threads on the shared VM are far slower
    seed: int = 0
    eval_levels: tuple[int, ...] = (1,)
    eval_games: int = 6
    eval_visits: int = 64


def main(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    here = Path(__file__).resolve().parent
    init = str((here / cfg.init).resolve()) if cfg.init else None
    sp = SelfPlayConfig(parallel=cfg.parallel, full_visits=cfg.full_visits,
                        fast_visits=cfg.fast_visits, full_prob=cfg.full_prob)
    loop_cfg = LoopConfig(out_dir=str(run.dir / "loop"), net=cfg.net, init=init,
                          generations=10_000, games_per_generation=cfg.games_per_generation,
                          selfplay=sp, window=cfg.window, train_steps=cfg.train_steps,
                          batch_size=cfg.batch_size, lr=cfg.lr, gating_games=cfg.gating_games,
                          seed=cfg.seed)
    loop = Loop(loop_cfg)
    while float(loop.state["cpu_s"]) < cfg.budget_cpu_s:  # type: ignore[arg-type]
        loop.run(int(loop.state["generation"]) + 1)  # type: ignore[call-overload]
    state = loop.state
    best = run.dir / "loop" / "checkpoints" / "best.safetensors"
    evaluate = net_evaluate(Evaluator(read_checkpoint(best).net, batch_size=64, use_bf16=True))
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

    strength = log.read()
    wins = {f"wins_vs_l{lv}": f"{int(g.win.sum())}/{len(g)}"
            for lv, g in strength.groupby("level")}
    if not (run.dir / "loop" / "train.csv").exists():  # budget 0: the initial net itself
        run.finish("final_policy_ce", float("nan"), generations=0, cpu_s=0.0, **wins)
        return
    train = pd.read_csv(run.dir / "loop" / "train.csv")
    games = pd.read_csv(run.dir / "loop" / "selfplay.csv")
    fig, axes = new_figure(1, 2, width=11)
    axes[0].plot(train.cpu_s / 3600, train.policy_ce, marker="o", label="policy CE")
    axes[0].plot(train.cpu_s / 3600, train.value_mse, marker="s", label="value MSE")
    axes[0].set_xlabel("CPU-hours")
    axes[0].legend()
    by_gen = games.groupby("generation").moves.mean()
    axes[1].plot(by_gen.index, by_gen.values, marker="o")
    axes[1].set_xlabel("generation")
    axes[1].set_ylabel("mean self-play game length (moves)")
    run.save_figure(fig, "training")
    run.finish("final_policy_ce", float(train.policy_ce.iloc[-1]),
               generations=int(state["generation"]),  # type: ignore[call-overload]
               cpu_s=round(float(state["cpu_s"]), 1),  # type: ignore[arg-type]
               selfplay_games=len(games), **wins)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
