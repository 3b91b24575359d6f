"""Training examples on disk: compressed npz shards, written atomically, and a replay window.

The file format every training stage exchanges (AlphaGo Zero's "training data" of (s, π, z);
KataGo, arXiv 1902.10565, adds ownership and score targets).  One shard is one ``.npz``
(``numpy.savez_compressed``) holding ``n`` examples of one board size ``S`` (``N = S*S``):

    planes        float16 [n, C, S, S]  input planes (rocks.go.features), mover's view
    policy        float16 [n, N+1]      policy target (one-hot move, or visit distribution)
    policy_weight float16 [n]           0 where the move is no target (random opening, fast search)
    value         float16 [n]           game result for the mover: +1 win, -1 loss, 0 draw
    value_weight  float16 [n]           0 where the result is unknown
    ownership     int8    [n, N]        final owner of each point for the mover (+1/-1/0)
    score         float16 [n]           final Tromp-Taylor lead of the mover, in points
    aux_weight    float16 [n]           1 where ownership and score were scored on a played-out
                                        board, else 0
    meta          str (json)            size, source, created

Departures, numbered:
  1. Planes are stored (float16, compressed ~20x since nearly all are 0/1) rather than
     recomputed from moves at load time: the trainer then needs no Go code and no history.
  2. A shard that cannot be read (truncated, corrupt, wrong fields) is skipped with a warning
     (:class:`ShardWarning`) by :func:`load_examples`; only :func:`read_shard` raises.
  3. Shards hold the planes their writer computed (19, or 22 with the ladder planes);
     :func:`with_planes` appends the ladder planes to 19-plane examples when a network reads
     22, so shards written before ladder planes existed train ladder networks as they are.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rocks.atomic import write_with
from rocks.go import features

FIELDS: dict[str, np.dtype] = {
    "planes": np.dtype(np.float16),
    "policy": np.dtype(np.float16),
    "policy_weight": np.dtype(np.float16),
    "value": np.dtype(np.float16),
    "value_weight": np.dtype(np.float16),
    "ownership": np.dtype(np.int8),
    "score": np.dtype(np.float16),
    "aux_weight": np.dtype(np.float16),
}


class ShardError(ValueError):
    """A shard file that cannot be read or does not hold valid examples."""


class ShardWarning(UserWarning):
    """A shard was skipped (see the message for which and why)."""


@dataclass(frozen=True)
class Examples:
    """A batch of training examples (fields and shapes as in the module docstring)."""

    planes: np.ndarray
    policy: np.ndarray
    policy_weight: np.ndarray
    value: np.ndarray
    value_weight: np.ndarray
    ownership: np.ndarray
    score: np.ndarray
    aux_weight: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.planes)
        if self.planes.ndim != 4 or self.planes.shape[2] != self.planes.shape[3]:
            raise ShardError(f"planes must be [n, C, S, S], got {self.planes.shape}")
        s = self.planes.shape[2]
        shapes = {"policy": (n, s * s + 1), "ownership": (n, s * s)}
        for name in FIELDS:
            arr = getattr(self, name)
            want = shapes.get(name, (n,) if name != "planes" else arr.shape)
            if arr.shape != want:
                raise ShardError(f"field {name} has shape {arr.shape}, expected {want}")

    def __len__(self) -> int:
        return len(self.planes)

    @property
    def size(self) -> int:
        return int(self.planes.shape[2])

    def take(self, index: np.ndarray | slice) -> Examples:
        return Examples(**{f: getattr(self, f)[index] for f in FIELDS})

    @staticmethod
    def concat(parts: Sequence[Examples]) -> Examples:
        if not parts:
            raise ValueError("no examples to concatenate")
        sizes = {p.size for p in parts}
        if len(sizes) > 1:
            raise ShardError(f"examples of several board sizes {sorted(sizes)} in one set")
        return Examples(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS})

    @staticmethod
    def build(**arrays: np.ndarray) -> Examples:
        """Cast each field to its stored dtype."""
        missing = sorted(set(FIELDS) - set(arrays))
        if missing:
            raise ShardError(f"missing fields {missing}")
        return Examples(**{f: np.asarray(arrays[f]).astype(FIELDS[f], copy=False)
                           for f in FIELDS})


def with_planes(examples: Examples, planes: int) -> Examples:
    """``examples`` with ``planes`` input planes: themselves when they have that many, the
    base set with the ladder planes appended (:func:`rocks.go.features.add_ladder_planes`)
    when ``planes`` is ``NUM_PLANES_LADDERS``; ShardError for anything else."""
    have = examples.planes.shape[1]
    if have == planes:
        return examples
    if have == features.NUM_PLANES and planes == features.NUM_PLANES_LADDERS:
        wide = features.add_ladder_planes(examples.planes).astype(FIELDS["planes"])
        return dataclasses.replace(examples, planes=wide)
    raise ShardError(f"examples have {have} input planes and the network reads {planes}: "
                     f"only {features.NUM_PLANES} -> {features.NUM_PLANES_LADDERS} (adding the "
                     "ladder planes) can be converted")


def game_name(generation: int, index: int) -> str:
    """The stem of a self-play game's shard and SGF: ``gGGGG_IIIIII`` (its presence = done)."""
    return f"g{generation:04d}_{index:06d}"


def write_shard(path: str | Path, examples: Examples, meta: dict[str, object] | None = None
                ) -> Path:
    """Write ``examples`` to ``path`` (.npz) atomically: a temporary file, then a rename."""
    return write_with(path, lambda f: np.savez_compressed(
        f, meta=np.array(json.dumps({"size": examples.size, **(meta or {})})),
        **{name: getattr(examples, name) for name in FIELDS}))


def read_shard(path: str | Path) -> Examples:
    """Read one shard; :class:`ShardError` saying what is wrong if it cannot be used."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in FIELDS}
    except KeyError as exc:
        raise ShardError(f"{path}: missing field {exc}") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ShardError(f"{path}: unreadable (truncated or corrupt?): {exc}") from None
    for name, dtype in FIELDS.items():
        if arrays[name].dtype != dtype:
            raise ShardError(f"{path}: field {name} is {arrays[name].dtype}, expected {dtype}")
    try:
        examples = Examples(**arrays)
    except ShardError as exc:
        raise ShardError(f"{path}: {exc}") from None
    if not np.isfinite(examples.planes).all() or not np.isfinite(examples.policy).all():
        raise ShardError(f"{path}: holds NaN or infinity")
    return examples


def list_shards(folder: str | Path) -> list[Path]:
    """Shards in ``folder`` (not recursive), oldest name first (names sort by creation)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.npz") if not p.name.startswith("."))


def load_examples(paths: Iterable[str | Path]) -> Examples | None:
    """Concatenate readable shards, skipping bad ones with a :class:`ShardWarning`."""
    return load_with_source(paths)[0]


def load_with_source(paths: Iterable[str | Path]) -> tuple[Examples | None, np.ndarray]:
    """:func:`load_examples`, and per example the index in ``paths`` of its shard."""
    parts: list[Examples] = []
    index: list[int] = []
    for i, p in enumerate(paths):
        try:
            part = read_shard(p)
        except ShardError as exc:
            warnings.warn(f"skipping shard: {exc}", ShardWarning, stacklevel=3)
            continue
        if len(part):
            parts.append(part)
            index.append(i)
    if not parts:
        return None, np.zeros(0, np.int64)
    source = np.repeat(np.array(index, dtype=np.int64), [len(p) for p in parts])
    return Examples.concat(parts), source


def replay_window(folder: str | Path, window: int) -> list[Path]:
    """The newest shards whose examples add up to at least ``window`` (AlphaGo Zero's window of
    the most recent 500,000 games, counted here in positions).  Counting decompresses only the
    small ``value`` array of each shard."""
    chosen: list[Path] = []
    total = 0
    for path in reversed(list_shards(folder)):
        try:
            n = shard_length(path)
        except ShardError as exc:
            warnings.warn(f"skipping shard: {exc}", ShardWarning, stacklevel=2)
            continue
        chosen.append(path)
        total += n
        if total >= window:
            break
    return chosen[::-1]


def shard_length(path: str | Path) -> int:
    """Examples in a shard, from the header of its ``value`` array."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return int(data["value"].shape[0])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise ShardError(f"{path}: unreadable (truncated or corrupt?): {exc}") from None
