"""Arms of a clinical study: a cohort preset taking a library drug on a set of regimens, with the
PD layer and the risk scores on line (the engine of the clinical experiments).

:func:`simulate_arm` runs one :class:`popsim.arm.Arm` (cohort x drug x co-medications) over all
regimens in one compiled program and returns per (regimen, subject)
summaries: steady-state exposure, receptor occupancy and effect over the last day
(the "ss" window, ``[n_steps - 1 - 24 h, n_steps - 1)``, or the whole horizon
if it is shorter), and the scores over the whole horizon; their units and long
names are in :data:`popsim.dataset.VARIABLES` (the Dataset contract).  Subject
``i`` of a cohort is the same person in every arm and regimen (common random
numbers): differences between regimens are paired.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

import jax.numpy as jnp
import numpy as np

from popsim._validate import choice, finite, unique
from popsim.arm import Arm, metabolite_outputs, run_arm
from popsim.drugs.library import load
from popsim.pd.parameters import role_prefix
from popsim.pk.grid import Ceiling, Hold, Trigger, Window
from popsim.regimen import daily_schedule

__all__ = ["APNOEA_MIN_H", "ArmResult", "DAY_H", "check_arms", "check_checkpoint_days", "check_clock_hours",
           "check_day_grid", "cohort_dataset", "daily_regimens", "de_dose_mg", "simulate_arm"]

DAY_H = 24.0
# PD signals whose window max/min/mean/tmax are read below (the rest only at window ends)
SUMMARISED = ("occupancy_a1", "effect_a1", "effect_a2", "sedation", "withdrawal_severity")
APNOEA_MIN_H = 15.0 / 3600.0  # an apnoea lasts at least 15 s (Bailey 1990, literature.md C39)

def check_arms(path: str, cohorts: Sequence[str], drugs: Sequence[str], doses_de: Sequence[float]) -> None:
    """Cohort presets, library drugs with a diazepam-equivalent dose and an oral route, positive daily
    diazepam-equivalent doses (each a non-empty list without repeats; ``cohorts`` may be empty)."""
    from popsim.cohort.presets import preset_names
    from popsim.drugs.library import names

    for key, values in (("cohorts", cohorts), ("drugs", drugs), ("dose_de_mg", doses_de)):
        if key != "cohorts" or values:
            unique(f"{path}.{key}", values)
    for i, c in enumerate(cohorts):
        choice(f"{path}.cohorts[{i}]", c, preset_names())
    for i, d in enumerate(drugs):
        choice(f"{path}.drugs[{i}]", d, names())
        if load(d).ashton_mg is None or "oral" not in load(d).routes:
            raise ValueError(f"{path}.drugs[{i}]={d!r} has no diazepam-equivalent dose or oral route; allowed: "
                             f"{[n for n in names() if load(n).ashton_mg is not None]}")
    for i, x in enumerate(doses_de):
        finite(f"{path}.dose_de_mg[{i}]", x, low=0, low_open=True, high=200)


def check_day_grid(experiment: str, dt_h: float) -> None:
    """Daily plans need a grid step that divides the day."""
    if abs(24.0 / dt_h - round(24.0 / dt_h)) > 1e-9:
        raise ValueError(f"grid.dt_h={dt_h!r}: the {experiment} experiment doses by clock hour; allowed: a step "
                         "dividing 24 h (e.g. 0.25, 0.5, 1, 2, 3, 4, 6)")


def check_clock_hours(path: str, hours: Sequence[float], dt_h: float) -> None:
    """Clock hours in [0, 24) on the grid, at least one, without repeats."""
    unique(path, hours)
    for i, h in enumerate(hours):
        finite(f"{path}[{i}]", h, low=0, high=24)
        if h >= 24 or abs(h / dt_h - round(h / dt_h)) > 1e-9:
            raise ValueError(f"{path}[{i}]={h!r}; allowed: a clock hour in [0, 24) on the grid")


def check_checkpoint_days(path: str, days, grid_days: float) -> None:
    """Checkpoints: a non-empty increasing list of whole days from 1 to the grid's ``grid_days``."""
    days = list(days)
    if not days or days != sorted(set(days)):
        raise ValueError(f"{path}={days!r}; allowed: a non-empty increasing list")
    for i, d in enumerate(days):
        finite(f"{path}[{i}]", d, low=1, high=grid_days)
        if d != round(d):
            raise ValueError(f"{path}[{i}]={d!r}; allowed: whole days")


def daily_regimens(grid, drug: str, doses: Sequence[tuple[float, Sequence[float]]]) -> np.ndarray:
    """``(regimen, time, 1)`` oral inputs on ``grid`` (a :class:`popsim.config.GridConfig`): per regimen a
    daily diazepam-equivalent dose of ``drug`` split equally over its clock hours, every day of the grid;
    ``doses``: one ``(dose_de_mg, hours)`` per regimen."""
    days = int(np.ceil(grid.days))
    return np.stack([daily_schedule(grid.n_steps, grid.dt_h, [de_dose_mg(drug, x)] * days, tuple(hours))
                     for x, hours in doses])[..., None]


def de_dose_mg(drug: str, diazepam_equivalent_mg: float) -> float:
    """The drug's dose equivalent to ``diazepam_equivalent_mg`` of diazepam (the entry's ``ashton_mg``)."""
    d = load(drug)
    if d.ashton_mg is None:
        raise ValueError(f"{drug} has no diazepam-equivalent dose (ashton_mg) in the library")
    return diazepam_equivalent_mg * d.ashton_mg.value / 10.0


class ArmResult(NamedTuple):
    """The clinical readout of one arm (:func:`simulate_arm`); arrays ``(regimen, subject)`` unless stated,
    with parameter draws ``(regimen, draw, subject)`` (a ``draw`` axis before ``subject`` in every array but
    the covariates)."""

    values: dict[str, np.ndarray]  # name -> array (metadata in popsim.dataset.VARIABLES)
    by_day: dict[str, np.ndarray]  # cavg_day, effect_a1_mean_day: (checkpoint, regimen, subject)
    covariates: dict[str, np.ndarray]  # (subject,)
    above: dict[str, np.ndarray]  # with pd_above: t_above (h), t_first (h, NaN if never), (pair, regimen, subject)
    trajectories: dict[str, np.ndarray]  # kept PD signals, (time, regimen, subject)
    times: np.ndarray  # grid times (h) of the trajectories
    trigger: dict[str, np.ndarray]  # with a trigger: doses (count), last (h)
    metabolites: dict[str, np.ndarray]  # library metabolite -> its Cavg over the last day (mg/L)
    hold: dict[str, np.ndarray]  # with a hold: count (holds used), delay_h (final delay of the schedule, h)


def simulate_arm(arm: Arm, U: np.ndarray, *, seed: int, n_subjects: int, values: Mapping[str, float | np.ndarray],
                 checkpoints_h: Sequence[float] = (), perpetrator_doses: np.ndarray | None = None,
                 chunk_size: int = 8192, dtype=jnp.float32, progress: Callable | None = None,
                 pd_above: Sequence[tuple[str, float]] = (), trajectories: Sequence[str] = (),
                 trajectories_from_h: float | None = None, trigger: Trigger | None = None,
                 hold: Hold | None = None, ceiling: Ceiling | None = None) -> ArmResult:
    """The clinical readout of ``arm`` (with PD) over regimens ``U``.

    ``U``: (regimen, time, channel) inputs, channel 0 the drug, then one per co-medication of the arm.
    ``values``: the runtime PD constants (:func:`popsim.pd.parameters.check_values`), or K parameter draws
    of them (``(draw,)`` arrays, e.g. :func:`popsim.uncertainty.draw_values`; see :meth:`popsim.arm.Arm.args`).
    ``checkpoints_h``: times (h, whole days >= 1 day) at which the day before is summarised too
    (``by_day``), e.g. weekly to follow accumulation.
    ``perpetrator_doses``: ``(time,)`` mg per step of the arm's perpetrator.
    ``pd_above``: ``(signal, threshold)`` pairs over the whole horizon (``above``).
    ``trajectories``: PD signals kept over the last day (from ``trajectories_from_h`` if given).
    ``trigger``: a PD-fed dosing rule (:class:`popsim.pk.grid.Trigger`) on the drug's channel.
    ``hold``: PD-fed holds of the schedule on some channels (:class:`popsim.pk.grid.Hold`, e.g. from
    :func:`popsim.taper.hold_for`).
    ``ceiling``: scheduled doses on a channel skipped while a PD signal is at or above a ceiling
    (:class:`popsim.pk.grid.Ceiling`, e.g. drinks while intoxicated).
    """
    if not arm.pd:
        raise ValueError("simulate_arm reads the PD layer; build the arm with pd=True")
    n_steps, dt = arm.n_steps, arm.dt
    day = min(round(DAY_H / dt), n_steps - 1)  # the last day, or the whole horizon if shorter
    ss = n_steps - 1 - day
    windows = {"ss": Window(ss, n_steps - 1), "horizon": Window(0, n_steps - 1, pd_above=tuple(pd_above))}
    if ss > 0:
        windows["before_ss"] = Window(0, ss)
    marks = [round(t / dt) for t in checkpoints_h]
    if any(not day <= m <= n_steps - 1 or abs(m * dt - t) > 1e-9 for m, t in zip(marks, checkpoints_h)):
        raise ValueError(f"checkpoints_h={list(checkpoints_h)!r}; allowed: grid times from 24 h to the horizon")
    windows |= {f"day_{k}": Window(m - day, m) for k, m in enumerate(marks)}
    save_from = ss if trajectories_from_h is None else round(trajectories_from_h / dt)
    if trajectories and (not 0 <= save_from < n_steps or (trajectories_from_h is not None
                                                          and abs(save_from * dt - trajectories_from_h) > 1e-9)):
        raise ValueError(f"trajectories_from_h={trajectories_from_h!r}; allowed: a grid time within the horizon")
    ventilation = any(role_prefix(d) == "O_" for d, _ in arm.others)  # risk_model steps the mu receptor
    summarised = SUMMARISED + (("ventilation", "ventilation_additive") if ventilation else ())
    r = run_arm(arm, U, seed=seed, n_subjects=n_subjects, windows=windows, values=values,
                perpetrator_doses=perpetrator_doses, chunk_size=chunk_size, dtype=dtype, progress=progress,
                save=bool(trajectories), save_from=save_from if trajectories else 0, saved=tuple(trajectories) or None,
                trigger=trigger, hold=hold, ceiling=ceiling, summarised=summarised)

    def pd(stat, window, name):
        return r.stat(stat, window, name).astype(float)

    severity = pd("pd_end", "horizon", "withdrawal_severity_max")
    any_level = r.params["DEP_ANY"][0].astype(float)
    eff_max, eff_min = pd("pd_max", "ss", "effect_a1"), pd("pd_min", "ss", "effect_a1")
    out = {
        "cavg_ss": r.stat("auc", "ss", "central").astype(float) / (day * dt),
        "effect_a1_mean_ss": pd("pd_mean", "ss", "effect_a1"), "effect_a1_max_ss": eff_max,
        "effect_a1_min_ss": eff_min, "effect_a2_mean_ss": pd("pd_mean", "ss", "effect_a2"),
        "occupancy_a1_mean_ss": pd("pd_mean", "ss", "occupancy_a1"),
        "effect_a1_tmax": pd("pd_tmax", "horizon", "effect_a1"),
        "effect_swing_ss": np.where(eff_max > 0, (eff_max - eff_min) / np.where(eff_max > 0, eff_max, 1), 0.0),
        "sedation_mean_ss": pd("pd_mean", "ss", "sedation"),
        "effect_a1_peak": pd("pd_max", "horizon", "effect_a1"),
        "occupancy_a1_peak": pd("pd_max", "horizon", "occupancy_a1"),
        "falls_expected": pd("pd_end", "horizon", "falls_expected"),
        "fall_rate_ratio": pd("pd_end", "horizon", "falls_expected") / (r.params["FALL_H0"][0] * (n_steps - 1) * dt),
        "p_fall": pd("pd_end", "horizon", "p_fall"), "p_hip_fracture": pd("pd_end", "horizon", "p_hip_fracture"),
        "withdrawal_severity_peak": severity, "p_withdrawal": (severity >= 1.0).astype(float),
        "p_withdrawal_any": (severity >= any_level).astype(float),
        "p_withdrawal_last_day": (pd("pd_max", "ss", "withdrawal_severity") >= 1.0).astype(float),
        "p_seizure": pd("pd_end", "horizon", "p_seizure"),
    }
    if ventilation:
        nadir = pd("pd_min", "horizon", "ventilation")
        additive = pd("pd_min", "horizon", "ventilation_additive")
        out |= {"ventilation_nadir": nadir, "time_hypoxaemia": pd("pd_end", "horizon", "time_hypoxaemia"),
                "time_apnoea": pd("pd_end", "horizon", "time_apnoea"),
                "synergy_index": np.where(additive < 1, (1 - nadir) / np.where(additive < 1, 1 - additive, 1), 1.0)}
    days = [f"day_{k}" for k in range(len(marks))]
    by_day = {"cavg_day": np.stack([r.stat("auc", w, "central").astype(float) / (day * dt) for w in days]),
              "effect_a1_mean_day": np.stack([pd("pd_mean", w, "effect_a1") for w in days])} if marks else {}
    above = {}
    if pd_above:
        pairs = [r.above(p) for p in pd_above]
        above = {"t_above": np.stack([a for a, _ in pairs]).astype(float),
                 "t_first": np.stack([f for _, f in pairs]).astype(float)}
    kept = {x: r.trajectory(x).astype(float) for x in trajectories}
    fired = {"doses": r.raw["trigger_doses"].astype(float), "last": r.raw["trigger_last"].astype(float)} \
        if trigger is not None else {}
    held = {"count": r.raw["hold_count"].astype(float), "delay_h": r.raw["hold_delay"].astype(float)} \
        if hold is not None else {}
    outputs = metabolite_outputs(arm.drug) if arm.metabolites else {}
    metabolites = {m: r.stat("auc", "ss", o).astype(float) / (day * dt) for m, o in outputs.items()}
    return ArmResult(out, by_day, r.covariates, above, kept, r.times if trajectories else np.zeros(0), fired,
                     metabolites, held)


def cohort_dataset(results: Mapping, covariates: Mapping, cohorts: Sequence[str], drugs: Sequence[str],
                   doses_de: Sequence[float], checkpoints_h: Sequence[float] = ()):
    """Dataset over ``cohort`` x ``regimen`` (``drug``, ``dose_de_mg``; ``dose_mg`` a coordinate) x ``subject``
    from ``results[cohort, drug]`` (outputs of :func:`simulate_arm` whose first ``len(doses_de)`` regimens
    are ``doses_de``), with covariates on ``(cohort, subject)`` and, with checkpoints, ``day`` variables.
    Results with parameter draws give every variable a ``draw`` dimension before ``subject`` (coordinate
    0..K-1); the drawn constants are added by :func:`popsim.dataset.with_draws`."""
    import pandas as pd
    import xarray as xr

    from popsim.dataset import annotate, with_covariates

    n = len(doses_de)
    index = pd.MultiIndex.from_tuples([(d, x) for d in drugs for x in doses_de], names=["drug", "dose_de_mg"])
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(dose_mg=("regimen", [de_dose_mg(d, x) for d in drugs for x in doses_de]))
    n_sub = len(covariates[cohorts[0]]["age"])
    ds = ds.assign_coords(cohort=list(cohorts), subject=np.arange(n_sub))
    first = results[cohorts[0], drugs[0]].values
    draw = ("draw",) if next(iter(first.values())).ndim == 3 else ()  # (regimen, draw, subject) with draws
    if draw:
        ds = ds.assign_coords(draw=np.arange(next(iter(first.values())).shape[1]))
    for name in first:
        v = np.stack([np.concatenate([results[c, d].values[name][:n] for d in drugs]) for c in cohorts])
        ds[name] = (("cohort", "regimen", *draw, "subject"), v)
    if checkpoints_h:
        ds = ds.assign_coords(day=np.asarray(checkpoints_h, float) / DAY_H)
        for name in results[cohorts[0], drugs[0]].by_day:
            v = np.stack([np.concatenate([results[c, d].by_day[name][:, :n] for d in drugs], axis=1)
                          for c in cohorts])
            ds[name] = (("cohort", "day", "regimen", *draw, "subject"), v)
    stacked = {name: np.stack([covariates[c][name] for c in cohorts]) for name in covariates[cohorts[0]]}
    ds = with_covariates(ds, stacked, ("cohort", "subject"))
    return annotate(ds)
