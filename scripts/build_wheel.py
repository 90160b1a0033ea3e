"""Build the wheel that runs without the checkout (``make wheel``).

The dbt project, the GX suites and the assets live beside the package in a checkout; the wheel
carries them inside it, in ``value_pipeline/_bundled`` (``value_pipeline/config.py`` reads them from
there when the package has no checkout around it). dbt's build output (``target/``, ``logs/``) and
the linters' files stay out: an installed project writes its build output under the home.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "value_pipeline" / "_bundled"
# What a run reads: the dbt project without its build output and lint settings, the suites, the assets.
DBT_SKIP = shutil.ignore_patterns(
    "target", "logs", "dbt_packages", ".user.yml", ".sqlfluff*", "sqlfluff_libs"
)
FOLDERS = {"dbt_project": DBT_SKIP, "expectations": None, "assets": None}


def build(out: Path) -> Path:
    """Copy the data folders into the package, build the wheel into ``out``, remove the copies."""
    shutil.rmtree(BUNDLED, ignore_errors=True)
    try:
        for folder, ignore in FOLDERS.items():
            shutil.copytree(ROOT / folder, BUNDLED / folder, ignore=ignore)
        out.mkdir(parents=True, exist_ok=True)
        before = set(out.glob("*.whl"))
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
        subprocess.run([*pip, "--wheel-dir", str(out), str(ROOT)], check=True)
    finally:
        shutil.rmtree(BUNDLED, ignore_errors=True)
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    built = sorted(set(out.glob("*.whl")) - before) or sorted(out.glob("value_pipeline-*.whl"))
    return built[-1]


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "dist").resolve()))
