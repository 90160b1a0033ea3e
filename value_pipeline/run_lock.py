"""One run at a time per warehouse: DuckDB allows a single writer, and two builds must not interleave.

An advisory ``flock`` on ``<warehouse>.lock`` held for a whole run; the file names the holder so a
refused run can say who has the warehouse. The operating system drops the lock when the holder dies,
so a killed run never leaves the warehouse locked.

Its dbt child is another matter: killed with SIGKILL, a run cannot stop the dbt it started, and that
dbt keeps DuckDB's own lock on the warehouse file. So the run records each child (pid and start time)
in the lock file, and the next run that takes the lock stops a recorded child still alive before it
opens the warehouse. A child it cannot stop refuses the run with the same "in use" message.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path

CHILD = "child"
# How long a leftover child may take to exit after SIGKILL before the run is refused.
STOP_TIMEOUT_S = 10.0


class WarehouseBusyError(RuntimeError):
    """Another run holds the warehouse."""


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux /proc; None when it is gone, a zombie,
    or /proc is missing, where children are not recorded)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    # After the command: state is field 3 and starttime field 22 of proc(5).
    return None if fields[0] == "Z" else fields[19]


class WarehouseLock:
    """Exclusive lock on a warehouse file; waits up to ``timeout_s`` seconds, then refuses."""

    def __init__(self, warehouse_path: Path, timeout_s: float = 0.0, poll_s: float = 0.5) -> None:
        self.path = Path(f"{warehouse_path}.lock")
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._fd: int | None = None
        self.stopped: list[str] = []

    def acquire(self, holder: str) -> None:
        """Take the lock for ``holder``; stops the children a killed holder left (listed in ``stopped``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    current = self._read(fd).split("\n", 1)[0] or "unknown"
                    os.close(fd)
                    raise WarehouseBusyError(
                        f"the warehouse {self.path.with_suffix('')} is in use by another run ({current}); "
                        f"waited {self.timeout_s:g} s. Try again when it has finished."
                    ) from None
                time.sleep(self.poll_s)
        try:
            self.stopped = self._stop_children(self._read(fd))
        except WarehouseBusyError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder}, pid {os.getpid()}".encode(), 0)
        self._fd = fd

    def record_child(self, pid: int) -> None:
        """Note a child process (dbt) that must not outlive this run."""
        started = _start_time(pid)
        if self._fd is not None and started is not None:
            os.pwrite(self._fd, f"\n{CHILD} {pid} {started}".encode(), os.fstat(self._fd).st_size)

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def _read(fd: int) -> str:
        return os.pread(fd, 1 << 16, 0).decode(errors="replace").strip()

    def _stop_children(self, content: str) -> list[str]:
        """SIGKILL every recorded child that still runs (same pid and start time); wait until gone."""
        holder, *lines = content.split("\n")
        stopped = []
        for line in lines:
            kind, pid_text, started = [*line.split(), "", "", ""][:3]
            if kind != CHILD or not pid_text.isdigit() or _start_time(int(pid_text)) != started:
                continue
            pid = int(pid_text)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            except PermissionError:
                self._refuse(holder, pid, "it cannot be stopped by this user")
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while _start_time(pid) == started:
                if time.monotonic() >= deadline:
                    self._refuse(holder, pid, f"it did not exit within {STOP_TIMEOUT_S:g} s of SIGKILL")
                time.sleep(0.05)
            stopped.append(f"stopped dbt (pid {pid}) left running by a killed run ({holder})")
        return stopped

    def _refuse(self, holder: str, pid: int, why: str) -> None:
        raise WarehouseBusyError(
            f"the warehouse {self.path.with_suffix('')} is in use by another run ({holder}): its child "
            f"process {pid} is still running and {why}. Stop it (kill -9 {pid}) and try again."
        )
