"""The README table from a cyp_inhibition run: median last-day Cavg ratio (with / without the
perpetrator, same subjects) per drug and perpetrator, taken throughout.

Usage: python experiments/cyp_inhibition/analyse.py outputs/cyp_inhibition/<date_time>
"""

import sys
from pathlib import Path

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "cyp_inhibition.nc")
ratio = ds["cavg_ratio_ss"].median("subject").to_series()
ratio = ratio.xs("throughout", level="schedule").droplevel("dose_de_mg")
print("median Cavg ratio over the last day, perpetrator taken throughout:")
print(ratio[~ratio.index.duplicated()].unstack("inhibitor").round(2).to_string())
