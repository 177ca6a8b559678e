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


def out_of_area_png(rows: Sequence[tuple[str, int, int]], before_label: str = "before",
                    after_label: str = "after") -> bytes:
    """Out-of-area placements by home collaborative, before and after (horizontal bars)."""
    import textwrap

    plt = _pyplot()
    rows = [(textwrap.fill(textwrap.shorten(name, 90, placeholder="…"), 36), b, a)
            for name, b, a in rows]
    lines = sum(r[0].count("\n") + 1 for r in rows)
    height = max(2.2, 0.22 * lines + 0.2 * len(rows) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height))
    if rows:
        y = np.arange(len(rows))
        names = [r[0] for r in rows]
        ax.barh(y + 0.2, [r[1] for r in rows], height=0.4, color=BEFORE_COLOUR,
                label=before_label)
        ax.barh(y - 0.2, [r[2] for r in rows], height=0.4, color=AFTER_COLOUR,
                label=after_label)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.legend(frameon=False, loc="lower right")
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, "no out-of-area placements", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel("patients placed outside their home collaborative")
    fig.suptitle("Out-of-area placements by home collaborative")
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
    for (la, lo, la2, lo2), count in arrows.items():
        ax.annotate("", xy=(lo2, la2), xytext=(lo, la), zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": AFTER_COLOUR, "alpha": 0.75,
                                "lw": 1.2 + 1.2 * np.log2(count), "shrinkA": 5, "shrinkB": 5,
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
                   s=[30 + 4 * min(sites[k][1], 60) for k in keys], edgecolors="white",
                   linewidths=0.8, zorder=3)
        for k in keys:
            if sites[k][2] > 1:
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


def sweep_summary_png(summary: pd.DataFrame, title: str = "") -> bytes:
    """One panel per headline result, one point per scenario (mean over draws, min–max bar)."""
    plt = _pyplot()
    n = len(summary)
    fig, axes = plt.subplots(3, 1, figsize=(max(7.0, min(0.35 * n + 3, 18)), 8), sharex=True)
    x = np.arange(n)
    panels = (("objective", "objective (mean, min–max)"),
              ("unplaced", "unplaced referrals (mean)"),
              ("out_of_area", "out-of-area placements (mean)"))
    for ax, (col, label) in zip(axes, panels, strict=True):
        values = summary[col].to_numpy(float) if n else np.array([])
        if col == "objective" and n:
            lo = values - summary["objective_min"].to_numpy(float)
            hi = summary["objective_max"].to_numpy(float) - values
            ax.errorbar(x, values, yerr=[lo, hi], fmt="o", color=AFTER_COLOUR, capsize=3)
        else:
            ax.bar(x, values, color=AFTER_COLOUR, width=0.6)
            top = float(np.nanmax(values)) if n and np.isfinite(values).any() else 0.0
            ax.set_ylim(0, max(1.0, top * 1.1))
        ax.set_ylabel(label, fontsize=9)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    if n <= 40:
        axes[-1].set_xticks(x, [str(s) for s in summary["label"]], rotation=60, ha="right",
                            fontsize=8)
    else:
        axes[-1].set_xlabel("scenario id")
    fig.suptitle(title or "Sweep: results by scenario (mean over demand draws)")
    fig.tight_layout()
    return _png(fig)
