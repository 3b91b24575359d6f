"""The players, and the one factory that makes any of them from a typed spec (``PlayerSpec``).

A player is anything with ``select_move(position, time_budget_s) -> Decision`` (the contract is
in :mod:`rocks.play.decision`).  :func:`make_player` is the only place a player is built from
a description, and every front end describes its player as a :class:`PlayerSpec`: ``rocks
gtp`` from its flags, the web page from its options and the strength a game asks for, the
arena's ``rocks:`` engines as the ``rocks gtp`` command line of a spec
(:func:`rocks.play.gtp.command.gtp_argv`)::

    player = make_player(PlayerSpec(model="models/rocks-9x9-b6c64.safetensors", visits=400))

The players:

- ``mcts``: the search over a network, or over random rollouts without one
  (:class:`rocks.play.mcts_player.MCTSPlayer`, AlphaGo Zero's play);
- ``random``: the usual light-playout rule (as in Brügmann 1993 and every MCTS rollout since),
  a uniformly random legal move that does not fill one of its own eyes, pass only when nothing
  else is left;
- ``pass``: always passes (ends games quickly in tests).

Departures, numbered:
  1. The random and pass players never resign.
  2. A network player runs one tiny search when it is made (``warm_up``), so that the first
     ``genmove`` does not pay for compiling the search kernels and the network's first call
     (measured 1.8 s against 0.9 s for later moves).
  3. A network player searches on ``threads`` cores (:mod:`rocks.search.parallel`; default
     min(cores, 4)), each search thread evaluating on one torch thread; with
     ``precision="auto"`` its inference mode is the fastest that keeps fp32's top move on
     >= 97% of 256 positions (:func:`rocks.nets.evaluator.fastest_settings`, timed with as
     many callers as search threads), found once per process and model.  The search over
     rollouts keeps one thread (its playouts hold the GIL).
"""

from __future__ import annotations

import functools
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from rocks.go.board import Position
from rocks.play.decision import Decision, Player

# The shipped 9x9 network (see models/README.md); present in a source checkout.
BUNDLED_MODEL = Path(__file__).resolve().parents[3] / "models" / "rocks-9x9-b6c64.safetensors"

PlayerKind = Literal["mcts", "random", "pass"]
Precision = Literal["auto", "fp32", "bf16"]
Symmetries = Literal["none", "random", "all"]
#: rocks.devices.DeviceName, spelt here so that a spec does not import torch (a test
#: checks that the two agree).
Device = Literal["auto", "cpu", "cuda", "mps"]


@dataclass(frozen=True)
class PlayerSpec:
    """Which player to make, and how it spends its time.

    Attributes:
        kind: "mcts" (search), "random" or "pass".
        model: network checkpoint the search evaluates with; None: random rollouts instead.
        visits: new search simulations per move; None: search until the move's time is spent.
        move_time_s: a cap on seconds per move below the engine's budget; None: none.
        precision: network arithmetic: "bf16" (bfloat16 autocast, channels-last: 1.5x the
            visits of fp32 under load, docs/benchmarks.md "Search"), "fp32", or "auto": the
            fastest inference mode that chooses fp32's top move on >= 97% of 256 positions
            (departure 3; docs/benchmarks.md "Cores and accelerators").
        symmetries: "random" (AlphaGo Zero's play: each position in one of its 8 symmetries,
            which averages out the net's orientation quirks and makes games against a
            deterministic opponent vary), "none" or "all" (the mean of all 8).
        seed: seed of the player's random choices (None: fresh entropy).
        c_puct: the search's exploration constant; None: the search's default.
        threads: search threads sharing one tree, each evaluating on one core (departure 3;
            torch itself runs one thread); None: min(cores, 4); 1: the plain search, the only
            one reproducible with a seed (with a fixed ``precision``: "auto" times the modes).
        device: where the network runs: auto (CUDA, then Apple's MPS, then the CPU), cpu,
            cuda or mps.
        warm_up: a network player searches once when made (departure 2).
        score_utility: weight of KataGo's score utility in the value the search backs up,
            once a game is decided (:mod:`rocks.play.score_utility`); 0: win/loss only.
        value_model: a second checkpoint whose value (and ownership, score) the search backs
            up, the priors staying ``model``'s (AlphaGo 2016: a supervised policy network and
            a value network from self-play; :func:`rocks.nets.evaluator.split_evaluator`).
            Each leaf costs both networks' evaluations. None: ``model`` does both.
        resign_threshold: the search resigns when its root value and its best move's Q are
            both below this (AlphaGo Zero's v_resign; -1 never resigns; None: the player's
            default, :class:`rocks.play.mcts_player.MCTSPlayerConfig`).
    """

    kind: PlayerKind = "mcts"
    model: str | None = None
    visits: int | None = 200
    move_time_s: float | None = None
    precision: Precision = "auto"
    symmetries: Symmetries = "random"
    seed: int | None = None
    c_puct: float | None = None
    threads: int | None = None
    device: Device = "auto"
    warm_up: bool = True
    score_utility: float = 0.0
    value_model: str | None = None
    resign_threshold: float | None = None

    def __post_init__(self) -> None:
        _check_choice("kind", self.kind, PlayerKind)
        if self.value_model is not None and (self.kind != "mcts" or self.model is None):
            raise ValueError("value_model needs a search over a network (kind mcts and a model)")
        _check_choice("precision", self.precision, Precision)
        _check_choice("symmetries", self.symmetries, Symmetries)
        _check_choice("device", self.device, Device)
        if self.visits is not None and self.visits < 1:
            raise ValueError(f"visits must be at least 1, got {self.visits}")
        if self.move_time_s is not None and not self.move_time_s > 0:
            raise ValueError(f"move_time_s must be positive, got {self.move_time_s}")
        if self.c_puct is not None and not self.c_puct > 0:
            raise ValueError(f"c_puct must be positive, got {self.c_puct}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        if not 0.0 <= self.score_utility <= 1.0:
            raise ValueError(f"score_utility must lie in [0, 1], got {self.score_utility}")
        if self.resign_threshold is not None and not -1.0 <= self.resign_threshold < 1.0:
            raise ValueError(f"resign_threshold must lie in [-1, 1), got {self.resign_threshold}")


def _check_choice(name: str, value: str, choices: object) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def default_threads() -> int:
    """Search threads when a spec names none: this process's cores, at most 4 (more threads
    spread the search thinner under virtual loss for less gain)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 4))


def bundled_model() -> str | None:
    """The shipped model's path, or None where this installation has none."""
    return str(BUNDLED_MODEL) if BUNDLED_MODEL.is_file() else None


def resolve_model(text: str, wanted: bool = True) -> str | None:
    """A ``--model`` value as a checkpoint path: ``"none"`` is None, ``"bundled"`` the shipped
    model when ``wanted`` and present (else None), anything else a path as given."""
    if text == "none":
        return None
    if text == "bundled":
        return bundled_model() if wanted else None
    return text


def make_player(spec: PlayerSpec) -> Player:
    """The player ``spec`` describes.

    Raises ValueError (:class:`~rocks.nets.checkpoint.CheckpointError`) if the model is missing
    or not a checkpoint.
    """
    if spec.kind == "random":
        return RandomPlayer(seed=spec.seed)
    if spec.kind == "pass":
        return PassPlayer()
    return _mcts_player(spec)


def _mcts_player(spec: PlayerSpec) -> Player:
    # The search stack (numba) and the network stack (torch) load only for a search player.
    import dataclasses

    from rocks.play.mcts_player import MCTSPlayer, MCTSPlayerConfig
    from rocks.search.rollout import RolloutConfig, rollout_evaluator

    cfg = MCTSPlayerConfig(visits=spec.visits, time_per_move_s=spec.move_time_s,
                           seed=spec.seed)
    if spec.resign_threshold is not None:
        cfg = dataclasses.replace(cfg, resign_threshold=spec.resign_threshold)
    if spec.c_puct is not None:
        cfg = dataclasses.replace(cfg, search=dataclasses.replace(cfg.search,
                                                                  c_puct=spec.c_puct))
    if spec.model is None:
        evaluate = rollout_evaluator(RolloutConfig(playouts=1, seed=spec.seed or 0))
        return MCTSPlayer(evaluate, cfg, name="mcts-rollouts")
    threads = spec.threads or default_threads()
    batch = max(cfg.search.leaves_per_batch, 1)
    evaluator = network_evaluator(spec, threads, batch)
    if spec.value_model is not None:
        from rocks.nets.evaluator import split_evaluator

        values = network_evaluator(dataclasses.replace(spec, model=spec.value_model), threads,
                                   batch)
        evaluator = split_evaluator(evaluator, values)
    if spec.score_utility > 0:
        from rocks.play.score_utility import ScoreUtility, with_score_utility

        evaluator = with_score_utility(evaluator, ScoreUtility(weight=spec.score_utility))
    player = MCTSPlayer(evaluator, dataclasses.replace(cfg, threads=threads), name="mcts")
    if spec.warm_up:
        player.select_move(Position.empty(9), 0.05)
    return player


def network_evaluator(spec: PlayerSpec, threads: int, batch: int = 16):
    """The thread-safe ``evaluate`` of ``spec``'s model (an
    :class:`~rocks.nets.evaluator.Evaluator` in ``spec.precision`` on ``spec.device``), for
    ``threads`` search threads of one torch thread each (departure 3)."""
    import torch

    from rocks.nets.checkpoint import load_checkpoint
    from rocks.nets.evaluator import MODES, Evaluator

    if spec.model is None:
        raise ValueError("network_evaluator needs a model")
    net, _ = load_checkpoint(spec.model)
    torch.set_num_threads(1)  # one core per search thread (departure 3)
    mode = {"fp32": "fp32", "bf16": "bf16+channels_last"}.get(spec.precision) or \
        _fastest_mode(spec.model, spec.device, threads, batch)
    return Evaluator(net, batch_size=batch, symmetries=spec.symmetries, seed=spec.seed,
                     device=spec.device, **MODES[mode])


@functools.lru_cache(maxsize=8)
def _fastest_mode(model: str, device: str, callers: int, batch: int) -> str:
    """The inference mode of ``precision="auto"`` (departure 3), measured once per process:
    the web page makes a player per game."""
    from rocks.nets.checkpoint import load_checkpoint
    from rocks.nets.evaluator import START_UP_MODES, available_modes, fastest_settings

    net, _ = load_checkpoint(model)
    modes = [m for m in START_UP_MODES if m in available_modes(device)]
    return fastest_settings(net, 9, batch_size=batch, repeats=3, modes=modes, device=device,
                            callers=callers).mode


class RandomPlayer:
    """A uniformly random legal move that does not fill the player's own eye; never resigns."""

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)

    def select_move(self, position: Position, time_budget_s: float = 0.0) -> Decision:
        # Trying points in random order and stopping at the first legal one costs a few legality
        # checks instead of the whole board's.
        empty = [int(p) for p in np.flatnonzero(position.board == 0)]
        self.rng.shuffle(empty)
        for p in empty:
            if not position.is_eye(p) and position.is_legal(p):
                return Decision(move=p)
        return Decision(move=position.pass_move)


class PassPlayer:
    """Always passes (handy in tests and for ending games quickly)."""

    name = "pass"

    def select_move(self, position: Position, time_budget_s: float = 0.0) -> Decision:
        return Decision(move=position.pass_move)
