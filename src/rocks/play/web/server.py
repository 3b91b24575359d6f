"""The web board: a JSON HTTP API over :class:`rocks.play.engine.Engine`, and the page that uses it.

Each browser session creates its own game (``POST /api/games``) and gets a game id; every game
owns one Engine, so games never share state.  The API (documented in docs/guide.md)::

    GET    /                          the board page (static/index.html)
    GET    /api/health                {"ok": true, "games": n}
    POST   /api/games                 new game: size, komi, handicap, colour, visits|seconds,
                                      optional sgf (continue or review an uploaded game)
    GET    /api/games/{id}            the game's state
    POST   /api/games/{id}/move       {"move": "D4" | "pass"}: the human's move
    POST   /api/games/{id}/genmove    the bot's move for the side to play (with its analysis)
    POST   /api/games/{id}/undo       take back to the human's previous turn
    POST   /api/games/{id}/resign     the human resigns
    GET    /api/games/{id}/sgf        the game record (download)
    GET    /api/games/{id}/position/{k}  the board after move k (for review)
    POST   /api/games/{id}/review     the whole game reviewed; POST .../hint: the bot's top move
                                      (rocks.play.web.review_api)
    DELETE /api/games/{id}            forget the game

Errors are JSON ``{"error": "..."}`` with a 4xx status: 400 bad move or SGF, 404 unknown game
(or move), 409 wrong turn / game over / bot still thinking, 413 oversize upload, 422 malformed
request; a bot that fails to move is a 500.  A failing request changes nothing.

The routes are plain (synchronous) functions, so FastAPI runs them in its threadpool and a bot
that thinks for seconds never blocks the event loop; a per-game lock keeps one request at a time
on a game (a second gets 409 rather than queueing behind a search).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position
from rocks.play.decision import Decision
from rocks.play.players import Device, PlayerSpec, make_player, resolve_model

STATIC = Path(__file__).parent / "static"
COLOURS = {"black": BLACK, "white": WHITE}
NAMES = {BLACK: "black", WHITE: "white"}


@dataclass(frozen=True)
class WebConfig:
    """Options of ``rocks play``.

    Attributes:
        host: address to listen on (127.0.0.1: this machine only; 0.0.0.0 shares the page on
            your network).
        port: port to listen on.
        model: checkpoint of the bot's network: a path, bundled (the shipped
            models/rocks-9x9-b6c64.safetensors) or none (the search over random rollouts).
        player: the bot: mcts (the search, which reports win rates and variations) or random.
        visits: default search visits per bot move (150: under 1 s on 2 busy cores; the page
            can choose per game).
        max_games: games kept at once; the least recently used is forgotten beyond this.
        max_sgf_bytes: largest SGF upload accepted.
        open_browser: open the page in the user's browser on start (--no-browser: just serve).
        threads: search threads of the bot, one core each (none: the machine's cores, at
            most 4).
        device: where the bot's network runs: auto (CUDA, then Apple's MPS, then the CPU),
            cpu, cuda or mps.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    model: str = "bundled"
    player: Literal["mcts", "random"] = "mcts"
    visits: int = 150
    max_games: int = 64
    max_sgf_bytes: int = 256_000
    open_browser: bool = field(default=True, metadata={"flag": "--browser"})
    threads: int | None = None
    device: Device = "auto"

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1..65535, got {self.port}")
        if self.visits < 1 or self.max_games < 1 or self.max_sgf_bytes < 1:
            raise ValueError("visits, max_games and max_sgf_bytes must be at least 1")

    def player_spec(self, strength: Strength) -> PlayerSpec:
        """The bot of one game: the search over ``model`` at the game's strength (a time
        budget is not capped by visits), or the random player."""
        model = resolve_model(self.model, wanted=self.player == "mcts")
        kind = "mcts" if self.player == "mcts" or model is not None else "random"
        return PlayerSpec(kind=kind, model=model,
                          visits=strength.visits if strength.seconds is None else None,
                          threads=self.threads, device=self.device)


@dataclass(frozen=True)
class Strength:
    """How hard the bot thinks: a visit budget, or seconds per move when ``seconds`` is set."""

    visits: int
    seconds: float | None = None


class GameEngine(Protocol):
    """The part of :class:`rocks.play.engine.Engine` the web page uses."""

    position: Position

    def new_game(self, size: int, komi: float, handicap: int = 0) -> Any: ...
    def play(self, colour: int, move: int) -> Any: ...
    def genmove(self, colour: int) -> Decision: ...
    def undo(self) -> Any: ...
    def to_sgf(self, result: str | None = None) -> str: ...
    def load_sgf(self, text: str) -> Any: ...


EngineFactory = Callable[[WebConfig, Strength], GameEngine]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def default_engine_factory(config: WebConfig, strength: Strength) -> GameEngine:
    """One real Engine per game, with the page's chosen strength."""
    from rocks.play.engine import Engine, EngineConfig

    # With a visit budget the clock is only a safety net; with seconds it is the budget.
    engine_config = EngineConfig(default_move_time_s=strength.seconds or 30.0)
    return Engine(engine_config, make_player(config.player_spec(strength)))


# ---------------------------------------------------------------------------------- requests
class NewGame(BaseModel):
    size: Literal[9, 13, 19] = 9
    komi: float = Field(7.5, ge=-150, le=150)
    handicap: int = Field(0, ge=0, le=9)
    colour: Literal["black", "white"] | None = None
    visits: int | None = Field(None, ge=1, le=100_000)
    seconds: float | None = Field(None, gt=0, le=120)
    sgf: str | None = None


class MoveRequest(BaseModel):
    move: str = Field(..., max_length=8)


# ---------------------------------------------------------------------------------- games
@dataclass
class Game:
    id: str
    engine: GameEngine
    human: int
    handicap: int
    strength: Strength
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    resigned: int | None = None  # the colour that resigned
    analysis: dict | None = None


def _winner_name(colour: int) -> str:
    return "B" if colour == BLACK else "W"


def _over(game: Game) -> bool:
    return game.resigned is not None or game.engine.position.passes >= 2


def _result(game: Game) -> str | None:
    if game.resigned is not None:
        return f"{_winner_name(-game.resigned)}+R"
    if game.engine.position.passes >= 2:
        return game.engine.position.result_string()
    return None


def _gtp(move: int, size: int) -> str:
    return coords.to_gtp(int(move), size)


def analysis_json(decision: Decision, size: int, colour: int) -> dict:
    """The bot's move and what it thought, with moves as GTP vertices."""
    own = decision.ownership
    return {
        "colour": NAMES[colour],
        "move": "resign" if decision.resign else _gtp(decision.move, size),
        "winrate": _finite(decision.winrate),
        "score_lead": _finite(decision.score_lead),
        "pv": [_gtp(m, size) for m in decision.pv],
        "candidates": [
            {"move": _gtp(c.move, size), "visits": int(c.visits), "prior": float(c.prior),
             "q": float(c.q), "winrate": (float(c.q) + 1.0) / 2.0,
             "pv": [_gtp(m, size) for m in c.pv]}
            for c in decision.candidates[:10]
        ],
        "ownership": None if own is None else [round(float(x), 3) for x in own],
        "visits": int(decision.visits),
        "elapsed_s": round(float(decision.elapsed_s), 3),
    }


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _rows(pos: Position) -> list[str]:
    n = pos.size
    chars = {BLACK: "X", WHITE: "O", 0: "."}
    return ["".join(chars[int(c)] for c in pos.board[r * n:(r + 1) * n]) for r in range(n)]


def position_json(pos: Position) -> dict:
    """One position of a game's history (for reviewing): board, captures, last move."""
    last = pos.moves[-1] if pos.moves else None
    return {
        "move_number": len(pos.moves),
        "to_play": NAMES[pos.to_play],
        "board": _rows(pos),
        "last_move": None if last is None else {"colour": NAMES[last[0]],
                                                 "move": _gtp(last[1], pos.size)},
        "captures": {"black": pos.captures[0], "white": pos.captures[1]},
    }


def state_json(game: Game) -> dict:
    pos = game.engine.position
    n = pos.size
    board = _rows(pos)
    black_area, white_area = pos.area()
    over = _over(game)
    last = pos.moves[-1] if pos.moves else None
    return {
        "id": game.id,
        "size": n,
        "komi": pos.komi,
        "handicap": game.handicap,
        "human": NAMES[game.human],
        "to_play": NAMES[pos.to_play],
        "board": board,
        "moves": [{"colour": NAMES[c], "move": _gtp(m, n)} for c, m in pos.moves],
        "move_number": len(pos.moves),
        "last_move": None if last is None else {"colour": NAMES[last[0]],
                                                 "move": _gtp(last[1], n)},
        "ko": None if pos.ko is None else _gtp(pos.ko, n),
        "captures": {"black": pos.captures[0], "white": pos.captures[1]},
        "passes": pos.passes,
        "over": over,
        "result": _result(game),
        "end_reason": ("resign" if game.resigned is not None else "passes") if over else None,
        "bot_to_move": not over and pos.to_play != game.human,
        "score": {
            "black_area": black_area, "white_area": white_area, "komi": pos.komi,
            "margin": black_area - white_area - pos.komi,
            "ownership": [int(x) for x in pos.ownership()] if over else None,
        },
        "analysis": game.analysis,
        "strength": {"visits": game.strength.visits, "seconds": game.strength.seconds},
    }


class GameStore:
    """The games this server holds, by id; thread-safe; forgets the least recently used."""

    def __init__(self, max_games: int) -> None:
        self.max_games = max_games
        self.games: dict[str, Game] = {}
        self.lock = threading.Lock()

    def add(self, game: Game) -> None:
        with self.lock:
            while len(self.games) >= self.max_games:
                idle = [g for g in self.games.values() if not g.lock.locked()]
                if not idle:
                    raise ApiError(409, "server busy: too many games are thinking")
                oldest = min(idle, key=lambda g: g.last_used)
                del self.games[oldest.id]
            self.games[game.id] = game

    def get(self, game_id: str) -> Game:
        with self.lock:
            game = self.games.get(game_id)
        if game is None:
            raise ApiError(404, f"unknown game id {game_id!r}")
        game.last_used = time.monotonic()
        return game

    def remove(self, game_id: str) -> None:
        with self.lock:
            if self.games.pop(game_id, None) is None:
                raise ApiError(404, f"unknown game id {game_id!r}")

    def __len__(self) -> int:
        return len(self.games)


class _Locked:
    """Holds a game's lock for one request, or answers 409 if another request has it."""

    def __init__(self, game: Game) -> None:
        self.game = game

    def __enter__(self) -> Game:
        if not self.game.lock.acquire(blocking=False):
            raise ApiError(409, "the bot is still thinking in this game; try again shortly")
        return self.game

    def __exit__(self, *exc: object) -> None:
        self.game.lock.release()


# ---------------------------------------------------------------------------------- the body
class BodyTooLarge(HTTPException):
    """A request body over the limit (answered 413 with the message)."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is refused with 413 and never held.

    A declared ``Content-Length`` over the limit is refused before the body is read; a body
    without one (chunked) is counted as it arrives and refused once it passes the limit, so
    an upload can never fill the server's memory.  Departures: 1. the error is raised from the
    body reader as an HTTPException, which FastAPI passes through to :class:`BodyTooLarge`'s
    handler (any other failure to read a body is its 400).
    """

    def __init__(self, app: Any, max_bytes: int, what: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.what = what

    def _message(self, size: str) -> str:
        return f"request too large ({size} bytes; {self.what})"

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or ()).get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > self.max_bytes:
            response = JSONResponse({"error": self._message(length)}, status_code=413)
            return await response(scope, receive, send)
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self._message(f"more than {self.max_bytes}"))
            return message

        await self.app(scope, counted, send)


# ---------------------------------------------------------------------------------- the app
def create_app(config: WebConfig | None = None,
               engine_factory: EngineFactory | None = None) -> FastAPI:
    """The FastAPI app; ``engine_factory`` makes one engine per game (tests pass a fake)."""
    config = config or WebConfig()
    factory = engine_factory or default_engine_factory
    store = GameStore(config.max_games)
    app = FastAPI(title="rocks Go board", docs_url="/api/docs", redoc_url=None)
    app.state.store = store
    app.state.config = config

    @app.exception_handler(ApiError)
    def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return JSONResponse({"error": "bad request: " + "; ".join(parts)}, status_code=422)

    # The SGF limit plus room for the JSON around it (departure 1 of BodyLimit).
    app.add_middleware(BodyLimit, max_bytes=config.max_sgf_bytes + 4096,
                       what=f"SGF uploads are limited to {config.max_sgf_bytes} bytes")

    @app.exception_handler(BodyTooLarge)
    def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=413)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/health")
    def health() -> dict:
        return {"ok": True, "games": len(store)}

    @app.post("/api/games", status_code=201)
    def new_game(req: NewGame) -> dict:
        strength = Strength(req.visits or config.visits, req.seconds)
        engine = factory(config, strength)
        if req.sgf is not None:
            if len(req.sgf.encode()) > config.max_sgf_bytes:
                raise ApiError(413, f"SGF too large ({len(req.sgf.encode())} bytes; the limit "
                                    f"is {config.max_sgf_bytes})")
            try:
                engine.load_sgf(req.sgf)
            except ValueError as exc:  # SgfError, IllegalMove and CoordinateError are ValueErrors
                raise ApiError(400, f"cannot read this SGF: {exc}") from exc
            pos = engine.position
            human = COLOURS[req.colour] if req.colour else pos.to_play
            handicap = int(getattr(engine, "handicap", 0))
        else:
            try:
                engine.new_game(req.size, req.komi, req.handicap)
            except ValueError as exc:
                raise ApiError(400, f"cannot start that game: {exc}") from exc
            human = COLOURS[req.colour or "black"]
            handicap = req.handicap
        game = Game(secrets.token_urlsafe(9), engine, human, handicap, strength)
        store.add(game)
        return state_json(game)

    @app.get("/api/games/{game_id}")
    def get_game(game_id: str) -> dict:
        return state_json(store.get(game_id))

    @app.get("/api/games/{game_id}/position/{move_number}")
    def position(game_id: str, move_number: int) -> dict:
        pos = store.get(game_id).engine.position
        if not 0 <= move_number <= len(pos.moves):
            raise ApiError(404, f"no move {move_number} in this game (it has "
                                f"{len(pos.moves)} moves)")
        while pos.previous is not None and len(pos.moves) > move_number:
            pos = pos.previous
        if len(pos.moves) != move_number:  # a loaded game keeps no earlier positions
            raise ApiError(404, f"move {move_number} is before this game's start")
        return position_json(pos)

    @app.post("/api/games/{game_id}/move")
    def move(game_id: str, req: MoveRequest) -> dict:
        with _Locked(store.get(game_id)) as game:
            pos = game.engine.position
            if _over(game):
                raise ApiError(409, f"the game is over ({_result(game)})")
            if pos.to_play != game.human:
                raise ApiError(409, "it is the bot's turn")
            try:
                flat = coords.from_gtp(req.move, pos.size)
            except coords.CoordinateError as exc:
                raise ApiError(400, str(exc)) from exc
            reason = pos.illegal_reason(flat)
            if reason is not None:
                raise ApiError(400, f"illegal move {req.move.upper()}: {reason}")
            try:
                game.engine.play(game.human, flat)
            except ValueError as exc:
                raise ApiError(400, f"illegal move {req.move.upper()}: {exc}") from exc
            return state_json(game)

    @app.post("/api/games/{game_id}/genmove")
    def genmove(game_id: str) -> dict:
        with _Locked(store.get(game_id)) as game:
            pos = game.engine.position
            if _over(game):
                raise ApiError(409, f"the game is over ({_result(game)})")
            if pos.to_play == game.human:
                raise ApiError(409, "it is your turn, not the bot's")
            colour = pos.to_play
            try:
                decision = game.engine.genmove(colour)
            except Exception as exc:  # the bot's fault, not the request's: say so, keep serving
                raise ApiError(500, f"the bot failed to move: {exc}") from exc
            if decision.resign:
                game.resigned = colour
            game.analysis = analysis_json(decision, pos.size, colour)
            return state_json(game)

    @app.post("/api/games/{game_id}/undo")
    def undo(game_id: str) -> dict:
        with _Locked(store.get(game_id)) as game:
            if game.resigned is not None:
                game.resigned = None  # taking back a resignation first
                return state_json(game)
            engine = game.engine
            if not any(colour == game.human for colour, _ in engine.position.moves):
                raise ApiError(409, "nothing to undo: you have not moved yet")
            # Take back the bot's reply and the human's move, so it is the human's turn again.
            engine.undo()
            while engine.position.moves and engine.position.to_play != game.human:
                engine.undo()
            game.analysis = None
            return state_json(game)

    @app.post("/api/games/{game_id}/resign")
    def resign(game_id: str) -> dict:
        with _Locked(store.get(game_id)) as game:
            if _over(game):
                raise ApiError(409, f"the game is over ({_result(game)})")
            game.resigned = game.human
            return state_json(game)

    @app.get("/api/games/{game_id}/sgf")
    def sgf(game_id: str) -> Response:
        game = store.get(game_id)
        text = game.engine.to_sgf(_result(game))
        return Response(text, media_type="application/x-go-sgf", headers={
            "Content-Disposition": f'attachment; filename="rocks-{game.id}.sgf"'})

    @app.delete("/api/games/{game_id}")
    def delete(game_id: str) -> dict:
        store.remove(game_id)
        return {"deleted": game_id}

    from rocks.play.web.review_api import add_review_routes

    add_review_routes(app, store, _Locked, resolve_model(config.model, config.player == "mcts"))
    return app


class BackgroundServer:
    """The server on a free local port in a daemon thread (tests, notebooks)::

        with BackgroundServer(WebConfig(open_browser=False)) as url: ...
    """

    def __init__(self, config: WebConfig | None = None,
                 engine_factory: EngineFactory | None = None) -> None:
        import socket

        import uvicorn

        config = config or WebConfig(open_browser=False)
        with socket.socket() as sock:
            sock.bind((config.host, 0))
            port = sock.getsockname()[1]
        self.app = create_app(config, engine_factory)
        self.url = f"http://{config.host}:{port}/"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=config.host, port=port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20.0
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the web server did not start at {self.url}")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10.0)


def serve(config: WebConfig, engine_factory: EngineFactory | None = None) -> None:
    """Run the server until interrupted (``rocks play``)."""
    import uvicorn

    app = create_app(config, engine_factory)
    url = f"http://{config.host}:{config.port}/"
    if config.open_browser:
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    print(f"rocks: the board is at {url}  (Ctrl-C stops)")
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning")
