"""Ontogeny functions of :mod:`popsim.params.ontogeny` against the published equations and their tabulated
values (literature.md L39, L40, L44-L46, L31/L32, L73), and the model's properties.

The published equations are written out again here in numpy, from literature.md, not imported.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.drugs.library import load
from popsim.params import gestation, ontogeny
from popsim.params.ontogeny import (TABLE_DRUGS, WEEKS_PER_MONTH, WEEKS_PER_YEAR, enzyme_fraction, gfr_maturation,
                                    infant_parameters, infant_weight_kg, unbound_fraction)

AGES_Y = (0.0, 1 / 12, 0.25, 0.5, 1.0, 2.0)  # L46: 0 / 1 mo / 3 mo / 6 mo / 1 y / 2 y
L46 = {"cyp3a4": (0.11, 0.13, 0.25, 0.48, 0.78, 0.96), "cyp2c19": (0.30, 0.33, 0.58, 0.84, 0.95, 0.97),
       "ugt": (0.11, 0.12, 0.12, 0.13, 0.16, 0.20)}


def _sigmoid(age, fmax, fbirth, a50, h):
    return fbirth + (fmax - fbirth) * age**h / (a50**h + age**h)


PUBLISHED = {  # L44 (Fmax, Fbirth, Age50 y, h) and L45 UGT2B7 c0 + c1 age
    "cyp3a4": lambda a: _sigmoid(a, 1.06, 0.11, 0.64, 1.91),
    "cyp2c19": lambda a: _sigmoid(a, 0.98, 0.30, 0.29, 2.44),
    "ugt": lambda a: 0.113 + 0.0425 * a,
}


@pytest.mark.parametrize("enzyme", sorted(L46))
def test_enzyme_fraction_vs_l46(enzyme):
    """L46 tabulates the curves to two decimals: within 0.005 at each age (and UGT2B7 0.33 at 5 y)."""
    got = [float(enzyme_fraction(enzyme, a, np)) for a in AGES_Y]
    err = np.abs(np.array(got) - L46[enzyme])
    assert err.max() <= 0.005 + 1e-12, f"{enzyme}: {np.round(got, 4)} vs L46 {L46[enzyme]}"
    if enzyme == "ugt":
        assert abs(float(enzyme_fraction("ugt", 5.0, np)) - 0.33) <= 0.005


@pytest.mark.parametrize("enzyme", sorted(PUBLISHED))
def test_enzyme_fraction_vs_equation(enzyme):
    """float64 path and jnp path against the equation with L44/L45's constants, 0-20 y (below the age caps)."""
    ages = np.linspace(0.0, 20.0, 401)
    want = PUBLISHED[enzyme](ages)
    np.testing.assert_allclose(enzyme_fraction(enzyme, ages, np), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(jax.vmap(lambda a: enzyme_fraction(enzyme, a))(jnp.asarray(ages))), want,
                               rtol=2e-6)


def test_other_enzyme_matures_as_cyp3a4_and_unknown_enzyme_fails():
    ages = np.linspace(0.0, 3.0, 31)
    np.testing.assert_allclose(enzyme_fraction("other", ages, np), PUBLISHED["cyp3a4"](ages), rtol=1e-12)
    with pytest.raises(ValueError, match="cyp2d6"):
        enzyme_fraction("cyp2d6", 1.0)


def test_gfr_maturation_vs_l40():
    """L40 (Rhodin 2009 evaluated): 0.14 / 0.28 / 0.355 / 0.43 / 0.57 / 0.75 / 0.90 at PMA 28, 36 ... 92 weeks,
    to the stated decimals; L39: 90 % of adult at 1 y PNA (PMA 92 weeks).  L40's 0.21 at PMA 32 is an
    arithmetic slip in literature.md: L39's equation gives 32^3.4 / (47.7^3.4 + 32^3.4) = 0.2047, so that row is
    checked against the equation only."""
    pma = np.array([28, 36, 40, 44, 52, 66, 92.0])
    want = np.array([0.14, 0.28, 0.355, 0.43, 0.57, 0.75, 0.90])
    got = gfr_maturation(pma, np)
    assert np.abs(got - want).max() <= 0.005, f"{np.round(got, 4)} vs L40 {want}"
    pma = np.array([28, 32, 36, 40, 44, 52, 66, 92.0])
    got = gfr_maturation(pma, np)
    np.testing.assert_allclose(got, pma**3.40 / (47.7**3.40 + pma**3.40), rtol=1e-12)
    assert 0.895 <= float(gfr_maturation(40.0 + WEEKS_PER_YEAR, np)) <= 0.905


def test_infant_weight_at_birth_and_band_midpoints():
    """3.44 kg at birth (L16), the L73 band means at the band midpoints (0.5, 2, 4.5, 9 months), increasing."""
    mids = np.array([0.5, 2.0, 4.5, 9.0]) * WEEKS_PER_MONTH
    np.testing.assert_allclose(infant_weight_kg(mids, np), [4.3, 5.2, 6.7, 7.7], rtol=1e-12)
    assert abs(float(infant_weight_kg(0.0, np)) - 3.44) < 0.005  # Kapraun at 40 weeks, L16 rounds to 3.44
    assert np.all(np.diff(infant_weight_kg(np.linspace(0, 39, 100), np)) > 0)


def test_unbound_fraction_newborn_and_return():
    """AAG: L32's worked example, an AAG-bound base with fu 0.15 -> 0.32 at term (R = 0.38, L31).  Albumin: R =
    1.163 (L31) x 0.78 (the mother's term albumin relative to the adult, P111).  Adult fu from 1 year on."""
    base = dataclasses.replace(load("methadone"), fu=dataclasses.replace(load("methadone").fu, value=0.15))
    assert abs(float(unbound_fraction(base, 0.0, np)) - 0.32) <= 0.005
    dz = load("diazepam")
    fu = dz.fu.value
    term = float(gestation.maternal(40.0, 0.0, xp=np)["albumin"])  # 1 - 10.1/45.9 (P111)
    assert abs(term - 0.78) < 1e-3
    assert math.isclose(float(unbound_fraction(dz, 0.0, np)), 1 / (1 + 1.163 * term * (1 - fu) / fu), rel_tol=1e-12)
    half = 1.163 * term + (1 - 1.163 * term) * 0.5
    assert math.isclose(float(unbound_fraction(dz, 0.5, np)), 1 / (1 + half * (1 - fu) / fu), rel_tol=1e-12)
    for age in (1.0, 5.0):
        assert math.isclose(float(unbound_fraction(dz, age, np)), fu, rel_tol=1e-12)


def _well_stirred_newborn(name, weight):
    """The model written out by hand at PNA 0, GA 40 (module docstring), for one drug."""
    d = load(name)
    s = (weight / 70.0) ** 0.75
    qh = 90.0 * s
    fub = float(unbound_fraction(d, 0.0, np)) / d.bp.value
    clhb_ref = (1 - d.fe.value) * d.cl.value / d.bp.value
    clint_ref = 90.0 * clhb_ref / (d.fu.value / d.bp.value * (90.0 - clhb_ref))
    birth = {"cyp3a4": 0.11, "cyp2c19": 0.30, "ugt": 0.113, "other": 0.11}
    clint = sum(p.value * birth[e] for e, p in d.pathways.items()) * clint_ref * s
    clhb = qh * fub * clint / (qh + fub * clint)
    gfr = 40**3.4 / (47.7**3.4 + 40**3.4)
    return d.bp.value * clhb + d.fe.value * d.cl.value * s * gfr


@pytest.mark.parametrize("name", TABLE_DRUGS + ("naloxone",))
def test_newborn_clearance_by_hand(name):
    w = 3.44
    got = float(infant_parameters(load(name), 0.0, 40.0, w, xp=np)["CL"])
    assert math.isclose(got, _well_stirred_newborn(name, w), rel_tol=1e-10)


@pytest.mark.parametrize("name", TABLE_DRUGS + ("naloxone",))
def test_adult_limit_recovers_library(name):
    """At 35 y and 70 kg the model is the library adult up to the curves' adult plateaus (CYP3A4 1.06, CYP2C19
    0.98, UGT2B7 1.005 at its 21-y cap): CL within 6 %, V exactly the entry's Vss."""
    d = load(name)
    p = infant_parameters(d, 35 * WEEKS_PER_YEAR, 40.0, 70.0, xp=np)
    assert abs(p["CL"] / d.cl.value - 1) <= 0.06, f"{name}: CL {p['CL']:.4g} vs library {d.cl.value:.4g} L/h"
    assert math.isclose(p["V"], d.vss.value, rel_tol=1e-12)


def test_oral_only_where_the_entry_has_an_oral_route():
    assert {"F", "KA"} <= set(infant_parameters(load("nordiazepam"), 4.0, 40.0, 4.5))
    # without an oral route: the hepatic availability as F (a metabolite swallowed in milk), no KA
    p = infant_parameters(load("naloxone"), 4.0, 40.0, 4.5)
    assert "KA" not in p and 0 < float(p["F"]) < 1


def test_vmap_jit_matches_float64_path():
    d = load("diazepam")
    ages = jnp.linspace(0.0, 52.0, 9)
    got = jax.jit(jax.vmap(lambda a: infant_parameters(d, a, 38.0, infant_weight_kg(a), 0.1, -0.1)))(ages)
    for i, a in enumerate(np.asarray(ages)):
        want = infant_parameters(d, float(a), 38.0, float(infant_weight_kg(float(a), np)), 0.1, -0.1, xp=np)
        for k in want:
            assert math.isclose(float(got[k][i]), float(want[k]), rel_tol=2e-5), (k, float(a))


CYP3A4_DRUGS = [n for n in TABLE_DRUGS if load(n).pathways.get("cyp3a4") and load(n).pathways["cyp3a4"].value >= 0.5]


def _cl_per_kg(d, age_weeks):
    w = float(infant_weight_kg(age_weeks, np))
    return float(infant_parameters(d, age_weeks, 40.0, w, xp=np)["CL"]) / w


@pytest.mark.parametrize("name", CYP3A4_DRUGS)
def test_one_month_older_never_lower_clearance_per_kg(name):
    """Drugs cleared mainly by CYP3A4: an infant one month older (on the model's weight curve) has a higher
    weight-normalised clearance, at every start age of the first year (quarter-week grid)."""
    d = load(name)
    starts = np.arange(0.0, WEEKS_PER_YEAR - WEEKS_PER_MONTH, 0.25)
    ratios = np.array([_cl_per_kg(d, a + WEEKS_PER_MONTH) / _cl_per_kg(d, a) for a in starts])
    assert ratios.min() > 1.0, f"{name}: CL/kg at +1 month / CL/kg {ratios.min():.4f} at {starts[ratios.argmin()]} wk"


@pytest.mark.xfail(strict=True, reason="in the first 0.5-2 weeks weight-normalised CL falls: nordiazepam -3.0 % "
                   "(to 2 weeks), midazolam -2.1 % (0.1072 -> 0.1050 L/h/kg at 1.5 weeks), clonazepam, triazolam, "
                   "zolpidem, chlordiazepoxide -1.8 % (1.25 weeks), alprazolam -0.13 % (0.5 weeks): the weight "
                   "curve climbs from 3.44 kg at birth to L73's first band mean 4.3 kg at 2.2 weeks, so "
                   "(W/70)^0.75 / W falls 5 %, while L44's CYP3A4 curve (h 1.91) is still flat "
                   "and the binding proteins return towards the adult (fu falls)")
def test_clearance_per_kg_monotone_weekly_from_birth():
    """The brief's property on a quarter-week grid from birth: never lower CL/kg at an older age (first year)."""
    ages = np.arange(0.0, WEEKS_PER_YEAR, 0.25)
    for name in CYP3A4_DRUGS:
        c = np.array([_cl_per_kg(load(name), a) for a in ages])
        assert np.all(np.diff(c) >= 0), f"{name}: CL/kg falls by {-np.diff(c).min():.3g} at {ages[np.diff(c).argmin()]}"


@pytest.mark.parametrize("name", TABLE_DRUGS)
def test_lower_clearance_longer_half_life(name):
    """Newborn: the random effect on intrinsic clearance lowers CL and lengthens ln2 V / CL, V unchanged."""
    d = load(name)
    p = [infant_parameters(d, 0.0, 40.0, 3.44, eta_cl=e, xp=np) for e in (0.3, 0.0, -0.3)]
    cl = [float(q["CL"]) for q in p]
    t12 = [math.log(2) * float(q["V"]) / float(q["CL"]) for q in p]
    assert cl[0] > cl[1] > cl[2] and t12[0] < t12[1] < t12[2], (cl, t12)


def test_docstring_table_is_current():
    """The module docstring's table is what :func:`popsim.params.ontogeny.table` computes now."""
    assert ontogeny.table() in ontogeny.__doc__
