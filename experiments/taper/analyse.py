"""The README tables from a taper run: per start dose and hold setting, each schedule's P(success), P(any and
clinically significant withdrawal), P(seizure), P(protracted) and the median and 90th percentile of the time
to drug-free, the planner's choice marked.  With parameter draws (``n_draws``): each column in each draw, then its
median and central 95% over draws (columns ``p2.5``, ``p50``, ``p97.5``), and the number of draws in which the
planner chose the schedule.

Usage: python experiments/taper/analyse.py outputs/taper/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import DRAW_QUANTILES, read_dataset

ds = read_dataset(Path(sys.argv[1]) / "taper.nc")
table = pd.DataFrame({
    "P(success)": ds["success"].mean("subject").to_series(),
    "P(any)": ds["withdrawal_any"].mean("subject").to_series(),
    "P(clinical)": ds["withdrawal_clinical"].mean("subject").to_series(),
    "P(seizure)": ds["p_seizure"].mean("subject").to_series(),
    "P(protracted)": ds["protracted"].mean("subject").to_series(),
    "days_p50": ds["drug_free_day"].median("subject").to_series(),
    "days_p90": ds["drug_free_day"].quantile(0.9, "subject").drop_vars("quantile").to_series(),
    "holds": ds["holds"].mean("subject").to_series(),
    "chosen": ds["chosen"].to_series(),
})
if "draw" in ds.dims:
    levels = [n for n in table.index.names if n != "draw"]
    table = table.drop(columns="chosen").groupby(level=levels, sort=False).quantile(list(DRAW_QUANTILES)).unstack()
    table.columns = [f"{name} p{100 * q:g}" for name, q in table.columns]
    table["chosen in draws"] = ds["chosen_draws"].to_series()
pd.set_option("display.width", 200)
print(table.round(4).to_string())
