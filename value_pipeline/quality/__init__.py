"""Data-quality gates: Great Expectations suites (``expectations/``) and the code that runs them."""
