"""Properties of tapers under the dependence model (issue 15), through the planner's simulation, in users of
10 years (adaptation at its plateau): abrupt is never safer than gradual; a slower taper (same cuts, longer
intervals) never raises the risk at equal total time; longer prior use never lowers it; symptom-guided holds
never raise it; and the planner's choice keeps its caps when re-simulated with other subjects.  (With
adaptation still building, after 1 year, a slower taper can raise the peak: the strict xfail in
tests/property/test_risk_properties.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from popsim.planner import abrupt, candidates, plan_taper, simulate_tapers
from popsim.pd.parameters import check_values
import popsim.taper as tp

DRUG, MG, HOURS, N = "alprazolam", 3.0, (8.0, 14.0, 20.0), 64
SPECS = [abrupt(DRUG, MG, HOURS)] + [tp.TaperSpec(DRUG, MG, HOURS, "percent_start", 25.0, d) for d in (7, 14)]


def _run(years: float, hold: float = 0.0, specs=SPECS, seed: int = 0, n: int = N):
    values = check_values({"prior_use_days": 365.25 * years})
    return simulate_tapers(specs, "adult", seed=seed, n_subjects=n, values=values, hold_severity=hold)


@pytest.fixture(scope="module")
def users():
    return _run(10.0)


def test_abrupt_is_never_safer_than_gradual(users):
    r = users
    for k in (1, 2):
        assert r["withdrawal_clinical"][0].mean() >= r["withdrawal_clinical"][k].mean()
        assert r["success"][0].mean() <= r["success"][k].mean()
        assert r["p_seizure"][0].mean() >= r["p_seizure"][k].mean()
        # per subject: the abrupt peak severity is the largest (the same person, the same dose until the stop)
        assert (r["withdrawal_severity_peak"][0] >= r["withdrawal_severity_peak"][k] * (1 - 1e-6)).all()


def test_a_slower_taper_never_raises_the_risk(users):
    # the same 25%-of-start cuts every 7 vs every 14 days; both followed to the same end of the horizon
    fast, slow = users["withdrawal_clinical"][1], users["withdrawal_clinical"][2]
    assert slow.mean() <= fast.mean()
    peak = users["withdrawal_severity_peak"]
    assert (peak[2] <= peak[1] * (1 + 1e-6)).all()


def test_longer_prior_use_never_lowers_the_risk(users):
    short = _run(0.25)
    for k in range(len(SPECS)):
        assert (users["withdrawal_severity_peak"][k] >= short["withdrawal_severity_peak"][k] * (1 - 1e-6)).all()
        assert users["withdrawal_clinical"][k].mean() >= short["withdrawal_clinical"][k].mean()


def test_holds_never_raise_the_risk():
    # cuts every 2 days, so that a decision can meet the symptoms of the cut before it (with the fitted fast
    # recovery, symptoms of a cut are gone a week later, and weekly schedules never hold)
    fast = [tp.TaperSpec(DRUG, MG, HOURS, "percent_start", 25.0, 2)]
    free, held = _run(10.0, specs=fast), _run(10.0, hold=0.5, specs=fast)
    assert held["holds"][0].sum() > 0  # the rule acts in this cohort
    assert held["withdrawal_clinical"][0].mean() <= free["withdrawal_clinical"][0].mean()
    assert held["success"][0].mean() >= free["success"][0].mean()
    # a held subject is drug-free later by whole intervals
    np.testing.assert_allclose(held["drug_free_day"][0] - free["drug_free_day"][0], held["holds"][0] * 2)


def test_the_planner_keeps_its_caps_on_other_subjects():
    cap = 0.3
    specs = candidates(DRUG, MG, HOURS, steps=(25, 50), intervals=(7, 14))  # direct ones miss the cap: via diazepam
    pt = plan_taper(DRUG, MG, HOURS, specs=specs, n_subjects=200, seed=0, cap_clinical=cap, cap_seizure=0.05,
                    references=())
    assert pt.spec is not None
    chosen = pt.table[pt.table["chosen"]].iloc[0]
    assert chosen["p_withdrawal_clinical"] <= cap
    # no feasible candidate is faster
    feasible = pt.table[pt.table["feasible"]]
    assert chosen["drug_free_day_p50"] == feasible["drug_free_day_p50"].min()
    # an independent re-simulation: other subjects (seed 1), twice as many
    again = _run(2.0, specs=[pt.spec], seed=1, n=400)  # plan_taper's default prior use: 2 years
    p = again["withdrawal_clinical"][0].mean()
    assert p <= cap + 3 * np.sqrt(cap * (1 - cap) / 400)  # the cap up to three Monte Carlo standard errors
