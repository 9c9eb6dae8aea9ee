"""Arms of a clinical study: a cohort preset taking a library drug on a set of regimens, with the
PD layer and the risk scores on line (the engine of the clinical experiments).

:func:`simulate_arm` runs one cohort x drug (x co-medications) over all
regimens in one compiled program and returns per (regimen, subject)
summaries: steady-state exposure and receptor occupancy over the last day
(the "ss" window, ``[n_steps - 1 - 24 h, n_steps - 1)``, or the whole horizon
if it is shorter), and the scores over the whole horizon.  :data:`VARIABLES` gives units and long names (the
Dataset contract).  Subject ``i`` of a cohort is the same person in every
arm and regimen (common random numbers): differences between regimens are
paired.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from popsim.cohort.presets import preset
from popsim.config import CohortConfig
from popsim.drugs.library import load
from popsim.keys import root_key, stream_key
from popsim.params.population import Perpetrator, Physiological, frozen_cohort, victim_spec
from popsim.pk.grid import Trigger, Window
from popsim.simulate import simulate

__all__ = ["APNOEA_MIN_H", "CHECKPOINT_VARIABLES", "VARIABLES", "cohort_dataset", "de_dose_mg", "simulate_arm"]

DAY_H = 24.0
# PD signals whose window max/min/mean/tmax are read below (the rest only at window ends)
SUMMARISED = ("occupancy_a1", "occupancy_a2", "sedation")
APNOEA_MIN_H = 15.0 / 3600.0  # an apnoea lasts at least 15 s (Bailey 1990, literature.md C39)

# name -> (units, long_name)
VARIABLES = {
    "cavg_ss": ("mg L-1", "average plasma concentration of the drug over the last day (exact AUC / 24 h)"),
    "occupancy_a1_mean_ss": ("1", "mean GABA-A alpha1 agonist occupancy over the last day"),
    "occupancy_a1_max_ss": ("1", "peak GABA-A alpha1 agonist occupancy over the last day"),
    "occupancy_a1_min_ss": ("1", "trough GABA-A alpha1 agonist occupancy over the last day"),
    "occupancy_a2_mean_ss": ("1", "mean GABA-A alpha2 agonist occupancy over the last day"),
    "occupancy_a1_peak": ("1", "peak GABA-A alpha1 agonist occupancy over the horizon"),
    "occupancy_a1_tmax": ("h", "time of the peak GABA-A alpha1 agonist occupancy (since the first dose)"),
    "occupancy_swing_ss": ("1", "alpha1 occupancy swing (peak - trough) / peak over the last day"),
    "sedation_mean_ss": ("1", "mean net alpha1 sedation (occupancy minus tolerated part) over the last day"),
    "falls_expected": ("1", "expected number of falls over the horizon"),
    "fall_rate_ratio": ("1", "expected falls over those of the same subject untreated"),
    "p_fall": ("1", "probability of at least one fall over the horizon"),
    "p_hip_fracture": ("1", "probability of a hip fracture over the horizon"),
    "p_withdrawal": ("1", "probability of clinically significant withdrawal over the horizon"),
    "p_withdrawal_last_day": ("1", "probability of clinically significant withdrawal in the last day "
                                   "(interdose withdrawal at steady state)"),
    "p_seizure": ("1", "probability of a withdrawal seizure over the horizon"),
    "ventilation_nadir": ("1", "lowest minute ventilation, fraction of baseline"),
    "time_hypoxaemia": ("h", "time with ventilation below the hypoxaemia threshold"),
    "time_apnoea": ("h", "time with ventilation below the apnoea threshold"),
    "synergy_index": ("1", "largest ventilatory depression over that expected without interaction (Bliss)"),
}


# per checkpoint day: name -> (units, long_name)
CHECKPOINT_VARIABLES = {
    "cavg_day": ("mg L-1", "average plasma concentration of the drug over the day ending at the checkpoint"),
    "occupancy_a1_mean_day": ("1", "mean GABA-A alpha1 agonist occupancy over the day ending at the checkpoint"),
}


def de_dose_mg(drug: str, diazepam_equivalent_mg: float) -> float:
    """The drug's dose equivalent to ``diazepam_equivalent_mg`` of diazepam (the entry's ``ashton_mg``)."""
    d = load(drug)
    if d.ashton_mg is None:
        raise ValueError(f"{drug} has no diazepam-equivalent dose (ashton_mg) in the library")
    return diazepam_equivalent_mg * d.ashton_mg.value / 10.0


def simulate_arm(cohort: CohortConfig | str, drug: str, route: str, U: np.ndarray, *, dt: float, seed: int,
                 n_subjects: int, values: Mapping[str, float], others: Sequence[tuple[str, str]] = (),
                 checkpoints_h: Sequence[float] = (), perpetrator: str | None = None,
                 perpetrator_doses: np.ndarray | None = None, chunk_size: int = 8192, dtype=jnp.float32,
                 progress: Callable | None = None, pd_above: Sequence[tuple[str, float]] = (),
                 trajectories: Sequence[str] = (), trajectories_from_h: float | None = None,
                 trigger: Trigger | None = None) -> dict:
    """Per (regimen, subject) summaries (:data:`VARIABLES`) and ``covariates`` (subject,) of one arm.

    ``cohort``: a cohort config or a preset name.  ``checkpoints_h``: times (h, whole days >= 1 day)
    at which the day before is summarised too (:data:`CHECKPOINT_VARIABLES`, arrays
    ``(checkpoint, regimen, subject)`` under ``by_day``), e.g. weekly to follow accumulation.
    ``perpetrator``: a CYP3A4 perpetrator (oral) taken by every subject at ``perpetrator_doses``
    ``(time,)`` mg per step; the drug's parameters then follow CYP3A4 activity hour by hour.
    ``U``: (regimen, time, channel) inputs, channel 0 the drug, then one per co-medication in ``others``.
    ``values``: the runtime PD constants (:func:`popsim.pd.parameters.check_values`).
    ``pd_above``: ``(signal, threshold)`` pairs over the whole horizon; returned under ``above`` as
    ``t_above`` (h) and ``t_first`` (h, NaN if never), each ``(pair, regimen, subject)``.
    ``trajectories``: PD signals saved over the last day (from ``trajectories_from_h`` if given), under
    ``trajectories`` {signal: (time, regimen, subject)} with their grid times ``times`` (h).  ``trigger``: a PD-fed dosing rule
    (:class:`popsim.pk.grid.Trigger`) on the drug's channel; the count and last time of its doses under
    ``trigger`` (``doses``, ``last``: (regimen, subject)).
    """
    n_steps = U.shape[1]
    day = min(round(DAY_H / dt), n_steps - 1)  # the last day, or the whole horizon if shorter
    ss = n_steps - 1 - day
    windows = (Window(ss, n_steps - 1), Window(0, n_steps - 1, pd_above=tuple(pd_above)))
    windows += (Window(0, ss),) if ss > 0 else ()
    marks = [round(t / dt) for t in checkpoints_h]
    if any(not day <= m <= n_steps - 1 or abs(m * dt - t) > 1e-9 for m, t in zip(marks, checkpoints_h)):
        raise ValueError(f"checkpoints_h={list(checkpoints_h)!r}; allowed: grid times from 24 h to the horizon")
    first = len(windows)
    windows += tuple(Window(m - day, m) for m in marks)
    others = tuple(others)
    cohort_cfg = preset(cohort) if isinstance(cohort, str) else cohort
    segment, perp, doses = 0, None, np.zeros(n_steps)
    if perpetrator is not None:
        segment, perp, doses = max(1, round(1.0 / dt)), Perpetrator(perpetrator, "oral"), perpetrator_doses
        cohort_cfg = dataclasses.replace(cohort_cfg, p_perpetrator=1.0)
    spec = victim_spec(drug, route, dt, n_steps, windows=windows, others=others, pd=True, segment_steps=segment)
    save_from = ss if trajectories_from_h is None else round(trajectories_from_h / dt)
    if trajectories and (not 0 <= save_from < n_steps or (trajectories_from_h is not None
                                                          and abs(save_from * dt - trajectories_from_h) > 1e-9)):
        raise ValueError(f"trajectories_from_h={trajectories_from_h!r}; allowed: a grid time within the horizon")
    summarised = SUMMARISED + (("ventilation", "ventilation_additive") if spec.pd.mu is not None else ())
    spec = dataclasses.replace(spec, save=bool(trajectories), save_from=save_from if trajectories else 0,
                               saved=tuple(trajectories) or None, trigger=trigger, summarised=summarised)
    model = Physiological(drug, route, frozen_cohort(cohort_cfg), dt, n_steps, others=others, pd=True,
                          segment_steps=segment, perpetrator=perp)
    root = root_key(seed)
    args = (stream_key(root, "cohort"), stream_key(root, "iiv"), jnp.asarray(doses, dtype),
            {k: jnp.asarray(v, dtype) for k, v in values.items()})
    r = simulate(spec, model, args, U, n_subjects=n_subjects, chunk_size=chunk_size, dtype=dtype, progress=progress)
    sig = list(spec.pd.signals)

    def pd(stat, window, name):
        return r[stat][window, (sig if stat == "pd_end" else summarised).index(name)].astype(float)

    hw_end = pd("pd_end", 1, "withdrawal_cumhaz")
    hw_ss = pd("pd_end", 2, "withdrawal_cumhaz") if ss > 0 else 0.0
    occ_max, occ_min = pd("pd_max", 0, "occupancy_a1"), pd("pd_min", 0, "occupancy_a1")
    out = {
        "cavg_ss": r["auc"][0, 0].astype(float) / (day * dt),
        "occupancy_a1_mean_ss": pd("pd_mean", 0, "occupancy_a1"), "occupancy_a1_max_ss": occ_max,
        "occupancy_a1_min_ss": occ_min, "occupancy_a2_mean_ss": pd("pd_mean", 0, "occupancy_a2"),
        "occupancy_a1_tmax": pd("pd_tmax", 1, "occupancy_a1"),
        "occupancy_swing_ss": np.where(occ_max > 0, (occ_max - occ_min) / np.where(occ_max > 0, occ_max, 1), 0.0),
        "sedation_mean_ss": pd("pd_mean", 0, "sedation"), "occupancy_a1_peak": pd("pd_max", 1, "occupancy_a1"),
        "falls_expected": pd("pd_end", 1, "falls_expected"),
        "fall_rate_ratio": pd("pd_end", 1, "falls_expected") / (r["params"]["FALL_H0"][0] * (n_steps - 1) * dt),
        "p_fall": pd("pd_end", 1, "p_fall"), "p_hip_fracture": pd("pd_end", 1, "p_hip_fracture"),
        "p_withdrawal": pd("pd_end", 1, "p_withdrawal"), "p_withdrawal_last_day": -np.expm1(-(hw_end - hw_ss)),
        "p_seizure": pd("pd_end", 1, "p_seizure"),
    }
    if spec.pd.mu is not None:
        nadir = pd("pd_min", 1, "ventilation")
        additive = pd("pd_min", 1, "ventilation_additive")
        out |= {"ventilation_nadir": nadir, "time_hypoxaemia": pd("pd_end", 1, "time_hypoxaemia"),
                "time_apnoea": pd("pd_end", 1, "time_apnoea"),
                "synergy_index": np.where(additive < 1, (1 - nadir) / np.where(additive < 1, 1 - additive, 1), 1.0)}
    by_day = {"cavg_day": np.stack([r["auc"][first + k, 0].astype(float) / (day * dt) for k in range(len(marks))]),
              "occupancy_a1_mean_day": np.stack([pd("pd_mean", first + k, "occupancy_a1") for k in range(len(marks))])
              } if marks else {}
    extra = {}
    if pd_above:
        extra["above"] = {"t_above": r["pd_t_above"][0].astype(float), "t_first": r["pd_t_first"][0].astype(float)}
    if trajectories:
        extra["trajectories"] = {x: r["pd"][x].astype(float) for x in trajectories}
        extra["times"] = spec.times[save_from:]
    if trigger is not None:
        extra["trigger"] = {"doses": r["trigger_doses"].astype(float), "last": r["trigger_last"].astype(float)}
    return {"values": out, "by_day": by_day, "covariates": {k: np.asarray(v) for k, v in r["covariates"].items()},
            **extra}


def cohort_dataset(results: Mapping, covariates: Mapping, cohorts: Sequence[str], drugs: Sequence[str],
                   doses_de: Sequence[float], checkpoints_h: Sequence[float] = ()):
    """Dataset over ``cohort`` x ``regimen`` (``drug``, ``dose_de_mg``; ``dose_mg`` a coordinate) x ``subject``
    from ``results[cohort, drug]`` (outputs of :func:`simulate_arm` whose first ``len(doses_de)`` regimens
    are ``doses_de``), with covariates on ``(cohort, subject)`` and, with checkpoints, ``day`` variables."""
    import pandas as pd
    import xarray as xr

    from popsim.dataset import with_covariates

    n = len(doses_de)
    index = pd.MultiIndex.from_tuples([(d, x) for d in drugs for x in doses_de], names=["drug", "dose_de_mg"])
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(dose_mg=("regimen", [de_dose_mg(d, x) for d in drugs for x in doses_de]))
    n_sub = len(covariates[cohorts[0]]["age"])
    ds = ds.assign_coords(cohort=list(cohorts), subject=np.arange(n_sub))
    for name in results[cohorts[0], drugs[0]]["values"]:
        v = np.stack([np.concatenate([results[c, d]["values"][name][:n] for d in drugs]) for c in cohorts])
        units, long_name = VARIABLES[name]
        ds[name] = (("cohort", "regimen", "subject"), v, {"units": units, "long_name": long_name})
    if checkpoints_h:
        ds = ds.assign_coords(day=np.asarray(checkpoints_h, float) / DAY_H)
        ds["day"].attrs = {"units": "d", "long_name": "checkpoint: end of the day summarised (days since the first dose)"}
        for name, (units, long_name) in CHECKPOINT_VARIABLES.items():
            v = np.stack([np.concatenate([results[c, d]["by_day"][name][:, :n] for d in drugs], axis=1)
                          for c in cohorts])
            ds[name] = (("cohort", "day", "regimen", "subject"), v, {"units": units, "long_name": long_name})
    ds = with_covariates(ds, {name: np.stack([covariates[c][name] for c in cohorts]) for name in covariates[cohorts[0]]},
                         ("cohort", "subject"))
    ds["dose_de_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose in diazepam equivalents (Ashton)"}
    ds["dose_mg"].attrs = {"units": "mg d-1", "long_name": "daily dose of the drug"}
    ds["subject"].attrs = {"long_name": "virtual subject index within its cohort (same person in every regimen)"}
    return ds
