"""The status epilepticus trials (``data/status_epilepticus_trials.csv``) simulated with popsim's subjects: each
arm's alpha1 stimulus, its endpoint as the trial defines it (:mod:`popsim.pd.seizure`), the binomial likelihood of
the published counts (for the fit of the ``se_*`` constants, ``experiments/status_epilepticus/fit.py``) and the
report of simulated vs published, fit and check rows apart.

Every arm is adults (the ``adult`` cohort) with the adult dose (the first number of the table's ``dose``; mg/kg
doses at 70 kg, D, as the calibration's Bailey scenario), simulated on a 1-min grid with
:class:`popsim.pd.seizure.SeizureTermination` in the Arm; a placebo arm has no drug, so its stimulus is 0 in
every subject.  The stimulus does not depend on the ``se_*`` constants, so an arm is simulated once and its
endpoint re-evaluated for any constants.  Rows: ``use`` fit or check, whose drug the library has by the trial's
route (children's trials, where the route exists, flagged as an extrapolation to children with adult physiology).

Likelihood (binomial, ``k log q + (N - k) log(1 - q)``): a rate row, ``k = n`` of ``N`` at the simulated
probability; a median row (RAMPART's time to cessation among those who stopped before ED arrival), half of the
patients who stopped, ``k = N / 2`` of ``N`` (``N`` the arm's successes, :data:`STOPPED_N`, D), at the simulated
P(stopped by the published median | stopped by arrival), linear between grid minutes like
:func:`popsim.pd.seizure.median_time_to_stop`.  Intervals: Clopper-Pearson 95% on ``k`` of ``N``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

from popsim.arm import Arm
from popsim.drugs.library import load
from popsim.pd.parameters import PARTS, RUNTIME
from popsim.pd.seizure import SeizureTermination, median_time_to_stop, p_quiet, p_seizure_free, p_stopped
from popsim.study import simulate_arm

__all__ = ["DT", "TRIALS", "endpoint", "log_likelihood", "read_trials", "report", "se_parameters", "stimuli"]

TRIALS = Path(__file__).resolve().parent / "data" / "status_epilepticus_trials.csv"
DT = 1 / 60  # h
WEIGHT_KG = 70.0  # mg/kg doses at 70 kg (D)
# Arm sizes not in literature.md (D): Treiman's 384 overt GCSE over 4 arms, equal arms assumed; Leppik's 78 SE
# patients over 2 arms.  Used for the check intervals only.
ARM_N = {"SE8": 96, "SE12": 39, "SE13": 39}
# Patients whose seizures stopped before ED arrival, for RAMPART's medians: the arm's successes (SE4, SE5; D,
# an approximation: successes also exclude those rescued after stopping and recurring).
STOPPED_N = {"SE6": "SE4", "SE7": "SE5"}


def se_parameters(values) -> dict[str, float]:
    """The SeizureTermination parameters (``SE_K0``, ...) from the runtime PD constants (``se_k0``, ...)."""
    return {RUNTIME[k]: float(values[k]) for k in PARTS["seizure"]}


def _available(drug: str, route: str) -> bool:
    try:
        return drug == "placebo" or route == "iv" or route in load(drug).routes
    except (KeyError, ValueError):
        return False


def read_trials(path: Path = TRIALS) -> pd.DataFrame:
    """The fit and check rows whose drug the library has by the trial's route, with ``dose_mg`` (adult),
    ``N_used`` (the count's denominator), ``k`` (its numerator) and ``flag`` (what is not the trial's own)."""
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    d = d[d["use"].isin(["fit", "check"]) & np.array([_available(x, r) for x, r in zip(d["drug"], d["route"])])].copy()
    # the adult dose: the first number; for children, the largest band (the oldest children: adult physiology)
    # (numbers before the first parenthesis: what follows is a note, which may cite a table row)
    d["dose_mg"] = [(max if p == "child" else lambda v: v[0])([float(v) for v in re.findall(r"[\d.]+",
                                                                                             x.split("(")[0])])
                    * (WEIGHT_KG if u == "mg/kg" else 1.0)
                    for x, u, p in zip(d["dose"], d["dose_unit"], d["population"])]
    by_id = d.set_index("id")
    n_used, k, flag = [], [], []
    for _, r in d.iterrows():
        notes = []
        if r["population"] == "child":
            notes.append("extrapolation to children with adult physiology and the adult dose")
        if r["dose_unit"] == "mg/kg":
            notes.append(f"dose at {WEIGHT_KG:g} kg")
        if r["id"] in STOPPED_N:
            n = float(by_id.loc[STOPPED_N[r["id"]], "n"])
            n_used.append(n), k.append(n / 2)
            notes.append(f"N = successes of {STOPPED_N[r['id']]} (D)")
        elif r["N"]:
            n_used.append(float(r["N"])), k.append(float(r["n"]))
        elif r["id"] not in ARM_N:  # a median without a count (McIntyre): compared as a median only
            n_used.append(np.nan), k.append(np.nan)
            notes.append("no count: median only")
        else:
            n_used.append(float(ARM_N[r["id"]]))
            k.append(n_used[-1] * float(r["percent"]) / 100)
            notes.append("arm N assumed (D)")
        flag.append("; ".join(notes))
    d["N_used"], d["k"], d["flag"] = n_used, k, flag
    return d.reset_index(drop=True)


def _minutes(x: str) -> float | None:
    return float(x) if x else None


def _horizon_min(r, arrival_min) -> float:
    times = [_minutes(r[c]) for c in ("t1_min", "t2_min", "redose_min")]
    return max([t for t in times if t is not None] + [arrival_min])


def stimuli(trials: pd.DataFrame, values, *, n_subjects: int, seed: int = 0, dtype=np.float32,
            arrival_max_min: float = 60.0) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Per row id: the alpha1 stimulus (subject, time) after the arm's dose at t = 0, and after a second dose at
    ``redose_min`` (or None), over a grid long enough for every endpoint and for ED arrivals up to
    ``arrival_max_min`` (at least that long).  One compiled program per drug and route."""
    import jax.numpy as jnp

    out, groups = {}, {}
    for _, r in trials.iterrows():
        groups.setdefault((r["drug"], r["route"]), []).append(r)
    for (drug, route), rows in groups.items():
        n = round(max(_horizon_min(r, arrival_max_min) for r in rows) / 60 / DT) + 1
        if drug == "placebo":
            out |= {r["id"]: (np.zeros((n_subjects, n)), None) for r in rows}
            continue
        U, index = [], {}
        for r in rows:
            u = np.zeros((n, 1))
            u[0, 0] = r["dose_mg"]
            index[r["id"]] = [len(U)]
            U.append(u.copy())
            if r["redose_min"]:
                u[round(float(r["redose_min"]) / 60 / DT), 0] += r["dose_mg"]
                index[r["id"]].append(len(U))
                U.append(u)
        arm = Arm(drug, route, "adult", DT, n, scores=(SeizureTermination(),))
        res = simulate_arm(arm, np.stack(U), seed=seed, n_subjects=n_subjects, values=values,
                           dtype=getattr(jnp, np.dtype(dtype).name), trajectories=("stimulus_a1",),
                           trajectories_from_h=0.0)
        s = np.moveaxis(res.trajectories["stimulus_a1"], 0, -1).astype(float)  # (regimen, subject, time)
        out |= {i: (s[k[0]], s[k[1]] if len(k) > 1 else None) for i, k in index.items()}
    return out


def _stopped_at(stim, p, t_h) -> float:
    """P(stopped by ``t_h``), linear between grid points."""
    k = int(np.floor(t_h / DT + 1e-9))
    f = t_h / DT - k
    a = p_stopped(stim, p, DT, k * DT)
    return a if f < 1e-9 else a + f * (p_stopped(stim, p, DT, (k + 1) * DT) - a)


def endpoint(r, sim, p, arrival_min: float | None = None) -> tuple[float, float]:
    """(probability compared with ``k`` of ``N``, simulated median in min or NaN) of row ``r`` for the
    SeizureTermination parameters ``p``; ``arrival_min`` replaces the assumed (A) times."""
    stim, redosed = sim
    t1, t2 = _minutes(r["t1_min"]), _minutes(r["t2_min"])
    if arrival_min is not None and r["time_status"] == "A":
        t1 = t2 = arrival_min
    if r["endpoint"] == "quiet":
        redose = _minutes(r["redose_min"])
        return p_quiet(stim, p, DT, t1 / 60, t2 / 60, redosed, redose and redose / 60), np.nan
    if r["endpoint"] == "stopped":
        return p_stopped(stim, p, DT, t1 / 60), np.nan
    if r["endpoint"] == "seizure_free":
        return p_seizure_free(stim, p, DT, t1 / 60), np.nan
    within = t1 / 60 if r["endpoint"] == "median_within" else None
    median = 60 * median_time_to_stop(stim, p, DT, within=within)
    total = _stopped_at(stim, p, within) if within is not None else 1.0
    return _stopped_at(stim, p, float(r["median_min"]) / 60) / total, median


def log_likelihood(trials: pd.DataFrame, sims, p, arrival_min: float | None = None) -> float:
    """Sum of the rows' binomial log-likelihoods (module docstring)."""
    out = 0.0
    for _, r in trials.iterrows():
        q = float(np.clip(endpoint(r, sims[r["id"]], p, arrival_min)[0], 1e-12, 1 - 1e-12))
        out += r["k"] * np.log(q) + (r["N_used"] - r["k"]) * np.log1p(-q)
    return out


def report(trials: pd.DataFrame, sims, p) -> pd.DataFrame:
    """One row per trial row: the published proportion (``k / N``; 0.5 for a median: the fraction of stoppers
    stopping by the published median) with its Clopper-Pearson 95% interval, the simulated one, whether it
    lies inside, and the published and simulated medians (min)."""
    rows = []
    for _, r in trials.iterrows():
        q, median = endpoint(r, sims[r["id"]], p)
        k, n = r["k"], r["N_used"]
        lo = beta_dist.ppf(0.025, k, n - k + 1) if k > 0 else 0.0 if k == 0 else np.nan
        hi = beta_dist.ppf(0.975, k + 1, n - k) if k < n else 1.0 if k == n else np.nan
        rows.append({"id": r["id"], "use": r["use"], "trial": r["trial"], "arm": r["arm"], "endpoint": r["endpoint"],
                     "t1_min": r["t1_min"], "t2_min": r["t2_min"], "dose_mg": r["dose_mg"], "k": k, "N": n,
                     "published": k / n, "lo": lo, "hi": hi, "simulated": q,
                     "in_interval": bool(lo <= q <= hi) if np.isfinite(k) else None,
                     "published_median_min": _minutes(r["median_min"]) or np.nan, "simulated_median_min": median,
                     "flag": r["flag"]})
    return pd.DataFrame(rows)
