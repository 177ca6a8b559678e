"""``bedplan geography``: travel networks for instances' ``geography/`` folders."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             short_help="Build a geography/ travel network (from OpenStreetMap).")
def geography() -> None:
    """Build the travel network an instance's geography/ folder holds."""


@geography.command("from-osm")
@click.argument("extract", metavar="EXTRACT.osm.pbf",
                type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write places.csv and links.csv to (e.g. INSTANCE/geography).")
@click.option("--components", type=click.Choice(["largest", "all"]), default="largest",
              show_default=True,
              help="Keep the largest connected road network, or every piece (units in "
                   "another piece are then unreachable).")
@click.option("--ferries/--no-ferries", default=True, show_default=True,
              help="Ferry routes (route=ferry) as links.")
def from_osm(extract: str, out_dir: str, components: str, ferries: bool) -> None:
    """Read an OpenStreetMap EXTRACT (.osm.pbf, .osm) and write the contract's
    geography/ (places.csv, links.csv) to --out: junctions as places, drivable
    roads and ferries as links, km along each road's line.

    \b
    Example (England from Geofabrik, about 1.4 GB; see docs/geography.md):
      bedplan geography from-osm england-latest.osm.pbf --out instances/mine/geography
    """
    from optimiser.geography.osm import read_osm, write_geography

    network = read_osm(extract, components=components, include_ferries=ferries)
    places, links = write_geography(network, out_dir)
    ferry = int((network.kind == "ferry").sum())
    kept = "largest connected piece" if components == "largest" else "all pieces"
    click.echo(f"{len(network.place_id):,} places, {len(network.km):,} links "
               f"({ferry:,} ferries) from {network.ways:,} ways in {network.seconds:.1f} s; "
               f"{network.components:,} connected piece(s), {kept} kept")
    click.echo(f"wrote {places} and {links}")
