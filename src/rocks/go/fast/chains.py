"""Incremental chains: pseudo-liberties, merging, capture and chain hashes, updated stone by stone.

Follows the chain bookkeeping of fast playout engines: chains as circular linked lists of stones
with a root per chain (GNU Go, libEGO), *pseudo-liberties* (one count per stone/empty adjacency,
so a chain is captured exactly when the count reaches zero) and the libEGO atari test: with
pseudo-liberty count L, sum S and sum of squares Q, all pseudo-liberties are the same point
(the chain is in atari) exactly when S*S == L*Q.  Each chain keeps the XOR of its stones'
Zobrist keys (Zobrist, 1970; the keys of :func:`rocks.go.board.zobrist_table`), so the hash after
a capture is known in O(1).

:func:`place_stone` applies the rules' effects of a stone (captures, suicide, the simple-ko
point); whether the stone may be played is :mod:`rocks.go.fast.rules`' business.
"""

from __future__ import annotations

import numpy as np

from rocks.go.board import BLACK, EMPTY
from rocks.go.fast.state import CAPS_B, CAPS_W, KO, N_EMPTY, OFF, State, hot, inline


@inline
def in_atari(s: State, r: int) -> bool:
    """All pseudo-liberties of the chain rooted at ``r`` are one point (libEGO's test)."""
    total = np.int64(s.lsum[r])
    return total * total == np.int64(s.libs[r]) * np.int64(s.lsq[r])


@inline
def _add_lib(s: State, r: int, p: int) -> None:
    s.libs[r] += 1
    s.lsum[r] += p
    s.lsq[r] += p * p


@inline
def _remove_lib(s: State, r: int, p: int) -> None:
    s.libs[r] -= 1
    s.lsum[r] -= p
    s.lsq[r] -= p * p


@inline
def _merge(s: State, a: int, b: int) -> int:
    """Join the chains rooted at ``a`` and ``b``; the larger root survives and is returned."""
    if s.stones[a] < s.stones[b]:
        a, b = b, a
    x = b
    while True:
        s.root[x] = a
        x = s.nxt[x]
        if x == b:
            break
    na = s.nxt[a]
    s.nxt[a] = s.nxt[b]
    s.nxt[b] = na
    s.stones[a] += s.stones[b]
    s.libs[a] += s.libs[b]
    s.lsum[a] += s.lsum[b]
    s.lsq[a] += s.lsq[b]
    s.chash[a] ^= s.chash[b]
    return a


@inline
def _remove_chain(s: State, r: int) -> int:
    """Take the chain rooted at ``r`` off the board; returns its number of stones."""
    board = s.board
    s.zhash[0] ^= s.chash[r]
    x = r
    while True:
        board[x] = EMPTY
        n = s.meta[N_EMPTY]
        s.empty[n] = x
        s.epos[x] = n
        s.meta[N_EMPTY] = n + 1
        x = s.nxt[x]
        if x == r:
            break
    # Second pass: only now are all the chain's points empty, so no liberty is given to it.
    x = r
    while True:
        for k in range(4):
            q = s.nbr[4 * x + k]
            v = board[q]
            if v != EMPTY and v != OFF:
                _add_lib(s, s.root[q], x)
        x = s.nxt[x]
        if x == r:
            break
    return s.stones[r]


@inline
def place_stone(s: State, p: int, c: int) -> int:
    """Put a stone of colour ``c`` on the empty point ``p`` and apply captures and suicide.

    Sets the simple-ko point and the capture counts; does not check legality, touch the
    superko history, or change the player to move.  Returns the number of stones captured
    (negative for a suicide).
    """
    board = s.board
    board[p] = c
    n = s.meta[N_EMPTY] - 1
    i = s.epos[p]
    last = s.empty[n]
    s.empty[i] = last
    s.epos[last] = i
    s.meta[N_EMPTY] = n
    key = s.keys[p, 0] if c == BLACK else s.keys[p, 1]
    s.zhash[0] ^= key
    s.root[p] = p
    s.nxt[p] = p
    s.stones[p] = 1
    s.chash[p] = key
    s.libs[p] = 0
    s.lsum[p] = 0
    s.lsq[p] = 0
    base = 4 * p
    for k in range(4):
        q = s.nbr[base + k]
        v = board[q]
        if v == EMPTY:
            _add_lib(s, p, q)
        elif v != OFF:
            _remove_lib(s, s.root[q], p)
    r = p
    for k in range(4):
        q = s.nbr[base + k]
        if board[q] == c and s.root[q] != r:
            r = _merge(s, r, s.root[q])
    captured = 0
    last_taken = -1
    for k in range(4):
        q = s.nbr[base + k]
        if board[q] == -c:
            rq = s.root[q]
            if s.libs[rq] == 0:
                captured += _remove_chain(s, rq)
                last_taken = rq
    ko = -1
    if captured == 0:
        if s.libs[r] == 0:
            captured = -_remove_chain(s, r)
    elif captured == 1 and s.stones[r] == 1 and s.libs[r] == 1:
        ko = last_taken
    s.meta[KO] = ko
    if captured > 0:
        s.meta[CAPS_B if c == BLACK else CAPS_W] += captured
    elif captured < 0:
        s.meta[CAPS_W if c == BLACK else CAPS_B] -= captured
    return captured



@hot
def rebuild_chains(s: State) -> None:
    """Recompute chains, pseudo-liberties, the empty list and the hash from ``board`` alone."""
    n = s.size * s.size
    board = s.board
    h = np.uint64(0)
    s.meta[N_EMPTY] = 0
    for p in range(n):
        v = board[p]
        if v == EMPTY:
            m = s.meta[N_EMPTY]
            s.empty[m] = p
            s.epos[p] = m
            s.meta[N_EMPTY] = m + 1
        else:
            key = s.keys[p, 0] if v == BLACK else s.keys[p, 1]
            h ^= key
            s.root[p] = p
            s.nxt[p] = p
            s.stones[p] = 1
            s.chash[p] = key
            s.libs[p] = 0
            s.lsum[p] = 0
            s.lsq[p] = 0
    s.zhash[0] = h
    for p in range(n):
        v = board[p]
        if v != EMPTY:
            for k in range(4):
                q = s.nbr[4 * p + k]
                if board[q] == v and s.root[q] != s.root[p]:
                    _merge(s, s.root[p], s.root[q])
        else:
            for k in range(4):
                q = s.nbr[4 * p + k]
                w = board[q]
                if w != EMPTY and w != OFF:
                    _add_lib(s, s.root[q], p)

