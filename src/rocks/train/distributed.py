"""Self-play on Ray: the loop's self-play stage spread over actors, from one laptop to a cluster.

Follows the actor model of Ray (Moritz et al., "Ray: A Distributed Framework for Emerging AI
Applications", OSDI 2018) and the split of AlphaZero (Silver et al., Science 2018) into many
self-play workers and one trainer.  ``rocks train loop --ray [ADDRESS]`` keeps the driver of
:mod:`rocks.train.loop` (state.json, the trainer, gating, the GNU Go checks) and hands each
generation's games to actors::

    driver (rocks train loop --ray)          SelfPlayWorker actors (1 CPU each)
      state.json, trainer, gate, GNU Go  --(generation, checkpoint path, game indices)-->
      selfplay.csv  <--(GameSummary per game)--  play_games(...) -> out/selfplay/gGGGG_IIIIII.npz
                                                      |  planes   ^ priors, values
                                             InferenceServer actor (1 per GPU, on its node)

Without Ray nothing here runs and ``ray`` is never imported: it is imported inside the functions
that need it, and only :class:`RayPool` and the actors call them.

Departures, numbered:
  1. Generations stay synchronous (the loop's departure 1): workers idle while the driver
     trains and gates, so every game of a generation is played by one network.
  2. Weights reach a worker as a checkpoint path whose file name is its version (``init``,
     ``gen_GGGG``: written once, never overwritten); a worker reloads when the name changes.
     Workers read checkpoints from, and write shards to, the run folder itself: on a cluster it
     must be on a filesystem every node mounts at the same path (docs/cluster.md).
  3. A generation's missing games are split into one contiguous slice per worker (one batch
     drain per worker and generation, as the single process has one), not a work queue.  A
     worker skips the games whose shard exists, so a replayed task never replays a finished
     game.
  4. Faults: a worker whose task fails with an actor error (its process killed, its node lost)
     is replaced by a new actor, which is given the games of its slice that have no shard; the
     finished games' rows come back from their shards' metadata.  Work is lost only for games
     in flight.  After ``max_failures`` replacements of one slot in one generation the error
     propagates (a worker that always crashes is a bug, not a fault).
  5. Inference servers evaluate each worker's pooled leaves as one call (no micro-batching
     across workers) and take no CPU from the worker slots (``num_cpus=0``).  A worker whose
     server has gone plays on with its own CPU evaluator.
  6. Each worker's evaluator draws its own symmetries (seeded by generation and slot), so a
     game differs from the one the single process would play; the game's own randomness is
     the same, from (seed, generation, index).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rocks.devices import DeviceName
from rocks.go import features
from rocks.go.board import Position
from rocks.nets.checkpoint import read_checkpoint
from rocks.nets.evaluator import Evaluator, inference_arguments
from rocks.nets.model import PolicyValueNet
from rocks.search.contracts import EvaluateFn, Evaluation
from rocks.train.selfplay import SelfPlayConfig, SelfPlayGame, net_evaluate, play_games, save_game
from rocks.train.shards import game_name

Inference = Literal["auto", "worker", "server"]
PlanesCall = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


# ------------------------------------------------------------------ values exchanged
@dataclass(frozen=True)
class PoolConfig:
    """Where and how many self-play actors run.

    Attributes:
        address: ``local`` (start Ray here with ``workers`` CPUs), ``auto`` (join the cluster
            this machine belongs to) or a Ray address (``ray://head:10001``, ``head:6379``).
        workers: self-play actors, one CPU each (0: one per CPU Ray has).
        inference: ``auto`` (an inference server per GPU on nodes that have GPUs, elsewhere
            each worker evaluates on its own CPU), ``worker`` (always the worker's CPU) or
            ``server`` (a server on every node, on its CPU where it has no GPU: for tests).
        max_failures: replacements of one worker slot in one generation before giving up.
    """

    address: str = "local"
    workers: int = 0
    inference: Inference = "auto"
    max_failures: int = 3


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker needs besides the job: the run folder and its evaluator settings."""

    out_dir: str  # absolute: actors do not share the driver's working directory
    eval_batch: int = 256
    bf16: bool = True
    threads: int = 1
    inference: str = "auto"  # LoopConfig.inference, resolved on each actor's own device


@dataclass(frozen=True)
class SelfPlayJob:
    """One generation's self-play, as sent to every worker."""

    generation: int
    checkpoint: str  # absolute path of an immutable checkpoint: its name is the version (2.)
    best: str  # the name recorded in each shard's metadata, as the single process does
    selfplay: SelfPlayConfig
    seed: int = 0


@dataclass(frozen=True)
class GameSummary:
    """What the driver logs of a finished game (the attributes of SelfPlayGame it reads)."""

    index: int
    moves: int
    full_searches: int
    winner: int
    resigned: bool
    no_resign: bool
    would_resign: tuple[int, ...]
    winner_min_value: float

    @staticmethod
    def of(game: SelfPlayGame) -> GameSummary:
        return GameSummary(game.index, game.moves, game.full_searches, game.winner,
                           game.resigned, game.no_resign, tuple(game.would_resign),
                           float(game.winner_min_value))

    def as_meta(self) -> dict[str, object]:
        return {**asdict(self), "would_resign": list(self.would_resign)}

    @staticmethod
    def from_meta(meta: dict[str, Any]) -> GameSummary:
        return GameSummary(int(meta["index"]), int(meta["moves"]), int(meta["full_searches"]),
                           int(meta["winner"]), bool(meta["resigned"]), bool(meta["no_resign"]),
                           tuple(int(c) for c in meta["would_resign"]),
                           float(meta["winner_min_value"]))


def shard_path(out_dir: str | Path, gen: int, index: int) -> Path:
    """The loop's shard of game ``index`` of generation ``gen`` (its presence = done)."""
    return Path(out_dir) / "selfplay" / f"{game_name(gen, index)}.npz"


def read_summary(path: str | Path) -> GameSummary | None:
    """The summary a worker stored in a shard's metadata (None for shards written without)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
    return GameSummary.from_meta(meta["game"]) if "game" in meta else None


def split(indices: Sequence[int], parts: int) -> list[list[int]]:
    """``indices`` in ``parts`` contiguous slices whose sizes differ by at most one (3.)."""
    parts = max(1, parts)
    base, extra = divmod(len(indices), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + base + (1 if k < extra else 0)
        out.append(list(indices[start:end]))
        start = end
    return out


# ------------------------------------------------------------------ placement
@dataclass(frozen=True)
class Node:
    """A machine of the cluster as Ray reports it."""

    node_id: str
    cpus: int
    gpus: int = 0


@dataclass(frozen=True)
class Plan:
    """Where each actor goes: ``servers[j]`` is the node of server j (and whether it has a GPU),
    ``workers[k]`` the node of worker k and the index of its server (None: its own CPU)."""

    servers: tuple[tuple[str, bool], ...]
    workers: tuple[tuple[str, int | None], ...]


def plan(nodes: Sequence[Node], workers: int, inference: Inference = "auto") -> Plan:
    """Spread ``workers`` over ``nodes`` in proportion to their CPUs, and give the workers of a
    node with GPUs one inference server per GPU (at most one per worker), round robin."""
    if not nodes:
        raise ValueError("no Ray node to place self-play workers on")
    if workers < 1:
        raise ValueError(f"workers must be positive, got {workers}")
    load = {n.node_id: 0 for n in nodes}
    where: list[str] = []
    for _ in range(workers):
        # The node with the most free CPUs; once all are full, the least loaded per CPU.
        best = max(nodes, key=lambda n: (n.cpus - load[n.node_id],
                                         -load[n.node_id] / max(n.cpus, 1)))
        load[best.node_id] += 1
        where.append(best.node_id)
    servers: list[tuple[str, bool]] = []
    first: dict[str, tuple[int, int]] = {}  # node -> (its first server, how many)
    for n in nodes:
        if not load[n.node_id] or inference == "worker" or (inference == "auto" and not n.gpus):
            continue
        count = min(max(n.gpus, 1), load[n.node_id])
        first[n.node_id] = (len(servers), count)
        servers += [(n.node_id, n.gpus > 0)] * count
    seen = {n.node_id: 0 for n in nodes}
    placed: list[tuple[str, int | None]] = []
    for node in where:
        server = None
        if node in first:
            start, count = first[node]
            server = start + seen[node] % count
        seen[node] += 1
        placed.append((node, server))
    return Plan(tuple(servers), tuple(placed))


# ------------------------------------------------------------------ actors (plain classes)
class InferenceServer:
    """A network on one device evaluating the planes that workers send (departure 5)."""

    def __init__(self, device: DeviceName, eval_batch: int, bf16: bool, seed: int = 0,
                 inference: str = "auto") -> None:
        self.device, self.eval_batch, self.bf16, self.seed = device, eval_batch, bf16, seed
        self.inference = inference
        self.version: str | None = None
        self._evaluator: Evaluator | None = None

    def load(self, checkpoint: str, generation: int = 0) -> str:
        """Serve ``checkpoint`` from now on (a no-op when it is the one served)."""
        if checkpoint != self.version or self._evaluator is None:
            net = read_checkpoint(checkpoint).net
            self._evaluator = Evaluator(net, batch_size=self.eval_batch, symmetries="random",
                                        seed=self.seed * 1_000 + generation, device=self.device,
                                        **inference_arguments(self.inference, self.bf16,
                                                              self.device))
            self.version = checkpoint
        return self.version

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._evaluator is None:
            raise RuntimeError("InferenceServer.evaluate before load")
        ev = self._evaluator.evaluate_planes(planes)
        return ev.priors, ev.values

    def ping(self) -> str | None:
        return self.version


def planes_evaluate(call: PlanesCall, planes: int = features.NUM_PLANES) -> EvaluateFn:
    """An EvaluateFn that sends the positions' input planes (``planes`` of them: the server's
    network's) to ``call`` (a server)."""

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        priors, values = call(features.batch_planes(positions, planes=planes))
        return Evaluation(np.asarray(priors), np.asarray(values))

    return evaluate


class SelfPlayWorker:
    """Plays the games it is given with :func:`rocks.train.selfplay.play_games` and writes each
    finished one as its shard; a plain class, made an actor by :class:`RayPool`."""

    def __init__(self, settings: WorkerSettings, slot: int, server: Any = None) -> None:
        import torch

        torch.set_num_threads(settings.threads)
        self.settings, self.slot, self.server = settings, slot, server
        self._net: tuple[str, PolicyValueNet] | None = None

    def pid(self) -> int:
        return os.getpid()

    def _weights(self, checkpoint: str) -> PolicyValueNet:
        if self._net is None or self._net[0] != checkpoint:  # a new version (2.)
            self._net = (checkpoint, read_checkpoint(checkpoint).net)
        return self._net[1]

    def _local(self, job: SelfPlayJob) -> Evaluator:
        s = self.settings
        return Evaluator(self._weights(job.checkpoint), batch_size=s.eval_batch,
                         symmetries="random", seed=job.generation * 1_000 + self.slot,
                         device="cpu", **inference_arguments(s.inference, s.bf16, "cpu"))

    def _evaluate(self, job: SelfPlayJob) -> EvaluateFn:
        if self.server is None:
            return net_evaluate(self._local(job))
        if callable(self.server):  # a plain function standing in for a server: tests
            return planes_evaluate(self.server, job.selfplay.in_planes)
        import ray

        handle, fallback = self.server, None

        def call(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            nonlocal fallback
            if fallback is None:
                try:
                    return ray.get(handle.evaluate.remote(planes))
                except ray.exceptions.RayActorError:
                    self.server = None  # the server is gone: play on here (5.)
                    fallback = self._local(job)
            ev = fallback.evaluate_planes(planes)
            return ev.priors, ev.values

        return planes_evaluate(call, job.selfplay.in_planes)

    def play(self, job: SelfPlayJob, indices: Iterable[int]) -> tuple[list[GameSummary], float]:
        """Play the games ``indices`` of ``job`` that have no shard yet: their summaries, and the
        CPU seconds this process spent (the driver adds them to the run's CPU budget)."""
        c0 = time.process_time()
        out = self.settings.out_dir
        todo = [i for i in indices if not shard_path(out, job.generation, i).exists()]
        if not todo:
            return [], time.process_time() - c0
        evaluate = self._evaluate(job)
        summaries: list[GameSummary] = []

        def on_game(game: SelfPlayGame) -> None:
            summary = GameSummary.of(game)
            save_game(game, shard_path(out, job.generation, game.index),
                      Path(out) / "sgf" / f"{game_name(job.generation, game.index)}.sgf",
                      {"generation": job.generation, "best": job.best,
                       "game": summary.as_meta()})
            summaries.append(summary)

        play_games(evaluate, job.selfplay, todo, seed=(job.seed, job.generation),
                   on_game=on_game)
        return summaries, time.process_time() - c0


# ------------------------------------------------------------------ the driver's side
class RayPool:
    """Self-play actors on Ray, kept across generations; :meth:`selfplay` plays one stage.

    Connects to Ray (starting a local one for ``address="local"``) unless this process already
    has, places the actors with :func:`plan`, and keeps each worker's pid (``pids``) so that a
    test can kill one."""

    def __init__(self, cfg: PoolConfig, settings: WorkerSettings) -> None:
        import ray

        self.cfg, self.settings = cfg, settings
        self._started = not ray.is_initialized()
        if self._started and cfg.address == "local":
            # Ray runs workers at niceness 15; on one machine that starves self-play behind
            # any other job, unlike the single-process loop, so a local Ray keeps them at 0.
            ray.init(num_cpus=cfg.workers or os.cpu_count() or 1, include_dashboard=False,
                     log_to_driver=False, _system_config={"worker_niceness": 0})
        elif self._started:
            ray.init(address=cfg.address, log_to_driver=False)
        nodes = [Node(n["NodeID"], int(n["Resources"].get("CPU", 0)),
                      int(n["Resources"].get("GPU", 0))) for n in ray.nodes() if n.get("Alive")]
        self.plan = plan(nodes, cfg.workers or max(1, sum(n.cpus for n in nodes)),
                         cfg.inference)
        self.servers = [self._new_server(j) for j in range(len(self.plan.servers))]
        self.actors = [self._new_worker(k) for k in range(len(self.plan.workers))]
        self.pids: list[int] = ray.get([a.pid.remote() for a in self.actors])
        self.replaced = 0

    def _affinity(self, node: str) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        # Soft: a replacement for a worker of a lost node may start elsewhere.
        return NodeAffinitySchedulingStrategy(node, soft=True)

    def _new_server(self, j: int) -> Any:
        import ray

        node, gpu = self.plan.servers[j]
        actor = ray.remote(InferenceServer).options(
            num_cpus=0, num_gpus=1 if gpu else 0, scheduling_strategy=self._affinity(node))
        return actor.remote("cuda" if gpu else "cpu", self.settings.eval_batch,
                            self.settings.bf16, seed=j, inference=self.settings.inference)

    def _new_worker(self, k: int) -> Any:
        import ray

        node, server = self.plan.workers[k]
        actor = ray.remote(SelfPlayWorker).options(
            num_cpus=1, max_restarts=0, max_task_retries=0,
            scheduling_strategy=self._affinity(node))
        return actor.remote(self.settings, k, None if server is None else self.servers[server])

    def _replace(self, k: int) -> None:
        import ray

        ray.kill(self.actors[k], no_restart=True)
        self.actors[k] = self._new_worker(k)
        self.pids[k] = ray.get(self.actors[k].pid.remote())
        self.replaced += 1

    def selfplay(self, job: SelfPlayJob, indices: Sequence[int],
                 on_game: Callable[[GameSummary], None],
                 logged: Iterable[int] = ()) -> float:
        """Play the games ``indices`` of ``job`` that have no shard, calling ``on_game`` once
        for every game of ``indices`` with a shard that is not in ``logged`` (the rows the
        driver's CSV already holds): as results return, then from the shards (4.).  Returns
        the workers' CPU seconds (those of a killed worker's task are not known)."""
        import ray

        out, gen = self.settings.out_dir, job.generation
        if self.servers:
            ray.get([s.load.remote(job.checkpoint, gen) for s in self.servers])
        todo = [i for i in indices if not shard_path(out, gen, i).exists()]
        pending: dict[Any, tuple[int, list[int]]] = {}
        for k, part in enumerate(split(todo, len(self.actors))):
            if part:
                pending[self.actors[k].play.remote(job, part)] = (k, part)
        reported = set(logged)
        failures = [0] * len(self.actors)
        cpu_s = 0.0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            k, part = pending.pop(ready[0])
            try:
                summaries, seconds = ray.get(ready[0])
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
                failures[k] += 1
                if failures[k] > self.cfg.max_failures:
                    raise
                self._replace(k)
                missing = [i for i in part if not shard_path(out, gen, i).exists()]
                if missing:
                    pending[self.actors[k].play.remote(job, missing)] = (k, missing)
                continue
            cpu_s += seconds
            for s in summaries:
                if s.index not in reported:
                    reported.add(s.index)
                    on_game(s)
        for i in indices:  # finished games whose summary never came back
            path = shard_path(out, gen, i)
            if i not in reported and path.exists() and (s := read_summary(path)) is not None:
                reported.add(i)
                on_game(s)
        return cpu_s

    def close(self) -> None:
        """End the actors, and Ray itself when this pool started it."""
        import ray

        for actor in self.actors + self.servers:
            ray.kill(actor)
        self.actors, self.servers = [], []
        if self._started:
            ray.shutdown()

