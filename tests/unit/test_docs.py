"""Generated docs pages are committed up to date with their sources."""

import pytest

from value_pipeline.docs import DOCS_DIR, PAGES


@pytest.mark.parametrize("name", sorted(PAGES))
def test_committed_page_equals_its_rendering(name):
    assert (DOCS_DIR / name).read_text() == PAGES[name](), f"docs/{name} is stale: run `value-pipeline docs`"


def test_every_mart_is_named_by_the_rule_in_architecture_md():
    """A mart is a fct_ fact, a dim_ dimension or a business-named answer, and the one table in
    docs/architecture.md lists it under its kind."""
    import re

    from value_pipeline.config import DBT_PROJECT_DIR

    section = (DOCS_DIR / "architecture.md").read_text().split("### Mart names", 1)[1].split("\n\n")[1]
    listed = {
        row.split("|")[1].strip(): set(re.findall(r"`(\w+)`", row.split("|")[3]))
        for row in section.splitlines()[2:]
    }
    marts = {path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}
    assert listed["`fct_`"] == {m for m in marts if m.startswith("fct_")}
    assert listed["`dim_`"] == {m for m in marts if m.startswith("dim_")}
    assert listed["none: a business name"] == {m for m in marts if not m.startswith(("fct_", "dim_"))}
