"""One game between two GTP engines, refereed by rocks' own rules, written as SGF.

The driver is the controller of GTP draft 2 (Gustafsson & Farnebäck), the part that gomill's
ringmaster plays for Python 2: it sets both engines up, asks the side to move for ``genmove``,
checks the move against its own :class:`~rocks.go.board.Position` (the referee), tells the other
engine with ``play``, and at the end asks both engines for ``final_score`` besides scoring the
board itself by Tromp-Taylor.  Colours are the caller's choice (an arena alternates them).

Departures, numbered:
  1. The referee's Tromp-Taylor score decides the result of a finished game; the engines'
     ``final_score`` answers are recorded beside it (GNU Go removes dead stones first, so the
     two agree only on games played out, as games against our random player are).  A caller
     that wants dead stones judged asks :mod:`rocks.engines.referee` afterwards (the arena).
  2. A move the referee finds illegal (or cannot read) loses the game for the engine that sent
     it; a timeout or a crash loses too.  When the *other* engine refuses a move the referee
     accepted, the engines disagree about the rules; the game stops with no winner.
  3. The move limit (default ``4 * size * size``) ends a game and it is scored as it stands.
  4. Clocks: with ``time_settings`` set, each engine is told its clock (``time_left``) before
     each move and loses when it overruns it; without, only the per-move timeout applies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rocks.engines.gtp_client import (
    GtpClient,
    GtpClientError,
    GtpCommandError,
    GtpEngineDied,
    GtpTimeout,
)
from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove, Position, Rules
from rocks.go.sgf import GameRecord, rules_name, save_sgf


@dataclass(frozen=True)
class MatchConfig:
    """How one game is played.

    Attributes:
        size, komi, rules: the game; the engines must have been started with matching rules
            (e.g. GNU Go's ``--forbid-suicide``), the driver only sets size and komi.
        max_moves: moves (passes included) after which the game stops; None: 4 * size^2.
        move_timeout_s: the longest any single command may take before the engine forfeits.
        time_settings: (main time s, byo-yomi period s, byo-yomi stones) or None for no clock.
    """

    size: int = 9
    komi: float = 7.5
    rules: Rules = dataclasses.field(default_factory=Rules)
    max_moves: int | None = None
    move_timeout_s: float = 60.0
    time_settings: tuple[float, float, int] | None = None

    def __post_init__(self) -> None:
        coords.check_size(self.size)

    @property
    def move_limit(self) -> int:
        return self.max_moves if self.max_moves is not None else 4 * self.size * self.size


@dataclass(frozen=True)
class GameResult:
    """What happened in one game.

    Attributes:
        black, white: engine names.
        winner: BLACK, WHITE, or None (a draw, or no result).
        result: SGF RE text: "B+3.5", "W+R" (resign), "B+T" (time), "B+F" (forfeit), "0", "Void".
        reason: "two passes", "resign", "move limit", "illegal move", "timeout", "time",
            "engine died", "rules disagreement".
        score: Tromp-Taylor score of the final board (black - white - komi).
        black_says, white_says: each engine's ``final_score`` answer (None if not given).
        moves: moves played (passes included).
        seconds: (black, white) wall-clock seconds spent in genmove.
        longest: (black, white) wall-clock seconds of each side's slowest genmove.
        detail: a sentence about how the game ended, when it ended abnormally.
        record: the game as a GameRecord (also written as SGF when a path was given).
        sgf_path: where the SGF was written, or None.
    """

    black: str
    white: str
    winner: int | None
    result: str
    reason: str
    score: float
    black_says: str | None
    white_says: str | None
    moves: int
    seconds: tuple[float, float]
    detail: str
    record: GameRecord
    sgf_path: str | None = None
    longest: tuple[float, float] = (0.0, 0.0)


def _colour_name(colour: int) -> str:
    return "black" if colour == BLACK else "white"


class _Forfeit(Exception):
    def __init__(self, loser: int | None, reason: str, detail: str, code: str) -> None:
        super().__init__(detail)
        self.loser, self.reason, self.detail, self.code = loser, reason, detail, code


def _setup(client: GtpClient, cfg: MatchConfig, colour: int) -> None:
    try:
        commands = [f"boardsize {cfg.size}", "clear_board", f"komi {cfg.komi:g}"]
        if cfg.time_settings is not None:
            main, byo, stones = cfg.time_settings
            commands.append(f"time_settings {main:g} {byo:g} {stones}")
        for c, r in zip(commands, client.send_many(commands, cfg.move_timeout_s), strict=True):
            if not r.ok and not c.startswith("time_settings"):
                raise _Forfeit(colour, "engine died", f"{client.name} refused {c!r}: {r.text}",
                               "F")
    except (GtpTimeout, GtpEngineDied) as exc:
        raise _Forfeit(colour, "engine died", str(exc), "F") from None


class _Clock:
    """Canadian byo-yomi for one side (departure 4)."""

    def __init__(self, settings: tuple[float, float, int]) -> None:
        self.main, self.byo, self.stones = settings
        self.left = self.main
        self.in_byo = self.main <= 0
        self.period_left = self.byo
        self.stones_left = self.stones

    def report(self) -> tuple[float, int]:
        """(time, stones) for ``time_left``."""
        return (self.period_left, self.stones_left) if self.in_byo else (self.left, 0)

    def spend(self, seconds: float) -> bool:
        """Charge one move; False if the flag fell."""
        if not self.in_byo:
            if seconds <= self.left:
                self.left -= seconds
                return True
            seconds -= self.left
            self.left = 0.0
            self.in_byo = True
            if self.stones <= 0:
                return False
        self.period_left -= seconds
        if self.period_left < 0:
            return False
        self.stones_left -= 1
        if self.stones_left == 0:
            self.period_left, self.stones_left = self.byo, self.stones
        return True


def play_game(black: GtpClient, white: GtpClient, config: MatchConfig | None = None,
              sgf_path: str | Path | None = None, date: str = "",
              opening: Sequence[int] = ()) -> GameResult:
    """Play one game, black engine against white engine; see the module docstring.

    ``opening``: flat moves played (and told to both engines) before the engines take over,
    alternating from Black; they diversify teacher games and are part of the record.
    """
    cfg = config or MatchConfig()
    engines = {BLACK: black, WHITE: white}
    pos = Position.empty(cfg.size, cfg.komi, cfg.rules)
    spent = {BLACK: 0.0, WHITE: 0.0}
    longest = {BLACK: 0.0, WHITE: 0.0}
    clocks = {c: _Clock(cfg.time_settings) for c in engines} if cfg.time_settings else None
    winner: int | None = None
    reason, detail, result = "", "", ""
    try:
        for colour, client in engines.items():
            _setup(client, cfg, colour)
        for move in opening:
            name = _colour_name(pos.to_play)
            pos = pos.play(move)  # IllegalMove here is the caller's error, not a forfeit
            for colour, client in engines.items():
                try:
                    client.send(f"play {name} {coords.to_gtp(move, cfg.size)}",
                                cfg.move_timeout_s)
                except GtpCommandError as exc:
                    raise _Forfeit(None, "rules disagreement",
                                   f"{client.name} refused an opening move: {exc}",
                                   "Void") from None
                except (GtpTimeout, GtpEngineDied) as exc:
                    raise _Forfeit(colour, "engine died", str(exc), "F") from None
        while not pos.is_game_over() and len(pos.moves) < cfg.move_limit:
            colour = pos.to_play
            mover, other = engines[colour], engines[-colour]
            name = _colour_name(colour)
            if clocks is not None:
                t_left, stones = clocks[colour].report()
                with contextlib.suppress(GtpCommandError):  # clockless engines may still play
                    mover.send(f"time_left {name} {max(0, int(t_left))} {stones}",
                               cfg.move_timeout_s)
            start = time.perf_counter()
            try:
                answer = mover.send(f"genmove {name}", cfg.move_timeout_s)
            except GtpTimeout as exc:
                raise _Forfeit(colour, "timeout", str(exc), "T") from None
            except GtpEngineDied as exc:
                raise _Forfeit(colour, "engine died", str(exc), "F") from None
            except GtpClientError as exc:
                raise _Forfeit(colour, "illegal move", str(exc), "F") from None
            seconds = time.perf_counter() - start
            spent[colour] += seconds
            longest[colour] = max(longest[colour], seconds)
            if clocks is not None and not clocks[colour].spend(seconds):
                raise _Forfeit(colour, "time", f"{mover.name} ran out of time", "T")
            if answer.strip().lower() == "resign":
                raise _Forfeit(colour, "resign", f"{mover.name} resigned", "R")
            try:
                move = coords.from_gtp(answer, cfg.size)
                pos = pos.play(move)
            except (coords.CoordinateError, IllegalMove) as exc:
                raise _Forfeit(colour, "illegal move",
                               f"{mover.name} played {answer!r}: {exc}", "F") from None
            try:
                other.send(f"play {name} {coords.to_gtp(move, cfg.size)}", cfg.move_timeout_s)
            except GtpCommandError as exc:
                raise _Forfeit(None, "rules disagreement",
                               f"{other.name} refused a move the referee accepted: {exc}",
                               "Void") from None
            except (GtpTimeout, GtpEngineDied) as exc:
                raise _Forfeit(-colour, "engine died", str(exc), "F") from None
        reason = "two passes" if pos.is_game_over() else "move limit"
        result = pos.result_string()
        score = pos.score()
        winner = BLACK if score > 0 else WHITE if score < 0 else None
    except _Forfeit as f:
        reason, detail = f.reason, f.detail
        if f.loser is None:
            result = f.code
        else:
            winner = -f.loser
            result = f"{'B' if winner == BLACK else 'W'}+{f.code}"

    says = {c: _final_score(engines[c], cfg.move_timeout_s) for c in engines}
    score = pos.score()
    note = (f"Tromp-Taylor {pos.result_string()}; black engine says {says[BLACK]}; "
            f"white engine says {says[WHITE]}; ended by {reason}"
            + (f": {detail}" if detail else ""))
    record = GameRecord(
        size=cfg.size, komi=cfg.komi, rules=rules_name(cfg.rules), moves=pos.moves,
        result=result, black_player=black.name, white_player=white.name, date=date,
        comments=((0, note),))
    written = str(save_sgf(record, sgf_path)) if sgf_path is not None else None
    return GameResult(black.name, white.name, winner, result, reason, score, says[BLACK],
                      says[WHITE], len(pos.moves), (spent[BLACK], spent[WHITE]), detail, record,
                      written, (longest[BLACK], longest[WHITE]))


def _final_score(client: GtpClient, timeout_s: float) -> str | None:
    if not client.alive:
        return None
    try:
        return client.send("final_score", timeout_s)
    except GtpClientError:
        return None
