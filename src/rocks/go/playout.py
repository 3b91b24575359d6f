"""Uniformly random playouts to the end of the game on the fast board, for Monte-Carlo search.

Follows the "light" playouts of Monte-Carlo Go (Brügmann, 1993; Gelly et al., MoGo 2006;
libEGO): each player picks uniformly among the empty points that are not its own eye and not
forbidden, passes when none is left, and the game ends after two passes; the result is the
Tromp-Taylor score.  Moves are drawn from the empty-point list with rejection: a rejected point
is swapped to the end of the live part of the list, so each point is tried at most once per move
and nothing is allocated in the loop.  The random numbers come from xorshift64* (Marsaglia 2003;
Vigna 2016) seeded through splitmix64, so a (state, seed) pair always gives the same playout.

Departures from the rules the fast board enforces (all usual in playouts):
  1. Positional superko is not checked (only simple ko); a rare cycle is cut by the move cap.
  2. The random player never plays suicide, even where the rules allow it.
  3. A playout stops after ``max_moves`` moves (default 3 * N) and is scored where it stands.

The kernels of :mod:`rocks.go.fast` are inlined into these, and numba's on-disk cache checks
only this file's timestamp: after editing the fast core, delete
``src/rocks/go/**/__pycache__/*.nb[ic]`` (or touch this file) so that the playouts are compiled
again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rocks.go.fast import (
    KO,
    MOVES,
    N_EMPTY,
    PASSES,
    TO_PLAY,
    State,
    area_difference,
    hot,
    inline,
    is_eye,
    is_suicide,
    place_stone,
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STAR = np.uint64(0x2545F4914F6CDD1D)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S33 = np.uint64(33)


@njit(cache=True)
def seed_rng(seed: int) -> np.ndarray:
    """A one-word xorshift64* state from any integer seed (splitmix64, never zero)."""
    z = np.uint64(seed) + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    out = np.empty(1, dtype=np.uint64)
    out[0] = z if z != 0 else _GOLDEN
    return out


@inline
def _below(rng: np.ndarray, k: int) -> int:
    """A random integer in [0, k) (Lemire's multiply-shift on the high 32 bits)."""
    x = rng[0]
    x ^= x >> _S12
    x ^= x << _S25
    x ^= x >> _S27
    rng[0] = x
    hi = (x * _STAR) >> _S32
    return np.int64((hi * np.uint64(k)) >> _S32)


@inline
def _has_empty_neighbour(s: State, p: int) -> bool:
    """The common case, settled in four reads: such a point is neither an eye nor suicide."""
    board = s.board
    nbr = s.nbr
    base = 4 * p
    return (board[nbr[base]] == 0 or board[nbr[base + 1]] == 0 or board[nbr[base + 2]] == 0
            or board[nbr[base + 3]] == 0)


@inline
def pick_move(s: State, c: int, rng: np.ndarray) -> int:
    """A uniformly random empty point that is neither ``c``'s eye, the ko point nor suicide;
    -1 when there is none (the player passes)."""
    empty = s.empty
    epos = s.epos
    ko = s.meta[KO]
    k = s.meta[N_EMPTY]
    while k > 0:
        i = _below(rng, k)
        p = empty[i]
        # A point with an empty neighbour is never the ko point (that one is surrounded).
        if _has_empty_neighbour(s, p) or (
                p != ko and not is_eye(s, p, c) and not is_suicide(s, p, c)):
            return p
        # Move the rejected point past the live part of the list; the list stays a set.
        k -= 1
        q = empty[k]
        empty[i] = q
        epos[q] = i
        empty[k] = p
        epos[p] = k
    return -1


@hot
def run_playout(s: State, rng: np.ndarray, max_moves: int, mark: np.ndarray,
                stack: np.ndarray) -> float:
    """Play ``s`` out in place with random moves; returns the final score (Black minus White
    minus komi).  ``mark`` and ``stack`` are int32 [N] scratch for scoring."""
    c = s.meta[TO_PLAY]
    passes = s.meta[PASSES]
    moves = 0
    while passes < 2 and moves < max_moves:
        p = pick_move(s, c, rng)
        if p < 0:
            passes += 1
            s.meta[KO] = -1
        else:
            place_stone(s, p, c)
            passes = 0
        c = -c
        moves += 1
    s.meta[TO_PLAY] = c
    s.meta[PASSES] = passes
    s.meta[MOVES] += moves
    n = s.size * s.size
    return area_difference(s.board, s.nbr, n, mark, stack) - s.komi


@hot
def copy_board_into(dst: State, src: State) -> None:
    """Copy the board part of ``src`` into ``dst`` (same size); the history is not needed."""
    # Element loops, not slice assignment: numba's slice copy may allocate, which needs NRT.
    n = src.size * src.size
    for p in range(n + 1):
        dst.board[p] = src.board[p]
        dst.root[p] = src.root[p]
        dst.libs[p] = src.libs[p]
        dst.lsum[p] = src.lsum[p]
        dst.lsq[p] = src.lsq[p]
        dst.stones[p] = src.stones[p]
        dst.chash[p] = src.chash[p]
    for p in range(n):
        dst.nxt[p] = src.nxt[p]
        dst.empty[p] = src.empty[p]
        dst.epos[p] = src.epos[p]
    for i in range(len(src.meta)):
        dst.meta[i] = src.meta[i]
    dst.zhash[0] = src.zhash[0]


@njit(cache=True)
def scratch_like(s: State) -> State:
    """Work space for playouts from ``s``: its own board arrays, ``s``'s history (read only:
    playouts never check superko), so ``copy_board_into`` can reset it without allocating."""
    return State(s.size, s.komi, s.suicide, False, s.board.copy(), s.root.copy(), s.nxt.copy(),
                 s.libs.copy(), s.lsum.copy(), s.lsq.copy(), s.stones.copy(), s.chash.copy(),
                 s.empty.copy(), s.epos.copy(), s.meta.copy(), s.zhash.copy(), s.hist, s.hset,
                 s.nbr, s.diag, s.keys)


@njit(cache=True)
def playout_scores(s: State, n_playouts: int, seed: int, max_moves: int) -> np.ndarray:
    """Final scores of ``n_playouts`` random playouts from ``s`` (left unchanged); float64."""
    n = s.size * s.size
    work = scratch_like(s)
    mark = np.empty(n, dtype=np.int32)
    stack = np.empty(n, dtype=np.int32)
    rng = seed_rng(seed)
    out = np.empty(n_playouts, dtype=np.float64)
    for i in range(n_playouts):
        copy_board_into(work, s)
        out[i] = run_playout(work, rng, max_moves, mark, stack)
    return out


def random_playout(state: State, seed: int, max_moves: int | None = None) -> float:
    """The final score of one random playout from ``state`` (unchanged) with this seed."""
    n = state.size * state.size
    return float(playout_scores(state, 1, seed, 3 * n if max_moves is None else max_moves)[0])


__all__ = ["random_playout", "playout_scores", "run_playout", "pick_move", "seed_rng",
           "copy_board_into", "scratch_like"]
