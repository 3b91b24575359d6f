"""Command lines of rocks.play: ``rocks gtp``, ``rocks play`` and ``rocks arena``.

Each command's options are a config dataclass and its parser is built from it
(:mod:`rocks.configcli`), so a flag and its field cannot drift apart:

=================  ==========================================  ==============================
command            options                                     parser
=================  ==========================================  ==============================
``rocks gtp``      :class:`rocks.play.gtp.command.GtpConfig`   :func:`gtp_parser`
``rocks play``     :class:`rocks.play.web.server.WebConfig`    :func:`play_parser`
``rocks arena``    :class:`ArenaOptions`                       :func:`arena_parser`
``rocks analysis`` :class:`AnalysisOptions`                    :func:`analysis_parser`
``rocks review``   :class:`rocks.play.review.ReviewConfig`     :func:`review_parser`
=================  ==========================================  ==============================

The player behind ``rocks gtp`` and ``rocks play`` is made by the one factory,
:func:`rocks.play.players.make_player`, from the options' :class:`~rocks.play.players.PlayerSpec`.
``rocks arena --engine`` is given once per engine (``--engine gnugo:10 --engine rocks:random``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rocks.configcli import add_config_arguments, config_from_args
from rocks.play.players import Device, Precision, Symmetries


def gtp_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks gtp`` (from :class:`~rocks.play.gtp.command.GtpConfig`)."""
    from rocks.play.gtp.command import GtpConfig

    p = argparse.ArgumentParser(prog="rocks gtp", description="Speak GTP v2 on stdin/stdout.")
    add_config_arguments(p, GtpConfig)
    return p


def gtp_main(argv: list[str] | None = None) -> int:
    """``rocks gtp``: GTP v2 on stdin/stdout for Sabaki, GoGui, Lizzie or a match runner."""
    from rocks.play.gtp.command import GtpConfig, run_gtp

    parser = gtp_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(GtpConfig, args)
    except ValueError as exc:
        print(f"rocks gtp: {exc}", file=sys.stderr)
        return 2
    try:
        run_gtp(config)
    except ValueError as exc:  # a bad option or model, found before any command is read
        print(f"rocks gtp: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, BrokenPipeError):
        return 0
    return 0


def play_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks play`` (from :class:`~rocks.play.web.server.WebConfig`)."""
    from rocks.play.web.server import WebConfig

    p = argparse.ArgumentParser(prog="rocks play", description="Play Go in the browser.")
    add_config_arguments(p, WebConfig)
    return p


def play_main(argv: list[str] | None = None) -> int:
    """``rocks play``: serve the board page (rocks.play.web) and open it in the browser."""
    from rocks.play.players import make_player
    from rocks.play.web.server import Strength, WebConfig, serve

    parser = play_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(WebConfig, args)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        make_player(config.player_spec(Strength(config.visits)))  # fail now, not in a game
    except (ValueError, OSError) as exc:
        print(f"rocks play: {exc}", file=sys.stderr)
        return 2
    try:
        serve(config)
    except KeyboardInterrupt:
        return 0
    return 0


@dataclass(frozen=True)
class ArenaOptions:
    """Options of ``rocks arena``.

    Attributes:
        out: arena folder (config.json, results.csv, sgf/, ratings); rerun the same command
            to resume an interrupted arena.
        engine: an engine, once per --engine: NAME='COMMAND LINE' ({seed} is replaced per
            game), gnugo:LEVEL, pachi:PLAYOUTS[:THREADS] (with --pachi), rocks:random or
            rocks:MODEL[:VISITS]; none: the engines of the arena in --out.
        mode: round-robin, or gauntlet (the first engine plays each of the others).
        games: games per pairing.
        size: board size.
        komi: komi.
        jobs: games at once (one per spare core).
        move_timeout: seconds one GTP command may take before its engine forfeits.
        time: a clock MAIN,BYO,STONES (Canadian byo-yomi) instead of the engines' own budgets.
        max_moves: moves after which a game is scored as it stands (none: 4 * size^2).
        scoring: referee (the engines' agreed score, else GNU Go's judgement of dead stones),
            gnugo (GNU Go judges every game) or tromp-taylor (every stone alive).
        seed: mixed into every game's seed.
        anchor: engine rated 0 (none: the first).
        bootstrap: bootstrap resamples for the intervals (0: from the Hessian).
        rate_only: only rate the results so far.
        quiet: no progress bar.
        pachi: the Pachi binary of pachi: engines (built from source: docs/guide.md, "Pachi").
    """

    out: str
    engine: tuple[str, ...] = field(default=(), metadata={"repeat": True})
    mode: Literal["round-robin", "gauntlet"] = "round-robin"
    games: int = 20
    size: int = 9
    komi: float = 7.5
    jobs: int = 1
    move_timeout: float = 60.0
    time: tuple[float, ...] | None = None
    max_moves: int | None = None
    scoring: Literal["referee", "gnugo", "tromp-taylor"] = "referee"
    seed: int = 0
    anchor: str | None = None
    bootstrap: int = 0
    rate_only: bool = False
    quiet: bool = False
    pachi: str | None = None

    def __post_init__(self) -> None:
        if self.time is not None and (len(self.time) != 3 or self.time[2] != int(self.time[2])):
            raise ValueError(f"--time wants MAIN,BYO,STONES such as 60,10,5; got {self.time}")

    def clock(self) -> tuple[float, float, int] | None:
        return None if self.time is None else (self.time[0], self.time[1], int(self.time[2]))


def arena_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks arena`` (from :class:`ArenaOptions`)."""
    p = argparse.ArgumentParser(
        prog="rocks arena",
        description="Round-robin or gauntlet matches between GTP engines, with Elo ratings. "
                    "Rerun the same command to resume an interrupted arena.")
    add_config_arguments(p, ArenaOptions)
    return p


def arena_main(argv: list[str] | None = None) -> int:
    """``rocks arena``: games between GTP engines (rocks.play.arena), then Elo ratings."""
    from rocks.play import arena

    parser = arena_parser()
    try:
        opts = config_from_args(ArenaOptions, parser.parse_args(argv))
    except ValueError as exc:
        parser.error(str(exc))
    out = Path(opts.out)
    try:
        if not opts.rate_only:
            if opts.engine:
                engines = tuple(arena.parse_engine(e, pachi=opts.pachi) for e in opts.engine)
            elif (out / "config.json").exists():
                engines = arena.ArenaConfig.from_json((out / "config.json").read_text()).engines
            else:
                parser.error("give at least two --engine (or --out of an arena to resume)")
            config = arena.ArenaConfig(
                engines=engines, out_dir=str(out), mode=opts.mode, games_per_pair=opts.games,
                size=opts.size, komi=opts.komi, move_timeout_s=opts.move_timeout,
                time_settings=opts.clock(), max_moves=opts.max_moves, jobs=opts.jobs,
                scoring=opts.scoring, seed=opts.seed)
            rows = _run_interruptible(arena.run_arena, config, progress=not opts.quiet)
            if rows is None:
                print(f"rocks arena: interrupted; the finished games are in {out / 'results.csv'}"
                      "; run the same command again to resume", file=sys.stderr)
                return 130
            print(f"rocks arena: {len(rows)} games in {out / 'results.csv'}")
        table = arena.rate_arena(out, anchor=opts.anchor, bootstrap=opts.bootstrap)
    except ValueError as exc:
        print(f"rocks arena: {exc}", file=sys.stderr)
        return 2
    print(table.to_text())
    print(f"ratings: {out / 'ratings.txt'}, plot: {out / 'ratings.png'}")
    return 0


def _run_interruptible(func, *args, **kwargs):
    """``func(...)``, or None if stopped by Ctrl-C or SIGTERM (both end it the same clean way)."""
    import signal
    import threading

    def stop(signum, frame):
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, stop) if in_main else None
    try:
        return func(*args, **kwargs)
    except KeyboardInterrupt:
        return None
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True)
class AnalysisOptions:
    """Options of ``rocks analysis``.

    Attributes:
        model: network checkpoint: a path, bundled (the shipped 9x9 model) or none (random
            rollouts, no score head).
        visits: maxVisits of a query that names none.
        max_visits: the most visits one position is searched (a tree's memory grows with its
            visits; larger maxVisits are capped, with a warning).
        workers: queries searched at once.
        threads: search threads per query, one core each.
        precision: network arithmetic: auto (the fastest mode that keeps fp32's top move),
            fp32 or bf16.
        symmetries: board symmetries per evaluation: random (one of 8), none, or all.
        device: where the network runs: auto, cpu, cuda or mps.
        candidates: moves reported per position, most visited first.
        seed: random seed of the searches.
    """

    model: str = "bundled"
    visits: int = 100
    max_visits: int = 100_000
    workers: int = 1
    threads: int = 1
    precision: Precision = "auto"
    symmetries: Symmetries = "random"
    device: Device = "auto"
    candidates: int = 10
    seed: int | None = None

    def __post_init__(self) -> None:
        if min(self.visits, self.max_visits, self.workers, self.threads, self.candidates) < 1:
            raise ValueError("visits, max_visits, workers, threads and candidates must be at "
                             "least 1")


def analysis_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks analysis`` (from :class:`AnalysisOptions`)."""
    p = argparse.ArgumentParser(
        prog="rocks analysis",
        description="KataGo's JSON analysis-engine protocol on stdin/stdout (for KaTrain and "
                    "other review tools): one query per line in, one response per line out.")
    add_config_arguments(p, AnalysisOptions)
    return p


def analysis_main(argv: list[str] | None = None) -> int:
    """``rocks analysis``: serve KataGo analysis queries (rocks.play.analysis_engine)."""
    from rocks.play.analysis_engine import serve
    from rocks.play.analyst import make_analyst

    parser = analysis_parser()
    try:
        opts = config_from_args(AnalysisOptions, parser.parse_args(argv))
    except ValueError as exc:
        parser.error(str(exc))
    try:
        analyst = make_analyst(opts.model, opts.threads, opts.candidates, opts.precision,
                               opts.symmetries, opts.device, opts.seed, opts.workers)
    except (ValueError, OSError) as exc:
        print(f"rocks analysis: {exc}", file=sys.stderr)
        return 2
    try:
        serve(analyst, workers=opts.workers, default_visits=opts.visits,
              max_visits=opts.max_visits,
              log=lambda m: print(m, file=sys.stderr, flush=True))
    except (KeyboardInterrupt, BrokenPipeError):
        return 0
    return 0


def review_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks review`` (from :class:`~rocks.play.review.ReviewConfig`)."""
    from rocks.play.review import ReviewConfig

    p = argparse.ArgumentParser(
        prog="rocks review",
        description="Review a game: an annotated SGF, each side's biggest mistakes, a graph.")
    add_config_arguments(p, ReviewConfig)
    return p


def review_main(argv: list[str] | None = None) -> int:
    """``rocks review GAME.sgf``: analyse every position of a game (rocks.play.review)."""
    from rocks.play.review import ReviewConfig, run_review

    parser = review_parser()
    try:
        config = config_from_args(ReviewConfig, parser.parse_args(argv))
    except ValueError as exc:
        parser.error(str(exc))
    try:
        review = run_review(config)
    except (ValueError, OSError) as exc:
        print(f"rocks review: {exc}", file=sys.stderr)
        return 2
    print(review.summary)
    return 0
