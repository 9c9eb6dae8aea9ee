"""One subject's covariates -> the physiology that drug clearance and volume depend on.

All functions take and return scalars for one subject (``simulate.py``
batches them).  Every constant is in :data:`CONSTANTS` with its source and
status (``V``/``V2`` read in shared/science/literature.md; ``M`` recalled
from the cited paper, not read here: a prior to be checked; ``A`` a popsim
assumption with no source).  Effects act on physiology, never on fitted
drug multipliers:

* body composition: fat fraction from BMI, age and sex (Deurenberg 1991);
  lean mass = weight - fat mass;
* liver: blood flow and size scale allometrically with lean mass and fall
  with age past 40 (Wynne 1989); Child-Pugh A/B/C scale portal and arterial
  flow, CYP abundance, albumin and GFR (Edginton & Willmann 2008 factors as
  implemented by OSP, literature.md B38); a Child-Pugh portal-flow deficit is
  treated as a porto-systemic shunt that lets oral drug bypass the liver;
* enzymes: CYP3A4, CYP2C19 (phenotype), UGT relative activities per gram of
  liver; glucuronidation is spared by age (B14-B16), so the age-related loss
  of liver volume lowers CYP clearance only, and rises with fat mass
  (conjugation CL grows with weight in obesity, B26; exponent fitted on B23);
* plasma binding proteins relative to a healthy adult: albumin (Child-Pugh,
  B38; age, an assumption) and alpha1-acid glycoprotein (Child-Pugh, B38),
  which set the unbound fraction of the drugs bound to each; GFR relative to
  the reference adult (Cockcroft-Gault form);
* pregnancy and the weeks after delivery (:func:`popsim.params.gestation.maternal`,
  continuous in gestational and postpartum week): hepatic blood flow, GFR,
  albumin, AAG, CYP3A4, CYP2C19 and UGT activity, and (through
  :mod:`popsim.params.tissues`) plasma, red cells, cardiac output and fat;
* tissue volumes and blood flows (:mod:`popsim.params.tissues`): the ICRP
  reference man and woman scaled by fat-free mass, adipose tissue from fat
  mass.

The reference subject (all factors 1) is a 35-year-old man, 70 kg, 176 cm.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from popsim.cohort.spec import CYP2C19
from popsim.params import gestation, tissues
from popsim.params.constant import Constant

__all__ = ["CONSTANTS", "Constant", "REFERENCE", "REFERENCE_COVARIATES", "physiology", "body_fat_fraction",
           "deurenberg", "reference_covariates", "reference_physiology"]


_DEURENBERG = "Deurenberg P, Weststrate JA, Seidell JC. Br J Nutr 1991;65:105-14 (formula recalled, not read here)"
_WYNNE = ("Wynne HA et al. The effect of age upon liver volume and apparent liver blood flow in healthy man. "
          "Hepatology 1989;9:297-301 (recalled, not read here)")
_B38 = ("Edginton AN & Willmann S 2008; Johnson TN et al. 2010; as implemented in OSP Qualification-HI "
        "Section2_Model.md (literature.md B38)")

CONSTANTS: dict[str, Constant] = {
    "qh_l_h": Constant(90.0, "L/h", "adult hepatic blood flow ~1.5 L/min, a common PBPK value (memory, unverified)",
                       "M", (70.0, 110.0)),
    "portal_share": Constant(0.75, "1", "portal vein share of hepatic blood flow (memory, unverified)", "M",
                             (0.65, 0.8)),
    "allometric_exponent": Constant(0.75, "1", "Anderson BJ & Holford NHG. Annu Rev Pharmacol Toxicol 2008;48:303 "
                                    "(recalled)", "M"),
    "liver_flow_fall_by_75": Constant(0.35, "1", _WYNNE + ": apparent liver blood flow ~35% lower over 65 than "
                                      "under 40", "M", (0.2, 0.5)),
    "liver_volume_fall_by_75": Constant(0.28, "1", _WYNNE + ": liver volume ~28% lower over 65 than under 40",
                                        "M", (0.15, 0.4)),
    "deurenberg": Constant((1.2, 0.23, -10.8, -5.4), "% per (kg m-2, year, male, 1)", _DEURENBERG, "M"),
    # Child-Pugh none/A/B/C (B38)
    "cp_portal_flow": Constant((1.0, 0.4, 0.36, 0.04), "1", _B38, "V"),
    "cp_arterial_flow": Constant((1.0, 1.3, 2.3, 3.4), "1", _B38, "V"),
    "cp_cyp3a4": Constant((1.0, 1.0, 0.4, 0.4), "1", _B38, "V"),
    "cp_cyp2c19": Constant((1.0, 0.32, 0.26, 0.12), "1", _B38, "V"),
    "ugt_fat_exponent": Constant(0.35, "1", "glucuronidation capacity rises with body fat, UGT x (fat mass / "
                                 "reference)^exponent: conjugation CL increases with weight in obesity while oxidation "
                                 "hardly changes (Abernethy & Greenblatt 1986, B26). Fitted on the lorazepam clearance "
                                 "ratio obese vs control, 102 vs 63 mL/min (Abernethy 1983, B23; plan row marked fit): "
                                 "predicted 1.46 / 1.54 / 1.62 / 1.71 at 0.25 / 0.3 / 0.35 / 0.4 (200 subjects) vs "
                                 "1.62 observed; the range keeps the fold within 5%. Oxazepam's ratio in the same "
                                 "study "
                                 "(3.14) is a check", "F", (0.3, 0.4)),
    "ugt_cp_exponent": Constant(
        0.91, "1", "glucuronidation in liver disease: total clearance of the LOT drugs is preserved (oxazepam "
        "t1/2, CL, Vd not different in hepatitis and cirrhosis, Shull 1976, B30; Hoyumpa 1981, B89) although "
        "their unbound fraction rises with the albumin deficit; so UGT capacity scales with hepatocyte function, "
        "indexed by the Child-Pugh albumin factor (B38) to this exponent.  Fitted (F) on B30: oxazepam clearance "
        "of the reference subject in Child-Pugh B equal to healthy (0.912; classes A and C alone would give 0.80 "
        "and 0.92, the range); B38 lists no UGT factor", "F", (0.8, 0.92)),
    "cp_albumin": Constant((1.0, 0.81, 0.68, 0.5), "1", _B38, "V"),
    "cp_aag": Constant((1.0, 0.6, 0.56, 0.3), "1", _B38 + " (alpha1-acid glycoprotein)", "V"),
    "albumin_fall_by_85": Constant(0.1, "1", "serum albumin falls with age: popsim assumption, linear from 40 y "
                                   "reaching 10% lower at 85 (no numbers in literature.md; diazepam and "
                                   "nordiazepam fu rise with age, r = 0.27-0.44, P6-P8; oxazepam fu 9.8 vs 5.1% "
                                   "at 80-94 vs 26-42 y, B16, would need a far larger fall)", "A", (0.0, 0.3)),
    "cp_gfr": Constant((1.0, 1.0, 0.7, 0.36), "1", _B38, "V"),
    # CYP2C19 activity by phenotype (covariate codes 0-4: poor, intermediate, normal, rapid, ultrarapid).
    # Poor/intermediate/normal: diazepam CL 2.8 / 7.2 / 19.5 mL/min (Qin 1999, A46); with the CYP2C19 share
    # of diazepam's clearance 1 - 2.8/19.5 = 0.856 (poor metabolisers have none), an intermediate
    # metaboliser keeps (7.2 - 2.8) / (19.5 - 2.8) = 0.26 of the activity.
    "cyp2c19_phenotype": Constant((0.0, 0.26, 1.0), "1", "derived from Qin XP et al. 1999 Clin Pharmacol Ther "
                                  "66:642 (literature.md A46)", "D"),
    "cyp2c19_rapid": Constant(1.0, "1", "rapid metaboliser (*1/*17) activity: no value in literature.md (P73-P94 "
                              "give frequencies only); popsim assumption, the normal activity, until a source is "
                              "read", "A", (1.0, 2.0)),
    "cyp2c19_ultrarapid": Constant(1.0, "1", "ultrarapid metaboliser (*17/*17) activity: no value in literature.md; "
                                   "popsim assumption, the normal activity, until a source is read", "A", (1.0, 3.0)),
}

REFERENCE = {"age": 35.0, "male": 1.0, "height_cm": 176.0, "weight_kg": 70.0}


def _c(name: str, index=None):
    v = CONSTANTS[name].value
    return jnp.asarray(v)[index] if index is not None else v


def deurenberg(bmi, age, male, xp=jnp):
    """Deurenberg 1991: body fat % = 1.2 BMI + 0.23 age - 10.8 male - 5.4, as a fraction in [0.03, 0.7]."""
    a, b, c, d = CONSTANTS["deurenberg"].value
    return xp.clip((a * bmi + b * age + c * male + d) / 100.0, 0.03, 0.7)


def body_fat_fraction(bmi, age, male) -> Float[Array, ""]:
    """Body fat fraction of one subject (:func:`deurenberg`)."""
    return deurenberg(bmi, age, male)


def _body(age, male, height_cm, weight_kg):
    fat = body_fat_fraction(weight_kg / (height_cm / 100.0) ** 2, age, male)
    return weight_kg * (1 - fat), weight_kg * fat


def _age_fall(age, name):
    """Linear fall from age 40 reaching ``name`` at 75 (Wynne 1989's young vs old contrast)."""
    return 1.0 - _c(name) * jnp.clip((age - 40.0) / 35.0, 0.0, 60.0 / 35.0)


def physiology(cov: dict[str, Float[Array, ""]]) -> dict[str, Float[Array, ""]]:
    """Covariates (see :mod:`popsim.cohort.model`) -> physiology of one subject.

    Returns ``lean_kg``, ``fat_kg``; ``lean_ratio`` (lean mass relative to the reference subject);
    ``qh_l_h`` hepatic blood flow through the liver (L/h); ``shunt`` fraction of portal blood bypassing
    the liver; ``liver_size`` relative liver mass; ``cyp3a4``, ``cyp2c19``, ``ugt``, ``other`` enzyme
    activity per gram of liver relative to the reference; ``albumin``, ``aag`` and ``gfr`` relative to the
    reference; and the tissue volumes and flows of :func:`popsim.params.tissues.body` (``v_<tissue>``,
    ``plasma_l``, ``rbc_l``, ``q_<tissue>``).
    """
    lean, fat = _body(cov["age"], cov["male"], cov["height_cm"], cov["weight_kg"])
    ref_lean, ref_fat = _body(*(jnp.asarray(REFERENCE[k]) for k in ("age", "male", "height_cm", "weight_kg")))
    size = (lean / ref_lean) ** _c("allometric_exponent")
    cp = cov["child_pugh"].astype(jnp.int32)
    preg = gestation.maternal(cov["gestational_week"], cov["postpartum_week"])
    portal, arterial = _c("cp_portal_flow", cp), _c("cp_arterial_flow", cp)
    share = _c("portal_share")
    flow = _c("qh_l_h") * size * _age_fall(cov["age"], "liver_flow_fall_by_75")
    age_years = jnp.clip(cov["age"], 18.0, 100.0)
    albumin_age = 1.0 - _c("albumin_fall_by_85") * jnp.clip((cov["age"] - 40.0) / 45.0, 0.0, 60.0 / 45.0)
    body = tissues.body(cov["male"], lean, fat, tissues.reference_na_lean(True), tissues.reference_na_lean(False),
                        _age_fall(cov["age"], "liver_volume_fall_by_75"), preg, _c("allometric_exponent"))
    return {
        "lean_kg": lean,
        "fat_kg": fat,
        "lean_ratio": lean / ref_lean,
        "qh_l_h": flow * (share * portal + (1 - share) * arterial) * preg["hepatic_flow"],
        "shunt": 1.0 - portal,
        "liver_size": size * _age_fall(cov["age"], "liver_volume_fall_by_75"),
        "cyp3a4": _c("cp_cyp3a4", cp) * preg["cyp3a4"],
        "cyp2c19": _c("cp_cyp2c19", cp) * preg["cyp2c19"] * jnp.asarray(_c("cyp2c19_phenotype") + (
            _c("cyp2c19_rapid"), _c("cyp2c19_ultrarapid")))[cov["cyp2c19"].astype(jnp.int32)],
        # Glucuronidation is spared by age (lorazepam 15-73 y, B14; oxazepam CL 1.24 vs 1.44 mL/min/kg at
        # 80-94 vs 26-42 y, B16; B15): UGT capacity does not shrink with the liver-volume loss that lowers
        # CYP clearance, i.e. activity per gram of liver rises by its inverse.
        # ... and rises with body fat (B26, B23): conjugation CL grows with weight in obesity.
        "ugt": _c("cp_albumin", cp) ** _c("ugt_cp_exponent") * preg["ugt"]
        / _age_fall(cov["age"], "liver_volume_fall_by_75") * (fat / ref_fat) ** _c("ugt_fat_exponent"),
        "other": jnp.ones_like(flow),
        "albumin": _c("cp_albumin", cp) * preg["albumin"] * albumin_age,
        "aag": _c("cp_aag", cp) * preg["aag"],
        # Cockcroft-Gault shape: (140 - age) x lean mass, relative to the reference adult
        "gfr": _c("cp_gfr", cp) * preg["gfr"] * (140.0 - age_years) / (140.0 - REFERENCE["age"]) * lean / ref_lean,
    } | body


# The reference subject's covariates as plain floats: a 35-year-old man, 70 kg, 176 cm, no disease, CYP2C19
# normal metaboliser, not pregnant.
REFERENCE_COVARIATES = dict(REFERENCE, bmi=REFERENCE["weight_kg"] / (REFERENCE["height_cm"] / 100.0) ** 2,
                            child_pugh=0.0, cyp2c19=float(CYP2C19.index("nm")), gestational_week=0.0,
                            postpartum_week=0.0)


def reference_covariates() -> dict[str, Float[Array, ""]]:
    """:data:`REFERENCE_COVARIATES` as arrays (the input of :func:`physiology`)."""
    return {k: jnp.asarray(float(v)) for k, v in REFERENCE_COVARIATES.items()}


@functools.lru_cache(maxsize=None)
def reference_physiology() -> dict[str, float]:
    """:func:`physiology` of the reference subject as float64 numbers (evaluated eagerly, also inside a trace)."""
    with jax.ensure_compile_time_eval(), jax.enable_x64(True):
        return {k: float(v) for k, v in physiology(reference_covariates()).items()}
