"""Layer 4, the clause kit: what a clause body works with (its :class:`~.clause_run.ClauseRun`,
the trace of backend calls, failures, the per-profile cache and the run's state).
"""
