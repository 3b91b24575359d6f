"""``rocks reason``: show tasks, pretrain the base model, train it with GRPO, evaluate it.

    rocks reason tasks    --family arithmetic --difficulty 2 -n 3
    rocks reason pretrain --out models/reason/base --steps 1600
    rocks reason train    --base models/reason/base --out runs/grpo --objective grpo --steps 60
    rocks reason eval     --model runs/grpo/checkpoint --tasks 200 --samples 4 --out runs/eval
    rocks reason sft      --base runs/grpo/checkpoint --tasks 256 --k 8 --out runs/sft
    rocks reason star     --base models/reason/base --iterations 3 --out runs/star
    rocks reason tot      --model models/reason/base --tasks 50 --search.token-budget 400
    rocks reason pipeline --base models/reason/base --stage1.steps 40 --stage3.steps 20

Each subcommand's options are generated from its config dataclasses (``rocks.configcli``): the
stage's own config (``PretrainConfig``, ``GRPOConfig``, ``EvalConfig``, ``SFTConfig``,
``STaRConfig``, ``CompareConfig``, ``PipelineConfig``), which the stage saves as JSON next to
its results, and the small configs below for what the command itself needs (the model to start
from, the sandbox opt-in).  A nested config's fields are dotted: ``--reward.format 0.1``,
``--stage2.k 4``.  Fields a stage sets itself (``EXCLUDED``) have no flag.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rocks.configcli import add_config_arguments, config_from_args
from rocks.reason.evaluate import EvalConfig
from rocks.reason.expert_iteration import ExItConfig
from rocks.reason.grpo import GRPOConfig
from rocks.reason.harness import HarnessConfig
from rocks.reason.pipeline import PipelineConfig
from rocks.reason.pretrain import PretrainConfig
from rocks.reason.rewards import RewardWeights
from rocks.reason.sft import SFTConfig
from rocks.reason.star import STaRConfig
from rocks.reason.tot import CompareConfig
from rocks.userfiles import UserFileError


@dataclass(frozen=True)
class TasksConfig:
    """``rocks reason tasks``: print sample tasks and their answers.

    Attributes:
        family: the task family (or ``gym:<dataset>``).
        difficulty: the family's difficulty knob.
        count: how many tasks.
        seed: the first task's seed (the others follow it).
    """

    family: str = "arithmetic"
    difficulty: int = 2
    count: int = field(default=3, metadata={"flag": "-n"})
    seed: int = 0


@dataclass(frozen=True)
class ModelSource:
    """The model a training command starts from.

    Attributes:
        base: TinyLM checkpoint directory, with ``hf`` a transformers model directory, or a
            named pretrained model (``smollm2``, see rocks.reason.pretrained).
        hf: load ``base`` with transformers (any ``AutoModelForCausalLM``).
        gguf_file: a GGUF file inside ``base`` (with ``hf``).
        adapter: a LoRA adapter directory to start from, put onto ``base`` ('' = none).
    """

    base: str = "models/reason/base"
    hf: bool = False
    gguf_file: str = ""
    adapter: str = ""


@dataclass(frozen=True)
class SandboxChoice:
    """How model-written code may run (the ``code`` family's verifier).

    Attributes:
        unsafe_no_bubblewrap: run it without bubblewrap, on weaker layers that let a program
            read the host's files and write to its /tmp (sets ``allow_weak_sandbox`` in every
            reward setting of the command's config; see rocks.reason.sandbox).  Without this
            flag a machine lacking bubblewrap refuses.
    """

    unsafe_no_bubblewrap: bool = False


def _reward_paths(config: type, prefix: str = "") -> list[str]:
    """Dotted paths of every ``RewardWeights`` field nested in ``config`` (a dataclass type)."""
    paths = []
    for f in dataclasses.fields(config):
        kind = f.type if isinstance(f.type, type) else None
        if kind is None and f.default_factory is not dataclasses.MISSING:
            kind = type(f.default_factory())
        if kind is RewardWeights:
            paths.append(prefix + f.name)
        elif kind is not None and dataclasses.is_dataclass(kind):
            paths += _reward_paths(kind, f"{prefix}{f.name}.")
    return paths


def with_weak_sandbox(config):
    """``config`` with ``allow_weak_sandbox`` set in every ``RewardWeights`` it holds."""
    if isinstance(config, RewardWeights):
        return dataclasses.replace(config, allow_weak_sandbox=True)
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        return config
    changes = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            new = with_weak_sandbox(value)
            if new is not value:
                changes[f.name] = new
    return dataclasses.replace(config, **changes) if changes else config


# Fields a stage sets itself, so a flag for them would be ignored: pretraining takes the
# vocabulary size from the tokenizer; the pipeline gives every stage its own task, seed,
# threads and directory, and runs no evaluation inside a GRPO stage.  The sandbox opt-in of
# every reward setting has one flag, ``--unsafe-no-bubblewrap`` (``SandboxChoice``).
_PIPELINE_SETS = ("family", "difficulty", "seed", "threads", "out")
_PIPELINE_EXCLUDED = frozenset(
    [f"{stage}.{name}" for stage in ("stage1", "stage2", "stage3") for name in _PIPELINE_SETS]
    + [f"{stage}.{name}" for stage in ("stage1", "stage3")
       for name in ("eval_every", "eval_tasks", "eval_samples", "eval_temperature")]
)

# The harness sets the task, seed, objective, generation budget and directories of the GRPO and
# expert-iteration settings it holds, and trains TinyLM weights (no LoRA, no inner evaluation).
_HARNESS_EXCLUDED = frozenset(
    [f"grpo.{n}" for n in ("family", "difficulty", "seed", "objective", "max_new_tokens", "out",
                           "eval_every", "eval_tasks", "eval_samples", "eval_temperature",
                           "checkpoint_every", "threads", "steps", "lora")]
    + [f"exit.{n}" for n in ("family", "difficulty", "seed", "search", "prm", "out", "threads",
                            "iterations", "token_budget", "tot.max_new_tokens",
                            "mcts.max_new_tokens", "mcts.step_chars")]
)


def _load(source: ModelSource | EvalConfig | CompareConfig | PipelineConfig, prog: str):
    from rocks.reason.evaluate import load_policy

    path = source.base if isinstance(source, ModelSource | PipelineConfig) else source.model
    try:
        return load_policy(path, source.hf, source.gguf_file, getattr(source, "adapter", ""))
    except (FileNotFoundError, UserFileError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return None


def run_tasks(cfg: TasksConfig) -> int:
    from rocks.reason.tasks import get_family

    try:
        family = get_family(cfg.family)
    except KeyError as exc:
        print(f"rocks reason tasks: {exc.args[0]}", file=sys.stderr)
        return 2
    for i in range(cfg.count):
        task = family.generate(cfg.seed + i, cfg.difficulty)
        print(f"{task.prompt}\n  answer: {task.answer}")
    return 0


def run_pretrain(cfg: PretrainConfig) -> int:
    from rocks.reason.pretrain import pretrain

    pretrain(cfg, log=lambda row: print(json.dumps(row), flush=True))
    print(f"base model written to {cfg.out}")
    return 0


def run_train(cfg: GRPOConfig, source: ModelSource) -> int:
    from rocks.reason.evaluate import evaluate, held_out_tasks
    from rocks.reason.grpo import train

    policy = _load(source, "rocks reason train")
    if policy is None:
        return 2
    evaluate_fn = None
    if cfg.eval_every:
        eval_set = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)

        def evaluate_fn(pol, step: int) -> dict:
            summary, _ = evaluate(pol, eval_set, cfg.eval_samples, cfg.eval_temperature,
                                  cfg.max_new_tokens, seed=step, weights=cfg.reward)
            return asdict(summary)

    history = train(policy, cfg, evaluate_fn, progress=True)
    if history:
        last = history[-1]
        print(f"step {last.step}: reward {last.reward:.3f} accuracy {last.accuracy:.3f} "
              f"format {last.format:.3f}; logs in {cfg.out}")
    return 0


def run_evaluation(cfg: EvalConfig) -> int:
    from rocks.reason.evaluate import run_eval

    try:
        result = run_eval(cfg)
    except (FileNotFoundError, UserFileError) as exc:
        print(f"rocks reason eval: {exc}", file=sys.stderr)
        return 2
    free = result["free"]
    print(f"pass@1 strict {free['pass1']:.3f} lenient {free['pass1_lenient']:.3f}  "
          f"pass@{cfg.samples} strict {free['pass_k']:.3f} lenient {free['pass_k_lenient']:.3f}  "
          f"format {free['format']:.3f}  language {free['language']:.3f}  "
          f"self-checks {free['self_check_rate']:.0%}  think {free['think_chars']:.1f} chars "
          f"({free['think_rate']:.0%} of samples think)")
    if "forced_short" in result:
        print(f"forced short answer: pass@1 {result['forced_short']['pass1']:.3f}")
    for row in result["by_think_length"]:
        print(f"  think {row['think_chars']:>8}: n={row['count']:4d} "
              f"accuracy {row['accuracy']:.3f}")
    return 0


def run_rs_sft(cfg: SFTConfig, source: ModelSource) -> int:
    from rocks.reason.sft import run_sft

    policy = _load(source, "rocks reason sft")
    if policy is None:
        return 2
    print(json.dumps(run_sft(policy, cfg, progress=True)))
    return 0


def run_self_taught(cfg: STaRConfig, source: ModelSource) -> int:
    from rocks.reason.star import run_star

    policy = _load(source, "rocks reason star")
    if policy is None:
        return 2
    for it in run_star(policy, cfg, progress=True):
        print(json.dumps(asdict(it)))
    return 0


def run_tree_search(cfg: CompareConfig) -> int:
    import torch

    from rocks.atomic import write_json
    from rocks.metrics import write_table
    from rocks.reason.evaluate import held_out_tasks
    from rocks.reason.tot import compare_at_budget, summarise_methods

    torch.set_num_threads(cfg.threads)
    policy = _load(cfg, "rocks reason tot")
    if policy is None:
        return 2
    rows = compare_at_budget(policy, held_out_tasks(cfg.family, cfg.difficulty, cfg.tasks), cfg,
                             progress=True)
    summary = summarise_methods(rows)
    if cfg.out:
        write_json(Path(cfg.out) / "config.json", asdict(cfg))
        write_table(Path(cfg.out) / "per_task.csv", rows)
        write_json(Path(cfg.out) / "summary.json", summary)
    for method, m in summary.items():
        print(f"{method:>12}: solved {m['solved']:.3f}  no-oracle {m['chosen_correct']:.3f}  "
              f"tokens {m['tokens']:.0f}  rollouts {m['rollouts']:.1f}")
    return 0


def run_r1_pipeline(cfg: PipelineConfig) -> int:
    from rocks.reason.pipeline import run_pipeline

    policy = _load(cfg, "rocks reason pipeline")
    if policy is None:
        return 2
    for row in run_pipeline(policy, cfg, progress=True):
        print(json.dumps(row))
    return 0


def run_exit(cfg: ExItConfig, source: ModelSource) -> int:
    from rocks.reason.expert_iteration import run_expert_iteration

    policy = _load(source, "rocks reason exit")
    if policy is None:
        return 2
    for row in run_expert_iteration(policy, cfg):
        print(json.dumps(row))
    return 0


def run_harness(cfg: HarnessConfig, source: ModelSource) -> int:
    from rocks.reason.harness import run_arm

    policy = _load(source, "rocks reason harness")
    if policy is None:
        return 2
    print(json.dumps(run_arm(policy, cfg)))
    return 0


@dataclass(frozen=True)
class Subcommand:
    """One ``rocks reason <name>``: its configs (the stage's first) and what runs them."""

    configs: tuple[type, ...]
    run: Callable[..., int]
    help: str


SUBCOMMANDS: dict[str, Subcommand] = {
    "tasks": Subcommand((TasksConfig,), run_tasks, "print sample tasks"),
    "pretrain": Subcommand((PretrainConfig,), run_pretrain,
                           "pretrain the base LM on synthetic task data"),
    "train": Subcommand((GRPOConfig, ModelSource, SandboxChoice), run_train,
                        "GRPO (or Dr. GRPO) from a base model"),
    "eval": Subcommand((EvalConfig, SandboxChoice), run_evaluation,
                       "held-out pass@1/pass@k, thinking-length analysis"),
    "sft": Subcommand((SFTConfig, ModelSource, SandboxChoice), run_rs_sft,
                      "rejection-sampling SFT: sample k, keep verified, fine-tune"),
    "star": Subcommand((STaRConfig, ModelSource, SandboxChoice), run_self_taught,
                       "STaR: sample, keep correct, rationalise, fine-tune from the base"),
    "tot": Subcommand((CompareConfig, SandboxChoice), run_tree_search,
                      "tree search over reasoning steps vs sampling at equal token budget"),
    "pipeline": Subcommand((PipelineConfig, SandboxChoice), run_r1_pipeline,
                           "DeepSeek-R1 stages: GRPO -> rejection-sampling SFT -> GRPO"),
    "exit": Subcommand((ExItConfig, ModelSource, SandboxChoice), run_exit,
                       "expert iteration: search (best-first or MCTS + PRM), fine-tune on it"),
    "harness": Subcommand((HarnessConfig, ModelSource, SandboxChoice), run_harness,
                          "one arm (a-f: GRPO ... ExIt + MCTS + PRM) at a sampled-token budget"),
}


EXCLUDED: dict[str, frozenset[str]] = {
    name: frozenset(
        [f"{path}.allow_weak_sandbox" for cls in command.configs for path in _reward_paths(cls)]
        + (["lm.vocab_size"] if name == "pretrain" else [])
        + (list(_PIPELINE_EXCLUDED) if name == "pipeline" else [])
        + (list(_HARNESS_EXCLUDED) if name == "harness" else [])
    )
    for name, command in SUBCOMMANDS.items()
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``rocks reason`` (without running anything), generated from the configs."""
    parser = argparse.ArgumentParser(prog="rocks reason", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        for config in command.configs:
            add_config_arguments(p, config, exclude=EXCLUDED.get(name, ()))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: rocks reason {" + ",".join(SUBCOMMANDS) + "} [options]\n\n" + __doc__)
        return 0
    if argv[0] not in SUBCOMMANDS:
        print(f"rocks reason: unknown subcommand {argv[0]!r}; known: {', '.join(SUBCOMMANDS)}",
              file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    command = SUBCOMMANDS[args.command]
    try:
        configs = [config_from_args(cls, args) for cls in command.configs]
    except ValueError as exc:  # a config's own check (__post_init__)
        parser.error(f"{args.command}: {exc}")
    choice = next((c for c in configs if isinstance(c, SandboxChoice)), None)
    configs = [c for c in configs if not isinstance(c, SandboxChoice)]
    if choice is not None and choice.unsafe_no_bubblewrap:
        configs = [with_weak_sandbox(c) for c in configs]  # passed down, never os.environ
    return command.run(*configs)
