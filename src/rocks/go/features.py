"""Network input planes for a Go position, and the 8 symmetries of the square board.

Follows AlphaGo Zero (Silver et al., Nature 2017: stones of both players over the last few
boards, colour to play) with the extra inputs KataGo found worth having (Wu, arXiv 1902.10565:
liberties, ko, komi, an on-board mask so one network serves several board sizes).

Planes, all relative to the player to move ("own" = the player to move), float32 [C, P, P] with
the board in the top-left ``size x size`` corner of a ``P x P`` canvas (``P >= size``)::

    index                 plane
    0                     own stones now
    1                     opponent stones now
    2                     empty points (on the board)
    3 .. 3+2H-1           own, opponent stones 1..H boards ago (zeros before the game began)
    3+2H .. 3+2H+2        own chains with 1, 2, 3+ liberties
    3+2H+3 .. 3+2H+5      opponent chains with 1, 2, 3+ liberties
    3+2H+6                the simple-ko point (the point that may not be played now)
    3+2H+7                all ones if Black is to play
    3+2H+8                komi from the mover's side (+ if it favours the mover) / 15
    3+2H+9                on-board mask: 1 on the board, 0 on the padding
    3+2H+10 .. 3+2H+12    optional: the ladder planes of :mod:`rocks.go.ladders` (own stones
                          a ladder captures, opponent stones a ladder captures, the moves
                          that start such a ladder)

with H = ``HISTORY`` = 3, so ``NUM_PLANES`` = 19 (the base set, ``MASK_PLANE`` = 18 its last)
and ``NUM_PLANES_LADDERS`` = 22 with the ladder planes from ``LADDER_PLANE`` = 19 on.  A
network's ``in_planes`` says which set it reads (``INPUT_PLANES``); every entry point takes
``planes`` (default the base set) and fills that many.

Two entry points compute the same planes: :func:`planes_from_arrays` works from plain arrays
(a stack of the last boards, the player to move, the ko point, komi, size) so that the fast
in-place board of the search can use it (njit code can call :func:`encode_into` directly), and
:func:`position_planes` adapts a :class:`~rocks.go.board.Position` by walking ``.previous``.

Symmetries: ``k`` in 0..7 is ``rot90(·, k % 4)`` (counter-clockwise, numpy's sense) followed by a
transpose when ``k >= 4``.  :func:`transform_planes` acts on ``[..., S, S]`` arrays and
:func:`transform_policy` on ``[..., S*S + 1]`` vectors, with pass fixed; :func:`inverse` gives
the symmetry that undoes ``k``.

Departures from the papers:
  1. History before the first move (or before setup stones) is zeros, as in AlphaGo Zero; a pass
     shows as a history board equal to the current one.
  2. Komi is a plane, scaled by 1/15 (KataGo scales by 1/20 and adds more rule planes).
  3. Ladder planes are optional and come after the mask (AlphaGo and KataGo always have
     them), so that the 19-plane networks trained before them keep working unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from rocks.go.board import BLACK, EMPTY, WHITE, Position
from rocks.go.ladders import LADDER_PLANES, ladder_planes_into

HISTORY = 3
NUM_PLANES = 3 + 2 * HISTORY + 6 + 4
OWN, OPP, EMPTY_PLANE = 0, 1, 2
LIBERTY_PLANE = 3 + 2 * HISTORY
KO_PLANE = LIBERTY_PLANE + 6
COLOUR_PLANE = KO_PLANE + 1
KOMI_PLANE = COLOUR_PLANE + 1
MASK_PLANE = KOMI_PLANE + 1
LADDER_PLANE = MASK_PLANE + 1
NUM_PLANES_LADDERS = NUM_PLANES + LADDER_PLANES
INPUT_PLANES = (NUM_PLANES, NUM_PLANES_LADDERS)
KOMI_SCALE = 15.0
NO_KO = -1

assert MASK_PLANE == NUM_PLANES - 1


def check_planes(planes: int) -> int:
    """``planes`` if it is an input set this module computes, else ValueError."""
    if planes not in INPUT_PLANES:
        raise ValueError(f"input planes must be one of {INPUT_PLANES} (base, base + ladders), "
                         f"got {planes!r}")
    return planes


# ----------------------------------------------------------------------------- liberties
@numba.njit(cache=True)
def chain_liberties(board: np.ndarray, size: int) -> np.ndarray:
    """int32 [N]: for each stone, the number of liberties of its chain; 0 on empty points."""
    n = size * size
    out = np.zeros(n, dtype=np.int32)
    seen = np.zeros(n, dtype=np.bool_)
    lib_mark = np.full(n, -1, dtype=np.int32)
    stack = np.empty(n, dtype=np.int32)
    chain = np.empty(n, dtype=np.int32)
    for start in range(n):
        colour = board[start]
        if colour == 0 or seen[start]:
            continue
        seen[start] = True
        stack[0] = start
        top = 1
        length = 0
        libs = 0
        while top > 0:
            top -= 1
            p = stack[top]
            chain[length] = p
            length += 1
            r = p // size
            c = p - r * size
            for d in range(4):
                if d == 0:
                    if r == 0:
                        continue
                    q = p - size
                elif d == 1:
                    if r == size - 1:
                        continue
                    q = p + size
                elif d == 2:
                    if c == 0:
                        continue
                    q = p - 1
                else:
                    if c == size - 1:
                        continue
                    q = p + 1
                v = board[q]
                if v == 0:
                    if lib_mark[q] != start:  # each liberty counted once per chain
                        lib_mark[q] = start
                        libs += 1
                elif v == colour and not seen[q]:
                    seen[q] = True
                    stack[top] = q
                    top += 1
        for i in range(length):
            out[chain[i]] = libs
    return out


@numba.njit(cache=True)
def encode_into(boards: np.ndarray, n_history: int, to_play: int, ko: int, komi: float,
            size: int, out: np.ndarray) -> None:
    """Fill ``out`` [NUM_PLANES, P, P] (zeroed by the caller) from ``boards`` [k, N].

    The njit kernel behind :func:`planes_from_arrays`, for njit callers (search over the fast
    board): ``boards`` int8 C-contiguous, ``n_history`` = earlier boards to use (<= HISTORY,
    < k), ``ko`` = -1 for none.  No checks: the caller guarantees the shapes.
    """
    libs = chain_liberties(boards[0], size)
    komi_plane = (komi if to_play == -1 else -komi) / KOMI_SCALE
    black = 1.0 if to_play == 1 else 0.0
    for p in range(size * size):
        r = p // size
        c = p - r * size
        v = boards[0, p] * to_play  # +1 own, -1 opponent
        if v == 1:
            out[0, r, c] = 1.0
        elif v == -1:
            out[1, r, c] = 1.0
        else:
            out[2, r, c] = 1.0
        for t in range(1, n_history + 1):
            h = boards[t, p] * to_play
            if h == 1:
                out[1 + 2 * t, r, c] = 1.0  # 3 + 2 (t - 1): own stones t boards ago
            elif h == -1:
                out[2 + 2 * t, r, c] = 1.0
        if v != 0:
            lib = min(libs[p], 3)
            base = LIBERTY_PLANE if v == 1 else LIBERTY_PLANE + 3
            out[base + lib - 1, r, c] = 1.0
        out[COLOUR_PLANE, r, c] = black
        out[KOMI_PLANE, r, c] = komi_plane
        out[MASK_PLANE, r, c] = 1.0
    if ko >= 0:
        out[KO_PLANE, ko // size, ko % size] = 1.0


def planes_from_arrays(boards: np.ndarray, to_play: int, ko: int | None, komi: float,
                       size: int, pad_to: int | None = None,
                       out: np.ndarray | None = None, planes: int = NUM_PLANES) -> np.ndarray:
    """Input planes from plain arrays.

    Args:
        boards: int8 [k, size*size] (or one board [size*size]), ``boards[0]`` the current board,
            ``boards[t]`` the board t moves ago; BLACK = 1, WHITE = -1.  Fewer than
            ``HISTORY + 1`` boards leaves the missing history planes zero.
        to_play: BLACK (1) or WHITE (-1).
        ko: the simple-ko point (flat index), or None / ``NO_KO`` (-1).
        komi: points given to White.
        size: board side.
        pad_to: canvas side P >= size (default ``size``).
        out: optional zeroed float32 [planes, P, P] to fill (saves an allocation).
        planes: ``NUM_PLANES`` or ``NUM_PLANES_LADDERS`` (with the ladder planes).

    Returns:
        float32 [planes, P, P].
    """
    boards = np.asarray(boards)
    if boards.ndim == 1:
        boards = boards[None]
    n = size * size
    if boards.ndim != 2 or boards.shape[1] != n:
        raise ValueError(f"boards must be [k, {n}] for a {size}x{size} board, got {boards.shape}")
    if to_play not in (BLACK, WHITE):
        raise ValueError(f"to_play must be BLACK (1) or WHITE (-1), got {to_play!r}")
    ko = NO_KO if ko is None else int(ko)
    if not -1 <= ko < n:
        raise ValueError(f"ko point {ko} is off a {size}x{size} board")
    pad = size if pad_to is None else pad_to
    if pad < size:
        raise ValueError(f"pad_to={pad} is smaller than the board ({size})")
    check_planes(planes)
    if out is None:
        out = np.zeros((planes, pad, pad), dtype=np.float32)
    elif out.shape != (planes, pad, pad) or out.dtype != np.float32:
        raise ValueError(f"out must be float32 {(planes, pad, pad)}, got {out.dtype} "
                         f"{out.shape}")
    n_history = min(boards.shape[0] - 1, HISTORY)
    boards = np.ascontiguousarray(boards, dtype=np.int8)
    encode_into(boards, n_history, int(to_play), ko, float(komi), size, out)
    if planes == NUM_PLANES_LADDERS:
        ladder_planes_into(boards[0], int(to_play), size, out[LADDER_PLANE:])
    return out


def history_boards(position: Position, depth: int = HISTORY) -> np.ndarray:
    """int8 [k, N], k <= depth + 1: the current board then earlier ones, walking ``.previous``."""
    boards = [position.board]
    pos = position
    while len(boards) <= depth and pos.previous is not None:
        pos = pos.previous
        boards.append(pos.board)
    return np.stack(boards)


def position_planes(position: Position, pad_to: int | None = None,
                    out: np.ndarray | None = None, planes: int | None = None) -> np.ndarray:
    """float32 [planes, P, P]: the input planes of ``position`` (see the module docstring);
    ``planes`` defaults to ``out``'s, else the base set."""
    if planes is None:
        planes = NUM_PLANES if out is None else out.shape[0]
    return planes_from_arrays(history_boards(position), position.to_play, position.ko,
                              position.komi, position.size, pad_to, out, planes)


def batch_planes(positions: Sequence[Position], pad_to: int | None = None,
                 planes: int = NUM_PLANES) -> np.ndarray:
    """float32 [B, planes, P, P] for positions of possibly different sizes (P = largest)."""
    if not positions:
        raise ValueError("batch_planes needs at least one position")
    check_planes(planes)
    pad = max(p.size for p in positions) if pad_to is None else pad_to
    out = np.zeros((len(positions), planes, pad, pad), dtype=np.float32)
    for i, pos in enumerate(positions):
        position_planes(pos, pad, out[i])
    return out


def add_ladder_planes(planes: np.ndarray) -> np.ndarray:
    """float32 [B, NUM_PLANES_LADDERS, S, S]: base-set planes [B, NUM_PLANES, S, S] (e.g. from
    a shard written before ladder planes) with the ladder planes appended, read from each
    example's current board (planes ``OWN`` and ``OPP``: the mover's view, so the mover is
    +1).  The board is the top-left corner the mask plane marks."""
    planes = np.asarray(planes)
    if planes.ndim != 4 or planes.shape[1] != NUM_PLANES:
        raise ValueError(f"planes must be [B, {NUM_PLANES}, S, S], got {planes.shape}")
    b, _, side, _ = planes.shape
    out = np.zeros((b, NUM_PLANES_LADDERS, side, side), dtype=np.float32)
    out[:, :NUM_PLANES] = planes
    for i in range(b):
        size = int(round(float(np.sqrt(planes[i, MASK_PLANE].sum()))))
        board = (planes[i, OWN, :size, :size] - planes[i, OPP, :size, :size]).astype(np.int8)
        ladder_planes_into(board.ravel(), BLACK, size, out[i, LADDER_PLANE:])
    return out


# ----------------------------------------------------------------------------- symmetries
NUM_SYMMETRIES = 8


def _check_symmetry(k: int) -> int:
    if not 0 <= k < NUM_SYMMETRIES:
        raise ValueError(f"symmetry must be 0..7, got {k!r}")
    return k


def transform_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to the last two (square) axes of ``planes``; returns a copy."""
    _check_symmetry(k)
    out = np.rot90(planes, k % 4, axes=(-2, -1))
    if k >= 4:
        out = np.swapaxes(out, -2, -1)
    return np.ascontiguousarray(out)


_PERMUTATIONS: dict[tuple[int, int], np.ndarray] = {}


def policy_permutation(k: int, size: int) -> np.ndarray:
    """int64 [N+1] ``perm`` with ``transform_policy(v, k) == v[..., perm]`` (pass maps to pass)."""
    key = (_check_symmetry(k), size)
    perm = _PERMUTATIONS.get(key)
    if perm is None:
        grid = np.arange(size * size).reshape(size, size)
        perm = np.append(transform_planes(grid, k).ravel(), size * size)
        perm.setflags(write=False)
        _PERMUTATIONS[key] = perm
    return perm


def transform_policy(policy: np.ndarray, k: int, size: int) -> np.ndarray:
    """Apply symmetry ``k`` to vectors over moves ``[..., N+1]`` (or points ``[..., N]``)."""
    perm = policy_permutation(k, size)
    n = policy.shape[-1]
    if n == size * size:
        return policy[..., perm[:-1]]
    if n != size * size + 1:
        raise ValueError(f"last axis must be {size * size} or {size * size + 1}, got {n}")
    return policy[..., perm]


def transform_move(move: int, k: int, size: int) -> int:
    """Where symmetry ``k`` sends the flat ``move`` (pass stays pass)."""
    perm = policy_permutation(k, size)
    return int(np.flatnonzero(perm == move)[0])


def inverse(k: int) -> int:
    """The symmetry that undoes ``k``: rotations invert to the opposite turn, reflections to
    themselves."""
    _check_symmetry(k)
    return (4 - k) % 4 if k < 4 else k


def transform_position(position: Position, k: int) -> Position:
    """``position`` with every board of its game, moves and ko mapped by symmetry ``k``.

    Replays the game from its first position, so history, ko and superko all carry over.
    """
    chain = [position]
    while chain[-1].previous is not None:
        chain.append(chain[-1].previous)
    start = chain[-1]
    size = start.size
    black = [transform_move(int(p), k, size) for p in np.flatnonzero(start.board == BLACK)]
    white = [transform_move(int(p), k, size) for p in np.flatnonzero(start.board == WHITE)]
    pos = Position.setup(size, start.komi, start.rules, black, white, start.to_play)
    for _, move in position.moves[len(start.moves):]:
        pos = pos.play(transform_move(move, k, size))
    return pos


__all__ = [
    "EMPTY", "HISTORY", "NUM_PLANES", "NUM_PLANES_LADDERS", "INPUT_PLANES", "LADDER_PLANE",
    "check_planes", "add_ladder_planes", "MASK_PLANE", "KO_PLANE", "COLOUR_PLANE", "KOMI_PLANE",
    "LIBERTY_PLANE", "NUM_SYMMETRIES", "NO_KO", "chain_liberties", "encode_into",
    "planes_from_arrays",
    "history_boards", "position_planes", "batch_planes", "transform_planes", "transform_policy",
    "transform_move", "policy_permutation", "inverse", "transform_position",
]
