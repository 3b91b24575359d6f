"""``rocks gtp``: its options (:class:`GtpConfig`), the front end with every command family
registered (:func:`build_gtp`), and the command line that starts it for a player
(:func:`gtp_argv`, the arena's ``rocks:`` engines).

The families, each one handler class (minigo's ``gtp_cmd_handlers.py``):

==================  ============================================================================
module              commands
==================  ============================================================================
``core``            GTP v2's standard set and GNU Go's extensions (``play``, ``genmove``, ...)
``analysis``        ``lz-analyze``, ``kata-analyze`` and their ``*-genmove_analyze`` forms
``gogui``           ``gogui-analyze_commands`` and the ``rocks-*`` maps it lists
``kgs``             ``kgs-time_settings``, ``kgs-genmove_cleanup``
==================  ============================================================================

Departures, numbered:
  1. ``--model`` takes, besides a checkpoint's path, ``bundled`` (the shipped
     models/rocks-9x9-b6c64.safetensors where this installation has it: the default) and
     ``none`` (the search over random rollouts); ``--player auto`` searches over the bundled
     model where there is one and plays random moves where there is not.
  2. ``--move-time`` is the engine's budget per move when the controller sets no clock; a
     player spec's ``move_time_s`` travels as it in :func:`gtp_argv`.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Literal

from rocks.configcli import to_argv
from rocks.engines.commands import rocks_gtp_command
from rocks.go.board import Rules
from rocks.play.engine import Engine, EngineConfig
from rocks.play.gtp.analysis import AnalysisCommands, AnalysisConfig
from rocks.play.gtp.core import CoreCommands
from rocks.play.gtp.gogui import GoGuiCommands
from rocks.play.gtp.kgs import KgsCommands
from rocks.play.gtp.protocol import GtpEngine
from rocks.play.players import (
    Device,
    PlayerSpec,
    Precision,
    Symmetries,
    make_player,
    resolve_model,
)


@dataclass(frozen=True)
class GtpConfig:
    """Options of ``rocks gtp``.

    Attributes:
        size: board size until the controller sends boardsize.
        komi: komi until the controller sends komi.
        player: move generator: mcts (search), random, pass, or auto (mcts over the bundled
            model where there is one, else random).
        model: network checkpoint of the search: a path (implies --player mcts), bundled (the
            shipped models/rocks-9x9-b6c64.safetensors) or none (random rollouts).
        visits: MCTS simulations per move (none: as many as the move time allows).
        move_time: seconds per move when the controller sets no clock (0.8: with the bundled
            model every move stays under 1 s on a 2-core VM).
        precision: network arithmetic: bf16 (bfloat16, channels-last eager torch), fp32, or
            auto: the fastest inference mode (torch, TorchScript, ONNX Runtime; fp32 or bf16)
            that keeps fp32's top move on >= 97% of 256 positions, measured at start-up.
        symmetries: board symmetries per evaluation: random (one of 8), none, or all.
        c_puct: the search's exploration constant (none: the search's default).
        threads: search threads sharing one tree, one core each (none: the machine's cores, at
            most 4; 1: the plain search, reproducible with --seed and a fixed --precision).
        device: where the network runs: auto (CUDA, then Apple's MPS, then the CPU), cpu,
            cuda or mps.
        seed: random seed of the player.
        score_utility: weight of KataGo's score utility once a game is decided (0: win/loss
            only; rocks.play.score_utility).
        value_model: a second checkpoint whose value head the search uses, the priors staying
            --model's (AlphaGo 2016's policy and value networks; none: --model does both).
        resign_threshold: resign when the search's value is below this (-1: never; none: the
            player's default, -0.95).
        suicide: allow suicide (Tromp-Taylor rules).
        superko: positional superko, or none (simple ko only).
        name: name reported to the controller.
    """

    size: int = 19
    komi: float = 7.5
    player: Literal["auto", "mcts", "random", "pass"] = "auto"
    model: str = "bundled"
    visits: int | None = None
    move_time: float = 0.8
    precision: Precision = "auto"
    symmetries: Symmetries = "random"
    c_puct: float | None = None
    threads: int | None = None
    device: Device = "auto"
    seed: int | None = None
    score_utility: float = 0.0
    value_model: str | None = None
    resign_threshold: float | None = None
    suicide: bool = False
    superko: Literal["positional", "none"] = "positional"
    name: str = "rocks"

    def __post_init__(self) -> None:
        if not self.move_time > 0:
            raise ValueError(f"move_time must be positive, got {self.move_time}")

    def player_spec(self) -> PlayerSpec:
        """The player these options describe (departure 1); ValueError if they are bad."""
        kind = self.player
        model = resolve_model(self.model, wanted=kind in ("auto", "mcts"))
        if kind == "auto":
            kind = "mcts" if model is not None else "random"
        elif kind == "random" and model is not None:
            kind = "mcts"  # a model implies the search
        return PlayerSpec(kind=kind, model=model, visits=self.visits,
                          precision=self.precision, symmetries=self.symmetries, seed=self.seed,
                          c_puct=self.c_puct, threads=self.threads, device=self.device,
                          score_utility=self.score_utility, value_model=self.value_model,
                          resign_threshold=self.resign_threshold)

    def engine_config(self) -> EngineConfig:
        return EngineConfig(size=self.size, komi=self.komi,
                            rules=Rules(suicide=self.suicide, superko=self.superko),
                            name=self.name, default_move_time_s=self.move_time)


def build_gtp(engine: Engine, out: IO[str] | None = None,
              analysis: AnalysisConfig | None = None, evaluate: Callable | None = None,
              ) -> GtpEngine:
    """A GTP front end over ``engine`` with every command family registered.

    ``analysis`` sets the analysis and GoGui reports; ``evaluate`` is the network behind
    GoGui's maps (None: the player's own).  KGS comes last: its ``time_settings`` and
    ``time_left`` replace the core's, which they call.
    """
    gtp = GtpEngine(engine, out=out)
    core = CoreCommands(gtp)
    for family in (core, AnalysisCommands(gtp, analysis), GoGuiCommands(gtp, analysis, evaluate),
                   KgsCommands(gtp, core)):
        gtp.register_handlers(family)
    return gtp


def run_gtp(config: GtpConfig, stdin: IO[str] | None = None,
            stdout: IO[str] | None = None) -> None:
    """Make the player, then answer GTP on ``stdin``/``stdout`` until ``quit`` or end of input.

    ValueError if the options or the model are bad (before anything is read).
    """
    engine = Engine(config.engine_config(), make_player(config.player_spec()))
    gtp = build_gtp(engine, out=stdout if stdout is not None else sys.stdout)
    gtp.serve(stdin if stdin is not None else sys.stdin)


def gtp_argv(spec: PlayerSpec, **options: object) -> list[str]:
    """The ``rocks gtp`` command line (run by this Python) that makes the player ``spec``
    describes; ``options`` are further :class:`GtpConfig` fields (``size=9``).

    Only what differs from GtpConfig's defaults is written, so the line stays readable.
    """
    values: dict[str, object] = {
        "player": spec.kind, "model": spec.model if spec.model is not None else "none",
        "visits": spec.visits, "precision": spec.precision, "symmetries": spec.symmetries,
        "c_puct": spec.c_puct, "threads": spec.threads, "device": spec.device,
        "seed": spec.seed, "score_utility": spec.score_utility,
        "value_model": spec.value_model, "resign_threshold": spec.resign_threshold}
    if spec.move_time_s is not None:
        values["move_time"] = spec.move_time_s
    if spec.kind != "mcts":  # the search's settings would not change a random or pass player
        values = {"player": spec.kind, "seed": spec.seed}
    values.update(options)
    defaults = GtpConfig()
    changed = {k: v for k, v in values.items() if getattr(defaults, k) != v}
    dataclasses.replace(defaults, **changed).player_spec()  # the line must make a valid player
    return rocks_gtp_command(*to_argv(changed))
