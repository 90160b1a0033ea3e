"""When the parsed dbt manifest no longer describes the dbt project on disk."""

from pathlib import Path

# Build output of dbt, not part of the project it parses.
BUILD_FOLDERS = {"target", "logs"}


def manifest_is_stale(manifest: Path, project_dir: Path) -> bool:
    """True when ``manifest`` is missing or older than a file of the dbt project (a checkout changed it).

    Build output (``target/``, ``logs/``) and hidden files (dbt's ``.user.yml``) are not part of it.
    """
    if not manifest.exists():
        return True
    parsed = manifest.stat().st_mtime
    return any(
        path.stat().st_mtime > parsed
        for path in project_dir.rglob("*")
        if path.is_file()
        and path.relative_to(project_dir).parts[0] not in BUILD_FOLDERS
        and not path.name.startswith(".")
    )
