"""Property: no verifier and no reward function ever raises, on any string, and every value
stays in range -- random text, adversarial expressions, unclosed and nested tags, NUL bytes,
unicode and megabyte-long completions."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rocks.reason import rewards
from rocks.reason.rewards import RewardWeights
from rocks.reason.sandbox import bwrap_path
from rocks.reason.tasks import FAMILIES, get_family
from rocks.reason.tasks.base import RewardBreakdown

ADVERSARIAL = [
    "",
    "9**9**9",
    "9^{9^{9}}",
    "10**10**10 - 10**10**10",
    "(" * 10_000 + "1" + ")" * 10_000,
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
    "1/0",
    "\\frac{1}{0}",
    "\x00" * 100,
    "a\x00b</answer>",
    "🙂" * 1000 + "дать 答案 عربى",
    "\ud800",  # a lone surrogate
    "9" * 5000,
    "-" * 5000 + "1",
    "import os\nos.fork()",
    "def f(*a):\n    while True:\n        pass",
    "1" * (1 << 20),
    "<answer>" * 1000,
    "</answer>" * 1000,
    "<think>" + "x" * (1 << 20),
    "<think>x" + "</think>" * 3 + "<answer>4",
]


def tagged(adversarial: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(),
        st.sampled_from(adversarial),
        st.builds(
            lambda t: f"<answer>{t}</answer>", st.one_of(st.text(), st.sampled_from(adversarial))
        ),
        st.builds(
            lambda a, b: f"<think>{a}</think><answer>{b}</answer>",
            st.text(max_size=50),
            st.one_of(st.text(max_size=50), st.sampled_from(adversarial)),
        ),
        st.builds(
            lambda a, b: f"<think>{a}<answer>{b}</answer></think>", st.text(max_size=20), st.text()
        ),
        st.lists(
            st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "1", "+", "(", " "]),
            max_size=30,
        ).map("".join),
    )


CHEAP = sorted(name for name in FAMILIES if name != "code")
# Answers that run into a limit on purpose (CPU in the code sandbox, the math-verify timeout):
# those limits are tested once in test_tasks_code.py / test_tasks_math_answer.py; here they
# would only cost seconds each.
RUNS_INTO_A_LIMIT = {
    "code": {"9**9**9", "10**10**10 - 10**10**10", "def f(*a):\n    while True:\n        pass"},
    "math_answer": {"9**9**9", "9^{9^{9}}", "10**10**10 - 10**10**10"},
}
SLOW = set().union(*RUNS_INTO_A_LIMIT.values())
TAGGED = tagged(ADVERSARIAL)
TAGGED_FAST = tagged([a for a in ADVERSARIAL if a not in SLOW])


def check_breakdown(b: RewardBreakdown) -> None:
    assert isinstance(b, RewardBreakdown)
    assert isinstance(b.note, str)
    for value in (b.accuracy, b.format, b.language, b.length, b.total):
        assert isinstance(value, float | int) and math.isfinite(value)
    assert 0.0 <= b.accuracy <= 1.0
    assert 0.0 <= b.format <= 1.0 and 0.0 <= b.language <= 1.0
    assert -1.0 <= b.length <= 0.0


@pytest.mark.parametrize("name", CHEAP)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 10**6), difficulty=st.integers(1, 5))
def test_verifiers_never_raise(name: str, data: st.DataObject, seed: int, difficulty: int) -> None:
    completion = data.draw(TAGGED_FAST if name in RUNS_INTO_A_LIMIT else TAGGED)
    family = get_family(name)
    check_breakdown(family.verify(completion, family.generate(seed, difficulty)))


@pytest.mark.skipif(bwrap_path() is None, reason="the code sandbox needs bubblewrap")
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(completion=TAGGED_FAST, seed=st.integers(0, 10**6), difficulty=st.integers(1, 3))
def test_code_verifier_never_raises(completion: str, seed: int, difficulty: int) -> None:
    family = get_family("code")
    check_breakdown(family.verify(completion, family.generate(seed, difficulty)))


@pytest.mark.parametrize("name", ["gym:knights_knaves", "gym:basic_arithmetic"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(completion=TAGGED_FAST, seed=st.integers(0, 10**6), difficulty=st.integers(1, 3))
def test_gym_verifiers_never_raise(name: str, completion: str, seed: int, difficulty: int) -> None:
    pytest.importorskip("reasoning_gym")
    family = get_family(name)
    check_breakdown(family.verify(completion, family.generate(seed, difficulty)))


@pytest.mark.parametrize("name", sorted(FAMILIES))
@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_answers_score_zero(name: str, text: str) -> None:
    if text in RUNS_INTO_A_LIMIT.get(name, ()):
        pytest.skip("runs into a time limit by design; tested in the family's own tests")
    if name == "code" and bwrap_path() is None:
        pytest.skip("the code sandbox needs bubblewrap")
    t = get_family(name).generate(1, 2)
    for completion in (text, f"<answer>{text}</answer>"):
        b = get_family(name).verify(completion, t)
        check_breakdown(b)
        assert b.accuracy == 0.0


WEIGHTS = RewardWeights(
    accuracy=1.0, format=0.5, language=0.25, length=1.0, max_length=500, cache_length=100
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    completion=TAGGED,
    name=st.sampled_from(["arithmetic", "countdown", "logic"]),
    seed=st.integers(0, 1000),
    prefill=st.sampled_from(["", "<think>"]),
)
def test_rewards_never_raise_and_stay_in_range(
    completion: str, name: str, seed: int, prefill: str
) -> None:
    weights = RewardWeights(**{**WEIGHTS.__dict__, "prefill": prefill})
    t = get_family(name).generate(seed, 1)
    b = rewards.score(completion, t, weights)
    check_breakdown(b)
    assert -1.0 <= b.total <= 1.75
    expected = b.accuracy + 0.5 * b.format + 0.25 * b.language + b.length
    assert b.total == pytest.approx(expected)
    value, note = rewards.format_reward(completion)
    assert value in (0.0, 1.0) and isinstance(note, str)
    assert 0.0 <= rewards.language_reward(completion, t.prompt) <= 1.0
    funcs = rewards.trl_reward_funcs(weights)
    columns = {"family": [name], "seed": [seed], "difficulty": [1]}
    for f in funcs:
        (value,) = f([t.prompt], [completion], **columns)
        assert math.isfinite(value)


def test_score_accepts_non_text_completions() -> None:
    t = get_family("arithmetic").generate(0, 1)
    for junk in (None, 12, b"<answer>1</answer>", ["x"]):
        check_breakdown(rewards.score(junk, t))  # type: ignore[arg-type]
