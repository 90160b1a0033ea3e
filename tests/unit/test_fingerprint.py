"""Content fingerprints decide what a nightly run loads again (value_pipeline/landing/fingerprint.py)."""

import os
from pathlib import Path

from value_pipeline.landing.fingerprint import code_fingerprint, files_fingerprint, registry_fingerprint


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_fingerprint_follows_paths_and_contents_not_times(tmp_path: Path):
    a = write(tmp_path, "finance/dt=2025-01-01/fx_rates.csv", "currency,rate\nEUR,1.08\n")
    b = write(tmp_path, "finance/dt=2025-01-01/cost_rates.csv", "team,rate\nops,50\n")
    first = files_fingerprint(tmp_path, [a, b])
    assert files_fingerprint(tmp_path, [b, a]) == first, "the order files are found in does not count"
    os.utime(a, (0, 0))
    assert files_fingerprint(tmp_path, [a, b]) == first, "a touched file is no change"
    a.write_text("currency,rate\nEUR,1.09\n")
    assert files_fingerprint(tmp_path, [a, b]) != first, "one changed value is a change"
    a.write_text("currency,rate\nEUR,1.08\n")
    assert files_fingerprint(tmp_path, [a, b]) == first
    moved = a.rename(tmp_path / "finance" / "dt=2025-02-01.csv")
    assert files_fingerprint(tmp_path, [moved, b]) != first, "a file moved to another day is a change"
    assert files_fingerprint(tmp_path, [b]) != first, "a file gone is a change"
    assert files_fingerprint(tmp_path, []) != files_fingerprint(tmp_path, [b])


def test_the_registry_fingerprint_reads_every_registry_file(tmp_path: Path):
    empty = registry_fingerprint(tmp_path)
    write(tmp_path, "registry/registry.yml", "settings: {}\n")
    one = registry_fingerprint(tmp_path)
    write(tmp_path, "registry/more.yaml", "use_cases: []\n")
    write(tmp_path, "registry/notes.txt", "not a registry file\n")
    two = registry_fingerprint(tmp_path)
    assert len({empty, one, two}) == 3


def test_the_code_fingerprint_names_the_engine():
    assert code_fingerprint("duckdb") == code_fingerprint("duckdb")
    assert code_fingerprint("duckdb") != code_fingerprint("postgres")
