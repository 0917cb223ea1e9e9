"""``ConformanceRun``: what one pytest process knows about the conformance run it is part of.

Its profiles (resolved on first use, which imports their frameworks) and the ``--profile``
spec each came from, one :class:`ProfileCache` per profile and one :class:`Zygote` (starting
child processes) per set of preloaded modules, the status of every clause so far (for
prerequisites), the result model, and the ``reproduce:`` command.
"""

from __future__ import annotations

import functools
import shlex
import time
from typing import Any

import pytest

from sedna_conformance.harness.contract.profile import Profile
from sedna_conformance.harness.contract.results import RunResult
from sedna_conformance.harness.discovery import load_profiles, specs_to_run
from sedna_conformance.harness.kit.profile_cache import ProfileCache
from sedna_conformance.harness.options import (
    DEFAULT_CLAUSE_TIMEOUT,
    HYPOTHESIS_LEVELS,
    RunOptions,
)
from sedna_conformance.harness.processes.zygote import Zygote

__all__ = ["ConformanceRun"]


class ConformanceRun:
    """The conformance run as seen from this process (controller, xdist worker or child)."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.outcomes: dict[tuple[str, str], str] = {}
        self.result = RunResult()
        self.started = time.perf_counter()
        self._profiles: list[Profile] | None = None
        self._specs: dict[str, str] = {}
        self._caches: dict[str, ProfileCache] = {}
        self._retired: list[ProfileCache] = []
        self._zygotes: dict[tuple[str, ...], Zygote] = {}
        #: Why this xdist worker refused the run (a usage error, said by the controller).
        self.usage_problem: str | None = None

    @property
    def resolved(self) -> bool:
        """Whether this process has resolved the profiles (it collected clause tests)."""
        return self._profiles is not None

    @property
    def profiles(self) -> list[Profile]:
        """The profiles to check, resolved on first use (that imports the frameworks)."""
        if self._profiles is None:
            try:
                specs, _ = specs_to_run(self.options.profile_specs)
            except LookupError as error:
                raise pytest.UsageError(str(error)) from None
            profiles = []
            for spec in specs:
                try:
                    loaded = load_profiles(spec)
                except (ImportError, AttributeError, LookupError, TypeError, ValueError) as error:
                    # ProfileError (a LookupError): whatever loading it raised, one line
                    raise pytest.UsageError(f"profile {spec!r}: {error}") from None
                for profile in loaded:
                    missing = profile.missing_modules()
                    if missing:
                        raise pytest.UsageError(f"profile {spec!r}: requires_modules {missing} "
                                                "do not import here")
                    self._specs[profile.name] = spec
                    profiles.append(profile)
            names = [p.name for p in profiles]
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise pytest.UsageError(f"profile names must be unique, repeated: {repeated}")
            self._profiles = profiles
        return self._profiles

    def refuse(self, problem: str) -> None:
        """Refuse the run in this xdist worker: it runs no profile, and its controller ends
        the run with ``problem`` as a usage error (a worker cannot: it would crash).
        """
        self.usage_problem, self._profiles = problem, []

    def spec_of(self, profile: Profile) -> str:
        """The ``--profile`` spec that gives ``profile`` (to rebuild it in a child process)."""
        return self._specs.get(profile.name, profile.name)

    def partners(self, profile: Profile) -> list[Profile]:
        """The other profiles of this run that declare ``profile``'s architecture tag."""
        tag = profile.architecture
        return [p for p in self.profiles if tag and p.architecture == tag
                and p.name != profile.name]

    def cache(self, profile: Profile) -> ProfileCache:
        """The cache of ``profile`` (its data and trained base model), made on first use."""
        cached = self._caches.get(profile.name)
        if cached is None or cached.profile is not profile:
            if cached is not None:  # perhaps still in use: removed at close
                self._retired.append(cached)
            cached = self._caches[profile.name] = ProfileCache(profile)
            if profile.preload:  # its costly imports run while the first clauses do
                self.zygote(profile).launch()
        return cached

    def zygote(self, profile: Profile) -> Zygote:
        """What starts ``profile``'s child processes (its ``preload`` imported once), shared
        by the profiles preloading the same modules.
        """
        key = tuple(profile.preload)
        if key not in self._zygotes:
            self._zygotes[key] = Zygote(key)
        return self._zygotes[key]

    def close(self) -> None:
        """Stop what the run started in this process (the zygotes) and remove the profiles'
        caches; idempotent.
        """
        for zygote in self._zygotes.values():
            zygote.close()
        self._zygotes.clear()
        for cached in [*self._caches.values(), *self._retired]:
            cached.close()
        self._caches.clear()
        self._retired.clear()

    @functools.cached_property
    def hypothesis_settings(self) -> Any:
        """The settings the clauses' properties run with (``--conformance-hypothesis``).

        Applied to each clause's own properties only: nothing global changes, so other
        hypothesis tests in the same session keep their own settings.
        """
        from hypothesis import HealthCheck, settings

        level = self.options.hypothesis
        return settings(max_examples=HYPOTHESIS_LEVELS[level], derandomize=level == "ci",
                        deadline=None, database=None, print_blob=True,
                        report_multiple_bugs=False,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.function_scoped_fixture])

    def reproduce(self, profile: Profile, clause_id: str) -> str:
        """The ``reproduce:`` line: a command that reruns ``clause_id`` on this run's profiles
        with every option that changes what the clause does (never a credential: those
        come from the environment).
        """
        specs = list(dict.fromkeys(self._specs.values())) or [profile.name]
        options = self.options
        command = ["sedna-conformance", "run"]
        for spec in specs:
            command += ["--profile", spec]
        command += ["--clause", clause_id]
        if options.hypothesis != "ci":
            command += ["--hypothesis", options.hypothesis]
        if options.isolate or options.child_journal:  # (an isolated child is not told)
            command.append("--isolate")
        if options.clause_timeout != DEFAULT_CLAUSE_TIMEOUT:
            command += ["--clause-timeout", _seconds(options.clause_timeout)]
        if options.s3_endpoint:
            command += ["--s3-endpoint", options.s3_endpoint]
        if options.s3_bucket:
            command += ["--s3-bucket", options.s3_bucket]
        credentials = (", credentials from ACCESS_KEY_ID and SECRET_ACCESS_KEY"
                       if options.s3_endpoint else "")
        return (f"reproduce: {shlex.join(command)}  "
                f"# profile {profile.name}, seed {profile.seed}{credentials}")


def _seconds(value: float) -> str:
    """``value`` as the command line reads it back exactly (``90``, ``0.5``)."""
    return str(int(value)) if value.is_integer() else repr(value)
