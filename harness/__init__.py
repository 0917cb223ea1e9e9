"""The Sedna backend conformance harness: clauses, profiles, the pytest plugin, reports.

It imports no backend and no ML framework: a backend is judged through the
:class:`Profile` its author provides (start from :mod:`sedna_conformance.harness.template`).
"""

from sedna_conformance.harness.clauses import CLAUSES, CONTRACT_VERSION, Clause, get_clause
from sedna_conformance.harness.discovery import get_profile, load_profiles, offered
from sedna_conformance.harness.profile import Capabilities, Profile, Tolerances

__all__ = ["CLAUSES", "CONTRACT_VERSION", "Capabilities", "Clause", "Profile", "Tolerances",
           "get_clause", "get_profile", "load_profiles", "offered"]
