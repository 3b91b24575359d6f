"""Specification of rocks.userfiles: a user's file is read only if it is a regular file under the
cap, and a path that never ends or never answers is refused at once."""

from __future__ import annotations

import os
import threading

import pytest

from rocks.userfiles import UserFileError, read_user_file


def read_within(seconds: float, *args, **kwargs):
    """read_user_file(...) in a thread; fails the test if it has not returned in time."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = read_user_file(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "read_user_file blocked"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_a_regular_file_under_the_cap_is_read_whole(tmp_path):
    path = tmp_path / "game.sgf"
    path.write_bytes(b"(;SZ[9])")
    assert read_user_file(path, max_bytes=8) == b"(;SZ[9])"  # exactly the cap is fine
    link = tmp_path / "latest.sgf"
    link.symlink_to(path)
    assert read_user_file(link, max_bytes=100) == b"(;SZ[9])"


def test_a_file_over_the_cap_is_refused_by_its_size(tmp_path):
    path = tmp_path / "huge.sgf"
    with path.open("wb") as f:
        f.truncate(10 * 2**30)  # 10 GiB, sparse: nothing must read it
    with pytest.raises(UserFileError, match=r"SGF file .*huge.sgf is 10,737,418,240 bytes, "
                                            r"more than the 1,000 accepted"):
        read_user_file(path, max_bytes=1000, what="SGF file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_that_never_end_are_refused_at_once(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    with pytest.raises(UserFileError, match="character device, not a regular file"):
        read_within(5.0, device, max_bytes=1 << 20)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UserFileError, match=r"FIFO \(named pipe\), not a regular file"):
        read_within(5.0, fifo, max_bytes=100)


def test_a_directory_a_missing_file_and_a_link_to_a_device_are_refused(tmp_path):
    with pytest.raises(UserFileError, match="a directory"):
        read_user_file(tmp_path, max_bytes=100)
    with pytest.raises(UserFileError, match="cannot read .*nothing-here"):
        read_user_file(tmp_path / "nothing-here", max_bytes=100)
    link = tmp_path / "innocent.sgf"
    link.symlink_to("/dev/zero")
    with pytest.raises(UserFileError, match="character device"):
        read_within(5.0, link, max_bytes=100)


def test_a_file_longer_than_its_size_says_is_cut_off_at_the_cap():
    status = "/proc/self/status"  # a pseudo-file: size 0, about a kilobyte of text
    if not os.path.exists(status) or os.stat(status).st_size != 0:
        pytest.skip("no /proc pseudo-files here")
    assert read_user_file(status, max_bytes=1 << 20).startswith(b"Name:")
    with pytest.raises(UserFileError, match="holds more than the 16 bytes accepted"):
        read_user_file(status, max_bytes=16)


def test_the_error_is_a_value_error():
    assert issubclass(UserFileError, ValueError)  # callers that refuse bad input catch it
