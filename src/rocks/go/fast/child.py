"""The search's transition: a Position's child through one stateless numba kernel.

Follows the rules of :mod:`rocks.go.board` (Tromp-Taylor with the options of ``Rules``) and is
tested against ``Position.play`` move by move (tests/go/test_child.py).  Tree search makes one
child per leaf and needs it as a ``Position`` (the network's features walk
``Position.previous`` for history), so the kernel works on the parent's plain board array and
the child Position is built directly from its output, skipping ``Position.play``'s Python flood
fills (9x9, CPU time: 4-5 µs against 13-22 µs from the opening to move 70).

The kernel walks chains by flood fill through the fast core's one neighbour table
(:func:`rocks.go.fast.state.geometry`, N for off-board points) on a scratch copy of the board
that carries the OFF sentinel at index N.

Departures from ``Position.play``:
  1. The caller guarantees the point is empty and not the ko point (the tree only offers such
     moves; anything else is handed to ``Position.play``); suicide and positional superko are
     checked here.
  2. The incremental chains of :mod:`rocks.go.fast.chains` are not used: passing a whole
     ``State`` from Python costs ~1.4 µs and rebuilding its chains from a Position's board
     ~1 µs, more than this kernel's whole move.
"""

from __future__ import annotations

import numpy as np

from rocks.go.board import EMPTY, IllegalMove, Position, zobrist_table
from rocks.go.fast.state import OFF, OK, SUICIDE, geometry, hot


@hot
def _next(mark: np.ndarray) -> int:
    """A fresh stamp: mark[-1] is reserved as the counter (the board has N points, mark N+1)."""
    mark[-1] += 1
    return mark[-1]


@hot
def _flood_chain(board: np.ndarray, nbr: np.ndarray, start: int, mark: np.ndarray, stamp: int,
                 stack: np.ndarray) -> tuple[int, bool]:
    """Fill ``stack`` with the chain at ``start``; returns (chain length, has a liberty)."""
    colour = board[start]
    stack[0] = start
    mark[start] = stamp
    size = 1
    i = 0
    free = False
    while i < size:
        base = 4 * stack[i]
        i += 1
        for k in range(4):
            q = nbr[base + k]
            c = board[q]  # OFF at the sentinel: neither EMPTY nor a colour
            if c == EMPTY:
                free = True
            elif c == colour and mark[q] != stamp:
                mark[q] = stamp
                stack[size] = q
                size += 1
    return size, free


@hot
def _liberty_count(board: np.ndarray, nbr: np.ndarray, chain: np.ndarray, length: int,
                   mark: np.ndarray, stamp: int) -> int:
    count = 0
    for i in range(length):
        base = 4 * chain[i]
        for k in range(4):
            q = nbr[base + k]
            if board[q] == EMPTY and mark[q] != stamp:
                mark[q] = stamp
                count += 1
    return count


@hot
def play_board(board: np.ndarray, out: np.ndarray, work: np.ndarray, nbr: np.ndarray,
               keys: np.ndarray, mark: np.ndarray, stack: np.ndarray, move: int, colour: int,
               suicide: bool) -> tuple[int, int, int, np.uint64]:
    """Play ``colour`` at the empty point ``move`` of ``board`` (int8 [N]) into ``out`` (int8 [N]).

    Returns (code, captured, ko point or -1, Zobrist XOR of the change); ``captured`` is
    negative when a permitted suicide removed the mover's own chain, and ``out`` is not written
    when the code is SUICIDE.  ``work`` (int8 [N+1]) is the scratch board with the OFF sentinel;
    ``mark`` (int64 [N+1]) holds visit stamps that only grow, so it never needs clearing
    (``mark[N]`` counts them); ``stack`` is int32 [N].
    """
    n = len(board)
    for p in range(n):
        work[p] = board[p]
    work[n] = OFF
    work[move] = colour
    ci = 0 if colour == 1 else 1
    h = keys[move, ci]
    captured = 0
    last_captured = -1
    for k in range(4):
        q = nbr[4 * move + k]
        if work[q] != -colour:
            continue
        stamp = _next(mark)
        length, free = _flood_chain(work, nbr, q, mark, stamp, stack)
        if not free:
            for i in range(length):
                s = stack[i]
                work[s] = EMPTY
                h ^= keys[s, 1 - ci]
            captured += length
            last_captured = stack[0]
    stamp = _next(mark)
    length, free = _flood_chain(work, nbr, move, mark, stamp, stack)
    ko = -1
    if not free:
        if not suicide:
            return SUICIDE, 0, -1, h
        for i in range(length):
            s = stack[i]
            work[s] = EMPTY
            h ^= keys[s, ci]
        captured = -length
    elif captured == 1 and length == 1:
        stamp = _next(mark)
        if _liberty_count(work, nbr, stack, length, mark, stamp) == 1:
            ko = last_captured
    for p in range(n):
        out[p] = work[p]
    return OK, captured, ko, h


class Stepper:
    """``play(position, move) -> Position`` for one board size, with reusable scratch arrays."""

    def __init__(self, size: int) -> None:
        n = size * size
        self.size = size
        self.nbr = geometry(size)[0]
        self.keys = zobrist_table(size)
        self.work = np.empty(n + 1, np.int8)
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
        code, captured, ko, h = play_board(parent.board, board, self.work, self.nbr, self.keys,
                                           self.mark, self.stack, move, colour,
                                           parent.rules.suicide)
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
