"""The fast core's data: the State of arrays its njit kernels share, and the one neighbour table.

Follows the flat-array boards of fast playout engines (GNU Go, libEGO, Pachi): points are flat
indices (see :mod:`rocks.go.coords`), the board has one extra point N = size*size that stands
for "off the board", and neighbour loops read through a fixed table with no bounds branches.

The neighbour convention (the only one in the project's numba code; :mod:`rocks.go.board` and
:func:`rocks.go.coords.neighbours` list on-board neighbours only):
  - ``geometry(size)`` gives ``nbr`` and ``diag``, int32 [N*4], flat: the k-th orthogonal
    neighbour of point p is ``nbr[4*p + k]`` (k = up, down, left, right) and the k-th diagonal
    point is ``diag[4*p + k]`` (up-left, up-right, down-left, down-right).
  - An off-board neighbour is the sentinel index N.  Every board array a kernel reads through
    the table has N + 1 entries with ``board[N] == OFF`` (2): OFF is neither a colour nor EMPTY,
    so loops skip it by value.

The mutable scalars of a State live in ``meta`` at the indices ``TO_PLAY``, ``KO``, ... below;
njit code takes the State whole.  Calling an njit function with a State from Python costs about
1.4 µs (numba unboxes its 21 fields), so Python-facing hot paths pass arrays instead
(:mod:`rocks.go.fast.child`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from rocks.go import coords
from rocks.go.board import BLACK, Rules, zobrist_table

# Hot kernels are compiled without numba's reference counting (NRT): they allocate nothing, and
# the atomic incref/decref of the State's ~17 arrays at each call made a 9x9 playout 3x slower.
hot = njit(cache=True, _nrt=False)
# Small kernels called inside loops are inlined by numba itself: a call that passes the State
# (~130 machine words) cost ~55 ns, more than a whole move.
inline = njit(cache=True, _nrt=False, inline="always")

OFF = 2  # board value of the off-board sentinel point N

# meta indices (int64 array): the mutable scalars of a State
TO_PLAY, KO, PASSES, CAPS_B, CAPS_W, N_EMPTY, N_HIST, N_SET, ZERO_SEEN, MOVES = range(10)
META_LEN = 10

# play_move / check_move result codes
OK, OCCUPIED, KO_BAN, SUICIDE, SUPERKO, OFF_BOARD, HISTORY_FULL = range(7)


class State(NamedTuple):
    """Everything the njit rules read and write.  Shapes use N = size * size.

    Attributes:
        size, komi, suicide, superko: constants of the game (superko True = positional).
        board: int8 [N+1] BLACK/WHITE/EMPTY, board[N] == OFF.
        root: int32 [N+1] chain root of each stone (stale on empty points).
        nxt: int32 [N] next stone of the same chain (circular list).
        libs, lsum, lsq: int32 [N+1] pseudo-liberty count, sum, sum of squares (valid at roots).
        stones: int32 [N+1] chain size (valid at roots).
        chash: uint64 [N+1] XOR of the chain's Zobrist keys (valid at roots).
        empty: int32 [N] the empty points in [0, meta[N_EMPTY]); epos: int32 [N] their indices.
        meta: int64 [META_LEN] to_play, ko (-1 none), passes, captures, counts.
        zhash: uint64 [1] Zobrist hash of the board.
        hist: uint64 [H] hashes of the boards before each non-pass move (Position.history).
        hset: uint64 [2^k] open-addressing set of hist + current board (positional superko).
        nbr, diag: int32 [N*4] neighbours and diagonal points, N where off the board.
        keys: uint64 [N, 2] Zobrist keys (column 0 black, 1 white).
    """

    size: int
    komi: float
    suicide: bool
    superko: bool
    board: np.ndarray
    root: np.ndarray
    nxt: np.ndarray
    libs: np.ndarray
    lsum: np.ndarray
    lsq: np.ndarray
    stones: np.ndarray
    chash: np.ndarray
    empty: np.ndarray
    epos: np.ndarray
    meta: np.ndarray
    zhash: np.ndarray
    hist: np.ndarray
    hset: np.ndarray
    nbr: np.ndarray
    diag: np.ndarray
    keys: np.ndarray


_GEOMETRY: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def geometry(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The neighbour and diagonal tables, int32 [N*4], N where off the board (cached, read-only).

    See the module docstring for the layout; every numba kernel of the project that walks
    neighbours reads this table.
    """
    geo = _GEOMETRY.get(size)
    if geo is None:
        n = size * size
        nbr = np.full(n * 4, n, dtype=np.int32)
        diag = np.full(n * 4, n, dtype=np.int32)
        for p in range(n):
            r, c = divmod(p, size)
            for k, (dr, dc) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
                if 0 <= r + dr < size and 0 <= c + dc < size:
                    nbr[4 * p + k] = (r + dr) * size + c + dc
            for k, (dr, dc) in enumerate(((-1, -1), (-1, 1), (1, -1), (1, 1))):
                if 0 <= r + dr < size and 0 <= c + dc < size:
                    diag[4 * p + k] = (r + dr) * size + c + dc
        nbr.setflags(write=False)
        diag.setflags(write=False)
        geo = _GEOMETRY[size] = (nbr, diag)
    return geo


def set_capacity(n: int) -> int:
    """Slots of an open-addressing set for ``n`` entries: a power of two, at least 64."""
    return 1 << max(6, int(n - 1).bit_length())


def new_state(size: int, komi: float, rules: Rules, history_room: int) -> State:
    """An empty board's State with room for ``history_room`` earlier boards."""
    coords.check_size(size)
    n = size * size
    nbr, diag = geometry(size)
    board = np.zeros(n + 1, dtype=np.int8)
    board[n] = OFF
    root = np.zeros(n + 1, dtype=np.int32)
    root[n] = n
    meta = np.zeros(META_LEN, dtype=np.int64)
    meta[TO_PLAY] = BLACK
    meta[KO] = -1
    return State(size, float(komi), bool(rules.suicide), rules.superko == "positional",
                 board, root, np.zeros(n, np.int32), np.zeros(n + 1, np.int32),
                 np.zeros(n + 1, np.int32), np.zeros(n + 1, np.int32), np.zeros(n + 1, np.int32),
                 np.zeros(n + 1, np.uint64), np.zeros(n, np.int32), np.zeros(n, np.int32), meta,
                 np.zeros(1, np.uint64), np.zeros(history_room, np.uint64),
                 np.zeros(set_capacity(2 * history_room + 2), np.uint64), nbr, diag,
                 zobrist_table(size))


def copy_state(s: State) -> State:
    """A deep copy of the mutable arrays (the geometry and keys are shared, read-only)."""
    return s._replace(board=s.board.copy(), root=s.root.copy(), nxt=s.nxt.copy(),
                      libs=s.libs.copy(), lsum=s.lsum.copy(), lsq=s.lsq.copy(),
                      stones=s.stones.copy(), chash=s.chash.copy(), empty=s.empty.copy(),
                      epos=s.epos.copy(), meta=s.meta.copy(), zhash=s.zhash.copy(),
                      hist=s.hist.copy(), hset=s.hset.copy())
