"""The rules on the fast State: legality, playing a move, legal masks and the Tromp-Taylor score.

Follows the Tromp-Taylor rules of :mod:`rocks.go.board` with its ``Rules`` options (suicide,
positional superko), and is tested against ``Position`` move by move (tests/go/test_fast.py).
Positional superko asks whether the board after a move is among the earlier ones: the hashes
of the earlier boards (``State.hist``) are kept in an open-addressing hash set
(``State.hset``, linear probing, 0 meaning "free", so a hash of 0 is tracked by a flag), and
the hash after a move is the current one XOR the new stone's key XOR the captured chains'
hashes (:mod:`rocks.go.fast.chains`), all known before the move is made.

Departure from ``Position.play``: the history set has room for a fixed number of boards; njit
callers of :func:`play_move` get ``HISTORY_FULL`` back (nothing changed) and must grow it, as
``FastBoard.play`` does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rocks.go.board import BLACK, EMPTY, WHITE
from rocks.go.fast.chains import in_atari, place_stone
from rocks.go.fast.state import (
    HISTORY_FULL,
    KO,
    KO_BAN,
    MOVES,
    N_HIST,
    N_SET,
    OCCUPIED,
    OFF,
    OFF_BOARD,
    OK,
    PASSES,
    SUICIDE,
    SUPERKO,
    TO_PLAY,
    ZERO_SEEN,
    State,
    hot,
    inline,
)


# ---------------------------------------------------------------------------- hash set
@inline
def _set_contains(s: State, h: np.uint64) -> bool:
    if h == 0:
        return s.meta[ZERO_SEEN] != 0
    hset = s.hset
    mask = np.uint64(len(hset) - 1)
    i = np.int64(h & mask)
    while True:
        v = hset[i]
        if v == 0:
            return False
        if v == h:
            return True
        i = (i + 1) & (len(hset) - 1)


@inline
def _set_insert(s: State, h: np.uint64) -> None:
    if h == 0:
        s.meta[ZERO_SEEN] = 1
        return
    hset = s.hset
    mask = np.uint64(len(hset) - 1)
    i = np.int64(h & mask)
    while True:
        v = hset[i]
        if v == h:
            return
        if v == 0:
            hset[i] = h
            s.meta[N_SET] += 1
            return
        i = (i + 1) & (len(hset) - 1)


@hot
def rebuild_history_set(s: State) -> None:
    """Fill ``hset`` from ``hist`` and the current board (after growing or loading)."""
    for i in range(len(s.hset)):
        s.hset[i] = 0
    s.meta[N_SET] = 0
    s.meta[ZERO_SEEN] = 0
    for i in range(s.meta[N_HIST]):
        _set_insert(s, s.hist[i])
    _set_insert(s, s.zhash[0])



# ---------------------------------------------------------------------------- legality
@inline
def is_eye(s: State, p: int, c: int) -> bool:
    """Same definition as :func:`rocks.go.board.is_eye`: all neighbours ``c``, and at most one
    opponent diagonal (none when the point is on the edge)."""
    board = s.board
    if board[p] != EMPTY:
        return False
    base = 4 * p
    for k in range(4):
        v = board[s.nbr[base + k]]
        if v != c and v != OFF:
            return False
    bad = 0
    edge = 0
    for k in range(4):
        v = board[s.diag[base + k]]
        if v == -c:
            bad += 1
        elif v == OFF:
            edge = 1
    return bad + edge <= 1


@inline
def is_suicide(s: State, p: int, c: int) -> bool:
    """True if a stone of ``c`` on the empty point ``p`` would have no liberty after captures."""
    board = s.board
    base = 4 * p
    for k in range(4):
        q = s.nbr[base + k]
        v = board[q]
        if v == EMPTY:
            return False
        if v == c:
            if not in_atari(s, s.root[q]):
                return False
        elif v == -c and in_atari(s, s.root[q]):
            return False
    return True


@inline
def check_move(s: State, p: int, c: int) -> int:
    """OK or the code of the rule that forbids ``c`` to play on point ``p`` (not pass)."""
    board = s.board
    if board[p] != EMPTY:
        return OCCUPIED
    if p == s.meta[KO]:
        return KO_BAN
    suicide = is_suicide(s, p, c)
    if suicide and not s.suicide:
        return SUICIDE
    if not s.superko:
        return OK
    # The board after the move: add the stone, take off captured (or, for suicide, own) chains.
    h = s.zhash[0]
    if suicide:
        target = c
    else:
        h ^= s.keys[p, 0] if c == BLACK else s.keys[p, 1]
        target = -c
    seen0 = -1
    seen1 = -1
    seen2 = -1
    base = 4 * p
    for k in range(4):
        q = s.nbr[base + k]
        if board[q] == target:
            r = s.root[q]
            if r != seen0 and r != seen1 and r != seen2 and in_atari(s, r):
                h ^= s.chash[r]
            seen2 = seen1
            seen1 = seen0
            seen0 = r
    if _set_contains(s, h):
        return SUPERKO
    return OK


@hot
def play_move(s: State, move: int) -> int:
    """Play ``move`` (pass = N) for the player to move, in place; returns OK or why not."""
    n = s.size * s.size
    c = s.meta[TO_PLAY]
    if move == n:
        s.meta[PASSES] += 1
        s.meta[KO] = -1
    else:
        if move < 0 or move > n:
            return OFF_BOARD
        code = check_move(s, move, c)
        if code != OK:
            return code
        if s.meta[N_HIST] >= len(s.hist) or 2 * (s.meta[N_SET] + 2) > len(s.hset):
            return HISTORY_FULL
        s.hist[s.meta[N_HIST]] = s.zhash[0]
        s.meta[N_HIST] += 1
        place_stone(s, move, c)
        if s.superko:
            _set_insert(s, s.zhash[0])
        s.meta[PASSES] = 0
    s.meta[TO_PLAY] = -c
    s.meta[MOVES] += 1
    return OK


@hot
def legal_mask_into(s: State, out: np.ndarray) -> None:
    """Fill bool ``out`` [N+1] with the legal moves of the player to move (pass last, True)."""
    n = s.size * s.size
    c = s.meta[TO_PLAY]
    for p in range(n):
        out[p] = s.board[p] == EMPTY and check_move(s, p, c) == OK
    out[n] = True


# ---------------------------------------------------------------------------- scoring
@hot
def area_difference(board: np.ndarray, nbr: np.ndarray, n: int, mark: np.ndarray,
                    stack: np.ndarray) -> int:
    """Tromp-Taylor black area minus white area; ``mark`` (int32 [N]) and ``stack`` (int32 [N])
    are scratch space, so hot loops allocate nothing."""
    diff = 0
    for p in range(n):
        mark[p] = 0
    for p in range(n):
        v = board[p]
        if v == BLACK:
            diff += 1
        elif v == WHITE:
            diff -= 1
        elif mark[p] == 0:
            # Flood the empty region from p, noting which colours it reaches.
            mark[p] = 1
            stack[0] = p
            top = 1
            size = 0
            reach_b = False
            reach_w = False
            while top > 0:
                top -= 1
                x = stack[top]
                size += 1
                for k in range(4):
                    q = nbr[4 * x + k]
                    w = board[q]
                    if w == EMPTY:
                        if mark[q] == 0:
                            mark[q] = 1
                            stack[top] = q
                            top += 1
                    elif w == BLACK:
                        reach_b = True
                    elif w == WHITE:
                        reach_w = True
            if reach_b and not reach_w:
                diff += size
            elif reach_w and not reach_b:
                diff -= size
    return diff


@njit(cache=True)
def score_state(s: State) -> float:
    """Black area minus white area minus komi (Tromp-Taylor), as ``Position.score``."""
    n = s.size * s.size
    scratch = np.empty(2 * n, dtype=np.int32)
    return area_difference(s.board, s.nbr, n, scratch[:n], scratch[n:]) - s.komi

