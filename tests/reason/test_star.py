"""Specification of STaR: only verified traces are kept, rationalisation hints never reach a
training prompt, every iteration fine-tunes the base model, and a run resumes after its last
finished iteration."""

from __future__ import annotations

import csv

import pytest
import torch

from rocks.reason import star
from rocks.reason.grpo import TinyLMPolicy
from rocks.reason.lm import LMConfig, TinyLM
from rocks.reason.rewards import score
from rocks.reason.sft import encode_pairs, sft_tasks
from rocks.reason.star import HINT_MARK, STaRConfig, collect, hint_prompt, run_star
from rocks.reason.tasks import prompt_text
from rocks.reason.tokenizer import CharTokenizer

TOK = CharTokenizer()


class OraclePolicy(TinyLMPolicy):
    """Answers tasks with an even seed correctly, odd ones wrongly; with a hint in the prompt it
    copies the hinted answer, alternately with and without a thought."""

    def __init__(self, tasks) -> None:
        torch.manual_seed(0)
        cfg = LMConfig(vocab_size=len(TOK), d_model=32, n_layers=2, n_heads=2, d_ff=64,
                       max_len=64)
        super().__init__(TinyLM(cfg), TOK)
        self.by_prompt = {prompt_text(t): t for t in tasks}
        self.calls: list[list[str]] = []

    def answer(self, prompt: str, i: int) -> str:
        if HINT_MARK in prompt:
            hinted = prompt.split(HINT_MARK)[1].strip().rstrip(".")
            return f"<think>{'work' if i % 2 else ''}</think><answer>{hinted}</answer>"
        task = self.by_prompt[prompt]
        value = task.answer if task.seed % 2 == 0 else "-99999"
        return f"<think>w{i}</think><answer>{value}</answer>"

    def sample(self, prompts, max_new_tokens, temperature, generator=None, prefix=""):
        self.calls.append(list(prompts))
        self._last = [self.answer(p, i) for i, p in enumerate(prompts)]
        return encode_pairs(self, list(zip(prompts, self._last, strict=True)))

    def completions(self, samples):
        return list(self._last)


def tasks_and_cfg(tmp_path, **kw):
    cfg = STaRConfig(family="arithmetic", difficulty=1, tasks=6, k=2, hint_k=2, epochs=1,
                     batch_size=4, max_new_tokens=40, out=str(tmp_path / "star"), **kw)
    return sft_tasks("arithmetic", 1, cfg.tasks, cfg.seed, salt="star"), cfg


def test_hint_prompt_shows_the_answer():
    task = sft_tasks("arithmetic", 1, 1, 0)[0]
    assert hint_prompt(task) == f"{task.prompt} {HINT_MARK} {task.answer}.\n"


def test_collect_keeps_only_verified_traces_and_rationalises_the_failures(tmp_path):
    tasks, cfg = tasks_and_cfg(tmp_path)
    assert {t.seed % 2 for t in tasks} == {0, 1}, "the fixture needs solved and failed tasks"
    examples, counts = collect(OraclePolicy(tasks), tasks, cfg)
    by_seed = {t.seed: t for t in tasks}
    for e in examples:
        b = score(e.completion, by_seed[e.seed])
        assert b.accuracy == 1.0 and b.format == 1.0
    assert counts["solved"] == sum(t.seed % 2 == 0 for t in tasks)
    assert counts["rationalized"] == sum(t.seed % 2 == 1 for t in tasks)
    # Hinted answers without a thought were dropped (departure 3).
    odd = [e for e in examples if e.seed % 2 == 1]
    assert odd and all(e.completion.startswith("<think>work</think>") for e in odd)


def test_without_rationalisation_failed_tasks_contribute_nothing(tmp_path):
    tasks, cfg = tasks_and_cfg(tmp_path, rationalize=False)
    examples, counts = collect(OraclePolicy(tasks), tasks, cfg)
    assert examples and all(e.seed % 2 == 0 for e in examples)
    assert counts["rationalized"] == 0


def test_hints_never_leak_into_training_and_each_iteration_starts_from_the_base(
    tmp_path, monkeypatch
):
    tasks, cfg = tasks_and_cfg(tmp_path, iterations=2)
    policy = OraclePolicy(tasks)
    base = {k: v.clone() for k, v in policy.model.state_dict().items()}
    seen: list[tuple[list[str], list[str], bool]] = []
    real = star.finetune

    def spy(pol, examples, *args, **kwargs):
        starts_at_base = all(torch.equal(pol.model.state_dict()[k], v) for k, v in base.items())
        seen.append(([e.prompt for e in examples], [e.completion for e in examples],
                     starts_at_base))
        return real(pol, examples, *args, **kwargs)

    monkeypatch.setattr(star, "finetune", spy)
    run_star(policy, cfg)
    assert len(seen) == 2
    plain = {prompt_text(t) for t in tasks}
    for prompts, completions, starts_at_base in seen:
        assert starts_at_base
        assert set(prompts) <= plain and not any(HINT_MARK in p for p in prompts)
        assert not any(HINT_MARK in c for c in completions)
    # The hinted prompts were used for sampling, and only there.
    assert any(HINT_MARK in p for call in policy.calls for p in call)
    with (tmp_path / "star" / "iter_1" / "data.csv").open() as fh:
        assert all(HINT_MARK not in row["prompt"] for row in csv.DictReader(fh))


def test_a_run_resumes_after_its_last_finished_iteration(tmp_path):
    tasks, cfg = tasks_and_cfg(tmp_path, iterations=2)
    first = OraclePolicy(tasks)
    run_star(first, cfg)
    again, cfg3 = tasks_and_cfg(tmp_path, iterations=3)
    resumed = OraclePolicy(again)
    history = run_star(resumed, cfg3)
    assert [h.iteration for h in history] == [1, 2, 3]
    plain_calls = [c for c in resumed.calls if not any(HINT_MARK in p for p in c)]
    assert len(plain_calls) == 1  # only iteration 3 sampled
    with (tmp_path / "star" / "iterations.csv").open() as fh:
        assert [int(r["iteration"]) for r in csv.DictReader(fh)] == [1, 2, 3]


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        STaRConfig(iterations=0)
    with pytest.raises(ValueError):
        STaRConfig(rationalize=True, hint_k=0)
