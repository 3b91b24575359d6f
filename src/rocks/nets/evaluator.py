"""The one place where positions meet the network: batching, symmetries, CPU speed settings.

``evaluate(positions) -> Evaluation`` is the function search is written against (the mctx
``recurrent_fn`` idea: search takes the evaluator as an argument).  :class:`Evaluator` wraps a
:class:`~rocks.nets.model.PolicyValueNet`; :func:`uniform_evaluator` and
:func:`random_evaluator` are fakes with the same signature for tests.

Follows AlphaGo Zero (Silver et al., Nature 2017) for symmetries: each evaluation may use one
random board symmetry, or average over all 8 (AlphaGo's "full symmetry" evaluation).

Departures from the paper:
  1. The CPU settings (ONNX Runtime or torch; channels-last memory format, bfloat16 autocast)
     are measured, not assumed: :func:`fastest_settings` times them on the machine at hand, and
     uses bfloat16 only where :func:`precision_check` finds that it leaves the chosen move and
     the value (nearly) unchanged.
  2. Priors are a softmax over every point and pass; illegal moves keep their probability and
     search masks them (so one evaluation serves any rule set).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from rocks.go import features
from rocks.go.board import Position
from rocks.nets import onnx_runtime
from rocks.nets.model import PolicyValueNet

SymmetryMode = Literal["none", "random", "all"]
Backend = Literal["torch", "onnx"]


@dataclass(frozen=True)
class Evaluation:
    """What the network says about B positions of one board size (N = size * size).

    Attributes:
        priors: float32 [B, N+1], move probabilities with pass last; sums to 1 per row.
        values: float32 [B] in [-1, 1], the expected result for the player to move.
        ownership: float32 [B, N] in [-1, 1] from the mover's side (+1 = the mover's), or None.
        score: float32 [B], the mover's expected lead in points, or None.
    """

    priors: np.ndarray
    values: np.ndarray
    ownership: np.ndarray | None = None
    score: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


EvaluateFn = Callable[[Sequence[Position]], Evaluation]


@dataclass
class EvaluatorStats:
    """Running totals: evaluations, network calls, and seconds spent in them."""

    evaluations: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def evals_per_second(self) -> float:
        return self.evaluations / self.seconds if self.seconds > 0 else 0.0


class Evaluator:
    """Batched network evaluation under ``torch.inference_mode``.

    Args:
        net: the network; the evaluator keeps its own copy in eval mode (so later training of
            ``net`` does not change it: make a new Evaluator for new weights).
        batch_size: the most positions sent to the network at once; bigger requests are split.
        use_bf16: run under bfloat16 autocast (about 2x faster on CPUs with AVX512-bf16; check
            with :func:`precision_check` first).
        symmetries: "none"; "random" (one random symmetry per position, AlphaGo Zero); or "all"
            (average over the 8 symmetries: 8 times the work).
        channels_last: use the channels-last memory format (faster with oneDNN on CPU).
        threads: if given, ``torch.set_num_threads(threads)`` (a process-wide setting) and the
            ONNX Runtime session's threads.
        seed: seed of the random symmetries (None: fresh entropy).
        backend: "torch", or "onnx" (ONNX Runtime, fp32 only; much faster at small batches).
    """

    def __init__(self, net: PolicyValueNet, batch_size: int = 32, use_bf16: bool = False,
                 symmetries: SymmetryMode = "none", channels_last: bool = False,
                 threads: int | None = None, seed: int | None = 0,
                 backend: Backend = "torch") -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if symmetries not in ("none", "random", "all"):
            raise ValueError(f"symmetries must be 'none', 'random' or 'all', got {symmetries!r}")
        if backend not in ("torch", "onnx"):
            raise ValueError(f"backend must be 'torch' or 'onnx', got {backend!r}")
        if backend == "onnx" and (use_bf16 or channels_last):
            raise ValueError("the onnx backend runs fp32 only: no use_bf16 or channels_last")
        if threads is not None:
            torch.set_num_threads(threads)
        self.config = net.config
        self.net = copy.deepcopy(net).eval()
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.backend = backend
        self._onnx = onnx_runtime.OnnxRunner(self.net, threads) if backend == "onnx" else None
        self.batch_size = batch_size
        self.use_bf16 = use_bf16
        self.symmetries = symmetries
        self.channels_last = channels_last
        self.stats = EvaluatorStats()
        self._rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return (f"Evaluator({self.config.name}, batch_size={self.batch_size}, "
                f"use_bf16={self.use_bf16}, symmetries={self.symmetries!r}, "
                f"channels_last={self.channels_last}, backend={self.backend!r})")

    # ------------------------------------------------------------------ entry points
    def __call__(self, positions: Sequence[Position]) -> Evaluation:
        return self.evaluate(positions)

    def evaluate(self, positions: Sequence[Position]) -> Evaluation:
        """Evaluate positions that share one board size."""
        if len(positions) == 0:
            raise ValueError("evaluate needs at least one position")
        size = positions[0].size
        if any(p.size != size for p in positions):
            raise ValueError("evaluate takes positions of one board size per call; got "
                             f"{sorted({p.size for p in positions})}")
        return self.evaluate_planes(features.batch_planes(positions))

    def evaluate_planes(self, planes: np.ndarray) -> Evaluation:
        """Evaluate float32 [B, NUM_PLANES, S, S] input planes (from ``rocks.go.features``).

        The board fills the whole S x S canvas; for padded canvases call the network directly.
        """
        planes = np.asarray(planes, dtype=np.float32)
        if planes.ndim != 4 or planes.shape[1] != self.config.in_planes or \
                planes.shape[2] != planes.shape[3]:
            raise ValueError(f"planes must be [B, {self.config.in_planes}, S, S], "
                             f"got {planes.shape}")
        b, size = planes.shape[0], planes.shape[2]
        if self.symmetries == "none":
            return self._run(planes)
        if self.symmetries == "random":
            ks = self._rng.integers(0, features.NUM_SYMMETRIES, size=b)
            return self._with_symmetries(planes, ks)
        # "all": every position under every symmetry, averaged.
        ks = np.repeat(np.arange(features.NUM_SYMMETRIES), b)
        tiled = np.tile(planes, (features.NUM_SYMMETRIES, 1, 1, 1))
        ev = self._with_symmetries(tiled, ks)
        n = size * size

        def mean(a: np.ndarray | None, width: int | None) -> np.ndarray | None:
            if a is None:
                return None
            shape = (features.NUM_SYMMETRIES, b) + ((width,) if width else ())
            return a.reshape(shape).mean(axis=0).astype(np.float32)

        return Evaluation(mean(ev.priors, n + 1), mean(ev.values, None),
                          mean(ev.ownership, n), mean(ev.score, None))

    # ------------------------------------------------------------------ internals
    def _with_symmetries(self, planes: np.ndarray, ks: np.ndarray) -> Evaluation:
        size = planes.shape[2]
        moved = np.empty_like(planes)
        for k in np.unique(ks):
            sel = ks == k
            moved[sel] = features.transform_planes(planes[sel], int(k))
        ev = self._run(moved)
        priors = np.empty_like(ev.priors)
        own = None if ev.ownership is None else np.empty_like(ev.ownership)
        for k in np.unique(ks):
            sel = ks == k
            back = features.inverse(int(k))
            priors[sel] = features.transform_policy(ev.priors[sel], back, size)
            if own is not None and ev.ownership is not None:
                own[sel] = features.transform_policy(ev.ownership[sel], back, size)
        return Evaluation(priors, ev.values, own, ev.score)

    def _run(self, planes: np.ndarray) -> Evaluation:
        """The network over ``planes`` in chunks of ``batch_size``, outputs as float32 numpy."""
        if self._onnx is not None:
            return self._run_onnx(planes)
        out: dict[str, list[np.ndarray]] = {"p": [], "v": [], "o": [], "s": []}
        start = time.perf_counter()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16,
                                                    enabled=self.use_bf16):
            for i in range(0, len(planes), self.batch_size):
                x = torch.from_numpy(planes[i:i + self.batch_size])
                if self.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                res = self.net(x)
                out["p"].append(torch.softmax(res.policy.float(), dim=1).numpy())
                out["v"].append(res.value.float().numpy())
                if res.ownership is not None:
                    out["o"].append(res.ownership.float().numpy())
                if res.score is not None:
                    out["s"].append(res.score.float().numpy())
                self.stats.batches += 1
        self.stats.seconds += time.perf_counter() - start
        self.stats.evaluations += len(planes)
        return Evaluation(
            np.concatenate(out["p"]).astype(np.float32, copy=False),
            np.concatenate(out["v"]).astype(np.float32, copy=False),
            np.concatenate(out["o"]).astype(np.float32, copy=False) if out["o"] else None,
            np.concatenate(out["s"]).astype(np.float32, copy=False) if out["s"] else None)

    def _run_onnx(self, planes: np.ndarray) -> Evaluation:
        assert self._onnx is not None
        parts: list[dict[str, np.ndarray]] = []
        start = time.perf_counter()
        for i in range(0, len(planes), self.batch_size):
            parts.append(self._onnx(planes[i:i + self.batch_size]))
            self.stats.batches += 1
        joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        logits = joined["policy"]
        logits = logits - logits.max(axis=1, keepdims=True)
        priors = np.exp(logits)
        priors /= priors.sum(axis=1, keepdims=True)
        self.stats.seconds += time.perf_counter() - start
        self.stats.evaluations += len(planes)
        return Evaluation(priors.astype(np.float32), joined["value"].astype(np.float32),
                          joined.get("ownership"), joined.get("score"))


# ---------------------------------------------------------------------------- fakes
def uniform_evaluator(size: int) -> EvaluateFn:
    """A fake network: uniform priors over all N+1 moves, value 0, no ownership (minigo's
    DummyNet).  Checks that every position has board ``size``."""
    n = size * size

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        if any(p.size != size for p in positions):
            raise ValueError(f"uniform_evaluator({size}) got a board of another size")
        b = len(positions)
        return Evaluation(np.full((b, n + 1), 1.0 / (n + 1), dtype=np.float32),
                          np.zeros(b, dtype=np.float32))

    return evaluate


def random_evaluator(size: int, seed: int = 0) -> EvaluateFn:
    """A fake network that gives each position fixed random priors and value (a function of its
    Zobrist hash, player to move and ``seed``): search tests get varied but repeatable input."""
    n = size * size

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        if any(p.size != size for p in positions):
            raise ValueError(f"random_evaluator({size}) got a board of another size")
        priors = np.empty((len(positions), n + 1), dtype=np.float32)
        values = np.empty(len(positions), dtype=np.float32)
        for i, p in enumerate(positions):
            rng = np.random.default_rng([seed, p.hash & (2**63 - 1), p.to_play + 1, p.passes])
            priors[i] = rng.dirichlet(np.full(n + 1, 0.3))
            values[i] = rng.uniform(-1.0, 1.0)
        return Evaluation(priors, values)

    return evaluate


# ---------------------------------------------------------------------------- measuring
def sample_positions(count: int, size: int, seed: int = 0, max_moves: int | None = None,
                     komi: float = 7.5) -> list[Position]:
    """``count`` positions from random legal games (no eye filling), of 0..max_moves moves."""
    rng = np.random.default_rng(seed)
    max_moves = size * size if max_moves is None else max_moves
    out = []
    for _ in range(count):
        pos = Position.empty(size, komi)
        for _ in range(int(rng.integers(0, max_moves + 1))):
            candidates = (int(m) for m in rng.permutation(size * size) if pos.board[m] == 0)
            move = next((m for m in candidates if not pos.is_eye(m) and pos.is_legal(m)),
                        pos.pass_move)
            pos = pos.play(move)
            if pos.is_game_over():
                break
        out.append(pos)
    return out


@dataclass(frozen=True)
class PrecisionCheck:
    """How far a faster setting moves the network's answers from fp32 on the same positions.

    Attributes:
        argmax_agreement: fraction of positions where the top move is the same.
        value_mae: mean absolute difference of the value.
        policy_tv: mean total-variation distance between the prior vectors.
        positions: how many positions were compared.
        prior_regret: mean fp32 prior of fp32's top move minus fp32 prior of the other
            setting's top move: what a disagreement costs (random nets have flat priors, where
            near-ties make argmax disagreements frequent but cheap).
    """

    argmax_agreement: float
    value_mae: float
    policy_tv: float
    positions: int
    prior_regret: float = 0.0

    def acceptable(self, min_agreement: float = 0.95, max_value_mae: float = 0.02,
                   max_prior_regret: float = 0.005) -> bool:
        """Values close, and top moves either the same almost everywhere or different only
        where it costs next to nothing (near-ties: a trained net measured 94% agreement
        at a mean regret of 0.0006)."""
        same_moves = (self.argmax_agreement >= min_agreement
                      or self.prior_regret <= max_prior_regret)
        return same_moves and self.value_mae <= max_value_mae


def precision_check(net: PolicyValueNet, positions: Sequence[Position],
                    batch_size: int = 64) -> PrecisionCheck:
    """Compare bfloat16 autocast against fp32 on ``positions`` (one board size)."""
    ref = Evaluator(net, batch_size=batch_size)(positions)
    low = Evaluator(net, batch_size=batch_size, use_bf16=True)(positions)
    best_ref, best_low = ref.priors.argmax(1), low.priors.argmax(1)
    agree = float(np.mean(best_ref == best_low))
    value_mae = float(np.mean(np.abs(ref.values - low.values)))
    tv = float(np.mean(0.5 * np.abs(ref.priors - low.priors).sum(1)))
    rows = np.arange(len(positions))
    regret = float(np.mean(ref.priors[rows, best_ref] - ref.priors[rows, best_low]))
    return PrecisionCheck(agree, value_mae, tv, len(positions), regret)


@dataclass(frozen=True)
class EvaluatorSettings:
    """The fastest measured setting and what it and the others achieved (evaluations/s)."""

    batch_size: int
    use_bf16: bool
    channels_last: bool
    evals_per_second: float
    measured: dict[str, float] = field(default_factory=dict)
    precision: PrecisionCheck | None = None
    backend: Backend = "torch"
    threads: int | None = None

    def build(self, net: PolicyValueNet, symmetries: SymmetryMode = "none") -> Evaluator:
        """An Evaluator with these settings (it sets torch's thread count, process-wide)."""
        return Evaluator(net, self.batch_size, self.use_bf16, symmetries, self.channels_last,
                         threads=self.threads, backend=self.backend)


def measure(evaluators: dict[str, Evaluator], planes: np.ndarray,
            repeats: int = 5) -> dict[str, float]:
    """Median evaluations/s of each evaluator on ``planes`` (one warm-up call each first).

    Timed calls go round-robin over the evaluators, so that a shared machine's changing load
    falls on all of them alike.
    """
    for ev in evaluators.values():
        ev.evaluate_planes(planes)
    rates: dict[str, list[float]] = {name: [] for name in evaluators}
    for _ in range(repeats):
        for name, ev in evaluators.items():
            start = time.perf_counter()
            ev.evaluate_planes(planes)
            rates[name].append(len(planes) / (time.perf_counter() - start))
    return {name: float(np.median(r)) for name, r in rates.items()}


def fastest_settings(net: PolicyValueNet, size: int, batch_size: int = 32,
                     repeats: int = 5, check_positions: int = 64, seed: int = 0,
                     threads: Sequence[int] | None = None) -> EvaluatorSettings:
    """Time torch fp32 / channels-last / bfloat16 and ONNX Runtime (when installed) at
    ``batch_size`` on ``size`` boards and pick the fastest; bfloat16 is a candidate only if
    :func:`precision_check` finds it acceptable.  With ``threads`` (e.g. ``(1, 2)``) every
    setting is also timed at each thread count; torch's thread count is restored afterwards."""
    positions = sample_positions(max(batch_size, check_positions), size, seed)
    planes = features.batch_planes(positions[:batch_size])
    check = precision_check(net, positions[:check_positions])
    candidates: dict[str, dict] = {
        "fp32": {}, "fp32+channels_last": {"channels_last": True}}
    if check.acceptable():
        candidates["bf16"] = {"use_bf16": True}
        candidates["bf16+channels_last"] = {"use_bf16": True, "channels_last": True}
    if onnx_runtime.available():
        candidates["onnx"] = {"backend": "onnx"}
    if threads is None:
        measured = measure({name: Evaluator(net, batch_size, **kw)
                            for name, kw in candidates.items()}, planes, repeats)
    else:
        before = torch.get_num_threads()
        measured = {}
        try:
            for t in threads:
                torch.set_num_threads(t)
                named = {f"{name}@{t}t": Evaluator(net, batch_size, threads=t, **kw)
                         for name, kw in candidates.items()}
                measured.update(measure(named, planes, repeats))
        finally:
            torch.set_num_threads(before)
    best = max(measured, key=measured.__getitem__)
    name, _, t = best.partition("@")
    kw = candidates[name]
    return EvaluatorSettings(batch_size, kw.get("use_bf16", False),
                             kw.get("channels_last", False), measured[best], measured, check,
                             kw.get("backend", "torch"), int(t[:-1]) if t else None)
