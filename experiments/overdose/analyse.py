"""The README tables from an overdose run, over the benzodiazepine x opioid dose grid (no rescue): P(SpO2 < 90%),
the median ventilation nadir, P(severe respiratory depression, apnoea >= 15 s) and the median synergy index.
With parameter draws, each cell is the median (95% interval) over draws of the value taken in each draw, and the
rescue comparisons follow (popsim.experiments.overdose.rescue_table).

Usage: python experiments/overdose/analyse.py outputs/overdose/<date_time>
"""

import sys
from pathlib import Path

from popsim.experiments.overdose import RESCUE, rescue_table, surface_cells, surface_table
from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "overdose.nc")
grid = ds.where((ds["naloxone_mg"] == 0) & (ds["flumazenil_mg"] == 0), drop=True)
over = f", median (95% interval) over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims else ""
surface = surface_table(ds) if over else None
for name, column, label, stat in (
        ("hypoxaemia", "p_hypoxaemia", "P(SpO2 < 90%)", "mean"),
        ("ventilation_nadir", "median_ventilation_nadir", "median ventilation nadir (fraction of baseline)", "median"),
        ("severe_respiratory_depression", "p_severe_respiratory_depression", "P(apnoea >= 15 s)", "mean"),
        ("synergy_index", "median_synergy_index", "median synergy index", "median")):
    print(f"{label} by opioid dose (rows) and benzodiazepine dose (columns){over}:")
    if surface is None:
        value = getattr(grid[name], stat)("subject")
        print(value.to_series().droplevel(RESCUE).unstack("benzo_mg").round(3).to_string(), end="\n\n")
    else:
        print(surface_cells(surface, column), end="\n\n")
if surface is not None:
    print(f"Rescue at the largest doses{over}:")
    print(rescue_table(ds).round(3).to_string(index=False))
