"""Specification of PUCT search (rocks.search.mcts) with fake networks."""

import numpy as np
import pytest

from rocks.go import coords
from rocks.go.board import BLACK, WHITE, Position
from rocks.search.contracts import visit_policy
from rocks.search.mcts import MCTS, MCTSConfig, run_mcts
from tests.search.search_fakes import fake_net, liberty_prior, material_value, score_value

# With every value 0 and FPU reduction 0, Q = 0 everywhere and selection is by U alone:
#   U(a) = c_puct P(a) sqrt(max(1, Σ_b N(b))) / (1 + N(a)),  c_puct = 1, P = (.5, .3, .2, 0, 0)
#   visit 1: U = (.5, .3, .2)                -> A2   N = (1, 0, 0)
#   visit 2: U = (.25, .3, .2)               -> B2   N = (1, 1, 0)
#   visit 3: U = (.354, .212, .283)          -> A2   N = (2, 1, 0)
#   visit 4: U = (.289, .260, .346)          -> A1   N = (2, 1, 1)
#   visit 5: U = (.333, .300, .200)          -> A2   N = (3, 1, 1)
HAND_PRIOR = np.array([0.5, 0.3, 0.2, 0.0, 0.0], np.float32)  # A2, B2, A1, B1, pass on 2x2


@pytest.mark.parametrize("visits,expected", [
    (1, (1, 0, 0)), (2, (1, 1, 0)), (3, (2, 1, 0)), (4, (2, 1, 1)), (5, (3, 1, 1))])
def test_visit_counts_follow_the_puct_formula(visits, expected):
    net = fake_net(prior=lambda p: HAND_PRIOR)
    cfg = MCTSConfig(num_simulations=visits + 1, c_puct=1.0, fpu_reduction=0.0,
                     fpu_reduction_root=0.0, leaves_per_batch=1)
    result = run_mcts(Position.empty(2, komi=0.5), net, cfg)
    assert tuple(result.visits[:3]) == expected
    assert result.visits[3:].sum() == 0
    assert result.simulations == visits + 1  # the root's own evaluation counts
    np.testing.assert_allclose(result.prior, HAND_PRIOR)


SEMEAI = """
    . X O . X . X
    . X O X X X X
    O O O X . X .
    X X X X X X X
    . X . X . X .
    X X X X X X X
    . X . X . X .
"""
# Black's two stones (A7 and the shared A6) race White's six (D7 and the shared A6).  Black
# to play wins only by D7, the outside liberty; with komi 40 Black wins the game only by
# winning the race (status quo: W+4, race won: B+9, race lost: W+10).


def test_search_wins_a_capture_race_with_uniform_priors_and_a_score_value():
    pos = Position.from_ascii(SEMEAI, komi=40)
    result = run_mcts(pos, fake_net(value=score_value(5)), MCTSConfig(num_simulations=400))
    assert coords.to_gtp(result.move, 7) == "D7"
    assert result.pv[0] == result.move
    assert result.q[result.move] > 0 > result.q[coords.from_gtp("A6", 7)]


def test_search_plays_the_capture_race_to_the_end():
    pos = Position.from_ascii(SEMEAI, komi=40)
    search = MCTS(pos, MCTSConfig(num_simulations=300), rng=np.random.default_rng(0))
    net = fake_net(value=score_value(5))
    for reply in ("A6", None):  # White fills the shared liberty; Black must capture at A7
        move = search.run(net).move
        search.advance(move)
        if reply is not None:
            search.advance(coords.from_gtp(reply, 7))
    assert search.root.captures[0] == 6
    assert search.root.score() > 0


LADDER = """
    . . . . . . .
    . . X . O . .
    . X O . . . .
    . . . X . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
"""
# White C5 has two liberties.  Atari from D5 drives it down-left: C4 C3 B4 B3 A4 A3 ... and it
# dies at the edge.  Atari from C4 drives it up-right into White's ladder breaker at E6.


def test_search_reads_a_ladder_to_the_edge_with_a_tactical_prior_and_material_value():
    # The prior narrows the tree (liberties of short-of-liberty chains), the search supplies the
    # depth: AlphaGo's division of labour in miniature.  Uniform priors do not get there at
    # 8,000 simulations on the open 7x7 board (about 45 moves at every level).
    pos = Position.from_ascii(LADDER, komi=0.5)
    net = fake_net(value=material_value, prior=liberty_prior)
    result = run_mcts(pos, net, MCTSConfig(num_simulations=1000, leaves_per_batch=8))
    assert coords.to_gtp(result.move, 7) == "D5"
    assert [coords.to_gtp(m, 7) for m in result.pv[:6]] == ["D5", "C4", "C3", "B4", "B3", "A4"]
    assert result.q[coords.from_gtp("D5", 7)] > 0.2 > result.q[coords.from_gtp("C4", 7)]


def test_root_noise_changes_root_priors_only():
    pos = Position.empty(5)
    cfg = MCTSConfig(num_simulations=60, dirichlet_epsilon=0.25)
    search = MCTS(pos, cfg, rng=np.random.default_rng(1))
    result = search.run(fake_net())
    tree = search.tree
    root_priors = tree.edge_prior[tree.edges(0)]
    assert not np.allclose(root_priors, 1 / 26)  # noise reached the root edges...
    np.testing.assert_allclose(root_priors.sum(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(result.prior[result.prior > 0], 1 / 26, rtol=1e-5)  # not reported
    for node in range(1, int(tree.n_nodes[0])):
        if tree.is_expanded(node):  # below the root: exactly the net's (uniform) priors
            p = tree.edge_prior[tree.edges(node)]
            np.testing.assert_allclose(p[p >= 0], 1 / len(p), rtol=1e-5)


def test_noise_alpha_scales_with_the_number_of_legal_moves():
    # α = 10.83 / 26 on an empty 5x5: concentrated noise, so a few moves get most of it
    cfg = MCTSConfig(num_simulations=2, dirichlet_epsilon=1.0)
    search = MCTS(Position.empty(5), cfg, rng=np.random.default_rng(3))
    search.run(fake_net())
    p = np.sort(search.tree.edge_prior[search.tree.edges(0)])[::-1]
    assert p[:5].sum() > 0.5


def test_tree_reuse_keeps_the_subtree_and_its_visits():
    pos = Position.empty(5)
    net = fake_net(value=lambda p: 0.1 if p.to_play == BLACK else -0.1)
    search = MCTS(pos, MCTSConfig(num_simulations=200), rng=np.random.default_rng(0))
    first = search.run(net)
    kept = int(first.visits[first.move])
    search.advance(first.move)
    assert int(search.tree.node_n[0]) == kept
    assert search.root.moves == ((BLACK, first.move),)
    again = search.run(net, num_simulations=50)
    assert again.visits.sum() == kept - 1 + 50
    assert again.simulations == 50


def test_set_root_reuses_the_tree_after_both_players_moved():
    pos = Position.empty(5)
    search = MCTS(pos, MCTSConfig(num_simulations=200), rng=np.random.default_rng(0))
    result = search.run(fake_net())
    reply = search.pv(result.move)[1]
    after = pos.play(result.move).play(reply)
    node = search.tree.child(search.tree.child(0, result.move), reply)
    child_visits = int(search.tree.node_n[node])
    search.set_root(after)
    assert search.root is after
    assert int(search.tree.node_n[0]) == child_visits > 0
    search.set_root(Position.empty(5).play(0))  # not a continuation: a fresh tree
    assert int(search.tree.node_n[0]) == 0


LEAD = """
    . X O .
    . X O .
    . X O .
    X X O .
"""  # Tromp-Taylor: Black 5 stones + 3 points, White 4 stones + 4 points: komi decides


def test_passes_to_end_a_won_game_after_the_opponent_passed():
    pos = Position.from_ascii(LEAD, komi=-0.5, to_play=WHITE).play(16)  # White passed
    assert pos.score() > 0 and pos.to_play == BLACK
    result = run_mcts(pos, fake_net(), MCTSConfig(num_simulations=100))
    assert result.move == 16
    assert result.q[16] == 1.0  # exact: two passes end the game, Tromp-Taylor says B wins


def test_does_not_pass_into_a_lost_count():
    pos = Position.from_ascii(LEAD, komi=0.5, to_play=WHITE).play(16)  # White passed, W+0.5
    assert pos.score() < 0
    result = run_mcts(pos, fake_net(), MCTSConfig(num_simulations=100))
    assert result.move != 16
    assert result.q[16] == -1.0


def test_leaves_are_batched_under_virtual_loss():
    net = fake_net()
    run_mcts(Position.empty(9), net, MCTSConfig(num_simulations=200, leaves_per_batch=16))
    assert net.calls[0] == 1  # the root alone
    assert max(net.calls) == 16
    assert sum(net.calls) <= 200


def test_illegal_moves_below_the_root_are_skipped():
    # White to play: A1 is suicide for White; the search may try it below the root but never
    # reports it, and the root never offers it.
    pos = Position.from_ascii("""
        . X . .
        X . . .
        . . . .
        . . . .
    """, to_play=WHITE)
    result = run_mcts(pos, fake_net(), MCTSConfig(num_simulations=300))
    assert result.visits[0] == 0 and result.prior[0] == 0


def test_visit_policy_is_the_self_play_target():
    visits = np.array([3, 1, 0, 4])
    np.testing.assert_allclose(visit_policy(visits, 1.0), visits / 8)
    np.testing.assert_allclose(visit_policy(visits, 0.0), [0, 0, 0, 1])
    with pytest.raises(ValueError):
        visit_policy(np.zeros(4), 1.0)


def test_bad_configs_and_bad_networks_are_reported():
    with pytest.raises(ValueError):
        MCTSConfig(num_simulations=0)
    with pytest.raises(ValueError):
        MCTSConfig(dirichlet_epsilon=2.0)

    def wrong_shape(positions):
        return np.ones((len(positions) + 1, 26), np.float32), np.zeros(len(positions))

    with pytest.raises(ValueError, match="evaluate returned"):
        run_mcts(Position.empty(5), wrong_shape, MCTSConfig(num_simulations=5))

    def wrong_size(positions):  # priors for a 4x4 board, asked about 5x5
        return np.ones((len(positions), 17), np.float32) / 17, np.zeros(len(positions))

    with pytest.raises(ValueError, match="priors of shape"):
        run_mcts(Position.empty(5), wrong_size, MCTSConfig(num_simulations=5))


def test_time_budget_stops_the_search():
    result = run_mcts(Position.empty(9), fake_net(), MCTSConfig(num_simulations=10**7),
                      time_budget_s=0.2)
    assert 0 < result.simulations < 10**7


def test_a_finished_game_is_valued_by_its_result_and_answered_with_pass():
    over = Position.from_ascii(LEAD, komi=-0.5).play(16).play(16)  # B+0.5, Black to move
    result = run_mcts(over, fake_net(value=lambda p: -0.7), MCTSConfig(num_simulations=10))
    assert result.move == 16 and result.root_value == 1.0 and result.visits.sum() == 0


def test_a_failing_network_leaves_the_tree_usable():
    pos = Position.empty(5)
    search = MCTS(pos, MCTSConfig(num_simulations=100, leaves_per_batch=8))
    search.run(fake_net())
    visits = int(search.tree.node_n[0])

    def broken(positions):
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        search.run(broken, num_simulations=50)
    assert int(search.tree.node_n[0]) == visits  # no virtual loss left behind
    again = search.run(fake_net(), num_simulations=50)  # and no stuck pending leaves
    assert again.simulations == 50 and int(search.tree.node_n[0]) == visits + 50
