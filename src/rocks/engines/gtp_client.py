"""A GTP v2 client: drive another Go engine (GNU Go, ``rocks gtp``, Pachi) as a subprocess.

The command lines that start those engines are in :mod:`rocks.engines.commands`.

Follows the GTP draft 2 specification (Gustafsson & Farnebäck) from the controller's side:
commands carry increasing numeric ids, responses are read up to their closing blank line and
their ids checked, so a response can never be matched to the wrong command.  gomill (the usual
Python controller) is Python 2 only, so this is our own.

Failures are typed, and the message says what happened and shows the engine's last stderr:
  - :class:`GtpCommandError`: the engine answered ``? message`` (it is still usable);
  - :class:`GtpTimeout`: no answer in time; the engine is killed, since the conversation can no
    longer be trusted to be in step;
  - :class:`GtpEngineDied`: the engine exited or closed its output.

Departures, numbered:
  1. ``send_many`` writes a batch of commands before reading any response (GTP allows this;
     GNU Go and rocks answer in order), which saves a round trip per command in the cross-check.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class GtpClientError(RuntimeError):
    """Something went wrong talking to a GTP engine."""


class GtpCommandError(GtpClientError):
    """The engine answered a command with ``? message``."""

    def __init__(self, command: str, message: str, engine: str) -> None:
        super().__init__(f"{engine}: {command!r} failed: {message}")
        self.command = command
        self.message = message


class GtpTimeout(GtpClientError):
    """The engine did not answer in time (it has been killed)."""


class GtpEngineDied(GtpClientError):
    """The engine exited or closed its output."""


@dataclass(frozen=True)
class GtpResponse:
    """One response: ``ok`` for ``=``, ``text`` without the ``=``/``?``, id and final blank line."""

    ok: bool
    text: str


class GtpClient:
    """A GTP engine in a subprocess.  Use as a context manager, or call :meth:`close`.

    ``env`` adds variables to the child's copy of this process's environment (Pachi reads its
    pattern files from ``DATA_DIR``).
    """

    def __init__(self, argv: Sequence[str], name: str | None = None, timeout_s: float = 30.0,
                 cwd: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.name = name or os.path.basename(self.argv[0])
        self.timeout_s = timeout_s
        self._next_id = 1
        self._dead: str | None = None
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, bufsize=1, cwd=cwd, encoding="utf-8", errors="replace",
                env=None if env is None else {**os.environ, **env})
        except OSError as exc:
            raise GtpEngineDied(f"{self.name}: cannot start {self.argv}: {exc}") from None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=40)
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines.put, True),
                             daemon=True),
            threading.Thread(target=self._pump,
                             args=(self.proc.stderr, self._stderr.append, False), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, put, mark_end: bool) -> None:
        # Reading in threads lets us time out; draining stderr keeps the engine from blocking
        # on a full pipe.
        try:
            for line in stream:
                put(line)
        except (OSError, ValueError):
            pass
        if mark_end:
            put(None)  # end of output: the engine has gone

    # ----------------------------------------------------------------- conversation
    def stderr_tail(self, lines: int = 10) -> str:
        return "".join(list(self._stderr)[-lines:]).rstrip()

    def _died(self, what: str) -> GtpEngineDied:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=1.0)
        code = self.proc.poll()
        if code is not None:  # the stderr reader may lag behind the exit on a busy machine
            self._threads[1].join(timeout=1.0)
        self._dead = f"{what} (exit code {code})"
        tail = self.stderr_tail()
        return GtpEngineDied(f"{self.name}: {self._dead}" + (f"; stderr:\n{tail}" if tail else ""))

    def _write(self, text: str) -> None:
        if self._dead:
            raise GtpEngineDied(f"{self.name}: engine is not running: {self._dead}")
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._died("engine closed its input") from None

    def _read(self, ident: int, command: str, deadline: float, timeout_s: float) -> GtpResponse:
        lines: list[str] = []
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.0))
            except queue.Empty:
                self.kill()
                self._dead = f"timed out on {command!r}"
                raise GtpTimeout(f"{self.name}: no answer to {command!r} within {timeout_s:g} s; "
                                 "engine killed") from None
            if line is None:
                raise self._died(f"engine exited while answering {command!r}")
            line = line.rstrip("\r\n")
            if not lines and not line.strip():
                continue  # stray blank lines between responses
            if line.strip() == "" and lines:
                break
            lines.append(line)
        head, rest = lines[0], lines[1:]
        if head[:1] not in ("=", "?"):
            raise GtpClientError(f"{self.name}: malformed response to {command!r}: {head!r}")
        ok = head[0] == "="
        body = head[1:]
        digits = len(body) - len(body.lstrip("0123456789"))
        got_id, body = body[:digits], body[digits:]
        if got_id and int(got_id) != ident:
            raise GtpClientError(f"{self.name}: response id {got_id} for command id {ident} "
                                 f"({command!r}): the conversation is out of step")
        text = "\n".join([body.strip()] + rest) if rest else body.strip()
        return GtpResponse(ok, text)

    def send_many(self, commands: Sequence[str], timeout_s: float | None = None,
                  ) -> list[GtpResponse]:
        """Send a batch of commands, then read their responses in order (departure 1)."""
        if not commands:
            return []
        first = self._next_id
        self._next_id += len(commands)
        for c in commands:
            if "\n" in c or not c.strip():
                raise ValueError(f"a GTP command is one non-empty line, got {c!r}")
        self._write("".join(f"{first + i} {c}\n" for i, c in enumerate(commands)))
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        return [self._read(first + i, c, deadline, timeout_s) for i, c in enumerate(commands)]

    def send(self, command: str, timeout_s: float | None = None) -> str:
        """The text of a successful response; GtpCommandError for ``? message``."""
        (response,) = self.send_many([command], timeout_s)
        if not response.ok:
            raise GtpCommandError(command, response.text, self.name)
        return response.text

    def known_command(self, name: str) -> bool:
        return self.send(f"known_command {name}") == "true"

    # ----------------------------------------------------------------- lifetime
    @property
    def alive(self) -> bool:
        return self._dead is None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5.0)

    def close(self, timeout_s: float = 5.0) -> None:
        """Say ``quit`` and wait; kill the engine if it does not leave in time."""
        if self.alive:
            with contextlib.suppress(GtpClientError):
                self.send("quit", timeout_s=timeout_s)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
        self._dead = self._dead or "closed"
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()

    def __enter__(self) -> GtpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
