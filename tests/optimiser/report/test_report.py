"""Reports: key figures on a hand-checked case, a self-contained page, PNG charts."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from models.domain import Instance, Network, Patient, Policy, Unit
from models.errors import InputError
from optimiser.core.result import Assignment, Metrics, Result
from optimiser.planning.outputs import write_outputs
from optimiser.report.html import (
    AVERAGE_SPEED_KMH,
    DAYS_PER_YEAR,
    kpi_json,
    kpis,
    outcomes,
    read_run,
    write_report,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _unit(uid: str, network: str, lat: float, cost: float) -> Unit:
    return Unit(unit_id=uid, network_id=network, service="adult_secure", level="medium",
                beds=2, lat=lat, lon=-1.0, cost_per_day=cost, name=f"Ward {uid}")


def _patient(pid: str, status: str, network: str, current: str | None = None) -> Patient:
    return Patient(patient_id=pid, status=status, service="adult_secure", level="medium",
                   sex="male", age=30, home_lat=52.0, home_lon=-1.0, home_network_id=network,
                   current_unit_id=current)


INSTANCE = Instance(
    units=(_unit("A", "N1", 52.0, 100.0), _unit("B", "N2", 52.5, 300.0),
           _unit("C", "N1", 52.1, 150.0)),
    patients=(_patient("P1", "inpatient", "N1", "B"), _patient("P2", "inpatient", "N1", "A"),
              _patient("P3", "inpatient", "N2", "B"), _patient("R1", "referral", "N1"),
              _patient("R2", "referral", "N2")),
    networks=(Network("N1", "North"), Network("N2", "South")),
    policy=Policy(distance="geodesic"),
    source="hand-made",
)
#: km from each home (rows P1, P2, P3, R1, R2) to A, B, C.
DIST = np.array([[10.0, 60.0, 20.0], [5.0, 70.0, 15.0], [55.0, 3.0, 40.0],
                 [12.0, 65.0, 8.0], [50.0, 4.0, 30.0]])
#: P1 comes back from B (South) to A (North); R1 is admitted to C; R2 stays unplaced.
PLAN = (
    Assignment("P1", "inpatient", "B", "A", "move", 10.0, False),
    Assignment("P2", "inpatient", "A", "A", "stay", 5.0, False),
    Assignment("P3", "inpatient", "B", "B", "stay", 3.0, False),
    Assignment("R1", "referral", None, "C", "admit", 8.0, False),
    Assignment("R2", "referral", None, None, "unplaced", None, None),
)
RESULT = Result("optimal", 1151.0, 1151.0, 0.0, "highs", 0.1, PLAN,
                Metrics(5, 4, 1, 1, 0, 26.0, 6.5, 0), ("referral R2: no free bed",))


def test_outcomes_before_are_tonight_and_after_the_plan():
    rows = outcomes(INSTANCE, RESULT, distances=DIST)
    assert [(r.patient_id, r.before_unit, r.before_km, r.after_unit, r.after_km)
            for r in rows] == [
        ("P1", "B", 60.0, "A", 10.0), ("P2", "A", 5.0, "A", 5.0), ("P3", "B", 3.0, "B", 3.0),
        ("R1", None, None, "C", 8.0), ("R2", None, None, None, None)]


def test_kpis_of_the_hand_checked_case():
    k = kpis(INSTANCE, RESULT, outcomes(INSTANCE, RESULT, distances=DIST))
    assert (k.brought_back, k.sent_away) == (1, 0)
    assert (k.out_of_area_before, k.out_of_area_after, k.out_of_area_admissions) == (1, 0, 0)
    assert (k.placed_before, k.placed_after, k.unplaced_after) == (3, 4, 1)
    assert (k.moves, k.admitted) == (1, 1)
    # km over the patients placed before and after (P1, P2, P3): 60+5+3 → 10+5+3
    assert (k.km_before, k.km_after, k.km_saved) == (68.0, 18.0, 50.0)
    assert k.hours_saved == pytest.approx(2 * 50.0 / AVERAGE_SPEED_KMH)
    assert (k.bed_days_out_of_area_before, k.bed_days_out_of_area_after) == (365, 0)
    assert (k.median_km_before, k.median_km_after) == (5.0, 6.5)
    assert (k.cost_per_day_before, k.cost_per_day_after) == (700.0, 650.0)
    assert k.by_network == (("North", 1, 0),)


def test_patients_sent_away_and_out_of_area_admissions_are_counted():
    plan = list(PLAN)
    plan[1] = Assignment("P2", "inpatient", "A", "B", "move", 70.0, True)  # leaves North
    plan[3] = Assignment("R1", "referral", None, "B", "admit", 65.0, True)
    k = kpis(INSTANCE, RESULT, outcomes(INSTANCE, dataclasses.replace(RESULT,
                                                                      assignments=tuple(plan)),
                                        distances=DIST))
    assert (k.brought_back, k.sent_away) == (1, 1)
    assert (k.out_of_area_before, k.out_of_area_after, k.out_of_area_admissions) == (1, 2, 1)
    assert k.km_saved == 68.0 - (10.0 + 70.0 + 3.0)
    # By collaborative, like with like: North's inpatients, 1 out of area tonight (P1) and 1
    # after (P2); R1's admission out of area is counted apart, not as "after".
    assert k.by_network == (("North", 1, 1),)
    assert k.admitted_by_network == (("North", 1),)


def test_tonights_admissions_do_not_make_a_collaborative_look_worse():
    """P1 (North) comes home; R1 and R2 (North, South) are admitted out of area. Counting
    admissions as "after" would show North 1 → 1 and South 0 → 1; like with like, North's
    inpatients go 1 → 0 and South has none, and the admissions are shown apart."""
    plan = list(PLAN)
    plan[3] = Assignment("R1", "referral", None, "B", "admit", 65.0, True)
    plan[4] = Assignment("R2", "referral", None, "A", "admit", 50.0, True)
    result = dataclasses.replace(RESULT, assignments=tuple(plan))
    k = kpis(INSTANCE, result, outcomes(INSTANCE, result, distances=DIST))
    assert k.by_network == (("North", 1, 0),)
    assert k.admitted_by_network == (("North", 1), ("South", 1))
    assert (k.out_of_area_before, k.out_of_area_after, k.out_of_area_admissions) == (1, 2, 2)
    assert json.loads(kpi_json(k))["admitted_by_network"] == [["North", 1], ["South", 1]]


def test_out_of_area_chart_takes_the_admissions_apart():
    from optimiser.report.charts import out_of_area_png

    rows = [("North", 1, 0)]
    plain = out_of_area_png(rows, "tonight", "after the plan")
    apart = out_of_area_png(rows, "tonight", "after the plan", {"North": 1, "South": 1})
    assert plain[:8] == apart[:8] == PNG and plain != apart


def test_without_costs_cost_is_not_given():
    free = dataclasses.replace(INSTANCE, units=tuple(dataclasses.replace(u, cost_per_day=0.0)
                                                     for u in INSTANCE.units))
    k = kpis(free, RESULT, outcomes(free, RESULT, distances=DIST))
    assert k.cost_per_day_before is None and k.cost_per_day_after is None


def test_baseline_plan_is_the_before():
    base_plan = (
        Assignment("P1", "inpatient", "B", "B", "stay", 60.0, True),
        Assignment("P2", "inpatient", "A", "A", "stay", 5.0, False),
        Assignment("P3", "inpatient", "B", "B", "stay", 3.0, False),
        Assignment("R1", "referral", None, "B", "admit", 65.0, True),
        Assignment("R2", "referral", None, "C", "admit", 30.0, True),
    )
    baseline = dataclasses.replace(RESULT, assignments=base_plan)
    rows = outcomes(INSTANCE, RESULT, baseline=baseline)  # no distances needed
    k = kpis(INSTANCE, RESULT, rows, baseline=True)
    assert k.baseline
    assert (k.out_of_area_before, k.out_of_area_after) == (3, 0)
    assert k.brought_back == 2  # P1 and R1
    assert k.km_before == 60.0 + 5.0 + 3.0 + 65.0  # placed in both plans: P1, P2, P3, R1
    assert k.km_after == 10.0 + 5.0 + 3.0 + 8.0


class _Page(HTMLParser):
    """Collects what a self-contained check needs: every resource reference and the KPIs."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.iframes: list[dict[str, str | None]] = []
        self.cards: dict[str, str] = {}
        self._card: str | None = None
        self._value = False
        self._json = False
        self.kpi_json = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name):
                self.refs.append((tag, name, a[name] or ""))
        if tag == "script":
            self.scripts.append(a)
            self._json = a.get("id") == "kpi-data"
        if tag == "iframe":
            self.iframes.append(a)
        if tag == "div" and a.get("data-kpi"):
            self._card = a["data-kpi"]
        elif tag == "div" and a.get("class") == "v" and self._card:
            self._value = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._json = False
        if tag == "div" and self._value:
            self._value = False
            self._card = None

    def handle_data(self, data):
        if self._value and self._card:
            self.cards[self._card] = self.cards.get(self._card, "") + data
        if self._json:
            self.kpi_json += data


def test_report_is_self_contained_and_carries_the_kpis(tmp_path):
    path = write_report(tmp_path, INSTANCE, RESULT, distances=DIST)
    assert path == tmp_path / "report.html"
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    # nothing outside the file: images inline, no stylesheet or script files
    assert page.refs, "the charts should be there"
    assert all(tag == "img" and ref.startswith("data:image/png;base64,")
               for tag, _, ref in page.refs), page.refs
    assert all(s.get("type") == "application/json" and not s.get("src")
               for s in page.scripts)
    # the interactive map is embedded (srcdoc), not linked
    assert len(page.iframes) == 1 and page.iframes[0].get("srcdoc")
    assert not page.iframes[0].get("src")
    assert "leaflet" in (page.iframes[0]["srcdoc"] or "").lower()
    # visible key figures
    assert page.cards["brought_back"] == "1"
    assert page.cards["out_of_area"] == "1 → 0"
    assert page.cards["km_saved"] == "50 km"
    assert page.cards["hours_saved"] == "2.0 h"
    assert page.cards["bed_days_out_of_area"] == "365 → 0"
    assert page.cards["cost"] == f"£{650 * DAYS_PER_YEAR:,.0f}"
    assert page.cards["moves"] == "1"
    data = json.loads(page.kpi_json)
    assert data["brought_back"] == 1 and data["km_saved"] == 50.0
    assert data["average_speed_kmh"] == AVERAGE_SPEED_KMH
    text = path.read_text(encoding="utf-8")
    assert "referral R2: no free bed" in text  # the diagnosis is shown
    assert f"{AVERAGE_SPEED_KMH:g} km/h" in text  # the assumptions are stated


def test_charts_are_written_as_png_and_inlined(tmp_path):
    path = write_report(tmp_path, INSTANCE, RESULT, distances=DIST)
    charts = sorted(p.name for p in (tmp_path / "charts").iterdir())
    assert charts == ["distance.png", "map.png", "out_of_area.png"]
    text = path.read_text(encoding="utf-8")
    for name in charts:
        data = (tmp_path / "charts" / name).read_bytes()
        assert data.startswith(PNG)
        assert base64.b64encode(data).decode("ascii") in text


def test_report_without_a_plan_still_renders(tmp_path):
    failed = Result("infeasible", None, None, None, "highs", 0.1, (), Metrics(),
                    ("unit A has 2 open beds but 3 patients who may not move",))
    path = write_report(tmp_path, INSTANCE, failed, distances=DIST)
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    assert page.cards == {"status": "infeasible"}
    assert "3 patients who may not move" in path.read_text(encoding="utf-8")


def test_read_run_round_trips_the_written_outputs(tmp_path):
    write_outputs(tmp_path, INSTANCE, RESULT)
    back = read_run(tmp_path, INSTANCE)
    assert back.assignments == PLAN
    assert back.status == "optimal" and back.objective == 1151.0
    assert back.metrics.placed == 4
    other = dataclasses.replace(INSTANCE, patients=INSTANCE.patients[:4])
    with pytest.raises(InputError, match=r"R2.*not in the instance"):
        read_run(tmp_path, other)
    with pytest.raises(InputError, match="not found"):
        read_run(tmp_path / "nowhere")


def test_read_run_rejects_a_damaged_summary(tmp_path):
    write_outputs(tmp_path, INSTANCE, RESULT)
    (tmp_path / "summary.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"summary\.json"):
        read_run(tmp_path, INSTANCE)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_headless_browser_renders_the_page(tmp_path):
    path = write_report(tmp_path, INSTANCE, RESULT, distances=DIST)
    shot = tmp_path / "shot.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--screenshot={shot}", "--window-size=1280,2000", path.as_uri()],
        check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data.startswith(PNG)
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1280, 2000)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # not a blank page


def test_the_money_table_gives_all_out_of_area_and_independent_before_and_after():
    from models.domain import Instance, Patient, Policy, Unit
    from optimiser.core.solve import solve
    from optimiser.report.html import money_table, outcomes

    home = Unit("H", "N1", "adult_secure", "medium", 1, 52.0, -1.0, provider_type="nhs",
                cost_per_day=450.0, name="Home ward", specialisms=frozenset({"ld"}),
                specialist_only=False, function="rehabilitation ward")
    away = Unit("A", "N2", "adult_secure", "medium", 1, 53.0, -1.0,
                provider_type="independent", cost_per_day=680.0)
    p = Patient("P", "inpatient", "adult_secure", "medium", "male", 30, 52.0, -1.0, "N1",
                current_unit_id="A")
    inst = Instance((home, away), (p,), policy=Policy(distance="geodesic"))
    result = solve(inst)  # P comes home
    rows = outcomes(inst, result)
    table = money_table(inst, rows, "tonight", "after the plan")
    assert "<td>all placements</td><td>£680</td><td>£450</td>" in table
    assert "<td>out of area</td><td>£680</td><td>£0</td>" in table
    assert "<td>independent sector</td><td>£680</td><td>£0</td>" in table
    assert "£248,200</td><td>£164,250</td>" in table  # a year: × 365
    free = Unit("A", "N2", "adult_secure", "medium", 1, 53.0, -1.0)
    plain = Instance((Unit("H", "N1", "adult_secure", "medium", 1, 52.0, -1.0), free), (p,),
                     policy=Policy(distance="geodesic"))
    assert "no cost_per_day" in money_table(plain, outcomes(plain, solve(plain)), "a", "b")


def test_moves_name_the_ward_function(tmp_path):
    from models.domain import Instance, Patient, Policy, Unit
    from optimiser.core.solve import solve
    from optimiser.report.html import write_report

    home = Unit("H", "N1", "adult_secure", "medium", 1, 52.0, -1.0, name="Home ward",
                function="rehabilitation ward")
    away = Unit("A", "N2", "adult_secure", "medium", 1, 53.0, -1.0, name="Far <b>ward</b>")
    p = Patient("P", "inpatient", "adult_secure", "medium", "male", 30, 52.0, -1.0, "N1",
                current_unit_id="A")
    inst = Instance((home, away), (p,), policy=Policy(distance="geodesic"))
    page = write_report(tmp_path, inst, solve(inst)).read_text(encoding="utf-8")
    assert "H Home ward (rehabilitation ward)" in page
    assert "Far &lt;b&gt;ward&lt;/b&gt;" in page and "Far <b>" not in page
