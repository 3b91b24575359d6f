"""Specification of the one player factory (rocks.play.players: PlayerSpec -> make_player) and of
the front ends that describe their players with it (rocks gtp, rocks play, the arena)."""

from __future__ import annotations

import os
from typing import get_args

import pytest

from rocks.configcli import config_from_args
from rocks.go.board import BLACK, WHITE, Position
from rocks.play.cli import gtp_parser
from rocks.play.engine import Engine, EngineConfig
from rocks.play.gtp.command import GtpConfig, gtp_argv
from rocks.play.mcts_player import MCTSPlayerConfig
from rocks.play.players import (
    PassPlayer,
    PlayerSpec,
    RandomPlayer,
    bundled_model,
    default_threads,
    make_player,
    resolve_model,
)
from rocks.play.web.server import Strength, WebConfig


def test_the_simple_kinds_are_the_simple_players():
    assert isinstance(make_player(PlayerSpec(kind="random", seed=3)), RandomPlayer)
    assert isinstance(make_player(PlayerSpec(kind="pass")), PassPlayer)
    pos = Position.empty(9)
    a = make_player(PlayerSpec(kind="random", seed=3)).select_move(pos, 0.0).move
    b = make_player(PlayerSpec(kind="random", seed=3)).select_move(pos, 0.0).move
    assert a == b  # the seed travels


@pytest.mark.parametrize("bad, words", [
    (dict(kind="gumbo"), "kind"), (dict(precision="fp8"), "precision"),
    (dict(symmetries="some"), "symmetries"), (dict(visits=0), "visits"),
    (dict(move_time_s=0.0), "move_time_s"), (dict(c_puct=-1.0), "c_puct"),
    (dict(threads=0), "threads"), (dict(value_model="v.pt"), "value_model"),
    (dict(kind="random", model="m.pt", value_model="v.pt"), "value_model"),
    (dict(resign_threshold=1.0), "resign_threshold"),
    (dict(resign_threshold=-1.5), "resign_threshold")])
def test_a_bad_spec_is_refused_when_it_is_written(bad, words):
    with pytest.raises(ValueError, match=words):
        PlayerSpec(**bad)


def test_a_missing_model_is_a_value_error_that_names_it(tmp_path):
    with pytest.raises(ValueError, match="nonexistent"):
        make_player(PlayerSpec(model=str(tmp_path / "nonexistent.ckpt")))


def test_c_puct_reaches_the_search():
    player = make_player(PlayerSpec(visits=8, c_puct=3.25, seed=0))
    assert player.cfg.search.c_puct == 3.25 and player.name == "mcts-rollouts"


def test_model_words_bundled_and_none():
    assert resolve_model("none") is None
    assert resolve_model("nets/x.pt") == "nets/x.pt"
    assert resolve_model("bundled") == bundled_model()
    assert resolve_model("bundled", wanted=False) is None


def gtp_config(*argv: str) -> GtpConfig:
    return config_from_args(GtpConfig, gtp_parser().parse_args(list(argv)))


def test_rocks_gtp_flags_describe_the_player():
    assert gtp_config("--player", "random", "--seed", "4").player_spec() == PlayerSpec(
        kind="random", seed=4, visits=None)
    assert gtp_config("--player", "mcts", "--model", "none", "--visits", "50").player_spec() \
        == PlayerSpec(visits=50)  # the search over rollouts
    assert gtp_config("--model", "none").player_spec().kind == "random"  # nothing to search
    spec = gtp_config("--model", "m.pt", "--player", "random").player_spec()
    assert spec.kind == "mcts" and spec.model == "m.pt"  # a model implies the search
    auto = gtp_config().player_spec()
    assert auto.kind == ("mcts" if bundled_model() else "random")
    assert auto.model == bundled_model()


@pytest.mark.parametrize("spec", [
    PlayerSpec(kind="random"), PlayerSpec(kind="pass"), PlayerSpec(visits=None),
    PlayerSpec(model="nets/b6.pt", visits=400, precision="fp32", symmetries="none",
               c_puct=2.0, threads=2, device="cpu", seed=9),
    PlayerSpec(model="nets/sl.pt", value_model="nets/rl.pt", visits=200),
    PlayerSpec(model="nets/b6.pt", visits=800, resign_threshold=-1.0)])
def test_a_spec_travels_as_a_rocks_gtp_command_line_and_back(spec):
    argv = gtp_argv(spec)
    assert argv[1:4] == ["-m", "rocks.cli", "gtp"]
    back = gtp_config(*argv[4:]).player_spec()
    assert back == spec if spec.kind == "mcts" else back.kind == spec.kind


def test_the_resignation_threshold_reaches_the_search_player():
    never = make_player(PlayerSpec(visits=10, resign_threshold=-1.0, seed=0))
    assert never.cfg.resign_threshold == -1.0
    assert make_player(PlayerSpec(visits=10, seed=0)).cfg.resign_threshold == \
        MCTSPlayerConfig().resign_threshold  # None keeps the player's default
    assert gtp_config("--resign-threshold", "-1").player_spec().resign_threshold == -1.0


def test_the_web_page_describes_each_games_bot_by_its_strength():
    config = WebConfig(model="none")
    assert config.player_spec(Strength(visits=64)) == PlayerSpec(visits=64)
    assert config.player_spec(Strength(visits=64, seconds=2.0)).visits is None  # time decides
    assert WebConfig(player="random").player_spec(Strength(10)).kind == "random"


def test_without_a_model_it_plays_a_whole_game_by_rollouts():
    engine = Engine(EngineConfig(size=5, komi=0.5), make_player(PlayerSpec(visits=40, seed=1)))
    opponent = RandomPlayer(seed=2)
    for _ in range(60):
        if engine.is_game_over():
            break
        if engine.position.to_play == BLACK:
            if engine.genmove(BLACK).resign:
                break
        else:
            engine.play(WHITE, opponent.select_move(engine.position).move)
    assert len(engine.position.moves) > 4




def test_with_a_checkpoint_it_searches_with_the_network(tmp_path):
    from rocks.nets.checkpoint import init_checkpoint

    path = init_checkpoint(tmp_path / "b6c64.ckpt", "b6c64", seed=0)
    player = make_player(PlayerSpec(model=str(path), visits=24, seed=0))
    d = player.select_move(Position.empty(9), time_budget_s=30.0)
    assert Position.empty(9).is_legal(d.move) and d.visits >= 23
    assert d.candidates[0].prior > 0




def test_a_value_model_backs_up_its_values_under_the_first_models_priors(tmp_path):
    from rocks.nets.checkpoint import init_checkpoint

    policy = init_checkpoint(tmp_path / "sl.ckpt", "b6c64", seed=0)
    value = init_checkpoint(tmp_path / "rl.ckpt", "b6c64", seed=1)
    pos = Position.empty(9).play_gtp("E5")
    kw = dict(visits=16, seed=0, precision="fp32", symmetries="none", threads=1)
    split = make_player(PlayerSpec(model=str(policy), value_model=str(value), **kw))
    sl = make_player(PlayerSpec(model=str(policy), **kw))
    rl = make_player(PlayerSpec(model=str(value), **kw))
    ev, ev_sl, ev_rl = (p.evaluate([pos]) for p in (split, sl, rl))
    assert (ev.priors == ev_sl.priors).all() and (ev.values == ev_rl.values).all()
    assert ev_sl.values[0] != ev_rl.values[0]  # two different nets: the test can tell
    assert pos.is_legal(split.select_move(pos, time_budget_s=30.0).move)


def test_precision_picks_the_evaluator_arithmetic_and_bf16_still_plays_legal_moves(tmp_path):
    from rocks.nets.checkpoint import init_checkpoint

    path = init_checkpoint(tmp_path / "b6c64.ckpt", "b6c64", seed=0)
    fast = make_player(PlayerSpec(model=str(path), visits=32, seed=0, precision="bf16"))
    exact = make_player(PlayerSpec(model=str(path), visits=32, seed=0, precision="fp32"))
    assert fast.evaluate.use_bf16 and fast.evaluate.channels_last
    assert fast.evaluate.symmetries == "random"  # by default: varied games, averaged quirks
    assert not exact.evaluate.use_bf16
    pos = Position.empty(9)
    assert pos.is_legal(fast.select_move(pos, 30.0).move)




def test_auto_precision_searches_in_the_fastest_mode_that_keeps_97_percent_of_the_moves():
    from rocks.nets.checkpoint import load_checkpoint
    from rocks.nets.evaluator import START_UP_MODES, precision_check, sample_positions

    model = bundled_model()
    if model is None:
        pytest.skip("no bundled model")
    player = make_player(PlayerSpec(model=model, visits=8, threads=1))
    mode = player.evaluate.mode
    assert mode in START_UP_MODES
    net, _ = load_checkpoint(model)
    assert precision_check(net, sample_positions(256, 9), mode=mode).acceptable()


def test_threads_and_device_reach_the_search_and_the_network(tmp_path):
    from rocks.nets.checkpoint import init_checkpoint

    path = init_checkpoint(tmp_path / "b6c64.ckpt", "b6c64", seed=0)
    player = make_player(PlayerSpec(model=str(path), visits=40, precision="fp32", threads=2,
                                    device="cpu"))
    assert player.cfg.threads == 2 and player.evaluate.device.type == "cpu"
    d = player.select_move(Position.empty(9), 30.0)
    assert Position.empty(9).is_legal(d.move) and d.visits >= 40
    default = make_player(PlayerSpec(model=str(path), visits=8, precision="fp32"))
    assert default.cfg.threads == default_threads() == min(len(os.sched_getaffinity(0)), 4)
    rollouts = make_player(PlayerSpec(visits=8, threads=2))  # playouts hold the GIL: 1 thread
    assert rollouts.cfg.threads == 1


def test_the_spec_names_the_devices_the_network_layer_knows():
    from rocks.devices import DEVICE_NAMES
    from rocks.play.players import Device

    assert get_args(Device) == DEVICE_NAMES
    with pytest.raises(ValueError, match="device"):
        PlayerSpec(device="tpu")
    spec = gtp_config("--threads", "3", "--device", "cpu").player_spec()
    assert (spec.threads, spec.device) == (3, "cpu")
