"""The README tables from a cyp_inhibition run: median last-day Cavg ratio (with / without the
perpetrator, same subjects) per drug and perpetrator, taken throughout; the same for each active
metabolite (nordiazepam and oxazepam after diazepam); and diazepam's ratio by CYP2C19 phenotype.

Usage: python experiments/cyp_inhibition/analyse.py outputs/cyp_inhibition/<date_time>
"""

import sys
from pathlib import Path

from popsim.cohort.spec import CYP2C19
from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "cyp_inhibition.nc")


def throughout(ratio):
    ratio = ratio.median("subject").to_series().xs("throughout", level="schedule").droplevel("dose_de_mg")
    return ratio[~ratio.index.duplicated()].unstack("inhibitor")


print("median Cavg ratio over the last day, perpetrator taken throughout:")
print(throughout(ds["cavg_ratio_ss"]).round(2).to_string())
for m in ds["metabolite"].values if "metabolite" in ds.coords else ():
    print(f"\n{m} (active metabolite), the same ratio:")
    print(throughout(ds["metabolite_cavg_ratio_ss"].sel(metabolite=m)).dropna(how="all").round(2).to_string())
if "diazepam" in ds.indexes["regimen"].get_level_values("drug"):
    print("\ndiazepam, median ratio by CYP2C19 phenotype (subjects of the cohort):")
    d = ds["cavg_ratio_ss"].sel(drug="diazepam", schedule="throughout").squeeze(drop=True)
    by = d.groupby(ds["cyp2c19"]).median("subject").to_pandas()
    by.columns = [CYP2C19[int(c)] for c in by.columns]
    print(by.round(2).to_string())
