"""Specification of R1's distillation step: only the teacher's correct, formatted traces on
training prompts are kept, the student learns them with the teacher's prefilled reply opening
put back, a TinyLM student's context grows without changing what it computes, and a rerun reuses
the collected traces."""

from __future__ import annotations

import pytest
import torch

from rocks.reason.distill import (
    DistillConfig,
    collect_traces,
    for_student,
    run_distill,
    tinylm_student,
    unknown_share,
)
from rocks.reason.grpo import TinyLMPolicy
from rocks.reason.lm import save_checkpoint
from rocks.reason.rewards import RewardWeights
from rocks.reason.sft import Example, encode_pairs, read_examples, sft_tasks
from rocks.reason.tasks import EVAL_SEED_BASE, prompt_text
from rocks.reason.tokenizer import CharTokenizer
from tests.reason.fakes import tiny_policy

TOK = CharTokenizer()
CFG = DistillConfig(family="arithmetic", difficulty=1, tasks=6, k=3, max_new_tokens=40,
                    max_per_task=2, reward=RewardWeights(prefill="<think>"),
                    student_prefix="<think>", epochs=4, batch_size=4, lr=3e-3, batch_rows=5)


class Teacher(TinyLMPolicy):
    """Answers the distillation prompts in turn: right and formatted (prefilled "<think>"
    omitted, as a chat teacher writes), right but unformatted, or wrong."""

    def __init__(self, cfg: DistillConfig) -> None:
        super().__init__(tiny_policy(max_len=128).model, TOK)
        tasks = sft_tasks(cfg.family, cfg.difficulty, cfg.tasks, cfg.seed, salt="distill")
        self.answers = {prompt_text(t): t.answer for t in tasks}
        self.calls = 0
        self.rows = 0

    def texts(self, prompt: str) -> list[str]:
        a = self.answers[prompt]
        return [f"{a} </think><answer>{a}</answer>", f"the answer is {a}",
                f"x </think><answer>{a}1</answer>"]

    def sample(self, prompts, max_new_tokens, temperature, generator=None, prefix=""):
        self.calls += 1
        # k = 3 rows per prompt, in order: each prompt gets each kind once
        self._last = [self.texts(p)[(self.rows + i) % 3] for i, p in enumerate(prompts)]
        self.rows += len(prompts)
        return encode_pairs(self, list(zip(prompts, self._last, strict=True)))

    def completions(self, samples):
        return list(self._last)


def test_only_correct_formatted_traces_of_training_prompts_are_kept():
    teacher = Teacher(CFG)
    traces, stats = collect_traces(teacher, CFG)
    assert stats["samples"] == CFG.tasks * CFG.k and teacher.calls == 4  # 18 rows, 5 a call
    assert len(traces) == CFG.tasks  # one right trace per prompt (duplicates dropped)
    for t in traces:
        assert t.seed < EVAL_SEED_BASE
        assert t.completion.endswith("</answer>") and "is" not in t.completion
        assert t.completion.split("<answer>")[1] == t.completion.split(" ")[0] + "</answer>"


def test_the_student_gets_the_prefilled_opening_back():
    ex = [Example(1, "What is 1 + 1?\n", "2 </think><answer>2</answer>")]
    assert for_student(ex, "<think>")[0].completion == "<think>2 </think><answer>2</answer>"
    assert for_student(ex, "") == ex


def test_unknown_share_counts_characters_the_student_has_no_token_for():
    assert unknown_share(TOK, [Example(1, "q", "12+3")]) == 0.0
    assert unknown_share(TOK, [Example(1, "q", "1\u00e9\u00e9\u00e9")]) == pytest.approx(0.75)


def test_a_tinylm_student_grows_its_context_and_computes_the_same(tmp_path):
    small = tiny_policy(max_len=32)
    save_checkpoint(tmp_path / "ckpt", small.model, small.tokenizer, {})
    student = tinylm_student(tmp_path / "ckpt", 200)
    assert student.model.cfg.max_len == 200
    ids = torch.tensor([TOK.encode("What is 1 + 2?\n<think>", bos=True)])
    with torch.no_grad():
        torch.testing.assert_close(student.model(ids), small.model(ids))
        student.model(torch.zeros(1, 150, dtype=torch.long))  # past the old limit


def test_run_distill_fits_the_traces_and_a_rerun_reuses_them(tmp_path):
    cfg = DistillConfig(**{**CFG.__dict__, "out": str(tmp_path / "d")})
    teacher = Teacher(cfg)
    student = tiny_policy(seed=1, max_len=128)
    summary = run_distill(teacher, student, cfg)
    assert summary["examples"] == cfg.tasks and summary["nll_after"] < summary["nll_before"]
    assert summary["unknown_share"] == 0.0
    traces = read_examples(tmp_path / "d" / "traces.csv")
    assert [t.completion for t in traces] == [
        t.completion for t in collect_traces(Teacher(cfg), cfg)[0]]
    calls = teacher.calls
    run_distill(teacher, tiny_policy(seed=1, max_len=128), cfg)
    assert teacher.calls == calls  # the traces were read back, not sampled again


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        DistillConfig(k=0)
