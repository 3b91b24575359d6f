"""SmolLM2-135M-Instruct on this CPU: HF ``generate`` vs rocks' KV-cache sampler, and a GRPO step
of ours vs TRL's GRPOTrainer, same model and settings, side by side.

Sampling dominates a GRPO step on a CPU, so the sampler is measured first:
  hf_generate  - ``HFPolicy.sample``: transformers' ``generate`` on the dequantized model;
  rocks_kv     - ``KVCachePolicy.sample``: the same weights in rocks' TinyLM (``hf.from_hf``),
                 batched left-padded sampling with a preallocated KV cache.
Both decode greedily, so they write the same tokens (tests/reason/test_smollm2.py) and the
times compare like for like.  ``--prompts`` held-out arithmetic prompts in the chat template,
``--new-tokens`` tokens, one batch, median of ``--repeats`` runs (one warm-up first).

Then ``--grpo-steps`` GRPO steps (if > 0) with LoRA rank 16, the same tasks and settings for:
  ours_hf      - rocks.reason.grpo on HFPolicy (generate);
  ours_kv      - rocks.reason.grpo on KVCachePolicy (rocks' sampler);
  trl          - trl.GRPOTrainer with a peft LoraConfig of the same rank on the HF model.
Settings: ``--prompts-per-step`` prompts x G=``--group-size``, ``--grpo-tokens`` new tokens,
T=1, no top-k/top-p, lr 2e-4, β=0, μ=1, rewards accuracy + 0.2 format.  Seconds per step are
the median after the first.  Writes its section of docs/benchmarks.md with ``--write-doc``:

    .venv/bin/python bench/smollm2.py --write-doc
    .venv/bin/python bench/smollm2.py --repeats 1 --grpo-steps 3 --write-doc
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
HEADING = "## SmolLM2-135M: samplers and GRPO steps (bench/smollm2.py)"
NOTE = (
    "tokens/s counts real completion tokens (greedy rows stop at EOS; a batch runs until its "
    "longest row).  On this shared VM times move by a third with the other jobs' load (an "
    "earlier run of the sampler comparison: 17.1 s vs 17.6 s), so differences below that are "
    "noise; GRPO steps sample at T=1, and a step's time also follows how long its sampled "
    "completions happen to be.  rocks' GRPO keeps `generate` (HFPolicy) for SmolLM2: the KV-cache "
    "sampler is not faster beyond the noise, and HFPolicy's LoRA adapters are peft's own, so "
    "peft and TRL read them.  TRL's GRPOTrainer ran the same LoRA, tasks, rewards and settings "
    "(its GGUF model unmarked as quantized: the weights are dequantized float32)."
)


@dataclass(frozen=True)
class Config:
    prompts: int = 8
    new_tokens: int = 64
    repeats: int = 3
    grpo_steps: int = 0
    prompts_per_step: int = 2
    group_size: int = 4
    grpo_tokens: int = 64
    lora_rank: int = 16
    threads: int = 1
    write_doc: bool = False


def time_sampler(policy, prompts: list[str], cfg: Config) -> tuple[float, int]:
    policy.sample(prompts[:1], 4, 0.0)  # warm-up (allocations, lazy imports)
    times = []
    tokens = 0
    for _ in range(cfg.repeats):
        start = time.perf_counter()
        out = policy.sample(prompts, cfg.new_tokens, 0.0)
        times.append(time.perf_counter() - start)
        tokens = int(out.completion_mask.sum())
    return statistics.median(times), tokens


def grpo_config(cfg: Config, out: str):
    from rocks.reason.grpo import GRPOConfig
    from rocks.reason.lora import LoraSettings
    from rocks.reason.pretrained import PREFILL
    from rocks.reason.rewards import RewardWeights

    return GRPOConfig(family="arithmetic", difficulty=2, steps=cfg.grpo_steps,
                      prompts_per_step=cfg.prompts_per_step, group_size=cfg.group_size,
                      max_new_tokens=cfg.grpo_tokens, lr=2e-4, beta=0.0, mu=1,
                      reward=RewardWeights(prefill=PREFILL), lora=LoraSettings(rank=cfg.lora_rank),
                      eval_every=0, checkpoint_every=10**9, threads=cfg.threads, out=out)


def run_ours(cfg: Config, policy, tmp: Path, name: str) -> list[float]:
    from rocks.reason.grpo import train

    return [h.step_s for h in train(policy, grpo_config(cfg, str(tmp / name)))]


def run_trl(cfg: Config, policy, tmp: Path) -> list[float]:
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import TrainerCallback
    from trl import GRPOConfig as TRLConfig
    from trl import GRPOTrainer

    from rocks.reason.grpo import training_tasks
    from rocks.reason.rewards import trl_reward_funcs, trl_reward_weights
    from rocks.reason.tasks import prompt_text

    ours = grpo_config(cfg, str(tmp / "unused"))
    rows = [{"prompt": policy.prompt(prompt_text(t)), "family": t.family, "seed": t.seed,
             "difficulty": t.difficulty}
            for step in range(cfg.grpo_steps) for t in training_tasks(ours, step)]
    components = ("accuracy", "format")
    args = TRLConfig(
        output_dir=str(tmp / "trl"),
        per_device_train_batch_size=cfg.prompts_per_step * cfg.group_size,
        num_generations=cfg.group_size, max_completion_length=cfg.grpo_tokens, temperature=1.0,
        top_k=0, top_p=1.0, learning_rate=2e-4, lr_scheduler_type="constant", warmup_steps=0,
        weight_decay=0.0, adam_beta1=0.9, adam_beta2=0.99, max_grad_norm=1.0, beta=0.0,
        num_iterations=1, loss_type="grpo", scale_rewards="group", max_steps=cfg.grpo_steps,
        logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, bf16=False,
        shuffle_dataset=False, reward_weights=trl_reward_weights(ours.reward, components),
        dataloader_num_workers=0, disable_tqdm=True,
    )
    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            times.append(time.perf_counter())

        def on_step_end(self, args, state, control, **kw):
            times[-1] = time.perf_counter() - times[-1]

    lora = LoraConfig(r=cfg.lora_rank, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules=ours.lora.target_modules())
    trainer = GRPOTrainer(model=policy.model, reward_funcs=trl_reward_funcs(ours.reward,
                                                                             components),
                          args=args, train_dataset=Dataset.from_list(rows),
                          processing_class=policy.tokenizer, callbacks=[Clock()],
                          peft_config=lora)
    trainer.train()
    return times


def median_after_first(times: list[float]) -> float:
    return statistics.median(times[1:] if len(times) > 1 else times)


def main(argv: list[str] | None = None) -> int:
    d = Config()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f, v in asdict(d).items():
        if isinstance(v, bool):
            ap.add_argument("--" + f.replace("_", "-"), action=argparse.BooleanOptionalAction,
                            default=v)
        else:
            ap.add_argument("--" + f.replace("_", "-"), type=type(v), default=v)
    cfg = replace(d, **vars(ap.parse_args(argv)))
    torch.set_num_threads(cfg.threads)
    from rocks.reason import pretrained
    from rocks.reason.evaluate import held_out_tasks
    from rocks.reason.hf import KVCachePolicy, from_hf
    from rocks.reason.tasks import prompt_text

    hf_policy = pretrained.load("smollm2")

    def kv_policy() -> KVCachePolicy:
        return KVCachePolicy(from_hf(hf_policy.model), hf_policy.tokenizer,
                             system=hf_policy.system, assistant_prefix=hf_policy.assistant_prefix)

    prompts = [prompt_text(t) for t in held_out_tasks("arithmetic", 2, cfg.prompts)]
    lines = []
    results = {}
    for name, policy in (("hf_generate", hf_policy), ("rocks_kv", kv_policy())):
        seconds, tokens = time_sampler(policy, prompts, cfg)
        results[name] = seconds
        lines.append(f"| {name} | {cfg.prompts} | {cfg.new_tokens} | {seconds:.2f} | "
                     f"{tokens / seconds:.0f} |")
        print(lines[-1], flush=True)
    speedup = results["hf_generate"] / results["rocks_kv"]
    grpo_lines = []
    if cfg.grpo_steps:
        with tempfile.TemporaryDirectory() as tmp:
            for name, make in (("ours_hf", lambda: pretrained.load("smollm2")),
                               ("ours_kv", kv_policy), ("trl", lambda: pretrained.load("smollm2"))):
                policy = make()
                times = (run_trl(cfg, policy, Path(tmp)) if name == "trl"
                         else run_ours(cfg, policy, Path(tmp), name))
                grpo_lines.append(f"| {name} | {len(times)} | {median_after_first(times):.1f} | "
                                  + " ".join(f"{t:.1f}" for t in times) + " |")
                print(grpo_lines[-1], flush=True)
    if cfg.write_doc:
        from benchdoc import replace_section

        cmd = "python bench/smollm2.py " + " ".join(argv if argv is not None else sys.argv[1:])
        machine = f"{platform.machine()}, {torch.get_num_threads()} torch thread(s), torch " \
                  f"{torch.__version__}, a shared 2-core VM under load"
        text = [HEADING, "",
                f"{datetime.date.today()}, {machine}; `{cmd.strip()}`.", "",
                "Greedy decoding of held-out arithmetic prompts (SmolLM2's chat template, the "
                "R1-Zero instruction), one batch, median of "
                f"{cfg.repeats} after a warm-up; both samplers write the same tokens.", "",
                "| sampler | batch | new tokens | seconds | tokens/s |", "|---|---|---|---|---|",
                *lines, "", f"rocks' KV-cache sampler: {speedup:.2f}x the speed of `generate`.",
                ""]
        if grpo_lines:
            text += [f"GRPO steps, LoRA rank {cfg.lora_rank}, {cfg.prompts_per_step} prompts x "
                     f"G={cfg.group_size}, {cfg.grpo_tokens} new tokens, μ=1, β=0:", "",
                     "| trainer | steps | s/step (median after the first) | every step |",
                     "|---|---|---|---|", *grpo_lines, ""]
        text += [NOTE, ""]
        replace_section(ROOT / "docs" / "benchmarks.md", HEADING, "\n".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
