"""Pregnancy as continuous functions of gestational week: the mother's physiology and the fetus.

All functions are for one subject (scalars; ``simulate.py`` batches) and are written with arithmetic
and an ``xp`` array module, so they run in JAX and in numpy float64 alike.  ``ga`` is the gestational
week (0-42; 0 = not pregnant; for a woman after delivery, the week at delivery) and ``pp`` the weeks
since delivery (0 while pregnant).  Every number is in :data:`CONSTANTS` with its source and status
(literature.md codes: V read, D derived, A a popsim assumption with a wide range).

**Mother** (:func:`maternal`): factors relative to the same woman not pregnant, each exactly 1 at
``ga = 0`` (computed as 1 + a change that is exactly 0 there, so a non-pregnant subject's physiology is
bitwise that of a model without pregnancy).  The curves are Kapraun 2019's (literature.md L1-L9, the
open substitute of Dallmann 2017's PK-Sim functions), published as valid for GA 0-41 weeks; week 42 is
an extrapolation of the same equations.  Binding proteins and enzymes: Whittaker & Lind 1993 (P111),
B42, Tracy 2005 (L22), McGready 2003 (L23/L24), Oesterheld (L25), with the shapes between the measured
weeks assumed (see each constant).  The cohort's weight and BMI are the woman's before pregnancy; the
fat she gains (L2) adds adipose tissue, while the rest of the weight gain (fetus, placenta, amniotic
fluid, extra fluid) is not added to her tissues: plasma and red-cell expansion enter through their own
factors, and the fetoplacental unit is not a maternal distribution space in popsim.

**After delivery** every change returns to the non-pregnant value linearly in ``pp``, complete after
``postpartum_return_weeks`` (6): literature.md gives no time course (L88 lists only the 6-8 wk, 6-10 wk
and 2-month postpartum windows that studies took as the non-pregnant baseline, which presupposes the
return by then); the linear shape and the 6 weeks are a popsim assumption (A) with a wide range.
At ``pp = 0`` the factors equal the pregnant ones at ``ga`` (continuous at delivery).

**Fetus** (:func:`fetus`, :func:`fetal_unbound_fraction`): Kapraun's growth, haematocrit and umbilical
flow (L12-L14) and McNamara & Alcorn's fetal:maternal binding-protein ratios at term (L31).
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from popsim.drugs.library import BINDING
from popsim.params.constant import Constant
from popsim.params.tissues import scaled_unbound_fraction

__all__ = ["CONSTANTS", "maternal", "fetus", "fetal_unbound_fraction"]

_KAPRAUN = ("Kapraun DF et al. 2019 PLoS One 14:e0215906, as coded in httk Parameterize_fetal_pbtk.R / "
            "calc_fetal_phys.R (literature.md {})")

CONSTANTS: dict[str, Constant] = {
    # ---- mother: Kapraun 2019 -------------------------------------------------------------------------
    "weight": Constant((-0.010614, 0.029161, -5.0203e-4), "kg/week, kg/week^2, kg/week^3", "maternal body weight "
                       "BW = BW0 - 0.010614 GA + 0.029161 GA^2 - 5.0203e-4 GA^3; the gain is BW - BW0 ("
                       + _KAPRAUN.format("L1") + "; 14.1 kg at 40 wk, L16)", "V"),
    "adipose": Constant((17.067, 0.14937), "kg, kg/week", "maternal adipose mass 17.067 + 0.14937 GA; the gain "
                        "is 0.14937 GA (" + _KAPRAUN.format("L2") + ")", "V"),
    "haematocrit": Constant((39.192, -0.10562, -7.1045e-4), "%, %/week, %/week^2", "maternal haematocrit "
                            "39.192 - 0.10562 GA - 7.1045e-4 GA^2 (" + _KAPRAUN.format("L3") + "); red-cell "
                            "volume Hct/(1 - Hct) Vplasma (L5)", "V"),
    "plasma": Constant((1.2406, 0.31338, 17.813, 2.4958), "L, 1/week, week, L", "maternal plasma volume "
                       "1.2406/(1 + exp(-0.31338 (GA - 17.813))) + 2.4958 (" + _KAPRAUN.format("L4") + "; 2.50 L "
                       "at 0 wk, 3.74 L at 40 wk, L16); taken relative to GA 0", "V"),
    "cardiac_output": Constant((301.78, 3.2512, 0.15947, -0.0047059), "L/h, L/h/week^k", "maternal cardiac "
                               "output 301.78 + 3.2512 GA + 0.15947 GA^2 - 0.0047059 GA^3 ("
                               + _KAPRAUN.format("L6") + "; peak 416 L/h near 30 wk, L16)", "V"),
    "liver_share": Constant((27.0, 20.0), "% of cardiac output", "liver blood flow share, linear from 27% at GA 0 "
                            "to 20% at 40 wk (" + _KAPRAUN.format("L8") + "), evaluated as that line", "V"),
    "adipose_share": Constant((8.5, 7.8), "% of cardiac output", "adipose blood flow share, linear from 8.5% at "
                              "GA 0 to 7.8% at 40 wk (" + _KAPRAUN.format("L8") + ")", "V"),
    "gfr": Constant((113.73, 3.5784, -0.067272), "mL/min, mL/min/week^k", "maternal GFR 113.73 + 3.5784 GA - "
                    "0.067272 GA^2 (" + _KAPRAUN.format("L9") + "; 149 mL/min at 40 wk, peak +42% at 26.6 wk, "
                    "L16)", "V"),
    # ---- mother: binding proteins -----------------------------------------------------------------------
    "albumin": Constant((1.9, 7.0, 8.2, 36.0), "g/L, week, g/L, week", "serum albumin, Whittaker PG & Lind T 1993 "
                        "Br J Obstet Gynaecol 100:587 (literature.md P111): -1.9 g/L by 7 weeks and a further -8.2 "
                        "g/L by 36 weeks; piecewise linear between GA 0, 7 and 36 (the shape between the measured "
                        "weeks assumed) and held after 36", "V"),
    "albumin_baseline": Constant(45.9, "g/L", "pre-conception serum albumin: the 10.1 g/L fall is 22% overall "
                                 "(P111), 10.1/0.22 = 45.9 g/L", "D"),
    "aag_term": Constant(1.0, "1", "alpha1-acid glycoprotein at 40 weeks relative to non-pregnant, linear from GA 0 "
                         "and held after 40: literature.md has no AAG data in pregnancy (Abduljalil 2012's AAG "
                         "equation not found, L 'Not found'); popsim assumption, no change", "A", (0.5, 1.5)),
    # ---- mother: enzymes (hepatic activity per gram of liver) --------------------------------------------
    "cyp3a4_plateau": Constant(1.6, "1", "hepatic CYP3A4 activity in pregnancy: 1.6-fold fitted to oral midazolam "
                               "with the gut wall unchanged (PMC3603475, literature.md B42), the default because it is "
                               "a benzodiazepine probe and a hepatic-only factor, as popsim's. Range: Gaohua 2012's "
                               "Simcyp curve (L19/L20: 1.30 at 20 wk falling to 1.01 at 40 wk, below the in vivo data "
                               "of late pregnancy) to 2.0; Tracy 2005's in vivo +35-38% (L22, a dextromethorphan "
                               "urinary metabolite ratio, not a clearance) lies inside", "V", (1.0, 2.0)),
    "cyp3a4_onset_weeks": Constant(14.0, "week", "CYP3A4 rises linearly from GA 0 to its plateau at this week and "
                                   "stays there: Tracy 2005 (L22) found the same +35-38% at 14-18, 24-28 and 36-40 "
                                   "weeks, so the rise is complete by the first visit; its first-trimester course is "
                                   "not measured (popsim assumption)", "A", (1.0, 18.0)),
    "cyp2c19_late": Constant(0.58, "1", "CYP2C19 activity at > 36 weeks relative to 2 months postpartum, 1/1.73 from "
                             "proguanil -> cycloguanil (McGready R et al. 2003 Eur J Clin Pharmacol 59:553, "
                             "literature.md L23/L24); linear from 1 at GA 0 to this value at 36 weeks and held after "
                             "(the shape a popsim assumption). Range: -50% (Oesterheld compilation, L25) to no "
                             "change", "D", (0.5, 1.0)),
    "ugt_36": Constant(1.5, "1", "UGT activity at 36 weeks, linear from 1 at GA 0 and held after: the direction is "
                       "up (Anderson 2005, B41), the size a popsim assumption (1.15/1.3/1.5 at 10/24/36 weeks "
                       "before the curves). Range: UGT2B7 'indeterminate' (L25) to UGT1A4 +300% (L25)", "A",
                       (1.0, 4.0)),
    # ---- after delivery ------------------------------------------------------------------------------------
    "postpartum_return_weeks": Constant(6.0, "week", "every pregnancy change returns linearly to the non-pregnant "
                                        "value over this many weeks after delivery: no time course in literature.md "
                                        "(L88: studies took 6-8 wk, 6-10 wk and 2 months postpartum as the "
                                        "non-pregnant baseline); popsim assumption", "A", (2.0, 12.0)),
    "placenta": Constant((-1.7646, 0.91775, -0.011543), "mL/week^k", "placenta volume -1.7646 GA + 0.91775 GA^2 - "
                         "0.011543 GA^3 mL (" + _KAPRAUN.format("L10") + "), taken as g; it leaves at delivery",
                         "V"),
    "amniotic_fluid": Constant((822.34, 0.26988, 20.150), "mL, 1/week, week", "amniotic fluid 822.34/(1 + "
                               "exp(-0.26988 (GA - 20.150))) mL (" + _KAPRAUN.format("L11") + "), taken as g; it "
                               "leaves at delivery", "V"),
    # ---- fetus ---------------------------------------------------------------------------------------------
    "fetal_weight": Constant((0.0018282, 1.1735, 0.077577), "g, 1/week, 1/week", "fetal body weight 0.0018282 "
                             "exp[(1.1735/0.077577)(1 - exp(-0.077577 GA))] g (" + _KAPRAUN.format("L12")
                             + "; 3.44 kg at 40 wk, L16)", "V"),
    "fetal_haematocrit": Constant((4.5061, -0.18487, 0.0026766), "%/week^k", "fetal haematocrit 4.5061 GA - "
                                  "0.18487 GA^2 + 0.0026766 GA^3 % (" + _KAPRAUN.format("L13") + ")", "V"),
    "umbilical_flow": Constant((262.20, 0.22183, 28.784), "mL/min, 1/week, week", "fetal placental (umbilical) "
                               "blood flow 262.20/(1 + exp(-0.22183 (GA - 28.784))) mL/min ("
                               + _KAPRAUN.format("L14") + "; 242 mL/min at 40 wk, L16); plasma flow = blood flow "
                               "(1 - fetal Hct) as OSP's umbilical flows (L27)", "V"),
    "fetal_protein_ratio": Constant((1.163, 0.38), "1", "fetal:maternal plasma albumin and AAG at term (McNamara PJ "
                                    "& Alcorn J 2002 AAPS PharmSci 4:E4, as in httk, literature.md L31)", "V"),
    "fetal_protein_ratio_ga0": Constant(1.0, "fraction of the term ratio", "before term the fetal:maternal protein "
                                        "ratios run linearly from this fraction of their term value at GA 0 to the "
                                        "term value at 40 weeks: no gestational data in literature.md; popsim "
                                        "assumption, the term value throughout", "A", (0.3, 1.0)),
}


def _k(name):
    return CONSTANTS[name].value


def _after_delivery(pp, xp):
    """Weight of the pregnancy change left ``pp`` weeks after delivery (1 at delivery, 0 once returned)."""
    return xp.clip(1.0 - pp / _k("postpartum_return_weeks"), 0.0, 1.0)


def _plasma(ga, xp):
    """Kapraun's plasma volume (L4) relative to GA 0, as 1 + a change that is exactly 0 at GA 0.

    sigma(ga) - sigma(0) for the logistic sigma(x) = 1/(1 + exp(-k (x - g0))) is written
    -exp(k g0) expm1(-k ga) / ((1 + exp(-k (ga - g0))) (1 + exp(k g0))).
    """
    a, k, g0, b = _k("plasma")
    e = math.exp(k * g0)
    rise = -e * xp.expm1(-k * ga) / ((1.0 + xp.exp(-k * (ga - g0))) * (1.0 + e))
    return 1.0 + a * rise / (a / (1.0 + e) + b)


def _ramp(ga, week, xp):
    """0 at GA 0, rising linearly to 1 at ``week`` and held after."""
    return xp.minimum(ga / week, 1.0)


def _conceptus_kg(ga, xp):
    """Fetus (L12), placenta (L10) and amniotic fluid (L11) at ``ga``, in kg (mL taken as g)."""
    p1, p2, p3 = _k("placenta")
    a, k, g0 = _k("amniotic_fluid")
    return fetus(ga, xp)["weight_kg"] + ((p1 + (p2 + p3 * ga) * ga) * ga + a / (1.0 + xp.exp(-k * (ga - g0)))) / 1e3


def maternal(ga, pp, xp=jnp) -> dict[str, object]:
    """Physiology of a pregnant (or recently delivered) woman relative to the same woman not pregnant.

    ``ga``: gestational week (0 not pregnant; after delivery the week at delivery); ``pp``: weeks since
    delivery (0 while pregnant).  Factors (1 = not pregnant): ``plasma`` and ``rbc`` volumes,
    ``cardiac_output``, ``hepatic_flow`` and ``adipose_flow`` (their shares of cardiac output x cardiac
    output, L8), ``gfr``, ``albumin``, ``aag``, and hepatic ``cyp3a4``, ``cyp2c19`` and ``ugt`` activity.
    Masses (kg, 0 = not pregnant): ``weight_gain_kg`` (body weight above the pre-pregnancy weight; after
    delivery without the fetus, placenta and amniotic fluid) and ``fat_gain_kg`` (maternal adipose mass).
    """
    w = _after_delivery(pp, xp)
    co0, co1, co2, co3 = _k("cardiac_output")
    co = 1.0 + ((co1 + (co2 + co3 * ga) * ga) * ga) / co0
    h0, h1, h2 = _k("haematocrit")
    hct = h0 + (h1 + h2 * ga) * ga
    plasma = _plasma(ga, xp)
    g0, g1, g2 = _k("gfr")
    d7, w7, d36, w36 = _k("albumin")
    fall = d7 * xp.minimum(ga / w7, 1.0) + d36 * xp.clip((ga - w7) / (w36 - w7), 0.0, 1.0)
    liver0, liver40 = _k("liver_share")
    fat0, fat40 = _k("adipose_share")
    pregnant = {
        "plasma": plasma,
        # Vrbc = Hct/(1 - Hct) Vplasma (L5): (h/h0) - 1 = 100 (Hct - Hct0) / ((100 - Hct) Hct0), Hct in %
        "rbc": (1.0 + 100.0 * (hct - h0) / ((100.0 - hct) * h0)) * plasma,
        "cardiac_output": co,
        "hepatic_flow": (1.0 + (liver40 / liver0 - 1.0) * ga / 40.0) * co,
        "adipose_flow": (1.0 + (fat40 / fat0 - 1.0) * ga / 40.0) * co,
        "gfr": 1.0 + (g1 + g2 * ga) * ga / g0,
        "albumin": 1.0 - fall / _k("albumin_baseline"),
        "aag": 1.0 + (_k("aag_term") - 1.0) * _ramp(ga, 40.0, xp),
        "cyp3a4": 1.0 + (_k("cyp3a4_plateau") - 1.0) * _ramp(ga, _k("cyp3a4_onset_weeks"), xp),
        "cyp2c19": 1.0 + (_k("cyp2c19_late") - 1.0) * _ramp(ga, 36.0, xp),
        "ugt": 1.0 + (_k("ugt_36") - 1.0) * _ramp(ga, 36.0, xp),
    }
    out = {name: 1.0 + (f - 1.0) * w for name, f in pregnant.items()}
    b1, b2, b3 = _k("weight")
    gain = (b1 + (b2 + b3 * ga) * ga) * ga - xp.where(pp > 0, _conceptus_kg(ga, xp), 0.0)
    out["weight_gain_kg"] = gain * w
    out["fat_gain_kg"] = _k("adipose")[1] * ga * w
    return out


def fetus(ga, xp=jnp) -> dict[str, object]:
    """The fetus at gestational week ``ga``: ``weight_kg``, ``haematocrit`` (fraction),
    ``umbilical_plasma_flow_l_h`` (umbilical blood flow x (1 - fetal haematocrit), L/h), and the
    fetal:maternal plasma ``albumin_ratio`` and ``aag_ratio`` (L31 at term; before term see
    ``fetal_protein_ratio_ga0``)."""
    t0, t1, t2 = _k("fetal_weight")
    c1, c2, c3 = _k("fetal_haematocrit")
    hct = (c1 + (c2 + c3 * ga) * ga) * ga / 100.0
    q, k, g0 = _k("umbilical_flow")
    s = _k("fetal_protein_ratio_ga0")
    early = s + (1.0 - s) * _ramp(ga, 40.0, xp)
    albumin, aag = _k("fetal_protein_ratio")
    return {
        "weight_kg": t0 * xp.exp(t1 / t2 * (1.0 - xp.exp(-t2 * ga))) / 1e3,
        "haematocrit": hct,
        "umbilical_plasma_flow_l_h": q / (1.0 + xp.exp(-k * (ga - g0))) * 60.0 / 1e3 * (1.0 - hct),
        "albumin_ratio": albumin * early,
        "aag_ratio": aag * early,
    }


def fetal_unbound_fraction(fu_maternal, binding: str, ga, xp=jnp):
    """Fetal plasma unbound fraction, ``1 / (1 + R (1 - fu_m) / fu_m)`` (McNamara & Alcorn 2002, L31), with
    ``R`` the fetal:maternal ratio of the drug's binding protein ``binding`` (``"albumin"`` or ``"aag"``)."""
    if binding not in BINDING:
        raise ValueError(f"binding={binding!r}; allowed: {list(BINDING)}")
    return scaled_unbound_fraction(fu_maternal, fetus(ga, xp)[f"{binding}_ratio"])
