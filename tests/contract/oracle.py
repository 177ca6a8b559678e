"""An independent, brute-force reading of the instance contract, for tiny instances.

Written from ``/work/shared/spec/instance-format.md`` alone, without the project's own code
(it imports nothing from ``models``/``optimiser``/``bedplan``), so that agreement between it
and the CLI means something. It parses contract values (booleans in every spelling, ``12.0``
integers, default ages, blank sex), computes ``d(p,u)`` (geodesic via geopy, or road over a
custom ``geography/`` with its own Dijkstra and snapping), enumerates every outcome of every
patient, keeps the feasible plans and returns the minimum objective. Only for <= ~6 patients.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from geopy.distance import geodesic

Rows = list[dict[str, str]]

LEVELS = {
    "adult_secure": ("high", "medium", "low"),
    "camhs": ("general", "picu", "low", "medium"),
    "eating_disorder": ("general",),
}
DEFAULT_AGES = {"camhs": (12, 17), "adult_secure": (18, 120), "eating_disorder": (18, 120)}
DEFAULT_WEIGHTS = {"km": 1.0, "out_of_area": 50.0, "cost": 0.0, "move": 25.0,
                   "delayed": 200.0, "unplaced": 1000.0}
TRUE = {"true", "yes", "1"}
FALSE = {"false", "no", "0"}
INF = math.inf


def parse_bool(text: str, default: bool) -> bool:
    """Contract booleans: true/false, yes/no, 1/0, any case; blank = default."""
    t = text.strip().lower()
    if not t:
        return default
    if t in TRUE:
        return True
    if t in FALSE:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_int(text: str, default: int | None = None) -> int:
    """Contract integers: ``12`` or ``12.0``; ``12.5`` is invalid; blank = default."""
    t = text.strip()
    if not t:
        if default is None:
            raise ValueError("missing integer")
        return default
    value = float(t)
    if not value.is_integer():
        raise ValueError(f"not an integer: {text!r}")
    return int(value)


def parse_float(text: str, default: float | None = None) -> float:
    t = text.strip()
    if not t:
        if default is None:
            raise ValueError("missing number")
        return default
    return float(t)


def tags(text: str) -> frozenset[str]:
    return frozenset(t.strip() for t in text.split(";") if t.strip())


@dataclass(frozen=True)
class OUnit:
    uid: str
    network: str
    service: str
    level: str
    sex: str
    age_min: int
    age_max: int
    specialisms: frozenset[str]
    open_beds: int
    cost: float
    lat: float
    lon: float
    specialist_only: bool = False  # contract 1.2
    accepts_referrals: bool = True  # contract 1.2


@dataclass(frozen=True)
class OPatient:
    pid: str
    status: str
    service: str
    level: str
    sex: str
    age: int
    needs: frozenset[str]
    home_lat: float
    home_lon: float
    home_network: str
    current: str
    movable: bool
    priority: int
    excluded: frozenset[str]


@dataclass(frozen=True)
class Geography:
    """A custom travel network: places (id → lat, lon) and undirected links (a, b, km)."""

    places: Mapping[str, tuple[float, float]]
    links: Sequence[tuple[str, str, float]]

    def snap(self, lat: float, lon: float) -> tuple[str, float]:
        """Nearest place by geodesic distance; ties to the smallest place_id.

        Big networks: an equirectangular estimate keeps the 12 nearest candidates (plus any
        within 2 km of the 12th) and the exact geodesic decides among them.
        """
        items = list(self.places.items())
        if len(items) > 50:
            k = math.cos(math.radians(lat))

            def approx(xy: tuple[float, float]) -> float:
                return 111.2 * math.hypot(xy[0] - lat, (xy[1] - lon) * k)

            est = sorted((approx(xy), pid) for pid, xy in items)
            limit = est[min(11, len(est) - 1)][0] + 2.0
            keep = {pid for e, pid in est if e <= limit}
            items = [(pid, xy) for pid, xy in items if pid in keep]
        best = min((geodesic((lat, lon), xy).km, pid) for pid, xy in items)
        return best[1], best[0]

    def shortest(self, source: str) -> dict[str, float]:
        """Dijkstra from ``source`` over the undirected links."""
        adj: dict[str, list[tuple[str, float]]] = {p: [] for p in self.places}
        for a, b, km in self.links:
            adj[a].append((b, km))
            adj[b].append((a, km))
        dist = {source: 0.0}
        heap = [(0.0, source)]
        while heap:
            d, node = heapq.heappop(heap)
            if d > dist.get(node, INF):
                continue
            for nxt, km in adj[node]:
                nd = d + km
                if nd < dist.get(nxt, INF):
                    dist[nxt] = nd
                    heapq.heappush(heap, (nd, nxt))
        return dist


_BUILTIN: dict[str, Geography] = {}


def builtin_geography(data_dir: str) -> Geography:
    """The built-in England network read from its shipped data files (places.csv.gz,
    links.csv.gz: ``from,to,...,km``), as plain data: the contract says it "follows the same
    rule over its own places and links" as a custom geography/."""
    if data_dir not in _BUILTIN:
        import csv
        import gzip
        from pathlib import Path

        base = Path(data_dir)
        with gzip.open(base / "places.csv.gz", "rt", encoding="utf-8") as fh:
            places = {r["place_id"]: (float(r["lat"]), float(r["lon"]))
                      for r in csv.DictReader(fh)}
        with gzip.open(base / "links.csv.gz", "rt", encoding="utf-8") as fh:
            links = [(r["from"], r["to"], float(r["km"])) for r in csv.DictReader(fh)]
        _BUILTIN[data_dir] = Geography(places, links)
    return _BUILTIN[data_dir]


@dataclass(frozen=True)
class OInstance:
    units: tuple[OUnit, ...]
    patients: tuple[OPatient, ...]
    weights: Mapping[str, float]
    max_moves: int | None
    max_admissions: int | None
    distance: str
    geography: Geography | None
    km: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def unit(self, uid: str) -> OUnit:
        return next(u for u in self.units if u.uid == uid)


def read_units(rows: Rows) -> tuple[OUnit, ...]:
    out = []
    for r in rows:
        service = r["service"].strip()
        lo, hi = DEFAULT_AGES[service]
        beds = parse_int(r["beds"])
        out.append(OUnit(
            uid=r["unit_id"].strip(), network=r["network_id"].strip(), service=service,
            level=r["level"].strip(), sex=(r.get("sex", "").strip().lower() or "mixed"),
            age_min=parse_int(r.get("age_min", ""), lo),
            age_max=parse_int(r.get("age_max", ""), hi),
            specialisms=tags(r.get("specialisms", "")),
            open_beds=beds - parse_int(r.get("beds_closed", ""), 0),
            cost=parse_float(r.get("cost_per_day", ""), 0.0),
            lat=float(r["lat"]), lon=float(r["lon"]),
            specialist_only=parse_bool(r.get("specialist_only", ""), False),
            accepts_referrals=parse_bool(r.get("accepts_referrals", ""), True)))
    return tuple(out)


def read_patients(rows: Rows) -> tuple[OPatient, ...]:
    out = []
    for r in rows:
        out.append(OPatient(
            pid=r["patient_id"].strip(), status=r["status"].strip().lower(),
            service=r["service"].strip(), level=r["level"].strip(),
            sex=r["sex"].strip().lower(), age=parse_int(r["age"]), needs=tags(r.get("needs", "")),
            home_lat=float(r["home_lat"]), home_lon=float(r["home_lon"]),
            home_network=r["home_network_id"].strip(),
            current=r.get("current_unit_id", "").strip(),
            movable=parse_bool(r.get("movable", ""), True),
            priority=parse_int(r.get("priority", ""), 1),
            excluded=tags(r.get("excluded_units", ""))))
    return tuple(out)


def distances(units: Sequence[OUnit], patients: Sequence[OPatient], mode: str,
              geography: Geography | None) -> dict[tuple[str, str], float]:
    """``d(p,u)`` for every pair: geodesic, or road over a custom geography (inf = unreachable)."""
    km: dict[tuple[str, str], float] = {}
    if mode == "geodesic":
        for p in patients:
            for u in units:
                km[p.pid, u.uid] = geodesic((p.home_lat, p.home_lon), (u.lat, u.lon)).km
        return km
    if geography is None:
        raise ValueError("road distance over the built-in England network is not modelled here")
    snaps: dict[tuple[float, float], tuple[str, float]] = {}

    def snap(lat: float, lon: float) -> tuple[str, float]:
        if (lat, lon) not in snaps:
            snaps[lat, lon] = geography.snap(lat, lon)
        return snaps[lat, lon]

    unit_snaps = {u.uid: snap(u.lat, u.lon) for u in units}
    paths_from: dict[str, dict[str, float]] = {}
    for p in patients:
        hp, ha = snap(p.home_lat, p.home_lon)
        if hp not in paths_from:
            paths_from[hp] = geography.shortest(hp)
        paths = paths_from[hp]
        for u in units:
            up, ua = unit_snaps[u.uid]
            km[p.pid, u.uid] = ha + paths[up] + ua if up in paths else INF
    return km


def load(units: Rows, patients: Rows, policy: Mapping[str, object] | None = None,
         geography: Geography | None = None, builtin: Geography | None = None) -> OInstance:
    """The oracle's instance from contract rows and a policy mapping (as policy.toml).

    Road distance without a custom ``geography`` uses ``builtin`` (the England network)."""
    policy = dict(policy or {})
    weights = dict(DEFAULT_WEIGHTS)
    weights.update({k: float(v) for k, v in dict(policy.get("weights", {})).items()})  # type: ignore[call-overload]
    limits = dict(policy.get("limits", {}))  # type: ignore[call-overload]
    mode = str(policy.get("distance", "road"))
    ous, ops = read_units(units), read_patients(patients)
    return OInstance(ous, ops, weights, limits.get("max_moves"),
                     limits.get("max_admissions_per_unit"), mode, geography,
                     distances(ous, ops, mode, geography or builtin))


def compatible(inst: OInstance, p: OPatient, u: OUnit) -> bool:
    """The contract's compatibility, plus reachability (unreachable = incompatible)."""
    return (u.service == p.service and u.level == p.level and u.sex in ("mixed", p.sex)
            and u.age_min <= p.age <= u.age_max and p.needs <= u.specialisms
            and (not u.specialist_only or bool(p.needs & u.specialisms))
            and (u.accepts_referrals or p.status != "referral")
            and u.uid not in p.excluded and math.isfinite(inst.km[p.pid, u.uid]))


Outcome = tuple[str, str | None]  # (action, unit_id or None)


def outcomes(inst: OInstance, p: OPatient) -> list[Outcome]:
    if p.status == "inpatient":
        opts: list[Outcome] = [("stay", p.current)]
        if p.movable:
            opts += [("move", u.uid) for u in inst.units
                     if u.uid != p.current and compatible(inst, p, u)]
        return opts
    return [("unplaced", None)] + [("admit", u.uid) for u in inst.units if compatible(inst, p, u)]


def placement_cost(inst: OInstance, p: OPatient, uid: str) -> float:
    u = inst.unit(uid)
    w = inst.weights
    return (w["km"] * inst.km[p.pid, uid] + w["out_of_area"] * (u.network != p.home_network)
            + w["cost"] * u.cost)


def outcome_cost(inst: OInstance, p: OPatient, o: Outcome) -> float:
    action, uid = o
    w = inst.weights
    if action == "unplaced":
        return w["unplaced"] * p.priority
    assert uid is not None
    cost = placement_cost(inst, p, uid)
    if action == "move":
        cost += w["move"]
    if action == "stay" and not compatible(inst, p, inst.unit(uid)):
        cost += w["delayed"]
    return cost


def objective(inst: OInstance, plan: Sequence[Outcome]) -> float:
    return sum(outcome_cost(inst, p, o) for p, o in zip(inst.patients, plan, strict=True))


def violations(inst: OInstance, plan: Sequence[Outcome]) -> list[str]:
    """Every way ``plan`` breaks the contract's outcomes or constraints (empty = feasible)."""
    bad = []
    load_: dict[str, int] = {}
    new: dict[str, int] = {}
    moves = 0
    for p, o in zip(inst.patients, plan, strict=True):
        if o not in outcomes(inst, p):
            bad.append(f"{p.pid}: outcome {o} not allowed")
        action, uid = o
        if uid is not None:
            load_[uid] = load_.get(uid, 0) + 1
        if action in ("move", "admit") and uid is not None:
            new[uid] = new.get(uid, 0) + 1
        moves += action == "move"
    for u in inst.units:
        if load_.get(u.uid, 0) > u.open_beds:
            bad.append(f"{u.uid}: {load_[u.uid]} patients > {u.open_beds} open beds")
        if inst.max_admissions is not None and new.get(u.uid, 0) > inst.max_admissions:
            bad.append(f"{u.uid}: {new[u.uid]} new patients > max_admissions_per_unit")
    if inst.max_moves is not None and moves > inst.max_moves:
        bad.append(f"{moves} moves > max_moves {inst.max_moves}")
    return bad


@dataclass(frozen=True)
class Optimum:
    status: str  # "optimal", "infeasible" or "invalid"
    objective: float | None
    plan: tuple[Outcome, ...] | None


def invalid_reason(inst: OInstance) -> str | None:
    """Contract-invalid cases the oracle itself can see (an unreachable current unit)."""
    for p in inst.patients:
        if p.status == "inpatient" and not math.isfinite(inst.km[p.pid, p.current]):
            return f"{p.pid}: current unit unreachable from home"
    return None


def solve(inst: OInstance) -> Optimum:
    """Minimum objective over every feasible plan (depth-first with capacity pruning)."""
    if invalid_reason(inst):
        return Optimum("invalid", None, None)
    options = [sorted(outcomes(inst, p), key=lambda o: outcome_cost(inst, p, o))
               for p in inst.patients]
    costs = [[outcome_cost(inst, p, o) for o in opts]
             for p, opts in zip(inst.patients, options, strict=True)]
    cap = {u.uid: u.open_beds for u in inst.units}
    adm_cap = inst.max_admissions
    best: list[object] = [INF, None]
    load_: dict[str, int] = {u.uid: 0 for u in inst.units}
    new: dict[str, int] = {u.uid: 0 for u in inst.units}
    chosen: list[Outcome] = []

    def dfs(i: int, acc: float, moves: int) -> None:
        if acc >= best[0] - 1e-12:  # type: ignore[operator]
            return
        if i == len(options):
            best[0], best[1] = acc, tuple(chosen)
            return
        for o, c in zip(options[i], costs[i], strict=True):
            action, uid = o
            if uid is not None:
                if load_[uid] + 1 > cap[uid]:
                    continue
                is_new = action in ("move", "admit")
                if is_new and adm_cap is not None and new[uid] + 1 > adm_cap:
                    continue
                m = moves + (action == "move")
                if inst.max_moves is not None and m > inst.max_moves:
                    continue
                load_[uid] += 1
                new[uid] += is_new
                chosen.append(o)
                dfs(i + 1, acc + c, m)
                chosen.pop()
                load_[uid] -= 1
                new[uid] -= is_new
            else:
                chosen.append(o)
                dfs(i + 1, acc + c, moves)
                chosen.pop()

    dfs(0, 0.0, 0)
    if best[1] is None:
        return Optimum("infeasible", None, None)
    return Optimum("optimal", float(best[0]), best[1])  # type: ignore[arg-type]


def metrics(inst: OInstance, plan: Sequence[Outcome]) -> dict[str, float]:
    """The contract's metrics of a plan."""
    placed = [(p, o) for p, o in zip(inst.patients, plan, strict=True) if o[0] != "unplaced"]
    kms = [inst.km[p.pid, o[1]] for p, o in placed if o[1] is not None]
    return {
        "patients": len(inst.patients),
        "placed": len(placed),
        "unplaced": len(inst.patients) - len(placed),
        "moves": sum(o[0] == "move" for o in plan),
        "out_of_area": sum(inst.unit(o[1]).network != p.home_network  # type: ignore[arg-type]
                           for p, o in placed),
        "total_km": float(sum(kms)),
        "median_km": float(statistics.median(kms)) if kms else 0.0,
        "delayed": sum(o[0] == "stay" and not compatible(inst, p, inst.unit(o[1]))  # type: ignore[arg-type]
                       for p, o in placed),
    }
