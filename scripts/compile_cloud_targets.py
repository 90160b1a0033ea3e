"""Compile the dbt project for Snowflake and BigQuery without an account (``make compile-cloud``).

Runs in its own virtualenv (dbt-snowflake pins certifi below the project's lock). No connection is
opened: the relation cache is not populated, introspection is off, and BigQuery gets an offline
service-account key (a fresh RSA key no Google service knows). Incremental models are left out of
the compile: ``is_incremental()`` asks the warehouse whether the table exists; ``dbt parse``
(which compile runs first) still checks their Jinja and configuration.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")


def offline_keyfile(folder: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = folder / "offline-service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "value-pipeline",
                "private_key_id": "offline",
                "private_key": pem,
                "client_email": "compile@value-pipeline.iam.gserviceaccount.com",
                "client_id": "0",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return path


def main() -> int:
    failed = []
    with tempfile.TemporaryDirectory(prefix="value-pipeline-compile-") as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "VALUE_PIPELINE_WAREHOUSE": str(folder / "unused.duckdb"),
            "VALUE_PIPELINE_BIGQUERY_METHOD": "service-account",
            "VALUE_PIPELINE_BIGQUERY_KEYFILE": str(offline_keyfile(folder)),
        }
        for target in ("snowflake", "bigquery"):
            started = time.perf_counter()
            command = [
                DBT, "compile", "--target", target, "--profiles-dir", str(DBT_PROJECT_DIR),
                "--target-path", str(folder / f"target-{target}"), "--log-path", str(folder / "logs"),
                "--no-populate-cache", "--no-introspect", "--exclude", "config.materialized:incremental",
                # tables on BigQuery (several rows per key: key_incremental's rows_per_key='many'),
                # still asking is_incremental()
                "int_case_steps", "int_process_transitions_monthly", "int_process_hours_daily",
            ]  # fmt: skip
            done = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            outcome = "FAILED" if done.returncode else "ok"
            print(f"dbt compile --target {target}: {outcome} ({seconds:.0f} s)")
            if done.returncode:
                print(done.stdout[-4000:], done.stderr[-2000:])
                failed.append(target)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
