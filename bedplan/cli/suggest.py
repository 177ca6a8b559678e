"""``bedplan suggest``: where can this patient go tonight, and why not the nearer wards?

Only what a suggestion uses is imported (no pandas, PuLP or plotting on this path): a bed
manager waits for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


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
@click.option("--distance", type=click.Choice(["road", "geodesic"]), default=None,
              help="Distance used for km (default: policy.toml, else road).")
@click.option("--json", "as_json", is_flag=True, help="Print the contract's JSON.")
def suggest(instance: Path, patient_id: str | None, referral: str | None, top: int,
            allow_moves: int, distance: str | None, as_json: bool) -> None:
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
    stderr. Exit codes: 0 done (also when nothing fits, or nothing in the instance
    offers the service), 2 invalid input or unknown patient.
    """
    from models.io import read_instance
    from models.referral import read_referral
    from optimiser.planning.suggest import render_suggestion
    from optimiser.planning.suggest import suggest as run_suggest

    if (patient_id is None) == (referral is None):
        raise click.UsageError("give exactly one of --patient ID or --referral KEY=VALUE,...")
    overrides = {"distance": distance} if distance else {}
    inst = read_instance(instance, policy_overrides=overrides)
    if referral is not None:
        inline = read_referral(referral, inst)
        result = run_suggest(inst, inline.patient, top=top, allow_moves=allow_moves,
                             notes=inline.notes)
        patient = inline.patient
    else:
        assert patient_id is not None
        result = run_suggest(inst, patient_id, top=top, allow_moves=allow_moves)
        patient = inst.patients[inst.patient_index()[patient_id]]
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), indent=2, allow_nan=False))
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        return
    click.echo(render_suggestion(result, inst, patient))
