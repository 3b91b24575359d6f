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


def test_headroom_reads_mean_pass_k_and_the_majority_answer():
    """Task A: 2 of 4 samples right but the wrong answer is the majority of those with one;
    task B: the right answer wins the vote though it is written in prose, untagged."""
    from rocks.reason.evaluate import SampleRow, headroom, held_out_tasks

    a, b = held_out_tasks("arithmetic", 1, 2)
    wrong_a = str(int(a.answer) + 1)

    def row(task, i, text):
        from rocks.reason.rewards import score

        lenient = score(text, task).lenient
        return SampleRow(task.seed, i, 0.0, 0.0, 0, len(text), text, lenient)

    rows = [row(a, 0, f"so {wrong_a}"), row(a, 1, f"it is {wrong_a}"), row(a, 2, "no idea"),
            row(a, 3, f"= {a.answer}"), row(a, 4, f"{wrong_a}"), row(a, 5, f"{a.answer}"),
            row(b, 0, f"The answer is {b.answer}"), row(b, 1, f"{b.answer}."),
            row(b, 2, "???"), row(b, 3, "maybe 1000"), row(b, 4, f"x {b.answer}"),
            row(b, 5, "1001")]
    ha, hb = headroom(rows, [a, b])
    assert (ha.samples, ha.mean_lenient, ha.pass_k_lenient) == (6, 2 / 6, 1.0)
    assert (ha.majority_answer, ha.majority_votes, ha.majority_lenient) == (wrong_a, 3, 0.0)
    assert (hb.mean_lenient, hb.pass_k_lenient) == (3 / 6, 1.0)
    assert (hb.majority_answer, hb.majority_votes, hb.majority_lenient) == (b.answer, 3, 1.0)


def test_headroom_of_a_task_without_any_answer_is_zero():
    from rocks.reason.evaluate import SampleRow, headroom, held_out_tasks

    (a,) = held_out_tasks("arithmetic", 1, 1)
    rows = [SampleRow(a.seed, i, 0.0, 0.0, 0, 3, "???") for i in range(4)]
    (h,) = headroom(rows, [a])
    assert (h.majority_answer, h.majority_votes, h.majority_lenient, h.pass_k_lenient) == (
        "", 0, 0.0, 0.0)
