"""Smoke test of ``rocks play``: it serves the page and the API, and refuses bad options."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from rocks.play.cli import play_main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rocks_play_serves_the_board_until_stopped():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rocks.cli", "play", "--no-browser",
                             "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        # Start-up loads the model, times the inference modes (rocks.nets.evaluator.
        # fastest_settings) and warms the search up: seconds when quiet, a minute under load.
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"{url}/api/health", timeout=2).json()
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "rocks play did not start in 120 s"
                time.sleep(0.2)
        assert health == {"ok": True, "games": 0}
        assert 'id="board"' in httpx.get(url + "/", timeout=5).text
        game = httpx.post(f"{url}/api/games", json={"colour": "white"}, timeout=5).json()
        state = httpx.post(f"{url}/api/games/{game['id']}/genmove", timeout=30).json()
        assert state["move_number"] == 1 and not state["bot_to_move"]
        # The default bot searches (over rollouts without a model), so it explains its move.
        analysis = state["analysis"]
        assert 0 <= analysis["winrate"] <= 1 and analysis["pv"][0] == analysis["move"]
        assert analysis["candidates"] and analysis["visits"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("argv", [["--port", "0"], ["--visits", "0"], ["--bogus"]])
def test_bad_options_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        play_main(argv)
    assert exc.value.code == 2


def test_a_model_that_cannot_be_loaded_is_a_clear_error(capsys, tmp_path):
    assert play_main(["--no-browser", "--model", str(tmp_path / "net.pt")]) == 2
    assert "net.pt" in capsys.readouterr().err
