"""The one place where positions meet the network: batching, symmetries, CPU speed settings.

``evaluate(positions) -> Evaluation`` is the function search is written against (the mctx
``recurrent_fn`` idea: search takes the evaluator as an argument).  :class:`Evaluator` wraps a
:class:`~rocks.nets.model.PolicyValueNet`; :func:`uniform_evaluator` and
:func:`random_evaluator` are fakes with the same signature for tests.

Follows AlphaGo Zero (Silver et al., Nature 2017) for symmetries: each evaluation may use one
random board symmetry, or average over all 8 (AlphaGo's "full symmetry" evaluation).

Departures from the paper:
  1. The inference mode (:data:`MODES`: torch eager, a frozen TorchScript graph, ONNX Runtime
     fp32 or int8; channels-last layout; bfloat16 autocast) is measured, not assumed:
     :func:`fastest_settings` keeps a mode only where :func:`precision_check` finds that it
     chooses fp32's top move on >= 97% of random-game positions with values within 0.02, and
     picks the fastest of those on the machine at hand.
  2. Priors are a softmax over every point and pass; illegal moves keep their probability and
     search masks them (so one evaluation serves any rule set).
  3. One Evaluator may be called from several threads at once (the search threads of
     :mod:`rocks.search.parallel`): the network is only read, and the running totals and the
     symmetry draws are guarded by a lock.
  4. The network runs on ``device`` (:mod:`rocks.devices`: auto, cpu, cuda, mps), with
     that device's low-precision autocast and, on CUDA, batches copied from pinned memory.
     ONNX Runtime modes run on the CPU only.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import torch

from rocks.devices import DeviceName, autocast, resolve_device, to_device
from rocks.go import features
from rocks.go.board import Position
from rocks.nets import onnx_runtime, torchscript
from rocks.nets.model import PolicyValueNet
from rocks.search.contracts import EvaluateFn, Evaluation, as_evaluation

SymmetryMode = Literal["none", "random", "all"]
#: torch eager; a frozen TorchScript graph; ONNX Runtime fp32; ONNX Runtime int8 (CPU only).
Backend = Literal["torch", "torchscript", "onnx", "onnx-int8"]
BACKENDS: tuple[str, ...] = get_args(Backend)


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
        use_bf16: run under the device's low-precision autocast (bfloat16 on a CPU: about 1.5-2x
            faster with AVX512-bf16; check with :func:`precision_check` first).
        symmetries: "none"; "random" (one random symmetry per position, AlphaGo Zero); or "all"
            (average over the 8 symmetries: 8 times the work).
        channels_last: use the channels-last memory format (faster with oneDNN on CPU).
        threads: if given, ``torch.set_num_threads(threads)`` (a process-wide setting) and the
            ONNX Runtime session's threads.
        seed: seed of the random symmetries (None: fresh entropy).
        backend: "torch" (eager), "torchscript" (a frozen graph, :mod:`rocks.nets.torchscript`),
            "onnx" (ONNX Runtime fp32) or "onnx-int8" (ONNX Runtime, int8 tower calibrated on
            random-game positions); the ONNX ones run fp32/int8 on the CPU only.
        device: "auto" (CUDA, then MPS, then the CPU), "cpu", "cuda" or "mps".
    """

    def __init__(self, net: PolicyValueNet, batch_size: int = 32, use_bf16: bool = False,
                 symmetries: SymmetryMode = "none", channels_last: bool = False,
                 threads: int | None = None, seed: int | None = 0,
                 backend: Backend = "torch", device: DeviceName | torch.device = "auto") -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if symmetries not in ("none", "random", "all"):
            raise ValueError(f"symmetries must be 'none', 'random' or 'all', got {symmetries!r}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        onnx = backend.startswith("onnx")
        if onnx and (use_bf16 or channels_last):
            raise ValueError(f"the {backend} backend runs as it is: no use_bf16 or channels_last")
        self.device = resolve_device("cpu" if onnx and device == "auto" else device)
        if onnx and self.device.type != "cpu":
            raise ValueError(f"the {backend} backend runs on the CPU only, not {self.device}")
        if threads is not None:
            torch.set_num_threads(threads)
        self.config = net.config
        self.net = copy.deepcopy(net).eval().to(self.device)
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.backend = backend
        self._onnx = None
        if onnx:
            calibration = (features.batch_planes(sample_positions(128, 9, seed=1),
                                                planes=net.config.in_planes)
                           if backend == "onnx-int8" else None)
            self._onnx = onnx_runtime.OnnxRunner(self.net, threads, calibration)
        self._script = (torchscript.ScriptRunner(self.net, use_bf16, channels_last)
                        if backend == "torchscript" else None)
        self.batch_size = batch_size
        self.use_bf16 = use_bf16
        self.symmetries = symmetries
        self.channels_last = channels_last
        self.stats = EvaluatorStats()
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()  # departure 3

    def __repr__(self) -> str:
        return (f"Evaluator({self.config.name}, mode={self.mode!r}, "
                f"batch_size={self.batch_size}, symmetries={self.symmetries!r}, "
                f"device={str(self.device)!r})")

    @property
    def mode(self) -> str:
        """The name of this evaluator's inference mode (a key of :data:`MODES`)."""
        return mode_name(self.backend, self.use_bf16, self.channels_last)

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
        return self.evaluate_planes(features.batch_planes(positions,
                                                          planes=self.config.in_planes))

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
            with self._lock:
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
        start = time.perf_counter()
        parts = [self._forward(planes[i:i + self.batch_size])
                 for i in range(0, len(planes), self.batch_size)]
        joined = {k: np.concatenate([p[k] for p in parts]).astype(np.float32, copy=False)
                  for k in parts[0]}
        logits = joined["policy"]
        priors = np.exp(logits - logits.max(axis=1, keepdims=True))
        priors /= priors.sum(axis=1, keepdims=True)
        with self._lock:
            self.stats.batches += len(parts)
            self.stats.seconds += time.perf_counter() - start
            self.stats.evaluations += len(planes)
        return Evaluation(priors, joined["value"], joined.get("ownership"), joined.get("score"))

    def _forward(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        """One network call: output name -> float32 array (the policy as logits)."""
        if self._onnx is not None:
            return self._onnx(chunk)
        x = torch.from_numpy(np.ascontiguousarray(chunk))
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = to_device(x, self.device)
        with torch.inference_mode():
            if self._script is not None:  # the graph holds its own casts
                out = self._script(x)
            else:
                with autocast(self.device, self.use_bf16):
                    out = {k: v for k, v in self.net(x)._asdict().items() if v is not None}
            return {k: v.float().cpu().numpy() for k, v in out.items()}


def split_evaluator(priors_from: EvaluateFn, values_from: EvaluateFn) -> EvaluateFn:
    """One ``evaluate`` from two networks: the priors of ``priors_from`` and the value, ownership
    and score of ``values_from``.

    AlphaGo (Silver et al., Nature 2016) searched this way, with its supervised policy network
    for the priors and a value network trained on reinforcement-learning self-play for the
    leaves (its supervised policy made the better search prior).  Thread-safe when both are.
    """

    def evaluate(positions: Sequence[Position]) -> Evaluation:
        p = as_evaluation(priors_from(positions), len(positions))
        v = as_evaluation(values_from(positions), len(positions))
        return Evaluation(p.priors, v.values, v.ownership, v.score)

    return evaluate


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


#: The inference modes :func:`fastest_settings` chooses from: name -> Evaluator arguments.
MODES: dict[str, dict[str, Any]] = {
    "fp32": {},
    "fp32+channels_last": {"channels_last": True},
    "bf16": {"use_bf16": True},
    "bf16+channels_last": {"use_bf16": True, "channels_last": True},
    "torchscript-fp32": {"backend": "torchscript"},
    "torchscript-bf16+channels_last": {"backend": "torchscript", "use_bf16": True,
                                       "channels_last": True},
    "onnx": {"backend": "onnx"},
    "onnx-int8": {"backend": "onnx-int8"},
}


#: The modes worth timing when a player starts (``rocks gtp --precision auto``): each was the
#: fastest faithful one somewhere in docs/benchmarks.md; the others never were, and int8's
#: calibration alone takes seconds (it is checked by ``rocks nets tune`` and bench/hardware.py).
START_UP_MODES: tuple[str, ...] = ("fp32", "bf16+channels_last", "torchscript-bf16+channels_last",
                                   "onnx")


def mode_name(backend: str, use_bf16: bool, channels_last: bool) -> str:
    """The :data:`MODES` name of a backend/precision/layout combination."""
    arith = ("bf16" if use_bf16 else "fp32") + ("+channels_last" if channels_last else "")
    if backend == "torch":
        return arith
    if backend == "torchscript":
        return f"torchscript-{arith}"
    return backend


def inference_arguments(inference: str, bf16: bool,
                        device: DeviceName | torch.device = "auto") -> dict[str, Any]:
    """The Evaluator arguments of an ``inference`` setting: a :data:`MODES` name as it is, or
    ``auto``: the frozen bf16 channels-last graph on the CPU when ``bf16`` and TorchScript is
    available (the fastest faithful CPU mode in docs/benchmarks.md), else eager torch in bf16
    (fp32 without ``bf16``): elsewhere eager bf16 is what has been measured."""
    if inference != "auto":
        if inference not in MODES:
            raise ValueError(f"inference must be auto or one of {', '.join(MODES)}, "
                             f"got {inference!r}")
        return dict(MODES[inference])
    if bf16 and resolve_device(device).type == "cpu" and torchscript.available():
        return dict(MODES["torchscript-bf16+channels_last"])
    return {"use_bf16": bf16}


def available_modes(device: DeviceName | torch.device = "auto") -> list[str]:
    """The :data:`MODES` this machine can run on ``device`` (ONNX Runtime: installed, CPU)."""
    dev = resolve_device(device)
    out = []
    for name, kw in MODES.items():
        backend = kw.get("backend", "torch")
        if backend.startswith("onnx") and (dev.type != "cpu" or not onnx_runtime.available()):
            continue
        if backend == "torchscript" and not torchscript.available():
            continue
        out.append(name)
    return out


@dataclass(frozen=True)
class PrecisionCheck:
    """How far a faster mode moves the network's answers from fp32 on the same positions.

    Attributes:
        argmax_agreement: fraction of positions where the top move is the same.
        value_mae: mean absolute difference of the value.
        policy_tv: mean total-variation distance between the prior vectors.
        positions: how many positions were compared.
        prior_regret: mean fp32 prior of fp32's top move minus fp32 prior of the other
            mode's top move: what a disagreement costs (reported, not a criterion).
    """

    argmax_agreement: float
    value_mae: float
    policy_tv: float
    positions: int
    prior_regret: float = 0.0

    def acceptable(self, min_agreement: float = 0.97, max_value_mae: float = 0.02) -> bool:
        """Top moves the same on at least ``min_agreement`` of the positions and values close
        (the bar of issue 17: a mode that changes more than 3% of the moves is not kept,
        however cheap its disagreements look)."""
        return self.argmax_agreement >= min_agreement and self.value_mae <= max_value_mae


def compare(ref: Evaluation, other: Evaluation) -> PrecisionCheck:
    """How far ``other`` is from the fp32 reference ``ref`` (same positions, same order)."""
    best_ref, best_low = ref.priors.argmax(1), other.priors.argmax(1)
    rows = np.arange(len(ref))
    return PrecisionCheck(
        float(np.mean(best_ref == best_low)), float(np.mean(np.abs(ref.values - other.values))),
        float(np.mean(0.5 * np.abs(ref.priors - other.priors).sum(1))), len(ref),
        float(np.mean(ref.priors[rows, best_ref] - ref.priors[rows, best_low])))


def precision_check(net: PolicyValueNet, positions: Sequence[Position], batch_size: int = 64,
                    mode: str = "bf16",
                    device: DeviceName | torch.device = "auto") -> PrecisionCheck:
    """Compare ``mode`` (a :data:`MODES` name, on ``device``) against fp32 on the CPU on
    ``positions`` (one board size)."""
    ref = Evaluator(net, batch_size=batch_size, device="cpu")(positions)
    low = Evaluator(net, batch_size=batch_size, device=device, **MODES[mode])(positions)
    return compare(ref, low)


@dataclass(frozen=True)
class EvaluatorSettings:
    """The fastest kept mode and what every mode achieved.

    Attributes:
        batch_size, use_bf16, channels_last, backend, threads, device: the chosen Evaluator
            arguments (``threads``: torch's, None when not measured per thread count).
        evals_per_second: the chosen mode's measured median.
        measured: evaluations/s of every kept mode (``name@Nt`` when thread counts varied).
        precision: the chosen mode's check against fp32.
        checks: every mode's check against fp32, kept or refused.
        refused: the modes left out because their check failed.
    """

    batch_size: int
    use_bf16: bool
    channels_last: bool
    evals_per_second: float
    measured: dict[str, float] = field(default_factory=dict)
    precision: PrecisionCheck | None = None
    backend: Backend = "torch"
    threads: int | None = None
    device: str = "cpu"
    checks: dict[str, PrecisionCheck] = field(default_factory=dict)
    refused: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        return mode_name(self.backend, self.use_bf16, self.channels_last)

    def build(self, net: PolicyValueNet, symmetries: SymmetryMode = "none",
              seed: int | None = 0, batch_size: int | None = None) -> Evaluator:
        """An Evaluator with these settings (it sets torch's thread count, process-wide)."""
        return Evaluator(net, batch_size or self.batch_size, self.use_bf16, symmetries,
                         self.channels_last, threads=self.threads, seed=seed,
                         backend=self.backend, device=self.device)


def concurrent_rate(ev: Evaluator, planes: np.ndarray, callers: int = 1) -> float:
    """Evaluations/s of ``callers`` threads evaluating ``planes`` at the same time (one call,
    or four calls each when several threads call, so starting threads costs little)."""
    if callers == 1:
        start = time.perf_counter()
        ev.evaluate_planes(planes)
        return len(planes) / (time.perf_counter() - start)

    def burst() -> None:
        for _ in range(4):
            ev.evaluate_planes(planes)

    workers = [threading.Thread(target=burst) for _ in range(callers)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return 4 * callers * len(planes) / (time.perf_counter() - start)


def measure(evaluators: Mapping[str, Evaluator], planes: np.ndarray, repeats: int = 5,
            callers: int = 1) -> dict[str, float]:
    """Median evaluations/s of each evaluator on ``planes`` (one warm-up call each first).

    Timed calls go round-robin over the evaluators, so that a shared machine's changing load
    falls on all of them alike.  With ``callers`` > 1 that many threads call the evaluator at
    once (as the search threads do), so a mode that holds the GIL pays for it here
    (:func:`concurrent_rate`).
    """
    for ev in evaluators.values():
        ev.evaluate_planes(planes)
    rates: dict[str, list[float]] = {name: [] for name in evaluators}
    for _ in range(repeats):
        for name, ev in evaluators.items():
            rates[name].append(concurrent_rate(ev, planes, callers))
    return {name: float(np.median(r)) for name, r in rates.items()}


def fastest_settings(net: PolicyValueNet, size: int, batch_size: int = 32, repeats: int = 5,
                     check_positions: int = 256, seed: int = 0,
                     threads: Sequence[int] | None = None, modes: Sequence[str] | None = None,
                     device: DeviceName | torch.device = "auto", min_agreement: float = 0.97,
                     callers: int = 1) -> EvaluatorSettings:
    """Check every mode in ``modes`` (default: all that :func:`available_modes` can run)
    against fp32 on ``check_positions`` random-game positions of ``size``, time the ones whose
    check passes (:meth:`PrecisionCheck.acceptable` at ``min_agreement``) at ``batch_size``
    with ``callers`` threads calling at once, and pick the fastest.  fp32 is always kept.
    With ``threads`` (e.g. ``(1, 2)``) every mode is also timed at each torch thread count;
    torch's thread count is restored afterwards."""
    dev = resolve_device(device)
    names = list(modes) if modes is not None else available_modes(dev)
    if "fp32" not in names:
        names.insert(0, "fp32")
    positions = sample_positions(max(batch_size, check_positions), size, seed)
    planes = features.batch_planes(positions[:batch_size], planes=net.config.in_planes)
    checked = positions[:check_positions]
    ref = Evaluator(net, batch_size=64, device="cpu")(checked)
    checks: dict[str, PrecisionCheck] = {}
    for name in names:
        if name == "fp32" and dev.type == "cpu":  # the reference itself
            checks[name] = compare(ref, ref)
            continue
        low = Evaluator(net, batch_size=64, device=dev, **MODES[name])(checked)
        checks[name] = compare(ref, low)
    kept = [n for n in names if n == "fp32" or checks[n].acceptable(min_agreement)]
    before = torch.get_num_threads()
    measured: dict[str, float] = {}
    try:
        for t in threads or (None,):
            if t is not None:
                torch.set_num_threads(t)
            suffix = "" if t is None else f"@{t}t"
            measured.update(measure({f"{n}{suffix}": Evaluator(net, batch_size, threads=t,
                                                                device=dev, **MODES[n])
                                     for n in kept}, planes, repeats, callers))
    finally:
        torch.set_num_threads(before)
    best = max(measured, key=measured.__getitem__)
    name, _, t = best.partition("@")
    kw = MODES[name]
    return EvaluatorSettings(batch_size, kw.get("use_bf16", False),
                             kw.get("channels_last", False), measured[best], measured,
                             checks[name], kw.get("backend", "torch"),
                             int(t[:-1]) if t else None, str(dev), checks,
                             tuple(n for n in names if n not in kept))
