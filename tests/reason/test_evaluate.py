"""``rocks reason eval`` samples in batches of ``batch_rows`` (so a reproduction can use the
batch size of the run it checks) and scores what it samples."""

from __future__ import annotations

from rocks.reason.evaluate import EvalConfig, run_eval
from rocks.reason.sft import encode_pairs
from tests.reason.test_sft import ScriptedPolicy


class CountingPolicy(ScriptedPolicy):
    def __init__(self, texts: list[str]) -> None:
        super().__init__(texts)
        self.batches: list[int] = []

    def sample(self, prompts, max_new_tokens, temperature, generator=None, prefix=""):
        self.batches.append(len(prompts))
        self._last = [self.texts[0]] * len(prompts)
        return encode_pairs(self, list(zip(prompts, self._last, strict=True)))


def test_evaluation_samples_in_batches_of_batch_rows():
    policy = CountingPolicy(["<think>x</think><answer>0</answer>"])
    cfg = EvalConfig(family="arithmetic", difficulty=1, tasks=5, samples=1, temperature=0.0,
                     forced_short=False, batch_rows=2)
    result = run_eval(cfg, policy)
    assert policy.batches == [2, 2, 1]
    assert result["free"]["tasks"] == 5 and result["free"]["format"] == 1.0
    policy.batches.clear()
    run_eval(EvalConfig(family="arithmetic", difficulty=1, tasks=5, samples=1,
                        forced_short=False), policy)
    assert policy.batches == [5]  # the default, 256, takes them in one call
