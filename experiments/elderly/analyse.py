"""The README table from an elderly run: the recommended starting dose (mg/day of the drug) per drug
and cohort, and its ratio to the reference cohort's.

Usage: python experiments/elderly/analyse.py outputs/elderly/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

run = Path(sys.argv[1])
rec = pd.read_csv(run / "elderly_recommended_doses.csv")
drawn = "recommended_mg_p50" in rec  # a run with n_draws > 0: the median over parameter draws
column = "recommended_mg_p50" if drawn else "recommended_mg"
table = rec.pivot(index="drug", columns="cohort", values=column)[list(dict.fromkeys(rec["cohort"]))]
print("recommended starting dose [mg/day]" + (" (median over parameter draws)" if drawn else "") + ":")
print(table.round(3).to_string())
