"""Command-line entry points of rocks.play: ``rocks gtp`` (and ``rocks play``, built elsewhere).

``rocks gtp`` speaks GTP v2 on stdin/stdout (see :mod:`rocks.play.gtp`) for Sabaki, GoGui,
Lizzie, a match runner or GNU Go's twogtp.  The player is made in :func:`make_player`, the one
place later players (``--model``, ``--visits``) plug in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rocks.go.board import Rules
from rocks.play.engine import Engine, EngineConfig
from rocks.play.players import PassPlayer, Player, RandomPlayer

PLAYERS = ("random", "pass", "mcts")
# The shipped 9x9 network (see models/README.md); present in a source checkout.
DEFAULT_MODEL = Path(__file__).resolve().parents[3] / "models" / "rocks-9x9-b6c64.safetensors"


def default_model() -> str | None:
    """The bundled model's path, or None where this installation has none."""
    return str(DEFAULT_MODEL) if DEFAULT_MODEL.is_file() else None


def make_player(args: argparse.Namespace) -> Player:
    """The Player that ``--player`` (and its options) name.

    Without ``--player``, and for ``--player mcts`` without ``--model``, the search runs over
    the bundled model when there is one (``--model none``: rollouts instead); bare
    ``rocks gtp`` is the random player only where no model is bundled."""
    model = getattr(args, "model", None)
    player = getattr(args, "player", None)
    if model == "none":
        model = None
    elif model is None and player in (None, "mcts"):
        model = default_model()
    if player is None:
        player = "mcts" if model is not None else "random"
    args = argparse.Namespace(**{**vars(args), "model": model, "player": player})
    if args.player == "random" and getattr(args, "model", None) is None:
        return RandomPlayer(seed=args.seed)
    if args.player == "pass":
        return PassPlayer()
    if args.player == "mcts" or getattr(args, "model", None) is not None:
        from rocks.play.mcts_player import make_player as make_mcts_player

        if args.visits is not None and args.visits < 1:
            raise SystemExit(f"rocks gtp: --visits must be at least 1, got {args.visits}")
        try:  # over --model, or over random rollouts without one
            player = make_mcts_player(args.model, visits=args.visits, seed=args.seed,
                                      precision=getattr(args, "precision", "auto"))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"rocks gtp: cannot load --model {args.model}: {exc}") from exc
        if args.model is not None:
            _warm_up(player)
        return player
    raise SystemExit(f"rocks gtp: unknown player {args.player!r} (choose from {PLAYERS})")


def _warm_up(player: Player) -> None:
    """One tiny search now, so that the first genmove does not pay for compiling the search
    kernels and the network's first call (measured 1.8 s against 0.9 s for later moves)."""
    from rocks.go.board import Position

    player.select_move(Position.empty(9), 0.05)


def gtp_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rocks gtp", description="Speak GTP v2 on stdin/stdout.")
    p.add_argument("--size", type=int, default=19, help="board size until boardsize (19)")
    p.add_argument("--komi", type=float, default=7.5, help="komi until the komi command (7.5)")
    p.add_argument("--player", choices=PLAYERS, default=None,
                   help="move generator (default: mcts over the bundled model, else random)")
    p.add_argument("--seed", type=int, default=None, help="random seed of the player")
    p.add_argument("--model", default=None,
                   help="network checkpoint for MCTS (implies --player mcts; default: the "
                        "bundled models/rocks-9x9-b6c64.safetensors; 'none': rollouts)")
    p.add_argument("--visits", type=int, default=None,
                   help="MCTS simulations per move (default: as many as the move time allows)")
    p.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="network arithmetic: bf16 (bfloat16, channels-last) gave 1.5x the "
                        "visits of fp32 under load on a CPU with bf16 support; auto (default) "
                        "uses it when a start-up check finds it faithful to fp32")
    p.add_argument("--suicide", action="store_true", help="allow suicide (Tromp-Taylor)")
    p.add_argument("--superko", choices=("positional", "none"), default="positional")
    p.add_argument("--move-time", type=float, default=0.8,
                   help="seconds per move when the controller sets no clock (0.8: with the "
                        "bundled model every move stays under 1 s on a 2-core VM)")
    p.add_argument("--name", default="rocks", help="name reported to the controller")
    return p


def gtp_main(argv: list[str] | None = None) -> int:
    from rocks.play.analysis import AnalysisCommands
    from rocks.play.gtp import GtpEngine

    args = gtp_parser().parse_args(argv)
    try:
        config = EngineConfig(size=args.size, komi=args.komi,
                              rules=Rules(suicide=args.suicide, superko=args.superko),
                              name=args.name, default_move_time_s=args.move_time)
    except ValueError as exc:
        print(f"rocks gtp: {exc}", file=sys.stderr)
        return 2
    engine = Engine(config, make_player(args))
    try:
        gtp = GtpEngine(engine, out=sys.stdout)
        gtp.register_handlers(AnalysisCommands(gtp))  # lz-analyze, gogui-*, kgs-time_settings
        gtp.serve(sys.stdin)
    except (KeyboardInterrupt, BrokenPipeError):
        return 0
    return 0


def play_main(argv: list[str] | None = None) -> int:
    """``rocks play``: serve the board page (rocks.play.web) and open it in the browser."""
    from rocks.play.web.server import WebConfig, make_player, serve

    p = argparse.ArgumentParser(prog="rocks play", description="Play Go in the browser.")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (127.0.0.1: this machine only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--model", default=None, help="checkpoint of the bot's network")
    p.add_argument("--player", choices=("mcts", "random"), default="mcts",
                   help="the bot without --model: search over random rollouts, or random moves")
    p.add_argument("--visits", type=int, default=150,
                   help="default search visits per move (150: under 1 s on 2 busy cores)")
    p.add_argument("--max-games", type=int, default=64, help="games kept at once (64)")
    args = p.parse_args(argv)
    if not 0 < args.port < 65536 or args.visits < 1 or args.max_games < 1:
        p.error("--port must be 1..65535, --visits and --max-games at least 1")
    config = WebConfig(host=args.host, port=args.port, model=args.model, player=args.player,
                       visits=args.visits,
                       max_games=args.max_games, open_browser=not args.no_browser)
    try:
        from rocks.play.web.server import Strength

        make_player(config, Strength(args.visits))  # fail now, not on the first game
    except (ValueError, OSError) as exc:
        print(f"rocks play: {exc}", file=sys.stderr)
        return 2
    try:
        serve(config)
    except KeyboardInterrupt:
        return 0
    return 0


def arena_main(argv: list[str] | None = None) -> int:
    """``rocks arena``: games between GTP engines (rocks.play.arena), then Elo ratings."""
    from rocks.play import arena

    p = argparse.ArgumentParser(
        prog="rocks arena",
        description="Round-robin or gauntlet matches between GTP engines, with Elo ratings. "
                    "Rerun the same command to resume an interrupted arena.")
    p.add_argument("--engine", action="append", default=[], metavar="SPEC",
                   help="NAME='COMMAND LINE' ({seed} is replaced per game), or gnugo:LEVEL, "
                        "pachi[:PLAYOUTS], rocks:random, rocks:MODEL[:VISITS]; repeat")
    p.add_argument("--out", required=True, help="arena folder (results.csv, sgf/, ratings)")
    p.add_argument("--mode", choices=("round-robin", "gauntlet"), default="round-robin",
                   help="gauntlet: the first engine plays each of the others")
    p.add_argument("--games", type=int, default=20, help="games per pairing (20)")
    p.add_argument("--size", type=int, default=9)
    p.add_argument("--komi", type=float, default=7.5)
    p.add_argument("--jobs", type=int, default=1, help="games at once (one per spare core)")
    p.add_argument("--move-timeout", type=float, default=60.0,
                   help="seconds one GTP command may take before its engine forfeits")
    p.add_argument("--time", default=None, metavar="MAIN,BYO,STONES",
                   help="a clock (Canadian byo-yomi) instead of the engines' fixed budgets")
    p.add_argument("--max-moves", type=int, default=None)
    p.add_argument("--scoring", choices=("referee", "tromp-taylor"), default="referee",
                   help="referee: the engines' agreed score, else GNU Go's (default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--anchor", default=None, help="engine rated 0 (default: the first)")
    p.add_argument("--bootstrap", type=int, default=0,
                   help="bootstrap resamples for the intervals (0: Hessian)")
    p.add_argument("--rate-only", action="store_true", help="only rate the results so far")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    out = Path(args.out)
    try:
        if not args.rate_only:
            if args.engine:
                engines = tuple(arena.parse_engine(e) for e in args.engine)
            elif (out / "config.json").exists():
                engines = arena.ArenaConfig.from_json((out / "config.json").read_text()).engines
            else:
                p.error("give at least two --engine (or --out of an arena to resume)")
            clock = None
            if args.time:
                try:
                    main, byo, stones = args.time.split(",")
                    clock = (float(main), float(byo), int(stones))
                except ValueError:
                    p.error(f"--time wants MAIN,BYO,STONES such as 60,10,5; got {args.time!r}")
            config = arena.ArenaConfig(
                engines=engines, out_dir=str(out), mode=args.mode, games_per_pair=args.games,
                size=args.size, komi=args.komi, move_timeout_s=args.move_timeout,
                time_settings=clock, max_moves=args.max_moves, jobs=args.jobs,
                scoring=args.scoring, seed=args.seed)
            rows = _run_interruptible(arena.run_arena, config, progress=not args.quiet)
            if rows is None:
                print(f"rocks arena: interrupted; the finished games are in {out / 'results.csv'}"
                      "; run the same command again to resume", file=sys.stderr)
                return 130
            print(f"rocks arena: {len(rows)} games in {out / 'results.csv'}")
        table = arena.rate_arena(out, anchor=args.anchor, bootstrap=args.bootstrap)
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
