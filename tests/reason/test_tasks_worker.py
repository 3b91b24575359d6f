"""The guarded worker: results, exceptions, timeouts, threads and forks."""

from __future__ import annotations

import os
import threading
import time

import pytest

from rocks.reason.tasks.worker import GuardedWorker

# Plain stdlib functions as targets keep these tests independent of sympy.
SLEEP = "time:sleep"
POW = "operator:pow"


@pytest.fixture
def worker():
    w = GuardedWorker(POW, timeout=2.0)
    yield w
    w.close()


def test_results_and_exceptions(worker: GuardedWorker) -> None:
    assert worker.call(2, 10) == (True, 1024)
    ok, why = worker.call("a", 2)
    assert not ok and why.startswith("TypeError")
    assert worker.call(3, 2) == (True, 9)  # an exception does not end the worker


def test_timeout_kills_and_the_next_call_restarts() -> None:
    worker = GuardedWorker(SLEEP, timeout=0.5)
    try:
        start = time.monotonic()
        ok, why = worker.call(30)
        assert not ok and "timed out" in why and time.monotonic() - start < 5
        assert worker.call(0) == (True, None)
    finally:
        worker.close()


def test_memory_is_capped() -> None:
    worker = GuardedWorker("operator:mul", timeout=20.0, memory_bytes=512 * 2**20)
    try:
        ok, why = worker.call("x", 2**31)  # a 2 GB string
        assert not ok and "MemoryError" in why
        assert worker.call("ab", 2) == (True, "abab")
    finally:
        worker.close()


def test_threads_share_one_worker(worker: GuardedWorker) -> None:
    results: list[tuple[bool, object]] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(worker.call(i, 2))) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[1] for r in results) == [0, 1, 4, 9]


def test_a_forked_child_gets_its_own_worker(worker: GuardedWorker) -> None:
    assert worker.call(2, 3) == (True, 8)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, b"1" if worker.call(2, 4) == (True, 16) else b"0")
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    assert worker.call(2, 5) == (True, 32)


def test_warm_up_counts_as_startup_not_as_the_first_call(tmp_path, monkeypatch) -> None:
    # Like math-verify: the first use pays a slow lazy import, unless warm-up paid it.
    (tmp_path / "slow_to_warm.py").write_text(
        "import time\n"
        "warm = False\n"
        "def worker_warm_up():\n    global warm\n    time.sleep(1.5)\n    warm = True\n"
        "def double(x):\n    if not warm:\n        worker_warm_up()\n    return 2 * x\n"
    )
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    worker = GuardedWorker("slow_to_warm:double", timeout=1.0)
    try:
        assert worker.call(21) == (True, 42)
    finally:
        worker.close()


def test_bad_target_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="module:function"):
        GuardedWorker("operator.pow")
    assert GuardedWorker("no_such_module:f", timeout=1.0).call(1) == (False, "worker did not start")
