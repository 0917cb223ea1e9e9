"""Layer 3, processes: process groups, the zygote and the helper processes clauses start, the
run's temporary folder, and the storage servers the remote clauses use.
"""
