"""The simulation report's chart: readable axes whatever the runs hold."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

import optimiser.report.simulate as report
from optimiser.planning.simulate_run import RunResult


def _run(policy: str, out_of_area: tuple[int, ...]) -> RunResult:
    return RunResult(policy, 1, 0, {}, out_of_area, (0,) * len(out_of_area),
                     (1,) * len(out_of_area), (0, 0), (0, 0))


@pytest.mark.parametrize(("series", "top"), [((0, 0, 0), 1.05), ((3, 5, 4), 5.25)])
def test_out_of_area_ticks_are_distinct_even_when_nobody_is_out_of_area(monkeypatch, series,
                                                                         top):
    # Binds: all zero (a census with no patients), the axis still spans one patient, and no
    # two tick labels read the same ("0" ten times before). Does not bind: the data's top.
    seen = {}

    def keep(fig):
        ax = fig.axes[0]
        ax.figure.canvas.draw()
        seen["ylim"] = ax.get_ylim()
        seen["labels"] = [t.get_text() for t in ax.get_yticklabels()
                          if ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]
        return b""

    monkeypatch.setattr(report, "png_bytes", keep)
    world = SimpleNamespace(start=dt.date(2026, 12, 7), days=len(series))
    report.out_of_area_png([_run("nearest", series), _run("reallocate", series)], world)
    assert seen["ylim"] == pytest.approx((0.0, top))
    assert len(seen["labels"]) == len(set(seen["labels"])) >= 2
