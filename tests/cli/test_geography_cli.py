"""``bedplan geography from-osm``: files written, summary printed, exit 2 on a bad extract."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bedplan.cli import cli

osmium = pytest.importorskip("osmium")
from osmium.osm.mutable import Node, Way  # noqa: E402


def extract(path: Path) -> Path:
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    for i, (lat, lon) in {1: (51.0, 0.0), 2: (51.0, 0.01), 3: (51.0, 0.02),
                          4: (51.3, 0.3), 5: (51.3, 0.31)}.items():
        writer.add_node(Node(id=i, location=(lon, lat), tags={}))
    writer.add_way(Way(id=1, nodes=[1, 2], tags={"highway": "motorway", "ref": "M1"}))
    writer.add_way(Way(id=2, nodes=[2, 3], tags={"route": "ferry", "name": "Boat"}))
    writer.add_way(Way(id=3, nodes=[4, 5], tags={"highway": "residential"}))
    writer.close()
    return path


def run(*args: str):
    return CliRunner().invoke(cli, ["geography", "from-osm", *args])


def test_writes_places_and_links_and_says_what_it_kept(tmp_path: Path) -> None:
    out = tmp_path / "geo"
    result = run(str(extract(tmp_path / "x.osm.pbf")), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "3 places, 2 links (1 ferries) from 3 ways" in result.output
    assert "2 connected piece(s), largest connected piece kept" in result.output
    assert (out / "places.csv").read_text().splitlines() == [
        "place_id,lat,lon", "n1,51.0,0.0", "n2,51.0,0.01", "n3,51.0,0.02"]
    links = (out / "links.csv").read_text().splitlines()
    assert links[0] == "from,to,km,kind,name" and links[1].endswith(",motorway,M1")
    # the folder is a geography/ that bedplan distance can use
    route = CliRunner().invoke(cli, ["distance", "51.0,0.0", "51.0,0.02", "--geography",
                                     str(out), "--route"])
    assert route.exit_code == 0 and "M1 (motorway)" in route.output
    assert "crossings and ferries: Boat" in route.output


def test_all_components_and_no_ferries(tmp_path: Path) -> None:
    source = str(extract(tmp_path / "x.osm.pbf"))
    result = run(source, "--out", str(tmp_path / "all"), "--components", "all",
                 "--no-ferries")
    assert result.exit_code == 0, result.output
    assert "4 places, 2 links (0 ferries)" in result.output
    assert "n4" in (tmp_path / "all" / "places.csv").read_text()


def test_a_bad_extract_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x10not a blob header")
    out = tmp_path / "geo"
    result = run(str(bad), "--out", str(out))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not a readable OpenStreetMap extract" in result.output
    assert not out.exists()


def test_existing_files_survive_a_failed_run(tmp_path: Path) -> None:
    out = tmp_path / "geo"
    assert run(str(extract(tmp_path / "x.osm.pbf")), "--out", str(out)).exit_code == 0
    before = (out / "links.csv").read_bytes()
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><way id='1'><nd ref=")
    assert run(str(bad), "--out", str(out)).exit_code == 2
    assert (out / "links.csv").read_bytes() == before


def test_a_missing_extract_and_a_missing_out_are_usage_errors(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "nope.osm.pbf"), "--out", str(tmp_path / "geo"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    no_out = run(str(extract(tmp_path / "x.osm.pbf")))
    assert no_out.exit_code == 2 and "--out" in no_out.output
