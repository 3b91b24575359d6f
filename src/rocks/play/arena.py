"""The arena: many games between GTP engines, a results CSV that survives interruption, Elo.

Follows the tournament design of gomill's ringmaster (all-play-all and "playoff"/gauntlet
competitions between GTP engines given as command lines, results kept on disk so a run resumes)
and rates the engines with :mod:`rocks.stats` (Bradley-Terry maximum likelihood, as BayesElo).
Each game is one call of :func:`rocks.engines.match.play_game`, which referees its moves by
rocks' rules.

Layout of an arena folder::

    config.json     the ArenaConfig (engines, games, board, budgets)
    results.csv     one row per finished game (columns: RESULT_FIELDS), appended as each
                    game ends (rocks.metrics.MetricsLogger: a torn last row is cut on resume)
    sgf/<key>.sgf   every game
    ratings.txt, ratings.png   the Elo table and its plot

Departures from ringmaster, numbered:

1. Every game starts fresh engine processes, so a crash costs one game (the crashing engine
   loses it, by the match driver's rules) and never poisons the next.
2. An engine command may contain ``{seed}``; each game substitutes its own seed (derived from the
   game's key, so a rerun is reproducible).  GNU Go without ``--seed`` plays the same game
   every time, which would make 40 games two games repeated.
3. Scoring.  The match driver counts the final board by Tromp-Taylor, where every stone on
   the board is alive, but engines such as GNU Go and Pachi pass with dead stones still on the
   board (in 9x9 GNU Go games here the count and the engines differed by 10-30 points, often
   in who won).  ``scoring="referee"`` (the default): when a game ended by two passes or the
   move limit and both engines' own ``final_score`` answers agree, that answer is the result;
   when they disagree (a random player never agrees), or when an engine is known to leave
   dead stones (``EngineSpec.leaves_dead_stones``: Pachi), GNU Go judges the dead stones and
   the board is counted by area (:mod:`rocks.engines.referee`).  ``scoring="gnugo"``: GNU Go
   judges every such game.  Both refuse to start without GNU Go when a game needs it; a
   judgement that fails leaves the count.  The SGF's RE is rewritten to match.
   ``scoring="tromp-taylor"`` always keeps the count: the rules-exact choice when every engine
   captures its opponent's dead stones before passing, as rocks does and as ``gnugo:LEVEL``
   (GNU Go with ``--capture-all-dead``) does; it is refused for Pachi.
4. A game that ends with no result ("Void": the engines disagreed about a rule) is recorded and
   not replayed, and the ratings leave it out.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import re
import shlex
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from rocks import stats
from rocks.atomic import replace_with, write_bytes, write_text
from rocks.engines.commands import find_gnugo, gnugo_command, pachi_command
from rocks.engines.gtp_client import GtpClient, GtpClientError
from rocks.engines.match import GameResult, MatchConfig, play_game
from rocks.engines.referee import agreed_result, referee_command, referee_score
from rocks.go.board import BLACK, WHITE
from rocks.metrics import MetricsLogger, read_rows
from rocks.play.gtp.command import gtp_argv
from rocks.play.players import PlayerSpec

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
RESULT_FIELDS = ("key", "black", "white", "winner", "result", "reason", "score", "black_says",
                 "white_says", "moves", "black_s", "white_s", "sgf", "finished_at", "detail",
                 "black_max_s", "white_max_s")


@dataclass(frozen=True)
class EngineSpec:
    """A named GTP engine: the argv that starts it (``{seed}`` is replaced per game).

    Attributes:
        name: the engine's name in results and ratings (letters, digits and ``_ . + -``).
        argv: its command line.
        env: variables added to its environment (Pachi's ``DATA_DIR``).
        leaves_dead_stones: it passes with dead stones on the board (Pachi), so its games
            need a referee to judge them (departure 3).
    """

    name: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    leaves_dead_stones: bool = False

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ValueError(f"engine name {self.name!r}: use letters, digits and _ . + - "
                             "(it names files)")
        if not self.argv:
            raise ValueError(f"engine {self.name!r} has an empty command line")

    def command(self, seed: int) -> list[str]:
        return [a.replace("{seed}", str(seed)) for a in self.argv]

    @classmethod
    def from_dict(cls, raw: dict) -> EngineSpec:
        """From its JSON form (``config.json``; arenas written before ``env`` had none)."""
        return cls(raw["name"], tuple(raw["argv"]), tuple(tuple(kv) for kv in raw.get("env", ())),
                   bool(raw.get("leaves_dead_stones", False)))


def parse_engine(text: str, pachi: str | None = None) -> EngineSpec:
    """An engine from the command line: ``NAME=COMMAND LINE`` or a shortcut.

    Shortcuts: ``gnugo:LEVEL`` (GNU Go at that level, area scoring, positional superko, a seed
    per game), ``pachi:PLAYOUTS[:THREADS]`` (the Pachi binary at ``pachi``, a seed per game),
    ``rocks:random`` (``rocks gtp`` with the random player) and ``rocks:MODEL[:VISITS]``
    (``rocks gtp --model MODEL --visits VISITS``).
    """
    text = text.strip()
    name, sep, command = text.partition("=")
    if sep and ":" not in name:
        return EngineSpec(name.strip(), tuple(shlex.split(command)))
    kind, _, rest = text.partition(":")
    if kind == "gnugo":
        level = _number(rest or "10", "GNU Go level")
        if not 1 <= level <= 10:
            raise ValueError(f"GNU Go levels are 1..10, got {level}")
        path = find_gnugo()
        if path is None:
            raise ValueError("gnugo: GNU Go is not installed (Debian package gnugo)")
        # --capture-all-dead: GNU Go removes dead stones before it passes, so a Tromp-Taylor
        # count of the final board is the game's result (its dead-stone list, the referee's
        # fallback, calls seki groups dead: game 5 of shipped-9x9 run-002).
        return EngineSpec(f"gnugo-{level}", tuple(gnugo_command(level, path=path,
                                                                seed="{seed}")))
    if kind == "pachi":
        if pachi is None:
            raise ValueError("pachi: give its binary with --pachi PATH (built from source: "
                             "docs/guide.md, \"Pachi\")")
        playouts_text, _, threads_text = rest.partition(":")
        playouts = _number(playouts_text or "10000", "Pachi playouts")
        threads = _number(threads_text or "1", "Pachi threads")
        cmd = pachi_command(pachi, playouts=playouts, threads=threads, seed="{seed}")
        return EngineSpec(f"pachi-{playouts}" + (f"-t{threads}" if threads > 1 else ""),
                          cmd.argv, cmd.env, leaves_dead_stones=True)
    if kind == "rocks":
        if rest in ("", "random"):
            spec = PlayerSpec(kind="random")
            name = "rocks-random"
        else:
            model, _, visits = rest.partition(":")
            spec = PlayerSpec(model=model, visits=_number(visits, "visits") if visits else None)
            name = f"rocks-{Path(model).stem}" + (f"-v{visits}" if visits else "")
        return EngineSpec(name, tuple(gtp_argv(spec) + ["--seed", "{seed}"]))
    raise ValueError(f"cannot read engine {text!r}: give NAME=COMMAND or one of gnugo:LEVEL, "
                     "pachi:PLAYOUTS[:THREADS], rocks:random, rocks:MODEL[:VISITS]")


def _number(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what} must be a whole number, got {text!r}") from None


@dataclass(frozen=True)
class ArenaConfig:
    """One arena.

    Attributes:
        engines: the players; in a gauntlet the first one plays all the others.
        out_dir: the arena folder (see the module docstring).
        mode: "round-robin" (every pair) or "gauntlet" (the first engine against each other).
        games_per_pair: games per pairing; colours alternate (even games: the first engine of
            the pair takes Black).
        size, komi: the board and komi; the engines must agree with rocks' rules (area
            scoring, positional superko, no suicide; GNU Go's flags in ``gnugo:`` do).
        move_timeout_s: the longest one GTP command may take before its engine forfeits.
        time_settings: (main s, byo-yomi s, stones) for a clock, or None (fixed budgets, as
            the engines' own options set them).
        max_moves: the move limit (None: the match driver's 4 * size^2).
        jobs: games played at once.
        scoring: "referee" (departure 3: the engines' agreed score, else GNU Go's judgement),
            "gnugo" (GNU Go judges every game) or "tromp-taylor" (the match driver's count).
        seed: mixed into every game's seed.
    """

    engines: tuple[EngineSpec, ...]
    out_dir: str
    mode: Literal["round-robin", "gauntlet"] = "round-robin"
    games_per_pair: int = 20
    size: int = 9
    komi: float = 7.5
    move_timeout_s: float = 60.0
    time_settings: tuple[float, float, int] | None = None
    max_moves: int | None = None
    jobs: int = 1
    scoring: Literal["referee", "gnugo", "tromp-taylor"] = "referee"
    seed: int = 0

    def __post_init__(self) -> None:
        names = [e.name for e in self.engines]
        if len(names) < 2:
            raise ValueError("an arena needs at least two engines")
        if len(set(names)) != len(names):
            raise ValueError(f"engine names must differ: {names}")
        if self.mode not in ("round-robin", "gauntlet"):
            raise ValueError(f"mode must be round-robin or gauntlet, got {self.mode!r}")
        if self.scoring not in ("referee", "gnugo", "tromp-taylor"):
            raise ValueError(f"scoring must be referee, gnugo or tromp-taylor, got "
                             f"{self.scoring!r}")
        blind = [e.name for e in self.engines if e.leaves_dead_stones]
        if blind and self.scoring == "tromp-taylor":
            raise ValueError(f"{', '.join(blind)} pass with dead stones on the board, which a "
                             "Tromp-Taylor count scores as alive: use --scoring referee or gnugo")
        if self.games_per_pair < 1 or self.jobs < 1:
            raise ValueError("games_per_pair and jobs must be at least 1")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    def needs_referee(self, game: Pairing) -> bool:
        """Whether ``game``'s result is GNU Go's judgement whatever the engines say."""
        return self.scoring == "gnugo" or game.black.leaves_dead_stones \
            or game.white.leaves_dead_stones

    @classmethod
    def from_json(cls, text: str) -> ArenaConfig:
        raw = json.loads(text)
        raw["engines"] = tuple(EngineSpec.from_dict(e) for e in raw["engines"])
        if raw.get("time_settings") is not None:
            raw["time_settings"] = tuple(raw["time_settings"])
        return cls(**raw)


@dataclass(frozen=True)
class Pairing:
    """One scheduled game."""

    key: str
    black: EngineSpec
    white: EngineSpec
    seed: int


def schedule(config: ArenaConfig) -> list[Pairing]:
    """Every game of the arena, interleaved by round so an early stop still rates everyone."""
    engines = config.engines
    if config.mode == "gauntlet":
        pairs = [(engines[0], other) for other in engines[1:]]
    else:
        pairs = [(a, b) for i, a in enumerate(engines) for b in engines[i + 1:]]
    games = []
    for k in range(config.games_per_pair):
        for a, b in pairs:
            black, white = (a, b) if k % 2 == 0 else (b, a)
            key = f"{a.name}__{b.name}__{k:03d}"
            digest = hashlib.sha256(f"{config.seed}:{key}".encode()).digest()
            games.append(Pairing(key, black, white, int.from_bytes(digest[:3], "big")))
    return games


# ---------------------------------------------------------------------------------- results
def read_results(path: str | Path) -> list[dict[str, str]]:
    """The rows of a results CSV (empty if the file does not exist yet)."""
    return read_rows(path)


def rating_games(rows: Iterable[dict[str, str]]) -> list[stats.Outcome]:
    """The rated games of a results CSV: wins, losses and draws (Void games left out)."""
    out = []
    for r in rows:
        if r["winner"] == r["black"]:
            out.append(stats.Outcome(r["black"], r["white"], 1.0))
        elif r["winner"] == r["white"]:
            out.append(stats.Outcome(r["black"], r["white"], 0.0))
        elif r["result"] == "0":
            out.append(stats.Outcome(r["black"], r["white"], 0.5))
    return out


@dataclass(frozen=True)
class GauntletScore:
    """One engine's result against one opponent in an arena's results (a gauntlet).

    ``score`` is wins plus half the draws over ``games`` with its 95% Wilson interval
    (``lo``, ``hi``); ``score_as_black``/``score_as_white`` split it by colour (NaN with no
    games of that colour).  Void games count as neither.  ``forfeits_left_out`` games were
    forfeited by an engine that died before the first move: the machine's load, not Go."""

    engine: str
    opponent: str
    games: int
    wins: int
    draws: int
    score: float
    lo: float
    hi: float
    score_as_black: float
    score_as_white: float
    forfeits_left_out: int


def gauntlet_score(rows: Iterable[dict[str, str]], opponent: str) -> GauntletScore:
    """The score of the one engine that played ``opponent`` in ``rows`` (a results CSV's
    rows, :func:`read_results`); every row must be a game of ``opponent``'s."""
    played, forfeits, engines = [], 0, set()
    for r in rows:
        if opponent not in (r["black"], r["white"]):
            raise ValueError(f"game {r['key']} is not {opponent}'s: {r['black']} - {r['white']}")
        if r["reason"] == "engine died" and int(r["moves"] or 0) == 0:
            forfeits += 1
            continue
        ours = r["white"] if r["black"] == opponent else r["black"]
        engines.add(ours)
        played.append((ours == r["black"], 1.0 if r["winner"] == ours else
                       0.5 if r["result"] == "0" else 0.0 if r["winner"] else None))
    if len(engines) > 1:
        raise ValueError(f"more than one engine played {opponent}: {sorted(engines)}")
    played = [(black, points) for black, points in played if points is not None]  # Void
    n = len(played)
    total = sum(points for _, points in played)
    lo, hi = stats.wilson_interval(total / n if n else 0.0, n)

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else float("nan")

    return GauntletScore(
        engine=engines.pop() if engines else "", opponent=opponent, games=n,
        wins=sum(points == 1.0 for _, points in played),
        draws=sum(points == 0.5 for _, points in played),
        score=total / n if n else float("nan"), lo=lo, hi=hi,
        score_as_black=mean([p for black, p in played if black]),
        score_as_white=mean([p for black, p in played if not black]),
        forfeits_left_out=forfeits)


# ---------------------------------------------------------------------------------- playing
GamePlayer = Callable[[Pairing, ArenaConfig, Path], dict]


def play_pairing(game: Pairing, config: ArenaConfig, out_dir: Path,
                 live: set[GtpClient] | None = None) -> dict:
    """Play one scheduled game with fresh engine processes; its CSV row.

    ``live`` collects the running engines, so an interrupted arena can kill them.
    """
    live = set() if live is None else live
    match_config = MatchConfig(size=config.size, komi=config.komi,
                               move_timeout_s=config.move_timeout_s,
                               time_settings=config.time_settings, max_moves=config.max_moves)
    sgf_path = out_dir / "sgf" / f"{game.key}.sgf"
    clients: list[GtpClient] = []
    started = time.perf_counter()
    try:
        for colour, spec in ((BLACK, game.black), (WHITE, game.white)):
            try:
                clients.append(GtpClient(spec.command(game.seed), name=spec.name,
                                         timeout_s=config.move_timeout_s,
                                         env=dict(spec.env) or None))
                live.add(clients[-1])
            except GtpClientError as exc:
                return _forfeit_row(game, colour, f"could not start: {exc}", sgf_path="")
        result = play_game(clients[0], clients[1], match_config, sgf_path,
                           date=datetime.now(UTC).strftime("%Y-%m-%d"))
    finally:
        for c in clients:
            c.close(timeout_s=3.0)
            live.discard(c)
    winner = {BLACK: game.black.name, WHITE: game.white.name}.get(result.winner, "")
    text, scorer = result.result, "tromp-taylor"
    if config.scoring != "tromp-taylor":
        text, scorer = refereed_result(result, config.needs_referee(game),
                                       config.move_timeout_s)
        if scorer != "tromp-taylor":
            winner = (game.black.name if text.startswith("B") else
                      game.white.name if text.startswith("W") else "")
            if result.sgf_path is not None and text != result.result:
                _set_sgf_result(Path(result.sgf_path), text, scorer)
    return {
        "key": game.key, "black": game.black.name, "white": game.white.name, "winner": winner,
        "result": text, "reason": result.reason, "score": f"{result.score:g}",
        "black_says": result.black_says or "", "white_says": result.white_says or "",
        "moves": result.moves, "black_s": f"{result.seconds[0]:.2f}",
        "white_s": f"{result.seconds[1]:.2f}", "sgf": os.path.relpath(sgf_path, out_dir),
        "black_max_s": f"{result.longest[0]:.2f}", "white_max_s": f"{result.longest[1]:.2f}",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "detail": result.detail[:300] or f"scored by {scorer}; "
                                          f"{time.perf_counter() - started:.1f} s",
    }


def refereed_result(result: GameResult, force_referee: bool, timeout_s: float
                    ) -> tuple[str, str]:
    """(result text, who scored it) of a finished game, as the arena's referee scores it
    (departure 3): a game that ended by passes or the move limit gets both engines' agreed
    count (unless ``force_referee``), else GNU Go's dead-stone judgement, else the match
    driver's Tromp-Taylor count; any other ending keeps its own result."""
    if result.reason not in ("two passes", "move limit"):
        return result.result, "tromp-taylor"
    if not force_referee:
        agreed = agreed_result(result.black_says, result.white_says)
        if agreed is not None:
            return agreed, "both engines"
    judged = referee_score(result.record, timeout_s=timeout_s)
    return (judged, "gnugo") if judged is not None else (result.result, "tromp-taylor")


def _set_sgf_result(path: Path, result: str, scorer: str) -> None:
    from sgfmill import sgf as sgfmill_sgf

    game = sgfmill_sgf.Sgf_game.from_bytes(path.read_bytes())
    root = game.get_root()
    root.set("RE", result)
    note = root.get("C") if root.has_property("C") else ""
    root.set("C", (note + "\n" if note else "") + f"Result {result} scored by {scorer}.")
    write_bytes(path, game.serialise())


def _forfeit_row(game: Pairing, loser: int, detail: str, sgf_path: str) -> dict:
    winner = game.white if loser == BLACK else game.black
    return {
        "key": game.key, "black": game.black.name, "white": game.white.name,
        "winner": winner.name, "result": ("W" if loser == BLACK else "B") + "+F",
        "reason": "engine died", "score": "", "black_says": "", "white_says": "", "moves": 0,
        "black_s": "0", "white_s": "0", "sgf": sgf_path,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "detail": detail[:300],
    }


def _check_resumable(config: ArenaConfig, out_dir: Path) -> None:
    saved = out_dir / "config.json"
    if not saved.exists():
        return
    old = ArenaConfig.from_json(saved.read_text())
    for field in ("size", "komi", "time_settings", "max_moves", "scoring"):
        if getattr(old, field) != getattr(config, field):
            raise ValueError(f"{out_dir} holds an arena with {field}={getattr(old, field)!r}; "
                             f"this one has {getattr(config, field)!r}: use another --out")


def run_arena(config: ArenaConfig, progress: bool = True,
              player: GamePlayer | None = None) -> list[dict[str, str]]:
    """Play every scheduled game not already in the results CSV; return all rows.

    ``player`` plays one game (default :func:`play_pairing`; tests may pass their own).
    """
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _check_resumable(config, out_dir)
    if referee_command() is None and any(config.needs_referee(g) for g in schedule(config)):
        raise ValueError("these games need GNU Go as their referee (--scoring gnugo, or an "
                         "engine that passes with dead stones), and it is not installed "
                         "(Debian package gnugo)")
    write_text(out_dir / "config.json", config.to_json())
    csv_path = out_dir / "results.csv"
    log = MetricsLogger(csv_path, columns=RESULT_FIELDS)  # resumes, cutting a torn last row
    rows = log.rows()
    done = {r["key"] for r in rows}
    todo = [g for g in schedule(config) if g.key not in done]
    live: set[GtpClient] = set()
    play = player or functools.partial(play_pairing, live=live)
    bar = _progress(len(todo), progress, initial=len(done))
    pool = ThreadPoolExecutor(max_workers=config.jobs)
    try:
        futures = [pool.submit(play, g, config, out_dir) for g in todo]
        for fut in as_completed(futures):
            row = fut.result()
            rows.append({k: str(v) for k, v in row.items()})
            log.log(rows[-1])  # only this thread writes
            if bar is not None:
                bar.set_postfix_str(f"{row['key']}: {row['result']}")
                bar.update(1)
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM) or a game player failed: start nothing more, stop the
        # games in flight (they are replayed on resume), keep every finished row.
        pool.shutdown(wait=False, cancel_futures=True)
        for client in list(live):
            client.kill()
        raise
    finally:
        pool.shutdown(wait=True)
        log.close()
        if bar is not None:
            bar.close()
    return rows


def _progress(total: int, enabled: bool, initial: int):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total + initial, initial=initial, unit="game", desc="arena")


def rate_arena(out_dir: str | Path, anchor: str | None = None, bootstrap: int = 0,
               plot: bool = True, title: str | None = None) -> stats.RatingTable:
    """Ratings from an arena folder's results; writes ratings.txt (and ratings.png)."""
    out_dir = Path(out_dir)
    rows = read_results(out_dir / "results.csv")
    games = rating_games(rows)
    config_path = out_dir / "config.json"
    order = None
    if config_path.exists():
        order = [e.name for e in ArenaConfig.from_json(config_path.read_text()).engines]
        played = {g.a for g in games} | {g.b for g in games}
        order = [n for n in order if n in played] + sorted(played - set(order))
    if bootstrap:
        table = stats.bootstrap_ratings(games, order, anchor, samples=bootstrap)
    else:
        table = stats.fit_ratings(games, order, anchor)
    write_text(out_dir / "ratings.txt", table.to_text() + "\n")
    if plot:
        plot_ratings(table, out_dir / "ratings.png",
                     title or f"Arena {out_dir.name}: {len(games)} games")
    return table


def plot_ratings(table: stats.RatingTable, path: str | Path,
                 title: str = "Arena ratings") -> Path:
    """Horizontal bar chart of ratings with 95% intervals, written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(table.ratings, key=lambda r: r.elo)
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(rows) + 1.5))
    ys = np.arange(len(rows))
    elos = np.array([r.elo for r in rows])
    lo = np.array([r.elo - r.low if math.isfinite(r.low) else 0.0 for r in rows])
    hi = np.array([r.high - r.elo if math.isfinite(r.high) else 0.0 for r in rows])
    ax.errorbar(elos, ys, xerr=[lo, hi], fmt="o", color="#7a4a12", ecolor="#333", capsize=4)
    ax.set_yticks(ys, [f"{r.name} ({r.score:g}/{r.games})" for r in rows])
    ax.axvline(0.0, color="#bbb", lw=0.8, zorder=0)
    ax.set_xlabel(f"Elo (anchor {table.anchor}); bars: 95% interval, {table.method}")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    try:
        return replace_with(path, lambda tmp: fig.savefig(tmp, dpi=120), suffix=".png")
    finally:
        plt.close(fig)
