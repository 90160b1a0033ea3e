"""Content fingerprints: of the files a load reads, of the registry, and of the code a run builds with.

A nightly run rebuilds what changed (defs/selection.py): a snapshot source or the registry changed
when the fingerprint of its files differs from the one its last load recorded. Fingerprints hash
contents, not modification times: a file copied or touched without a change is no change, and a
file rewritten with other rows is one whatever its size and time say.
"""

import hashlib
from collections.abc import Iterable
from pathlib import Path

from value_pipeline.config import DBT_PROJECT_DIR, PACKAGE_DIR, PROJECT_ROOT
from value_pipeline.contracts import Contract
from value_pipeline.landing.discovery import REFUSE, discover

CHUNK = 1 << 20
# What the build is made of: Python, SQL, YAML, JSON (GX suites, dbt config) and Jinja.
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".json", ".jinja", ".toml", ".csv"}
# Build output and caches inside the folders the code fingerprint reads.
NOT_CODE = {"target", "logs", "__pycache__", "dbt_packages"}


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def files_fingerprint(root: Path, paths: Iterable[Path]) -> str:
    """One sha256 over each file's path relative to ``root`` and its content's sha256, in path order."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(f"{path.relative_to(root).as_posix()}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()


def source_fingerprint(landing_root: Path, contract: Contract, policy: str = REFUSE) -> str:
    """The fingerprint of the files a load of ``contract`` reads (raises LandingError as the load would)."""
    files, _ = discover(landing_root, contract, policy=policy)
    return files_fingerprint(landing_root, [f.path for f in files])


def registry_fingerprint(landing_root: Path) -> str:
    folder = landing_root / "registry"
    files = [*folder.glob("*.yml"), *folder.glob("*.yaml")] if folder.is_dir() else []
    return files_fingerprint(landing_root, files)


def code_fingerprint(*context: str) -> str:
    """The fingerprint of the package, the dbt project and the GX suites, plus ``context`` (the engine
    and the paths a run writes): a run with another one rebuilds everything."""
    folders = {PACKAGE_DIR, DBT_PROJECT_DIR, PROJECT_ROOT / "expectations"}
    paths = {
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.suffix in CODE_SUFFIXES
        and path.is_file()
        and not NOT_CODE & set(path.relative_to(folder).parts)
        and not path.name.startswith(".")
    }
    digest = hashlib.sha256("\0".join(context).encode())
    for path in sorted(paths):
        digest.update(f"{path}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()
