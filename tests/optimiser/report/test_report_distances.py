"""A run's report from the run's own distances: the same report, without computing them again.

``bedplan reallocate --report`` writes the report after the run; the run already holds the
km matrix it solved with (``RunOutcome.distances``). Given it, ``write_report`` must produce
the same page and charts as when it recomputes the distances from the instance (pinned on a
generated instance, geodesic km, with inpatients who move), and must not compute any.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import optimiser.report.html as report
from models.generate import generate_instance
from optimiser.geography.distances import distance_matrix
from optimiser.planning.run import run_instance
from optimiser.report.html import kpis, outcomes, write_report

#: folium names its elements with random hex ids: the only part of the page that varies.
FOLIUM_ID = re.compile(r"_[0-9a-f]{32}")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    inst = generate_instance(2, 150, 8, distance="geodesic")
    return run_instance(inst, tmp_path_factory.mktemp("run"))


def test_the_run_plan_moves_inpatients(run):
    """Guard: tonight's km differ from the plan's for some inpatients (the matrix matters)."""
    assert run.result.status == "optimal" and run.result.metrics.moves == 6
    rows = outcomes(run.instance, run.result, distances=run.distances)
    # 5 of the 6 moves change the km; one is between two wards of the same site (S003)
    assert sum(r.before_km != r.after_km for r in rows if r.before_unit is not None) == 5


def test_report_from_the_runs_distances_equals_the_recomputed_one(run, tmp_path):
    recomputed = write_report(tmp_path / "a", run.instance, run.result)
    given = write_report(tmp_path / "b", run.instance, run.result, distances=run.distances)
    assert FOLIUM_ID.sub("_", given.read_text()) == FOLIUM_ID.sub("_", recomputed.read_text())
    for name in ("distance.png", "out_of_area.png", "map.png"):
        assert (tmp_path / "b" / "charts" / name).read_bytes() == \
            (tmp_path / "a" / "charts" / name).read_bytes(), name
    rows_a = outcomes(run.instance, run.result)
    rows_b = outcomes(run.instance, run.result, distances=run.distances)
    assert rows_a == rows_b
    assert kpis(run.instance, run.result, rows_a) == kpis(run.instance, run.result, rows_b)


def test_given_distances_are_not_computed_again(run, tmp_path, monkeypatch):
    def fail(instance):
        raise AssertionError("distances computed again")

    monkeypatch.setattr(report, "_distances", fail)
    write_report(tmp_path, run.instance, run.result, distances=run.distances)
    with pytest.raises(AssertionError, match="computed again"):  # the guard binds
        write_report(tmp_path, run.instance, run.result)


def test_the_runs_distances_are_the_instances(run):
    assert run.distances is not None
    np.testing.assert_array_equal(run.distances[:, :], distance_matrix(run.instance))
