"""The Sedna backend conformance harness: clauses, profiles, the pytest plugin, reports."""

from harness.clauses import CLAUSES, CONTRACT_VERSION, Clause, get_clause
from harness.profile import Capabilities, Profile, Tolerances, get_profile, load_profile

__all__ = ["CLAUSES", "CONTRACT_VERSION", "Capabilities", "Clause", "Profile", "Tolerances",
           "get_clause", "get_profile", "load_profile"]
