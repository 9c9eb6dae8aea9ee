"""The README tables from a status_epilepticus run: the endpoints per regimen, and the trial report (fit and
check rows apart) when the run has one.  With parameter draws, each endpoint's median and 95% interval over draws
(popsim.experiments.status_epilepticus.summary) and each trial row's simulated median over draws.

Usage: python experiments/status_epilepticus/analyse.py outputs/status_epilepticus/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.experiments.status_epilepticus import summary
from popsim.io import read_dataset

out = Path(sys.argv[1])
ds = read_dataset(out / "status_epilepticus.nc")
names = [n for n in ("median_time_to_stop_min", "p_not_seizing_at_assess", "p_not_seizing_redosed",
                     "p_recurrence_given_stopped") if n in ds]
if "draw" in ds.dims:
    print(f"median (95% interval) over {ds.sizes['draw']} parameter draws:")
    table = summary(ds)
else:
    table = pd.DataFrame({n: ds[n].to_series() for n in names})
    table["occupancy_a1_peak_p50"] = ds["occupancy_a1_peak"].median("subject").to_series()
print(table.round(3).to_string())
trials = out / "status_epilepticus_trials.csv"
if trials.exists():
    t = pd.read_csv(trials)
    for use in ("fit", "check"):
        # with draws: simulated_p2.5/_p50/_p97.5, in_interval_draws, simulated_median_min_p2.5/...
        simulated = [c for c in t if c.startswith(("simulated", "in_interval")) and "median" not in c]
        medians = [c for c in t if c.startswith("simulated_median_min")]
        print(f"\n{use}:\n" + t.loc[t["use"] == use, ["id", "trial", "arm", "published", "lo", "hi", *simulated,
                                                       "published_median_min", *medians]].round(3)
              .to_string(index=False))
