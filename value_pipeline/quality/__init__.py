"""Anomaly checks: learned bands (``anomalies.py``) judged by Great Expectations suites
(``expectations/``, run by ``expectations.py``)."""
