"""`rocks analysis` speaks KataGo's JSON analysis protocol (docs/Analysis_Engine.md in KataGo).

The in-process tests drive :class:`AnalysisServer` with a fake network (uniform priors, value 0,
a score that tells positions apart) so that every field and error case is cheap to check; the
subprocess test is a client written from the protocol's documentation, as KaTrain drives an
``altcommand`` engine: a writer, a reader thread, responses matched by id.
"""

from __future__ import annotations

import io
import json
import queue
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from rocks.play.analysis_engine import PROTOCOL_VERSION, AnalysisServer
from rocks.play.analyst import Analyst
from rocks.search.contracts import Evaluation


def fake_net(delay_s: float = 0.0):
    """Uniform priors, value 0, ownership 0.25 for the mover, score = 0.5 x move number for
    the mover (so a move's scoreLead is checkable)."""
    def evaluate(positions):
        if delay_s:
            time.sleep(delay_s)
        n = positions[0].size ** 2
        b = len(positions)
        return Evaluation(np.full((b, n + 1), 1.0 / (n + 1), np.float32),
                          np.zeros(b, np.float32), np.full((b, n), 0.25, np.float32),
                          np.array([0.5 * p.move_number for p in positions], np.float32))
    return evaluate


class Lines(io.StringIO):
    """An output stream whose lines can be awaited."""

    def __init__(self) -> None:
        super().__init__()
        self.q: queue.Queue[dict] = queue.Queue()

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.q.put(json.loads(line))
        return len(text)

    def next(self, timeout: float = 20.0) -> dict:
        return self.q.get(timeout=timeout)

    def until(self, pred, timeout: float = 20.0) -> dict:
        deadline = time.time() + timeout
        while True:
            msg = self.next(max(0.01, deadline - time.time()))
            if pred(msg):
                return msg


def server(workers: int = 1, delay_s: float = 0.0) -> tuple[AnalysisServer, Lines]:
    out = Lines()
    return AnalysisServer(Analyst(fake_net(delay_s), seed=1), out, workers,
                          default_visits=8), out


def query(**fields) -> str:
    base = {"id": "q", "moves": [["B", "E5"], ["W", "C3"]], "rules": "chinese", "komi": 7.5,
            "boardXSize": 9, "boardYSize": 9}
    base.update(fields)
    return json.dumps(base)


def test_a_query_reports_every_documented_field():
    s, out = server()
    s.handle_line(query(analyzeTurns=[2], maxVisits=20, includeOwnership=True,
                        includePolicy=True, includeMovesOwnership=True))
    r = out.next()
    s.close()
    assert (r["id"], r["turnNumber"], r["isDuringSearch"]) == ("q", 2, False)
    assert {"winrate", "scoreLead", "utility", "visits", "lcb", "currentPlayer",
            "thisHash"} <= set(r["rootInfo"])
    assert r["rootInfo"]["visits"] == 20 and r["rootInfo"]["currentPlayer"] == "B"
    info = r["moveInfos"][0]
    for key in ("move", "visits", "winrate", "scoreLead", "scoreMean", "prior", "lcb", "order",
                "pv", "utility", "utilityLcb", "ownership"):
        assert key in info, key
    assert [m["order"] for m in r["moveInfos"]] == list(range(len(r["moveInfos"])))
    assert info["pv"][0] == info["move"] and 0 <= info["winrate"] <= 1
    # Black to move at turn 2; after Black's move White (mover, move 3) leads by 1.5 by the
    # fake net, so Black's scoreLead (Black's view, KaTrain's default) is -1.5.
    assert info["scoreLead"] == pytest.approx(-1.5)
    assert len(r["ownership"]) == 81 and r["ownership"][0] == pytest.approx(0.25)
    assert len(info["ownership"]) == 81
    policy = r["policy"]
    assert len(policy) == 82 and policy[coords_index("E5")] == -1  # occupied: illegal
    assert sum(p for p in policy if p > 0) == pytest.approx(1.0, abs=1e-4)


def coords_index(vertex: str) -> int:
    from rocks.go import coords

    return coords.from_gtp(vertex, 9)


def test_perspective_follows_report_analysis_winrates_as():
    s, out = server()
    # Turn 1: White to move; White's scoreLead after its move is -(Black's 1.0) = -1.0.
    s.handle_line(query(id="w", analyzeTurns=[1],
                        overrideSettings={"reportAnalysisWinratesAs": "SIDETOMOVE"}))
    side = out.next()
    s.handle_line(query(id="b", analyzeTurns=[1]))
    black = out.next()
    s.close()
    assert side["moveInfos"][0]["scoreLead"] == pytest.approx(-1.0)
    assert black["moveInfos"][0]["scoreLead"] == pytest.approx(1.0)


def test_analyze_turns_priority_and_avoid_moves():
    s, out = server(workers=1, delay_s=0.002)
    s.handle_line(query(id="slow", maxVisits=400, reportDuringSearchEvery=0.02))
    out.until(lambda m: m["isDuringSearch"])  # "slow" occupies the one worker
    s.handle_line(query(id="low", priority=0, maxVisits=4))
    s.handle_line(query(id="high", priority=5, maxVisits=4, analyzeTurns=[0, 1, 2],
                        avoidMoves=[{"player": "B", "moves": ["A1", "B1"], "untilDepth": 1}],
                        allowMoves=[]))
    s.close()
    got = [m["id"] for m in list(out.q.queue) if not m["isDuringSearch"]]
    assert got[0] == "slow" and got[1:4] == ["high"] * 3 and got[4] == "low"


def test_avoid_moves_are_never_searched():
    s, out = server()
    s.handle_line(query(analyzeTurns=[0], maxVisits=120, avoidMoves=[
        {"player": "B", "moves": ["A1", "A9", "J1", "J9", "pass"], "untilDepth": 1}]))
    r = out.next()
    s.close()
    moves = {m["move"] for m in r["moveInfos"]}
    assert r["rootInfo"]["visits"] == 120 and not moves & {"A1", "A9", "J1", "J9", "pass"}


def test_reports_during_search_then_exactly_one_final():
    s, out = server(delay_s=0.005)
    s.handle_line(query(maxVisits=600, reportDuringSearchEvery=0.05))
    msgs = [out.next()]
    while msgs[-1]["isDuringSearch"]:
        msgs.append(out.next())
    s.close()
    assert len(msgs) >= 2 and all(m["isDuringSearch"] for m in msgs[:-1])
    assert msgs[-1]["rootInfo"]["visits"] == 600


@pytest.mark.parametrize("bad, field", [
    ({"boardXSize": 9, "boardYSize": 13}, "boardYSize"),
    ({"boardXSize": 40, "boardYSize": 40}, "boardXSize"),
    ({"boardXSize": None}, "boardXSize"),
    ({"moves": [["B", "Z99"]]}, "moves"),
    ({"moves": [["X", "E5"]]}, "moves"),
    ({"moves": None}, "moves"),
    ({"moves": [["B", "E5"], ["W", "E5"]]}, "moves"),
    ({"initialStones": [["B", "E5"], ["W", "E5"]]}, "initialStones"),
    ({"initialPlayer": "red"}, "initialPlayer"),
    ({"rules": None}, "rules"),
    ({"rules": "go-moku"}, "rules"),
    ({"komi": "seven"}, "komi"),
    ({"analyzeTurns": [3]}, "analyzeTurns"),
    ({"maxVisits": 0}, "maxVisits"),
    ({"includeOwnership": "yes"}, "includeOwnership"),
    ({"avoidMoves": "A1"}, "avoidMoves"),
    ({"priority": 1.5}, "priority"),
    ({"overrideSettings": {"reportAnalysisWinratesAs": "RED"}}, "overrideSettings"),
    ({"overrideSettings": {"maxTime": -1}}, "maxTime"),
    ({"reportDuringSearchEvery": 0}, "reportDuringSearchEvery"),
])
def test_a_malformed_query_gets_an_error_and_the_engine_serves_on(bad, field):
    s, out = server()
    s.handle_line(query(id="bad", **bad))
    err = out.next()
    s.handle_line(query(id="good", maxVisits=2))
    ok = out.next()
    s.close()
    assert err["id"] == "bad" and err["field"] == field and err["error"]
    assert ok["id"] == "good" and not ok["isDuringSearch"]


def test_errors_without_a_query_and_warnings_for_ignored_fields():
    s, out = server()
    s.handle_line("{not json")
    s.handle_line('["a list"]')
    s.handle_line('{"moves": []}')
    s.handle_line('{"id": "x", "action": "fly"}')
    s.handle_line(query(id="w", rules="japanese", includePVVisits=True, shiny=1,
                        overrideSettings={"wideRootNoise": 0.04, "maxTime": 5,
                                          "cpuctExploration": 2}, maxVisits=2))
    msgs = [out.next() for _ in range(9)]
    s.close()
    assert "could not parse json" in msgs[0]["error"] and "id" not in msgs[0]
    assert "error" in msgs[1] and msgs[2]["field"] == "id"
    assert msgs[3] == {"id": "x", "error": "unknown action 'fly'", "field": "action"}
    warned = {m["field"] for m in msgs[4:8]}
    assert warned == {"shiny", "rules", "includePVVisits", "overrideSettings"}
    assert msgs[8]["id"] == "w" and msgs[8]["rootInfo"]["visits"] == 2


def test_max_visits_above_the_cap_are_capped_with_a_warning():
    out = Lines()
    s = AnalysisServer(Analyst(fake_net(), seed=1), out, 1, default_visits=8, max_visits=12)
    s.handle_line(query(maxVisits=10_000_000))
    warning, result = out.next(), out.next()
    s.close()
    assert warning["field"] == "maxVisits" and "capped at 12" in warning["warning"]
    assert result["rootInfo"]["visits"] == 12


def test_query_version_and_clear_cache_echo_the_query():
    s, out = server()
    s.handle_line('{"id":"v","action":"query_version"}')
    s.handle_line('{"id":"c","action":"clear_cache"}')
    v, c = out.next(), out.next()
    s.close()
    assert v["version"] == PROTOCOL_VERSION and v["action"] == "query_version" and v["id"] == "v"
    assert c == {"id": "c", "action": "clear_cache"}


def test_terminate_stops_a_running_query_which_reports_what_it_found():
    s, out = server(workers=1, delay_s=0.003)
    s.handle_line(query(id="long", maxVisits=90_000, reportDuringSearchEvery=0.05))
    out.until(lambda m: m["id"] == "long" and m["isDuringSearch"])  # it is running
    s.handle_line('{"id":"t","action":"terminate","terminateId":"long"}')
    start = time.time()
    ack = out.next()
    final = out.until(lambda m: m["id"] == "long" and not m["isDuringSearch"])
    s.close()
    assert ack == {"id": "t", "action": "terminate", "terminateId": "long"}
    assert time.time() - start < 5 and 0 < final["rootInfo"]["visits"] < 90_000
    assert final["moveInfos"]


def test_terminate_acknowledges_and_drops_waiting_turns_with_no_results():
    s, out = server(workers=1, delay_s=0.003)
    s.handle_line(query(id="long", maxVisits=90_000))
    s.handle_line(query(id="waiting", analyzeTurns=[0, 1]))
    deadline = time.time() + 20
    while not s._running and time.time() < deadline:  # "long" occupies the one worker
        time.sleep(0.01)
    s.handle_line('{"id":"t1","action":"terminate","terminateId":"waiting","turnNumbers":[1]}')
    msgs = [out.next() for _ in range(2)]
    s.terminate("long", None)
    rest = []
    s.close()
    while not out.q.empty():
        rest.append(out.q.get())
    assert {"id": "t1", "action": "terminate", "terminateId": "waiting",
            "turnNumbers": [1]} in msgs
    assert {"id": "waiting", "isDuringSearch": False, "turnNumber": 1, "noResults": True} in msgs
    finals = [m for m in rest if not m.get("isDuringSearch", True)]
    assert {(m["id"], m["turnNumber"]) for m in finals} == {("long", 2), ("waiting", 0)}


def test_a_hundred_queries_in_flight_each_answered_once():
    s, out = server(workers=2)
    for i in range(100):
        s.handle_line(query(id=f"q{i}", maxVisits=3, priority=i % 3))
    s.close()
    answers = []
    while not out.q.empty():
        answers.append(out.q.get())
    assert sorted(a["id"] for a in answers) == sorted(f"q{i}" for i in range(100))
    assert all(not a["isDuringSearch"] and a["rootInfo"]["visits"] == 3 for a in answers)


# ------------------------------------------------------------------ over pipes, as KaTrain
class Client:
    """A client written from the protocol's documentation: queries by id over stdin, a reader
    thread, responses collected per id (KaTrain's engine client works this way)."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.responses: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.responses.put(json.loads(line))

    def send(self, obj: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def wait(self, pred, timeout: float = 60.0) -> dict:
        deadline = time.time() + timeout
        while True:
            msg = self.responses.get(timeout=max(0.01, deadline - time.time()))
            if pred(msg):
                return msg

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)


def test_rocks_analysis_over_pipes_answers_katrain_style_queries():
    client = Client([sys.executable, "-m", "rocks.cli", "analysis", "--model", "none",
                     "--visits", "4", "--seed", "1"])
    try:
        client.send({"id": "v", "action": "query_version"})
        assert client.wait(lambda m: m["id"] == "v")["version"] == PROTOCOL_VERSION
        # The query KaTrain sends (katrain/core/engine.py, request_analysis), field for field.
        client.send({"id": "QUERY:1", "rules": "chinese", "priority": 0, "analyzeTurns": [3],
                     "maxVisits": 6, "komi": 6.5, "boardXSize": 9, "boardYSize": 9,
                     "includeOwnership": True, "includeMovesOwnership": True,
                     "includePolicy": True, "initialStones": [["B", "C3"]],
                     "initialPlayer": "W", "moves": [["W", "E5"], ["B", "G7"], ["W", "C7"]],
                     "overrideSettings": {"reportAnalysisWinratesAs": "BLACK",
                                          "wideRootNoise": 0.04, "maxTime": 8.0}})
        r = client.wait(lambda m: m["id"] == "QUERY:1" and "moveInfos" in m)
        assert r["turnNumber"] == 3 and r["rootInfo"]["visits"] == 6
        assert len(r["policy"]) == 82 and len(r["ownership"]) == 81
        client.send({"id": "long", "moves": [], "rules": "tromp-taylor", "boardXSize": 9,
                     "boardYSize": 9, "maxVisits": 10**6, "reportDuringSearchEvery": 0.2})
        client.wait(lambda m: m["id"] == "long" and m.get("isDuringSearch"))
        client.send({"id": "t", "action": "terminate", "terminateId": "long"})
        final = client.wait(lambda m: m["id"] == "long" and m.get("isDuringSearch") is False)
        assert final["rootInfo"]["visits"] < 10**6
    finally:
        assert client.close() == 0
