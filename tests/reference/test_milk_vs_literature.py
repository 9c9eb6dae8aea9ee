"""Milk transfer against published data (literature.md) and the published equations evaluated in numpy.

The checks were fixed before the predictions were computed: the phase-distribution model against the
in vivo M/P of F12 (Dusci 1990, V) within 2-fold (the accuracy the same model class reached in Simcyp, L65),
against the database ranges of L76 and L79/L80 (V2) within 2-fold of their ends, and below 1 for the drugs of
the Japanese cohort (F23, V).  The Fleishaker drugs (L60) are the fit rows of the skim-milk binding ratio, not
checks; clonazepam's M/P (M) is reported only.  The L59 regression (M) misses the same checks: strict xfails
with the numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from popsim.drugs.library import load
from popsim.params import milk, tissues

# literature.md L60: serum fu, skim-milk fu, skim/whole-milk ratio
L60 = {"diazepam": (0.013, 0.334, 0.220), "phenytoin": (0.142, 0.584, 0.727), "propranolol": (0.107, 0.699, 0.610)}
F12 = {"diazepam": 0.20, "nordiazepam": 0.13, "temazepam": 0.14, "oxazepam": 0.10}  # Dusci 1990, V
V2_RANGES = {"zolpidem": (0.1, 0.2), "oxazepam": (0.1, 0.3)}  # L76; L79/L80
F23 = ("alprazolam", "clonazepam", "lorazepam")  # M/P < 1 (Nishimura 2021, V)
BAND = 2.0


def _refit_r():
    def loss(s):
        return sum((math.log(1 / (1 + math.exp(s) * (1 / fp - 1))) - math.log(fs)) ** 2 for fp, fs, _ in L60.values())

    return math.exp(minimize_scalar(loss, bounds=(-10.0, 0.0), method="bounded", options={"xatol": 1e-10}).x)


def _reference_mp(name, fu=None, fat=0.04):
    """Atkinson & Begg's phase-distribution model written out (L58): pH partition 7.2/7.4, skim binding,
    lipid partition of the unionised drug by Poulin & Theil's oil:water relation (P53)."""
    d = load(name)
    fu = d.fu.value if fu is None else fu
    kind = d.acid_base.value if d.acid_base is not None else "neutral"
    if kind == "neutral" or d.pka is None:
        un_p = un_m = 1.0
    else:
        s = 1.0 if kind == "base" else -1.0
        un_p, un_m = (1 / (1 + 10 ** (s * (d.pka.value - ph))) for ph in (7.4, 7.2))
    fu_skim = 1 / (1 + _refit_r() * (1 / fu - 1))
    k = 10 ** (1.115 * tissues.model_lipophilicity(d) - 1.35)
    return (un_p / un_m) * fu * ((1 - fat) / fu_skim + fat * k * un_m)


def test_fleishaker_data_as_in_literature():
    assert milk.FLEISHAKER.value == L60


def test_skim_binding_is_the_least_squares_fit():
    r = _refit_r()
    assert milk.CONSTANTS["skim_binding"].value == pytest.approx(r, rel=2e-4)
    folds = [milk.skim_unbound_fraction(fp) / fs for fp, fs, _ in L60.values()]
    np.testing.assert_allclose(folds, [0.89, 1.44, 1.13], atol=0.006)  # as in the module docstring
    lo, hi = milk.CONSTANTS["skim_binding"].range
    per_drug = [(1 / fs - 1) / (1 / fp - 1) for fp, fs, _ in L60.values()]
    assert (lo, hi) == pytest.approx((min(per_drug), max(per_drug)), abs=6e-4)


@pytest.mark.parametrize("name", ["diazepam", "oxazepam", "alprazolam", "midazolam", "clonazepam"])
@pytest.mark.parametrize("fu_scale", [0.5, 1.0, 2.0])
def test_phase_model_equals_written_out_equation(name, fu_scale):
    fu = load(name).fu.value * fu_scale
    assert float(milk.milk_plasma_ratio(load(name), fu, xp=np)) == pytest.approx(_reference_mp(name, fu), rel=1e-3)


def test_diazepam_whole_to_skim():
    # whole/skim = (1 - fat) + fat K f_n fu_skim; Fleishaker measured 1/0.220 = 4.55 (L60). Reported: the
    # model's 3.41 (measured skim fu) is 1.33-fold low (module docstring); here the model's own ratio
    d = load("diazepam")
    whole = milk.phase_model(0.013, "base", d.pka.value, tissues.model_lipophilicity(d))
    skim = milk.phase_model(0.013, "base", d.pka.value, tissues.model_lipophilicity(d), fat=0.0)
    k = 10 ** (1.115 * tissues.model_lipophilicity(d) - 1.35)
    fu_skim = 1 / (1 + _refit_r() * (1 / 0.013 - 1))
    assert whole / skim == pytest.approx(0.96 + 0.04 * k * fu_skim, rel=1e-3)
    assert 0.96 + 0.04 * k * 0.334 == pytest.approx(3.41, abs=0.005)
    assert 0.96 + 0.04 * 10 ** tissues.model_lipophilicity(d) * 0.334 == pytest.approx(24.2, abs=0.05)


@pytest.mark.parametrize("name", sorted(F12))
def test_phase_model_vs_dusci(name):
    assert milk.MEASURED[name].value == F12[name]
    pred = float(milk.milk_plasma_ratio(load(name), xp=np))
    assert 1 / BAND <= pred / F12[name] <= BAND, f"{name}: predicted {pred:.3f} vs {F12[name]}"


@pytest.mark.parametrize("name", sorted(V2_RANGES))
def test_phase_model_vs_database_ranges(name):
    lo, hi = V2_RANGES[name]
    assert milk.MEASURED[name].range == (lo, hi)
    pred = float(milk.milk_plasma_ratio(load(name), xp=np))
    assert lo / BAND <= pred <= hi * BAND, f"{name}: predicted {pred:.3f} vs {lo}-{hi}"


@pytest.mark.parametrize("name", F23)
def test_phase_model_below_one(name):
    assert float(milk.milk_plasma_ratio(load(name), xp=np)) < 1.0


_REGRESSION_MISS = ("Atkinson-Begg regression as recorded in L59 (M, unverified): 4-15-fold above every measurement "
                    "(diazepam 0.99 vs 0.20, nordiazepam 1.37 vs 0.13, temazepam 1.94 vs 0.14, oxazepam 1.23 vs "
                    "0.10-0.30, zolpidem 1.41 vs 0.1-0.2) and above 1 for alprazolam 3.27, clonazepam 5.28, "
                    "lorazepam 2.60 (F23: < 1)")


@pytest.mark.xfail(strict=True, reason=_REGRESSION_MISS)
@pytest.mark.parametrize("name", sorted(F12))
def test_regression_vs_dusci(name):
    pred = float(milk.milk_plasma_ratio(load(name), method="regression", xp=np))
    assert 1 / BAND <= pred / F12[name] <= BAND, f"{name}: regression {pred:.3f} vs {F12[name]}"


@pytest.mark.xfail(strict=True, reason=_REGRESSION_MISS)
@pytest.mark.parametrize("name", sorted(V2_RANGES))
def test_regression_vs_database_ranges(name):
    lo, hi = V2_RANGES[name]
    pred = float(milk.milk_plasma_ratio(load(name), method="regression", xp=np))
    assert lo / BAND <= pred <= hi * BAND, f"{name}: regression {pred:.3f} vs {lo}-{hi}"


@pytest.mark.xfail(strict=True, reason=_REGRESSION_MISS)
@pytest.mark.parametrize("name", F23)
def test_regression_below_one(name):
    assert float(milk.milk_plasma_ratio(load(name), method="regression", xp=np)) < 1.0


def test_regression_equation_written_out():
    # L59, bases: ln M/P = 0.025 + 2.28 ln(M/Pu) + 0.89 ln fu + 0.51 ln K; midazolam (base pKa 6.2)
    d = load("midazolam")
    mpu = (1 + 10 ** (6.2 - 7.2)) / (1 + 10 ** (6.2 - 7.4))
    ln_k = tissues.model_lipophilicity(d) * math.log(10)
    want = math.exp(0.025 + 2.28 * math.log(mpu) + 0.89 * math.log(d.fu.value) + 0.51 * ln_k)
    assert float(milk.milk_plasma_ratio(d, method="regression", xp=np)) == pytest.approx(want, rel=1e-9)
    # acids: ln M/P = -0.405 + 9.36 ln(M/Pu) - 0.69 ln fu - 1.54 ln K
    mpu = (1 + 10 ** (7.2 - 4.0)) / (1 + 10 ** (7.4 - 4.0))
    want = math.exp(-0.405 + 9.36 * math.log(mpu) - 0.69 * math.log(0.1) - 1.54 * 2.0 * math.log(10))
    assert float(milk.regression(0.1, "acid", 4.0, 2.0, xp=np)) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("c_ug_l, aid_ug_kg, rel", [
    (26.0, 4.0, 0.05),        # oxazepam: maximum milk 26 ug/L -> maximum infant dose 4.0 ug/kg/day (L79)
    (26.5, 4.0, 0.05),        # zolpidem: 26.5 ug/L -> ~4 ug/kg/day (L75)
    (12.0 + 35.0, 7.0, 0.05),  # lorazepam: free + conjugated 47 ug/L -> ~7 ug/kg/day (F15)
])
def test_published_infant_doses(c_ug_l, aid_ug_kg, rel):
    # these sources use the newborn intake 0.15 L/kg/day (L71); taken in the first weeks of life
    got = 1000.0 * float(milk.infant_daily_dose_mg_kg(c_ug_l / 1000.0, 2.0))
    assert got == pytest.approx(aid_ug_kg, rel=rel)
