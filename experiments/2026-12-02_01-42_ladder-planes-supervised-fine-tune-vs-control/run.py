"""Ladder planes: does the shipped 9x9 net play better when it also reads ladders?

Experiment 2026-12-02_01-42_ladder-planes-supervised-fine-tune-vs-control (issue 11: a net
stronger than its teacher; the supervised net's losses to Pachi are mid-game fights, and our
nets had no ladder inputs, which AlphaGo and KataGo both have).

Two arms, each a short supervised fine-tune of the shipped net (models/rocks-9x9-b6c64) on
the same teacher shards, the same epochs, learning rate and seed:

- ``ladders=true``: the net widened to 22 input planes (``rocks.nets.model.widen_inputs``:
  zero weights for the three ladder planes of ``rocks.go.ladders``), the planes appended to
  the 19-plane shards as they load (``rocks.train.shards.with_planes``);
- ``ladders=false``: the control, 19 planes, otherwise identical (so the extra epochs alone
  are not mistaken for the planes' effect).

Stages (``--set stage=...``):

- ``train``: one arm (``ladders``); writes ``train/`` (run_supervised's folder: train.csv,
  checkpoints) and ``ladder_positions.csv``: move accuracy on the validation positions where
  a ladder plane is set, against the shipped net on the same positions.
- ``gauntlet``: ``arm_run``'s net (or the shipped net, ``arm_run=shipped``) against GNU Go
  ``level`` at ``visits`` a move, ``games`` games, colours alternating, a seed per game,
  refereed by ``rocks arena`` (resumes); writes ``gauntlet.csv``.
- ``summary``: the arms side by side (``runs``): ``summary.csv`` (with the ladder arm's mean
  |stem weight| on the base and on the ladder planes) and a figure.

Run as ``rocks lab run EXP --set stage=train --set ladders=true`` (and ``false``), then
``--set stage=gauntlet --set arm_run=run-001``, then ``--set stage=summary --set runs=...``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rocks.lab import Run, new_figure, start_run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHIPPED = ROOT / "models" / "rocks-9x9-b6c64.safetensors"
SHARDS = ROOT / "experiments" / "2026-12-01_14-11_self-play-rl-puct-vs-gumbel-vs-scratch" / \
    "data" / "anchor_shards"


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "train"  # train | gauntlet | summary
    ladders: bool = True  # train: the arm
    epochs: int = 3  # train: fine-tuning epochs over the teacher shards
    lr: float = 5e-4  # train: peak learning rate (cosine to 0)
    batch_size: int = 256
    seed: int = 0
    data: str = str(SHARDS)  # train: a `rocks data import` folder (train/, val/)
    arm_run: str = "shipped"  # gauntlet: a train run of this experiment, or "shipped"
    games: int = 100  # gauntlet
    visits: int = 200  # gauntlet: fixed visits a move
    level: int = 10  # gauntlet: GNU Go's level
    gauntlet_seed: int = 11  # gauntlet: the arena's seed (game i gets its own from it)
    runs: str = ""  # summary: comma-separated run ids


def net_path(arm_run: str) -> Path:
    if arm_run == "shipped":
        return SHIPPED
    path = HERE / "data" / "runs" / arm_run / "train" / "checkpoints" / "latest.safetensors"
    if not path.exists():
        raise SystemExit(f"error: {arm_run} has no trained net ({path})")
    return path


# ------------------------------------------------------------------------------------ train
def ladder_accuracy(paths: dict[str, Path], data: Path) -> pd.DataFrame:
    """Top-1 move accuracy of each net on the validation positions, split by whether any
    ladder plane is set there (the positions where reading a ladder can matter)."""
    import torch

    from rocks.go import features
    from rocks.nets.checkpoint import read_checkpoint
    from rocks.train.shards import list_shards, load_examples, with_planes

    val = load_examples(list_shards(data / "val"))
    if val is None:
        raise SystemExit(f"error: no validation shards in {data / 'val'}")
    wide = with_planes(val, features.NUM_PLANES_LADDERS)
    ladder = wide.planes[:, features.LADDER_PLANE:].reshape(len(wide), -1).max(axis=1) > 0
    moves_set = wide.planes[:, features.LADDER_PLANE + 2].reshape(len(wide), -1).max(axis=1) > 0
    target = val.policy.astype(np.float32).argmax(axis=1)
    weight = val.policy_weight.astype(np.float32) > 0
    rows = []
    for name, path in paths.items():
        net = read_checkpoint(path).net.eval()
        ex = with_planes(val, net.config.in_planes)
        preds = []
        with torch.no_grad():
            for i in range(0, len(ex), 512):
                x = torch.from_numpy(ex.planes[i:i + 512].astype(np.float32))
                preds.append(net(x).policy.argmax(dim=1).numpy())
        hit = np.concatenate(preds) == target
        for subset, mask in (("all", weight), ("any ladder plane", weight & ladder),
                             ("a ladder-capture move", weight & moves_set),
                             ("no ladder plane", weight & ~ladder)):
            rows.append(dict(net=name, positions=subset, n=int(mask.sum()),
                             accuracy=round(float(hit[mask].mean()), 4)))
    return pd.DataFrame(rows)


def stage_train(cfg: Config, run: Run) -> None:
    from rocks.train.supervised import SupervisedConfig, run_supervised

    data = Path(cfg.data)
    scfg = SupervisedConfig(data_dir=str(data), out_dir=str(run.dir / "train"),
                            init=str(SHIPPED), epochs=cfg.epochs, batch_size=cfg.batch_size,
                            lr=cfg.lr, seed=cfg.seed, ladders=cfg.ladders, device="cpu")
    metrics = run_supervised(scfg)
    table = ladder_accuracy({"shipped": SHIPPED,
                             "ladders" if cfg.ladders else "control":
                             run.dir / "train" / "checkpoints" / "latest.safetensors"}, data)
    table.to_csv(run.dir / "ladder_positions.csv", index=False)
    print(table.to_string(index=False), flush=True)
    mine = table[table.net != "shipped"].set_index("positions")["accuracy"]
    run.finish("val_accuracy", float(metrics["accuracy"]), ladders=cfg.ladders,
               ladder_positions_accuracy=float(mine["any ladder plane"]),
               capture_move_positions_accuracy=float(mine["a ladder-capture move"]),
               **{f"val_{k}": float(v) for k, v in metrics.items()})


# --------------------------------------------------------------------------------- gauntlet
def stage_gauntlet(cfg: Config, run: Run) -> None:
    from rocks.play.arena import gauntlet_score, read_results

    model = net_path(cfg.arm_run)
    out = run.dir / "arena"
    cmd = [sys.executable, "-m", "rocks.cli", "arena", "--mode", "gauntlet",
           "--engine", f"gnugo:{cfg.level}", "--engine", f"rocks:{model}:{cfg.visits}",
           "--games", str(cfg.games), "--seed", str(cfg.gauntlet_seed), "--out", str(out),
           "--quiet", "--move-timeout", "600"]  # fixed visits: a slow start must not forfeit
    subprocess.run(cmd, check=True)
    # A game forfeited before its first move measured the machine's load, not Go: left out.
    s = gauntlet_score(read_results(out / "results.csv"), f"gnugo-{cfg.level}")
    row = dict(arm_run=cfg.arm_run, model=str(model.relative_to(ROOT)), visits=cfg.visits,
               level=cfg.level, games=s.games, wins=s.wins, score=round(s.score, 3),
               lo=round(s.lo, 3), hi=round(s.hi, 3), forfeits_left_out=s.forfeits_left_out)
    pd.DataFrame([row]).to_csv(run.dir / "gauntlet.csv", index=False)
    print(json.dumps(row), flush=True)
    run.finish("score", row["score"], games=s.games, wins=s.wins, lo=row["lo"], hi=row["hi"])


# ---------------------------------------------------------------------------------- summary
def stage_summary(cfg: Config, run: Run) -> None:
    base = HERE / "data" / "runs"
    rows = []
    for rid in [r.strip() for r in cfg.runs.split(",") if r.strip()]:
        rcfg = json.loads((base / rid / "config.json").read_text())["config"]
        row: dict[str, object] = {"run": rid, "stage": rcfg["stage"]}
        if rcfg["stage"] == "train":
            row["arm"] = "ladders" if rcfg["ladders"] else "control"
            train = pd.read_csv(base / rid / "train" / "train.csv").iloc[-1]
            row.update(val_accuracy=train["val_accuracy"], val_value_mse=train["val_value_mse"])
            if rcfg["ladders"]:  # how much the widened stem came to weigh the new planes
                from rocks.go import features
                from rocks.nets.checkpoint import read_checkpoint

                w = read_checkpoint(net_path(rid)).net.stem.weight.detach().abs()
                row.update(stem_abs_base=round(float(w[:, :features.NUM_PLANES].mean()), 4),
                           stem_abs_ladder=round(float(w[:, features.LADDER_PLANE:].mean()), 4))
            acc = pd.read_csv(base / rid / "ladder_positions.csv")
            for _, r in acc.iterrows():
                row[f"{r['net']}:{r['positions']}"] = r["accuracy"]
        else:
            g = pd.read_csv(base / rid / "gauntlet.csv").iloc[0].to_dict()
            row.update({k: g[k] for k in ("arm_run", "visits", "games", "wins", "score",
                                          "lo", "hi")})
        rows.append(row)
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "summary.csv", index=False)
    print(table.to_string(index=False), flush=True)
    g = table[table.stage == "gauntlet"]
    if len(g):
        fig, ax = new_figure()
        y = np.arange(len(g))
        ax.errorbar(g.score, y, xerr=[g.score - g.lo, g.hi - g.score], fmt="o")
        ax.set_yticks(y, [f"{a} ({int(n)} games)" for a, n in zip(g.arm_run, g.games,
                                                                    strict=True)])
        ax.axvline(0.5, color="grey", linestyle="--")
        ax.set_xlabel(f"score against GNU Go {cfg.level} (95% interval)")
        run.save_figure(fig, "gauntlet")
    run.finish("arms", float(len(table)), runs=cfg.runs)


def main(cfg: Config, run: Run) -> None:
    stages = {"train": stage_train, "gauntlet": stage_gauntlet, "summary": stage_summary}
    if cfg.stage not in stages:
        raise SystemExit(f"error: stage must be one of {sorted(stages)}, got {cfg.stage!r}")
    stages[cfg.stage](cfg, run)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
