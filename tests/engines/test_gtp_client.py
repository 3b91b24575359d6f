"""Specification of the subprocess GTP client (rocks.engines.gtp_client), with fake engines."""

from __future__ import annotations

import sys

import pytest

from rocks.engines.gtp_client import (
    GtpClient,
    GtpClientError,
    GtpCommandError,
    GtpEngineDied,
    GtpResponse,
    GtpTimeout,
)


def fake_engine(script: str) -> list[str]:
    """argv of a tiny Python GTP engine whose per-line behaviour is ``script``."""
    return [sys.executable, "-c", script]


ECHO = """
import sys
for line in sys.stdin:
    ident, _, cmd = line.strip().partition(" ")
    if cmd == "quit":
        print(f"={ident}\\n", flush=True); break
    if cmd.startswith("fail"):
        print(f"?{ident} nope\\n", flush=True)
    elif cmd.startswith("multi"):
        print(f"={ident} first\\nsecond\\n", flush=True)
    elif cmd.startswith("die"):
        sys.stderr.write("fatal: out of cheese\\n"); sys.exit(3)
    elif cmd.startswith("hang"):
        import time; time.sleep(30)
    elif cmd.startswith("wrongid"):
        print("=999 x\\n", flush=True)
    elif cmd.startswith("junk"):
        print("hello\\n", flush=True)
    else:
        print(f"={ident} {cmd}\\n", flush=True)
"""


def test_send_returns_the_response_text():
    with GtpClient(fake_engine(ECHO), name="echo") as c:
        assert c.send("hello world") == "hello world"
        assert c.send("multi") == "first\nsecond"
        assert c.send_many(["a", "fail", "b"]) == [
            GtpResponse(True, "a"), GtpResponse(False, "nope"), GtpResponse(True, "b")]
        with pytest.raises(GtpCommandError, match="echo: 'fail now' failed: nope"):
            c.send("fail now")
        assert c.send("still alive") == "still alive"


def test_a_dying_engine_gives_a_clear_error_with_its_stderr():
    c = GtpClient(fake_engine(ECHO), name="echo")
    with pytest.raises(GtpEngineDied, match="(?s)exited while answering 'die'.*exit code 3.*"
                                            "out of cheese"):
        c.send("die")
    with pytest.raises(GtpEngineDied, match="not running"):
        c.send("hello")
    c.close()


def test_a_hanging_engine_times_out_and_is_killed():
    c = GtpClient(fake_engine(ECHO), name="echo", timeout_s=10)
    with pytest.raises(GtpTimeout, match="no answer to 'hang' within 0.3 s; engine killed"):
        c.send("hang", timeout_s=0.3)
    assert not c.alive
    with pytest.raises(GtpEngineDied, match="timed out"):
        c.send("hello")
    c.close()


def test_out_of_step_and_malformed_responses_are_errors():
    with GtpClient(fake_engine(ECHO), name="echo") as c, \
            pytest.raises(GtpClientError, match="out of step"):
        c.send("wrongid")
    with GtpClient(fake_engine(ECHO), name="echo") as c, \
            pytest.raises(GtpClientError, match="malformed response"):
        c.send("junk")


def test_commands_must_be_single_lines():
    with GtpClient(fake_engine(ECHO)) as c, \
            pytest.raises(ValueError, match="one non-empty line"):
        c.send("play b c3\nquit")


def test_a_missing_program_cannot_start():
    with pytest.raises(GtpEngineDied, match="cannot start"):
        GtpClient(["/nonexistent/engine"])



def test_an_engine_gets_the_environment_variables_it_is_given(monkeypatch):
    monkeypatch.setenv("ROCKS_TEST_INHERITED", "kept")
    script = ("import os, sys\n"
              "for line in sys.stdin:\n"
              "    ident, _, cmd = line.strip().partition(' ')\n"
              "    print(f'={ident} ' + os.environ.get(cmd, '-') + '\\n', flush=True)\n"
              "    if cmd == 'quit':\n"
              "        break\n")
    with GtpClient(fake_engine(script), env={"DATA_DIR": "/data/pachi"}) as c:
        assert c.send("DATA_DIR") == "/data/pachi"
        assert c.send("ROCKS_TEST_INHERITED") == "kept"  # added to, not replacing, ours
