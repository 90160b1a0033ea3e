"""Generated docs pages are committed up to date with their sources."""

import pytest

from value_pipeline.docs import DOCS_DIR, PAGES


@pytest.mark.parametrize("name", sorted(PAGES))
def test_committed_page_equals_its_rendering(name):
    assert (DOCS_DIR / name).read_text() == PAGES[name](), f"docs/{name} is stale: run `value-pipeline docs`"
