"""A sandbox for model-written Python: a separate process with hard limits and no network.

R1-Zero-style training on code (e.g. DeepSeek-R1 §2.2.2's "compiler feedback", DeepCoder,
Open-R1's E2B/Piston runners) executes sampled programs against unit tests; the programs are
untrusted and sometimes hostile by accident (infinite loops, fork bombs, memory blow-ups).
``run_python(code, ...)`` runs one program and returns a ``SandboxResult``; it never raises on
what the program does.  Layers, outermost first (``SandboxResult.layers`` says which were on):

* ``bwrap``: Debian ``bubblewrap`` with ``--unshare-all`` (no network, own PID namespace so the
  whole tree dies with it), a read-only ``/usr``, an empty ``/tmp``, and the throw-away working
  directory as the only writable place;
* ``netns``: without bubblewrap but as root, ``unshare --net`` (an empty network namespace);
* ``uid``: as root, the program runs as a fresh unprivileged uid/gid (no supplementary groups),
  so RLIMIT_NPROC is enforced (the kernel exempts root) and it cannot touch root's files,
  read other processes' environments, or signal anything but itself; at the end every process
  of that uid is killed with one ``kill(-1)``;
* ``rlimits`` (always): RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC, RLIMIT_FSIZE (which also caps
  stdout/stderr: they go to files), RLIMIT_NOFILE, RLIMIT_CORE = 0, set by a trusted runner
  before the program's first line;
* ``audit`` (defence in depth): a ``sys.addaudithook`` hook in that runner refusing sockets,
  subprocesses, ``fork``/``exec``, ``ctypes`` and writes outside the working directory;
* always: a wall-clock timeout that kills the process group, a scrubbed environment (no
  variable of the host is inherited), and ``python -I -S`` (no site-packages, no PYTHON* vars).

Fail closed: untrusted code runs only inside bubblewrap.  Without it the file system is shared,
and probing with hostile programs showed what the other layers miss: a program read
world-readable host files (the project's own source), and wrote to the host's ``/tmp`` by
starting a process through ``_posixsubprocess.fork_exec``, which raises no audit event (a
Python-level hook is not a security boundary).  So when bubblewrap is missing ``run_python``
raises ``SandboxUnavailable`` (with the install command, ``apt-get install bubblewrap``) unless
the caller accepts that loss: ``SandboxConfig(allow_weak_sandbox=True)``.  The opt-in is
configuration passed down, never process state: ``rocks reason ... --unsafe-no-bubblewrap``
sets ``RewardWeights.allow_weak_sandbox``, which ``rewards.score`` hands to the task family's
``verify``, which puts it into the ``SandboxConfig`` of its run.

Departures (from the hosted sandboxes those papers used):
1. Local processes instead of a remote service; isolation is as strong as the layers that were
   available, and each result says which.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SANDBOX_DIR = "/sandbox"  # where the working directory appears inside bubblewrap
_UID_RANGE = (1_000_000, 2_000_000_000)  # fresh uids, far from any real account
INSTALL_BWRAP = "apt-get install bubblewrap"


class SandboxUnavailable(RuntimeError):
    """Bubblewrap is not available and the caller did not accept the weaker fallback layers."""


@dataclass(frozen=True)
class SandboxConfig:
    """Limits for one run.

    Attributes:
        cpu_seconds: RLIMIT_CPU (the program is killed after it, +1 s hard).
        wall_seconds: wall-clock limit; the whole process group is then killed.
        memory_bytes: RLIMIT_AS (address space; Python itself needs ~30 MB).
        max_processes: RLIMIT_NPROC (processes of the sandbox uid, the program included).
        max_output_bytes: RLIMIT_FSIZE: caps stdout, stderr and any file the program writes.
        max_open_files: RLIMIT_NOFILE.
        python: interpreter for the program; None = /usr/bin/python3 when present (readable by
            an unprivileged uid, unlike a venv under /root), else this interpreter.
        use_bwrap, switch_user, audit_hook: turn a layer off (tests of the other layers);
            ``use_bwrap=False`` needs ``allow_weak_sandbox``.
        allow_weak_sandbox: run without bubblewrap (when it is missing or ``use_bwrap`` is
            off) on the fallback layers only, which share the host's file system: the program
            can then read world-readable host files and write world-writable places such as
            ``/tmp``.  False (the default) raises ``SandboxUnavailable`` instead.
        tmp_root: where working directories are made (None = the system temp directory); with
            the uid layer it must be traversable by other users (like /tmp).
    """

    cpu_seconds: float = 2.0
    wall_seconds: float = 5.0
    memory_bytes: int = 512 * 2**20
    max_processes: int = 16
    max_output_bytes: int = 64 * 2**10
    max_open_files: int = 64
    python: str | None = None
    use_bwrap: bool = True
    switch_user: bool = True
    audit_hook: bool = True
    allow_weak_sandbox: bool = False
    tmp_root: str | None = None

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "wall_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("memory_bytes", "max_processes", "max_output_bytes", "max_open_files"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an int >= 1, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class SandboxResult:
    """What one run did.

    Attributes:
        ok: exited with status 0, within every limit.
        returncode: the exit status (negative: killed by that signal), None if never started.
        stdout, stderr: decoded output, at most ``max_output_bytes`` each.
        failure: None when ok, else one of "timeout", "cpu", "memory", "output", "signal",
            "exit", "start".
        layers: the isolation layers that were active (see module docstring).
        wall_seconds: how long the run took.
    """

    ok: bool
    returncode: int | None
    stdout: str
    stderr: str
    failure: str | None
    layers: tuple[str, ...]
    wall_seconds: float


# The trusted first code in the child: limits, then the audit hook, then the program.  It reads
# its settings from argv so that nothing of the host's state leaks in.
_RUNNER = r"""
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
for name, (soft, hard) in cfg["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
if cfg["audit"]:
    work = os.path.realpath(os.getcwd())
    blocked = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
               "os.fork", "os.forkpty", "pty.", "ctypes.", "os.kill", "os.killpg")
    paths = {"os.remove": 0, "os.rename": 0, "os.rmdir": 0, "os.mkdir": 0, "os.symlink": 1,
             "os.link": 1, "os.truncate": 0, "os.chmod": 0, "os.chown": 0, "shutil.rmtree": 0}
    realpath, isinstance_, str_, bytes_ = os.path.realpath, isinstance, str, bytes
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    def inside(p):
        if isinstance_(p, int):
            return True
        if isinstance_(p, bytes_):
            p = p.decode("utf-8", "replace")
        if not isinstance_(p, str_):
            p = str_(p)
        r = realpath(p)
        return r == work or r.startswith(work + "/")
    def hook(event, args):
        if event.startswith(blocked) and event != "socket.gethostname":
            raise PermissionError("sandbox: " + event + " is not allowed")
        if event == "open":
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else 0
            writing = (isinstance_(mode, str_) and any(c in mode for c in "wax+")) or (
                isinstance_(flags, int) and flags & write_flags
            )
            if writing and not inside(args[0]):
                raise PermissionError("sandbox: writing outside the working directory")
        elif event in paths and args and not inside(args[paths[event]]):
            raise PermissionError("sandbox: " + event + " outside the working directory")
    sys.addaudithook(hook)
del cfg
sys.argv = ["main.py"]
sys.path.insert(0, os.getcwd())  # like `python main.py`: the working directory is importable
with open("main.py", encoding="utf-8") as f:
    source = f.read()
exec(compile(source, "main.py", "exec"), {"__name__": "__main__", "__file__": "main.py"})
"""


@lru_cache(maxsize=1)
def bwrap_path() -> str | None:
    """The bubblewrap binary if it is installed and works here (probed once)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = subprocess.run(
        [path, "--unshare-all", "--ro-bind", "/", "/", "true"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    return path if probe.returncode == 0 else None


def _outer_layer(config: SandboxConfig) -> str | None:
    """The bubblewrap binary to run inside, None for the weak fallback (only when allowed)."""
    bwrap = bwrap_path() if config.use_bwrap else None
    if bwrap is not None:
        return bwrap
    if config.allow_weak_sandbox:
        return None
    why = ("use_bwrap is off" if not config.use_bwrap else
           "bubblewrap (bwrap) is not installed, or cannot create namespaces here")
    raise SandboxUnavailable(
        f"refusing to run untrusted code: {why}.  Without bubblewrap a sandboxed program can read "
        f"the host's files and write to its /tmp.  Install it ({INSTALL_BWRAP}), or accept that "
        "loss with SandboxConfig(allow_weak_sandbox=True), RewardWeights(allow_weak_sandbox=True), "
        "or --unsafe-no-bubblewrap on a `rocks reason` command."
    )


def _python(config: SandboxConfig) -> str:
    if config.python is not None:
        return config.python
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def _bwrap_args(bwrap: str, workdir: str, python: str) -> list[str]:
    args = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for etc in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(etc):
            args += ["--ro-bind", etc, etc]
    prefix = os.path.realpath(sys.base_prefix)
    if not python.startswith("/usr/") and not prefix.startswith("/usr"):
        args += ["--ro-bind", prefix, prefix]  # an interpreter outside /usr must be visible
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    args += ["--bind", workdir, SANDBOX_DIR, "--chdir", SANDBOX_DIR]
    return args


def _rlimits(config: SandboxConfig) -> dict[str, tuple[int, int]]:
    cpu = max(1, int(round(config.cpu_seconds)))
    return {
        "RLIMIT_CPU": (cpu, cpu + 1),
        "RLIMIT_AS": (config.memory_bytes, config.memory_bytes),
        "RLIMIT_NPROC": (config.max_processes, config.max_processes),
        "RLIMIT_FSIZE": (config.max_output_bytes, config.max_output_bytes),
        "RLIMIT_NOFILE": (config.max_open_files, config.max_open_files),
        "RLIMIT_CORE": (0, 0),
    }


def _kill_uid(uid: int, gid: int) -> None:
    # kill(-1) from a process of that uid reaches every process of it in one kernel pass, and
    # a fork racing with it is aborted by the pending SIGKILL, so a fork bomb cannot outrun
    # it; the killer dies too (status -9 is expected).
    subprocess.run(
        ["kill", "-9", "-1"],
        user=uid,
        group=gid,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=10,
        check=False,
    )


def _wait(proc: subprocess.Popen, timeout: float) -> int:
    """``proc.wait(timeout)`` without its polling delay (up to 50 ms): block on a pidfd."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        return proc.wait(timeout=timeout)
    try:
        if not select.select([pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        os.close(pidfd)
    return proc.wait()


def _read_capped(path: Path, limit: int) -> str:
    with open(path, "rb") as f:
        return f.read(limit).decode("utf-8", "replace")


def _classify(rc: int, stderr: str, size: int, limit: int, bwrapped: bool) -> str | None:
    if bwrapped and rc > 128:  # bubblewrap reports a signalled child as 128 + signal
        rc = -(rc - 128)
    if rc == 0 and size < limit:
        return None
    if size >= limit or "File too large" in stderr:
        return "output"
    if rc in (-signal.SIGXCPU, -signal.SIGKILL) and "MemoryError" not in stderr:
        return "cpu"
    if "MemoryError" in stderr:
        return "memory"
    if rc < 0:
        return "signal"
    return "exit"


def run_python(
    code: str,
    *,
    stdin: str = "",
    files: Mapping[str, str] | None = None,
    config: SandboxConfig | None = None,
) -> SandboxResult:
    """Run ``code`` as ``main.py`` in a fresh working directory holding ``files``.

    ``stdin`` is the program's standard input.  Returns what happened; raises only on a bad
    argument (e.g. a file name with a slash) or with ``SandboxUnavailable`` when bubblewrap is
    missing and the weak fallback was not allowed (see module docstring), never because of what
    the program did.
    """
    config = config or SandboxConfig()
    for name in files or {}:
        if not name or "/" in name or name in (".", "..", "main.py"):
            raise ValueError(f"sandbox file names must be plain names, got {name!r}")
    bwrap = _outer_layer(config)
    started = time.monotonic()
    root = config.tmp_root or tempfile.gettempdir()
    host = tempfile.mkdtemp(prefix="rocks-sbx-host-", dir=root)  # our side: 0700, root only
    work = tempfile.mkdtemp(prefix="rocks-sbx-", dir=root)
    layers = ["rlimits"]
    is_root = os.geteuid() == 0
    uid = gid = None
    if config.switch_user and is_root:
        uid = gid = _UID_RANGE[0] + secrets.randbelow(_UID_RANGE[1] - _UID_RANGE[0])
        layers.append("uid")
    try:
        Path(work, "main.py").write_text(code, encoding="utf-8", errors="surrogatepass")
        for name, text in (files or {}).items():
            Path(work, name).write_text(text, encoding="utf-8", errors="surrogatepass")
        Path(host, "stdin").write_text(stdin, encoding="utf-8", errors="surrogatepass")
        if uid is not None:
            os.chown(work, uid, gid)
            for entry in os.listdir(work):
                os.chown(os.path.join(work, entry), uid, gid)
        python = _python(config)
        runner_cfg = json.dumps({"rlimits": _rlimits(config), "audit": config.audit_hook})
        argv = [python, "-I", "-S", "-B", "-c", _RUNNER, runner_cfg]
        popen_user: dict = {}
        if uid is not None:
            popen_user = {"user": uid, "group": gid, "extra_groups": []}
        if bwrap is not None:
            argv = _bwrap_args(bwrap, work, python) + argv
            layers.insert(0, "bwrap")
        elif is_root and shutil.which("unshare"):
            # entering a network namespace needs root: unshare drops to the uid/gid afterwards
            ids = ["--setgid", str(gid), "--setuid", str(uid)] if uid is not None else []
            argv = ["unshare", "--net", *ids, "--", *argv]
            layers.insert(0, "netns")
            popen_user = {"extra_groups": []} if uid is not None else {}
        if config.audit_hook:
            layers.append("audit")
        env = {"PATH": "/usr/bin:/bin", "HOME": SANDBOX_DIR if bwrap else work, "LANG": "C.UTF-8"}
        with (
            open(Path(host, "stdin"), "rb") as fin,
            open(Path(host, "stdout"), "wb") as fout,
            open(Path(host, "stderr"), "wb") as ferr,
        ):
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=fin,
                    stdout=fout,
                    stderr=ferr,
                    cwd=work,
                    env=env,
                    start_new_session=True,
                    close_fds=True,
                    **popen_user,
                )
            except OSError as e:
                return SandboxResult(
                    False,
                    None,
                    "",
                    f"sandbox start failed: {e}",
                    "start",
                    tuple(layers),
                    time.monotonic() - started,
                )
            timed_out = False
            try:
                rc = _wait(proc, config.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                rc = proc.wait()
            if uid is not None:
                _kill_uid(uid, gid)
        limit = config.max_output_bytes
        stdout = _read_capped(Path(host, "stdout"), limit)
        stderr = _read_capped(Path(host, "stderr"), limit)
        size = max(os.path.getsize(Path(host, "stdout")), os.path.getsize(Path(host, "stderr")))
        failure = "timeout" if timed_out else _classify(rc, stderr, size, limit, bwrap is not None)
        if failure is None and rc != 0:
            failure = "exit"
        return SandboxResult(
            ok=failure is None,
            returncode=rc,
            stdout=stdout,
            stderr=stderr,
            failure=failure,
            layers=tuple(layers),
            wall_seconds=time.monotonic() - started,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(host, ignore_errors=True)
