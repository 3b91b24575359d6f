"""The task contract is pinned: prompts, worked traces, the seed split and the pretraining corpus
are byte-identical to what the committed models under ``models/reason/`` were trained and
evaluated on.  A change to any of these texts silently changes every number those models report,
so each is pinned to its exact text here (values recorded on 2026-12-01, before the contract
moved out of ``pretrain.py`` into the task families)."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from rocks.reason.evaluate import held_out_tasks
from rocks.reason.grpo import GRPOConfig, training_tasks
from rocks.reason.pretrain import corpus
from rocks.reason.sft import sft_tasks
from rocks.reason.tasks import EVAL_SEED_BASE, FAMILIES, get_family, prompt_text
from rocks.reason.tasks.base import Task

E = 900_000_000  # the first held-out seed

PINNED = [
    ("arithmetic", 2, E, "What is 86 + 46?\n", "6+6=12:2 8+4+1=13:32 c:132"),
    ("arithmetic", 2, E + 1, "What is 69 - 26?\n", "9-6=3:3 6-2=4:43"),
    ("arithmetic", 2, E + 3, "What is 15 * 21?\n",
     "15*1: 5*1=5:5 1*1=1:15 =15\n15*20: 5*2=10:0 1*2+1=3:30 =300\n"
     "15+300: 5+0=5:5 1+0=1:15 0+3=3:315 =315"),
    ("arithmetic", 3, E + 2, "What is 837 + 607?\n", "7+7=14:4 3+0+1=4:44 8+6=14:444 c:1444"),
    ("addition", 4, E, "What is 8273 + 4831?\n",
     "3+1=4:4 7+3=10:04 2+8+1=11:104 8+4+1=13:3104 c:13104"),
    ("addition", 3, 7, "What is 200 + 749?\n", "0+9=9:9 0+4=4:49 2+7=9:949"),
    ("parity", 8, E, "Is the number of 1s in 011010001111011111 even or odd?\n",
     "010011110101101010"),
    ("parity", 1, 3, "Is the number of 1s in 0010 even or odd?\n", "0011"),
    ("countdown", 1, E,
     "Using the numbers 4 3 8, make 15. Use + - * / and each number at most once.\n",
     "4+8: 4+8=12:2 c:12 =12\n12+3: 2+3=5:5 1+0=1:15 =15"),
    ("countdown", 2, 5,
     "Using the numbers 12 18 1 16, make 174. Use + - * / and each number at most once.\n",
     "16*12: 16*2: 6*2=12:2 1*2+1=3:32 =32\n16*10: 6*1=6:6 1*1=1:16 =160\n"
     "32+160: 2+0=2:2 3+6=9:92 0+1=1:192 =192 =192\n1*18: 8*1=8:8 1*1=1:18 =18\n"
     "192-18: 2-8=4b:4 9-1-1=7:74 1-0=1:174 =174"),
    ("logic", 1, E,
     "Knights always tell the truth and knaves always lie. A says: B and A are both knights. "
     "B says: A is a knight or B is a knave. Who is a knight?\n", None),
    ("math_answer", 2, E,
     "12 stamps are shared equally by 11 friends. How many does each get?\n", None),
    ("code", 1, E, "Write a Python function f(s) that returns the string s repeated 2 times.\n",
     None),
]


def prompt_and_trace(family: str, difficulty: int, seed: int) -> tuple[str, str | None]:
    fam = get_family(family)
    task = fam.generate(seed, difficulty)
    assert prompt_text(task) == fam.prompt(task)
    return fam.prompt(task), fam.trace(task)


@pytest.mark.parametrize(("family", "difficulty", "seed", "prompt", "trace"), PINNED)
def test_prompt_and_trace_are_pinned(family, difficulty, seed, prompt, trace):
    assert prompt_and_trace(family, difficulty, seed) == (prompt, trace)


# The committed bases' corpora: (family, difficulty, trace_fraction) -> sha256 of the first
# 500 (prompt, completion) pairs at seed 0, and how many of them are traced.
CORPORA = [
    ("arithmetic", 2, 0.15, "7f27bf1c391fcfe4d08661296acb6fe45890dcacbea4bf1464ed0bc7b5113a50", 84),
    ("addition", 4, 0.3, "cefef34b779ee29cd3bb2cb75013e173af2475ad8e31b172da3b5434b7729c8c", 150),
    ("parity", 8, 0.15, "d746ab4e12912c50f8fe41647805fbe9514749bdf8155aca8f9d91721c3b9b72", 84),
]


@pytest.mark.parametrize(("family", "difficulty", "fraction", "digest", "traced"), CORPORA)
def test_pretraining_corpus_is_pinned(family, difficulty, fraction, digest, traced):
    pairs = list(itertools.islice(corpus([get_family(family)], difficulty, fraction, seed=0), 500))
    assert sum(not c.startswith("<think></think>") for _, c in pairs) == traced
    assert hashlib.sha256(repr(pairs).encode()).hexdigest() == digest


def test_the_seed_split_is_pinned():
    assert EVAL_SEED_BASE == E
    assert [t.seed for t in held_out_tasks("arithmetic", 2, 3)] == [E, E + 1, E + 2]
    assert [t.seed for t in training_tasks(GRPOConfig(prompts_per_step=3), 0)] == [
        279369188, 2337644, 264720958]
    assert [t.seed for t in sft_tasks("arithmetic", 2, 3, 0)] == [
        190507580, 144751327, 106830329]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_family_handles_only_its_own_tasks(name):
    # The family is asked by name (``task.family``), never guessed from the task's contents: an
    # arithmetic-looking prompt in another family gets no arithmetic trace.
    family = get_family(name)
    stranger = Task("not-" + name, "What is 2 + 3?", "5", 0, 1, {"a": 2, "b": 3, "op": "+"})
    for ask in (family.prompt, family.trace, lambda t: family.verify("", t)):
        with pytest.raises(ValueError, match="cannot handle"):
            ask(stranger)

