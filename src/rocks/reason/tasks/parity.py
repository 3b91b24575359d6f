"""Parity: is the number of 1s in a bit string even or odd?

A classic hard case for transformers without intermediate steps (Hahn, 2020, "Theoretical
limitations of self-attention"; Anil et al., 2022, "Exploring length generalization"), and one a
chain of thought solves by counting -- so it shows whether RL teaches the model to use
``<think>``.  Difficulty d: a string of 2 + 2d bits.  The answer is ``even`` or ``odd``.

The worked trace is the running parity, one digit per input bit and nothing else: trace digit i
then sits at a fixed distance from bit i of the prompt (for a given string length), so attention
reads its bit at a constant offset -- the easy half of the "parity is hard without a chain of
thought, easy with one" contrast (Anil et al. 2022).

Departures: none (no paper protocol to depart from).
"""

from __future__ import annotations

import random

from rocks.reason.tasks.base import (
    FunctionFamily,
    RewardBreakdown,
    Task,
    extract_answer,
    last_word_of,
    no_answer,
)

NAME = "parity"


def generate(seed: int, difficulty: int = 1) -> Task:
    rng = random.Random(f"{NAME}:{seed}:{difficulty}")
    bits = "".join(rng.choice("01") for _ in range(2 + 2 * difficulty))
    answer = "odd" if bits.count("1") % 2 else "even"
    return Task(
        family=NAME,
        prompt=f"Is the number of 1s in {bits} even or odd?",
        answer=answer,
        seed=seed,
        difficulty=difficulty,
        meta={"bits": bits},
    )


def verify(completion: str, task: Task) -> RewardBreakdown:
    answer = extract_answer(completion)
    if answer is None:
        return no_answer()
    said = answer.strip().strip(".!").lower()
    if said not in ("even", "odd"):
        return RewardBreakdown(accuracy=0.0, note="answer is neither even nor odd")
    ok = said == task.answer
    return RewardBreakdown(accuracy=1.0 if ok else 0.0, note="correct" if ok else "wrong parity")


def parity_trace(bits: str) -> str:
    """Running parity after each bit: ``"0110"`` -> ``"0100"`` (last digit 1 = odd)."""
    parity, out = 0, []
    for ch in bits:
        parity ^= ch == "1"
        out.append(str(parity))
    return "".join(out)


def trace(task: Task) -> str:
    return parity_trace(str(task.meta["bits"]))


FAMILY = FunctionFamily(NAME, generate, verify, "even or odd number of 1s in a bit string",
                        trace_fn=trace, lenient_fn=last_word_of(("even", "odd")))
