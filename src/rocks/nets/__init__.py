"""rocks.nets: the policy/value network, its checkpoints, and the batched evaluator.

    from rocks.nets import Evaluator, load_checkpoint, init_checkpoint
    net, config = load_checkpoint("model.safetensors")
    evaluate = Evaluator(net, batch_size=32, use_bf16=True, device="auto")
    ev = evaluate(positions)   # Evaluation(priors [B, N+1], values [B], ownership [B, N], score)
"""

from rocks.devices import DeviceName, resolve_device
from rocks.nets.checkpoint import (
    Checkpoint,
    CheckpointError,
    init_checkpoint,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from rocks.nets.evaluator import (
    MODES,
    EvaluateFn,
    Evaluation,
    Evaluator,
    EvaluatorSettings,
    fastest_settings,
    precision_check,
    random_evaluator,
    uniform_evaluator,
)
from rocks.nets.model import NetConfig, NetOutput, PolicyValueNet

__all__ = [
    "MODES", "Checkpoint", "CheckpointError", "DeviceName", "EvaluateFn", "Evaluation",
    "Evaluator", "EvaluatorSettings",
    "NetConfig", "NetOutput", "PolicyValueNet", "fastest_settings", "init_checkpoint",
    "load_checkpoint", "precision_check", "random_evaluator", "read_checkpoint",
    "resolve_device", "save_checkpoint", "uniform_evaluator",
]
