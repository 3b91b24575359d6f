"""One harness, one budget: GRPO, Dr. GRPO, RS-SFT, expert iteration (best-first or MCTS + PRM)
and PRM-shaped GRPO trained on the same task from the same base at equal generated tokens.

The essay's two roads to machine reasoning -- AlphaGo's (a learned evaluator guides a search,
the network is trained towards what the search found) and R1's (sample whole answers, reinforce
the verified ones) -- measured on one footing.  Every arm is a sequence of *units* (a GRPO
batch, an RS-SFT round, an expert-iteration round); each unit reports the tokens it sampled, and
an arm trains until ``train_tokens`` sampled tokens are spent:

    arm a  GRPO                        (``rocks.reason.grpo``, objective "grpo")
    arm b  Dr. GRPO                    (objective "dr_grpo")
    arm c  RS-SFT rounds (STaR without rationalisation): k samples per task, SFT on the verified
    arm d  expert iteration, best-first search over thoughts   (``tot``)
    arm e  expert iteration, MCTS over thoughts valued by a PRM (``thought_mcts`` + ``prm``)
    arm f  GRPO with the PRM as a dense reward (``dense_grpo``); the PRM's Monte-Carlo labels
           are sampled first and counted in the budget

Held-out pass@1 is measured at 0 and every ``eval_every_tokens`` (``curve.csv``: train tokens,
evaluation tokens, pass@1), and the final model is tested at several test-time budgets with
plain sampling, best-first search and MCTS (``test_time.csv``: solved = some verified answer
within the budget, an oracle; chosen_correct = the answer the method would pick without one).

Departures:
1. Resuming restarts the unit after the last evaluation point with fresh optimiser moments
   (the weights, the PRM and its data are saved at every evaluation point).
2. Arm c continues from the current policy each round (AlphaZero-style), like arms d and e;
   STaR's reset to the base is ``rocks.reason.star``.
3. Evaluation tokens are counted (``eval_tokens``) but not charged to the training budget, so
   every arm is evaluated on the same schedule of training tokens.
4. At test time MCTS is valued by the arm's own PRM (arms e, f: no oracle anywhere in the
   tree); the other arms have none, so their MCTS values leaves by verified rollouts and its
   ``chosen_correct`` is not an oracle-free pick.  ``solved`` uses the oracle for every method.
5. Searches count the tokens of the rollouts they take; a rollout that would overshoot a
   search's budget is sampled but neither taken nor counted (``tot``'s rule), at most one batch
   per search.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from rocks.atomic import replace_with, write_json
from rocks.metrics import MetricsLogger, read_rows, write_table
from rocks.reason.dense_grpo import dense_grpo_step
from rocks.reason.evaluate import evaluate, held_out_tasks
from rocks.reason.expert_iteration import ExItConfig, improve, round_tasks, search_round
from rocks.reason.grpo import GRPOConfig, grpo_step, training_tasks
from rocks.reason.prm import (
    PRMExample,
    ProcessRewardModel,
    monte_carlo_labels,
    step_prefixes,
    train_prm,
)
from rocks.reason.sft import finetune, load_policy_weights, rejection_sample, save_policy, sft_tasks
from rocks.reason.tasks import prompt_text
from rocks.reason.thought_mcts import ThoughtMCTSConfig, mcts_search
from rocks.reason.tot import ToTConfig, sample_at_budget, tree_search, verifier_for

ARMS = {"a": "GRPO", "b": "Dr. GRPO", "c": "RS-SFT", "d": "ExIt + best-first",
        "e": "ExIt + MCTS + PRM", "f": "GRPO + PRM dense reward"}
TEST_METHODS = ("sample", "tot", "mcts")


@dataclass(frozen=True)
class HarnessConfig:
    """One arm on one task with one seed (saved as ``config.json`` in ``out``).

    Attributes:
        arm: a key of ``ARMS``.
        family, difficulty: the task (training seeds from ``TRAIN_SEEDS``, evaluation held out).
        train_tokens: sampled tokens every arm may spend on training.
        eval_every_tokens: held-out evaluation after each multiple of this (and at 0).
        eval_tasks, eval_samples, eval_temperature: the held-out pass@1.
        max_new_tokens: generation budget per completion, everywhere.
        grpo: arms a, b, f (their ``family``/``difficulty``/``seed``/``objective`` are set here).
        sft_tasks, sft_k, sft_epochs, sft_lr, sft_batch: arm c's rounds.
        exit: arms d, e (``search``/``prm`` are set by the arm).
        prm_tasks, prm_k, prm_epochs, prm_lr: arm f's PRM: ``prm_tasks`` tasks sampled once
            each, every step prefix of each sample completed ``prm_k`` times (Math-Shepherd
            labels), then ``prm_epochs`` passes at ``prm_lr``.
        dense_weight: λ of arm f's shaping.
        step_chars: steps of this many characters (for traces without delimiters, like
            parity's) in MCTS, the PRM's labels and arm f's shaping; 0 = cut at delimiters.
        test_budgets, test_tasks, test_methods: test-time scaling of the final model.
        seed, threads, out.
    """

    arm: str = "a"
    family: str = "arithmetic"
    difficulty: int = 2
    train_tokens: int = 200_000
    eval_every_tokens: int = 50_000
    eval_tasks: int = 100
    eval_samples: int = 2
    eval_temperature: float = 1.0
    max_new_tokens: int = 160
    grpo: GRPOConfig = field(default_factory=lambda: GRPOConfig(eval_every=0, lr=1e-4))
    sft_tasks: int = 32
    sft_k: int = 8
    sft_epochs: int = 2
    sft_lr: float = 1e-4
    sft_batch: int = 16
    exit: ExItConfig = field(default_factory=lambda: ExItConfig(lr=1e-4))
    prm_tasks: int = 16
    prm_k: int = 4
    prm_epochs: int = 3
    prm_lr: float = 3e-4
    dense_weight: float = 1.0
    step_chars: int = 0
    test_budgets: tuple[int, ...] = (100, 200, 400)
    test_tasks: int = 50
    test_methods: tuple[str, ...] = TEST_METHODS
    seed: int = 0
    threads: int = 1
    out: str = "runs/harness"

    def __post_init__(self) -> None:
        if self.arm not in ARMS:
            raise ValueError(f"arm must be one of {sorted(ARMS)}, got {self.arm!r}")
        if min(self.train_tokens, self.eval_every_tokens, self.eval_tasks) < 1:
            raise ValueError("train_tokens, eval_every_tokens and eval_tasks must be >= 1")
        if unknown := set(self.test_methods) - set(TEST_METHODS):
            raise ValueError(f"unknown test methods {sorted(unknown)}; known: {TEST_METHODS}")


def grpo_settings(cfg: HarnessConfig) -> GRPOConfig:
    objective = "dr_grpo" if cfg.arm == "b" else cfg.grpo.objective
    return replace(cfg.grpo, family=cfg.family, difficulty=cfg.difficulty, seed=cfg.seed,
                   objective=objective, max_new_tokens=cfg.max_new_tokens,
                   out=str(Path(cfg.out) / "grpo"))


def exit_settings(cfg: HarnessConfig) -> ExItConfig:
    e = cfg.exit
    mcts = replace(e.mcts, max_new_tokens=cfg.max_new_tokens, step_chars=cfg.step_chars)
    return replace(e, family=cfg.family, difficulty=cfg.difficulty, seed=cfg.seed,
                   search="tot" if cfg.arm == "d" else "mcts", prm=cfg.arm == "e",
                   tot=replace(e.tot, max_new_tokens=cfg.max_new_tokens), mcts=mcts,
                   out=str(Path(cfg.out) / "exit"))


@dataclass
class ArmState:
    """What a unit may change besides the policy's weights (saved at evaluation points)."""

    unit: int = 0
    train_tokens: int = 0
    eval_tokens: int = 0
    prm: ProcessRewardModel | None = None
    buffer: list[PRMExample] = field(default_factory=list)


def label_prm(policy, cfg: HarnessConfig, state: ArmState, generator) -> int:
    """Arm f's PRM data: one sample per task, its step prefixes completed ``prm_k`` times."""
    tokens = 0
    for task in sft_tasks(cfg.family, cfg.difficulty, cfg.prm_tasks, cfg.seed, salt="prm"):
        verify = verifier_for(task)
        samples = policy.sample([prompt_text(task)], cfg.max_new_tokens, 1.0, generator)
        tokens += int(samples.completion_mask.sum())
        text = policy.completions(samples)[0]
        # the steps, and the whole answer (labelled by the verifier, no rollout): the PRM
        # also judges finished answers when it values MCTS's terminal states
        prefixes = (step_prefixes(text, step_chars=cfg.step_chars) or ["<think>"]) + [text]
        examples, spent = monte_carlo_labels(policy, task, prefixes, cfg.prm_k, verify,
                                             cfg.max_new_tokens, 1.0, generator)
        state.buffer += examples
        tokens += spent
    return tokens


def units(policy, cfg: HarnessConfig, state: ArmState) -> Iterator[dict]:
    """The arm's training units, from ``state.unit`` on; each yields its log row (with
    ``tokens``, the sampled tokens it spent)."""
    gcfg = grpo_settings(cfg)
    ecfg = exit_settings(cfg)
    opt = None
    if cfg.arm in "abf":
        opt = torch.optim.AdamW(policy.model.parameters(), lr=gcfg.lr, betas=(0.9, 0.99),
                                weight_decay=0.0)
    if cfg.arm in "ef" and state.prm is None:
        state.prm = ProcessRewardModel.from_policy(policy)
    while True:
        n = state.unit
        generator = torch.Generator().manual_seed(cfg.seed * 100_003 + n)
        torch.manual_seed(cfg.seed * 7919 + n)
        if cfg.arm in "ab":
            s = grpo_step(policy, None, opt, training_tasks(gcfg, n), gcfg, n + 1, generator)
            rows = gcfg.prompts_per_step * gcfg.group_size
            row = {"tokens": round(s.response_tokens * rows), "accuracy": s.accuracy,
                   "loss": s.loss}
        elif cfg.arm == "f" and not state.buffer:
            tokens = label_prm(policy, cfg, state, generator)
            losses = train_prm(state.prm, state.buffer, cfg.prm_epochs, 32, cfg.prm_lr,
                               cfg.seed)
            row = {"tokens": tokens, "accuracy": float("nan"), "loss": losses[-1]}
        elif cfg.arm == "f":
            s = dense_grpo_step(policy, state.prm, opt, training_tasks(gcfg, n), gcfg,
                                cfg.dense_weight, generator, cfg.step_chars)
            row = {"tokens": s["tokens"], "accuracy": s["accuracy"], "loss": s["loss"]}
        elif cfg.arm == "c":
            tasks = sft_tasks(cfg.family, cfg.difficulty, cfg.sft_tasks, cfg.seed * 1000 + n)
            examples, stats = rejection_sample(policy, tasks, cfg.sft_k, 1.0, cfg.max_new_tokens,
                                               generator, max_per_task=1)
            losses = finetune(policy, examples, cfg.sft_epochs, cfg.sft_batch, cfg.sft_lr,
                              seed=cfg.seed * 1000 + n)
            row = {"tokens": int(stats["tokens"]), "accuracy": stats["tasks_solved"] / len(tasks),
                   "loss": losses[-1] if losses else float("nan")}
        else:
            prm = state.prm if state.buffer else None
            done = search_round(policy, round_tasks(ecfg, n), ecfg, prm, generator)
            sft_loss, _ = improve(policy, state.prm if cfg.arm == "e" else None, done,
                                  state.buffer, ecfg, n)
            row = {"tokens": done.tokens, "accuracy": done.solved / done.tasks,
                   "loss": sft_loss}
        state.unit += 1
        yield {"unit": state.unit, **row}


def held_out_pass1(policy, cfg: HarnessConfig, point: int) -> tuple[dict, int]:
    """Held-out pass@1 (and the tokens the evaluation sampled)."""
    tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.eval_tasks)
    summary, rows = evaluate(policy, tasks, cfg.eval_samples, cfg.eval_temperature,
                             cfg.max_new_tokens, seed=10_000 + point)
    tokens = sum(len(policy.tokenizer.encode(r.completion)) + 1 for r in rows)
    return {"pass1": summary.pass1, "pass_k": summary.pass_k, "format": summary.format}, tokens


def _save(policy, state: ArmState, out: Path) -> None:
    save_policy(policy, out / "checkpoint", {"unit": state.unit})
    if state.prm is not None:
        replace_with(out / "prm.pt", lambda tmp: torch.save(
            {"model": state.prm.state_dict(), "buffer": [asdict(e) for e in state.buffer]}, tmp))
    write_json(out / "state.json", {"unit": state.unit, "train_tokens": state.train_tokens,
                                    "eval_tokens": state.eval_tokens})


def _load(policy, out: Path) -> ArmState:
    state = ArmState()
    if not (out / "state.json").exists():
        return state
    saved = json.loads((out / "state.json").read_text())
    state.unit, state.train_tokens = saved["unit"], saved["train_tokens"]
    state.eval_tokens = saved["eval_tokens"]
    load_policy_weights(policy, out / "checkpoint")
    if (out / "prm.pt").exists():
        blob = torch.load(out / "prm.pt", weights_only=False)
        state.prm = ProcessRewardModel.from_policy(policy)
        state.prm.load_state_dict(blob["model"])
        state.buffer = [PRMExample(**e) for e in blob["buffer"]]
    return state


def train_arm(policy, cfg: HarnessConfig) -> ArmState:
    """Train until ``cfg.train_tokens``; ``curve.csv`` and ``units.csv``; resumable."""
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    # the settings the arm runs with (the GRPO and expert-iteration ones as the arm sets them)
    write_json(out / "config.json", {**asdict(cfg), "grpo": asdict(grpo_settings(cfg)),
                                     "exit": asdict(exit_settings(cfg))})
    state = _load(policy, out)
    if state.unit and state.train_tokens >= cfg.train_tokens:
        return state  # finished already
    with MetricsLogger(out / "curve.csv") as curve, MetricsLogger(out / "units.csv") as log:
        curve.drop_after("train_tokens", state.train_tokens if state.unit else -1)
        log.drop_after("unit", state.unit)
        if state.unit == 0:
            scores, spent = held_out_pass1(policy, cfg, 0)
            state.eval_tokens += spent
            curve.log({"arm": cfg.arm, "seed": cfg.seed, "unit": 0, "train_tokens": 0,
                       "eval_tokens": state.eval_tokens, **scores})
        next_eval = (state.train_tokens // cfg.eval_every_tokens + 1) * cfg.eval_every_tokens
        idle = 0
        for row in units(policy, cfg, state):
            idle = idle + 1 if row["tokens"] <= 0 else 0
            if idle >= 20:  # a search whose every rollout overshoots its budget spends nothing
                raise RuntimeError(f"arm {cfg.arm}: 20 units sampled no token within budget; "
                                   "raise the search's token_budget above max_new_tokens")
            state.train_tokens += row["tokens"]
            log.log({**row, "train_tokens": state.train_tokens})
            finished = state.train_tokens >= cfg.train_tokens
            if state.train_tokens >= next_eval or finished:
                scores, spent = held_out_pass1(policy, cfg, state.unit)
                state.eval_tokens += spent
                curve.log({"arm": cfg.arm, "seed": cfg.seed, "unit": state.unit,
                           "train_tokens": state.train_tokens,
                           "eval_tokens": state.eval_tokens, **scores})
                _save(policy, state, out)
                next_eval = (state.train_tokens // cfg.eval_every_tokens + 1) * \
                    cfg.eval_every_tokens
            if finished:
                break
    return state


def test_time_scaling(policy, cfg: HarnessConfig, prm: ProcessRewardModel | None) -> list[dict]:
    """Each method at each budget on ``test_tasks`` held-out tasks: solved (some verified answer
    in the budget) and chosen_correct (the method's pick, no oracle)."""
    tasks = held_out_tasks(cfg.family, cfg.difficulty, cfg.test_tasks)
    rows = []
    for budget in cfg.test_budgets:
        tot = ToTConfig(token_budget=budget, max_new_tokens=cfg.max_new_tokens,
                        stop_on_verified=False)
        mcts = ThoughtMCTSConfig(token_budget=budget, max_new_tokens=cfg.max_new_tokens,
                                 step_chars=cfg.step_chars, stop_on_verified=False)
        for method in cfg.test_methods:
            generator = torch.Generator().manual_seed(cfg.seed * 31 + budget)
            solved = chosen = tokens = 0
            for task in tasks:
                verify = verifier_for(task)
                if method == "sample":
                    r = sample_at_budget(policy, task, budget, verify, 4, cfg.max_new_tokens,
                                         generator=generator, stop_on_verified=False)
                elif method == "tot":
                    r = tree_search(policy, task, tot, verify, generator)
                else:
                    value_fn = prm.value_fn(prompt_text(task)) if prm is not None else None
                    r = mcts_search(policy, task, mcts, verify, value_fn, generator,
                                    prm_terminal=prm is not None).result
                solved += r.solved
                chosen += r.chosen_correct
                tokens += r.tokens
            rows.append({"arm": cfg.arm, "seed": cfg.seed, "method": method, "budget": budget,
                         "solved": solved / len(tasks), "chosen_correct": chosen / len(tasks),
                         "tokens": tokens / len(tasks)})
    return rows


def run_arm(policy, cfg: HarnessConfig) -> dict:
    """Train the arm (resumable), then its test-time scaling; ``summary.json``."""
    state = train_arm(policy, cfg)
    out = Path(cfg.out)
    if (out / "summary.json").exists():
        return json.loads((out / "summary.json").read_text())
    rows = test_time_scaling(policy, cfg, state.prm) if cfg.test_budgets else []
    write_table(out / "test_time.csv", rows)
    curve = read_rows(out / "curve.csv")
    last = curve[-1] if curve else {}
    summary = {"arm": cfg.arm, "name": ARMS[cfg.arm], "seed": cfg.seed,
               "train_tokens": state.train_tokens, "eval_tokens": state.eval_tokens,
               "units": state.unit, "pass1": float(last.get("pass1", "nan")),
               "test_time": rows}
    write_json(out / "summary.json", summary)
    return summary
