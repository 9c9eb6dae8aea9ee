"""Question 5 (alcohol): chronic drinking, cross-tolerance, withdrawal on stopping, and symptom-triggered
benzodiazepine loading vs a fixed schedule.

Every subject drinks ``grams_per_day`` of ethanol (split over ``drinking_hours``) for ``drinking_days``
and stops at midnight after the last drinking day (t_stop).  Ethanol is one more GABA-A agonist of
the shared adaptation state, so drinking builds tolerance that the benzodiazepine meets
(cross-tolerance), and stopping leaves the adapted level unsupported (withdrawal).  From
``treatment_start_h`` after t_stop, three treatments: none; a fixed schedule (``fixed_mg_per_day``,
6-hourly); or symptom-triggered loading, ``trigger_mg`` whenever the withdrawal drive exceeds
``trigger_drive`` at a check every ``check_every_h`` (at most ``max_doses``), simulated in the time
loop (:class:`popsim.pk.grid.Trigger`).  Probabilities are over the period after t_stop, from
differences of the cumulative hazards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dataset import with_covariates
from popsim.pd.parameters import check_values
from popsim.pk.grid import Trigger
from popsim.study import simulate_arm

__all__ = ["LEVELS", "QUANTILES", "run_alcohol_study", "summary"]

LEVELS = ["grams_per_day", "treatment", "trigger_drive"]
QUANTILES = (0.05, 0.5, 0.95)
SOBER_MG_L = 10.0  # blood ethanol taken as none left (0.01 g/L)
TRACKED = ("ethanol", "occupancy_a2", "adaptation_a2", "withdrawal_drive_a2", "sedation", "withdrawal_cumhaz",
           "seizure_cumhaz")
SHOWN = {"ethanol": ("mg L-1", "blood ethanol concentration"),
         "occupancy_a2": ("1", "GABA-A alpha2 agonist occupancy (ethanol and benzodiazepine)"),
         "withdrawal_drive_a2": ("1", "withdrawal drive: alpha2 adaptation minus occupancy, if positive"),
         "sedation": ("1", "net GABA-A alpha1 sedation (occupancy minus its tolerated part)")}


def _inputs(a, n: int, dt: float, grams: float, fixed: bool) -> np.ndarray:
    """(time, 2) inputs: benzodiazepine (mg) and ethanol (mg) per grid step."""
    U = np.zeros((n, 2))
    for day in range(int(a.drinking_days)):
        for h in a.drinking_hours:
            U[round((day * 24 + h) / dt), 1] += grams * 1000.0 / len(a.drinking_hours)
    if fixed:
        start = a.drinking_days * 24 + a.treatment_start_h
        for day, mg in enumerate(a.fixed_mg_per_day):
            for k in range(4):
                step = round((start + day * 24 + 6 * k) / dt)
                if step < n:
                    U[step, 0] += mg / 4
    return U


def run_alcohol_study(cfg, dtype, progress=None) -> xr.Dataset:
    """Dataset over regimen (:data:`LEVELS`) x subject, and population quantiles of the tracked signals
    over regimen x quantile x time (h since the stop, from one day before)."""
    a, dt = cfg.alcohol, cfg.grid.dt_h
    values = check_values(cfg.pd)
    n = round((a.drinking_days + a.days_after) * 24 / dt) + 1
    stop = round(a.drinking_days * 24 / dt)
    start = stop + round(a.treatment_start_h / dt)
    common = {"dt": dt, "seed": cfg.seed, "n_subjects": cfg.n_subjects, "values": values,
              "others": (("ethanol", "oral"),), "chunk_size": cfg.chunk_size, "dtype": dtype, "trajectories": TRACKED,
              "trajectories_from_h": (a.drinking_days - 1) * 24.0}
    arms = [("none", 0.0, None), ("fixed", 0.0, None)]
    arms += [("triggered", thr, Trigger("withdrawal_drive_a2", thr, a.trigger_mg, start=start,
                                        every=round(a.check_every_h / dt), max_doses=a.max_doses))
             for thr in a.trigger_drive]
    labels, parts, doses, last, given = [], [], [], [], []
    for name, thr, trigger in arms:
        rows = [(g, name, thr) for g in a.grams_per_day]
        U = np.stack([_inputs(a, n, dt, g, name == "fixed") for g, _, _ in rows])
        r = simulate_arm(cfg.cohort, a.drug, "oral", U, trigger=trigger, **common,
                         progress=progress and progress(f"{name} {thr:g}" if trigger else name))
        labels += rows
        parts.append(r)
        shape = (len(rows), cfg.n_subjects)
        doses.append(r["trigger"]["doses"] if trigger else np.zeros(shape))
        last.append(r["trigger"]["last"] if trigger else np.full(shape, np.nan))
        given.append(doses[-1] * a.trigger_mg + U[:, :, 0].sum(axis=1)[:, None])  # triggered + scheduled
    traj = {s: np.concatenate([p["trajectories"][s] for p in parts], axis=1) for s in TRACKED}  # (time, reg, sub)
    t = parts[0]["times"] - a.drinking_days * 24.0
    at_stop = round(24.0 / dt)  # the saved course starts one day before the stop
    at_start = at_stop + start - stop
    index = pd.MultiIndex.from_tuples(labels, names=LEVELS)
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(subject=np.arange(cfg.n_subjects), quantile=list(QUANTILES), time=t)
    dims = ("regimen", "subject")

    def add(name, v, units, long_name):
        ds[name] = (dims, np.asarray(v, float), {"units": units, "long_name": long_name})

    for kind in ("withdrawal", "seizure"):
        h = traj[f"{kind}_cumhaz"]
        label = "clinically significant withdrawal" if kind == "withdrawal" else "a withdrawal seizure"
        add(f"p_{kind}_after_stop", -np.expm1(-(h[-1] - h[at_stop])), "1",
            f"probability of {label} from the stop to the end ({a.days_after:g} days)")
    h = traj["withdrawal_cumhaz"]
    add("p_withdrawal_last_drinking_day", -np.expm1(-(h[at_stop] - h[0])), "1",
        "probability of clinically significant withdrawal on the last drinking day (between drinks)")
    drive = traj["withdrawal_drive_a2"][at_stop:]
    add("withdrawal_drive_peak", drive.max(axis=0), "1", "peak withdrawal drive after the stop")
    add("withdrawal_peak_h", t[at_stop:][drive.argmax(axis=0)], "h", "time of the peak withdrawal drive after the stop")
    add("adaptation_at_stop", traj["adaptation_a2"][at_stop], "1", "GABA-A alpha2 adaptation state at the stop "
        "(tolerance carried into the treatment)")
    add("ethanol_peak_last_day", traj["ethanol"][:at_stop].max(axis=0), "mg L-1",
        "peak blood ethanol concentration on the last drinking day")
    add("sedation_peak_treatment", traj["sedation"][at_start:].max(axis=0), "1",
        "peak net alpha1 sedation from the treatment start on (oversedation)")
    sober = traj["ethanol"][at_start:] < SOBER_MG_L
    sed = np.where(sober, traj["sedation"][at_start:], -np.inf).max(axis=0)
    add("sedation_peak_sober", np.where(sober.any(axis=0), sed, np.nan), "1",
        f"peak net alpha1 sedation from the treatment start on while blood ethanol is below {SOBER_MG_L:g} mg/L "
        "(the benzodiazepine's own sedation: lower in drinkers by cross-tolerance; NaN if never sober)")
    add("benzodiazepine_mg", np.concatenate(given), "mg", f"total {a.drug} given after the stop")
    doses, last = np.concatenate(doses), np.concatenate(last)
    add("triggered_doses", doses, "1", f"number of symptom-triggered doses of {a.trigger_mg:g} mg")
    add("last_triggered_dose_h", last - a.drinking_days * 24.0, "h", "time of the last symptom-triggered dose after "
        "the stop (NaN: none)")
    for s, (units, long_name) in SHOWN.items():
        q = np.quantile(traj[s], QUANTILES, axis=-1)  # (quantile, time, regimen)
        ds[f"{s}_quantiles"] = (("regimen", "quantile", "time"), np.moveaxis(q, -1, 0).astype(np.float32),
                                {"units": units, "long_name": f"{long_name}: population quantiles"})
    ds = with_covariates(ds, parts[0]["covariates"])
    ds["time"].attrs = {"units": "h", "long_name": "time since the stop (midnight after the last drinking day)"}
    ds["grams_per_day"].attrs = {"units": "g d-1", "long_name": "ethanol drunk per day"}
    ds["trigger_drive"].attrs = {"units": "1", "long_name": "withdrawal drive that triggers a dose (0: not triggered)"}
    ds.attrs.update({"drug": a.drug, "cohort": cfg.cohort.name, "drinking_days": a.drinking_days,
                     "max_doses": a.max_doses,
                     "treatment_start_h": a.treatment_start_h, "ethanol_vmax_ratio": values["ethanol_vmax_ratio"]})
    return ds


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per regimen: P(withdrawal) and P(seizure) after the stop, median total benzodiazepine (and its
    95th percentile), median peak sedation during treatment (all of it, and sober), adaptation at the
    stop, the fraction of subjects at the triggered-dose cap and with blood ethanol above 4 g/L."""
    names = ["p_withdrawal_after_stop", "p_seizure_after_stop", "p_withdrawal_last_drinking_day"]
    df = ds[names].mean("subject").to_dataframe()
    df["benzodiazepine_mg_p50"] = ds["benzodiazepine_mg"].median("subject").to_series()
    df["benzodiazepine_mg_p95"] = ds["benzodiazepine_mg"].quantile(0.95, "subject").drop_vars("quantile").to_series()
    df["sedation_peak_treatment_p50"] = ds["sedation_peak_treatment"].median("subject").to_series()
    df["sedation_peak_sober_p50"] = ds["sedation_peak_sober"].median("subject").to_series()
    df["adaptation_at_stop_p50"] = ds["adaptation_at_stop"].median("subject").to_series()
    df["p_at_dose_cap"] = (ds["triggered_doses"] >= ds.attrs["max_doses"]).mean("subject").to_series()
    df["p_ethanol_over_4_g_l"] = (ds["ethanol_peak_last_day"] > 4000.0).mean("subject").to_series()
    return df[[c for c in df.columns if c not in LEVELS]].reset_index()
