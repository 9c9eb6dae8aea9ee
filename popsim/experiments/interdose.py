"""Question 1 (interdose withdrawal): how far GABA-A occupancy swings between doses at steady state,
and the probability of withdrawal between doses, for alprazolam immediate- and extended-release,
clonazepam and diazepam over a sweep of dosing intervals at the same daily diazepam-equivalent dose.

Each formulation is one compiled program (its regimens: daily dose x interval).  An extended-release
formulation (``<drug>_xr``) is the drug's oral route with each dose released at a constant rate over
``xr_release_h`` into the gut depot (on the grid: equal parts at every step of the release).  The
last day is the steady-state window: occupancy swing (peak - trough) / peak, trough occupancy, mean
net sedation and P(clinically significant withdrawal during that day), the interdose withdrawal
that the swing causes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dataset import with_covariates
from popsim.pd.parameters import check_values
from popsim.study import VARIABLES, de_dose_mg, simulate_arm

__all__ = ["LEVELS", "OUTPUTS", "doses", "run_interdose_study"]

LEVELS = ["formulation", "dose_de_mg", "interval_h"]
OUTPUTS = ("cavg_ss", "occupancy_a1_mean_ss", "occupancy_a1_max_ss", "occupancy_a1_min_ss", "occupancy_swing_ss",
           "sedation_mean_ss", "p_withdrawal_last_day", "p_withdrawal", "fall_rate_ratio")


def doses(n_steps: int, dt: float, daily_mg: float, interval_h: float, release_h: float = 0.0) -> np.ndarray:
    """(n_steps,) oral inputs (mg per step): ``daily_mg * interval_h / 24`` every ``interval_h`` from t = 0,
    each released evenly over ``release_h`` (0: immediate release, one bolus)."""
    u = np.zeros(n_steps)
    every, parts = round(interval_h / dt), max(1, round(release_h / dt))
    dose = daily_mg * interval_h / 24.0
    for start in range(0, n_steps, every):
        stop = min(start + parts, n_steps)
        u[start:stop] += dose / parts
    return u


def run_interdose_study(cfg, dtype, progress=None) -> xr.Dataset:
    """Dataset over regimen (:data:`LEVELS`) x subject."""
    i, g = cfg.interdose, cfg.grid
    n_steps = round(g.days * 24 / g.dt_h) + 1
    values = check_values(cfg.pd)
    labels, parts = [], []
    for form in i.formulations:
        drug, xr_release = form.removesuffix("_xr"), form.endswith("_xr")
        rows = [(form, x, tau) for x in i.dose_de_mg for tau in i.interval_h]
        U = np.stack([doses(n_steps, g.dt_h, de_dose_mg(drug, x), tau, i.xr_release_h if xr_release else 0.0)
                      for _, x, tau in rows])[..., None]
        r = simulate_arm(cfg.cohort, drug, "oral", U, dt=g.dt_h, seed=cfg.seed, n_subjects=cfg.n_subjects,
                         values=values, chunk_size=cfg.chunk_size, dtype=dtype, progress=progress and progress(form))
        labels += rows
        parts.append(r)
    index = pd.MultiIndex.from_tuples(labels, names=LEVELS)
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(subject=np.arange(cfg.n_subjects),
                          drug=("regimen", [f.removesuffix("_xr") for f, _, _ in labels]),
                          dose_mg=("regimen", [de_dose_mg(f.removesuffix("_xr"), x) for f, x, _ in labels]))
    for name in OUTPUTS:
        units, long_name = VARIABLES[name]
        ds[name] = (("regimen", "subject"), np.concatenate([p["values"][name] for p in parts]),
                    {"units": units, "long_name": long_name})
    ds = with_covariates(ds, parts[0]["covariates"])
    ds["dose_de_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose in diazepam equivalents"}
    ds["dose_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose of the drug"}
    ds["interval_h"].attrs = {"units": "h", "long_name": "dosing interval"}
    ds["drug"].attrs = {"long_name": "library drug of the formulation"}
    ds.attrs.update({"cohort": cfg.cohort.name, "xr_release_h": i.xr_release_h, "days": g.days})
    return ds
