"""The README table from an overdose run: P(severe respiratory depression, apnoea >= 15 s) over the
benzodiazepine x opioid dose grid (no rescue), and the median synergy index.

Usage: python experiments/overdose/analyse.py outputs/overdose/<date_time>
"""

import sys
from pathlib import Path

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "overdose.nc")
grid = ds.where((ds["naloxone_mg"] == 0) & (ds["flumazenil_mg"] == 0), drop=True)
rescue = ["naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]
for name, label in (("severe_respiratory_depression", "P(apnoea >= 15 s)"), ("synergy_index", "median synergy index")):
    stat = grid[name].mean("subject") if name.startswith("severe") else grid[name].median("subject")
    print(f"{label} by opioid dose (rows) and benzodiazepine dose (columns):")
    print(stat.to_series().droplevel(rescue).unstack("benzo_mg").round(3).to_string(), end="\n\n")
