"""Fit the five ``se_*`` constants of the status epilepticus score jointly, by maximum likelihood on the trial
rows marked ``fit`` in ``popsim/experiments/data/status_epilepticus_trials.csv`` (Alldredge 2001 placebo,
diazepam 5 mg and lorazepam 2 mg iv; RAMPART's lorazepam 4 mg arm and medians of time to cessation; the nasal
midazolam trial's placebo arm), each arm simulated once with popsim's adults (:mod:`popsim.experiments.seizure_trials`).

Prints the values to enter in ``popsim/pd/constants.py`` (status ``F``) with their 95% Wald intervals (from the
Hessian of the log-likelihood in log space, logit for se_refractory: the data-implied range), the refits at the
ends of the assumed ED-arrival time (A, 15 and 60 min) and the report of every fit and check row with the fitted
values.  Nothing is written.  From the repository root::

    python experiments/status_epilepticus/fit.py [n_subjects]
"""

from __future__ import annotations

import sys

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

from popsim.experiments.seizure_trials import (log_likelihood, read_trials, report, se_parameters,  # noqa: E402
                                               stimuli)
from popsim.pd.parameters import PARTS, check_values  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
NAMES = PARTS["seizure"]  # se_k0, se_gain, se_kmax, se_recurrence, se_refractory
values = check_values()
trials = read_trials()
fit_rows = trials[trials["use"] == "fit"].reset_index(drop=True)
sims = stimuli(trials, values, n_subjects=N, seed=0)


def to_values(x) -> dict[str, float]:
    """Log scale, logit for the fraction se_refractory."""
    return {k: 1 / (1 + np.exp(-v)) if k == "se_refractory" else np.exp(v) for k, v in zip(NAMES, x)}


def from_values(v) -> np.ndarray:
    return np.array([np.log(v[k] / (1 - v[k])) if k == "se_refractory" else np.log(v[k]) for k in NAMES])


def nll(x, arrival_min=None) -> float:
    return -log_likelihood(fit_rows, sims, se_parameters(to_values(x)), arrival_min)


def fit(arrival_min=None, x0=None):
    x0 = from_values(values) if x0 is None else x0
    res = minimize(nll, x0, args=(arrival_min,), method="Nelder-Mead",
                   options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 4000, "maxfev": 4000})
    res = minimize(nll, res.x, args=(arrival_min,), method="Nelder-Mead",
                   options={"xatol": 1e-5, "fatol": 1e-8, "maxiter": 4000, "maxfev": 4000})  # restart
    return res


def hessian(f, x, h=1e-3):
    n = len(x)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            out[i, j] = out[j, i] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)) / (
                4 * h * h)
    return out


best = fit()
x = best.x
print(f"maximum likelihood ({N} subjects, seed 0, ED arrival as in the table): -log L = {best.fun:.4f} "
      f"({best.nfev} evaluations, {best.message})")
H = hessian(nll, x)
eig = np.linalg.eigvalsh(H)
print("Hessian eigenvalues (log/logit space):", np.round(eig, 4))
se = np.sqrt(np.diag(np.linalg.inv(H))) if eig.min() > 0 else np.full(len(x), np.nan)
lo, hi = to_values(x - 1.96 * se), to_values(x + 1.96 * se)
fitted = to_values(x)
for k in NAMES:
    print(f"  {k} = {fitted[k]:.4g}  (95% Wald: {lo[k]:.3g}-{hi[k]:.3g})")
for t in (15.0, 60.0):
    alt = fit(t, x)
    print(f"ED arrival {t:g} min: -log L = {alt.fun:.4f};", {k: round(v, 4) for k, v in to_values(alt.x).items()})
pd.set_option("display.width", 200)
table = report(trials, sims, se_parameters(fitted))
cols = ["id", "use", "trial", "arm", "k", "N", "published", "lo", "hi", "simulated", "in_interval",
        "published_median_min", "simulated_median_min", "flag"]
for use in ("fit", "check"):
    print(f"\n{use} rows:")
    print(table.loc[table["use"] == use, cols].round(3).to_string(index=False))
print("\nenter in popsim/pd/constants.py:", {k: float(f"{v:.4g}") for k, v in fitted.items()})
