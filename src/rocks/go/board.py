"""Go positions as values: the plain, readable rules of Tromp-Taylor Go.

Follows John Tromp and Gunnar Farnebäck's Tromp-Taylor rules (area scoring: a player's score is
their stones plus the empty points that reach only their colour), with positional superko via
Zobrist hashing (Zobrist, 1970) and the usual options of real rule sets.

``Position.play(move)`` returns a new Position and never changes the old one.  The fast,
in-place path for search and playouts lives in :mod:`rocks.go.fast` and is tested against this
module move by move.

Departures from pure Tromp-Taylor, each an option of :class:`Rules`:
  1. Suicide is forbidden by default (as on CGOS and in Chinese rules); ``Rules(suicide=True)``
     allows it as pure Tromp-Taylor does (a suicide removes the player's own chain).
  2. Superko is positional by default; ``Rules(superko="none")`` keeps only the simple ko ban
     (no immediate recapture of a single stone), which engines without superko use.
  3. Setup stones (handicap, SGF AB/AW) are allowed before the first move; they are part of the
     starting position and its hash.

Board encoding: a flat int8 array of ``size * size`` points, row-major from the top-left
(see :mod:`rocks.go.coords`), BLACK = 1, WHITE = -1, EMPTY = 0.  Moves are flat indices, pass is
``size * size``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rocks.go import coords

BLACK = 1
WHITE = -1
EMPTY = 0

SuperkoRule = Literal["positional", "none"]


class IllegalMove(ValueError):
    """A move the rules forbid here; the message says which rule."""


@dataclass(frozen=True)
class Rules:
    """The rule options that real rule sets disagree on."""

    suicide: bool = False
    superko: SuperkoRule = "positional"

    def __post_init__(self) -> None:
        if self.superko not in ("positional", "none"):
            raise ValueError(f"unknown superko rule {self.superko!r}")


_ZOBRIST_CACHE: dict[int, np.ndarray] = {}


def zobrist_table(size: int) -> np.ndarray:
    """uint64 table [points, 2]: one random key per (point, colour); fixed seed, so stable."""
    table = _ZOBRIST_CACHE.get(size)
    if table is None:
        rng = np.random.default_rng(0x60D0 + size)
        table = rng.integers(1, 2**63, size=(size * size, 2), dtype=np.uint64)
        table.setflags(write=False)
        _ZOBRIST_CACHE[size] = table
    return table


def colour_index(colour: int) -> int:
    """0 for BLACK, 1 for WHITE (the column of the Zobrist table)."""
    return 0 if colour == BLACK else 1


def board_hash(board: np.ndarray, size: int) -> int:
    table = zobrist_table(size)
    h = 0
    for p in np.flatnonzero(board):
        h ^= int(table[p, colour_index(int(board[p]))])
    return h


def chain_and_liberties(board: np.ndarray, size: int, start: int) -> tuple[list[int], set[int]]:
    """The chain of stones connected to ``start`` and the set of its liberties."""
    colour = board[start]
    chain = [start]
    seen = {start}
    liberties: set[int] = set()
    i = 0
    while i < len(chain):
        p = chain[i]
        i += 1
        for q in coords.neighbours(p, size):
            c = board[q]
            if c == EMPTY:
                liberties.add(q)
            elif c == colour and q not in seen:
                seen.add(q)
                chain.append(q)
    return chain, liberties


@dataclass(frozen=True, eq=False)
class Position:
    """A Go position: stones, player to move, ko state and the history superko needs.

    Attributes:
        size: board side, 2..25.
        komi: points added to White's score (any float; an integer komi allows draws).
        rules: the rule options.
        board: int8 [size*size], read-only.
        to_play: BLACK or WHITE.
        ko: the point an immediate recapture would retake (simple ko), or None.
        passes: consecutive passes just played (2 ends the game).
        captures: (stones Black has captured, stones White has captured).
        history: hashes of every earlier board of this game (for positional superko).
        moves: the moves played since the start, as (colour, flat move).
        hash: Zobrist hash of ``board``.
        previous: the position before the last move (None at the start), so that history
            planes and undo can walk back without replaying the game.
    """

    size: int
    komi: float
    rules: Rules
    board: np.ndarray
    to_play: int
    ko: int | None
    passes: int
    captures: tuple[int, int]
    history: frozenset[int]
    moves: tuple[tuple[int, int], ...]
    hash: int
    previous: Position | None = field(default=None, compare=False, repr=False)
    _legal_cache: dict = field(default_factory=dict, compare=False, repr=False)

    # ----------------------------------------------------------------- construction
    @classmethod
    def empty(cls, size: int = 9, komi: float = 7.5, rules: Rules | None = None) -> Position:
        coords.check_size(size)
        board = np.zeros(size * size, dtype=np.int8)
        board.setflags(write=False)
        return cls(size, float(komi), rules or Rules(), board, BLACK, None, 0, (0, 0),
                   frozenset(), (), 0)

    @classmethod
    def setup(cls, size: int = 9, komi: float = 7.5, rules: Rules | None = None,
              black: Iterable[int] = (), white: Iterable[int] = (),
              to_play: int = BLACK) -> Position:
        """A starting position with setup stones (handicap or SGF AB/AW).

        Chains left without liberties are an error: no rule set removes setup stones.
        """
        coords.check_size(size)
        board = np.zeros(size * size, dtype=np.int8)
        for colour, points in ((BLACK, black), (WHITE, white)):
            for p in points:
                if coords.is_pass(p, size) or not 0 <= p < size * size:
                    raise IllegalMove(f"setup stone at {p} is off a {size}x{size} board")
                if board[p] != EMPTY:
                    raise IllegalMove(f"two setup stones at {coords.to_gtp(p, size)}")
                board[p] = colour
        for p in np.flatnonzero(board):
            if not chain_and_liberties(board, size, int(p))[1]:
                raise IllegalMove(f"setup stone at {coords.to_gtp(int(p), size)} has no liberty")
        board.setflags(write=False)
        if to_play not in (BLACK, WHITE):
            raise ValueError(f"to_play must be BLACK (1) or WHITE (-1), got {to_play!r}")
        return cls(size, float(komi), rules or Rules(), board, to_play, None, 0, (0, 0),
                   frozenset(), (), board_hash(board, size))

    @classmethod
    def from_ascii(cls, text: str, komi: float = 7.5, rules: Rules | None = None,
                   to_play: int = BLACK) -> Position:
        """Read a board drawn as rows of ``X`` (black), ``O`` (white), ``.`` (empty).

        Spaces are ignored, so both ``"X . O"`` and ``"X.O"`` work; the first row is the top.
        """
        rows = [r.replace(" ", "") for r in text.strip().splitlines() if r.strip()]
        size = len(rows)
        if any(len(r) != size for r in rows):
            raise ValueError("an ASCII board must be square")
        black = [i * size + j for i, r in enumerate(rows) for j, c in enumerate(r) if c == "X"]
        white = [i * size + j for i, r in enumerate(rows) for j, c in enumerate(r) if c == "O"]
        bad = {c for r in rows for c in r} - set("XO.")
        if bad:
            raise ValueError(f"unknown board characters {sorted(bad)}")
        return cls.setup(size, komi, rules, black, white, to_play)

    # ----------------------------------------------------------------- queries
    @property
    def pass_move(self) -> int:
        return self.size * self.size

    @property
    def move_number(self) -> int:
        return len(self.moves)

    @property
    def last_move(self) -> int | None:
        return self.moves[-1][1] if self.moves else None

    def is_game_over(self) -> bool:
        return self.passes >= 2

    def _try(self, move: int) -> tuple[np.ndarray, int, int | None] | str:
        """The board after ``move`` with captures and new ko point, or the reason it is illegal."""
        size = self.size
        if move == size * size:
            return self.board, 0, None
        if not isinstance(move, (int, np.integer)) or not 0 <= move < size * size:
            return f"{move!r} is not a point of a {size}x{size} board"
        if self.board[move] != EMPTY:
            return "the point is occupied"
        if move == self.ko:
            return "ko: the stone just taken cannot be retaken at once"
        colour = self.to_play
        board = self.board.copy()
        board[move] = colour
        captured = 0
        captured_points: list[int] = []
        for q in coords.neighbours(move, size):
            if board[q] == -colour:
                chain, libs = chain_and_liberties(board, size, q)
                if not libs:
                    for s in chain:
                        board[s] = EMPTY
                    captured += len(chain)
                    captured_points.extend(chain)
        own_chain, own_libs = chain_and_liberties(board, size, move)
        if not own_libs:
            if not self.rules.suicide:
                return "suicide is forbidden by these rules"
            for s in own_chain:
                board[s] = EMPTY
            captured = -len(own_chain)  # negative: the mover lost stones
        ko = None
        if captured == 1 and len(own_chain) == 1 and len(own_libs) == 1:
            ko = captured_points[0]
        if self.rules.superko == "positional":
            # The current board counts as earlier: a lone-stone suicide would recreate it.
            h = self._hash_after(board)
            if h == self.hash or h in self.history:
                return "positional superko: the board would repeat an earlier one"
        return board, captured, ko

    def _hash_after(self, board: np.ndarray) -> int:
        table = zobrist_table(self.size)
        h = self.hash
        for p in np.flatnonzero(board != self.board):
            old, new = int(self.board[p]), int(board[p])
            if old != EMPTY:
                h ^= int(table[p, colour_index(old)])
            if new != EMPTY:
                h ^= int(table[p, colour_index(new)])
        return h

    def illegal_reason(self, move: int) -> str | None:
        """None if ``move`` is legal for the player to move, else the rule it breaks."""
        out = self._try(move)
        return out if isinstance(out, str) else None

    def is_legal(self, move: int) -> bool:
        cached = self._legal_cache.get(move)
        if cached is None:
            cached = self.illegal_reason(move) is None
            self._legal_cache[move] = cached
        return cached

    def legal_moves(self) -> np.ndarray:
        """bool [size*size + 1]: which moves (pass last, always legal) the player may play."""
        mask = np.zeros(self.size * self.size + 1, dtype=bool)
        for p in np.flatnonzero(self.board == EMPTY):
            mask[p] = self.is_legal(int(p))
        mask[-1] = True
        return mask

    def is_eye(self, move: int, colour: int | None = None) -> bool:
        """True if ``move`` is an empty point that a random player of ``colour`` should not fill.

        The usual playout heuristic: all neighbours are ``colour``, and of the diagonal points
        at most one is the opponent's (none at the edge).  It protects real eyes and rarely
        false ones.
        """
        colour = self.to_play if colour is None else colour
        return is_eye(self.board, self.size, move, colour)

    # ----------------------------------------------------------------- moves
    def play(self, move: int) -> Position:
        """The position after the player to move plays ``move``; IllegalMove if not allowed."""
        out = self._try(move)
        if isinstance(out, str):
            name = coords.to_gtp(move, self.size) if isinstance(move, (int, np.integer)) and \
                0 <= move <= self.size * self.size else repr(move)
            raise IllegalMove(f"illegal move {name}: {out}")
        board, captured, ko = out
        colour = self.to_play
        if move == self.pass_move:
            return Position(self.size, self.komi, self.rules, self.board, -colour, None,
                            self.passes + 1, self.captures, self.history,
                            self.moves + ((colour, move),), self.hash, self)
        board.setflags(write=False)
        caps = list(self.captures)
        if captured > 0:
            caps[colour_index(colour)] += captured
        elif captured < 0:
            caps[colour_index(-colour)] += -captured
        return Position(self.size, self.komi, self.rules, board, -colour, ko, 0, tuple(caps),
                        self.history | {self.hash}, self.moves + ((colour, move),),
                        self._hash_after(board), self)

    def play_gtp(self, *vertices: str) -> Position:
        """Play a sequence of GTP vertices, alternating colours (handy in tests)."""
        pos = self
        for v in vertices:
            pos = pos.play(coords.from_gtp(v, self.size))
        return pos

    # ----------------------------------------------------------------- scoring
    def area(self) -> tuple[int, int]:
        """Tromp-Taylor area (black, white): stones plus empty regions reaching one colour."""
        return tromp_taylor_area(self.board, self.size)

    def score(self) -> float:
        """Black's area minus White's area minus komi (positive: Black leads)."""
        b, w = self.area()
        return b - w - self.komi

    def result_string(self) -> str:
        """SGF/GTP style result: ``B+3.5``, ``W+0.5`` or ``0`` for a draw."""
        s = self.score()
        if s > 0:
            return f"B+{s:g}"
        if s < 0:
            return f"W+{-s:g}"
        return "0"

    def ownership(self) -> np.ndarray:
        """float32 [size*size]: +1 black area, -1 white area, 0 neutral (Tromp-Taylor)."""
        return tromp_taylor_ownership(self.board, self.size)

    # ----------------------------------------------------------------- display
    def to_ascii(self) -> str:
        chars = {BLACK: "X", WHITE: "O", EMPTY: "."}
        n = self.size
        return "\n".join(" ".join(chars[int(c)] for c in self.board[r * n:(r + 1) * n])
                         for r in range(n))

    def __str__(self) -> str:
        cols = " ".join(coords.GTP_COLUMNS[: self.size])
        lines = [f"   {cols}"]
        for r, row in enumerate(self.to_ascii().splitlines()):
            n = self.size - r
            lines.append(f"{n:2d} {row} {n}")
        lines.append(f"   {cols}")
        who = "Black" if self.to_play == BLACK else "White"
        lines.append(f"{who} to play; captures B {self.captures[0]} W {self.captures[1]}; "
                     f"komi {self.komi:g}")
        return "\n".join(lines)


def is_eye(board: np.ndarray, size: int, move: int, colour: int) -> bool:
    if board[move] != EMPTY:
        return False
    for q in coords.neighbours(move, size):
        if board[q] != colour:
            return False
    row, col = divmod(move, size)
    bad = 0
    corners = 0
    for dr in (-1, 1):
        for dc in (-1, 1):
            r, c = row + dr, col + dc
            if 0 <= r < size and 0 <= c < size:
                corners += 1
                if board[r * size + c] == -colour:
                    bad += 1
    return bad == 0 if corners < 4 else bad <= 1


def _regions(board: np.ndarray, size: int) -> list[tuple[list[int], set[int]]]:
    """Empty regions and the colours each one reaches."""
    seen = np.zeros(size * size, dtype=bool)
    out = []
    for start in np.flatnonzero(board == EMPTY):
        if seen[start]:
            continue
        region = [int(start)]
        seen[start] = True
        reaches: set[int] = set()
        i = 0
        while i < len(region):
            p = region[i]
            i += 1
            for q in coords.neighbours(p, size):
                c = int(board[q])
                if c == EMPTY:
                    if not seen[q]:
                        seen[q] = True
                        region.append(q)
                else:
                    reaches.add(c)
        out.append((region, reaches))
    return out


def tromp_taylor_area(board: np.ndarray, size: int) -> tuple[int, int]:
    black = int(np.count_nonzero(board == BLACK))
    white = int(np.count_nonzero(board == WHITE))
    for region, reaches in _regions(board, size):
        if reaches == {BLACK}:
            black += len(region)
        elif reaches == {WHITE}:
            white += len(region)
    return black, white


def tromp_taylor_ownership(board: np.ndarray, size: int) -> np.ndarray:
    own = board.astype(np.float32)
    for region, reaches in _regions(board, size):
        if len(reaches) == 1:
            own[region] = float(next(iter(reaches)))
    return own
