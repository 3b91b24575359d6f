"""Ladder reading for the network's inputs: which chains a ladder captures, and which moves
start a ladder that works.

Follows AlphaGo (Silver et al., Nature 2016, Extended Data Table 2: the "ladder capture" and
"ladder escape" input features) in the form KataGo gives them (Wu, arXiv 1902.10565, section
4.1 and Appendix A: stones that a ladder captures, reading two-liberty chains as if the
opponent moved first, and the moves that capture by ladder).  A small residual net cannot read
a ladder across the board in one pass, and a search at a few hundred visits spends most of them
elsewhere, so the result of the reading is handed to the net as planes.

A ladder is read by a search over forcing moves only:

- the defender (its chain in atari, to move) may extend at its liberty, or capture an
  attacker chain in atari next to it; it has escaped when the chain then has 3 or more
  liberties, or 2 and the attacker cannot ladder it again;
- the attacker (the defender at 2 liberties, to move) may play atari at either liberty; the
  chain is captured when every defender answer fails.

Three planes (:func:`ladder_planes_into`), all relative to the player to move ("own"):

    0  own stones of chains a ladder captures: in atari and unable to escape with the move,
       or at 2 liberties and captured if the opponent moved first
    1  opponent stones of such chains: in atari and unable to escape if the opponent were to
       move, or at 2 liberties and captured by a ladder the player to move starts now
    2  the moves that start such a ladder: a liberty of an opponent 2-liberty chain where the
       player to move's atari captures it

Departures, numbered:
  1. Ko and superko are not checked inside the reading (a capture that retakes a ko is tried):
     a ladder that hinges on a ko is read as if the ko could be taken.
  2. Each chain's reading has a node budget (``budget``, default ``BUDGET``) and a depth of
     ``MAX_STEPS`` moves a side; a reading that runs out of either counts as an escape, so the
     planes err on the side of "not laddered".  A defender node tries at most ``MAX_TRIES``
     moves (its liberty and 15 captures: more never occur in a ladder).
  3. Suicide is illegal inside the reading whatever the rules: under Tromp-Taylor's optional
     suicide it never helps either side of a ladder.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rocks.go.board import EMPTY, zobrist_table
from rocks.go.fast.child import play_board
from rocks.go.fast.state import OFF, OK, geometry

LADDER_PLANES = 3
OWN_LADDERED, OPP_LADDERED, LADDER_MOVES = range(LADDER_PLANES)
BUDGET = 200  # search nodes per chain: a ladder across a 19x19 board takes ~40
MAX_STEPS = 64  # moves of each side one reading may go down
MAX_TRIES = 16  # defender moves per node: its liberty and up to 15 captures


@njit(cache=True)
def _chain(board: np.ndarray, nbr: np.ndarray, start: int, mark: np.ndarray,
           stack: np.ndarray, libs: np.ndarray) -> tuple[int, int]:
    """The chain at ``start`` into ``stack``; returns (length, liberties), the first
    ``len(libs)`` distinct liberties written to ``libs``.  ``mark`` (int64 [N+1]) holds stamps
    that only grow; ``mark[N]`` is the counter."""
    colour = board[start]
    mark[-1] += 2
    chain_stamp = mark[-1] - 1
    lib_stamp = mark[-1]
    stack[0] = start
    mark[start] = chain_stamp
    length = 1
    nlibs = 0
    i = 0
    while i < length:
        base = 4 * stack[i]
        i += 1
        for k in range(4):
            q = nbr[base + k]
            v = board[q]
            if v == EMPTY:
                if mark[q] != lib_stamp:
                    mark[q] = lib_stamp
                    if nlibs < len(libs):
                        libs[nlibs] = q
                    nlibs += 1
            elif v == colour and mark[q] != chain_stamp:
                mark[q] = chain_stamp
                stack[length] = q
                length += 1
    return length, nlibs


@njit(cache=True)
def _tries(board: np.ndarray, nbr: np.ndarray, target: int, defender_to_move: bool,
           mark: np.ndarray, stack: np.ndarray, libs: np.ndarray, other: np.ndarray,
           out: np.ndarray) -> int:
    """The moves of the side to move at a node, into ``out``; returns their count.  The
    attacker's: the defender's two liberties.  The defender's: its liberty, then the liberty of
    each attacker chain in atari next to it (captures)."""
    length, nlibs = _chain(board, nbr, target, mark, stack, libs)
    if not defender_to_move:
        out[0] = libs[0]
        out[1] = libs[1]
        return 2
    out[0] = libs[0]
    count = 1
    defender = board[target]
    before = mark[-1]  # stones stamped after this were flooded here: each chain once
    for i in range(length):
        for k in range(4):
            q = nbr[4 * stack[i] + k]
            if board[q] != -defender or mark[q] > before:
                continue
            _, olibs = _chain(board, nbr, q, mark, other, libs)
            if olibs != 1:
                continue
            seen = False
            for j in range(count):
                if out[j] == libs[0]:
                    seen = True
            if not seen and count < len(out):
                out[count] = libs[0]
                count += 1
    return count


@njit(cache=True)
def _captured(boards: np.ndarray, nbr: np.ndarray, keys: np.ndarray, target: int,
              defender_to_move: bool, budget: int, moves: np.ndarray, count: np.ndarray,
              cursor: np.ndarray, mark: np.ndarray, stack: np.ndarray, libs: np.ndarray,
              other: np.ndarray, scratch: np.ndarray) -> bool:
    """Whether a ladder captures the chain at ``target`` of ``boards[0]`` (int8 [N+1], OFF at
    N in every row) with the defender or the attacker to move (the defender at 1 liberty, or
    2).  Moves are played by the search's own kernel (:func:`rocks.go.fast.child.play_board`,
    suicide illegal: departure 3; ``keys`` its Zobrist table, ``scratch`` int8 [N+1]).

    An AND/OR search without recursion (numba cannot cache recursive functions): level ``d``
    holds its board in ``boards[d]``, its moves in ``moves[d]``, and whose move it is by
    parity from the root.  Out of ``budget`` nodes or of levels = escaped (departure 2).
    """
    defender = boards[0, target]
    _, nlibs = _chain(boards[0], nbr, target, mark, stack, libs)
    if nlibs == 0:
        return True
    if defender_to_move and nlibs > 1 or not defender_to_move and nlibs > 2:
        return False
    if not defender_to_move and nlibs == 1:
        return True  # the attacker simply captures
    levels, n = boards.shape[0], boards.shape[1] - 1
    count[0] = _tries(boards[0], nbr, target, defender_to_move, mark, stack, libs, other,
                      moves[0])
    cursor[0] = 0
    d = 0
    nodes = 1
    while True:
        def_moves = defender_to_move == (d % 2 == 0)
        if cursor[d] == count[d]:
            # exhausted: every defender try failed (captured), or no atari worked (escaped)
            if d == 0:
                return def_moves
            result = def_moves
            d -= 1
        else:
            m = moves[d, cursor[d]]
            cursor[d] += 1
            child = boards[d + 1]
            if play_board(boards[d, :n], child[:n], scratch, nbr, keys, mark, stack, m,
                          defender if def_moves else -defender, False)[0] != OK:
                continue
            if child[target] != defender:
                result = True
            else:
                _, after = _chain(child, nbr, target, mark, stack, libs)
                if def_moves and after >= 3 or not def_moves and after >= 2:
                    result = False
                elif def_moves and after <= 1:
                    result = True
                else:  # the other side answers: one level down
                    nodes += 1
                    if nodes > budget or d + 2 >= levels:
                        return False
                    d += 1
                    count[d] = _tries(child, nbr, target, not def_moves, mark, stack, libs,
                                      other, moves[d])
                    cursor[d] = 0
                    continue
        # ``result`` is the value of a child of node d: an escape settles a defender node, a
        # capture an attacker node, and a settled node hands its value to its parent
        while True:
            if result == (defender_to_move == (d % 2 == 0)):
                break  # not settled: node d tries its next move
            if d == 0:
                return result
            d -= 1


@njit(cache=True)
def _fill(board: np.ndarray, nbr: np.ndarray, keys: np.ndarray, size: int, to_play: int,
          budget: int, out: np.ndarray) -> None:
    n = size * size
    levels = min(n, 2 * MAX_STEPS) + 2
    boards = np.empty((levels, n + 1), dtype=np.int8)
    boards[:, n] = OFF
    scratch = np.empty(n + 1, dtype=np.int8)
    moves = np.empty((levels, MAX_TRIES), dtype=np.int32)
    count = np.empty(levels, dtype=np.int32)
    cursor = np.empty(levels, dtype=np.int32)
    mark = np.zeros(n + 1, dtype=np.int64)
    stack = np.empty(n, dtype=np.int32)
    other = np.empty(n, dtype=np.int32)
    libs = np.empty(2, dtype=np.int32)
    work = np.empty(n + 1, dtype=np.int8)
    chain = np.empty(n, dtype=np.int32)
    for p in range(n):
        work[p] = board[p]
    work[n] = OFF
    done = np.zeros(n, dtype=np.bool_)
    for start in range(n):
        colour = work[start]
        if colour == EMPTY or done[start]:
            continue
        length, nlibs = _chain(work, nbr, start, mark, chain, libs)
        for i in range(length):
            done[chain[i]] = True
        if nlibs > 2:
            continue
        laddered = False
        if nlibs == 1 or colour == to_play:
            # in atari, its owner to move; or the player to move's own 2-liberty chain,
            # the opponent to move
            boards[0, :] = work
            laddered = _captured(boards, nbr, keys, start, nlibs == 1, budget, moves, count,
                                 cursor, mark, stack, libs, other, scratch)
        else:  # the player to move attacks an opponent 2-liberty chain: which ataris work
            first, second = libs[0], libs[1]
            for lib in (first, second):
                if play_board(work[:n], boards[0, :n], scratch, nbr, keys, mark, stack, lib,
                              to_play, False)[0] != OK:
                    continue
                if boards[0, start] != colour or _captured(
                        boards, nbr, keys, start, True, budget, moves, count, cursor, mark,
                        stack, libs, other, scratch):
                    laddered = True
                    out[LADDER_MOVES, lib // size, lib % size] = 1.0
        if laddered:
            plane = OWN_LADDERED if colour == to_play else OPP_LADDERED
            for i in range(length):
                s = chain[i]
                out[plane, s // size, s % size] = 1.0


def ladder_planes_into(board: np.ndarray, to_play: int, size: int, out: np.ndarray,
                       budget: int = BUDGET) -> None:
    """Write the three ladder planes of ``board`` (int8 [size*size], BLACK = 1, WHITE = -1)
    for ``to_play`` into ``out`` (float32 [3, P, P], P >= size, zeroed by the caller)."""
    if out.ndim != 3 or out.shape[0] != LADDER_PLANES or min(out.shape[1:]) < size:
        raise ValueError(f"out must be [{LADDER_PLANES}, P, P] with P >= {size}, "
                         f"got {out.shape}")
    nbr, _ = geometry(size)
    _fill(np.ascontiguousarray(board, dtype=np.int8), nbr, zobrist_table(size), size,
          int(to_play), int(budget), out)


def ladder_planes(board: np.ndarray, to_play: int, size: int,
                  budget: int = BUDGET) -> np.ndarray:
    """float32 [3, size, size]: the ladder planes (see the module docstring)."""
    out = np.zeros((LADDER_PLANES, size, size), dtype=np.float32)
    ladder_planes_into(board, to_play, size, out, budget)
    return out


__all__ = ["BUDGET", "LADDER_MOVES", "LADDER_PLANES", "OPP_LADDERED", "OWN_LADDERED",
           "ladder_planes", "ladder_planes_into"]
