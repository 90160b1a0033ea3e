"""The wheel runs without the checkout: built by `make wheel`, installed apart from the source tree,
it loads the dbt project, the GX suites and the assets it carries, builds a warehouse from a landing
zone, and never writes into its own installed folder."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.reliability.conftest import SMALL_LANDING
from value_pipeline.generator import generate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel installed (without its dependencies, which this interpreter has) into a folder of
    its own, which then comes first on the path of the processes below."""
    work = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_wheel.py"), str(work / "dist")],
        capture_output=True,
        text=True,
        check=True,
    )
    wheel = Path(built.stdout.strip().splitlines()[-1])
    names = zipfile.ZipFile(wheel).namelist()
    for carried in (
        "value_pipeline/_bundled/dbt_project/dbt_project.yml",
        "value_pipeline/_bundled/dbt_project/models/marts/kpis/kpi_scorecard.sql",
        "value_pipeline/_bundled/expectations/anomaly__source_profile.json",
        "value_pipeline/_bundled/assets/registry/demo_registry.yml",
        "value_pipeline/contracts/v1/workflow_events.yml",
        "value_pipeline/dg.toml",
    ):
        assert carried in names, carried
    assert not [n for n in names if "/target/" in n or "/logs/" in n or n.endswith(".user.yml")]
    site = work / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site)]
    subprocess.run([*pip, str(wheel)], check=True)
    assert not (ROOT / "value_pipeline" / "_bundled").exists(), "the build left its copies in the checkout"
    return site


def _env(site: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VALUE_PIPELINE_", "DAGSTER_HOME"))}
    return env | {"PYTHONPATH": str(site), "VALUE_PIPELINE_HOME": str(home)}


def _files(site: Path) -> set[str]:
    package = site / "value_pipeline"
    return {
        str(p.relative_to(package))
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_installed_wheel_builds_a_warehouse_and_leaves_its_folder_as_installed(installed, tmp_path):
    landing = tmp_path / "landing"
    generate(landing, **SMALL_LANDING)
    home = tmp_path / "home"
    env = _env(installed, home)
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import value_pipeline.config as c; print(c.__file__, c.IS_CHECKOUT, c.DBT_PROJECT_DIR)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.split() == [
        str(installed / "value_pipeline" / "config.py"),
        "False",
        str(installed / "value_pipeline" / "_bundled" / "dbt_project"),
    ]
    before = _files(installed)

    run = subprocess.run(
        [sys.executable, "-m", "value_pipeline.cli", "run", "--landing", str(landing)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
    )

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert _files(installed) == before, "the run wrote into the installed package"
    assert (home / "dbt" / "target" / "manifest.json").exists(), "dbt's output goes under the home"
    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        marts = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        scorecard = con.execute("select count(*) from marts.kpi_scorecard").fetchone()[0]
        checks = con.execute("select count(*) from audit.dbt_test_passes").fetchone()[0]
    assert marts == {p.stem for p in (ROOT / "dbt_project" / "models" / "marts").rglob("*.sql")}
    assert scorecard > 0
    assert checks > 0, "the bundled project's on-run-end hook recorded its passing tests"
