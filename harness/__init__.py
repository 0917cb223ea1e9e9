"""The Sedna backend conformance harness: clauses, profiles, the pytest plugin, reports.

It imports no backend and no ML framework: a backend is judged through the
:class:`Profile` its author provides (start from :mod:`sedna_conformance.harness.starter`).
Its layers, and what may import what: ``docs/architecture.md``.
"""

from sedna_conformance.harness import moved
from sedna_conformance.harness.contract.clauses import (
    CLAUSES,
    CONTRACT_VERSION,
    Clause,
    get_clause,
)
from sedna_conformance.harness.contract.profile import Capabilities, Profile, Tolerances
from sedna_conformance.harness.discovery import get_profile, load_profiles, offered

moved.install()

__all__ = ["CLAUSES", "CONTRACT_VERSION", "Capabilities", "Clause", "Profile", "Tolerances",
           "get_clause", "get_profile", "load_profiles", "offered"]
