"""Specification of the multi-threaded search (rocks.search.parallel): N workers, one tree."""

import threading
import time

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import Position
from rocks.nets.evaluator import random_evaluator
from rocks.search import tree as T
from rocks.search.gumbel import GumbelConfig, GumbelMCTS
from rocks.search.mcts import MCTS, MCTSConfig
from rocks.search.parallel import run_parallel
from tests.search.search_fakes import fake_net, score_value
from tests.search.test_mcts import SEMEAI


def opening(moves: int = 6, size: int = 9) -> Position:
    rng = np.random.default_rng(3)
    pos = Position.empty(size)
    for _ in range(moves):
        pos = pos.play(int(rng.choice(np.flatnonzero(pos.legal_moves()[:-1]))))
    return pos


def slow(evaluate, seconds: float):
    """``evaluate`` that also waits ``seconds`` per call with the GIL released, like a network
    running on another core (the shape of the real thing without its CPU noise)."""
    def wrapped(positions):
        time.sleep(seconds)
        return evaluate(positions)
    return wrapped


def assert_visits_add_up(search: MCTS) -> None:
    """Every visit is counted once: no virtual loss is left, and each evaluated node's N is its
    own evaluation plus its children's N (a terminal node's are all its own)."""
    tree = search.tree
    n_nodes = int(tree.n_nodes[0])
    assert (tree.node_n[:n_nodes] >= 0).all()
    for node in range(n_nodes):
        if tree.info[node, T.TERMINAL] or not tree.is_expanded(node):
            continue
        children = tree.edge_child[tree.edges(node)]
        below = int(tree.node_n[children[children >= 0]].sum())
        assert tree.node_n[node] == 1 + below, f"node {node}"


def test_one_thread_is_exactly_the_plain_search():
    cfg = MCTSConfig(num_simulations=300, dirichlet_epsilon=0.25, leaves_per_batch=8)
    evaluate = random_evaluator(9, seed=1)
    plain = MCTS(opening(), cfg, np.random.default_rng(7)).run(evaluate)
    one = run_parallel(MCTS(opening(), cfg, np.random.default_rng(7)), evaluate, threads=1)
    np.testing.assert_array_equal(one.visits, plain.visits)
    np.testing.assert_array_equal(one.q, plain.q)
    assert (one.move, one.pv, one.simulations) == (plain.move, plain.pv, plain.simulations)


@pytest.mark.parametrize("threads", [2, 4])
def test_n_threads_make_exactly_the_simulations_asked_for(threads):
    search = MCTS(opening(), MCTSConfig(num_simulations=500, leaves_per_batch=8),
                  np.random.default_rng(0))
    result = run_parallel(search, slow(random_evaluator(9, seed=2), 0.001), threads=threads)
    assert result.simulations == 500
    assert search.tree.node_n[0] == 500  # the root: its own evaluation and 499 below it
    assert result.visits.sum() == 499
    assert_visits_add_up(search)
    assert search.root.is_legal(result.move) and result.pv[0] == result.move


def test_threads_keep_reading_the_tree_between_moves():
    pos = Position.from_ascii(SEMEAI, komi=40)
    search = MCTS(pos, MCTSConfig(num_simulations=400, leaves_per_batch=4),
                  np.random.default_rng(0))
    net = fake_net(value=score_value(5))
    first = run_parallel(search, net, threads=3)
    assert coords.to_gtp(first.move, 7) == "D7"  # wins the capture race, as one thread does
    search.advance(first.move)
    kept = int(search.tree.node_n[0])
    again = run_parallel(search, net, threads=3, num_simulations=100)
    assert again.simulations == 100 and search.tree.node_n[0] == kept + 100
    assert_visits_add_up(search)


def test_a_time_budget_is_kept_and_two_threads_overlap_their_evaluations():
    evaluate = slow(random_evaluator(9), 0.01)  # 10 ms a call, waiting off the GIL
    visits = {}
    for threads in (1, 2):
        search = MCTS(opening(), MCTSConfig(num_simulations=10**9, leaves_per_batch=4),
                      np.random.default_rng(0))
        start = time.perf_counter()
        visits[threads] = run_parallel(search, evaluate, threads, time_budget_s=0.4).simulations
        assert time.perf_counter() - start < 0.4 + 0.15  # at most one call past the budget
        assert_visits_add_up(search)
    assert visits[2] > 1.5 * visits[1]


def test_a_failing_network_stops_every_worker_and_leaves_the_tree_usable():
    calls = []
    lock = threading.Lock()
    good = random_evaluator(9)

    def flaky(positions):
        with lock:
            calls.append(len(positions))
            if len(calls) == 6:
                raise RuntimeError("network down")
        time.sleep(0.002)
        return good(positions)

    search = MCTS(opening(), MCTSConfig(num_simulations=400, leaves_per_batch=4),
                  np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="network down"):
        run_parallel(search, flaky, threads=3)
    assert_visits_add_up(search)
    result = run_parallel(search, good, threads=3, num_simulations=50)
    assert result.simulations == 50
    assert_visits_add_up(search)


def test_gumbel_search_is_not_split_over_threads():
    search = GumbelMCTS(opening(), GumbelConfig(num_simulations=32))
    with pytest.raises(ValueError, match="threads=1"):
        run_parallel(search, random_evaluator(9), threads=2)
    assert run_parallel(search, random_evaluator(9), threads=1).simulations == 32
    with pytest.raises(ValueError, match="at least 1"):
        run_parallel(search, random_evaluator(9), threads=0)
