"""The README table from a status_epilepticus run: peak occupancy and its time, and per threshold
P(reached), median onset and median time above it.

Usage: python experiments/status_epilepticus/analyse.py outputs/status_epilepticus/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "status_epilepticus.nc")
table = pd.DataFrame({"peak": ds["occupancy_a1_peak"].median("subject").to_series(),
                      "t_peak_min": ds["peak_time_min"].median("subject").to_series()})
for thr in ds["threshold"].values:
    s = ds.sel(threshold=thr)
    table[f"P(>{thr:g})"] = s["reached"].mean("subject").to_series()
    table[f"onset_min(>{thr:g})"] = s["onset_min"].median("subject").to_series()
    table[f"above_h(>{thr:g})"] = s["duration_h"].median("subject").to_series()
print(table.round(3).to_string())
