"""Layer 1, the contract: clauses, facts of Sedna's API, profiles, results, what is measured
of a backend, and text safety. Imports nothing else of the harness, and no pytest.
"""

from sedna_conformance.harness.contract.facts import (
    MODEL_SUFFIXES,
    default_model_name,
    fedavg,
    model_info,
    nested_lists,
    wire,
)

__all__ = ["MODEL_SUFFIXES", "default_model_name", "fedavg", "model_info", "nested_lists",
           "wire"]
