"""Our GRPO step vs TRL's GRPOTrainer, same model, data and settings, side by side on this CPU.

The model is the pretrained base (``models/reason/base``) in three guises:
  ours/TinyLM   - rocks.reason.grpo with our TinyLM and its KV-cache sampler;
  ours/HF       - rocks.reason.grpo with the same weights as a transformers LlamaForCausalLM;
  trl/HF        - trl.GRPOTrainer on that LlamaForCausalLM.
Same prompts (arithmetic, difficulty 2, the same training seeds), G=8, 8 prompts per step,
160 new tokens, temperature 1, no top-k/top-p, lr 3e-4 constant, AdamW(0.9, 0.99), no weight
decay, clip 1.0, ε=0.2, β=0, μ=2 (TRL: num_iterations=2, loss_type="grpo",
scale_rewards="group"), rewards accuracy + 0.2·format from rocks.reason.rewards.

One "step" = one generation of 64 completions + μ=2 gradient steps (TRL counts 2 optimizer
steps per generation, so it runs 2·N steps).  Reported: median seconds per step (first step
dropped as warm-up) and the reward curve.  Run:

    nice -n 10 .venv/bin/python bench/grpo_vs_trl.py --steps 10 --out docs/data/grpo_vs_trl.csv
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch


@dataclass(frozen=True)
class Config:
    base: str = "models/reason/base"
    steps: int = 10
    prompts_per_step: int = 8
    group_size: int = 8
    max_new_tokens: int = 160
    lr: float = 3e-4
    epsilon: float = 0.2
    beta: float = 0.0
    mu: int = 2
    seed: int = 0
    threads: int = 1
    out: str = "docs/data/grpo_vs_trl.csv"
    which: str = "ours_tinylm,ours_hf,trl_hf"


def grpo_config(cfg: Config, out: str):
    from rocks.reason.grpo import GRPOConfig

    return GRPOConfig(steps=cfg.steps, prompts_per_step=cfg.prompts_per_step,
                      group_size=cfg.group_size, max_new_tokens=cfg.max_new_tokens, lr=cfg.lr,
                      epsilon=cfg.epsilon, beta=cfg.beta, mu=cfg.mu, seed=cfg.seed,
                      eval_every=0, checkpoint_every=10**9, threads=cfg.threads, out=out)


def run_ours(cfg: Config, policy, name: str, tmp: Path) -> list[dict]:
    from rocks.reason.grpo import train

    history = train(policy, grpo_config(cfg, str(tmp / name)))
    return [{"impl": name, "step": h.step, "seconds": h.step_s, "reward": h.reward,
             "accuracy": h.accuracy, "format": h.format, "response_tokens": h.response_tokens}
            for h in history]


def run_trl(cfg: Config, model, tokenizer, tmp: Path) -> list[dict]:
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig as TRLConfig
    from trl import GRPOTrainer

    from rocks.reason.grpo import training_tasks
    from rocks.reason.rewards import RewardWeights, trl_reward_funcs, trl_reward_weights
    from rocks.reason.tasks import prompt_text

    ours = grpo_config(cfg, str(tmp / "unused"))
    # The same prompts in the same order: TRL takes the dataset unshuffled, one step at a time.
    rows = [{"prompt": "<bos>" + prompt_text(t), "family": t.family, "seed": t.seed,
             "difficulty": t.difficulty}
            for step in range(cfg.steps) for t in training_tasks(ours, step)]
    components = ("accuracy", "format")
    weights = RewardWeights()
    args = TRLConfig(
        output_dir=str(tmp / "trl"), per_device_train_batch_size=cfg.prompts_per_step
        * cfg.group_size, num_generations=cfg.group_size,
        max_completion_length=cfg.max_new_tokens, temperature=1.0, top_k=0, top_p=1.0,
        learning_rate=cfg.lr, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
        adam_beta1=0.9, adam_beta2=0.99, max_grad_norm=1.0, epsilon=cfg.epsilon, beta=cfg.beta,
        num_iterations=cfg.mu, loss_type="grpo", scale_rewards="group",
        max_steps=cfg.steps * cfg.mu, logging_steps=1, save_strategy="no", report_to="none",
        use_cpu=True, bf16=False, shuffle_dataset=False, seed=cfg.seed,
        reward_weights=trl_reward_weights(weights, components), dataloader_num_workers=0,
        disable_tqdm=True,
    )
    times: list[float] = []
    logs: list[dict] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            times.append(time.perf_counter())

        def on_step_end(self, args, state, control, **kw):
            times[-1] = time.perf_counter() - times[-1]

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "reward" in logs:
                records.append(dict(logs))

    records = logs
    trainer = GRPOTrainer(model=model, reward_funcs=trl_reward_funcs(weights, components),
                          args=args, train_dataset=Dataset.from_list(rows),
                          processing_class=tokenizer, callbacks=[Clock()])
    trainer.train()
    out = []
    # One of our steps = μ TRL optimizer steps (the first of them generates).
    for i in range(cfg.steps):
        chunk = times[i * cfg.mu : (i + 1) * cfg.mu]
        log = {k: float(v) for k, v in logs[i].items()} if i < len(logs) else {}
        out.append({"impl": "trl_hf", "step": i + 1, "seconds": sum(chunk),
                    "reward": log.get("reward", float("nan")),
                    "accuracy": log.get("rewards/rocks_accuracy/mean", float("nan")),
                    "format": log.get("rewards/rocks_format/mean", float("nan")),
                    "response_tokens": log.get("completions/mean_length", float("nan"))})
    return out


def main(argv: list[str] | None = None) -> int:
    d = Config()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f, v in asdict(d).items():
        ap.add_argument("--" + f.replace("_", "-"), type=type(v), default=v)
    cfg = replace(d, **vars(ap.parse_args(argv)))
    torch.set_num_threads(cfg.threads)
    import tempfile

    from rocks.reason.grpo import TinyLMPolicy
    from rocks.reason.hf import HFPolicy, hf_tokenizer, to_hf
    from rocks.reason.lm import load_checkpoint

    rows: list[dict] = []
    which = cfg.which.split(",")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if "ours_tinylm" in which:
            model, tok, _ = load_checkpoint(cfg.base)
            rows += run_ours(cfg, TinyLMPolicy(model, tok), "ours_tinylm", tmp)
        if "ours_hf" in which:
            model, tok, _ = load_checkpoint(cfg.base)
            policy = HFPolicy(to_hf(model, tok).train(), hf_tokenizer(tok), prompt_prefix="<bos>")
            rows += run_ours(cfg, policy, "ours_hf", tmp)
        if "trl_hf" in which:
            model, tok, _ = load_checkpoint(cfg.base)
            rows += run_trl(cfg, to_hf(model, tok).train(), hf_tokenizer(tok), tmp)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{'impl':<12} {'median s/step':>14} {'mean reward':>12} {'last-3 reward':>14}")
    medians = {}
    for impl in dict.fromkeys(r["impl"] for r in rows):
        rs = [r for r in rows if r["impl"] == impl]
        medians[impl] = statistics.median(r["seconds"] for r in rs[1:] or rs)
        print(f"{impl:<12} {medians[impl]:>14.3f} "
              f"{statistics.fmean(r['reward'] for r in rs):>12.3f} "
              f"{statistics.fmean(r['reward'] for r in rs[-3:]):>14.3f}")
    if "trl_hf" in medians:
        for impl in medians:
            if impl != "trl_hf":
                print(f"TRL / {impl} time per step: {medians['trl_hf'] / medians[impl]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
