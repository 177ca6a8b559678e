"""The core: one model, many solvers.

The cost table (every allowed outcome with its cost), the constraint families defined once
and solver-neutral (:mod:`optimiser.core.rows`), and every method that reads them: the PuLP
model of record, the pricing path, the min-cost flow, the diagnosis. ``solve()`` turns an
Instance into a plain :class:`~optimiser.core.result.Result`.
"""
