"""Attacks on the installed suite, as a careful user and a hostile backend would make them
(issue #25): the catalogue (:mod:`~benchmarks.attacks.catalogue`, data), the runner that
carries one out against the real CLI (:mod:`~benchmarks.attacks.runner`), the checks of what
must hold afterwards (:mod:`~benchmarks.attacks.checks`) and the page sections
(:mod:`~benchmarks.attacks.page`). ``benchmarks/reliability.py`` runs them all.
"""
