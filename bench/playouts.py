"""Random playouts and legal-move generation: the plain Position, the numba fast path, GNU Go.

Measures, on one core (a single thread; CPU seconds of this process, or of GNU Go's process,
so that other work on a shared machine does not count) and as wall-clock rates:
  * uniformly random playouts to the end (no own-eye filling) on 9x9 and 19x19, from the
    empty board: the plain ``Position`` path, the fast path (``rocks.go.playout``), and GNU Go
    3.8's own Monte-Carlo engine (``--monte-carlo``; its playouts are pattern-guided and sit
    inside UCT, so the comparison is of engines, not of identical work);
  * legal-move generation on mid-game positions: ``Position.legal_moves``, ``FastBoard``'s
    Python method, and the njit kernel called from compiled code.
Every number is the median of ``repeats`` runs.  Prints a markdown table for
docs/benchmarks.md.

Run: ``.venv/bin/python bench/playouts.py`` (about two minutes; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from rocks.go.board import Position, Rules
from rocks.go.fast import FastBoard, State, legal_mask_into
from rocks.go.playout import playout_scores


@dataclass(frozen=True)
class BenchConfig:
    """What to measure.

    Attributes:
        repeats: runs per measurement; the median is reported.
        fast_playouts: playouts per run of the fast path, per board size.
        plain_playouts: playouts per run of the plain Position path, per board size.
        legal_calls: legal-move generations per run of the fast paths.
        gnugo: path of the GNU Go binary ("" to skip).
        gnugo_simulations: (small, large) Monte-Carlo simulations of one genmove; the rate is
            their difference over the difference of GNU Go's CPU times, so start-up and the
            rest of genmove cancel out.
        seed: seed of every random choice.
    """

    repeats: int = 5
    fast_playouts: tuple[tuple[int, int], ...] = ((9, 20_000), (19, 2_000))
    plain_playouts: tuple[tuple[int, int], ...] = ((9, 3), (19, 1))
    legal_calls: int = 2_000
    gnugo: str = "/usr/games/gnugo"
    gnugo_simulations: tuple[int, int] = (1_000, 9_000)
    seed: int = 1


@dataclass(frozen=True)
class Timing:
    """Median seconds of one run, CPU and wall, and the work items one run does."""

    cpu: float
    wall: float
    items: int

    @property
    def cpu_rate(self) -> float:
        return self.items / self.cpu

    @property
    def wall_rate(self) -> float:
        return self.items / self.wall


def measure(run: Callable[[int], object], items: int, repeats: int) -> Timing:
    cpu, wall = [], []
    for i in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        run(i)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return Timing(statistics.median(cpu), statistics.median(wall), items)


# ---------------------------------------------------------------------------- plain path
def plain_playout(pos: Position, rng: np.random.Generator) -> float:
    """The same policy as the fast playouts, on the plain rules: a random empty point that is
    neither the player's eye nor illegal nor suicide, else pass; two passes or 3N moves end."""
    n = pos.size * pos.size
    for _ in range(3 * n):
        if pos.is_game_over():
            break
        move = n
        for p in rng.permutation(np.flatnonzero(pos.board == 0)):
            p = int(p)
            if not pos.is_eye(p) and pos.is_legal(p):
                after = pos.play(p)
                if after.board[p] != 0:  # not a suicide
                    pos = after
                    move = -1
                    break
        if move == n:
            pos = pos.play(n)
    return pos.score()


def midgame_positions(size: int, count: int, seed: int) -> list[Position]:
    """Positions after random play has filled about 40% of the board."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        fast = FastBoard.empty(size, rules=Rules())
        while np.count_nonzero(fast.board) < 0.4 * size * size:
            legal = np.flatnonzero(fast.legal_mask()[:-1])
            fast.play(int(rng.choice(legal)))
        out.append(fast.to_position())
    return out


@njit(cache=True)
def _legal_loop(states: list[State], calls: int, out: np.ndarray) -> int:
    total = 0
    for i in range(calls):
        legal_mask_into(states[i % len(states)], out)
        total += out[0]
    return total


# ---------------------------------------------------------------------------- GNU Go
def gnugo_cpu_seconds(gnugo: str, simulations: int) -> float:
    """CPU seconds GNU Go spends to start, set up a 9x9 position and genmove with MC."""
    script = "boardsize 9\nclear_board\nplay b E5\nplay w C4\nplay b G6\nplay w F3\n" \
             "genmove b\nquit\n"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([gnugo, "--mode", "gtp", "--monte-carlo", "--level", "1",
                    "--mc-games-per-level", str(simulations)],
                   input=script, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def gnugo_rate(cfg: BenchConfig) -> tuple[float, float] | None:
    """GNU Go MC simulations per CPU second and per wall second (9x9), or None without it."""
    if not cfg.gnugo or not shutil.which(cfg.gnugo):
        return None
    small, large = cfg.gnugo_simulations
    cpu, wall = [], []
    for _ in range(cfg.repeats):
        w0 = time.perf_counter()
        c_small = gnugo_cpu_seconds(cfg.gnugo, small)
        w1 = time.perf_counter()
        c_large = gnugo_cpu_seconds(cfg.gnugo, large)
        w2 = time.perf_counter()
        cpu.append((large - small) / (c_large - c_small))
        wall.append((large - small) / ((w2 - w1) - (w1 - w0)))
    return statistics.median(cpu), statistics.median(wall)


# ---------------------------------------------------------------------------- report
def run(cfg: BenchConfig) -> str:
    rows: list[tuple[str, str, float, float]] = []
    fast_rates = {}
    for size, count in cfg.fast_playouts:
        state = FastBoard.empty(size).state
        playout_scores(state, 2, 0, 3 * size * size)  # compile or load from cache
        t = measure(lambda i, s=state, c=count, n=size: playout_scores(s, c, cfg.seed + i,
                                                                       3 * n * n),
                    count, cfg.repeats)
        fast_rates[size] = t.cpu_rate
        rows.append((f"random playouts {size}x{size}", "fast path (numba)", t.cpu_rate,
                     t.wall_rate))
    for size, count in cfg.plain_playouts:
        rng = np.random.default_rng(cfg.seed)
        empty = Position.empty(size)
        t = measure(lambda i, e=empty, c=count, r=rng: [plain_playout(e, r) for _ in range(c)],
                    count, cfg.repeats)
        rows.append((f"random playouts {size}x{size}", "plain Position", t.cpu_rate,
                     t.wall_rate))
        rows.append((f"random playouts {size}x{size}", "fast / plain",
                     fast_rates[size] / t.cpu_rate, float("nan")))
    mc = gnugo_rate(cfg)
    if mc is not None:
        rows.append(("random playouts 9x9", "GNU Go 3.8 --monte-carlo (UCT, patterns)", *mc))
        rows.append(("random playouts 9x9", "fast path / GNU Go", fast_rates[9] / mc[0],
                     float("nan")))
    for size in (9, 19):
        positions = midgame_positions(size, 8, cfg.seed)
        fasts = [FastBoard.from_position(p) for p in positions]
        states = [f.state for f in fasts]
        out = np.empty(size * size + 1, dtype=np.bool_)
        _legal_loop(states, 1, out)
        plain_calls = max(8, cfg.legal_calls // (20 if size == 9 else 100))
        t = measure(lambda i, ps=positions, c=plain_calls: [
            dataclasses.replace(ps[k % len(ps)], _legal_cache={}).legal_moves()
            for k in range(c)], plain_calls, cfg.repeats)
        rows.append((f"legal moves {size}x{size} (40% full)", "plain Position.legal_moves",
                     t.cpu_rate, t.wall_rate))
        t = measure(lambda i, fs=fasts: [fs[k % len(fs)].legal_mask()
                                         for k in range(cfg.legal_calls)],
                    cfg.legal_calls, cfg.repeats)
        rows.append((f"legal moves {size}x{size} (40% full)", "FastBoard.legal_mask (Python)",
                     t.cpu_rate, t.wall_rate))
        calls = cfg.legal_calls * 50
        t = measure(lambda i, st=states, o=out, c=calls: _legal_loop(st, c, o), calls,
                    cfg.repeats)
        rows.append((f"legal moves {size}x{size} (40% full)", "legal_mask_into (njit loop)",
                     t.cpu_rate, t.wall_rate))
    return render(cfg, rows)


def render(cfg: BenchConfig, rows: list[tuple[str, str, float, float]]) -> str:
    def num(x: float) -> str:
        if x != x:  # NaN: a ratio has no wall-clock column
            return ""
        return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"

    lines = [
        f"Date {time.strftime('%Y-%m-%d')}; machine: 2-core shared CI-class VM "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}); command: `.venv/bin/python bench/playouts.py`; "
        f"medians of {cfg.repeats} runs, one thread.",
        "",
        "| measurement | path | per CPU second (one core) | per wall second |",
        "| --- | --- | ---: | ---: |",
    ]
    for what, path, cpu, wall in rows:
        lines.append(f"| {what} | {path} | {num(cpu)} | {num(wall)} |")
    lines.append("")
    lines.append("Ratios (fast / plain, fast / GNU Go) are of the per-CPU-second rates.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small run of each (smoke)")
    parser.add_argument("--json", help="also write the config and table to this JSON file")
    args = parser.parse_args(argv)
    cfg = BenchConfig()
    if args.quick:
        cfg = BenchConfig(repeats=1, fast_playouts=((9, 200), (19, 20)),
                          plain_playouts=((9, 1), (19, 1)), legal_calls=20,
                          gnugo_simulations=(100, 300))
    table = run(cfg)
    print(table)
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"config": dataclasses.asdict(cfg), "table": table}, f, indent=2)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
