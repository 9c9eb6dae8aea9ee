"""The README table from an alcohol run: CIWA-Ar >= 8 and >= 19, seizures and delirium after the stop,
benzodiazepine given and sober peak sedation, per daily intake and treatment.  A run with parameter draws
(``n_draws``): each number taken in each draw, printed as its median (95% interval) over draws.

Usage: python experiments/alcohol/analyse.py outputs/alcohol/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import over_draws, read_dataset

ds = read_dataset(Path(sys.argv[1]) / "alcohol.nc")
table = pd.DataFrame({
    "P(CIWA-Ar>=8)": ds["p_ciwa_8_after_stop"].mean("subject").to_series(),
    "P(CIWA-Ar>=19)": ds["p_ciwa_19_after_stop"].mean("subject").to_series(),
    "P(seizure)": ds["p_seizure_after_stop"].mean("subject").to_series(),
    "P(delirium)": ds["delirium_after_stop"].mean("subject").to_series(),
    "peak_h_p50": ds["ciwa_ar_peak_h"].median("subject").to_series(),
    "mg_p50": ds["benzodiazepine_mg"].median("subject").to_series(),
    "mg_p95": ds["benzodiazepine_mg"].quantile(0.95, "subject").drop_vars("quantile").to_series(),
    "sober_sedation_p50": ds["sedation_peak_sober"].median("subject").to_series(),
})
if "draw" in ds.dims:
    levels = [n for n in table.index.names if n != "draw"]
    table = table.groupby(level=levels, sort=False).agg(
        lambda v: "{1:.3g} ({0:.3g}-{2:.3g})".format(*over_draws("x", v.to_numpy()).values()))
    print(f"median (95% interval) over {ds.sizes['draw']} parameter draws:")
print(table.round(3).to_string())
