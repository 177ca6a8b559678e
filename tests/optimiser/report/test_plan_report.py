"""The plan's report: the figures planners asked for, escaped, self-contained."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from models.io import read_instance
from optimiser.core.plansolve import solve_plan
from optimiser.geography.distances import distance_matrix
from optimiser.planning.plan import plan_nights, schedule
from optimiser.report.plan import brought_home_by_week, write_plan_report

EXAMPLE = Path(__file__).resolve().parents[3] / "instances" / "examples" / "plan-home-ward"


def _planned(inst, nights=7):
    result = solve_plan(inst, start=dt.date(2026, 12, 7), nights=nights)
    km = distance_matrix(inst)
    return result, plan_nights(inst, result, km), schedule(inst, result, km)


def test_brought_home_is_counted_in_the_week_of_the_move():
    inst = read_instance(EXAMPLE)
    result, _, _ = _planned(inst, nights=14)
    assert brought_home_by_week(inst, result) == [1, 0]


def test_the_report_has_the_charts_and_the_schedule_week_by_week(tmp_path):
    inst = read_instance(EXAMPLE)
    nasty = dataclasses.replace(inst.units[0], name="<script>alert(1)</script> H")
    inst = dataclasses.replace(inst, units=(nasty, *inst.units[1:]))
    result, nights, steps = _planned(inst)
    path = write_plan_report(tmp_path, inst, result, nights, steps)
    page = path.read_text(encoding="utf-8")
    assert (tmp_path / "charts" / "plan.png").read_bytes().startswith(b"\x89PNG")
    assert "data:image/png;base64," in page  # self-contained
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; H" in page
    assert "Week 1 (nights 1–7)" in page
    assert page.count("<tr><td>") == len(steps) == 2
    assert "brought home" in page and "1 on night 1 → 0 on night 7" in page
