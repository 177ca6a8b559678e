"""``bedplan distance FROM TO``: the distance in km placements would use between two places."""

from __future__ import annotations

import json
import math
import re

import click

from models.errors import InputError, Problem

_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+))"
_LATLON = re.compile(rf"^\s*{_NUMBER}\s*,\s*{_NUMBER}\s*$")


def parse_location(text: str, which: str) -> tuple[float, float]:
    """``lat,lon``, a full postcode or a district → (lat, lon); InputError when unknown."""
    m = _LATLON.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
                and -180 <= lon <= 180):
            raise InputError(Problem(which, None, None,
                                     f"{text!r}: latitude must be in -90..90 and longitude "
                                     "in -180..180"))
        return lat, lon
    from models.postcodes import is_postcode_like, resolve

    if not is_postcode_like(text):
        raise InputError(Problem(which, None, None,
                                 f"{text!r} is neither a postcode, a postcode district nor "
                                 "'lat,lon'"))
    where = resolve(text)
    if where is None:
        raise InputError(Problem(which, None, None, f"unknown postcode {text!r}"))
    return where


@click.command()
@click.argument("frm", metavar="FROM")
@click.argument("to", metavar="TO")
@click.option("--mode", type=click.Choice(["road", "geodesic"]), default="road",
              show_default=True, help="Road network or straight (WGS-84 geodesic) distance.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of km.")
def distance(frm: str, to: str, mode: str, as_json: bool) -> None:
    """Distance in km from FROM to TO, each a postcode, a district or 'lat,lon'.

    \b
    Examples:
      bedplan distance SE5 M13
      bedplan distance "51.47,-0.09" PO30 --json
    """
    a = parse_location(frm, "FROM")
    b = parse_location(to, "TO")
    if mode == "road":
        from optimiser.geography.network import road_distance

        km = road_distance(a[0], a[1], b[0], b[1])
    else:
        from optimiser.geography.geodesic import geodesic_km

        km = float(geodesic_km(a[0], a[1], b[0], b[1]))
    km = round(km, 3)  # to the metre, as assignments.csv writes distance_km
    if as_json:
        click.echo(json.dumps({"km": km, "mode": mode,
                               "from": {"lat": a[0], "lon": a[1]},
                               "to": {"lat": b[0], "lon": b[1]}}))
    else:
        click.echo(f"{km:.3f}")
