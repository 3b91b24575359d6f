"""FastBoard: the Python face of the fast core, a Go board that changes in place.

Follows :class:`rocks.go.board.Position`'s interface and rules (tested against it move by move
in tests/go/test_fast.py); each method is one call into the njit kernels of
:mod:`rocks.go.fast.rules`, and ``state`` is the :class:`~rocks.go.fast.state.State` that njit
code (search, playouts) takes directly.

Departures from :class:`rocks.go.board.Position`:
  1. ``FastBoard`` changes in place (``play`` returns None); ``copy()`` is explicit.
  2. ``to_position()`` builds an equal Position (board, hash, ko, passes, captures, history,
     moves) but without the ``previous`` chain of earlier Positions.
  3. The superko history set has room for a fixed number of boards; ``play`` grows it before
     it fills.
"""

from __future__ import annotations

import numpy as np

from rocks.go import coords
from rocks.go.board import IllegalMove, Position, Rules
from rocks.go.fast.chains import rebuild_chains
from rocks.go.fast.rules import (
    check_move,
    is_eye,
    legal_mask_into,
    play_move,
    rebuild_history_set,
    score_state,
)
from rocks.go.fast.state import (
    CAPS_B,
    CAPS_W,
    KO,
    KO_BAN,
    MOVES,
    N_HIST,
    N_SET,
    OCCUPIED,
    OK,
    PASSES,
    SUICIDE,
    SUPERKO,
    TO_PLAY,
    State,
    copy_state,
    new_state,
    set_capacity,
)

_REASONS = {
    OCCUPIED: "the point is occupied",
    KO_BAN: "ko: the stone just taken cannot be retaken at once",
    SUICIDE: "suicide is forbidden by these rules",
    SUPERKO: "positional superko: the board would repeat an earlier one",
}


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
                                hset=np.zeros(set_capacity(2 * room + 2), np.uint64))
        rebuild_history_set(self.state)

    def __str__(self) -> str:
        return str(self.to_position())


