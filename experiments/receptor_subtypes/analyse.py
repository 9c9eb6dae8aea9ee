"""The README table from a receptor_subtypes run: median night and day effect per subtype and the
alpha1/alpha2 ratio, per drug and schedule.

Usage: python experiments/receptor_subtypes/analyse.py outputs/receptor_subtypes/<date_time>
"""

import sys
from pathlib import Path

from popsim.io import read_dataset

ds = read_dataset(Path(sys.argv[1]) / "receptor_subtypes.nc")
names = ["effect_a1_night", "effect_a1_day", "effect_a2_night", "effect_a2_day", "selectivity_a1_a2"]
print(ds[names].median("subject").to_dataframe()[names].round(3).to_string())
