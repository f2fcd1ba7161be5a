"""Process providers started by chaosrun itself, so that a timeout or a stopping run can kill them.

chaoslib's ``run_process_activity`` blocks in ``subprocess.run``: the thread running it cannot be
interrupted, and abandoning it left the process (and, behind ``sh -c``, its children) running
after restore, free to change things again. Here the process starts in a session of its own, so
its whole process group can be signalled: SIGTERM, then SIGKILL if anything is left after
:data:`KILL_GRACE` seconds.

Everything else follows chaoslib 1.44's provider: ``path`` looked up on ``PATH`` (``~``
expanded), ``arguments`` as a string (run through the shell), a list or a dict (flattened, empty
items dropped), configuration and secrets substituted into them, the parent's environment, the
provider's own ``timeout``, and the output ``{"status", "stdout", "stderr"}`` tolerances read.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any

from chaoslib import decode_bytes, substitute
from chaoslib.exceptions import ActivityFailed

log = logging.getLogger(__name__)

#: seconds a process group gets to exit after SIGTERM before it is sent SIGKILL
KILL_GRACE = 2.0
_POLL = 0.02


def is_process(activity: dict[str, Any]) -> bool:
    return (activity.get("provider") or {}).get("type") == "process"


@dataclass(frozen=True, slots=True)
class Kill:
    """How a process group was ended: SIGTERM alone, or SIGKILL after the grace period."""

    pgid: int
    forced: bool
    grace: float
    gone: bool = True

    def describe(self) -> str:
        how = f"SIGTERM, then SIGKILL after {self.grace:g}s" if self.forced else "SIGTERM"
        left = "" if self.gone else "; some of its processes were still running after SIGKILL"
        return f"process group {self.pgid} killed ({how}){left}"


class ProcessKilled(ActivityFailed):
    """The activity was cancelled (timeout, stopping run) before or while its process ran."""


def _command(activity: dict[str, Any], configuration: Any, secrets: Any) -> tuple[Any, bool]:
    """The ``Popen`` command and whether it runs through the shell, as chaoslib builds them."""
    provider = activity["provider"]
    arguments = provider.get("arguments", [])
    if arguments and (configuration or secrets):
        arguments = substitute(arguments, configuration, secrets)
    path = shutil.which(os.path.expanduser(provider["path"]))
    if path is None:
        raise ActivityFailed(
            f"process path {provider['path']!r} is not an executable on PATH; give an absolute "
            "path or fix PATH"
        )
    if isinstance(arguments, str):
        return f"{path} {arguments}", True
    if isinstance(arguments, dict):
        arguments = itertools.chain.from_iterable(arguments.items())
    return [path, *(str(p) for p in arguments if p not in (None, ""))], False


def _group_alive(pgid: int) -> bool:
    """Whether a member of ``pgid`` still runs. Zombies do not count: an orphan is reaped by
    PID 1, which in a container may do so late or never, and ``killpg(pgid, 0)`` counts them."""
    if not os.path.isdir("/proc/self"):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # a member exists but is not ours to signal
        return True
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stat:
                state, _ppid, pgrp = stat.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue  # exited while we looked
        if int(pgrp) == pgid and state not in ("Z", "X"):
            return True
    return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(pgid, sig)


def _wait_gone(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """Whether every member of the group of ``proc`` has exited within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        proc.poll()  # reap the leader, or it stays in the group as a zombie
        if not _group_alive(proc.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)


def kill_group(proc: subprocess.Popen[bytes], grace: float = KILL_GRACE) -> Kill:
    """SIGTERM the process group of ``proc``; SIGKILL it if any member outlives ``grace``.

    Returns once the group is gone (SIGKILL is delivered asynchronously too), or after another
    ``grace`` seconds if something survives even SIGKILL (a process stuck in the kernel).
    """
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    _signal_group(pgid, signal.SIGTERM)
    if _wait_gone(proc, grace):
        return Kill(pgid=pgid, forced=False, grace=grace)
    _signal_group(pgid, signal.SIGKILL)
    return Kill(pgid=pgid, forced=True, grace=grace, gone=_wait_gone(proc, grace))


class ProcessRun:
    """One process activity: :meth:`run` in the worker thread, :meth:`kill` from any other."""

    def __init__(self, activity: dict[str, Any], configuration: Any, secrets: Any) -> None:
        self.activity = activity
        self.configuration = configuration
        self.secrets = secrets
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        #: run() has returned: its process was reaped, so its group id may belong to another
        #: process group by now and must never be signalled again
        self._returned = False

    def run(self) -> dict[str, Any]:
        try:
            return self._run()
        finally:
            with self._lock:  # waits for a kill() in progress; every later kill() is a no-op
                self._returned = True

    def _run(self) -> dict[str, Any]:
        command, shell = _command(self.activity, self.configuration, self.secrets)
        timeout = self.activity["provider"].get("timeout")
        with self._lock:  # kill() either sees the process or stops it from starting
            if self._cancelled:
                raise ProcessKilled("process not started: the activity was cancelled")
            log.debug("Running: %s", command)
            proc = self._proc = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=os.environ,
                shell=shell,
                start_new_session=True,
            )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill = kill_group(proc)
            raise ActivityFailed(
                f"process activity took too long to complete (provider timeout {timeout}s); "
                f"{kill.describe()}"
            ) from None
        if self._cancelled:
            raise ProcessKilled("process killed: the activity was cancelled")
        if "tolerance" not in self.activity and proc.returncode > 0:
            log.warning(
                "process activity %r exited with status %s: see its stderr in the journal",
                self.activity.get("name"),
                proc.returncode,
            )
        return {
            "status": proc.returncode,
            "stdout": decode_bytes(stdout),
            "stderr": decode_bytes(stderr),
        }

    def kill(self, grace: float = KILL_GRACE) -> Kill | None:
        """End the process group if it is still running; None if there was nothing to kill.

        Once :meth:`run` has returned this does nothing: the leader was reaped, and its pid (the
        group id) may since lead an unrelated process group. The lock is held while killing, so
        run() cannot return (and be taken as finished) half-way through a kill.
        """
        with self._lock:
            self._cancelled = True
            proc = self._proc
            if proc is None or self._returned:
                return None
            proc.poll()  # a leader that exited on its own is reaped and no longer counts
            if not _group_alive(proc.pid):
                return None
            return kill_group(proc, grace)
