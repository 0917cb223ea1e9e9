"""Write the generated reference pages (run by mkdocs-gen-files at build time)."""

from __future__ import annotations

import os
import sys

import mkdocs_gen_files

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sedna_conformance.harness.reference_pages import (
    changelog_markdown,
    contract_markdown,
    reports_markdown,
)

with mkdocs_gen_files.open("reference/contract.md", "w") as handle:
    handle.write(contract_markdown())
with mkdocs_gen_files.open("reference/reports.md", "w") as handle:
    handle.write(reports_markdown())
with mkdocs_gen_files.open("reference/changelog.md", "w") as handle:
    handle.write(changelog_markdown())
