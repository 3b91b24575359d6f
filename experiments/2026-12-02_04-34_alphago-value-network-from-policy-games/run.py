"""AlphaGo's value-network recipe on 9x9: does a value head trained on policy games make the
search stronger against GNU Go?

The shipped net's value head learned from GNU Go's teacher games (random opening stones, then
GNU Go against itself), and self-play has not made a stronger player so far (the self-play
experiment, 2026-12-01_14-11).  AlphaGo (Silver et al., Nature 2016) trained its value network
on 30M positions, one per game, each game played out by its policy from a random move
(:mod:`rocks.train.valuegames`).  Policy play needs no search, so on two cores it makes
thousands of labelled games an hour where self-play makes a few hundred.

Stages (``--set stage=...``):

- ``games``: ``games`` value games of the shipped net (both before and after the random move),
  by ``rocks.train.valuegames.write_value_data`` (what ``rocks data value-games`` runs): shards
  of ``chunk`` games under ``data/value_games/{train,val}/`` (the last ``val_chunks`` chunks
  held out), resumed chunk by chunk, a CSV row per game in ``data/value_games/games/``.  The
  shards are not committed (this stage rebuilds them: ``.gitignore``); the CSVs are.
- ``train``: the shipped net fine-tuned for ``steps`` batches, each half value-game rows
  (value, ownership and score targets; no policy target) and half teacher rows (the self-play
  experiment's anchor shards: policy, ownership and score; their value target off unless
  ``teacher_value``).  Held-out value MSE on value games, move accuracy and value MSE on the
  teacher's validation games, for the shipped net and the new one, every ``eval_every``
  steps (``train.csv``).  The net is ``data/runs/<run>/net.safetensors`` (committed).
- ``gauntlet``: a net (``arm_run``: a train run, or ``shipped``; with ``split``, the shipped
  net's priors and ``arm_run``'s value head, AlphaGo's two networks) against GNU Go 10 at
  ``visits`` a move, ``games`` games with the arena's seed ``gauntlet_seed`` (the ladder-planes
  experiment's seeds), refereed by ``rocks arena``; writes ``gauntlet.csv``.
- ``summary``: the runs in ``runs`` as one table and figure.

Order: ``--set stage=games``, ``--set stage=train``, ``--set stage=gauntlet --set
arm_run=run-NNN``, then ``--set stage=summary --set runs=...``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rocks.lab import Run, new_figure, progress, start_run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHIPPED = ROOT / "models" / "rocks-9x9-b6c64.safetensors"
TEACHER = ROOT / "experiments" / "2026-12-01_14-11_self-play-rl-puct-vs-gumbel-vs-scratch" / \
    "data" / "anchor_shards"
GAMES = HERE / "data" / "value_games"


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "games"  # games | train | gauntlet | summary
    # games
    games: int = 24_576
    chunk: int = 512  # games per shard (the unit of resumption)
    val_chunks: int = 2  # the last chunks are held out
    parallel: int = 256  # games in flight (one network call for all of them)
    temperature: float = 1.0
    positions_per_game: int = 1  # AlphaGo's one
    seed: int = 0
    threads: int = 1  # torch threads (two on two cores spin against each other: 3x the CPU)
    # train
    steps: int = 3000
    batch_size: int = 256
    lr: float = 3e-4  # peak; cosine to 0
    weight_decay: float = 1e-4
    teacher_value: bool = False  # teacher rows keep their (GNU Go game) value target
    eval_every: int = 500
    # gauntlet
    arm_run: str = "shipped"
    split: bool = False  # gauntlet: the shipped net's priors, arm_run's value (AlphaGo's two nets)
    opponent_games: int = 100
    visits: int = 200
    level: int = 10
    gauntlet_seed: int = 11
    # summary
    runs: str = ""


# ------------------------------------------------------------------------------------ games
def data_config(cfg: Config):
    from rocks.train.valuegames import ValueDataConfig, ValueGamesConfig

    return ValueDataConfig(model=str(SHIPPED), out_dir=str(GAMES), games=cfg.games,
                           chunk=cfg.chunk, val_chunks=cfg.val_chunks, seed=cfg.seed,
                           play=ValueGamesConfig(parallel=cfg.parallel,
                                                 temperature=cfg.temperature,
                                                 positions_per_game=cfg.positions_per_game))


def stage_games(cfg: Config, run: Run) -> None:
    import torch

    from rocks.train.valuegames import games_table, write_value_data

    torch.set_num_threads(cfg.threads)
    log = run.metrics("chunks")
    stats = write_value_data(data_config(cfg), on_chunk=lambda row: log.log(**row))
    log.close()
    games_table(GAMES).to_csv(run.dir / "games.csv", index=False)
    chunks = log.read()
    run.finish("games", stats["games"], **{k: v for k, v in stats.items() if k != "games"},
               cpu_s_this_run=float(chunks.cpu_s.sum()) if len(chunks) else 0.0)


# ------------------------------------------------------------------------------------ train
def load_split(folder: Path):
    from rocks.train.shards import list_shards, load_examples

    ex = load_examples(list_shards(folder))
    if ex is None:
        raise SystemExit(f"error: no shards in {folder} (run the games stage first)")
    return ex


def measure(net, value_val, teacher_val, bf16: bool) -> dict[str, float]:
    from rocks.train.supervised import LossWeights, evaluate_examples

    w = LossWeights()
    v = evaluate_examples(net, value_val, w, bf16)
    t = evaluate_examples(net, teacher_val, w, bf16)
    return {"value_games_value_mse": v["value_mse"], "teacher_value_mse": t["value_mse"],
            "teacher_accuracy": t["accuracy"], "teacher_policy_ce": t["policy_ce"]}


def stage_train(cfg: Config, run: Run) -> None:
    import torch

    from rocks.nets.checkpoint import read_checkpoint, save_checkpoint
    from rocks.train.supervised import LossWeights, batch_tensors, make_optimizer, train_step

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    value_train, value_val = load_split(GAMES / "train"), load_split(GAMES / "val")
    teacher_train = load_split(TEACHER / "train")
    teacher_val = load_split(TEACHER / "val")
    if not cfg.teacher_value:
        teacher_train = dataclasses.replace(
            teacher_train, value_weight=np.zeros_like(teacher_train.value_weight))
    from rocks.train.shards import Examples

    net = read_checkpoint(SHIPPED).net
    shipped = read_checkpoint(SHIPPED).net
    opt = make_optimizer(net, cfg.lr, cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, cfg.steps) / cfg.steps)))
    w = LossWeights()
    half = cfg.batch_size // 2
    log = run.metrics("train")
    base = measure(shipped, value_val, teacher_val, True)
    # the losses train_step reports, averaged between evaluations (none before training)
    untrained = {f"train_{k}": float("nan") for k in ("policy_ce", "value_mse", "ownership_mse",
                                                       "score_huber", "accuracy", "loss")}
    log.log(step=0, net="shipped", **{k: round(v, 5) for k, v in base.items()}, **untrained)
    print("shipped", base, flush=True)
    sums: dict[str, float] = {}
    for step in progress(range(1, cfg.steps + 1), desc="steps"):
        batch = Examples.concat([
            value_train.take(rng.integers(0, len(value_train), half)),
            teacher_train.take(rng.integers(0, len(teacher_train), cfg.batch_size - half))])
        parts = train_step(net, opt, batch_tensors(batch, np.arange(len(batch)),
                                                   int(rng.integers(0, 8))), w, True)
        sched.step()
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v
        if step % cfg.eval_every == 0 or step == cfg.steps:
            now = measure(net, value_val, teacher_val, True)
            train = {f"train_{k}": round(v / cfg.eval_every, 5) for k, v in sums.items()}
            sums = {}
            log.log(step=step, net="fine-tuned", **{k: round(v, 5) for k, v in now.items()},
                    **train)
            print(step, now, flush=True)
    log.close()
    save_checkpoint(run.dir / "net.safetensors", net, cfg.steps,
                    {"experiment": HERE.name, "config": dataclasses.asdict(cfg)})
    rows = log.read()
    fig, axes = new_figure(1, 2, width=5)
    tuned = rows[rows.net == "fine-tuned"]
    axes[0].plot(tuned.step, tuned.value_games_value_mse, marker="o", label="value games")
    axes[0].plot(tuned.step, tuned.teacher_value_mse, marker="o", label="teacher games")
    axes[0].axhline(base["value_games_value_mse"], ls="--", color="C0", label="shipped, value")
    axes[0].axhline(base["teacher_value_mse"], ls="--", color="C1", label="shipped, teacher")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("held-out value MSE")
    axes[0].legend()
    axes[1].plot(tuned.step, tuned.teacher_accuracy, marker="o", label="fine-tuned")
    axes[1].axhline(base["teacher_accuracy"], ls="--", label="shipped")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("move accuracy, teacher validation")
    axes[1].legend()
    run.save_figure(fig, "train")
    last = tuned.iloc[-1]
    run.finish("value_games_value_mse", float(last.value_games_value_mse),
               shipped_value_games_value_mse=base["value_games_value_mse"],
               teacher_value_mse=float(last.teacher_value_mse),
               shipped_teacher_value_mse=base["teacher_value_mse"],
               teacher_accuracy=float(last.teacher_accuracy),
               shipped_teacher_accuracy=base["teacher_accuracy"],
               value_train=len(value_train), value_val=len(value_val))


# --------------------------------------------------------------------------------- gauntlet
def net_path(arm_run: str) -> Path:
    if arm_run == "shipped":
        return SHIPPED
    path = HERE / "data" / "runs" / arm_run / "net.safetensors"
    if not path.exists():
        raise SystemExit(f"error: {arm_run} has no trained net ({path})")
    return path


def stage_gauntlet(cfg: Config, run: Run) -> None:
    import shlex

    from rocks.play.arena import gauntlet_score, read_results
    from rocks.play.gtp.command import gtp_argv
    from rocks.play.players import PlayerSpec

    model = net_path(cfg.arm_run)
    out = run.dir / "arena"
    engine = f"rocks:{model}:{cfg.visits}"
    if cfg.split:  # AlphaGo 2016: the SL policy network's priors, the value network's value
        argv = gtp_argv(PlayerSpec(model=str(SHIPPED), value_model=str(model),
                                   visits=cfg.visits)) + ["--seed", "{seed}"]
        engine = f"rocks-split-v{cfg.visits}=" + shlex.join(argv)
    cmd = [sys.executable, "-m", "rocks.cli", "arena", "--mode", "gauntlet",
           "--engine", f"gnugo:{cfg.level}", "--engine", engine,
           "--games", str(cfg.opponent_games), "--seed", str(cfg.gauntlet_seed),
           "--out", str(out), "--quiet",
           "--move-timeout", "600"]  # fixed visits: a slow start must not forfeit
    subprocess.run(cmd, check=True)
    # A game forfeited before its first move measured the machine's load, not Go: left out.
    s = gauntlet_score(read_results(out / "results.csv"), f"gnugo-{cfg.level}")
    row = dict(arm_run=cfg.arm_run, split=cfg.split, model=str(model.relative_to(ROOT)),
               visits=cfg.visits,
               level=cfg.level, games=s.games, wins=s.wins, score=round(s.score, 3),
               lo=round(s.lo, 3), hi=round(s.hi, 3), forfeits_left_out=s.forfeits_left_out,
               score_as_black=round(s.score_as_black, 3),
               score_as_white=round(s.score_as_white, 3))
    pd.DataFrame([row]).to_csv(run.dir / "gauntlet.csv", index=False)
    print(json.dumps(row), flush=True)
    run.finish("score", row["score"], games=s.games, wins=s.wins, lo=row["lo"], hi=row["hi"])


# ---------------------------------------------------------------------------------- summary
def stage_summary(cfg: Config, run: Run) -> None:
    base = HERE / "data" / "runs"
    rows = []
    for rid in [r.strip() for r in cfg.runs.split(",") if r.strip()]:
        g = pd.read_csv(base / rid / "gauntlet.csv").iloc[0].to_dict()
        rows.append({"run": rid, **g})
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "summary.csv", index=False)
    print(table.to_string(index=False), flush=True)
    fig, ax = new_figure()
    y = np.arange(len(table))
    ax.errorbar(table.score, y, xerr=[table.score - table.lo, table.hi - table.score], fmt="o")
    ax.set_yticks(y, [f"{a} ({int(n)} games)" for a, n in zip(table.arm_run, table.games,
                                                                strict=True)])
    ax.axvline(0.5, color="grey", linestyle="--")
    ax.set_xlabel(f"score against GNU Go {cfg.level} at {cfg.visits} visits (95% interval)")
    run.save_figure(fig, "gauntlet")
    run.finish("nets", float(len(table)), runs=cfg.runs)


def main(cfg: Config, run: Run) -> None:
    stages = {"games": stage_games, "train": stage_train, "gauntlet": stage_gauntlet,
              "summary": stage_summary}
    if cfg.stage not in stages:
        raise SystemExit(f"error: stage must be one of {sorted(stages)}, got {cfg.stage!r}")
    stages[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
