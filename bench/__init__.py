"""Benchmarks of the nightly job at enterprise volume (``make bench``); see docs/benchmarks.md."""
