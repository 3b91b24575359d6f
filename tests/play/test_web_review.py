"""The page's teaching routes (rocks.play.web.review_api): a whole-game review and a hint."""

from __future__ import annotations

from fastapi.testclient import TestClient

from rocks.play.engine import Engine, EngineConfig
from rocks.play.web.server import Strength, WebConfig, create_app
from tests.play.test_web_api import AnalysingPlayer


def factory(config: WebConfig, strength: Strength) -> Engine:
    return Engine(EngineConfig(), AnalysingPlayer())


def client() -> TestClient:
    return TestClient(create_app(WebConfig(open_browser=False, model="none"), factory))


def test_a_review_rates_every_move_of_the_game():
    c = client()
    game = c.post("/api/games", json={"size": 9, "visits": 4}).json()
    for vertex in ("E5", "C3"):
        c.post(f"/api/games/{game['id']}/move", json={"move": vertex})
        c.post(f"/api/games/{game['id']}/genmove")
    r = c.post(f"/api/games/{game['id']}/review", json={"visits": 4})
    assert r.status_code == 200, r.text
    data = r.json()
    assert [m["number"] for m in data["moves"]] == [1, 2, 3, 4]
    first = data["moves"][0]
    assert first["move"] == "E5" and first["colour"] == "black"
    assert {"winrate", "score_lead", "loss", "winrate_loss", "best", "pv"} <= set(first)
    assert all(m["loss"] >= 0 and 0 <= m["winrate"] <= 1 for m in data["moves"])
    assert set(data["mistakes"]) == {"black", "white"} and "winrate" in data["start"]


def test_a_hint_is_a_legal_move_for_the_side_to_move():
    c = client()
    game = c.post("/api/games", json={"size": 9, "visits": 4}).json()
    hint = c.post(f"/api/games/{game['id']}/hint").json()
    assert 0 <= hint["winrate"] <= 1 and hint["pv"][0] == hint["move"]


def test_review_of_an_unknown_game_is_404_and_bad_visits_422():
    c = client()
    assert c.post("/api/games/nope/review", json={"visits": 4}).status_code == 404
    game = c.post("/api/games", json={"size": 9}).json()
    assert c.post(f"/api/games/{game['id']}/review", json={"visits": 0}).status_code == 422
