"""The report of a plan over several nights: what a planner reads.

``OUT/report.html`` (self-contained: inline CSS, charts as inline PNG) and
``OUT/charts/plan.png``: out-of-area patients per night, patients brought home per week,
referrals waiting per night, and the schedule week by week. Every name is escaped.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from models.atomic import atomic_write
from models.domain import Instance
from models.text import number
from optimiser.core.planresult import PlanResult
from optimiser.planning.plan import PlanNight, ScheduleStep, brought_home, plan_metrics
from optimiser.report.charts import AFTER_COLOUR, BEFORE_COLOUR, png_bytes, pyplot
from optimiser.report.html import PAGE_CSS

REPORT, CHART = "report.html", "charts/plan.png"


def brought_home_by_week(instance: Instance, result: PlanResult) -> list[int]:
    """Moves from a unit outside the patient's home collaborative into one inside it, by week
    of the move (week 1 = nights 1–7)."""
    weeks = Counter((night - 1) // 7 for night, _ in brought_home(instance, result).values())
    return [weeks.get(w, 0) for w in range((result.nights + 6) // 7)]


def plan_png(nights: Sequence[PlanNight], home_weeks: Sequence[int]) -> bytes:
    """Three panels: out of area per night, brought home per week, waiting per night."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    x = [n.night for n in nights]
    panels = ((axes[0], [n.out_of_area for n in nights], "out-of-area patients per night"),
              (axes[2], [n.waiting for n in nights], "referrals waiting per night"))
    for ax, y, title in panels:
        ax.plot(x, y, marker="o", markersize=3, color=AFTER_COLOUR)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("night")
        ax.set_ylim(bottom=0, top=max([*y, 1]) * 1.15)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    weeks = list(range(1, len(home_weeks) + 1))
    axes[1].bar(weeks, home_weeks, width=0.6,
                color=AFTER_COLOUR if any(home_weeks) else BEFORE_COLOUR)
    axes[1].set_xlim(0.4, len(weeks) + 0.6)
    axes[1].set_title("patients brought home per week", fontsize=10, loc="left")
    axes[1].set_xlabel("week")
    axes[1].set_xticks(weeks)
    axes[1].set_ylim(0, max([*home_weeks, 1]) * 1.15)
    axes[1].yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].grid(axis="y", color="#dddddd", linewidth=0.6)
    return png_bytes(fig)


def render_plan_report(instance: Instance, result: PlanResult,
                       nights: Sequence[PlanNight], steps: Sequence[ScheduleStep],
                       png: bytes | None) -> str:
    """The page (plain HTML, inline CSS and chart)."""
    esc = html.escape
    m = plan_metrics(instance, result, tuple(nights))
    names = {u.unit_id: u.name or u.unit_id for u in instance.units}
    head = (f"Plan over {result.nights} nights from {result.start.isoformat()}: "
            f"{result.status}")
    obj = "—" if result.objective is None else f"{result.objective:,.1f}"
    cards = [("status", result.status), ("objective", obj),
             ("moves", f"{m['moves']:,}"), ("admissions", f"{m['admissions']:,}"),
             ("brought home", f"{m['brought_home']:,}"),
             ("out of area", f"{m['out_of_area_first_night']:,} on night 1 → "
                             f"{m['out_of_area_last_night']:,} on night {result.nights}"),
             ("unplaced / later", f"{m['unplaced']:,} / {m['later']:,}")]
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<title>{esc(head)}</title><style>{PAGE_CSS}</style></head><body>",
             f"<header><h1>{esc(head)}</h1><p>{esc(instance.source or '')}</p></header><main>",
             "<div class=kpis>" + "".join(
                 f"<div class=kpi><div class=v>{esc(v)}</div><div class=l>{esc(k)}</div></div>"
                 for k, v in cards) + "</div>"]
    if result.diagnosis:
        parts.append("<ul class=diag>" + "".join(f"<li>{esc(d)}</li>"
                                                  for d in result.diagnosis) + "</ul>")
    if png is not None:
        data = base64.b64encode(png).decode()
        parts.append("<h2>Night by night</h2><img alt='out-of-area patients per night, "
                     f"brought home per week, referrals waiting per night' "
                     f"src='data:image/png;base64,{data}'>")
    parts.append("<h2>Schedule, week by week</h2>")
    if not steps:
        parts.append("<p class=note>No moves or admissions in this plan.</p>")
    for week in sorted({(s.night - 1) // 7 for s in steps}):
        rows = [s for s in steps if (s.night - 1) // 7 == week]
        parts.append(f"<h3>Week {week + 1} (nights {week * 7 + 1}–{week * 7 + 7})</h3>"
                     "<table><tr><th>night</th><th>date</th><th>step</th><th>patient</th>"
                     "<th>kind</th><th>from</th><th>to</th><th>km before</th>"
                     "<th>km after</th><th>cycle</th></tr>")
        for s in rows:
            parts.append(
                f"<tr><td>{s.night}</td><td>{s.date.isoformat()}</td><td>{s.step}</td>"
                f"<td>{esc(s.patient_id)}</td><td>{esc(s.kind)}</td>"
                f"<td>{esc(names.get(s.from_unit_id or '', ''))}</td>"
                f"<td>{esc(names.get(s.to_unit_id or '', ''))}</td>"
                f"<td>{number(s.km_before, missing='')}</td>"
                f"<td>{number(s.km_after, missing='')}</td>"
                f"<td>{'' if s.cycle is None else s.cycle}</td></tr>")
        parts.append("</table>")
    parts.append("</main></body></html>\n")
    return "".join(parts)


def write_plan_report(out_dir: str | Path, instance: Instance, result: PlanResult,
                      nights: Sequence[PlanNight], steps: Sequence[ScheduleStep]) -> Path:
    """Write ``OUT/report.html`` and ``OUT/charts/plan.png``; the report's path."""
    out = Path(out_dir)
    png = plan_png(nights, brought_home_by_week(instance, result)) if nights else None
    if png is not None:
        atomic_write(out / CHART, png)
    atomic_write(out / REPORT, render_plan_report(instance, result, nights, steps, png))
    return out / REPORT
