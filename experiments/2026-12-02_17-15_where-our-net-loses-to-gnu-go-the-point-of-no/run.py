"""Where our net loses to GNU Go: the point of no return in each lost game.

Every position of a lost game where our net was to move is searched again by a judge (the
shipped net with a deeper search than it played with, no noise, a seed per game).  The judge's
root value, from our side, traces the game; the point of no return is the first of our moves
after which the judge never again sees us at or above ``threshold``.  Its move number says
whether the games are lost in the opening, the middle game or the endgame, and so where start
positions for self-play (KataGo's hint positions) should be cut.  Games that the judge sees as
lost from our first move count as lost in the opening.

Run with `rocks lab run EXP --set key=value`; rows go to data/runs/<run_id>/moves.csv (one per
judged position) and games.csv (one per game).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rocks.go import coords
from rocks.go.sgf import load_sgf
from rocks.lab import Run, new_figure, progress, start_run
from rocks.nets.checkpoint import read_checkpoint
from rocks.nets.evaluator import Evaluator
from rocks.search.mcts import MCTS
from rocks.train.evaluate import eval_mcts_config
from rocks.train.selfplay import net_evaluate
from rocks.train.starts import lost_by

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Config:
    """Every knob; `--name value` on the command line overrides a default."""

    # SGF folders, relative to the repository root, comma separated: the shipped net's 100
    # games at 0.8 s a move (run-004) and its 99 games at 200 visits (the ladder's reference).
    sources: str = ("experiments/2026-11-25_22-45_shipped-9x9-model-vs-gnu-go/data/runs/"
                    "run-004/arena/sgf,experiments/2026-12-01_14-11_self-play-rl-puct-vs-"
                    "gumbel-vs-scratch/data/supervised_gnugo/sgf")
    player: str = "rocks"  # a substring of our side's PB/PW
    judge: str = "models/rocks-9x9-b6c64.safetensors"  # relative to the repository root
    visits: int = 800  # the judge's search per position
    threshold: float = 0.0  # the point of no return: the judge's value stays below this
    won_games: int = 20  # won games judged too, as the control (the first N)
    threads: int = 1
    seed: int = 0


def judge_game(path: Path, cfg: Config, evaluate, rng: np.random.Generator) -> list[dict]:
    record = load_sgf(path)
    ours = 1 if cfg.player in record.black_player else -1
    rows = []
    positions = record.positions()
    # The last position too: where a resigned game ended, our side to move (nothing played).
    for t, pos in enumerate(positions):
        if pos.to_play != ours or pos.is_game_over():
            continue
        tree = MCTS(pos, eval_mcts_config(cfg.visits), rng)
        res = tree.run(evaluate)
        played = record.moves[t][1] if t < len(record.moves) else None
        share = res.visits / max(1, res.visits.sum())
        rows.append(dict(move_number=t + 1, value=round(float(res.root_value), 4),
                         played="" if played is None else coords.to_gtp(played, record.size),
                         judge_move=coords.to_gtp(res.move, record.size),
                         played_share=np.nan if played is None else round(float(share[played]), 4),
                         q_gap=round(float(res.q[res.move] - res.q[played]), 4)
                         if played is not None and res.visits[played] else np.nan))
    return rows


def point_of_no_return(values: np.ndarray, threshold: float) -> int:
    """Index of the first value after which every value is below ``threshold``."""
    above = np.nonzero(values >= threshold)[0]
    return 0 if not len(above) else int(above[-1]) + 1


def main(cfg: Config, run: Run) -> None:
    torch.set_num_threads(cfg.threads)
    net = read_checkpoint(ROOT / cfg.judge).net
    evaluate = net_evaluate(Evaluator(net, batch_size=64, use_bf16=True, symmetries="random",
                                      seed=cfg.seed))
    files = [f for s in cfg.sources.split(",") for f in sorted((ROOT / s).glob("*.sgf"))]
    # A forfeit (an engine that died before the first move) is not a game of Go.
    records = {f: load_sgf(f) for f in files}
    played = [f for f in files if records[f].moves]
    lost = [f for f in played if lost_by(records[f], cfg.player)]
    won = [f for f in played if f not in lost][:cfg.won_games]
    moves_log, games_log = run.metrics("moves"), run.metrics("games")
    for i, path in enumerate(progress(lost + won, desc="games")):
        record = load_sgf(path)
        rows = judge_game(path, cfg, evaluate, np.random.default_rng([cfg.seed, i]))
        if not rows:
            continue
        values = np.array([r["value"] for r in rows])
        k = point_of_no_return(values, cfg.threshold)
        game = dict(game=i, source=str(path.relative_to(ROOT)), lost=path in lost,
                    colour="B" if cfg.player in record.black_player else "W",
                    moves=len(record.moves), result=record.result,
                    first_value=values[0], min_value=values.min(),
                    pnr_move=rows[min(k, len(rows) - 1)]["move_number"] if k < len(rows)
                    else np.nan, pnr_index=k, our_moves=len(rows),
                    biggest_drop_move=rows[int(np.argmax(-np.diff(values)))]["move_number"]
                    if len(values) > 1 else np.nan)
        games_log.log(**game)
        for r in rows:
            moves_log.log(game=i, **r)
    moves_log.close()
    games_log.close()
    games = pd.read_csv(run.dir / "games.csv")
    moves = pd.read_csv(run.dir / "moves.csv")
    lost_games = games[games.lost]
    fig, ax = new_figure()
    for lost_flag, colour in ((False, "tab:blue"), (True, "tab:red")):
        for g in games[games.lost == lost_flag].game:
            m = moves[moves.game == g]
            ax.plot(m.move_number, m.value, color=colour, alpha=0.35, linewidth=1)
    ax.axhline(cfg.threshold, color="grey", linestyle="--")
    ax.set_xlabel("move number")
    ax.set_ylabel(f"judge's value for our side ({cfg.visits} visits)")
    ax.set_title("lost games (red) and won games (blue) against GNU Go 10")
    run.save_figure(fig, "values")
    fig, ax = new_figure()
    ax.hist(lost_games.pnr_move.dropna(), bins=range(0, 85, 5), color="tab:red")
    ax.set_xlabel("move number of the point of no return")
    ax.set_ylabel("lost games")
    run.save_figure(fig, "point_of_no_return")
    run.finish("median_pnr_move", float(lost_games.pnr_move.median()),
               lost=len(lost_games), won_judged=int((~games.lost).sum()),
               lost_from_start=int((lost_games.pnr_index == 0).sum()),
               pnr_move_q25=float(lost_games.pnr_move.quantile(0.25)),
               pnr_move_q75=float(lost_games.pnr_move.quantile(0.75)),
               lost_as_white=int((lost_games.colour == "W").sum()))


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
