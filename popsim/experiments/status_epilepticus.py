"""Question 6 (seizures): how often and how fast a first-line benzodiazepine stops status epilepticus, by
drug, route and dose, and how often the seizure comes back.

A seizure is ongoing at t = 0, when one dose is given (the doses of a drug x route are the regimens of one
compiled program on a 1-min grid); :class:`popsim.pd.seizure.SeizureTermination` runs in the Arm on each
subject's GABA-A alpha1 stimulus, and the endpoints are its endpoint functions (definitions in the Dataset
attributes, ``definition_<name>``).  With ``redose_min``, those still seizing then get a second identical dose
(Alldredge 2001's rule at 4 min, G56), for one endpoint (``p_not_seizing_redosed``).  Secondary: the peak alpha1
occupancy and psychomotor effect.  With ``trials``, the report of the trials the ``se_*`` constants were fitted
on and checked against (:mod:`popsim.experiments.seizure_trials`) is a table of the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import annotate, regimen_dataset
from popsim.experiments.base import Experiment, Result
from popsim.experiments.seizure_trials import read_trials, report, se_parameters, stimuli
from popsim.io import summary_table
from popsim.pd.parameters import check_values
from popsim.pd.seizure import SeizureTermination, median_time_to_stop, p_quiet
from popsim.plots import label, new_axes, side_by_side
from popsim.study import simulate_arm

__all__ = ["DEFINITIONS", "DT", "EXPERIMENT", "LEVELS", "StatusEpilepticusStudy", "figure", "parse_arms",
           "plot_seizing", "plot_summary", "run", "summary"]

DT = 1 / 60  # h: the experiment's own 1-min grid (the grid group is not read)
LEVELS = ["drug", "route", "dose_mg"]
TRAJECTORIES = ("stimulus_a1", "p_seizing", "p_first_termination", "p_recurrence")
# the endpoints as the trials define them (written into the Dataset attributes)
DEFINITIONS = {
    "p_seizing": "population probability that the seizure ongoing at t = 0 is ongoing at t (it may have stopped "
                 "and recurred)",
    "p_terminated": "population probability that the seizure stopped at least once by t (RAMPART's and "
                    "McIntyre's 'seizure stopped', popsim.pd.seizure.p_stopped)",
    "median_time_to_stop_min": "population median time from the dose to the first stop (NaN if fewer than half "
                               "stop within the follow-up; popsim.pd.seizure.median_time_to_stop)",
    "p_not_seizing_at_assess": "probability of not seizing at t_assess_min after the dose (Alldredge's and "
                               "RAMPART's 'terminated on ED arrival' with t_assess the arrival; "
                               "popsim.pd.seizure.p_quiet)",
    "p_not_seizing_redosed": "as p_not_seizing_at_assess, with a second identical dose at redose_min to those "
                             "seizing then (recurrences later get none)",
    "p_recurrence_given_stopped": "probability of at least one recurrence by the end of the follow-up (hours) "
                                  "among those whose seizure stopped by then",
}
LOCAL = {
    "dose_mg": ("mg", "single dose at t = 0 (0: placebo)"),
    "time": ("min", "time since the dose"),
    "p_seizing": ("1", DEFINITIONS["p_seizing"]),
    "p_terminated": ("1", DEFINITIONS["p_terminated"]),
    "median_time_to_stop_min": ("min", DEFINITIONS["median_time_to_stop_min"]),
    "p_not_seizing_at_assess": ("1", DEFINITIONS["p_not_seizing_at_assess"]),
    "p_not_seizing_redosed": ("1", DEFINITIONS["p_not_seizing_redosed"]),
    "p_recurrence_given_stopped": ("1", DEFINITIONS["p_recurrence_given_stopped"]),
}


def parse_arms(arms, path: str = "study.arms") -> list[tuple[str, str, list[float]]]:
    """``["<drug>_<route>_<dose mg>", ...]`` -> ``[(drug, route, doses)]``, one entry per drug and route
    (in order of first appearance), each checked: a library benzodiazepine, one of its routes or iv, a
    dose in [0, 100] mg (0: the placebo arm, no drug); the list non-empty without repeats."""
    from popsim.drugs.library import load, names

    unique(path, arms)
    benzos = [n for n in names() if load(n).kind == "benzodiazepine"]
    grouped: dict[tuple[str, str], list[float]] = {}
    for i, arm in enumerate(arms):
        parts = str(arm).split("_")
        if len(parts) != 3:
            raise ValueError(f"{path}[{i}]={arm!r}; allowed: '<drug>_<route>_<dose mg>', e.g. lorazepam_iv_4")
        drug, route, dose = parts
        choice(f"{path}[{i}] drug", drug, benzos)
        choice(f"{path}[{i}] route", route, sorted(set(load(drug).routes) | {"iv"}))
        try:
            mg = float(dose)
        except ValueError:
            raise ValueError(f"{path}[{i}]={arm!r}: dose {dose!r} is not a number") from None
        finite(f"{path}[{i}] dose_mg", mg, low=0, high=100)
        grouped.setdefault((drug, route), []).append(mg)
    return [(drug, route, doses) for (drug, route), doses in grouped.items()]


@dataclass
class StatusEpilepticusStudy(Study):
    """Single doses at t = 0 to a seizing patient (``arms``: ``"<drug>_<route>_<dose mg>"``, dose 0 a placebo),
    followed for ``hours`` on a 1-min grid; endpoints at ``t_assess_min`` (default 30 min: the ED arrival the
    trial calibration assumes, A), an optional second dose at ``redose_min`` (0: none) and, with ``trials``,
    the trial report.  Default doses: the usual adult first-line doses (user settings, not library values)."""

    arms: list[str] = field(default_factory=lambda: ["lorazepam_iv_0", "lorazepam_iv_2", "lorazepam_iv_4",
                                                     "diazepam_iv_10", "midazolam_im_10", "midazolam_intranasal_5"])
    t_assess_min: float = 30.0
    redose_min: float = 0.0
    hours: float = 12.0
    trials: bool = True

    def check(self, cfg) -> None:
        parse_arms(self.arms)
        finite("study.hours", self.hours, low=1, high=72)
        finite("study.t_assess_min", self.t_assess_min, low=1, high=60 * self.hours)
        finite("study.redose_min", self.redose_min, low=0, high=self.t_assess_min)
        for key in ("t_assess_min", "redose_min"):
            if getattr(self, key) % 1:
                raise ValueError(f"study.{key}={getattr(self, key)!r}; allowed: whole minutes (the 1-min grid)")


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per regimen: the endpoints and the median peak alpha1 occupancy and psychomotor effect."""
    names = [n for n in ("median_time_to_stop_min", "p_not_seizing_at_assess", "p_not_seizing_redosed",
                         "p_recurrence_given_stopped") if n in ds]
    df = pd.DataFrame({n: ds[n].to_series() for n in names})
    df["occupancy_a1_peak_p50"] = ds["occupancy_a1_peak"].median("subject").to_series()
    df["effect_a1_peak_p50"] = ds["effect_a1_peak"].median("subject").to_series()
    return df.reset_index()


def _names(ds: xr.Dataset) -> list[str]:
    return [f"{d} {r} {x:g} mg" if x else "placebo" for d, r, x in ds.indexes["regimen"]]


def plot_seizing(ds: xr.Dataset, *, ax=None):
    """P(seizing) over time per regimen (log time axis: minutes to hours)."""
    ax = ax or new_axes()
    t = ds["time"].values
    for j, name in enumerate(_names(ds)):
        ax.plot(t[1:], ds["p_seizing"].isel(regimen=j).values[1:], color=f"C{j}", label=name)
    ax.axvline(ds.attrs["t_assess_min"], color="0.5", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(label(ds["time"]) + " (log scale)")
    ax.set_ylabel("P(seizing) [1]")
    ax.set_title("dotted: t_assess", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_summary(ds: xr.Dataset, *, ax=None):
    """Per regimen: P(not seizing at t_assess) and P(recurrence | stopped) as bars, the median time to the first
    stop written on them."""
    ax = ax or new_axes()
    y = np.arange(ds.sizes["regimen"])
    quiet, rec = ds["p_not_seizing_at_assess"].values, ds["p_recurrence_given_stopped"].values
    ax.barh(y - 0.2, quiet, 0.4, color="C0", label=f"not seizing at {ds.attrs['t_assess_min']:g} min")
    ax.barh(y + 0.2, rec, 0.4, color="C3", label=f"recurrence within {ds.attrs['hours']:g} h | stopped")
    for k, m in enumerate(ds["median_time_to_stop_min"].values):
        ax.text(0.01, y[k] - 0.2, f"median stop {m:.1f} min" if np.isfinite(m) else "median stop not reached",
                va="center", fontsize=7, color="w")
    ax.set_yticks(y, _names(ds), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability [1]")
    ax.legend(fontsize=7, loc="lower right")
    return ax


def figure(ds: xr.Dataset):
    """P(seizing) over time (left) and the termination and recurrence summaries (right)."""
    return side_by_side(ds, (plot_seizing, plot_summary),
                        title="Status epilepticus under a first-line benzodiazepine ({cohort} cohort)")


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`) x time (population curves), regimen (endpoints) and regimen x
    subject (peak occupancy and effect); with ``trials``, the trial report as a table."""
    s = cfg.study
    values = check_values(cfg.pd)
    p = se_parameters(values)
    n = round(s.hours / DT) + 1
    redose = round(s.redose_min)
    labels, parts, curves = [], [], {k: [] for k in TRAJECTORIES[1:3]}
    ends = {k: [] for k in ("median_time_to_stop_min", "p_not_seizing_at_assess", "p_not_seizing_redosed",
                            "p_recurrence_given_stopped")}
    for drug, route, doses in parse_arms(s.arms):
        U = np.zeros((len(doses) * (2 if redose else 1), n, 1))
        U[:, 0, 0] = np.tile(doses, 2 if redose else 1)
        if redose:
            U[len(doses):, redose, 0] = doses
        arm = Arm(drug, route, cfg.cohort, DT, n, scores=(SeizureTermination(),))
        r = simulate_arm(arm, U, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                         chunk_size=cfg.chunk_size, dtype=dtype, trajectories=TRAJECTORIES, trajectories_from_h=0.0,
                         progress=progress and progress(f"{drug}/{route}"))
        tr = {k: np.moveaxis(v, 0, -1).astype(float) for k, v in r.trajectories.items()}  # (regimen, subject, time)
        for j in range(len(doses)):
            stim = tr["stimulus_a1"][j]
            curves["p_seizing"].append(tr["p_seizing"][j].mean(0))
            curves["p_first_termination"].append(tr["p_first_termination"][j].mean(0))
            stopped = tr["p_first_termination"][j][:, -1]
            ends["median_time_to_stop_min"].append(60 * median_time_to_stop(stim, p, DT))
            ends["p_not_seizing_at_assess"].append(p_quiet(stim, p, DT, s.t_assess_min / 60))
            if redose:
                ends["p_not_seizing_redosed"].append(p_quiet(stim, p, DT, s.t_assess_min / 60,
                                                             redosed=tr["stimulus_a1"][len(doses) + j],
                                                             redose_at=redose / 60))
            ends["p_recurrence_given_stopped"].append(
                float((stopped * tr["p_recurrence"][j][:, -1]).mean() / stopped.mean()) if stopped.mean() > 0
                else np.nan)
        parts.append({k: r.values[k][:len(doses)] for k in ("occupancy_a1_peak", "effect_a1_peak")})
        labels += [(drug, route, x) for x in doses]
    ds = regimen_dataset(labels, LEVELS, {k: np.concatenate([x[k] for x in parts]) for k in parts[0]},
                         covariates=r.covariates, **LOCAL)
    ds = ds.assign_coords(time=np.arange(n) * DT * 60.0)
    ds["p_seizing"] = (("regimen", "time"), np.stack(curves["p_seizing"]))
    ds["p_terminated"] = (("regimen", "time"), np.stack(curves["p_first_termination"]))
    for k, v in ends.items():
        if v:
            ds[k] = ("regimen", np.asarray(v, float))
    ds = annotate(ds, **LOCAL)
    ds.attrs.update({"t_assess_min": s.t_assess_min, "redose_min": s.redose_min, "hours": s.hours,
                     "cohort": cfg.cohort.name} | {f"definition_{k}": v for k, v in DEFINITIONS.items() if k in ds})
    table = summary(ds)
    tables = {"summary": summary_table(ds), "endpoints": table}
    text = "Endpoints per regimen:\n" + table.round(3).to_string(index=False)
    if s.trials:
        trials = read_trials()
        tables["trials"] = report(trials, stimuli(trials, values, n_subjects=cfg.n_subjects, seed=cfg.seed,
                                                  dtype=dtype), p)
        cols = ["id", "use", "trial", "arm", "published", "lo", "hi", "simulated", "in_interval",
                "published_median_min", "simulated_median_min"]
        for use in ("fit", "check"):
            text += (f"\n\nTrials, {use} rows (proportions with Clopper-Pearson 95%; medians in min):\n"
                     + tables["trials"].loc[tables["trials"]["use"] == use, cols].round(3).to_string(index=False))
    return Result(ds, tables, f"{ds.sizes['regimen']} first-line doses x {cfg.n_subjects} subjects "
                              f"({cfg.cohort.name}), seizing at t = 0, followed {s.hours:g} h", text)


EXPERIMENT = Experiment(
    name="status_epilepticus", schema=StatusEpilepticusStudy, run=run, figure=figure,
    reads=("cohort", "pd.gaba", "pd.seizure"),
    tiny=("n_subjects=24", "study.hours=2", "study.arms=[lorazepam_iv_0,lorazepam_iv_2,lorazepam_iv_4,"
          "midazolam_intranasal_5]", "study.redose_min=4", "study.trials=false"),
    question="How often and how fast does a first-line benzodiazepine (by drug, route and dose) stop status "
             "epilepticus, and how often does the seizure recur?")
