"""Question 2 (older adults): exposure, sedation and fall risk by age band, and the starting dose.

For every cohort x drug, the drug is simulated once daily at a grid of daily diazepam-equivalent
doses (the reported doses, the reference dose and a geometric search grid) in one compiled program.
The recommended starting dose is found by the simulator: the dose whose median mean alpha1 occupancy
(last day) equals that of the reference dose in the reference (young) cohort, by monotone
interpolation in log dose over the search grid (a vectorised bisection).  The fall-capped dose is the
largest dose whose median fall-rate ratio (expected falls over those of the same subject untreated) is
at most the cap.  :func:`popsim.dosing.individual_dose` gives a closed-form dose for one person
(typical random effects), reported for each cohort's typical person (median continuous covariates,
most common categories) against the reference cohort's typical person, as a cross-check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dosing import individual_dose
from popsim.pd.parameters import check_values
from popsim.regimen import daily_schedule
from popsim.study import VARIABLES, cohort_dataset, de_dose_mg, simulate_arm

__all__ = ["recommend", "run_elderly_study"]


def _interp_dose(doses, response, target):
    """Dose (same units as ``doses``, increasing) where the increasing ``response`` reaches ``target``
    (log-dose interpolation; NaN outside the searched range)."""
    response = np.maximum.accumulate(np.asarray(response, float))
    if not response[0] <= target <= response[-1]:
        return np.nan
    return float(np.exp(np.interp(target, response, np.log(doses))))


def run_elderly_study(cfg, dtype, progress=None) -> tuple[xr.Dataset, pd.DataFrame]:
    """(Dataset over cohort x regimen x subject, recommendations table)."""
    e, g = cfg.elderly, cfg.grid
    n_steps = round(g.days * 24 / g.dt_h) + 1
    search = np.geomspace(e.search_min_de_mg, e.search_max_de_mg, e.search_points)
    report = list(dict.fromkeys([*e.dose_de_mg]))
    doses = report + [e.reference_dose_de_mg] + list(search)
    values = check_values(cfg.pd)
    cohorts = list(dict.fromkeys([*e.cohorts, e.reference_cohort]))
    results, covariates = {}, {}
    for c in cohorts:
        for d in e.drugs:
            U = np.stack([daily_schedule(n_steps, g.dt_h, [de_dose_mg(d, x)] * int(np.ceil(g.days)), (e.dose_hour,))
                          for x in doses])[..., None]
            r = simulate_arm(c, d, "oral", U, dt=g.dt_h, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                             chunk_size=cfg.chunk_size, dtype=dtype, progress=progress and progress(f"{c}/{d}"))
            results[c, d] = r
            covariates[c] = r["covariates"]
    rec = recommend(results, covariates, cohorts, e, doses, search, values)
    return _dataset(results, covariates, e, report, search), rec


def _typical_person(cov: dict) -> dict:
    """A cohort's typical person: the median of continuous covariates, the most common value of
    categorical ones (sex, Child-Pugh class, phenotype, ...)."""
    out = {}
    for k, v in cov.items():
        v = np.asarray(v, float)
        if np.all(v == np.round(v)) and len(np.unique(v)) <= 5:
            values, counts = np.unique(v, return_counts=True)
            out[k] = float(values[np.argmax(counts)])
        else:
            out[k] = float(np.median(v))
    return out


def recommend(results, covariates, cohorts, e, doses, search, values) -> pd.DataFrame:
    """The recommendations table (one row per cohort x drug)."""
    k_ref, k_search = len(doses) - len(search) - 1, slice(len(doses) - len(search), None)
    rows = []
    for d in e.drugs:
        target = np.median(results[e.reference_cohort, d]["values"]["occupancy_a1_mean_ss"][k_ref])
        for c in e.cohorts:
            v = results[c, d]["values"]
            occ = np.median(v["occupancy_a1_mean_ss"][k_search], axis=-1)
            frr = np.median(v["fall_rate_ratio"][k_search], axis=-1)
            de = _interp_dose(search, occ, target)
            below = np.nonzero(np.maximum.accumulate(frr) <= e.fall_rate_ratio_cap)[0]
            cap = np.nan if not len(below) else (_interp_dose(search, frr, e.fall_rate_ratio_cap)
                                                 if below[-1] < len(search) - 1 else float(search[-1]))
            med = _typical_person(covariates[c])
            analytic = individual_dose(d, "oral", med, de_dose_mg(d, e.reference_dose_de_mg),
                                       reference=_typical_person(covariates[e.reference_cohort]), values=values)
            rows.append({"drug": d, "cohort": c, "median_age": med["age"],
                         "reference_occupancy_a1": float(target),
                         "recommended_de_mg": de, "recommended_mg": de_dose_mg(d, de) if np.isfinite(de) else np.nan,
                         "fall_capped_de_mg": cap,
                         "fall_capped_mg": de_dose_mg(d, cap) if np.isfinite(cap) else np.nan,
                         "individual_dose_typical_person_mg": analytic})
    return pd.DataFrame(rows)


def _dataset(results, covariates, e, report, search) -> xr.Dataset:
    ds = cohort_dataset(results, covariates, e.cohorts, e.drugs, report)
    ds = ds.assign_coords(search_dose_de_mg=search, drug_searched=list(e.drugs))
    k = slice(len(report) + 1, None)
    for name in ("occupancy_a1_mean_ss", "fall_rate_ratio"):
        v = np.stack([np.stack([np.median(results[c, d]["values"][name][k], axis=-1) for d in e.drugs])
                      for c in e.cohorts])
        units, long_name = VARIABLES[name]
        ds[f"median_{name}_search"] = (("cohort", "drug_searched", "search_dose_de_mg"), v,
                                       {"units": units, "long_name": f"median {long_name} (dose search grid)"})
    ds["search_dose_de_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose searched, diazepam equivalents"}
    return ds
