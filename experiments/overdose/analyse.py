"""The README tables from an overdose run, over the benzodiazepine x opioid dose grid (no rescue): P(SpO2 < 90%),
the median ventilation nadir, P(severe respiratory depression, apnoea >= 15 s) and the median synergy index.

Usage: python experiments/overdose/analyse.py outputs/overdose/<date_time>
"""

import sys
from pathlib import Path

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "overdose.nc")
grid = ds.where((ds["naloxone_mg"] == 0) & (ds["flumazenil_mg"] == 0), drop=True)
rescue = ["naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]
for name, label, stat in (("hypoxaemia", "P(SpO2 < 90%)", "mean"),
                          ("ventilation_nadir", "median ventilation nadir (fraction of baseline)", "median"),
                          ("severe_respiratory_depression", "P(apnoea >= 15 s)", "mean"),
                          ("synergy_index", "median synergy index", "median")):
    print(f"{label} by opioid dose (rows) and benzodiazepine dose (columns):")
    value = getattr(grid[name], stat)("subject")
    print(value.to_series().droplevel(rescue).unstack("benzo_mg").round(3).to_string(), end="\n\n")
