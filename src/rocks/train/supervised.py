"""Supervised training of the policy/value net from shards (AlphaGo's first stage).

Follows AlphaGo (Silver et al., Nature 2016: policy trained to predict the recorded move,
value regressed on the game outcome) with AlphaGo Zero's single two-headed network and loss
``l = (z - v)^2 - pi^T log p + c ||theta||^2`` (Silver et al., Nature 2017) plus KataGo's
auxiliary ownership and score terms (Wu, arXiv 1902.10565).  The same :func:`train_step` serves
the self-play trainer in :mod:`rocks.train.loop`.

Departures, numbered:
  1. AdamW (decoupled weight decay) with a cosine learning-rate schedule instead of SGD with
     momentum and step decay: on a few hundred thousand positions it needs no schedule search.
  2. A random one of the 8 symmetries per batch (not per position), for speed.
  3. Ownership: mean squared error against +1/-1/0 targets, weight ``c_own``; score: Huber loss
     on the lead / 10, weight ``c_score``; both only where the board was played out.
  4. bf16 autocast (measured ~1.8x faster for b6c64 on this CPU; the loss stays in fp32), on
     ``device`` (auto: CUDA, then MPS, then the CPU; :mod:`rocks.devices`), where batches
     travel through pinned memory on CUDA; devices without bf16 train in fp32.
  5. Resume: after each epoch the net, optimizer and epoch are saved atomically; a rerun with
     the same out_dir continues from the last finished epoch, and refuses a changed network.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from rocks.atomic import replace_with, write_text
from rocks.devices import DeviceName, resolve_device, to_device, training_autocast
from rocks.go import features
from rocks.metrics import MetricsLogger
from rocks.nets.checkpoint import read_checkpoint, save_checkpoint
from rocks.nets.model import NetConfig, PolicyValueNet, widen_inputs
from rocks.progress import progress
from rocks.train.shards import Examples, list_shards, load_examples, with_planes


class TrainConfigError(ValueError):
    """A training config that does not fit the run or checkpoint it would continue."""


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms (c_value, c_own, c_score as in KataGo's notation).

    Attributes:
        policy: the policy head's cross-entropy against the move (or visit) target.
        value: the value head's squared error against the outcome (c_value).
        ownership: the ownership head's squared error (c_own).
        score: the score head's Huber loss on score / 10 (c_score).
    """

    policy: float = 1.0
    value: float = 1.0
    ownership: float = 0.5
    score: float = 0.05


@dataclass(frozen=True)
class SupervisedConfig:
    """``rocks train supervised``.

    Attributes:
        data_dir: shard folder with ``train/`` and ``val/`` (from ``rocks data import``).
        out_dir: checkpoints/, train.csv, config.json, state.pt.
        net: network name (``b6c64``) when starting from scratch.
        init: a checkpoint to start from instead (its NetConfig is used).
        epochs, batch_size, lr, weight_decay: optimisation (AdamW, cosine schedule).
        bf16: autocast to bfloat16.
        device: where the net trains: auto (CUDA, then MPS, then the CPU), cpu, cuda or mps.
        seed: initial weights, shuffling, symmetries.
        max_examples: use at most this many training examples (0: all).
        ladders: the net reads the ladder planes (``rocks.go.ladders``): a new net gets 22
            input planes, an ``init`` net with the base 19 is widened with zero weights for
            them (``rocks.nets.model.widen_inputs``), and 19-plane shards get them appended
            as they load (``rocks.train.shards.with_planes``).
    """

    data_dir: str = field(default="shards", metadata={"flag": "--data"})
    out_dir: str = field(default="runs/supervised", metadata={"flag": "--out"})
    net: str = "b6c64"
    init: str | None = None
    epochs: int = 10
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    bf16: bool = True
    device: DeviceName = "auto"
    seed: int = 0
    max_examples: int = 0
    ladders: bool = False
    weights: LossWeights = LossWeights()


def batch_tensors(ex: Examples, index: np.ndarray, k: int,
                  device: torch.device | None = None) -> dict[str, torch.Tensor]:
    """A batch of examples as float32 tensors under symmetry ``k`` (on ``device`` if given)."""
    size = ex.size
    planes = ex.planes[index].astype(np.float32)
    policy = ex.policy[index].astype(np.float32)
    ownership = ex.ownership[index].astype(np.float32)
    if k:
        planes = features.transform_planes(planes, k)
        policy = features.transform_policy(policy, k, size)
        ownership = features.transform_policy(ownership, k, size)
    out = {"planes": planes, "policy": np.ascontiguousarray(policy),
           "ownership": np.ascontiguousarray(ownership)}
    for f in ("policy_weight", "value", "value_weight", "score", "aux_weight"):
        out[f] = getattr(ex, f)[index].astype(np.float32)
    tensors = {name: torch.from_numpy(a) for name, a in out.items()}
    if device is not None:
        tensors = {name: to_device(t, device) for name, t in tensors.items()}
    return tensors


def losses(net: PolicyValueNet, b: dict[str, torch.Tensor], w: LossWeights, bf16: bool
           ) -> tuple[torch.Tensor, dict[str, float]]:
    """The weighted loss of one batch and its parts (policy CE, value MSE, ..., accuracy)."""
    with training_autocast(b["planes"].device, bf16):
        out = net(b["planes"])
    logits = out.policy.float()
    pw, vw, aw = b["policy_weight"], b["value_weight"], b["aux_weight"]
    # Normalise the target (visit distributions may not sum to exactly 1 in float16).
    target = b["policy"] / b["policy"].sum(1, keepdim=True).clamp_min(1e-6)
    ce = -(target * F.log_softmax(logits, dim=1)).sum(1)
    l_policy = (ce * pw).sum() / pw.sum().clamp_min(1.0)
    l_value = (((out.value.float() - b["value"]) ** 2) * vw).sum() / vw.sum().clamp_min(1.0)
    total = w.policy * l_policy + w.value * l_value
    parts = {"policy_ce": float(l_policy.detach()), "value_mse": float(l_value.detach())}
    if out.ownership is not None:
        own = ((out.ownership.float() - b["ownership"]) ** 2).mean(1)
        l_own = (own * aw).sum() / aw.sum().clamp_min(1.0)
        total = total + w.ownership * l_own
        parts["ownership_mse"] = float(l_own.detach())
    if out.score is not None:
        hub = F.huber_loss(out.score.float() / 10.0, b["score"] / 10.0, reduction="none")
        l_score = (hub * aw).sum() / aw.sum().clamp_min(1.0)
        total = total + w.score * l_score
        parts["score_huber"] = float(l_score.detach())
    if "anchor" in b:  # a batch with supervised anchor rows (rocks.train.loop departure 8)
        for name, rows in (("anchor", b["anchor"]), ("window", 1.0 - b["anchor"])):
            rw = pw * rows
            parts[f"{name}_policy_ce"] = float((ce.detach() * rw).sum() / rw.sum().clamp_min(1.0))
    hits = (logits.argmax(1) == b["policy"].argmax(1)).float()
    parts["accuracy"] = float((hits * pw).sum() / pw.sum().clamp_min(1.0))
    parts["loss"] = float(total.detach())
    return total, parts


def train_step(net: PolicyValueNet, optimizer: torch.optim.Optimizer,
               b: dict[str, torch.Tensor], w: LossWeights, bf16: bool) -> dict[str, float]:
    net.train()
    loss, parts = losses(net, b, w, bf16)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return parts


@torch.no_grad()
def evaluate_examples(net: PolicyValueNet, ex: Examples, w: LossWeights, bf16: bool,
                      batch_size: int = 512) -> dict[str, float]:
    """Mean loss parts over ``ex`` (identity symmetry), weighted by batch length."""
    net.eval()
    device = next(net.parameters()).device
    sums: dict[str, float] = {}
    n = len(ex)
    for start in range(0, n, batch_size):
        idx = np.arange(start, min(n, start + batch_size))
        _, parts = losses(net, batch_tensors(ex, idx, 0, device), w, bf16)
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v * len(idx)
    return {k: v / max(n, 1) for k, v in sums.items()}


def make_optimizer(net: PolicyValueNet, lr: float, weight_decay: float) -> torch.optim.AdamW:
    return torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)


def save_state(path: Path, optimizer: torch.optim.Optimizer, info: dict[str, object]) -> None:
    """Optimizer state + counters, atomically (the weights live in the checkpoint)."""
    state = {"optimizer": optimizer.state_dict(), "info": info}
    replace_with(path, lambda tmp: torch.save(state, tmp))


def load_state(path: Path) -> dict[str, object]:
    """The saved optimizer state, on the CPU (the optimizer moves it to its parameters)."""
    return torch.load(path, weights_only=True, map_location="cpu")


def check_compatible(out_dir: Path, cfg_dict: dict[str, object], keys: tuple[str, ...]) -> None:
    """Refuse to continue a run in ``out_dir`` whose saved config differs in ``keys``."""
    saved_path = out_dir / "config.json"
    if not saved_path.exists():
        return
    saved = json.loads(saved_path.read_text())
    changed = [f"{k}: {saved.get(k)!r} -> {cfg_dict.get(k)!r}" for k in keys
               if saved.get(k) != cfg_dict.get(k)]
    if changed:
        raise TrainConfigError(
            f"{out_dir} holds a run with a different network; refusing to continue it "
            f"({'; '.join(changed)}). Use a new out_dir, or the old settings.")


def initial_net(net_name: str, init: str | None, seed: int,
                ladders: bool = False) -> PolicyValueNet:
    """The net a run starts from: ``init``'s (widened to the ladder planes when ``ladders``
    and it lacks them), else a new ``net_name`` (with 22 input planes when ``ladders``)."""
    planes = features.NUM_PLANES_LADDERS if ladders else features.NUM_PLANES
    if init:
        net = read_checkpoint(init).net
        if ladders and net.config.in_planes < planes:
            net = widen_inputs(net, planes)
        return net
    torch.manual_seed(seed)
    return PolicyValueNet(NetConfig.from_name(net_name, in_planes=planes))


def run_supervised(cfg: SupervisedConfig) -> dict[str, float]:
    """Train (or resume) and return the last epoch's validation metrics."""
    out = Path(cfg.out_dir)
    check_compatible(out, asdict(cfg), ("net", "init", "data_dir"))
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "config.json", json.dumps(asdict(cfg), indent=2) + "\n")
    data = Path(cfg.data_dir)
    train = load_examples(list_shards(data / "train"))
    val = load_examples(list_shards(data / "val"))
    if train is None:
        raise FileNotFoundError(f"no readable training shards in {data / 'train'}")
    rng = np.random.default_rng(cfg.seed)
    if cfg.max_examples and len(train) > cfg.max_examples:
        train = train.take(rng.permutation(len(train))[:cfg.max_examples])

    latest = out / "checkpoints" / "latest.safetensors"
    state_path = out / "state.pt"
    start_epoch = 0
    if latest.exists() and state_path.exists():
        ckpt = read_checkpoint(latest)
        net = ckpt.net
        state = load_state(state_path)
        start_epoch = int(state["info"]["epoch"]) + 1  # type: ignore[index]
    else:
        net = initial_net(cfg.net, cfg.init, cfg.seed, cfg.ladders)
        state = None
    train = with_planes(train, net.config.in_planes)
    if val is not None:
        val = with_planes(val, net.config.in_planes)
    device = resolve_device(cfg.device)
    net = net.to(device)
    optimizer = make_optimizer(net, cfg.lr, cfg.weight_decay)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])  # type: ignore[arg-type]
    steps_per_epoch = max(1, len(train) // cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    log = MetricsLogger(out / "train.csv")
    last: dict[str, float] = {}
    for epoch in range(start_epoch, cfg.epochs):
        erng = np.random.default_rng([cfg.seed, epoch])
        order = erng.permutation(len(train))
        sums: dict[str, float] = {}
        t0 = time.perf_counter()
        for s in progress(range(steps_per_epoch), desc=f"epoch {epoch}",
                          total=steps_per_epoch):
            step = epoch * steps_per_epoch + s
            lr = cfg.lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            for g in optimizer.param_groups:
                g["lr"] = lr
            idx = order[s * cfg.batch_size:(s + 1) * cfg.batch_size]
            batch = batch_tensors(train, idx, int(erng.integers(8)), device)
            parts = train_step(net, optimizer, batch, cfg.weights, cfg.bf16)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + v
        seconds = time.perf_counter() - t0
        row: dict[str, float | int] = {"epoch": epoch, "examples": len(train),
                                       "seconds": round(seconds, 1),
                                       "samples_per_s": round(steps_per_epoch * cfg.batch_size
                                                              / seconds, 1)}
        row.update({f"train_{k}": round(v / steps_per_epoch, 5) for k, v in sums.items()})
        if val is not None:
            last = evaluate_examples(net, val, cfg.weights, cfg.bf16)
            row.update({f"val_{k}": round(v, 5) for k, v in last.items()})
        net.eval()
        meta = {"stage": "supervised", "epoch": epoch, "data": cfg.data_dir}
        save_checkpoint(out / "checkpoints" / f"epoch_{epoch:03d}.safetensors", net,
                        step=(epoch + 1) * steps_per_epoch, metadata=meta)
        save_checkpoint(latest, net, step=(epoch + 1) * steps_per_epoch, metadata=meta)
        save_state(state_path, optimizer, {"epoch": epoch})
        log.log(row)
    log.close()
    return last
