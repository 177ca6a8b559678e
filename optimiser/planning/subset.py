"""``--network ID``: restrict an instance to one provider collaborative.

The rule (what a collaborative can decide on its own tonight):

- **units**: every unit whose ``network_id`` is ID;
- **patients**: every inpatient whose current unit is one of those units (whatever their home
  network), every referral whose ``home_network_id`` is ID, and every inpatient whose home
  network is ID but who is placed in another network's unit — the out-of-area patients the
  collaborative is responsible for, so that repatriation has work to do;
- such an out-of-area patient's current unit stays in the subset (so they may stay), but with
  its open beds reduced to the subset's patients there (``beds`` = that number, or the unit's
  own open beds when fewer; ``beds_closed`` = 0). Nothing of another network's spare capacity
  is used: at most the beds the collaborative's own patients already hold, which may be
  swapped among them.

Everything else (other networks' units, referrals and inpatients) is left out. Policy,
networks and geography are kept. Order of units and patients is the instance's.
"""

from __future__ import annotations

from dataclasses import replace

from models.domain import Instance, Patient
from models.errors import InputError, Problem


def known_networks(instance: Instance) -> set[str]:
    """Network ids an instance mentions (networks.csv, units and home networks)."""
    ids = {n.network_id for n in instance.networks}
    ids.update(u.network_id for u in instance.units)
    ids.update(p.home_network_id for p in instance.patients)
    return ids


def restrict_to_network(instance: Instance, network_id: str) -> Instance:
    """The part of ``instance`` that collaborative ``network_id`` decides on (see module doc).

    Raises :class:`InputError` for an id the instance does not know.
    """
    known = known_networks(instance)
    if network_id not in known:
        listed = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
        raise InputError(Problem("--network", None, None,
                                 f"unknown network {network_id!r}; known: {listed or 'none'}"))
    own = {u.unit_id for u in instance.units if u.network_id == network_id}

    def included(p: Patient) -> bool:
        if p.current_unit_id is not None and not p.is_referral and p.current_unit_id in own:
            return True
        return p.home_network_id == network_id

    patients = tuple(p for p in instance.patients if included(p))
    held: dict[str, int] = {}
    for p in patients:
        if not p.is_referral and p.current_unit_id is not None and p.current_unit_id not in own:
            held[p.current_unit_id] = held.get(p.current_unit_id, 0) + 1
    units = []
    for u in instance.units:
        if u.unit_id in own:
            units.append(u)
        elif u.unit_id in held:
            beds = min(held[u.unit_id], u.open_beds)
            units.append(replace(u, beds=beds, beds_closed=0))
    return replace(instance, units=tuple(units), patients=patients)
