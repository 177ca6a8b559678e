"""Maps: England's coastline and regions on the static map, an interactive map that makes
no request to the internet, labels that never overlap, moves along their roads."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from models.domain import Instance, Patient, Policy, Unit
from models.postcodes import resolve
from optimiser.report import maps
from optimiser.report.html import Outcome

ENGLAND_REGIONS = {"North East", "North West", "Yorkshire and the Humber", "East Midlands",
                   "West Midlands", "East of England", "London", "South East", "South West"}


def pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return (mpimg.imread(io.BytesIO(png), format="png")[:, :, :3] * 255).round().astype(int)


def share_of(png: bytes, colour: str) -> float:
    rgb = np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)])
    return float((np.abs(pixels(png) - rgb).max(axis=2) <= 2).mean())


def where(code: str) -> tuple[float, float]:
    found = resolve(code)
    assert found is not None
    return found


# ------------------------------------------------------------------ the shipped boundary


def test_the_boundary_has_englands_nine_regions_and_the_other_nations() -> None:
    features = maps.boundaries()
    names = {f["properties"]["name"]: f["properties"]["kind"] for f in features}
    assert {n for n, k in names.items() if k == "region"} == ENGLAND_REGIONS
    assert {"Wales", "Scotland", "Northern Ireland"} <= set(names)
    for f in features:
        coords = np.array([p for poly in maps._rings(f["geometry"]) for ring in poly
                           for p in ring])
        assert coords[:, 0].min() > -14 and coords[:, 0].max() < 2.1  # lon (Rockall is Scotland's)
        assert coords[:, 1].min() > 49.8 and coords[:, 1].max() < 61  # lat


def test_the_boundary_file_is_small_and_licensed() -> None:
    data = Path(maps.__file__).parent / "data"
    assert (data / "uk-regions.geojson").stat().st_size < 200_000
    readme = (data / "README.md").read_text()
    assert "Natural Earth" in readme and "public domain" in readme
    assert "BSD" in (data / "leaflet" / "LICENSE").read_text()


# ------------------------------------------------------------------ the static map

UNITS = [(53.48, -2.24, 9, 10), (51.51, -0.13, 10, 10), (52.48, -1.90, 4, 10)]
MOVES = [(53.48, -2.24, 51.51, -0.13)]


def test_the_static_map_has_sea_and_land() -> None:
    png = maps.map_png(UNITS, MOVES)
    assert png.startswith(b"\x89PNG")
    assert share_of(png, maps.SEA) > 0.01 and share_of(png, maps.LAND) > 0.2


def test_without_the_boundary_there_is_no_sea(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maps, "boundaries", lambda: [])
    png = maps.map_png(UNITS, MOVES, backdrop=[(52.0, -1.0)])
    assert share_of(png, maps.SEA) < 0.001 and share_of(png, maps.LAND) < 0.001


def test_road_routes_are_drawn_when_given() -> None:
    plain = maps.map_png(UNITS, MOVES)
    road = [[(53.48, -2.24), (53.0, -1.2), (52.2, -0.9), (51.51, -0.13)]]
    with_routes = maps.map_png(UNITS, MOVES, routes=road)
    assert with_routes != plain


def _figure(points: list[tuple[float, float]]):  # type: ignore[no-untyped-def]
    from optimiser.report.charts import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 8))
    ax.set_xlim(-6, 2)
    ax.set_ylim(50, 55.8)
    texts = maps.draw_boundaries(ax, (50, 55.8, -6, 2))
    ax.scatter([p[0] for p in points], [p[1] for p in points], s=60)
    return fig, ax, texts


def _boxes(fig, texts):  # type: ignore[no-untyped-def]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts if t.get_visible()]


def test_region_labels_move_off_the_dots_and_never_overlap() -> None:
    spots = [(f["properties"]["label_lon"], f["properties"]["label_lat"])
             for f in maps.boundaries() if f["properties"]["kind"] == "region"]
    fig, ax, texts = _figure(spots)  # a dot on every label's first spot
    assert texts is not None and len(texts) == 9
    maps.declutter(fig, ax, texts, spots)
    boxes = _boxes(fig, texts)
    dots = ax.transData.transform(np.array(spots))
    assert boxes, "some labels find a free spot"
    for k, box in enumerate(boxes):
        assert not any(box.contains(x, y) for x, y in dots)
        assert not any(box.overlaps(other) for other in boxes[k + 1:])
    for t in texts:  # a moved label stays inside its own region
        if t.get_visible():
            assert t.region.contains_point(t.get_position())


def test_labels_with_nothing_in_the_way_stay_where_they_are() -> None:
    fig, ax, texts = _figure([])
    assert texts is not None
    before = [t.get_position() for t in texts]
    maps.declutter(fig, ax, texts, [])
    assert [t.get_position() for t in texts] == before and all(t.get_visible() for t in texts)


# ------------------------------------------------------------------ the interactive map


def _instance(distance: str) -> tuple[Instance, list[Outcome]]:
    hull, grimsby = where("HU1"), where("DN31")
    units = (Unit(unit_id="H", network_id="N", service="adult_secure", level="low", beds=2,
                  lat=hull[0], lon=hull[1], name="Hull ward"),
             Unit(unit_id="G", network_id="N", service="adult_secure", level="low", beds=2,
                  lat=grimsby[0], lon=grimsby[1]))
    patient = Patient(patient_id="P1", status="inpatient", service="adult_secure",
                      level="low", sex="male", age=30, home_lat=grimsby[0],
                      home_lon=grimsby[1], home_network_id="N", current_unit_id="H")
    inst = Instance(units=units, patients=(patient,), policy=Policy(distance=distance))
    move = Outcome("P1", "inpatient", "N", "H", 40.0, "G", 2.0, "move")
    return inst, [move]


def _polylines(page: str) -> list[list[list[float]]]:
    return [json.loads(m) for m in re.findall(r"L\.polyline\(\s*(\[\[.*?\]\])", page, re.S)]


def test_the_interactive_map_makes_no_request_to_the_internet() -> None:
    inst, moves = _instance("road")
    page = maps.folium_map_html(inst, {"H": 0, "G": 1}, moves)
    assert page is not None
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"<link[^>]*\bhref=", page)
    assert "Leaflet 1.9.4" in page and "L.map(" in page
    assert "L.tileLayer" not in page  # no tiles: they would need the internet
    assert "East of England" in page  # the regions layer
    assert "sourceMappingURL" not in page


def test_moves_follow_their_road_when_distances_are_by_road() -> None:
    inst, moves = _instance("road")
    page = maps.folium_map_html(inst, {"H": 0, "G": 1}, moves)
    assert page is not None
    [line] = _polylines(page)
    assert len(line) > 2  # over the Humber Bridge, not a straight line across the estuary
    assert line[0] == pytest.approx(list(where("HU1"))) and line[-1] == pytest.approx(
        list(where("DN31")))


def test_moves_are_straight_when_distances_are_geodesic() -> None:
    inst, moves = _instance("geodesic")
    page = maps.folium_map_html(inst, {"H": 0, "G": 1}, moves)
    assert page is not None
    assert [len(line) for line in _polylines(page)] == [2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_the_interactive_map_draws_england_with_the_network_cut_off(tmp_path: Path) -> None:
    inst, moves = _instance("road")
    page = maps.folium_map_html(inst, {"H": 0, "G": 1}, moves)
    assert page is not None
    (tmp_path / "map.html").write_text(page, encoding="utf-8")
    shot = tmp_path / "map.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=800,700",
                    "--virtual-time-budget=5000", f"--screenshot={shot}",
                    (tmp_path / "map.html").as_uri()], check=True, capture_output=True,
                   timeout=120)
    png = shot.read_bytes()
    assert share_of(png, maps.SEA) > 0.05 and share_of(png, maps.LAND) > 0.05
