"""rocks.atomic: a reader sees the old file or the new one, never half, and nothing is left over."""

import json
import os
import stat
from pathlib import Path

import pytest

from rocks import atomic


def leftovers(folder: Path, target: str) -> list[str]:
    """Anything in ``folder`` besides ``target``: a temporary file that was not cleaned up."""
    return sorted(p.name for p in folder.iterdir() if p.name != target)


def test_writes_text_bytes_and_json(tmp_path):
    assert atomic.write_text(tmp_path / "a.txt", "héllo\n") == tmp_path / "a.txt"
    assert (tmp_path / "a.txt").read_bytes() == "héllo\n".encode()
    atomic.write_bytes(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    atomic.write_json(tmp_path / "c.json", {"x": [1, 2], "when": Path("p")})
    text = (tmp_path / "c.json").read_text()
    assert text.endswith("}\n") and json.loads(text) == {"x": [1, 2], "when": "p"}
    assert leftovers(tmp_path, "") == ["a.txt", "b.bin", "c.json"]


def test_replaces_an_existing_file_and_creates_missing_parent_folders(tmp_path):
    target = tmp_path / "deep" / "er" / "f.txt"
    atomic.write_text(target, "one")
    atomic.write_text(target, "two")
    assert target.read_text() == "two"
    assert leftovers(target.parent, "f.txt") == []


def test_a_writer_failing_midway_leaves_the_old_content_and_no_temporary_file(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def half_then_fail(f):
        f.write(b"new but only ha")
        f.flush()
        assert target.read_text() == "old"  # until the move, readers see the old file
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic.write_with(target, half_then_fail)
    assert target.read_text() == "old"
    assert leftovers(tmp_path, "f.txt") == []


@pytest.mark.parametrize("step", ["fsync", "replace", "chmod"])
def test_a_failing_flush_move_or_chmod_leaves_the_old_content_and_no_temporary_file(
        tmp_path, monkeypatch, step):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def fail(*args, **kwargs):
        raise OSError(f"{step} failed")

    monkeypatch.setattr(atomic.os, step, fail)
    with pytest.raises(OSError, match=f"{step} failed"):
        atomic.write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert leftovers(tmp_path, "f.txt") == []


def test_an_interrupt_mid_write_is_cleaned_up_too(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def interrupted(f):
        f.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_with(target, interrupted)
    assert target.read_text() == "old" and leftovers(tmp_path, "f.txt") == []


def test_the_temporary_file_is_a_hidden_sibling_with_the_callers_suffix(tmp_path, monkeypatch):
    # Same folder, so os.replace never crosses file systems (which would not be atomic).
    moves = []
    real_replace = os.replace

    def spy(src, dst):
        moves.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    seen = []
    atomic.replace_with(tmp_path / "plot.png", lambda tmp: (seen.append(tmp),
                                                           Path(tmp).write_bytes(b"png")),
                        suffix=".png")
    (src, dst), = moves
    assert dst == tmp_path / "plot.png" and src == Path(seen[0])
    assert src.parent == tmp_path and src.name.startswith(".plot.png.") and src.suffix == ".png"
    assert dst.read_bytes() == b"png" and not src.exists()


def test_written_files_are_readable_by_everyone_whatever_the_umask(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    target.chmod(0o600)
    old_umask = os.umask(0o077)
    try:
        atomic.write_text(target, "new")
        atomic.write_text(tmp_path / "g.txt", "new")
    finally:
        os.umask(old_umask)
    for path in (target, tmp_path / "g.txt"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_missing_parent_that_cannot_be_created_raises_and_writes_nothing(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OSError):
        atomic.write_text(tmp_path / "file" / "f.txt", "x")
    assert leftovers(tmp_path, "file") == []
