"""Specification of the web board's JSON API (rocks.play.web.server), error cases included."""

from __future__ import annotations

import asyncio
import threading

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sgfmill import sgf as sgfmill_sgf

from rocks.go import coords
from rocks.go.board import Position
from rocks.play.decision import Decision
from rocks.play.engine import Engine, EngineConfig
from rocks.play.players import PassPlayer, RandomPlayer
from rocks.play.web.server import BackgroundServer, Strength, WebConfig, create_app
from rocks.search.contracts import Candidate


class AnalysingPlayer:
    """Plays the first legal point and reports a made-up search, like the MCTS player will."""

    name = "analyst"

    def select_move(self, position: Position, time_budget_s: float) -> Decision:
        legal = [int(p) for p in np.flatnonzero(position.legal_moves()[:-1])]
        m, reply = legal[0], legal[1]
        own = np.linspace(-1, 1, position.size ** 2).astype(np.float32)
        return Decision(move=m, winrate=0.62, pv=(m, reply), visits=30, ownership=own,
                        candidates=(Candidate(m, 20, 0.4, 0.24, (m, reply)),
                                    Candidate(reply, 10, 0.3, -0.1, (reply,))))


class BlockingPlayer:
    """Thinks until the test lets it go, so tests can look at the server meanwhile."""

    name = "blocking"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def select_move(self, position: Position, time_budget_s: float) -> Decision:
        self.started.set()
        assert self.release.wait(10.0), "the test never released the player"
        return Decision(move=position.pass_move)


def factory_for(player_maker):
    def factory(config: WebConfig, strength: Strength) -> Engine:
        return Engine(EngineConfig(), player_maker())
    return factory


@pytest.fixture
def client() -> TestClient:
    app = create_app(WebConfig(open_browser=False, max_sgf_bytes=4000),
                     factory_for(lambda: RandomPlayer(seed=7)))
    return TestClient(app)


def new(client: TestClient, **kw) -> dict:
    r = client.post("/api/games", json=kw)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_short_game_with_undo(client):
    g = new(client, size=9, komi=6.5, colour="black")
    assert g["to_play"] == "black" and not g["bot_to_move"] and g["komi"] == 6.5
    assert g["board"] == ["." * 9] * 9
    s = client.post(f"/api/games/{g['id']}/move", json={"move": "E5"}).json()
    assert s["board"][4][4] == "X" and s["bot_to_move"] and s["last_move"]["move"] == "E5"
    s = client.post(f"/api/games/{g['id']}/genmove").json()
    assert s["move_number"] == 2 and s["to_play"] == "black"
    assert s["analysis"]["colour"] == "white" and s["analysis"]["move"] == s["last_move"]["move"]
    s = client.post(f"/api/games/{g['id']}/undo").json()
    assert s["move_number"] == 0 and s["board"] == ["." * 9] * 9 and s["analysis"] is None


def test_bot_moves_first_when_the_human_takes_white_or_gives_handicap(client):
    assert new(client, colour="white")["bot_to_move"]
    h = new(client, size=13, handicap=3, colour="black")
    assert h["handicap"] == 3 and h["to_play"] == "white" and h["bot_to_move"]
    assert sum(row.count("X") for row in h["board"]) == 3


def test_analysis_is_reported_in_gtp_coordinates():
    app = create_app(WebConfig(open_browser=False), factory_for(AnalysingPlayer))
    c = TestClient(app)
    g = new(c, colour="white")
    a = c.post(f"/api/games/{g['id']}/genmove").json()["analysis"]
    assert a["move"] == "A9" and a["pv"] == ["A9", "B9"] and a["winrate"] == 0.62
    assert a["candidates"][0] == {"move": "A9", "visits": 20, "prior": 0.4, "q": 0.24,
                                  "winrate": 0.62, "pv": ["A9", "B9"]}
    assert len(a["ownership"]) == 81 and a["ownership"][0] == -1.0 and a["visits"] == 30


def test_two_passes_end_the_game_with_the_area_score():
    c = TestClient(create_app(WebConfig(open_browser=False), factory_for(PassPlayer)))
    g = new(c, komi=7.5)
    c.post(f"/api/games/{g['id']}/move", json={"move": "C3"})
    s = c.post(f"/api/games/{g['id']}/genmove").json()
    assert s["passes"] == 1 and not s["over"], "one pass does not end the game"
    s = c.post(f"/api/games/{g['id']}/move", json={"move": "pass"}).json()
    assert s["over"] and s["end_reason"] == "passes" and s["result"] == "B+73.5"
    assert s["score"] == {"black_area": 81, "white_area": 0, "komi": 7.5, "margin": 73.5,
                          "ownership": [1] * 81}
    sgf = sgfmill_sgf.Sgf_game.from_string(c.get(f"/api/games/{g['id']}/sgf").text)
    assert sgf.get_root().get("RE") == "B+73.5"
    r = c.post(f"/api/games/{g['id']}/move", json={"move": "D4"})
    assert r.status_code == 409 and "over" in r.json()["error"]


def test_resign_and_sgf_download(client):
    g = new(client)
    for v in ("C3", "D4"):
        client.post(f"/api/games/{g['id']}/move", json={"move": v})
        client.post(f"/api/games/{g['id']}/genmove")
    s = client.post(f"/api/games/{g['id']}/resign").json()
    assert s["over"] and s["result"] == "W+R" and s["end_reason"] == "resign"
    r = client.get(f"/api/games/{g['id']}/sgf")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-go-sgf")
    assert "attachment" in r.headers["content-disposition"]
    game = sgfmill_sgf.Sgf_game.from_string(r.text)
    assert game.get_size() == 9 and game.get_root().get("RE") == "W+R"
    moves = [n.get_move() for n in game.get_main_sequence()[1:]]
    assert [m[0] for m in moves] == ["b", "w", "b", "w"]
    assert moves[0][1] == (2, 2) and moves[2][1] == (3, 3)  # sgfmill rows count from the bottom
    # Undo takes the resignation back first.
    s = client.post(f"/api/games/{g['id']}/undo").json()
    assert not s["over"] and s["move_number"] == 4


def test_an_uploaded_sgf_continues_with_the_side_to_move(client):
    text = "(;GM[1]FF[4]SZ[9]KM[5.5];B[ee];W[ce];B[gc])"
    s = new(client, sgf=text)
    assert s["move_number"] == 3 and s["human"] == "white" and not s["bot_to_move"]
    assert s["komi"] == 5.5 and s["board"][4][4] == "X" and s["board"][4][2] == "O"
    s = client.post(f"/api/games/{s['id']}/move", json={"move": "G3"}).json()
    assert s["bot_to_move"]


@pytest.mark.parametrize("body, status, words", [
    ({"move": "E5"}, 400, "occupied"),
    ({"move": "Z99"}, 400, "off"),
    ({"move": "hello"}, 400, "not a GTP vertex"),
    ({"move": ""}, 400, "not a GTP vertex"),
    ({"move": 42}, 422, "move"),
    ({}, 422, "move"),
    ({"move": "A1" * 20}, 422, "move"),
])
def test_bad_moves_are_clear_errors_that_change_nothing(client, body, status, words):
    g = new(client)
    client.post(f"/api/games/{g['id']}/move", json={"move": "E5"})
    client.post(f"/api/games/{g['id']}/genmove")
    before = client.get(f"/api/games/{g['id']}").json()
    r = client.post(f"/api/games/{g['id']}/move", json=body)
    assert r.status_code == status and words in r.json()["error"], r.text
    assert client.get(f"/api/games/{g['id']}").json() == before


def test_suicide_and_ko_are_refused_with_the_reason(client):
    # White stones around A9; a black stone there would have no liberties.
    text = "(;GM[1]FF[4]SZ[9]AW[ba][ab]PL[B])"
    s = new(client, sgf=text, colour="black")
    r = client.post(f"/api/games/{s['id']}/move", json={"move": "A9"})
    assert r.status_code == 400 and "suicide" in r.json()["error"]


def test_wrong_turn_and_nothing_to_undo_are_conflicts(client):
    g = new(client)
    r = client.post(f"/api/games/{g['id']}/genmove")
    assert r.status_code == 409 and "your turn" in r.json()["error"]
    r = client.post(f"/api/games/{g['id']}/undo")
    assert r.status_code == 409 and "nothing to undo" in r.json()["error"]
    w = new(client, colour="white")
    client.post(f"/api/games/{w['id']}/genmove")
    r = client.post(f"/api/games/{w['id']}/undo")  # the bot's opening is not ours to take back
    assert r.status_code == 409 and client.get(f"/api/games/{w['id']}").json()["move_number"] == 1
    client.post(f"/api/games/{g['id']}/move", json={"move": "E5"})
    r = client.post(f"/api/games/{g['id']}/move", json={"move": "D5"})
    assert r.status_code == 409 and "bot's turn" in r.json()["error"]


@pytest.mark.parametrize("method, path", [
    ("get", "/api/games/nope"), ("post", "/api/games/nope/genmove"),
    ("post", "/api/games/nope/undo"), ("post", "/api/games/nope/resign"),
    ("get", "/api/games/nope/sgf"), ("delete", "/api/games/nope"),
])
def test_unknown_game_ids_are_404(client, method, path):
    r = getattr(client, method)(path)
    assert r.status_code == 404 and r.json() == {"error": "unknown game id 'nope'"}
    r = client.post("/api/games/nope/move", json={"move": "D4"})
    assert r.status_code == 404


@pytest.mark.parametrize("content, words", [
    (b"{nonsense", "JSON"),
    (b"[1, 2, 3]", "valid dictionary"),
    (b'{"size": 10}', "size"),
    (b'{"size": 9, "komi": "lots"}', "komi"),
    (b'{"handicap": 12}', "handicap"),
    (b'{"colour": "green"}', "colour"),
    (b'{"visits": 0}', "visits"),
])
def test_nonsense_new_game_requests_are_422(client, content, words):
    r = client.post("/api/games", content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and words in r.json()["error"], r.text


def test_impossible_handicap_is_a_clear_error(client):
    r = client.post("/api/games", json={"size": 9, "handicap": 1})
    assert r.status_code == 400 and "stones" in r.json()["error"]


def test_sgf_uploads_bad_or_oversize_are_refused(client):
    for text, words in [("not an sgf at all", "cannot read"), ("(;GM[1]SZ[9];B[zz])", "cannot"),
                        ("(;GM[1]SZ[9];B[ee];W[ee])", "cannot")]:
        r = client.post("/api/games", json={"sgf": text})
        assert r.status_code == 400 and words in r.json()["error"], r.text
    big = "(;GM[1]SZ[9]C[" + "x" * 3990 + "])"
    r = client.post("/api/games", json={"sgf": big})
    assert r.status_code == 413 and "too large" in r.json()["error"]
    huge = "(;GM[1]SZ[9]C[" + "x" * 20000 + "])"
    r = client.post("/api/games", json={"sgf": huge})
    assert r.status_code == 413
    assert client.get("/api/health").json() == {"ok": True, "games": 0}


def test_an_upload_without_a_declared_length_is_cut_off_at_the_limit():
    # Driven as ASGI (as uvicorn does), since a test client buffers the whole body first.
    app = create_app(WebConfig(open_browser=False, max_sgf_bytes=4000),
                     factory_for(lambda: RandomPlayer(seed=7)))
    pulled, sent = [], []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/games", "raw_path": b"/api/games",
             "root_path": "", "query_string": b"", "server": ("test", 80),
             "client": ("test", 1), "headers": [(b"content-type", b"application/json"),
                                                (b"transfer-encoding", b"chunked")]}

    async def receive() -> dict:  # a 200 kB chunked upload
        pulled.append(1)
        body = b'{"sgf": "(;GM[1]SZ[9]C[' if len(pulled) == 1 else b"x" * 1000
        return {"type": "http.request", "body": body, "more_body": len(pulled) < 200}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert b"request too large" in b"".join(m.get("body", b"") for m in sent[1:])
    assert len(pulled) <= 10  # refused just past the limit (8 kB), never read to the end


def test_games_are_independent(client):
    a, b = new(client), new(client, colour="white")
    assert a["id"] != b["id"]
    client.post(f"/api/games/{a['id']}/move", json={"move": "E5"})
    client.post(f"/api/games/{a['id']}/move", json={"move": "E5"})  # wrong turn: 409
    client.post(f"/api/games/{b['id']}/move", json={"move": "nonsense"})
    assert client.get(f"/api/games/{b['id']}").json()["move_number"] == 0
    assert client.get(f"/api/games/{a['id']}").json()["board"][4][4] == "X"
    assert client.delete(f"/api/games/{a['id']}").json() == {"deleted": a["id"]}
    assert client.get(f"/api/games/{a['id']}").status_code == 404
    assert client.get(f"/api/games/{b['id']}").status_code == 200


def test_the_least_recently_used_game_is_forgotten_beyond_the_limit():
    c = TestClient(create_app(WebConfig(open_browser=False, max_games=2),
                              factory_for(RandomPlayer)))
    a, b = new(c), new(c)
    c.get(f"/api/games/{a['id']}")  # a is now more recent than b
    new(c)
    assert c.get(f"/api/games/{b['id']}").status_code == 404
    assert c.get(f"/api/games/{a['id']}").status_code == 200


def test_the_page_and_its_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="board"' in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200


def test_a_thinking_bot_neither_blocks_the_server_nor_lets_its_game_change():
    player = BlockingPlayer()
    with BackgroundServer(WebConfig(open_browser=False), factory_for(lambda: player)) as url, \
            httpx.Client(base_url=url, timeout=5.0) as http:
        g = http.post("/api/games", json={"colour": "white"}).json()
        other = http.post("/api/games", json={}).json()
        answer: dict = {}
        thinker = threading.Thread(target=lambda: answer.update(
            http.post(f"/api/games/{g['id']}/genmove").json()))
        thinker.start()
        assert player.started.wait(5.0)
        # While the bot thinks: the server answers, other games play, this game says busy.
        assert http.get("/api/health").json()["ok"]
        r = http.post(f"/api/games/{other['id']}/move", json={"move": "D4"})
        assert r.status_code == 200
        r = http.post(f"/api/games/{g['id']}/genmove")
        assert r.status_code == 409 and "thinking" in r.json()["error"]
        player.release.set()
        thinker.join(5.0)
        assert answer["last_move"] == {"colour": "black", "move": "pass"}


def test_a_failing_bot_is_a_500_that_changes_nothing():
    class Broken:
        name = "broken"

        def select_move(self, position, time_budget_s):
            return Decision(move=0) if position.board[0] else Decision(move=-5)

    c = TestClient(create_app(WebConfig(open_browser=False), factory_for(Broken)))
    g = new(c, colour="white")
    r = c.post(f"/api/games/{g['id']}/genmove")
    assert r.status_code == 500 and "bot failed" in r.json()["error"]
    assert c.get(f"/api/games/{g['id']}").json()["move_number"] == 0


def test_earlier_positions_can_be_reviewed(client):
    g = new(client)
    client.post(f"/api/games/{g['id']}/move", json={"move": "E5"})
    client.post(f"/api/games/{g['id']}/genmove")
    first = client.get(f"/api/games/{g['id']}/position/1").json()
    assert first["move_number"] == 1 and first["to_play"] == "white"
    assert first["last_move"] == {"colour": "black", "move": "E5"}
    assert sum(row.count("X") + row.count("O") for row in first["board"]) == 1
    start = client.get(f"/api/games/{g['id']}/position/0").json()
    assert start["board"] == ["." * 9] * 9 and start["last_move"] is None
    r = client.get(f"/api/games/{g['id']}/position/3")
    assert r.status_code == 404 and "has 2 moves" in r.json()["error"]
    loaded = new(client, sgf="(;GM[1]FF[4]SZ[9];B[ee];W[ce];B[gc])")
    view = client.get(f"/api/games/{loaded['id']}/position/2").json()
    assert view["board"][4][2] == "O" and view["board"][2][6] == "."


def test_gtp_coordinates_match_the_board_rows(client):
    g = new(client)
    s = client.post(f"/api/games/{g['id']}/move", json={"move": "A1"}).json()
    row, col = coords.from_flat(coords.from_gtp("A1", 9), 9)
    assert s["board"][row][col] == "X" and row == 8 and col == 0
