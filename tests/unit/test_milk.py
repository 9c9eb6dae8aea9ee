"""popsim.params.milk: ionisation limits, monotonicity of the phase model, milk intake, infant dose, errors."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popsim.drugs.library import load
from popsim.params import milk

FU = st.floats(1e-3, 1.0)
KINDS = st.sampled_from([("neutral", None), ("base", 3.4), ("base", 6.2), ("base", 9.0), ("acid", 4.0),
                         ("acid", 7.0)])


def test_ionisation_neutral_is_one():
    assert milk.ionisation_ratio("neutral", None) == 1.0
    assert milk.ionisation_ratio("base", None) == 1.0  # a base without a pKa is taken as unionised


def test_ionisation_base_and_acid():
    # base pKa 9: (1 + 10^(9 - 7.2)) / (1 + 10^(9 - 7.4)), trapped in the more acidic milk
    base = milk.ionisation_ratio("base", 9.0)
    assert base == pytest.approx((1 + 10 ** 1.8) / (1 + 10 ** 1.6), rel=1e-12)
    assert base > 1.0
    # acid pKa 4: (1 + 10^(7.2 - 4)) / (1 + 10^(7.4 - 4)) < 1
    acid = milk.ionisation_ratio("acid", 4.0)
    assert acid == pytest.approx((1 + 10 ** 3.2) / (1 + 10 ** 3.4), rel=1e-12)
    assert acid < 1.0
    # fully ionised limits: 10^(+-0.2); an almost unionised base (diazepam pKa 3.4) ~1
    assert milk.ionisation_ratio("base", 14.0) == pytest.approx(10 ** 0.2, rel=1e-6)
    assert milk.ionisation_ratio("acid", 0.0) == pytest.approx(10 ** -0.2, rel=1e-6)
    assert milk.ionisation_ratio("base", 3.4) == pytest.approx(1.0, abs=1e-3)


def test_skim_unbound_fraction_limits():
    assert milk.skim_unbound_fraction(1.0) == 1.0
    r = milk.CONSTANTS["skim_binding"].value
    assert milk.skim_unbound_fraction(0.5) == pytest.approx(1 / (1 + r))
    assert milk.skim_unbound_fraction(0.013) > 0.013  # milk binds less than plasma


@settings(max_examples=200, deadline=None)
@given(fu1=FU, fu2=FU, kind=KINDS, logp=st.floats(-1.0, 6.0))
def test_higher_plasma_fu_never_lowers_mp(fu1, fu2, kind, logp):
    lo, hi = sorted((fu1, fu2))
    assert milk.phase_model(hi, *kind, logp) >= milk.phase_model(lo, *kind, logp) * (1 - 1e-12)


@settings(max_examples=200, deadline=None)
@given(fat1=st.floats(0.0, 0.2), fat2=st.floats(0.0, 0.2), fu=st.floats(0.01, 1.0), logd=st.floats(3.0, 6.0),
       kind=KINDS)
def test_more_fat_never_lowers_mp_of_lipophilic_drug(fat1, fat2, fu, logd, kind):
    # lipophilic at milk pH: log D(7.2) = log P + log10(unionised fraction) >= 3 (an acid of pKa 4 with
    # log P 3 is not: its neutral form, 1/1600 of it, cannot make up for the water the lipid displaces)
    logp = logd - math.log10(milk.unionised_fraction(*kind, 7.2))
    lo, hi = sorted((fat1, fat2))
    assert milk.phase_model(fu, *kind, logp, fat=hi) >= milk.phase_model(fu, *kind, logp, fat=lo) * (1 - 1e-12)


def test_more_fat_lowers_mp_of_hydrophilic_drug():
    # the monotonicity above is a property of lipophilic drugs: a drug with log P 0 (oil:water 0.045)
    # is diluted by milk lipid
    assert milk.phase_model(0.5, "neutral", None, 0.0, fat=0.08) < milk.phase_model(0.5, "neutral", None, 0.0, fat=0.02)


def test_individual_fu_under_jit_and_vmap():
    drug = load("diazepam")
    fus = [0.008, 0.0134, 0.027]
    got = jax.jit(jax.vmap(lambda fu: milk.milk_plasma_ratio(drug, fu)))(jnp.asarray(fus))
    want = [float(milk.milk_plasma_ratio(drug, f, xp=np)) for f in fus]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5)
    assert float(milk.milk_plasma_ratio(drug)) == pytest.approx(want[1], rel=1e-12)
    got = jax.vmap(lambda fu: milk.milk_plasma_ratio(drug, fu, method="regression"))(jnp.asarray(fus))
    want = [float(milk.milk_plasma_ratio(drug, f, method="regression", xp=np)) for f in fus]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5)


def test_unknown_method():
    with pytest.raises(ValueError) as err:
        milk.milk_plasma_ratio(load("diazepam"), method="predicetd")
    msg = str(err.value)
    assert "method='predicetd'" in msg and "['predicted', 'regression', 'measured']" in msg
    assert "did you mean 'predicted'?" in msg


def test_measured_missing_names_the_drugs_with_one():
    with pytest.raises(ValueError) as err:
        milk.milk_plasma_ratio(load("lorazepam"), method="measured")
    msg = str(err.value)
    assert "drug='lorazepam'" in msg and "did you mean 'clonazepam'?" in msg
    assert all(repr(name) in msg for name in ("diazepam", "nordiazepam", "temazepam", "oxazepam", "zolpidem",
                                              "clonazepam"))


def test_measured_value_and_fu_refused():
    assert float(milk.milk_plasma_ratio(load("diazepam"), method="measured")) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="fu=0.02; allowed: None with method='measured'"):
        milk.milk_plasma_ratio(load("diazepam"), fu=0.02, method="measured")


def test_unknown_kind():
    with pytest.raises(ValueError, match="kind='bas'.*did you mean 'base'"):
        milk.ionisation_ratio("bas", 9.0)


def test_milk_intake_by_age():
    wpm = 365.25 / 7 / 12
    ages = np.array([0.0, 0.5 * wpm, 2 * wpm, 4.5 * wpm, 9 * wpm, 12 * wpm])
    got = np.asarray(milk.milk_intake_l_kg_day(jnp.asarray(ages)))
    np.testing.assert_allclose(got, [0.15, 0.150, 0.140, 0.110, 0.083, 0.083], rtol=1e-6)
    # between band mid-ages: linear, e.g. halfway between 2 and 4.5 months
    assert float(milk.milk_intake_l_kg_day(3.25 * wpm)) == pytest.approx(0.125, rel=1e-6)
    assert np.all(np.diff(np.asarray(milk.milk_intake_l_kg_day(jnp.linspace(0.0, 52.0, 200)))) <= 0)
    assert np.isnan(np.asarray(milk.milk_intake_l_kg_day(jnp.asarray([-0.1, 12 * wpm + 0.1])))).all()


def test_infant_dose_and_rid():
    # 0.047 mg/L at 0.15 L/kg/day -> 0.00705 mg/kg/day; mother 5 mg/day, 60 kg -> 8.46 %
    aid = float(milk.infant_daily_dose_mg_kg(0.047, 1.0))
    assert aid == pytest.approx(0.047 * 0.15, rel=1e-6)
    assert milk.relative_infant_dose(aid, 5.0, 60.0) == pytest.approx(100 * 0.00705 / (5.0 / 60.0), rel=1e-6)
    assert math.isclose(milk.relative_infant_dose(0.1, 70.0, 70.0), 10.0)
