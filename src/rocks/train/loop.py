"""The self-play reinforcement-learning loop: self-play -> shards -> training -> evaluation.

Follows AlphaGo Zero (Silver et al., Nature 2017): the best network so far plays games against
itself, a trainer learns from a window of the most recent games, and each new checkpoint plays
the best one, replacing it when it wins at least ``gate`` of the games.  AlphaZero (Silver et
al., Science 2018) drops the gate (``gating_games = 0``: always play the latest network).
KataGo's efficiency ideas (Wu, arXiv 1902.10565) are in :mod:`rocks.train.selfplay`.

Stages exchange files, as in KataGo's synchronous loop, so every stage restarts from disk::

    out/config.json         this LoopConfig (a rerun refuses a different network)
    out/state.json          generation, stage, best checkpoint, CPU seconds so far (GNU Go
                            opponents included; atomic)
    out/selfplay/gGGGG_IIIIII.npz   one shard per finished game (atomic; its presence = done)
    out/sgf/gGGGG_IIIIII.sgf        the same game as SGF
    out/checkpoints/        init, gen_GGGG (after training generation G), best, latest
    out/optimizer.pt        optimizer state after the last training stage
    out/selfplay.csv, out/train.csv, out/eval.csv   one row per game / generation / match

Departures, numbered:
  1. Synchronous generations (play, then train, then gate) instead of AlphaGo Zero's three
     asynchronous processes: one CPU machine, and a kill loses at most the games in flight
     (plus the training stage or the match in progress, which are redone).
  2. The window is counted in positions (``window``) not games.
  3. Gating uses few games (``gating_games``) at few visits; a strength check against GNU Go
     runs every ``gnugo_every`` generations on the best network.
  4. Resignation is calibrated as in AlphaGo Zero: after each self-play stage the threshold
     becomes the highest value (at most the configured one) that would have resigned at most
     5% of the won no-resign games among the last ``resign_window`` (state.json keeps it).
  5. Training positions are drawn from the window with recency weighting: a position from
     ``a`` generations ago is drawn ``recency**a`` times as often as a new one (1 = uniform,
     AlphaGo Zero), so the newest, strongest games count more without shrinking the window.
  6. A run resumed without its shards (a fresh clone: they are not committed) replays the
     current generation's self-play before training, and its window refills from there.
  7. With ``ray`` set, the self-play stage runs on Ray actors (:mod:`rocks.train.distributed`,
     docs/cluster.md), which write the same shards; everything else stays in this process,
     and the workers' CPU seconds join ``cpu_s``.  Without it ``ray`` is never imported.
  8. Supervised anchor (``anchor_fraction`` > 0): a share of every training batch is drawn
     uniformly from fixed teacher examples (``anchor_data``, shards from ``rocks data
     import``) and trains the policy (and ownership/score where their ``aux_weight`` says so)
     but not the value: their value weight is 0.  The cheap analogue of AlphaStar's KL term
     to its supervised policy (Vinyals et al., Nature 2019), which keeps the RL policy near
     the human-data one; AlphaGo (Silver et al., Nature 2016) likewise took its policy from
     SL and its value from self-play.  Self-play nets started from a supervised net were
     seen to flatten their priors and drift from the teacher's moves while their value head
     improved on self-play positions, so only the policy is anchored.  ``train.csv`` then
     also logs ``anchor_share`` and the policy CE of the anchor and window rows apart.
  9. Sparring (``selfplay.sparring_fraction`` > 0 with ``sparring`` = ``gnugo:LEVEL``): that
     share of each generation's games is played against GNU Go on one colour
     (:mod:`rocks.train.sparring`; ``rocks.train.selfplay``, departure 6).  Not with ``ray``.
     ``selfplay.csv``'s ``sparring`` column says which colour the opponent had (1 Black, -1
     White, 0 none), so those games are also a running score against GNU Go.
 10. Self-play, gating and strength checks evaluate with the frozen TorchScript graph in
     bfloat16 and channels-last layout (``inference`` = ``auto`` on the CPU;
     :mod:`rocks.nets.torchscript`), the engine's default mode: 1.25x the self-play moves per
     CPU-second of eager bfloat16 (1.23-1.30 over three repetitions; b6c64, 128/24 visits,
     one thread; docs/benchmarks.md "Self-play inference"), and it agrees with fp32 on more
     top moves than eager autocast.  On CUDA/MPS ``auto`` keeps eager torch.  Ray workers
     and inference servers resolve ``inference`` on their own device.
 11. Start positions (``selfplay.start_fraction`` > 0 with ``start_positions`` = a folder of
     SGF files, :mod:`rocks.train.starts`): that share of the games begins from one of them
     (``rocks.train.selfplay``, departure 7), e.g. positions cut from the net's lost games
     against GNU Go.  They are read and checked at start-up; ``selfplay.csv``'s ``start``
     column names the position (-1: the empty board).  Not with ``ray``.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from rocks.atomic import write_text
from rocks.devices import DeviceName, resolve_device, to_device
from rocks.engines.commands import gnugo_command
from rocks.metrics import MetricsLogger
from rocks.nets.checkpoint import read_checkpoint, save_checkpoint
from rocks.nets.evaluator import Evaluator, inference_arguments
from rocks.nets.model import PolicyValueNet
from rocks.progress import progress
from rocks.train.evaluate import play_nets, play_vs_gtp
from rocks.train.selfplay import (
    SelfPlayConfig,
    calibrate_resign_threshold,
    net_evaluate,
    play_games,
    save_game,
    start_position,
)
from rocks.train.shards import (
    Examples,
    ShardError,
    game_name,
    list_shards,
    load_examples,
    load_with_source,
    replay_window,
    shard_length,
    with_planes,
)
from rocks.train.sparring import SparringSpec, gnugo_opponents
from rocks.train.starts import StartPositionError, load_start_positions
from rocks.train.supervised import (
    LossWeights,
    TrainConfigError,
    batch_tensors,
    check_compatible,
    initial_net,
    load_state,
    make_optimizer,
    save_state,
    train_step,
)

if TYPE_CHECKING:
    from rocks.train.distributed import RayPool

STAGES = ("selfplay", "train", "evaluate")


@dataclass(frozen=True)
class LoopConfig:
    """``rocks train loop``.

    Attributes:
        out_dir: the run folder (see the module docstring); rerun to resume.
        net: network name when starting from scratch (``init`` None).
        init: a checkpoint to start from (e.g. a supervised one); its network must be ``net``.
        generations: generations to run in total (a rerun with more continues).
        games_per_generation: self-play games per generation.
        selfplay: how games are played (playout cap randomization, noise, resignation).
        window: positions in the replay window.
        train_steps, batch_size, lr, weight_decay, bf16: the trainer per generation.
        recency: per-generation decay of the sampling weight of older positions (departure 5).
        gating_games, gating_visits, gate: candidate vs best (0 games: no gate, AlphaZero).
        gnugo_every, gnugo_games, gnugo_level, gnugo_visits: strength checks (0: never).
        eval_batch: positions per network call in self-play.
        inference: the self-play evaluator's mode, a ``rocks.nets.evaluator.MODES`` name, or
            ``auto`` (departure 10): TorchScript bf16 channels-last on the CPU when ``bf16``
            and TorchScript is available, else eager bf16 (fp32 without ``bf16``).
        device: where self-play evaluates and the trainer trains: auto (CUDA, then MPS, then
            the CPU), cpu, cuda or mps (rocks.devices).
        ray: play self-play games on Ray actors (departure 7): ``local`` (what ``--ray`` alone
            means: start Ray on this machine), ``auto`` (join the cluster this machine is in) or
            a Ray address; none: in this process, without Ray.
        workers: self-play actors under ``--ray``, one CPU each (0: one per CPU Ray has).
        seed: everything random derives from it.
        anchor_data: teacher shards mixed into training (departure 8): a folder written by
            ``rocks data import`` (its ``train/`` is used) or a folder of ``*.npz``.
        anchor_fraction: share of each training batch drawn uniformly from ``anchor_data``;
            those rows train the policy, not the value (0: no anchor; below 1).
        ladders: the net reads the ladder planes (``rocks.go.ladders``): a new net gets 22
            input planes, an ``init`` net with the base 19 is widened with zero weights for
            them; self-play records as many planes as the net reads, and 19-plane anchor
            shards get the ladder planes appended as they load.
        sparring: the outside opponent of sparring games (departure 9): ``gnugo:LEVEL``;
            needed when ``selfplay.sparring_fraction`` > 0.
        start_positions: a folder of SGF files, each a start position (departure 11);
            needed when ``selfplay.start_fraction`` > 0.
    """

    out_dir: str = field(default="runs/loop", metadata={"flag": "--out"})
    net: str = "b6c64"
    init: str | None = None
    generations: int = 10
    games_per_generation: int = field(default=64, metadata={"flag": "--games"})
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    window: int = 100_000
    train_steps: int = 200
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    bf16: bool = True
    recency: float = 1.0
    gating_games: int = 10
    gating_visits: int = 32
    gate: float = 0.55
    gnugo_every: int = 0
    gnugo_games: int = 4
    gnugo_level: int = 10
    gnugo_visits: int = 64
    eval_batch: int = 256
    inference: str = "auto"
    device: DeviceName = "auto"
    ray: str | None = None
    workers: int = 0
    resign_window: int = 200
    seed: int = 0
    weights: LossWeights = field(default_factory=LossWeights)
    anchor_data: str | None = None
    anchor_fraction: float = 0.0
    ladders: bool = False
    sparring: str = ""
    start_positions: str = ""

    def __post_init__(self) -> None:
        try:
            inference_arguments(self.inference, self.bf16, "cpu")
        except ValueError as exc:
            raise TrainConfigError(str(exc)) from None
        if self.selfplay.sparring_fraction > 0:
            if not self.sparring:
                raise TrainConfigError("selfplay.sparring_fraction > 0 needs an opponent: "
                                       "--sparring gnugo:LEVEL")
            if self.ray is not None:
                raise TrainConfigError("sparring games are not played on Ray workers")
        if self.selfplay.start_fraction > 0:
            if not self.start_positions:
                raise TrainConfigError("selfplay.start_fraction > 0 needs start positions: "
                                       "--start-positions DIR (a folder of SGF files)")
            if self.ray is not None:
                raise TrainConfigError("start positions are not played on Ray workers")
        if self.sparring:
            try:
                SparringSpec.parse(self.sparring)
            except ValueError as exc:
                raise TrainConfigError(str(exc)) from None
        if not 0.0 <= self.anchor_fraction < 1.0:
            raise TrainConfigError(
                f"anchor_fraction must be in [0, 1), got {self.anchor_fraction}")
        if self.anchor_fraction > 0 and not self.anchor_data:
            raise TrainConfigError("anchor_fraction > 0 needs anchor_data (teacher shards)")


class Loop:
    """One run of the loop in ``cfg.out_dir``; :meth:`run` resumes from state.json."""

    def __init__(self, cfg: LoopConfig) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out_dir)
        check_compatible(self.out, asdict(cfg), ("net", "init"))
        self._check_selfplay_size()
        # Departure 8: the anchor's shards, checked now (a bad folder fails at start-up, not
        # after a self-play stage) and loaded by the first training stage, once per process.
        self._anchor_paths = anchor_shards(cfg.anchor_data) if cfg.anchor_fraction > 0 else []
        self._anchor: Examples | None = None
        self._starts = self._load_starts()  # departure 11, checked before any work
        self.out.mkdir(parents=True, exist_ok=True)
        write_text(self.out / "config.json", json.dumps(asdict(cfg), indent=2) + "\n")
        self.ckpts = self.out / "checkpoints"
        self.state = self._load_state()
        self._pool: RayPool | None = None  # the Ray actors under --ray, made on first use

    def _load_starts(self) -> tuple[tuple[int, ...], ...]:
        cfg = self.cfg
        if cfg.selfplay.start_fraction <= 0:
            return ()
        try:
            starts = load_start_positions(cfg.start_positions, cfg.selfplay.size)
            for i, moves in enumerate(starts):
                try:
                    start_position(cfg.selfplay, moves)
                except ValueError as exc:
                    raise StartPositionError(f"start position {i}: {exc}") from None
        except StartPositionError as exc:
            raise TrainConfigError(str(exc)) from None
        return starts

    def _check_selfplay_size(self) -> None:
        saved = self.out / "config.json"
        if saved.exists():
            old = json.loads(saved.read_text()).get("selfplay", {})
            if old.get("size") not in (None, self.cfg.selfplay.size):
                raise TrainConfigError(
                    f"{self.out} holds {old.get('size')}x{old.get('size')} games; refusing to "
                    f"continue it at {self.cfg.selfplay.size}x{self.cfg.selfplay.size}")

    # ------------------------------------------------------------------ state
    def _load_state(self) -> dict[str, object]:
        path = self.out / "state.json"
        if path.exists():
            return json.loads(path.read_text())
        init = self.ckpts / "init.safetensors"
        if self.cfg.init:
            ckpt = read_checkpoint(self.cfg.init)
            if ckpt.config.name != self.cfg.net:
                raise TrainConfigError(
                    f"--init {self.cfg.init} is a {ckpt.config.name} network but the loop is "
                    f"configured for {self.cfg.net}; pass --net {ckpt.config.name}")
        net = initial_net(self.cfg.net, self.cfg.init, self.cfg.seed, self.cfg.ladders)
        save_checkpoint(init, net.eval(), 0,
                        {"stage": "loop init", "from": self.cfg.init or "random"})
        shutil.copyfile(init, self.ckpts / "best.safetensors")
        state: dict[str, object] = {"generation": 0, "stage": "selfplay",
                                    "best": "init.safetensors", "cpu_s": 0.0, "steps": 0}
        self._save_state(state)
        return state

    def _save_state(self, state: dict[str, object]) -> None:
        write_text(self.out / "state.json", json.dumps(state, indent=1) + "\n")

    def _advance(self, **changes: object) -> None:
        self.state = {**self.state, **changes}
        self._save_state(self.state)

    def anchor(self, planes: int | None = None) -> Examples:
        """The anchor's examples (departure 8), loaded on first use and kept; with ``planes``
        input planes (``rocks.train.shards.with_planes``), or as stored."""
        if self._anchor is None:
            ex = load_examples(self._anchor_paths)
            if ex is None:
                raise FileNotFoundError(f"no readable anchor shards in {self.cfg.anchor_data}")
            size = self.cfg.selfplay.size
            if ex.size != size:
                raise TrainConfigError(f"anchor {self.cfg.anchor_data} holds {ex.size}x"
                                       f"{ex.size} examples; the loop plays {size}x{size}")
            self._anchor = ex
        if planes is not None:
            self._anchor = with_planes(self._anchor, planes)
        return self._anchor

    def _evaluator(self, source: Path | PolicyValueNet, seed: int = 0) -> Evaluator:
        net = read_checkpoint(source).net if isinstance(source, Path) else source
        return Evaluator(net, batch_size=self.cfg.eval_batch, symmetries="random", seed=seed,
                         device=self.cfg.device,
                         **inference_arguments(self.cfg.inference, self.cfg.bf16,
                                               self.cfg.device))

    # ------------------------------------------------------------------ stages
    def selfplay(self, gen: int) -> None:
        cfg = self.cfg
        sp_dir, sgf_dir = self.out / "selfplay", self.out / "sgf"
        sp_dir.mkdir(parents=True, exist_ok=True)
        todo = [i for i in range(cfg.games_per_generation)
                if not (sp_dir / f"{game_name(gen, i)}.npz").exists()]
        if not todo and cfg.ray is None:
            return
        threshold = float(self.state.get("resign_threshold",  # type: ignore[arg-type]
                                         cfg.selfplay.resign_threshold))
        best = read_checkpoint(self.ckpts / "best.safetensors").net
        sp_cfg = dataclasses.replace(cfg.selfplay, resign_threshold=threshold,
                                     in_planes=best.config.in_planes)
        evaluate = None if cfg.ray is not None else net_evaluate(self._evaluator(best, gen))
        log = MetricsLogger(self.out / "selfplay.csv")
        bar = iter(progress(range(len(todo)), desc=f"gen {gen} self-play", total=len(todo)))

        def log_game(game) -> None:  # type: ignore[no-untyped-def]
            # ``game``: a SelfPlayGame here, a distributed.GameSummary from a Ray worker
            row = dict(generation=gen, game=game.index, moves=game.moves,
                       examples=game.full_searches, winner=game.winner, resigned=game.resigned,
                       no_resign=game.no_resign, would_resign=len(game.would_resign),
                       false_resign=int(bool(game.would_resign)
                                        and game.winner in game.would_resign),
                       winner_min_value=round(game.winner_min_value, 4),
                       loser_max_value=round(getattr(game, "loser_max_value", float("nan")), 4),
                       resign_threshold=threshold,
                       sparring=getattr(game, "opponent_colour", 0),
                       start=getattr(game, "start", -1))
            # A run started before a column existed keeps its header.
            log.log({k: v for k, v in row.items() if log.columns is None or k in log.columns})
            next(bar, None)

        def on_game(game) -> None:  # type: ignore[no-untyped-def]
            name = game_name(gen, game.index)
            save_game(game, sp_dir / f"{name}.npz", sgf_dir / f"{name}.sgf",
                      {"generation": gen, "best": self.state["best"]})
            log_game(game)

        if evaluate is None:
            self._selfplay_on_ray(gen, sp_cfg, log_game)
        else:
            opponent = None
            if sp_cfg.sparring_fraction > 0:  # departure 9
                opponent = gnugo_opponents(SparringSpec.parse(cfg.sparring), sp_cfg.size,
                                           sp_cfg.komi, seed=(cfg.seed, gen))
            play_games(evaluate, sp_cfg, todo, seed=(cfg.seed, gen), on_game=on_game,
                       opponent=opponent, starts=self._starts)
        next(bar, None)
        log.close()
        self._calibrate_resignation()

    def _selfplay_on_ray(self, gen: int, sp_cfg: SelfPlayConfig,
                         log_game: Callable[[Any], None]) -> None:
        """The self-play stage on Ray actors (rocks.train.distributed; imported only here)."""
        from rocks.metrics import read_rows
        from rocks.train import distributed as dist

        cfg = self.cfg
        if self._pool is None:
            self._pool = dist.RayPool(
                dist.PoolConfig(address=cfg.ray or "local", workers=cfg.workers),
                dist.WorkerSettings(out_dir=str(self.out.resolve()), eval_batch=cfg.eval_batch,
                                    bf16=cfg.bf16, inference=cfg.inference))
        best = self.ckpts / str(self.state["best"])  # immutable: its name is the version
        if not best.exists():
            best = self.ckpts / "best.safetensors"
        logged = {int(r["game"]) for r in read_rows(self.out / "selfplay.csv")
                  if r.get("generation") == str(gen)}
        job = dist.SelfPlayJob(generation=gen, checkpoint=str(best.resolve()),
                               best=str(self.state["best"]), selfplay=sp_cfg, seed=cfg.seed)
        workers_cpu_s = self._pool.selfplay(job, range(cfg.games_per_generation), log_game,
                                            logged)
        # The run's CPU budget counts the workers' self-play too, as it counts GNU Go's.
        self._advance(cpu_s=float(self.state["cpu_s"]) + workers_cpu_s)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the Ray actors (and a Ray this loop started); a no-op without ``ray``."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _calibrate_resignation(self) -> None:
        path = self.out / "selfplay.csv"
        if not path.exists():
            return
        import pandas as pd

        games = pd.read_csv(path)
        if "winner_min_value" not in games:
            return
        checked = games[games.no_resign.astype(str) == "True"].tail(self.cfg.resign_window)
        self._advance(resign_threshold=calibrate_resign_threshold(
            checked.winner_min_value.tolist(), self.cfg.selfplay.resign_threshold))

    def train(self, gen: int) -> dict[str, float]:
        cfg = self.cfg
        paths = replay_window(self.out / "selfplay", cfg.window)
        data, source = load_with_source(paths)
        if data is None:
            raise FileNotFoundError(f"no readable self-play shards in {self.out / 'selfplay'}")
        ages = np.array([gen - int(p.name[1:5]) for p in paths], dtype=np.float64)[source]
        weights = cfg.recency ** ages
        weights /= weights.sum()
        latest = self.ckpts / "latest.safetensors"
        net = read_checkpoint(latest if latest.exists() else
                              self.ckpts / "best.safetensors").net
        device = resolve_device(cfg.device)
        net = net.to(device)
        optimizer = make_optimizer(net, cfg.lr, cfg.weight_decay)
        opt_path = self.out / "optimizer.pt"
        if opt_path.exists() and latest.exists():
            optimizer.load_state_dict(load_state(opt_path)["optimizer"])  # type: ignore[arg-type]
            for g in optimizer.param_groups:
                g["lr"] = cfg.lr
        rng = np.random.default_rng([cfg.seed, gen, 1])
        n_anchor = min(round(cfg.batch_size * cfg.anchor_fraction), cfg.batch_size - 1)
        anchor = self.anchor(net.config.in_planes) if n_anchor else None
        data = with_planes(data, net.config.in_planes)
        sums: dict[str, float] = {}
        t0 = time.perf_counter()
        for _ in progress(range(cfg.train_steps), desc=f"gen {gen} train",
                          total=cfg.train_steps):
            idx = rng.choice(len(data), size=min(cfg.batch_size - n_anchor, len(data)),
                             p=weights)
            if anchor is None:
                batch = batch_tensors(data, idx, int(rng.integers(8)), device)
            else:
                a_idx = rng.integers(len(anchor), size=n_anchor)
                batch = anchored_batch(data, idx, anchor, a_idx, int(rng.integers(8)), device)
            parts = train_step(net, optimizer, batch, cfg.weights, cfg.bf16)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + v / cfg.train_steps
        net.eval()
        steps = int(self.state.get("steps", 0)) + cfg.train_steps  # type: ignore[call-overload]
        meta = {"stage": "selfplay loop", "generation": gen, "window": len(data)}
        save_checkpoint(self.ckpts / f"gen_{gen:04d}.safetensors", net, steps, meta)
        save_checkpoint(latest, net, steps, meta)
        save_state(opt_path, optimizer, {"generation": gen})
        self._advance(steps=steps)
        sums.update(window=float(len(data)), shards=float(len(paths)),
                    seconds=time.perf_counter() - t0)
        if anchor is not None:
            sums["anchor_share"] = n_anchor / (n_anchor + min(cfg.batch_size - n_anchor,
                                                              len(data)))
        return sums

    def evaluate(self, gen: int) -> dict[str, object]:
        cfg = self.cfg
        cand = self.ckpts / f"gen_{gen:04d}.safetensors"
        best = self.ckpts / "best.safetensors"
        row: dict[str, object] = {"generation": gen}
        promote = True
        if cfg.gating_games > 0:
            res = play_nets(net_evaluate(self._evaluator(cand, 1)),
                            net_evaluate(self._evaluator(best, 2)), cfg.gating_games,
                            cfg.gating_visits, cfg.selfplay.size, cfg.selfplay.komi,
                            seed=cfg.seed * 1000 + gen)
            lo, hi = res.wilson()
            promote = res.score >= cfg.gate
            row.update(gate_wins=res.wins, gate_losses=res.losses, gate_draws=res.draws,
                       gate_score=round(res.score, 3), gate_lo=round(lo, 3),
                       gate_hi=round(hi, 3))
        if promote:
            shutil.copyfile(cand, best)
            self._advance(best=cand.name)
        row.update(promoted=int(promote), best=self.state["best"])
        if cfg.gnugo_every and (gen + 1) % cfg.gnugo_every == 0:
            res = play_vs_gtp(net_evaluate(self._evaluator(best, 3)),
                              gnugo_command(cfg.gnugo_level, seed=gen + 1), cfg.gnugo_games,
                              cfg.gnugo_visits, cfg.selfplay.size, cfg.selfplay.komi,
                              seed=gen, sgf_dir=self.out / "gnugo_sgf" / f"gen_{gen:04d}")
            lo, hi = res.wilson()
            row.update(gnugo_level=cfg.gnugo_level, gnugo_wins=res.wins,
                       gnugo_games=res.played, gnugo_lo=round(lo, 3), gnugo_hi=round(hi, 3))
        return row

    # ------------------------------------------------------------------ driver
    def run(self, generations: int | None = None,
            cpu_budget_s: float | None = None) -> dict[str, object]:
        """Run until ``generations`` (default: the config's) are done, or, with
        ``cpu_budget_s``, until a generation ends with the run's CPU seconds at or past it;
        returns the state.  One call keeps one Ray pool for all its generations."""
        total = self.cfg.generations if generations is None else generations
        train_log = MetricsLogger(self.out / "train.csv")
        eval_log = MetricsLogger(self.out / "eval.csv", columns=EVAL_COLUMNS)
        try:
            while int(self.state["generation"]) < total:  # type: ignore[call-overload]
                gen = int(self.state["generation"])  # type: ignore[call-overload]
                stage = str(self.state["stage"])
                if stage == "selfplay" and cpu_budget_s is not None and \
                        float(self.state["cpu_s"]) >= cpu_budget_s:  # type: ignore[arg-type]
                    break
                c0 = _cpu_seconds()
                if stage == "selfplay":
                    self.selfplay(gen)
                    self._advance(stage="train")
                elif stage == "train":
                    if not list((self.out / "selfplay").glob(f"g{gen:04d}_*.npz")):
                        # This generation's games are gone (a fresh clone keeps no shards):
                        # play them again rather than train on an empty window.
                        self._advance(stage="selfplay")
                        continue
                    row = self.train(gen)
                    entry = {"generation": gen, "steps": self.state["steps"],
                             "resign_threshold": self.state.get("resign_threshold", ""),
                             "cpu_s": round(float(self.state["cpu_s"])  # type: ignore[arg-type]
                                            + _cpu_seconds() - c0, 1),
                             **{k: round(v, 5) for k, v in row.items()}}
                    train_log.log({k: v for k, v in entry.items()
                                   if train_log.columns is None or k in train_log.columns})
                    self._advance(stage="evaluate")
                else:
                    row2 = self.evaluate(gen)
                    row2["cpu_s"] = round(float(self.state["cpu_s"])  # type: ignore[arg-type]
                                          + _cpu_seconds() - c0, 1)
                    eval_log.log({k: row2.get(k, "") for k in EVAL_COLUMNS})
                    self._advance(stage="selfplay", generation=gen + 1)
                self._advance(cpu_s=float(self.state["cpu_s"])  # type: ignore[arg-type]
                              + _cpu_seconds() - c0)
        finally:
            train_log.close()
            eval_log.close()
            self.close()
        return self.state


def anchor_shards(folder: str | None) -> list[Path]:
    """The shards of an anchor folder (departure 8): ``folder`` itself if it holds ``*.npz``,
    else its ``train/`` (``rocks data import``'s layout); FileNotFoundError if neither holds
    an example."""
    if not folder:
        raise FileNotFoundError("no anchor_data given")
    paths = list_shards(folder) or list_shards(Path(folder) / "train")
    total = 0
    for p in paths:
        try:
            total += shard_length(p)
        except ShardError:
            continue  # load_examples skips it with a warning
    if not total:
        raise FileNotFoundError(f"anchor_data {folder}: no examples in it or in its train/ "
                                "(make it with `rocks data import SGFS --out DIR`)")
    return paths


def anchored_batch(window: Examples, index: np.ndarray, anchor: Examples,
                   anchor_index: np.ndarray, k: int, device: torch.device | None = None
                   ) -> dict[str, torch.Tensor]:
    """One training batch of window rows then anchor rows under symmetry ``k`` (departure 8):
    the anchor rows' value weight is 0, and ``anchor`` (1 on them) lets the loss report their
    policy CE apart (rocks.train.supervised.losses)."""
    taken = anchor.take(anchor_index)
    policy_only = dataclasses.replace(taken, value_weight=np.zeros_like(taken.value_weight))
    rows = Examples.concat([window.take(index), policy_only])
    batch = batch_tensors(rows, np.arange(len(rows)), k, device)
    mask = torch.from_numpy(np.r_[np.zeros(len(index)), np.ones(len(anchor_index))]
                            .astype(np.float32))
    batch["anchor"] = mask if device is None else to_device(mask, device)
    return batch


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the GNU Go opponents of the
    evaluation games), so that a run's CPU budget counts the opponents' thinking too."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


EVAL_COLUMNS = ("generation", "cpu_s", "gate_wins", "gate_losses", "gate_draws", "gate_score",
                "gate_lo", "gate_hi", "promoted", "best", "gnugo_level", "gnugo_wins",
                "gnugo_games", "gnugo_lo", "gnugo_hi")
