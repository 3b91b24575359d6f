"""Rewards: each component on its own, the weighted total, and the TRL adapter."""

from __future__ import annotations

import pytest

from rocks.reason import rewards
from rocks.reason.rewards import RewardWeights, score
from rocks.reason.tasks import get_family

GOOD = "<think>add them</think>\n<answer>{}</answer>\n"


@pytest.fixture
def task():
    return get_family("arithmetic").generate(11, 2)


def test_correct_well_formed_answer_earns_accuracy_and_format(task) -> None:
    b = score(GOOD.format(task.answer), task, RewardWeights(accuracy=1.0, format=0.5))
    assert (b.accuracy, b.format, b.language, b.length) == (1.0, 1.0, 1.0, 0.0)
    assert b.total == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("completion", "why"),
    [
        ("<answer>7</answer>", "missing <think>"),
        ("<think>x</think>", "missing <answer>"),
        ("<think><answer>7</answer></think>", "out of order"),  # nesting trick
        ("<think>x</think><answer>7</answer><answer>7</answer>", "more than once"),
        ("<think>x</think><think>y</think><answer>7</answer>", "more than once"),
        ("<think>x</think><answer>7</answer> and more", "after </answer>"),
        ("hello <think>x</think><answer>7</answer>", "before <think>"),
        ("<think>x</think> so <answer>7</answer>", "between"),
        ("<think>x</think><answer> </answer>", "empty answer"),
        ("<think>x</think><answer>7", "missing </answer>"),  # truncated
        ("<answer>7</answer><think>x</think>", "out of order"),
    ],
)
def test_format_is_strict(completion: str, why: str) -> None:
    value, note = rewards.format_reward(completion)
    assert value == 0.0
    assert why in note


def test_format_allows_whitespace_and_empty_thought() -> None:
    assert rewards.format_reward("  <think></think>\n\n<answer>7</answer>\n ")[0] == 1.0


def test_accuracy_and_format_are_independent(task) -> None:
    b = score(f"<answer>{task.answer}</answer>", task)
    assert b.accuracy == 1.0 and b.format == 0.0
    b = score(f"<think>x</think><answer>{int(task.answer) + 1}</answer>", task)
    assert b.accuracy == 0.0 and b.format == 1.0


def test_copying_the_instructions_placeholder_earns_no_format(task) -> None:
    # What SmolLM2 learnt in 10 GRPO steps when every tagged answer earned format (run-006).
    copied = "<think>calculation here </think><answer>answer here </answer>"
    b = score(copied, task)
    assert (b.format, b.accuracy) == (0.0, 0.0) and "task's form" in b.note
    assert score(copied, task, RewardWeights(format_needs_answer=False)).format == 1.0
    assert score("<think>x</think><answer>The sum is 12.</answer>", task).format == 1.0


def test_the_answer_form_follows_the_familys_reader_of_its_gold_answer() -> None:
    parity = get_family("parity").generate(3, 1)
    assert score("<think>x</think><answer>odd</answer>", parity).format == 1.0
    assert score("<think>x</think><answer>answer here</answer>", parity).format == 0.0
    code = get_family("code").generate(3, 1)  # no lenient reader: any non-empty answer passes
    assert rewards.answer_in_task_form("<think>x</think><answer>answer here</answer>", code)
    assert not rewards.answer_in_task_form("<think>x</think>", code)


def test_prefill_is_prepended(task) -> None:
    w = RewardWeights(prefill="<think>")
    assert score(f"sum</think><answer>{task.answer}</answer>", task, w).format == 1.0
    assert score(f"sum</think><answer>{task.answer}</answer>", task).format == 0.0


def test_language_is_the_share_of_letters_in_the_prompt_script(task) -> None:
    assert rewards.language_reward("<think>carry the one</think>", task.prompt) == 1.0
    assert rewards.language_reward("<think>12+34=46</think>", task.prompt) == 1.0
    mixed = rewards.language_reward("<think>abcd дать</think>", task.prompt)
    assert mixed == pytest.approx(4 / 8)
    assert rewards.language_reward("<answer>x</answer>", task.prompt) == 0.0  # no thought
    assert rewards.language_reward("<think>дать</think>", "Сколько будет 2 + 2?") == 1.0
    assert rewards.language_reward("<think>plus</think>", "Сколько будет 2 + 2?") == 0.0


def test_dapo_overlong_shaping() -> None:
    w = RewardWeights(max_length=100, cache_length=20)
    assert rewards.length_reward(80, w) == 0.0
    assert rewards.length_reward(90, w) == pytest.approx(-0.5)
    assert rewards.length_reward(100, w) == pytest.approx(-1.0)
    assert rewards.length_reward(101, w) == -1.0
    assert rewards.length_reward(10**6, RewardWeights()) == 0.0


def test_length_counts_characters_unless_given(task) -> None:
    w = RewardWeights(max_length=10, cache_length=5, length=2.0)
    b = score(GOOD.format(task.answer), task, w)
    assert b.length == -1.0 and b.total == pytest.approx(1.0 + 0.2 - 2.0)
    assert score(GOOD.format(task.answer), task, w, length=3).length == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [{"accuracy": float("nan")}, {"max_length": 0}, {"max_length": 10, "cache_length": 10}],
)
def test_bad_weights_are_rejected(kwargs) -> None:
    with pytest.raises(ValueError):
        RewardWeights(**kwargs)


def test_task_json_round_trip(task) -> None:
    assert rewards.task_from_json(rewards.task_to_json(task)) == task
    cd = get_family("countdown").generate(3, 2)
    back = rewards.task_from_json(rewards.task_to_json(cd))
    assert get_family("countdown").verify(GOOD.format(cd.answer), back).accuracy == 1.0


def test_trl_adapter_returns_one_float_per_completion_per_component(task) -> None:
    funcs = rewards.trl_reward_funcs(RewardWeights(format=0.5))
    assert [f.__name__ for f in funcs] == [
        "rocks_accuracy",
        "rocks_format",
        "rocks_tags",
        "rocks_language",
        "rocks_length",
    ]
    other = get_family("countdown").generate(1, 1)
    completions = [GOOD.format(task.answer), "<answer>0</answer>", GOOD.format(other.answer)]
    columns = {
        "family": ["arithmetic", "arithmetic", "countdown"],
        "seed": [11, 11, 1],
        "difficulty": [2, 2, 1],
    }
    values = [f(["p"] * 3, completions, **columns) for f in funcs]
    assert values[0] == [1.0, 0.0, 1.0]
    assert values[1] == [1.0, 0.0, 1.0]
    assert values[2] == [1.0, 0.5, 1.0]  # tags: <answer> and </answer> only in the second
    assert rewards.trl_reward_weights(RewardWeights(format=0.5)) == [1.0, 0.5, 0.0, 0.0, 1.0]
    # conversational completions and a task_json column work too
    conv = [[{"role": "assistant", "content": GOOD.format(task.answer)}]]
    (total,) = rewards.trl_reward_funcs(components=["total"])
    assert total(["p"], conv, task_json=[rewards.task_to_json(task)]) == [pytest.approx(1.2)]


def test_trl_adapter_without_task_columns_is_a_clear_error() -> None:
    (f,) = rewards.trl_reward_funcs(components=["accuracy"])
    with pytest.raises(KeyError, match="task_json"):
        f(["p"], ["c"])


def test_trl_adapter_accepts_trls_keyword_call(task) -> None:
    # TRL 1.x calls reward_func(prompts=, completions=, completion_ids=, **dataset columns,
    # trainer_state=, log_extra=, log_metric=)
    funcs = rewards.trl_reward_funcs(components=["accuracy", "format"])
    out = [
        f(
            prompts=["p", "p"],
            completions=[GOOD.format(task.answer), "junk"],
            completion_ids=[[1, 2], [3]],
            family=["arithmetic", "arithmetic"],
            seed=[11, 11],
            difficulty=[2, 2],
            trainer_state=object(),
            log_extra=lambda *a, **k: None,
            log_metric=lambda *a, **k: None,
        )
        for f in funcs
    ]
    assert out == [[1.0, 0.0], [1.0, 0.0]]
