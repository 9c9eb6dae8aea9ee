"""Fit the risk-score constants marked ``fit`` in popsim's targets (``popsim/experiments/data/
calibration_targets.csv``), one published target each.

Each constant is found by root finding (Brent) on its own target with the others
held; in pairs that interact (tolerance with fall_beta, withdrawal_n with
withdrawal_k) the inner one is re-fitted at every trial value of the outer.  Prints the values to
enter in ``popsim/pd/constants.py`` (status ``F``); nothing is written.  The
targets marked ``check`` are not used.  From the repository root::

    python experiments/calibration/fit.py [n_subjects] [constant ...]

(only the named constants' groups when constants are given).  For each constant it
also prints the values that reproduce the bounds of its target's published
interval (the data-implied range, entered as the constant's prior range).
"""

from __future__ import annotations

import math
import sys

from scipy.optimize import brentq

from popsim.experiments.calibration import read_targets, scenario_statistics
from popsim.pd.parameters import check_values

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
targets = read_targets()
fit = targets[targets.use == "fit"].set_index("fits")
values = check_values()


# Bounds searched (wider than the data-implied ranges recorded in popsim.pd.constants).
SEARCH = {"fall_beta": (0.0, 20.0), "tolerance": (0.0, 1.0),
          "withdrawal_k": (1e-4, 100.0), "withdrawal_n": (1.0, 8.0), "seizure_k": (1e-6, 10.0)}


def simulated(statistic: str) -> float:
    return float(scenario_statistics([statistic], values=values, n_subjects=N, bootstrap=0)["simulated"][0])


def solve(name: str, inner: str | None = None, goal: str = "published") -> None:
    """Root of ``name``'s target gap over its prior range (in log space for scale constants); with
    ``inner``, the inner constant is re-solved on its own target at every trial value.  ``goal``:
    the published value, or a bound of its interval (``lo``/``hi``)."""
    row = fit.loc[name]
    target = row[goal]
    lo, hi = SEARCH[name]
    log = lo > 0 and hi / lo > 20
    to_x, from_x = (math.log, math.exp) if log else (float, float)

    def gap(x):
        values[name] = from_x(x)
        if inner is not None:
            solve(inner)
        return simulated(row.statistic) - target

    a, b = gap(to_x(lo)), gap(to_x(hi))
    if a * b > 0:
        values[name] = lo if abs(a) < abs(b) else hi
        print(f"  {name}: no root in [{lo:g}, {hi:g}] (gaps {a:+.3g}, {b:+.3g}); kept the closer bound")
        if inner is not None:
            solve(inner)
    else:
        values[name] = from_x(brentq(gap, to_x(lo), to_x(hi), xtol=1e-3 * abs(to_x(hi) - to_x(lo)), rtol=1e-4))
        if inner is not None:
            solve(inner)
    print(f"  {name} = {values[name]:.4g} -> {row.statistic} {simulated(row.statistic):.4g} "
          f"({goal} {target:g}, {row.id} {row.row})", flush=True)


def interval(name: str, inner: str | None) -> tuple[float, float] | None:
    """Values of ``name`` reproducing the bounds of its target's published interval (the inner constant
    re-fitted to its own published value); the fitted point is restored."""
    row, point = fit.loc[name], dict(values)
    if not (math.isfinite(row.lo) and math.isfinite(row.hi)):
        return None
    out = []
    for goal in ("lo", "hi"):
        solve(name, inner, goal)
        out.append(values[name])
        values.update(point)
    return min(out), max(out)


# (constant, inner constant re-fitted at every trial value of the outer one)
GROUPS = (("tolerance", "fall_beta"),
          ("withdrawal_n", "withdrawal_k"), ("seizure_k", None))
only = set(sys.argv[2:])
intervals = {}
for outer, inner in GROUPS:
    if not only or only & {outer, inner}:
        solve(outer, inner)
        for name, other in ((outer, inner), (inner, None)):
            if name is not None:
                intervals[name] = interval(name, other)
print({k: round(values[k], 5) for k in fit.index})
print("values reproducing the bounds of each target's published interval:", intervals)
