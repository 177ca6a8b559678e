"""``bedplan suggest``: where can this patient go tonight, and why not the nearer wards?

A bed manager waits for it, so it does only what the answer needs: no pandas, SciPy, PuLP
or plotting is imported; a census read before comes from the cache of parsed instances
(:func:`models.io.read_instance_cached`), and a census read for the first time has all its
homes snapped at once (:func:`optimiser.geography.network.remember_snaps`), so that the next
questions about any of its patients need no geodesic library either.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import click


def _night(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """``--tonight``: a calendar date as YYYY-MM-DD, or ``today`` (this machine's date)."""
    if value is None:
        return None
    text = value.strip()
    if text.lower() == "today":
        return dt.date.today()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise click.BadParameter(f"{value!r} is not a date: give YYYY-MM-DD (e.g. 2026-12-07) "
                             "or 'today'")


@click.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--patient", "patient_id", default=None, metavar="ID",
              help="A referral (or an inpatient to move) of patients.csv.")
@click.option("--referral", default=None, metavar="KEY=VALUE,...",
              help="A new referral not in patients.csv, e.g. service=adult_secure,"
                   "level=medium,sex=male,age=34,home_postcode=LS9 (same columns as "
                   "patients.csv; needs as ld;asd). Without home_network_id the home "
                   "collaborative comes from the footprint of home_postcode; where the "
                   "footprint cannot say (no postcode, an area it does not cover) from the "
                   "nearest unit of that service and level, with a note.")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many options to list.")
@click.option("--allow-moves", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also options that free a full unit by moving up to this many movable "
                   "inpatients (a chain); their cost is the change in the whole objective.")
@click.option("--tonight", default=None, metavar="DATE", callback=_night,
              help="Apply the policy's max_admissions_per_unit to this night (YYYY-MM-DD or "
                   "'today'): a ward that already took that many patients admitted_on DATE "
                   "is not offered (nor the destination of a move in a chain), and says so. "
                   "Default: not applied.")
@click.option("--distance", type=click.Choice(["road", "geodesic"]), default=None,
              help="Distance used for km (default: policy.toml, else road).")
@click.option("--json", "as_json", is_flag=True, help="Print the contract's JSON.")
def suggest(instance: Path, patient_id: str | None, referral: str | None, top: int,
            allow_moves: int, tonight: dt.date | None, distance: str | None,
            as_json: bool) -> None:
    """Rank the units that can take one patient tonight, with every reason the nearer
    units cannot.

    \b
    Options are compatible units with a free bed (open beds minus the inpatients in them),
    ranked by the patient's own placement cost: km + out-of-area penalty + bed cost, with
    the weights of policy.toml. Equal costs (the wards of one site) are ordered by a rule,
    never by name: fewer moves first; then a specialist-only ward whose specialism the
    patient needs (it exists for that need, and the general bed stays free for patients no
    specialist ward takes); then more free beds (room to absorb an admission, spreading the
    night's admissions); then unit_id. The text shows every name in full, the provider type,
    the collaborative's name and the patient's legal status. With --json, stdout is exactly
    the contract's JSON and notes (e.g. "no unit in this instance offers camhs/picu") go to
    stderr. A census read before is read again from the cache (docs/instance-format.md,
    "bedplan suggest"; $BEDPLAN_NO_CACHE turns it off). Exit codes: 0 done (also when
    nothing fits, or nothing in the instance offers the service), 2 invalid input or
    unknown patient.
    """
    from models.io import read_instance_cached
    from models.referral import read_referral
    from optimiser.geography.network import check_reachable_stays
    from optimiser.planning.suggest import render_suggestion
    from optimiser.planning.suggest import suggest as run_suggest

    if (patient_id is None) == (referral is None):
        raise click.UsageError("give exactly one of --patient ID or --referral KEY=VALUE,...")
    overrides = {"distance": distance} if distance else {}
    inst, cached = read_instance_cached(instance, policy_overrides=overrides, plan=False)
    check_reachable_stays(inst)  # invalid input for every command (a no-op on England's roads)
    if not cached:  # a census not seen before: snap all its homes now, once
        from optimiser.geography.network import remember_snaps

        remember_snaps(inst)
    notes: tuple[str, ...] = ()
    if tonight is not None and inst.policy.limits.max_admissions_per_unit is None:
        notes = (f"--tonight {tonight.isoformat()}: the policy sets no "
                 "max_admissions_per_unit, so no ward is limited",)
    if referral is not None:
        inline = read_referral(referral, inst)
        result = run_suggest(inst, inline.patient, top=top, allow_moves=allow_moves,
                             tonight=tonight, notes=(*inline.notes, *notes))
        patient = inline.patient
    else:
        assert patient_id is not None
        result = run_suggest(inst, patient_id, top=top, allow_moves=allow_moves,
                             tonight=tonight, notes=notes)
        patient = None
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), indent=2, allow_nan=False))
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        return
    if patient is None:
        patient = inst.patients[inst.patient_index()[result.patient_id]]
    click.echo(render_suggestion(result, inst, patient))
