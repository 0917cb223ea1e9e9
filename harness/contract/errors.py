"""Errors that are not the backend's: the profile's mistakes and the harness's own steps.

A clause is ``failed`` only for what the backend under test did. An exception raised by a
function the profile supplies (``datasets``, the estimator factory, ``subset``, the base
model's training) or by the harness outside any backend call is reported as ``error``,
naming the step, the profile and the exception, and how to fix the profile.
"""

from __future__ import annotations

__all__ = ["SetupError"]


class SetupError(Exception):
    """A step of the harness or of the profile failed: never the backend's verdict."""

    def __init__(self, profile: str, step: str, problem: str, fix: str) -> None:
        self.profile, self.step, self.problem, self.fix = profile, step, problem, fix
        super().__init__(f"profile {profile!r}: {step}: {problem}; fix the profile: {fix}")
