"""Ladder planes benchmark: what the three ladder planes (rocks.go.ladders) cost per position,
next to the 19 base planes, and how often a position has one set.

Measures, on this machine, microseconds per position of ``features.position_planes`` with 19
planes and with 22 (the base set plus the ladder planes), timed alternately on the same
positions, median of ``--repeats`` passes, on two kinds of 9x9 position: from GNU Go's games
(the teacher SGFs committed in experiments/*teacher-games-gnugo-9x9, the positions the nets
learn from) and from uniformly random games (many more chains short of liberties); and 19x19
random games.  The share of positions with each ladder plane set is reported beside.

    .venv/bin/python bench/ladders.py                # print the table (about a minute)
    .venv/bin/python bench/ladders.py --write-docs   # also replace "## Ladder planes" in
                                                     # docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from benchdoc import machine_meta, publish

from rocks.go import features
from rocks.go.board import Position
from rocks.go.sgf import read_sgf
from rocks.nets.evaluator import sample_positions

SECTION = "## Ladder planes"
TEACHER = Path("experiments/2026-11-25_21-49_teacher-games-gnugo-9x9/data/games")


@dataclass(frozen=True)
class BenchConfig:
    teacher_games: int = 60
    random_positions: int = 400
    repeats: int = 5
    seed: int = 0
    out: str = "bench/results/ladders.json"


def teacher_positions(games: int) -> list[Position]:
    files = sorted(TEACHER.rglob("*.sgf"))[:games]
    if not files:
        raise SystemExit(f"no teacher SGFs under {TEACHER} (run from the repository root)")
    out: list[Position] = []
    for f in files:
        out.extend(read_sgf(f.read_text()).positions()[:-1])
    return out


def measure(positions: list[Position], repeats: int) -> dict[str, float]:
    for planes in features.INPUT_PLANES:  # compile and warm up
        features.position_planes(positions[0], planes=planes)
    times: dict[int, list[float]] = {p: [] for p in features.INPUT_PLANES}
    for _ in range(repeats):
        for planes in features.INPUT_PLANES:  # alternately, so load drifts hit both
            t = time.perf_counter()
            for p in positions:
                features.position_planes(p, planes=planes)
            times[planes].append((time.perf_counter() - t) / len(positions) * 1e6)
    shares = np.zeros(3)
    for p in positions:
        wide = features.position_planes(p, planes=features.NUM_PLANES_LADDERS)
        shares += wide[features.LADDER_PLANE:].reshape(3, -1).max(axis=1) > 0
    base = statistics.median(times[features.NUM_PLANES])
    wide_us = statistics.median(times[features.NUM_PLANES_LADDERS])
    return {"positions": len(positions), "base_us": base, "ladders_us": wide_us,
            "ratio": wide_us / base, "own_laddered": shares[0] / len(positions),
            "opp_laddered": shares[1] / len(positions),
            "capture_moves": shares[2] / len(positions)}


def markdown(results: dict[str, dict[str, float]], meta: dict[str, str]) -> str:
    lines = [SECTION, "",
             f"Measured {meta['date']} on {meta['machine']}, load average {meta['load']} at "
             f"start.  Command: `{meta['command']}`.  `features.position_planes` per position, "
             "19 planes against 22 (with the three ladder planes of `rocks.go.ladders`), "
             "timed alternately on the same positions, median of the passes; the shares are "
             "of positions where each ladder plane has a point set.", "",
             "| positions | n | 19 planes µs | 22 planes µs | ratio | own stones laddered | "
             "opponent stones laddered | a ladder-capture move |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['positions']} | {r['base_us']:.1f} | "
                     f"{r['ladders_us']:.1f} | {r['ratio']:.1f}x | {r['own_laddered']:.0%} | "
                     f"{r['opp_laddered']:.0%} | {r['capture_moves']:.0%} |")
    first_name, first = next(iter(results.items()))
    extra = first["ladders_us"] - first["base_us"]
    lines += ["", f"On {first_name} the ladder planes add {extra:.0f} µs a position: "
              f"{extra / 1000:.0%} to {extra / 263:.0%} of one b6c64 evaluation at 1,000 to "
              "3,800 evaluations/s (the Networks section), the share of a search's time they "
              "cost.  Random games, with many more chains short of liberties (26 a position "
              "on 19x19), are the worst case: every such chain is read.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--teacher-games", type=int, default=BenchConfig.teacher_games)
    ap.add_argument("--random-positions", type=int, default=BenchConfig.random_positions)
    ap.add_argument("--repeats", type=int, default=BenchConfig.repeats)
    ap.add_argument("--out", default=BenchConfig.out)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    cfg = BenchConfig(args.teacher_games, args.random_positions, args.repeats, out=args.out)
    meta = machine_meta("python bench/ladders.py" + (" --write-docs" if args.write_docs
                                                      else ""))
    sets = {
        f"9x9, GNU Go's games ({cfg.teacher_games})": teacher_positions(cfg.teacher_games),
        "9x9, random games": sample_positions(cfg.random_positions, 9, seed=cfg.seed),
        "19x19, random games": sample_positions(cfg.random_positions, 19, seed=cfg.seed),
    }
    results = {name: measure(pos, cfg.repeats) for name, pos in sets.items()}
    publish(cfg.out, asdict(cfg), meta, results, markdown(results, meta), SECTION,
            args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
