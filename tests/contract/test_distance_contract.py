"""Contract: ``bedplan distance FROM TO [--mode road|geodesic] [--json]``.

"FROM and TO each a postcode, a district or `lat,lon`, prints the distance in km that
placements would use; `--json` prints `{"km": 12.3, "mode": "road", "from": {"lat":..,
"lon":..}, "to": {...}}`." and "`"geodesic"`: the WGS-84 ellipsoidal distance ... as
`geopy.distance.geodesic` computes it". Geodesic km must agree with geopy to 1 m (placements
use the exact distance: reallocate writes distance_km to the metre), postcodes resolve to
their ONS centroids (coordinates from /work/shared/data/england-units.csv), invalid places
exit 2 without a traceback.
"""

from __future__ import annotations

from typing import Any

import contract_util as cu
import pytest
from variants import POSTCODES

PAIRS = [((51.5, -0.1), (52.5, -1.9)), ((50.37, -4.14), (55.0, -1.6)),
         ((53.80495, -1.47149), (53.69736, -1.49406)), ((51.46877, -0.09144),
                                                         (51.46877, -0.09144))]


def distance_json(*args: str) -> tuple[cu.Run, Any]:
    run = cu.run_cli("distance", *args, "--json")
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-1500:]
    try:
        return run, cu.strict_json(run.stdout)
    except ValueError:
        return run, None


def check_shape(data: Any, mode: str) -> None:
    assert set(data) >= {"km", "mode", "from", "to"}, data
    assert data["mode"] == mode and cu.is_number(data["km"])
    for end in ("from", "to"):
        assert set(data[end]) >= {"lat", "lon"}, data[end]
        assert cu.is_number(data[end]["lat"]) and cu.is_number(data[end]["lon"])


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_geodesic_agrees_with_geopy_to_1_m(a: tuple[float, float],
                                           b: tuple[float, float]) -> None:
    run, data = distance_json(f"{a[0]},{a[1]}", f"{b[0]},{b[1]}", "--mode", "geodesic")
    assert run.code == 0, run.stderr
    check_shape(data, "geodesic")
    assert (data["from"]["lat"], data["from"]["lon"]) == pytest.approx(a)
    assert (data["to"]["lat"], data["to"]["lon"]) == pytest.approx(b)
    assert data["km"] == pytest.approx(cu.geodesic_km(a, b), abs=0.001)


def test_plain_output_is_the_json_km() -> None:
    a, b = PAIRS[1]
    plain = cu.run_cli("distance", f"{a[0]},{a[1]}", f"{b[0]},{b[1]}", "--mode", "geodesic")
    assert plain.code == 0
    _, data = distance_json(f"{a[0]},{a[1]}", f"{b[0]},{b[1]}", "--mode", "geodesic")
    assert float(plain.stdout.split()[0]) == pytest.approx(data["km"], abs=0.001)


def test_postcodes_resolve_to_ons_centroids() -> None:
    run, data = distance_json("SE5 8AZ", "NE1 4LP", "--mode", "geodesic")
    assert run.code == 0, run.stderr
    check_shape(data, "geodesic")
    for end, pc in (("from", "SE5 8AZ"), ("to", "NE1 4LP")):
        assert (data[end]["lat"], data[end]["lon"]) == pytest.approx(POSTCODES[pc], abs=1e-4)
    assert data["km"] == pytest.approx(cu.geodesic_km(POSTCODES["SE5 8AZ"],
                                                      POSTCODES["NE1 4LP"]), abs=0.02)


def test_district_is_accepted() -> None:
    run, data = distance_json("SE5", "51.47,-0.09", "--mode", "geodesic")
    assert run.code == 0, run.stderr
    check_shape(data, "geodesic")
    assert data["km"] < 3.0  # SE5's centroid is in Camberwell


def test_road_default_mode_and_shape() -> None:
    run, data = distance_json("51.5,-0.1", "52.5,-1.9")
    assert run.code == 0, run.stderr
    check_shape(data, "road")
    assert data["km"] >= cu.geodesic_km((51.5, -0.1), (52.5, -1.9)) * 0.99


@pytest.mark.parametrize("where", ["ZZ99 9ZZ", "91,0", "not a place", "51.5,"])
def test_invalid_place_exit_2(where: str) -> None:
    run = cu.run_cli("distance", where, "51.5,-0.1", "--mode", "geodesic")
    assert "Traceback" not in run.stderr + run.stdout
    assert run.code == 2, (run.code, run.stdout, run.stderr)


ROAD_POINTS = [(50.7, -1.3), (49.92, -6.3), (55.75, -2.0), (53.75, -0.33), (50.15, -5.07),
               (54.6, -3.1), (51.45, 0.25), (52.95, 0.5), (54.2, -3.0), (51.5, -0.1)]


@pytest.mark.parametrize("i", range(len(ROAD_POINTS) - 1))
def test_road_agrees_with_builtin_network_rule(i: int) -> None:
    """Road km = access + shortest path over the built-in places/links + access, computed
    by the oracle's own snapping and Dijkstra from the shipped network data (to the 0.1 km
    the command prints; the rounding itself is checked by the geodesic test)."""
    import oracle

    a, b = ROAD_POINTS[i], ROAD_POINTS[i + 1]
    g = oracle.builtin_geography(str(cu.BUILTIN_DATA))
    pa, aa = g.snap(*a)
    pb, ab = g.snap(*b)
    want = aa + g.shortest(pa)[pb] + ab
    run, data = distance_json(f"{a[0]},{a[1]}", f"{b[0]},{b[1]}", "--mode", "road")
    assert run.code == 0, run.stderr
    check_shape(data, "road")
    assert data["km"] == pytest.approx(want, abs=0.051)
