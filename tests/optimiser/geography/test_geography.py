"""Road distances: the contract's snapping and path rules, and the built-in England network."""

from __future__ import annotations

import io
import itertools
import json
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from models.domain import Geography, Instance, Link, Patient, Place, Policy, Unit
from models.errors import InputError
from models.postcodes import resolve
from optimiser.geography import network as geo
from optimiser.geography.barriers import barrier_segments, crossing_matrix, to_grid
from optimiser.geography.distances import distance_matrix
from optimiser.geography.geodesic import geodesic_km

KM_PER_DEG = float(geodesic_km(0.0, 0.0, 0.0, 1.0))  # one degree of longitude on the equator


def unit(uid: str, lat: float, lon: float) -> Unit:
    return Unit(unit_id=uid, network_id="N", service="adult_secure", level="low", beds=2,
                lat=lat, lon=lon)


def patient(pid: str, lat: float, lon: float, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status="inpatient" if current else "referral",
                   service="adult_secure", level="low", sex="male", age=30, home_lat=lat,
                   home_lon=lon, home_network_id="N", current_unit_id=current)


def line_geography() -> Geography:
    """A - B - C along the equator (1 degree apart), D far away and unlinked."""
    places = (Place("A", 0.0, 0.0), Place("B", 0.0, 1.0), Place("C", 0.0, 2.0),
              Place("D", 10.0, 10.0))
    links = (Link("A", "B", 150.0), Link("B", "C", 120.0))
    return Geography(places, links)


def instance(units: list[Unit], patients: list[Patient],
             geography: Geography | None = None) -> Instance:
    return Instance(units=tuple(units), patients=tuple(patients), geography=geography,
                    policy=Policy(distance="road"))


# ------------------------------------------------------------------ contract semantics


def test_access_plus_path_plus_access() -> None:
    inst = instance([unit("U", 0.0, 2.2)], [patient("P", 0.0, 0.1)], line_geography())
    d = geo.road_matrix(inst)
    # home snaps to A (0.1 deg away), unit to C (0.2 deg away); path A-B-C = 270 km.
    assert d[0, 0] == pytest.approx(0.1 * KM_PER_DEG + 270.0 + 0.2 * KM_PER_DEG, abs=1e-6)


def test_same_place_means_no_path_only_access() -> None:
    inst = instance([unit("U", 0.0, 1.1)], [patient("P", 0.0, 0.9)], line_geography())
    # both snap to B: 0.1 deg + 0.1 deg of access, no link used (B-C would be 120 km).
    assert geo.road_matrix(inst)[0, 0] == pytest.approx(0.2 * KM_PER_DEG, abs=1e-6)


def test_path_is_the_shortest_over_links_not_the_direct_one() -> None:
    places = (Place("A", 0.0, 0.0), Place("B", 0.0, 1.0), Place("C", 0.0, 2.0))
    links = (Link("A", "C", 500.0), Link("A", "B", 100.0), Link("B", "C", 100.0),
             Link("A", "B", 90.0))  # a parallel, shorter link wins
    inst = instance([unit("U", 0.0, 2.0)], [patient("P", 0.0, 0.0)], Geography(places, links))
    assert geo.road_matrix(inst)[0, 0] == pytest.approx(190.0)


def test_snapping_tie_goes_to_the_smallest_place_id() -> None:
    # Home exactly between "Z1" (listed first, 10 km to the unit) and "A9" (500 km).
    places = (Place("Z1", 0.0, 0.1), Place("A9", 0.0, -0.1), Place("U", 0.0, 0.2))
    links = (Link("Z1", "U", 10.0), Link("A9", "U", 500.0))
    inst = instance([unit("W", 0.0, 0.2)], [patient("P", 0.0, 0.0)], Geography(places, links))
    access = 0.1 * KM_PER_DEG
    assert geo.road_matrix(inst)[0, 0] == pytest.approx(access + 500.0, abs=1e-6)


def test_snapping_without_a_tie_takes_the_nearest_whatever_its_id() -> None:
    places = (Place("Z1", 0.0, 0.099), Place("A9", 0.0, -0.1), Place("U", 0.0, 0.2))
    links = (Link("Z1", "U", 10.0), Link("A9", "U", 500.0))
    inst = instance([unit("W", 0.0, 0.2)], [patient("P", 0.0, 0.0)], Geography(places, links))
    assert geo.road_matrix(inst)[0, 0] == pytest.approx(0.099 * KM_PER_DEG + 10.0, abs=1e-6)


def test_snap_is_exact_nearest_by_geodesic_on_random_points() -> None:
    rng = np.random.default_rng(7)
    n = 300
    lat, lon = rng.uniform(50, 55, n), rng.uniform(-5, 1, n)
    places = tuple(Place(f"p{i:03d}", float(a), float(b)) for i, (a, b) in
                   enumerate(zip(lat, lon, strict=True)))
    net = geo.custom_network(Geography(places, ()))
    qlat, qlon = rng.uniform(49, 56, 200), rng.uniform(-6, 2, 200)
    idx, km = geo.snap(net, qlat, qlon)
    brute = geodesic_km(qlat[:, None], qlon[:, None], lat[None, :], lon[None, :])
    assert np.array_equal(idx, brute.argmin(axis=1))
    assert np.allclose(km, brute.min(axis=1))


def test_other_component_is_unreachable_inf() -> None:
    inst = instance([unit("U", 10.0, 10.0), unit("V", 0.0, 2.0)], [patient("P", 0.0, 0.0)],
                    line_geography())
    d = geo.road_matrix(inst)
    assert np.isinf(d[0, 0]) and np.isfinite(d[0, 1])


def test_inpatient_in_unreachable_unit_is_input_error_with_row_and_column() -> None:
    inst = instance([unit("U", 10.0, 10.0), unit("V", 0.0, 2.0)],
                    [patient("R", 0.0, 0.0), patient("P", 0.0, 0.0, current="V"),
                     patient("Q", 0.0, 0.0, current="U")], line_geography())
    with pytest.raises(InputError) as err:
        geo.road_matrix(inst)
    # Built in code: no file row to name, so the problem names the patient instead.
    assert [str(p) for p in err.value.problems] == [
        "patients (built in code, no file row): current_unit_id: patient 'Q': unit 'U' is "
        "unreachable from home over geography/links.csv"]


def test_reachable_inpatients_are_fine() -> None:
    inst = instance([unit("V", 0.0, 2.0)], [patient("P", 0.0, 0.0, current="V")],
                    line_geography())
    assert np.isfinite(geo.road_matrix(inst)).all()
    assert geo.unreachable_stays(inst) == []
    geo.check_reachable_stays(inst)  # does not raise


def test_unreachable_stays_lists_them_and_the_check_raises() -> None:
    # validate and the service's imports use these (reading alone cannot tell)
    inst = instance([unit("U", 10.0, 10.0), unit("V", 0.0, 2.0)],
                    [patient("P", 0.0, 0.0, current="V"), patient("Q", 0.0, 0.0, current="U")],
                    line_geography())
    assert [str(p) for p in geo.unreachable_stays(inst)] == [
        "patients (built in code, no file row): current_unit_id: patient 'Q': unit 'U' is "
        "unreachable from home over geography/links.csv"]
    with pytest.raises(InputError):
        geo.check_reachable_stays(inst)


def test_bad_custom_geography_names_file_row_and_column() -> None:
    g = Geography((Place("A", 0.0, 0.0), Place("B", 0.0, 1.0), Place("A", 1.0, 1.0)),
                  (Link("A", "B", 10.0), Link("A", "X", 5.0), Link("B", "A", -3.0),
                   Link("A", "B", 0.0)))
    inst = instance([unit("U", 0.0, 0.0)], [patient("P", 0.0, 0.0)], g)
    with pytest.raises(InputError) as err:
        geo.road_matrix(inst)
    assert {str(p) for p in err.value.problems} == {
        "geography/places.csv:4: place_id: duplicate place_id 'A' (first on row 2)",
        "geography/links.csv:3: to: unknown place 'X'",
        "geography/links.csv:4: km: must be > 0, got -3.0",
        "geography/links.csv:5: km: must be > 0, got 0.0"}


def test_good_custom_geography_has_no_problems() -> None:
    assert geo.geography_problems(line_geography()) == []
    bad = Geography((Place("A", float("nan"), 0.0),), ())
    assert [str(p) for p in geo.geography_problems(bad)] == [
        "geography/places.csv:2: lat: 'nan' is not a number"]


def test_distance_matrix_dispatches_road_and_caches_by_content(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDPLAN_CACHE_DIR", str(tmp_path))
    inst = instance([unit("U", 0.0, 2.2), unit("V", 0.0, 1.0)],
                    [patient("P", 0.0, 0.1), patient("Q", 0.0, 0.1)], line_geography())
    d1 = distance_matrix(inst)
    assert d1.shape == (2, 2) and np.array_equal(d1[0], d1[1])
    assert len(list(tmp_path.glob("road-*.npy"))) == 1
    d1[0, 0] = -1.0  # the caller's copy; the cache must not change
    geo._MEMO.clear()
    d2 = geo.road_matrix(inst)  # now from the disk cache
    assert d2[0, 0] > 0 and np.array_equal(d2[1], d1[1])


def test_no_disk_cache_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BEDPLAN_CACHE_DIR", raising=False)
    monkeypatch.setattr(geo, "cache_dir", lambda: tmp_path)
    inst = instance([unit("U", 0.0, 2.0)], [patient("P", 0.0, 0.3)], line_geography())
    geo.road_matrix(inst)
    assert not list(tmp_path.iterdir())
    geo._MEMO.clear()
    geo.road_matrix(inst, disk_cache=True)
    assert len(list(tmp_path.glob("road-*.npy"))) == 1


def test_missing_coordinates_are_input_errors_not_crashes() -> None:
    inst = instance([unit("U", 0.0, float("nan"))], [patient("P", 95.0, 0.0)], line_geography())
    with pytest.raises(InputError) as err:
        geo.road_matrix(inst)
    assert [str(p).split(": needs")[0] for p in err.value.problems] == [
        "patients (built in code, no file row): home_lat: patient 'P'",
        "units (built in code, no file row): lon: unit 'U'"]


def test_empty_sides_give_empty_matrices() -> None:
    assert geo.road_matrix(instance([unit("U", 0, 0)], [], line_geography())).shape == (0, 1)
    assert geo.road_matrix(instance([], [patient("P", 0, 0)], line_geography())).shape == (1, 0)


# ------------------------------------------------------------------ the England network


@pytest.fixture(scope="module")
def england() -> geo.RoadNetwork:
    return geo.builtin_network()


def where(code: str) -> tuple[float, float]:
    found = resolve(code)
    assert found is not None
    return found


def km(a: str, b: str) -> float:
    pa, pb = resolve(a), resolve(b)
    assert pa is not None and pb is not None
    return geo.road_distance(*pa, *pb)


def test_england_is_one_connected_network(england: geo.RoadNetwork) -> None:
    assert len(set(england.component.tolist())) == 1
    assert england.graph.number_of_nodes() == len(england) > 2300


def test_isle_of_wight_only_through_the_ferries(england: geo.RoadNetwork) -> None:
    g = england.graph
    iow = {f"PO{i}" for i in range(30, 42)}
    leaving = [(a, b) for a in iow for b in g[a] if b not in iow]
    assert leaving and all(g[a][b]["kind"] == "ferry" for a, b in leaving)
    assert {frozenset(e) for e in leaving} == {frozenset(("PO1", "PO33")),
                                               frozenset(("SO14", "PO32")),
                                               frozenset(("SO41", "PO41"))}


def test_isles_of_scilly_only_by_the_scillonian(england: geo.RoadNetwork) -> None:
    g = england.graph
    scilly = {f"TR{i}" for i in range(21, 26)}
    leaving = [(a, b) for a in scilly for b in g[a] if b not in scilly]
    assert [frozenset(e) for e in leaving] == [frozenset(("TR21", "TR18"))]


def test_no_road_link_crosses_a_barrier(england: geo.RoadNetwork) -> None:
    places, links = geo.builtin_tables()
    road = links[links["kind"] == "road"]
    where = places.set_index("place_id")
    a, b = where.loc[road["from"]], where.loc[road["to"]]
    p = np.column_stack(to_grid(a["lat"].to_numpy(), a["lon"].to_numpy()))
    q = np.column_stack(to_grid(b["lat"].to_numpy(), b["lon"].to_numpy()))
    r, s, _ = barrier_segments()
    assert not crossing_matrix(p, q, r, s).any()


def test_crossing_test_itself() -> None:
    p, q = np.array([[0.0, 0.0]]), np.array([[2.0, 2.0]])
    assert crossing_matrix(p, q, np.array([[0.0, 2.0]]), np.array([[2.0, 0.0]]))[0, 0]
    assert not crossing_matrix(p, q, np.array([[3.0, 0.0]]), np.array([[4.0, 1.0]]))[0, 0]


def test_the_three_example_distances_are_plausible() -> None:
    assert 290 <= km("SE5", "M13") <= 360  # ~330 km by the M1/M6
    iow = geo.road_distance(51.47, -0.09, *where("PO30"))
    assert 135 <= iow <= 175  # ~120 km to Portsmouth, the ferry, then Newport
    scilly = km("TR21", "EX2")
    assert 225 <= scilly <= 290  # ~65 km by sea to Penzance, then ~180 km by the A30


def test_estuaries_force_detours() -> None:
    # Southend to the Kent coast goes round by Dartford; Hull to Grimsby over the bridge.
    assert km("SS1", "CT5") > 2.2 * float(geodesic_km(*where("SS1"), *where("CT5")))
    assert km("EX8", "EX7") > 2.0 * float(geodesic_km(*where("EX8"), *where("EX7")))
    assert km("BS1", "CF10") > 1.5 * float(geodesic_km(*where("BS1"), *where("CF10")))


def test_networkx_graph_agrees_with_the_sparse_dijkstra(england: geo.RoadNetwork) -> None:
    g = geo.to_networkx()
    a, b = "LS1", "TR18"
    nx_km = nx.shortest_path_length(g, a, b, weight="km")
    assert km(a, b) == pytest.approx(nx_km, abs=1e-9)


def _calibration() -> tuple[pd.DataFrame, dict[str, float]]:
    data = resources.files("optimiser.geography") / "data"
    return (pd.read_csv(io.StringIO((data / "calibration.csv").read_text())),
            json.loads((data / "calibration.json").read_text()))


def test_calibration_covers_every_pair_of_thirty_towns() -> None:
    table, summary = _calibration()
    towns = table[table["set"] == "towns"]
    names = set(towns["town_a"]) | set(towns["town_b"])
    assert len(names) == 30
    pairs = {frozenset(p) for p in zip(towns["town_a"], towns["town_b"], strict=True)}
    assert len(towns) == len(pairs) == 30 * 29 // 2
    for town in ("Hull", "Grimsby", "Penzance", "Barrow-in-Furness", "Southend-on-Sea",
                 "Dover", "Carlisle", "Norwich"):
        assert town in names
    assert summary["towns"]["pairs"] == 435


#: The issue's target is every pair within 10% with a median under 5%. The median is met; the
#: pairs still at 10% or more (docs/geography.md says which and why) may not grow in number.
MOST_OVER_10 = {"towns": 5, "checks": 0, "local": 13}


@pytest.mark.parametrize("which", ["towns", "checks", "local"])
def test_calibration_errors(which: str) -> None:
    table, summary = _calibration()
    rows = table[table["set"] == which]
    err = rows["range_error_pct"].abs()
    assert err.median() < 5.0
    assert (err >= 10.0).sum() <= MOST_OVER_10[which], rows[err >= 10.0]
    assert err.max() < 25.0
    assert summary[which]["median_abs_error_pct"] == pytest.approx(err.median(), abs=0.01)
    assert summary[which]["pairs_over_10_pct"] == int((err >= 10.0).sum())


#: The held-out check set (never fitted on): where it stood when these regions were last
#: worked on (docs/road-calibration.md). The issue's target (median <= 5%, worst <= 10%) is
#: not met; these ceilings keep it from getting worse unnoticed.
HELD_OUT_CEILING = {"median": 6.8, "over_10": 8, "max": 31.5}


def test_the_held_out_set_is_measured_in_four_regions() -> None:
    table, summary = _calibration()
    held = table[table["set"] == "heldout"]
    assert len(held) == summary["heldout"]["pairs"] == 48
    assert set(held["region"]) == {"solent", "norfolk", "thames", "cornwall"}
    assert set(summary["heldout_regions"]) == {"solent", "norfolk", "thames", "cornwall"}
    err = held["range_error_pct"].abs()
    assert err.median() <= HELD_OUT_CEILING["median"]
    assert (err >= 10.0).sum() <= HELD_OUT_CEILING["over_10"]
    assert err.max() <= HELD_OUT_CEILING["max"]
    assert summary["heldout"]["median_abs_error_pct"] == pytest.approx(err.median(), abs=0.01)


def test_the_fit_never_sees_the_held_out_set() -> None:
    calibrate = _script("calibrate_roads")
    pairs = calibrate.load_pairs()  # type: ignore[attr-defined]
    fitted = calibrate.fitted_rows(pairs)  # type: ignore[attr-defined]
    assert (pairs["set"] == "heldout").sum() == 48
    assert "heldout" not in set(fitted["set"]) and len(fitted) == len(pairs) - 48
    _, summary = _calibration()
    assert summary["pairs"] == len(fitted)  # the headline figures are the fitted sets'


def test_range_error_is_zero_between_the_shortest_and_the_quickest_route() -> None:
    table, _ = _calibration()
    q, s, m = table["road_km"], table["shortest_km"], table["model_km"]
    assert (s <= q).all()
    inside = (m >= s + 0.05) & (m <= q - 0.05)
    assert (table.loc[inside, "range_error_pct"] == 0).all()
    # (model_km is rounded to 0.1 km: allow for it)
    tol = 100 * 0.05 / s + 0.051
    below, above = m < s - 0.05, m > q + 0.05
    assert (abs(table["range_error_pct"] - 100 * (m / s - 1))[below] <= tol[below]).all()
    assert (abs(table["range_error_pct"] - 100 * (m / q - 1))[above] <= tol[above]).all()
    # Without a shorter road the range is one number: the two errors agree.
    same = s == q
    assert (table.loc[same, "range_error_pct"] == table.loc[same, "error_pct"]).all()


def test_the_network_beats_straight_lines() -> None:
    table, _ = _calibration()
    net, line = table["range_error_pct"].abs(), table["geodesic_error_pct"].abs()
    assert net.median() < line.median() / 4
    # Wherever the straight line is more than 15% out, the network is closer (trips of 20 km
    # or more: within a city both are dominated by where the district centroids lie).
    far = (line > 15) & (table["road_km"] >= 20)
    assert (net[far] < line[far]).all()


def test_calibration_table_is_what_the_shipped_network_gives() -> None:
    table, _ = _calibration()
    for r in table.to_dict("records"):
        got = km(str(r["district_a"]), str(r["district_b"]))
        assert got == pytest.approx(float(r["model_km"]), abs=0.051), r


def test_link_lengths_follow_the_recorded_model() -> None:
    _, links = geo.builtin_tables()
    _, c = _calibration()
    g = links["geo_km"].to_numpy()
    circuity = c["detour_long"] - (c["detour_long"] - c["detour_short"]) * np.exp(
        -g / c["scale_km"])
    local = np.where(g > 0, g * circuity + c["per_link_km"], 0.0)
    detour = np.where(links["kind"] == "motorway", c["detour_motorway"], c["detour_trunk"])
    trunk = np.where(g > 0, g * detour + c["per_trunk_km"], 0.0)
    is_trunk = links["kind"].isin(["motorway", "trunk"]).to_numpy()
    expected = np.where(is_trunk, trunk, local) + links["crossing_km"]
    assert np.allclose(links["km"], expected, atol=1e-4)
    # The road hierarchy: per km of straight line, a motorway is charged less than a primary
    # A-road, which is charged less than a long ordinary link.
    assert c["detour_motorway"] <= c["detour_trunk"] <= c["detour_long"]


def _path(a: str, b: str) -> list[dict[str, str]]:
    g = geo.to_networkx()
    nodes = nx.shortest_path(g, a, b, weight="km")
    return [g[u][v] for u, v in itertools.pairwise(nodes)]


def _roads(edges: list[dict[str, str]]) -> set[str]:
    """Road numbers along a path (a trunk link's name lists its routes, "; "-separated; a
    route's name may list several roads, "/"-separated)."""
    return {road.strip() for e in edges for route in str(e["name"]).split("; ")
            for road in route.split("/") if road.strip()}


def _script(name: str) -> object:
    """A module of scripts/ (they derive the shipped data; not part of the package)."""
    import importlib
    import sys

    scripts = str(Path(__file__).resolve().parents[3] / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module(name)


@pytest.mark.parametrize(("road", "motorway"), [
    ("M6", True), ("A1(M)", True), ("M4 J1-J4", True), ("A38(M) Aston", True),
    ("A2/M2", False), ("M67 / A628 / A616", False), ("A46", False), ("Central London", False),
    ("A57(M) / A5103", False), ("", False)])
def test_a_route_is_a_motorway_only_when_all_its_roads_are(road: str, motorway: bool) -> None:
    assert _script("build_network").is_motorway(road) is motorway  # type: ignore[attr-defined]


def test_range_error_by_hand() -> None:
    range_error = _script("calibrate_roads").range_error  # type: ignore[attr-defined]
    # quickest 120 km, shortest 100 km: 95 is 5% under the shortest road, 105 is between the
    # two (right), 125 is 4.2% over the quickest route.
    got = range_error(np.array([95.0, 105.0, 125.0]), np.full(3, 120.0), np.full(3, 100.0))
    assert got == pytest.approx([-0.05, 0.0, 125 / 120 - 1])
    # Without a shorter road the range is one number.
    assert range_error(np.array([90.0]), np.array([100.0]), np.array([100.0])) == \
        pytest.approx([-0.1])


def test_every_waypoint_is_joined_to_its_neighbourhood(england: geo.RoadNetwork) -> None:
    places, _ = geo.builtin_tables()
    g = england.graph
    waypoints = list(places.loc[places["kind"] == "waypoint", "place_id"])
    assert all(g.degree(w) >= 2 for w in waypoints)  # on a road: a way in and a way out
    # A motorway between junctions has no way on or off: joined along the road only.
    bends = {f"~{k}" for k in _script("build_network").MOTORWAY_BENDS}  # type: ignore[attr-defined]
    assert bends <= set(waypoints)
    for b in bends:
        assert {g[b][v]["kind"] for v in g[b]} == {"motorway"}, b
    # Nearly all others also have a local road to the places around; the exceptions are
    # passes with nothing around them but the fells (the A591 over Dunmail Raise).
    alone = [w for w in waypoints if w not in bends
             and not any(g[w][v]["kind"] == "road" for v in g[w])]
    assert len(alone) <= 0.01 * len(waypoints), alone


@pytest.mark.parametrize(("a", "b", "road"), [
    ("WC2N", "LS1", "A1"), ("B2", "EX1", "M5"), ("L1", "HU1", "M62"),
    ("WC2N", "NE1", "A1"), ("EX1", "TR18", "A30")])
def test_long_journeys_follow_the_trunk_roads(a: str, b: str, road: str) -> None:
    edges = _path(a, b)
    assert road in _roads(edges)
    on_trunk = sum(float(e["km"]) for e in edges if e["kind"] in ("motorway", "trunk"))
    assert on_trunk > 0.6 * sum(float(e["km"]) for e in edges)


def test_hull_to_lincoln_crosses_the_humber_bridge_on_the_a15() -> None:
    assert "A15" in _roads(_path("HU1", "LN1"))


def test_trunk_links_only_cross_water_at_bridges_and_tunnels() -> None:
    places, links = geo.builtin_tables()
    where = places.set_index("place_id")
    trunk = links[links["kind"].isin(["motorway", "trunk"])]
    a, b = where.loc[trunk["from"]], where.loc[trunk["to"]]
    ax, ay = to_grid(a["lat"].to_numpy(), a["lon"].to_numpy())
    bx, by = to_grid(b["lat"].to_numpy(), b["lon"].to_numpy())
    r0, r1, names = barrier_segments()
    hit = crossing_matrix(np.column_stack([ax, ay]), np.column_stack([bx, by]), r0, r1)
    allowed = _script("build_network").TRUNK_CROSSINGS  # type: ignore[attr-defined]
    for name, row in zip(trunk["name"], hit, strict=True):
        for j in np.flatnonzero(row):
            # one of the link's routes crosses exactly this barrier by its bridge or tunnel
            assert any(allowed.get(route) == names[j] for route in str(name).split("; ")), \
                (name, names[j])


def test_tunnels_are_charged_their_length_not_the_straight_line() -> None:
    _, links = geo.builtin_tables()
    by_name = links.set_index("name")
    assert by_name.loc["Queensway Tunnel", "crossing_km"] == pytest.approx(3.24)
    assert by_name.loc["Kingsway Tunnel", "crossing_km"] == pytest.approx(2.48)


A590 = ["~Levens (A590/A6)", "~Gilpin Bridge (A590)", "~Lindale (A590)", "~High Newton (A590)",
        "~Newby Bridge (A590)", "~Haverthwaite (A590)", "~Greenodd (A590)"]


def test_a590_junctions_are_joined_along_the_road_only(england: geo.RoadNetwork) -> None:
    g = england.graph
    for i, a in enumerate(A590):
        on_road = {A590[k] for k in (i - 1, i + 1) if 0 <= k < len(A590)}
        assert {b for b in g[a] if b in A590} == on_road, a


def test_kendal_to_barrow_follows_the_a590_round_the_estuaries(
        england: geo.RoadNetwork) -> None:
    path = nx.shortest_path(england.graph, "LA9", "LA14", weight="km")
    # Past Lindale, north to Newby Bridge and over the Leven above its estuary.
    inner = [p for p in path if p.startswith("~")]
    assert inner[-5:] == A590[2:]
    assert 49.5 <= km("LA9", "LA14") <= 60.5  # ~55 km by the A590


# ------------------------------------------------------------ distance-time rows are true rows
# Problems found at distance time name the row the record has in the file it was read from
# (models.io.record_rows): the reader skips blank lines, so position + 2 is not the row.

UNITS_CSV = ("unit_id,network_id,service,level,beds,lat,lon\n"
             "U,N,adult_secure,low,2,10.0,10.0\n"
             "\n"
             "V,N,adult_secure,low,2,0.0,2.0\n")
PLACES_CSV = "place_id,lat,lon\nA,0.0,0.0\nB,0.0,1.0\nC,0.0,2.0\nD,10.0,10.0\n"
LINKS_CSV = "from,to,km\nA,B,150\nB,C,120\n"
HEADER = "patient_id,status,service,level,sex,age,home_lat,home_lon,home_network_id," \
         "current_unit_id\n"


def _patient_row(pid: str, current: str = "") -> str:
    status = "inpatient" if current else "referral"
    return f"{pid},{status},adult_secure,low,male,30,0.0,0.0,N,{current}\n"


def _write_instance(directory: Path, patients_csv: str) -> Path:
    (directory / "geography").mkdir(parents=True)
    (directory / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    (directory / "patients.csv").write_text(patients_csv, encoding="utf-8")
    (directory / "geography" / "places.csv").write_text(PLACES_CSV, encoding="utf-8")
    (directory / "geography" / "links.csv").write_text(LINKS_CSV, encoding="utf-8")
    return directory


UNREACHABLE_U = "current_unit_id: unit 'U' is unreachable from home over geography/links.csv"


def test_unreachable_stay_names_the_true_row_when_patients_csv_has_blank_lines(
        tmp_path: Path) -> None:
    from models.io import read_instance

    # Q is the 3rd patient (position 2: "row 4" by position) but sits on row 7 of the file
    text = (HEADER + _patient_row("R") + "\n" + _patient_row("P", "V") + "\n,,,,,,,,,\n"
            + _patient_row("Q", "U"))
    inst = read_instance(_write_instance(tmp_path / "inst", text))
    assert [p.patient_id for p in inst.patients] == ["R", "P", "Q"]
    assert [str(p) for p in geo.unreachable_stays(inst)] == [f"patients.csv:7: {UNREACHABLE_U}"]


def test_unreachable_stay_row_without_blank_lines_is_unchanged(tmp_path: Path) -> None:
    from models.io import read_instance

    text = HEADER + _patient_row("R") + _patient_row("P", "V") + _patient_row("Q", "U")
    inst = read_instance(_write_instance(tmp_path / "inst", text))
    assert [str(p) for p in geo.unreachable_stays(inst)] == [f"patients.csv:4: {UNREACHABLE_U}"]
    ok = HEADER + _patient_row("R") + "\n" + _patient_row("P", "V")
    assert geo.unreachable_stays(read_instance(_write_instance(tmp_path / "ok", ok))) == []


def test_unreachable_stay_in_a_workbook_names_the_sheet_row(tmp_path: Path) -> None:
    import openpyxl

    from models.io import read_instance

    book = openpyxl.Workbook()
    units, patients = book.active, book.create_sheet("patients")
    units.title = "units"
    units.append(["unit_id", "network_id", "service", "level", "beds", "lat", "lon"])
    units.append(["U", "N", "adult_secure", "low", 2, 55.0, -2.0])
    patients.append(HEADER.strip().split(","))
    patients.append([])  # a blank row 2: the reader skips it, the row numbers stay
    patients.append(["Q", "inpatient", "adult_secure", "low", "male", 30, 52.0, -1.0, "N", "U"])
    book.save(tmp_path / "b.xlsx")
    read = read_instance(tmp_path / "b.xlsx")  # a workbook has no geography/: add one
    england_pair = Geography((Place("A", 52.0, -1.0), Place("B", 52.0, 0.0),
                              Place("D", 55.0, -2.0)), (Link("A", "B", 80.0),))
    inst = Instance(read.units, read.patients, geography=england_pair, source=read.source)
    assert [str(p) for p in geo.unreachable_stays(inst)] == [
        f"b.xlsx[patients]:3: {UNREACHABLE_U}"]


def test_an_instance_built_in_code_has_no_row_and_says_so() -> None:
    inst = instance([unit("U", 10.0, 10.0), unit("V", 0.0, 2.0)],
                    [patient("R", 0.0, 0.0), patient("Q", 0.0, 0.0, current="U")],
                    line_geography())
    assert [str(p) for p in geo.unreachable_stays(inst)] == [
        "patients (built in code, no file row): current_unit_id: patient 'Q': unit 'U' is "
        "unreachable from home over geography/links.csv"]
    bad = instance([unit("U", 0.0, float("nan"))], [patient("P", 95.0, 0.0)], line_geography())
    with pytest.raises(InputError) as err:
        geo.road_matrix(bad)
    assert [str(p).split(": needs")[0] for p in err.value.problems] == [
        "patients (built in code, no file row): home_lat: patient 'P'",
        "units (built in code, no file row): lon: unit 'U'"]


def test_a_patient_added_in_code_to_a_read_instance_has_no_row(tmp_path: Path) -> None:
    from dataclasses import replace

    from models.io import read_instance

    text = HEADER + "\n" + _patient_row("P", "V")
    inst = read_instance(_write_instance(tmp_path / "inst", text))
    more = replace(inst, patients=(*inst.patients, patient("NEW", 0.0, 0.0, current="U")))
    assert [str(p) for p in geo.unreachable_stays(more)] == [
        "patients.csv: current_unit_id: patient 'NEW' (added in code, not a row of "
        "patients.csv): unit 'U' is unreachable from home over geography/links.csv"]


def test_bad_coordinates_set_in_code_name_the_true_row_of_units_csv(tmp_path: Path) -> None:
    from dataclasses import replace

    from models.io import read_instance

    inst = read_instance(_write_instance(tmp_path / "inst", HEADER + _patient_row("P", "V")))
    # V is the 2nd unit (position 1: "row 3" by position) but sits on row 4 of units.csv
    broken = replace(inst, units=(inst.units[0], replace(inst.units[1], lon=float("nan"))))
    with pytest.raises(InputError) as err:
        geo.road_matrix(broken)
    assert [str(p).split(": needs")[0] for p in err.value.problems] == ["units.csv:4: lon"]
