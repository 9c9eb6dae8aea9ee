"""The README tables from a lactation run: per drug and infant age, the median relative infant dose (RID, 90%
population band) and P(RID > 10%) at the best dose hour; the infant:maternal plasma ratio; and the dose-timing
table (best and worst hour, benefit).

Usage: python experiments/lactation/analyse.py outputs/lactation/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import read_dataset

run = Path(sys.argv[1])
ds = read_dataset(run / "lactation.nc")
rid = ds["rid_percent"]
table = pd.DataFrame({
    "RID_p05": rid.quantile(0.05, "subject").drop_vars("quantile").to_series(),
    "RID_p50": rid.median("subject").to_series(),
    "RID_p95": rid.quantile(0.95, "subject").drop_vars("quantile").to_series(),
    "P(RID>10%)": ds["rid_above_10"].mean("subject").to_series(),
    "infant_ug_L": (1000 * ds["infant_cavg_parent"]).median("subject").to_series(),
    "infant_metab_ug_L": (1000 * ds["infant_cavg_metabolites"]).median("subject").to_series(),
    "infant:maternal": ds["infant_to_maternal"].median("subject").to_series(),
})
best = table.loc[table.groupby(level=["drug", "infant_week"])["RID_p50"].idxmin()]
pd.set_option("display.width", 200)
print("At the best dose hour of each drug and infant age:")
print(best.round(4).to_string())
print()
print(pd.read_csv(run / "lactation_timing.csv").round(3).to_string(index=False))
