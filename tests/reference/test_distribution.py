"""Distribution from physiology: tissue volumes, Rodgers & Rowland Kp, unbound fraction, lumping.

References, all independent of popsim's code:

* ``rodgers_rowland.py`` (this folder): the R&R equations, the rat tissue composition, the ICRP 89
  reference man and woman and the P102 unbound-fraction equation, typed in from literature.md;
* a full perfusion-limited tissue model (every tissue its own compartment, visceral flows from ICRP 89
  fractions recalled for this test only) integrated exactly with ``scipy.linalg.expm``;
* published values: OSP's fitted lipophilicities (literature.md P-A note 1, P11, P12, P15), the Hung
  1996 three-compartment iv diazepam model (G32), Kapraun 2019's plasma volume (L4), Whittaker & Lind
  1993 albumin (P111), Shull 1976 (B30).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import rodgers_rowland as rr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from popsim.cohort.spec import CYP2C19
from popsim.drugs.library import load, names
from popsim.params import tissues
from popsim.params.derive import pk_parameters, unbound_fraction
from popsim.params.physiology import physiology, reference_covariates


def _cov(age=35.0, male=1.0, height_cm=176.0, weight_kg=70.0, child_pugh=0, gestational_week=0.0):
    c = dict(age=age, male=male, height_cm=height_cm, weight_kg=weight_kg, child_pugh=child_pugh,
             cyp2c19=CYP2C19.index("nm"),
             gestational_week=gestational_week, postpartum_week=0.0, bmi=weight_kg / (height_cm / 100.0) ** 2)
    return {k: jnp.asarray(float(v)) for k, v in c.items()}


def _phys(**kw):
    return {k: float(v) for k, v in physiology(_cov(**kw)).items()}


def _kind(d):
    return (d.acid_base.value if d.acid_base is not None else "neutral"), (d.pka.value if d.pka is not None else None)


# ---------------------------------------------------------------------------
# Partition coefficients
# ---------------------------------------------------------------------------

DRUG_TYPES = [  # logP, fu, B:P, kind, pKa
    (2.5, 0.10, 1.0, "neutral", None),
    (3.1, 0.031, 0.564, "base", 6.2),   # midazolam-like weak base (R&R 2006)
    (2.3, 0.30, 1.2, "base", 8.99),     # clarithromycin-like strong base (R&R 2005, acidic phospholipids)
    (1.5, 0.05, 0.6, "acid", 4.0),      # an acid (albumin in tissue)
    (0.5, 0.9, 1.0, "neutral", None),   # hydrophilic, weakly bound: the lipoprotein term clipped at 0
]


@pytest.mark.parametrize("logp, fu, bp, kind, pka", DRUG_TYPES)
def test_partition_matches_rodgers_rowland_by_hand(logp, fu, bp, kind, pka):
    got = tissues.partition(logp, pka, kind, fu, bp)
    want = rr.kp(logp, fu, bp, kind, pka)
    assert set(got) == set(want)
    for t in want:  # a few dozen float64 operations
        assert float(got[t]) == pytest.approx(want[t], rel=1e-12), t


@pytest.mark.parametrize("male, weight, height", [(1, 73.0, 176.0), (0, 60.0, 163.0), (1, 120.0, 180.0),
                                                  (0, 95.0, 160.0)])
def test_tissue_volumes_are_icrp_scaled_by_lean_mass(x64, male, weight, height):
    # ICRP 89 reference man (73 kg) and woman (60 kg) get the ICRP masses exactly; others scale with the
    # fat-free mass outside adipose tissue, adipose tissue = fat / 0.80 (P52).
    p = _phys(male=float(male), weight_kg=weight, height_cm=height, age=35.0)
    want = rr.tissues(weight, height, 35.0, male)
    for t in rr.RAT:
        assert p[f"v_{t}"] == pytest.approx(want[t], rel=1e-12), t
    assert p["plasma_l"] == pytest.approx(want["plasma"], rel=1e-12)
    assert p["rbc_l"] == pytest.approx(want["rbc"], rel=1e-12)
    if (weight, height) in ((73.0, 176.0), (60.0, 163.0)):
        ref = rr.ICRP_MALE if male else rr.ICRP_FEMALE
        assert p["v_muscle"] == pytest.approx(ref["muscle"], rel=1e-12)
    if (male, weight) == (1, 73.0):  # ICRP total adipose 18.2 L (P66): fat / 0.80 is within 2 %
        assert p["v_adipose"] == pytest.approx(18.2, rel=0.02)


def test_pregnancy_expands_plasma_volume_and_fat_and_lowers_albumin(x64):
    # Kapraun 2019 at 36 weeks vs 0: plasma (L4), adipose mass +0.14937 kg/week (L2) as tissue at 80 % lipid
    # (P52); Whittaker & Lind 1993 (P111): albumin -10.1 g/L of 45.9 (-22 %) by 36 weeks.
    def plasma(ga):
        return 1.2406 / (1 + math.exp(-0.31338 * (ga - 17.813))) + 2.4958

    kw = dict(male=0.0, height_cm=163.0, weight_kg=65.0, age=30.0)
    p0, p3 = _phys(**kw), _phys(gestational_week=36.0, **kw)
    assert p3["plasma_l"] / p0["plasma_l"] == pytest.approx(plasma(36) / plasma(0), rel=1e-12)  # +49 %
    assert p3["v_adipose"] - p0["v_adipose"] == pytest.approx(0.14937 * 36 / 0.80, rel=1e-12)
    assert p3["v_muscle"] == p0["v_muscle"] and p3["v_liver"] == p0["v_liver"]  # the rest of the gain is not hers
    assert p3["albumin"] / p0["albumin"] == pytest.approx(1 - 10.1 / 45.9, rel=1e-12)


# ---------------------------------------------------------------------------
# Unbound fraction
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["diazepam", "lorazepam", "methadone", "fluconazole"])
@pytest.mark.parametrize("cp", [1, 2, 3])
def test_unbound_fraction_follows_its_binding_protein_p102(x64, name, cp):
    d = load(name)
    factor = {"albumin": (0.81, 0.68, 0.5), "aag": (0.6, 0.56, 0.3)}[d.binding.value][cp - 1]  # B38
    f_ref = {"albumin": 0.022, "aag": 0.0004}[d.binding.value]  # P102
    got = float(unbound_fraction(d, physiology(_cov(child_pugh=cp))))
    assert got == pytest.approx(rr.fu_p102(d.fu.value, factor, f_ref), rel=1e-12)
    assert got > d.fu.value


def test_diazepam_fu_in_child_pugh_is_p104(x64):
    # P104 (D): diazepam fu 0.0165 / 0.0196 / 0.0264 in Child-Pugh A/B/C from healthy 0.0134.
    d = load("diazepam")
    got = [float(unbound_fraction(d, physiology(_cov(child_pugh=cp)))) for cp in (1, 2, 3)]
    assert got == pytest.approx([0.0165, 0.0196, 0.0264], abs=6e-5)  # P104 rounds to 3 significant figures


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["diazepam", "methadone", "oxazepam", "fluconazole"]), high=st.floats(0.2, 1.2),
       drop=st.floats(0.0, 0.8))
def test_lower_binding_protein_never_lowers_fu(name, high, drop):
    d = load(name)
    fu = [float(unbound_fraction(d, {d.binding.value: jnp.asarray(a)})) for a in (high * (1 - drop), high)]
    assert fu[0] >= fu[1] * (1 - 1e-6)


# ---------------------------------------------------------------------------
# Volumes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", names())
def test_reference_subject_reproduces_the_library_vss(x64, name):
    # The model lipophilicity is fitted (status F) on the entry's Vss: this checks the fit, not the method.
    d = load(name)
    p = pk_parameters(d, "iv", physiology(reference_covariates()), {})
    assert sum(float(p[k]) for k in ("V1", "V2", "V3") if k in p) == pytest.approx(d.vss.value, rel=1e-9)
    kind, pka = _kind(d)
    k = rr.kp(tissues.model_lipophilicity(d), d.fu.value, d.bp.value, kind, pka)
    v = rr.tissues(70.0, 176.0, 35.0, 1)
    assert rr.vss(k, v, d.bp.value) == pytest.approx(d.vss.value, rel=1e-9)


# OSP fitted the lipophilicity of these drugs in PK-Sim models on other data (literature.md P-A note 1,
# P11, P12, P15): popsim's fit on the library's Vss lands within 0.15 log units (a factor 1.4 on P).
OSP_LIPOPHILICITY = {"alprazolam": 2.08, "triazolam": 1.897, "midazolam": 2.90, "itraconazole": 4.62}


@pytest.mark.parametrize("name", OSP_LIPOPHILICITY)
def test_fitted_lipophilicity_agrees_with_osp(name):
    assert tissues.model_lipophilicity(load(name)) == pytest.approx(OSP_LIPOPHILICITY[name], abs=0.15)


# A priori Vss of the reference man from the measured (or recalled) log P alone, vs the library's observed
# Vss: predicted / observed, as measured with the R&R tables above (README, "Distribution").
APRIORI_FOLD = {"alprazolam": 1.208, "chlordiazepoxide": 1.554, "clarithromycin": 1.080, "clonazepam": 0.391,
                "diazepam": 0.434, "fluvoxamine": 0.247, "itraconazole": 12.81, "lorazepam": 0.740, "midazolam": 1.855,
                "oxazepam": 0.645, "temazepam": 0.236, "triazolam": 2.150, "zolpidem": 1.393}


def test_apriori_vss_accuracy_on_the_library():
    with_logp = sorted(n for n in names() if load(n).logp is not None)
    assert with_logp == sorted(APRIORI_FOLD)
    fold = {n: tissues.apriori_vss(load(n)) / load(n).vss.value for n in with_logp}
    for n in with_logp:
        assert fold[n] == pytest.approx(APRIORI_FOLD[n], rel=2e-3), n
    within = sum(1 / 2 <= f <= 2 for f in fold.values())
    assert within == 7  # of 13: 54 %; GMFE 2.21 (itraconazole, 12.8-fold, is the outlier)
    assert math.exp(np.mean(np.abs(np.log(list(fold.values()))))) == pytest.approx(2.214, abs=0.005)


@settings(max_examples=40, deadline=None)
@given(logp=st.floats(1.0, 5.0), fu=st.floats(0.01, 0.9), bmi=st.floats(18.0, 50.0), more=st.floats(1.0, 15.0),
       male=st.integers(0, 1))
def test_more_body_fat_never_lowers_a_lipophilic_drugs_vss(logp, fu, bmi, more, male):
    # Same height, age and sex, BMI raised: fat mass and lean mass both grow (Deurenberg), Vss must not fall.
    h = 1.70
    with jax.enable_x64(True):
        lo, hi = (physiology(_cov(male=float(male), height_cm=170.0, weight_kg=b * h * h)) for b in (bmi, bmi + more))
        kp = tissues.partition(logp, None, "neutral", fu, 1.0)
        v = [float(tissues.vss(kp, ph, 1.0)) for ph in (lo, hi)]
    assert v[1] >= v[0]


@settings(max_examples=40, deadline=None)
@given(logp=st.floats(-1.0, 5.0), fu=st.floats(0.005, 0.5), up=st.floats(1.01, 3.0))
def test_a_higher_unbound_fraction_never_lowers_vss(logp, fu, up):
    body = tissues.reference_body()
    lo, hi = (float(tissues.vss(tissues.partition(logp, None, "neutral", f, 1.0), body, 1.0))
              for f in (fu, min(fu * up, 1.0)))
    assert hi >= lo * (1 - 1e-12)


# ---------------------------------------------------------------------------
# Lumping: the mammillary model against the full tissue model
# ---------------------------------------------------------------------------

VISCERAL_FLOW = {"brain": 0.12, "gut": 0.15, "heart": 0.04, "kidney": 0.19, "liver": 0.065, "lung": 1.0,
                 "spleen": 0.03}  # fractions of cardiac output, ICRP 89 (recalled: this test's assumption)


def _models(name):
    d = load(name)
    ph_j = physiology(reference_covariates())
    ph = {k: float(v) for k, v in ph_j.items()}
    kind, pka = _kind(d)
    k = rr.kp(tissues.model_lipophilicity(d), d.fu.value, d.bp.value, kind, pka)
    bp, co = d.bp.value, ph["q_muscle"] / 0.17  # the cardiac output behind popsim's muscle flow (men: 17 %)
    ep = (bp - 1 + rr.HCT) / rr.HCT
    vol = [ph["plasma_l"] + ph["rbc_l"] * ep] + [ph[f"v_{t}"] * k[t] for t in rr.RAT]
    flow = [0.0] + [bp * (co * VISCERAL_FLOW[t] if t in VISCERAL_FLOW else ph[f"q_{t}"]) for t in rr.RAT]
    p = {key: float(v) for key, v in pk_parameters(d, "iv", ph_j, {}).items()}
    n = len(vol)
    full = np.zeros((n, n))
    for i in range(1, n):
        full[i, 0] += flow[i] / vol[0]
        full[0, 0] -= flow[i] / vol[0]
        full[0, i] += flow[i] / vol[i]
        full[i, i] -= flow[i] / vol[i]
    full[0, 0] -= p["CL"] / vol[0]
    V = [p["V1"], p["V2"], p["V3"]]
    Q = [p["Q2"], p["Q3"]]
    lump = np.array([[-(p["CL"] + Q[0] + Q[1]) / V[0], Q[0] / V[1], Q[1] / V[2]],
                     [Q[0] / V[0], -Q[0] / V[1], 0.0], [Q[1] / V[0], 0.0, -Q[1] / V[2]]])
    return d, p, np.array(vol), full, lump


TIMES = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 24.0, 72.0])


@pytest.mark.parametrize("name", ["diazepam", "lorazepam", "midazolam"])
def test_lumped_three_compartments_follow_the_full_tissue_model(x64, name):
    d, p, vol, full, lump = _models(name)
    dose = 10.0
    assert p["V1"] + p["V2"] + p["V3"] == pytest.approx(vol.sum(), rel=1e-12)  # same Vss
    c_full = np.array([(expm(full * t) @ np.r_[dose, np.zeros(len(vol) - 1)])[0] / vol[0] for t in TIMES])
    c_lump = np.array([(expm(lump * t) @ np.r_[dose, 0.0, 0.0])[0] / p["V1"] for t in TIMES])
    # The viscera are taken as equilibrated with plasma at once: from 15 min on the lumped plasma
    # concentrations are within 3 % of the full model's (measured: 2.5 % at most, midazolam at 15 min).
    assert np.max(np.abs(c_lump / c_full - 1)) < 0.03
    # Both eliminate from plasma at the same CL: AUC(0-inf) = dose / CL exactly (first moment of the
    # system: -e1' A^-1 x0 / V1).
    auc_full = -np.linalg.solve(full, np.r_[dose, np.zeros(len(vol) - 1)])[0] / vol[0]
    auc_lump = -np.linalg.solve(lump, np.r_[dose, 0.0, 0.0])[0] / p["V1"]
    assert auc_full == pytest.approx(dose / p["CL"], rel=1e-10)
    assert auc_lump == pytest.approx(dose / p["CL"], rel=1e-10)


HUNG = dict(V1=3.43, V2=8.47, V3=87.51, CL=0.027 * 60, Q2=1.103 * 60, Q3=0.335 * 60)  # G32, L and L/h


def test_iv_diazepam_redistributes_like_hung_1996(x64):
    # A check (G32 is not used by the model): the reference man's plasma diazepam after 10 mg iv stays
    # within 2-fold of Hung's three-compartment model from 5 min to 72 h (measured 0.77-1.78), and the
    # early decline is visible: at 1 h less than 40 % of the 5-min level is left (Hung: 26 %, popsim 34 %).
    _, p, _, _, lump = _models("diazepam")
    h = HUNG
    hung = np.array([[-(h["CL"] + h["Q2"] + h["Q3"]) / h["V1"], h["Q2"] / h["V2"], h["Q3"] / h["V3"]],
                     [h["Q2"] / h["V1"], -h["Q2"] / h["V2"], 0.0], [h["Q3"] / h["V1"], 0.0, -h["Q3"] / h["V3"]]])
    times = np.r_[5 / 60, TIMES]
    ours = np.array([(expm(lump * t) @ np.r_[10.0, 0, 0])[0] / p["V1"] for t in times])
    theirs = np.array([(expm(hung * t) @ np.r_[10.0, 0, 0])[0] / h["V1"] for t in times])
    assert np.all((ours / theirs > 0.5) & (ours / theirs < 2.0)), ours / theirs
    assert ours[3] / ours[0] < 0.4


# ---------------------------------------------------------------------------
# Liver disease: glucuronidated (LOT) drugs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lorazepam", "oxazepam", "temazepam"])
def test_lot_drugs_in_child_pugh_b_keep_clearance_and_lengthen_half_life_through_volume(x64, name):
    # B30/B89: total clearance of the glucuronidated drugs preserved in liver disease (UGT exponent fitted
    # on oxazepam in class B, so lorazepam and temazepam are checks); their fu rises with the albumin
    # deficit (0.68, B38), which raises Vss and so the half-life.
    d = load(name)

    def pk(cp):
        ph = physiology(_cov(child_pugh=cp))
        p = pk_parameters(d, "iv", ph, {})
        v = sum(float(p[k]) for k in ("V1", "V2", "V3") if k in p)
        return float(p["CL"]), float(unbound_fraction(d, ph)), v

    (cl0, fu0, v0), (cl2, fu2, v2) = pk(0), pk(2)
    assert cl2 / cl0 == pytest.approx(1.0, abs=0.03)
    assert fu2 / fu0 > 1.3
    assert (v2 / cl2) / (v0 / cl0) > 1.25
