"""False resignations against GNU Go: how many of our losses were games we resigned but could
have won?

Experiment 2026-12-02_13-20_false-resignations-against-gnu-go (issue 11: the shipped model
must win 95 of 100 games against GNU Go 10).  Nearly every game our nets lose to GNU Go ends
with our resignation (41 of 42 losses of the supervised net at 200 visits, 9 of 9 at 800, 20
of 20 in the shipped model's 100-game match at 0.8 s a move), and the player resigns on a
single search whose value is below -0.95 (AlphaGo Zero's v_resign, calibrated on self-play,
where both sides are the same net).  GNU Go is not our net: a position our net calls lost
against itself may still be won against GNU Go.

AlphaGo Zero's check, played against the real opponent: every position a source arena's
rocks engine resigned is played out again from that position, the same net at fixed visits
with resignation off (``rocks gtp --resign-threshold -1``) against a fresh GNU Go with a new
seed, ``replays`` times, each game refereed as ``rocks arena`` referees (both engines'
agreed count, else GNU Go's dead-stone judgement).  A resigned position won in a replay was
a false resignation.  Before the replays the net searches the position once in this process
(same visits) and its root win rate and score lead are kept, to see which signal separates
the winnable positions from the lost ones.

Stages (``--set stage=...``):

- ``replay``: the resigned positions of ``source`` (an arena folder: results.csv, sgf/,
  config.json), written to ``data/runs/<run>/replays.csv`` row by row (rerunning the same
  command with ``--resume RUN`` continues).  ``visits`` 0 takes the source's own visits
  (``--visits`` in its rocks command line); a source played on time needs ``visits`` given.
- ``summary``: the runs in ``runs`` side by side: ``summary.csv`` and a figure.

Departures from AlphaGo Zero's calibration (which plays 10% of self-play games without
resignation), numbered:
  1. Only resigned positions are replayed, not whole games without resignation: the question
     is how many losses resignation cost, and resigning more strictly can only lose fewer.
  2. A replay plays at the visits given, single-threaded; for a source played on time this
     is a stand-in for the original engine, so a replay win is the more convincing.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rocks.lab import Run, new_figure, progress, start_run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIELDS = ["key", "rocks_colour", "position_moves", "replay", "seed", "winrate", "score_lead",
          "rocks_won", "result", "reason", "scorer", "moves_played", "sgf"]


@dataclass(frozen=True)
class Config:
    """Every knob of the experiment; `--name value` on the command line overrides a default."""

    stage: str = "replay"  # replay | summary
    source: str = ""  # replay: an arena folder, relative to the repository root
    visits: int = 0  # replay: visits a move (0: the source's own --visits)
    replays: int = 2  # replay: games played out from each resigned position
    level: int = 10  # replay: GNU Go's level (the source's opponent)
    limit: int = 0  # replay: the first N resigned positions only (0: all)
    runs: str = ""  # summary: comma-separated run ids
    seed: int = 0


def rocks_engine(arena: Path) -> tuple[str, str, list[str]]:
    """(engine name, model path, argv) of the rocks engine in the arena's config.json."""
    config = json.loads((arena / "config.json").read_text())
    for engine in config["engines"]:
        argv = engine["argv"]
        if "rocks.cli" in argv and "--model" in argv:
            return engine["name"], argv[argv.index("--model") + 1], argv
    raise SystemExit(f"{arena}: no rocks engine with a --model in config.json")


def resigned_positions(arena: Path, name: str) -> list[dict]:
    """The source's games our engine lost by resigning: key, colour and the moves played."""
    from rocks.go.sgf import load_sgf

    rows = []
    with open(arena / "results.csv") as f:
        for r in csv.DictReader(f):
            if r["reason"] != "resign" or r["winner"] == name or not r["winner"]:
                continue
            record = load_sgf(arena / r["sgf"])
            colour = 1 if r["black"] == name else -1
            rows.append(dict(key=r["key"], rocks_colour=colour,
                             moves=[move for _, move in record.moves]))
    return rows


def game_seed(cfg: Config, key: str, replay: int) -> int:
    digest = hashlib.sha256(f"{cfg.seed}:{key}:{replay}".encode()).digest()
    return int.from_bytes(digest[:3], "big")


def search_once(model: str, visits: int, moves: list[int], seed: int) -> tuple[float, float]:
    """Root win rate and score lead of the mover, one search of ``visits`` in this process."""
    from rocks.go.board import Position
    from rocks.play.players import PlayerSpec, make_player

    pos = Position.empty(9, 7.5)
    for m in moves:
        pos = pos.play(m)
    player = make_player(PlayerSpec(model=model, visits=visits, threads=1, precision="bf16",
                                    seed=seed, resign_threshold=-1.0, warm_up=False))
    d = player.select_move(pos, 600.0)
    return float(d.winrate), float("nan") if d.score_lead is None else float(d.score_lead)


def play_out(cfg: Config, model: str, visits: int, moves: list[int], colour: int, seed: int,
             sgf_path: Path) -> dict:
    """One replay from the resigned position, refereed as the arena referees."""
    from rocks.engines.commands import find_gnugo, gnugo_command
    from rocks.engines.gtp_client import GtpClient
    from rocks.engines.match import MatchConfig, play_game
    from rocks.play.arena import refereed_result
    from rocks.play.gtp.command import gtp_argv
    from rocks.play.players import PlayerSpec

    ours = gtp_argv(PlayerSpec(model=model, visits=visits, threads=1, seed=seed,
                               resign_threshold=-1.0), size=9)
    theirs = gnugo_command(cfg.level, path=find_gnugo(), seed=str(seed))
    clients = {colour: GtpClient(ours, name="rocks", timeout_s=600.0),
               -colour: GtpClient(list(theirs), name=f"gnugo-{cfg.level}", timeout_s=600.0)}
    try:
        result = play_game(clients[1], clients[-1], MatchConfig(move_timeout_s=600.0),
                           sgf_path, opening=moves)
    finally:
        for c in clients.values():
            c.close(timeout_s=3.0)
    text, scorer = refereed_result(result, force_referee=False, timeout_s=600.0)
    won = text.startswith("B") if colour == 1 else text.startswith("W")
    return dict(rocks_won=int(won), result=text, reason=result.reason, scorer=scorer,
                moves_played=result.moves - len(moves))


def run_replays(cfg: Config, run: Run) -> None:
    arena = (ROOT / cfg.source).resolve()
    name, model, argv = rocks_engine(arena)
    visits = cfg.visits or (int(argv[argv.index("--visits") + 1]) if "--visits" in argv else 0)
    if visits <= 0:
        raise SystemExit("the source played on time: give --set visits=N")
    model_path = Path(model)
    if not model_path.is_file():  # an absolute path from another checkout
        model_path = ROOT / "models" / model_path.name
    positions = resigned_positions(arena, name)
    if cfg.limit:
        positions = positions[:cfg.limit]
    out = run.dir / "replays.csv"
    done = set()
    if out.exists():
        with open(out) as f:
            done = {(r["key"], int(r["replay"])) for r in csv.DictReader(f)}
    (run.dir / "sgf").mkdir(exist_ok=True)
    print(f"{len(positions)} resigned positions of {name} in {cfg.source}; {visits} visits",
          flush=True)
    for p in progress(positions, desc="positions"):
        todo = [k for k in range(cfg.replays) if (p["key"], k) not in done]
        if not todo:
            continue
        winrate, lead = search_once(str(model_path), visits, p["moves"], game_seed(cfg, p["key"],
                                                                                    -1))
        for k in todo:
            seed = game_seed(cfg, p["key"], k)
            sgf = run.dir / "sgf" / f"{p['key']}__r{k}.sgf"
            row = dict(key=p["key"], rocks_colour=p["rocks_colour"],
                       position_moves=len(p["moves"]), replay=k, seed=seed,
                       winrate=round(winrate, 4), score_lead=round(lead, 2),
                       **play_out(cfg, str(model_path), visits, p["moves"], p["rocks_colour"],
                                  seed, sgf), sgf=str(sgf.relative_to(run.dir)))
            new = not out.exists()
            with open(out, "a", newline="") as f:  # one row at a time: a kill loses one game
                w = csv.DictWriter(f, fieldnames=FIELDS)
                if new:
                    w.writeheader()
                w.writerow(row)
            print(json.dumps(row), flush=True)
    summary = summarise(cfg.source, name, visits, out)
    run.finish("false_resignations", summary["won_any"], **summary)


def summarise(source: str, name: str, visits: int, replays: Path) -> dict:
    """The source's record and what the replays say its resignations cost."""
    from rocks.play.arena import gauntlet_score, read_results

    arena = (ROOT / source).resolve()
    opponent = next(n for r in read_results(arena / "results.csv")
                    for n in (r["black"], r["white"]) if n != name)
    s = gauntlet_score(read_results(arena / "results.csv"), opponent)
    d = pd.read_csv(replays)
    by_position = d.groupby("key").rocks_won.agg(["mean", "max"])
    expected = s.wins + by_position["mean"].sum()  # s scores the engine facing ``opponent``
    return dict(source=source, engine=name, visits=visits, games=s.games,
                rocks_wins=s.wins, resigned=len(by_position), replays=len(d),
                replay_win_rate=round(float(d.rocks_won.mean()), 3),
                won_any=int(by_position["max"].sum()),
                expected_wins_without_resigning=round(float(expected), 1))


def run_summary(cfg: Config, run: Run) -> None:
    rows, frames = [], []
    for run_id in [r.strip() for r in cfg.runs.split(",") if r.strip()]:
        folder = HERE / "data" / "runs" / run_id
        m = json.loads((folder / "summary.json").read_text())["metrics"]
        # Recounted from the CSVs, so a fix to summarise() reaches finished runs.
        rows.append(dict(run=run_id, **summarise(m["source"], m["engine"], m["visits"],
                                                 folder / "replays.csv")))
        frames.append(pd.read_csv(folder / "replays.csv").assign(run=run_id))
    table = pd.DataFrame(rows)
    table.to_csv(run.dir / "summary.csv", index=False)
    print(table.to_string(index=False))
    d = pd.concat(frames)
    fig, axes = new_figure(ncols=2, width=5.5)
    for ax, column, label in ((axes[0], "winrate", "root win rate at the resignation"),
                              (axes[1], "score_lead", "score lead at the resignation")):
        for won, colour, text in ((1, "tab:green", "replay won"), (0, "tab:red", "replay lost")):
            part = d[d.rocks_won == won]
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(part))
            ax.scatter(part[column], part.run.astype("category").cat.codes + jitter, s=14,
                       color=colour, label=text, alpha=0.7)
        ax.set_xlabel(label)
        ax.set_yticks(range(len(rows)), [f"{r['engine']} ({r['run']})" for r in rows],
                      fontsize=7)
    axes[0].legend(fontsize=8)
    run.save_figure(fig, "replays")
    run.finish("runs", len(rows))


def main(cfg: Config, run: Run) -> None:
    if cfg.stage == "replay":
        run_replays(cfg, run)
    elif cfg.stage == "summary":
        run_summary(cfg, run)
    else:
        raise SystemExit(f"unknown stage {cfg.stage!r}: replay or summary")


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
