"""GTP analysis streams for Go GUIs: Leela Zero's ``lz-analyze`` and KataGo's ``kata-analyze``.

Registered by :func:`rocks.play.gtp.command.build_gtp`; the format is what other programs read,
as their authors document it:

- ``lz-analyze [colour] [interval] [interval N] ...`` (Leela Zero 0.17, which Sabaki and Lizzie
  drive): ``=id`` alone on a line, then every ``interval`` centiseconds one line with every
  candidate concatenated, ``info move D4 visits 120 winrate 5123 prior 1234 lcb 5000 order 0
  pv D4 Q16 ...`` (winrate, prior and lcb are 10000 times a probability, for the side the
  analysis is for), until any input line (a command or a bare newline) arrives; then a blank
  line ends the response and the next command is answered as usual.
- ``lz-genmove_analyze colour [interval]``: the same lines while ``genmove``'s time budget
  runs, then ``play D4`` (or ``play resign``) and a blank line; it does not stop early.
- ``kata-analyze`` / ``kata-genmove_analyze`` (KataGo's GTP extensions): the same with
  floats in [0, 1] and the fields ``utility``, ``scoreLead``/``scoreMean`` (only when the
  player reports a score lead), ``lcb``, ``utilityLcb``; ``ownership true`` appends
  ``ownership`` and size*size numbers in [-1, 1] for the analysed side, row by row from the top.

A stream searches through the engine's player.  A player that can analyse without choosing a
move is an :class:`~rocks.play.decision.Analyser` (``analyze(position, time_budget_s)``);
otherwise ``select_move`` is called.  Calls on the same position must continue one search
(tree reuse), so each report shows the visits so far; the stream calls in slices of at most
``step_s`` seconds so it notices the next command quickly.  :class:`AnalysisConfig` also
serves GoGui's commands (:mod:`rocks.play.gtp.gogui`).

Departures, numbered:
  1. ``lcb`` is a normal-approximation bound w - z sqrt(w (1 - w) / N) on the win rate w of
     N visits (:func:`rocks.stats.normal_lcb`; Leela Zero uses a Student-t bound on the
     variance of the evaluations, which our search does not keep).
  2. ``minmoves``, ``pvVisits`` and the like are accepted and ignored: only visited candidates
     (at most ``max_candidates``) are reported.  ``allow``/``avoid`` are refused, since the
     search cannot be restricted to or from moves.
  3. A stream stops searching at ``max_visits`` (a tree's memory grows with its visits) and
     then waits, silent, for the next command.  A player that does not search (the random
     player) is asked once and its move shown with 0 visits.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rocks.go import coords
from rocks.go.board import BLACK, Position
from rocks.play.decision import Analyser, Decision, Player
from rocks.play.engine import EngineError
from rocks.play.gtp.protocol import (
    GtpEngine,
    GtpError,
    Streamed,
    gtp_name,
    parse_colour,
    parse_int,
)
from rocks.search.contracts import Candidate
from rocks.stats import normal_lcb


@dataclass(frozen=True)
class AnalysisConfig:
    """How the analysis commands search and report.

    Attributes:
        max_candidates: candidates per report line, best first.
        max_visits: a stream stops searching once the root has this many visits (departure 3).
        step_s: longest search slice between checks for the next command, in seconds.
        gogui_seconds: search time of GoGui's win rate, PV and candidate commands.
        lcb_z: z of the lower confidence bound (departure 1).
        ownership_decimals: digits after the point in ownership and dboard output.
    """

    max_candidates: int = 10
    max_visits: int = 50_000
    step_s: float = 0.1
    gogui_seconds: float = 1.0
    lcb_z: float = 1.96
    ownership_decimals: int = 3

    def __post_init__(self) -> None:
        if self.max_candidates < 1 or self.max_visits < 1:
            raise ValueError("max_candidates and max_visits must be at least 1")
        if not self.step_s > 0 or self.gogui_seconds < 0 or self.lcb_z < 0:
            raise ValueError("step_s must be positive; gogui_seconds and lcb_z not negative")


@dataclass(frozen=True)
class AnalyzeRequest:
    """One ``lz-analyze``/``kata-analyze`` command, parsed.

    Attributes:
        colour: BLACK or WHITE, the side whose move is analysed (None: the side to move).
        interval_cs: centiseconds between report lines (0: search without reporting).
        ownership: append ownership (kata-analyze ``ownership true``).
        max_moves: at most this many candidates per line (None: the config's).
    """

    colour: int | None = None
    interval_cs: int = 0
    ownership: bool = False
    max_moves: int | None = None


_IGNORED_KEYS = {"minmoves", "pvvisits", "pvedgevisits", "ownershipstdev", "movesownership",
                 "movesownershipstdev", "rootinfo", "includemovesownership"}


def parse_analyze_args(args: Sequence[str]) -> AnalyzeRequest:
    """``[colour] [interval] [key value]...`` as Leela Zero and KataGo read them."""
    words = list(args)
    colour: int | None = None
    interval = 0
    ownership = False
    max_moves: int | None = None
    if words and words[0].lower() in ("b", "black", "w", "white"):
        colour = parse_colour(words.pop(0))
    if words and words[0].lstrip("-").isdigit():
        interval = parse_int(words.pop(0), "interval")
    while words:
        key = words.pop(0).lower()
        if key in ("allow", "avoid"):
            raise GtpError(f"syntax error: {key} is not supported (the search cannot be "
                           "restricted to or from moves)")
        if not words:
            raise GtpError(f"syntax error: {key} needs a value")
        value = words.pop(0)
        if key == "interval":
            interval = parse_int(value, "interval")
        elif key == "maxmoves":
            max_moves = parse_int(value, "maxmoves")
            if max_moves < 1:
                raise GtpError("syntax error: maxmoves must be at least 1")
        elif key == "ownership":
            if value.lower() not in ("true", "false"):
                raise GtpError(f"syntax error: ownership must be true or false, got {value!r}")
            ownership = value.lower() == "true"
        elif key not in _IGNORED_KEYS:
            raise GtpError(f"syntax error: unknown key {key!r} (known: interval, maxmoves, "
                           "ownership, minmoves)")
    if interval < 0:
        raise GtpError("syntax error: interval must not be negative")
    return AnalyzeRequest(colour, interval, ownership, max_moves)


# ------------------------------------------------------------------------------- formats
def winrate_of(candidate: Candidate) -> float:
    """The candidate's win probability for the side that plays it, from Q in [-1, 1]."""
    return min(1.0, max(0.0, (candidate.q + 1.0) / 2.0))


def lcb(winrate: float, visits: int, z: float = 1.96) -> float:
    """Lower confidence bound on a win rate from ``visits`` samples (departure 1); 0 if none."""
    return normal_lcb(winrate, visits, z)


def _per10k(p: float) -> int:
    return int(round(min(1.0, max(0.0, p)) * 10000))


def _pv(candidate: Candidate, size: int) -> str:
    line = candidate.pv if candidate.pv and candidate.pv[0] == candidate.move \
        else (candidate.move,)
    return " ".join(coords.to_gtp(m, size) for m in line)


def lz_info(candidate: Candidate, order: int, size: int, z: float = 1.96) -> str:
    """One Leela Zero ``info move ...`` entry (probabilities times 10000, rounded)."""
    w = winrate_of(candidate)
    return (f"info move {coords.to_gtp(candidate.move, size)} visits {candidate.visits} "
            f"winrate {_per10k(w)} prior {_per10k(candidate.prior)} "
            f"lcb {_per10k(lcb(w, candidate.visits, z))} order {order} "
            f"pv {_pv(candidate, size)}")


def kata_info(candidate: Candidate, order: int, size: int, score_lead: float | None = None,
              z: float = 1.96) -> str:
    """One KataGo ``info move ...`` entry (floats; score fields only when ``score_lead``)."""
    w = winrate_of(candidate)
    low = lcb(w, candidate.visits, z)
    score = "" if score_lead is None else \
        f"scoreMean {score_lead:.3f} scoreLead {score_lead:.3f} "
    return (f"info move {coords.to_gtp(candidate.move, size)} visits {candidate.visits} "
            f"utility {2 * w - 1:.6f} winrate {w:.6f} {score}prior {candidate.prior:.6f} "
            f"lcb {low:.6f} utilityLcb {2 * low - 1:.6f} order {order} "
            f"pv {_pv(candidate, size)}")


def candidates_of(decision: Decision) -> tuple[Candidate, ...]:
    """The decision's candidates, or its move alone for a player that does not search."""
    if decision.candidates:
        return decision.candidates
    q = 0.0 if decision.winrate is None else 2.0 * decision.winrate - 1.0
    return (Candidate(decision.move, decision.visits, 0.0, q, decision.pv),)


def ownership_for(ownership_black: np.ndarray, colour: int) -> np.ndarray:
    """Ownership seen by ``colour`` (+1: that side owns the point) from Black's view."""
    return np.asarray(ownership_black, dtype=np.float64) * (1.0 if colour == BLACK else -1.0)


def analyse(player: Player, position: Position, seconds: float) -> Decision:
    """One slice of analysis by ``player`` (continuing its search of ``position``)."""
    if isinstance(player, Analyser):
        return player.analyze(position, seconds)
    return player.select_move(position, seconds)


def position_to_analyse(gtp: GtpEngine, colour: int | None) -> Position:
    """The engine's position, with ``colour`` to move when given (a ``?`` if it cannot be)."""
    try:
        return gtp.engine.position if colour is None else gtp.engine.position_for(colour)
    except EngineError as exc:
        raise GtpError(str(exc)) from None


# ------------------------------------------------------------------------------- commands
class _ReportingPlayer:
    """Stands in for the engine's player during ``*-genmove_analyze``: searches in slices,
    reports after each, and lets the real player choose the move at the end."""

    def __init__(self, owner: AnalysisCommands, report: Callable[[Decision], None],
                 interval_s: float) -> None:
        self.owner = owner
        self.inner = owner.gtp.engine.player
        self.name = self.inner.name
        self.report = report
        self.interval_s = interval_s

    def select_move(self, position: Position, time_budget_s: float) -> Decision:
        start = time.perf_counter()
        deadline = start + max(0.0, time_budget_s)
        if not isinstance(self.inner, Analyser):
            decision = self.inner.select_move(position, time_budget_s)
            self.report(decision)
            return decision
        step = self.owner.config.step_s
        cap = getattr(self.inner, "move_visits", None)
        next_report = start + self.interval_s
        first = None
        enough = False
        while not enough and deadline - time.perf_counter() > step:
            now = time.perf_counter()
            until = next_report - now if self.interval_s > 0 else step
            decision = self.inner.analyze(position, max(0.001, min(step, until,
                                                                     deadline - now - step)))
            first = decision.visits if first is None else first
            enough = cap is not None and decision.visits - first >= cap
            if self.interval_s > 0 and time.perf_counter() >= next_report:
                self.report(decision)
                next_report = time.perf_counter() + self.interval_s
        # The player's own rule picks the move, after (nearly) no further search when the
        # visits are spent.
        left = 0.001 if enough else max(0.001, deadline - time.perf_counter())
        decision = self.inner.select_move(position, left)
        if self.interval_s > 0:
            self.report(decision)
        return decision


class AnalysisCommands:
    """Leela Zero's and KataGo's analysis streams over one
    :class:`~rocks.play.gtp.protocol.GtpEngine`.

    Args:
        gtp: the engine front end whose ``out``, ``input_pending`` and Engine are used.
        config: search and report settings.
    """

    def __init__(self, gtp: GtpEngine, config: AnalysisConfig | None = None) -> None:
        self.gtp = gtp
        self.config = config or AnalysisConfig()

    # ------------------------------------------------------------------ searching
    @property
    def player(self) -> Player:
        return self.gtp.engine.player

    def search(self, position: Position, seconds: float) -> Decision:
        """One slice of analysis (continuing the player's search of ``position``)."""
        return analyse(self.player, position, seconds)

    def _position(self, colour: int | None) -> Position:
        return position_to_analyse(self.gtp, colour)

    def _line(self, decision: Decision, position: Position, request: AnalyzeRequest,
              kata: bool) -> str:
        limit = min(request.max_moves or self.config.max_candidates, self.config.max_candidates)
        size, z = position.size, self.config.lcb_z
        shown = [c for c in candidates_of(decision)][:limit]
        if kata:
            parts = [kata_info(c, i, size, decision.score_lead if i == 0 and c.move ==
                               decision.move else None, z) for i, c in enumerate(shown)]
            if request.ownership:
                own = decision.ownership if decision.ownership is not None else \
                    position.ownership()
                values = ownership_for(own, position.to_play)
                d = self.config.ownership_decimals
                parts.append("ownership " + " ".join(f"{v:.{d}f}" for v in values))
        else:
            parts = [lz_info(c, i, size, z) for i, c in enumerate(shown)]
        return " ".join(parts)

    def _write(self, text: str) -> None:
        if text:
            self.gtp.out.write(text + "\n")
            self.gtp.out.flush()

    def _stream(self, args: list[str], kata: bool) -> Streamed:
        request = parse_analyze_args(args)
        position = self._position(request.colour)
        self.gtp.begin_stream()
        interval = request.interval_cs / 100.0
        step = self.config.step_s
        searching = True
        over = position.is_game_over()  # two passes: nothing to search
        next_report = time.perf_counter() + interval
        try:
            while not self.gtp.input_pending():
                if not searching:
                    time.sleep(0.01)
                    continue
                now = time.perf_counter()
                budget = min(step, next_report - now) if interval > 0 else step
                decision = self.search(position, max(0.001, budget))
                searching = isinstance(self.player, Analyser) and not over \
                    and decision.visits < self.config.max_visits
                # A search with nothing to show yet (the root just expanded) goes on.
                shown = decision.candidates or not searching
                if interval > 0 and shown and (time.perf_counter() >= next_report
                                               or not searching):
                    self._write(self._line(decision, position, request, kata))
                    next_report = time.perf_counter() + interval
        except Exception as exc:  # noqa: BLE001 - the response is open: close it, say why
            print(f"rocks: analysis stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        return Streamed("")

    def _genmove_stream(self, args: list[str], kata: bool) -> Streamed:
        if not args:
            raise GtpError("syntax error: usage: lz-genmove_analyze color [interval]")
        request = parse_analyze_args(args)
        if request.colour is None:
            raise GtpError(f"syntax error: expected a colour (black or white), got {args[0]!r}")
        position = self._position(request.colour)
        engine = self.gtp.engine
        self.gtp.begin_stream()

        def report(decision: Decision) -> None:
            self._write(self._line(decision, position, request, kata))

        real = engine.player
        engine.player = _ReportingPlayer(self, report, request.interval_cs / 100.0)
        try:
            decision = engine.genmove(request.colour)
        except Exception as exc:  # noqa: BLE001 - the response is open: close it, say why
            print(f"rocks: genmove failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return Streamed("")
        finally:
            engine.player = real
        move = "resign" if decision.resign else coords.to_gtp(decision.move, position.size)
        return Streamed(f"play {move}\n")

    @gtp_name("lz-analyze")
    def cmd_lz_analyze(self, args: list[str]) -> str:
        return self._stream(args, kata=False)

    @gtp_name("kata-analyze")
    def cmd_kata_analyze(self, args: list[str]) -> str:
        return self._stream(args, kata=True)

    @gtp_name("lz-genmove_analyze")
    def cmd_lz_genmove_analyze(self, args: list[str]) -> str:
        return self._genmove_stream(args, kata=False)

    @gtp_name("kata-genmove_analyze")
    def cmd_kata_genmove_analyze(self, args: list[str]) -> str:
        return self._genmove_stream(args, kata=True)
