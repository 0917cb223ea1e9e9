"""The generated reference pages list every clause, capability and status."""

from __future__ import annotations

import json

from sedna_conformance.harness.contract.clauses import CLAUSES
from sedna_conformance.harness.contract.profile import Capabilities
from sedna_conformance.harness.contract.results import STATUSES, report_schema
from sedna_conformance.harness.reference_pages import contract_markdown, reports_markdown


def test_contract_reference_lists_every_clause_once():
    page = contract_markdown()
    for clause_id, clause in CLAUSES.items():
        assert page.count(f'<span id="{clause_id}">') == 1, clause_id
        assert clause.sentence.replace("|", "\\|") in page
    for name in Capabilities.names():
        assert f"| `{name}` |" in page


def test_reports_reference_has_every_status_and_the_schema():
    page = reports_markdown()
    for status in STATUSES:
        assert f"| `{status}` |" in page
    assert json.dumps(report_schema(), indent=2) in page
    assert "sedna-conformance run" in page and "--report-dir" in page
