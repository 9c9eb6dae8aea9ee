"""The README tables from an interdose run: median effect swing (largest daily dose) and mean
P(withdrawal during the last day) by formulation and interval.

Usage: python experiments/interdose/analyse.py outputs/interdose/<date_time>
"""

import sys
from pathlib import Path

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "interdose.nc")
top = float(ds["dose_de_mg"].max())
swing = ds["effect_swing_ss"].median("subject").sel(dose_de_mg=top).to_series().unstack("formulation")
print(f"median alpha1 effect swing over the last day, {top:g} mg/day diazepam-equivalent:")
print(swing.round(3).to_string())
p = ds["p_withdrawal_last_day"].mean("subject").to_series().unstack("dose_de_mg")
print("\nmean P(clinically significant withdrawal during the last day), by daily dose (columns):")
print(p.to_string(float_format="{:.1e}".format))
