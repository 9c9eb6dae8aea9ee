"""The README tables from a cyp_inhibition run: median last-day Cavg ratio (with / without the
perpetrator, same subjects) per drug and perpetrator, taken throughout; the same for each active
metabolite (nordiazepam and oxazepam after diazepam); and diazepam's ratio by CYP2C19 phenotype.  A run with
parameter draws (``n_draws``): each median taken in each draw, printed as its median over draws, with the
ratio of the mean alpha1 effect as median (95% interval) over draws (the Cavg ratios are pharmacokinetic,
the same in every draw).

Usage: python experiments/cyp_inhibition/analyse.py outputs/cyp_inhibition/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.cohort.spec import CYP2C19
from popsim.io import over_draws, read_dataset

ds = read_dataset(Path(sys.argv[1]) / "cyp_inhibition.nc")
drawn = "draw" in ds.dims


def throughout(ratio, interval=False):
    med = ratio.median("subject")
    if drawn:
        q = over_draws("x", med.transpose(..., "draw").values)
        med = pd.Series([f"{m:.3g} ({lo:.3g}-{hi:.3g})" if interval else m for lo, m, hi in zip(*q.values())],
                        index=med.indexes["regimen"])
    else:
        med = med.to_series()
    ratio = med.xs("throughout", level="schedule").droplevel("dose_de_mg")
    return ratio[~ratio.index.duplicated()].unstack("inhibitor")


print("median Cavg ratio over the last day, perpetrator taken throughout"
      + (f" (median over {ds.sizes['draw']} parameter draws):" if drawn else ":"))
print(throughout(ds["cavg_ratio_ss"]).round(2).to_string())
for m in ds["metabolite"].values if "metabolite" in ds.coords else ():
    print(f"\n{m} (active metabolite), the same ratio:")
    print(throughout(ds["metabolite_cavg_ratio_ss"].sel(metabolite=m)).dropna(how="all").round(2).to_string())
if drawn:
    print(f"\nmedian ratio of the mean alpha1 effect over the last day, median (95% interval) over "
          f"{ds.sizes['draw']} parameter draws:")
    print(throughout(ds["effect_ratio_ss"], interval=True).to_string())
if "diazepam" in ds.indexes["regimen"].get_level_values("drug"):
    print("\ndiazepam, median ratio by CYP2C19 phenotype (subjects of the cohort):")
    d = ds["cavg_ratio_ss"].sel(drug="diazepam", schedule="throughout").squeeze(drop=True)
    by = d.groupby(ds["cyp2c19"]).median("subject")
    if drawn:
        by = by.median("draw")
    by = by.to_pandas()
    by.columns = [CYP2C19[int(c)] for c in by.columns]
    print(by.round(2).to_string())
