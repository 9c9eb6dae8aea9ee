"""The README table from a hepatic run: median net alpha1 sedation on the last day by drug and
Child-Pugh class, and the Cavg ratio of the most severe class to the first (healthy) cohort.

Usage: python experiments/hepatic/analyse.py outputs/hepatic/<date_time>
"""

import sys
from pathlib import Path

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "hepatic.nc")
dose = float(ds["dose_de_mg"].values[0])
med = ds[["sedation_mean_ss", "cavg_ss"]].median("subject").sel(dose_de_mg=dose)
table = med["sedation_mean_ss"].to_series().unstack("cohort")
cohorts = list(ds["cohort"].values)
table[f"Cavg {cohorts[-1]} / {cohorts[0]}"] = (med["cavg_ss"].sel(cohort=cohorts[-1])
                                               / med["cavg_ss"].sel(cohort=cohorts[0])).to_series()
print(f"median net alpha1 sedation over the last day, {dose:g} mg/day diazepam-equivalent:")
print(table.round(3).to_string())
