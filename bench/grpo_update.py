"""The GRPO update on SmolLM2-135M-Instruct (LoRA): one pass over the padded batch vs
micro-batches with the prompt run once, on the same sampled batch.

  one_pass  - ``micro_batch=0`` and ``HFPolicy.share_prompts=False``: the update as it was
              (one forward/backward over B rows x (prompt + longest completion) columns);
  rows_R    - micro-batches of R rows (grpo departure 5: a group's rows longest first, each
              micro-batch cut to the columns its rows use), a micro-batch's shared prompt run
              once with a KV cache (hf departure 4); R = G is one group per pass.
All compute the same loss and gradients (tests/reason/test_grpo_update.py; the bench prints
the largest gradient difference on the real model too).  One batch of ``--prompts`` prompts x
G=``--group-size`` is sampled at T=0.7 with ``--new-tokens`` tokens (the experiment's
settings), then the two updates alternate ``--repeats`` times (SGD at lr 0, so the policy
never moves); medians.  Writes its section of docs/benchmarks.md with ``--write-doc``:

    nice -n 5 .venv/bin/python bench/grpo_update.py --write-doc
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
HEADING = "## GRPO update: one pass vs per group with a shared prompt (bench/grpo_update.py)"


@dataclass(frozen=True)
class Config:
    prompts: int = 2
    group_size: int = 8
    new_tokens: int = 128
    repeats: int = 3
    rows: str = "8,4,2"  # micro-batch sizes to time against the one pass
    family: str = "gym:basic_arithmetic"
    difficulty: int = 1
    threads: int = 1
    out: str = "bench/results/grpo_update.json"
    write_doc: bool = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in asdict(Config()).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true")
        else:
            parser.add_argument(flag, type=type(default), default=default)
    cfg = Config(**vars(parser.parse_args(argv)))
    torch.set_num_threads(cfg.threads)
    from benchdoc import machine_meta, publish

    from rocks.reason import pretrained
    from rocks.reason.grpo import OBJECTIVES, GRPOConfig, policy_gradient, training_tasks
    from rocks.reason.lora import LoraSettings, attach
    from rocks.reason.rewards import RewardWeights, score
    from rocks.reason.tasks import prompt_text

    policy = attach(pretrained.load("smollm2"), LoraSettings(rank=16, alpha=32.0))
    base = dict(family=cfg.family, difficulty=cfg.difficulty, prompts_per_step=cfg.prompts,
                group_size=cfg.group_size, max_new_tokens=cfg.new_tokens, temperature=0.7,
                mu=1, beta=0.0, reward=RewardWeights(format=0.2, tags=0.2,
                                                     prefill=pretrained.PREFILL))
    tasks = [t for t in training_tasks(GRPOConfig(**base), 0) for _ in range(cfg.group_size)]
    samples = policy.sample([prompt_text(t) for t in tasks], cfg.new_tokens, 0.7,
                            torch.Generator().manual_seed(0))
    rewards = torch.tensor([score(c, t, base["reward"]).total
                            for c, t in zip(policy.completions(samples), tasks, strict=True)])
    advantages = OBJECTIVES["grpo"][0](rewards, cfg.group_size)
    opt = torch.optim.SGD([p for p in policy.model.parameters() if p.requires_grad], lr=0.0)
    variants = {"one_pass": (0, False)}
    variants.update({f"rows_{r}": (int(r), True) for r in cfg.rows.split(",")})
    times: dict[str, list[float]] = {name: [] for name in variants}
    grads: dict[str, list[torch.Tensor]] = {}
    for _ in range(cfg.repeats):
        for name, (micro, share) in variants.items():
            policy.share_prompts = share
            start = time.perf_counter()
            policy_gradient(policy, None, opt, samples, advantages,
                            GRPOConfig(**base, micro_batch=micro, max_grad_norm=1e9))
            times[name].append(time.perf_counter() - start)
            grads[name] = [p.grad.clone() for p in policy.model.parameters() if p.requires_grad]
            print(name, round(times[name][-1], 1), flush=True)
    diff = max(float((a - b).abs().max()) for name in variants for a, b in
               zip(grads["one_pass"], grads[name], strict=True))
    scale = max(float(a.abs().max()) for a in grads["one_pass"])
    lengths = samples.completion_mask.sum(-1).float()
    real_prompt = samples.attention_mask[:, : samples.prompt_len].sum(-1).float()
    shape = {"rows": len(tasks), "prompt_tokens": float(real_prompt.mean()),
             "completion_mean": float(lengths.mean()), "completion_max": int(lengths.max())}
    med = {name: statistics.median(t) for name, t in times.items()}
    meta = machine_meta("nice -n 5 .venv/bin/python bench/grpo_update.py --write-doc")
    rows = "\n".join(f"| {name} | {med[name]:.1f} | {med['one_pass'] / med[name]:.2f}x | "
                     f"{' '.join(f'{t:.1f}' for t in times[name])} |" for name in variants)
    section = (
        f"{HEADING}\n\n{meta['date']}, {meta['machine']}, {cfg.threads} torch thread, load "
        f"{meta['load']} (a shared 2-core VM, other jobs running); "
        f"`{meta['command']}`.\n\n"
        f"One sampled batch: {cfg.prompts} prompts x G={cfg.group_size} ({cfg.family}:"
        f"{cfg.difficulty}, SmolLM2's chat prompt of {shape['prompt_tokens']:.0f} tokens), "
        f"completions of {shape['completion_mean']:.0f} tokens on average and "
        f"{shape['completion_max']} at most ({cfg.new_tokens} allowed, T=0.7); LoRA rank 16 on "
        f"all 7 projections of the 30 layers, μ=1, β=0.  Seconds per update (forward + "
        f"backward), alternating, median of {cfg.repeats}:\n\n"
        f"| update | median s | speed-up | every run |\n|---|---|---|---|\n{rows}\n\n"
        f"Largest gradient difference to one_pass {diff:.1e} (largest gradient {scale:.1e}): "
        "the same update up to float rounding.  The saving grows with the prompt's share of a "
        "row and with the spread of completion lengths (the one pass pads every row to the "
        "longest).\n"
    )
    publish(cfg.out, asdict(cfg), meta, {"times": times, "grad_diff": diff, "grad_scale": scale,
                                         **shape}, section, HEADING, cfg.write_doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
