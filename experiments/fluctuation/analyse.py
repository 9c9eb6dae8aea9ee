"""Compare simulated steady-state trough/peak with the 2^(-tau/t1/2) law.

Usage: python experiments/fluctuation/analyse.py outputs/fluctuation/<date_time>
"""

import sys
from pathlib import Path

import numpy as np

from popsim.io import read_dataset

run = Path(sys.argv[1])
ds = read_dataset(run / "fluctuation.nc")
for drug in dict.fromkeys(ds.indexes["regimen"].get_level_values("drug")):
    sub = ds.sel(drug=drug, dose_mg=ds["dose_mg"].values[0])
    t_half = np.log(2) * sub["param_V1"] / sub["param_CL"]  # (interval_h, subject)
    for tau in sub["interval_h"].values:
        s = sub.sel(interval_h=tau)
        ratio = (s["cmin_ss"] / s["cmax_ss"]).median().item()
        law = np.median(2.0 ** (-tau / t_half.sel(interval_h=tau)))
        print(f"{drug:<12} tau={tau:>4g} h  trough/peak simulated {ratio:.3f}  law 2^(-tau/t1/2) {law:.3f}")
