"""Search benchmark: MCTS visits/s, the search's own overhead against the network's time.

Measures, on this machine, on 9x9:
  * pure search overhead: visits/s of one game with a network that costs nothing (uniform
    priors and value 0, precomputed), at several leaves per batch; and of many games searched
    together (:func:`rocks.search.batch.run_many`), so that the per-visit Python cost is visible;
  * with a real, randomly initialised b6c64 net (speed does not depend on the weights): the
    wall time of a whole search next to the time spent inside the network during that same
    search (the evaluator is wrapped and timed), so ``overhead = (search - network) / network``
    is measured side by side, at batch sizes from one game x 8 leaves to 16 games x 8 leaves;
  * visits per move for one game at 1 s/move through :class:`rocks.play.mcts_player.MCTSPlayer`.

Every figure is the median of ``repeats`` runs; wall time and process CPU time are both kept
(on a shared machine the CPU figure is the per-core speed).

    .venv/bin/python bench/search.py                 # print the tables (~2-4 minutes)
    .venv/bin/python bench/search.py --write-docs    # also replace "## Search" in
                                                     # docs/benchmarks.md

The config is saved as JSON next to the raw results (``--out``, default
bench/results/search.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from benchdoc import replace_section

from rocks.go.board import Position
from rocks.go.fast import Stepper
from rocks.search.batch import run_many
from rocks.search.contracts import Evaluation
from rocks.search.mcts import MCTS, MCTSConfig

SECTION = "## Search"


@dataclass(frozen=True)
class BenchConfig:
    """What to measure.

    Attributes:
        size: board size.
        simulations: simulations per search in the throughput runs.
        leaves: leaves per batch for the one-game runs.
        games: (games, leaves per game) pairs for the many-games runs.
        net: network for the real-net runs ("" skips them).
        net_settings: Evaluator keyword arguments (besides batch size and threads).
        threads: torch threads.
        move_time_s: seconds per move in the time-budget run.
        moves: moves played in the time-budget run.
        repeats: runs per measurement (medians are reported).
        opening_moves: random moves played before the benchmark position (a midgame-ish root).
        out: where the raw results go (JSON).
        write_docs: replace the Search section of docs/benchmarks.md.
    """

    size: int = 9
    simulations: int = 1600
    leaves: tuple[int, ...] = (1, 8, 16, 32)
    games: tuple[tuple[int, int], ...] = ((8, 8), (16, 8), (32, 4))
    net: str = "b6c64"
    net_settings: tuple[tuple[str, object], ...] = (("use_bf16", True),
                                                    ("channels_last", True))
    threads: int = 1
    move_time_s: float = 1.0
    moves: int = 6
    repeats: int = 3
    opening_moves: int = 10
    out: str = "bench/results/search.json"
    write_docs: bool = False


def root_position(size: int, moves: int, seed: int = 0) -> Position:
    rng = np.random.default_rng(seed)
    pos = Position.empty(size)
    for _ in range(moves):
        legal = np.flatnonzero(pos.legal_moves()[:-1])
        pos = pos.play(int(rng.choice(legal)))
    return pos


def free_net(size: int) -> Callable[[Sequence[Position]], Evaluation]:
    """A network that costs (almost) nothing: slices of precomputed arrays."""
    n = size * size + 1
    priors = np.full((4096, n), 1.0 / n, np.float32)
    values = np.zeros(4096, np.float32)

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        b = len(positions)
        return Evaluation(priors[:b], values[:b])

    return evaluate


class Timed:
    """Wraps an evaluate function and adds up the wall and CPU time spent inside it."""

    def __init__(self, evaluate: Callable) -> None:
        self.evaluate = evaluate
        self.wall = 0.0
        self.cpu = 0.0
        self.calls = 0
        self.positions = 0

    def __call__(self, positions: Sequence[Position]) -> object:
        w, c = time.perf_counter(), time.process_time()
        out = self.evaluate(positions)
        self.wall += time.perf_counter() - w
        self.cpu += time.process_time() - c
        self.calls += 1
        self.positions += len(positions)
        return out


def search_once(root: Position, evaluate: Callable, games: int, leaves: int,
                simulations: int, seed: int) -> dict[str, float]:
    """One batched search of ``games`` copies of ``root``; wall/CPU seconds and visits."""
    cfg = MCTSConfig(num_simulations=simulations, leaves_per_batch=leaves)
    searches = [MCTS(root, cfg, np.random.default_rng(seed + g)) for g in range(games)]
    timed = Timed(evaluate)
    w, c = time.perf_counter(), time.process_time()
    results = run_many(searches, timed)
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    visits = sum(r.simulations for r in results)
    return {"wall": wall, "cpu": cpu, "visits": visits, "net_wall": timed.wall,
            "net_cpu": timed.cpu, "calls": timed.calls, "positions": timed.positions,
            "mean_batch": timed.positions / timed.calls}


def median_run(cfg: BenchConfig, root: Position, evaluate: Callable, games: int,
               leaves: int, simulations: int) -> dict[str, float]:
    search_once(root, evaluate, games, leaves, min(simulations, 64), 99)  # warm-up
    runs = [search_once(root, evaluate, games, leaves, simulations, 17 * r)
            for r in range(cfg.repeats)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def make_net_evaluator(cfg: BenchConfig, batch: int):
    from rocks.nets.evaluator import Evaluator
    from rocks.nets.model import NetConfig, PolicyValueNet

    torch.manual_seed(0)
    net = PolicyValueNet(NetConfig.from_name(cfg.net)).eval()
    return Evaluator(net, batch_size=batch, threads=cfg.threads, **dict(cfg.net_settings))


PER_MOVE_SETTINGS = {"fp32": {}, "bf16+channels_last": {"use_bf16": True, "channels_last": True}}


def per_move_visits(cfg: BenchConfig) -> dict[str, dict[str, float]]:
    """Visits per move of one game at ``move_time_s``, for fp32 and for the bf16 +
    channels-last arithmetic that ``rocks gtp`` picks when its check passes (round-robin,
    move by move, so that the shared load falls on both alike)."""
    from rocks.nets.evaluator import Evaluator
    from rocks.nets.model import NetConfig, PolicyValueNet
    from rocks.play.mcts_player import MCTSPlayer, MCTSPlayerConfig

    torch.manual_seed(0)
    net = PolicyValueNet(NetConfig.from_name(cfg.net)).eval()
    players, positions = {}, {}
    for name, kw in PER_MOVE_SETTINGS.items():
        ev = Evaluator(net, batch_size=16, threads=cfg.threads, **kw)
        players[name] = MCTSPlayer(ev, MCTSPlayerConfig(visits=None, seed=0))
        positions[name] = root_position(cfg.size, cfg.opening_moves)
        players[name].select_move(positions[name], 0.2)  # warm-up (tree, numba, torch)
    visits: dict[str, list[int]] = {n: [] for n in players}
    elapsed: dict[str, list[float]] = {n: [] for n in players}
    for _ in range(cfg.moves):
        for name, player in players.items():
            t = time.perf_counter()
            d = player.select_move(positions[name], cfg.move_time_s)
            elapsed[name].append(time.perf_counter() - t)
            visits[name].append(d.visits)
            positions[name] = positions[name].play(d.move)
    return {name: {"visits_per_move": statistics.median(visits[name]),
                   "new_visits_per_s": statistics.median(
                       v / e for v, e in zip(visits[name], elapsed[name], strict=True)),
                   "seconds_per_move": statistics.median(elapsed[name]),
                   "max_seconds_per_move": max(elapsed[name])}
            for name in players}


def child_costs(cfg: BenchConfig, root: Position, calls: int = 2000) -> dict[str, float]:
    """Microseconds per child Position: ``Position.play`` next to the search's Stepper."""
    step = Stepper(cfg.size)
    moves = [int(m) for m in np.flatnonzero(root.legal_moves()[:-1])]
    step(root, moves[0])  # compile / load
    out: dict[str, list[float]] = {"Position.play": [], "Stepper": []}
    for _ in range(cfg.repeats):
        for name, play in (("Position.play", Position.play), ("Stepper", step)):
            n = calls if name == "Stepper" else calls // 10
            t = time.process_time()
            for i in range(n):
                play(root, moves[i % len(moves)])
            out[name].append(1e6 * (time.process_time() - t) / n)
    return {k: statistics.median(v) for k, v in out.items()}


def run(cfg: BenchConfig) -> dict:
    torch.set_num_threads(cfg.threads)
    root = root_position(cfg.size, cfg.opening_moves)
    out: dict = {"free_net": {}, "real_net": {}, "per_move": {}}
    out["child_us"] = child_costs(cfg, root)
    free = free_net(cfg.size)
    for leaves in cfg.leaves:
        out["free_net"][f"1x{leaves}"] = median_run(cfg, root, free, 1, leaves, cfg.simulations)
    for games, leaves in cfg.games:
        out["free_net"][f"{games}x{leaves}"] = median_run(
            cfg, root, free, games, leaves, cfg.simulations // 4)
    if cfg.net:
        for games, leaves in ((1, 8), (1, 32), *cfg.games):
            ev = make_net_evaluator(cfg, games * leaves)
            sims = max(64, cfg.simulations // (4 * games) * 2)
            out["real_net"][f"{games}x{leaves}"] = median_run(cfg, root, ev, games, leaves, sims)
        out["per_move"] = per_move_visits(cfg)
    return out


def render(cfg: BenchConfig, res: dict, meta: dict) -> str:
    lines = [SECTION, "",
             f"Measured {meta['date']} on a 2-core shared CI-class VM ({meta['machine']}), "
             f"load average at start {meta['load']}, torch {torch.__version__} on "
             f"{cfg.threads} thread(s).  Command: `.venv/bin/python bench/search.py"
             f"{' --write-docs' if cfg.write_docs else ''}`.  {cfg.size}x{cfg.size}, root "
             f"after {cfg.opening_moves} random moves; medians of {cfg.repeats} runs.  "
             "\"GxL\" = G games searched together, L leaves per game per network call.", "",
             "**Pure search overhead** (a network that costs nothing): visits/s and "
             "microseconds of search per visit", "",
             "| games x leaves | visits/s (wall) | visits per CPU-s | us per visit (CPU) |",
             "|---|---:|---:|---:|"]
    for key, r in res["free_net"].items():
        lines.append(f"| {key} | {r['visits'] / r['wall']:,.0f} | {r['visits'] / r['cpu']:,.0f}"
                     f" | {1e6 * r['cpu'] / r['visits']:.0f} |")
    cu = res["child_us"]
    lines += ["", f"Making one child position (CPU us): `Position.play` {cu['Position.play']:.0f}, "
              f"the search's numba `Stepper` {cu['Stepper']:.0f} "
              f"({cu['Position.play'] / cu['Stepper']:.1f}x)."]
    if res["real_net"]:
        lines += ["", f"**With a real {cfg.net} net** ({dict(cfg.net_settings)}): the whole "
                  "search next to the time spent inside the network during it", "",
                  "| games x leaves | mean batch | visits/s (wall) | network share of wall | "
                  "search overhead / network time (wall) | (CPU) |",
                  "|---|---:|---:|---:|---:|---:|"]
        for key, r in res["real_net"].items():
            over_w = (r["wall"] - r["net_wall"]) / r["net_wall"]
            over_c = (r["cpu"] - r["net_cpu"]) / r["net_cpu"]
            lines.append(f"| {key} | {r['mean_batch']:.1f} | {r['visits'] / r['wall']:,.0f} | "
                         f"{r['net_wall'] / r['wall']:.0%} | {over_w:.0%} | {over_c:.0%} |")
        lines += ["", f"**One game at {cfg.move_time_s:g} s/move** (MCTSPlayer, tree reuse, "
                  f"{cfg.moves} moves, the two settings move by move in turn):", "",
                  "| network arithmetic | visits per move (median, reused included) | "
                  "new visits/s | s per move (median) | slowest move (s) |",
                  "|---|---:|---:|---:|---:|"]
        for name, pm in res["per_move"].items():
            lines.append(f"| {name} | {pm['visits_per_move']:,.0f} | "
                         f"{pm['new_visits_per_s']:,.0f} | {pm['seconds_per_move']:.2f} | "
                         f"{pm['max_seconds_per_move']:.2f} |")
        fp, lo = (res["per_move"][k]["new_visits_per_s"] for k in PER_MOVE_SETTINGS)
        lines += ["", f"bf16 + channels-last searches {lo / fp:.1f}x the visits of fp32 in the "
                  "same time (`rocks gtp --precision auto`, the default, uses it when its "
                  "start-up check passes)."]
        worst = max((r["wall"] - r["net_wall"]) / r["net_wall"] for k, r in
                    res["real_net"].items() if r["mean_batch"] >= 32 or k == "1x32")
        net_rate = max(r["positions"] / r["net_wall"] for r in res["real_net"].values())
        lines += ["", f"- Search overhead at batch >= 32: at most {worst:.0%} of the network's "
                  "time (goal: under 25%).",
                  f"- The network itself ran at most {net_rate:,.0f} evaluations/s in these "
                  "runs (shared load), so visits/s are bounded by it, not by the search: "
                  "with ~3,800 evaluations/s (b6c64 bf16 on an idle 2-core machine, DESIGN.md) "
                  f"the same overhead would give ~{3800 / (1 + worst):,.0f} visits/s."]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    replace_section(path, SECTION, section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--simulations", type=int, default=1600)
    ap.add_argument("--net", default="b6c64", help="network name, '' to skip real-net runs")
    ap.add_argument("--no-bf16", action="store_true", help="run the net in fp32")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--moves", type=int, default=6)
    ap.add_argument("--out", default="bench/results/search.json")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    settings = (() if args.no_bf16 else (("use_bf16", True),)) + (("channels_last", True),)
    cfg = BenchConfig(simulations=args.simulations, net=args.net, net_settings=settings,
                      threads=args.threads, repeats=args.repeats, moves=args.moves,
                      out=args.out, write_docs=args.write_docs)
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load": f"{os.getloadavg()[0]:.1f}",
            "machine": f"{platform.machine()}, {os.cpu_count()} cpus, "
                       f"Python {platform.python_version()}"}
    res = run(cfg)
    section = render(cfg, res, meta)
    print(section)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"config": asdict(cfg), "meta": meta, "results": res}, indent=1))
    if cfg.write_docs:
        write_section(Path("docs/benchmarks.md"), section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
