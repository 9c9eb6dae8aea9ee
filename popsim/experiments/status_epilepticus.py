"""Question 6 (seizures): how fast a first-line benzodiazepine reaches an effective effect-site
occupancy, and for how long it stays there, by drug, route and dose.

Each drug x route is one compiled program on a 1-min grid with one dose at t = 0 (the doses are its
regimens).  The effective level is not known (literature.md has no anticonvulsant GABA-A occupancy
target), so it is swept: for each threshold, the time of the first grid point above it (onset, to
within 1 min), the time above it (duration), whether it was reached, and whether it was lost within
``protect_h`` of the dose (a subject in whom a single dose no longer covers the window until a
maintenance antiseizure drug acts: the candidates for recurrence; popsim has no seizure model, so
this is not a recurrence probability).  The occupancy time course of every subject is kept.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dataset import with_covariates
from popsim.pd.parameters import check_values
from popsim.study import VARIABLES, simulate_arm

__all__ = ["DT", "arms", "run_status_epilepticus_study", "summary"]

DT = 1 / 60  # h


def arms(spec: list[str]) -> list[tuple[str, str, list[float]]]:
    """``["<drug>_<route>_<dose mg>", ...]`` -> ``[(drug, route, doses)]``, one entry per drug and route."""
    grouped: dict[tuple[str, str], list[float]] = {}
    for arm in spec:
        drug, route, dose = arm.split("_")
        grouped.setdefault((drug, route), []).append(float(dose))
    return [(drug, route, doses) for (drug, route), doses in grouped.items()]


def run_status_epilepticus_study(cfg, dtype, progress=None) -> xr.Dataset:
    """Dataset over regimen (``drug``, ``route``, ``dose_mg``) x ``threshold`` x subject, and the
    occupancy time course over regimen x time x subject."""
    s = cfg.status_epilepticus
    values = check_values(cfg.pd)
    n = round(s.hours / DT) + 1
    labels, parts, covariates = [], [], None
    for drug, route, doses in arms(s.arms):
        U = np.zeros((len(doses), n, 1))
        U[:, 0, 0] = doses
        r = simulate_arm(cfg.cohort, drug, route, U, dt=DT, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                         chunk_size=cfg.chunk_size, dtype=dtype, pd_above=[(s.signal, t) for t in s.thresholds],
                         trajectories=(s.signal,), trajectories_from_h=0.0,
                         progress=progress and progress(f"{drug}/{route}"))
        labels += [(drug, route, x) for x in doses]
        parts.append(r)
        covariates, times = r["covariates"], r["times"]
    index = pd.MultiIndex.from_tuples(labels, names=["drug", "route", "dose_mg"])
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(threshold=np.asarray(s.thresholds, float), subject=np.arange(cfg.n_subjects),
                          time=np.asarray(times) * 60.0)
    # (threshold, regimen, subject); onsets are grid times, rebuilt from the step in float64
    first = np.round(np.concatenate([p["above"]["t_first"] for p in parts], axis=1) / DT) * DT
    above = np.concatenate([p["above"]["t_above"] for p in parts], axis=1)
    reached = np.isfinite(first)
    dims = ("threshold", "regimen", "subject")
    ds["onset_min"] = (dims, first * 60.0, {"units": "min", "long_name": f"time from the dose to the first {s.signal} "
                                            "above the threshold (to within 1 min; NaN if never reached)"})
    ds["duration_h"] = (dims, above, {"units": "h", "long_name": f"time with {s.signal} above the threshold "
                                      f"within {s.hours:g} h of the dose"})
    ds["reached"] = (dims, reached.astype(float), {"units": "1", "long_name": "threshold reached: 1 yes, 0 no"})
    lost = reached & (np.nan_to_num(first) + above < s.protect_h)
    ds["effect_lost"] = (dims, lost.astype(float), {
        "units": "1", "long_name": f"reached, then back below the threshold within {s.protect_h:g} h of the dose "
                                   "(onset + duration, exact for one rise and fall): 1 yes, 0 no"})
    units, long_name = VARIABLES["occupancy_a1_peak"]
    ds["occupancy_a1_peak"] = (("regimen", "subject"), np.concatenate([p["values"]["occupancy_a1_peak"] for p in parts]),
                               {"units": units, "long_name": long_name})
    tmax = np.round(np.concatenate([p["values"]["occupancy_a1_tmax"] for p in parts]) / DT) * DT * 60.0
    ds["peak_time_min"] = (("regimen", "subject"), tmax, {"units": "min", "long_name": "time of the peak alpha1 "
                                                          "occupancy after the dose"})
    ds["occupancy"] = (("regimen", "time", "subject"),
                       np.concatenate([np.moveaxis(p["trajectories"][s.signal], 0, 1) for p in parts]).astype(np.float32),
                       {"units": "1", "long_name": f"GABA-A {s.signal.split('_')[1]} agonist occupancy "
                                                   "(effect site, parent and active metabolites)"})
    ds = with_covariates(ds, covariates)
    ds["threshold"].attrs = {"units": "1", "long_name": f"effective {s.signal} (swept: no published target)"}
    ds["time"].attrs = {"units": "min", "long_name": "time since the dose"}
    ds["dose_mg"].attrs = {"units": "mg", "long_name": "single dose at t = 0"}
    ds.attrs.update({"signal": s.signal, "protect_h": s.protect_h, "cohort": cfg.cohort.name})
    return ds


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per regimen x threshold: median peak occupancy and its time (the same for every threshold),
    P(reached), onset percentiles (min, among those who reach it), median duration (h) and P(effect
    lost within protect_h)."""
    with warnings.catch_warnings():  # a threshold nobody reaches has no onset percentiles (NaN)
        warnings.simplefilter("ignore", RuntimeWarning)
        q = ds["onset_min"].quantile([0.05, 0.5, 0.95], dim="subject", skipna=True)
    df = pd.DataFrame({
        "occupancy_peak_p50": ds["occupancy_a1_peak"].median("subject").broadcast_like(ds["reached"].isel(
            subject=0, drop=True)).to_series(),
        "peak_time_min_p50": ds["peak_time_min"].median("subject").broadcast_like(ds["reached"].isel(
            subject=0, drop=True)).to_series(),
        "p_reached": ds["reached"].mean("subject").to_series(),
        "onset_min_p05": q.sel(quantile=0.05, drop=True).to_series(),
        "onset_min_p50": q.sel(quantile=0.5, drop=True).to_series(),
        "onset_min_p95": q.sel(quantile=0.95, drop=True).to_series(),
        "duration_h_p50": ds["duration_h"].median("subject").to_series(),
        "p_effect_lost": ds["effect_lost"].mean("subject").to_series(),
    })
    return df.reset_index()
