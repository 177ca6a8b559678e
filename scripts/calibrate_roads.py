"""Calibrate the England road-proxy network against real road distances; rerunnable.

Fits the link-length model of ``optimiser/geography/data/links.csv.gz``
(``build_network.road_km`` for ordinary links: a circuity that depends on the link's length
plus a constant per link;
``build_network.trunk_km`` for the motorways and primary roads: one circuity plus a
constant) so that shortest paths over the network match approximate driving distances:
every pair of 30 English towns (``reference/towns.csv``, ``reference/town_matrix.csv``),
60 pairs chosen for what they test (``reference/road_pairs.csv``) and 60 short trips
(``reference/local_pairs.csv``). A held-out check set (``reference/heldout_pairs.csv``, 48
pairs in the Solent and New Forest, the Norfolk coast, the Thames estuary and west Cornwall)
is measured and reported, never fitted on. The error of a pair is measured against the range
from its shortest road to its quickest route (:func:`range_error`). The fit is coordinate descent on
a grid, keeping the road hierarchy: fewest pairs over 10% first, then a smooth minimax (the
squared excess of each error over 5%). Rewrites the links' ``km``, records every pair's error
in ``optimiser/geography/data/calibration.csv`` and ``.json``, the summary and the check pairs in
``docs/geography.md`` and the town pairs and short trips in ``docs/road-calibration.md``::

    python scripts/build_network.py && python scripts/calibrate_roads.py

Reference distances are approximate driving distances between town centres: the quickest
route as AA / Google-style route planners quote it, and the shortest road where a shorter one
exists (public facts from general knowledge, rounded to the km; treat each as +-5%). Each
place is its postcode district's centroid.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_network import apply_calibration  # noqa: E402
from scipy.sparse import coo_matrix  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from models.atomic import atomic_open, atomic_write  # noqa: E402
from optimiser.geography.geodesic import geodesic_km  # noqa: E402

DATA = ROOT / "optimiser" / "geography" / "data"
DOC = ROOT / "docs" / "geography.md"
TABLE_DOC = ROOT / "docs" / "road-calibration.md"

REFERENCE = ROOT / "scripts" / "reference"


def load_pairs() -> pd.DataFrame:
    """The reference pairs: every pair of the 30 calibration towns (``set=towns``,
    ``reference/towns.csv`` × ``reference/town_matrix.csv``), the pairs chosen for what
    they test (``set=checks``, ``reference/road_pairs.csv``), short trips between
    neighbouring towns and within cities, mostly off the trunk roads (``set=local``,
    ``reference/local_pairs.csv``), and the held-out check set (``set=heldout``,
    ``reference/heldout_pairs.csv``, with its ``region``), which the fit never sees."""
    towns = pd.read_csv(REFERENCE / "towns.csv", dtype=str).set_index("town")["district"]
    matrix = pd.read_csv(REFERENCE / "town_matrix.csv", dtype={"road_km": float},
                         keep_default_na=False)
    unknown = sorted((set(matrix["town_a"]) | set(matrix["town_b"])) - set(towns.index))
    if unknown:
        raise SystemExit(f"town_matrix.csv: towns not in towns.csv: {unknown}")
    expected = len(towns) * (len(towns) - 1) // 2
    distinct = {frozenset(p) for p in zip(matrix["town_a"], matrix["town_b"], strict=True)}
    if len(matrix) != expected or len(distinct) != expected:
        raise SystemExit(f"town_matrix.csv: {len(matrix)} rows, {len(distinct)} distinct pairs; "
                         f"every pair of the {len(towns)} towns once is {expected}")
    matrix = pd.DataFrame({
        "set": "towns", "town_a": matrix["town_a"],
        "district_a": matrix["town_a"].map(towns), "town_b": matrix["town_b"],
        "district_b": matrix["town_b"].map(towns), "road_km": matrix["road_km"],
        "shortest_km": matrix["shortest_km"], "tests": matrix["route"],
        "shortest_route": matrix["shortest_route"]})
    checks = pd.read_csv(REFERENCE / "road_pairs.csv", keep_default_na=False)
    checks.insert(0, "set", "checks")
    local = pd.read_csv(REFERENCE / "local_pairs.csv", keep_default_na=False)
    local = pd.DataFrame({
        "set": "local", "town_a": local["place_a"], "district_a": local["district_a"],
        "town_b": local["place_b"], "district_b": local["district_b"],
        "road_km": local["quickest_km"], "shortest_km": local["shortest_km"],
        "tests": local["route"], "shortest_route": ""})
    held = pd.read_csv(REFERENCE / "heldout_pairs.csv", keep_default_na=False)
    held = pd.DataFrame({
        "set": "heldout", "town_a": held["place_a"], "district_a": held["district_a"],
        "town_b": held["place_b"], "district_b": held["district_b"],
        "road_km": held["quickest_km"], "shortest_km": held["shortest_km"],
        "tests": held["route"], "shortest_route": "", "region": held["region"]})
    pairs = pd.concat([matrix, checks, local, held], ignore_index=True)
    pairs["region"] = pairs["region"].fillna("")
    for col in ("road_km", "shortest_km"):
        pairs[col] = pd.to_numeric(pairs[col].replace("", np.nan))
    pairs["shortest_km"] = pairs["shortest_km"].fillna(pairs["road_km"])
    bad = pairs[~(pairs["shortest_km"] <= pairs["road_km"])]
    if len(bad):
        raise SystemExit(f"shortest_km must be <= road_km:\n{bad.to_string()}")
    return pairs


def range_error(km: np.ndarray, quickest: np.ndarray, shortest: np.ndarray) -> np.ndarray:
    """Relative error against the real road distance, which lies between the shortest road
    route and the quickest: 0 in between, else relative to the nearer end.

    The contract's road distance is the *shortest* road distance, while route planners quote
    their quickest route; where the two differ (round the M25 or through London, the A15/A180
    or the south bank of the Humber) a network distance between them is right.
    """
    return np.where(km < shortest, km / shortest - 1,
                    np.where(km > quickest, km / quickest - 1, 0.0))


#: The values each constant of the link-length model may take (see
#: :func:`build_network.road_km` and :func:`build_network.trunk_km`).
GRID = {
    "detour_short": np.round(np.arange(1.0, 1.3001, 0.01), 3),
    "detour_long": np.round(np.arange(1.00, 1.5001, 0.01), 3),
    "scale_km": np.array([1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0]),
    "per_link_km": np.round(np.arange(0.0, 1.0001, 0.05), 2),
    # (a trunk road's points lie on it: the straight pieces between them cannot be longer
    # than the road, so its circuity is at least 1)
    "detour_motorway": np.round(np.arange(1.0, 1.3001, 0.005), 3),
    "detour_trunk": np.round(np.arange(1.0, 1.3001, 0.005), 3),
    "per_trunk_km": np.round(np.arange(0.0, 1.0001, 0.05), 2),
}
#: Where coordinate descent starts (both respect the road hierarchy, see :func:`hierarchy`).
STARTS = [
    {"detour_short": 1.05, "detour_long": 1.15, "scale_km": 5.0, "per_link_km": 0.5,
     "detour_motorway": 1.02, "detour_trunk": 1.05, "per_trunk_km": 0.2},
    {"detour_short": 1.1, "detour_long": 1.25, "scale_km": 5.0, "per_link_km": 0.5,
     "detour_motorway": 1.0, "detour_trunk": 1.05, "per_trunk_km": 0.25},
    # the fit of the network before the motorway bends were closed to local links
    {"detour_short": 1.06, "detour_long": 1.19, "scale_km": 7.5, "per_link_km": 0.2,
     "detour_motorway": 1.06, "detour_trunk": 1.06, "per_trunk_km": 0.2},
]


def hierarchy(calib: Mapping[str, float]) -> bool:
    """Whether a calibration keeps the road hierarchy: per km of straight line a motorway is
    charged no more than a primary A-road, and an A-road no more than any ordinary link (nor
    more per link).
    Without it the fit can make short town links cheaper than the motorway beside them, and
    paths then hop from suburb to suburb instead of taking the M62."""
    return (calib["detour_motorway"] <= calib["detour_trunk"]
            <= min(calib["detour_short"], calib["detour_long"])
            and calib["per_trunk_km"] <= calib["per_link_km"])
#: The targets: every pair within MAX_TARGET, half of them within MEDIAN_TARGET.
MAX_TARGET, MEDIAN_TARGET = 0.10, 0.05


def _read_links() -> pd.DataFrame:
    return pd.read_csv(DATA / "links.csv.gz", dtype={"from": str, "to": str},
                       keep_default_na=False)


class PathModel:
    """Network distance of each calibration pair under a trial calibration.

    The link structure is fixed; only the lengths change from one trial to the next, so the
    sparse matrix layout is computed once. Towns are place centroids (access 0), so this is
    the path of ``optimiser.geography.network`` without rebuilding its network for every trial.
    """

    def __init__(self, places: pd.DataFrame, links: pd.DataFrame, pairs: pd.DataFrame):
        index = {p: k for k, p in enumerate(places["place_id"])}
        i = links["from"].map(index).to_numpy()
        j = links["to"].map(index).to_numpy()
        self.n = len(index)
        self.links = links
        a, b = np.minimum(i, j), np.maximum(i, j)
        key = a * self.n + b
        self.order = np.argsort(key, kind="stable")
        sorted_key = key[self.order]
        self.starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        self.a, self.b = sorted_key[self.starts] // self.n, sorted_key[self.starts] % self.n
        src = pairs["district_a"].map(index).to_numpy()
        self.dst = pairs["district_b"].map(index).to_numpy()
        self.sources, self.inv = np.unique(src, return_inverse=True)

    def km(self, calib: dict[str, float]) -> np.ndarray:
        km = apply_calibration(self.links, calib).to_numpy()
        # Parallel links (a bridge beside a road link): keep the shorter, as the graph does.
        w = np.minimum.reduceat(km[self.order], self.starts)
        keep = self.a != self.b
        a, b, w = self.a[keep], self.b[keep], w[keep]
        graph = coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])),
                           shape=(self.n, self.n)).tocsr()
        dist = dijkstra(graph, directed=False, indices=self.sources)
        return np.asarray(dist[self.inv, self.dst])


def score(err: np.ndarray) -> tuple[int, float, float]:
    """What the fit minimises, in order: pairs over MAX_TARGET, then the squared excess of
    every error over MEDIAN_TARGET (errors within 5% are free, larger ones cost more and
    more, so the worst pairs dominate: a smooth minimax), then the largest error."""
    e = np.abs(err)
    # (>= 9.95% counts as over: the table shows errors rounded to 0.1%)
    over = int(np.sum(e >= MAX_TARGET - 0.0005))
    return over, float(np.sum(np.maximum(0.0, e - MEDIAN_TARGET) ** 2)), float(e.max())


def fit(model: PathModel, road: np.ndarray, shortest: np.ndarray) -> dict[str, float]:
    """The best :func:`score` found by coordinate descent on GRID from each of STARTS.

    A full grid over seven constants is too large (about 10^12 points); coordinate descent sets one
    constant at a time to its best grid value, the others fixed, and repeats until a whole
    pass changes nothing. Deterministic: ties keep the current value, then the first in grid
    order.
    """
    best: tuple[tuple[int, float, float], dict[str, float]] | None = None
    for start in STARTS:
        calib = dict(start)
        current = score(range_error(model.km(calib), road, shortest))
        changed = True
        while changed:
            changed = False
            for key, values in GRID.items():
                for v in values:
                    trial = {**calib, key: float(v)}
                    if not hierarchy(trial):
                        continue
                    s = score(range_error(model.km(trial), road, shortest))
                    if s < current:
                        calib, current, changed = trial, s, True
        if best is None or current < best[0]:
            best = (current, calib)
    assert best is not None
    return best[1]


#: The set measured but never fitted on.
HELD_OUT = "heldout"


def fitted_rows(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs the fit sees (every set but the held-out one)."""
    return pairs[pairs["set"] != HELD_OUT]


def _errors(pairs: pd.DataFrame) -> dict[str, float]:
    e, r = pairs["error_pct"].abs(), pairs["range_error_pct"].abs()
    return {"pairs": len(pairs), "median_abs_error_pct": round(float(r.median()), 2),
            "max_abs_error_pct": float(r.max()), "pairs_over_10_pct": int((r >= 10).sum()),
            "pairs_with_shortest_route": int((pairs["shortest_km"] < pairs["road_km"]).sum()),
            "quickest_median_abs_error_pct": round(float(e.median()), 2),
            "quickest_max_abs_error_pct": float(e.max()),
            "quickest_pairs_over_10_pct": int((e >= 10).sum()),
            "geodesic_median_error_pct": round(float(pairs["geodesic_error_pct"].median()), 2)}


def main() -> None:
    places = pd.read_csv(DATA / "places.csv.gz", dtype={"place_id": str},
                         keep_default_na=False)
    links = _read_links()
    pairs = load_pairs()
    fitted = pairs[pairs["set"] != HELD_OUT].reset_index(drop=True)
    calib = fit(PathModel(places, links, fitted), fitted["road_km"].to_numpy(float),
                fitted["shortest_km"].to_numpy(float))
    km = PathModel(places, links, pairs).km(calib)  # every set, the held-out one too
    road = pairs["road_km"].to_numpy(float)
    shortest = pairs["shortest_km"].to_numpy(float)
    where = places.set_index("place_id")
    a, b = where.loc[pairs["district_a"]], where.loc[pairs["district_b"]]
    geo = geodesic_km(a["lat"].to_numpy(), a["lon"].to_numpy(), b["lat"].to_numpy(),
                      b["lon"].to_numpy())
    pairs["model_km"] = km.round(1)
    pairs["error_pct"] = (100 * (km / road - 1)).round(1)
    pairs["range_error_pct"] = (100 * range_error(km, road, shortest)).round(1)
    pairs["geodesic_km"] = geo.round(1)
    pairs["geodesic_error_pct"] = (100 * (geo / road - 1)).round(1)
    summary: dict[str, object] = {**calib, **_errors(fitted_rows(pairs))}
    for name, group in pairs.groupby("set", sort=True):
        summary[str(name)] = _errors(group)
    held = pairs[pairs["set"] == HELD_OUT]
    summary["heldout_regions"] = {str(r): _errors(g) for r, g in held.groupby("region")}

    links["km"] = apply_calibration(links, calib).round(4)
    with atomic_open(DATA / "links.csv.gz", "wb") as fh:
        links.to_csv(fh, index=False, compression={"method": "gzip", "mtime": 0})
    atomic_write(DATA / "calibration.json", json.dumps(summary, indent=2) + "\n")
    buffer = io.StringIO()
    pairs.to_csv(buffer, index=False, lineterminator="\n")
    atomic_write(DATA / "calibration.csv", buffer.getvalue())
    _write_doc_tables(pairs, summary)
    for path in (DATA / "links.csv.gz", DATA / "calibration.json", DATA / "calibration.csv",
                 DOC, TABLE_DOC):
        path.chmod(0o644)  # shipped files: readable by everyone (mkstemp creates 0600)
    print(json.dumps(summary, indent=2))
    worst = pairs.reindex(pairs["range_error_pct"].abs().sort_values(ascending=False).index)
    print(worst.head(25).to_string(index=False))


def _table(pairs: pd.DataFrame, what: str) -> list[str]:
    lines = [f"| from | to | quickest route km | shortest road km | network km | error | "
             f"error vs quickest | straight line km | {what} |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in pairs.to_dict("records"):
        shorter = float(r["shortest_km"]) < float(r["road_km"])
        shortest = f"{float(r['shortest_km']):g}" if shorter else "="
        route = str(r["tests"])
        if shorter and str(r.get("shortest_route", "") or ""):
            route += f"; shortest: {r['shortest_route']}"
        lines.append(f"| {r['town_a']} ({r['district_a']}) | {r['town_b']} ({r['district_b']}) | "
                     f"{float(r['road_km']):g} | {shortest} | {float(r['model_km']):.1f} | "
                     f"{float(r['range_error_pct']):+.1f}% | {float(r['error_pct']):+.1f}% | "
                     f"{float(r['geodesic_km']):.1f} | {route} |")
    return lines


def _stats(s: Mapping[str, object]) -> str:
    return (f"median absolute error **{s['median_abs_error_pct']:.1f}%**, largest "
            f"**{s['max_abs_error_pct']:.1f}%**, {s['pairs_over_10_pct']} pair(s) at 10% or "
            f"more; against the quickest route alone median "
            f"{s['quickest_median_abs_error_pct']:.1f}%, largest "
            f"{s['quickest_max_abs_error_pct']:.1f}%, {s['quickest_pairs_over_10_pct']} at 10% "
            f"or more ({s['pairs_with_shortest_route']} pairs have a shorter road than the "
            f"quickest route; straight lines: median {s['geodesic_median_error_pct']:.1f}%)")


REGIONS = {"solent": "Solent and New Forest", "norfolk": "Norfolk coast",
           "thames": "Thames estuary (Essex and north Kent)", "cornwall": "west Cornwall"}


def _write_doc_tables(pairs: pd.DataFrame, summary: Mapping[str, object]) -> None:
    """The summary and the check pairs into docs/geography.md (between its markers); every
    pair of the 30 towns and the short trips into docs/road-calibration.md (written whole)."""
    towns, checks, local = summary["towns"], summary["checks"], summary["local"]
    held, regions = summary[HELD_OUT], summary["heldout_regions"]
    assert isinstance(towns, Mapping) and isinstance(checks, Mapping)
    assert isinstance(local, Mapping) and isinstance(held, Mapping)
    assert isinstance(regions, Mapping)
    head = [
        f"Fitted: ordinary links circuity **{summary['detour_short']:g}** for the shortest "
        f"rising to **{summary['detour_long']:g}** for long ones (scale "
        f"**{summary['scale_km']:g} km**) plus **{summary['per_link_km']:g} km** per link; "
        f"motorway links **{summary['detour_motorway']:g}** and primary A-road links "
        f"**{summary['detour_trunk']:g}** × straight length plus "
        f"**{summary['per_trunk_km']:g} km** per link.",
        "",
        f"- All {towns['pairs']} pairs of the 30 calibration towns "
        f"([full table](road-calibration.md)): {_stats(towns)}.",
        f"- The {checks['pairs']} pairs chosen for what they test (below): {_stats(checks)}.",
        f"- {local['pairs']} short trips between neighbouring towns and within cities, mostly "
        f"off the trunk roads ([table](road-calibration.md#short-trips)): {_stats(local)}.",
        f"- Held out, never fitted on: {held['pairs']} pairs in the Solent and New Forest, "
        f"the Norfolk coast, the Thames estuary and west Cornwall "
        f"([table](road-calibration.md#held-out-check-set)): {_stats(held)}.",
        "",
    ]
    table = "\n".join(head + _table(pairs[pairs["set"] == "checks"], "tests"))
    start, end = "<!-- calibration:start -->", "<!-- calibration:end -->"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    text = re.sub(re.escape(start) + r".*?" + re.escape(end),
                  lambda _: f"{start}\n{table}\n{end}", text, flags=re.S)
    atomic_write(DOC, text)
    full = [
        "# Road distances: the 30 calibration towns, short trips and the held-out set",
        "",
        "Written by `scripts/calibrate_roads.py` (do not edit by hand; method and caveats in",
        "[geography.md](geography.md#calibration-against-real-road-distances)).",
        "",
        "References (`scripts/reference/`, general knowledge, each about ±5%): the quickest "
        "route a route planner proposes between the town centres and, where a shorter road "
        "exists, the shortest road route. *error* is against the real road distance, anything "
        "from the shortest road to the quickest route (0 in between); *error vs quickest* "
        "against the quickest route alone. Network: the shortest path between the places' "
        "postcode districts over the built-in network.",
        "",
        "## Every pair of the 30 towns",
        "",
        f"{towns['pairs']} pairs: {_stats(towns)}.",
        "",
        *_table(pairs[pairs["set"] == "towns"], "route"),
        "",
        "## Short trips",
        "",
        f"{local['pairs']} pairs: {_stats(local)}.",
        "",
        *_table(pairs[pairs["set"] == "local"], "route"),
        "",
        "## Held-out check set",
        "",
        "Pairs in the four regions where a review found the network furthest from real road "
        "distances (`scripts/reference/heldout_pairs.csv`; compiled before the network's "
        "figures for them were looked at; **not used by the fit**).",
        "",
        f"{held['pairs']} pairs: {_stats(held)}.",
        "",
        *[f"- {REGIONS.get(str(r), r)}: {_stats(v)}." for r, v in regions.items()],
        "",
        *_table(pairs[pairs["set"] == HELD_OUT], "route"),
    ]
    atomic_write(TABLE_DOC, "\n".join(full) + "\n")


if __name__ == "__main__":
    main()
