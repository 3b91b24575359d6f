"""Specification of the engines' command lines (rocks.engines.commands)."""

from __future__ import annotations

import os
import stat

import pytest

from rocks.engines.commands import EngineNotFound, gnugo_command, pachi_command


def test_gnugo_command_line():
    argv = gnugo_command(level=3, suicide=True, path="/x/gnugo", seed=5)
    assert argv == ["/x/gnugo", "--mode", "gtp", "--chinese-rules", "--positional-superko",
                    "--allow-all-suicide", "--level", "3", "--capture-all-dead", "--seed", "5"]
    assert "--forbid-suicide" in gnugo_command(path="/x/gnugo")


def fake_binary(folder, name="pachi"):
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_pachi_plays_fixed_playouts_quietly_with_a_seed_and_its_data_dir(tmp_path):
    binary = fake_binary(tmp_path)
    cmd = pachi_command(binary, playouts=1000, threads=2, seed=7)
    assert cmd.argv == (str(binary.resolve()), "-D", "-d", "0", "-s", "7", "-t", "=1000",
                        "threads=2")
    assert dict(cmd.env) == {"DATA_DIR": str(tmp_path.resolve())}  # where make leaves patterns
    assert "{seed}" in pachi_command(binary).argv  # an arena gives every game its own seed
    assert dict(pachi_command(binary, data_dir="/data").env) == {"DATA_DIR": "/data"}


def test_a_missing_or_unrunnable_pachi_is_refused_with_the_build_recipe(tmp_path):
    with pytest.raises(EngineNotFound, match="not an executable file.*--pachi PATH"):
        pachi_command(tmp_path / "nowhere")
    plain = tmp_path / "pachi"
    plain.write_text("not a program")
    os.chmod(plain, 0o644)
    with pytest.raises(EngineNotFound, match="guide.md"):
        pachi_command(plain)
    with pytest.raises(ValueError, match="at least 1"):
        pachi_command(fake_binary(tmp_path, "pachi2"), playouts=0)
