"""The sweep summary chart: axes that read cleanly (no "-0", no overlapping labels).

The pictures were also looked at (docs/sweep.md shows the winter example's); these tests
keep what was seen true: every tick label of every panel is distinct from its neighbours,
none reads "-0", and the boxes of neighbouring labels do not overlap.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from optimiser.planning.sweep import summarise
from optimiser.report.charts import pyplot
from optimiser.report.sweep import sweep_summary_figure, tick_text


@pytest.mark.parametrize(("value", "step", "text"), [
    (-0.0, 1.0, "0"), (-1e-12, 0.5, "0.0"), (-0.4, 1.0, "0"), (376_000.0, 500.0, "376,000"),
    (0.25, 0.05, "0.25"), (-1.5, 0.5, "-1.5"), (-2.0, 1.0, "-2"), (1234.5, 0.0, "1,234"),
])
def test_tick_text_never_reads_minus_zero(value, step, text):
    assert tick_text(value, step) == text


def _results(objectives: list[list[float]], unplaced: int = 0) -> pd.DataFrame:
    rows = [{"scenario_id": k, "label": f"tewv-ridgeway-mandarin.beds={14 + 2 * k}",
             "seed": seed, "status": "optimal", "objective": value, "unplaced": unplaced,
             "out_of_area": 812, "moves": 40, "median_km": 40.0, "total_km": 1.0}
            for k, values in enumerate(objectives) for seed, value in enumerate(values)]
    df = pd.DataFrame(rows)
    df["seed"] = df["seed"].astype("Int64")
    return df


def _labels(fig) -> list[list[tuple[str, object]]]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [[(t.get_text(), t.get_window_extent(renderer)) for t in ax.get_xticklabels()
             if t.get_visible() and t.get_text()] for ax in fig.axes]


@pytest.mark.parametrize("objectives", [
    [[376_210.3, 376_900.8, 377_010.0]] * 3,  # a tie in every draw (the winter example)
    [[376_210.3, 376_900.8, 377_010.0], [376_510.3, 377_200.8, 377_310.0],
     [391_210.3, 392_900.8, 399_010.0]],  # a real effect, large numbers
])
def test_every_panel_has_readable_distinct_ticks(objectives):
    fig = sweep_summary_figure(summarise(_results(objectives)), "winter")
    try:
        panels = _labels(fig)
        assert len(panels) == 3
        for ticks in panels:
            texts = [t for t, _ in ticks]
            assert len(texts) >= 2
            assert len(set(texts)) == len(texts), texts
            assert not any(t.startswith(("-", "−")) and
                           float(t.replace("−", "-").replace(",", "")) == 0
                           for t in texts), texts
            boxes = sorted((box for _, box in ticks), key=lambda b: b.x0)
            assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes)), texts
    finally:
        pyplot().close(fig)


def test_a_tie_sits_at_zero_on_the_objective_panel():
    summary = summarise(_results([[376_210.3, 376_900.8]] * 3))
    assert summary["above_best"].tolist() == [0.0, 0.0, 0.0]
    fig = sweep_summary_figure(summary)
    try:
        lo, hi = fig.axes[0].get_xlim()
        assert lo < 0.0 < hi  # 0 in view, the panel not collapsed to a point
        assert "0" in [t for t, _ in _labels(fig)[0]]
    finally:
        pyplot().close(fig)
