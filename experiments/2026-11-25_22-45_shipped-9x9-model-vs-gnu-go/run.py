"""The shipped 9x9 model against GNU Go (or Pachi), measured by the match driver (`rocks arena`).

The model plays as bare `rocks gtp --model M` does: the default time per move (0.8 s, so every
move stays under 1 s here), one torch thread.  GNU Go 3.8 at `level`, komi 7.5, area scoring,
positional superko, colours alternating, a GNU Go seed per game.  The arena folder
(data/runs/<id>/arena: results.csv, sgf/, ratings.txt) resumes when the run is resumed.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rocks.lab import Run, new_figure, start_run
from rocks.stats import wilson_interval


@dataclass(frozen=True)
class Config:
    """Every knob; `--name value` on the command line overrides a default."""

    model: str = "../../models/rocks-9x9-b6c64.safetensors"
    level: int = 10
    games: int = 20
    jobs: int = 1
    # "tromp-taylor": the count of the final board is the result (GNU Go runs with
    # --capture-all-dead); "referee" (run-001, run-002): the engines' agreed score, else GNU
    # Go's dead-stone list, which misjudged a seki in run-002.
    scoring: str = "tromp-taylor"
    # The opponent: GNU Go at ``level`` (pachi_playouts 0), or Pachi at ``pachi_playouts`` on
    # one thread, built from source (docs/guide.md, "Pachi"): its binary at ``pachi_bin``.
    pachi_playouts: int = 0
    pachi_bin: str = ""



def main(cfg: Config, run: Run) -> None:
    here = Path(__file__).resolve().parent
    model = (here / cfg.model).resolve()
    arena = run.dir / "arena"
    opponent = ["--engine", f"gnugo:{cfg.level}"]
    if cfg.pachi_playouts:
        if not Path(cfg.pachi_bin).is_file():
            raise SystemExit(f"pachi_bin {cfg.pachi_bin!r} is not a file: build Pachi from "
                             "source (docs/guide.md, \"Pachi\") and pass its path")
        if cfg.scoring == "tromp-taylor":  # Pachi passes with dead stones on the board
            raise SystemExit("against Pachi use --set scoring=gnugo (GNU Go judges the dead "
                             "stones of every game) or referee")
        opponent = ["--engine", f"pachi:{cfg.pachi_playouts}", "--pachi", cfg.pachi_bin]
    cmd = [sys.executable, "-m", "rocks.cli", "arena", "--mode", "gauntlet",
           "--engine", f"rocks:{model}", *opponent,
           "--games", str(cfg.games), "--jobs", str(cfg.jobs), "--out", str(arena),
           "--scoring", cfg.scoring]
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    rows = pd.read_csv(arena / "results.csv")
    me = rows.black.str.startswith("rocks")
    rows["rocks_colour"] = me.map({True: "B", False: "W"})
    rows["rocks_won"] = rows.winner.fillna("").astype(str).str.startswith("rocks")
    rows["rocks_s_per_move"] = rows.black_s.where(me, rows.white_s) / (rows.moves / 2)
    if "black_max_s" in rows:  # arenas from 2026-11-26 on record each side's slowest move
        rows["rocks_max_s_per_move"] = rows.black_max_s.where(me, rows.white_max_s)
    rows.to_csv(run.dir / "games.csv", index=False)
    wins, n = int(rows.rocks_won.sum()), len(rows)
    lo, hi = wilson_interval(wins / n if n else 0.0, n)
    fig, ax = new_figure()
    ax.hist(rows.rocks_s_per_move, bins=20, alpha=0.7, label="mean move of a game")
    if "rocks_max_s_per_move" in rows:
        ax.hist(rows.rocks_max_s_per_move, bins=20, alpha=0.7, label="slowest move of a game")
    ax.set_xlabel("rocks seconds per move")
    ax.legend()
    run.save_figure(fig, "seconds_per_move")
    slowest = {"max_s_per_move": round(float(rows.rocks_max_s_per_move.max()), 3)} \
        if "rocks_max_s_per_move" in rows else {}
    run.finish("win_rate", wins / n if n else float("nan"), wins=wins, games=n,
               wilson_lo=round(lo, 3), wilson_hi=round(hi, 3),
               wins_as_black=int(rows.rocks_won[me].sum()),
               wins_as_white=int(rows.rocks_won[~me].sum()),
               max_game_mean_s_per_move=round(float(rows.rocks_s_per_move.max()), 3),
               **slowest)


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
