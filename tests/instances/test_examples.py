"""The bundled instances: hand-checked examples and the England instance.

Each example's optimum (``expected.json``, derived by hand in its README) is checked three
ways: against an exhaustive search written here from the contract's objective alone, against
the solver, and (for the infeasible one) against the CLI's exit code.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from geopy.distance import geodesic

from models.compatibility import is_compatible
from models.domain import Instance
from models.io import read_instance, validate

ROOT = Path(__file__).resolve().parents[2] / "instances"
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
ENGLAND = ROOT / "england"


def _expected(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((path / "expected.json").read_text())


def test_there_are_enough_examples() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"two-wards", "move-budget", "admission-limit", "unplaced", "infeasible"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid_small_and_documented(path: Path) -> None:
    inst, problems = validate(path)
    assert problems == []
    assert inst is not None
    assert 2 <= len(inst.units) <= 4 and 3 <= len(inst.patients) <= 8
    assert inst.policy.distance == "geodesic"
    readme = (path / "README.md").read_text()
    exp = _expected(path)
    if exp["objective"] is not None:
        assert f"{exp['objective']:.2f}" in readme  # the README states the optimum to 0.01
    else:
        assert "infeasible" in readme.lower()


def brute_force(inst: Instance) -> tuple[float, dict[str, tuple[str, str | None]]] | None:
    """The contract's optimum by trying every plan (tiny instances only)."""
    w, lim = inst.policy.weights, inst.policy.limits
    choices = []
    for p in inst.patients:
        opts: list[tuple[str, str | None]] = []
        for u in inst.units:
            if p.status == "inpatient":
                if u.unit_id == p.current_unit_id:
                    opts.append(("stay", u.unit_id))
                elif p.movable and is_compatible(p, u):
                    opts.append(("move", u.unit_id))
            elif is_compatible(p, u):
                opts.append(("admit", u.unit_id))
        if p.status == "referral":
            opts.append(("unplaced", None))
        choices.append(opts)
    units = {u.unit_id: u for u in inst.units}
    best: tuple[float, dict[str, tuple[str, str | None]]] | None = None
    for plan in itertools.product(*choices):
        load: Counter[str] = Counter()
        taken: Counter[str] = Counter()
        total, moves = 0.0, 0
        for p, (action, uid) in zip(inst.patients, plan, strict=True):
            if uid is None:
                total += w.unplaced * p.priority
                continue
            u = units[uid]
            load[uid] += 1
            total += (w.km * geodesic((p.home_lat, p.home_lon), (u.lat, u.lon)).km
                      + w.out_of_area * (u.network_id != p.home_network_id)
                      + w.cost * u.cost_per_day)
            if action == "move":
                moves += 1
                taken[uid] += 1
                total += w.move
            elif action == "admit":
                taken[uid] += 1
            elif not is_compatible(p, u):
                total += w.delayed
        if any(load[k] > units[k].open_beds for k in load):
            continue
        if lim.max_moves is not None and moves > lim.max_moves:
            continue
        if lim.max_admissions_per_unit is not None and any(
                v > lim.max_admissions_per_unit for v in taken.values()):
            continue
        if best is None or total < best[0] - 1e-9:
            best = (total, {p.patient_id: a for p, a in zip(inst.patients, plan, strict=True)})
    return best


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_written_optimum_is_the_exhaustive_optimum(path: Path) -> None:
    exp = _expected(path)
    best = brute_force(read_instance(path))
    if exp["status"] == "infeasible":
        assert best is None
        return
    assert best is not None
    assert best[0] == pytest.approx(exp["objective"], abs=0.01)
    assert {k: {"action": a, "unit_id": u} for k, (a, u) in best[1].items()} == \
        exp["assignments"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_solver_finds_the_written_optimum(path: Path) -> None:
    solve = pytest.importorskip("optimiser.core.solve").solve
    exp = _expected(path)
    result = solve(read_instance(path))
    assert result.status == exp["status"]
    if exp["objective"] is None:
        assert result.objective is None and result.diagnosis
        return
    assert result.objective == pytest.approx(exp["objective"], abs=0.01)
    got = {a.patient_id: {"action": a.action, "unit_id": a.unit_id} for a in result.assignments}
    assert got == exp["assignments"]


def test_infeasible_example_exits_3(tmp_path: Path) -> None:
    pytest.importorskip("bedplan.cli.reallocate")
    from bedplan.cli import cli

    res = CliRunner().invoke(cli, ["reallocate", str(ROOT / "examples" / "infeasible"),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 3, res.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert any("LEEDS" in line for line in summary["diagnosis"])


# ------------------------------------------------------------------------ England

@pytest.fixture(scope="module")
def england() -> Instance:
    inst, problems = validate(ENGLAND)
    assert problems == []
    assert inst is not None
    return inst


def test_england_holds_every_shared_unit(england: Instance) -> None:
    assert len(england.units) == 314
    assert len({u.network_id for u in england.units}) == 41  # 43 listed, 2 without units
    extra = dict(england.units[0].extra)
    assert {"site", "beds_imputed", "sex_imputed", "imputation", "source"} <= set(extra)
    imputed = [u for u in england.units if dict(u.extra)["beds_imputed"] == "true"]
    assert len(imputed) == 118
    assert all(dict(u.extra)["imputation"] for u in imputed)


def test_england_is_feasible_as_it_stands(england: Instance) -> None:
    units = {u.unit_id: u for u in england.units}
    load = Counter(p.current_unit_id for p in england.patients if p.status == "inpatient")
    assert all(load[uid] <= units[uid].open_beds for uid in load)
    for p in england.patients:
        if p.status == "inpatient" and not is_compatible(p, units[p.current_unit_id or ""]):
            assert dict(p.extra)["note"].startswith("awaiting step-down"), p.patient_id


def test_england_is_calibrated(england: Instance) -> None:
    units = {u.unit_id: u for u in england.units}
    inpatients = [p for p in england.patients if p.status == "inpatient"]
    referrals = [p for p in england.patients if p.status == "referral"]
    open_beds = sum(u.open_beds for u in england.units)
    assert len(inpatients) / open_beds == pytest.approx(0.9, abs=0.005)
    assert len(referrals) == pytest.approx(0.03 * open_beds, abs=1)
    secure = [p for p in inpatients if p.service == "adult_secure"]
    assert 0.15 <= sum(p.sex == "female" for p in secure) / len(secure) <= 0.25
    national = {"high-secure-national", "nhse-camhs-medium-secure"}
    regional = [p for p in inpatients if units[p.current_unit_id or ""].network_id not in national]
    away = sum(p.home_network_id != units[p.current_unit_id or ""].network_id for p in regional)
    assert 0.06 <= away / len(regional) <= 0.35
    assert 0.05 <= sum(not p.movable for p in inpatients) / len(inpatients) <= 0.15


@pytest.mark.slow
def test_england_rebuilds_byte_identical(tmp_path: Path) -> None:
    script = ROOT.parent / "scripts" / "build_england.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("units.csv", "patients.csv", "networks.csv", "policy.toml", "README.md"):
        assert (tmp_path / name).read_bytes() == (ENGLAND / name).read_bytes(), name


def test_england_imputations_follow_the_documented_rules(england: Instance) -> None:
    u = {x.unit_id: x for x in england.units}

    def site_beds(prefix: str) -> int:
        return sum(x.beds for k, x in u.items() if k.startswith(prefix))

    assert site_beds("bsmhft-tamarind-") == 89                 # "89 beds over 7 wards"
    assert site_beds("hs-ashworth-") == 210                    # facts: 210 over 13 wards
    assert sum(x.beds for k, x in u.items()
               if k.startswith("awp-fromeside-")) == 80        # 80 over 8, Cary's 8 stated
    assert u["nsft-hellesdon-whitlingham"].beds == 16          # 82 − 66 stated
    assert u["bwc-parkview-heathlands"].beds == 14             # 34 − 12 − 8
    assert u["ely-wellesley-quantock"].beds == 30              # 60 medium over 2 wards
    assert u["ely-wellesley-mendip"].beds == 5                 # 15 low over 3 wards
    assert u["gmmh-edenfield"].beds == 11 * 14                 # site row: 11 wards named
    assert u["awp-wickham"].beds == 2 * 14                     # site row: 2 wards assumed
    assert u["slam-rh-brook"].beds == 14                       # typical medium ward
    assert dict(u["slam-rh-brook"].extra)["beds_imputed"] == "true"
    assert dict(u["hs-broadmoor"].extra)["beds_imputed"] == "false"
    closed = u["ely-sabp-emeraldplace"]
    assert closed.beds_closed == closed.beds == 12


def test_england_sex_ages_and_pathways_come_from_the_names(england: Instance) -> None:
    u = {x.unit_id: x for x in england.units}
    assert u["hs-rampton-ld"].sex == "male" and u["hs-rampton-ld"].specialisms == {"ld"}
    assert u["hs-rampton-deaf"].specialisms == {"deaf"}
    assert u["gmmh-edenfield"].sex == "mixed"                  # site of men's and women's wards
    assert u["lscft-guild-whinfell"].sex == "male"             # secure ward, sex not stated
    assert u["lscft-guild-whinfell"].specialisms == {"abi"}
    assert u["awp-fromeside-teign"].sex == "male"              # site text "7 male and 1 female"
    assert u["cntw-ferndene-medium"].sex == "mixed"            # CAMHS, sex not stated
    assert u["nhc-arnold-coniston"].specialisms == {"wemss"}
    assert u["ely-spinney-lever"].specialisms == {"asd", "ld"}
    assert u["bwc-parkview-irwin"].specialisms == {"ed"}
    assert (u["lscft-cove"].min_age, u["lscft-cove"].max_age) == (13, 17)
    assert (u["alderhey-sunflower"].min_age, u["alderhey-sunflower"].max_age) == (5, 13)
    assert (u["em-derby-1825"].min_age, u["em-derby-1825"].max_age) == (18, 25)
    assert u["priory-kempleview-arkwright"].min_age == 50
    assert (u["hs-broadmoor"].age_min, u["hs-broadmoor"].age_max) == (None, None)
    assert u["hs-broadmoor"].cost_per_day == 822.0
    assert u["slam-rh-brook"].cost_per_day == 452.0
