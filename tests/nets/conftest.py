"""Network tests use one torch thread: their nets are tiny, and on a shared 2-core machine two
spinning OpenMP threads per process slow everything down (see docs/benchmarks.md, Networks)."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
