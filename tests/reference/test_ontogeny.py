"""Neonatal and infant PK of :mod:`popsim.params.ontogeny` against published values.

Nothing in the ontogeny model is fitted: every row here is a check, decided before the model was run.
Tolerance, the same for all: a model value within 2-fold of a published value (the usual acceptance of
paediatric PBPK predictions: single small studies of sick or exposed neonates); a mean +- SD (diazepam 31 +- 2 h)
is treated as a single value, and where a range is given the model must be inside it.  A 2-fold band does not
check a direction: lorazepam's newborn V passes at 1.82-fold although the model has it 9% larger than the
adult's per kg where the label says 40% smaller (L53).  Each assertion prints the fold error (model /
published).  A check the model misses stays as ``xfail(strict=True)`` with its numbers.

Conventions: "neonate" / "newborn" is a term infant (GA 40 weeks) at birth (PNA 0) with the model's birth weight
3.44 kg; t1/2 = ln2 V / CL of the one-compartment model; the adult comparator is the library entry (CL / 70 kg,
Vss / 70 kg, ln2 Vss / CL), i.e. the adult the model is built on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from popsim.drugs.library import load
from popsim.params.ontogeny import CONSTANTS, WEEKS_PER_YEAR, infant_parameters, infant_weight_kg

FOLD = 2.0
LN2 = math.log(2)


def _newborn(name: str) -> dict:
    w = float(infant_weight_kg(0.0, np))
    p = infant_parameters(load(name), 0.0, 40.0, w, xp=np)
    return {"CL_kg": p["CL"] / w, "V_kg": p["V"] / w, "t12": LN2 * p["V"] / p["CL"], "F": p.get("F")}


def _adult(name: str) -> dict:
    d = load(name)
    return {"CL_kg": d.cl.value / d.reference_weight_kg, "V_kg": d.vss.value / d.reference_weight_kg,
            "t12": LN2 * d.vss.value / d.cl.value}


def _within(model: float, published: float, what: str) -> None:
    fold = model / published
    assert 1 / FOLD <= fold <= FOLD, f"{what}: model {model:.3g} vs published {published:.3g}, fold {fold:.2f}"


def test_diazepam_newborn_half_life():
    """F2 (Mandelli 1975): 31 +- 2 h.  Model 49.1 h, fold 1.58 (CYP2C19 0.30 and CYP3A4 0.11 of adult)."""
    _within(_newborn("diazepam")["t12"], CONSTANTS["diazepam_newborn_t12_h"].value, "diazepam newborn t1/2 (h)")


def test_midazolam_neonate_vs_adult():
    """L49 (Pacifici 2014): t1/2 3.3-fold longer, CL per kg 3.7-fold smaller, Vd per kg the same.
    Model: 2.83, 2.58 and 1.10."""
    n, a = _newborn("midazolam"), _adult("midazolam")
    t12_ratio, cl_ratio = CONSTANTS["midazolam_neonate_vs_adult"].value
    _within(n["t12"] / a["t12"], t12_ratio, "midazolam t1/2 neonate / adult")
    _within(a["CL_kg"] / n["CL_kg"], cl_ratio, "midazolam CL per kg adult / neonate")
    _within(n["V_kg"] / a["V_kg"], 1.0, "midazolam V per kg neonate / adult")


@pytest.mark.xfail(strict=True, reason="midazolam neonatal t1/2: model 5.09 h, below the L50 range 6.5-12 h "
                   "(fold 0.78 of 6.5 h): the model's neonate/adult ratio 2.83 (L49: 3.3) on the library adult's "
                   "ln2 Vss/CL 1.80 h, where L49's ratio on L50's adult 1.9 h would give 6.3 h")
def test_midazolam_neonate_half_life():
    """L50 (Pacifici 2014 Table 1): neonatal t1/2 6.5 +- 2.3 h (GA 37) to 12 +- 0.6 h (GA 33): inside the range."""
    lo, hi = CONSTANTS["midazolam_neonate_t12_h"].value
    t12 = _newborn("midazolam")["t12"]
    assert lo <= t12 <= hi, f"midazolam neonatal t1/2 {t12:.3g} h outside [{lo}, {hi}] h, fold {t12 / lo:.2f} of {lo}"


def test_midazolam_oral_bioavailability_newborn():
    """L51 (de Wildt 2002): oral F 0.49 (0.12-1.0) in 15 preterm infants (PNA not given; F does not depend on
    weight in the model and hardly on GA).  Model 0.61: FG 0.66 (intestinal CYP3A4 0.42), FH 0.94."""
    _within(_newborn("midazolam")["F"], CONSTANTS["midazolam_preterm_oral_f"].value, "midazolam oral F newborn")


def test_lorazepam_neonate_vs_adult():
    """L53 (label, V2): CL -80 %, t1/2 3-fold, Vd -40 % vs adults (per kg).  Model: CL x0.28 (fold 1.39), t1/2
    x3.9 (fold 1.31), V x1.09 (fold 1.82: Kp proportional to fu raises V with the newborn's fu)."""
    n, a = _newborn("lorazepam"), _adult("lorazepam")
    cl, t12, v = CONSTANTS["lorazepam_neonate_vs_adult"].value
    _within(n["CL_kg"] / a["CL_kg"], cl, "lorazepam CL per kg neonate / adult")
    _within(n["t12"] / a["t12"], t12, "lorazepam t1/2 neonate / adult")
    _within(n["V_kg"] / a["V_kg"], v, "lorazepam V per kg neonate / adult")


def test_lorazepam_children():
    """L55 (Chamberlain 2012): 3 mo-17 y, median 7.2 y: CL 1.2 mL/min/kg, t1/2 16.8 h, Vd 1.5 L/kg.  Evaluated
    at 7.2 y and 24.7 kg (ICRP 89 reference children 19 kg at 5 y, 32 kg at 10 y, literature.md P65, linear
    between: D).  Model: CL 0.61 (fold 0.51, UGT2B7 line 0.42 of adult at 7.2 y), t1/2 23.1 h (1.38), V 1.22 L/kg
    (0.81)."""
    weight = 19.0 + (32.0 - 19.0) * (7.2 - 5.0) / 5.0
    p = infant_parameters(load("lorazepam"), 7.2 * WEEKS_PER_YEAR, 40.0, weight, xp=np)
    cl, t12, v = CONSTANTS["lorazepam_child"].value
    _within(p["CL"] / weight * 1000 / 60, cl, "lorazepam child CL (mL/min/kg)")
    _within(LN2 * p["V"] / p["CL"], t12, "lorazepam child t1/2 (h)")
    _within(p["V"] / weight, v, "lorazepam child V (L/kg)")


@pytest.mark.xfail(strict=True, reason="naloxone neonatal t1/2: model 0.33 h vs 3.1 h (F34), fold 0.106. A "
                   "high-extraction drug: newborn CL 1.19 L/h/kg (0.92 of the adult per kg) since hepatic blood "
                   "flow scales allometrically while UGT2B7 at 0.113 only lowers the extraction (0.83 -> 0.36); "
                   "the library adult's ln2 Vss/CL is 0.29 h against the labelled 64 +- 12 min (C20): the model's "
                   "neonate/adult ratio 1.13 vs the label's 2.9; both the one-compartment Vss/CL metric and the "
                   "allometric neonatal hepatic flow fall short")
def test_naloxone_neonate_half_life():
    """F34 (USPI): neonatal t1/2 3.1 +- 0.5 h."""
    _within(_newborn("naloxone")["t12"], CONSTANTS["naloxone_neonate_t12_h"].value, "naloxone neonatal t1/2 (h)")
