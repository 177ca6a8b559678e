"""Sweep results as files: Parquet and CSV for analysis, and the summary chart."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from optimiser.planning.sweep import summarise
from optimiser.report.charts import AFTER_COLOUR, png_bytes, pyplot

if TYPE_CHECKING:
    import pandas as pd


#: Above this many scenarios the sweep plot names them by id instead of by label.
MAX_LABELLED_SCENARIOS = 60


def tick_text(value: float, step: float) -> str:
    """A tick label with as many decimals as the tick spacing needs and never "-0"."""
    decimals = 0 if step >= 1 or step <= 0 else min(6, math.ceil(-math.log10(step)))
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 \
        else text


def _limits(lo: np.ndarray, hi: np.ndarray, *, counts: bool) -> tuple[float, float]:
    """x limits with room around the data; at least 2 wide (a tie, all zeros, still gets
    whole-number ticks either side) and never below −0.5 for counts."""
    finite = np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
    a, b = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    pad = max(0.06 * (b - a), 1.0 if (b - a) < 2 else 0.0)
    a, b = a - pad, b + pad
    return (max(a, -0.5), b) if counts else (a, b)


def sweep_summary_png(summary: pd.DataFrame, title: str = "") -> bytes:
    """The summary chart as PNG bytes (:func:`sweep_summary_figure`)."""
    return png_bytes(sweep_summary_figure(summary, title))


def sweep_summary_figure(summary: pd.DataFrame, title: str = "") -> Any:
    """One row per scenario, one panel per headline result (dot: mean over demand draws;
    bar: min–max). The objective is shown above the best scenario in the same draw, so a
    tie sits exactly at 0 and a real difference is not hidden by the spread between
    draws. Scenarios are rows so that long labels stay readable; axes have few ticks, each
    labelled once, with whole numbers for counts."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    plt = pyplot()
    n = len(summary)
    labelled = n <= MAX_LABELLED_SCENARIOS
    height = float(np.clip(0.34 * n + 1.9, 3.0, 24.0))
    fig, axes = plt.subplots(1, 3, figsize=(13, height), sharey=True, layout="constrained")
    y = np.arange(n)
    best = summary["objective"].min() if n else math.nan
    panels = (("above_best", "objective above the best scenario\n(same demand draw)"),
              ("unplaced", "unplaced referrals"), ("out_of_area", "out-of-area placements"))
    for ax, (col, label) in zip(axes, panels, strict=True):
        counts = col != "above_best"
        mean = summary[col].to_numpy(float) if n else np.zeros(0)
        lo = summary[f"{col}_min"].to_numpy(float) if n else np.zeros(0)
        hi = summary[f"{col}_max"].to_numpy(float) if n else np.zeros(0)
        ax.hlines(y, lo, hi, color=AFTER_COLOUR, alpha=0.45, linewidth=3)
        ax.plot(mean, y, "o", color=AFTER_COLOUR, markersize=5)
        if not counts:
            ax.axvline(0.0, color="#4c6272", linewidth=0.8)
        ax.set_title(label, fontsize=10)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        a, b = _limits(lo, hi, counts=counts)
        ticks = [t for t in MaxNLocator(nbins=4, integer=True, min_n_ticks=2).tick_values(a, b)
                 if a <= t <= b]
        step = float(np.min(np.diff(ticks))) if len(ticks) > 1 else 1.0
        # the outer ticks stay clear of the panel's edges (and of the next panel's labels)
        ax.set_xlim(min(a, ticks[0] - 0.4 * step), max(b, ticks[-1] + 0.4 * step))
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _, s=step: tick_text(v, s)))
        ax.tick_params(axis="x", labelsize=8)
    if labelled:
        names = [textwrap.fill(str(s), 48) for s in summary["label"]]
        axes[0].set_yticks(y, names, fontsize=8)
    else:
        axes[0].set_ylabel("scenario id")
    axes[0].set_ylim(n - 0.5, -0.5)
    fig.suptitle(title or "Sweep results by scenario", x=0.01, ha="left")
    note = "dot: mean over demand draws; bar: min–max"
    if np.isfinite(best):
        note += f"; best mean objective {tick_text(best, 1)}"
    fig.supxlabel(note, fontsize=8, color="#4c6272", x=0.01, ha="left")
    return fig


SWEEP_PARQUET, SWEEP_CSV, SWEEP_PNG = "sweep.parquet", "sweep.csv", "sweep.png"


def write_sweep(out_dir: str | Path, df: pd.DataFrame, *, title: str = "") -> list[Path]:
    """Write ``sweep.parquet``, ``sweep.csv`` and the summary plot ``sweep.png`` atomically."""
    import io

    from models.atomic import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow")
    # 12 significant digits: objectives in the millions keep their decimals (6 did not)
    csv_text = df.to_csv(index=False, float_format="%.12g", lineterminator="\n")
    png = sweep_summary_png(summarise(df), title=title)
    files: dict[str, str | bytes] = {SWEEP_PARQUET: buf.getvalue(), SWEEP_CSV: csv_text,
                                     SWEEP_PNG: png}
    for name, data in files.items():
        atomic_write(out / name, data)
    return [out / name for name in files]
