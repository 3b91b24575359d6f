"""Held-out evaluation: pass@1, pass@k, accuracy by thinking length, forced short answers.

Accuracy is reported twice (``rocks.reason.tasks.base``): STRICT, the answer in the
``<answer>`` tag (what the reward pays for), and LENIENT, the final answer written anywhere in
the response.  A lift claimed on lenient accuracy cannot come from learning the format alone.
Format, language consistency and the share of responses that check or revise themselves
(``rocks.reason.selfcheck``) are reported beside them.

pass@k is Chen et al. (2021, "Evaluating Large Language Models Trained on Code", eq. 1)'s
unbiased estimator: with n samples of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k),
averaged over tasks.  ``headroom`` reads k samples per task the way RL can use them: the mean
(pass@1 at the sampling temperature), pass@k, and majority vote (maj@k, Wang et al. 2023,
"Self-Consistency"), the score of the most common lenient answer -- roughly what sharpening
the sampled distribution onto its mode can deliver to greedy decoding.  Held-out tasks use
seeds from ``EVAL_SEED_BASE`` up, a range neither pretraining nor GRPO draws from.

The "forced short answer" ablation decodes with ``<think></think><answer>`` forced as the first
tokens of every completion, so the model must answer without a chain of thought; the gap to
free decoding is what the thinking buys.

Departures:
1. Accuracy by thinking length is observational (samples sorted into buckets by how long their
   ``<think>`` was), not an intervention; the forced-short ablation is the intervention.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from rocks.atomic import write_json
from rocks.metrics import write_table
from rocks.reason.rewards import RewardWeights, accuracy_reward, score
from rocks.reason.selfcheck import self_check
from rocks.reason.tasks import get_family, prompt_text
from rocks.reason.tasks.base import ANSWER_CLOSE, ANSWER_OPEN, Task, held_out_seeds

FORCED_SHORT_PREFIX = "<think></think><answer>"
THINK_BUCKETS = (0, 1, 40, 80, 120)  # lower edges, characters of <think> content


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with ``c`` correct out of ``n`` samples."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def held_out_tasks(family: str, difficulty: int, count: int) -> list[Task]:
    fam = get_family(family)
    return [fam.generate(seed, difficulty) for seed in held_out_seeds(count)]


@dataclass(frozen=True)
class SampleRow:
    """One evaluated completion (a row of the samples CSV; the last three columns are newer, so
    they default for older files)."""

    seed: int
    sample: int
    correct: float  # strict: the <answer> tag
    format: float
    think_chars: int
    response_chars: int
    completion: str
    lenient: float = 0.0  # the final answer anywhere in the response
    language: float = 0.0
    self_check: int = 0  # 1 when the response checks or revises itself


@dataclass(frozen=True)
class EvalSummary:
    """Averages over held-out tasks.

    Attributes:
        tasks, samples: how many tasks and samples per task.
        pass1: mean fraction correct, strict (unbiased pass@1 on the ``<answer>`` tag).
        pass_k: strict pass@k for k = samples (the largest k the samples support).
        pass1_lenient, pass_k_lenient: the same with the lenient reading.
        format: mean format reward.
        language: mean language-consistency reward.
        self_check_rate: share of samples that check or revise themselves.
        think_chars, response_chars: mean lengths (characters).
        think_rate: share of samples with a non-empty thought.
    """

    tasks: int
    samples: int
    pass1: float
    pass_k: float
    pass1_lenient: float
    pass_k_lenient: float
    format: float
    language: float
    self_check_rate: float
    think_chars: float
    response_chars: float
    think_rate: float


def think_chars(completion: str) -> int:
    start, end = completion.find("<think>"), completion.find("</think>")
    return max(0, end - start - len("<think>")) if 0 <= start < end else 0


@torch.no_grad()
def evaluate(
    policy,
    tasks: Sequence[Task],
    samples: int = 4,
    temperature: float = 1.0,
    max_new_tokens: int = 160,
    prefix: str = "",
    seed: int = 0,
    batch_rows: int = 256,
    weights: RewardWeights | None = None,
) -> tuple[EvalSummary, list[SampleRow]]:
    """Sample ``samples`` completions per task (temperature 0 = greedy, then samples=1 suffices)."""
    if samples < 1 or not tasks:
        raise ValueError("evaluation needs at least one task and one sample per task")
    generator = torch.Generator().manual_seed(seed)
    jobs = [(t, s) for t in tasks for s in range(samples)]
    rows: list[SampleRow] = []
    for start in range(0, len(jobs), batch_rows):
        chunk = jobs[start : start + batch_rows]
        out = policy.sample([prompt_text(t) for t, _ in chunk], max_new_tokens, temperature,
                            generator, prefix)
        for (task, s), text in zip(chunk, policy.completions(out), strict=True):
            b = score(text, task, weights)
            rows.append(SampleRow(task.seed, s, b.accuracy, b.format, think_chars(text),
                                  len(text), text, b.lenient, b.language,
                                  int(self_check(text).checks)))
    return summarise(rows, samples), rows


def summarise(rows: Sequence[SampleRow], samples: int) -> EvalSummary:
    by_task: dict[int, list[SampleRow]] = {}
    for r in rows:
        by_task.setdefault(r.seed, []).append(r)
    n = len(rows)

    def pass_k(attr: str) -> float:
        return sum(pass_at_k(len(v), int(sum(getattr(r, attr) == 1.0 for r in v)), samples)
                   for v in by_task.values()) / len(by_task)

    return EvalSummary(
        tasks=len(by_task),
        samples=samples,
        pass1=sum(r.correct for r in rows) / n,
        pass_k=pass_k("correct"),
        pass1_lenient=sum(r.lenient for r in rows) / n,
        pass_k_lenient=pass_k("lenient"),
        format=sum(r.format for r in rows) / n,
        language=sum(r.language for r in rows) / n,
        self_check_rate=sum(r.self_check for r in rows) / n,
        think_chars=sum(r.think_chars for r in rows) / n,
        response_chars=sum(r.response_chars for r in rows) / n,
        think_rate=sum(r.think_chars > 0 for r in rows) / n,
    )


@dataclass(frozen=True)
class TaskHeadroom:
    """What k samples of one task say about what RL could reach on it (lenient readings).

    Attributes:
        seed: the task's seed; samples: k.
        mean_lenient: mean lenient score of the samples (pass@1 at the sampling temperature).
        pass_k_lenient: 1 when any sample is fully right (pass@k with n = k).
        majority_answer: the most common lenient answer ('' when no sample had one); a tie goes
            to the answer sampled first, which is random.
        majority_votes: how many samples gave it.
        majority_lenient: the verifier's score of that answer (maj@k).
    """

    seed: int
    samples: int
    mean_lenient: float
    pass_k_lenient: float
    majority_answer: str
    majority_votes: int
    majority_lenient: float


def headroom(rows: Sequence[SampleRow], tasks: Sequence[Task],
             prefill: str = "") -> list[TaskHeadroom]:
    """Per task of ``tasks``: mean, pass@k and majority-vote lenient scores of its ``rows``
    (``prefill``: what the prompt put before each completion, as in ``RewardWeights``)."""
    from rocks.reason.tasks import get_family

    out = []
    for task in tasks:
        mine = [r for r in rows if r.seed == task.seed]
        if not mine:
            raise ValueError(f"no samples for task {task.seed}")
        family = get_family(task.family)
        answers = [family.lenient_answer(prefill + r.completion, task) for r in mine]
        votes = Counter(a for a in answers if a is not None)
        answer, count = votes.most_common(1)[0] if votes else ("", 0)
        majority = (accuracy_reward(f"{ANSWER_OPEN}{answer}{ANSWER_CLOSE}", task).accuracy
                    if votes else 0.0)
        out.append(TaskHeadroom(
            seed=task.seed, samples=len(mine),
            mean_lenient=sum(r.lenient for r in mine) / len(mine),
            pass_k_lenient=float(any(r.lenient == 1.0 for r in mine)),
            majority_answer=answer, majority_votes=count, majority_lenient=majority))
    return out


def accuracy_by_think_length(
    rows: Sequence[SampleRow], edges: Sequence[int] = THINK_BUCKETS
) -> list[dict]:
    """Accuracy of samples grouped by the length of their thought: bucket, count, accuracy."""
    out = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        picked = [r for r in rows if r.think_chars >= lo and (hi is None or r.think_chars < hi)]
        label = f"{lo}" if hi == lo + 1 else f"{lo}-{hi - 1}" if hi is not None else f"{lo}+"
        out.append({"think_chars": label, "count": len(picked),
                    "accuracy": sum(r.correct for r in picked) / len(picked) if picked else
                    float("nan")})
    return out


def sample_rows(rows: Sequence[SampleRow]) -> list[dict]:
    return [asdict(r) for r in rows]


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run (``rocks reason eval``).

    Attributes:
        model: checkpoint directory (TinyLM), with ``hf`` a transformers model directory, or a
            named pretrained model (``smollm2``, see rocks.reason.pretrained).
        family, difficulty: the held-out task family.
        tasks: number of held-out tasks (seeds EVAL_SEED_BASE ...).
        samples: samples per task (pass@1 is their mean, pass@k uses k = samples).
        temperature: sampling temperature (0 = greedy; then use samples=1).
        max_new_tokens: generation budget.
        forced_short: also run the forced ``<think></think><answer>`` ablation.
        seed: sampling seed.
        reward: how samples are scored (``prefill``, the sandbox opt-in).
        out: directory for summary.json, samples.csv, by_think_length.csv ('' = print only).
        hf: load ``model`` with transformers instead of as a TinyLM checkpoint.
        gguf_file: a GGUF file inside ``model`` (with ``hf``).
        adapter: a LoRA adapter directory put onto ``model`` ('' = none).
        batch_rows: rows per sampling call (greedy text can depend on it by float rounding
            through the padding, so a reproduction uses the batch size of the run it checks).
        threads: torch CPU threads (1: on a shared 2-core machine two threads ran 10-40x
            slower).
    """

    model: str = "models/reason/base"
    family: str = "arithmetic"
    difficulty: int = 2
    tasks: int = 200
    samples: int = 4
    temperature: float = 1.0
    max_new_tokens: int = 160
    forced_short: bool = True
    seed: int = 0
    reward: RewardWeights = field(default_factory=RewardWeights)
    out: str = ""
    hf: bool = False
    gguf_file: str = ""
    adapter: str = ""
    batch_rows: int = 256
    threads: int = 1


def run_eval(cfg: EvalConfig, policy=None) -> dict:
    """Evaluate ``policy`` (or the model named in ``cfg``); returns and writes the summaries."""
    torch.set_num_threads(cfg.threads)
    if policy is None:
        policy = load_policy(cfg.model, cfg.hf, cfg.gguf_file, cfg.adapter)
    tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.tasks)
    summary, rows = evaluate(policy, tasks, cfg.samples, cfg.temperature, cfg.max_new_tokens,
                             seed=cfg.seed, batch_rows=cfg.batch_rows, weights=cfg.reward)
    result: dict = {"config": asdict(cfg), "free": asdict(summary),
                    "by_think_length": accuracy_by_think_length(rows)}
    if cfg.forced_short:
        forced, forced_rows = evaluate(policy, tasks, cfg.samples, cfg.temperature,
                                       cfg.max_new_tokens, prefix=FORCED_SHORT_PREFIX,
                                       seed=cfg.seed, batch_rows=cfg.batch_rows,
                                       weights=cfg.reward)
        result["forced_short"] = asdict(forced)
    if cfg.out:

        out = Path(cfg.out)
        out.mkdir(parents=True, exist_ok=True)
        write_table(out / "samples.csv", sample_rows(rows))
        write_table(out / "by_think_length.csv", result["by_think_length"])
        if cfg.forced_short:
            write_table(out / "samples_forced_short.csv", sample_rows(forced_rows))
        write_json(out / "summary.json", result)
    return result


def load_policy(model: str, hf: bool = False, gguf_file: str = "", adapter: str = ""):
    """A policy from a TinyLM checkpoint directory, with ``hf`` from transformers, or a named
    pretrained model (``rocks.reason.pretrained.MODELS``, e.g. ``smollm2``); ``adapter``: a
    LoRA adapter directory (``rocks.reason.lora``) put onto the transformers model."""
    from rocks.reason import pretrained

    if adapter:
        from rocks.reason.lora import load_adapter

        if not (hf or pretrained.is_named(model)):
            raise ValueError("a LoRA adapter needs a transformers model (--hf or a named model)")
        return load_adapter(load_policy(model, hf, gguf_file), adapter)
    if pretrained.is_named(model):
        return pretrained.load(model)
    if hf:
        from rocks.reason.hf import load_pretrained

        return load_pretrained(model, gguf_file or None)
    from rocks.reason.grpo import TinyLMPolicy
    from rocks.reason.lm import load_checkpoint

    lm, tok, _ = load_checkpoint(model)
    return TinyLMPolicy(lm, tok)
