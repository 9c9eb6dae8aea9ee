"""The README table from an elderly run: the recommended starting dose (mg/day of the drug) per drug
and cohort, and its ratio to the reference cohort's.

Usage: python experiments/elderly/analyse.py outputs/elderly/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

run = Path(sys.argv[1])
rec = pd.read_csv(run / "elderly_recommended_doses.csv")
table = rec.pivot(index="drug", columns="cohort", values="recommended_mg")[list(dict.fromkeys(rec["cohort"]))]
print("recommended starting dose [mg/day]:")
print(table.round(3).to_string())
