"""Question 2 (older adults): exposure, sedation and fall risk by age band, and the starting dose.

For every cohort x drug, the drug is simulated once daily at a grid of daily diazepam-equivalent
doses (the reported doses, the reference dose and a geometric search grid) in one compiled program.
The recommended starting dose is found by the simulator: the dose whose median mean alpha1 occupancy
(last day) equals that of the reference dose in the reference (young) cohort, by monotone
interpolation in log dose over the search grid (a vectorised bisection).  The fall-capped dose is the
largest dose whose median fall-rate ratio (expected falls over those of the same subject untreated) is
at most the cap.  :func:`popsim.dosing.individual_dose` gives the same answer in closed form for one
person (typical random effects), reported for each cohort's median covariates as a cross-check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.dosing import individual_dose
from popsim.pd.parameters import check_values
from popsim.regimen import daily_schedule
from popsim.study import VARIABLES, de_dose_mg, simulate_arm

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
            results[c, d] = r["values"]
            covariates[c] = r["covariates"]
    rec = recommend(results, covariates, cohorts, e, doses, search)
    return _dataset(results, covariates, e, report, search), rec


def recommend(results, covariates, cohorts, e, doses, search) -> pd.DataFrame:
    """The recommendations table (one row per cohort x drug)."""
    k_ref, k_search = len(doses) - len(search) - 1, slice(len(doses) - len(search), None)
    rows = []
    for d in e.drugs:
        target = np.median(results[e.reference_cohort, d]["occupancy_a1_mean_ss"][k_ref])
        for c in e.cohorts:
            v = results[c, d]
            occ = np.median(v["occupancy_a1_mean_ss"][k_search], axis=-1)
            frr = np.median(v["fall_rate_ratio"][k_search], axis=-1)
            de = _interp_dose(search, occ, target)
            below = np.nonzero(np.maximum.accumulate(frr) <= e.fall_rate_ratio_cap)[0]
            cap = np.nan if not len(below) else (_interp_dose(search, frr, e.fall_rate_ratio_cap)
                                                 if below[-1] < len(search) - 1 else float(search[-1]))
            med = {k: float(np.median(x)) for k, x in covariates[c].items()}
            analytic = individual_dose(d, "oral", med, de_dose_mg(d, e.reference_dose_de_mg))
            rows.append({"drug": d, "cohort": c, "median_age": med["age"],
                         "reference_occupancy_a1": float(target),
                         "recommended_de_mg": de, "recommended_mg": de_dose_mg(d, de) if np.isfinite(de) else np.nan,
                         "fall_capped_de_mg": cap,
                         "fall_capped_mg": de_dose_mg(d, cap) if np.isfinite(cap) else np.nan,
                         "individual_dose_median_person_mg": analytic})
    return pd.DataFrame(rows)


def _dataset(results, covariates, e, report, search) -> xr.Dataset:
    index = pd.MultiIndex.from_tuples([(d, x) for d in e.drugs for x in report], names=["drug", "dose_de_mg"])
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(dose_mg=("regimen", [de_dose_mg(d, x) for d in e.drugs for x in report]))
    n_sub = len(next(iter(covariates.values()))["age"])
    ds = ds.assign_coords(cohort=list(e.cohorts), subject=np.arange(n_sub), search_dose_de_mg=search)
    for name in results[e.cohorts[0], e.drugs[0]]:
        v = np.stack([np.concatenate([results[c, d][name][: len(report)] for d in e.drugs]) for c in e.cohorts])
        units, long_name = VARIABLES[name]
        ds[name] = (("cohort", "regimen", "subject"), v, {"units": units, "long_name": long_name})
    k = slice(len(report) + 1, None)
    for name in ("occupancy_a1_mean_ss", "fall_rate_ratio"):
        v = np.stack([np.stack([np.median(results[c, d][name][k], axis=-1) for d in e.drugs]) for c in e.cohorts])
        units, long_name = VARIABLES[name]
        ds[f"median_{name}_search"] = (("cohort", "drug_searched", "search_dose_de_mg"), v,
                                       {"units": units, "long_name": f"median {long_name} (dose search grid)"})
    ds = ds.assign_coords(drug_searched=list(e.drugs))
    from popsim.dataset import COVARIATE_ATTRS

    for name in covariates[e.cohorts[0]]:
        units, long_name = COVARIATE_ATTRS.get(name, ("1", name))
        ds = ds.assign_coords({name: (("cohort", "subject"), np.stack([covariates[c][name] for c in e.cohorts]))})
        ds[name].attrs = {"units": units, "long_name": long_name}
    ds["dose_de_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose in diazepam equivalents (Ashton)"}
    ds["dose_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose of the drug"}
    ds["search_dose_de_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose searched, diazepam equivalents"}
    ds["subject"].attrs = {"long_name": "virtual subject index within its cohort (same person in every regimen)"}
    return ds
