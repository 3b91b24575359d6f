"""Specification of KataGo's forced playouts and policy target pruning (rocks.search.forced)."""

import numpy as np
import pytest

from rocks.go.board import Position
from rocks.search.forced import forced_playouts, pruned_policy_target
from rocks.search.mcts import MCTS, MCTSConfig, run_mcts
from tests.search.search_fakes import fake_net

# A hand-worked root: c_puct = 1, k = 2, ΣN = 100 (sqrt 10), so n_forced = sqrt(200 P).
#   move  P     N   Q      n_forced  smallest N' with PUCT <= PUCT(A)     pruned N
#   A    .50   70   .10    -         (c*: PUCT(A) = .1 + 5/71 = .170423)   70
#   B    .08    4  -.40    4         .8 / .570423 - 1 = 0.402              max(0, .402) -> dropped
#   C    .18   14   .00    6         1.8 / .170423 - 1 = 9.562             max(8, 9.562) = 9.562
#   E    .08    9   .16    4         .8 / .010423 - 1 = 75.8 (> N)         9 (its Q earns it)
#   D    .02    3  -.50    2         .2 / .670423 - 1 < 0                  max(1, ..) = 1 -> dropped
#   F    .14    0   -      -         -                                     0
# Target: (70, 0, 9.562, 9, 0, 0) / 88.562.
PRIOR = np.array([0.50, 0.08, 0.18, 0.08, 0.02, 0.14])
VISITS = np.array([70, 4, 14, 9, 3, 0], np.int32)
Q = np.array([0.10, -0.40, 0.00, 0.16, -0.50, 0.0])


def test_pruning_removes_forced_visits_but_keeps_those_earned_by_q():
    target = pruned_policy_target(VISITS, Q, PRIOR, c_puct=1.0, k=2.0)
    c_left = 1.8 / (0.1 + 5 / 71) - 1  # = 9.562
    expected = np.array([70, 0, c_left, 9, 0, 0]) / (79 + c_left)
    np.testing.assert_allclose(target, expected, rtol=1e-5)
    assert target.dtype == np.float32
    # C keeps exactly the count at which its PUCT value meets the most visited child's.
    assert 0.0 + 1.0 * 0.18 * 10 / (1 + c_left) == pytest.approx(0.1 + 1.0 * 0.5 * 10 / 71)


def test_a_child_left_with_one_visit_is_dropped():
    # D keeps exactly one of its three visits (3 - n_forced 2): pruned to nothing.
    assert pruned_policy_target(VISITS, Q, PRIOR, c_puct=1.0, k=2.0)[4] == 0.0
    # With a smaller k it keeps 3 - sqrt(0.5 * 0.02 * 100) = 2 visits and stays.
    assert pruned_policy_target(VISITS, Q, PRIOR, c_puct=1.0, k=0.5)[4] > 0.0


def test_k_zero_is_the_plain_visit_distribution():
    np.testing.assert_allclose(pruned_policy_target(VISITS, Q, PRIOR, c_puct=1.0, k=0.0),
                               VISITS / 100.0, rtol=1e-6)
    with pytest.raises(ValueError):
        pruned_policy_target(np.zeros(6), Q, PRIOR, c_puct=1.0, k=2.0)


def test_forced_playouts_formula():
    np.testing.assert_allclose(forced_playouts(PRIOR, 100, 2.0), np.sqrt(200 * PRIOR))


# A 3x3 board with uniform priors (P = 0.1 for each of 10 moves) and a value that punishes
# the root player (Black) for a stone on the centre: Q(centre) ≈ -0.9 while the other moves are
# worth 0, so PUCT visits the centre about twice in 400 visits (1.5 · 0.1 · 20 / (1 + N) must
# beat 0.9), whereas forced playouts give it sqrt(2 · 0.1 · 400) ≈ 8.9.
CENTRE = 4


def _centre_is_bad(p: Position) -> float:
    return float(-0.9 * p.board[CENTRE] * p.to_play)


@pytest.mark.parametrize("leaves", [1, 8])
def test_a_visited_low_value_root_child_gets_its_forced_playouts(leaves):
    root = Position.empty(3, komi=0.5)
    base = MCTSConfig(num_simulations=401, c_puct=1.5, leaves_per_batch=leaves)
    plain = run_mcts(root, fake_net(_centre_is_bad), base, np.random.default_rng(0))
    forced = run_mcts(root, fake_net(_centre_is_bad),
                      MCTSConfig(num_simulations=401, c_puct=1.5, leaves_per_batch=leaves,
                                 forced_playouts_k=2.0), np.random.default_rng(0))
    n_forced = np.sqrt(2.0 * 0.1 * forced.visits.sum())
    assert forced.visits[CENTRE] >= np.floor(n_forced) >= 8
    assert plain.visits[CENTRE] < n_forced / 2
    assert plain.policy_target is None
    # The target prunes the centre back to what PUCT itself wanted (N' = 3 / .94 - 1 ≈ 2.2 of
    # its 9 visits): no more of the target than the plain search's visit share.
    assert forced.policy_target is not None
    assert 0 < forced.policy_target[CENTRE] <= plain.visits[CENTRE] / plain.visits.sum()
    assert forced.policy_target[CENTRE] < forced.visits[CENTRE] / forced.visits.sum() / 2
    assert set(np.flatnonzero(forced.policy_target)) <= set(np.flatnonzero(forced.visits))


def test_forced_playouts_use_the_noised_root_priors():
    root = Position.empty(3, komi=0.5)
    cfg = MCTSConfig(num_simulations=64, dirichlet_epsilon=0.25, forced_playouts_k=2.0,
                     leaves_per_batch=1)
    search = MCTS(root, cfg, np.random.default_rng(3))
    result = search.run(fake_net())
    noised = search.search_prior()
    assert not np.allclose(noised, result.prior)  # the noise is in the tree, not the result
    np.testing.assert_allclose(
        result.policy_target,
        pruned_policy_target(result.visits, result.q, noised, cfg.c_puct, 2.0), rtol=1e-6)
