"""Specification of the policy/value network (rocks.nets.model)."""

import pytest
import torch

from rocks.go import features as F
from rocks.go.board import Position
from rocks.nets.model import (
    OFF_BOARD_LOGIT,
    NetConfig,
    PolicyValueNet,
    count_parameters,
    widen_inputs,
)

SMALL = NetConfig(blocks=2, channels=16, pool_channels=4, pool_every=2, head_channels=8,
                  value_hidden=16)


def planes(positions, pad_to=None):
    return torch.from_numpy(F.batch_planes(positions, pad_to))


def test_presets_and_names():
    b6 = NetConfig.from_name("b6c64")
    b10 = NetConfig.from_name("b10c128")
    assert (b6.blocks, b6.channels, b6.name) == (6, 64, "b6c64")
    assert (b10.blocks, b10.channels) == (10, 128)
    assert NetConfig.from_name("b3c48").pool_channels == 12
    assert NetConfig.from_name("b6c64", ownership=False).ownership is False
    assert count_parameters(PolicyValueNet(b10)) > 4 * count_parameters(PolicyValueNet(b6))
    with pytest.raises(ValueError, match="b6c64"):
        NetConfig.from_name("resnet")
    with pytest.raises(ValueError, match="pool_channels"):
        NetConfig(channels=16, pool_channels=16)
    with pytest.raises(ValueError, match="unknown NetConfig keys"):
        NetConfig.from_dict({"blocks": 2, "colour": "blue"})
    assert NetConfig.from_dict(SMALL.to_dict()) == SMALL


@pytest.mark.parametrize("size", [9, 19])
def test_outputs_have_the_documented_shapes_and_ranges(size):
    net = PolicyValueNet(SMALL).eval()
    with torch.no_grad():
        out = net(planes([Position.empty(size), Position.empty(size).play_gtp("D4")]))
    n = size * size
    assert out.policy.shape == (2, n + 1)
    assert out.value.shape == (2,) and out.value.abs().max() <= 1
    assert out.ownership.shape == (2, n) and out.ownership.abs().max() <= 1
    assert out.score.shape == (2,)
    assert torch.isfinite(out.policy).all()


def test_heads_can_be_left_out():
    net = PolicyValueNet(NetConfig(blocks=1, channels=8, pool_channels=2, head_channels=4,
                                   value_hidden=8, ownership=False, score=False)).eval()
    out = net(planes([Position.empty(5)]))
    assert out.ownership is None and out.score is None


def test_a_padded_board_gets_the_same_answers_as_the_bare_board():
    """Masking: a 7x7 position on a 9x9 canvas is evaluated exactly as on a 7x7 canvas."""
    torch.manual_seed(0)
    net = PolicyValueNet(SMALL)
    # A few training steps give the batch norms non-trivial statistics.
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    for _ in range(3):
        out = net(planes([Position.empty(7).play_gtp("D4", "C3")] * 4))
        (out.value.sum() + out.policy[:, 0].sum()).backward()
        opt.step()
        opt.zero_grad()
    net.eval()
    pos = Position.empty(7).play_gtp("D4", "C3", "E5")
    with torch.no_grad():
        bare = net(planes([pos]))
        padded = net(planes([pos], pad_to=9))
    grid = padded.policy[0, :81].reshape(9, 9)
    torch.testing.assert_close(grid[:7, :7].reshape(-1), bare.policy[0, :49], atol=1e-4, rtol=1e-4)
    assert (grid[7:, :] == OFF_BOARD_LOGIT).all() and (grid[:, 7:] == OFF_BOARD_LOGIT).all()
    torch.testing.assert_close(padded.policy[0, -1], bare.policy[0, -1], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(padded.value, bare.value, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(padded.score, bare.score, atol=1e-4, rtol=1e-4)
    own = padded.ownership[0].reshape(9, 9)
    torch.testing.assert_close(own[:7, :7].reshape(-1), bare.ownership[0], atol=1e-4, rtol=1e-4)
    assert not own[7:, :].any() and not own[:, 7:].any()


def test_every_parameter_learns_from_the_losses():
    net = PolicyValueNet(SMALL)
    out = net(planes([Position.empty(5), Position.empty(5).play_gtp("C3")]))
    loss = (torch.log_softmax(out.policy, 1)[:, 3].sum() + out.value.sum()
            + out.ownership.sum() + out.score.sum())
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_a_net_widened_to_the_ladder_planes_answers_as_before_until_it_trains():
    torch.manual_seed(0)
    net = PolicyValueNet(SMALL).eval()
    wide = widen_inputs(net, F.NUM_PLANES_LADDERS)
    assert wide.config.in_planes == 22 and not wide.training
    pos = Position.from_ascii("""
        . . . . .
        . . X . .
        . X O . .
        . . X . .
        . . . . .
    """)
    with torch.no_grad():
        before = net(planes([pos]))
        after = wide(torch.from_numpy(F.batch_planes([pos], planes=F.NUM_PLANES_LADDERS)))
    assert torch.allclose(before.policy, after.policy, atol=1e-6)
    assert torch.allclose(before.value, after.value, atol=1e-6)
    assert wide.stem.weight[:, F.NUM_PLANES:].abs().sum() == 0
    with pytest.raises(ValueError, match="narrow"):
        widen_inputs(wide, F.NUM_PLANES)
