"""The shortest-path core: its two ways of snapping and of Dijkstra give the same values bit
for bit, and the flat layout kept on disk reads back only when it is consistent."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from models.domain import Geography, Link, Place
from models.errors import InputError
from optimiser.geography import network as geo
from optimiser.geography import paths as pt
from optimiser.geography.geodesic import geodesic_km


@pytest.fixture(scope="module")
def england() -> pt.Paths:
    return geo.builtin_network().paths


# ------------------------------------------------------------------ snapping


def test_brute_force_and_kd_tree_snap_alike_on_england(england: pt.Paths) -> None:
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(50.0, 55.8, 400), rng.uniform(-5.7, 1.8, 400)
    # and points exactly on places, and halfway between neighbouring places
    k = rng.choice(len(england), 100, replace=False)
    a, b = england.nbr[england.indptr[k]], k
    lat = np.r_[lat, england.lat[k], (england.lat[a] + england.lat[b]) / 2]
    lon = np.r_[lon, england.lon[k], (england.lon[a] + england.lon[b]) / 2]
    brute = pt.snap_points(england, lat, lon, brute=True)
    tree = pt.snap_points(england, lat, lon, brute=False)
    assert np.array_equal(brute[0], tree[0]) and np.array_equal(brute[1], tree[1])
    assert np.array_equal(brute[0][400:500], k)  # a place snaps to itself
    assert (brute[1][400:500] == 0).all()


def test_snap_is_the_exact_nearest_with_the_tie_rule_in_a_crowd() -> None:
    """Many places at the same spot or equidistant (the candidates' shortlist is too short
    to settle): both ways search the safe radius and take the smallest place_id."""
    rng = np.random.default_rng(11)
    ids = [f"p{i:03d}" for i in range(60)]
    lat = np.r_[np.full(20, 52.0), rng.uniform(51.9, 52.1, 40)]
    lon = np.r_[np.full(20, -1.0), rng.uniform(-1.1, -0.9, 40)]
    order = rng.permutation(60)  # ids listed out of order: rank decides, not position
    net = geo.build_network(np.array(ids)[order], lat[order], lon[order], [], [], [],
                            digest="crowd")
    qlat, qlon = np.r_[52.0, rng.uniform(51.9, 52.1, 50)], np.r_[-1.0, rng.uniform(-1.1, -0.9, 50)]
    brute = pt.snap_points(net.paths, qlat, qlon, brute=True)
    tree = pt.snap_points(net.paths, qlat, qlon, brute=False)
    assert np.array_equal(brute[0], tree[0]) and np.array_equal(brute[1], tree[1])
    assert net.place_ids[brute[0][0]] == "p000"  # 20 places on the spot: the smallest id
    every = geodesic_km(qlat[:, None], qlon[:, None], net.lat[None, :], net.lon[None, :])
    assert np.allclose(brute[1], every.min(axis=1), atol=pt.TIE_KM)


def test_the_size_of_the_batch_chooses_the_way_unless_asked(
        england: pt.Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_tree(self: pt.Paths) -> None:
        raise AssertionError("KD-tree used")

    few = (np.array([51.5, 52.0]), np.array([-0.1, -1.0]))
    many = (np.linspace(50.5, 54.5, 200), np.linspace(-3.0, 0.0, 200))  # 670,000 pairs
    with monkeypatch.context() as m:
        m.setattr(pt.Paths, "tree", property(no_tree))
        pt.snap_points(england, *few)
        pt.snap_points(england, *many, brute=True)
        with pytest.raises(AssertionError, match="KD-tree used"):
            pt.snap_points(england, *many)
        with pytest.raises(AssertionError, match="KD-tree used"):
            pt.snap_points(england, *few, brute=False)


def test_snap_of_nothing_and_onto_nothing() -> None:
    empty = geo.build_network([], [], [], [], [], [], digest="empty").paths
    with pytest.raises(InputError, match="has no places"):
        pt.snap_points(empty, [0.0], [0.0])
    one = geo.build_network(["A"], [0.0], [0.0], [], [], [], digest="one").paths
    idx, km = pt.snap_points(one, [], [])
    assert idx.shape == (0,) and km.shape == (0,)
    idx, km = pt.snap_points(one, [0.0, 1.0], [0.0, 0.0])
    assert idx.tolist() == [0, 0] and km[0] == 0.0 and km[1] > 100


# ------------------------------------------------------------------ shortest paths


def test_python_dijkstra_equals_scipy_bit_for_bit_on_england(england: pt.Paths) -> None:
    sources = np.arange(0, len(england), 97)
    ours = np.array([pt.dijkstra_one(england, int(s)) for s in sources])
    theirs = dijkstra(england.matrix, directed=False, indices=sources)
    assert np.array_equal(ours, theirs)


def test_python_dijkstra_equals_scipy_where_sums_depend_on_their_order() -> None:
    """Lengths like 0.1 + 0.2 != 0.3 in floating point: both take the smallest
    left-to-right sum from the source, whatever order they visit places in."""
    rng = np.random.default_rng(5)
    n = 200
    a = rng.integers(0, n, 1200)
    b = rng.integers(0, n, 1200)
    keep = a != b
    km = rng.choice([0.1, 0.2, 0.3, 0.7, 1e-9, 1e6, 1 / 3], size=keep.sum())
    net = geo.build_network([f"n{i}" for i in range(n)], np.zeros(n), np.zeros(n),
                            [f"n{i}" for i in a[keep]], [f"n{i}" for i in b[keep]], km,
                            digest="floats")
    p = net.paths
    theirs = dijkstra(p.matrix, directed=False, indices=np.arange(n))
    ours = np.array([pt.dijkstra_one(p, s) for s in range(n)])
    assert np.array_equal(ours, theirs)
    # and the sums really do depend on the order somewhere (so the test can fail)
    assert (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3)


def test_unreachable_places_are_inf_both_ways() -> None:
    net = geo.build_network(["A", "B", "C"], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0], ["A"], ["B"],
                            [5.0], digest="cut")
    assert pt.dijkstra_one(net.paths, 0) == [0.0, 5.0, np.inf]
    assert np.array_equal(pt.shortest_km(net.paths, [0, 2], [0, 1, 2]),
                          [[0.0, 5.0, np.inf], [np.inf, np.inf, 0.0]])


def test_shortest_km_in_python_or_scipy_alike(england: pt.Paths,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    sources, targets = np.arange(0, 3000, 150), np.arange(5, 3300, 7)
    scipy_way = pt.shortest_km(england, sources, targets, python=False)
    assert np.array_equal(pt.shortest_km(england, sources, targets, python=True), scipy_way)
    monkeypatch.setattr(pt, "_SCIPY_BATCH", 3)
    assert np.array_equal(pt.shortest_km(england, sources, targets, python=False), scipy_way)


@pytest.mark.parametrize(("sources", "scipy_loaded", "python"), [
    (1, False, True), (pt.PY_SOURCES, False, True), (pt.PY_SOURCES + 1, False, False),
    (1, True, False)])
def test_shortest_km_chooses_python_for_a_few_sources_without_scipy(
        england: pt.Paths, monkeypatch: pytest.MonkeyPatch, sources: int,
        scipy_loaded: bool, python: bool) -> None:
    calls: list[int] = []
    real = pt.dijkstra_one
    monkeypatch.setattr(pt, "scipy_dijkstra_loaded", lambda: scipy_loaded)
    monkeypatch.setattr(pt, "dijkstra_one", lambda p, s: calls.append(s) or real(p, s))
    pt.shortest_km(england, np.arange(sources), [0, 1])
    assert bool(calls) is python


# ------------------------------------------------------------------ building and the flat form


def test_parallel_links_keep_the_shortest_and_loops_go() -> None:
    net = geo.build_network(["A", "B", "C"], [0.0] * 3, [0.0, 1.0, 2.0],
                            ["B", "A", "A", "C", "C"], ["A", "B", "A", "B", "B"],
                            [9.0, 4.0, 1.0, 3.0, 3.0], digest="par",
                            edge_attrs={"name": ["slow", "fast", "loop", "first", "second"]})
    assert net.link_a.tolist() == [0, 1] and net.link_b.tolist() == [1, 2]
    assert net.link_km.tolist() == [4.0, 3.0]
    assert net.link_attrs["name"].tolist() == ["fast", "first"]  # of equals, the first
    assert net.paths.indptr.tolist() == [0, 1, 3, 4]
    assert pt.dijkstra_one(net.paths, 0) == [0.0, 4.0, 7.0]


def test_flat_form_reads_back_equal(england: pt.Paths) -> None:
    back = pt.paths_from_flat(england.to_flat(), england.digest)
    assert back is not None
    for name in ("lat", "lon", "rank", "indptr", "nbr", "km"):
        assert np.array_equal(getattr(back, name), getattr(england, name)), name
    assert back.indptr.dtype == np.intp and back.digest == england.digest


@pytest.mark.parametrize("damage", ["version", "short", "neighbour", "length", "pointer",
                                    "fraction", "nan", "2d"])
def test_flat_form_that_does_not_check_out_is_refused(damage: str) -> None:
    net = geo.build_network(["A", "B"], [0.0, 0.0], [0.0, 1.0], ["A"], ["B"], [5.0],
                            digest="two")
    flat = net.paths.to_flat()
    assert pt.paths_from_flat(flat, "two") is not None
    n = 2  # layout: version, n, e, lat(2), lon(2), rank(2), indptr(3), nbr(2), km(2)
    nbr, km, indptr = 3 + 3 * n + (n + 1), 3 + 3 * n + (n + 1) + 2, 3 + 3 * n
    bad = flat.copy()
    if damage == "version":
        bad[0] = pt.FLAT_VERSION + 1
    elif damage == "short":
        bad = bad[:-1]
    elif damage == "neighbour":
        bad[nbr] = 2
    elif damage == "length":
        bad[km] = -5.0
    elif damage == "pointer":
        bad[indptr + 1] = 3
    elif damage == "fraction":
        bad[nbr] = 0.5
    elif damage == "nan":
        bad[3] = np.nan
    else:
        bad = bad.reshape(1, -1)
    assert pt.paths_from_flat(bad, "two") is None


def test_custom_network_paths_match_its_links() -> None:
    g = Geography((Place("A", 0.0, 0.0), Place("B", 0.0, 1.0), Place("C", 0.0, 2.0)),
                  (Link("A", "B", 150.0), Link("B", "C", 120.0)))
    p = geo.custom_network(g).paths
    assert pt.dijkstra_one(p, 0) == [0.0, 150.0, 270.0]
    assert p.rank.tolist() == [0, 1, 2]
