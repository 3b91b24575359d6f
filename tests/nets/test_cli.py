"""Smoke test of the networks command line (rocks.nets.cli)."""

import json

import pytest

from rocks.nets.cli import main


def test_init_then_info(tmp_path, capsys):
    path = tmp_path / "random.safetensors"
    assert main(["init", str(path), "--net", "b2c16", "--seed", "3"]) == 0
    assert "b2c16" in capsys.readouterr().out
    assert main(["info", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["config"]["blocks"] == 2 and info["metadata"]["seed"] == 3


def test_a_bad_checkpoint_or_name_is_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_text("nope")
    assert main(["info", str(bad)]) == 1
    assert "corrupt or truncated" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["init", str(tmp_path / "x.safetensors"), "--net", "huge"])
