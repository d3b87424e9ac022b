"""The call-centre docs print the tables the aggregates enforce."""

from __future__ import annotations

from pathlib import Path

from kefu.domain import agent_presence, call_lifecycle

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_call_docs_print_the_call_lifecycle_and_the_agent_presence_tables() -> None:
    text = (DOCS / "calls.md").read_text(encoding="utf-8")

    assert call_lifecycle.transition_table_markdown() in text
    assert agent_presence.transition_table_markdown() in text


def test_the_pbx_mapping_names_every_call_action() -> None:
    text = (DOCS / "pbx.md").read_text(encoding="utf-8")

    assert all(f"/calls/{{id}}/{a}`" in text for a in call_lifecycle.CallAction)
