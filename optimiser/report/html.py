"""A self-contained HTML report of a run, in the terms commissioners use.

``write_report(out_dir, instance, result)`` writes ``OUT/report.html`` (inline CSS, charts as
inline base64 PNG, no file beside it needed) and the same charts as ``OUT/charts/*.png`` for
slides. "Before" is where everyone is tonight (inpatients in their current unit; referrals
not yet placed) unless a ``baseline`` result is given (``bedplan scenario``: the baseline
plan), in which case before/after compare the two plans patient by patient.

Assumptions, stated on the page too:

* hours = km / :data:`AVERAGE_SPEED_KMH` (50 km/h: a blended average road speed for long
  journeys mixing motorway, A roads and town driving); "hours saved per round of visits"
  counts one round trip home → unit → home per patient whose distance changed;
* bed-days out of area per year = out-of-area placements tonight × 365: tonight's census is
  taken as the steady state of the year (a bed occupied out of area every night);
* cost per year = sum of ``cost_per_day`` of the occupied beds × 365 (shown only when
  units.csv gives costs).

The interactive map (folium) loads Leaflet and its tiles from the internet; offline it stays
blank, so the page always carries a static map (matplotlib) of the same units and moves.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.compatibility import ward_function_words
from models.domain import Instance
from models.errors import InputError, Problem
from models.text import count, number, pounds
from optimiser.core.result import Assignment, Result
from optimiser.geography.distances import KmTable

if TYPE_CHECKING:
    from models.changes import Changes

log = logging.getLogger(__name__)

#: Average road speed used to turn km into hours (km/h); see the module docstring.
AVERAGE_SPEED_KMH = 50.0
#: A census of tonight's placements is taken as the steady state of a year.
DAYS_PER_YEAR = 365
REPORT_FILE = "report.html"
CHARTS_DIR = "charts"
MAX_MOVE_ROWS = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """One patient before and after (unit None: not placed)."""

    patient_id: str
    status: str
    home_network_id: str
    before_unit: str | None
    before_km: float | None
    after_unit: str | None
    after_km: float | None
    action: str  # the plan's action: stay | move | admit | unplaced | "" (no plan)


@dataclass(frozen=True, slots=True)
class Kpis:
    """Headline numbers of the report."""

    status: str
    objective: float | None
    patients: int
    inpatients: int
    referrals: int
    placed_before: int
    placed_after: int
    unplaced_after: int
    moves: int
    admitted: int
    brought_back: int  # out of area before, in their own collaborative after
    sent_away: int  # in their own collaborative before, out of area after
    out_of_area_before: int
    out_of_area_after: int
    out_of_area_admissions: int  # of out_of_area_after: patients not placed before
    km_before: float  # patients placed before and after: km from home, summed
    km_after: float
    median_km_before: float | None
    median_km_after: float | None
    cost_per_day_before: float | None  # None: units.csv gives no cost
    cost_per_day_after: float | None
    baseline: bool  # before = a baseline plan (True) or tonight (False)
    #: Out of area by home collaborative, like with like: (name, before, after) over the
    #: patients placed both before and after (tonight's inpatients, for a reallocation);
    #: new admissions (placed after only) apart, (name, count) of those placed out of area.
    by_network: tuple[tuple[str, int, int], ...] = field(default=())
    admitted_by_network: tuple[tuple[str, int], ...] = field(default=())

    @property
    def km_saved(self) -> float:
        return self.km_before - self.km_after

    @property
    def hours_saved(self) -> float:
        """Hours of travel saved per round of visits (one round trip per patient)."""
        return 2 * self.km_saved / AVERAGE_SPEED_KMH

    @property
    def bed_days_out_of_area_before(self) -> int:
        return self.out_of_area_before * DAYS_PER_YEAR

    @property
    def bed_days_out_of_area_after(self) -> int:
        return self.out_of_area_after * DAYS_PER_YEAR


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def outcomes(instance: Instance, result: Result, *, baseline: Result | None = None,
             distances: KmTable | None = None) -> list[Outcome]:
    """Every patient of ``instance`` before and after, in patients.csv order.

    Before is ``baseline``'s plan when given, else tonight (needs ``distances`` for the
    inpatients' current km; computed from the instance when not given).
    """
    after = {a.patient_id: a for a in result.assignments} if result.has_plan else {}
    before_plan: dict[str, Assignment] | None = None
    if baseline is not None:
        before_plan = ({a.patient_id: a for a in baseline.assignments}
                       if baseline.has_plan else {})
    elif distances is None and any(not p.is_referral for p in instance.patients):
        distances = _distances(instance)
    u_index = instance.unit_index()
    rows = []
    for i, p in enumerate(instance.patients):
        if before_plan is not None:
            b = before_plan.get(p.patient_id)
            b_unit = b.unit_id if b is not None else None
            b_km = _finite(b.distance_km) if b is not None and b_unit else None
        elif p.current_unit_id is not None and p.current_unit_id in u_index:
            b_unit = p.current_unit_id
            assert distances is not None
            b_km = _finite(float(distances[i, u_index[b_unit]]))
        else:
            b_unit, b_km = None, None
        a = after.get(p.patient_id)
        a_unit = a.unit_id if a is not None else None
        rows.append(Outcome(p.patient_id, p.status, p.home_network_id, b_unit, b_km, a_unit,
                            _finite(a.distance_km) if a is not None and a_unit else None,
                            a.action if a is not None else ""))
    return rows


def _distances(instance: Instance) -> np.ndarray:
    from optimiser.geography.distances import distance_matrix

    return distance_matrix(instance)


def kpis(instance: Instance, result: Result, rows: Sequence[Outcome], *,
         baseline: bool = False) -> Kpis:
    """The headline numbers from the per-patient outcomes."""
    net = {u.unit_id: u.network_id for u in instance.units}
    cost = {u.unit_id: u.cost_per_day for u in instance.units}
    names = {n.network_id: n.name or n.network_id for n in instance.networks}

    def ooa(unit: str | None, home: str) -> bool:
        return unit is not None and net.get(unit) != home

    both = [r for r in rows if r.before_km is not None and r.after_km is not None]
    before_km = [r.before_km for r in rows if r.before_km is not None]
    after_km = [r.after_km for r in rows if r.after_km is not None]
    has_cost = any(c > 0 for c in cost.values())
    per_net: dict[str, list[int]] = {}
    admitted: dict[str, int] = {}
    for r in rows:
        b, a = ooa(r.before_unit, r.home_network_id), ooa(r.after_unit, r.home_network_id)
        if r.before_unit is None:  # a new admission: not part of "before"
            if a:
                admitted[r.home_network_id] = admitted.get(r.home_network_id, 0) + 1
        elif r.after_unit is not None and (b or a):
            counts = per_net.setdefault(r.home_network_id, [0, 0])
            counts[0] += b
            counts[1] += a
    by_network = tuple(sorted(((names.get(k, k), v[0], v[1]) for k, v in per_net.items()),
                              key=lambda t: (-max(t[1], t[2]), t[0])))
    admitted_by_network = tuple(sorted(((names.get(k, k), v) for k, v in admitted.items()),
                                       key=lambda t: (-t[1], t[0])))
    inpatients = sum(1 for p in instance.patients if not p.is_referral)
    return Kpis(
        status=result.status, objective=_finite(result.objective) if result.has_plan else None,
        patients=len(rows), inpatients=inpatients, referrals=len(rows) - inpatients,
        placed_before=sum(r.before_unit is not None for r in rows),
        placed_after=sum(r.after_unit is not None for r in rows),
        unplaced_after=sum(r.action == "unplaced" for r in rows),
        moves=sum(r.action == "move" for r in rows),
        admitted=sum(r.action == "admit" for r in rows),
        brought_back=sum(ooa(r.before_unit, r.home_network_id) and r.after_unit is not None
                         and not ooa(r.after_unit, r.home_network_id) for r in rows),
        sent_away=sum(r.before_unit is not None and not ooa(r.before_unit, r.home_network_id)
                      and ooa(r.after_unit, r.home_network_id) for r in rows),
        out_of_area_before=sum(ooa(r.before_unit, r.home_network_id) for r in rows),
        out_of_area_after=sum(ooa(r.after_unit, r.home_network_id) for r in rows),
        out_of_area_admissions=sum(r.before_unit is None and ooa(r.after_unit,
                                                                 r.home_network_id)
                                   for r in rows),
        km_before=float(sum(r.before_km for r in both if r.before_km is not None)),
        km_after=float(sum(r.after_km for r in both if r.after_km is not None)),
        median_km_before=statistics.median(before_km) if before_km else None,
        median_km_after=statistics.median(after_km) if after_km else None,
        cost_per_day_before=(sum(cost.get(r.before_unit, 0.0) for r in rows
                                 if r.before_unit) if has_cost else None),
        cost_per_day_after=(sum(cost.get(r.after_unit, 0.0) for r in rows if r.after_unit)
                            if has_cost else None),
        baseline=baseline, by_network=by_network, admitted_by_network=admitted_by_network,
    )


# --------------------------------------------------------------------------- charts and map

def occupancy(instance: Instance, rows: Sequence[Outcome]) -> dict[str, int]:
    """Patients in each unit after the plan."""
    occ = {u.unit_id: 0 for u in instance.units}
    for r in rows:
        if r.after_unit in occ:
            occ[r.after_unit] += 1
    return occ


def moved(rows: Sequence[Outcome]) -> list[Outcome]:
    """The rows whose patient changes unit."""
    return [r for r in rows if r.before_unit is not None and r.after_unit is not None
            and r.before_unit != r.after_unit]


def charts(instance: Instance, rows: Sequence[Outcome], k: Kpis) -> dict[str, bytes]:
    """``name.png → bytes``: distance before/after, out of area by collaborative, map."""
    from optimiser.report.charts import distance_png, out_of_area_png
    from optimiser.report.maps import backdrop, map_png

    before_label, after_label = ("baseline", "scenario") if k.baseline else ("tonight",
                                                                             "after the plan")
    occ = occupancy(instance, rows)
    pos = {u.unit_id: (u.lat, u.lon) for u in instance.units}
    units = [(u.lat, u.lon, occ[u.unit_id], u.open_beds) for u in instance.units]
    pairs = [(r.before_unit, r.after_unit) for r in moved(rows)
             if r.before_unit in pos and r.after_unit in pos]
    moves = [(*pos[a], *pos[b]) for a, b in pairs]
    routes: list[list[tuple[float, float]]] = []
    if instance.policy.distance == "road" and pairs:  # moves drawn along their roads
        from optimiser.geography.route import move_polylines

        routes = move_polylines(instance, pairs)
    return {
        "distance.png": distance_png([r.before_km for r in rows if r.before_km is not None],
                                     [r.after_km for r in rows if r.after_km is not None],
                                     before_label, after_label),
        "out_of_area.png": out_of_area_png(k.by_network, before_label, after_label,
                                           dict(k.admitted_by_network)),
        "map.png": map_png(units, moves, backdrop(), routes),
    }


# --------------------------------------------------------------------------- HTML

PAGE_CSS = """
body{font-family:-apple-system,"Segoe UI",Arial,Helvetica,sans-serif;color:#212b32;
margin:0;background:#f0f4f5;line-height:1.45}
header{background:#005eb8;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:26px}header p{margin:4px 0 0;opacity:.9}
main{max-width:1180px;margin:0 auto;padding:16px 32px 40px}
h2{font-size:20px;margin:28px 0 10px;border-bottom:2px solid #d8dde0;padding-bottom:4px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px}
.kpi{background:#fff;border-left:6px solid #005eb8;padding:10px 14px;border-radius:3px}
.kpi .v{font-size:26px;font-weight:700}.kpi .l{font-size:14px}
.kpi .d{font-size:13px;color:#4c6272}
.good{color:#007f3b}.bad{color:#d5281b}
table{border-collapse:collapse;background:#fff;font-size:14px;margin:6px 0}
td,th{border:1px solid #d8dde0;padding:4px 10px;text-align:right}
th{background:#e8edee}td:first-child,th:first-child{text-align:left}
img{max-width:100%;background:#fff;border:1px solid #d8dde0}
iframe{width:100%;height:560px;border:1px solid #d8dde0;background:#fff $MAPNOTE center no-repeat}
.note{font-size:13px;color:#4c6272}.status{font-weight:700}
ul.diag{background:#fff4f4;border-left:6px solid #d5281b;padding:10px 30px}
"""


#: Shown behind the interactive map: visible only while (or when, offline) it does not load.
_MAP_PLACEHOLDER = (
    "url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='560' "
    "height='40'%3E%3Ctext x='280' y='25' font-family='Arial' font-size='15' fill='%234c6272' "
    "text-anchor='middle'%3EInteractive map: loading…"
    "%3C/text%3E%3C/svg%3E\")")
PAGE_CSS = PAGE_CSS.replace("$MAPNOTE", _MAP_PLACEHOLDER)


def _n(x: float | None, digits: int = 0) -> str:
    return number(x, digits, missing="–")


def _delta(before: float | None, after: float | None, *, lower_is_better: bool = True,
           digits: int = 0, unit: str = "") -> str:
    if before is None or after is None:
        return ""
    d = after - before
    if abs(d) < 0.5 * 10 ** -digits:
        return '<span class="d">no change</span>'
    good = (d < 0) == lower_is_better
    sign = "+" if d > 0 else "−"
    return (f'<span class="{"good" if good else "bad"}">{sign}{_n(abs(d), digits)}{unit}'
            "</span>")


def _kpi(key: str, value: str, label: str, detail: str = "") -> str:
    return (f'<div class="kpi" data-kpi="{key}"><div class="v">{value}</div>'
            f'<div class="l">{html.escape(label)}</div><div class="d">{detail}</div></div>')


def _cost_card(k: Kpis, before: str) -> str:
    label = "cost of occupied beds per year"
    if k.cost_per_day_after is None or k.cost_per_day_before is None:
        return _kpi("cost", "not given", label, "units.csv gives no cost_per_day")
    yb, ya = k.cost_per_day_before * DAYS_PER_YEAR, k.cost_per_day_after * DAYS_PER_YEAR
    return _kpi("cost", pounds(ya), label,
                f"{before}: {pounds(yb)} " + _delta(yb, ya)
                + f" ({k.placed_before:,} → {k.placed_after:,} occupied beds)")


def _img(name: str, data: bytes, alt: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{html.escape(alt)}" id="{name}">'


def kpi_dict(k: Kpis) -> dict[str, object]:
    """The key figures as plain data (also embedded in the page as JSON, id "kpi-data")."""
    data: dict[str, object] = {f.name: getattr(k, f.name) for f in dataclasses.fields(k)
                               if f.name != "by_network"}
    data["by_network"] = [list(t) for t in k.by_network]
    data.update(km_saved=k.km_saved, hours_saved=k.hours_saved,
                bed_days_out_of_area_before=k.bed_days_out_of_area_before,
                bed_days_out_of_area_after=k.bed_days_out_of_area_after,
                average_speed_kmh=AVERAGE_SPEED_KMH, days_per_year=DAYS_PER_YEAR)
    return data


def kpi_json(k: Kpis) -> str:
    """kpi_dict as JSON safe inside a <script> element."""
    import json

    text = json.dumps(kpi_dict(k), allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def money_table(instance: Instance, rows: Sequence[Outcome], before: str, after: str) -> str:
    """£ per day and per year: all placements, out of area, independent sector, before and
    after (the same rows as the key figures: patients placed before, placed after)."""
    from optimiser.planning.money import spend

    units = {u.unit_id: u for u in instance.units}
    people = {p.patient_id: p for p in instance.patients}
    b = spend((people[r.patient_id], units[r.before_unit]) for r in rows
              if r.before_unit in units and r.patient_id in people)
    a = spend((people[r.patient_id], units[r.after_unit]) for r in rows
              if r.after_unit in units and r.patient_id in people)
    if not (b.per_day or a.per_day):
        return '<p class="note">units.csv gives no cost_per_day.</p>'
    lines = (("all placements", b.per_day, a.per_day),
             ("out of area", b.out_of_area_per_day, a.out_of_area_per_day),
             ("independent sector", b.independent_per_day, a.independent_per_day))
    body = "".join(
        f"<tr><td>{what}</td><td>{pounds(x)}</td><td>{pounds(y)}</td>"
        f"<td>{pounds(x * DAYS_PER_YEAR)}</td><td>{pounds(y * DAYS_PER_YEAR)}</td>"
        f"<td>{_delta(x * DAYS_PER_YEAR, y * DAYS_PER_YEAR)}</td></tr>"
        for what, x, y in lines)
    return (f"<table><tr><th></th><th>£ a day {before}</th><th>£ a day {after}</th>"
            f"<th>£ a year {before}</th><th>£ a year {after}</th><th>change a year</th></tr>"
            f"{body}</table>")


def render_html(instance: Instance, result: Result, rows: Sequence[Outcome], k: Kpis,
                pngs: Mapping[str, bytes], map_html: str | None, *, title: str = "") -> str:
    """The report page as one HTML string (no external file needed except map tiles)."""
    esc = html.escape
    before, after = ("baseline", "scenario") if k.baseline else ("tonight", "after the plan")
    title = title or ("Scenario report" if k.baseline else "Bed reallocation report")
    src = esc(instance.source or "instance")
    cards = [
        _kpi("brought_back", _n(k.brought_back),
             "patients brought back into their own collaborative",
             f"{k.sent_away:,} moved out of theirs" if k.sent_away else ""),
        _kpi("out_of_area", f"{k.out_of_area_before:,} → {k.out_of_area_after:,}",
             f"out-of-area placements ({before} → {after})",
             _delta(k.out_of_area_before, k.out_of_area_after)
             + (f"; {k.out_of_area_admissions:,} of them new admissions"
                if k.out_of_area_admissions else "")),
        _kpi("km_saved", f"{_n(k.km_saved)} km", "km closer to home in total",
             f"{_n(k.km_before)} → {_n(k.km_after)} km (patients placed {before} and "
             f"{after})"),
        _kpi("hours_saved", f"{_n(k.hours_saved, 1 if abs(k.hours_saved) < 100 else 0)} h",
             "hours of family travel saved per round of visits",
             f"one round trip per patient at {AVERAGE_SPEED_KMH:g} km/h"),
        _kpi("bed_days_out_of_area",
             f"{k.bed_days_out_of_area_before:,} → {k.bed_days_out_of_area_after:,}",
             "bed-days out of area per year",
             _delta(k.bed_days_out_of_area_before, k.bed_days_out_of_area_after)
             + f" (tonight's census × {DAYS_PER_YEAR})"),
        _cost_card(k, before),
        _kpi("placed", f"{k.placed_after:,}", f"patients placed {after}",
             f"{count(k.unplaced_after, 'referral')} left unplaced; "
             f"{k.admitted:,} admitted"),
        _kpi("moves", f"{k.moves:,}", "moves between units", ""),
        _kpi("median_km", f"{_n(k.median_km_before, 1)} → {_n(k.median_km_after, 1)} km",
             "median distance from home", _delta(k.median_km_before, k.median_km_after,
                                                 digits=1, unit=" km")),
    ]
    diag = ""
    if result.diagnosis:
        diag = ('<h2>Why not everyone could be placed</h2><ul class="diag">'
                + "".join(f"<li>{esc(d)}</li>" for d in result.diagnosis) + "</ul>")
    if not result.has_plan:
        cards = [_kpi("status", esc(result.status), "no plan was found", "")]
    net_rows = "".join(f"<tr><td>{esc(n)}</td><td>{b:,}</td><td>{a:,}</td>"
                       f"<td>{_delta(b, a)}</td></tr>" for n, b, a in k.by_network)
    net_table = (f"<table><tr><th>home collaborative</th><th>{before}</th><th>{after}</th>"
                 f"<th>change</th></tr>{net_rows}</table>" if net_rows
                 else '<p class="note">No out-of-area placements.</p>')
    moves = moved(rows)
    by_id = {u.unit_id: u for u in instance.units}

    def ward(uid: str | None) -> str:
        """Unit id, name and function: what kind of ward a patient moves into."""
        u = by_id.get(uid or "")
        if u is None:
            return esc(uid or "")
        words = ward_function_words(u)
        return esc(" ".join(x for x in (u.unit_id, u.name, f"({words})" if words else "")
                            if x))

    move_rows = "".join(
        f"<tr><td>{esc(r.patient_id)}</td><td>{ward(r.before_unit)}</td>"
        f"<td>{ward(r.after_unit)}</td><td>{_n(r.before_km, 1)}</td>"
        f"<td>{_n(r.after_km, 1)}</td></tr>" for r in moves[:MAX_MOVE_ROWS])
    more = (f'<p class="note">… and {len(moves) - MAX_MOVE_ROWS:,} more moves '
            "(assignments.csv lists them all).</p>" if len(moves) > MAX_MOVE_ROWS else "")
    move_table = (f"<table><tr><th>patient</th><th>from unit</th><th>to unit</th>"
                  f"<th>km before</th><th>km after</th></tr>{move_rows}</table>{more}"
                  if moves else '<p class="note">Nobody changes unit.</p>')
    iframe = ""
    if map_html is not None:
        iframe = ('<h3>Interactive map</h3><p class="note">Zoom and hover for each unit\'s '
                  "occupancy. It works offline: the map library is built in and England's "
                  "regions are drawn from a shipped boundary (no map tiles).</p>"
                  f'<iframe title="interactive map" srcdoc="{esc(map_html, quote=True)}">'
                  "</iframe>")
    objective = "" if k.objective is None else f" · objective {_n(k.objective, 1)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{PAGE_CSS}</style></head>
<body><header><h1>{esc(title)}</h1>
<p>{src} · {k.patients:,} patients ({k.inpatients:,} inpatients, {k.referrals:,} referrals),
{len(instance.units):,} units · status <span class="status">{esc(result.status)}</span>
{objective}</p></header>
<main>
<h2>Key figures ({before} → {after})</h2>
<div class="kpis" id="kpis">{"".join(cards)}</div>
<script type="application/json" id="kpi-data">{kpi_json(k)}</script>
{diag}
<h2>Money</h2>
{money_table(instance, rows, before, after) if result.has_plan else ""}
<h2>Distance from home</h2>
{_img("chart-distance", pngs["distance.png"], "distance from home before and after")}
<h2>Out-of-area placements by home collaborative</h2>
{_img("chart-out-of-area", pngs["out_of_area.png"], "out-of-area placements by collaborative")}
{net_table}
<h2>Map</h2>
<p class="note">Units coloured by occupancy {after} (green under 85 %, amber 85–99 %, red
full, grey no open beds); arrows from each moving patient's old unit to the new one.</p>
{_img("chart-map", pngs["map.png"], "map of units and moves")}
{iframe}
<h2>Moves</h2>
{move_table}
<h2>How these figures are worked out</h2>
<ul class="note">
<li>Before is {"the baseline plan" if k.baseline else "tonight: inpatients in their current "
"unit, referrals not yet placed"}; after is {"the scenario's plan" if k.baseline else
"the plan"}. Out of area: placed in a unit of another collaborative than the patient's
home collaborative.</li>
<li>km are one-way distances from home to the unit, as the optimiser uses them
({esc(instance.policy.distance)}); km closer to home compares the patients placed both
before and after.</li>
<li>Hours saved assume an average road speed of {AVERAGE_SPEED_KMH:g} km/h and one round
trip home → unit → home per patient (one round of family visits).</li>
<li>Bed-days out of area per year: tonight's out-of-area placements × {DAYS_PER_YEAR},
i.e. tonight's census taken as the steady state of the year.</li>
<li>Cost per year: the cost_per_day of every occupied bed × {DAYS_PER_YEAR}.</li>
</ul>
</main></body></html>
"""


def write_report(out_dir: str | Path, instance: Instance, result: Result, *,
                 baseline: Result | None = None, distances: KmTable | None = None,
                 title: str = "") -> Path:
    """Write ``OUT/report.html`` and ``OUT/charts/*.png``; return the report's path.

    ``instance`` and ``result`` are the run's (for a scenario: the changed instance and the
    scenario's result, with ``baseline`` the baseline's result). ``distances`` (patients ×
    units km, as for ``solve``) spares recomputing tonight's distances; it is not needed
    when ``baseline`` is given.
    """
    from models.atomic import atomic_write

    rows = outcomes(instance, result, baseline=baseline, distances=distances)
    k = kpis(instance, result, rows, baseline=baseline is not None)
    pngs = charts(instance, rows, k)
    from optimiser.report.maps import folium_map_html

    interactive = folium_map_html(instance, occupancy(instance, rows), moved(rows))
    page = render_html(instance, result, rows, k, pngs, interactive, title=title)
    out = Path(out_dir)
    for name, data in pngs.items():
        atomic_write(out / CHARTS_DIR / name, data)
    path = out / REPORT_FILE
    atomic_write(path, page)
    return path


# --------------------------------------------------------------------------- reading a run

def _bool_cell(text: str, file: str, row: int, column: str) -> bool | None:
    t = text.strip().lower()
    if t == "":
        return None
    if t in ("true", "false"):
        return t == "true"
    raise InputError(Problem(file, row, column, f"expected true or false, got {text!r}"))


def _summary_key(run_dir: str | Path, key: str) -> object:
    """One key of a run's summary.json (None when absent or unreadable)."""
    import json

    try:
        data = json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(key) if isinstance(data, dict) else None


def run_distance_mode(run_dir: str | Path) -> str | None:
    """The distance mode a run used (summary.json's ``distance``), when it says so."""
    mode = _summary_key(run_dir, "distance")
    return mode if mode in ("road", "geodesic") else None


def load_run(run_dir: str | Path, instance: Instance, changes: Changes | None = None
             ) -> tuple[Instance, Result, Result | None]:
    """The instance as the run solved it, its result and (for a scenario run) the baseline.

    ``run_dir`` is a ``reallocate`` OUT (assignments.csv + summary.json) or a ``scenario``
    OUT (baseline/ and scenario/; ``changes`` = its parsed CHANGES.toml, needed when it adds
    units). A run made with ``--network`` is read against that collaborative's subset, and a
    single run's km in the distance mode it used.
    """
    from optimiser.planning.subset import restrict_to_network

    run = Path(run_dir)
    scenario_dir, baseline_dir = run / "scenario", run / "baseline"
    is_scenario = (scenario_dir / "summary.json").is_file() and \
        (baseline_dir / "summary.json").is_file()
    network = _summary_key(scenario_dir if is_scenario else run, "network")
    if is_scenario:
        base = restrict_to_network(instance, network) if isinstance(network, str) else instance
        baseline = read_run(baseline_dir, base)
        if changes is not None:
            from models.changes import apply_changes

            instance = apply_changes(instance, changes)
        if isinstance(network, str):
            instance = restrict_to_network(instance, network)
        return instance, read_run(scenario_dir, instance), baseline
    if isinstance(network, str):
        instance = restrict_to_network(instance, network)
    result = read_run(run, instance)
    mode = run_distance_mode(run)  # tonight's km in the mode the run used
    if mode is not None and mode != instance.policy.distance:
        instance = dataclasses.replace(
            instance, policy=dataclasses.replace(instance.policy, distance=mode))
    return instance, result, None


def read_run(run_dir: str | Path, instance: Instance | None = None) -> Result:
    """A run's ``assignments.csv`` + ``summary.json`` back as a :class:`Result`.

    With ``instance``, every patient and unit id must belong to it (the report would
    otherwise describe another instance). Raises InputError naming the file and row.
    """
    import csv
    import json

    from optimiser.core.result import Metrics
    from optimiser.planning.outputs import ASSIGNMENT_COLUMNS, ASSIGNMENTS, SUMMARY

    run = Path(run_dir)
    s_path, a_path = run / SUMMARY, run / ASSIGNMENTS
    for path in (s_path, a_path):
        if not path.is_file():
            raise InputError(Problem(str(path), None, None,
                                     "not found: give the --out directory of a run"))
    try:
        summary = json.loads(s_path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise ValueError("not a JSON object")
        metrics = Metrics(**{k: v for k, v in (summary.get("metrics") or {}).items()
                             if k in Metrics.__dataclass_fields__})
        result = Result(status=str(summary["status"]), objective=summary.get("objective"),
                        bound=summary.get("bound"), gap=summary.get("gap"),
                        solver=str(summary.get("solver", "")),
                        seconds=float(summary.get("seconds") or 0.0), metrics=metrics,
                        diagnosis=tuple(str(d) for d in summary.get("diagnosis") or ()),
                        method=str(summary.get("method", "")))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(s_path), None, None,
                                 f"not a summary.json written by bedplan: {exc}")) from None
    name = str(a_path)
    try:
        with open(a_path, encoding="utf-8-sig", newline="") as fh:
            records = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(Problem(name, None, None, f"cannot be read: {exc}")) from None
    if not records or tuple(records[0][:len(ASSIGNMENT_COLUMNS)]) != ASSIGNMENT_COLUMNS:
        raise InputError(Problem(name, 1, None, "header must be "
                                 + ",".join(ASSIGNMENT_COLUMNS)))
    patients = instance.patient_index() if instance is not None else None
    units = instance.unit_index() if instance is not None else None
    out: list[Assignment] = []
    for row_no, rec in enumerate(records[1:], start=2):
        if len(rec) < len(ASSIGNMENT_COLUMNS):
            raise InputError(Problem(name, row_no, None, "too few columns"))
        pid, status, current, unit, action, km, ooa = rec[:len(ASSIGNMENT_COLUMNS)]
        if patients is not None and pid not in patients:
            raise InputError(Problem(name, row_no, "patient_id",
                                     f"patient {pid!r} is not in the instance: is --instance "
                                     "the instance of this run?"))
        for col, uid in (("current_unit_id", current), ("unit_id", unit)):
            if units is not None and uid and uid not in units:
                raise InputError(Problem(name, row_no, col,
                                         f"unit {uid!r} is not in the instance"))
        try:
            distance = float(km) if km.strip() else None
        except ValueError:
            raise InputError(Problem(name, row_no, "distance_km",
                                     f"not a number: {km!r}")) from None
        out.append(Assignment(pid, status, current or None, unit or None, action, distance,
                              _bool_cell(ooa, name, row_no, "out_of_area")))
    if result.has_plan and patients is not None and len(out) != len(patients):
        raise InputError(Problem(name, None, None,
                                 f"{len(out)} rows for {len(patients)} patients in the "
                                 "instance: is --instance the instance of this run?"))
    return dataclasses.replace(result, assignments=tuple(out))
