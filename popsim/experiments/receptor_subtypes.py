"""Question 9 (receptor subtypes): GABA-A alpha1 (sedation, sleep) vs alpha2 (anxiolysis) occupancy
over the day at steady state, for classical benzodiazepines and the alpha1-preferring zolpidem.

Each drug is one compiled program; its regimens are schedule (clock hours) x daily dose in diazepam
equivalents.  The last simulated day is kept as a time course for every subject, and split into
night (``night_hours``, the hypnotic window) and day (the rest: residual sedation for a hypnotic,
the anxiolytic window for an anxiolytic).  Classical benzodiazepines are taken as non-selective
(alpha1 and alpha2 EC50 equal), so their alpha1/alpha2 ratio is 1 by construction and the contrast
with zolpidem rests on its entry's ``a1_selectivity`` (a memory value: see the README).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dataset import with_covariates
from popsim.pd.parameters import check_values
from popsim.regimen import daily_schedule, night_mask
from popsim.study import VARIABLES, de_dose_mg, simulate_arm

__all__ = ["LEVELS", "run_receptor_subtypes_study"]

LEVELS = ["drug", "schedule", "dose_de_mg"]
SIGNALS = ("occupancy_a1", "occupancy_a2")


def run_receptor_subtypes_study(cfg, dtype, progress=None) -> xr.Dataset:
    """Dataset over regimen (:data:`LEVELS`) x subject, and occupancy per subtype over the last day
    (regimen x time x subject)."""
    r_cfg, g = cfg.receptor_subtypes, cfg.grid
    n_steps = round(g.days * 24 / g.dt_h) + 1
    values = check_values(cfg.pd)
    labels, parts = [], []
    for drug in r_cfg.drugs:
        rows = [(name, x) for name, hours in r_cfg.schedules.items() for x in r_cfg.dose_de_mg]
        U = np.stack([daily_schedule(n_steps, g.dt_h, [de_dose_mg(drug, x)] * int(np.ceil(g.days)),
                                     tuple(r_cfg.schedules[name])) for name, x in rows])[..., None]
        r = simulate_arm(cfg.cohort, drug, "oral", U, dt=g.dt_h, seed=cfg.seed, n_subjects=cfg.n_subjects,
                         values=values, chunk_size=cfg.chunk_size, dtype=dtype, trajectories=SIGNALS,
                         progress=progress and progress(drug))
        labels += [(drug, name, x) for name, x in rows]
        parts.append(r)
    times = parts[0]["times"]
    index = pd.MultiIndex.from_tuples(labels, names=LEVELS)
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(subject=np.arange(cfg.n_subjects), clock_h=("time", np.mod(times, 24.0)),
                          time=np.asarray(times))
    ds = ds.assign_coords(dose_mg=("regimen", [de_dose_mg(d, x) for d, _, x in labels]))
    traj = {s: np.concatenate([np.moveaxis(p["trajectories"][s], 0, 1) for p in parts]) for s in SIGNALS}
    # the summaries cover the last day [t_end - 24 h, t_end): drop the closing grid point
    night = night_mask(np.mod(times[:-1], 24.0), tuple(r_cfg.night_hours))
    for s in SIGNALS:
        sub = s.split("_")[1]
        ds[s] = (("regimen", "time", "subject"), traj[s].astype(np.float32),
                 {"units": "1", "long_name": f"GABA-A {sub} agonist occupancy over the last day"})
        day_part, night_part = traj[s][:, :-1][:, ~night], traj[s][:, :-1][:, night]
        ds[f"{s}_night"] = (("regimen", "subject"), night_part.mean(axis=1),
                            {"units": "1", "long_name": f"mean GABA-A {sub} occupancy in the night "
                                                        f"({r_cfg.night_hours[0]:g}-{r_cfg.night_hours[1]:g} h)"})
        ds[f"{s}_day"] = (("regimen", "subject"), day_part.mean(axis=1),
                          {"units": "1", "long_name": f"mean GABA-A {sub} occupancy in the day "
                                                      f"({r_cfg.night_hours[1]:g}-{r_cfg.night_hours[0]:g} h)"})
    for name in ("occupancy_a1_mean_ss", "occupancy_a2_mean_ss", "sedation_mean_ss", "cavg_ss", "fall_rate_ratio"):
        units, long_name = VARIABLES[name]
        ds[name] = (("regimen", "subject"), np.concatenate([p["values"][name] for p in parts]),
                    {"units": units, "long_name": long_name})
    ds["selectivity_a1_a2"] = (("regimen", "subject"), ds["occupancy_a1_mean_ss"].values / ds["occupancy_a2_mean_ss"].values,
                               {"units": "1", "long_name": "mean alpha1 over mean alpha2 occupancy, last day"})
    ds = with_covariates(ds, parts[0]["covariates"])
    ds["time"].attrs = {"units": "h", "long_name": "time since the first dose (last simulated day)"}
    ds["clock_h"].attrs = {"units": "h", "long_name": "clock time"}
    ds["dose_de_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose in diazepam equivalents"}
    ds["dose_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose of the drug"}
    ds.attrs.update({"cohort": cfg.cohort.name, "night_hours": list(r_cfg.night_hours),
                     "schedules": str(dict(r_cfg.schedules))})
    return ds
