"""``rocks reason``: show tasks, pretrain the base model, train it with GRPO, evaluate it.

    rocks reason tasks    --family arithmetic --difficulty 2 -n 3
    rocks reason pretrain --out models/reason/base --steps 1600
    rocks reason train    --base models/reason/base --out runs/grpo --objective grpo --steps 60
    rocks reason eval     --model runs/grpo/checkpoint --tasks 200 --samples 4 --out runs/eval

Each command fills its config dataclass (``PretrainConfig``, ``GRPOConfig``, ``EvalConfig``) and
saves it as JSON next to its results.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace

from rocks.reason.evaluate import EvalConfig, run_eval
from rocks.reason.grpo import OBJECTIVES, GRPOConfig
from rocks.reason.pretrain import PretrainConfig
from rocks.reason.rewards import RewardWeights


def _tasks(argv: list[str]) -> int:
    from rocks.reason.tasks import FAMILIES, get_family

    ap = argparse.ArgumentParser(prog="rocks reason tasks", description="print sample tasks")
    ap.add_argument("--family", default="arithmetic", choices=sorted(FAMILIES))
    ap.add_argument("--difficulty", type=int, default=2)
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    for i in range(args.n):
        task = get_family(args.family).generate(args.seed + i, args.difficulty)
        print(f"{task.prompt}\n  answer: {task.answer}")
    return 0


def _pretrain(argv: list[str]) -> int:
    from rocks.reason.pretrain import pretrain

    d = PretrainConfig()
    ap = argparse.ArgumentParser(prog="rocks reason pretrain",
                                 description="pretrain the base LM on synthetic task data")
    ap.add_argument("--family", action="append", help="task family (repeatable)")
    ap.add_argument("--difficulty", type=int, default=d.difficulty)
    ap.add_argument("--trace-fraction", type=float, default=d.trace_fraction,
                    help="share of examples with a worked <think> trace")
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--batch-size", type=int, default=d.batch_size)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--threads", type=int, default=d.threads)
    ap.add_argument("--out", default=d.out)
    args = ap.parse_args(argv)
    cfg = replace(d, families=tuple(args.family or d.families), difficulty=args.difficulty,
                  trace_fraction=args.trace_fraction, steps=args.steps,
                  batch_size=args.batch_size, lr=args.lr, seed=args.seed, threads=args.threads,
                  out=args.out)
    pretrain(cfg, log=lambda row: print(json.dumps(row), flush=True))
    print(f"base model written to {cfg.out}")
    return 0


def _train(argv: list[str]) -> int:
    from rocks.reason.evaluate import evaluate, held_out_tasks, load_policy
    from rocks.reason.grpo import train

    d = GRPOConfig()
    ap = argparse.ArgumentParser(prog="rocks reason train", description="GRPO from a base model")
    ap.add_argument("--base", default="models/reason/base",
                    help="TinyLM checkpoint directory (or transformers directory with --hf)")
    ap.add_argument("--hf", action="store_true", help="load --base with transformers")
    ap.add_argument("--gguf-file", default="", help="GGUF file inside --base (with --hf)")
    ap.add_argument("--objective", default=d.objective, choices=sorted(OBJECTIVES))
    ap.add_argument("--family", default=d.family)
    ap.add_argument("--difficulty", type=int, default=d.difficulty)
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--prompts", type=int, default=d.prompts_per_step, help="prompts per step")
    ap.add_argument("-G", "--group-size", type=int, default=d.group_size)
    ap.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens)
    ap.add_argument("--temperature", type=float, default=d.temperature)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--epsilon", type=float, default=d.epsilon)
    ap.add_argument("--beta", type=float, default=d.beta)
    ap.add_argument("--mu", type=int, default=d.mu)
    ap.add_argument("--format-weight", type=float, default=d.reward.format)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--eval-every", type=int, default=d.eval_every)
    ap.add_argument("--eval-tasks", type=int, default=d.eval_tasks)
    ap.add_argument("--eval-samples", type=int, default=2)
    ap.add_argument("--threads", type=int, default=d.threads)
    ap.add_argument("--out", default=d.out)
    args = ap.parse_args(argv)
    cfg = GRPOConfig(
        family=args.family, difficulty=args.difficulty, objective=args.objective,
        steps=args.steps, prompts_per_step=args.prompts, group_size=args.group_size,
        max_new_tokens=args.max_new_tokens, temperature=args.temperature, lr=args.lr,
        epsilon=args.epsilon, beta=args.beta, mu=args.mu,
        reward=RewardWeights(format=args.format_weight), seed=args.seed,
        eval_every=args.eval_every, eval_tasks=args.eval_tasks, threads=args.threads,
        out=args.out,
    )
    try:
        policy = load_policy(args.base, args.hf, args.gguf_file)
    except FileNotFoundError as exc:
        print(f"rocks reason train: {exc}", file=sys.stderr)
        return 2
    eval_set = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)

    def evaluate_fn(pol, step: int) -> dict:
        summary, _ = evaluate(pol, eval_set, args.eval_samples, 1.0, cfg.max_new_tokens,
                              seed=step)
        return asdict(summary)

    history = train(policy, cfg, evaluate_fn if cfg.eval_every else None, progress=True)
    if history:
        last = history[-1]
        print(f"step {last.step}: reward {last.reward:.3f} accuracy {last.accuracy:.3f} "
              f"format {last.format:.3f}; logs in {cfg.out}")
    return 0


def _eval(argv: list[str]) -> int:
    d = EvalConfig()
    ap = argparse.ArgumentParser(prog="rocks reason eval",
                                 description="held-out pass@1/pass@k, thinking-length analysis")
    ap.add_argument("--model", default=d.model)
    ap.add_argument("--hf", action="store_true")
    ap.add_argument("--gguf-file", default="")
    ap.add_argument("--family", default=d.family)
    ap.add_argument("--difficulty", type=int, default=d.difficulty)
    ap.add_argument("--tasks", type=int, default=d.tasks)
    ap.add_argument("--samples", type=int, default=d.samples)
    ap.add_argument("--temperature", type=float, default=d.temperature)
    ap.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens)
    ap.add_argument("--no-forced-short", action="store_true",
                    help="skip the forced <think></think><answer> ablation")
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    cfg = EvalConfig(model=args.model, family=args.family, difficulty=args.difficulty,
                     tasks=args.tasks, samples=args.samples, temperature=args.temperature,
                     max_new_tokens=args.max_new_tokens, forced_short=not args.no_forced_short,
                     seed=args.seed, out=args.out, hf=args.hf, gguf_file=args.gguf_file)
    try:
        result = run_eval(cfg)
    except FileNotFoundError as exc:
        print(f"rocks reason eval: {exc}", file=sys.stderr)
        return 2
    free = result["free"]
    print(f"pass@1 {free['pass1']:.3f}  pass@{cfg.samples} {free['pass_k']:.3f}  "
          f"format {free['format']:.3f}  think {free['think_chars']:.1f} chars "
          f"({free['think_rate']:.0%} of samples think)")
    if "forced_short" in result:
        print(f"forced short answer: pass@1 {result['forced_short']['pass1']:.3f}")
    for row in result["by_think_length"]:
        print(f"  think {row['think_chars']:>8}: n={row['count']:4d} "
              f"accuracy {row['accuracy']:.3f}")
    return 0


SUBCOMMANDS = {"tasks": _tasks, "pretrain": _pretrain, "train": _train, "eval": _eval}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: rocks reason {" + ",".join(SUBCOMMANDS) + "} [options]\n\n" + __doc__)
        return 0
    if argv[0] not in SUBCOMMANDS:
        print(f"rocks reason: unknown subcommand {argv[0]!r}; known: {', '.join(SUBCOMMANDS)}",
              file=sys.stderr)
        return 2
    return SUBCOMMANDS[argv[0]](argv[1:])
