"""Reward benchmark: what one verifier call, one reward score and one sandbox run cost.

Measures, on this machine, medians over repeated calls after one warm-up call:
  * ``run_python("pass")`` wall time under each isolation set-up available here (bubblewrap +
    fresh uid, and the fallback ``unshare --net`` + fresh uid);
  * ``verify`` on the reference answer, per task family (the code family includes its sandbox
    run; two Reasoning Gym families score in the guarded worker), and ``rewards.score`` for a
    countdown completion;
  * ``answers_match`` through the math-verify worker (answers the exact path cannot read).

    .venv/bin/python bench/rewards.py                # print the table (about a minute)
    .venv/bin/python bench/rewards.py --write-docs   # also replace "## Rewards and sandbox"
                                                     # in docs/benchmarks.md
The config and raw numbers are saved as JSON (``--out``, default bench/results/rewards.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchdoc import replace_section

from rocks.reason.rewards import RewardWeights, score
from rocks.reason.sandbox import SandboxConfig, bwrap_path, run_python
from rocks.reason.tasks import FAMILIES, get_family
from rocks.reason.tasks.math_answer import answers_match

SECTION = "## Rewards and sandbox"


@dataclass(frozen=True)
class BenchConfig:
    """Repetitions per measurement (cheap calls / sandbox runs) and where results go."""

    cheap_repeats: int = 300
    sandbox_repeats: int = 15
    out: str = "bench/results/rewards.json"


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: imports, worker start, page cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def measure(cfg: BenchConfig) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    setups = {"fallback (netns + uid)": SandboxConfig(use_bwrap=False, allow_weak_sandbox=True)}
    if bwrap_path() is not None:
        setups = {"bubblewrap + uid": SandboxConfig(), **setups}
    for label, config in setups.items():
        layers = "+".join(run_python("pass", config=config).layers)
        ms = median_ms(lambda c=config: run_python("pass", config=c), cfg.sandbox_repeats)
        rows.append((f'run_python("pass"), {label}', ms, layers))
    for name in sorted(FAMILIES):
        family = get_family(name)
        task = family.generate(7, 2)
        completion = f"<think>x</think><answer>{task.answer}</answer>"
        repeats = cfg.sandbox_repeats if name == "code" else cfg.cheap_repeats
        ms = median_ms(lambda f=family, c=completion, t=task: f.verify(c, t), repeats)
        rows.append((f"verify, {name} (difficulty 2)", ms, ""))
    for name in ("gym:knights_knaves", "gym:basic_arithmetic"):
        family = get_family(name)
        task = family.generate(7, 2)
        completion = f"<answer>{task.answer}</answer>"
        ms = median_ms(lambda f=family, c=completion, t=task: f.verify(c, t), cfg.sandbox_repeats)
        rows.append((f"verify, {name} (difficulty 2, guarded worker)", ms, ""))
    task = get_family("countdown").generate(7, 2)
    text = f"<think>{'try 8*10 ' * 20}</think><answer>{task.answer}</answer>"
    weights = RewardWeights(language=0.1, max_length=512, cache_length=128)
    ms = median_ms(lambda: score(text, task, weights), cfg.cheap_repeats)
    rows.append(("score, countdown, all four components", ms, ""))
    counter = iter(range(10**9))  # a new answer each call: math-verify caches its parses

    def via_worker() -> object:
        i = next(counter)
        return answers_match(f"x = {2 * i + 7}/2", f"{i + 3.5}")

    ms = median_ms(via_worker, cfg.sandbox_repeats * 4)
    rows.append(('answers_match("x = 7/2", "3.5") via the math-verify worker', ms, ""))
    return rows


def table(rows: list[tuple[str, float, str]], command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION,
        "",
        f"{when}; machine: 2-core shared CI-class VM ({platform.processor() or 'x86_64'}, "
        f"{os.cpu_count()} CPUs visible, shared with other jobs); command: `{command}`.",
        "Medians after one warm-up call.",
        "",
        "| what | median ms | layers |",
        "|---|---:|---|",
    ]
    lines += [f"| {what} | {ms:.3g} | {layers} |" for what, ms, layers in rows]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    replace_section(path, SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--out", default=BenchConfig.out)
    args = parser.parse_args()
    cfg = BenchConfig(out=args.out)
    rows = measure(cfg)
    command = ".venv/bin/python bench/rewards.py" + (" --write-docs" if args.write_docs else "")
    section = table(rows, command)
    print(section)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"config": asdict(cfg), "rows": rows}, indent=2))
    os.replace(tmp, out)
    if args.write_docs:
        write_section(Path("docs/benchmarks.md"), section)


if __name__ == "__main__":
    main()
