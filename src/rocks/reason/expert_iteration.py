"""Expert iteration over thoughts: search finds better answers than sampling, the policy is
trained on them, repeat.

Expert iteration (Anthony et al. 2017, "Thinking Fast and Slow with Deep Learning and Tree
Search") and AlphaZero's policy improvement (Silver et al. 2018): an expert (a tree search
guided by the apprentice) produces better decisions than the apprentice alone, and the
apprentice is trained to imitate them; the improved apprentice makes a stronger expert.  For a
language model (as in ReST-MCTS*, Zhang et al. 2024, and TS-LLM, Feng et al. 2023):

    for n = 1..N:
        for each training task q:  search (best-first ``tot`` or ``thought_mcts``) within a
                                    token budget; keep the verified answer o*(q) if one is found
        SFT the policy on {(q, o*(q))}                      (distribution matching on the expert)
        with MCTS + PRM: train the PRM on the Monte-Carlo statistics the searches gathered
        (every expanded state's share of verified rollouts: Math-Shepherd labels, no extra cost)

Iteration 1's MCTS has no PRM yet and values leaves by their rollouts; later iterations use the
PRM trained on everything gathered so far (a replay buffer).

Departures:
1. The default policy target is the verified answer (SFT, what ReST-MCTS* and STaR use);
   ``policy_target="visits"`` (with MCTS) is AlphaZero's instead: at every state of the
   principal variation, the visit distribution over the sampled next steps,
   L = -Σ_states Σ_steps π_visits(step) log π_θ(step | q, state) / Σ π_visits · |step|.
2. The policy keeps training (AlphaZero), it is not reset to the base each iteration (STaR).
3. The searches use the verifier as training reward, as GRPO does; only at test time does the
   oracle/no-oracle distinction matter (``SearchResult.chosen``).
4. The expert's answer for a task is the search's pick (``chosen``: MCTS's most visited
   terminal state, best-first's highest valued answer) when the verifier accepts it, else the
   first verified answer.  With ``stop_on_verified`` (the searches' default) the first batch
   that holds a verified answer ends the search, and on an easy task both searches then return
   the same sample: turn it off to let the tree choose among verified answers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from rocks.atomic import replace_with, write_json
from rocks.metrics import MetricsLogger
from rocks.reason.lm import Samples, left_pad
from rocks.reason.prm import PRMExample, ProcessRewardModel, train_prm
from rocks.reason.rewards import RewardWeights
from rocks.reason.sft import Example, finetune, load_policy_weights, save_policy
from rocks.reason.tasks import get_family, prompt_text
from rocks.reason.tasks.base import TRAIN_SEEDS, Task, draw_seed
from rocks.reason.thought_mcts import ThoughtMCTSConfig, mcts_search
from rocks.reason.tot import ToTConfig, tree_search, verifier_for

SEARCHES = ("tot", "mcts")


@dataclass(frozen=True)
class ExItConfig:
    """Expert iteration (saved as ``config.json`` in ``out``).

    Attributes:
        family, difficulty: the training tasks (seeds from ``TRAIN_SEEDS``).
        search: "tot" (best-first) or "mcts" (``thought_mcts``).
        prm: with "mcts", value leaves with a PRM trained on the searches' statistics.
        tot, mcts: the two searches' settings (their ``token_budget`` is per task).
        iterations: search-then-train rounds.
        tasks_per_iteration: training tasks searched per round.
        token_budget: stop once this many tokens were sampled in all (0 = no limit).
        epochs, batch_size, lr: the SFT of each round.
        prm_epochs, prm_lr, prm_min_rollouts: the PRM's training (states with fewer rollouts
            are not labelled).
        reward: what counts as verified (accuracy and format, like RS-SFT).
        policy_target: "answer" (SFT on the expert's verified answer) or "visits" (the MCTS
            visit distribution at each step of the principal variation; departure 1).
        seed, threads, out.
    """

    family: str = "arithmetic"
    difficulty: int = 2
    search: str = "tot"
    prm: bool = False
    tot: ToTConfig = field(default_factory=lambda: ToTConfig(token_budget=400))
    mcts: ThoughtMCTSConfig = field(default_factory=lambda: ThoughtMCTSConfig(token_budget=400))
    iterations: int = 4
    tasks_per_iteration: int = 32
    token_budget: int = 0
    epochs: int = 2
    batch_size: int = 16
    lr: float = 3e-4
    prm_epochs: int = 2
    prm_lr: float = 3e-4
    prm_min_rollouts: int = 2
    policy_target: str = "answer"
    reward: RewardWeights = field(default_factory=RewardWeights)
    seed: int = 0
    threads: int = 1
    out: str = "runs/exit"

    def __post_init__(self) -> None:
        if self.search not in SEARCHES:
            raise ValueError(f"search must be one of {SEARCHES}, got {self.search!r}")
        if self.policy_target not in ("answer", "visits"):
            raise ValueError(f"policy_target must be 'answer' or 'visits', got "
                             f"{self.policy_target!r}")
        if self.policy_target == "visits" and self.search != "mcts":
            raise ValueError("visit distributions come from MCTS: visits needs search='mcts'")
        if self.prm and self.search != "mcts":
            raise ValueError("the PRM values MCTS leaves: prm needs search='mcts'")
        if min(self.iterations, self.tasks_per_iteration, self.epochs, self.batch_size) < 1:
            raise ValueError(f"ExItConfig sizes must be >= 1: {self}")


@dataclass(frozen=True)
class Round:
    """What one round of search gathered."""

    examples: tuple[Example, ...]
    prm_examples: tuple[PRMExample, ...]
    tasks: int
    solved: int
    tokens: int
    visit_targets: tuple[tuple[str, str, float], ...] = ()  # (context, step, visit share)


def round_tasks(cfg: ExItConfig, n: int) -> list[Task]:
    rng = random.Random(f"exit:{cfg.seed}:{n}")
    fam = get_family(cfg.family)
    return [fam.generate(draw_seed(rng, TRAIN_SEEDS), cfg.difficulty)
            for _ in range(cfg.tasks_per_iteration)]


def search_round(policy, tasks: Sequence[Task], cfg: ExItConfig,
                 prm: ProcessRewardModel | None, generator: torch.Generator) -> Round:
    """Search every task; keep verified answers (SFT data) and MC statistics (PRM data)."""
    examples, prm_examples, targets, tokens, solved = [], [], [], 0, 0
    for task in tasks:
        verify = verifier_for(task, cfg.reward)
        prompt = prompt_text(task)
        if cfg.search == "tot":
            r = tree_search(policy, task, cfg.tot, verify, generator)
        else:
            value_fn = prm.value_fn(prompt) if prm is not None else None
            found = mcts_search(policy, task, cfg.mcts, verify, value_fn, generator)
            r = found.result
            prm_examples += [PRMExample(prompt, s, k / n, n) for s, n, k in found.mc
                             if n >= cfg.prm_min_rollouts or "</answer>" in s]
            targets += [(prompt + state, child[len(state):], share)
                        for state, dist in found.policy_targets
                        for child, share in dist.items()]
        tokens += r.tokens
        if r.solved:
            solved += 1
            # the search's own pick when it is verified (the most visited / highest valued
            # answer), else the first verified one (departure 4)
            best = r.chosen if r.chosen_correct else r.answer
            examples.append(Example(task.seed, prompt, best))
    return Round(tuple(examples), tuple(prm_examples), len(tasks), solved, tokens,
                 tuple(targets))


def visit_loss(policy, targets: Sequence[tuple[str, str, float]]) -> Tensor:
    """-Σ w log π(step | context) / Σ w |step| over (context, step, w) (departure 1)."""
    tok = policy.tokenizer
    contexts = [tok.encode(c, bos=True) for c, _, _ in targets]
    steps = [tok.encode(s) or [tok.eos_id] for _, s, _ in targets]
    p_ids, p_mask = left_pad(contexts, tok.pad_id)
    width = max(len(s) for s in steps)
    s_ids = torch.full((len(steps), width), tok.pad_id, dtype=torch.long)
    s_mask = torch.zeros((len(steps), width), dtype=torch.long)
    for i, s in enumerate(steps):
        s_ids[i, :len(s)] = torch.tensor(s)
        s_mask[i, :len(s)] = 1
    batch = Samples(torch.cat([p_ids, s_ids], 1), torch.cat([p_mask, s_mask], 1), s_mask,
                    p_ids.shape[1])
    weights = torch.tensor([w for _, _, w in targets])[:, None] * s_mask.float()
    logp = policy.logprobs(policy.model, batch)
    return -(logp * weights).sum() / weights.sum().clamp(min=1e-8)


def train_on_visits(policy, targets: Sequence[tuple[str, str, float]], epochs: int,
                    batch_size: int, lr: float, seed: int = 0) -> list[float]:
    """AlphaZero's policy improvement step on the visit distributions; the step losses."""
    if not targets:
        return []
    opt = torch.optim.AdamW(policy.model.parameters(), lr=lr, betas=(0.9, 0.99),
                            weight_decay=0.0)
    rng = random.Random(f"visits:{seed}")
    order = list(range(len(targets)))
    losses = []
    policy.model.train()
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            loss = visit_loss(policy, [targets[i] for i in order[start:start + batch_size]])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
    return losses


def improve(policy, prm: ProcessRewardModel | None, done: Round, buffer: list[PRMExample],
            cfg: ExItConfig, n: int) -> tuple[float, float]:
    """Train the policy on the round's expert answers and the PRM on the buffer; final losses."""
    if cfg.policy_target == "visits":
        losses = train_on_visits(policy, list(done.visit_targets), cfg.epochs, cfg.batch_size,
                                 cfg.lr, seed=cfg.seed * 1000 + n)
    else:
        losses = finetune(policy, list(done.examples), cfg.epochs, cfg.batch_size, cfg.lr,
                          seed=cfg.seed * 1000 + n)
    prm_losses: list[float] = []
    if prm is not None:
        buffer.extend(done.prm_examples)
        prm_losses = train_prm(prm, buffer, cfg.prm_epochs, cfg.batch_size, cfg.prm_lr,
                               seed=cfg.seed * 1000 + n)
    nan = float("nan")
    return (losses[-1] if losses else nan), (prm_losses[-1] if prm_losses else nan)


def run_expert_iteration(policy, cfg: ExItConfig,
                         evaluate_fn: Callable[[object, int], dict] | None = None) -> list[dict]:
    """Run (or resume) expert iteration; writes ``iterations.csv``, ``checkpoint/``,
    ``prm.pt`` (with a PRM) and ``state.json`` after every round."""
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    write_json(out / "config.json", asdict(cfg))
    prm = ProcessRewardModel.from_policy(policy) if cfg.prm else None
    state_path = out / "state.json"
    start, tokens, buffer = 0, 0, []
    if state_path.exists():
        import json

        state = json.loads(state_path.read_text())
        start, tokens = state["iteration"], state["tokens"]
        load_policy_weights(policy, out / "checkpoint")
        if prm is not None and (out / "prm.pt").exists():
            saved = torch.load(out / "prm.pt", weights_only=False)
            prm.load_state_dict(saved["model"])
            buffer = [PRMExample(**e) for e in saved["buffer"]]
    history = []
    with MetricsLogger(out / "iterations.csv") as log:
        log.drop_after("iteration", start)
        for n in range(start, cfg.iterations):
            if cfg.token_budget and tokens >= cfg.token_budget:
                break
            generator = torch.Generator().manual_seed(cfg.seed * 1000 + n)
            use_prm = prm if (prm is not None and buffer) else None
            done = search_round(policy, round_tasks(cfg, n), cfg, use_prm, generator)
            tokens += done.tokens
            sft_loss, prm_loss = improve(policy, prm, done, buffer, cfg, n)
            row = {"iteration": n + 1, "tasks": done.tasks, "solved": done.solved,
                   "examples": len(done.examples), "prm_examples": len(buffer),
                   "tokens": done.tokens, "train_tokens": tokens, "sft_loss": sft_loss,
                   "prm_loss": prm_loss}
            if evaluate_fn is not None:
                row.update(evaluate_fn(policy, n + 1))
            log.log(row)
            history.append(row)
            save_policy(policy, out / "checkpoint", {"exit": asdict(cfg), "iteration": n + 1})
            if prm is not None:
                replace_with(out / "prm.pt", lambda tmp: torch.save(
                    {"model": prm.state_dict(), "buffer": [asdict(e) for e in buffer]}, tmp))
            write_json(state_path, {"iteration": n + 1, "tokens": tokens})
    return history
