"""Charts for reports and sweeps, as PNG bytes (matplotlib, Agg backend: no display needed).

Each function takes plain numbers and returns PNG bytes, so the same chart goes inline
into report.html (base64) and to ``OUT/charts/*.png`` for slides. matplotlib is imported
inside the functions: ``bedplan validate`` must not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

BEFORE_COLOUR = "#9aa5b1"  # grey: how things are
AFTER_COLOUR = "#005eb8"  # NHS blue: the plan
OCCUPANCY_COLOURS = (("#2e7d32", "under 85% full"), ("#f0a202", "85–99% full"),
                     ("#c62828", "full"), ("#6b6b6b", "no open beds"))
DPI = 110


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.spines.top": False,
                         "axes.spines.right": False, "figure.dpi": DPI})
    return plt


def _png(fig: Any) -> bytes:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight",
                metadata={"Software": None})  # no version string: stable bytes
    plt.close(fig)
    return buf.getvalue()


def occupancy_colour(occupied: int, open_beds: int) -> str:
    """Colour of a unit on the maps: green under 85 %, amber 85–99 %, red full, grey none."""
    if open_beds <= 0:
        return OCCUPANCY_COLOURS[3][0]
    share = occupied / open_beds
    if share >= 1.0:
        return OCCUPANCY_COLOURS[2][0]
    if share >= 0.85:
        return OCCUPANCY_COLOURS[1][0]
    return OCCUPANCY_COLOURS[0][0]


def distance_png(before_km: Sequence[float], after_km: Sequence[float],
                 before_label: str = "before", after_label: str = "after") -> bytes:
    """Distance from home, before and after: a histogram and the cumulative share."""
    plt = _pyplot()
    before = np.asarray([x for x in before_km if np.isfinite(x)], float)
    after = np.asarray([x for x in after_km if np.isfinite(x)], float)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    top = max([1.0, *(a.max() for a in (before, after) if a.size)])
    bins = np.linspace(0, top * 1.0001, 21)
    for data, colour, label in ((before, BEFORE_COLOUR, before_label),
                                (after, AFTER_COLOUR, after_label)):
        if data.size:
            ax1.hist(data, bins=bins, histtype="stepfilled" if colour == BEFORE_COLOUR
                     else "step", color=colour, alpha=0.75 if colour == BEFORE_COLOUR else 1.0,
                     linewidth=2, label=f"{label} (n={data.size})")
            xs = np.sort(data)
            ys = np.arange(1, xs.size + 1) / xs.size * 100
            ax2.step(np.concatenate([[0], xs]), np.concatenate([[0], ys]), where="post",
                     color=colour, linewidth=2, label=label)
    ax1.set_xlabel("km from home")
    ax1.set_ylabel("patients")
    ax1.set_title("Distance from home")
    ax2.set_xlabel("km from home")
    ax2.set_ylabel("% of patients within")
    ax2.set_title("Cumulative share")
    ax2.set_ylim(0, 101)
    for ax in (ax1, ax2):
        ax.set_xlim(0, top * 1.02)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=False)
    fig.tight_layout()
    return _png(fig)


#: Collaboratives shown by name in the out-of-area chart; the rest are summed in one bar.
MAX_NETWORK_BARS = 12


def _short_name(name: str) -> str:
    """A collaborative's name without its parenthetical notes, wrapped for a bar label."""
    import re
    import textwrap

    plain = re.sub(r"\s*\([^)]*\)", "", name).strip() or name
    return textwrap.fill(textwrap.shorten(plain, 70, placeholder="…"), 34)


def out_of_area_png(rows: Sequence[tuple[str, int, int]], before_label: str = "before",
                    after_label: str = "after") -> bytes:
    """Out-of-area placements by home collaborative, before and after (horizontal bars).

    ``rows`` (name, before, after) largest first; only the first :data:`MAX_NETWORK_BARS`
    are drawn (the title says so; the report's table lists every one).
    """
    plt = _pyplot()
    total = len(rows)
    rows = list(rows)[:MAX_NETWORK_BARS]
    labels = [_short_name(r[0]) for r in rows]
    lines = sum(label.count("\n") + 1 for label in labels)
    height = max(2.4, 0.16 * lines + 0.3 * len(rows) + 1.3)
    fig, ax = plt.subplots(figsize=(8, height))
    if rows:
        y = np.arange(len(rows))
        ax.barh(y - 0.2, [r[1] for r in rows], height=0.4, color=BEFORE_COLOUR,
                label=before_label)
        ax.barh(y + 0.2, [r[2] for r in rows], height=0.4, color=AFTER_COLOUR,
                label=after_label)
        ax.set_yticks(y, labels, fontsize=9)
        ax.set_ylim(len(rows) - 0.45, -0.55)
        ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2)
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, "no out-of-area placements", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel("patients placed outside their home collaborative")
    shown = f" (the {len(rows)} largest of {total})" if total > len(rows) else ""
    ax.set_title(f"Out-of-area placements by home collaborative{shown}", loc="left",
                 pad=24)
    fig.tight_layout()
    return _png(fig)


def map_png(units: Sequence[tuple[float, float, int, int]],
            moves: Sequence[tuple[float, float, float, float]],
            backdrop: Sequence[tuple[float, float]] = ()) -> bytes:
    """A static map that needs no internet: sites by occupancy and the moves between them.

    ``units`` are (lat, lon, occupied, open beds); wards on one site are drawn as one dot
    (coloured by the site's occupancy, labelled with its number of wards). ``moves`` are
    (lat, lon) from → to; moves between the same two sites become one curved arrow whose
    width and label give their number. ``backdrop`` points (postcode district centroids)
    are drawn faint grey so the country is recognisable without map tiles.
    """
    plt = _pyplot()
    sites: dict[tuple[float, float], list[int]] = {}
    for lat, lon, occ, beds in units:
        agg = sites.setdefault((round(lat, 4), round(lon, 4)), [0, 0, 0])
        agg[0] += occ
        agg[1] += beds
        agg[2] += 1
    arrows: dict[tuple[float, float, float, float], int] = {}
    for m in moves:
        key = (round(m[0], 4), round(m[1], 4), round(m[2], 4), round(m[3], 4))
        if key[:2] != key[2:]:  # a move between wards of one site has no arrow to draw
            arrows[key] = arrows.get(key, 0) + 1
    lats = [k[0] for k in sites] + [k[0] for k in arrows] + [k[2] for k in arrows]
    lons = [k[1] for k in sites] + [k[1] for k in arrows] + [k[3] for k in arrows]
    if not lats:
        lats, lons = [52.5], [-1.5]
    mid_lat, mid_lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    half_lat = max((max(lats) - min(lats)) / 2 + 0.3, 1.0)
    half_lon = max((max(lons) - min(lons)) / 2 + 0.45, 1.5)
    lat0, lat1, lon0, lon1 = (mid_lat - half_lat, mid_lat + half_lat, mid_lon - half_lon,
                              mid_lon + half_lon)
    aspect = 1 / np.cos(np.radians(mid_lat))
    width = 7.0
    h = float(np.clip(width * (lat1 - lat0) * aspect / (lon1 - lon0), 3.5, 10))
    fig, ax = plt.subplots(figsize=(width, h))
    if backdrop:
        b = np.asarray(backdrop, float)
        keep = ((b[:, 0] > lat0) & (b[:, 0] < lat1) & (b[:, 1] > lon0) & (b[:, 1] < lon1))
        ax.scatter(b[keep, 1], b[keep, 0], s=3, color="#d3d9de", zorder=1, linewidths=0)
    dense = len(sites) > 25  # England-sized: smaller dots, thinner arrows, no ward counts
    for (la, lo, la2, lo2), count in arrows.items():
        ax.annotate("", xy=(lo2, la2), xytext=(lo, la), zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": AFTER_COLOUR,
                                "alpha": 0.55 if dense else 0.75,
                                "lw": (0.8 if dense else 1.2) * (1 + np.log2(count)),
                                "shrinkA": 4, "shrinkB": 4,
                                "connectionstyle": "arc3,rad=0.18"})
        if count > 1:  # label the middle of the arc (arc3: midpoint + rad/2 * normal)
            ax.text((lo + lo2) / 2 + 0.09 * (la2 - la) * aspect,
                    (la + la2) / 2 - 0.09 * (lo2 - lo) / aspect, str(count),
                    color=AFTER_COLOUR,
                    fontsize=8, ha="center", va="center", zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
    if sites:
        keys = list(sites)
        ax.scatter([k[1] for k in keys], [k[0] for k in keys],
                   c=[occupancy_colour(sites[k][0], sites[k][1]) for k in keys],
                   s=[(10 + 1.2 * min(sites[k][1], 80)) if dense
                      else (30 + 4 * min(sites[k][1], 60)) for k in keys],
                   edgecolors="white", linewidths=0.6, zorder=3)
        for k in keys:
            if sites[k][2] > 1 and not dense:
                ax.annotate(f"{sites[k][2]} wards", (k[1], k[0]), xytext=(6, 4),
                            textcoords="offset points", fontsize=7, color="#4c6272",
                            zorder=4)
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=t, markersize=7)
               for c, t in OCCUPANCY_COLOURS]
    if arrows:
        handles.append(plt.Line2D([], [], color=AFTER_COLOUR, label="moves (old → new unit)"))
    ax.legend(handles=handles, frameon=True, loc="upper left", fontsize=8)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(aspect)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title("Sites by occupancy after the plan (dot size: open beds), and moves")
    fig.tight_layout()
    return _png(fig)


#: Above this many scenarios the sweep plot names them by id instead of by label.
MAX_LABELLED_SCENARIOS = 60


def sweep_summary_png(summary: pd.DataFrame, title: str = "") -> bytes:
    """One row per scenario, one panel per headline result: the mean over demand draws
    (dot) and its min–max (bar). Scenarios are rows so that long labels stay readable."""
    import textwrap

    from matplotlib.ticker import FuncFormatter, MaxNLocator

    plt = _pyplot()
    n = len(summary)
    labelled = n <= MAX_LABELLED_SCENARIOS
    height = float(np.clip(0.34 * n + 1.6, 3.0, 24.0))
    fig, axes = plt.subplots(1, 3, figsize=(13, height), sharey=True, layout="constrained")
    y = np.arange(n)
    panels = (("objective", "objective"), ("unplaced", "unplaced referrals"),
              ("out_of_area", "out-of-area placements"))
    for ax, (col, label) in zip(axes, panels, strict=True):
        if n:
            mean = summary[col].to_numpy(float)
            lo = summary[f"{col}_min"].to_numpy(float)
            hi = summary[f"{col}_max"].to_numpy(float)
            ax.hlines(y, lo, hi, color=AFTER_COLOUR, alpha=0.45, linewidth=3)
            ax.plot(mean, y, "o", color=AFTER_COLOUR, markersize=5)
        ax.set_title(label, fontsize=10)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        if col != "objective":  # counts: whole-number ticks
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.tick_params(axis="x", labelsize=8)
    if labelled:
        names = [textwrap.fill(str(s), 48) for s in summary["label"]]
        axes[0].set_yticks(y, names, fontsize=8)
    else:
        axes[0].set_ylabel("scenario id")
    axes[0].set_ylim(n - 0.5, -0.5)
    fig.suptitle(title or "Sweep results by scenario", x=0.01, ha="left")
    fig.supxlabel("dot: mean over demand draws; bar: min–max", fontsize=8, color="#4c6272",
                  x=0.01, ha="left")
    return _png(fig)
