"""KataGo's JSON analysis-engine protocol on stdin/stdout: ``rocks analysis``.

Follows KataGo's documented format (docs/Analysis_Engine.md in lightvector/KataGo), which
KaTrain, and other review tools, drive through a custom engine command.  One JSON query per
input line::

    {"id":"q1","moves":[["B","E5"],["W","C3"]],"rules":"chinese","komi":7.5,
     "boardXSize":9,"boardYSize":9,"analyzeTurns":[1,2],"maxVisits":200}

and one JSON response per line and analysed turn (``moveInfos``, ``rootInfo``, ``ownership``,
``policy``, ``isDuringSearch``, ``turnNumber``), in whatever order the searches finish.  Actions:
``query_version``, ``terminate`` (``terminateId``, optional ``turnNumbers``: waiting turns end
with ``noResults``, running ones report what they found), ``clear_cache`` (acknowledged).  A
malformed query gets ``{"id":…, "error":…, "field":…}``; a field it ignores a ``warning``;
the engine keeps serving.  At the end of its input the engine finishes every query, then exits.

Departures, numbered:
  1. Values are reported from Black's view unless ``overrideSettings.reportAnalysisWinratesAs``
     says ``WHITE`` or ``SIDETOMOVE`` (KataGo reads the default from its config file; KaTrain
     always asks for BLACK).
  2. Rules are Tromp-Taylor-style area scoring with positional superko; territory rule sets
     (japanese, korean) are scored by area, with a warning; a rules object is read for its
     ``suicide`` and ``ko`` only.  Boards are square, 2..25.
  3. ``avoidMoves``/``allowMoves`` forbid moves at the root only (any ``untilDepth``), and
     ``wideRootNoise`` w is a root policy temperature 1 + 10 w (KataGo perturbs root
     utilities instead); both as :mod:`rocks.play.analyst` departure 2.
  4. ``scoreLead``, ``scoreMean`` and ``scoreSelfplay`` are the same number
     (:mod:`rocks.play.analyst` departure 1); ``scoreStdev`` is not reported; ``utility`` is
     2 winrate - 1 (the search's value, no score term); ``lcb`` is the normal bound of
     :func:`rocks.stats.normal_lcb`.
  5. ``includePVVisits`` and other unknown fields are ignored with a warning.
  6. ``maxVisits`` is capped (``--max-visits``, 100,000 by default), with a warning: a search
     tree's memory grows with its visits, and KaTrain ponders with 10,000,000.
"""

from __future__ import annotations

import heapq
import itertools
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import IO, Any

import numpy as np

from rocks import __version__
from rocks.go import coords
from rocks.go.board import BLACK, WHITE, IllegalMove, Position, Rules
from rocks.play.analyst import Analysis, Analyst
from rocks.stats import normal_lcb

#: The KataGo analysis-protocol version whose fields this engine reports.
PROTOCOL_VERSION = "1.16.0"

_QUERY_FIELDS = {"id", "moves", "initialStones", "initialPlayer", "rules", "komi",
                 "whiteHandicapBonus", "boardXSize", "boardYSize", "analyzeTurns", "maxVisits",
                 "includeOwnership", "includeMovesOwnership", "includePolicy", "avoidMoves",
                 "allowMoves", "overrideSettings", "priority", "priorities",
                 "reportDuringSearchEvery", "rootPolicyTemperature", "rootFpuReductionMax",
                 "includePVVisits"}
_OVERRIDES = {"maxTime", "reportAnalysisWinratesAs", "wideRootNoise", "maxVisits"}
_AREA_RULES = {"chinese", "tromp-taylor", "aga", "new-zealand", "nz", "stone-scoring",
               "chinese-ogs", "chinese-kgs", "aga-button", "bga", "tt"}
_TERRITORY_RULES = {"japanese", "korean"}


class QueryError(ValueError):
    """A query the engine refuses; ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Task:
    """One turn of one query, waiting for (or under) analysis."""

    query_id: str
    turn: int
    position: Position
    max_visits: int
    max_time_s: float | None = None
    report_every_s: float | None = None
    perspective: str = "BLACK"
    include_ownership: bool = False
    include_moves_ownership: bool = False
    include_policy: bool = False
    avoid: frozenset[int] = frozenset()
    root_temperature: float = 1.0
    priority: int = 0
    stop: threading.Event = field(default_factory=threading.Event, compare=False)


# ------------------------------------------------------------------------------ parsing
def parse_query(query: dict[str, Any], default_visits: int, max_visits: int = 100_000
                ) -> tuple[list[Task], list[tuple[str, str]]]:
    """The tasks of an analysis query, and (field, message) warnings; QueryError if it is
    malformed.  ``maxVisits`` above ``max_visits`` is capped (departure 6)."""
    warnings: list[tuple[str, str]] = []
    qid = query["id"]
    for key in query:
        if key not in _QUERY_FIELDS:
            warnings.append((key, f"unknown field {key!r} ignored"))
    x, y = query.get("boardXSize"), query.get("boardYSize")
    for name, v in (("boardXSize", x), ("boardYSize", y)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise QueryError(f"{name} must be an integer (required)", name)
    if x != y:
        raise QueryError(f"only square boards are supported, got {x}x{y}", "boardYSize")
    try:
        coords.check_size(x)
    except ValueError as exc:
        raise QueryError(str(exc), "boardXSize") from None
    size = int(x)
    rules = _rules(query.get("rules"), warnings)
    komi = query.get("komi", 7.5)
    if not isinstance(komi, (int, float)) or isinstance(komi, bool) or abs(komi) > 150:
        raise QueryError(f"komi must be a number, got {komi!r}", "komi")
    if "whiteHandicapBonus" in query:
        warnings.append(("whiteHandicapBonus", "ignored: handicap stones are not compensated"))
    if "includePVVisits" in query:
        warnings.append(("includePVVisits", "ignored: pvVisits are not reported"))
    if "rootFpuReductionMax" in query:
        warnings.append(("rootFpuReductionMax", "ignored"))
    stones = _moves(query.get("initialStones", []), size, "initialStones")
    moves = _moves(query.get("moves"), size, "moves", required=True)
    first = query.get("initialPlayer")
    if first is None:
        to_play = moves[0][0] if moves else BLACK
    else:
        to_play = _colour(first, "initialPlayer")
    try:
        start = Position.setup(size, float(komi), rules,
                               [p for c, p in stones if c == BLACK],
                               [p for c, p in stones if c == WHITE], to_play)
    except (IllegalMove, ValueError) as exc:
        raise QueryError(f"bad initialStones: {exc}", "initialStones") from None
    positions = [start]
    for i, (colour, move) in enumerate(moves):
        pos = positions[-1]
        if colour != pos.to_play:  # out of turn: that colour plays, as KataGo allows
            pos = replace(pos, to_play=colour, ko=None, _legal_cache={})
        try:
            positions.append(pos.play(move))
        except IllegalMove as exc:
            raise QueryError(f"Illegal move {i + 1}: {coords.to_gtp(move, size)}: {exc}",
                             "moves") from None
    turns = query.get("analyzeTurns", [len(moves)])
    if not isinstance(turns, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) and 0 <= t <= len(moves)
            for t in turns):
        raise QueryError(f"analyzeTurns must be a list of turns in 0..{len(moves)}",
                         "analyzeTurns")
    settings = query.get("overrideSettings", {})
    if not isinstance(settings, dict):
        raise QueryError("overrideSettings must be an object", "overrideSettings")
    for key in settings:
        if key not in _OVERRIDES:
            warnings.append(("overrideSettings", f"setting {key!r} ignored"))
    visits = query.get("maxVisits", settings.get("maxVisits", default_visits))
    if not isinstance(visits, int) or isinstance(visits, bool) or visits < 1:
        raise QueryError(f"maxVisits must be a positive integer, got {visits!r}", "maxVisits")
    if visits > max_visits:
        warnings.append(("maxVisits", f"capped at {max_visits} (a tree's memory grows with its "
                                      "visits)"))
        visits = max_visits
    max_time = _number(settings.get("maxTime"), "maxTime", positive=True)
    every = _number(query.get("reportDuringSearchEvery"), "reportDuringSearchEvery",
                    positive=True)
    perspective = str(settings.get("reportAnalysisWinratesAs", "BLACK")).upper()
    if perspective not in ("BLACK", "WHITE", "SIDETOMOVE"):
        raise QueryError(f"reportAnalysisWinratesAs must be BLACK, WHITE or SIDETOMOVE, got "
                         f"{perspective!r}", "overrideSettings")
    noise = _number(settings.get("wideRootNoise"), "wideRootNoise") or 0.0
    temperature = _number(query.get("rootPolicyTemperature"), "rootPolicyTemperature",
                          positive=True) or 1.0
    temperature *= 1.0 + 10.0 * max(0.0, noise)  # departure 3
    priorities = query.get("priorities")
    if priorities is not None and (
            not isinstance(priorities, list) or len(priorities) != len(turns)
            or not all(isinstance(p, int) for p in priorities)):
        raise QueryError("priorities must be integers, one per analyzeTurns entry",
                         "priorities")
    priority = query.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise QueryError(f"priority must be an integer, got {priority!r}", "priority")
    flags = {}
    for name in ("includeOwnership", "includeMovesOwnership", "includePolicy"):
        value = query.get(name, False)
        if not isinstance(value, bool):
            raise QueryError(f"{name} must be true or false", name)
        flags[name] = value
    tasks = []
    for k, turn in enumerate(turns):
        pos = positions[turn]
        tasks.append(Task(
            qid, turn, pos, visits, max_time, every, perspective, flags["includeOwnership"],
            flags["includeMovesOwnership"], flags["includePolicy"],
            _forbidden(query, pos, warnings), temperature,
            priorities[k] if priorities is not None else priority))
    return tasks, warnings


def _number(value: Any, name: str, positive: bool = False) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or \
            (positive and not value > 0):
        raise QueryError(f"{name} must be a {'positive ' if positive else ''}number, got "
                         f"{value!r}", name)
    return float(value)


def _colour(text: Any, name: str) -> int:
    if isinstance(text, str) and text.upper() in ("B", "BLACK"):
        return BLACK
    if isinstance(text, str) and text.upper() in ("W", "WHITE"):
        return WHITE
    raise QueryError(f"{name}: player must be \"B\" or \"W\", got {text!r}", name)


def _moves(value: Any, size: int, name: str, required: bool = False) -> list[tuple[int, int]]:
    if value is None and required:
        raise QueryError(f"{name} is required (a list of [player, move] pairs)", name)
    if not isinstance(value, list):
        raise QueryError(f"{name} must be a list of [player, move] pairs", name)
    out = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], str):
            raise QueryError(f"{name}: {item!r} is not a [player, move] pair", name)
        try:
            move = coords.from_gtp(item[1], size)
        except ValueError as exc:
            raise QueryError(f"{name}: {exc}", name) from None
        out.append((_colour(item[0], name), move))
    return out


def _rules(value: Any, warnings: list[tuple[str, str]]) -> Rules:
    if value is None:
        raise QueryError("rules is required (e.g. \"chinese\" or \"tromp-taylor\")", "rules")
    if isinstance(value, dict):  # KataGo's rules object: only what rocks' rules can say
        ko = str(value.get("ko", "POSITIONAL")).upper()
        warnings.append(("rules", "scored by area; only 'suicide' and 'ko' are read"))
        return Rules(suicide=bool(value.get("suicide", False)),
                     superko="none" if ko == "SIMPLE" else "positional")
    if not isinstance(value, str):
        raise QueryError(f"rules must be a name or an object, got {value!r}", "rules")
    name = value.strip().lower().replace("_", "-")
    if name in _TERRITORY_RULES:
        warnings.append(("rules", f"{value!r} is scored by area here (no territory scoring)"))
        return Rules()
    if name not in _AREA_RULES:
        raise QueryError(f"unknown rules {value!r} (known: chinese, tromp-taylor, japanese, "
                         "korean, aga, new-zealand)", "rules")
    return Rules(suicide=name in ("tromp-taylor", "new-zealand", "nz", "tt"))


def _forbidden(query: dict[str, Any], pos: Position, warnings: list[tuple[str, str]]
               ) -> frozenset[int]:
    """The root moves ``avoidMoves``/``allowMoves`` forbid to ``pos``'s mover (departure 3)."""
    out: set[int] = set()
    n = pos.size * pos.size + 1
    for name in ("avoidMoves", "allowMoves"):
        specs = query.get(name, [])
        if not isinstance(specs, list) or not all(isinstance(d, dict) for d in specs):
            raise QueryError(f"{name} must be a list of objects", name)
        if name == "allowMoves" and len(specs) > 1:
            raise QueryError("allowMoves takes one object", name)
        for spec in specs:
            mover = _colour(spec.get("player"), name)
            listed = {m for _, m in _moves([["B", v] for v in spec.get("moves", [])],
                                           pos.size, name)}
            depth = spec.get("untilDepth", 1)
            if not isinstance(depth, int) or depth < 1:
                raise QueryError("untilDepth must be a positive integer", name)
            if depth > 1:
                warnings.append((name, "moves are forbidden at the root only"))
            if mover != pos.to_play:
                continue
            out |= listed if name == "avoidMoves" else set(range(n)) - listed
    return frozenset(out)


# ------------------------------------------------------------------------------ responses
def response(task: Task, analysis: Analysis, during: bool) -> dict[str, Any]:
    """The JSON response of ``analysis`` (departures 1 and 4)."""
    pos, size = analysis.position, analysis.position.size
    sign = 1.0 if task.perspective == "SIDETOMOVE" else \
        float(pos.to_play * (1 if task.perspective == "BLACK" else -1))

    def values(winrate: float, lead: float, visits: int) -> dict[str, Any]:
        w = winrate if sign > 0 else 1.0 - winrate
        s = lead * sign
        low = normal_lcb(w, visits)
        return {"winrate": w, "scoreLead": s, "scoreMean": s, "scoreSelfplay": s,
                "utility": 2.0 * w - 1.0, "lcb": low, "utilityLcb": 2.0 * low - 1.0,
                "visits": visits}

    infos = []
    for order, m in enumerate(analysis.moves):
        info = {"move": coords.to_gtp(m.move, size), "order": order, "prior": m.prior,
                "pv": [coords.to_gtp(v, size) for v in m.pv],
                **values(m.winrate, m.score_lead, m.visits)}
        if task.include_moves_ownership and m.ownership is not None:
            info["ownership"] = _rounded(m.ownership * sign)
        infos.append(info)
    root = values(analysis.winrate, analysis.score_lead, analysis.visits)
    root["currentPlayer"] = "B" if pos.to_play == BLACK else "W"
    root["thisHash"] = f"{pos.hash & (2**64 - 1):016X}{pos.to_play & 0xF:X}{pos.ko or 0:X}"
    out: dict[str, Any] = {"id": task.query_id, "isDuringSearch": during,
                           "turnNumber": task.turn, "moveInfos": infos, "rootInfo": root}
    if task.include_ownership:
        own = analysis.ownership if analysis.ownership is not None else \
            pos.ownership() * pos.to_play
        out["ownership"] = _rounded(np.asarray(own) * sign)
    if task.include_policy:
        out["policy"] = _rounded(analysis.policy)
    return out


def _rounded(values: np.ndarray) -> list[float]:
    arr = np.asarray(values, np.float64)
    return [round(float(v), 6) for v in arr]


# ------------------------------------------------------------------------------ server
class AnalysisServer:
    """Reads queries (:meth:`handle_line`), searches them on ``workers`` threads by priority,
    writes responses to ``out`` (one JSON per line, under a lock).

    Args:
        analyst: searches positions (shared by the workers; each search has its own tree).
        out: where responses go.
        workers: queries searched at once.
        default_visits: maxVisits of a query that names none.
        max_visits: the most visits one position is searched (departure 6).
    """

    def __init__(self, analyst: Analyst, out: IO[str], workers: int = 1,
                 default_visits: int = 100, max_visits: int = 100_000) -> None:
        self.analyst = analyst
        self.out = out
        self.default_visits = default_visits
        self.max_visits = max_visits
        self._lock = threading.Lock()  # queue, running set and output
        self._ready = threading.Condition(self._lock)
        self._queue: list[tuple[int, int, Task]] = []
        self._running: list[Task] = []
        self._order = itertools.count()
        self._closing = False
        self._threads = [threading.Thread(target=self._work, daemon=True,
                                          name=f"rocks-analysis-{i}") for i in range(workers)]
        for t in self._threads:
            t.start()

    # ---------------------------------------------------------------- input
    def handle_line(self, line: str) -> None:
        """One input line: an analysis query or an action."""
        if not line.strip():
            return
        try:
            query = json.loads(line)
        except json.JSONDecodeError as exc:
            self.write({"error": f"could not parse json: {exc}"})
            return
        if not isinstance(query, dict):
            self.write({"error": "a query must be a JSON object"})
            return
        qid = query.get("id")
        if not isinstance(qid, str):
            self.write({"error": "id must be a string (required)", "field": "id",
                        **({"id": qid} if qid is not None else {})})
            return
        action = query.get("action")
        if action is not None:
            self._action(query, action)
            return
        try:
            tasks, warnings = parse_query(query, self.default_visits, self.max_visits)
        except QueryError as exc:
            self.write({"id": qid, "error": str(exc), **({"field": exc.field} if exc.field
                                                          else {})})
            return
        for name, message in warnings:
            self.write({"id": qid, "warning": message, "field": name})
        with self._lock:
            for task in tasks:
                heapq.heappush(self._queue, (-task.priority, next(self._order), task))
            self._ready.notify_all()

    def _action(self, query: dict[str, Any], action: Any) -> None:
        if action == "query_version":
            self.write({**query, "version": PROTOCOL_VERSION, "git_hash": "<omitted>",
                        "rocks_version": __version__})
        elif action == "clear_cache":  # each query has a fresh tree: nothing is cached
            self.write(dict(query))
        elif action == "terminate":
            target = query.get("terminateId")
            turns = query.get("turnNumbers")
            if not isinstance(target, str):
                self.write({"id": query["id"], "error": "terminateId must be a string",
                            "field": "terminateId"})
                return
            if turns is not None and not (isinstance(turns, list)
                                          and all(isinstance(t, int) for t in turns)):
                self.write({"id": query["id"], "error": "turnNumbers must be integers",
                            "field": "turnNumbers"})
                return
            self.write(dict(query))
            self.terminate(target, turns)
        elif action == "terminate_all":
            self.write(dict(query))
            self.terminate(None, None)
        else:
            self.write({"id": query["id"], "error": f"unknown action {action!r}",
                        "field": "action"})

    def terminate(self, query_id: str | None, turns: list[int] | None) -> None:
        """Waiting tasks of ``query_id`` (None: all) end with ``noResults``; running ones stop
        and report what they found."""
        def hit(t: Task) -> bool:
            return (query_id is None or t.query_id == query_id) and \
                (turns is None or t.turn in turns)

        with self._lock:
            dropped = [t for _, _, t in self._queue if hit(t)]
            self._queue = [e for e in self._queue if not hit(e[2])]
            heapq.heapify(self._queue)
            for t in self._running:
                if hit(t):
                    t.stop.set()
        for t in dropped:
            self.write({"id": t.query_id, "isDuringSearch": False, "turnNumber": t.turn,
                        "noResults": True})

    # ---------------------------------------------------------------- work
    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._ready.wait()
                if not self._queue:
                    return
                task = heapq.heappop(self._queue)[2]
                self._running.append(task)
            try:
                self._run(task)
            except Exception as exc:  # noqa: BLE001 - one query fails, the engine serves on
                self.write({"id": task.query_id, "turnNumber": task.turn,
                            "error": f"analysis failed: {type(exc).__name__}: {exc}"})
            finally:
                with self._lock:
                    self._running.remove(task)
                    self._ready.notify_all()

    def _run(self, task: Task) -> None:
        def report(partial: Analysis) -> None:
            self.write(response(task, partial, during=True))

        analysis = self.analyst.analyse(
            task.position, task.max_visits, task.max_time_s, task.avoid, task.root_temperature,
            task.report_every_s, report, task.stop.is_set, task.include_moves_ownership)
        if analysis is None:
            self.write({"id": task.query_id, "isDuringSearch": False, "turnNumber": task.turn,
                        "noResults": True})
        else:
            self.write(response(task, analysis, during=False))

    def write(self, obj: dict[str, Any]) -> None:
        text = json.dumps(obj, separators=(",", ":"))
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def close(self) -> None:
        """Finish every query, then stop the workers."""
        with self._lock:
            self._closing = True
            self._ready.notify_all()
        for t in self._threads:
            t.join()


def serve(analyst: Analyst, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout,
          workers: int = 1, default_visits: int = 100, max_visits: int = 100_000,
          log: Callable[[str], None] | None = None) -> None:
    """Answer queries from ``stdin`` until it ends, then finish them all."""
    server = AnalysisServer(analyst, stdout, workers, default_visits, max_visits)
    if log:
        log("rocks analysis: ready (KataGo analysis-engine JSON, one query per line)")
    try:
        for line in stdin:
            server.handle_line(line)
    finally:
        server.close()
