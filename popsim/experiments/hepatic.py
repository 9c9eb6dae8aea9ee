"""Question 3 (liver disease): Child-Pugh A/B/C vs healthy adults for Phase I drugs (diazepam,
alprazolam, midazolam) and glucuronidated LOT drugs (lorazepam, oxazepam, temazepam).

Each cohort x drug is one compiled program; the day before each checkpoint (weekly by default) is
summarised, so accumulation over weeks is visible, and the scores cover the whole horizon.  The
ranking orders drugs within each cohort by the median net alpha1 sedation on the last day at the
same diazepam-equivalent dose (lower first), with the exposure ratio to healthy adults and the
accumulation ratio (last checkpoint over first) beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from popsim.pd.parameters import check_values
from popsim.regimen import daily_schedule
from popsim.study import cohort_dataset, de_dose_mg, simulate_arm

__all__ = ["ranking", "run_hepatic_study"]


def run_hepatic_study(cfg, dtype, progress=None) -> xr.Dataset:
    h, g = cfg.hepatic, cfg.grid
    n_steps = round(g.days * 24 / g.dt_h) + 1
    checkpoints = [d * 24.0 for d in h.checkpoint_days]
    values = check_values(cfg.pd)
    results, covariates = {}, {}
    for c in h.cohorts:
        for d in h.drugs:
            U = np.stack([daily_schedule(n_steps, g.dt_h, [de_dose_mg(d, x)] * int(np.ceil(g.days)),
                                         tuple(h.hours_of_day)) for x in h.dose_de_mg])[..., None]
            results[c, d] = simulate_arm(c, d, "oral", U, dt=g.dt_h, seed=cfg.seed, n_subjects=cfg.n_subjects,
                                         values=values, checkpoints_h=checkpoints, chunk_size=cfg.chunk_size,
                                         dtype=dtype, progress=progress and progress(f"{c}/{d}"))
            covariates[c] = results[c, d]["covariates"]
    return cohort_dataset(results, covariates, h.cohorts, h.drugs, h.dose_de_mg, checkpoints)


def ranking(ds: xr.Dataset, healthy: str) -> pd.DataFrame:
    """One row per cohort x drug x dose: medians of exposure, sedation and scores, and the rank."""
    med = ds[["cavg_ss", "sedation_mean_ss", "fall_rate_ratio", "p_fall", "p_withdrawal_last_day"]].median("subject")
    df = med.to_dataframe().reset_index()
    ref = df[df["cohort"] == healthy].set_index(["drug", "dose_de_mg"])["cavg_ss"]
    df["exposure_ratio_to_healthy"] = df["cavg_ss"].to_numpy() / ref.loc[list(zip(df["drug"], df["dose_de_mg"]))].to_numpy()
    occ = ds["occupancy_a1_mean_day"].median("subject")
    acc = (occ.isel(day=-1) / occ.isel(day=0)).to_dataframe(name="accumulation_last_over_first_checkpoint")
    df = df.merge(acc.reset_index()[["cohort", "drug", "dose_de_mg", "accumulation_last_over_first_checkpoint"]],
                  on=["cohort", "drug", "dose_de_mg"])
    df["rank_by_sedation"] = df.groupby(["cohort", "dose_de_mg"])["sedation_mean_ss"].rank(method="min").astype(int)
    return df.sort_values(["dose_de_mg", "cohort", "rank_by_sedation"]).reset_index(drop=True)
