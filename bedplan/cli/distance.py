"""``bedplan distance FROM TO``: the distance in km placements would use between two places."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING

import click

from models.errors import InputError, Problem

if TYPE_CHECKING:
    from optimiser.geography.route import Route

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
@click.option("--route", "show_route", is_flag=True,
              help="Also print the way: places, named roads, crossings and ferries, km per "
                   "leg (road mode).")
@click.option("--geography", "geography_dir", type=click.Path(file_okay=False),
              help="A geography/ folder (places.csv, links.csv; e.g. from 'bedplan geography "
                   "from-osm') instead of the built-in England network.")
def distance(frm: str, to: str, mode: str, as_json: bool, show_route: bool,
             geography_dir: str | None) -> None:
    """Distance in km from FROM to TO, each a postcode, a district or 'lat,lon'.

    \b
    Examples:
      bedplan distance SE5 M13
      bedplan distance HU1 DN31 --route
      bedplan distance "51.47,-0.09" PO30 --json
    """
    if mode != "road" and (show_route or geography_dir):
        raise click.UsageError("--route and --geography need --mode road")
    a = parse_location(frm, "FROM")
    b = parse_location(to, "TO")
    route = None
    if mode == "road":
        from optimiser.geography.network import builtin_network, road_km

        if geography_dir:
            from optimiser.geography.route import geography_network

            network = geography_network(geography_dir)
        else:
            network = builtin_network()
        # the number placements use (road_km); the route is built only when asked for
        km = float(road_km(network, [a[0]], [a[1]], [b[0]], [b[1]])[0, 0])
        if show_route:
            from optimiser.geography.route import road_route

            route = road_route(network, a, b)
    else:
        from optimiser.geography.geodesic import geodesic_km

        km = float(geodesic_km(a[0], a[1], b[0], b[1]))
    reachable = math.isfinite(km)
    km = round(km, 3) if reachable else km  # to the metre, as assignments.csv writes it
    if as_json:
        data: dict[str, object] = {"km": km if reachable else None, "mode": mode,
                                   "from": {"lat": a[0], "lon": a[1]},
                                   "to": {"lat": b[0], "lon": b[1]}}
        if show_route and route is not None:
            data["route"] = route.to_json()
        click.echo(json.dumps(data))
        return
    click.echo(f"{km:.3f} km" if reachable else
               "unreachable: no road joins FROM and TO on this network")
    if show_route and route is not None:
        for line in route_lines(route):
            click.echo(line)


def route_lines(route: Route) -> list[str]:
    """The route as a table a person reads: km, way, from -> to; then crossings and places."""
    lines = [f"{'km':>9}  {'way':<48}  from -> to"]
    for leg in route.legs:
        way = leg.label + (f" ({leg.links} links)" if leg.links > 1 else "")
        lines.append(f"{leg.km:9.3f}  {way:<48}  {leg.start} -> {leg.end}")
    crossings = route.crossings()
    lines.append("crossings and ferries: " + ("; ".join(crossings) if crossings else "none"))
    lines.append(f"places ({len(route.places)}): " + ", ".join(route.places))
    return lines
