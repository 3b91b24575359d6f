"""The fast, in-place Go board: flat numpy arrays and numba-compiled rules for search and playouts.

Follows the same Tromp-Taylor rules as :mod:`rocks.go.board` (and is tested against it move by
move), with the data structures of fast playout engines: chains as circular linked lists of
stones with a root per chain (GNU Go, libEGO), *pseudo-liberties* (one count per stone/empty
adjacency, so a chain is captured exactly when the count reaches zero) and the libEGO atari
test: with pseudo-liberty count L, sum S and sum of squares Q, all pseudo-liberties are the same
point (the chain is in atari) exactly when S*S == L*Q.  Zobrist hashing (Zobrist, 1970) uses the
keys of :func:`rocks.go.board.zobrist_table`, so hashes agree with ``Position.hash``; each chain
also keeps the XOR of its stones' keys, so the hash after a capture is known in O(1).

Departures from :class:`rocks.go.board.Position`:
  1. ``FastBoard`` changes in place (``play`` returns None); ``copy()`` is explicit.
  2. ``to_position()`` builds an equal Position (board, hash, ko, passes, captures, history,
     moves) but without the ``previous`` chain of earlier Positions.
  3. The superko history is an open-addressing hash set with room for a fixed number of
     boards; ``FastBoard.play`` grows it, njit callers of :func:`play_move` get
     ``HISTORY_FULL`` back (nothing changed) and must grow it with ``FastBoard``.

The state is a :class:`State` named tuple of arrays (njit functions take it whole); mutable
scalars live in ``meta`` at the indices ``TO_PLAY``, ``KO``, ... below.  Off-board neighbours are
the sentinel index N = size*size, where ``board[N] == OFF``, so neighbour loops have no bounds
branches.  Random playouts over this state live in :mod:`rocks.go.playout`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from rocks.go import coords
from rocks.go.board import BLACK, EMPTY, WHITE, IllegalMove, Position, Rules, zobrist_table

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
_REASONS = {
    OCCUPIED: "the point is occupied",
    KO_BAN: "ko: the stone just taken cannot be retaken at once",
    SUICIDE: "suicide is forbidden by these rules",
    SUPERKO: "positional superko: the board would repeat an earlier one",
}


class State(NamedTuple):
    """Everything the njit rules read and write.  Shapes use N = size * size.

    Attributes:
        size, komi, suicide, superko: constants of the game (superko True = positional).
        board: int8 [N+1] BLACK/WHITE/EMPTY, board[N] == OFF.
        root: int32 [N+1] chain root of each stone (stale on empty points).
        nxt: int32 [N] next stone of the same chain (circular list).
        libs, lsum, lsq: int32 [N] pseudo-liberty count, sum, sum of squares (valid at roots).
        stones: int32 [N] chain size (valid at roots).
        chash: uint64 [N] XOR of the chain's Zobrist keys (valid at roots).
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
    """Neighbour and diagonal tables, int32 [N*4], with N for off-board points (cached)."""
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


def _pow2_at_least(n: int) -> int:
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
                 np.zeros(_pow2_at_least(2 * history_room + 2), np.uint64), nbr, diag,
                 zobrist_table(size))


def copy_state(s: State) -> State:
    """A deep copy of the mutable arrays (the geometry and keys are shared, read-only)."""
    return s._replace(board=s.board.copy(), root=s.root.copy(), nxt=s.nxt.copy(),
                      libs=s.libs.copy(), lsum=s.lsum.copy(), lsq=s.lsq.copy(),
                      stones=s.stones.copy(), chash=s.chash.copy(), empty=s.empty.copy(),
                      epos=s.epos.copy(), meta=s.meta.copy(), zhash=s.zhash.copy(),
                      hist=s.hist.copy(), hset=s.hset.copy())


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


# ---------------------------------------------------------------------------- chains
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


# ---------------------------------------------------------------------------- building, scoring
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


# ---------------------------------------------------------------------------- Python face
class FastBoard:
    """A Go board that changes in place, with the rules of :class:`Position` compiled by numba.

    ``state`` is the :class:`State` for njit code (search, playouts); the methods here are the
    Python face, each one njit call.
    """

    def __init__(self, state: State, rules: Rules, moves: list[tuple[int, int]]) -> None:
        self.state = state
        self.rules = rules
        self.moves = moves

    # ----------------------------------------------------------------- construction
    @classmethod
    def empty(cls, size: int = 9, komi: float = 7.5, rules: Rules | None = None) -> FastBoard:
        return cls.from_position(Position.empty(size, komi, rules))

    @classmethod
    def from_position(cls, pos: Position) -> FastBoard:
        n = pos.size * pos.size
        room = len(pos.history) + 4 * n
        s = new_state(pos.size, pos.komi, pos.rules, room)
        s.board[:n] = pos.board
        rebuild_chains(s)
        if int(s.zhash[0]) != pos.hash:
            raise ValueError("position hash does not match its board")
        s.meta[TO_PLAY] = pos.to_play
        s.meta[KO] = -1 if pos.ko is None else pos.ko
        s.meta[PASSES] = pos.passes
        s.meta[CAPS_B], s.meta[CAPS_W] = pos.captures
        s.meta[MOVES] = len(pos.moves)
        hist = np.fromiter(sorted(pos.history), dtype=np.uint64, count=len(pos.history))
        s.hist[: len(hist)] = hist
        s.meta[N_HIST] = len(hist)
        rebuild_history_set(s)
        return cls(s, pos.rules, list(pos.moves))

    def to_position(self) -> Position:
        """An equal :class:`Position` (its ``previous`` is None: no earlier Positions)."""
        s = self.state
        n = self.size * self.size
        board = s.board[:n].copy()
        board.setflags(write=False)
        history = frozenset(int(h) for h in s.hist[: s.meta[N_HIST]])
        return Position(self.size, self.komi, self.rules, board, self.to_play, self.ko,
                        self.passes, self.captures, history, tuple(self.moves), self.hash)

    def copy(self) -> FastBoard:
        return FastBoard(copy_state(self.state), self.rules, list(self.moves))

    # ----------------------------------------------------------------- queries
    @property
    def size(self) -> int:
        return self.state.size

    @property
    def komi(self) -> float:
        return self.state.komi

    @property
    def pass_move(self) -> int:
        return self.size * self.size

    @property
    def board(self) -> np.ndarray:
        """int8 [N] view of the stones (BLACK 1, WHITE -1, EMPTY 0); do not write to it."""
        return self.state.board[: self.pass_move]

    @property
    def to_play(self) -> int:
        return int(self.state.meta[TO_PLAY])

    @property
    def ko(self) -> int | None:
        ko = int(self.state.meta[KO])
        return None if ko < 0 else ko

    @property
    def passes(self) -> int:
        return int(self.state.meta[PASSES])

    @property
    def captures(self) -> tuple[int, int]:
        return int(self.state.meta[CAPS_B]), int(self.state.meta[CAPS_W])

    @property
    def hash(self) -> int:
        return int(self.state.zhash[0])

    @property
    def move_number(self) -> int:
        return int(self.state.meta[MOVES])

    def is_game_over(self) -> bool:
        return self.passes >= 2

    def illegal_reason(self, move: int) -> str | None:
        """None if ``move`` is legal for the player to move, else the rule it breaks."""
        n = self.pass_move
        if not isinstance(move, (int, np.integer)) or not 0 <= move <= n:
            return f"{move!r} is not a point of a {self.size}x{self.size} board"
        if move == n:
            return None
        return _REASONS.get(check_move(self.state, int(move), self.to_play))

    def is_legal(self, move: int) -> bool:
        return self.illegal_reason(move) is None

    def legal_mask(self) -> np.ndarray:
        """bool [N+1]: which moves (pass last, always legal) the player may play."""
        out = np.empty(self.pass_move + 1, dtype=np.bool_)
        legal_mask_into(self.state, out)
        return out

    def is_eye(self, move: int, colour: int | None = None) -> bool:
        colour = self.to_play if colour is None else colour
        return bool(is_eye(self.state, int(move), int(colour)))

    def score(self) -> float:
        """Black's area minus White's area minus komi (positive: Black leads)."""
        return float(score_state(self.state))

    # ----------------------------------------------------------------- moves
    def play(self, move: int) -> None:
        """Play ``move`` for the player to move, in place; IllegalMove if the rules forbid it."""
        reason = self.illegal_reason(move)
        if reason is not None:
            name = coords.to_gtp(int(move), self.size) if isinstance(move, (int, np.integer)) \
                and 0 <= move <= self.pass_move else repr(move)
            raise IllegalMove(f"illegal move {name}: {reason}")
        self._ensure_history_room()
        colour = self.to_play
        code = play_move(self.state, int(move))
        if code != OK:  # unreachable after the checks above; kept loud rather than silent
            raise RuntimeError(f"play_move returned code {code} after a legal check")
        self.moves.append((colour, int(move)))

    def play_gtp(self, *vertices: str) -> None:
        for v in vertices:
            self.play(coords.from_gtp(v, self.size))

    def _ensure_history_room(self) -> None:
        s = self.state
        if s.meta[N_HIST] + 1 < len(s.hist) and 2 * (s.meta[N_SET] + 2) <= len(s.hset):
            return
        room = 2 * len(s.hist) + 1
        hist = np.zeros(room, dtype=np.uint64)
        hist[: len(s.hist)] = s.hist
        self.state = s._replace(hist=hist,
                                hset=np.zeros(_pow2_at_least(2 * room + 2), np.uint64))
        rebuild_history_set(self.state)

    def __str__(self) -> str:
        return str(self.to_position())


__all__ = ["BLACK", "WHITE", "EMPTY", "OFF", "State", "FastBoard", "play_move", "check_move",
           "place_stone", "legal_mask_into", "is_eye", "is_suicide", "in_atari",
           "area_difference", "score_state", "rebuild_chains", "new_state", "copy_state"]
