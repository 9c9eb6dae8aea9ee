"""Drug transfer into breast milk: the milk:plasma concentration ratio (M/P), the infant's milk intake and
the infant dose.

All functions are for one mother-infant pair (scalars), written with arithmetic and an ``xp`` array
module so that jax (traced, vmapped) and numpy both work.  The drug's acid/base class and pKa are
static (Python values of the library entry).

**Phase-distribution model** (:func:`phase_model`; the structure of Atkinson & Begg 1990, literature.md
L58, V; the Fleishaker 1987 form L61, M).  At equilibrium the unbound drug in milk water equals the
unbound drug in plasma water times the pH-partition ratio of the two waters (milk pH 7.2, plasma 7.4):
for a base ``R = (1 + 10^(pKa - 7.2)) / (1 + 10^(pKa - 7.4))``, for an acid the exponents change sign,
for a neutral drug ``R = 1``.  Whole milk is skim milk (drug bound to milk protein, unbound fraction
``fu_skim``) plus milk lipid (the unionised form partitioning with coefficient ``K_lipid``)::

    M/P = R fu_p [(1 - fat) / fu_skim + fat K_lipid f_n,milk],    f_n,milk = unionised fraction at pH 7.2

with ``fat`` the lipid volume fraction (0.04, L72; taken as a volume fraction, lipid and water densities
both taken as 1, a popsim simplification).  M/P rises with ``fat`` where ``K_lipid f_n,milk fu_skim > 1``
(a drug lipophilic at milk pH) and falls otherwise.

* ``fu_skim`` (:func:`skim_unbound_fraction`).  Atkinson & Begg 1988 (L57) relate it to plasma fu, but
  their coefficients are not in literature.md.  popsim uses a binding-capacity form: milk protein binds
  with the plasma affinity at a fraction ``r`` of the plasma capacity, so bound:unbound in skim milk is
  ``r`` times that in plasma, ``fu_skim = 1 / (1 + r (1/fu_p - 1))``.  ``r`` is FITTED (status F) by least
  squares on ln fu_skim to Fleishaker's three drugs (L60: serum fu -> skim fu), r = 0.03127:

  =============  =======  ==============  ==============  ==========
  drug           fu_p     fu_skim (L60)   fu_skim (fit)   fold error
  =============  =======  ==============  ==============  ==========
  diazepam       0.013    0.334           0.296           0.89
  phenytoin      0.142    0.584           0.841           1.44
  propranolol    0.107    0.699           0.793           1.13
  =============  =======  ==============  ==============  ==========

  One capacity ratio cannot fit all three (drug-by-drug r = 0.026, 0.118, 0.052); the fit on the log
  scale is dominated by diazepam, whose skim fu is the most sensitive to r.  As ``fu_p -> 0`` skim fu
  tends to 0 and M/P to ``R (1 - fat) r``.
* ``K_lipid``: Poulin & Theil's vegetable-oil:water relation ``log K = 1.115 log P - 1.35`` (P53, V), the
  one popsim's tissue model already uses for the neutral lipid of adipose tissue
  (:data:`popsim.params.tissues.TISSUE_CONSTANTS` ``oil_water``), on the model log P of
  :func:`popsim.params.tissues.model_lipophilicity` (fitted to the drug's Vss; the measured log P of
  most entries is M, and nordiazepam has none).  Why oil and not octanol: milk fat is triglyceride, like
  adipose neutral lipid.  The check is Fleishaker's diazepam skim/whole-milk ratio S/M 0.220 (L60; whole =
  4.5 x skim): whole/skim = ``(1 - fat) + fat K_lipid f_n fu_skim`` is 3.41 with oil:water and the
  measured skim fu 0.334 (3.14 with the fitted skim fu); octanol (K = P) gives 24.2 (21.6): oil:water is
  1.3-fold low, octanol 5.3-fold high.  Fleishaker's milk fat content is not in literature.md.

**Regression** (``method="regression"``): Atkinson & Begg 1990's log-transformed regressions as recorded
in L59 (status M: memory, unverified; the full text could not be read), with ``M/Pu = R`` and
``K = 10^logP`` (the same model log P): bases ``ln M/P = 0.025 + 2.28 ln R + 0.89 ln fu_p + 0.51 ln K``,
acids ``ln M/P = -0.405 + 9.36 ln R - 0.69 ln fu_p - 1.54 ln K``.  Neutral drugs (most library
benzodiazepines) take the base equation (a popsim assumption: L59 gives no neutral equation).

**Predicted vs measured** (reference subject's entry fu; the checks asserted in
tests/reference/test_milk_vs_literature.py were chosen before the numbers were computed: the V rows of
F12 within 2-fold, the band the same model class reached in Simcyp, L65; the V2 ranges within 2-fold of
their ends; F23's M/P < 1; M rows reported only):

=============  ======  ==========  ===========  ===========  =========  ==========  =====
drug           fu_p    measured    status       phase model  fold       regression  fold
=============  ======  ==========  ===========  ===========  =========  ==========  =====
diazepam       0.0134  0.20        V (F12)      0.141        0.70       0.99        5.0
nordiazepam    0.020   0.13        V (F12)      0.185        1.42       1.37        10.5
temazepam      0.040   0.14        V (F12)      0.219        1.56       1.94        13.9
oxazepam       0.045   0.10        V (F12)      0.122        1.22       1.23        12.3
oxazepam       0.045   0.10-0.30   V2 (L79/80)  0.122        in range   1.23        4.1
zolpidem       0.075   0.10-0.20   V2 (L76)     0.141        in range   1.41        7.1
clonazepam     0.15    0.33-0.37   M (anchors)  0.556        1.50       5.28        14.3
=============  ======  ==========  ===========  ===========  =========  ==========  =====

(fold = predicted / measured; for a range, "in range" or the fold beyond the nearer end.)  Every phase-model
check passes; the regression is 4-15-fold high for every drug (its coefficients are unverified, L59; its
misses of the same checks are strict xfails in the test).
Nordiazepam's fu is an assumption (A) and F12 is one patient.  Sensitivity: with the entries' measured
log P (status M) instead of the model log P the phase model gives diazepam 0.076 (fold 0.38), temazepam
0.087, oxazepam 0.097, zolpidem 0.167, clonazepam 0.300.  No measurement: lorazepam 0.244 (regression
2.60), alprazolam 0.336 (3.27), midazolam 0.132 (1.37).  The Japanese cohort (F23, V) reports M/P < 1 for
alprazolam, clonazepam and lorazepam: the phase model meets it, the regression does not.  Lorazepam's milk
concentrations (F15: free 12, conjugated 35 ug/L at 2.5 mg bid) come without plasma concentrations, so no
M/P is derived from them.  Comparators outside the library (zopiclone 0.51, L77; phenytoin and
propranolol, L60) are left out: literature.md gives no log P, pKa or fu for zopiclone, and for phenytoin
and propranolol only the binding of L60 (used for the fit of r).

**Infant dose** (L70, V2): average infant dose ``AID (mg/kg/day) = C_milk x milk intake (L/kg/day)``;
relative infant dose ``RID (%) = AID / (maternal dose / maternal weight) x 100``, below 10% generally
"low risk" for a healthy term infant.  Milk intake by age (:func:`milk_intake_l_kg_day`): 0.15 L/kg/day
at birth (L71, V) and the EPA band means 150/140/110/83 mL/kg/day at birth-1, 1-3, 3-6 and 6-12 months
(L74, M), each taken at its band's mid-age, linear between (a popsim assumption), outside 0-12 months NaN.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from popsim._validate import choice, closest
from popsim.params import ontogeny, tissues
from popsim.params.constant import Constant
from popsim.params.tissues import scaled_unbound_fraction

__all__ = ["CONSTANTS", "FLEISHAKER", "MEASURED", "METHODS", "ionisation_ratio", "unionised_fraction",
           "skim_unbound_fraction", "phase_model", "regression", "milk_plasma_ratio", "milk_intake_l_kg_day",
           "infant_daily_dose_mg_kg", "relative_infant_dose"]

METHODS = ("predicted", "regression", "measured")

_AB1990 = "Atkinson HC, Begg EJ. Clin Pharmacokinet 1990;18:151 (PMID 2318008), literature.md L58"
_EPA = "US EPA Exposure Factors Handbook 2011"

CONSTANTS: dict[str, Constant] = {
    "ph": Constant((7.2, 7.4), "pH", _AB1990 + ": milk ~7.2, plasma 7.4", "V"),
    "milk_fat": Constant(0.04, "1", _EPA + " default milk fat fraction, as used in a lactational-dose equation "
                         "(L72, V2); range: a popsim assumption (A) covering fore- to hind-milk variation, no "
                         "source in literature.md", "V2", (0.015, 0.10)),
    "milk_intake": Constant(((0.0, 1.0, 3.0, 6.0, 12.0), (150.0, 140.0, 110.0, 83.0)), "months, mL/kg/day",
                            _EPA + " ch. 15 mean intake by age band birth-1, 1-3, 3-6, 6-12 months (95th "
                            "percentiles 220, 190, 150, 130); L74, memory, unverified: Table 15-1 not seen", "M"),
    "milk_intake_newborn": Constant(0.15, "L/kg/day", "Matheson I et al. Br J Clin Pharmacol 1990;30:267, the "
                                    "intake assumed for the zopiclone infant dose (L71)", "V"),
    "rid_threshold": Constant(10.0, "%", "RID < 10% generally 'low risk' for healthy term infants "
                              "(breast-assured.com, L70)", "V2"),
    "skim_binding": Constant(0.03127, "1", "ratio r of skim-milk to plasma binding capacity in fu_skim = 1/(1 + "
                             "r (1/fu_p - 1)); fitted by least squares on ln fu_skim to Fleishaker 1987's diazepam, "
                             "phenytoin and propranolol (L60, fit rows): fold errors 0.89, 1.44, 1.13. Range: "
                             "the drug-by-drug values", "F", (0.026, 0.118)),
}

FLEISHAKER = Constant({"diazepam": (0.013, 0.334, 0.220), "phenytoin": (0.142, 0.584, 0.727),
                       "propranolol": (0.107, 0.699, 0.610)}, "1 (fu serum, fu skim milk, skim/whole-milk S/M)",
                      "Fleishaker JC et al. J Pharm Sci 1987;76:189 (PMID 3585733), equilibrium dialysis, 4 lactating "
                      "women (L60)", "V")

_DUSCI = "Dusci LJ et al. Br J Clin Pharmacol 1990 (PMC1380071), high-dose diazepam + oxazepam (F12)"
MEASURED: dict[str, Constant] = {
    "diazepam": Constant(0.20, "1", _DUSCI, "V"),
    "nordiazepam": Constant(0.13, "1", _DUSCI, "V"),
    "temazepam": Constant(0.14, "1", _DUSCI, "V"),
    "oxazepam": Constant(0.10, "1", _DUSCI + "; range 0.1-0.3: IRF Q&A and e-lactancia (L79, L80; V2)", "V",
                         (0.10, 0.30)),
    "zolpidem": Constant(math.sqrt(0.1 * 0.2), "1", "e-lactancia, zolpidem tartrate (L76, V2): M/P 0.1-0.2; "
                         "the value is the range's geometric midpoint (D)", "V2", (0.1, 0.2)),
    "clonazepam": Constant(math.sqrt(0.33 * 0.37), "1", "LactMed M/P 0.33-0.37, noted in literature.md only as "
                           "'already in the anchors' and not re-read there (open questions list): memory, "
                           "unverified, never a check; the value is the range's geometric midpoint", "M",
                           (0.33, 0.37)),
}


def _k(name):
    return CONSTANTS[name].value


def _sign(kind: str) -> float:
    choice("kind", kind, ("neutral", "base", "acid"))
    return {"neutral": 0.0, "base": 1.0, "acid": -1.0}[kind]


def unionised_fraction(kind: str, pka: float | None, ph):
    """Unionised fraction of a monoprotic drug in water at ``ph`` (1 for a neutral drug)."""
    if pka is None or _sign(kind) == 0.0:
        return 1.0
    return 1.0 / (1.0 + 10.0 ** (_sign(kind) * (pka - ph)))


def ionisation_ratio(kind: str, pka: float | None):
    """Milk:plasma ratio of unbound drug in water (unionised + ionised) at equal unionised concentrations,
    milk pH 7.2 vs plasma pH 7.4 (>1 for a base, <1 for an acid, 1 for a neutral drug)."""
    ph_milk, ph_plasma = _k("ph")
    return unionised_fraction(kind, pka, ph_plasma) / unionised_fraction(kind, pka, ph_milk)


def skim_unbound_fraction(fu_plasma):
    """Skim-milk unbound fraction from the plasma unbound fraction: ``1 / (1 + r (1/fu_p - 1))`` with
    ``r`` the fitted skim:plasma binding-capacity ratio ``CONSTANTS["skim_binding"]``."""
    return scaled_unbound_fraction(fu_plasma, _k("skim_binding"))


def phase_model(fu_plasma, kind: str, pka: float | None, logp, fat=None):
    """Whole-milk M/P by the phase-distribution model (module docstring): ``fu_plasma`` the plasma
    unbound fraction, ``kind``/``pka`` the ionisation, ``logp`` the octanol:water log P converted to
    milk lipid:water by Poulin & Theil's oil:water relation, ``fat`` the milk lipid volume fraction
    (``CONSTANTS["milk_fat"]`` by default)."""
    fat = _k("milk_fat") if fat is None else fat
    slope, icept = tissues.TISSUE_CONSTANTS["oil_water"].value
    k_lipid = 10.0 ** (slope * logp + icept)
    f_n = unionised_fraction(kind, pka, _k("ph")[0])
    return ionisation_ratio(kind, pka) * fu_plasma * (
        (1.0 - fat) / skim_unbound_fraction(fu_plasma) + fat * k_lipid * f_n)


def regression(fu_plasma, kind: str, pka: float | None, logp, xp=jnp):
    """M/P by Atkinson & Begg's log-transformed regressions as recorded in L59 (memory, unverified):
    the acid equation for acids, the base equation for bases and neutral drugs (assumption)."""
    ln_r = math.log(ionisation_ratio(kind, pka))
    ln_k = logp * math.log(10.0)
    if kind == "acid":
        return xp.exp(-0.405 + 9.36 * ln_r - 0.69 * xp.log(fu_plasma) - 1.54 * ln_k)
    return xp.exp(0.025 + 2.28 * ln_r + 0.89 * xp.log(fu_plasma) + 0.51 * ln_k)


def milk_plasma_ratio(drug, fu=None, method: str = "predicted", xp=jnp):
    """Whole-milk:plasma concentration ratio of a library drug.

    ``method``: ``"predicted"`` (:func:`phase_model`), ``"regression"`` (:func:`regression`, status M) or
    ``"measured"`` (:data:`MEASURED`; an error for a drug without one).  ``fu``: the plasma unbound fraction
    (a subject's, e.g. :func:`popsim.params.derive.unbound_fraction`; default the entry's ``fu``); the
    predicted methods only.  Log P is the model lipophilicity of the entry; ``xp`` the array module of the
    regression and measured methods (the phase model is arithmetic only).
    """
    choice("method", method, METHODS)
    if method == "measured":
        if fu is not None:
            raise ValueError(f"fu={fu!r}; allowed: None with method='measured' (a measured M/P does not take a fu)")
        if drug.name not in MEASURED:
            raise ValueError(f"drug={drug.name!r}; allowed with method='measured': {list(MEASURED)} (the drugs "
                             "with a measured M/P)" + closest(drug.name, MEASURED))
        return xp.asarray(MEASURED[drug.name].value)
    kind = drug.acid_base.value if drug.acid_base is not None else "neutral"
    pka = drug.pka.value if drug.pka is not None else None
    fu = drug.fu.value if fu is None else fu
    logp = tissues.model_lipophilicity(drug)
    if method == "predicted":
        return phase_model(fu, kind, pka, logp)
    return regression(fu, kind, pka, logp, xp)


def milk_intake_l_kg_day(age_weeks, xp=jnp):
    """Infant milk intake (L/kg/day) at ``age_weeks`` (0-52.2 weeks; NaN outside): the newborn anchor at birth,
    each EPA band mean at the band's mid-age, linear between, the last held to 12 months
    (:func:`popsim.params.ontogeny.by_age_band`)."""
    edges, means = _k("milk_intake")
    inside = (age_weeks >= 0.0) & (age_weeks <= edges[-1] * ontogeny.WEEKS_PER_MONTH)
    per_l = [m / 1000.0 for m in means]
    return xp.where(inside, ontogeny.by_age_band(_k("milk_intake_newborn"), per_l, age_weeks, xp), xp.nan)


def infant_daily_dose_mg_kg(c_milk_avg_mg_l, age_weeks, xp=jnp):
    """Average infant dose (mg/kg/day) from the average milk concentration (mg/L) at the infant's age (L70)."""
    return c_milk_avg_mg_l * milk_intake_l_kg_day(age_weeks, xp)


def relative_infant_dose(infant_mg_kg_day, maternal_mg_day, maternal_weight_kg):
    """Relative infant dose (%): the infant dose over the maternal weight-adjusted dose, x 100 (L70)."""
    return 100.0 * infant_mg_kg_day / (maternal_mg_day / maternal_weight_kg)
