"""Pregnancy physiology against the published curves (popsim.params.gestation).

References, all independent of popsim's code: Kapraun 2019's equations (literature.md L1-L14) typed in
below and evaluated in numpy float64, the values Kapraun's curves give at 0/13/26/40 weeks (L16),
Whittaker & Lind 1993's albumin (P111), McGready 2003's CYP2C19 (L24), McNamara & Alcorn's fetal
binding (L31) and its worked examples (L32), and scipy's uniform distribution for the sampled weeks.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from popsim.cohort import sample_subject
from popsim.cohort.presets import preset
from popsim.keys import root_key, stream_key
from popsim.params import gestation
from popsim.params.physiology import physiology

WEEKS = np.linspace(0.0, 42.0, 85)
FACTORS = ("plasma", "rbc", "cardiac_output", "hepatic_flow", "adipose_flow", "gfr", "albumin", "aag", "cyp3a4",
           "cyp2c19", "ugt")


# ---- Kapraun 2019 as published (literature.md L1-L14) -------------------------------------------------------

def bw(ga):  # L1, kg
    return 61.103 - 0.010614 * ga + 0.029161 * ga ** 2 - 5.0203e-4 * ga ** 3


def adipose(ga):  # L2, kg
    return 17.067 + 0.14937 * ga


def hct(ga):  # L3, fraction
    return (39.192 - 0.10562 * ga - 7.1045e-4 * ga ** 2) / 100


def plasma(ga):  # L4, L
    return 1.2406 / (1 + np.exp(-0.31338 * (ga - 17.813))) + 2.4958


def rbc(ga):  # L5, L
    return hct(ga) / (1 - hct(ga)) * plasma(ga)


def qc(ga):  # L6, L/h
    return 301.78 + 3.2512 * ga + 0.15947 * ga ** 2 - 0.0047059 * ga ** 3


def share(ga, at0, at40):  # L8, % of cardiac output, linear from GA 0 to 40
    return at0 + (at40 - at0) * ga / 40


def gfr(ga):  # L9, mL/min
    return 113.73 + 3.5784 * ga - 0.067272 * ga ** 2


def placenta_l(ga):  # L10
    return (-1.7646 * ga + 0.91775 * ga ** 2 - 0.011543 * ga ** 3) / 1000


def amniotic_l(ga):  # L11
    return 822.34 / (1 + np.exp(-0.26988 * (ga - 20.150))) / 1000


def fetal_kg(ga):  # L12
    return 0.0018282 * np.exp((1.1735 / 0.077577) * (1 - np.exp(-0.077577 * ga))) / 1000


def fetal_hct(ga):  # L13, fraction
    return (4.5061 * ga - 0.18487 * ga ** 2 + 0.0026766 * ga ** 3) / 100


def umbilical_ml_min(ga):  # L14, blood
    return 262.20 / (1 + np.exp(-0.22183 * (ga - 28.784)))


def _maternal(ga, pp=0.0):
    return {k: np.asarray(v, float) for k, v in gestation.maternal(np.asarray(ga, float), np.asarray(pp, float),
                                                                    xp=np).items()}


# ---- the mother ---------------------------------------------------------------------------------------------


def test_maternal_curves_are_kapraun():
    m = _maternal(WEEKS)
    want = {
        "plasma": plasma(WEEKS) / plasma(0.0),
        "rbc": rbc(WEEKS) / rbc(0.0),
        "cardiac_output": qc(WEEKS) / qc(0.0),
        "hepatic_flow": share(WEEKS, 27, 20) * qc(WEEKS) / (27 * qc(0.0)),
        "adipose_flow": share(WEEKS, 8.5, 7.8) * qc(WEEKS) / (8.5 * qc(0.0)),
        "gfr": gfr(WEEKS) / gfr(0.0),
        "weight_gain_kg": bw(WEEKS) - bw(0.0),
        "fat_gain_kg": adipose(WEEKS) - adipose(0.0),
    }
    for k, v in want.items():
        np.testing.assert_allclose(m[k], v, rtol=1e-12, atol=1e-12, err_msg=k)


def test_kapraun_values_l16():
    # L16 (arithmetic on L1-L14, rounded as printed): at 40 weeks Vplasma 3.74 L (+49 %), Hct 33.8 %, BW 75.2 kg,
    # Qc 386 L/h, GFR 149 mL/min; Qc 361/411 and GFR 149/161 at 13/26 weeks; peaks: Qc 416 L/h (+38 %) near
    # 30 weeks, GFR +42 % at 26.6 weeks.
    m = _maternal(np.array([13.0, 26.0, 40.0]))
    assert 2.4958 + 1.2406 / (1 + np.exp(0.31338 * 17.813)) == pytest.approx(2.50, abs=0.005)
    assert plasma(0.0) * m["plasma"][2] == pytest.approx(3.74, abs=0.005)
    assert m["plasma"][2] == pytest.approx(1.49, abs=0.005)
    assert m["rbc"][2] == pytest.approx(0.338 / 0.662 * 3.74 / (0.392 / 0.608 * 2.50), rel=1e-2)  # L5 on rounded L16
    assert 61.103 + m["weight_gain_kg"][2] == pytest.approx(75.2, abs=0.05)
    np.testing.assert_allclose(qc(0.0) * m["cardiac_output"], [361, 411, 386], atol=0.5)
    np.testing.assert_allclose(gfr(0.0) * m["gfr"], [149, 161, 149], atol=0.5)
    fine = np.linspace(0.0, 41.0, 4101)
    f = _maternal(fine)
    assert qc(0.0) * f["cardiac_output"].max() == pytest.approx(416, abs=0.5)
    assert f["cardiac_output"].max() == pytest.approx(1.38, abs=0.005)
    assert fine[f["cardiac_output"].argmax()] == pytest.approx(30, abs=1.0)
    assert f["gfr"].max() == pytest.approx(1.42, abs=0.005)
    assert fine[f["gfr"].argmax()] == pytest.approx(26.6, abs=0.05)


def test_albumin_is_whittaker_and_lind_p111():
    # -1.9 g/L by 7 weeks, a further -8.2 g/L by 36 weeks, -22 % overall; linear between, held after 36.
    m = _maternal(np.array([3.5, 7.0, 21.5, 36.0, 40.0]))
    base = (1.9 + 8.2) / 0.22
    np.testing.assert_allclose(m["albumin"], 1 - np.array([0.95, 1.9, 1.9 + 4.1, 10.1, 10.1]) / base, rtol=2e-4)
    assert m["albumin"][3] == pytest.approx(0.78, abs=5e-4)


def test_enzymes_and_aag():
    m = _maternal(np.array([7.0, 14.0, 18.0, 36.0, 40.0]))
    # CYP3A4: B42's 1.6 (hepatic, oral midazolam) reached by Tracy 2005's first visit at 14-18 weeks (L22)
    np.testing.assert_allclose(m["cyp3a4"], [1.3, 1.6, 1.6, 1.6, 1.6], rtol=1e-12)
    # CYP2C19 at > 36 weeks: 1/1.73 of postpartum activity (McGready 2003, L23/L24)
    np.testing.assert_allclose(m["cyp2c19"][3:], 1 / 1.73, rtol=0.01)
    np.testing.assert_allclose(m["cyp2c19"][0], 1 - (1 - 0.58) * 7 / 36, rtol=1e-12)
    # UGT: the assumption 1.5 at 36 weeks, inside the range from UGT2B7 (no change) to UGT1A4 +300 % (L25)
    assert 1.0 < m["ugt"][3] <= 4.0 and m["ugt"][3] == m["ugt"][4]
    np.testing.assert_array_equal(m["aag"], 1.0)  # no data: no change


@pytest.mark.parametrize("x64_on", [False, True])
def test_not_pregnant_is_exactly_one(x64_on):
    # Bitwise 1 (and 0 kg) at GA 0, in JAX float32 and float64 and in numpy, eager and under jit, so a
    # non-pregnant subject's physiology is unchanged to the last bit.
    with jax.enable_x64(x64_on):
        zero = jnp.zeros(3)
        for m in (gestation.maternal(zero, zero), jax.jit(gestation.maternal)(zero, zero),
                  gestation.maternal(np.zeros(3), np.zeros(3), xp=np)):
            for k in FACTORS:
                assert np.all(np.asarray(m[k]) == 1.0), k
            assert np.all(np.asarray(m["weight_gain_kg"]) == 0.0) and np.all(np.asarray(m["fat_gain_kg"]) == 0.0)


def test_postpartum_return_and_continuity_at_delivery():
    # Linear return over 6 weeks (an assumption: literature.md L88 gives no time course); continuous at delivery,
    # except the weight, which loses the fetus (L12), placenta (L10) and amniotic fluid (L11).
    ga = np.array([30.0, 39.0, 40.0])
    preg, just_after = _maternal(ga), _maternal(ga, 1e-9)
    half, six, later = _maternal(ga, 3.0), _maternal(ga, 6.0), _maternal(ga, 20.0)
    for k in FACTORS + ("fat_gain_kg",):
        np.testing.assert_allclose(just_after[k], preg[k], rtol=1e-9, err_msg=k)
        np.testing.assert_allclose(half[k] - (1.0 if k in FACTORS else 0.0),
                                   (preg[k] - (1.0 if k in FACTORS else 0.0)) / 2, rtol=1e-12, atol=1e-15, err_msg=k)
        np.testing.assert_array_equal(six[k], 1.0 if k in FACTORS else 0.0, err_msg=k)
        np.testing.assert_array_equal(later[k], six[k], err_msg=k)
    conceptus = fetal_kg(ga) + placenta_l(ga) + amniotic_l(ga)  # mL taken as g
    np.testing.assert_allclose(just_after["weight_gain_kg"], bw(ga) - bw(0.0) - conceptus, rtol=1e-9)
    # L16 at 40 weeks: 14.1 kg gained, 3.44 kg fetus, 0.66 L placenta, 0.82 L amniotic fluid
    assert just_after["weight_gain_kg"][2] == pytest.approx(14.1 - 3.44 - 0.66 - 0.82, abs=0.05)
    np.testing.assert_allclose(half["weight_gain_kg"], just_after["weight_gain_kg"] / 2, rtol=1e-9)


# ---- the fetus ----------------------------------------------------------------------------------------------


def test_fetus_is_kapraun():
    f = {k: np.asarray(v) for k, v in gestation.fetus(WEEKS, xp=np).items()}
    np.testing.assert_allclose(f["weight_kg"], fetal_kg(WEEKS), rtol=1e-12)
    np.testing.assert_allclose(f["haematocrit"], fetal_hct(WEEKS), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f["umbilical_plasma_flow_l_h"],
                               umbilical_ml_min(WEEKS) * 60 / 1000 * (1 - fetal_hct(WEEKS)), rtol=1e-12)
    at40 = {k: float(v) for k, v in gestation.fetus(40.0, xp=np).items()}
    assert at40["weight_kg"] == pytest.approx(3.44, abs=0.005)  # L16
    assert at40["haematocrit"] == pytest.approx(0.56, abs=0.005)  # L29 note: about 0.56 at 40 weeks
    assert at40["umbilical_plasma_flow_l_h"] == pytest.approx(242 * 0.06 * (1 - fetal_hct(40.0)), rel=2e-3)
    assert (at40["albumin_ratio"], at40["aag_ratio"]) == (1.163, 0.38)  # L31, term


@pytest.mark.parametrize("fu, binding, want, printed", [
    (0.013, "albumin", 0.011, 1e-3), (0.027, "albumin", 0.023, 1e-3), (0.032, "albumin", 0.028, 1e-3),
    (0.09, "albumin", 0.078, 1e-3), (0.15, "aag", 0.32, 1e-2)])
def test_fetal_unbound_fraction_l32(fu, binding, want, printed):
    # L32's worked examples of L31 (diazepam 0.013 -> 0.011), within half of the last printed digit
    got = float(gestation.fetal_unbound_fraction(fu, binding, 40.0, xp=np))
    assert got == pytest.approx(want, abs=printed / 2)
    r = {"albumin": 1.163, "aag": 0.38}[binding]
    assert got == pytest.approx(1 / (1 + r * (1 - fu) / fu), rel=1e-12)


def test_fetal_unbound_fraction_refuses_an_unknown_protein():
    with pytest.raises(ValueError, match=r"binding='lipoprotein'; allowed: \['albumin', 'aag'\]"):
        gestation.fetal_unbound_fraction(0.1, "lipoprotein", 40.0)


# ---- the cohort and the physiology --------------------------------------------------------------------------


def _sample(c, ids, seed=3):
    f = jax.jit(jax.vmap(lambda stream, i: sample_subject(c, stream, i), in_axes=(None, 0)))
    return {k: np.asarray(v) for k, v in f(stream_key(root_key(seed), "cohort"), jnp.asarray(ids, jnp.int32)).items()}


def test_a_window_is_uniform_and_leaves_the_other_covariates_alone():
    n = 20000
    base = preset("adult", p_male=0.0)
    c = preset("adult", p_male=0.0, gestational_week=[8.0, 30.0], postpartum_week=[2.0, 10.0])
    d, d0 = _sample(c, np.arange(n)), _sample(base, np.arange(n))
    assert stats.kstest(d["gestational_week"], stats.uniform(8.0, 22.0).cdf).pvalue > 1e-3
    assert stats.kstest(d["postpartum_week"], stats.uniform(2.0, 8.0).cdf).pvalue > 1e-3
    assert stats.pearsonr(d["gestational_week"], d["postpartum_week"])[0] == pytest.approx(0.0, abs=0.03)
    np.testing.assert_array_equal(d0["gestational_week"], 0.0)
    np.testing.assert_array_equal(d0["postpartum_week"], 0.0)
    for k in set(d) - {"gestational_week", "postpartum_week"}:
        np.testing.assert_array_equal(d[k], d0[k], err_msg=k)  # subject i is the same woman


@pytest.mark.parametrize("name, week", [("pregnant_t1", 10.0), ("pregnant_t2", 24.0), ("pregnant_t3", 36.0)])
def test_trimester_presets_are_points_on_the_curves(x64, name, week):
    d = {k: jnp.asarray(v, jnp.float64) for k, v in _sample(preset(name), np.arange(4)).items()}
    d["cyp2c19"] = jnp.full(4, 2.0)  # normal metabolisers: a poor metaboliser has no CYP2C19 to compare
    np.testing.assert_array_equal(d["gestational_week"], week)
    np.testing.assert_array_equal(d["postpartum_week"], 0.0)
    p = jax.vmap(physiology)(d)
    p0 = jax.vmap(physiology)(d | {"gestational_week": jnp.zeros(4)})
    ga = np.array(week)
    ratio = {  # the same women not pregnant -> pregnant, from the published curves
        "plasma_l": plasma(ga) / plasma(0.0), "rbc_l": rbc(ga) / rbc(0.0), "q_muscle": qc(ga) / qc(0.0),
        "q_adipose": share(ga, 8.5, 7.8) * qc(ga) / (8.5 * qc(0.0)),
        "qh_l_h": share(ga, 27, 20) * qc(ga) / (27 * qc(0.0)), "gfr": gfr(ga) / gfr(0.0),
        "albumin": 1 - (1.9 + 8.2 * min(week - 7, 29) / 29) / 45.9,
        "cyp3a4": 1 + 0.6 * min(week / 14, 1), "cyp2c19": 1 - 0.42 * week / 36, "ugt": 1 + 0.5 * week / 36,
    }
    for k, v in ratio.items():
        np.testing.assert_allclose(np.asarray(p[k]) / np.asarray(p0[k]), v, rtol=1e-12, err_msg=k)
    np.testing.assert_allclose(np.asarray(p["v_adipose"] - p0["v_adipose"]), 0.14937 * week / 0.80, rtol=1e-12)
    for k in ("v_muscle", "v_liver", "v_brain", "lean_kg", "fat_kg", "liver_size"):
        np.testing.assert_array_equal(np.asarray(p[k]), np.asarray(p0[k]), err_msg=k)


def test_postpartum_preset():
    c = preset("postpartum_lactating")
    assert (c.p_male, c.gestational_week, c.postpartum_week) == (0.0, [39.0, 40.0], [1.0, 26.0])
    d = _sample(c, np.arange(2000))
    assert 39.0 <= d["gestational_week"].min() and d["gestational_week"].max() <= 40.0
    assert 1.0 <= d["postpartum_week"].min() and d["postpartum_week"].max() <= 26.0
    m = gestation.maternal(jnp.asarray(d["gestational_week"]), jnp.asarray(d["postpartum_week"]))
    returned = d["postpartum_week"] >= 6.0  # the assumed return is complete
    assert np.all(np.asarray(m["plasma"])[returned] == 1.0) and np.all(np.asarray(m["plasma"])[~returned] > 1.0)
