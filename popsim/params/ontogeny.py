"""Neonatal and infant PK from ontogeny: a newborn or breast-fed infant's one-compartment parameters.

All functions are scalar functions of one infant (jnp, vmap-able; ``xp=numpy`` gives a float64 path).
Ages: postnatal age (PNA) in weeks for :func:`infant_parameters` and :func:`infant_weight_kg`, in years for
:func:`enzyme_fraction`; postmenstrual age PMA = gestational age at birth + PNA, in weeks.  Numbers are in
:data:`CONSTANTS` with their literature.md row and status.

Model (:func:`infant_parameters`):

* **size**: allometry on total body weight, ``s = (W / 70)^0.75`` (Anderson & Holford,
  :mod:`popsim.params.physiology` ``allometric_exponent``); the adult reference is 70 kg;
* **enzymes**: each enzyme's adult reference intrinsic clearance
  (:func:`popsim.params.derive.reference_intrinsic`) x :func:`enzyme_fraction` (PNA) x ``s``.  Decision: the
  fraction is read as a fraction of the adult's *size-scaled* intrinsic clearance (Anderson & Holford's
  maturation x allometry), not per gram of liver.  The PBPK curves of L44 come from tools that scale by liver
  weight; with ICRP 89 weights (P65, P62: newborn liver 0.13 kg of 3.5 kg, adult 1.8 kg of 73 kg) a per-gram
  reading would give a newborn 0.13/1.8 = 0.072 of the adult liver against ``s`` = 0.104 here (D), i.e.
  0.70 of this model's newborn intrinsic clearance;
* **liver**: well-stirred, infant hepatic blood flow ``Qh = 90 L/h x s``;
* **kidney**: ``fe CL x s x`` :func:`gfr_maturation` (PMA) (Rhodin 2009, whose maturation fraction tends to 1
  in adults: 1 - 4e-6 at 35 y, so no further normalisation);
* **binding**: the newborn's binding protein relative to the (non-pregnant) adult is the fetal:maternal
  ratio at term (L31: albumin 1.163, AAG 0.38) times the mother's own level at term relative to the adult
  (albumin 0.78, P111 as in :func:`popsim.params.gestation.maternal` at 40 weeks; AAG 1, no pregnancy change
  known), so albumin 0.907 (D); it returns linearly to the adult's level by 1 year (assumption A); the unbound
  fraction follows ``fu = 1 / (1 + R (1 - fu_adult) / fu_adult)`` (L31, L48);
* **volume**: one compartment, ``V = (adult Vss / 70 kg) x W x fu / fu_adult``: tissue partition
  coefficients taken proportional to the unbound fraction (assumption; the infant's larger body water and
  smaller fat share are not modelled; L49: midazolam Vd 1.1 L/kg in neonates and adults; L53: lorazepam
  neonatal Vd -40 %);
* **oral (drug swallowed in milk)**: ``F = Fa x FG x FH``: ``Fa`` of the adult oral route
  (:func:`popsim.params.derive.fraction_absorbed`), the infant hepatic availability ``FH = 1 - CL_Hb / Qh``,
  and, decision, gut-wall extraction from the adult entry's ``fg`` with intestinal CYP3A4 matured by L44's
  intestinal set, ``FG = 1 / (1 + (1/FG_adult - 1) a_gut)`` as in :mod:`popsim.params.derive`.  ``KA`` is the
  adult oral ka.  A drug with no oral route (naloxone) gets no ``F`` and ``KA``.  A metabolite (nordiazepam)
  uses the same function: its systemic parameters.

Choices, stated:

* ``ugt`` is UGT2B7's linear function (L45, V2).  The library's glucuronidated benzodiazepines (lorazepam,
  oxazepam, temazepam) are UGT2B15 and 2B7 substrates; L45's UGT2B15 line starts at 0.495 of adult at birth,
  but the UGT2B15 protein read in neonatal livers is 38 of 267 pmol/mg mature, 0.14 (Divakaran 2014, L47,
  V), which the UGT2B7 line (0.113) matches and the UGT2B15 line does not; naloxone is a UGT2B7 substrate.
  L47 also shows UGT2B15 protein above the mature level by 3-15 weeks (404 pmol/mg), which neither linear
  function has: the model's glucuronidation in later infancy and childhood may be low (the L55 check);
* ``other`` enzymes mature as CYP3A4 (assumption A, wide range);
* nothing is fitted: every published neonatal or child value below is a check (tests/reference/
  test_ontogeny.py).

Model table (term birth, GA 40 weeks; weight from :func:`infant_weight_kg`; CL = total plasma clearance in
mL/min/kg; t1/2 = ln2 V / CL in h; "adult" = the library's reference values, CL / 70 kg and ln2 Vss / CL;
regenerate with ``python -m popsim.params.ontogeny``):

<!-- table -->
| drug | CL 0 | CL 1 mo | CL 3 mo | CL 6 mo | CL adult | t1/2 0 | t1/2 1 mo | t1/2 3 mo | t1/2 6 mo | t1/2 adult |
|---|---|---|---|---|---|---|---|---|---|---|
| alprazolam | 0.377 | 0.419 | 0.649 | 1.03 | 1.05 | 34.6 | 31 | 19.8 | 12.2 | 11.6 |
| clonazepam | 0.189 | 0.205 | 0.358 | 0.637 | 0.71 | 228 | 209 | 118 | 64.8 | 55.8 |
| diazepam | 0.233 | 0.238 | 0.385 | 0.525 | 0.357 | 49.1 | 47.6 | 29 | 20.7 | 29.1 |
| nordiazepam | 0.11 | 0.115 | 0.19 | 0.285 | 0.24 | 143 | 136 | 80.8 | 52.7 | 59.7 |
| lorazepam | 0.3 | 0.287 | 0.285 | 0.291 | 1.07 | 51.3 | 53.3 | 52.7 | 50.5 | 13.1 |
| midazolam | 1.79 | 1.91 | 3.13 | 5 | 4.61 | 5.09 | 4.73 | 2.84 | 1.74 | 1.8 |
| oxazepam | 0.3 | 0.287 | 0.285 | 0.29 | 1.07 | 25 | 25.9 | 25.6 | 24.6 | 6.37 |
| temazepam | 0.279 | 0.267 | 0.266 | 0.271 | 1 | 63.6 | 65.9 | 65.2 | 62.5 | 16.2 |
| triazolam | 0.993 | 1.07 | 1.85 | 3.19 | 3.34 | 9.18 | 8.44 | 4.84 | 2.74 | 2.52 |
| zolpidem | 0.897 | 0.969 | 1.67 | 2.88 | 3.03 | 7.61 | 6.99 | 4 | 2.26 | 2.06 |
| chlordiazepoxide | 0.101 | 0.109 | 0.191 | 0.34 | 0.38 | 38.9 | 35.6 | 20 | 11 | 9.39 |
<!-- end table -->
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from popsim.drugs.library import ENZYMES, Drug
from popsim.params import gestation, physiology
from popsim.params.constant import Constant
from popsim.params.derive import _fg_ref, fraction_absorbed, reference_intrinsic
from popsim.params.tissues import scaled_unbound_fraction

__all__ = ["BAND_MIDPOINTS_WEEKS", "CONSTANTS", "by_age_band", "enzyme_fraction", "gfr_maturation",
           "infant_parameters", "infant_weight_kg", "table", "unbound_fraction"]

WEEKS_PER_YEAR = 365.25 / 7.0
WEEKS_PER_MONTH = WEEKS_PER_YEAR / 12.0

_L44 = ("ontogeny parameter table, stored R file 'ontogeny_param' (header cites Salem 2014, Upreti 2016, Cheung "
        "2019), literature.md L44")
_L45 = "as L44, UGT rows (literature.md L45; the linear UGT2B form per Bhatt 2019, attribution not confirmed)"
_BANDS = "band midpoints 0.5, 2, 4.5 and 9 months (<1, 1-3, 3-6, 6-12 mo), linear between, held after 9 months"

CONSTANTS: dict[str, Constant] = {
    # Enzyme maturation, fraction of adult size-scaled intrinsic clearance, by postnatal age (years).
    # Sigmoid Emax F = Fbirth + (Fmax - Fbirth) a^h / (a50^h + a^h), a = min(age, cap): (Fmax, Fbirth, a50, h, cap)
    "cyp3a4": Constant((1.06, 0.11, 0.64, 1.91, 25.0), "1, 1, y, 1, y", _L44 + ", hepatic CYP3A4. Evaluated "
                       "0.11/0.13/0.25/0.48/0.78/0.96 at 0/1 mo/3 mo/6 mo/1 y/2 y (L46). Other published sets "
                       "(L42): Upreti in vivo CYP3A 0.05 at birth but 1.32 by 3 months (L46); Salem 0 at birth",
                       "V2", (0.0, 0.3)),
    "cyp2c19": Constant((0.98, 0.30, 0.29, 2.44, 100.0), "1, 1, y, 1, y", _L44 + ", CYP2C19 (no age cap given). "
                        "Evaluated 0.30/0.33/0.58/0.84/0.95/0.97 (L46); Upreti in vivo 0.16 at birth, in vitro "
                        "0.11 (L42)", "V2", (0.11, 0.30)),
    "other": Constant((1.06, 0.11, 0.64, 1.91, 25.0), "1, 1, y, 1, y", "enzymes outside CYP3A4, CYP2C19 and UGT: "
                      "popsim assumption, maturing as hepatic CYP3A4 (no source); the range is that of the birth "
                      "fraction", "A", (0.05, 1.0)),
    "gut_cyp3a4": Constant((1.059, 0.42, 2.357, 1.0, 100.0), "1, 1, y, 1, y", _L44 + ", intestinal CYP3A4",
                           "V2"),
    # Linear UGT: F = c0 + c1 min(age, cap): (c0, c1, cap)
    "ugt": Constant((0.113, 0.0425, 21.0), "1, 1/y, y", _L45 + ": UGT2B7 (UGT2B15 0.495 + 0.025/y to 20 y, the "
                    "range of the birth value; neonatal UGT2B15 protein 38/267 = 0.14 of mature, Divakaran 2014, "
                    "L47, V, supports the low value). Evaluated 0.11/0.12/0.12/0.13/0.16/0.20, 0.33 at 5 y (L46)",
                    "V2", (0.113, 0.495)),
    # Renal function (Rhodin 2009, L39): fraction of the adult's size-standardised GFR by PMA (weeks)
    "gfr_tm50_weeks": Constant(47.7, "week", "Rhodin MM et al. 2009 Pediatr Nephrol 24:67 (literature.md L39); "
                               "n = 923, PMA 22 wk-31 y", "V", (45.1, 50.5)),
    "gfr_hill": Constant(3.40, "1", "Rhodin 2009 (L39)", "V", (3.03, 3.80)),
    # Plasma binding
    "protein_return_years": Constant(1.0, "y", "postnatal age at which albumin and AAG reach the adult level, "
                                     "linear from birth: popsim assumption (no infant albumin/AAG course in "
                                     "literature.md)", "A", (0.25, 3.0)),
    # Body weight and milk intake of breast-fed infants
    "infant_weight_kg": Constant((4.3, 5.2, 6.7, 7.7), "kg", "breast-fed infant body weight <1, 1-3, 3-6, 6-12 "
                                 "months, Greene et al. 2024 J Environ Expo Assess 3:12 from US EPA EFH 2011 "
                                 "(literature.md L73); used at the " + _BANDS, "V2"),
    # Published neonatal and paediatric values: check targets of tests/reference/test_ontogeny.py, not used by
    # the model.
    "diazepam_newborn_t12_h": Constant(31.0, "h", "Mandelli M et al. 1975 Clin Pharmacol Ther 17:564 "
                                       "(literature.md F2): 31 +- 2 h, newborns exposed in utero", "V", (29.0, 33.0)),
    "midazolam_neonate_vs_adult": Constant((3.3, 3.7), "fold", "healthy neonates vs adults: t1/2 3.3-fold longer, "
                                           "CL per kg 3.7-fold smaller, Vd 1.1 L/kg in both; Pacifici GM 2014 Int "
                                           "J Pediatr 2014:309342 (literature.md L49)", "V"),
    "midazolam_neonate_t12_h": Constant((6.5, 12.0), "h", "neonatal t1/2 6.5 +- 2.3 h (GA 37 wk) and 12 +- 0.6 h "
                                        "(GA 33 wk, ventilated), PNA 1-5 d; Pacifici 2014 Table 1 (L50)", "V2"),
    "midazolam_preterm_oral_f": Constant(0.49, "1", "oral bioavailability, median (range), 15 preterm infants, "
                                         "0.1 mg/kg oral (8 also IV); de Wildt SN et al. 2002 Br J Clin Pharmacol "
                                         "53:390 (literature.md L51)", "V", (0.12, 1.0)),
    "lorazepam_neonate_vs_adult": Constant((0.2, 3.0, 0.6), "fold", "neonates vs adults: CL -80 %, t1/2 3-fold, "
                                           "Vd -40 % (Ativan label, as quoted, literature.md L53); conjugation "
                                           "slow (Whitelaw 1981) but elimination near maternal (McBride 1979) "
                                           "(F33, L54: t1/2 3-4 x adult)", "V2"),
    "lorazepam_child": Constant((1.2, 16.8, 1.5), "mL/min/kg, h, L/kg", "children 3 mo-17 y (median 7.2 y), IV, "
                                "status epilepticus, popPK CL, t1/2, Vd; Chamberlain JM et al. 2012 J Pediatr "
                                "160:667 (literature.md L55)", "V"),
    "naloxone_neonate_t12_h": Constant(3.1, "h", "neonatal t1/2 3.1 +- 0.5 h, naloxone injection USPI "
                                       "(literature.md F34)", "V", (2.6, 3.6)),
}


def _sigmoid(params, age_years, xp):
    fmax, fbirth, a50, h, cap = params
    a = xp.clip(age_years, 0.0, cap)
    return fbirth + (fmax - fbirth) * a**h / (a50**h + a**h)


def enzyme_fraction(enzyme: str, age_years, xp=jnp):
    """Fraction of the adult's size-scaled intrinsic clearance of ``enzyme`` (one of ``ENZYMES``) at
    postnatal age ``age_years`` (y): sigmoid Emax for cyp3a4, cyp2c19 and other, linear UGT2B7 for ugt."""
    if enzyme not in ENZYMES:
        raise ValueError(f"enzyme {enzyme!r}; allowed: {list(ENZYMES)}")
    if enzyme == "ugt":
        c0, c1, cap = CONSTANTS["ugt"].value
        return c0 + c1 * xp.clip(age_years, 0.0, cap)
    return _sigmoid(CONSTANTS[enzyme].value, age_years, xp)


def gfr_maturation(pma_weeks, xp=jnp):
    """Fraction of the adult's size-standardised GFR at postmenstrual age ``pma_weeks`` (Rhodin 2009):
    ``PMA^3.40 / (47.7^3.40 + PMA^3.40)``."""
    tm50, h = CONSTANTS["gfr_tm50_weeks"].value, CONSTANTS["gfr_hill"].value
    pma = xp.maximum(pma_weeks, 0.0)
    return pma**h / (tm50**h + pma**h)


BAND_MIDPOINTS_WEEKS = np.array([0.5, 2.0, 4.5, 9.0]) * WEEKS_PER_MONTH  # the EPA bands <1, 1-3, 3-6, 6-12 months


def by_age_band(at_birth, band_means, age_weeks, xp=jnp):
    """A quantity of the infant by postnatal age: ``at_birth`` at 0, each of the EPA age bands' ``band_means``
    at its midpoint (0.5, 2, 4.5, 9 months), linear between, the last held after it."""
    return xp.interp(age_weeks, xp.asarray(np.concatenate([[0.0], BAND_MIDPOINTS_WEEKS])),
                     xp.asarray((at_birth, *band_means)))


def infant_weight_kg(age_weeks, xp=jnp):
    """Body weight (kg) of a breast-fed infant at postnatal age ``age_weeks``: Kapraun's fetal weight at 40 weeks
    at birth (3.44 kg, :func:`popsim.params.gestation.fetus`, L12/L16), then the EPA age-band means (L73) at the
    band midpoints, linear between, 7.7 kg from 9 months on."""
    return by_age_band(float(gestation.fetus(40.0, xp=np)["weight_kg"]), CONSTANTS["infant_weight_kg"].value,
                       age_weeks, xp)


def _protein_factor(binding: str, age_years, xp):
    albumin, aag = gestation.CONSTANTS["fetal_protein_ratio"].value
    mother = gestation.maternal(40.0, 0.0, xp=np)  # the mother's binding proteins at term
    r0 = albumin * float(mother["albumin"]) if binding == "albumin" else aag * float(mother["aag"])
    return r0 + (1.0 - r0) * xp.clip(age_years / CONSTANTS["protein_return_years"].value, 0.0, 1.0)


def unbound_fraction(drug: Drug, age_years, xp=jnp):
    """Plasma unbound fraction at postnatal age ``age_years``: ``1 / (1 + R (1 - fu) / fu)`` with ``fu`` the
    adult's and ``R`` the infant's binding protein (albumin or AAG, the entry's) relative to the adult."""
    return scaled_unbound_fraction(drug.fu.value, _protein_factor(drug.binding.value, age_years, xp))


def infant_parameters(drug: Drug, age_weeks, ga_at_birth_weeks, weight_kg, eta_cl=0.0, eta_v=0.0,
                      xp=jnp) -> dict:
    """One-compartment PK parameters of an infant (scalars; see the module docstring for the model).

    Parameters
    ----------
    drug : a library entry (a metabolite gives its systemic parameters).
    age_weeks : postnatal age (weeks).
    ga_at_birth_weeks : gestational age at birth (weeks); PMA = GA at birth + PNA.
    weight_kg : body weight (kg), e.g. :func:`infant_weight_kg`.
    eta_cl, eta_v : log-scale random effects on intrinsic clearance (all enzymes) and on V.

    Returns ``CL`` (L/h, total plasma clearance), ``V`` (L), ``fu``, ``F`` (oral bioavailability of drug
    swallowed in milk; without an oral route, e.g. a metabolite, the hepatic availability alone: absorption
    complete and no gut-wall extraction, an assumption) and, with an oral route, ``KA`` (1/h, the adult oral
    ka).
    """
    age_years = age_weeks / WEEKS_PER_YEAR
    size = (weight_kg / physiology.REFERENCE["weight_kg"]) ** physiology.CONSTANTS["allometric_exponent"].value
    fu = unbound_fraction(drug, age_years, xp)
    fub = fu / drug.bp.value
    clint = sum(v * enzyme_fraction(e, age_years, xp) for e, v in reference_intrinsic(drug).items() if v > 0)
    clint = clint * size * xp.exp(eta_cl)
    qh = physiology.CONSTANTS["qh_l_h"].value * size
    clhb = qh * fub * clint / (qh + fub * clint)
    renal = drug.fe.value * drug.cl.value * size * gfr_maturation(ga_at_birth_weeks + age_weeks, xp)
    out = {"CL": drug.bp.value * clhb + renal,
           "V": drug.vss.value / drug.reference_weight_kg * weight_kg * fu / drug.fu.value * xp.exp(eta_v),
           "fu": fu}
    if "oral" in drug.routes:
        a_gut = _sigmoid(CONSTANTS["gut_cyp3a4"].value, age_years, xp)
        fg = 1.0 / (1.0 + (1.0 / _fg_ref(drug, "oral") - 1.0) * a_gut)
        out["F"] = fraction_absorbed(drug) * fg * (1.0 - clhb / qh)
        out["KA"] = drug.routes["oral"].ka.value * xp.ones_like(clhb)
    else:  # a metabolite swallowed in milk: fully absorbed, no gut-wall extraction (assumption A), first pass
        out["F"] = 1.0 - clhb / qh
    return out


TABLE_DRUGS = ("alprazolam", "clonazepam", "diazepam", "nordiazepam", "lorazepam", "midazolam", "oxazepam",
               "temazepam", "triazolam", "zolpidem", "chlordiazepoxide")
TABLE_MONTHS = (0.0, 1.0, 3.0, 6.0)


def table() -> str:
    """The module docstring's markdown table of the library benzodiazepines (float64, numpy)."""
    from popsim.drugs.library import load

    rows = ["| drug | CL 0 | CL 1 mo | CL 3 mo | CL 6 mo | CL adult | t1/2 0 | t1/2 1 mo | t1/2 3 mo | t1/2 6 mo "
            "| t1/2 adult |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in TABLE_DRUGS:
        d = load(name)
        cl, t12 = [], []
        for m in TABLE_MONTHS:
            age = m * WEEKS_PER_MONTH
            w = float(infant_weight_kg(age, np))
            p = infant_parameters(d, age, 40.0, w, xp=np)
            cl.append(p["CL"] / w * 1000 / 60)
            t12.append(np.log(2) * p["V"] / p["CL"])
        cl.append(d.cl.value / d.reference_weight_kg * 1000 / 60)
        t12.append(np.log(2) * d.vss.value / d.cl.value)
        rows.append(f"| {name} | " + " | ".join(f"{x:.3g}" for x in cl + t12) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
