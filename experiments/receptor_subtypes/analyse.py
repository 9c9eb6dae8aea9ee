"""The README table from a receptor_subtypes run: median night and day effect per subtype and the
alpha1/alpha2 ratio, per drug and schedule; from a run with parameter draws (``n_draws``), each as its
median (2.5%-97.5%) over draws.

Usage: python experiments/receptor_subtypes/analyse.py outputs/receptor_subtypes/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import DRAW_QUANTILES, read_dataset

ds = read_dataset(Path(sys.argv[1]) / "receptor_subtypes.nc")
names = ["effect_a1_night", "effect_a1_day", "effect_a2_night", "effect_a2_day", "selectivity_a1_a2"]
med = ds[names].median("subject")
if "draw" not in ds.dims:
    print(med.to_dataframe()[names].round(3).to_string())
else:
    lo, mid, hi = (med.quantile(q, "draw").to_dataframe()[names] for q in DRAW_QUANTILES)
    cells = {n: [f"{m:.3g} ({a:.3g}-{b:.3g})" for a, m, b in zip(lo[n], mid[n], hi[n])] for n in names}
    print(f"median over subjects; median (95% interval) over {ds.sizes['draw']} parameter draws:")
    print(pd.DataFrame(cells, index=mid.index).to_string())
