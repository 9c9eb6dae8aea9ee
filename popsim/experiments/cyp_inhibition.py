"""Question 3 (CYP3A4 inhibitors): each benzodiazepine alone and with each perpetrator, taken
throughout, started mid-regimen or stopped mid-regimen.

Every subject of the cohort takes the perpetrator in its arms (the same people as in the control arm:
ratios are paired).  The perpetrator is simulated per subject and CYP3A4 activity in liver and gut
follows its unbound concentrations hour by hour (:mod:`popsim.interactions`); the drug's clearance
and bioavailability follow.  One compiled program per drug x perpetrator; the schedules are runtime
inputs.  Per subject: the variables of :data:`popsim.study.VARIABLES`, weekly checkpoints, and the
ratios to the control arm of Cavg and of mean alpha1 occupancy on the last day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dataset import with_covariates
from popsim.pd.parameters import check_values
from popsim.regimen import daily_schedule, fixed_interval
from popsim.study import CHECKPOINT_VARIABLES, VARIABLES, de_dose_mg, simulate_arm

__all__ = ["perpetrator_doses", "run_cyp_inhibition_study"]


def perpetrator_doses(n_steps: int, dt: float, dose_mg: float, interval_h: float, schedule: str, start_day: float,
                      stop_day: float) -> np.ndarray:
    """(time,) perpetrator doses for a schedule: ``throughout``, ``started`` on ``start_day``, ``stopped``
    after ``stop_day``."""
    if schedule == "throughout":
        return fixed_interval(n_steps, dt, dose_mg, interval_h)
    if schedule == "started":
        return fixed_interval(n_steps, dt, dose_mg, interval_h, start_day * 24.0)
    n = int(np.ceil(stop_day * 24.0 / interval_h))
    return fixed_interval(n_steps, dt, dose_mg, interval_h, n_doses=n)


def run_cyp_inhibition_study(cfg, dtype, progress=None) -> xr.Dataset:
    c, g = cfg.cyp_inhibition, cfg.grid
    n_steps = round(g.days * 24 / g.dt_h) + 1
    checkpoints = [d * 24.0 for d in c.checkpoint_days]
    values = check_values(cfg.pd)
    labels, parts = [], []
    covariates = None
    for d in c.drugs:
        U = np.stack([daily_schedule(n_steps, g.dt_h, [de_dose_mg(d, x)] * int(np.ceil(g.days)),
                                     tuple(c.hours_of_day)) for x in c.dose_de_mg])[..., None]
        common = dict(dt=g.dt_h, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values, checkpoints_h=checkpoints,
                      chunk_size=cfg.chunk_size, dtype=dtype)
        control = simulate_arm(cfg.cohort, d, "oral", U, progress=progress and progress(f"{d}/none"), **common)
        covariates = control["covariates"]
        arms = [("none", "none", control)]
        for perp, (mg, tau) in c.perpetrators.items():
            for sch in c.schedules:
                doses = perpetrator_doses(n_steps, g.dt_h, mg, tau, sch, c.start_day, c.stop_day)
                arms.append((perp, sch, simulate_arm(cfg.cohort, d, "oral", U, perpetrator=perp,
                                                     perpetrator_doses=doses,
                                                     progress=progress and progress(f"{d}/{perp}/{sch}"), **common)))
        for perp, sch, r in arms:
            ratios = {"cavg_ratio_ss": r["values"]["cavg_ss"] / control["values"]["cavg_ss"],
                      "occupancy_ratio_ss": r["values"]["occupancy_a1_mean_ss"]
                      / control["values"]["occupancy_a1_mean_ss"]}
            parts.append((r, ratios))
            labels += [(d, x, perp, sch) for x in c.dose_de_mg]
    index = pd.MultiIndex.from_tuples(labels, names=["drug", "dose_de_mg", "inhibitor", "schedule"])
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(subject=np.arange(cfg.n_subjects), day=np.asarray(c.checkpoint_days, float))
    ds["day"].attrs = {"units": "d", "long_name": "checkpoint: end of the day summarised (days since the first dose)"}
    for name in parts[0][0]["values"]:
        units, long_name = VARIABLES[name]
        ds[name] = (("regimen", "subject"), np.concatenate([r["values"][name] for r, _ in parts]),
                    {"units": units, "long_name": long_name})
    for name, (units, long_name) in CHECKPOINT_VARIABLES.items():
        ds[name] = (("day", "regimen", "subject"), np.concatenate([r["by_day"][name] for r, _ in parts], axis=1),
                    {"units": units, "long_name": long_name})
    what = {"cavg_ratio_ss": "Cavg over the last day with the perpetrator / without (same subject)",
            "occupancy_ratio_ss": "mean alpha1 occupancy over the last day with the perpetrator / without"}
    for name, long_name in what.items():
        ds[name] = (("regimen", "subject"), np.concatenate([q[name] for _, q in parts]),
                    {"units": "1", "long_name": long_name})
    ds = with_covariates(ds, covariates)
    ds.attrs.update({"cohort": cfg.cohort.name, "start_day": c.start_day, "stop_day": c.stop_day,
                     "perpetrator_regimens": "; ".join(f"{k} {v[0]:g} mg every {v[1]:g} h"
                                                       for k, v in c.perpetrators.items())})
    return ds
