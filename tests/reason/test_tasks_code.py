"""Code: the reward is the share of hidden unit tests a sandboxed solution passes; on a machine
without bubblewrap the reward refuses to run model code rather than scoring it 0."""

from __future__ import annotations

import pytest

from rocks.reason import rewards, sandbox
from rocks.reason.sandbox import SandboxConfig, SandboxUnavailable, bwrap_path
from rocks.reason.tasks import code, get_family

FENCE = "```"
# The code sandbox runs model code only inside bubblewrap (./dev test installs it).
needs_bwrap = pytest.mark.skipif(bwrap_path() is None,
                                 reason="bubblewrap not available (apt-get install bubblewrap)")


def wrap(source: str) -> str:
    return f"<think>easy</think><answer>{source}</answer>"


@needs_bwrap
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_reference_solutions_pass_every_test(difficulty: int) -> None:
    family = get_family("code")
    for seed in range(3):
        t = family.generate(seed, difficulty)
        assert t.prompt.startswith("Write a Python function f(")
        assert len(t.meta["tests"]) == code.N_TESTS
        verdict = family.verify(wrap(t.answer), t)
        assert verdict.accuracy == 1.0, (t.prompt, verdict.note)


def test_every_problem_in_the_bank_is_reachable_and_deterministic() -> None:
    family = get_family("code")
    seen = {family.generate(s, d).meta["problem"] for d in (1, 2, 3) for s in range(80)}
    assert seen == {p.name for p in code._PROBLEMS}
    assert family.generate(4, 2) == family.generate(4, 2)


@needs_bwrap
def test_partial_credit_is_the_fraction_of_tests_passed() -> None:
    tests = [[[1], 2], [[2], 3], [[3], 5], [[4], 5]]
    passed, note = code.run_tests("def f(x):\n    return x + 1\n", tests)
    assert passed == 3 and note == "ran"


@needs_bwrap
def test_fenced_code_is_accepted() -> None:
    t = get_family("code").generate(1, 2)
    assert get_family("code").verify(wrap(f"{FENCE}python\n{t.answer}{FENCE}"), t).accuracy == 1.0


@needs_bwrap
@pytest.mark.parametrize(
    ("source", "note"),
    [
        ("def f(x) return", "did not load: SyntaxError"),
        ("def g(x):\n    return x\n", "did not load: KeyError"),
        ("def f(*a):\n    raise ValueError\n", "ran"),
        ("def f(*a):\n    while True:\n        pass\n", "sandbox: "),  # cpu, or wall clock
        ("import os\nos.system('echo hi')\ndef f(*a):\n    return 0\n", "did not load"),
    ],
)
def test_broken_or_hostile_solutions_score_zero(source: str, note: str) -> None:
    fast = SandboxConfig(cpu_seconds=1.0, wall_seconds=4.0)
    passed, why = code.run_tests(source, [[[1], 2], [[5], 6]], fast)
    assert passed == 0
    assert note in why


@needs_bwrap
def test_printing_fake_results_does_not_score() -> None:
    t = get_family("code").generate(5, 1)
    forged = "\n".join(f'print(\'{{"i": {i}, "out": 12345}}\')' for i in range(code.N_TESTS))
    verdict = get_family("code").verify(wrap(forged + "\ndef f(*a):\n    return None\n"), t)
    assert verdict.accuracy == 0.0


@needs_bwrap
def test_true_does_not_pass_for_one() -> None:
    assert code.run_tests("def f(x):\n    return True\n", [[[0], 1]])[0] == 0
    assert code.run_tests("def f(x):\n    return 1\n", [[[0], 1]])[0] == 1


def test_without_bubblewrap_the_reward_stops_the_run_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    t = get_family("code").generate(0, 1)
    # Not a silent 0 for every sample (what a verifier bug would get): the run stops.
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        rewards.score(wrap(t.answer), t)


def test_the_reward_settings_carry_the_sandbox_opt_in_down_to_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configs: list[SandboxConfig] = []
    real = code.run_python

    def spy(*args, config: SandboxConfig, **kwargs):
        configs.append(config)
        return real(*args, config=config, **kwargs)

    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    monkeypatch.setattr(code, "run_python", spy)
    t = get_family("code").generate(0, 1)
    weak = rewards.RewardWeights(allow_weak_sandbox=True)
    assert rewards.score(wrap(t.answer), t, weak).accuracy == 1.0  # runs on the fallback layers
    assert configs[-1].allow_weak_sandbox and configs[-1].cpu_seconds == code.SANDBOX.cpu_seconds
    with pytest.raises(SandboxUnavailable):
        rewards.score(wrap(t.answer), t)
    assert not configs[-1].allow_weak_sandbox
