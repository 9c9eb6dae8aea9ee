"""Fit the risk-score constants marked ``fit`` in popsim's targets (``popsim/experiments/data/
calibration_targets.csv``) by maximum likelihood, each group of constants jointly on all the targets
that name it.

The scenarios are simulated once (the drive signals do not depend on the score constants); the scores
are replayed on them for every trial value (``popsim.pd.risk.replay``).  The log-likelihood of a target
is binomial on its counts or normal on the log of a ratio with a 95% interval
(``popsim.experiments.calibration.log_likelihood``); the targets marked ``check`` are never used.
Each group is maximised with Nelder-Mead in transformed coordinates (log for positive scales, logit
for fractions), started from the best point of a coarse grid over the constants' prior ranges (groups of
more than five constants: from their current values), refined one constant at a time over 21 points of its
range (a constant moves only where that is better) (count likelihoods are flat between subjects crossing a
threshold, so a local search alone can stall), and
the 95% interval of each constant is read from the observed information (the
numerical Hessian of the log-likelihood in those coordinates, others at their maximum; a constant whose
curvature is below 1e-3, flat in the likelihood, is reported as not identified and left out).  Prints the
values to enter in ``popsim/pd/constants.py`` (status ``F``, the rows named); nothing is written.
From the repository root::

    python experiments/calibration/fit.py [n_subjects] [constant ...]

(the groups are the constants named together in the targets' ``fits`` column; with constants given, only
the groups that contain one of them; all by default).
"""

from __future__ import annotations

import itertools
import math
import sys

import numpy as np
from scipy.optimize import minimize

from popsim.experiments.calibration import (log_likelihood, read_targets, report, simulate_scenarios,
                                            statistics_of)
from popsim.pd.constants import PD
from popsim.pd.parameters import _BOUNDS, check_values

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
# coordinates: "logit" for a fraction, "log1" above a lower bound of 1, "log" for a positive scale (bounds of
# popsim.pd.parameters._BOUNDS)
TO = {"log": math.log, "logit": lambda v: math.log(v / (1 - v)), "log1": lambda v: math.log(v - 1)}
FROM = {"log": math.exp, "logit": lambda x: 1 / (1 + math.exp(-x)), "log1": lambda x: 1 + math.exp(x)}

targets = read_targets()
values = check_values()
# the groups: the constants named together in the target table's ``fits`` column
GROUPS = list(dict.fromkeys(targets.loc[targets.use == "fit", "fits"]))


def coordinate(name: str) -> str:
    low, high, _ = _BOUNDS[name]
    return "logit" if (low, high) == (0.0, 1.0) else "log1" if low == 1.0 else "log"


def fit_group(group: str) -> None:
    coords = {k: coordinate(k) for k in group.split(";")}
    rows = targets[(targets.use == "fit") & (targets.fits == group)]
    stats = list(dict.fromkeys(rows.statistic))
    raw = simulate_scenarios(stats, n_subjects=N)

    def nll(x):
        trial = values | {k: FROM[c](v) for (k, c), v in zip(coords.items(), x)}
        for k in coords:  # a trial value outside a constant's physical bounds (other errors propagate)
            low, high, open_low = _BOUNDS[k]
            if not (low < trial[k] <= high if open_low else low <= trial[k] <= high):
                return 1e12
        table = report(rows, statistics_of(raw, stats, trial))
        out = -float(np.nansum(log_likelihood(table)))
        return out if math.isfinite(out) else 1e12

    # coarse grid over the prior ranges (popsim.pd.constants.PD), 5 points per constant (3 for groups of four or
    # more), in the coordinates; groups of more than five start from the current values instead (3^6 points and
    # more cost too much)
    points = 5 if len(coords) < 4 else 3
    axes = []
    for k, c in coords.items():
        lo, hi = PD[k].range
        lo = max(lo, 1e-2 * hi) if c == "log" else max(lo, 0.02) if c == "logit" else max(lo, 1.05)
        hi = min(hi, 0.98) if c == "logit" else hi
        axes.append(np.linspace(TO[c](lo), TO[c](hi), points))
    if len(coords) <= 5:
        x0 = min((np.array(x) for x in itertools.product(*axes)), key=nll)
    else:
        x0 = np.array([TO[c](values[k]) for k, c in coords.items()])
    # then each constant alone over 21 points of its range, the others held (a narrow valley in one constant, flat
    # elsewhere, escapes both the coarse grid and a simplex started on the flat part)
    for i, axis in enumerate(axes):
        x0 = min([x0] + [np.where(np.arange(len(x0)) == i, v, x0) for v in np.linspace(axis[0], axis[-1], 21)],
                 key=nll)  # the current point among them: a constant moves only if that is better
    print(f"{group}: start of the simplex -log L = {nll(x0):.4g} at "
          f"{ {k: round(FROM[c](v), 5) for (k, c), v in zip(coords.items(), x0)} }", flush=True)
    res = minimize(nll, x0, method="Nelder-Mead",
                   options={"xatol": 1e-3, "fatol": 1e-4, "maxfev": max(400, 60 * len(coords))})
    values.update({k: FROM[c](v) for (k, c), v in zip(coords.items(), res.x)})
    # observed information in the transformed coordinates (central differences, step 0.05)
    h, k = 0.05, len(res.x)
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            def f(a, b):
                x = res.x.copy()
                x[i] += a
                x[j] += b
                return nll(x)
            H[i, j] = H[j, i] = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
    # a constant the likelihood is flat in (curvature below 1e-3: not identified) is held at its maximum; the
    # others' intervals come from the information of the rest
    sd = np.full(k, np.nan)
    keep = np.diag(H) > 1e-3
    try:
        sd[keep] = np.sqrt(np.diag(np.linalg.inv(H[np.ix_(keep, keep)])))
    except np.linalg.LinAlgError:
        pass
    print(f"{group}: -log L = {res.fun:.4g} at {res.nfev} evaluations ({res.message}); targets {list(rows.id)}")
    for (key, c), x, s in zip(coords.items(), res.x, sd):
        lo, hi = (FROM[c](x - 1.96 * s), FROM[c](x + 1.96 * s)) if np.isfinite(s) else (math.nan, math.nan)
        print(f"  {key} = {values[key]:.4g}  (95% from the observed information: {lo:.4g} to {hi:.4g})")
    table = report(rows, statistics_of(raw, stats, values))
    cols = ["id", "row", "published", "lo", "hi", "n", "N", "simulated", "loglik"]
    print(table[cols].round(4).to_string(index=False), flush=True)


for group in GROUPS:
    if not sys.argv[2:] or set(sys.argv[2:]) & set(group.split(";")):
        fit_group(group)
print({k: round(values[k], 5) for g in GROUPS for k in g.split(";")})
