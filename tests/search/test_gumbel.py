"""Specification of Gumbel AlphaZero's search (rocks.search.gumbel) on hand-worked examples.

The board is 3x3 (moves 0..8, pass 9).  The fake network's prior puts 0.4, 0.3, 0.2, 0.1 on
A = E5 (4), B = A3 (0), C = C1 (8), D = C3 (2) and nothing elsewhere, and it values a position
by the game's first move only, so Q(root, a) stays exactly the value below for every visit:

    move        A      B      C      D
    prior P    0.4    0.3    0.2    0.1
    Q(a)      -0.5    0.5    0.4   -0.9     (for Black, the root player; root value v = 0)

Gumbel scale 0 (no noise), m = 4, n = 8 simulations after the root's own evaluation.
Sequential halving's schedule is [0, 0, 0, 0, 1, 1, 2, 2]: A, B, C, D once each, then the best
two by logits + σ(q̂) twice more.  After the first phase (ΣN = 4, max N = 1):
    v_mix = (0 + 4 / 1.0 · (0.4·-0.5 + 0.3·0.5 + 0.2·0.4 + 0.1·-0.9)) / 5 = -0.048
    q̂ = (Q - min) / (max - min) over the legal moves, min -0.9, max 0.5:
        A 0.286, B 1, C 0.929, D 0;  σ = (50 + 1) · 0.1 · q̂
    log P + σ:  A -0.916 + 1.457 = 0.541;  B -1.204 + 5.1 = 3.896;  C -1.609 + 4.736 = 3.127;
                D -2.303 + 0 = -2.303      -> B and C survive the halving.
Final N: A 1, B 3, C 3, D 1; the move is B (largest score among the most visited).
"""

import numpy as np
import pytest

from rocks.go.board import BLACK, Position
from rocks.search.gumbel import GumbelConfig, GumbelMCTS, considered_visits

A, B, C, D = 4, 0, 8, 2
PRIOR = np.zeros(10, np.float32)
PRIOR[[A, B, C, D]] = [0.4, 0.3, 0.2, 0.1]
Q_FOR_BLACK = {A: -0.5, B: 0.5, C: 0.4, D: -0.9}


def first_move_net(positions):
    priors = np.stack([PRIOR] * len(positions))
    values = []
    for p in positions:
        if not p.moves:
            values.append(0.0)
        else:
            v_black = Q_FOR_BLACK.get(p.moves[0][1], 0.0)
            values.append(v_black if p.to_play == BLACK else -v_black)
    return priors, np.array(values, np.float32)


def search(leaves: int = 1, gumbel_scale: float = 0.0, sims: int = 9, m: int = 4,
           seed: int = 0) -> GumbelMCTS:
    cfg = GumbelConfig(num_simulations=sims, leaves_per_batch=leaves, max_considered=m,
                       gumbel_scale=gumbel_scale)
    return GumbelMCTS(Position.empty(3, komi=0.5), cfg, np.random.default_rng(seed))


def test_sequential_halving_schedule():
    assert considered_visits(4, 8) == [0, 0, 0, 0, 1, 1, 2, 2]
    assert considered_visits(2, 5) == [0, 0, 1, 1, 2]
    assert considered_visits(1, 3) == [0, 1, 2]
    sched = considered_visits(16, 32)
    assert sched[:16] == [0] * 16 and sched[16:24] == [1] * 8
    assert len(considered_visits(16, 200)) == 200


@pytest.mark.parametrize("leaves", [1, 4])
def test_the_halving_keeps_the_moves_with_the_best_logits_plus_sigma_q(leaves):
    s = search(leaves=leaves)
    result = s.run(first_move_net)
    assert result.simulations == 9
    assert {m: int(result.visits[m]) for m in (A, B, C, D)} == {A: 1, B: 3, C: 3, D: 1}
    assert result.visits.sum() == 8
    assert result.move == B
    np.testing.assert_allclose(result.q[[A, B, C, D]], [-0.5, 0.5, 0.4, -0.9], atol=1e-6)


def test_after_the_first_phase_b_and_c_lead_by_hand_computed_scores():
    s = search(sims=5)  # root + the first phase only
    s.run(first_move_net)
    score, n = s._root_scores()
    moves = s.tree.edge_move[s.tree.edges(0)]
    by_move = {int(m): float(x) for m, x in zip(moves, score, strict=True)}
    expected = {A: 0.541, B: 3.896, C: 3.127, D: -2.303}
    for m, want in expected.items():
        assert by_move[m] == pytest.approx(want, abs=2e-3)
    assert sorted(expected, key=by_move.get)[-2:] == [C, B]


def completed_q_policy(visits, q, prior, v_root, c_visit=50.0, c_scale=0.1):
    """The paper's π' = softmax(log P + σ(completed Q)), written out with numpy."""
    legal = np.ones(len(prior), bool)
    legal[-1] = True  # pass is legal here
    seen = visits > 0
    total = visits.sum()
    v_mix = (v_root + total / prior[seen].sum() * (prior[seen] * q[seen]).sum()) / (1 + total)
    cq = np.where(seen, q, v_mix)
    q_hat = (cq - cq[legal].min()) / (cq[legal].max() - cq[legal].min())
    logits = np.log(np.maximum(prior, 1e-30)) + (c_visit + visits.max()) * c_scale * q_hat
    z = np.exp(logits - logits.max())
    return z / z.sum()


def test_policy_target_is_the_completed_q_softmax():
    result = search().run(first_move_net)
    target = result.training_policy()
    want = completed_q_policy(result.visits.astype(np.float64), result.q.astype(np.float64),
                              PRIOR.astype(np.float64), 0.0)
    np.testing.assert_allclose(target, want, atol=1e-5)
    assert target.sum() == pytest.approx(1.0)
    # The improved policy moves mass from A (the prior's favourite, Q -0.5) to B and C.
    assert target[B] > target[C] > target[A] > target[D]
    assert target[B] > PRIOR[B] and target[A] < PRIOR[A]


def test_gumbel_noise_samples_different_root_moves_and_stays_legal():
    moves = set()
    for seed in range(12):
        r = search(gumbel_scale=1.0, m=2, seed=seed).run(first_move_net)
        assert r.visits[r.move] == r.visits.max()
        moves.add(r.move)
    assert len(moves) > 1


def test_below_the_root_selection_is_deterministic_and_prefers_the_improved_policy():
    # Below the root the same rule picks argmax π'(a) - N(a)/(1 + ΣN): with equal values it
    # follows the prior, so B's subtree first explores White's reply A (prior 0.4).
    s = search(sims=9)
    s.run(first_move_net)
    b = s.tree.child(0, B)
    assert s.tree.is_expanded(b)
    assert s.tree.child(b, A) >= 0 and s.tree.node_n[s.tree.child(b, A)] >= 1


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        GumbelConfig(max_considered=0)
    with pytest.raises(ValueError):
        GumbelConfig(c_scale=-1.0)
