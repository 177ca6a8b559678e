"""The model's constraint families, defined once and solver-neutral.

Every method reads these rows and nothing else: the PuLP model of record
(:mod:`optimiser.core.formulation`) turns each family into constraints, the pricing path
(:mod:`optimiser.core.pricing`) into highspy rows and reduced costs, the min-cost flow and the
bed check (:mod:`optimiser.core.flownet`) into arcs. A new constraint is a new family here,
and every method sees it (or, like the flow for a move budget, says it cannot).

A family is a block of rows ``Σ_k A[r, k]·x_k  (sense)  rhs[r]`` over the options ``k`` of the
:class:`~optimiser.core.costs.CostTable`, with every coefficient 1. Its incidence is stored
by option: one night needs one row per option at most (the *dense* form, which reuses the
cost table's own arrays); a plan over nights puts a patient's nights in one ward into one run
of consecutive rows, so that ``Aᵀy`` is a difference of cumulative sums of ``y`` (see
:meth:`RowFamily.price`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from models.domain import Limits
from optimiser.core.costs import ADMIT, MOVE, STAY, CostTable

Sense = Literal["==", "<="]

#: Names of the single-night families, in the order every method lays them out.
ASSIGN, CAPACITY, ADMISSIONS, MOVES = "assign", "capacity", "admissions", "moves"
#: The per-night families of a plan over nights (row ``u·N + t − 1`` is unit u on night t).
NIGHTLY_CAPACITY, NIGHTLY_ADMISSIONS, NIGHTLY_MOVES = \
    "nightly_capacity", "nightly_admissions", "nightly_moves"


@dataclass(frozen=True, eq=False)
class RowFamily:
    """One named block of rows with unit coefficients (see the module docstring).

    ``key[r]``: what row r is about (a patient or unit index, -1 for a single global row),
    used for names and by the flow. The incidence has one of two forms:

    - *dense* (``opt is None``; every one-night family): ``lo[k]`` is option k's row, -1 when
      it has none. Arrays of the cost table are used as they are (the assignment rows are
      ``costs.patient``, the capacity rows ``costs.unit``): no copy per option;
    - *runs* (``opt`` given, sorted): entry e gives option ``opt[e]`` coefficient 1 in rows
      ``lo[e] .. hi[e]-1`` (``hi is None``: one row).
    """

    name: str
    sense: Sense
    rhs: np.ndarray  # float64 per row
    key: np.ndarray  # int64 per row
    lo: np.ndarray
    opt: np.ndarray | None = None
    hi: np.ndarray | None = None
    #: Rows come in blocks of this many consecutive rows (a unit's nights) that no run
    #: crosses; 0 when there are none. A solver may then difference the rows of a block
    #: (row t minus row t − 1), which turns every run into two nonzeros.
    block: int = 0

    @property
    def n_rows(self) -> int:
        return int(self.rhs.size)

    @property
    def dense(self) -> bool:
        return self.opt is None

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(row, option)`` for every unit coefficient, runs expanded (for building rows)."""
        if self.opt is None:
            opt = np.flatnonzero(self.lo >= 0)
            return self.lo[opt].astype(np.int64), opt
        if self.hi is None:
            return self.lo.astype(np.int64), self.opt
        lengths = self.hi - self.lo
        opt = np.repeat(self.opt, lengths)
        start = np.repeat(self.lo - np.cumsum(lengths) + lengths, lengths)
        return (start + np.arange(opt.size)).astype(np.int64), opt

    def row_of(self, n_options: int) -> np.ndarray:
        """The row of each option, -1 when it has none (one row per option at most)."""
        if self.opt is None:
            return self.lo
        if (self.hi is not None and np.any(self.hi - self.lo != 1)) or \
                np.unique(self.opt).size != self.opt.size:
            raise ValueError(f"family {self.name}: an option spans several rows")
        out = np.full(n_options, -1, dtype=np.int64)
        out[self.opt] = self.lo
        return out

    def price(self, y: np.ndarray, first: int, last: int) -> np.ndarray:
        """``(Aᵀy)_k`` for options ``first .. last-1``: the sum of ``y`` over each option's
        rows — a lookup for single rows, a difference of cumulative sums for runs."""
        if self.opt is None:
            return np.append(np.asarray(y, dtype=float), 0.0)[self.lo[first:last]]
        a, b = np.searchsorted(self.opt, (first, last))
        if b <= a:
            return np.zeros(last - first)
        if self.hi is None:
            part = np.asarray(y, float)[self.lo[a:b]]
        else:
            cum = np.concatenate(([0.0], np.cumsum(y, dtype=float)))
            part = cum[self.hi[a:b]] - cum[self.lo[a:b]]
        return np.bincount(self.opt[a:b] - first, weights=part, minlength=last - first)

    def members(self) -> Iterator[tuple[int, np.ndarray]]:
        """(row, its options in option order) for every row with at least one option."""
        row, opt = self.pairs()
        if row.size == 0:
            return
        order = np.lexsort((opt, row))
        row, opt = row[order], opt[order]
        cuts = np.flatnonzero(np.diff(row)) + 1
        for part_row, part_opt in zip(np.split(row, cuts), np.split(opt, cuts), strict=True):
            yield int(part_row[0]), part_opt

    def restricted(self, options: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(row, option)`` pairs of the given options only (sorted unique option ids)."""
        if self.opt is None:
            rows = self.lo[options]
            keep = rows >= 0
            return rows[keep].astype(np.int64), options[keep]
        sub = RowFamily(self.name, self.sense, self.rhs, self.key, *self.entries(options))
        return sub.pairs()

    def entries(self, options: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(lo, opt, hi)`` of the runs of ``options`` (sorted unique), found by binary search
        in the option-sorted entries (never a pass over all of them)."""
        assert self.opt is not None
        a = np.searchsorted(self.opt, options, side="left")
        b = np.searchsorted(self.opt, options, side="right")
        count = b - a
        pos = np.repeat(a - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        return self.lo[pos], self.opt[pos], None if self.hi is None else self.hi[pos]

    def activity(self, chosen: np.ndarray) -> np.ndarray:
        """Left-hand side of every row when exactly the options ``chosen`` are 1."""
        row, _ = self.restricted(np.unique(np.asarray(chosen, dtype=np.int64)))
        return np.bincount(row, minlength=self.n_rows).astype(float)


@dataclass(frozen=True, eq=False)
class ModelRows:
    """All families of one model, in layout order (the order of rows in every solver)."""

    families: tuple[RowFamily, ...]
    n_options: int

    def __getitem__(self, name: str) -> RowFamily:
        for f in self.families:
            if f.name == name:
                return f
        raise KeyError(name)

    def get(self, name: str) -> RowFamily | None:
        return next((f for f in self.families if f.name == name), None)

    @property
    def offsets(self) -> dict[str, int]:
        """First global row of each family when the families are stacked in order."""
        out, at = {}, 0
        for f in self.families:
            out[f.name] = at
            at += f.n_rows
        return out

    @property
    def n_rows(self) -> int:
        return sum(f.n_rows for f in self.families)

    def price(self, duals: np.ndarray, first: int, last: int) -> np.ndarray:
        """``(Aᵀy)_k`` over all families for options ``first .. last-1`` (stacked duals)."""
        out = np.zeros(last - first)
        for f, at in zip(self.families, self.offsets.values(), strict=True):
            out += f.price(duals[at:at + f.n_rows], first, last)
        return out

    def rhs(self) -> np.ndarray:
        """Right-hand sides of all rows, stacked."""
        return np.concatenate([f.rhs for f in self.families]) if self.families else \
            np.zeros(0)

    def columns(self, options: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column-wise incidence of ``options`` (sorted, unique): CSC ``starts`` per option and
        global row ``index`` per nonzero, for adding them as solver columns."""
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        for f, at in zip(self.families, self.offsets.values(), strict=True):
            r, o = f.restricted(options)
            rows.append(r + at)
            cols.append(np.searchsorted(options, o))
        row, col = np.concatenate(rows), np.concatenate(cols)
        order = np.lexsort((row, col))
        counts = np.bincount(col, minlength=options.size)
        starts = np.zeros(options.size, dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        return starts, row[order]

    def violated(self, chosen: np.ndarray, tol: float = 1e-9) -> list[str]:
        """The rows a plan breaks, named (``capacity[3]: 4 > 3``): empty for a feasible plan."""
        out = []
        for f in self.families:
            lhs = f.activity(chosen)
            bad = lhs > f.rhs + tol if f.sense == "<=" else np.abs(lhs - f.rhs) > tol
            out += [f"{f.name}[{int(f.key[r])}]: {lhs[r]:g} {'>' if f.sense == '<=' else '!='} "
                    f"{f.rhs[r]:g}" for r in np.flatnonzero(bad)]
        return out


def _single(name: str, sense: Sense, row_of: np.ndarray, rhs: np.ndarray,
            key: np.ndarray) -> RowFamily:
    """A one-night (dense) family from the row of each option (-1: not in the family)."""
    return RowFamily(name, sense, np.asarray(rhs, dtype=float), np.asarray(key, np.int64),
                     row_of)


def assignment_rows(costs: CostTable) -> RowFamily:
    """Each patient gets exactly one outcome: ``Σ_{k ∈ K_p} x_k = 1   ∀ p``."""
    n = costs.n_patients
    return _single(ASSIGN, "==", costs.patient, np.ones(n), np.arange(n))


def capacity_rows(costs: CostTable) -> RowFamily:
    """Patients staying in, moving into or admitted to u fit its open beds:
    ``Σ_{k ∈ K_u} x_k ≤ b_u   ∀ u``."""
    m = costs.n_units
    return _single(CAPACITY, "<=", costs.unit, costs.open_beds, np.arange(m))


def admission_rows(costs: CostTable, limit: int | None) -> RowFamily | None:
    """Each unit receives at most ``limit`` new patients tonight (moves in + admissions):
    ``Σ_{k ∈ N_u} x_k ≤ max_admissions_per_unit   ∀ u``. No family without a limit.

    A row is listed for every unit (the pricing path prices options not yet in the model
    against it), even where it cannot bind."""
    if limit is None:
        return None
    new = (costs.kind == MOVE) | (costs.kind == ADMIT)
    m = costs.n_units
    return _single(ADMISSIONS, "<=", np.where(new, costs.unit, -1).astype(np.int32),
                   np.full(m, float(limit)), np.arange(m))


def move_budget_rows(costs: CostTable, max_moves: int | None) -> RowFamily | None:
    """At most ``max_moves`` inpatients move: ``Σ_{k ∈ M} x_k ≤ max_moves``. No family
    without a limit."""
    if max_moves is None:
        return None
    return _single(MOVES, "<=", np.where(costs.kind == MOVE, 0, -1).astype(np.int8),
                   np.array([float(max_moves)]), np.array([-1]))


def build_rows(costs: CostTable, limits: Limits) -> ModelRows:
    """Every family of the one-night model, in layout order: assignment, capacity, admission
    limit, move budget (the limits' families only when the limit is set)."""
    families = [assignment_rows(costs), capacity_rows(costs),
                admission_rows(costs, limits.max_admissions_per_unit),
                move_budget_rows(costs, limits.max_moves)]
    return ModelRows(tuple(f for f in families if f is not None), costs.n_options)


# --------------------------------------------------------------------------- several nights


def _interleave(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray],
                has_second: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries (opt, lo, hi) in option order from each option's first run and, where
    ``has_second``, its second run — placed directly, no sort (tens of millions of entries)."""
    n = has_second.size
    count = 1 + has_second.astype(np.int64)
    at = np.zeros(n, dtype=np.int64)
    np.cumsum(count[:-1], out=at[1:])
    total = int(count.sum())
    opt = np.empty(total, dtype=np.int64)
    lo = np.empty(total, dtype=np.int64)
    hi = np.empty(total, dtype=np.int64)
    k = np.arange(n, dtype=np.int64)
    opt[at], lo[at], hi[at] = k, first[0], first[1]
    two = at[has_second] + 1
    opt[two], lo[two], hi[two] = k[has_second], second[0][has_second], second[1][has_second]
    return opt, lo, hi


def nightly_capacity_rows(costs: CostTable, night: np.ndarray, current: np.ndarray,
                          last: np.ndarray, nights: int) -> RowFamily:
    """Patients present in u on night t fit its open beds:
    ``Σ_k [k puts its patient in u on night t]·x_k ≤ b_u   ∀ u, t``.

    A stay occupies the current unit on nights ``1..L_p``; a move on night s the current
    unit on ``1..s−1`` and the new one on ``s..L_p``; an admission on night s its unit on
    ``s..N``: each a run of consecutive rows ``u·N + t − 1``. Unplaced and later options
    occupy nothing (an empty run, dropped)."""
    p = costs.patient.astype(np.int64)
    u = costs.unit.astype(np.int64)
    cur, end, s = current[p], last[p], night.astype(np.int64)
    kind = costs.kind
    move, admit, stay = kind == MOVE, kind == ADMIT, kind == STAY
    early = move & (s > 1)  # a move after night 1: the current unit first, then the new one
    new_lo, new_hi = u * nights + s - 1, u * nights + np.where(admit, nights, end)
    cur_lo, cur_hi = cur * nights, cur * nights + np.where(move, s - 1, end)
    first_lo = np.where(stay | early, cur_lo, new_lo)
    first_hi = np.where(stay | early, cur_hi, new_hi)
    opt, lo, hi = _interleave((first_lo, first_hi), (new_lo, new_hi), early)
    keep = (kind[opt] == STAY) | (kind[opt] == MOVE) | (kind[opt] == ADMIT)
    opt, lo, hi = opt[keep], lo[keep], hi[keep]
    m = costs.n_units
    return RowFamily(NIGHTLY_CAPACITY, "<=", np.repeat(costs.open_beds.astype(float), nights),
                     np.arange(m * nights, dtype=np.int64), lo, opt, hi, block=nights)


def nightly_admission_rows(costs: CostTable, night: np.ndarray, nights: int,
                           limit: int | None) -> RowFamily | None:
    """Moves into u plus referrals admitted to u on night t stay within the limit:
    ``Σ_{k ∈ N_{u,t}} x_k ≤ max_admissions_per_unit   ∀ u, t``."""
    if limit is None:
        return None
    new = np.flatnonzero((costs.kind == MOVE) | (costs.kind == ADMIT))
    rows = costs.unit[new].astype(np.int64) * nights + night[new].astype(np.int64) - 1
    m = costs.n_units
    return RowFamily(NIGHTLY_ADMISSIONS, "<=", np.full(m * nights, float(limit)),
                     np.arange(m * nights, dtype=np.int64), rows, new.astype(np.int64))


def nightly_move_rows(costs: CostTable, night: np.ndarray, nights: int,
                      max_moves: int | None) -> RowFamily | None:
    """At most ``max_moves`` inpatients move on night t: ``Σ_{k ∈ M_t} x_k ≤ max_moves  ∀ t``."""
    if max_moves is None:
        return None
    moves = np.flatnonzero(costs.kind == MOVE)
    return RowFamily(NIGHTLY_MOVES, "<=", np.full(nights, float(max_moves)),
                     np.arange(nights, dtype=np.int64),
                     night[moves].astype(np.int64) - 1, moves.astype(np.int64))


def build_plan_rows(costs: CostTable, night: np.ndarray, current: np.ndarray,
                    last: np.ndarray, nights: int, limits: Limits) -> ModelRows:
    """Every family of the plan over ``nights``: assignment (one change per patient at most:
    one option), capacity, admission limit and move budget per night."""
    families = [assignment_rows(costs),
                nightly_capacity_rows(costs, night, current, last, nights),
                nightly_admission_rows(costs, night, nights, limits.max_admissions_per_unit),
                nightly_move_rows(costs, night, nights, limits.max_moves)]
    return ModelRows(tuple(f for f in families if f is not None), costs.n_options)
