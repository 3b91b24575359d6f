"""9x9 model ladder: candidate models against GNU Go 10 at a fixed number of visits.

A cheap, comparable strength yardstick for the Learning issue's training runs: every model
searches the same fixed number of MCTS visits per move (not a time budget), so results do not
depend on the machine's load, and a game costs ~15 s instead of ~45 s at 0.8 s/move.  The bar
itself (>= 80% at <= 1 s/move over 100 games) is measured separately, by the match driver at
the shipped time budget (`2026-11-25_22-45_shipped-9x9-model-vs-gnu-go`).

Mechanics: `rocks arena --mode gauntlet` with GNU Go first, so GNU Go 3.8 (level `level`,
`--capture-all-dead`, a seed per game) plays every model `games` games, colours alternating;
komi 7.5, area scoring, positional superko; each model is `rocks gtp --model M --visits V`
(bfloat16 when its start-up check passes, one torch thread).  The arena folder
(data/runs/<id>/arena) resumes when the run is resumed.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rocks.lab import Run, new_figure, start_run
from rocks.stats import wilson_interval

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Config:
    """Every knob; `--name value` on the command line overrides a default."""

    # repo-relative checkpoint paths, or LABEL=PATH to name the engine rocks-LABEL
    models: tuple[str, ...] = ("models/rocks-9x9-b6c64.safetensors",)
    visits: int = 200
    level: int = 10
    games: int = 20  # per model
    jobs: int = 1



def main(cfg: Config, run: Run) -> None:
    arena = run.dir / "arena"
    cmd = [sys.executable, "-m", "rocks.cli", "arena", "--mode", "gauntlet",
           "--engine", f"gnugo:{cfg.level}"]
    for m in cfg.models:
        label, _, path = m.rpartition("=")
        model = (ROOT / path).resolve()
        if label:  # the arena names an engine after its file: a link gives it the label
            link = run.dir / "models" / f"{label}.safetensors"
            link.parent.mkdir(parents=True, exist_ok=True)
            link.unlink(missing_ok=True)
            link.symlink_to(model)
            model = link
        cmd += ["--engine", f"rocks:{model}:{cfg.visits}"]
    cmd += ["--games", str(cfg.games), "--jobs", str(cfg.jobs), "--out", str(arena), "--quiet"]
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)

    games = pd.read_csv(arena / "results.csv")
    gnu = f"gnugo-{cfg.level}"
    games["model"] = games.black.where(games.white == gnu, games.white)
    games["model_colour"] = (games.black == games.model).map({True: "B", False: "W"})
    games["model_won"] = games.winner.fillna("").astype(str) == games.model
    games.to_csv(run.dir / "games.csv", index=False)
    rows = []
    for model, g in games.groupby("model", sort=False):
        wins, n = int(g.model_won.sum()), len(g)
        lo, hi = wilson_interval(wins / n if n else 0.0, n)
        rows.append({"model": model, "games": n, "wins": wins, "win_rate": wins / n,
                     "lo95": round(lo, 3), "hi95": round(hi, 3),
                     "wins_as_black": int(g.model_won[g.model_colour == "B"].sum()),
                     "wins_as_white": int(g.model_won[g.model_colour == "W"].sum()),
                     "resigned": int(((g.reason == "resign") & ~g.model_won).sum())})
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "ladder.csv", index=False)
    print(table.to_string(index=False))

    fig, ax = new_figure(width=max(6, 2 + 1.6 * len(table)))
    x = range(len(table))
    ax.bar(x, table.win_rate)
    ax.errorbar(x, table.win_rate, yerr=[table.win_rate - table.lo95, table.hi95 - table.win_rate],
                fmt="none", color="black", capsize=4)
    ax.set_xticks(list(x), [m.replace("rocks-", "") for m in table.model], rotation=20,
                  ha="right")
    ax.axhline(0.8, color="grey", linestyle="--", label="bar: 80%")
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"win rate vs GNU Go {cfg.level} ({cfg.visits} visits/move, 95% Wilson)")
    ax.legend()
    run.save_figure(fig, "ladder")
    best = table.sort_values("win_rate").iloc[-1]
    run.finish("best_win_rate", float(best.win_rate), best_model=str(best.model),
               **{f"wins_{r.model}": f"{r.wins}/{r.games}" for r in table.itertuples()})


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
