"""A guarded worker process for verifier code that may hang on hostile answers.

Some checks run third-party parsers on model output -- sympy through ``math-verify``, Reasoning
Gym's scorers -- and a string such as ``9**9**9`` can keep them busy for hours or eat all
memory.  ``math-verify``'s own guard uses SIGALRM, which only works in the main thread (the
trap open-r1 and TRL users hit).  Here the call runs in a long-lived worker process instead:
``GuardedWorker("pkg.module:function").call(*args)`` sends the JSON arguments over a pipe and
waits at most ``timeout`` seconds; on a timeout the worker is killed (the next call starts a
fresh one) and the call reports failure.  That works identically from any thread, and the
worker's address space is capped (RLIMIT_AS), so a blow-up fails one comparison only.  A target
module may define ``worker_warm_up()``; the worker runs it before it reports ready, so slow
lazy imports count as startup (``STARTUP_SECONDS``), not as the first call's time.

The worker runs our own trusted function on untrusted *strings*; it never executes them (model
code goes to ``rocks.reason.sandbox``).  Workers are per process: a forked child (a data-loader
worker, say) starts its own rather than sharing its parent's pipes.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import select
import subprocess
import sys
import threading
import time
from typing import Any

STARTUP_SECONDS = 60.0  # a cold worker imports sympy or reasoning_gym; slow on a busy machine
MEMORY_BYTES = 2 * 2**30


def serve(target: str, memory_bytes: int) -> None:
    """The worker's loop: one JSON argument list per stdin line, one JSON reply per line."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    module_name, _, name = target.partition(":")
    module = importlib.import_module(module_name)
    function = getattr(module, name)
    # A target whose first call does slow lazy imports (math-verify: ~2 s of sympy and its
    # grammar) warms up here, in startup time, so the first real call is not timed out.
    warm_up = getattr(module, "worker_warm_up", None)
    if callable(warm_up):
        warm_up()
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        try:
            reply = {"ok": True, "result": function(*json.loads(line))}
        except Exception as e:  # noqa: BLE001 - report it; the caller decides what it means
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"[:200]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


class GuardedWorker:
    """One worker process running ``target`` ("module:function"), shared by threads."""

    def __init__(self, target: str, timeout: float = 5.0, memory_bytes: int = MEMORY_BYTES):
        if ":" not in target:
            raise ValueError(f"target must be 'module:function', got {target!r}")
        self.target = target
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._owner = os.getpid()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
        self._buffer = b""

    def _start(self) -> bool:
        code = (
            "from rocks.reason.tasks.worker import serve; "
            f"serve({self.target!r}, {int(self.memory_bytes)})"
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # starting Python and importing the target is not the call's time
        if self._readline(time.monotonic() + STARTUP_SECONDS) is None:
            self._stop()
            return False
        return True

    def _readline(self, deadline: float) -> bytes | None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def call(self, *args: Any) -> tuple[bool, Any]:
        """``(True, result)``, or ``(False, reason)`` on a timeout, a crash or an exception."""
        if self._owner != os.getpid():
            # right after a fork the child is single-threaded, so resetting here is safe
            self._lock, self._proc, self._buffer = threading.Lock(), None, b""
            self._owner = os.getpid()
        request = (json.dumps(list(args)) + "\n").encode("utf-8", "replace")
        with self._lock:
            if (self._proc is None or self._proc.poll() is not None) and not self._start():
                return False, "worker did not start"
            assert self._proc is not None and self._proc.stdin is not None
            try:
                self._proc.stdin.write(request)
                self._proc.stdin.flush()
            except OSError:
                self._stop()
                return False, "worker died"
            line = self._readline(time.monotonic() + self.timeout)
            if line is None:
                self._stop()
                return False, f"timed out after {self.timeout:g} s"
        reply = json.loads(line)
        return (True, reply["result"]) if reply.get("ok") else (False, reply.get("error", "?"))


_workers: dict[str, GuardedWorker] = {}
_workers_lock = threading.Lock()


def worker_for(target: str, timeout: float = 5.0) -> GuardedWorker:
    """The process-wide worker for ``target``, started on first call and stopped at exit."""
    with _workers_lock:
        if target not in _workers:
            _workers[target] = GuardedWorker(target, timeout)
            atexit.register(_workers[target].close)
        return _workers[target]
