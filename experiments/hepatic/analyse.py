"""The README table from a hepatic run: median net alpha1 sedation on the last day by drug and
Child-Pugh class, and the Cavg ratio of the most severe class to the first (healthy) cohort; from a run
with parameter draws (``n_draws``), each as its median (2.5%-97.5%) over draws.

Usage: python experiments/hepatic/analyse.py outputs/hepatic/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import DRAW_QUANTILES, read_dataset


def cells(var):
    """``var`` as a Series over its dimensions but ``draw``: rounded, or with draws "median (2.5%-97.5%)"."""
    if "draw" not in var.dims:
        return var.to_series().round(3)
    lo, mid, hi = (var.quantile(q, "draw").to_series() for q in DRAW_QUANTILES)
    return pd.Series([f"{m:.3g} ({a:.3g}-{b:.3g})" for a, m, b in zip(lo, mid, hi)], index=mid.index)


ds = read_dataset(Path(sys.argv[1]) / "hepatic.nc")
dose = float(ds["dose_de_mg"].values[0])
med = ds[["sedation_mean_ss", "cavg_ss"]].median("subject").sel(dose_de_mg=dose)
table = cells(med["sedation_mean_ss"]).unstack("cohort")
cohorts = list(ds["cohort"].values)
table[f"Cavg {cohorts[-1]} / {cohorts[0]}"] = cells(med["cavg_ss"].sel(cohort=cohorts[-1])
                                                   / med["cavg_ss"].sel(cohort=cohorts[0]))
print(f"median net alpha1 sedation over the last day, {dose:g} mg/day diazepam-equivalent"
      + (f"; median (95% interval) over {ds.sizes['draw']} parameter draws:" if "draw" in ds.dims else ":"))
print(table.to_string())
