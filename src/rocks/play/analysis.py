"""GTP analysis commands for Go GUIs: Leela Zero's and KataGo's streams, GoGui's analyze menu,
and KGS's time settings.

Register them on a :class:`~rocks.play.gtp.GtpEngine` (``rocks gtp`` does)::

    gtp.register_handlers(AnalysisCommands(gtp, AnalysisConfig()))

Follows the formats other programs read, as their authors document them:

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
- GoGui (``gogui-analyze_commands``, "type/label/command" lines): a policy heatmap (``gfx``
  with INFLUENCE and LABEL), an ownership map (``dboard``), candidates with win rates
  (``gfx``), the principal variation (``var``) and a one-line win rate (``string``).
- ``kgs-time_settings none | absolute MAIN | canadian MAIN BYO STONES | byoyomi MAIN BYO
  PERIODS`` (kgsGtp) onto the Engine's Canadian clock.

A stream searches through the engine's player.  A player that can analyse without choosing a
move has ``analyze(position, time_budget_s) -> Decision`` (the :class:`Analyser` protocol);
otherwise ``select_move`` is called.  Calls on the same position must continue one search
(tree reuse), so each report shows the visits so far; the stream calls in slices of at most
``step_s`` seconds so it notices the next command quickly.

Departures, numbered:
  1. ``lcb`` is a normal-approximation bound w - z sqrt(w (1 - w) / N) on the win rate w of
     N visits (Leela Zero uses a Student-t bound on the variance of the evaluations, which our
     search does not keep).
  2. ``minmoves``, ``pvVisits`` and the like are accepted and ignored: only visited candidates
     (at most ``max_candidates``) are reported.  ``allow``/``avoid`` are refused, since the
     search cannot be restricted to or from moves.
  3. A stream stops searching at ``max_visits`` (a tree's memory grows with its visits) and
     then waits, silent, for the next command.  A player that does not search (the random
     player) is asked once and its move shown with 0 visits.
  4. Japanese byo-yomi maps to Canadian overtime of one stone per period, and the KGS habit of
     sending periods left in place of stones left in ``time_left`` is undone while byo-yomi is
     set, so each move in overtime may use the period time.
  5. GoGui's ownership map is the network's when it predicts ownership, else the Tromp-Taylor
     area of the board as it stands.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from rocks.go import coords
from rocks.go.board import BLACK, Position
from rocks.play.engine import EngineError
from rocks.play.gtp import (
    GtpEngine,
    GtpError,
    Streamed,
    gtp_name,
    parse_colour,
    parse_float,
    parse_int,
)
from rocks.play.players import Candidate, Decision, Player
from rocks.search.mcts import Evaluation, as_evaluation
from rocks.stats import normal_lcb

__all__ = [
    "AnalysisCommands", "AnalysisConfig", "AnalyzeRequest", "Analyser", "kata_info",
    "lcb", "lz_info", "parse_analyze_args", "parse_kgs_time",
]


@runtime_checkable
class Analyser(Protocol):
    """A player that can search a position without choosing a move (see the module docstring).

    It may also say how many new visits its ``select_move`` makes (``move_visits``, None for
    a time-only search), so that ``*-genmove_analyze`` stops where ``genmove`` would.
    """

    def analyze(self, position: Position, time_budget_s: float) -> Decision: ...


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


# ------------------------------------------------------------------------------- time
def parse_kgs_time(args: Sequence[str]) -> tuple[float, float, int, bool]:
    """``kgs-time_settings`` arguments -> (main s, byo-yomi s, stones, is Japanese byo-yomi)
    in GTP ``time_settings`` terms (departure 4)."""
    if not args:
        raise GtpError("syntax error: usage: kgs-time_settings none|absolute|canadian|byoyomi "
                       "...")
    kind = args[0].lower()
    wanted = {"none": 1, "absolute": 2, "canadian": 4, "byoyomi": 4}
    if kind not in wanted:
        raise GtpError(f"syntax error: time system must be none, absolute, canadian or "
                       f"byoyomi, got {args[0]!r}")
    if len(args) < wanted[kind]:
        usage = {"absolute": "absolute main_time", "canadian": "canadian main_time "
                 "byo_yomi_time byo_yomi_stones", "byoyomi": "byoyomi main_time "
                 "byo_yomi_time byo_yomi_periods"}[kind]
        raise GtpError(f"syntax error: usage: kgs-time_settings {usage}")
    if kind == "none":
        return 0.0, 0.0, 0, False
    main = parse_float(args[1], "main time")
    if main < 0:
        raise GtpError("syntax error: main time must not be negative")
    if kind == "absolute":
        return main, 0.0, 0, False
    byo = parse_float(args[2], "byo-yomi time")
    count = parse_int(args[3], "byo-yomi stones" if kind == "canadian" else "byo-yomi periods")
    if byo < 0 or count < 0:
        raise GtpError("syntax error: byo-yomi time and count must not be negative")
    if kind == "canadian":
        return main, byo, count, False
    if count == 0 or byo == 0:  # no periods: only the main time is left
        return main, 0.0, 0, False
    return main, byo, 1, True


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
    """The analysis and KGS commands over one :class:`~rocks.play.gtp.GtpEngine`.

    Args:
        gtp: the engine front end whose ``out``, ``input_pending`` and Engine are used.
        config: search and report settings.
        evaluate: the network (``rocks.nets`` ``evaluate(positions) -> Evaluation``) behind the
            policy and ownership maps; None looks for the player's ``evaluate``/``evaluator``.
    """

    def __init__(self, gtp: GtpEngine, config: AnalysisConfig | None = None,
                 evaluate: Callable | None = None) -> None:
        self.gtp = gtp
        self.config = config or AnalysisConfig()
        self._evaluate = evaluate
        self.japanese_byoyomi = False

    # ------------------------------------------------------------------ searching
    @property
    def player(self) -> Player:
        return self.gtp.engine.player

    def search(self, position: Position, seconds: float) -> Decision:
        """One slice of analysis (continuing the player's search of ``position``)."""
        if isinstance(self.player, Analyser):
            return self.player.analyze(position, seconds)
        return self.player.select_move(position, seconds)

    def _position(self, colour: int | None) -> Position:
        engine = self.gtp.engine
        try:
            return engine.position if colour is None else engine.position_for(colour)
        except EngineError as exc:
            raise GtpError(str(exc)) from None

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

    # ------------------------------------------------------------------ GoGui
    ANALYZE_COMMANDS = (
        ("gfx", "rocks: policy heatmap", "rocks-policy %m"),
        ("dboard", "rocks: ownership", "rocks-ownership %m"),
        ("gfx", "rocks: candidates and win rates", "rocks-candidates %m"),
        ("var", "rocks: principal variation", "rocks-pv %m"),
        ("string", "rocks: win rate", "rocks-winrate %m"),
    )

    @gtp_name("gogui-analyze_commands")
    def cmd_gogui_analyze_commands(self, args: list[str]) -> str:
        return "\n".join("/".join(entry) for entry in self.ANALYZE_COMMANDS)

    @property
    def evaluate(self) -> Callable | None:
        if self._evaluate is not None:
            return self._evaluate
        for name in ("evaluate", "evaluator"):
            fn = getattr(self.player, name, None)
            if callable(fn):
                return fn
        return None

    def _optional_colour(self, args: list[str]) -> Position:
        return self._position(parse_colour(args[0]) if args else None)

    def _network(self, position: Position) -> Evaluation | None:
        evaluate = self.evaluate
        if evaluate is None:
            return None
        return as_evaluation(evaluate([position]), 1)

    def _policy(self, position: Position) -> np.ndarray:
        ev = self._network(position)
        if ev is None:
            raise GtpError(f"the {self.player.name} player has no network "
                           "(start rocks gtp with a model)")
        priors = np.asarray(ev.priors, dtype=np.float64)[0]
        priors = np.where(position.legal_moves(), np.maximum(priors, 0.0), 0.0)
        total = priors.sum()
        return priors / total if total > 0 else priors

    @gtp_name("rocks-policy")
    def cmd_rocks_policy(self, args: list[str]) -> str:
        """gfx: the network's move probabilities as a heatmap, the top five labelled in %."""
        position = self._optional_colour(args)
        p = self._policy(position)
        size, n = position.size, position.size * position.size
        top = float(p[:n].max()) if p[:n].any() else 0.0
        lines = []
        if top > 0:
            shown = [int(m) for m in np.flatnonzero(p[:n] >= 0.01 * top)]
            lines.append("INFLUENCE " + " ".join(
                f"{coords.to_gtp(m, size)} {p[m] / top:.3f}" for m in shown))
        best = [int(m) for m in np.argsort(-p, kind="stable")[:5] if p[m] > 0]
        labels = [m for m in best if m != n]
        if labels:
            lines.append("LABEL " + " ".join(
                f"{coords.to_gtp(m, size)} {100 * p[m]:.0f}" for m in labels))
        lines.append("TEXT policy: " + ", ".join(
            f"{coords.to_gtp(m, size)} {100 * p[m]:.1f}%" for m in best))
        return "\n".join(lines)

    @gtp_name("rocks-ownership")
    def cmd_rocks_ownership(self, args: list[str]) -> str:
        """dboard: who owns each point, +1 Black and -1 White (departure 5)."""
        position = self._optional_colour(args)
        ev = self._network(position)
        if ev is not None and ev.ownership is not None:
            # rocks.nets reports ownership from the mover's side.
            own = np.asarray(ev.ownership, dtype=np.float64)[0] * position.to_play
        else:
            own = np.asarray(position.ownership(), dtype=np.float64)
        size, d = position.size, self.config.ownership_decimals
        own = np.clip(own, -1.0, 1.0).reshape(size, size)
        return "\n".join(" ".join(f"{v:.{d}f}" for v in row) for row in own)

    def _analysed(self, args: list[str]) -> tuple[Position, Decision]:
        position = self._optional_colour(args)
        return position, self.search(position, self.config.gogui_seconds)

    @gtp_name("rocks-candidates")
    def cmd_rocks_candidates(self, args: list[str]) -> str:
        """gfx: the candidates labelled with their win rates (%), shaded by visits."""
        position, decision = self._analysed(args)
        size = position.size
        shown = [c for c in candidates_of(decision) if c.move != position.pass_move]
        shown = shown[:self.config.max_candidates]
        lines = []
        most = max((c.visits for c in shown), default=0)
        if most > 0:
            lines.append("INFLUENCE " + " ".join(
                f"{coords.to_gtp(c.move, size)} {c.visits / most:.3f}" for c in shown))
        if shown and decision.candidates:
            lines.append("LABEL " + " ".join(
                f"{coords.to_gtp(c.move, size)} {100 * winrate_of(c):.0f}" for c in shown))
        lines.append("TEXT " + self._summary(position, decision))
        return "\n".join(lines)

    @gtp_name("rocks-pv")
    def cmd_rocks_pv(self, args: list[str]) -> str:
        """var: the principal variation, the side to move first."""
        position, decision = self._analysed(args)
        line = decision.pv or (decision.move,)
        return " ".join(coords.to_gtp(m, position.size) for m in line)

    @gtp_name("rocks-winrate")
    def cmd_rocks_winrate(self, args: list[str]) -> str:
        """string: the side to move's win rate, visits and principal variation on one line."""
        position, decision = self._analysed(args)
        return self._summary(position, decision)

    def _summary(self, position: Position, decision: Decision) -> str:
        side = "B" if position.to_play == BLACK else "W"
        size = position.size
        if not decision.candidates and decision.winrate is None:
            return (f"{side} to play; the {self.player.name} player reports no analysis "
                    f"(its move: {coords.to_gtp(decision.move, size)})")
        best = candidates_of(decision)[0]
        rate = decision.winrate if decision.winrate is not None else winrate_of(best)
        text = f"{side} to play: win rate {100 * rate:.1f}%"
        if decision.score_lead is not None:
            text += f", lead {decision.score_lead:+.1f}"
        line = decision.pv or best.pv or (best.move,)
        return (text + f", {decision.visits} visits, PV "
                + " ".join(coords.to_gtp(m, size) for m in line))

    # ------------------------------------------------------------------ KGS time
    @gtp_name("kgs-time_settings")
    def cmd_kgs_time_settings(self, args: list[str]) -> str:
        main, byo, stones, japanese = parse_kgs_time(args)
        try:
            self.gtp.engine.set_time(main, byo, stones)
        except EngineError as exc:
            raise GtpError(f"syntax error: {exc}") from None
        self.japanese_byoyomi = japanese
        return ""

    def cmd_time_settings(self, args: list[str]) -> str:
        """GTP ``time_settings`` (Canadian) also ends the KGS byo-yomi mapping."""
        result = self._base("time_settings")(args)
        self.japanese_byoyomi = False
        return result

    def cmd_time_left(self, args: list[str]) -> str:
        """GTP ``time_left``; in Japanese byo-yomi the KGS "stones" are periods (departure 4)."""
        if self.japanese_byoyomi and len(args) >= 3 and args[2].isdigit() and int(args[2]) > 0:
            args = [args[0], args[1], "1", *args[3:]]
        return self._base("time_left")(args)

    def _base(self, name: str) -> Callable[[list[str]], str]:
        # The standard handler this one wraps (GtpEngine's own method, whatever the registry
        # holds now).
        return getattr(self.gtp, f"cmd_{name}")
