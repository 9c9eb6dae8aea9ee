"""An independent oracle for tissue distribution, written from shared/science/literature.md alone.

Rodgers & Rowland partition coefficients (P53, P56 equations; rat composition P27-P39; pH P40), the
ICRP 89 reference man and woman (P62-P64) and the PK-Sim adipose lipid fraction (P52), typed in from
the table rows (not imported from popsim), in plain Python floats.
"""

from __future__ import annotations

import math

# literature.md P27-P37: NL, NP, EW, IW, AP (mg/g), AR, LR (first value of each pair)
RAT = {
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
}
PLASMA_NL, PLASMA_NP = 0.0023, 0.0013  # P39 (rat plasma)
RBC_NL, RBC_NP, RBC_IW, RBC_AP = 0.0017, 0.0029, 0.603, 0.5  # P39
PH_P, PH_IW, PH_RBC = 7.4, 7.0, 7.22  # P40
HCT = 0.45  # P56

# ICRP 89 (P62-P64): kg, taken as L
ICRP_MALE = dict(bone=10.5, brain=1.45, gut=1.02, heart=0.33, kidney=0.31, liver=1.8, lung=0.5, muscle=29.0,
                 skin=3.3, spleen=0.15, plasma=3.0, rbc=2.3)
ICRP_FEMALE = dict(bone=7.8, brain=1.30, gut=0.96, heart=0.25, kidney=0.275, liver=1.4, lung=0.42, muscle=17.5,
                   skin=2.3, spleen=0.13, plasma=2.4, rbc=1.5)
ADIPOSE_LIPID = 0.80  # P52


def kp(logp: float, fu: float, bp: float, kind: str = "neutral", pka: float | None = None) -> dict[str, float]:
    """Tissue:plasma Kp (total/total) of every tissue."""
    P = 10 ** logp
    P_oil = 10 ** (1.115 * logp - 1.35)
    if kind == "base":
        X, Y, Z = 10 ** (pka - PH_IW), 10 ** (pka - PH_P), 10 ** (pka - PH_RBC)
    elif kind == "acid":
        X, Y, Z = 10 ** (PH_IW - pka), 10 ** (PH_P - pka), 10 ** (PH_RBC - pka)
    else:
        X = Y = Z = 0.0
    strong_base = kind == "base" and pka >= 7
    out = {}
    for t, (nl, nph, ew, iw, ap, ar, lr) in RAT.items():
        p = P_oil if t == "adipose" else P
        k = ew + (1 + X) / (1 + Y) * iw + (p * nl + (0.3 * p + 0.7) * nph) / (1 + Y)
        if strong_base:
            kpu_bc = (HCT - 1 + bp) / (HCT * fu)
            ka_ap = (kpu_bc - (1 + Z) / (1 + Y) * RBC_IW - (P * RBC_NL + (0.3 * P + 0.7) * RBC_NP) / (1 + Y)) \
                * (1 + Y) / (RBC_AP * Z)
            k += max(ka_ap, 0.0) * ap * X / (1 + Y)
        else:
            ka_pr = 1 / fu - 1 - (P * PLASMA_NL + (0.3 * P + 0.7) * PLASMA_NP) / (1 + Y)
            k += max(ka_pr, 0.0) * (ar if kind == "acid" else lr)
        out[t] = k * fu
    return out


def deurenberg_fat(weight: float, height_cm: float, age: float, male: int) -> float:
    """Fat mass (kg): Deurenberg 1991 body fat % = 1.2 BMI + 0.23 age - 10.8 male - 5.4 (P71)."""
    bmi = weight / (height_cm / 100) ** 2
    return weight * min(max((1.2 * bmi + 0.23 * age - 10.8 * male - 5.4) / 100, 0.03), 0.7)


def tissues(weight: float, height_cm: float, age: float, male: int) -> dict[str, float]:
    """Tissue volumes (L) of an adult under 40 y (no liver shrinkage), not pregnant."""
    fat = deurenberg_fat(weight, height_cm, age, male)
    ref_w, ref_h = (73.0, 176.0) if male else (60.0, 163.0)
    ref_fat = deurenberg_fat(ref_w, ref_h, 35.0, male)
    extra = 1 / ADIPOSE_LIPID - 1

    def non_adipose_lean(w, f):
        return w - f - f * extra

    s = non_adipose_lean(weight, fat) / non_adipose_lean(ref_w, ref_fat)
    out = {t: s * v for t, v in (ICRP_MALE if male else ICRP_FEMALE).items()}
    out["adipose"] = fat / ADIPOSE_LIPID
    return out


def vss(k: dict[str, float], v: dict[str, float], bp: float) -> float:
    """Plasma + erythrocytes x E:P + sum of tissue volume x Kp (L)."""
    ep = (bp - 1 + HCT) / HCT
    return v["plasma"] + v["rbc"] * ep + sum(v[t] * k[t] for t in RAT)


def fu_p102(fu_ref: float, protein_factor: float, f_ref: float = 0.022) -> float:
    """literature.md P102: fu = 1/[(1 - f) + f K], K from the healthy fu at the healthy fraction f_ref."""
    K = (1 / fu_ref - (1 - f_ref)) / f_ref
    f = f_ref * protein_factor
    return 1 / ((1 - f) + f * K)


def half_lives(rates) -> list[float]:
    return [math.log(2) / r for r in rates]
