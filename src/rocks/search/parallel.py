"""One game's PUCT search on several cores: worker threads sharing one tree under virtual loss.

Follows the asynchronous policy and value MCTS of AlphaGo (Silver et al., Nature 2016, "APV-MCTS":
many search threads on one tree, each selection adding a virtual loss to its path so that the
threads spread over different leaves) and the search threads of Leela Zero and KataGo
(``numSearchThreads``), over this project's batched interface: each worker repeatedly

  1. gathers up to ``leaves_per_batch`` leaves under virtual loss (:meth:`MCTS.gather`),
  2. evaluates them on its own thread (the network runs with the GIL released: torch kernels,
     a frozen TorchScript graph or ONNX Runtime, one intra-op thread each), and
  3. expands and backs them up (:meth:`MCTS.apply`),

while the other workers' batches are in flight.  On a machine where one network call keeps one
core busy, N workers keep N cores busy; the tree work between calls is small (~15-20 µs per
visit against ~260 µs per evaluation for b6c64 on 9x9).

Departures, numbered:
  1. The tree is guarded by one lock, held for gather and apply only, never during an
     evaluation: tree work is a small share of a visit, and a lock keeps the numba kernels of
     :mod:`rocks.search.tree` unchanged (KataGo locks per node; not needed at this ratio).
  2. A worker whose selection ends in a collision on its first leaf (every way down leads to a
     leaf already in flight) waits for the next batch to be backed up instead of spinning.
  3. Visits are counted exactly: leaves in flight count against the target before they are
     backed up, so a search of n simulations makes exactly n (root N grows by n), as the
     one-thread search does.
  4. ``threads=1`` is :meth:`MCTS.run` itself, so one thread with a seed reproduces the plain
     search exactly.  With more threads the order of backups depends on the machine's timing,
     so results vary from run to run (as in every multi-threaded MCTS).
  5. Gumbel AlphaZero is not searched in parallel: sequential halving plans the root's visits
     one batch at a time (:mod:`rocks.search.gumbel`), which other threads' leaves would upset.
"""

from __future__ import annotations

import threading
import time

from rocks.search.contracts import EvaluateFn, SearchResult, as_evaluation
from rocks.search.mcts import MCTS

#: How long a worker with nothing to select sleeps at most before looking again (seconds).
_IDLE_WAIT_S = 0.005


def run_parallel(search: MCTS, evaluate: EvaluateFn, threads: int = 1,
                 num_simulations: int | None = None,
                 time_budget_s: float | None = None) -> SearchResult:
    """Search from ``search``'s current root with ``threads`` workers sharing its tree, until
    ``num_simulations`` new simulations are made (default: the config's) or the time budget is
    spent (the root is always evaluated first).  ``evaluate`` is called from every worker thread
    at once, so it must be thread-safe (:class:`rocks.nets.evaluator.Evaluator` is).

    The tree is kept: ``search.advance`` and another run reuse it, as with :meth:`MCTS.run`.
    Raises the first exception ``evaluate`` raised, after every worker stopped and the leaves it
    was given were taken out of the tree.
    """
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if threads == 1:
        return search.run(evaluate, num_simulations, time_budget_s)  # departure 4
    if type(search)._root_edge is not MCTS._root_edge:
        raise ValueError(f"{type(search).__name__} plans its root visits batch by batch and "
                         "cannot be searched by several threads; use threads=1")
    search.begin(num_simulations)
    shared = _Shared(search, time_budget_s)
    workers = [threading.Thread(target=shared.work, args=(evaluate,), daemon=True,
                                name=f"rocks-search-{i}") for i in range(threads - 1)]
    for w in workers:
        w.start()
    try:
        shared.work(evaluate)  # the caller's thread is a worker too
    finally:  # e.g. KeyboardInterrupt in the caller: the others stop after their batch
        with shared.cond:
            shared.stopping = True
            shared.cond.notify_all()
        for w in workers:
            w.join()
    if shared.error is not None:
        raise shared.error
    return search.result()


class _Shared:
    """The state the workers share: the tree (under ``cond``'s lock) and the leaves in flight."""

    def __init__(self, search: MCTS, time_budget_s: float | None) -> None:
        self.search = search
        self.goal = search.target
        self.deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
        self.cond = threading.Condition()
        self.in_flight = 0
        self.error: BaseException | None = None
        self.stopping = False

    def _finished(self) -> bool:
        """Called under the lock: no worker should start another batch."""
        s = self.search
        if self.stopping or self.error is not None or s.simulations >= self.goal:
            return True
        return (self.deadline is not None and time.perf_counter() >= self.deadline
                and s.tree.is_expanded(0))

    def _gather(self) -> list:
        """Under the lock: the next batch for this worker, or [] when the search is over."""
        s = self.search
        while not self._finished():
            room = self.goal - s.simulations - self.in_flight
            if room > 0:
                s.target = self.goal - self.in_flight  # departure 3: gather stops at the goal
                try:
                    pending = s.gather(min(s.cfg.leaves_per_batch, room))
                finally:
                    s.target = self.goal
                if pending:
                    self.in_flight += len(pending)
                    return pending
                if self._finished():  # terminal visits in gather may have reached the goal
                    break
            # Everything selectable is in flight (departure 2), or the last leaves are: wait
            # for a backup.  The timeout also lets a worker see the deadline pass.
            self.cond.wait(_IDLE_WAIT_S)
        self.cond.notify_all()
        return []

    def work(self, evaluate: EvaluateFn) -> None:
        s = self.search
        while True:
            with self.cond:
                pending = self._gather()
            if not pending:
                return
            try:
                ev = as_evaluation(evaluate([p.position for p in pending]), len(pending))
            except BaseException as exc:  # noqa: BLE001 (re-raised by run_parallel)
                with self.cond:
                    s.abandon(pending)
                    self.in_flight -= len(pending)
                    if self.error is None:
                        self.error = exc
                    self.cond.notify_all()
                return
            with self.cond:
                s.apply(pending, ev)
                self.in_flight -= len(pending)
                self.cond.notify_all()
