"""Self-play RL from the shipped supervised net: PUCT vs Gumbel AlphaZero, and from scratch.

One run is one arm, and runs across sessions: the loop's folder (``data/runs/run-NNN/loop``)
keeps its state, and ``rocks lab run EXP --resume run-NNN`` continues it until
``budget_cpu_s`` CPU-seconds (loop process + its GNU Go children) are spent.  The replay shards
stay out of git; a resumed run on a fresh clone starts with an empty window and refills it
(``.gitignore``).  ``stage=ladder`` instead plays every ``ladder_every``-th generation's net
against the supervised net at ``ladder_visits`` visits (the fixed-visit ladder), appending to
``ladder.csv`` of the arm's run folder given by ``arm_run``, and against GNU Go (an outside
anchor: beating the net one started from is not the same as playing better Go) through
``rocks arena``, appending to ``ladder_gnugo.csv``; ``arm_run=supervised`` puts the supervised
net itself on the GNU Go ladder (``data/supervised_gnugo.csv``), the reference line; with
``value_from=RUN:GEN`` it searches with the supervised net's priors and that self-play net's
value head instead (AlphaGo 2016's split: SL policy, RL value), in ``data/split_gnugo_*.csv``.
``stage=mine`` cuts start positions from our nets' lost ladder games into
``data/start_positions`` (``rocks.train.starts``), which a loop arm plays from with
``start_positions=data/start_positions`` and ``start_fraction`` > 0.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rocks.go.sgf import load_sgf
from rocks.lab import Run, new_figure, start_run
from rocks.nets.checkpoint import read_checkpoint
from rocks.nets.evaluator import Evaluator
from rocks.search.gumbel import GumbelConfig
from rocks.train.evaluate import play_nets
from rocks.train.loop import Loop, LoopConfig
from rocks.train.selfplay import SelfPlayConfig, net_evaluate
from rocks.train.shards import load_examples
from rocks.train.starts import MiningConfig, lost_by, mine_start_positions, save_start_positions

SUPERVISED = "../../models/rocks-9x9-b6c64.safetensors"


@dataclass(frozen=True)
class Config:
    """Every knob; `--name value` on the command line overrides a default."""

    stage: str = "loop"  # loop | ladder | figures | match | referee | diagnose | mine
    init: str = SUPERVISED  # '' = random init (the Zero route)
    net: str = "b6c64"
    search: str = "puct"  # puct | gumbel (self-play search)
    budget_cpu_s: float = 4 * 3600.0
    games_per_generation: int = 64
    parallel: int = 32
    full_visits: int = 128
    fast_visits: int = 24
    full_prob: float = 0.25
    gumbel_m: int = 16  # gumbel: actions sampled at the root
    value_mix: float = 0.0  # λ: value target (1 - λ) z + λ v_root
    forced_k: float = 0.0  # puct: KataGo's forced playouts + pruned policy target (k; 0 = off)
    recency: float = 1.0  # sampling weight decay per generation of age
    anchor_fraction: float = 0.0  # share of each batch from the teacher's train split, policy only
    sparring: str = ""  # gnugo:LEVEL: the outside opponent of sparring games ('' = none)
    sparring_fraction: float = 0.0  # share of self-play games against it, one colour each
    # Start positions (LoopConfig.start_positions): a folder of SGFs, relative to this folder;
    # stage=mine writes data/start_positions from the nets' lost games against GNU Go.
    start_positions: str = ""
    start_fraction: float = 0.0  # share of self-play games begun from one of them
    train_steps: int = 50
    batch_size: int = 256
    lr: float = 3e-4
    window: int = 60_000
    gating_games: int = 0  # AlphaZero: always the latest net
    threads: int = 1
    # The self-play evaluator (LoopConfig.inference): auto = the frozen bf16 graph on the
    # CPU; every generation played before 2026-12-02 ~12:00 UTC used eager bf16 ('bf16').
    inference: str = "auto"
    seed: int = 0
    ray: str = ""  # self-play on Ray actors: 'local' or a cluster address ('' = no Ray)
    workers: int = 0  # Ray self-play actors (0: one per CPU Ray has)
    # stage=ladder (one arm) and stage=figures (every arm named in arms)
    arm_run: str = ""  # run id of the arm to measure (its loop folder)
    arms: str = "run-001:PUCT,run-002:Gumbel"  # run id:label, comma separated
    # stage=match: a checkpoint against the supervised net, games match_start.. (SGF + CSV);
    # stage=referee: GNU Go judges the dead stones of every two-pass game of match_runs
    match_model: str = ""  # checkpoint path relative to this folder
    match_games: int = 100
    match_start: int = 0
    match_visits: int = 200
    match_runs: str = ""  # run ids of the match runs to referee, comma separated
    ladder_every: int = 10
    ladder_games: int = 40
    ladder_visits: int = 200
    ladder_gnugo_games: int = 40  # per ladder point: GNU Go at the same visits (0: none)
    gnugo_level: int = 10
    gnugo_gens: str = ""  # comma-separated generations for the GNU Go ladder ("": every point)
    skip_head_to_head: bool = False  # ladder stage: GNU Go only (the head-to-head saturated)
    value_from: str = ""  # ladder, arm_run=supervised: RUN:GEN whose value head the search uses
    pachi_playouts: int = 0  # GNU Go ladder stage: Pachi at this many playouts instead (0: GNU Go)
    pachi_bin: str = ""  # the Pachi binary built from source (docs/guide.md, "Pachi")


def teacher_shards() -> Path:
    """The GNU Go teacher games (committed SGFs) as shards with their train/val split by game,
    built once into data/anchor_shards (not committed): the anchor's train/, the diagnosis'
    held-out val/."""
    here = Path(__file__).resolve().parent
    shards = here / "data" / "anchor_shards"
    if not (shards / "train").exists():
        teacher, partial = here / TEACHER_GAMES, here / "data" / "anchor_shards.partial"
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "rocks.cli", "data", "import",
                        str(teacher / "games"), str(teacher / "games_fast"), "--out",
                        str(partial), "--val-fraction", "0.05"], check=True)
        shutil.rmtree(shards, ignore_errors=True)
        partial.rename(shards)  # whole or absent: a killed import is redone
    return shards


def loop_config(cfg: Config, run_dir: Path) -> LoopConfig:
    here = Path(__file__).resolve().parent
    init = str((here / cfg.init).resolve()) if cfg.init else None
    sp = SelfPlayConfig(parallel=cfg.parallel, full_visits=cfg.full_visits,
                        fast_visits=cfg.fast_visits, full_prob=cfg.full_prob,
                        search=cfg.search,  # type: ignore[arg-type]
                        gumbel=GumbelConfig(leaves_per_batch=8, max_considered=cfg.gumbel_m),
                        value_mix=cfg.value_mix, forced_playouts_k=cfg.forced_k,
                        sparring_fraction=cfg.sparring_fraction,
                        start_fraction=cfg.start_fraction)
    # Only the teacher's train split: its val/ stays the diagnose stage's held-out set.
    anchor = teacher_shards() if cfg.anchor_fraction > 0 else None
    return LoopConfig(out_dir=str(run_dir / "loop"), net=cfg.net, init=init,
                      generations=100_000, games_per_generation=cfg.games_per_generation,
                      selfplay=sp, window=cfg.window, train_steps=cfg.train_steps,
                      batch_size=cfg.batch_size, lr=cfg.lr, gating_games=cfg.gating_games,
                      recency=cfg.recency, seed=cfg.seed, ray=cfg.ray or None,
                      workers=cfg.workers, anchor_fraction=cfg.anchor_fraction,
                      anchor_data=None if anchor is None else str(anchor / "train"),
                      sparring=cfg.sparring, inference=cfg.inference,
                      start_positions=str(here / cfg.start_positions)
                      if cfg.start_positions else "")


def run_loop(cfg: Config, run: Run) -> None:
    loop = Loop(loop_config(cfg, run.dir))
    # One call: a Ray arm keeps its workers (and their compiled kernels) across generations.
    loop.run(100_000, cpu_budget_s=cfg.budget_cpu_s)
    train = pd.read_csv(run.dir / "loop" / "train.csv")
    games = pd.read_csv(run.dir / "loop" / "selfplay.csv")
    fig, axes = new_figure(1, 3, width=5)
    hours = train.cpu_s / 3600
    axes[0].plot(hours, train.policy_ce, marker=".", label="policy CE")
    axes[0].plot(hours, train.value_mse, marker=".", label="value MSE")
    axes[0].set_xlabel("CPU-hours")
    axes[0].legend()
    by_gen = games.groupby("generation")
    axes[1].plot(by_gen.moves.mean(), marker=".")
    axes[1].set_xlabel("generation")
    axes[1].set_ylabel("mean game length (moves)")
    nr = games[games.no_resign.astype(str) == "True"]
    axes[2].plot(nr.groupby("generation").false_resign.mean(), marker=".")
    axes[2].set_xlabel("generation")
    axes[2].set_ylabel("false-resignation rate (no-resign games)")
    run.save_figure(fig, "training")
    if "sparring" in games and (games.sparring != 0).any():
        # The sparring games' score at self-play visits: a free running strength signal.
        from rocks.stats import wilson_interval

        spar = games[games.sparring != 0]
        won = (spar.winner == -spar.sparring).groupby(spar.generation).agg(["mean", "count"])
        bounds = np.array([wilson_interval(m, int(n)) for m, n in zip(won["mean"], won["count"],
                                                                       strict=True)])
        fig, ax = new_figure()
        ax.errorbar(won.index, won["mean"], yerr=[won["mean"] - bounds[:, 0],
                                                  bounds[:, 1] - won["mean"]],
                    marker=".", capsize=2, label="per generation, 95% interval")
        ax.axhline(0.5, color="grey", linestyle="--")
        ax.legend()
        ax.set_xlabel("generation")
        ax.set_ylabel(f"score against {cfg.sparring} in sparring games")
        run.save_figure(fig, "sparring")
    run.finish("generations", int(loop.state["generation"]),  # type: ignore[call-overload]
               cpu_hours=round(float(loop.state["cpu_s"]) / 3600, 3),  # type: ignore[arg-type]
               selfplay_games=len(games))


def held_out_value(evaluator: Evaluator, arm: Path, gen: int) -> tuple[float, int]:
    """Value MSE on the positions of generation ``gen + 1``'s self-play games: played by the
    generation-``gen`` net, not yet trained on by it (its own held-out games)."""
    data = load_examples(sorted((arm / "selfplay").glob(f"g{gen + 1:04d}_*.npz")))
    if data is None:
        return float("nan"), 0
    v = evaluator.evaluate_planes(data.planes.astype(np.float32)).values
    return float(np.mean((v - data.value.astype(np.float32)) ** 2)), len(data)


def gauntlet(model: Path, games: int, visits: int, level: int, out: Path,
                   seed: int, value_model: Path | None = None,
                   pachi: tuple[str, int] | None = None) -> dict[str, float]:
    """``games`` games of ``model`` (``rocks gtp`` at ``visits``; the value head of
    ``value_model`` when given) against GNU Go ``level`` (or Pachi: ``pachi`` = (binary,
    playouts)), colours alternating, a seed per game, refereed by ``rocks arena`` (resumes from
    ``out``).  The columns keep GNU Go's names (``gnugo_wins``, ...) for either opponent."""
    import shlex

    from rocks.play.arena import gauntlet_score, read_results
    from rocks.play.gtp.command import gtp_argv
    from rocks.play.players import PlayerSpec

    # Fixed visits: time does not matter, so a long timeout keeps a slow start-up (its
    # precision check, on a loaded machine) from forfeiting a game.
    timeout = ["--move-timeout", "600"]
    ours = f"rocks:{model}:{visits}"
    if value_model is not None:
        argv = gtp_argv(PlayerSpec(model=str(model), value_model=str(value_model),
                                   visits=visits)) + ["--seed", "{seed}"]
        ours = f"rocks-split-v{visits}=" + shlex.join(argv)
    opponent = ["--engine", f"gnugo:{level}"] if pachi is None else \
        ["--engine", f"pachi:{pachi[1]}", "--pachi", pachi[0]]
    cmd = [sys.executable, "-m", "rocks.cli", "arena", "--mode", "gauntlet", *opponent,
           "--engine", ours,
           "--games", str(games), "--seed", str(seed), "--out", str(out), "--quiet", *timeout]
    subprocess.run(cmd, check=True)
    gnu = f"gnugo-{level}" if pachi is None else f"pachi-{pachi[1]}"
    # A game forfeited before its first move measured the machine's load, not Go: left out.
    s = gauntlet_score(read_results(out / "results.csv"), gnu)
    return dict(gnugo_games=s.games, gnugo_wins=s.wins, gnugo_score=round(s.score, 3),
                gnugo_lo=round(s.lo, 3), gnugo_hi=round(s.hi, 3),
                forfeits_left_out=s.forfeits_left_out)


def append_row(out: Path, row: dict) -> None:
    from rocks.atomic import write_text

    frame = pd.concat([pd.read_csv(out), pd.DataFrame([row])]) if out.exists() \
        else pd.DataFrame([row])
    write_text(out, frame.to_csv(index=False))
    print(json.dumps(row), flush=True)


def run_gnugo_ladder(cfg: Config, run: Run) -> int:
    """Each measured generation's net (or the supervised net) against GNU Go (or Pachi at
    ``pachi_playouts``), fixed visits."""
    here = Path(__file__).resolve().parent
    # 200 visits is the ladder's budget; another budget gets its own files beside it.
    suffix = "" if cfg.ladder_visits == 200 else f"_v{cfg.ladder_visits}"
    opp, pachi = "gnugo", None
    if cfg.pachi_playouts:
        if not Path(cfg.pachi_bin).is_file():
            raise SystemExit(f"pachi_bin {cfg.pachi_bin!r} is not a file: build Pachi from "
                             "source (docs/guide.md, \"Pachi\") and pass its path")
        opp, pachi = f"pachi{cfg.pachi_playouts}", (cfg.pachi_bin, cfg.pachi_playouts)
    if cfg.arm_run == "supervised":
        # The supervised net alone, or with a self-play net's value head (AlphaGo's split).
        name, header, seed, value = f"supervised_{opp}{suffix}", dict(generation=-1, cpu_s=0.0), \
            1_000_000, None
        if cfg.value_from:
            run_id, _, gen = cfg.value_from.partition(":")
            value = (here / "data" / "runs" / run_id / "loop" / "checkpoints"
                     / f"gen_{int(gen):04d}.safetensors").resolve()
            name = f"split_{opp}_{run_id}-gen{int(gen)}{suffix}"
            header, seed = dict(generation=int(gen), value_run=run_id), 2_000_000
        out = here / "data" / f"{name}.csv"
        out.unlink(missing_ok=True)  # one row, recounted from the arena (it resumes)
        append_row(out, dict(**header, visits=cfg.ladder_visits,
                             **gauntlet((here / SUPERVISED).resolve(), cfg.ladder_gnugo_games,
                                        cfg.ladder_visits, cfg.gnugo_level,
                                        here / "data" / name, seed=seed,
                                        value_model=value, pachi=pachi)))
        return 1
    arm = here / "data" / "runs" / cfg.arm_run / "loop"
    out = arm.parent / f"ladder_{opp}{suffix}.csv"
    done = set(pd.read_csv(out).generation) if out.exists() else set()
    train = pd.read_csv(arm / "train.csv").set_index("generation")
    wanted = {int(g) for g in cfg.gnugo_gens.split(",") if g.strip()}
    measured = 0
    for ckpt in sorted((arm / "checkpoints").glob("gen_*.safetensors")):
        gen = int(ckpt.stem.split("_")[1])
        if gen in done or (gen not in wanted if wanted else (gen + 1) % cfg.ladder_every):
            continue
        row = dict(generation=gen, cpu_s=float(train.cpu_s.get(gen, float("nan"))),
                   visits=cfg.ladder_visits,
                   **gauntlet(ckpt, cfg.ladder_gnugo_games, cfg.ladder_visits,
                                    cfg.gnugo_level,
                                    arm.parent / f"ladder_{opp}{suffix}" / ckpt.stem, seed=gen,
                                    pachi=pachi))
        append_row(out, row)
        measured += 1
    return measured


def run_ladder(cfg: Config, run: Run) -> None:
    """Each measured generation's net against the supervised net at fixed visits, and both
    nets' value MSE on that generation's held-out self-play positions; then against GNU Go."""
    here = Path(__file__).resolve().parent
    if cfg.arm_run == "supervised" or cfg.skip_head_to_head:
        run.finish("measured", run_gnugo_ladder(cfg, run))
        return
    arm = here / "data" / "runs" / cfg.arm_run / "loop"
    sup_eval = Evaluator(read_checkpoint(here / SUPERVISED).net, batch_size=64, use_bf16=True,
                         symmetries="random", seed=7)
    sup = net_evaluate(sup_eval)
    out = arm.parent / "ladder.csv"
    done = set(pd.read_csv(out).generation) if out.exists() else set()
    train = pd.read_csv(arm / "train.csv").set_index("generation")
    rows = []
    for ckpt in sorted((arm / "checkpoints").glob("gen_*.safetensors")):
        gen = int(ckpt.stem.split("_")[1])
        if (gen + 1) % cfg.ladder_every or gen in done:
            continue
        gen_eval = Evaluator(read_checkpoint(ckpt).net, batch_size=64, use_bf16=True,
                             symmetries="random", seed=gen)
        mse, n_held = held_out_value(gen_eval, arm, gen)
        sup_mse, _ = held_out_value(sup_eval, arm, gen)
        res = play_nets(net_evaluate(gen_eval), sup, cfg.ladder_games, cfg.ladder_visits, 9,
                        7.5, seed=10_000 + gen)
        lo, hi = res.wilson()
        row = dict(generation=gen, cpu_s=float(train.cpu_s.get(gen, float("nan"))),
                   wins=res.wins, losses=res.losses, draws=res.draws,
                   score=round(res.score, 3), lo=round(lo, 3), hi=round(hi, 3),
                   visits=cfg.ladder_visits, held_out_positions=n_held,
                   value_mse=round(mse, 4), supervised_value_mse=round(sup_mse, 4))
        rows.append(row)
        append_row(out, row)
    gnugo = run_gnugo_ladder(cfg, run) if cfg.ladder_gnugo_games else 0
    run.finish("measured", len(rows), gnugo_points=gnugo)


def run_figures(cfg: Config, run: Run) -> None:
    """Curves over CPU-hours for every arm: ladder scores (the supervised net, GNU Go), losses,
    false resignations, game length, held-out value MSE."""
    here = Path(__file__).resolve().parent
    fig, axes = new_figure(2, 4, width=5, height=4)
    ax = axes.ravel()
    rows = []

    def band(a, frame: pd.DataFrame, label: str, color: str, prefix: str = "") -> None:
        h = frame.cpu_s / 3600
        s, lo, hi = frame[f"{prefix}score"], frame[f"{prefix}lo"], frame[f"{prefix}hi"]
        a.errorbar(h, s, yerr=[s - lo, hi - s], marker="o", capsize=3, label=label, color=color)

    # One colour per arm in every panel (panels skip arms without data).
    for i, item in enumerate(cfg.arms.split(",")):
        run_id, label = item.split(":")
        c = f"C{i}"
        folder = here / "data" / "runs" / run_id
        train = pd.read_csv(folder / "loop" / "train.csv")
        games = pd.read_csv(folder / "loop" / "selfplay.csv")
        hours = train.set_index("generation").cpu_s / 3600
        ax[2].plot(hours, train.policy_ce.values, label=label, color=c)
        ax[3].plot(hours, train.value_mse.values, label=label, color=c)
        by_gen = games.groupby("generation")
        gen_hours = hours.reindex(by_gen.moves.mean().index)
        ax[4].plot(gen_hours, by_gen.moves.mean().values, label=label, color=c)
        nr = games[games.no_resign.astype(str) == "True"].groupby("generation")
        ax[5].plot(hours.reindex(nr.false_resign.mean().index), nr.false_resign.mean().values,
                   label=label, color=c)
        ladder_path = folder / "ladder.csv"
        if ladder_path.exists():
            ladder = pd.read_csv(ladder_path).sort_values("generation")
            band(ax[0], ladder, label, c)
            h = ladder.cpu_s / 3600
            ax[6].plot(h, ladder.value_mse, marker="o", color=c, label=f"{label}: the arm's net")
            ax[6].plot(h, ladder.supervised_value_mse, marker="x", ls=":", color=c,
                       label=f"{label}: supervised net")
            for _, r in ladder.iterrows():
                rows.append({"arm": label, "opponent": "supervised", **r.to_dict()})
        # GNU Go at the ladder's visits (panel 1) and at 800 (panel 7, `ladder_visits=800`).
        for a, suffix in ((ax[1], ""), (ax[7], "_v800")):
            gnugo_path = folder / f"ladder_gnugo{suffix}.csv"
            if gnugo_path.exists():
                gnugo = pd.read_csv(gnugo_path).sort_values("generation")
                band(a, gnugo, label, c, prefix="gnugo_")
                for _, r in gnugo.iterrows():
                    rows.append({"arm": label, "opponent": f"gnugo-{cfg.gnugo_level}",
                                 **r.to_dict()})
    for a, suffix in ((ax[1], ""), (ax[7], "_v800")):
        sup_path = here / "data" / f"supervised_gnugo{suffix}.csv"
        if sup_path.exists():
            sup = pd.read_csv(sup_path).iloc[-1]
            a.axhline(sup.gnugo_score, color="black", lw=1,
                      label=f"supervised net ({int(sup.gnugo_wins)}/{int(sup.gnugo_games)})")
            a.axhspan(sup.gnugo_lo, sup.gnugo_hi, color="grey", alpha=0.2)
    ax[0].axhline(0.5, color="grey", lw=0.8)
    ax[0].axhline(0.65, color="green", lw=0.8, ls="--")
    titles = [f"score vs the supervised net, {cfg.ladder_visits} visits (95% CI)",
              f"score vs GNU Go {cfg.gnugo_level}, {cfg.ladder_visits} visits (95% CI)",
              "policy CE (train)", "value MSE (train)", "mean game length (moves)",
              "false-resignation rate (no-resign games)", "value MSE on held-out self-play",
              f"score vs GNU Go {cfg.gnugo_level}, 800 visits (95% CI)"]
    for a, t in zip(ax, titles, strict=True):
        a.set_title(t, fontsize=9)
        a.set_xlabel("CPU-hours of the loop")
        a.legend(fontsize=7)
    fig.suptitle("a seed per game, colours alternating", fontsize=9)
    run.save_figure(fig, "curves")
    if rows:
        from rocks.metrics import write_table
        write_table(run.dir / "ladder_all.csv", rows)
    run.finish("arms", len(cfg.arms.split(",")))


TEACHER_GAMES = "../2026-11-25_21-49_teacher-games-gnugo-9x9/data"


def prior_stats(evaluator: Evaluator, data) -> dict[str, float]:  # noqa: ANN001 (Examples)
    """Policy cross-entropy against the examples' targets, top-move agreement, mean prior
    entropy and value MSE of one net on a set of examples."""
    out = evaluator.evaluate_planes(data.planes.astype(np.float32))
    target = data.policy.astype(np.float32)
    has = data.policy_weight.astype(np.float32) > 0
    p = np.clip(out.priors, 1e-9, 1.0)
    entropy = -(out.priors * np.log(p)).sum(axis=1)
    valued = data.value_weight.astype(np.float32) > 0
    return dict(policy_ce=float(-(target[has] * np.log(p[has])).sum(axis=1).mean()),
                top_move_agreement=float((out.priors[has].argmax(1) ==
                                          target[has].argmax(1)).mean()),
                prior_entropy=float(entropy.mean()),
                target_entropy=float(-(target[has] * np.log(np.clip(target[has], 1e-9, 1.0)))
                                     .sum(axis=1).mean()),
                value_mse=float(((out.values - data.value.astype(np.float32)) ** 2)[valued]
                                .mean()))


def run_diagnose(cfg: Config, run: Run) -> None:
    """Does self-play forget its teacher, and how sharp are its priors?  Every ladder point of
    every arm (and the supervised net) on the held-out GNU Go teacher positions (the supervised
    net's validation split, rebuilt from the committed SGFs) and on the arm's own held-out
    self-play positions (generation ``gen + 1``'s games, where the shards are on disk)."""
    here = Path(__file__).resolve().parent
    held_out = load_examples(sorted((teacher_shards() / "val").glob("*.npz")))
    assert held_out is not None
    nets: list[tuple[str, int, Path]] = [("supervised", -1, here / SUPERVISED)]
    for arm in cfg.arms.split(","):
        run_id, label = arm.split(":")
        ckpts = here / "data" / "runs" / run_id / "loop" / "checkpoints"
        for ckpt in sorted(ckpts.glob("gen_*.safetensors")):
            gen = int(ckpt.stem.split("_")[1])
            if (gen + 1) % cfg.ladder_every == 0:
                nets.append((label, gen, ckpt))
    rows = []
    for label, gen, ckpt in nets:
        ev = Evaluator(read_checkpoint(ckpt).net, batch_size=256, use_bf16=True,
                       symmetries="none", seed=0)
        rows.append(dict(arm=label, generation=gen, positions="teacher held-out",
                         n=len(held_out), **prior_stats(ev, held_out)))
        if gen >= 0:
            run_id = next(a.split(":")[0] for a in cfg.arms.split(",")
                          if a.split(":")[1] == label)
            own = load_examples(sorted((here / "data" / "runs" / run_id / "loop" / "selfplay")
                                       .glob(f"g{gen + 1:04d}_*.npz")))
            if own is not None:
                rows.append(dict(arm=label, generation=gen, positions="own self-play held-out",
                                 n=len(own), **prior_stats(ev, own)))
        print(json.dumps(rows[-1]), flush=True)
    from rocks.metrics import write_table
    write_table(run.dir / "diagnosis.csv", rows)
    run.finish("nets", len(nets))


def run_match(cfg: Config, run: Run) -> None:
    """The done-bar of issue 11: the RL net against the supervised net at equal visits, a seed
    per game, colours alternating; one CSV row and one SGF per game, resumable."""
    here = Path(__file__).resolve().parent
    sup = net_evaluate(Evaluator(read_checkpoint(here / SUPERVISED).net, batch_size=64,
                                 use_bf16=True, symmetries="random", seed=7))
    rl = net_evaluate(Evaluator(read_checkpoint(here / cfg.match_model).net, batch_size=64,
                                use_bf16=True, symmetries="random", seed=8))
    log = run.metrics("match")
    done = {int(r["game"]) for r in log.rows()} if log.path.exists() else set()
    for g in range(cfg.match_start, cfg.match_start + cfg.match_games):
        if g in done:
            continue
        res = play_nets(rl, sup, 1, cfg.match_visits, 9, 7.5, seed=20_000, start=g,
                        sgf_dir=run.dir / "sgf", names=("rocks-rl", "rocks-supervised"))
        colour, winner = res.games[0]
        log.log(game=g, rl_colour="B" if colour == 1 else "W", winner=winner,
                rl_won=int(winner == colour))
    log.close()
    rows = log.rows()
    wins = sum(int(r["rl_won"]) for r in rows)
    run.finish("rl_score", wins / len(rows), wins=wins, games=len(rows))


def run_referee(cfg: Config, run: Run) -> None:
    """Every game of the match runs, judged again: resignations stand; a two-pass game is
    scored by GNU Go's dead-stone list and an area count (rocks.engines.referee)."""
    from rocks.engines.referee import referee_score
    from rocks.go.sgf import load_sgf

    here = Path(__file__).resolve().parent
    rows = []
    for run_id in cfg.match_runs.split(","):
        folder = here / "data" / "runs" / run_id
        for r in pd.read_csv(folder / "match.csv").itertuples():
            record = load_sgf(folder / "sgf" / f"game_{r.game}.sgf")
            ours = record.result
            judged = ours if ours.endswith("+R") else referee_score(record)
            rl_black = r.rl_colour == "B"
            winner_black = judged is not None and judged.startswith("B")
            rows.append(dict(run=run_id, game=r.game, rl_colour=r.rl_colour, ours=ours,
                             referee=judged, agree=int(judged is not None and
                                                       judged[:1] == ours[:1]),
                             rl_won=int(judged is not None and winner_black == rl_black),
                             moves=" ".join(str(m) for _, m in record.moves)))
    frame = pd.DataFrame(rows)
    repeated = int(frame.duplicated("moves").sum())
    from rocks.metrics import write_table
    write_table(run.dir / "refereed.csv", frame.drop(columns="moves").to_dict("records"))
    wins, n = int(frame.rl_won.sum()), len(frame)
    from rocks.stats import wilson_interval
    lo, hi = wilson_interval(wins / n, n)
    run.finish("rl_score", wins / n, wins=wins, games=n, lo=round(lo, 3), hi=round(hi, 3),
               referee_agrees=int(frame.agree.sum()), repeated_games=repeated)


def run_mine(cfg: Config, run: Run) -> None:
    """Start positions from the games our nets lost to GNU Go on the 200-visit ladders (the
    supervised net's and every run started from it; not the Zero arm's, whose losses say
    nothing about a strong net's blind spots): two cuts a game between moves 10 and 60, at
    least 10 moves before the end, into data/start_positions (committed: a few hundred KB)."""
    here = Path(__file__).resolve().parent
    folders = [here / "data" / "supervised_gnugo" / "sgf"]
    for conf in sorted((here / "data" / "runs").glob("run-*/config.json")):
        if json.loads(conf.read_text())["config"].get("init"):
            folders += sorted(conf.parent.glob("ladder_gnugo/gen_*/sgf"))
    files = [f for folder in folders for f in sorted(folder.glob("*.sgf"))]
    records = [load_sgf(f) for f in files]
    mined = mine_start_positions(records, MiningConfig(player="rocks", seed=cfg.seed))
    out = here / "data" / "start_positions"
    shutil.rmtree(out, ignore_errors=True)
    save_start_positions([moves for _, moves in mined], out, size=9)
    rows = [dict(start=i, source=str(files[g].relative_to(here)), moves=len(moves),
                 net_colour="B" if "rocks" in records[g].black_player else "W")
            for i, (g, moves) in enumerate(mined)]
    table = pd.DataFrame(rows)
    table.to_csv(here / "data" / "start_positions.csv", index=False)
    lost = sum(1 for r in records if lost_by(r, "rocks"))
    print(f"{len(files)} ladder games, {lost} lost by our nets -> {len(mined)} start "
          f"positions (net as White in {(table.net_colour == 'W').mean():.2f}; moves "
          f"median {table.moves.median():.0f})", flush=True)
    run.finish("start_positions", len(mined), games=len(files), lost=lost,
               net_white=float((table.net_colour == "W").mean()),
               median_moves=float(table.moves.median()))


def main(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    if cfg.stage == "loop":
        run_loop(cfg, run)
    elif cfg.stage == "ladder":
        run_ladder(cfg, run)
    elif cfg.stage == "figures":
        run_figures(cfg, run)
    elif cfg.stage == "match":
        run_match(cfg, run)
    elif cfg.stage == "referee":
        run_referee(cfg, run)
    elif cfg.stage == "diagnose":
        run_diagnose(cfg, run)
    elif cfg.stage == "mine":
        run_mine(cfg, run)
    else:
        raise SystemExit(f"unknown stage {cfg.stage!r}")


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
