"""``bedplan generate``: write a seeded realistic instance (parse, call, print)."""

from __future__ import annotations

from pathlib import Path

import click

from bedplan.cli._common import EXIT_INPUT, emit
from models.domain import SERVICES


def _non_empty(path: Path) -> bool:
    try:
        return path.exists() and (not path.is_dir() or any(path.iterdir()))
    except OSError:
        return True


@click.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), required=True,
              help="Random seed: the same seed and options give byte-identical files.")
@click.option("--patients", "n_patients", type=click.IntRange(min=0), required=True,
              help="Tonight's patients in patients.csv (inpatients plus referrals).")
@click.option("--units", "n_units", type=click.IntRange(min=1), required=True,
              help="Wards in units.csv.")
@click.option("--referrals", "n_referrals", type=click.IntRange(min=0), default=None,
              help="How many of the patients are tonight's referrals "
                   "[default: 3% of the beds].")
@click.option("--future-days", "future_days", type=click.IntRange(min=0), default=0,
              show_default=True, metavar="D",
              help="Also write the referrals expected over the next D days, each with its "
                   "arrives_on (for `bedplan plan` and `bedplan simulate`; every other "
                   "command takes them as tonight's). They come on top of --patients.")
@click.option("--services", default=",".join(SERVICES), show_default=True,
              help="Comma-separated services to include.")
@click.option("--occupancy", type=click.FloatRange(min=0, max=1, min_open=True), default=0.9,
              show_default=True, help="Share of open beds taken by inpatients.")
@click.option("--regions", "n_regions", type=click.IntRange(min=1), default=None,
              help="Collaborative regions [default: one per 20 wards, 1 to 15].")
@click.option("--distance", type=click.Choice(["road", "geodesic"]), default="road",
              show_default=True, help="Distance mode written to policy.toml.")
@click.option("--force", is_flag=True, help="Write into OUTDIR even if it is not empty.")
def generate(outdir: Path, seed: int, n_patients: int, n_units: int, n_referrals: int | None,
             future_days: int, services: str, occupancy: float, n_regions: int | None,
             distance: str, force: bool) -> None:
    """Write a realistic synthetic instance of any size to OUTDIR.

    \b
    Wards sit where England's population is, sized and mixed like England's secure, CAMHS
    and eating-disorder wards; patients live in postcode districts drawn by population,
    fill the beds to the occupancy, and a calibrated share is placed out of area.
    Dates (admitted_on, expected_discharge, arrives_on) lie around the census night,
    written to policy.toml as [plan] start. With --future-days D the referrals of the
    next D days follow tonight's census (Little's law: as many arrive as leave), for
    `bedplan plan` and `bedplan simulate`. See docs/instances.md for every assumption.

    \b
    Exit codes: 0 written, 2 bad options or OUTDIR not empty (use --force).
    """
    wanted = [s.strip() for s in services.split(",") if s.strip()]
    if n_referrals is not None and n_referrals > n_patients:
        raise click.BadParameter(f"{n_referrals} referrals but only {n_patients} patients",
                                 param_hint="--referrals")
    if outdir.exists() and not outdir.is_dir():
        click.echo(f"error: {outdir} is a file, not a directory. Nothing was written.", err=True)
        emit(EXIT_INPUT)
    if _non_empty(outdir) and not force:
        click.echo(f"error: {outdir} exists and is not empty; use --force to write into it "
                   "anyway. Nothing was written.", err=True)
        emit(EXIT_INPUT)
    from models.generate import generate_instance
    from models.io import write_instance

    try:
        instance = generate_instance(seed, n_patients, n_units, services=wanted,
                                     occupancy=occupancy, n_referrals=n_referrals,
                                     n_regions=n_regions, distance=distance,
                                     future_days=future_days)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    write_instance(instance, outdir)
    inpatients = sum(1 for p in instance.patients if p.status == "inpatient")
    later = sum(1 for p in instance.patients if p.arrives_on is not None)
    beds = sum(u.open_beds for u in instance.units)
    coming = f" and {later} over the next {future_days} days" if future_days else ""
    click.echo(f"wrote {outdir}: {len(instance.units)} units ({beds} open beds), "
               f"{inpatients} inpatients, {len(instance.patients) - inpatients - later} "
               f"referrals{coming}, {len(instance.networks)} networks (seed {seed})")
