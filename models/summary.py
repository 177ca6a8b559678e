"""A short plain-text picture of a valid instance, for ``bedplan validate``.

What a bed manager checks first: how many wards and patients of each kind, where the beds
are, whether a service has more patients than open beds, and which wards are over-full
tonight.
"""

from __future__ import annotations

from collections import Counter

from models.domain import LEVELS, Instance, Policy


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    """Left-aligned first columns, right-aligned numbers, two spaces between."""
    cells = [header, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for r in cells:
        parts = [r[i].ljust(widths[i]) if not r[i].lstrip("-").isdigit() or i == 0
                 else r[i].rjust(widths[i]) for i in range(len(r))]
        lines.append("  " + "  ".join(parts).rstrip())
    return lines


def _policy_line(policy: Policy) -> str:
    lim = policy.limits
    moves = "no limit" if lim.max_moves is None else str(lim.max_moves)
    adm = "no limit" if lim.max_admissions_per_unit is None else str(lim.max_admissions_per_unit)
    limit = "none" if policy.solver.time_limit is None else f"{policy.solver.time_limit:g} s"
    return (f"Policy: {policy.distance} distances; max moves {moves}; max admissions per unit "
            f"{adm}; solver {policy.solver.name}, time limit {limit}")


def summary(instance: Instance) -> str:
    """Counts by service, level and network; open beds against patients; over-full units."""
    units, patients = instance.units, instance.patients
    inpatients = [p for p in patients if not p.is_referral]
    referrals = [p for p in patients if p.is_referral]
    networks = {u.network_id for u in units} | {p.home_network_id for p in patients} \
        | {n.network_id for n in instance.networks}
    lines = [
        f"Instance: {instance.source or '(in memory)'}",
        f"  {len(units)} units in {len(networks)} networks; {len(patients)} patients: "
        f"{len(inpatients)} inpatients, {len(referrals)} referrals",
    ]
    if instance.geography is not None:
        lines.append(f"  custom travel network: {len(instance.geography.places)} places, "
                     f"{len(instance.geography.links)} links")

    unit_n: Counter[tuple[str, str]] = Counter()
    beds: Counter[tuple[str, str]] = Counter()
    open_beds: Counter[tuple[str, str]] = Counter()
    for u in units:
        key = (u.service, u.level)
        unit_n[key] += 1
        beds[key] += u.beds
        open_beds[key] += u.open_beds
    inp = Counter((p.service, p.level) for p in inpatients)
    ref = Counter((p.service, p.level) for p in referrals)
    keys = [(s, lv) for s, levels in LEVELS.items() for lv in levels
            if unit_n[(s, lv)] or inp[(s, lv)] or ref[(s, lv)]]
    lines += ["", "By service and level (patients by the level they need):"]
    lines += _table(["service", "level", "units", "beds", "open", "inpatients", "referrals"],
                    [[s, lv, unit_n[(s, lv)], beds[(s, lv)], open_beds[(s, lv)],
                      inp[(s, lv)], ref[(s, lv)]] for s, lv in keys])

    net_units = Counter(u.network_id for u in units)
    net_open: Counter[str] = Counter()
    for u in units:
        net_open[u.network_id] += u.open_beds
    net_home = Counter(p.home_network_id for p in patients)
    lines += ["", "By network (patients by home network):"]
    lines += _table(["network", "units", "open beds", "patients"],
                    [[n, net_units[n], net_open[n], net_home[n]] for n in sorted(networks)])

    lines += ["", "Open beds against patients, by service:"]
    for service in LEVELS:
        n_open = sum(u.open_beds for u in units if u.service == service)
        n_in = sum(1 for p in inpatients if p.service == service)
        n_ref = sum(1 for p in referrals if p.service == service)
        if not (n_open or n_in or n_ref):
            continue
        spare = n_open - n_in - n_ref
        verdict = f"{spare} spare" if spare >= 0 else f"{-spare} short"
        lines.append(f"  {service}: {n_open} open beds for {n_in + n_ref} patients "
                     f"({n_in} inpatients + {n_ref} referrals): {verdict}")

    staying = Counter(p.current_unit_id for p in inpatients)
    over = [(u, staying[u.unit_id]) for u in units if staying[u.unit_id] > u.open_beds]
    lines += ["", "Units with more inpatients than open beds:"]
    if over:
        lines += [f"  {u.unit_id}{f' ({u.name})' if u.name else ''}: {n} inpatients, "
                  f"{u.open_beds} open beds" for u, n in over]
    else:
        lines.append("  none")
    lines += ["", _policy_line(instance.policy)]
    return "\n".join(lines)
