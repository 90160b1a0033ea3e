"""Benchmarks of the nightly job at enterprise volume: docs/benchmarks.md, bench/README.md."""
