"""The README tables from a status_epilepticus run: the endpoints per regimen, and the trial report (fit and
check rows apart) when the run has one.

Usage: python experiments/status_epilepticus/analyse.py outputs/status_epilepticus/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import read_dataset

out = Path(sys.argv[1])
ds = read_dataset(out / "status_epilepticus.nc")
names = [n for n in ("median_time_to_stop_min", "p_not_seizing_at_assess", "p_not_seizing_redosed",
                     "p_recurrence_given_stopped") if n in ds]
table = pd.DataFrame({n: ds[n].to_series() for n in names})
table["occupancy_a1_peak_p50"] = ds["occupancy_a1_peak"].median("subject").to_series()
print(table.round(3).to_string())
trials = out / "status_epilepticus_trials.csv"
if trials.exists():
    t = pd.read_csv(trials)
    for use in ("fit", "check"):
        print(f"\n{use}:\n" + t.loc[t["use"] == use, ["id", "trial", "arm", "published", "lo", "hi", "simulated",
                                                       "in_interval", "published_median_min",
                                                       "simulated_median_min"]].round(3).to_string(index=False))
