"""Teacher games: GNU Go against GNU Go on 9x9 (levels mixed, random openings), as SGF.

The games are a pool shared by every run (data/games, data/games_fast: game_<i>.sgf, resumable,
game i a function of (seed, i)); a run plays the missing games of its share and then summarises
the whole pool into its own folder (summary.csv by level pair, figures).  The pool was filled by
background processes equivalent to (see data/teacher_*.log):

    rocks data teacher --out data/games --games 3000 --levels 1,5,8,10 --seed 1 \
        --workers 2 --worker W
    rocks data teacher --out data/games_fast --games 5000 --levels 1,2,3,4,5 --seed 2 \
        --workers 2 --worker W
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rocks.lab import Run, new_figure, start_run
from rocks.train.teacher import TeacherConfig, generate


@dataclass(frozen=True)
class Config:
    """Every knob; `--name value` on the command line overrides a default."""

    pool: str = "data/games"
    games: int = 0  # play games 0..games-1 of the pool first (0: only summarise)
    levels: tuple[int, ...] = (1, 5, 8, 10)
    max_opening: int = 4
    seed: int = 1
    worker: int = 0
    workers: int = 1


def main(cfg: Config, run: Run) -> None:
    here = Path(__file__).resolve().parent
    if cfg.games:
        generate(TeacherConfig(out_dir=str(here / cfg.pool), games=cfg.games,
                               levels=cfg.levels, max_opening=cfg.max_opening, seed=cfg.seed,
                               worker=cfg.worker, workers=cfg.workers))
    frames = [pd.read_csv(p).assign(pool=p.parent.name)
              for p in sorted((here / "data").glob("games*/games*.csv"))]
    games = pd.concat(frames, ignore_index=True)
    games["pair"] = games.black + " v " + games.white
    summary = games.groupby(["black", "white"]).agg(
        games=("index", "count"), black_wins=("winner", lambda w: int((w == "B").sum())),
        mean_moves=("moves", "mean"),
        black_s_per_move=("black_s", "sum"), white_s_per_move=("white_s", "sum"))
    summary["black_s_per_move"] /= games.groupby(["black", "white"]).moves.sum() / 2
    summary["white_s_per_move"] /= games.groupby(["black", "white"]).moves.sum() / 2
    summary.round(3).to_csv(run.dir / "summary.csv")
    fig, axes = new_figure(1, 2, width=11)
    axes[0].hist(games.moves, bins=30)
    axes[0].set_xlabel("moves per game")
    secs = pd.concat([games[["black", "black_s", "moves"]].set_axis(["eng", "s", "m"], axis=1),
                      games[["white", "white_s", "moves"]].set_axis(["eng", "s", "m"], axis=1)])
    per = secs.groupby("eng").s.sum() / (secs.groupby("eng").m.sum() / 2)
    axes[1].bar(per.index, per.values)
    axes[1].set_ylabel("seconds per move (shared 2-core VM)")
    run.save_figure(fig, "games")
    run.finish("games", len(games), black_win_rate=float((games.winner == "B").mean()),
               mean_moves=float(games.moves.mean()))


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
