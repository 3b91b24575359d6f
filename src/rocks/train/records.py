"""Game records (SGF) -> training examples -> npz shards, with a report of what was skipped.

AlphaGo's supervised stage (Silver et al., Nature 2016) learns p(a|s) from expert moves and, for
its value network, z from the outcome, one position per game against overfitting.  Here every
position of every game yields an example (s, one-hot a, z) plus KataGo's auxiliary ownership
and score targets (Wu, arXiv 1902.10565) where the final board was played out.

Departures, numbered:
  1. All positions of a game are used for the value target (AlphaGo took one per game to stop
     the value net memorising games); the validation split is by game, which shows overfitting
     when it happens, and symmetry augmentation in training counters it.
  2. Duplicates are whole games: two records whose moves agree under one of the 8 symmetries
     are one game (collections often hold the same game twice).
  3. Ownership/score targets are used only when the game ended with two passes and the
     Tromp-Taylor result of the final board agrees with the recorded winner (GNU Go with
     ``--capture-all-dead`` plays games out); otherwise their weight is 0.
  4. Moves of a teacher game's random opening (``rocks:opening=N`` in the root comment, see
     :mod:`rocks.train.teacher`) get policy weight 0; they still give value examples.
  5. Handicap and setup stones are honoured; comments and variations are ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rocks.atomic import write_text
from rocks.go import features
from rocks.go.board import BLACK
from rocks.go.sgf import GameRecord, SgfError, load_sgf
from rocks.progress import progress
from rocks.train.shards import Examples, write_shard
from rocks.train.teacher import opening_length
from rocks.userfiles import UserFileError


@dataclass(frozen=True)
class ImportConfig:
    """How ``rocks data import`` turns SGF files into shards.

    Attributes:
        sources: SGF files or folders (searched recursively for ``*.sgf``).
        out_dir: shards go to ``out_dir/train`` and ``out_dir/val``; report to ``report.json``.
        size: only games of this board size are kept (one size per shard set).
        symmetries: how many distinct symmetries of each position to store (1 = as played).
        shard_size: examples per shard.
        val_fraction: share of games (chosen by a hash of the game) held out for validation.
        seed: for the stored symmetries.
    """

    sources: tuple[str, ...] = field(default=(), metadata={"positional": True})
    out_dir: str = field(default="shards", metadata={"flag": "--out"})
    size: int = 9
    symmetries: int = 1
    shard_size: int = 16384
    val_fraction: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.symmetries <= 8:
            raise ValueError(f"symmetries must be in 1..8, got {self.symmetries}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.shard_size < 1:
            raise ValueError("shard_size must be positive")


@dataclass
class ImportReport:
    """What an import did: files read, games kept, examples written, and every skip with why."""

    files_read: int = 0
    games_kept: int = 0
    train_examples: int = 0
    val_examples: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    def reasons(self) -> Counter[str]:
        return Counter(r.split(":")[0] for r in self.skipped.values())

    def summary(self) -> str:
        lines = [f"read {self.files_read} files, kept {self.games_kept} games: "
                 f"{self.train_examples} train + {self.val_examples} validation examples"]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} files:")
            lines += [f"  {n:6d}  {why}" for why, n in self.reasons().most_common()]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(dict(files_read=self.files_read, games_kept=self.games_kept,
                               train_examples=self.train_examples,
                               val_examples=self.val_examples,
                               skipped_by_reason=dict(self.reasons()), skipped=self.skipped),
                          indent=1)


def result_winner(result: str | None) -> int | None:
    """BLACK, WHITE, 0 for a draw, or None when the SGF RE gives no usable result."""
    if not result:
        return None
    text = result.strip().upper()
    if text in ("0", "DRAW", "JIGO") or text.startswith("0"):
        return 0
    if text.startswith("B+"):
        return BLACK
    if text.startswith("W+"):
        return -BLACK
    return None


def game_key(record: GameRecord) -> str:
    """A key equal for records of the same game under any of the 8 symmetries (departure 2)."""
    size = record.size
    best = None
    for k in range(features.NUM_SYMMETRIES):
        perm = features.policy_permutation(k, size)
        inv = np.argsort(perm)  # where each point goes under symmetry k
        text = "|".join([
            ",".join(str(int(inv[p])) for p in sorted(record.black_setup)),
            ",".join(str(int(inv[p])) for p in sorted(record.white_setup)),
            ";".join(f"{c}{int(inv[m])}" for c, m in record.moves)])
        best = text if best is None or text < best else best
    return hashlib.sha1(f"{size}:{record.komi}:{best}".encode()).hexdigest()


def record_examples(record: GameRecord, policy_from: int = 0) -> Examples:
    """One example per move of ``record`` (the position before the move, the move, the result).

    ``policy_from``: moves before this index get policy weight 0.  SgfError on an illegal move.
    """
    positions = record.positions()
    n = len(record.moves)
    size = record.size
    npts = size * size
    winner = result_winner(record.result)
    final = positions[-1]
    scored = final.score()
    played_out = (len(record.moves) >= 2 and record.moves[-1][1] == npts
                  and record.moves[-2][1] == npts)
    tt_winner = BLACK if scored > 0 else -BLACK if scored < 0 else 0
    aux_ok = played_out and winner is not None and tt_winner == winner
    ownership_black = final.ownership().astype(np.int8)

    planes = np.zeros((n, features.NUM_PLANES, size, size), dtype=np.float32)
    policy = np.zeros((n, npts + 1), dtype=np.float32)
    policy_weight = np.ones(n, dtype=np.float32)
    value = np.zeros(n, dtype=np.float32)
    mover = np.empty(n, dtype=np.int8)
    for i, (pos, (colour, move)) in enumerate(zip(positions[:-1], record.moves, strict=True)):
        features.position_planes(pos, size, planes[i])
        policy[i, move] = 1.0
        mover[i] = colour
        if colour != pos.to_play:  # an out-of-turn move: the planes show the other mover
            policy_weight[i] = 0.0
    policy_weight[:policy_from] = 0.0
    if winner is not None:
        value[:] = winner * mover
    return Examples.build(
        planes=planes, policy=policy, policy_weight=policy_weight, value=value,
        value_weight=np.full(n, 1.0 if winner is not None else 0.0),
        ownership=ownership_black[None, :] * mover[:, None],
        score=scored * mover.astype(np.float32) if aux_ok else np.zeros(n),
        aux_weight=np.full(n, 1.0 if aux_ok else 0.0))


def augment(examples: Examples, count: int, rng: np.random.Generator) -> Examples:
    """``count`` distinct symmetries of each example (the identity among them when count=1)."""
    if count == 1:
        return examples
    parts = []
    size = examples.size
    n = len(examples)
    choices = np.stack([rng.permutation(features.NUM_SYMMETRIES)[:count] for _ in range(n)])
    for j in range(count):
        ks = choices[:, j]
        planes = np.empty_like(examples.planes)
        policy = np.empty_like(examples.policy)
        ownership = np.empty_like(examples.ownership)
        for k in range(features.NUM_SYMMETRIES):
            sel = ks == k
            if sel.any():
                planes[sel] = features.transform_planes(examples.planes[sel], k)
                policy[sel] = features.transform_policy(examples.policy[sel], k, size)
                ownership[sel] = features.transform_policy(examples.ownership[sel], k, size)
        parts.append(Examples(planes, policy, examples.policy_weight, examples.value,
                              examples.value_weight, ownership, examples.score,
                              examples.aux_weight))
    return Examples.concat(parts)


def find_sgf_files(sources: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.suffix.lower() == ".sgf")
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"{s}: no such file or folder")
    return files


class _ShardWriter:
    """Buffers examples and writes full shards ``<prefix>_<i>.npz``."""

    def __init__(self, folder: Path, shard_size: int, rng: np.random.Generator,
                 meta: dict[str, object]) -> None:
        self.folder, self.shard_size, self.rng, self.meta = folder, shard_size, rng, meta
        self.parts: list[Examples] = []
        self.buffered = 0
        self.index = 0
        self.written = 0

    def add(self, ex: Examples) -> None:
        self.parts.append(ex)
        self.buffered += len(ex)
        if self.buffered >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        allx = Examples.concat(self.parts)
        allx = allx.take(self.rng.permutation(len(allx)))  # mix games within a shard
        write_shard(self.folder / f"shard_{self.index:05d}.npz", allx, self.meta)
        self.index += 1
        self.written += len(allx)
        self.parts, self.buffered = [], 0


def iter_records(files: Sequence[Path], size: int, report: ImportReport
                 ) -> Iterator[tuple[Path, GameRecord]]:
    for path in files:
        report.files_read += 1
        try:
            record = load_sgf(path)
        except SgfError as exc:
            kind = ("refused" if isinstance(exc.__cause__, UserFileError)  # a device, a FIFO...
                    else "illegal move" if "illegal" in str(exc) else "unreadable SGF")
            report.skipped[str(path)] = f"{kind}: {exc}"
            continue
        if record.size != size:
            report.skipped[str(path)] = f"board size {record.size} (importing {size})"
            continue
        if not record.moves:
            report.skipped[str(path)] = "no moves"
            continue
        yield path, record


def import_records(cfg: ImportConfig) -> ImportReport:
    """Read every SGF of ``cfg.sources`` and write shards; see the module docstring.

    The output folder is rebuilt from scratch each time (imports are fast; it keeps the split
    and deduplication a function of the input alone)."""
    files = find_sgf_files(cfg.sources)
    out = Path(cfg.out_dir)
    for sub in ("train", "val"):
        for old in (out / sub).glob("*.npz") if (out / sub).is_dir() else ():
            old.unlink()
    rng = np.random.default_rng(cfg.seed)
    meta = {"source": "sgf import", "size": cfg.size}
    writers = {"train": _ShardWriter(out / "train", cfg.shard_size, rng, meta),
               "val": _ShardWriter(out / "val", cfg.shard_size, rng, meta)}
    report = ImportReport()
    seen: dict[str, str] = {}
    for path, record in progress(iter_records(files, cfg.size, report), desc="import",
                                 total=len(files)):
        key = game_key(record)
        if key in seen:
            report.skipped[str(path)] = f"duplicate: same game as {seen[key]}"
            continue
        try:
            ex = record_examples(record, policy_from=opening_length(record))
        except SgfError as exc:
            report.skipped[str(path)] = f"illegal move: {exc}"
            continue
        seen[key] = str(path)
        report.games_kept += 1
        split = "val" if int(key[:8], 16) / 2**32 < cfg.val_fraction else "train"
        writers[split].add(augment(ex, cfg.symmetries, rng))
    for w in writers.values():
        w.flush()
    report.train_examples = writers["train"].written
    report.val_examples = writers["val"].written
    write_text(out / "report.json", report.to_json() + "\n")
    return report
