"""Shared fixtures: external programs the tests drive, found or skipped with a reason; and one
torch thread for every test, since their networks are tiny and two spinning OpenMP threads per
process slow a shared 2-core machine down by 10x or more (docs/benchmarks.md, Networks)."""

from __future__ import annotations

import pytest
import torch

from rocks.engines.commands import find_gnugo


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def gnugo() -> str:
    """Path of the GNU Go binary; skips the test with a clear reason when it is missing."""
    path = find_gnugo()
    if path is None:
        pytest.skip("GNU Go not installed (Debian package gnugo: /usr/games/gnugo); "
                    "./dev test installs it when it can")
    return path
