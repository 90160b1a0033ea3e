"""The command line's error rule: bad input is one message naming the file (line and column where
known) and what to do, exit code 2, and a traceback only with --verbose."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from value_pipeline.cli import main
from value_pipeline.onboarding import init_landing


@pytest.fixture(autouse=True)
def _environment():
    """`run` points the process at its landing (environment variables): undone after each test, also
    for variables that were not set before (monkeypatch.delenv of an absent name would not undo)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def zone(tmp_path: Path) -> Path:
    root = tmp_path / "L"
    init_landing(root)
    return root


def _one_error(out: str) -> str:
    """The error message, asserted to be the output's only message and free of a traceback."""
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    return lines[0]


def test_a_partition_that_is_not_a_date(capsys, zone):
    code, out, _ = _run(capsys, "run", "--landing", str(zone), "--partition", "2026-13-01")
    assert code == 2
    assert _one_error(out) == "error: --partition 2026-13-01: not a date; give one day as YYYY-MM-DD"


def test_a_landing_folder_that_does_not_exist(capsys, tmp_path):
    for command in ("run", "validate"):
        code, out, _ = _run(capsys, command, "--landing", str(tmp_path / "nowhere"))
        assert code == 2
        assert f"{tmp_path / 'nowhere'}: no such folder" in _one_error(out)


def test_run_refuses_a_broken_registry_before_any_step(capsys, zone):
    (zone / "registry" / "registry.yml").write_text("- a list, not a mapping\n")
    code, out, _ = _run(capsys, "run", "--landing", str(zone))
    assert code == 2
    assert str(zone / "registry" / "registry.yml") in _one_error(out)


def test_run_on_a_zone_without_events_says_what_to_do(capsys, zone):
    code, out, _ = _run(capsys, "run", "--landing", str(zone))
    assert code == 2
    assert "no dt=YYYY-MM-DD folder with data; put an export in with `value-pipeline adapt`" in _one_error(
        out
    )


def test_adapt_a_missing_export(capsys, zone, tmp_path):
    missing = tmp_path / "export.xes.gz"
    code, out, _ = _run(capsys, "adapt", "xes", str(missing), "--landing", str(zone), "--use-case", "u")
    assert code == 2
    assert _one_error(out) == f"error: {missing}: no such file"


def test_adapt_a_malformed_xes_names_line_and_column(capsys, zone, tmp_path):
    export = tmp_path / "log.xes"
    export.write_text('<?xml version="1.0"?>\n<log>\n<trace><event></trace>\n</log>\n')
    code, out, _ = _run(capsys, "adapt", "xes", str(export), "--landing", str(zone), "--use-case", "u")
    assert code == 2
    message = _one_error(out)
    assert str(export) in message and "line 3, column" in message and "well-formed" in message


def test_adapt_a_malformed_config_names_line_and_column(capsys, zone, tmp_path):
    export = tmp_path / "log.xes"
    export.write_text('<?xml version="1.0"?><log/>')
    config = tmp_path / "options.yml"
    config.write_text("activity_map:\n  Resolve: resolved\n bad indent: 1\n")
    argv = ["adapt", "xes", str(export), "--landing", str(zone), "--use-case", "u", "--config", str(config)]
    code, out, _ = _run(capsys, *argv)
    assert code == 2
    assert f"{config}, line 3, column 2: malformed YAML" in _one_error(out)


def test_adapt_an_unknown_option_lists_the_allowed_ones(capsys, zone, tmp_path):
    export = tmp_path / "log.xes"
    export.write_text('<?xml version="1.0"?><log/>')
    config = tmp_path / "options.yml"
    config.write_text("activity_mapp: {}\n")
    argv = ["adapt", "xes", str(export), "--landing", str(zone), "--use-case", "u", "--config", str(config)]
    code, out, _ = _run(capsys, *argv)
    assert code == 2
    assert "has no option(s) ['activity_mapp']; allowed: [" in _one_error(out)


def test_init_refuses_a_folder_with_files(capsys, tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    code, out, _ = _run(capsys, "init", str(tmp_path))
    assert code == 2
    assert "give a new or empty folder" in _one_error(out)


@pytest.mark.parametrize("position", ["before", "after"])
def test_verbose_adds_the_traceback(capsys, zone, tmp_path, position):
    missing = str(tmp_path / "export.xes.gz")
    argv = ["adapt", "xes", missing, "--landing", str(zone), "--use-case", "u"]
    argv = ["--verbose", *argv] if position == "before" else [*argv, "--verbose"]
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert "Traceback (most recent call last)" in err and "OnboardingError" in err
    assert f"error: {missing}: no such file" in out


def test_init_then_adapt_through_the_cli(capsys, tmp_path):
    root = tmp_path / "L"
    code, out, _ = _run(capsys, "init", str(root))
    assert code == 0 and "Landing zone ready" in out
    export = tmp_path / "log.csv"
    export.write_text("case,when,state\nA,2013-01-01T08:00:00Z,New\nA,2013-01-02T09:00:00Z,Done\nB,,New\n")
    config = tmp_path / "options.yml"
    config.write_text(
        "columns: {case_id: case, event_ts: when}\n"
        "event_type_columns: [state]\n"
        "event_type_map: {Done: closed}\n"
    )
    argv = [
        "adapt",
        "csv",
        str(export),
        "--landing",
        str(root),
        "--use-case",
        "orders",
        "--config",
        str(config),
    ]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert re.search(r"events written\W+2\W", out) and re.search(r"cases\W+1\W", out)
    assert "missing timestamp" in out and "Added use case 'orders'" in out
    code, out, _ = _run(capsys, *argv)
    assert code == 0 and "Added use case" not in out
