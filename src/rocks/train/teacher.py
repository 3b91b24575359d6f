"""Teacher games: games between GTP engines (GNU Go at several levels), saved as SGF.

AlphaGo (Silver et al., Nature 2016) learnt its first policy from 30 million KGS positions. No
human 9x9 collection is reachable offline, so the first stage here learns from games that
existing programs play against each other.

Departures, numbered:
  1. Diversity comes from mixing GNU Go levels, a fresh ``--seed`` per engine per game, and a
     short random opening (0..``max_opening`` legal moves that fill no own eye) played before
     the engines take over.  The opening is recorded in the game (it is part of the position
     history) and its length is written into the root comment as ``rocks:opening=N`` so
     :mod:`rocks.train.records` can leave those moves out of the policy targets.
  2. Game ``i`` is a pure function of (seed, i): its levels, colours, engine seeds and opening.
     Its SGF is ``game_<i>.sgf``, written atomically; a rerun skips games whose file exists, so
     killing the generator loses at most the games in flight.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rocks.engines.commands import gnugo_command
from rocks.engines.gtp_client import GtpClient
from rocks.engines.match import MatchConfig, play_game
from rocks.go.board import BLACK, Position, Rules
from rocks.go.sgf import GameRecord, save_sgf
from rocks.metrics import MetricsLogger
from rocks.progress import progress

OPENING_TAG = "rocks:opening="
_OPENING_RE = re.compile(re.escape(OPENING_TAG) + r"(\d+)")


@dataclass(frozen=True)
class TeacherConfig:
    """How ``rocks data teacher`` generates games.

    Attributes:
        out_dir: folder for ``game_<i>.sgf`` and ``games.csv``.
        games: game indices 0..games-1 (those already on disk are skipped).
        size, komi: the game (area scoring, positional superko, no suicide).
        levels: GNU Go levels to draw each side's level from.
        min_opening, max_opening: the random opening is uniform in min_opening..max_opening
            moves (GNU Go hardly depends on its seed: openings of 0-1 moves repeat games).
        seed: base seed; game i is a function of (seed, i) only.
        worker, workers: this process plays the indices i with i % workers == worker.
        move_timeout_s: per-move limit before an engine forfeits.
    """

    out_dir: str = field(default="teacher", metadata={"flag": "--out"})
    games: int = 100
    size: int = 9
    komi: float = 7.5
    levels: tuple[int, ...] = (1, 4, 7, 10)
    max_opening: int = 4
    min_opening: int = 0
    seed: int = 0
    worker: int = 0
    workers: int = 1
    move_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.levels or any(not 0 <= lv <= 10 for lv in self.levels):
            raise ValueError(f"GNU Go levels must be in 0..10, got {self.levels}")
        if not 0 <= self.worker < self.workers:
            raise ValueError(f"worker must be in 0..workers-1, got {self.worker}/{self.workers}")
        if self.max_opening < 0 or self.games < 0:
            raise ValueError("games and max_opening must be >= 0")
        if not 0 <= self.min_opening <= self.max_opening:
            raise ValueError(f"min_opening must be in 0..max_opening, got {self.min_opening}")


@dataclass(frozen=True)
class TeacherGame:
    """The plan of one teacher game (a pure function of the config seed and the index)."""

    index: int
    black_level: int
    white_level: int
    black_seed: int
    white_seed: int
    opening: tuple[int, ...]


def random_opening(size: int, komi: float, count: int, rng: np.random.Generator) -> tuple[int, ...]:
    """``count`` random legal moves, none filling the mover's own eye, from the empty board."""
    pos = Position.empty(size, komi, Rules())
    moves: list[int] = []
    for _ in range(count):
        legal = np.flatnonzero(pos.legal_moves()[:-1])
        candidates = [int(m) for m in legal if not pos.is_eye(int(m))]
        if not candidates:
            break
        move = candidates[int(rng.integers(len(candidates)))]
        pos = pos.play(move)
        moves.append(move)
    return tuple(moves)


def plan_game(cfg: TeacherConfig, index: int) -> TeacherGame:
    rng = np.random.default_rng([cfg.seed, index])
    black, white = (int(x) for x in rng.choice(cfg.levels, size=2))
    seeds = rng.integers(1, 2**31 - 1, size=2)
    opening = random_opening(cfg.size, cfg.komi,
                             int(rng.integers(cfg.min_opening, cfg.max_opening + 1)), rng)
    return TeacherGame(index, black, white, int(seeds[0]), int(seeds[1]), opening)


def game_path(out_dir: str | Path, index: int) -> Path:
    return Path(out_dir) / f"game_{index:06d}.sgf"


def opening_length(record: GameRecord) -> int:
    """Moves of a teacher game's random opening (0 for any other record)."""
    for _, text in record.comments:
        m = _OPENING_RE.search(text)
        if m:
            return int(m.group(1))
    return 0


def play_teacher_game(cfg: TeacherConfig, game: TeacherGame,
                      engine_argv: Sequence[str] | None = None) -> dict[str, object]:
    """Play and save one game; returns its row for ``games.csv``."""
    match = MatchConfig(size=cfg.size, komi=cfg.komi, rules=Rules(),
                        move_timeout_s=cfg.move_timeout_s)
    b_argv = list(engine_argv) if engine_argv else gnugo_command(game.black_level,
                                                                 seed=game.black_seed)
    w_argv = list(engine_argv) if engine_argv else gnugo_command(game.white_level,
                                                                 seed=game.white_seed)
    with GtpClient(b_argv, name=f"gnugo-l{game.black_level}") as black, \
            GtpClient(w_argv, name=f"gnugo-l{game.white_level}") as white:
        result = play_game(black, white, match, opening=game.opening)
    note = f"{OPENING_TAG}{len(game.opening)}"
    comments = dict(result.record.comments)
    comments[0] = f"{note}\n{comments.get(0, '')}".strip()
    record = dataclasses.replace(result.record, comments=tuple(sorted(comments.items())))
    save_sgf(record, game_path(cfg.out_dir, game.index))
    return dict(index=game.index, black=result.black, white=result.white,
                result=result.result, reason=result.reason, moves=result.moves,
                opening=len(game.opening), black_s=round(result.seconds[0], 2),
                white_s=round(result.seconds[1], 2),
                winner="B" if result.winner == BLACK else "W" if result.winner else "")


def generate(cfg: TeacherConfig, engine_argv: Sequence[str] | None = None) -> int:
    """Play every missing game of this worker's share; returns how many were played."""
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    todo = [i for i in range(cfg.worker, cfg.games, cfg.workers)
            if not game_path(out, i).exists()]
    played = 0
    log_name = "games.csv" if cfg.workers == 1 else f"games_w{cfg.worker}.csv"
    with MetricsLogger(out / log_name) as log:
        for i in progress(todo, desc="teacher games", total=len(todo)):
            log.log(play_teacher_game(cfg, plan_game(cfg, i), engine_argv))
            played += 1
    return played
