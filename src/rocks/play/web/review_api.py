"""The page's teaching routes: a whole-game review and a hint, over :mod:`rocks.play.review`.

Added to the app by :func:`rocks.play.web.server.create_app`::

    POST /api/games/{id}/review   {"visits": n}: every position searched; each move's Black win
                                  rate and score lead after it, point loss, the bot's
                                  preferred move and variation; each side's biggest mistakes
    POST /api/games/{id}/hint     the bot's top move for the side to move (the human's hint)

Both search with the game's own network (the player's ``evaluate``); a player without one (the
random player, a test's fake) is reviewed by a uniform-prior, value-0 network, which still
gives a well-formed (if uninformed) review.  Departure: the review is computed on the request
(a 9x9 game of 60 moves at 50 visits takes ~5 s on two busy cores), not cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from rocks.go import coords
from rocks.go.board import BLACK
from rocks.go.sgf import read_sgf
from rocks.play.analyst import Analyst
from rocks.play.review import review_game, size_note


class ReviewRequest(BaseModel):
    visits: int = Field(50, ge=1, le=5000)


def analyst_for(engine: Any) -> Analyst:
    """An analyst over the game's network, or over a uniform fake when the player has none."""
    evaluate = getattr(getattr(engine, "player", None), "evaluate", None)
    if evaluate is None:
        from rocks.nets.evaluator import uniform_evaluator

        evaluate = uniform_evaluator(engine.position.size)
    return Analyst(evaluate, max_candidates=5, seed=0)


def review_json(engine: Any, visits: int, model: str | None) -> dict:
    """The review of the engine's game as the page draws it (moves as GTP vertices)."""
    record = read_sgf(engine.to_sgf())
    note = size_note(model, record.size)
    review = review_game(record, analyst_for(engine), visits, mistakes=3,
                         notes=(note,) if note else ())
    size = record.size

    def gtp(m: int | None) -> str | None:
        return None if m is None else coords.to_gtp(m, size)

    return {
        "start": {"winrate": review.start[0], "score_lead": review.start[1]},
        "moves": [{"number": m.number, "colour": "black" if m.colour == BLACK else "white",
                   "move": gtp(m.move), "winrate": m.winrate, "score_lead": m.score_lead,
                   "loss": round(m.loss, 2), "winrate_loss": round(m.winrate_loss, 4),
                   "best": gtp(m.best), "pv": [gtp(v) for v in m.best_pv]}
                  for m in review.moves],
        "mistakes": {name: [m.number for m in review.mistakes.get(colour, ())]
                     for name, colour in (("black", BLACK), ("white", -BLACK))},
        "notes": list(review.notes),
    }


def add_review_routes(app: FastAPI, store: Any, locked: Any, model: str | None) -> None:
    """Register the review and hint routes on ``app`` (``locked(game)`` holds a game's lock)."""

    @app.post("/api/games/{game_id}/review")
    def review(game_id: str, req: ReviewRequest) -> dict:
        with locked(store.get(game_id)) as game:
            return review_json(game.engine, req.visits, model)

    @app.post("/api/games/{game_id}/hint")
    def hint(game_id: str) -> dict:
        with locked(store.get(game_id)) as game:
            pos = game.engine.position
            found = analyst_for(game.engine).analyse(pos, max(1, game.strength.visits))
            best = found.best if found else None
            return {"move": None if best is None else coords.to_gtp(best.move, pos.size),
                    "winrate": None if best is None else best.winrate,
                    "score_lead": None if best is None else best.score_lead,
                    "pv": [] if best is None else [coords.to_gtp(v, pos.size)
                                                   for v in best.pv]}
