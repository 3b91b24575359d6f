"""The search's fast path from a Position to its child: one numba kernel, then a plain Position.

Follows the rules of :mod:`rocks.go.board` (Tromp-Taylor with the options of ``Rules``) and is
tested against ``Position.play`` move by move.  Tree search makes one child per leaf and needs
it as a ``Position`` (the network's features walk ``Position.previous`` for history), so the
kernel works on the parent's plain board array and the child Position is built directly from
its output, skipping ``Position.play``'s Python flood fills (9x9, CPU time: 4-5 µs against
13-22 µs from the opening to move 70).

Departures from ``Position.play``:
  1. The caller guarantees the point is empty and not the ko point (the tree only offers such
     moves); suicide and positional superko are checked here.
  2. The incremental arrays of :mod:`rocks.go.fast` are not used: calling a kernel that takes the
     whole ``fast.State`` from Python costs more than the move itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rocks.go.board import EMPTY, IllegalMove, Position, zobrist_table

OK, SUICIDE = 0, 1


def neighbour_table(size: int) -> np.ndarray:
    """int32 [N, 4]: the orthogonal neighbours of each point, -1 off the board."""
    n = size * size
    out = np.full((n, 4), -1, np.int32)
    for p in range(n):
        r, c = divmod(p, size)
        for k, (dr, dc) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
            if 0 <= r + dr < size and 0 <= c + dc < size:
                out[p, k] = (r + dr) * size + c + dc
    return out


@njit(cache=True)
def _chain_liberties(board, nbr, start, mark, stamp, stack):
    """Fill ``stack`` with the chain at ``start``; returns (chain length, has a liberty)."""
    colour = board[start]
    stack[0] = start
    mark[start] = stamp
    size = 1
    i = 0
    free = False
    while i < size:
        p = stack[i]
        i += 1
        for k in range(4):
            q = nbr[p, k]
            if q < 0:
                continue
            c = board[q]
            if c == 0:
                free = True
            elif c == colour and mark[q] != stamp:
                mark[q] = stamp
                stack[size] = q
                size += 1
    return size, free


@njit(cache=True)
def _own_liberty_count(board, nbr, chain, length, mark, stamp):
    count = 0
    for i in range(length):
        p = chain[i]
        for k in range(4):
            q = nbr[p, k]
            if q >= 0 and board[q] == 0 and mark[q] != stamp:
                mark[q] = stamp
                count += 1
    return count


@njit(cache=True)
def play_board(board, out, nbr, keys, mark, stack, move, colour, suicide):
    """Play ``colour`` at the empty point ``move`` of ``board`` into ``out``.

    Returns (code, captured, ko point or -1, Zobrist XOR of the change); ``captured`` is
    negative when a permitted suicide removed the mover's own chain.  ``mark`` (int64 [N+1])
    holds visit stamps that only grow, so it never needs clearing; ``mark[N]`` counts them.
    """
    out[:] = board
    out[move] = colour
    ci = 0 if colour == 1 else 1
    h = keys[move, ci]
    captured = 0
    last_captured = -1
    for k in range(4):
        q = nbr[move, k]
        if q < 0 or out[q] != -colour:
            continue
        stamp = _next(mark)
        length, free = _chain_liberties(out, nbr, q, mark, stamp, stack)
        if not free:
            for i in range(length):
                s = stack[i]
                out[s] = 0
                h ^= keys[s, 1 - ci]
            captured += length
            last_captured = stack[0]
    stamp = _next(mark)
    length, free = _chain_liberties(out, nbr, move, mark, stamp, stack)
    if not free:
        if not suicide:
            return SUICIDE, 0, -1, h
        for i in range(length):
            s = stack[i]
            out[s] = 0
            h ^= keys[s, ci]
        return OK, -length, -1, h
    ko = -1
    if captured == 1 and length == 1:
        stamp = _next(mark)
        if _own_liberty_count(out, nbr, stack, length, mark, stamp) == 1:
            ko = last_captured
    return OK, captured, ko, h


@njit(cache=True)
def _next(mark):
    """A fresh stamp: mark[-1] is reserved as the counter (the board has N points, mark N+1)."""
    mark[-1] += 1
    return mark[-1]


class Stepper:
    """``play(position, move) -> Position`` for one board size, with reusable scratch arrays."""

    def __init__(self, size: int) -> None:
        n = size * size
        self.size = size
        self.nbr = neighbour_table(size)
        self.keys = zobrist_table(size)
        self.mark = np.zeros(n + 1, np.int64)
        self.stack = np.zeros(n, np.int32)

    def __call__(self, parent: Position, move: int) -> Position:
        size = parent.size
        if size != self.size:
            raise ValueError(f"this stepper is for {self.size}x{self.size}, not {size}x{size}")
        colour = parent.to_play
        n = size * size
        if move == n:
            return Position(size, parent.komi, parent.rules, parent.board, -colour, None,
                            parent.passes + 1, parent.captures, parent.history,
                            parent.moves + ((colour, n),), parent.hash, parent)
        if not 0 <= move < n or parent.board[move] != EMPTY or move == parent.ko:
            return parent.play(move)  # the plain rules say why (or play an odd legal move)
        board = np.empty(n, np.int8)
        code, captured, ko, h = play_board(parent.board, board, self.nbr, self.keys, self.mark,
                                           self.stack, move, colour, parent.rules.suicide)
        if code == SUICIDE:
            raise IllegalMove("suicide is forbidden by these rules")
        new_hash = parent.hash ^ int(h)
        if parent.rules.superko == "positional" and (
                new_hash == parent.hash or new_hash in parent.history):
            raise IllegalMove("positional superko: the board would repeat an earlier one")
        board.setflags(write=False)
        caps = parent.captures
        if captured > 0:
            caps = (caps[0] + captured, caps[1]) if colour == 1 else (caps[0], caps[1] + captured)
        elif captured < 0:
            caps = (caps[0], caps[1] - captured) if colour == 1 else (caps[0] - captured, caps[1])
        return Position(size, parent.komi, parent.rules, board, -colour,
                        None if ko < 0 else int(ko), 0, caps, parent.history | {parent.hash},
                        parent.moves + ((colour, move),), new_hash, parent)
