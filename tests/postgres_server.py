"""A throwaway PostgreSQL server for tests: initdb + pg_ctl as the postgres user, on a free port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql")


def pg_bin() -> Path | None:
    """The newest installed server's bin folder, or None when no server is installed."""
    versions = sorted(PG_BIN.glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")])
    return versions[-1] if versions and (versions[-1] / "initdb").exists() else None


def _as_postgres(command: str) -> None:
    subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True, capture_output=True)


@contextmanager
def throwaway_postgres(bin_dir: Path) -> Iterator[str]:
    """Start a server (about 1 s) and yield its admin URL; stop it and delete its files afterwards."""
    root = Path(tempfile.mkdtemp(prefix="value-pipeline-pg-"))
    shutil.chown(root, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = root / "data"
    _as_postgres(f"{bin_dir}/initdb -D {data} -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8")
    _as_postgres(
        f"{bin_dir}/pg_ctl -D {data} -l {root}/log -w -t 60 "
        f"-o '-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off' start"
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres(f"{bin_dir}/pg_ctl -D {data} -m fast -w stop")
        shutil.rmtree(root, ignore_errors=True)
