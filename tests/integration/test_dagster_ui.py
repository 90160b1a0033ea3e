"""The Dagster webserver on the test session's instance: the asset graph over GraphQL, the demo run's
materializations, and the lineage page in headless chromium.

Set VALUE_PIPELINE_UPDATE_SCREENSHOTS=1 to refresh docs/img/asset_graph.png from this run.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser import capture, chromium_path, is_blank
from value_pipeline.config import PROJECT_ROOT

pytestmark = pytest.mark.integration

GROUPS = {"ingest", "staging", "intermediate", "marts", "value_chains", "serving", "reports"}
MAIN_ASSETS = [
    "raw/registry_use_cases",
    "raw/workflow_events",
    "staging/stg_workflow_events__events",
    "intermediate/int_cases",
    "stats/value_chain_estimates",
    "marts/fct_kpi_daily",
    "marts/kpi_scorecard",
    "marts/value_chain",
    "serving/published_marts",
    "reports/weekly_snapshot",
    "reports/monthly_scorecard",
    "reports/quarterly_summary",
]
STARTUP_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.fixture(scope="module")
def webserver(demo_run, tmp_path_factory):
    """``dagster-webserver`` on the session's DAGSTER_HOME (which holds the demo run), on a free port."""
    port = _free_port()
    log = tmp_path_factory.mktemp("webserver") / "webserver.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-webserver"), "-m", "value_pipeline.definitions",
             "-p", str(port), "-h", "127.0.0.1"],
            cwd=PROJECT_ROOT, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert process.poll() is None, f"dagster-webserver exited:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, f"no /server_info after {STARTUP_TIMEOUT_S} s"
                time.sleep(1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def asset_nodes(webserver) -> dict[str, dict]:
    data = _graphql(
        webserver,
        """{ assetNodes { assetKey { path } groupName description kinds
             owners { ... on UserAssetOwner { email } ... on TeamAssetOwner { team } } } }""",
    )
    return {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}


def test_asset_graph_has_the_layers_and_main_assets(asset_nodes):
    assert {n["groupName"] for n in asset_nodes.values()} >= GROUPS
    assert set(MAIN_ASSETS) <= set(asset_nodes)
    for key in MAIN_ASSETS:
        assert asset_nodes[key]["description"], f"{key} has no description"
        assert asset_nodes[key]["kinds"], f"{key} has no kinds"
    for key in MAIN_ASSETS:
        if key.startswith("reports/"):
            assert asset_nodes[key]["groupName"] == "reports" and asset_nodes[key]["owners"]


def test_the_demo_run_and_its_materializations_are_visible(webserver, demo_run):
    data = _graphql(
        webserver,
        """query($runId: ID!) { runOrError(runId: $runId) { __typename
             ... on Run { status assetMaterializations { assetKey { path } } } } }""",
        {"runId": demo_run.run_id},
    )
    run = data["runOrError"]
    assert run["__typename"] == "Run" and run["status"] == "SUCCESS"
    materialized = {"/".join(m["assetKey"]["path"]) for m in run["assetMaterializations"]}
    assert set(MAIN_ASSETS) <= materialized


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_asset_graph_page_renders(webserver, tmp_path):
    # A fresh instance greets the first visitor with a newsletter dialog; mark it seen, as a user would.
    assert _graphql(webserver, "mutation { setNuxSeen }")["setNuxSeen"]
    groups_drawn = " && ".join(f"texts.includes({json.dumps(g)})" for g in sorted(GROUPS))
    shot = capture(
        f"{webserver}/asset-groups",
        width=1400,
        height=1100,
        full_page=False,
        ready=f"(() => {{ const texts = [...document.querySelectorAll('svg foreignObject')]"
        f".map(e => e.textContent.trim()); return {groups_drawn}; }})()",
        clip="svg foreignObject",
        scale=2,
        settle=2,
    )
    assert shot.console_errors == []
    assert not is_blank(shot.screenshot)
    (tmp_path / "asset_graph.png").write_bytes(shot.screenshot)
    if os.environ.get("VALUE_PIPELINE_UPDATE_SCREENSHOTS"):
        (PROJECT_ROOT / "docs" / "img" / "asset_graph.png").write_bytes(shot.screenshot)
