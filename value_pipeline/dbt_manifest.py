"""The parsed dbt manifest the definitions load: where it is, when it is stale, and parsing it.

Parsing happens only when asked (``value-pipeline prepare``, or the CLI before it loads the
definitions): importing the definitions never runs dbt. They refuse a manifest older than the
project instead, so a changed model never runs on an old graph.
"""

import os
import subprocess
import sys
from pathlib import Path

from value_pipeline.config import DBT_PROJECT_DIR, IS_CHECKOUT, Settings

# The dbt next to this interpreter, so a venv works without being activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

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


def _output_root() -> Path:
    """Where an installed wheel's dbt writes (the home): never into the package's own folder."""
    return Settings.from_env().home / "dbt"


def target_path(target: str) -> Path:
    """Where dbt writes its output for ``target``: each target parses into its own folder, since
    switching the target re-renders the contracts' per-engine types. In a checkout it is the
    project's ``target/``; an installed wheel writes under the home."""
    folder = Path("target") if IS_CHECKOUT else _output_root() / "target"
    return folder if target == "duckdb" else folder / target


def log_args() -> list[str]:
    """dbt's ``--log-path`` where the project folder is not to be written (an installed wheel)."""
    return [] if IS_CHECKOUT else ["--log-path", str(_output_root() / "logs")]


def manifest_path(target: str) -> Path:
    return DBT_PROJECT_DIR / target_path(target) / "manifest.json"


def prepare_manifest(settings: Settings, target: str, force: bool = False) -> bool:
    """Parse the dbt project for ``target`` when its manifest is missing or stale (or ``force``);
    True when it parsed. dbt reads the warehouse and landing paths of ``settings``."""
    if not force and not manifest_is_stale(manifest_path(target), DBT_PROJECT_DIR):
        return False
    env = {
        **os.environ,
        "VALUE_PIPELINE_WAREHOUSE": str(settings.warehouse_path),
        "VALUE_PIPELINE_LANDING": str(settings.landing_root),
    }
    command = [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR)]
    command += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target", target]
    command += ["--target-path", str(target_path(target)), *log_args()]
    parsed = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if parsed.returncode != 0:
        raise RuntimeError(f"dbt parse failed for target {target}:\n{parsed.stdout}{parsed.stderr}")
    return True
