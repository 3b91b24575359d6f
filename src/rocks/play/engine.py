"""The Engine: one game of Go that every protocol (GTP, the web page, the CLI) talks to.

The engine owns the game (a :class:`~rocks.go.board.Position` plus the stack of earlier positions
that ``undo`` walks back), the rule options, handicap placement, clocks, and a pluggable
:class:`~rocks.play.decision.Player` that chooses moves (see that module for the protocol).
Protocol front ends stay thin: they parse, call the engine, and format.  The design follows
minigo's split of ``gtp_engine.py`` (protocol) from its player objects.

Stable API (the web page and GTP are built against it)::

    engine = Engine(EngineConfig(size=9, komi=7.5), player=RandomPlayer(seed=1))
    engine.new_game(size=9, komi=7.5, handicap=0, rules=Rules())
    engine.play(BLACK, coords.from_gtp("E5", 9))   # IllegalMove if the rules forbid it
    decision = engine.genmove(WHITE)                 # Decision; the move is played
    engine.undo()                                    # EngineError if nothing to undo
    engine.position, engine.legal_moves(), engine.score(), engine.result_string()
    text = engine.to_sgf(); engine.load_sgf(text)

Colours are ``BLACK`` (1) and ``WHITE`` (-1); moves are flat indices (pass = size*size).

Departures from GTP v2 / common engine behaviour, numbered:
  1. Playing out of turn (``play black`` twice) is allowed, as GTP requires; the simple-ko ban
     is lifted for that move since it only binds the opponent of the capturer.
  2. Scoring is Tromp-Taylor area on the board as it stands: every stone counts as alive.
     Games between engines should be played out (our random player never passes early).
  3. Time budget: with no time settings, ``config.default_move_time_s`` per move; in byo-yomi
     the period time over the stones left; in main time the time left over an estimate of the
     moves still to play (half the empty points, at least ``min_moves_left``).  A fraction
     ``safety`` is always kept back.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from rocks.go import coords
from rocks.go.board import BLACK, EMPTY, WHITE, IllegalMove, Position, Rules
from rocks.go.sgf import rules_name
from rocks.play.decision import Decision, Player
from rocks.play.players import RandomPlayer

__all__ = [
    "BLACK", "WHITE", "Clock", "Decision", "Engine", "EngineConfig", "EngineError",
    "IllegalMove", "fixed_handicap_points", "free_handicap_points", "max_fixed_handicap",
]


class EngineError(ValueError):
    """A request the engine cannot carry out in its current state (the message says why)."""


@dataclass(frozen=True)
class EngineConfig:
    """How an engine starts and manages time.

    Attributes:
        size: board side for the first game (2..25).
        komi: points added to White's score.
        rules: suicide and superko options.
        name: engine name reported over GTP.
        default_move_time_s: per-move budget when no clock is set.
        min_moves_left: floor on the estimate of moves still to play in main time.
        safety: fraction of the computed budget kept back for overhead and lag.
    """

    size: int = 9
    komi: float = 7.5
    rules: Rules = dataclasses.field(default_factory=Rules)
    name: str = "rocks"
    default_move_time_s: float = 1.0
    min_moves_left: int = 10
    safety: float = 0.1

    def __post_init__(self) -> None:
        coords.check_size(self.size)
        if not 0.0 <= self.safety < 1.0:
            raise ValueError(f"safety must be in [0, 1), got {self.safety}")


@dataclass(frozen=True)
class Clock:
    """Canadian byo-yomi time settings (GTP ``time_settings``) and what is left for one side.

    ``byo_yomi_s > 0`` with ``byo_yomi_stones == 0`` means no time limit, as in GTP.
    """

    main_time_s: float = 0.0
    byo_yomi_s: float = 0.0
    byo_yomi_stones: int = 0
    time_left_s: float | None = None  # None: not reported; use the settings
    stones_left: int = 0  # >0: in byo-yomi with this many stones left in the period

    @property
    def unlimited(self) -> bool:
        return self.main_time_s == 0 and self.byo_yomi_s == 0 and self.byo_yomi_stones == 0 \
            or (self.byo_yomi_s > 0 and self.byo_yomi_stones == 0)


def max_fixed_handicap(size: int) -> int:
    """The most stones ``fixed_handicap`` places on this board (0: none allowed)."""
    if size < 7:
        return 0
    if size % 2 == 0 or size == 7:
        return 4
    return 9


def fixed_handicap_points(size: int, n: int) -> list[int]:
    """The GTP v2 fixed handicap points (flat indices) for ``n`` stones on ``size``.

    Corner points are on the 3rd line up to 11x11 and on the 4th line from 12x12 (GNU Go 3.8's
    placement, which a test compares against).
    """
    limit = max_fixed_handicap(size)
    if not 2 <= n <= limit:
        raise EngineError(f"invalid number of stones: {n} (this {size}x{size} board takes "
                          f"2..{limit})" if limit else f"no fixed handicap on {size}x{size}")
    e = 2 if size <= 11 else 3  # 0-based distance of the corner points from the edge
    lo, mid, hi = e, size // 2, size - 1 - e

    def pt(col: int, row_from_bottom: int) -> int:
        return (size - 1 - row_from_bottom) * size + col

    # GTP 4.1.1: corners first (lower left, upper right, upper left, lower right), then for
    # odd counts the centre, and then side points.
    corners = [pt(lo, lo), pt(hi, hi), pt(lo, hi), pt(hi, lo)]
    centre = pt(mid, mid)
    sides_lr = [pt(lo, mid), pt(hi, mid)]
    sides_tb = [pt(mid, lo), pt(mid, hi)]
    if n <= 4:
        return corners[:n]
    if n == 5:
        return corners + [centre]
    if n == 6:
        return corners + sides_lr
    if n == 7:
        return corners + sides_lr + [centre]
    if n == 8:
        return corners + sides_lr + sides_tb
    return corners + sides_lr + sides_tb + [centre]


def free_handicap_points(size: int, n: int) -> list[int]:
    """Where the engine puts ``n`` free handicap stones: the fixed points first, then the points
    farthest (Manhattan) from the stones already chosen, away from the first line."""
    if not 2 <= n < size * size:
        raise EngineError(f"invalid number of stones: {n}")
    start = min(n, max_fixed_handicap(size))
    chosen = fixed_handicap_points(size, start) if start >= 2 else []
    rc = [(p // size, p % size) for p in range(size * size)]
    while len(chosen) < n:
        best, best_key = -1, None
        for p in range(size * size):
            if p in chosen:
                continue
            r, c = rc[p]
            d = min((abs(r - rc[q][0]) + abs(c - rc[q][1]) for q in chosen), default=size)
            edge = min(r, c, size - 1 - r, size - 1 - c)
            key = (min(d, 2), edge >= min(2, (size - 1) // 3), d, -p)
            if best_key is None or key > best_key:
                best, best_key = p, key
        chosen.append(best)
    return chosen


class Engine:
    """One game, its history and clocks, and the player that generates moves."""

    def __init__(self, config: EngineConfig | None = None, player: Player | None = None) -> None:
        self.config = config or EngineConfig()
        self.player: Player = player if player is not None else RandomPlayer()
        self.clocks: dict[int, Clock] = {BLACK: Clock(), WHITE: Clock()}
        self.handicap = 0
        self.player_names: dict[int, str] = {BLACK: "", WHITE: ""}
        self.last_decision: Decision | None = None
        self._stack: list[Position] = []
        self.new_game(self.config.size, self.config.komi, 0, self.config.rules)

    # ----------------------------------------------------------------- game set-up
    def new_game(self, size: int | None = None, komi: float | None = None, handicap: int = 0,
                 rules: Rules | None = None) -> Position:
        """Start a fresh game; ``handicap`` >= 2 places fixed handicap stones (White to move)."""
        size = self.size if size is None and self._stack else (size or self.config.size)
        coords.check_size(size)
        komi = self.komi if komi is None and self._stack else (
            self.config.komi if komi is None else float(komi))
        rules = rules or (self.rules if self._stack else self.config.rules)
        black = fixed_handicap_points(size, handicap) if handicap else []
        self._reset(Position.setup(size, komi, rules, black=black,
                                   to_play=WHITE if black else BLACK), len(black))
        return self.position

    def _reset(self, position: Position, handicap: int) -> None:
        self._stack = [position]
        self.handicap = handicap
        self.last_decision = None
        # Time settings outlive the game (controllers may send them before clear_board);
        # what is left on the clocks does not.
        self.clocks = {c: Clock(k.main_time_s, k.byo_yomi_s, k.byo_yomi_stones)
                       for c, k in self.clocks.items()}

    def clear_board(self) -> Position:
        """Same size, komi and rules, no stones (GTP ``clear_board``)."""
        return self.new_game(self.size, self.komi, 0, self.rules)

    def set_size(self, size: int) -> Position:
        """New board size; clears the board (GTP ``boardsize``)."""
        try:
            coords.check_size(size)
        except coords.CoordinateError as exc:
            raise EngineError(str(exc)) from None
        return self.new_game(size, self.komi, 0, self.rules)

    def set_komi(self, komi: float) -> None:
        """Change komi without touching the stones or history."""
        komi = float(komi)
        self._stack = [dataclasses.replace(p, komi=komi, _legal_cache={}) for p in self._stack]

    def set_handicap(self, points: list[int]) -> Position:
        """Place handicap stones on an empty board (GTP ``set_free_handicap``); White moves next."""
        if self.position.moves or np.any(self.position.board != EMPTY):
            raise EngineError("board not empty")
        n = self.size * self.size
        if len(points) < 2 or len(points) >= n or len(set(points)) != len(points) \
                or any(not 0 <= p < n for p in points):
            raise EngineError("bad vertex list")
        try:
            pos = Position.setup(self.size, self.komi, self.rules, black=points, to_play=WHITE)
        except IllegalMove as exc:
            raise EngineError(f"bad vertex list: {exc}") from None
        self._reset(pos, len(points))
        return pos

    def fixed_handicap(self, n: int) -> list[int]:
        """Place ``n`` GTP fixed handicap stones on the empty board; returns the points."""
        points = fixed_handicap_points(self.size, n)
        self.set_handicap(points)
        return points

    def free_handicap(self, n: int) -> list[int]:
        """Place ``n`` stones where this engine likes them (GTP ``place_free_handicap``)."""
        points = free_handicap_points(self.size, n)
        self.set_handicap(points)
        return points

    # ----------------------------------------------------------------- state
    @property
    def position(self) -> Position:
        return self._stack[-1]

    @property
    def size(self) -> int:
        return self.position.size

    @property
    def komi(self) -> float:
        return self.position.komi

    @property
    def rules(self) -> Rules:
        return self.position.rules

    @property
    def history(self) -> tuple[Position, ...]:
        """Every position of this game from the start (setup stones included) to now."""
        return tuple(self._stack)

    def legal_moves(self) -> np.ndarray:
        """bool [size*size + 1] for the player to move; pass (last) is always legal."""
        return self.position.legal_moves()

    def is_game_over(self) -> bool:
        return self.position.is_game_over()

    # ----------------------------------------------------------------- moves
    def position_for(self, colour: int) -> Position:
        """The current position with ``colour`` to move (departure 1 when out of turn)."""
        if colour not in (BLACK, WHITE):
            raise EngineError(f"colour must be BLACK (1) or WHITE (-1), got {colour!r}")
        pos = self.position
        if pos.to_play == colour:
            return pos
        return dataclasses.replace(pos, to_play=colour, ko=None, _legal_cache={})

    def play(self, colour: int, move: int) -> Position:
        """Play ``move`` for ``colour``; raises IllegalMove (and changes nothing) if forbidden."""
        pos = self.position_for(colour).play(move)
        self._stack.append(pos)
        return pos

    def genmove(self, colour: int, play: bool = True) -> Decision:
        """Ask the player for ``colour``'s move and (unless ``play`` is False) play it."""
        pos = self.position_for(colour)
        start = time.perf_counter()
        decision = self.player.select_move(pos, self.time_budget(colour))
        decision = dataclasses.replace(decision, elapsed_s=time.perf_counter() - start)
        if not decision.resign:
            reason = pos.illegal_reason(decision.move)
            if reason is not None:
                raise EngineError(f"player {self.player.name!r} chose an illegal move "
                                  f"{decision.move}: {reason}")
            if play:
                self._stack.append(pos.play(decision.move))
        self.last_decision = decision
        self._spend(colour, decision.elapsed_s)
        return decision

    def undo(self) -> Position:
        """Take back the last move; EngineError if there is none."""
        if len(self._stack) <= 1:
            raise EngineError("cannot undo")
        self._stack.pop()
        return self.position

    # ----------------------------------------------------------------- scoring
    def score(self) -> float:
        """Tromp-Taylor: Black's area minus White's area minus komi (positive: Black leads)."""
        return self.position.score()

    def result_string(self) -> str:
        return self.position.result_string()

    def final_status(self, status: str) -> list[int]:
        """Points of stones with this status: ``alive``, ``dead`` or ``seki`` (departure 2)."""
        if status not in ("alive", "dead", "seki"):
            raise EngineError(f"unknown status {status!r}")
        if status == "alive":
            return [int(p) for p in np.flatnonzero(self.position.board != EMPTY)]
        return []

    # ----------------------------------------------------------------- time
    def set_time(self, main_time_s: float, byo_yomi_s: float, byo_yomi_stones: int) -> None:
        """GTP ``time_settings`` for both players."""
        if main_time_s < 0 or byo_yomi_s < 0 or byo_yomi_stones < 0:
            raise EngineError("time settings must not be negative")
        clock = Clock(float(main_time_s), float(byo_yomi_s), int(byo_yomi_stones))
        self.clocks = {BLACK: clock, WHITE: clock}

    def set_time_left(self, colour: int, time_left_s: float, stones: int) -> None:
        """GTP ``time_left``: the controller's word on ``colour``'s clock."""
        self.clocks[colour] = dataclasses.replace(
            self.clocks[colour], time_left_s=float(time_left_s), stones_left=int(stones))

    def time_budget(self, colour: int) -> float:
        """Seconds the player may spend on ``colour``'s next move (departure 3)."""
        clock = self.clocks[colour]
        keep = 1.0 - self.config.safety
        if clock.unlimited:
            return self.config.default_move_time_s
        left = clock.main_time_s if clock.time_left_s is None else clock.time_left_s
        if clock.stones_left > 0 or (clock.time_left_s is None and clock.main_time_s == 0):
            stones = clock.stones_left or clock.byo_yomi_stones
            period = left if clock.stones_left > 0 else clock.byo_yomi_s
            return max(0.0, keep * period / max(1, stones))
        empty = int(np.count_nonzero(self.position.board == EMPTY))
        moves_left = max(self.config.min_moves_left, empty // 2)
        byo = clock.byo_yomi_s / clock.byo_yomi_stones if clock.byo_yomi_stones else 0.0
        return max(0.0, keep * (left / moves_left + byo))

    def _spend(self, colour: int, seconds: float) -> None:
        """Run our own clock between ``time_left`` reports."""
        clock = self.clocks[colour]
        if clock.unlimited or clock.time_left_s is None:
            return
        self.clocks[colour] = dataclasses.replace(clock, time_left_s=max(
            0.0, clock.time_left_s - seconds))

    # ----------------------------------------------------------------- records
    def to_record(self, result: str | None = None):
        """The game so far as a :class:`rocks.go.sgf.GameRecord`."""
        from rocks.go.sgf import GameRecord

        first = self._stack[0]
        return GameRecord(
            size=self.size, komi=self.komi,
            rules=rules_name(self.rules), handicap=self.handicap,
            black_setup=tuple(int(p) for p in np.flatnonzero(first.board == BLACK)),
            white_setup=tuple(int(p) for p in np.flatnonzero(first.board == WHITE)),
            first_player=first.to_play,
            moves=tuple(self.position.moves), result=result,
            black_player=self.player_names[BLACK], white_player=self.player_names[WHITE],
        )

    def load_record(self, record, move_number: int | None = None) -> Position:
        """Replace the game by ``record``'s, up to (not including) move ``move_number`` (1-based,
        as GTP ``loadsgf``); the undo history is the record's moves."""
        positions = list(record.replay(rules=self.rules if record.rules_obj() is None
                                       else record.rules_obj()))
        if move_number is not None:
            if move_number < 1:
                raise EngineError(f"move number must be >= 1, got {move_number}")
            positions = positions[:move_number]
        self._reset(positions[0], record.handicap)
        self._stack = positions
        self.player_names = {BLACK: record.black_player, WHITE: record.white_player}
        return self.position

    def to_sgf(self, result: str | None = None) -> str:
        from rocks.go.sgf import write_sgf

        if result is None and self.position.is_game_over():
            result = self.result_string()
        return write_sgf(self.to_record(result))

    def load_sgf(self, text: str | bytes, move_number: int | None = None) -> Position:
        """Load an SGF game (main line); SgfError on malformed input, nothing changed then."""
        from rocks.go.sgf import read_sgf

        return self.load_record(read_sgf(text), move_number)
