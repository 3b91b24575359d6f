"""Specification of rejection-sampling SFT: the R1 filter (correct + formatted + one language),
deduplication, teacher forcing through the Policy protocol, and fine-tuning that fits the
accepted set."""

from __future__ import annotations

import json

import pytest
import torch

from rocks.reason.evaluate import held_out_tasks
from rocks.reason.grpo import TinyLMPolicy
from rocks.reason.lm import load_checkpoint
from rocks.reason.sft import (
    Example,
    SFTConfig,
    accepted,
    encode_pairs,
    finetune,
    mean_nll,
    read_examples,
    rejection_sample,
    run_sft,
    sft_tasks,
    write_examples,
)
from rocks.reason.tasks import EVAL_SEED_BASE, get_family, prompt_text
from rocks.reason.tokenizer import CharTokenizer
from tests.reason.fakes import tiny_policy

TOK = CharTokenizer()


class ScriptedPolicy(TinyLMPolicy):
    """Returns fixed completion texts in turn, whatever the prompt (sampling is not under test)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__(tiny_policy().model, TOK)
        self.texts = texts
        self.prompts: list[str] = []

    def sample(self, prompts, max_new_tokens, temperature, generator=None, prefix=""):
        self.prompts.extend(prompts)
        chosen = [self.texts[i % len(self.texts)] for i in range(len(prompts))]
        self._last = chosen
        return encode_pairs(self, list(zip(prompts, chosen, strict=True)))

    def completions(self, samples):
        return list(self._last)


ADD = get_family("arithmetic").generate(3, 1)  # "What is a op b?"


def test_the_filter_wants_correct_formatted_and_consistent_language():
    right = f"<think>ok</think><answer>{ADD.answer}</answer>"
    assert accepted(right, ADD)
    assert not accepted(f"<think>ok</think><answer>{int(ADD.answer) + 1}</answer>", ADD)
    assert not accepted(f"<answer>{ADD.answer}</answer>", ADD)  # no thought: format 0
    assert not accepted(f"<think>ok</think><answer>{ADD.answer}</answer> more", ADD)
    greek = f"<think>αβγ</think><answer>{ADD.answer}</answer>"
    assert accepted(greek, ADD) and not accepted(greek, ADD, min_language=1.0)


def test_rejection_sampling_keeps_only_accepted_distinct_completions():
    good = f"<think>1</think><answer>{ADD.answer}</answer>"
    bad = "<think>1</think><answer>-1</answer>"
    policy = ScriptedPolicy([good, bad, good, f"<think>2</think><answer>{ADD.answer}</answer>"])
    examples, stats = rejection_sample(policy, [ADD], k=4, temperature=1.0, max_new_tokens=40,
                                       max_per_task=4)
    assert [e.completion for e in examples] == [good, f"<think>2</think><answer>{ADD.answer}"
                                                      "</answer>"]
    assert stats["accepted"] == 3 and stats["kept"] == 2 and stats["tasks_solved"] == 1
    assert all(e.prompt == prompt_text(ADD) and e.seed == ADD.seed for e in examples)
    capped, _ = rejection_sample(policy, [ADD], k=4, temperature=1.0, max_new_tokens=40,
                                 max_per_task=1)
    assert len(capped) == 1


def test_teacher_forcing_batch_scores_the_completion_tokens_and_eos():
    policy = tiny_policy()
    batch = encode_pairs(policy, [("What is 1 + 2?\n", "<think></think><answer>3</answer>"),
                                  ("Q\n", "<answer>1</answer>")])
    lengths = batch.completion_mask.sum(-1).tolist()
    assert lengths == [len(TOK.encode("<think></think><answer>3</answer>")) + 1, 4]
    row = batch.ids[1, batch.prompt_len:].tolist()
    assert row[3] == TOK.eos_id and TOK.decode(row[:3]) == "<answer>1</answer>"
    logp = policy.logprobs(policy.model, batch)
    assert (logp[batch.completion_mask == 0] == 0).all()
    assert (logp[batch.completion_mask == 1] < 0).all()


def test_finetuning_on_a_fixed_accepted_set_lowers_its_loss_and_raises_its_likelihood():
    policy = tiny_policy()
    tasks = sft_tasks("arithmetic", 1, 6, seed=0)
    examples = [Example(t.seed, prompt_text(t), f"<think></think><answer>{t.answer}</answer>")
                for t in tasks]
    before = mean_nll(policy, examples)
    losses = finetune(policy, examples, epochs=8, batch_size=6, lr=1e-2)
    after = mean_nll(policy, examples)
    assert after < before - 0.5
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3
    # The likelihood of one particular accepted completion went up, not only the average.
    one = encode_pairs(policy, [(examples[0].prompt, examples[0].completion)])
    fresh = tiny_policy()
    assert policy.logprobs(policy.model, one).sum() > fresh.logprobs(fresh.model, one).sum()


def test_sft_tasks_come_from_the_training_seed_range():
    tasks = sft_tasks("arithmetic", 2, 50, seed=1)
    assert all(t.seed < EVAL_SEED_BASE // 2 for t in tasks)
    held = {t.seed for t in held_out_tasks("arithmetic", 2, 50)}
    assert held.isdisjoint(t.seed for t in tasks)


def test_run_sft_writes_its_data_log_and_checkpoint(tmp_path):
    tasks = sft_tasks("arithmetic", 1, 4, seed=0)
    # The scripted policy answers every prompt with the first task's answer: one is accepted.
    policy = ScriptedPolicy([f"<think></think><answer>{tasks[0].answer}</answer>"])
    cfg = SFTConfig(family="arithmetic", difficulty=1, tasks=4, k=2, max_new_tokens=40, epochs=2,
                    batch_size=2, out=str(tmp_path / "sft"))
    summary = run_sft(policy, cfg)
    assert summary["examples"] >= 1 and summary["nll_after"] < summary["nll_before"]
    assert json.loads((tmp_path / "sft" / "config.json").read_text())["k"] == 2
    assert (tmp_path / "sft" / "accepted.csv").read_text().count("<answer>") == summary["examples"]
    model, _, meta = load_checkpoint(tmp_path / "sft" / "checkpoint")
    assert meta["summary"]["examples"] == summary["examples"]
    torch.testing.assert_close(model.state_dict(), policy.model.state_dict())


def test_the_accepted_set_round_trips_through_its_csv_table(tmp_path):
    # Completions hold newlines, commas and quotes; an empty set still has its header, so a
    # rerun reads "no examples" rather than failing on an empty file.
    completion = '<think>1+2=3:3\n"ok", yes</think><answer>3</answer>'
    examples = [Example(7, "What is 1 + 2?\n", completion)]
    write_examples(tmp_path / "a.csv", examples)
    assert read_examples(tmp_path / "a.csv") == examples
    write_examples(tmp_path / "empty.csv", [])
    assert (tmp_path / "empty.csv").read_text() == "seed,prompt,completion\n"
    assert read_examples(tmp_path / "empty.csv") == []


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        SFTConfig(k=0)
    with pytest.raises(ValueError):
        SFTConfig(min_language=1.5)


def test_teacher_forcing_on_a_transformers_policy_matches_ours(tmp_path):
    pytest.importorskip("transformers")
    from rocks.reason.hf import HFPolicy, hf_tokenizer, to_hf
    from rocks.reason.sft import load_policy_weights, save_policy

    ours = tiny_policy()
    theirs = HFPolicy(to_hf(ours.model, TOK), hf_tokenizer(TOK), prompt_prefix="<bos>")
    pairs = [("What is 12 + 7?\n", "<think>2+7=9 1+0=1:19</think><answer>19</answer>"),
             ("Q\n", "<think></think><answer>1</answer>")]
    a, b = encode_pairs(ours, pairs), encode_pairs(theirs, pairs)
    torch.testing.assert_close(theirs.logprobs(theirs.model, b), ours.logprobs(ours.model, a),
                               atol=1e-4, rtol=1e-4)
    examples = [Example(0, p, c) for p, c in pairs]
    finetune(theirs, examples, epochs=1, batch_size=2, lr=1e-3)
    save_policy(theirs, tmp_path / "hf", {"k": 1})
    fresh = HFPolicy(to_hf(tiny_policy().model, TOK), hf_tokenizer(TOK), prompt_prefix="<bos>")
    load_policy_weights(fresh, tmp_path / "hf")
    assert mean_nll(fresh, examples) == pytest.approx(mean_nll(theirs, examples))


def test_a_chat_policy_is_taught_inside_its_own_chat_turn():
    pytest.importorskip("transformers")
    from rocks.reason.hf import HFPolicy, hf_tokenizer, to_hf

    fast = hf_tokenizer(TOK)
    fast.chat_template = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
                          "{% if add_generation_prompt %}<assistant>{% endif %}")
    chat = HFPolicy(to_hf(tiny_policy().model, TOK), fast, system="Think first.",
                    assistant_prefix="<think>")
    batch = encode_pairs(chat, [("What is 1 + 2?\n", "3 </think><answer>3</answer>")])
    rendered = chat.prompt("What is 1 + 2?\n")
    assert rendered.startswith("<system>Think first.") and rendered.endswith("<think>")
    # the prompt is what sampling conditions on: the template, the system turn, the prefill
    assert batch.ids[0, : batch.prompt_len].tolist() == fast(
        rendered, add_special_tokens=False)["input_ids"]
    assert fast.decode(batch.ids[0, batch.prompt_len:].tolist(), skip_special_tokens=True) == (
        "3 </think><answer>3</answer>")
