"""Question 4 (opioid co-use): benzodiazepine x opioid dose surfaces and rescue with naloxone and flumazenil.

For each opioid (and naloxone route) one compiled program simulates, on a 1-min grid, a
benzodiazepine dose at t = 0 and an iv opioid dose later: every dose pair (the interaction surface),
then, at the largest benzodiazepine dose and the rescue opioid dose, naloxone by dose and delay,
flumazenil alone and flumazenil with the largest naloxone dose.  Per subject: ventilation nadir,
time below the hypoxaemia and apnoea thresholds, the synergy index against Bliss independence, and
severe respiratory depression (an apnoea of at least 15 s, as calibrated on Bailey 1990).  Subjects are the same people in every regimen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dataset import with_covariates
from popsim.pd.parameters import check_values
from popsim.study import APNOEA_MIN_H, VARIABLES, simulate_arm

__all__ = ["LEVELS", "run_overdose_study"]

LEVELS = ["opioid_drug", "opioid_mg", "benzo_mg", "naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]
DT = 1 / 60
OUTPUTS = ("ventilation_nadir", "time_hypoxaemia", "time_apnoea", "synergy_index", "occupancy_a1_peak")


def _regimens(o, opioid: str, route: str, first_route: bool):
    """Labels and (regimen, time, 4) inputs: benzodiazepine, opioid, naloxone, flumazenil."""
    n = round(o.hours * 60) + 1
    t_op = round(o.opioid_at_min)
    rows = []
    if first_route:
        rows += [(b, x, 0.0, 0.0, 0.0) for b in o.benzo_mg for x in o.opioid_mg[opioid]]
    top = max(o.benzo_mg)
    for delay in o.rescue_delays_min:
        rows += [(top, o.rescue_opioid_mg[opioid], nal, 0.0, delay) for nal in o.naloxone_mg]
        if first_route and o.flumazenil_mg > 0:
            rows += [(top, o.rescue_opioid_mg[opioid], 0.0, o.flumazenil_mg, delay),
                     (top, o.rescue_opioid_mg[opioid], max(o.naloxone_mg), o.flumazenil_mg, delay)]
    U = np.zeros((len(rows), n, 4))
    labels = []
    for k, (b, x, nal, flu, delay) in enumerate(rows):
        U[k, 0, 0], U[k, t_op, 1] = b, x
        U[k, t_op + round(delay), 2] += nal
        U[k, t_op + round(delay), 3] += flu
        labels.append((opioid, x, b, route if nal > 0 else "none", nal, flu, delay if nal + flu > 0 else 0.0))
    return labels, U


def run_overdose_study(cfg, dtype, progress=None) -> xr.Dataset:
    """Dataset over regimen (MultiIndex :data:`LEVELS`) x subject."""
    o = cfg.overdose
    values = check_values(cfg.pd)
    labels, parts, covariates = [], [], None
    for opioid in o.opioids:
        for j, route in enumerate(o.naloxone_routes):
            lab, U = _regimens(o, opioid, route, j == 0)
            others = ((opioid, "iv"), ("naloxone", route), ("flumazenil", "iv"))
            r = simulate_arm(cfg.cohort, o.benzodiazepine, o.benzo_route, U, dt=DT, seed=cfg.seed,
                             n_subjects=cfg.n_subjects, values=values, others=others, chunk_size=cfg.chunk_size,
                             dtype=dtype,
                             progress=progress and progress(f"{opioid}/{route}"))
            labels += lab
            parts.append(r["values"])
            covariates = r["covariates"]
    index = pd.MultiIndex.from_tuples(labels, names=LEVELS)
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(subject=np.arange(cfg.n_subjects))
    for name in OUTPUTS:
        units, long_name = VARIABLES[name]
        ds[name] = (("regimen", "subject"), np.concatenate([p[name] for p in parts]),
                    {"units": units, "long_name": long_name})
    severe = (ds["time_apnoea"].values >= APNOEA_MIN_H).astype(float)
    ds["severe_respiratory_depression"] = (("regimen", "subject"), severe,
                                           {"units": "1", "long_name": "apnoea of at least 15 s (ventilation below the "
                                                                       "apnoea threshold, as in Bailey 1990): 1 yes, 0 no"})
    ds = with_covariates(ds, covariates)
    attrs = {"opioid_mg": ("mg", "opioid dose, iv"), "benzo_mg": ("mg", f"benzodiazepine dose, {o.benzo_route} at t = 0"),
             "naloxone_mg": ("mg", "naloxone dose"), "flumazenil_mg": ("mg", "flumazenil dose, iv"),
             "rescue_delay_min": ("min", "time of the rescue after the opioid")}
    for level, (units, long_name) in attrs.items():
        ds[level].attrs = {"units": units, "long_name": long_name}
    ds.attrs.update({"benzodiazepine": o.benzodiazepine, "benzo_route": o.benzo_route,
                     "opioid_at_min": o.opioid_at_min, "cohort": cfg.cohort.name})
    return ds

