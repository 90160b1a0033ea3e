"""The dbt manifest is parsed again when a project file is newer than it."""

import os

from value_pipeline.dbt_manifest import manifest_is_stale


def test_a_manifest_older_than_a_project_file_is_stale(tmp_path):
    model = tmp_path / "models" / "staging" / "stg_x.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select 1")
    manifest = tmp_path / "target" / "manifest.json"
    assert manifest_is_stale(manifest, tmp_path), "missing"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (1_000, 1_000))
    os.utime(manifest, (2_000, 2_000))
    assert not manifest_is_stale(manifest, tmp_path)
    (tmp_path / "target" / "run_results.json").write_text("{}")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "dbt.log").write_text("")
    (tmp_path / ".user.yml").write_text("id: x")
    assert not manifest_is_stale(manifest, tmp_path), (
        "build output and dbt's own files are not part of the project"
    )
    os.utime(model, (3_000, 3_000))
    assert manifest_is_stale(manifest, tmp_path), "a model changed after the parse"
