"""Sweep results as files: Parquet and CSV for analysis, and the summary chart."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optimiser.planning.sweep import summarise
from optimiser.report.charts import AFTER_COLOUR, png_bytes, pyplot

if TYPE_CHECKING:
    import pandas as pd


#: Above this many scenarios the sweep plot names them by id instead of by label.
MAX_LABELLED_SCENARIOS = 60


def sweep_summary_png(summary: pd.DataFrame, title: str = "") -> bytes:
    """One row per scenario, one panel per headline result: the mean over demand draws
    (dot) and its min–max (bar). Scenarios are rows so that long labels stay readable."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    plt = pyplot()
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
    return png_bytes(fig)


SWEEP_PARQUET, SWEEP_CSV, SWEEP_PNG = "sweep.parquet", "sweep.csv", "sweep.png"


def write_sweep(out_dir: str | Path, df: pd.DataFrame, *, title: str = "") -> list[Path]:
    """Write ``sweep.parquet``, ``sweep.csv`` and the summary plot ``sweep.png`` atomically."""
    import io

    from models.atomic import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow")
    csv_text = df.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    png = sweep_summary_png(summarise(df), title=title)
    files: dict[str, str | bytes] = {SWEEP_PARQUET: buf.getvalue(), SWEEP_CSV: csv_text,
                                     SWEEP_PNG: png}
    for name, data in files.items():
        atomic_write(out / name, data)
    return [out / name for name in files]
