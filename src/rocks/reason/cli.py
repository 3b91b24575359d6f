"""``rocks reason``: show tasks, pretrain the base model, train it with GRPO, evaluate it.

    rocks reason tasks    --family arithmetic --difficulty 2 -n 3
    rocks reason pretrain --out models/reason/base --steps 1600
    rocks reason train    --base models/reason/base --out runs/grpo --objective grpo --steps 60
    rocks reason eval     --model runs/grpo/checkpoint --tasks 200 --samples 4 --out runs/eval
    rocks reason sft      --base runs/grpo/checkpoint --tasks 256 -k 8 --out runs/sft
    rocks reason star     --base models/reason/base --iterations 3 --out runs/star
    rocks reason tot      --model models/reason/base --tasks 50 --budget 400 --out runs/tot
    rocks reason pipeline --base models/reason/base --rl1-steps 40 --rl2-steps 20 --out runs/r1

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
    ap.add_argument("--init", default="", help="checkpoint to continue pretraining from")
    args = ap.parse_args(argv)
    cfg = replace(d, families=tuple(args.family or d.families), difficulty=args.difficulty,
                  trace_fraction=args.trace_fraction, steps=args.steps,
                  batch_size=args.batch_size, lr=args.lr, seed=args.seed, threads=args.threads,
                  out=args.out, init=args.init)
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
    ap.add_argument("--threads", type=int, default=d.threads)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    cfg = EvalConfig(model=args.model, family=args.family, difficulty=args.difficulty,
                     tasks=args.tasks, samples=args.samples, temperature=args.temperature,
                     max_new_tokens=args.max_new_tokens, forced_short=not args.no_forced_short,
                     seed=args.seed, out=args.out, hf=args.hf, gguf_file=args.gguf_file,
                     threads=args.threads)
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


def _load(model: str, hf: bool, gguf_file: str, prog: str):
    from rocks.reason.evaluate import load_policy

    try:
        return load_policy(model, hf, gguf_file)
    except FileNotFoundError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return None


def _model_args(ap: argparse.ArgumentParser, name: str = "--model") -> None:
    ap.add_argument(name, default="models/reason/base",
                    help="TinyLM checkpoint directory (or transformers directory with --hf)")
    ap.add_argument("--hf", action="store_true", help="load the model with transformers")
    ap.add_argument("--gguf-file", default="", help="GGUF file inside the model dir (with --hf)")


def _sft(argv: list[str]) -> int:
    from rocks.reason.sft import SFTConfig, run_sft

    d = SFTConfig()
    ap = argparse.ArgumentParser(prog="rocks reason sft",
                                 description="rejection-sampling SFT: sample k, keep verified, "
                                             "fine-tune")
    _model_args(ap, "--base")
    ap.add_argument("--family", default=d.family)
    ap.add_argument("--difficulty", type=int, default=d.difficulty)
    ap.add_argument("--tasks", type=int, default=d.tasks)
    ap.add_argument("-k", type=int, default=d.k, help="samples per prompt")
    ap.add_argument("--temperature", type=float, default=d.temperature)
    ap.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens)
    ap.add_argument("--min-language", type=float, default=d.min_language)
    ap.add_argument("--max-per-task", type=int, default=d.max_per_task)
    ap.add_argument("--epochs", type=int, default=d.epochs)
    ap.add_argument("--batch-size", type=int, default=d.batch_size)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--threads", type=int, default=d.threads)
    ap.add_argument("--out", default=d.out)
    args = ap.parse_args(argv)
    cfg = SFTConfig(family=args.family, difficulty=args.difficulty, tasks=args.tasks, k=args.k,
                    temperature=args.temperature, max_new_tokens=args.max_new_tokens,
                    min_language=args.min_language, max_per_task=args.max_per_task,
                    epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                    threads=args.threads, out=args.out)
    policy = _load(args.base, args.hf, args.gguf_file, "rocks reason sft")
    if policy is None:
        return 2
    summary = run_sft(policy, cfg, progress=True)
    print(json.dumps(summary))
    return 0


def _star(argv: list[str]) -> int:
    from rocks.reason.star import STaRConfig, run_star

    d = STaRConfig()
    ap = argparse.ArgumentParser(prog="rocks reason star",
                                 description="STaR: sample, keep correct, rationalise, "
                                             "fine-tune from the base")
    _model_args(ap, "--base")
    ap.add_argument("--family", default=d.family)
    ap.add_argument("--difficulty", type=int, default=d.difficulty)
    ap.add_argument("--tasks", type=int, default=d.tasks)
    ap.add_argument("--iterations", type=int, default=d.iterations)
    ap.add_argument("-k", type=int, default=d.k, help="samples per task per iteration")
    ap.add_argument("--no-rationalize", action="store_true")
    ap.add_argument("--hint-k", type=int, default=d.hint_k)
    ap.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens)
    ap.add_argument("--epochs", type=int, default=d.epochs)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--eval-tasks", type=int, default=d.eval_tasks)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--threads", type=int, default=d.threads)
    ap.add_argument("--out", default=d.out)
    args = ap.parse_args(argv)
    cfg = STaRConfig(family=args.family, difficulty=args.difficulty, tasks=args.tasks,
                     iterations=args.iterations, k=args.k, rationalize=not args.no_rationalize,
                     hint_k=args.hint_k, max_new_tokens=args.max_new_tokens, epochs=args.epochs,
                     lr=args.lr, eval_tasks=args.eval_tasks, seed=args.seed,
                     threads=args.threads, out=args.out)
    policy = _load(args.base, args.hf, args.gguf_file, "rocks reason star")
    if policy is None:
        return 2
    for it in run_star(policy, cfg, progress=True):
        print(json.dumps(asdict(it)))
    return 0


def _tot(argv: list[str]) -> int:
    import torch

    from rocks.metrics import write_table
    from rocks.reason.evaluate import held_out_tasks
    from rocks.reason.tot import CompareConfig, ToTConfig, compare_at_budget, summarise_methods

    d, s = CompareConfig(), ToTConfig()
    ap = argparse.ArgumentParser(prog="rocks reason tot",
                                 description="tree search over reasoning steps vs sampling at "
                                             "equal token budget, on held-out tasks")
    _model_args(ap)
    ap.add_argument("--family", default=d.family)
    ap.add_argument("--difficulty", type=int, default=d.difficulty)
    ap.add_argument("--tasks", type=int, default=d.tasks)
    ap.add_argument("--budget", type=int, default=s.token_budget, help="sampled tokens per task")
    ap.add_argument("--branch", type=int, default=s.branch)
    ap.add_argument("--batch", type=int, default=d.batch, help="samples per baseline call")
    ap.add_argument("--max-new-tokens", type=int, default=s.max_new_tokens)
    ap.add_argument("--heuristic-weight", type=float, default=s.heuristic_weight)
    ap.add_argument("--spend-all", action="store_true",
                    help="spend the whole budget (measures the no-oracle choice too)")
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    search = ToTConfig(token_budget=args.budget, branch=args.branch,
                       max_new_tokens=args.max_new_tokens,
                       heuristic_weight=args.heuristic_weight, stop_on_verified=not args.spend_all)
    cfg = CompareConfig(model=args.model, family=args.family, difficulty=args.difficulty,
                        tasks=args.tasks, batch=args.batch, search=search, seed=args.seed,
                        out=args.out, hf=args.hf)
    torch.set_num_threads(args.threads)
    policy = _load(args.model, args.hf, args.gguf_file, "rocks reason tot")
    if policy is None:
        return 2
    rows = compare_at_budget(policy, held_out_tasks(cfg.family, cfg.difficulty, cfg.tasks), cfg,
                             progress=True)
    summary = summarise_methods(rows)
    if cfg.out:
        from pathlib import Path

        from rocks.atomic import write_json

        write_json(Path(cfg.out) / "config.json", asdict(cfg))
        write_table(Path(cfg.out) / "per_task.csv", rows)
        write_json(Path(cfg.out) / "summary.json", summary)
    for method, m in summary.items():
        print(f"{method:>12}: solved {m['solved']:.3f}  no-oracle {m['chosen_correct']:.3f}  "
              f"tokens {m['tokens']:.0f}  rollouts {m['rollouts']:.1f}")
    return 0


def _pipeline(argv: list[str]) -> int:
    from rocks.reason.pipeline import PipelineConfig, run_pipeline

    d = PipelineConfig()
    ap = argparse.ArgumentParser(prog="rocks reason pipeline",
                                 description="DeepSeek-R1 stages: GRPO -> rejection-sampling SFT "
                                             "-> GRPO (resumable per stage)")
    _model_args(ap, "--base")
    ap.add_argument("--family", default=d.family)
    ap.add_argument("--difficulty", type=int, default=d.difficulty)
    ap.add_argument("--rl1-steps", type=int, default=d.stage1.steps)
    ap.add_argument("--rl2-steps", type=int, default=d.stage3.steps)
    ap.add_argument("--sft-tasks", type=int, default=d.stage2.tasks)
    ap.add_argument("--sft-k", type=int, default=d.stage2.k)
    ap.add_argument("--sft-epochs", type=int, default=d.stage2.epochs)
    ap.add_argument("--sft-from-base", action="store_true")
    ap.add_argument("--eval-tasks", type=int, default=d.eval_tasks)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--threads", type=int, default=d.threads)
    ap.add_argument("--out", default=d.out)
    args = ap.parse_args(argv)
    cfg = replace(d, base=args.base, family=args.family, difficulty=args.difficulty,
                  stage1=replace(d.stage1, steps=args.rl1_steps),
                  stage2=replace(d.stage2, tasks=args.sft_tasks, k=args.sft_k,
                                 epochs=args.sft_epochs),
                  stage3=replace(d.stage3, steps=args.rl2_steps),
                  sft_from_base=args.sft_from_base, eval_tasks=args.eval_tasks, seed=args.seed,
                  threads=args.threads, out=args.out)
    policy = _load(args.base, args.hf, args.gguf_file, "rocks reason pipeline")
    if policy is None:
        return 2
    for row in run_pipeline(policy, cfg, progress=True):
        print(json.dumps(row))
    return 0


SUBCOMMANDS = {"tasks": _tasks, "pretrain": _pretrain, "train": _train, "eval": _eval,
               "sft": _sft, "star": _star, "tot": _tot, "pipeline": _pipeline}


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
