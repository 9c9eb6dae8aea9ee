"""One subject's PD and risk-score parameters for :class:`popsim.pd.risk.Risk`.

From the library (``pd`` block, :mod:`popsim.pd.potency`), the subject's
covariates and physiology, and the score constants (:data:`PD`), which are
runtime values (a calibration changes them without recompiling):

* each GABA-A agonist species ``P`` (``""``, ``"M1_"``, ...; a second
  benzodiazepine's ``"B_"``, ``"B_M1_"``, ...): ``{P}KE0`` and
  ``{P}KD_a1``/``{P}KD_a2`` in the subject's *total* effect-site
  concentration, ``KDu x age factor x exp(eta) / fu_subject`` (so low
  albumin, which frees more drug, raises the effect), with ``KDu`` fitted on
  measured concentration-effect data (:mod:`popsim.pd.potency`), the age
  factor ``ec50_age_ratio ** ((age - 25) / (72 - 25))`` (older brains are
  more sensitive, B7/B10/B11) and alpha2 = alpha1 x ``a1_selectivity``
  (zolpidem); one eta per subject (``iiv_ec50``) for all species; ``THETA``,
  the stimulus of half-maximal psychomotor effect (fitted);
* ethanol (:func:`ethanol_parameters`): Norberg's Michaelis-Menten
  disposition with volumes scaled by lean mass, Vmax by liver size and
  between-subject variability on Vmax (CV 26%, D1), and ``ethanol_KD``, the
  constant of its own GABA-A site, set so that its psychomotor EC50 is
  ETHANOL ``ec50``;
* co-medications by role (prefix ``O_`` an opioid, ``N_`` naloxone, ``Z_``
  flumazenil): ``KE0``, the opioid's ``O_KON``, ``O_KOFF`` (:class:`popsim.pd.mu.MuReceptor`),
  its respiratory ``O_ALPHA``, ``O_HILL`` and ``O_TOL`` (:class:`popsim.pd.ventilation.Ventilation`; ``O_TOL``
  is 1, opioid-naive, unless the caller passes the subject's C50 ratio), naloxone's as
  ``O_KON_N``/``O_KOFF_N``, flumazenil's ``Z_KD`` (total, from its unbound PET KD);
* the scores' parameters, with ``FALL_H0`` from age (E8), ``P_FX`` from age and sex, and the hypnosis
  endpoint of the ventilation score: ``HYP_THETA`` the fitted hypnosis threshold
  (:func:`popsim.pd.potency.theta`), ``HYP_X`` its concentration scale by sex (G83).
"""

from __future__ import annotations

import math
from typing import Mapping

import jax.numpy as jnp
import numpy as np

from popsim.drugs.library import check_value, load, names
from popsim.params.derive import unbound_fraction
from popsim.params.physiology import CONSTANTS
from popsim.pd.constants import ETHANOL, PD
from popsim.pd.potency import GABA_KINDS, kd_unbound, theta
from popsim._validate import closest

__all__ = ["PARTS", "RUNTIME", "check_draws", "check_values", "comedication_parameters", "ethanol_parameters",
           "gaba_agonists", "gaba_parameters", "role_prefix", "score_parameters"]

PD_ALLOMETRY = CONSTANTS["allometric_exponent"].value

# Runtime score constants (keys of PD) -> the Risk model's parameter names.
RUNTIME = {"kadapt": "KADAPT", "tolerance": "TOL", "fall_beta": "FALL_BETA", "fx_beta": "FX_BETA",
           "dependence_ec": "DEP_EC", "dependence_k_tolerance": "DEP_KT", "dependence_k_on": "DEP_KON",
           "dependence_k_off": "DEP_KOFF", "dependence_k_glutamate": "DEP_KG", "dependence_w_tolerance": "DEP_WT",
           "dependence_w_glutamate": "DEP_WG", "dependence_k_symptoms": "DEP_KX", "dependence_k_seizure": "DEP_KS",
           "dependence_k_delirium": "DEP_KD", "withdrawal_threshold": None, "withdrawal_sigma": None,
           "withdrawal_any_ratio": "DEP_ANY", "withdrawal_dropout_ratio": None, "withdrawal_female_ratio": None,
           "withdrawal_alcohol_ratio": None, "delirium_threshold": "DT_THR", "seizure_k": "SZ_K",
           "seizure_threshold": "SZ_THR", "seizure_n": "SZ_N", "seizure_kindling": "SZ_KINDLE",
           "prior_use_days": None, "prior_use_burn_in_days": None, "resp_benzo_emax": "EB_MAX",
           "resp_benzo_gain": "G_RESP", "airway_obstruction_max": "AW_MAX", "synergy_psi": "PSI",
           "co2_gain": "CO2_F", "co2_kel": "CO2_KEL", "co2_ke0": "CO2_KE0", "paco2_baseline": "PACO2_0",
           "aa_gradient": "AA_GRAD", "apnoea_ve": "VE_APNOEA",
           "wakefulness_fraction": "W_FRAC", "wakefulness_opioid_exponent": "W_OPI", "airway_ventilation_cap": "VE_CAP",
           "sleep_hill": "SLEEP_HILL",
           "airway_female_ratio": None, "opioid_tolerance_c50_ratio": None,
           "se_k0": "SE_K0", "se_gain": "SE_GAIN", "se_kmax": "SE_KMAX", "se_recurrence": "SE_REC",
           "se_refractory": "SE_REFRACTORY", "fx_per_fall_72": None, "fx_age_slope": None, "fx_female_ratio": None,
           "fall_rate_72": None, "fall_rate_age_slope": None, "ec50_age_ratio": None, "ethanol_vmax_ratio": None,
           "ethanol_ec50": None}


# Which part of the PD model reads each runtime constant: an experiment declares the parts whose outputs
# it reports (popsim.experiments.base.Experiment.reads, e.g. "pd.falls"), and a constant of another part
# is refused on its command line (it would change nothing it writes).
PARTS = {"gaba": ("kadapt", "tolerance", "ec50_age_ratio"),
         "falls": ("fall_beta", "fx_beta", "fx_per_fall_72", "fx_age_slope", "fx_female_ratio", "fall_rate_72",
                   "fall_rate_age_slope"),
         "withdrawal": ("dependence_ec", "dependence_k_tolerance", "dependence_k_on", "dependence_k_off",
                        "dependence_k_glutamate", "dependence_w_tolerance", "dependence_w_glutamate",
                        "dependence_k_symptoms", "dependence_k_seizure", "dependence_k_delirium",
                        "withdrawal_threshold", "withdrawal_sigma", "withdrawal_any_ratio", "withdrawal_dropout_ratio",
                        "withdrawal_female_ratio", "withdrawal_alcohol_ratio", "delirium_threshold", "seizure_k",
                        "seizure_threshold", "seizure_n", "seizure_kindling", "prior_use_days",
                        "prior_use_burn_in_days"),
         "ventilation": ("resp_benzo_emax", "resp_benzo_gain", "airway_female_ratio",
                         "airway_obstruction_max", "synergy_psi", "co2_gain", "co2_kel", "co2_ke0", "paco2_baseline",
                         "aa_gradient", "apnoea_ve", "opioid_tolerance_c50_ratio",
                         "wakefulness_fraction", "wakefulness_opioid_exponent", "airway_ventilation_cap", "sleep_hill"),
         "ethanol": ("ethanol_vmax_ratio", "ethanol_ec50"),
         "seizure": ("se_k0", "se_gain", "se_kmax", "se_recurrence", "se_refractory")}
assert sorted(k for v in PARTS.values() for k in v) == sorted(RUNTIME)


# Physically meaningful bounds of each runtime constant: (low, high, low open?)
_BOUNDS = {"kadapt": (0.0, math.inf, True), "tolerance": (0.0, 1.0, False), "fall_beta": (0.0, 100.0, False),
           "fx_beta": (0.0, 20.0, False), "fx_per_fall_72": (0.0, 1.0, False), "fx_age_slope": (0.0, 1.0, False),
           "fx_female_ratio": (0.0, 10.0, True), "dependence_ec": (0.0, 10.0, True),
           "dependence_k_tolerance": (0.0, 100.0, True), "dependence_k_on": (0.0, 100.0, True),
           "dependence_k_off": (0.0, 100.0, True), "dependence_k_glutamate": (0.0, 100.0, True),
           "dependence_w_tolerance": (0.0, 10.0, False), "dependence_w_glutamate": (0.0, 10.0, False),
           "dependence_k_symptoms": (0.0, 100.0, True), "dependence_k_seizure": (0.0, 100.0, True),
           "dependence_k_delirium": (0.0, 100.0, True), "withdrawal_threshold": (0.0, 10.0, True),
           "withdrawal_sigma": (0.0, 5.0, False), "withdrawal_any_ratio": (0.0, 1.0, True),
           "withdrawal_dropout_ratio": (1.0, 100.0, False), "withdrawal_female_ratio": (0.0, 10.0, True),
           "withdrawal_alcohol_ratio": (0.0, 10.0, True), "delirium_threshold": (0.0, 100.0, True),
           "seizure_k": (0.0, math.inf, False), "seizure_threshold": (0.0, 100.0, False),
           "seizure_n": (0.5, 10.0, False), "seizure_kindling": (1.0, 100.0, False),
           "prior_use_days": (0.0, 36500.0, False), "prior_use_burn_in_days": (0.0, 3650.0, False),
           "resp_benzo_emax": (0.0, 1.0, False), "resp_benzo_gain": (0.0, 1e3, False),
           "airway_female_ratio": (0.0, 10.0, True),
           "airway_obstruction_max": (0.0, 1.0, False), "synergy_psi": (0.0, 100.0, False),
           "co2_gain": (0.0, 20.0, False), "co2_kel": (0.0, 1e3, True), "co2_ke0": (0.0, 1e4, True),
           "paco2_baseline": (20.0, 80.0, False), "aa_gradient": (0.0, 80.0, False), "apnoea_ve": (0.0, 1.0, False),
           "wakefulness_fraction": (0.0, 1.0, True), "wakefulness_opioid_exponent": (0.0, 10.0, True),
           "airway_ventilation_cap": (0.0, 100.0, True), "sleep_hill": (0.0, 50.0, True),
           "opioid_tolerance_c50_ratio": (1.0, 100.0, False), "fall_rate_72": (0.0, 1.0, True),
           "fall_rate_age_slope": (0.0, 1.0, False), "ec50_age_ratio": (0.0, 10.0, True),
           "ethanol_vmax_ratio": (0.0, 10.0, True), "ethanol_ec50": (0.0, 1e5, True), "se_k0": (0.0, math.inf, True),
           "se_gain": (0.0, math.inf, False),
           "se_kmax": (0.0, math.inf, False), "se_recurrence": (0.0, math.inf, False),
           "se_refractory": (0.0, 1.0, False)}


def check_values(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The runtime PD constants: defaults from :data:`PD` with ``overrides`` (validated, before any compute)."""
    out = {k: float(PD[k].value) for k in RUNTIME}
    for k, v in (overrides or {}).items():
        if k not in RUNTIME:
            raise ValueError(f"pd.{k}: unknown PD constant; allowed: {sorted(RUNTIME)}" + closest(k, RUNTIME))
        low, high, open_low = _BOUNDS[k]
        if (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v > high
                or v < low or (open_low and v == low)):
            raise ValueError(f"pd.{k}={v!r}; allowed: a finite number {'>' if open_low else '>='} {low:g} and "
                             f"<= {high:g} ({PD[k].units})")
        out[k] = float(v)
    if out["prior_use_days"] > 0 and out["prior_use_burn_in_days"] <= 0:
        raise ValueError(f"pd.prior_use_days={out['prior_use_days']!r} with pd.prior_use_burn_in_days="
                         f"{out['prior_use_burn_in_days']!r}: prior use is applied at the end of the burn-in; "
                         "allowed: a burn-in > 0 days (within the horizon) or no prior use")
    return out


def check_draws(values: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Parameter draws of runtime PD constants, ``{name: (draw,)}`` float64, from ``values`` of ``(draw,)``
    arrays (one length K >= 1) and scalars (held fixed in every draw): each draw passes :func:`check_values`
    (before any compute; the error names the draw and the key).  Names with a dot are drawn values of the
    drug library (``"<drug>.<key path>"``, :func:`popsim.uncertainty.library_draws`), each checked by
    :func:`popsim.drugs.library.check_value`."""
    arrays = {k: np.asarray(v, float) for k, v in values.items()}
    shapes = sorted({v.shape for v in arrays.values() if v.ndim})
    if len(shapes) != 1 or len(shapes[0]) != 1 or shapes[0][0] < 1:
        raise ValueError(f"PD constants with draws have shapes {shapes}; allowed: one (draw,) shape with at least "
                         "one draw (and scalars, held fixed)")
    out = {k: np.broadcast_to(v, shapes[0]) for k, v in arrays.items()}
    for k, v in out.items():
        if "." in k:
            check_value(k, v)
    for j in range(shapes[0][0]):
        try:
            check_values({k: float(v[j]) for k, v in out.items() if "." not in k})
        except ValueError as e:
            raise ValueError(f"draw {j}: {e}") from None
    return out


def role_prefix(drug: str) -> str:
    """Parameter/compartment prefix of a co-medication: ``O_`` opioid, ``N_`` naloxone, ``Z_`` flumazenil,
    ``E_`` ethanol, ``B_`` a second GABA-A agonist (a library drug of a kind in
    :data:`popsim.pd.potency.GABA_KINDS`, e.g. diazepam substituted for alprazolam)."""
    if drug == "ethanol":
        return "E_"
    d = load(drug)
    if d.kind == "opioid":
        need = ("ke0", "kon", "koff", "alpha", "hill")
    elif drug in ("naloxone", "flumazenil"):
        need = ("ke0", "kon", "koff") if drug == "naloxone" else ("ke0", "kd")
    elif d.kind in GABA_KINDS:
        return "B_"
    else:
        raise ValueError(f"co-medication {drug!r} is a {d.kind}; allowed: an opioid, naloxone, flumazenil, ethanol "
                         f"or a second GABA-A agonist {gaba_agonists()}")
    missing = [k for k in need if k not in d.pd]
    if missing:
        raise ValueError(f"{drug} has no PD parameters {missing} in the library (no published respiratory PKPD "
                         "model in literature.md); allowed opioids: fentanyl, morphine, buprenorphine, oxycodone, "
                         "methadone")
    return {"naloxone": "N_", "flumazenil": "Z_"}.get(drug, "O_")


def gaba_agonists() -> list[str]:
    """The library's GABA-A agonists (kinds :data:`popsim.pd.potency.GABA_KINDS`), the drugs :func:`gaba_parameters`
    takes."""
    return [n for n in names() if load(n).kind in GABA_KINDS]


def gaba_parameters(chain: tuple[str, ...], prefixes: tuple[str, ...], age, phys, eta, values) -> dict:
    """KDs (mg/L total, per subtype) and KE0 of each GABA-A agonist species, and THETA (module docstring)."""
    young, old = PD["ec50_age_young"].value, PD["ec50_age_old"].value
    factor = jnp.asarray(values["ec50_age_ratio"]) ** ((age - young) / (old - young)) * jnp.exp(eta)
    out = {"THETA": jnp.asarray(theta("psychomotor"))}
    for name, P in zip(chain, prefixes):
        d = load(name)
        sel = d.pd["a1_selectivity"].value if "a1_selectivity" in d.pd else 1.0
        a1 = kd_unbound(name) * factor / unbound_fraction(d, phys)
        out |= {f"{P}KD_a1": a1, f"{P}KD_a2": a1 * sel, f"{P}KE0": jnp.asarray(d.pd["ke0"].value)}
    return out


def comedication_parameters(drug: str, phys, eta_kon, opioid_tolerance=1.0) -> dict:
    """PD parameters of an opioid, naloxone or flumazenil (by :func:`role_prefix`); ``opioid_tolerance``: the
    subject's opioid C50 ratio ``O_TOL`` (1 naive, the runtime ``opioid_tolerance_c50_ratio`` for chronic users)."""
    d, P = load(drug), role_prefix(drug)
    out = {f"{P}KE0": jnp.asarray(d.pd["ke0"].value)}
    if P == "O_":
        out |= {"O_KON": d.pd["kon"].value * jnp.exp(eta_kon), "O_KOFF": jnp.asarray(d.pd["koff"].value),
                "O_ALPHA": jnp.asarray(d.pd["alpha"].value), "O_HILL": jnp.asarray(d.pd["hill"].value),
                "O_TOL": jnp.asarray(opioid_tolerance)}
    elif P == "N_":
        out |= {"O_KON_N": jnp.asarray(d.pd["kon"].value), "O_KOFF_N": jnp.asarray(d.pd["koff"].value)}
    else:
        out |= {"Z_KD": d.pd["kd"].value / unbound_fraction(d, phys)}
    return out


def ethanol_parameters(phys, eta_vmax, vmax_ratio=1.0, ec50=PD["ethanol_ec50"].value) -> dict:
    """Parameters of :class:`popsim.pd.ethanol.EthanolMM` and :func:`popsim.pd.ethanol.ethanol_gut` (channel
    availability ``E_F``) for one subject, and the constant of ethanol's GABA-A site (mg/L).  ``vmax_ratio``: the
    runtime constant ``ethanol_vmax_ratio`` (induced elimination in chronic drinkers)."""
    e = {k: q.value for k, q in ETHANOL.items()}
    lean = phys["lean_ratio"]
    return {"E_UNIT": jnp.asarray(1.0), "E_KA": jnp.asarray(e["ka"]), "E_F": jnp.asarray(e["f"]),
            "VMAX": e["vmax"] * vmax_ratio * phys["liver_size"] * jnp.exp(eta_vmax), "KM": jnp.asarray(e["km"]),
            "CLD": e["cld"] * lean ** PD_ALLOMETRY, "VC": e["vc"] * lean, "VT": e["vt"] * lean,
            "ethanol_KD": ethanol_kd(ec50)}


def ethanol_kd(ec50):
    """The constant of ethanol's GABA-A site (mg/L) whose psychomotor EC50 is ``ec50`` (mg/L): the stimulus
    ``C / (C + KD)`` reaches the psychomotor threshold at ``C = ec50``."""
    t = theta("psychomotor")
    return jnp.asarray(ec50 * (1.0 - t) / t)


def score_parameters(age, male, values, alcohol=0.0, susceptibility=0.0) -> dict:
    """The Risk model's score parameters; ``FALL_H0`` (1/h) from age, ``P_FX`` from age and sex, ``HYP_THETA``
    (the fitted hypnosis threshold) and ``HYP_X`` (1 in men, ``airway_female_ratio`` in women) from sex
    (``male`` 1 or 0); the withdrawal threshold ``DEP_XC`` from the subject's standard-normal
    ``susceptibility`` (log SD ``withdrawal_sigma``), sex and ``alcohol`` use (1 or 0), and the prior use
    and its burn-in in hours (``DEP_PRIOR``, ``DEP_BURNIN``)."""
    out = {name: jnp.asarray(values[k]) for k, name in RUNTIME.items() if name is not None}
    out["DEP_XC"] = (values["withdrawal_threshold"] * jnp.exp(values["withdrawal_sigma"] * susceptibility)
                     * jnp.where(male > 0.5, 1.0, values["withdrawal_female_ratio"])
                     * jnp.where(alcohol > 0.5, values["withdrawal_alcohol_ratio"], 1.0))
    out["DEP_PRIOR"] = jnp.asarray(values["prior_use_days"]) * 24.0
    out["DEP_BURNIN"] = jnp.asarray(values["prior_use_burn_in_days"]) * 24.0
    out["HYP_THETA"] = jnp.asarray(theta("hypnosis"))
    out["HYP_X"] = jnp.where(male > 0.5, 1.0, values["airway_female_ratio"])
    out["FALL_H0"] = values["fall_rate_72"] * jnp.exp(values["fall_rate_age_slope"] * (age - 72.0))
    out["P_FX"] = (values["fx_per_fall_72"] * jnp.exp(values["fx_age_slope"] * (age - 72.0))
                   * (male + (1.0 - male) * values["fx_female_ratio"]))
    return out
