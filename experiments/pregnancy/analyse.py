"""The README tables from a pregnancy run: the median dose factor that restores the non-pregnant exposure
(total and unbound) by gestational week, and per drug and schedule the cord and newborn endpoints.

Usage: python experiments/pregnancy/analyse.py outputs/pregnancy/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "pregnancy.nc")
pd.set_option("display.width", 200)
for name in ("dose_factor", "dose_factor_unbound"):
    print(f"median {name} by gestational week:")
    print(ds[name].median("subject").to_pandas().T.round(3).to_string())
    print()
birth = pd.DataFrame({
    "cord_ug_L": (1000 * ds["cord_c_birth"]).median("subject").to_series(),
    "cord:maternal": ds["cord_to_maternal"].median("subject").to_series(),
    "newborn_24h_ug_L": (1000 * ds["newborn_c_24h"]).median("subject").to_series(),
    "t_half_h": ds["newborn_half_life_h"].median("subject").to_series(),
    # a newborn not below 10% by the end counts as later (NaN when more than half are)
    "to_10pct_h": ds["newborn_time_to_10pct_h"].fillna(float("inf")).median("subject").to_series(),
    "total_to_10pct_h": ds["newborn_total_time_to_10pct_h"].fillna(float("inf")).median("subject").to_series(),
    "P(cord lorazepam>45ug/L)": ds["cord_lorazepam_above_45"].mean("subject").to_series(),
})
print("at birth and after (medians):")
print(birth.replace(float("inf"), float("nan")).round(3).to_string())
