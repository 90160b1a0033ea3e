"""One run at a time per warehouse: DuckDB allows a single writer, and two builds must not interleave.

An advisory ``flock`` on ``<warehouse>.lock`` held for a whole run; the file names the holder so a
refused run can say who has the warehouse. The operating system drops the lock when the holder dies,
so a killed run never leaves the warehouse locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path


class WarehouseBusyError(RuntimeError):
    """Another run holds the warehouse."""


class WarehouseLock:
    """Exclusive lock on a warehouse file; waits up to ``timeout_s`` seconds, then refuses."""

    def __init__(self, warehouse_path: Path, timeout_s: float = 0.0, poll_s: float = 0.5) -> None:
        self.path = Path(f"{warehouse_path}.lock")
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._fd: int | None = None

    def acquire(self, holder: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    current = os.pread(fd, 512, 0).decode(errors="replace").strip() or "unknown"
                    os.close(fd)
                    raise WarehouseBusyError(
                        f"the warehouse {self.path.with_suffix('')} is in use by another run ({current}); "
                        f"waited {self.timeout_s:g} s. Try again when it has finished."
                    ) from None
                time.sleep(self.poll_s)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder}, pid {os.getpid()}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
