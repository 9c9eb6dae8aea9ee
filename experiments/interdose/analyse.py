"""The README tables from an interdose run: median effect swing (largest daily dose) and mean
P(withdrawal during the last day) by formulation and interval; from a run with parameter draws
(``n_draws``), each as its median (2.5%-97.5%) over draws.

Usage: python experiments/interdose/analyse.py outputs/interdose/<date_time>
"""

import sys
from pathlib import Path

import pandas as pd

from popsim.io import DRAW_QUANTILES, read_dataset


def cells(var, fmt):
    """``var`` as a Series over its dimensions but ``draw``: the values, or with draws "median (2.5%-97.5%)"
    (each number written with ``fmt``)."""
    if "draw" not in var.dims:
        return var.to_series()
    lo, mid, hi = (var.quantile(q, "draw").to_series() for q in DRAW_QUANTILES)
    return pd.Series([f"{fmt(m)} ({fmt(a)}-{fmt(b)})" for a, m, b in zip(lo, mid, hi)], index=mid.index)


ds = read_dataset(Path(sys.argv[1]) / "interdose.nc")
over = f"; median (95% interval) over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims else ""
top = float(ds["dose_de_mg"].max())
swing = cells(ds["effect_swing_ss"].median("subject").sel(dose_de_mg=top), "{:.3f}".format).unstack("formulation")
print(f"median alpha1 effect swing over the last day, {top:g} mg/day diazepam-equivalent{over}:")
print(swing.to_string(float_format="{:.3f}".format))
p = cells(ds["p_withdrawal_last_day"].mean("subject"), "{:.1e}".format).unstack("dose_de_mg")
print(f"\nmean P(clinically significant withdrawal during the last day), by daily dose (columns){over}:")
print(p.to_string(float_format="{:.1e}".format))
