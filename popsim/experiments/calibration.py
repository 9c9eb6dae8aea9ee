"""Calibration report of the risk scores: each published target, the simulated value with its
Monte Carlo interval, whether it falls in the published interval, its log-likelihood, and whether it
was fitted.

Targets are rows of a CSV (popsim's own is :data:`TARGETS`, ``study.targets=default``;
``study.ids`` selects some of its rows; columns :data:`COLUMNS`); ``use`` is ``fit`` for the targets
the constants of :data:`popsim.pd.constants.PD` named in ``fits`` were fitted on (jointly, by maximum
likelihood over all the targets of a group: ``experiments/calibration/fit.py``) and ``check`` for
those only predicted.  A target's log-likelihood (:func:`log_likelihood`) is binomial on its counts
``n`` of ``N``, or normal on the log of a ratio with a 95% interval.  Each ``statistic`` is computed
by one of five scenarios (all :class:`popsim.arm.Arm` of physiological subjects with the on-line
:class:`popsim.pd.risk.Risk` model).  A scenario is simulated once and its drive signals kept; the
scores are then replayed on them for the constants asked (:func:`popsim.pd.risk.replay`, the grid
loop's own steps), so a fit varies the constants without simulating again:

* ``bailey``: healthy young volunteers (70 kg doses), midazolam 0.05 mg/kg iv
  and fentanyl 2 ug/kg iv alone and together (Bailey 1990, C39), on a 1-min
  grid for 3 h; hypoxaemia = any time with SpO2 < 90%, apnoea = at
  least 15 s with ventilation below ``apnoea_ve``; a fourth arm adds flumazenil
  0.5 mg iv at 10 min (Gross 1996: flumazenil restores ventilation to the
  opioid-alone level, compared at 30 min);
* ``masuda``: healthy young men and women (two arms), midazolam 0.1 and 0.2 mg/kg iv at
  the mean weight of each arm (a bolus), on a 1-min grid for 2 h: sleep (loss of
  consciousness) = the hypnosis endpoint's effect ``hypnosis`` >= 0.5 (Ramsay >= 4) at
  any time (Masuda 1995, G83); resting ventilation of the men 10 min after 0.1 mg/kg
  (Forster 1993, G79: infused over 5 min, sex not recorded; a bolus in men, A);
* ``oxycodone``: healthy young and older adults (``elderly``), equal numbers, oxycodone 20 mg
  po, resting ventilation averaged over 1-4 h after the dose (van der Schrier 2017, G85: 12
  young and 12 older volunteers);
* ``falls``: older adults (``elderly`` preset) taking usual geriatric doses
  (:data:`FALL_REGIMENS`, a popsim assumption) or twice those doses for 180
  days vs the same subjects untreated (paired); hip-fracture rate ratios are
  ratios of mean expected hip fractures in a window (days 0-14, 14-28,
  28-180), falls odds ratios compare the probability of a fall in days 28-180
  (prevalent use);
* ``dependence``: the withdrawal and taper studies of ``popsim/experiments/data/withdrawal_trials.csv``
  (:data:`DEPENDENCE_ARMS`): adults on diazepam or alprazolam at each study's dose, with its prior use set
  at the end of a 3-week burn-in (per subject, spread uniformly over the study's range), then an abrupt
  stop or the study's taper, followed 9 weeks after the last dose (Rickels 1983 by duration of use,
  Schweizer 1990's 25%/week taper, Rickels 1993's 4-week alprazolam taper, the XANAX label's taper of
  > 4 mg/day); and heavy drinkers (300 g/day offered over the waking hours, a drink skipped at 1.5 g/L,
  elimination doubled) stopping after 3 weeks, untreated, followed a week.  The scores' states are replayed
  with the subject's threshold at 1 (they do not depend on it) and the log-normal susceptibility is
  integrated out: each subject contributes the probability of reaching a level, and of a seizure (a grid of
  49 susceptibility values).  Endpoints as the studies define them: a withdrawal reaction (Rickels: taken as
  clinically significant), any reaction and drop-out to 4 weeks after the last dose, protracted symptoms 8
  weeks or more after it, CIWA-Ar >= 8, delirium, seizures and the median seizure latency.

The Monte Carlo interval is the 95% percentile bootstrap over subjects.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import closest
from popsim.arm import Arm, risk_model, run_arm
from popsim.cohort.model import sample_subject
from popsim.cohort.presets import preset
from popsim.drugs.library import species
from popsim.dataset import annotate, register, with_draws
from popsim.experiments.base import Experiment, Result, TableStudy
from popsim.io import over_draws
from popsim.inference import smc
from popsim.pd import potency
from popsim.pd.falls import Falls
from popsim.pd.parameters import RUNTIME, check_values, ethanol_kd, score_parameters
from popsim.pd.risk import DRIVE_SIGNALS, replay
from popsim.pd.constants import PD
from popsim.pd.ventilation import Ventilation
from popsim.pd.withdrawal import CIWA_AR_K, Withdrawal
from popsim.pk.grid import Ceiling
from popsim.planner import FOLLOW_DAYS, PROTRACTED_DAYS
from popsim.plots import new_axes, side_by_side
from popsim.regimen import daily_schedule
from popsim.study import APNOEA_MIN_H
from popsim.uncertainty import LAPLACE, UNCERTAIN, draws, posterior

__all__ = ["BLOCKS", "COLUMNS", "CalibrationStudy", "EXPERIMENT", "FALL_REGIMENS", "TARGETS", "block_constants",
           "figure", "finish", "fit_log_likelihood", "infer", "log_likelihood", "plot_calibration",
           "predictive_interval", "ratio_sd", "read_targets", "report", "run", "scenario_statistics",
           "simulate_scenarios", "statistics_of", "targets_hash", "to_dataset"]

TARGETS = Path(__file__).resolve().parent / "data" / "calibration_targets.csv"  # popsim's own targets
COLUMNS = ("id", "row", "outcome", "statistic", "published", "lo", "hi", "n", "N", "use", "fits", "note")

# Usual geriatric doses (mg per day, clock hours): a popsim assumption (label starting doses for older
# adults, recalled), with the long-acting (t1/2 > 24 h) flag used by the long/short strata.
FALL_REGIMENS = {
    "diazepam": (5.0, (20.0,), True), "clonazepam": (0.5, (20.0,), True),
    "alprazolam": (0.75, (8.0, 14.0, 20.0), False), "lorazepam": (1.0, (8.0, 20.0), False),
    "oxazepam": (30.0, (8.0, 14.0, 20.0), False), "temazepam": (10.0, (22.0,), False),
}
BOOTSTRAP = 200


def read_targets(path: str | Path = TARGETS) -> pd.DataFrame:
    """The target table, validated (columns, use, fitted constants)."""
    t = pd.read_csv(path, dtype={"fits": str, "note": str}, keep_default_na=False,
                    na_values={k: [""] for k in ("published", "lo", "hi", "n", "N")})
    missing = [c for c in COLUMNS if c not in t.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected {list(COLUMNS)}")
    for i, r in t.iterrows():
        if r["use"] not in ("fit", "check"):
            raise ValueError(f"{path} row {i + 2}: use={r['use']!r}; allowed: 'fit', 'check'")
        if r["use"] == "fit":
            for name in r["fits"].split(";"):
                if name not in RUNTIME:
                    raise ValueError(f"{path} row {i + 2}: fits={r['fits']!r}: {name!r}; allowed: constants of "
                                     f"{sorted(RUNTIME)} separated by ';'" + closest(name, RUNTIME))
            if not (np.isfinite(r["N"]) or (np.isfinite(r["lo"]) and np.isfinite(r["hi"]) and r["lo"] > 0)):
                raise ValueError(f"{path} row {i + 2}: a fitted target needs counts (n, N) or a ratio's interval "
                                 "(lo > 0, hi)")
        if r["statistic"] not in STATISTICS:
            raise ValueError(f"{path} row {i + 2}: statistic={r['statistic']!r}; allowed: {sorted(STATISTICS)}")
    return t


@dataclasses.dataclass(frozen=True)
class _Sim:
    """Simulates an arm (with PD) for every scenario: the same subjects (seed) and size; keeps the drive
    signals (:data:`popsim.pd.risk.DRIVE_SIGNALS`), from which the scores are replayed for any constants."""

    seed: int
    n_subjects: int
    dtype: object
    chunk_size: int = 8192
    progress: Callable | None = None

    def __call__(self, arm: Arm, U: np.ndarray, label: str, values: Mapping[str, float] | None = None,
                 **grid) -> dict:
        """``values``: PD constants other than the defaults for the simulation (the scores' are replayed);
        ``grid``: further GridSpec fields (a ceiling)."""
        signals = risk_model(len(species(arm.drug)), arm.others).signals
        saved = tuple(s for s in DRIVE_SIGNALS + ("ethanol",) if s in signals)
        r = run_arm(arm, U, seed=self.seed, n_subjects=self.n_subjects, values=check_values(values),
                    chunk_size=self.chunk_size, dtype=self.dtype, progress=self.progress and self.progress(label),
                    save=True, saved=saved, summarised=(), **grid)
        opioid = {k: r.params[k][0] for k in ("O_ALPHA", "O_HILL", "O_TOL") if k in r.params}
        return {"signals": {k: r.trajectory(k) for k in saved}, "opioid": opioid, "dt": arm.dt,
                "age": r.covariates["age"], "male": r.covariates["male"], "alcohol": r.covariates["alcohol"]}


def _replay(sim: dict, score, values: Mapping[str, float], names, at) -> dict[str, np.ndarray]:
    """Signals ``names`` of a score at the grid steps ``at``, ``(step, regimen, subject)``, over a simulated arm
    with the score constants ``values``."""
    p = (score_parameters(jnp.asarray(sim["age"]), jnp.asarray(sim["male"]), values) | sim["opioid"]
         | {"THETA": jnp.asarray(potency.theta("psychomotor"))})
    out = replay(score, sim["signals"], p, sim["dt"])
    return {k: np.asarray(out[k][jnp.asarray(at)], float) for k in names}


def _bailey(sim: _Sim) -> dict:
    dt, n = 1 / 60, 181
    U = np.zeros((4, n, 3))
    U[[0, 2, 3], 1, 0] = 0.05 * 70  # midazolam
    U[[1, 2, 3], 1, 1] = 2e-3 * 70  # fentanyl
    U[3, 11, 2] = 0.5  # flumazenil 0.5 mg at 10 min
    arm = Arm("midazolam", "iv", "healthy_young", dt, n, others=(("fentanyl", "iv"), ("flumazenil", "iv")))
    return {"arm": sim(arm, U, "bailey")}


def _bailey_reduce(raw: dict, values) -> dict[str, np.ndarray]:
    v = _replay(raw["arm"], Ventilation(), values, ("time_hypoxaemia", "time_apnoea", "ventilation"), [-1, 31])
    hyp, apn = v["time_hypoxaemia"][0], v["time_apnoea"][0]
    ve30 = v["ventilation"][1]  # 30 min after the doses
    return {"hyp_mid": hyp[0] > 0, "hyp_fen": hyp[1] > 0, "hyp_both": hyp[2] > 0,
            "apn_fen": apn[1] >= APNOEA_MIN_H, "apn_both": apn[2] >= APNOEA_MIN_H,
            "ve30_fen": ve30[1], "ve30_flu": ve30[3]}


def _mean_weight(cohort, n: int = 1000) -> float:
    """Mean body weight (kg) of ``n`` subjects of a cohort (for doses in mg/kg at the cohort's mean weight)."""
    draw = jax.vmap(lambda i: sample_subject(cohort, jax.random.PRNGKey(0), i))(jnp.arange(n))
    return float(draw["weight_kg"].mean())


MASUDA_STEPS = 121  # 1-min grid, 2 h


def _masuda(sim: _Sim) -> dict:
    dt, n = 1 / 60, MASUDA_STEPS
    out = {}
    for sex, p_male in (("men", 1.0), ("women", 0.0)):
        cohort = preset("healthy_young", p_male=p_male)
        U = np.zeros((2, n, 1))
        U[:, 1, 0] = np.array([0.1, 0.2]) * _mean_weight(cohort)  # midazolam 0.1 and 0.2 mg/kg iv, at 1 min
        out[sex] = sim(Arm("midazolam", "iv", cohort, dt, n), U, f"masuda {sex}")
    return out


def _masuda_reduce(raw: dict, values) -> dict[str, np.ndarray]:
    out = {}
    for sex, arm in raw.items():
        v = _replay(arm, Ventilation(), values, ("hypnosis", "ventilation"), np.arange(1, MASUDA_STEPS))
        asleep = v["hypnosis"].max(axis=0) >= 0.5  # (regimen, subject): Ramsay >= 4 at any time in 2 h
        out |= {f"loc_01_{sex}": asleep[0], f"loc_02_{sex}": asleep[1],
                f"ve10_{sex}": v["ventilation"][10, 0]}  # step 11: 10 min after the dose
    return out


def _oxycodone(sim: _Sim) -> dict:
    dt, n = 1 / 60, 241
    U = np.zeros((1, n, 2))
    U[0, 1, 1] = 20.0  # oxycodone 20 mg po
    return {age: sim(Arm("midazolam", "iv", age, dt, n, others=(("oxycodone", "oral"),)), U, f"oxycodone {age}")
            for age in ("healthy_young", "elderly")}


def _oxycodone_reduce(raw: dict, values) -> dict[str, np.ndarray]:
    ve = [_replay(arm, Ventilation(), values, ("ventilation",), np.arange(61, 241, 10))["ventilation"][:, 0]
          for arm in raw.values()]
    return {"ve": np.concatenate([v.mean(axis=0) for v in ve])}  # per subject: mean over 1-4 h after the dose


FALL_DAYS = (14, 28, 180)  # window ends (days): first 2 weeks, weeks 3-4, continued use to day 180


def _falls(sim: _Sim) -> dict:
    dt, days = 1.0, FALL_DAYS[-1]
    n = days * 24 + 1
    out = {}
    for drug, (mg, hours, _) in FALL_REGIMENS.items():
        U = np.stack([np.zeros(n)] + [daily_schedule(n, dt, [k * mg] * days, hours) for k in (1, 2)])[..., None]
        out[drug] = sim(Arm(drug, "oral", "elderly", dt, n), U, f"falls {drug}")
    return out


def _falls_reduce(raw: dict, values) -> dict[str, np.ndarray]:
    out = {}
    for drug, arm in raw.items():
        ends = [round(d * 24 / arm["dt"]) for d in FALL_DAYS]
        f = _replay(arm, Falls(), values, ("falls_expected", "fractures_expected"), ends)
        falls, fractures = f["falls_expected"], f["fractures_expected"]  # (window, regimen, subject)
        for k, name in enumerate(("none", "use", "double")):
            out[f"{drug}.{name}"] = falls[:, k].T  # (subject, window)
            out[f"{drug}.{name}.fx"] = fractures[:, k].T
    return out


# --- dependence and withdrawal (targets WD*: calibration_targets.csv rows from withdrawal_trials.csv) ------------
# The burn-in on the dose before the stop or taper is the default prior_use_burn_in_days (prior use is applied at
# its end); drop-out and protracted windows are the planner's (popsim.planner).
DEP_BURNIN_D, DEP_FOLLOW_D = round(PD["prior_use_burn_in_days"].value), 63  # days; follow-up after the last dose
TID, QID = (8.0, 14.0, 20.0), (2.0, 8.0, 14.0, 20.0)
# Per regimen of each arm: (label, mg/day, dose hours, taper, prior use (days; a pair: uniform between)).  Taper:
# 0 abrupt, ("weekly", k) k steps of 1/k of the dose a week (Schweizer 1990: 25%/week), ("label", mg, days) mg
# off every ``days`` (XANAX label, E31).  Doses and durations the studies do not report are popsim assumptions.
DEPENDENCE_ARMS = {
    "diazepam": (("rickels_short", 20.0, TID, 0, (42.0, 240.0)),  # Rickels 1983: 15-40 mg/day; < 8 months
                 ("rickels_long", 20.0, TID, 0, (240.0, 1095.0)),  # >= 8 months (upper end 3 y: A)
                 ("schweizer", 15.0, TID, ("weekly", 4), (365.0, 2922.0)),  # long-term users, 1-8 y (A)
                 ("abrupt", 15.0, TID, 0, (365.0, 2922.0))),
    "alprazolam": (("schweizer", 0.75, TID, ("weekly", 4), (365.0, 2922.0)),
                   ("abrupt", 0.75, TID, 0, (365.0, 2922.0)),
                   ("rickels93", 5.2, QID, ("weekly", 4), (240.0, 240.0)),  # Rickels 1993: 8 months at 5.2 mg/day
                   ("label", 5.0, QID, ("label", 0.5, 3), (91.0, 365.0))),  # > 4 mg/day for > 3 months
}
# A: heavy drinkers offered 300 g/day over the waking hours who stop topping up at a blood ethanol of 1.5 g/L
# (literature.md has neither the intake of the trial populations nor their blood ethanol: gap 8)
ALCOHOL_G_PER_DAY, DRINKING_HOURS, DRINK_CEILING_MG_L = 300.0, tuple(float(h) for h in range(8, 24)), 1500.0
# the susceptibility z (standard normal) on a fine grid: thresholds and the seizure hazard have kinks in z, which a
# Gauss-Hermite rule of a few nodes misses by up to 2-fold at P ~ 0.005 (trapezoid weights of the density)
Z_GRID = np.linspace(-4.0, 4.0, 49)  # P(|z| > 4) = 6e-5
Z_W = np.exp(-0.5 * Z_GRID**2)
Z_W = Z_W / Z_W.sum()
SCHWEIZER_SPLIT = {"diazepam": 37, "alprazolam": 26}  # long / short half-life: the split assumed in WD11/WD12
SEIZURE_ARMS = ("rickels_short", "rickels_long", "label")  # the regimens whose seizures are targets


def _plan(mg: float, taper) -> tuple[list[float], int]:
    """Daily doses (burn-in, taper, follow-up) and the day of the last dose."""
    if taper == 0:
        steps = []
    elif taper[0] == "weekly":
        steps = [x for k in range(1, taper[1]) for x in [mg * (1 - k / taper[1])] * 7]
    else:
        cut, every = taper[1], taper[2]
        steps = [x for k in range(1, int(np.ceil(mg / cut))) for x in [max(mg - k * cut, 0.0)] * every]
    doses = [mg] * DEP_BURNIN_D + steps
    return doses + [0.0] * DEP_FOLLOW_D, len(doses) - 1

def _dependence(sim: _Sim) -> dict:
    out = {}
    for drug, arms in DEPENDENCE_ARMS.items():
        plans = [_plan(mg, taper) for _, mg, _, taper, _ in arms]
        n_days = max(len(d) for d, _ in plans)
        n = n_days * 24 + 1
        U = np.stack([daily_schedule(n, 1.0, d + [0.0] * (n_days - len(d)), hours)
                      for (d, _), (_, _, hours, _, _) in zip(plans, arms)])[..., None]
        out[drug] = sim(Arm(drug, "oral", "adult", 1.0, n), U, f"dependence {drug}")
        out[drug]["last"] = np.array([(last * 24 + arm[2][-1]) for (_, last), arm in zip(plans, arms)])
    cohort = preset("adult", p_male=0.8, p_alcohol=1.0)  # Daeppen 2002: 90/117 men (W69)
    n = (DEP_BURNIN_D + 7) * 24 + 1
    U = np.zeros((1, n, 2))
    for day in range(DEP_BURNIN_D):
        for h in DRINKING_HOURS:
            U[0, day * 24 + int(h), 1] = ALCOHOL_G_PER_DAY * 1000.0 / len(DRINKING_HOURS)
    arm = Arm("diazepam", "oral", cohort, 1.0, n, others=(("ethanol", "oral"),))
    out["alcohol"] = sim(arm, U, "alcohol withdrawal", {"ethanol_vmax_ratio": 2.0},
                         ceiling=Ceiling("ethanol", DRINK_CEILING_MG_L, 1))
    out["alcohol"]["last"] = np.array([(DEP_BURNIN_D - 1) * 24 + DRINKING_HOURS[-1]])
    return out


# the constants the Xc-free states depend on (the thresholds, susceptibility and seizure hazard act after)
DYNAMIC = ("ethanol_ec50", "dependence_ec", "dependence_k_tolerance", "dependence_k_on", "dependence_k_off",
           "dependence_k_glutamate", "dependence_w_tolerance", "dependence_w_glutamate", "dependence_k_symptoms",
           "dependence_k_seizure", "dependence_k_delirium")


def _dependence_states(arm: dict, values, prior_d) -> dict[str, np.ndarray]:
    """Symptoms X, the seizure-prone and delirium states (Xc-free: DEP_XC = 1), ``(time, regimen, subject)``,
    with per-regimen prior use ``prior_d`` ((low, high) days, spread uniformly over the subjects).  The last
    result is kept with the arm: a fit varying only thresholds does not replay."""
    key = tuple(values[k] for k in DYNAMIC) + tuple(prior_d)
    if arm.get("cache", (None,))[0] != key:
        arm["cache"] = (key, _replay_dependence(arm, values, prior_d))
    return arm["cache"][1]


def _replay_dependence(arm: dict, values, prior_d) -> dict[str, np.ndarray]:
    n_reg, n_sub = arm["signals"]["effect_a2"].shape[1:]
    q = (np.arange(n_sub) + 0.5) / n_sub
    prior = np.stack([lo + (hi - lo) * q for lo, hi in prior_d]) * 24.0
    theta = potency.theta("psychomotor")
    p = (score_parameters(jnp.asarray(arm["age"]), jnp.asarray(arm["male"]), values)
         | {"DEP_XC": jnp.asarray(1.0), "DEP_PRIOR": jnp.asarray(prior), "THETA": jnp.asarray(theta)})
    signals = dict(arm["signals"])
    if "ethanol" in signals:  # the total effect for the ethanol EC50 asked (the simulation's PK does not use it)
        c = np.maximum(signals["ethanol"], 0.0)
        stim = signals["occupancy_a2"] + c / (c + float(ethanol_kd(values["ethanol_ec50"])))
        signals["effect_a2"] = stim / (stim + theta)
    out = replay(Withdrawal(), {k: v for k, v in signals.items() if k != "ethanol"}, p, arm["dt"])
    return {k: np.asarray(out[k], float) for k in ("withdrawal_severity", "seizure_proneness", "delirium_proneness")}


def _thresholds(arm: dict, values) -> np.ndarray:
    """Each subject's median threshold of clinically significant withdrawal (the susceptibility aside): the
    covariate ratios of :func:`popsim.pd.parameters.score_parameters`, ``(subject,)``."""
    female = np.where(arm["male"] > 0.5, 1.0, values["withdrawal_female_ratio"])
    alcohol = np.where(arm["alcohol"] > 0.5, values["withdrawal_alcohol_ratio"], 1.0)
    return values["withdrawal_threshold"] * female * alcohol


def _p_above(peak, level, thr, values):
    """P(the subject's severity reaches ``level``) given the Xc-free peak symptoms and the subject's median
    threshold ``thr``: the log-normal susceptibility integrated out."""
    from scipy.special import ndtr

    with np.errstate(divide="ignore"):
        z = (np.log(np.maximum(peak, 1e-300)) - np.log(level * thr))
    return ndtr(z / values["withdrawal_sigma"])


def _seizure(zs, thr, values, dt, density: bool = False):
    """P(seizure) per subject from the Xc-free seizure-prone state ``zs`` ``(time, subject)`` (no kindling: one
    withdrawal), the susceptibility integrated over :data:`Z_GRID`; with ``density`` also the seizure-time
    density ``(subject, time)`` (1/h).  The hazard integral is the grid sum (the trapezoid rule where the hazard
    is zero at both ends), over the times where some subject's hazard can be positive."""
    xc = thr[:, None] * np.exp(values["withdrawal_sigma"] * Z_GRID)  # (subject, node)
    active = zs.max(axis=1) > values["seizure_threshold"] * xc.min()
    h = values["seizure_k"] * np.maximum(zs[active][..., None] / xc - values["seizure_threshold"], 0.0) \
        ** values["seizure_n"]  # (active time, subject, node)
    if not density:
        return (-np.expm1(-dt * h.sum(axis=0))) @ Z_W
    H = np.cumsum(dt * h, axis=0) - dt * h  # before each time
    full = np.zeros(zs.shape)
    full[active] = (h * np.exp(-H)) @ Z_W
    return (-np.expm1(-dt * h.sum(axis=0))) @ Z_W, full.T


def _dependence_reduce(raw: dict, values) -> dict[str, np.ndarray]:
    if values["prior_use_burn_in_days"] != DEP_BURNIN_D:
        raise ValueError(f"pd.prior_use_burn_in_days={values['prior_use_burn_in_days']!r}: the calibration's "
                         f"scenarios start their stops and tapers after the default burn-in; allowed: {DEP_BURNIN_D}")
    out = {}
    for drug, arms in DEPENDENCE_ARMS.items():
        arm = raw[drug]
        x = _dependence_states(arm, values, [a[4] for a in arms])
        thr = _thresholds(arm, values)
        start = round(DEP_BURNIN_D * 24 / arm["dt"])
        for k, (label, *_rest) in enumerate(arms):
            last = round(arm["last"][k] / arm["dt"])
            sev = x["withdrawal_severity"][:, k]
            key = f"{drug}.{label}"
            window = sev[start:last + round(FOLLOW_DAYS * 24 / arm["dt"])].max(axis=0)  # to 4 weeks after
            out[f"{key}.clinical"] = _p_above(sev[start:].max(axis=0), 1.0, thr, values)
            out[f"{key}.any"] = _p_above(window, values["withdrawal_any_ratio"], thr, values)
            out[f"{key}.dropout"] = _p_above(window, values["withdrawal_dropout_ratio"], thr, values)
            late = sev[last + round(PROTRACTED_DAYS * 24 / arm["dt"]):].max(axis=0)
            out[f"{key}.protracted"] = _p_above(late, values["withdrawal_any_ratio"], thr, values)
            if label in SEIZURE_ARMS:
                out[f"{key}.seizure"] = _seizure(x["seizure_proneness"][start:, k], thr, values, arm["dt"])
            # resolution at the median susceptibility: last time at the 'any' level after the last dose (h)
            above = sev[last:] >= values["withdrawal_any_ratio"] * thr
            t_last = (above.shape[0] - 1 - np.argmax(above[::-1], axis=0)) * arm["dt"]
            out[f"{key}.resolution_h"] = np.where(above.any(axis=0), t_last, np.nan)
    arm = raw["alcohol"]
    x = _dependence_states(arm, values, [(0.0, 0.0)])
    thr = _thresholds(arm, values)
    last = round(arm["last"][0] / arm["dt"])
    sev, zd = x["withdrawal_severity"][last:, 0], x["delirium_proneness"][last:, 0]
    out["alcohol.seizure"], out["alcohol.density"] = _seizure(x["seizure_proneness"][last:, 0], thr, values,
                                                              arm["dt"], density=True)
    out["alcohol.dt"] = np.full(len(thr), arm["dt"])
    out["alcohol.ciwa8"] = _p_above(sev.max(axis=0), (8.0 * CIWA_AR_K ** 2 / (67.0 - 8.0)) ** 0.5, thr, values)
    out["alcohol.delirium"] = _p_above(zd.max(axis=0), values["delirium_threshold"], thr, values)
    return out


def _seizure_latency(d) -> float:
    """Median seizure latency after the last drink (h): the median of the population's seizure times (the
    seizure-time densities summed over subjects)."""
    c = np.cumsum(d["alcohol.density"].sum(axis=0))
    return float(np.searchsorted(c, 0.5 * c[-1]) * d["alcohol.dt"][0]) if c[-1] > 0 else np.nan


def _schweizer(d, what: str) -> float:
    """Schweizer 1990's long and short half-life groups pooled by the split assumed (WD11/WD12: 37/26)."""
    return sum(n * d[f"{drug}.schweizer.{what}"].mean() for drug, n in SCHWEIZER_SPLIT.items()) / sum(
        SCHWEIZER_SPLIT.values())


def _odds(p):
    return p / (1 - p)


def _fall_stats(d: dict[str, np.ndarray], drugs, arm: str = "use") -> dict[str, float]:
    """Falls OR in days 28-180 (prevalent use) and hip-fracture rate ratios by window (first 2 weeks, weeks 3-4,
    days 28-180)."""
    none = np.concatenate([d[f"{x}.none"] for x in drugs])  # (subject, window) expected falls at 14, 28, 180 d
    use = np.concatenate([d[f"{x}.{arm}"] for x in drugs])
    fx_none = np.concatenate([d[f"{x}.none.fx"] for x in drugs])  # expected hip fractures
    fx_use = np.concatenate([d[f"{x}.{arm}.fx"] for x in drugs])

    def ratio(a, b):
        lower = (lambda h: h[:, a]) if a is not None else (lambda h: 0.0)
        return (fx_use[:, b] - lower(fx_use)).mean() / (fx_none[:, b] - lower(fx_none)).mean()

    def p_fall(h):
        return (-np.expm1(-(h[:, 2] - h[:, 1]))).mean()

    return {"irr_first_2_weeks": ratio(None, 0), "irr_weeks_3_4": ratio(0, 1), "irr_continued": ratio(1, 2),
            "or": _odds(p_fall(use)) / _odds(p_fall(none))}


def _restarted(d) -> float:
    """Rickels 1983: of the patients with a withdrawal reaction, the share who restarted (taken as the drop-out
    level), pooled over the two duration groups by their sizes (166 and 14)."""
    drop = 166 * d["diazepam.rickels_short.dropout"].mean() + 14 * d["diazepam.rickels_long.dropout"].mean()
    return drop / (166 * d["diazepam.rickels_short.clinical"].mean() + 14 * d["diazepam.rickels_long.clinical"].mean())


STATISTICS: dict[str, tuple[str, Callable[[dict], float]]] = {
    "p_hypoxaemia_fentanyl": ("bailey", lambda d: d["hyp_fen"].mean()),
    "p_hypoxaemia_both": ("bailey", lambda d: d["hyp_both"].mean()),
    "p_hypoxaemia_midazolam": ("bailey", lambda d: d["hyp_mid"].mean()),
    "p_apnoea_both": ("bailey", lambda d: d["apn_both"].mean()),
    "p_apnoea_fentanyl": ("bailey", lambda d: d["apn_fen"].mean()),
    "ventilation_flumazenil_vs_opioid": ("bailey", lambda d: d["ve30_flu"].mean() / d["ve30_fen"].mean()),
    "p_loc_men_midazolam_01": ("masuda", lambda d: d["loc_01_men"].mean()),
    "p_loc_women_midazolam_01": ("masuda", lambda d: d["loc_01_women"].mean()),
    "p_loc_women_midazolam_02": ("masuda", lambda d: d["loc_02_women"].mean()),
    "ventilation_midazolam_01_10min": ("masuda", lambda d: d["ve10_men"].mean()),
    "ventilation_oxycodone_20mg": ("oxycodone", lambda d: d["ve"].mean()),
    "or_falls": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["or"]),
    "or_falls_long": ("falls", lambda d: _fall_stats(d, [x for x, v in FALL_REGIMENS.items() if v[2]])["or"]),
    "or_falls_short": ("falls", lambda d: _fall_stats(d, [x for x, v in FALL_REGIMENS.items() if not v[2]])["or"]),
    "irr_first_2_weeks": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["irr_first_2_weeks"]),
    "irr_weeks_3_4": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["irr_weeks_3_4"]),
    "irr_continued": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["irr_continued"]),
    "irr_continued_double_vs_usual": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS, "double")["irr_continued"]
                                      / _fall_stats(d, FALL_REGIMENS)["irr_continued"]),
    "p_withdrawal_rickels_short": ("dependence", lambda d: d["diazepam.rickels_short.clinical"].mean()),
    "p_withdrawal_rickels_long": ("dependence", lambda d: d["diazepam.rickels_long.clinical"].mean()),
    "p_restarted_given_reaction": ("dependence", lambda d: _restarted(d)),
    "p_any_withdrawal_schweizer": ("dependence", lambda d: _schweizer(d, "any")),
    "p_dropout_schweizer_long": ("dependence", lambda d: d["diazepam.schweizer.dropout"].mean()),
    "p_dropout_schweizer_short": ("dependence", lambda d: d["alprazolam.schweizer.dropout"].mean()),
    "p_dropout_rickels93": ("dependence", lambda d: d["alprazolam.rickels93.dropout"].mean()),
    "or_success_abrupt": ("dependence", lambda d: _odds(1 - np.concatenate(
        [d["diazepam.abrupt.dropout"], d["alprazolam.abrupt.dropout"]]).mean()) / _odds(1 - np.concatenate(
            [d["diazepam.schweizer.dropout"], d["alprazolam.schweizer.dropout"]]).mean())),
    "p_protracted": ("dependence", lambda d: _schweizer(d, "protracted")),
    "resolution_weeks_abrupt": ("dependence", lambda d: np.nanmedian(d["diazepam.abrupt.resolution_h"]) / 168.0),
    "p_seizure_alprazolam_label": ("dependence", lambda d: d["alprazolam.label.seizure"].mean()),
    "p_seizure_rickels": ("dependence", lambda d: (166 * d["diazepam.rickels_short.seizure"].mean()
                                                   + 14 * d["diazepam.rickels_long.seizure"].mean()) / 180),
    "p_seizure_alcohol_untreated": ("dependence", lambda d: d["alcohol.seizure"].mean()),
    "seizure_latency_alcohol_h": ("dependence", _seizure_latency),
    "p_delirium_alcohol_untreated": ("dependence", lambda d: d["alcohol.delirium"].mean()),
    "p_ciwa_ar_8_alcohol": ("dependence", lambda d: d["alcohol.ciwa8"].mean()),
}
SCENARIOS = {"bailey": (_bailey, _bailey_reduce), "masuda": (_masuda, _masuda_reduce),
             "oxycodone": (_oxycodone, _oxycodone_reduce), "falls": (_falls, _falls_reduce),
             "dependence": (_dependence, _dependence_reduce)}


def simulate_scenarios(statistics, *, n_subjects: int = 500, seed: int = 0, dtype=jnp.float32,
                       chunk_size: int = 8192, progress: Callable | None = None) -> dict:
    """The drive signals of every scenario the ``statistics`` need (independent of the score constants).
    ``progress(label)``: a progress callback ``(done, total)`` for each simulated arm."""
    sim = _Sim(seed, n_subjects, dtype, chunk_size, progress)
    return {name: SCENARIOS[name][0](sim) for name in sorted({STATISTICS[s][0] for s in statistics})}


def statistics_of(raw: dict, statistics, values: Mapping[str, float] | None = None, *, bootstrap: int = 0,
                  seed: int = 0) -> pd.DataFrame:
    """Estimate (and 95% bootstrap interval over subjects) of each statistic, the scores replayed on the
    simulated scenarios ``raw`` with the runtime PD constants ``values``."""
    values = check_values(values)
    data = {name: SCENARIOS[name][1](r, values) for name, r in raw.items()}
    rng = np.random.default_rng(seed)
    rows = []
    for s in statistics:
        scen, f = STATISTICS[s]
        d = data[scen]
        n = len(next(iter(d.values())))
        boot = []
        for _ in range(bootstrap):
            idx = rng.integers(0, n, n)
            boot.append(f({k: v[idx] for k, v in d.items()}))
        lo, hi = np.nanpercentile(boot, [2.5, 97.5]) if bootstrap else (np.nan, np.nan)
        rows.append({"statistic": s, "simulated": float(f(d)), "mc_lo": float(lo), "mc_hi": float(hi)})
    return pd.DataFrame(rows)


def scenario_statistics(statistics, *, values: Mapping[str, float] | None = None, n_subjects: int = 500,
                        seed: int = 0, dtype=jnp.float32, bootstrap: int = BOOTSTRAP, chunk_size: int = 8192,
                        progress: Callable | None = None) -> pd.DataFrame:
    """Simulate the scenarios the ``statistics`` need; estimate and 95% bootstrap interval of each."""
    raw = simulate_scenarios(statistics, n_subjects=n_subjects, seed=seed, dtype=dtype, chunk_size=chunk_size,
                             progress=progress)
    return statistics_of(raw, statistics, values, bootstrap=bootstrap, seed=seed)


def ratio_sd(lo, hi):
    """SD of the log of a ratio whose 95% interval is ``lo``-``hi``: ``log(hi / lo) / 3.92``."""
    return np.log(hi / lo) / 3.92


def log_likelihood(table: pd.DataFrame) -> np.ndarray:
    """Log-likelihood of each target's published data given its simulated value: binomial on the counts
    ``n`` of ``N`` where given (the simulated value a probability), else normal on the log scale for a ratio
    with a 95% interval (SD = log(hi / lo) / 3.92); NaN for targets with neither."""
    # a simulated 0 or 1 (no simulated subject, or every one) is floored at 1e-3: the Monte Carlo resolution of a
    # few hundred subjects, not an impossibility
    p = np.clip(table["simulated"].to_numpy(float), 1e-3, 1 - 1e-3)
    n, N = table["n"].to_numpy(float), table["N"].to_numpy(float)
    binom = n * np.log(p) + (N - n) * np.log1p(-p)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = ratio_sd(table["lo"].to_numpy(float), table["hi"].to_numpy(float))
        z = (np.log(table["simulated"].to_numpy(float)) - np.log(table["published"].to_numpy(float))) / sd
    ratio = -0.5 * z ** 2 - np.log(sd)
    return np.where(np.isfinite(N), binom, np.where(np.isfinite(sd) & (sd > 0), ratio, np.nan))


def report(targets: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """Targets joined with the simulated statistics; ``in_interval`` where the published interval has a
    bound (a missing bound is open: ``lo`` alone means at least ``lo``)."""
    out = targets.merge(stats, on="statistic", how="left")
    has = out["lo"].notna() | out["hi"].notna()
    inside = (out["simulated"] >= out["lo"].fillna(-np.inf)) & (out["simulated"] <= out["hi"].fillna(np.inf))
    out["in_interval"] = np.where(has, inside, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio_to_published"] = out["simulated"] / out["published"]
    out["loglik"] = log_likelihood(out)
    return out


STATISTIC_UNITS = {"seizure_latency_alcohol_h": "h", "resolution_weeks_abrupt": "week"}
_PER_TARGET = "units per target in the units_of_target coordinate (1 = probability or ratio, h = hours)"
VARIABLES = {
    "published": ("1", "published value"),
    "simulated": ("1", "simulated value"),
    "mc_lo": ("1", "simulated value, 2.5% bootstrap quantile over subjects"),
    "mc_hi": ("1", "simulated value, 97.5% bootstrap quantile over subjects"),
    "in_interval": ("1", "simulated value within the published interval (1 yes, 0 no, NaN no interval)"),
    "loglik": ("1", "log-likelihood of the published data given the simulated value: binomial on n of N, else normal "
                    "on the log ratio with SD log(hi/lo)/3.92 (NaN: neither)"),
}
register(VARIABLES)
DRAW_VARIABLES = {  # with parameter draws (n_draws > 0)
    "simulated_draw": ("1", "simulated value in each parameter draw (scores replayed on the same subjects)"),
    "simulated_p2.5": ("1", "simulated value, 2.5% over parameter draws"),
    "simulated_p50": ("1", "simulated value, median over parameter draws"),
    "simulated_p97.5": ("1", "simulated value, 97.5% over parameter draws"),
    "pp_lo": ("1", "95% posterior predictive interval of the published value, lower end: binomial over the study's N "
                   "(counts), log-normal with the target's SD (ratios), over the parameter draws"),
    "pp_hi": ("1", "95% posterior predictive interval of the published value, upper end"),
    "in_predictive": ("1", "published value within its 95% posterior predictive interval (1 yes, 0 no, NaN none)"),
}
register(DRAW_VARIABLES)
register({  # coordinates over target: the columns of the target table
    "target": ("1", "calibration target (its id in the target table)"),
    "row": ("1", "row of shared/science/literature.md the target comes from"),
    "outcome": ("1", "outcome the target measures"),
    "statistic": ("1", "simulated statistic compared with the target"),
    "fits": ("1", "the runtime PD constants fitted jointly on the target (fitted targets; ';'-separated)"),
    "note": ("1", "note on the target"),
    "units_of_target": ("1", "units of the target's values (1 = probability or ratio, h = hours)"),
})
# names whose meaning here is this Dataset's own
LOCAL = {"lo": ("1", "published interval, lower bound"), "hi": ("1", "published interval, upper bound"),
         "n": ("1", "published count of events (count targets)"),
         "N": ("1", "published number at risk (count targets)")}


def to_dataset(table: pd.DataFrame, attrs: dict) -> xr.Dataset:
    """The report as a Dataset over ``target`` (statistics are probabilities or ratios, except onset times in h)."""
    units = [STATISTIC_UNITS.get(s, "1") for s in table["statistic"]]
    coords = {"target": table["id"].to_numpy()}
    for c in ("row", "outcome", "statistic", "use", "fits", "note"):
        coords[c] = ("target", table[c].astype(str).to_numpy())
    coords["units_of_target"] = ("target", np.asarray(units))
    ds = xr.Dataset(coords=coords, attrs=attrs)
    for name in ("published", "lo", "hi", "n", "N", "simulated", "mc_lo", "mc_hi", "in_interval", "loglik") + tuple(
            k for k in DRAW_VARIABLES if k in table):
        ds[name] = ("target", table[name].to_numpy(float))
    ds = annotate(ds, **LOCAL)
    for name in ("published", "lo", "hi", "simulated", "mc_lo", "mc_hi", "simulated_p2.5", "simulated_p50",
                 "simulated_p97.5", "pp_lo", "pp_hi"):
        if name in ds:
            ds[name].attrs["comment"] = _PER_TARGET
    return ds


# --- Bayesian calibration (issue 17): the posterior of the uncertain constants on the fitted targets ----------
# Blocks of scenarios whose targets share no constant: the posterior is the product of the blocks' posteriors
# and each block is sampled on its own (the seizure constants se_* are fitted on trial arms elsewhere).
BLOCKS = {"falls": ("falls",), "ventilation": ("bailey", "masuda", "oxycodone"), "dependence": ("dependence",)}
# a relative change of a statistic the screen counts (block_constants); float32 rounding of a replayed statistic
# is ~1e-6 of it, one subject crossing a threshold moves a proportion by 1/N (the replays have N <= 10^4)
SCREEN_RTOL = 1e-4


def block_constants(raw: dict, statistics, values: Mapping[str, float]) -> tuple[str, ...]:
    """The uncertain constants (:data:`popsim.uncertainty.UNCERTAIN`, less the ``se_*`` ones) the
    ``statistics`` replayed on ``raw`` depend on: those whose move to their prior's 2.5% or 97.5% quantile
    changes some statistic by more than :data:`SCREEN_RTOL` of it (the others act only in the simulation, or not
    at all; below that is rounding, e.g. ``fx_per_fall_72``, a factor that cancels in a rate ratio)."""
    base = statistics_of(raw, statistics, values)["simulated"].to_numpy()
    out = []
    for k, prior in UNCERTAIN.items():
        if k in LAPLACE:
            continue
        for u in (0.025, 0.975):
            moved = statistics_of(raw, statistics, dict(values) | {k: float(prior.icdf(jnp.asarray(u)))})
            if not np.allclose(moved["simulated"].to_numpy(), base, rtol=SCREEN_RTOL, atol=0, equal_nan=True):
                out.append(k)
                break
    return tuple(out)


def fit_log_likelihood(raw: dict, rows: pd.DataFrame, values: Mapping[str, float]) -> Callable:
    """``f(batch) -> (n,)``: the log-likelihood (:func:`log_likelihood` summed over the target ``rows``) of each
    set of constants in ``batch`` ({name: (n,)}, the others at ``values``), the scores replayed on ``raw``."""
    stats = list(dict.fromkeys(rows["statistic"]))

    def f(batch):
        ll = np.empty(len(next(iter(batch.values()))))
        for j in range(len(ll)):
            st = statistics_of(raw, stats, dict(values) | {k: float(v[j]) for k, v in batch.items()})
            ll[j] = log_likelihood(rows.merge(st, on="statistic", how="left")).sum()
        return ll

    return f


def predictive_interval(table: pd.DataFrame, simulated: np.ndarray, *, seed: int = 0,
                        replicates: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """95% posterior predictive interval of each target's published value from its simulated values over the
    parameter draws, ``simulated`` ``(target, draw)``: a count target's published proportion is binomial
    ``n ~ B(N, p)`` over ``N`` (``replicates`` studies per draw), a ratio's is log-normal about the simulated
    value with the target's SD (``log(hi / lo) / 3.92``, as :func:`log_likelihood`), any other target's the
    simulated value itself (the draws' 2.5-97.5%)."""
    rng = np.random.default_rng([seed, 17])
    lo, hi = np.full(len(table), np.nan), np.full(len(table), np.nan)
    for i, (_, r) in enumerate(table.iterrows()):
        x = simulated[i][np.isfinite(simulated[i])]
        if not len(x):
            continue
        if np.isfinite(r["N"]):
            obs = rng.binomial(int(r["N"]), np.clip(x, 0.0, 1.0), (replicates, len(x))) / r["N"]
        elif np.isfinite(r["lo"]) and np.isfinite(r["hi"]) and r["lo"] > 0 and np.all(x > 0):
            obs = np.exp(np.log(x) + ratio_sd(r["lo"], r["hi"]) * rng.standard_normal((replicates, len(x))))
        else:
            obs = x
        lo[i], hi[i] = np.quantile(obs, [0.025, 0.975])
    return lo, hi


def _infer_block(job) -> tuple:
    """One block of :func:`infer`: (block, constants, target ids, :class:`popsim.inference.SMCResult`)."""
    block, rows, n_subjects, n_particles, n_moves, seed, dtype, chunk_size, progress = job
    values, stats = check_values(), list(dict.fromkeys(rows["statistic"]))
    raw = simulate_scenarios(stats, n_subjects=n_subjects, seed=seed, dtype=dtype, chunk_size=chunk_size)
    names = block_constants(raw, stats, values)
    r = smc(fit_log_likelihood(raw, rows, values), names, n_particles=n_particles, seed=seed, n_moves=n_moves,
            progress=progress and functools.partial(progress, block))
    return block, names, list(rows["id"]), r


def infer(targets: pd.DataFrame, *, n_subjects: int = 150, n_particles: int = 256, n_moves: int = 3,
          seed: int = 0, dtype=jnp.float32, chunk_size: int = 8192, progress: Callable | None = None,
          map: Callable = map) -> xr.Dataset:
    """Posterior draws of the uncertain constants given the ``fit`` targets (:func:`popsim.inference.smc` per
    block of :data:`BLOCKS`, the likelihood :func:`log_likelihood` summed over the block's fit targets, the
    scenarios simulated once with ``n_subjects`` per arm and the scores replayed per particle), as a Dataset
    over ``draw``: one variable per uncertain constant (equally weighted draws; constants no fit target
    depends on keep their prior draws: :func:`finish`), the log-likelihood of each block, and the diagnostics
    and provenance in the attributes.  The ``check`` targets are never used; every fit target must be in a
    block, and no constant may act in two blocks (refused).
    ``progress(block, message)``; ``map``: runs the blocks (e.g. a process pool's, to run them at once)."""
    fit = targets[targets["use"] == "fit"]
    out = xr.Dataset(coords={"draw": np.arange(n_particles)})
    attrs = {"n_subjects_per_arm": n_subjects, "n_particles": n_particles, "n_moves": n_moves, "seed": seed,
             "precision": np.dtype(dtype).name, "method": "adaptive tempered SMC (popsim.inference.smc), per block",
             "targets_sha256": targets_hash(targets),
             "likelihood": "log_likelihood summed over each block's fit targets, the statistics of one simulated "
                           "population (n_subjects_per_arm, seed) taken as exact (its Monte Carlo error is not "
                           "propagated); a statistic that is NaN for a set of constants excludes it"}
    jobs, covered = [], np.zeros(len(fit), bool)
    for block, scenarios in BLOCKS.items():
        mine = np.array([STATISTICS[s][0] in scenarios for s in fit["statistic"]], bool)
        covered |= mine
        if mine.any():
            jobs.append((block, fit[mine].reset_index(drop=True), n_subjects, n_particles, n_moves, seed, dtype,
                         chunk_size, progress))
    if not covered.all():
        raise ValueError(f"infer: fit targets {list(fit['id'][~covered])} are in no block of BLOCKS; add their "
                         "scenario to a block")
    for block, names, ids, r in map(_infer_block, jobs):
        clash = sorted(set(names) & set(out.data_vars))
        if clash:
            raise ValueError(f"infer: {clash} act in two blocks ({block} and another): the blocks' posteriors are "
                             "no longer independent; merge the blocks")
        for k, v in r.values.items():
            out[k] = ("draw", v, {"units": PD[k].units, "long_name": f"{k} (posterior draw)"})
        out[f"log_likelihood_{block}"] = ("draw", r.log_likelihood, {
            "units": "1", "long_name": f"log-likelihood of the {block} block's fit targets"})
        attrs |= {f"{block}_constants": ";".join(names), f"{block}_targets": ";".join(ids),
                  f"{block}_betas": r.betas, f"{block}_ess": r.ess, f"{block}_acceptance": r.acceptance,
                  f"{block}_log_evidence": r.log_evidence, f"{block}_unique": r.unique,
                  f"{block}_evaluations": r.evaluations}
    out.attrs = attrs
    return finish(out)


def targets_hash(targets: pd.DataFrame) -> str:
    """SHA-256 of the fit rows of a target table (what a posterior was inferred on)."""
    fit = targets[targets["use"] == "fit"].reset_index(drop=True)
    return hashlib.sha256(pd.util.hash_pandas_object(fit, index=False).values).hexdigest()


def finish(ds: xr.Dataset) -> xr.Dataset:
    """The shipped form of :func:`infer`'s draws: each block's particles in a seeded random order (resampling
    leaves them ordered by lineage, and ``n_draws=K`` takes the first K: an unshuffled prefix would be
    clustered), and prior draws (:func:`popsim.uncertainty.draws`, the posterior's seed) of the uncertain
    constants no block holds.  Those are not updated by the targets: they act in no replayed statistic (in
    the simulation of the scenarios, e.g. ``kadapt`` and ``ec50_age_ratio`` in the falls arms, held at their
    values during inference, a cut; or in no target), so each block's posterior is conditional on their point
    values.  Idempotent."""
    if ds.attrs.get("finished"):
        return ds
    ds, n, seed = ds.copy(), ds.sizes["draw"], int(ds.attrs["seed"])
    held = set()
    for block in BLOCKS:
        if f"{block}_constants" in ds.attrs:
            names = ds.attrs[f"{block}_constants"].split(";")
            held |= set(names)
            order = np.random.default_rng([seed, zlib.crc32(block.encode())]).permutation(n)
            for k in names + [f"log_likelihood_{block}"]:
                ds[k] = ("draw", ds[k].values[order], ds[k].attrs)
    rest = [k for k in UNCERTAIN if k not in held]
    for k, v in draws(seed, jnp.arange(n), rest).items():
        ds[k] = ("draw", np.asarray(v, float), {
            "units": PD[k].units, "long_name": f"{k} (prior draw: not updated by the fit targets)"})
    ds.attrs["finished"] = 1
    return ds


@dataclass
class CalibrationStudy(TableStudy):
    """``targets``: the target table, a CSV (``default``: popsim's own, :data:`TARGETS`); ``ids``: only
    these targets (the ``id`` column; empty: every row).  The score constants are ``pd.<constant>``.
    ``refit``: infer the posterior of the uncertain constants from the (selected) fit targets instead
    (:func:`infer`, ``n_subjects`` per scenario arm, ``refit_particles`` particles, ``refit_moves`` Metropolis
    moves per temperature); its Dataset is a posterior file that ``posterior=<path>`` gives to any run with
    ``n_draws``."""

    targets: str = "default"
    ids: list[str] = field(default_factory=list)
    refit: bool = False
    refit_particles: int = 128
    refit_moves: int = 2

    TABLE = ("calibration", "targets", "ids", "id", TARGETS, read_targets)

    def check(self, cfg) -> None:
        _, rows = self.rows()
        if not isinstance(self.refit, bool):
            raise ValueError(f"study.refit={self.refit!r}; allowed: true or false")
        if not isinstance(self.refit_particles, int) or not 16 <= self.refit_particles <= 4096:
            raise ValueError(f"study.refit_particles={self.refit_particles!r}; allowed: an integer 16 to 4096")
        if not isinstance(self.refit_moves, int) or not 1 <= self.refit_moves <= 20:
            raise ValueError(f"study.refit_moves={self.refit_moves!r}; allowed: an integer 1 to 20")
        if cfg.n_draws and "pd" not in cfg.draws_of:
            raise ValueError(f"draws_of={list(cfg.draws_of)!r}: the calibration's draws replay the PD constants on "
                             "scenarios simulated at the library's values; allowed: draws_of=[pd] or both")
        if not self.refit:
            for key, default in (("refit_particles", 128), ("refit_moves", 2)):
                if getattr(self, key) != default:
                    raise ValueError(f"study.{key}={getattr(self, key)!r}: read only by a refit; allowed: "
                                     f"study.refit=true, or no study.{key}")
            return
        if cfg.n_draws:
            raise ValueError(f"n_draws={cfg.n_draws!r}: a refit infers the posterior (its draws are the Dataset); "
                             "allowed: 0 with study.refit=true")
        if cfg.pd:
            key, value = next(iter(cfg.pd.items()))
            raise ValueError(f"pd.{key}={value!r}: a refit holds the constants it does not infer at their point "
                             "values and infers the others; allowed: no pd override with study.refit=true")
        if cfg.output_format != "netcdf":
            raise ValueError(f"output_format={cfg.output_format!r}: a refit's Dataset is a posterior file "
                             "(posterior=<path>); allowed: netcdf with study.refit=true")
        if not (rows["use"] == "fit").any():
            raise ValueError(f"study.ids={list(self.ids)!r}: no fit target selected, nothing to refit on; allowed: "
                             "targets whose use is fit")


def _draws_report(table: pd.DataFrame, raw: dict, cfg) -> tuple[xr.Dataset, list[str]]:
    """Each target's statistic in every parameter draw (the scores replayed on the same simulated subjects),
    the 2.5/50/97.5% over draws (:func:`popsim.io.over_draws`) and the 95% posterior predictive interval of
    the published value (:func:`predictive_interval`); columns added to ``table``, the per-draw values as a
    Dataset over ``target`` x ``draw`` and the report's lines.  The scenarios are simulated once, at the drug
    library's values: the library's draws do not act here (the intervals carry the PD posterior only)."""
    drawn = EXPERIMENT.pd_values(cfg, library=False)
    stats = list(dict.fromkeys(table["statistic"]))
    per = [statistics_of(raw, stats, {k: float(v[j]) for k, v in drawn.items()}).set_index("statistic")["simulated"]
           for j in range(cfg.n_draws)]
    sim = np.stack([p.reindex(table["statistic"]).to_numpy(float) for p in per], axis=1)  # (target, draw)
    for name, v in over_draws("simulated", sim, axis=1).items():
        table[name] = v
    table["pp_lo"], table["pp_hi"] = predictive_interval(table, sim, seed=cfg.seed)
    has = table["published"].notna() & table["pp_lo"].notna()
    inside = (table["published"] >= table["pp_lo"]) & (table["published"] <= table["pp_hi"])
    table["in_predictive"] = np.where(has, inside, np.nan)
    lines = []
    for use in ("fit", "check"):
        part = table[(table["use"] == use) & table["in_predictive"].notna()]
        lines.append(f"  {use:<5}: {int(part['in_predictive'].sum())}/{len(part)} published values within their 95% "
                     f"posterior predictive interval ({cfg.n_draws} draws)")
    ds = xr.Dataset({"simulated_draw": (("target", "draw"), sim)}, coords={"target": table["id"].to_numpy()})
    # the constants the replayed statistics read (the others act in the simulation, run at their point values)
    post = posterior(cfg.posterior).attrs
    replayed = {k for b in BLOCKS if f"{b}_constants" in post for k in post[f"{b}_constants"].split(";")}
    return with_draws(ds, drawn, [k for k in UNCERTAIN if k in replayed and k not in cfg.pd]), lines


def _x64(on: bool) -> None:
    """A refit's worker process: the run's precision (a spawned process starts without float64)."""
    jax.config.update("jax_enable_x64", on)


def _refit(cfg, targets: pd.DataFrame, dtype, progress) -> Result:
    """``study.refit``: :func:`infer` on the selected fit targets (on the CPU, the blocks in parallel processes
    where there are several and the machine has the cores; on an accelerator one after another, since each
    process would claim the device's memory); the posterior as the Dataset, its summary and its diagnostics as
    tables."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    s = cfg.study
    fit = targets[targets["use"] == "fit"]
    blocks = {b for b, sc in BLOCKS.items() for st in fit["statistic"] if STATISTICS[st][0] in sc}
    workers = min(len(blocks), os.cpu_count() or 1) if jax.default_backend() == "cpu" else 1
    kw = dict(n_subjects=cfg.n_subjects, n_particles=s.refit_particles, n_moves=s.refit_moves, seed=cfg.seed,
              dtype=dtype, chunk_size=cfg.chunk_size, progress=print if progress else None)
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_x64,
                                 initargs=(np.dtype(dtype) == np.float64,)) as pool:
            ds = infer(targets, map=pool.map, **kw)
    else:
        ds = infer(targets, **kw)
    ds["draw"].attrs = {"units": "1", "long_name": "posterior draw (equally weighted)"}
    ds.attrs["parameter_uncertainty"] = ("this Dataset is a posterior: draws of the uncertain constants, inferred "
                                         "with the others at their point values (posterior=<this file> with "
                                         "n_draws=K draws from it)")
    summary, diagnostics = posterior_tables(ds)
    return Result(ds, {"posterior": summary, "diagnostics": diagnostics},
                  f"posterior of {len(UNCERTAIN)} uncertain constants from {len(fit)} fit targets: "
                  f"{s.refit_particles} particles, {cfg.n_subjects} subjects per scenario arm",
                  "Posterior (median and 95% over draws) against the prior's 95%; width: of the posterior's 95% "
                  "over the prior's (link scale)\n" + summary.round(4).to_string(index=False) + "\n"
                  + diagnostics.to_string(index=False) + "\nUse it with: n_draws=K posterior=<this run's "
                  "calibration.nc>")


def posterior_tables(ds: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A posterior's summary (one row per uncertain constant: the block that updated it, or ``prior`` for a
    constant no fit target acts on; the prior's and the posterior's median and central 95%; ``width``: the
    posterior's 95% width over the prior's, on the link scale) and its diagnostics (one row per block)."""
    updated = {k: b for b in BLOCKS if f"{b}_constants" in ds.attrs for k in ds.attrs[f"{b}_constants"].split(";")}
    rows = []
    for k, prior in UNCERTAIN.items():
        q = np.asarray(prior.icdf(jnp.asarray([0.025, 0.5, 0.975])), float)
        x = ds[k].values
        p = np.quantile(x, [0.025, 0.5, 0.975])
        link = np.asarray(prior.to_link(jnp.asarray(x)), float)
        prior_link = np.asarray(prior.to_link(jnp.asarray(q)), float)
        rows.append({"constant": k, "units": PD[k].units, "block": updated.get(k, "prior"),
                     "prior_p2.5": q[0], "prior_p50": q[1], "prior_p97.5": q[2],
                     "posterior_p2.5": p[0], "posterior_p50": p[1], "posterior_p97.5": p[2],
                     "width": float(np.diff(np.quantile(link, [0.025, 0.975]))[0] / (prior_link[2] - prior_link[0]))})
    diag = [{"block": b, "constants": len(ds.attrs[f"{b}_constants"].split(";")),
             "targets": ds.attrs[f"{b}_targets"], "temperatures": len(np.atleast_1d(ds.attrs[f"{b}_betas"])),
             "final_ess": float(np.atleast_1d(ds.attrs[f"{b}_ess"])[-1]),
             "mean_acceptance": float(np.mean(ds.attrs[f"{b}_acceptance"])),
             "unique_particles": int(ds.attrs[f"{b}_unique"]), "evaluations": int(ds.attrs[f"{b}_evaluations"]),
             "log_evidence": float(ds.attrs[f"{b}_log_evidence"])} for b in BLOCKS if f"{b}_constants" in ds.attrs]
    return pd.DataFrame(rows), pd.DataFrame(diag)


def run(cfg, *, dtype, progress=None) -> Result:
    """Every target: the report table and the Dataset over ``target`` (with ``n_draws``: and ``draw``); with
    ``study.refit``, the posterior (:func:`_refit`)."""
    s = cfg.study
    path, targets = s.rows()
    if s.refit:
        return _refit(cfg, targets, dtype, progress)
    statistics = list(dict.fromkeys(targets["statistic"]))
    raw = simulate_scenarios(statistics, n_subjects=cfg.n_subjects, seed=cfg.seed, dtype=dtype,
                             chunk_size=cfg.chunk_size, progress=progress)
    table = report(targets, statistics_of(raw, statistics, cfg.pd, bootstrap=BOOTSTRAP, seed=cfg.seed))
    cols = ["id", "row", "use", "published", "lo", "hi", "simulated", "mc_lo", "mc_hi", "in_interval", "loglik"]
    draws_ds, draw_lines = _draws_report(table, raw, cfg) if cfg.n_draws else (None, [])
    cols += ["simulated_p50", "pp_lo", "pp_hi", "in_predictive"] if cfg.n_draws else []
    lines = [table[cols].round(4).to_string(index=False)]
    for use in ("fit", "check"):
        part = table[(table["use"] == use) & table["in_interval"].notna()]
        lines.append(f"  {use:<5}: {int(part['in_interval'].sum())}/{len(part)} within the published interval")
    lines += draw_lines
    # the receptor layer's fit (popsim.pd.potency) and its check against the Ashton equivalent doses
    fitted, ashton = pd.DataFrame(potency.fit_table()), pd.DataFrame(potency.ashton_check())
    lines += ["GABA-A affinities and endpoint thresholds, fitted jointly on measured concentration-effect data "
              f"(thresholds: {', '.join(f'{e} {potency.theta(e):.3f}' for e in potency.ENDPOINTS)}):",
              fitted.round(4).to_string(index=False),
              "Check: dose equi-effective at steady state with 10 mg diazepam over the Ashton dose (source 'ashton': "
              "affinity derived from that dose, 1 by construction, not a check):",
              ashton.round(3).to_string(index=False)]
    ds = to_dataset(table, {"targets": str(path)})
    if draws_ds is not None:
        ds = annotate(xr.merge([ds, draws_ds], compat="override", combine_attrs="override"), **LOCAL)
    return Result(ds,
                  {"report": table, "potency_fit": fitted, "ashton_check": ashton},
                  f"{len(table)} published targets, {cfg.n_subjects} subjects per scenario", "\n".join(lines))


def plot_calibration(ds: xr.Dataset, *, ax=None):
    """Simulated vs published per target: published interval (bar), published value (open circle),
    simulated value with its Monte Carlo interval (filled: fitted; open square: checked), each over
    the published value (over the upper bound of the interval where that is 0)."""
    from matplotlib.lines import Line2D

    n = ds.sizes["target"]
    ax = ax or new_axes((8, 0.35 * n + 1.5))
    pub, lo, hi = ds["published"].values, ds["lo"].values, ds["hi"].values
    sim, mc_lo, mc_hi = ds["simulated"].values, ds["mc_lo"].values, ds["mc_hi"].values
    use = ds["use"].values
    y = np.arange(n)[::-1]
    for i, yi in enumerate(y):
        scale = pub[i] if np.isfinite(pub[i]) and pub[i] > 0 else np.nan
        if not np.isfinite(scale):
            scale = hi[i] if np.isfinite(hi[i]) and hi[i] > 0 else 1.0
        if np.isfinite(lo[i]) and np.isfinite(hi[i]):
            ax.plot([lo[i] / scale, hi[i] / scale], [yi, yi], color="0.7", lw=6, solid_capstyle="butt")
        ax.plot(pub[i] / scale, yi, "o", mfc="none", mec="k")
        fitted = use[i] == "fit"
        ax.errorbar(sim[i] / scale, yi, xerr=[[max(sim[i] - mc_lo[i], 0) / scale], [max(mc_hi[i] - sim[i], 0) / scale]],
                    fmt="s", color="C3" if fitted else "C0", mfc="C3" if fitted else "none")
        if "pp_lo" in ds and np.isfinite(ds["pp_lo"].values[i]):
            ax.plot([ds["pp_lo"].values[i] / scale, ds["pp_hi"].values[i] / scale], [yi - 0.3] * 2, color="k", lw=1)
    ax.set_yticks(y, [f"{t} {s}" for t, s in zip(ds["target"].values, ds["statistic"].values)], fontsize=8)
    ax.axvline(1.0, color="0.5", ls=":")
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = sim / np.where(pub > 0, pub, hi)
    ax.set_xlim(-0.05, max(2.5, float(np.nanmax(relative)) + 0.1))
    ax.set_xlabel("value / published value (published 0: / upper bound of its interval)")
    ax.legend(handles=[Line2D([], [], color="0.7", lw=6, label="published interval"),
                       Line2D([], [], marker="o", mfc="none", mec="k", ls="", label="published value"),
                       Line2D([], [], marker="s", color="C3", ls="", label="simulated, fitted (95% MC)"),
                       Line2D([], [], marker="s", mfc="none", color="C0", ls="", label="simulated, checked")]
              + ([Line2D([], [], color="k", lw=1, label="95% posterior predictive")] if "pp_lo" in ds else []),
              fontsize=8, loc="lower right")
    ax.set_title("popsim risk scores against published targets", fontsize=11)
    return ax


def plot_posterior(ds: xr.Dataset, *, ax=None):
    """A refit's posterior against the prior, per updated constant: its median (dot) and central 95% (bar) on
    the link scale, placed so that the prior's central 95% spans 0 to 1 (shaded)."""
    summary, _ = posterior_tables(ds)
    summary = summary[summary["block"] != "prior"]
    ax = ax or new_axes((7, 0.3 * len(summary) + 1.5))
    ax.axvspan(0, 1, color="0.9", label="prior, central 95%")
    y = np.arange(len(summary))[::-1]
    for yi, (_, r) in zip(y, summary.iterrows()):
        prior = UNCERTAIN[r["constant"]]
        lo, hi = (float(prior.to_link(jnp.asarray(r[f"prior_p{q}"]))) for q in ("2.5", "97.5"))
        x = [(float(prior.to_link(jnp.asarray(r[f"posterior_p{q}"]))) - lo) / (hi - lo) for q in ("2.5", "50", "97.5")]
        ax.plot([x[0], x[2]], [yi, yi], color=f"C{list(BLOCKS).index(r['block'])}", lw=2)
        ax.plot(x[1], yi, "o", color=f"C{list(BLOCKS).index(r['block'])}")
    ax.set_yticks(y, [f"{c} ({b})" for c, b in zip(summary["constant"], summary["block"])], fontsize=8)
    ax.set_xlabel("position in the prior's central 95% (link scale: 0 its 2.5%, 1 its 97.5%)")
    ax.set_title(f"Posterior median and 95% ({ds.sizes['draw']} draws) against the prior", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def figure(ds: xr.Dataset):
    """Every target against its published value; a refit's posterior against the prior."""
    if "target" not in ds.dims:
        n = sum(len(ds.attrs[f"{b}_constants"].split(";")) for b in BLOCKS if f"{b}_constants" in ds.attrs)
        return side_by_side(ds, (plot_posterior,), panel=(7.0, 0.3 * n + 1.5))
    return side_by_side(ds, (plot_calibration,), panel=(8.0, 0.35 * ds.sizes["target"] + 1.5))


EXPERIMENT = Experiment(
    name="calibration", schema=CalibrationStudy, run=run, figure=figure,
    reads=("pd.gaba", "pd.falls", "pd.withdrawal", "pd.ventilation"),
    tiny=("n_subjects=64", "study.ids=[R1,R2,R3,R4,R5,R6]"),  # the respiratory targets (one scenario)
    draws=True,
    question="Do the risk scores (falls, respiratory depression, withdrawal) reproduce the published targets, "
             "both those they were fitted to and those only checked?")
