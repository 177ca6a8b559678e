"""Charts for reports and sweeps, as PNG bytes (matplotlib, Agg backend: no display needed).

Each function takes plain numbers and returns PNG bytes, so the same chart goes inline
into report.html (base64) and to ``OUT/charts/*.png`` for slides. matplotlib is imported
inside the functions: ``bedplan validate`` must not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass

BEFORE_COLOUR = "#9aa5b1"  # grey: how things are
AFTER_COLOUR = "#005eb8"  # NHS blue: the plan
OCCUPANCY_COLOURS = (("#2e7d32", "under 85% full"), ("#f0a202", "85–99% full"),
                     ("#c62828", "full"), ("#6b6b6b", "no open beds"))
DPI = 110


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.spines.top": False,
                         "axes.spines.right": False, "figure.dpi": DPI})
    return plt


def png_bytes(fig: Any) -> bytes:
    plt = pyplot()
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
    plt = pyplot()
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
    return png_bytes(fig)


#: Collaboratives shown by name in the out-of-area chart; the rest are summed in one bar.
MAX_NETWORK_BARS = 12


def _short_name(name: str) -> str:
    """A collaborative's name without its parenthetical notes, wrapped for a bar label."""
    import re
    import textwrap

    plain = re.sub(r"\s*\([^)]*\)", "", name).strip() or name
    return textwrap.fill(textwrap.shorten(plain, 70, placeholder="…"), 34)


def out_of_area_png(rows: Sequence[tuple[str, int, int]], before_label: str = "before",
                    after_label: str = "after",
                    admissions: Mapping[str, int] | None = None) -> bytes:
    """Out-of-area placements by home collaborative, before and after (horizontal bars).

    Like with like: ``rows`` (name, before, after) count the patients placed both before
    and after (for a reallocation, tonight's inpatients), so a collaborative whose
    inpatients come home never looks worse because of tonight's admissions. Those, when
    given (``admissions``: name → new admissions placed out of area), are drawn apart, as
    a hatched bar of their own. Largest first; only :data:`MAX_NETWORK_BARS` are drawn (the
    title says so; the report's table lists every one).
    """
    plt = pyplot()
    extra = dict(admissions or {})
    merged = {name: (before, after) for name, before, after in rows}
    for name in extra:
        merged.setdefault(name, (0, 0))
    order = sorted(merged, key=lambda k: (-max(*merged[k], extra.get(k, 0)), k))
    total = len(order)
    order = order[:MAX_NETWORK_BARS]
    labels = [_short_name(name) for name in order]
    lines = sum(label.count("\n") + 1 for label in labels)
    bars = 3 if extra else 2
    height = max(2.4, 0.16 * lines + 0.15 * bars * len(order) + 1.5)
    fig, ax = plt.subplots(figsize=(8, height))
    if order:
        y = np.arange(len(order))
        width = 0.8 / bars
        series = [([merged[k][0] for k in order], dict(color=BEFORE_COLOUR), before_label),
                  ([merged[k][1] for k in order], dict(color=AFTER_COLOUR), after_label)]
        if extra:
            series.append(([extra.get(k, 0) for k in order],
                           dict(color="white", edgecolor=AFTER_COLOUR, hatch="////"),
                           "new admissions placed out of area"))
        for i, (values, style, label) in enumerate(series):
            ax.barh(y + (i - (bars - 1) / 2) * width, values, height=width, label=label,
                    **style)
        ax.set_yticks(y, labels, fontsize=9)
        ax.set_ylim(len(order) - 0.45, -0.55)
        ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=bars)
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, "no out-of-area placements", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel("patients placed outside their home collaborative, counting the patients "
                  "placed\nboth " + before_label + " and " + after_label
                  + ("; new admissions apart" if extra else " (new admissions not included)"),
                  fontsize=9)
    shown = f" (the {len(order)} largest of {total})" if total > len(order) else ""
    ax.set_title(f"Out-of-area placements by home collaborative{shown}", loc="left",
                 pad=24)
    fig.tight_layout()
    return png_bytes(fig)
