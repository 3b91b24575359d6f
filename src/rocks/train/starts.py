"""Start positions for self-play: positions mined from game records, read back as move lists.

KataGo's self-play starts a share of its games from positions read from SGF files
(``startPosesProb``, ``startPosesFromSgfDir``) and from "hint" positions mined from games
where the net went wrong (``hintPosesProb``; Wu, arXiv 1902.10565, and KataGo's later runs).
This module holds both halves of that idea in their smallest form:

* :func:`mine_start_positions` cuts positions out of game records that a given player lost
  (e.g. our net's losses against GNU Go), at move numbers drawn in a range;
  :func:`write_start_positions` does it for SGF files and folders (``rocks data starts``);
* :func:`load_start_positions` reads a folder of SGF files, each one a start position (its
  whole move list), for ``rocks train loop --start-positions DIR``
  (:mod:`rocks.train.selfplay`, departure 7).

Departures, numbered:
  1. A start position is a move list from the empty board (no setup stones, Black first,
     colours alternating), so that the game's positional-superko history is exact and its SGF
     replays; records that are not (handicap, setup stones) are refused when loading and
     skipped when mining.
  2. Positions are drawn uniformly (KataGo weights them by move number and by how surprising
     the net found them).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rocks.go.board import BLACK
from rocks.go.sgf import GameRecord, SgfError, load_sgf, save_sgf
from rocks.train.records import find_sgf_files

__all__ = ["MiningConfig", "StartPositionError", "mine_start_positions", "load_start_positions",
           "save_start_positions", "write_start_positions", "lost_by"]


class StartPositionError(ValueError):
    """A start-position folder or file that cannot be used."""


@dataclass(frozen=True)
class MiningConfig:
    """``rocks data starts``: which positions :func:`mine_start_positions` cuts from each lost
    game, and, for :func:`write_start_positions`, from which files into which folder.

    Attributes:
        sources: SGF files or folders (searched recursively for ``*.sgf``).
        out_dir: the folder of start positions written (``start_NNNNNN.sgf``, ``starts.csv``).
        size: the board size mined (records of other sizes are skipped).
        player: the player whose lost games are mined (a substring of PB/PW, e.g. ``rocks``).
        first_move, last_move: the cut's move number is drawn in [first_move, last_move],
            and at most the game's length minus ``tail``.
        tail: moves kept off the end: a position a few moves before a resignation is decided.
        per_game: cuts per game (distinct move numbers; fewer when the range is short).
        seed: the draws' seed.
    """

    sources: tuple[str, ...] = field(default=(), metadata={"positional": True})
    out_dir: str = field(default="starts", metadata={"flag": "--out"})
    size: int = 9
    player: str = "rocks"
    first_move: int = 10
    last_move: int = 60
    tail: int = 10
    per_game: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.first_move <= self.last_move:
            raise ValueError("need 0 <= first_move <= last_move")
        if self.per_game < 1 or self.tail < 0:
            raise ValueError("need per_game >= 1 and tail >= 0")


def _plain(record: GameRecord) -> bool:
    """Departure 1: no setup stones, Black first, colours alternating."""
    if record.black_setup or record.white_setup or record.handicap:
        return False
    return all(colour == (BLACK if i % 2 == 0 else -BLACK)
               for i, (colour, _) in enumerate(record.moves))


def lost_by(record: GameRecord, player: str) -> bool:
    """True when ``player`` (a substring of one side's name, not both) lost the game."""
    result = (record.result or "").upper()
    black, white = player in record.black_player, player in record.white_player
    if black == white or result[:2] not in ("B+", "W+"):
        return False
    return result.startswith("W+") if black else result.startswith("B+")


def mine_start_positions(records: Iterable[GameRecord],
                         cfg: MiningConfig) -> list[tuple[int, tuple[int, ...]]]:
    """(record number, move list) of the positions cut from the games ``cfg.player`` lost
    (see :class:`MiningConfig`), in the records' order; each draw is seeded by (seed, record
    number), so appending records keeps the earlier records' cuts."""
    out: list[tuple[int, tuple[int, ...]]] = []
    for i, record in enumerate(records):
        if not _plain(record) or not lost_by(record, cfg.player):
            continue
        hi = min(cfg.last_move, len(record.moves) - cfg.tail)
        if hi < cfg.first_move:
            continue
        rng = np.random.default_rng([cfg.seed, i])
        span = np.arange(cfg.first_move, hi + 1)
        cuts = rng.choice(span, size=min(cfg.per_game, len(span)), replace=False)
        moves = [move for _, move in record.moves]
        out.extend((i, tuple(moves[:k])) for k in sorted(int(c) for c in cuts))
    return out


def save_start_positions(starts: Sequence[Sequence[int]], folder: str | Path, size: int,
                         komi: float = 7.5) -> list[Path]:
    """Write each start position as ``start_NNNNNN.sgf`` in ``folder`` (atomically each), in
    place of the start positions the folder held."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("start_*.sgf"):
        old.unlink()
    paths = []
    for i, moves in enumerate(starts):
        record = GameRecord(size=size, komi=komi, rules="Chinese",
                            moves=tuple((BLACK if j % 2 == 0 else -BLACK, m)
                                        for j, m in enumerate(moves)))
        paths.append(save_sgf(record, folder / f"start_{i:06d}.sgf"))
    return paths


def load_start_positions(folder: str | Path, size: int) -> tuple[tuple[int, ...], ...]:
    """The move lists of the SGF files in ``folder`` (sorted by name, so a run's draws are
    reproducible); StartPositionError on an empty folder, a malformed file, another board
    size or a record that is not a plain move list (departure 1)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StartPositionError(f"start positions: {folder} is not a folder")
    paths = sorted(folder.glob("*.sgf"))
    if not paths:
        raise StartPositionError(f"start positions: no *.sgf files in {folder}")
    starts = []
    for path in paths:
        try:
            record = load_sgf(path)
        except SgfError as exc:
            raise StartPositionError(f"start positions: {path.name}: {exc}") from None
        if record.size != size:
            raise StartPositionError(f"start positions: {path.name} is {record.size}x"
                                     f"{record.size}; self-play is {size}x{size}")
        if not _plain(record):
            raise StartPositionError(f"start positions: {path.name} has setup stones or "
                                     "moves out of turn; a start is a move list from the "
                                     "empty board")
        starts.append(tuple(move for _, move in record.moves))
    return tuple(starts)


def write_start_positions(cfg: MiningConfig) -> dict[str, int]:
    """Mine ``cfg.sources`` into ``cfg.out_dir``: the positions as SGF and ``starts.csv`` (start,
    source file, moves, the player's colour).  Unreadable files and other board sizes are
    skipped and counted, not fatal.  Returns the counts: files, unreadable, other_size, lost,
    positions."""
    files = find_sgf_files(cfg.sources)  # FileNotFoundError names a missing source
    records: list[GameRecord] = []
    names: list[Path] = []
    unreadable = other_size = 0
    for path in files:
        try:
            record = load_sgf(path)
        except SgfError:
            unreadable += 1
            continue
        if record.size != cfg.size:
            other_size += 1
            continue
        records.append(record)
        names.append(path)
    mined = mine_start_positions(records, cfg)
    save_start_positions([moves for _, moves in mined], cfg.out_dir, cfg.size)
    with open(Path(cfg.out_dir) / "starts.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["start", "source", "moves", "player_colour"])
        for i, (g, moves) in enumerate(mined):
            colour = "B" if cfg.player in records[g].black_player else "W"
            writer.writerow([i, str(names[g]), len(moves), colour])
    return {"files": len(files), "unreadable": unreadable, "other_size": other_size,
            "lost": sum(1 for r in records if lost_by(r, cfg.player)), "positions": len(mined)}
