"""What ``bedplan simulate`` writes: runs.csv, summary.json and a self-contained report.html.

The page shows, for every figure of runs.csv, each policy's mean over runs with its 95%
interval; the paired difference of each policy from the first one (run k of every policy
sees the same draws, so the difference run by run is the effect of the policy); and a chart
of out-of-area patients night by night in run 1. Every file is written atomically.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from optimiser.planning.outputs import write_files
from optimiser.planning.simulate import differences
from optimiser.planning.simulate_draws import World
from optimiser.planning.simulate_run import FIGURES, RunResult
from optimiser.report.charts import png_bytes, pyplot

RUNS_FILE, SUMMARY_FILE, REPORT_FILE = "runs.csv", "summary.json", "report.html"
#: One colour per policy, in the order given (NHS blue first for the first policy).
POLICY_COLOURS = ("#9aa5b1", "#005eb8", "#007f3b", "#ed8b00", "#7c2855")

#: Each figure in plain words (docs/simulate.md has the full definitions).
FIGURE_WORDS: Mapping[str, str] = {
    "brought_home": "patients brought home (moved from a ward outside their collaborative "
                    "into one inside it)",
    "moves": "moves of inpatients between wards",
    "admissions": "referrals admitted",
    "discharges": "inpatients discharged",
    "referrals": "referrals (waiting on the first night or arriving later)",
    "unplaced_nights": "nights referrals spent waiting for a bed",
    "out_of_area_bed_days": "bed-days outside the patient's home collaborative",
    "bed_days": "bed-days (patients in a bed, night by night)",
    "km_bed_days": "km from home, summed over bed-days",
    "cost": "cost of the bed-days (£, cost_per_day of the ward)",
}


def write_outputs(out_dir: Path, runs_text: str, summ: Mapping[str, Any],
                  results: Sequence[RunResult], world: World) -> list[Path]:
    """runs.csv, summary.json and report.html in ``out_dir``, all rendered first and then
    written all or nothing (a report that fails leaves the previous three in place)."""
    return write_files(out_dir, {RUNS_FILE: runs_text,
                                 SUMMARY_FILE: json.dumps(summ, indent=2) + "\n",
                                 REPORT_FILE: report_html(summ, results, world)})


def _num(value: float | None) -> str:
    """Thousands separated; one decimal below 100 unless whole; never "-0"."""
    if value is None:
        return "–"
    rounded = round(float(value), 1)  # an int (e.g. a count of 0) has no is_integer
    text = f"{rounded:,.0f}" if abs(rounded) >= 100 or rounded.is_integer() \
        else f"{rounded:,.1f}"
    return "0" if text.strip("-0.,") == "" else text


def _interval(fig: Mapping[str, float | None]) -> str:
    low, high = fig.get("low"), fig.get("high")
    if low is None or high is None:
        return "(one run: no interval)"
    return f"[{_num(low)} to {_num(high)}]"


def out_of_area_png(results: Sequence[RunResult], world: World) -> bytes:
    """Out-of-area patients night by night in run 1, one line per policy."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    first = [r for r in results if r.run == min(x.run for x in results)]
    for k, res in enumerate(first):
        ax.plot(range(1, len(res.out_of_area) + 1), res.out_of_area, label=res.policy,
                color=POLICY_COLOURS[k % len(POLICY_COLOURS)], linewidth=1.6)
    ax.set_xlabel(f"night (night 1 = {world.start.isoformat()})")
    ax.set_ylabel("patients out of area")
    # at least one patient high, as the plan's charts: an all-zero series (a census with no
    # patients) would otherwise get ten ticks between 0 and 0.05, every one labelled "0"
    ax.set_ylim(0, max([1, *(n for res in first for n in res.out_of_area)]) * 1.05)
    ax.set_xlim(1, max(world.days, 2))
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"Patients in a bed outside their home collaborative, run {first[0].run}"
                 if first else "no runs", fontsize=10)
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v else "0"))
    return png_bytes(fig)


_CSS = """
body{font-family:-apple-system,"Segoe UI",Arial,Helvetica,sans-serif;color:#212b32;
max-width:1000px;margin:2em auto;padding:0 1em;line-height:1.45}
h1{color:#005eb8;font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border-bottom:1px solid #d8dde0;padding:.35em .7em;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
td small{color:#4c6272}.note{color:#4c6272;font-size:.9em}
img{max-width:100%}
"""


def report_html(summ: Mapping[str, Any], results: Sequence[RunResult], world: World) -> str:
    """The self-contained page (inline CSS and chart, nothing fetched)."""
    esc = html.escape
    policies = list(summ["policies"])
    days, runs = summ["days"], summ["runs"]
    last = world.start + timedelta(days=days - 1)
    head = "".join(f"<th>{esc(p)}</th>" for p in policies)
    rows = []
    for f in FIGURES:
        cells = "".join(
            f"<td>{_num(summ['policies'][p][f]['mean'])}<br>"
            f"<small>{_interval(summ['policies'][p][f])}</small></td>" for p in policies)
        rows.append(f"<tr><td><b>{esc(f)}</b><br><small>{esc(FIGURE_WORDS[f])}</small></td>"
                    f"{cells}</tr>")
    diff_html = ""
    if len(policies) > 1:
        diffs = differences(results, policies[0])
        dhead = "".join(f"<th>{esc(p)} − {esc(policies[0])}</th>" for p in diffs)
        drows = []
        for f in FIGURES:
            cells = "".join(
                f"<td>{_num(diffs[p][f][0])}<br><small>"
                f"{_interval({'low': diffs[p][f][1], 'high': diffs[p][f][2]})}</small></td>"
                for p in diffs)
            drows.append(f"<tr><td>{esc(f)}</td>{cells}</tr>")
        diff_html = (
            f"<h2>Differences from {esc(policies[0])}, run by run</h2>"
            "<p class='note'>Run k of every policy sees the same discharges and arrivals, so "
            "the difference in run k is the effect of the policy alone; the mean difference "
            "and its 95% interval are over runs.</p>"
            f"<table><tr><th>figure</th>{dhead}</tr>{''.join(drows)}</table>")
    chart = base64.b64encode(out_of_area_png(results, world)).decode("ascii")
    failed = sum(r.failed_nights for r in results)
    failed_html = (f"<p class='note'>On {failed:,} nights a policy found no plan (nobody "
                   "was moved or admitted those nights).</p>" if failed else "")
    rates = sum(r.referrals_per_year for r in world.rates)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>bedplan simulate: {esc(', '.join(policies))}</title><style>{_CSS}</style></head>
<body>
<h1>{days:,} nights under {esc(' and '.join(policies))}</h1>
<p>{esc(world.instance.source or 'instance')}: {len(world.instance.units):,} wards,
{len(world.instance.patients):,} patients in the census; nights {world.start.isoformat()} to
{last.isoformat()}; {runs:,} runs from seed {summ['seed']} (run k uses seed
{summ['seed']} + k − 1); about {_num(rates)} referrals a year drawn.</p>
<h2>Figures per policy: mean over runs [95% interval of the mean]</h2>
<table><tr><th>figure</th>{head}</tr>{''.join(rows)}</table>
{diff_html}
<h2>Out-of-area patients over time</h2>
<img alt="out-of-area patients per night, run 1" src="data:image/png;base64,{chart}">
{failed_html}
<p class="note">A bed-day is one patient in a bed for one night. Intervals are Student t
intervals for the mean over runs (n − 1 degrees of freedom); they say how sure the mean is
given the draws, not how far the model is from reality. docs/simulate.md defines every
figure and states the assumptions (lengths of stay, referral rates, what each policy
does).</p>
</body></html>
"""
