"""The row families as a flow network: the one place arcs are derived from rows.

Without a move budget the one-night model is a min-cost flow: the assignment rows are
patients (supply 1), the capacity rows are units (an arc to the sink with capacity ``b_u``),
and the admission rows are "new arrivals" nodes in front of their unit (capacity ``A``)::

    patient p ──option k (cap 1)───────────────────────────▶ unit u ──b_u──▶ sink
              ──option k ∈ N_u (cap 1)─▶ arrivals(u) ──A──▶ unit u
              ──option k in no unit row (unplaced)──────────────────────────▶ sink

Every option is one arc, so a flow is a plan of the model and vice versa. The solver's flow
(:mod:`optimiser.core.flow`) and the bed check (:mod:`optimiser.core.diagnosis`) both build
their network here, from the same families the MIP and the pricing path read; whether the
families *are* a network (nested admission rows, one row per option) is checked, not assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimiser.core.rows import ADMISSIONS, ASSIGN, CAPACITY, ModelRows


@dataclass(frozen=True, eq=False)
class FlowNet:
    """Arcs of the network, options first (in the order given), then unit → sink, then
    arrivals → unit. Nodes: assignment rows (patients), capacity rows (units), admission rows
    (arrivals), the sink last."""

    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    n_nodes: int
    sink: int
    n_option_arcs: int
    unit_node: np.ndarray  # node of each capacity row

    @property
    def unit_arcs(self) -> slice:
        """The unit → sink arcs, one per capacity row."""
        return slice(self.n_option_arcs, self.n_option_arcs + self.unit_node.size)


class NotANetwork(ValueError):
    """The families hold a row the flow cannot carry (e.g. a move budget)."""


def flow_network(rows: ModelRows, options: np.ndarray | None = None) -> FlowNet:
    """The network of the families' rows over ``options`` (default: every option).

    Raises :class:`NotANetwork` when a family other than assignment, capacity and admissions
    has rows, or when an option's admission row is not in front of its own unit.
    """
    extra = [f.name for f in rows.families if f.name not in (ASSIGN, CAPACITY, ADMISSIONS)]
    if extra:
        raise NotANetwork(f"not a flow: the {', '.join(extra)} rows have no arc")
    assign, capacity, admissions = rows[ASSIGN], rows[CAPACITY], rows.get(ADMISSIONS)
    opts = np.arange(rows.n_options) if options is None else np.asarray(options, np.int64)
    n, m = assign.n_rows, capacity.n_rows
    a = admissions.n_rows if admissions is not None else 0
    unit_node = n + np.arange(m, dtype=np.int64)
    arrive_node = n + m + np.arange(a, dtype=np.int64)
    sink = n + m + a
    patient = assign.row_of(rows.n_options)[opts].astype(np.int64)
    unit_row = capacity.row_of(rows.n_options)[opts].astype(np.int64)
    heads = np.where(unit_row >= 0, np.append(unit_node, sink)[unit_row], sink)
    tails = [patient, unit_node]
    all_heads = [heads, np.full(m, sink, np.int64)]
    caps = [np.ones(opts.size, np.int64), capacity.rhs.astype(np.int64)]
    if admissions is not None:
        arrive_row = admissions.row_of(rows.n_options)[opts].astype(np.int64)
        new = arrive_row >= 0
        cap_key = capacity.key[unit_row[new]]
        if np.any(unit_row[new] < 0) or np.any(admissions.key[arrive_row[new]] != cap_key):
            raise NotANetwork("not a flow: an admission row is not in front of its unit")
        heads[new] = arrive_node[arrive_row[new]]
        row_of_key = {int(k): r for r, k in enumerate(capacity.key)}
        tails.append(arrive_node)
        all_heads.append(unit_node[[row_of_key[int(k)] for k in admissions.key]])
        caps.append(admissions.rhs.astype(np.int64))
    return FlowNet(np.concatenate(tails), np.concatenate(all_heads), np.concatenate(caps),
                   sink + 1, sink, int(opts.size), unit_node)
