"""The docs print the rules the code enforces."""

from __future__ import annotations

from pathlib import Path

from kefu.domain import complaint_lifecycle, ticket_lifecycle

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_api_docs_print_the_ticket_lifecycle_table_the_aggregate_enforces() -> None:
    assert ticket_lifecycle.transition_table_markdown() in DOCS.read_text(encoding="utf-8")


def test_the_api_docs_print_the_complaint_lifecycle_table_the_aggregate_enforces() -> None:
    assert complaint_lifecycle.transition_table_markdown() in DOCS.read_text(encoding="utf-8")
