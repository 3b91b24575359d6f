"""Shared fixtures: experiments made in tmp_path with a fixed clock (never in experiments/)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rocks.lab.folders import Experiment, new_experiment

NOW = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)

# A run.py without numpy/matplotlib, so the runner's tests start quickly.
TINY_RUN_PY = '''"""A tiny experiment for the lab's tests."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from rocks.lab import start_run


@dataclass(frozen=True)
class Config:
    x: float = 1.0
    n: int = 3
    mode: str = "ok"  # ok | fail | interrupt | nosummary | sleep
    sizes: tuple[int, ...] = (5, 7)
    flag: bool = False


def main(cfg: Config, run) -> None:
    log = run.metrics("values")
    for i in range(cfg.n):
        log.log(i=i, y=cfg.x * i)
    if cfg.mode == "fail":
        raise RuntimeError("the experiment broke on purpose")
    if cfg.mode == "interrupt":
        signal.raise_signal(signal.SIGINT)  # to this thread: os.kill may pick another
    if cfg.mode == "sleep":
        time.sleep(60)
    if cfg.mode != "nosummary":
        run.finish("y_last", cfg.x * (cfg.n - 1), sizes=sum(cfg.sizes), flag=int(cfg.flag))


if __name__ == "__main__":
    run = start_run(Config, __file__)
    main(run.config, run)
'''


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "experiments"


@pytest.fixture
def tiny(root: Path) -> Experiment:
    """An experiment whose run.py is TINY_RUN_PY."""
    exp = new_experiment("tiny test", root=root, now=NOW)
    exp.run_py.write_text(TINY_RUN_PY)
    return exp
