"""Where a drug goes in the body: tissue volumes and flows per subject, tissue:plasma partition
coefficients from physicochemistry (Rodgers & Rowland), and the lumped mammillary disposition.

All functions are for one subject (scalars; ``simulate.py`` batches) and are written with arithmetic
operators and an ``xp`` array module, so the same code runs in JAX (the simulation) and in numpy
float64 (fitting a drug's model lipophilicity once, at load).

**Tissues** (:func:`body`).  The ICRP 89 reference man and woman (literature.md P62-P64: masses, taken
as litres as in the Metrum/ICRP model of P66) are scaled per subject:

* adipose tissue = fat mass / the lipid fraction of adipose tissue (0.80, the PK-Sim composition P52),
  which gives the ICRP total adipose of the reference man (18.2 L, P66) within 2%;
* every other tissue, plasma and red cells scale with the fat-free mass outside adipose tissue,
  ``lean - fat (1/0.80 - 1)``, relative to the ICRP individual of the same sex; the liver also
  shrinks with age (Wynne 1989, as for clearance);
* blood flows to the slowly equilibrating tissues (muscle, skin, bone, adipose) are fractions of a
  sex-specific cardiac output (390 L/h men, P66; 300 L/h women, L17), scaled allometrically with the
  lean mass (adipose flow with adipose volume);
* pregnancy (:func:`popsim.params.gestation.maternal`, continuous in gestational week) scales plasma
  and red-cell volumes, raises the lean tissues' flows with cardiac output and adipose flow with its
  share of cardiac output (Kapraun 2019, L4-L8), and adds the fat gained (L2) to adipose tissue; the
  rest of the weight gain (fetus, placenta, fluid) is not a maternal tissue.

**Partition coefficients** (:func:`partition`): Rodgers, Leahy & Rowland 2005 (bases with pKa > 7:
binding to acidic phospholipids, whose affinity is read off the blood:plasma ratio) and Rodgers &
Rowland 2006 (neutral compounds, weak bases and acids: binding to lipoproteins, or albumin for
acids, whose affinity is read off the plasma unbound fraction), equations as literature.md P53, P56,
rat tissue composition P27-P39 (as PK-Sim and Huisinga 2012 use for humans), pH P40.  Why this
method: OSP's models of most library drugs use it (P9-P25), it gave the smallest Cmax error of the
five methods compared on voriconazole (P57), and it carries plasma binding explicitly, so a higher
unbound fraction raises every Kp through the mechanism.  Poulin & Theil predicts 2-7 times the
observed Vss of the library's benzodiazepines, Berezhkovskiy is closer but less accurate than R&R
(README, "Distribution").

**Disposition** (:func:`lumped`): Vss = plasma + red cells x E:P + sum(V_t Kp_t).  Tissues are
lumped into mammillary compartments by how fast they equilibrate (Nestorov 1998's idea): the
central compartment holds plasma, blood cells and the well-perfused viscera (brain, gut, heart,
kidney, liver, lung, spleen); with ``n_cmt = 3`` the lean slow tissues (muscle, skin, bone) and
adipose tissue are the two peripheral compartments, with ``n_cmt = 2`` one, with ``n_cmt = 1`` none
(V1 = Vss).  Each peripheral exchanges with plasma at its blood flow x B:P (perfusion-limited
tissues, concentrations in plasma units).
"""

from __future__ import annotations

import functools
from typing import Mapping

import numpy as np

from popsim.params.constant import Constant

__all__ = ["TISSUES", "CENTRAL", "LEAN", "TISSUE_CONSTANTS", "body", "partition", "drug_partition", "lumped",
           "scaled_unbound_fraction", "vss", "model_lipophilicity", "fit_lipophilicity", "apriori_vss"]

TISSUES = ("adipose", "bone", "brain", "gut", "heart", "kidney", "liver", "lung", "muscle", "skin", "spleen")
CENTRAL = ("brain", "gut", "heart", "kidney", "liver", "lung", "spleen")
LEAN = ("bone", "muscle", "skin")
SLOW = LEAN + ("adipose",)

_RR = ("Rodgers T, Leahy D, Rowland M. J Pharm Sci 2005;94:1259; Rodgers T, Rowland M. J Pharm Sci "
       "2006;95:1238 (rat composition, literature.md P27-P39, read in the Metrum Voriconazole-PBPK csv and the "
       "Huisinga 2012 R port)")
_ICRP = "ICRP Publication 89 (2002) Table 2.8 and ch. 7.3, literature.md P62-P64"
_FLOW_M = ("ICRP 89 reference blood-flow fractions of cardiac output (memory, unverified: not in "
           "literature.md)")

TISSUE_CONSTANTS: dict[str, Constant] = {
    # tissue -> (neutral lipid, neutral phospholipid, extracellular water, intracellular water, acidic
    # phospholipid mg/g, tissue:plasma albumin ratio, tissue:plasma lipoprotein ratio)
    "composition": Constant({
        "adipose": (0.853, 0.0016, 0.135, 0.017, 0.40, 0.049, 0.068),
        "bone": (0.017, 0.0017, 0.100, 0.346, 0.67, 0.100, 0.050),
        "brain": (0.039, 0.0015, 0.162, 0.620, 0.40, 0.048, 0.041),
        "gut": (0.038, 0.0125, 0.282, 0.475, 2.41, 0.158, 0.141),
        "heart": (0.014, 0.0111, 0.320, 0.456, 2.25, 0.157, 0.160),
        "kidney": (0.012, 0.0242, 0.273, 0.483, 5.03, 0.130, 0.137),
        "liver": (0.014, 0.024, 0.161, 0.573, 4.56, 0.086, 0.161),
        "lung": (0.022, 0.0128, 0.336, 0.446, 3.91, 0.212, 0.168),
        "muscle": (0.010, 0.0072, 0.118, 0.630, 1.53, 0.064, 0.059),
        "skin": (0.060, 0.0044, 0.382, 0.291, 1.32, 0.277, 0.096),
        "spleen": (0.0077, 0.0113, 0.207, 0.579, 3.18, 0.097, 0.207),
    }, "fraction of tissue volume (AP mg/g)", _RR, "V"),
    "plasma_lipids": Constant((0.0023, 0.0013), "fraction", _RR + ": plasma neutral lipid, phospholipid (P39)", "V"),
    "rbc": Constant((0.0017, 0.0029, 0.603, 0.5), "fraction (AP mg/g)", _RR + ": erythrocyte NL, NP, IW, AP (P39)",
                    "V"),
    "ph": Constant((7.4, 7.0, 7.22), "pH", "Rodgers 2005 p.1263: plasma, intracellular water, erythrocytes (P40)",
                   "V"),
    "haematocrit": Constant(0.45, "1", "haematocrit of the R&R red-cell partition, literature.md P56", "V"),
    "oil_water": Constant((1.115, -1.35), "1", "log P(vegetable oil:water) = 1.115 log P - 1.35, Poulin & Theil "
                          "2002 (P53), for the neutral lipids of adipose tissue", "V"),
    "strong_base_pka": Constant(7.0, "1", "R&R 2005 apply acidic-phospholipid binding to bases with pKa >= 7 "
                                "(P56)", "V"),
    # ICRP 89 reference individuals (male, female)
    "reference_male": Constant((35.0, 176.0, 73.0), "years, cm, kg", _ICRP + "; height of the OSP standard "
                               "European male (P68)", "V"),
    "reference_female": Constant((35.0, 163.0, 60.0), "years, cm, kg", _ICRP + "; 163 cm recalled (memory, "
                                 "unverified)", "M"),
    # tissue -> (male, female); plasma and erythrocytes from P64
    "mass": Constant({"bone": (10.5, 7.8), "brain": (1.45, 1.30), "gut": (1.02, 0.96), "heart": (0.33, 0.25),
                      "kidney": (0.31, 0.275), "liver": (1.8, 1.4), "lung": (0.5, 0.42), "muscle": (29.0, 17.5),
                      "skin": (3.3, 2.3), "spleen": (0.15, 0.13), "plasma": (3.0, 2.4), "rbc": (2.3, 1.5)},
                     "kg (taken as L)", _ICRP, "V"),
    "adipose_lipid": Constant(0.80, "1", "lipid fraction of adipose tissue, PK-Sim standard composition "
                              "(literature.md P52): adipose volume = fat mass / 0.80", "V"),
    "cardiac_output": Constant((390.0, 300.0), "L/h", "men 6.5 L/min (ICRP 89 via Metrum, P66); women 300 L/h "
                               "(Simcyp non-pregnant woman, Gaohua 2012, L17)", "V"),
    # fraction of cardiac output (male, female)
    "flow_muscle": Constant((0.17, 0.12), "1", _FLOW_M, "M", (0.1, 0.25)),
    "flow_bone": Constant((0.05, 0.05), "1", _FLOW_M, "M", (0.03, 0.08)),
    "flow_skin": Constant((0.05, 0.05), "1", "women 14.975 L/h of 300 (L17, V); men " + _FLOW_M, "M", (0.03, 0.08)),
    "flow_adipose": Constant((0.05, 0.085), "1", "women 8.5% (Kapraun 2019, L8, V); men " + _FLOW_M, "M",
                             (0.03, 0.1)),
}


def _k(name):
    return TISSUE_CONSTANTS[name].value


def _sexed(name, male):
    return _pair(_k(name), male)


def _pair(male_female, male):
    m, f = male_female
    return male * m + (1.0 - male) * f


def _na_lean(lean_kg, fat_kg):
    """Fat-free mass outside adipose tissue: lean minus the non-lipid part of adipose tissue."""
    return lean_kg - fat_kg * (1.0 / _k("adipose_lipid") - 1.0)


def body(male, lean_kg, fat_kg, ref_na_male, ref_na_female, liver_age, maternal, allometry) -> dict[str, object]:
    """Tissue volumes (``v_<tissue>``, ``plasma_l``, ``rbc_l``; L) and blood flows to the slow tissues
    (``q_<tissue>``, L/h) of one subject.

    ``ref_na_male``/``ref_na_female``: fat-free mass outside adipose of the ICRP reference man and woman
    (:func:`popsim.params.physiology.physiology` computes them with the same body-fat equation);
    ``liver_age``: the age factor of liver volume; ``maternal``: the pregnancy factors of
    :func:`popsim.params.gestation.maternal` (``plasma``, ``rbc``, ``cardiac_output``, ``adipose_flow``,
    ``fat_gain_kg``; all 1, and 0 kg, when not pregnant); ``allometry``: the exponent of blood flow on lean
    mass (as for the liver).  ``lean_kg`` and ``fat_kg`` are the masses before any pregnancy.
    """
    s = _na_lean(lean_kg, fat_kg) / _pair((ref_na_male, ref_na_female), male)
    mass = {t: s * _pair(m, male) for t, m in _k("mass").items()}
    lipid = _k("adipose_lipid")
    out = {f"v_{t}": v for t, v in mass.items() if t not in ("plasma", "rbc")}
    out |= {"v_liver": mass["liver"] * liver_age, "v_adipose": (fat_kg + maternal["fat_gain_kg"]) / lipid,
            "plasma_l": mass["plasma"] * maternal["plasma"], "rbc_l": mass["rbc"] * maternal["rbc"]}
    co = _sexed("cardiac_output", male)
    out |= {f"q_{t}": co * maternal["cardiac_output"] * s ** allometry * _sexed(f"flow_{t}", male) for t in LEAN}
    # adipose perfusion per litre of adipose tissue is that of the reference individual (assumption); in
    # pregnancy it follows adipose tissue's share of cardiac output (L8), not the fat gained
    out["q_adipose"] = co * maternal["adipose_flow"] * _sexed("flow_adipose", male) * (fat_kg / lipid) / _pair(
        (_ref_fat(True), _ref_fat(False)), male) * lipid
    return out


@functools.lru_cache(maxsize=None)
def _ref_fat(male: bool) -> float:
    """Fat mass (kg) of the ICRP reference man or woman by popsim's body-fat equation."""
    from popsim.params.physiology import deurenberg

    age, height, weight = _k("reference_male" if male else "reference_female")
    return float(weight * deurenberg(weight / (height / 100.0) ** 2, age, float(male), xp=np))


@functools.lru_cache(maxsize=None)
def reference_na_lean(male: bool) -> float:
    """Fat-free mass outside adipose tissue of the ICRP reference man or woman (kg)."""
    weight = _k("reference_male" if male else "reference_female")[2]
    fat = _ref_fat(male)
    return _na_lean(weight - fat, fat)


def scaled_unbound_fraction(fu, ratio):
    """The unbound fraction when the binding capacity is ``ratio`` times that at which it is ``fu``:
    ``fu / (fu + ratio (1 - fu))`` = ``1 / (1 + ratio (1 - fu) / fu)`` (one binding protein, linear
    binding).  This is literature.md P102's ``1 / ((1 - f) + f K)`` with ``K`` solved from ``fu`` at the
    healthy plasma volume fraction of the protein and ``f`` scaled by ``ratio`` (the fraction itself cancels),
    McNamara & Alcorn's fetal form (L31) and PK-Sim's age form (L48); popsim uses it for a subject's, a
    fetus's, an infant's and skim milk's binding."""
    return fu / (fu + ratio * (1.0 - fu))


def _ionisation(kind: str, pka: float | None):
    """R&R ionisation terms X (intracellular water), Y (plasma), Z (erythrocytes) of a monoprotic drug."""
    p, iw, rbc = _k("ph")
    if kind == "neutral" or pka is None:
        return 0.0, 0.0, 0.0
    sign = 1.0 if kind == "base" else -1.0
    return tuple(10.0 ** (sign * (pka - ph)) for ph in (iw, p, rbc))


def partition(logp, pka: float | None, kind: str, fu, bp) -> dict[str, object]:
    """Tissue:plasma partition coefficients (total tissue / total plasma) of every tissue, R&R 2005/2006.

    ``logp``: the octanol:water partition coefficient the model uses (log10); ``pka`` and ``kind``
    (``"neutral"``, ``"base"``, ``"acid"``) the ionisation; ``fu`` the plasma unbound fraction; ``bp`` the
    blood:plasma ratio (it sets the acidic-phospholipid affinity of bases with pKa >= 7).  Arithmetic only:
    works on JAX arrays and on Python floats alike.
    """
    P = 10.0 ** logp
    slope, icept = _k("oil_water")
    p_oil = 10.0 ** (slope * logp + icept)
    X, Y, Z = _ionisation(kind, pka)
    nl_p, np_p = _k("plasma_lipids")
    strong = kind == "base" and pka is not None and pka >= _k("strong_base_pka")
    if strong:  # R&R 2005: affinity for acidic phospholipids from the red-cell partition
        nl_r, np_r, iw_r, ap_r = _k("rbc")
        hct = _k("haematocrit")
        kpu_bc = (hct - 1.0 + bp) / (hct * fu)
        ka_ap = (kpu_bc - (1.0 + Z) / (1.0 + Y) * iw_r - (P * nl_r + (0.3 * P + 0.7) * np_r) / (1.0 + Y)) \
            * (1.0 + Y) / (ap_r * Z)
        ka_ap = 0.5 * (ka_ap + abs(ka_ap))
    else:  # R&R 2006: affinity for the plasma binding protein from the unbound fraction
        ka_pr = 1.0 / fu - 1.0 - (P * nl_p + (0.3 * P + 0.7) * np_p) / (1.0 + Y)
        ka_pr = 0.5 * (ka_pr + abs(ka_pr))
    out = {}
    for t, (nl, nph, ew, iw, ap, ar, lr) in _k("composition").items():
        p = p_oil if t == "adipose" else P
        kpu = ew + (1.0 + X) / (1.0 + Y) * iw + (p * nl + (0.3 * p + 0.7) * nph) / (1.0 + Y)
        if strong:
            kpu = kpu + ka_ap * ap * X / (1.0 + Y)
        else:
            kpu = kpu + ka_pr * (ar if kind == "acid" else lr)
        out[t] = kpu * fu
    return out


def _blood_cells(bp):
    """Erythrocyte:plasma concentration ratio from the blood:plasma ratio at the reference haematocrit."""
    hct = _k("haematocrit")
    return (bp - 1.0 + hct) / hct


def vss(kp: Mapping[str, object], vol: Mapping[str, object], bp) -> object:
    """Volume of distribution at steady state (L, plasma): plasma + red cells x E:P + sum(V_t Kp_t)."""
    return vol["plasma_l"] + vol["rbc_l"] * _blood_cells(bp) + sum(vol[f"v_{t}"] * kp[t] for t in TISSUES)


def lumped(n_cmt: int, kp: Mapping[str, object], vol: Mapping[str, object], bp) -> dict[str, object]:
    """Mammillary volumes and intercompartmental clearances (plasma units) from the tissue model.

    ``n_cmt = 1``: ``V1`` = Vss; 2: ``V1`` (plasma, blood cells, viscera), ``V2`` and ``Q2`` (all slow
    tissues); 3: ``V2``/``Q2`` lean slow tissues (muscle, skin, bone) and ``V3``/``Q3`` adipose.
    """
    if n_cmt not in (1, 2, 3):
        raise ValueError(f"n_cmt={n_cmt!r}; allowed: 1, 2 or 3")
    if n_cmt == 1:
        return {"V1": vss(kp, vol, bp)}
    v = {t: vol[f"v_{t}"] * kp[t] for t in TISSUES}
    central = vol["plasma_l"] + vol["rbc_l"] * _blood_cells(bp) + sum(v[t] for t in CENTRAL)
    if n_cmt == 2:
        return {"V1": central, "V2": sum(v[t] for t in SLOW), "Q2": bp * sum(vol[f"q_{t}"] for t in SLOW)}
    return {"V1": central, "V2": sum(v[t] for t in LEAN), "Q2": bp * sum(vol[f"q_{t}"] for t in LEAN),
            "V3": v["adipose"], "Q3": bp * vol["q_adipose"]}


@functools.lru_cache(maxsize=None)
def reference_body() -> dict[str, float]:
    """Tissue volumes and flows of popsim's reference subject (float64 numbers)."""
    from popsim.params.physiology import reference_physiology

    return {k: v for k, v in reference_physiology().items() if k.startswith(("v_", "q_")) or k in ("plasma_l", "rbc_l")}


def drug_partition(drug, fu, logp) -> dict[str, object]:
    """:func:`partition` for a library entry (its pKa and acid/base class; neutral without them)."""
    kind = drug.acid_base.value if drug.acid_base is not None else "neutral"
    return partition(logp, drug.pka.value if drug.pka is not None else None, kind, fu, drug.bp.value)


def _vss_ref(drug, logp: float) -> float:
    return float(vss(drug_partition(drug, drug.fu.value, logp), reference_body(), drug.bp.value))


@functools.lru_cache(maxsize=None)
def _fit(name: str) -> float:
    from popsim.drugs.library import load

    return fit_lipophilicity(load(name))


def fit_lipophilicity(drug) -> float:
    """The log P at which the reference subject's Vss equals ``drug.vss`` (bisection; plain floats, uncached:
    :func:`model_lipophilicity` caches it for library entries, :mod:`popsim.uncertainty` calls it for each
    parameter draw of an entry)."""
    target = drug.vss.value
    lo, hi = -4.0, 10.0
    f_lo, f_hi = _vss_ref(drug, lo) - target, _vss_ref(drug, hi) - target
    if f_lo > 0 or f_hi < 0:
        raise ValueError(f"{drug.name}: its Vss {target:.4g} L cannot be reached by a lipophilicity in [{lo}, {hi}] "
                         f"(Vss {f_lo + target:.4g} to {f_hi + target:.4g} L); check fu, bp, pKa and vss")
    for _ in range(200):  # bisection: Vss rises with lipophilicity
        mid = 0.5 * (lo + hi)
        if _vss_ref(drug, mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return 0.5 * (lo + hi)


def model_lipophilicity(drug) -> float:
    """The log P the Kp model uses for ``drug``: fitted (status F) so that the reference subject's Vss
    equals the entry's ``vss`` (its published value and rows), as OSP fits lipophilicity in almost every
    model (literature.md P-A note 1).  The measured ``physchem.logp``, where there is one, gives the a
    priori prediction (:func:`apriori_vss`) that reports the method's accuracy.  Plain floats, cached: safe
    to call while tracing (the reference physiology is evaluated eagerly)."""
    return _fit(drug.name)


def apriori_vss(drug) -> float | None:
    """Reference-subject Vss (L) predicted from the measured log P alone (None without one)."""
    return _vss_ref(drug, drug.logp.value) if drug.logp is not None else None
