"""Question 6 (seizures): how often and how fast a first-line benzodiazepine stops status epilepticus, by
drug, route and dose, and how often the seizure comes back.

A seizure is ongoing at t = 0, when one dose is given (the doses of a drug x route are the regimens of one
compiled program on a 1-min grid); :class:`popsim.pd.seizure.SeizureTermination` runs in the Arm on each
subject's GABA-A alpha1 stimulus, and the endpoints are its endpoint functions (definitions in the Dataset
attributes, ``definition_<name>``).  With ``redose_min``, those still seizing then get a second identical dose
(Alldredge 2001's rule at 4 min, G56), for one endpoint (``p_not_seizing_redosed``).  Secondary: the peak alpha1
occupancy and psychomotor effect.  With ``trials``, the report of the trials the ``se_*`` constants were fitted
on and checked against (:mod:`popsim.experiments.seizure_trials`) is a table of the output.  With parameter draws
(``n_draws``) the per-subject outputs, the population curves and the endpoints gain a ``draw`` axis (each draw's
``se_*`` constants, :func:`popsim.uncertainty.draw_values`), and the tables give each endpoint (and each trial row's
simulated value) as its median and central 95% over draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import annotate, regimen_dataset, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.experiments.seizure_trials import read_trials, report, se_parameters, stimuli
from popsim.io import over_draws, summary_table
from popsim.pd.seizure import SeizureTermination, median_time_to_stop, p_quiet
from popsim.plots import label, median_and_interval, new_axes, side_by_side
from popsim.study import simulate_arm

__all__ = ["DEFINITIONS", "DT", "EXPERIMENT", "LEVELS", "StatusEpilepticusStudy", "figure", "parse_arms",
           "plot_seizing", "plot_summary", "run", "summary"]

DT = 1 / 60  # h: the experiment's own 1-min grid (the grid group is not read)
LEVELS = ["drug", "route", "dose_mg"]
TRAJECTORIES = ("stimulus_a1", "p_seizing", "p_first_termination", "p_recurrence")
ENDPOINTS = ("median_time_to_stop_min", "p_not_seizing_at_assess", "p_not_seizing_redosed",
             "p_recurrence_given_stopped")
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
    """Per regimen: the endpoints and the median peak alpha1 occupancy and psychomotor effect.  With parameter draws
    each is taken in each draw and given as its median and central 95% over draws (``<name>_p2.5``, ``_p50``,
    ``_p97.5``); a draw whose median time to stop lies beyond the follow-up is kept, censored at its end (``hours``),
    and ``median_time_to_stop_beyond_followup_draws`` counts them."""
    columns = {n: ds[n] for n in ENDPOINTS if n in ds}
    columns["occupancy_a1_peak_p50"] = ds["occupancy_a1_peak"].median("subject")
    columns["effect_a1_peak_p50"] = ds["effect_a1_peak"].median("subject")
    if "draw" not in ds.dims:
        return pd.DataFrame({n: da.to_series() for n, da in columns.items()}).reset_index()
    df = ds.indexes["regimen"].to_frame(index=False)
    censored = np.isnan(columns["median_time_to_stop_min"].transpose("regimen", "draw").values)
    columns["median_time_to_stop_min"] = columns["median_time_to_stop_min"].fillna(60.0 * ds.attrs["hours"])
    for n, da in columns.items():
        df = df.assign(**over_draws(n, da.transpose("regimen", "draw").values))
    return df.assign(median_time_to_stop_beyond_followup_draws=censored.sum(axis=1))


def _names(ds: xr.Dataset) -> list[str]:
    return [f"{d} {r} {x:g} mg" if x else "placebo" for d, r, x in ds.indexes["regimen"]]


def plot_seizing(ds: xr.Dataset, *, ax=None):
    """P(seizing) over time per regimen (log time axis: minutes to hours); with parameter draws, the median over
    draws and a band of their central 95%."""
    ax = ax or new_axes()
    t = ds["time"].values
    for j, name in enumerate(_names(ds)):
        y, err = median_and_interval(ds["p_seizing"].isel(regimen=j))
        ax.plot(t[1:], y[1:], color=f"C{j}", label=name)
        if err is not None:
            ax.fill_between(t[1:], (y - err[0])[1:], (y + err[1])[1:], color=f"C{j}", alpha=0.15, lw=0)
    ax.axvline(ds.attrs["t_assess_min"], color="0.5", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(label(ds["time"]) + " (log scale)")
    ax.set_ylabel("P(seizing) [1]")
    ax.set_title("dotted: t_assess" + (f"; band: 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims
                                       else ""), fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_summary(ds: xr.Dataset, *, ax=None):
    """Per regimen: P(not seizing at t_assess) and P(recurrence | stopped) as bars, the median time to the first
    stop written on them; with parameter draws, the medians over draws with error bars of their central 95% (the
    median time to stop over the draws that reach it)."""
    ax = ax or new_axes()
    y = np.arange(ds.sizes["regimen"])
    for dy, name, colour, text in ((-0.2, "p_not_seizing_at_assess", "C0",
                                    f"not seizing at {ds.attrs['t_assess_min']:g} min"),
                                   (0.2, "p_recurrence_given_stopped", "C3",
                                    f"recurrence within {ds.attrs['hours']:g} h | stopped")):
        mid, err = median_and_interval(ds[name])
        ax.barh(y + dy, mid, 0.4, color=colour, label=text, capsize=2, xerr=err)
    # as in summary(): a draw whose median time to stop lies beyond the follow-up counts at its end
    stop = ds["median_time_to_stop_min"]
    for k, m in enumerate(median_and_interval(stop.fillna(60.0 * ds.attrs["hours"]) if "draw" in stop.dims
                                              else stop)[0]):
        ax.text(0.01, y[k] - 0.2, f"median stop {m:.1f} min" if m < 60.0 * ds.attrs["hours"]
                else "median stop not reached", va="center", fontsize=7, color="w")
    ax.set_yticks(y, _names(ds), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability [1]")
    ax.legend(fontsize=7, loc="lower right")
    if "draw" in ds.dims:
        ax.set_title(f"median and 95% over {ds.sizes['draw']} parameter draws", fontsize=9)
    return ax


def figure(ds: xr.Dataset):
    """P(seizing) over time (left) and the termination and recurrence summaries (right)."""
    return side_by_side(ds, (plot_seizing, plot_summary),
                        title="Status epilepticus under a first-line benzodiazepine ({cohort} cohort)")


def _per_draw(x: np.ndarray | None, d: int) -> np.ndarray | None:
    """Draw ``d`` of a stimulus ``(draw, subject, time)``; one without draws ``(subject, time)`` (no drug) as it is."""
    return x if x is None or x.ndim == 2 else x[d]


def _trial_report(trials: pd.DataFrame, sims, ps: list[dict]) -> pd.DataFrame:
    """The trial report (:func:`popsim.experiments.seizure_trials.report`) with the SeizureTermination parameters
    ``ps`` (one per draw): one draw, its table; several, each row's simulated proportion and median taken in each
    draw as their median and central 95% over draws, and ``in_interval_draws``, the draws inside the published
    interval."""
    per = [report(trials, {i: tuple(_per_draw(x, d) for x in sim) for i, sim in sims.items()}, p)
           for d, p in enumerate(ps)]
    if len(per) == 1:
        return per[0]
    out = per[0].drop(columns=["simulated", "in_interval", "simulated_median_min"])
    for name in ("simulated", "simulated_median_min"):
        out = out.assign(**over_draws(name, np.stack([r[name].to_numpy(float) for r in per], axis=-1)))
    inside = np.stack([r["in_interval"].to_numpy() for r in per], axis=-1)
    return out.assign(in_interval_draws=[None if pd.isna(row[0]) else int(sum(bool(x) for x in row))
                                         for row in inside])


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`) x [draw x] time (population curves), regimen [x draw] (endpoints) and
    regimen x [draw x] subject (peak occupancy and effect); with ``trials``, the trial report as a table."""
    s = cfg.study
    values = EXPERIMENT.pd_values(cfg)
    k = cfg.n_draws or 1
    ps = [se_parameters({name: np.broadcast_to(values[name], (k,))[d] if cfg.n_draws else values[name]
                         for name in values}) for d in range(k)]
    n = round(s.hours / DT) + 1
    redose = round(s.redose_min)
    labels, parts, curves = [], [], {name: [] for name in TRAJECTORIES[1:3]}
    ends = {name: [] for name in ENDPOINTS}
    for drug, route, doses in parse_arms(s.arms):
        U = np.zeros((len(doses) * (2 if redose else 1), n, 1))
        U[:, 0, 0] = np.tile(doses, 2 if redose else 1)
        if redose:
            U[len(doses):, redose, 0] = doses
        arm = Arm(drug, route, cfg.cohort, DT, n, scores=(SeizureTermination(),))
        r = simulate_arm(arm, U, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                         chunk_size=cfg.chunk_size, dtype=dtype, trajectories=TRAJECTORIES, trajectories_from_h=0.0,
                         progress=progress and progress(f"{drug}/{route}"))
        # (regimen, draw, subject, time); one draw without draws
        tr = {name: np.moveaxis(v, 0, -1).astype(float) for name, v in r.trajectories.items()}
        tr = {name: v if cfg.n_draws else v[:, None] for name, v in tr.items()}
        for j in range(len(doses)):
            end = {name: [] for name in ENDPOINTS}
            for d, p in enumerate(ps):
                stim = tr["stimulus_a1"][j, d]
                stopped = tr["p_first_termination"][j, d][:, -1]
                end["median_time_to_stop_min"].append(60 * median_time_to_stop(stim, p, DT))
                end["p_not_seizing_at_assess"].append(p_quiet(stim, p, DT, s.t_assess_min / 60))
                if redose:
                    end["p_not_seizing_redosed"].append(p_quiet(stim, p, DT, s.t_assess_min / 60,
                                                                redosed=tr["stimulus_a1"][len(doses) + j, d],
                                                                redose_at=redose / 60))
                end["p_recurrence_given_stopped"].append(
                    float((stopped * tr["p_recurrence"][j, d][:, -1]).mean() / stopped.mean()) if stopped.mean() > 0
                    else np.nan)
            for name, v in end.items():
                if v:
                    ends[name].append(v if cfg.n_draws else v[0])
            for name in curves:
                curves[name].append(tr[name][j].mean(-2) if cfg.n_draws else tr[name][j, 0].mean(0))
        parts.append({name: r.values[name][:len(doses)] for name in ("occupancy_a1_peak", "effect_a1_peak")})
        labels += [(drug, route, x) for x in doses]
    ds = regimen_dataset(labels, LEVELS, {name: np.concatenate([x[name] for x in parts]) for name in parts[0]},
                         covariates=r.covariates, **LOCAL)
    ds = ds.assign_coords(time=np.arange(n) * DT * 60.0)
    draw = ("draw",) if cfg.n_draws else ()
    ds["p_seizing"] = (("regimen", *draw, "time"), np.stack(curves["p_seizing"]))
    ds["p_terminated"] = (("regimen", *draw, "time"), np.stack(curves["p_first_termination"]))
    for name, v in ends.items():
        if v:
            ds[name] = (("regimen", *draw), np.asarray(v, float))
    ds = annotate(ds, **LOCAL)
    ds.attrs.update({"t_assess_min": s.t_assess_min, "redose_min": s.redose_min, "hours": s.hours,
                     "cohort": cfg.cohort.name} | {f"definition_{k}": v for k, v in DEFINITIONS.items() if k in ds})
    if cfg.n_draws:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
    table = summary(ds)
    tables = {"summary": summary_table(ds), "endpoints": table}
    over = f"; median (95% interval) over {cfg.n_draws} parameter draws" if cfg.n_draws else ""
    text = f"Endpoints per regimen{over}:\n" + table.round(3).to_string(index=False)
    if s.trials:
        trials = read_trials()
        tables["trials"] = _trial_report(trials, stimuli(trials, values, n_subjects=cfg.n_subjects, seed=cfg.seed,
                                                         dtype=dtype), ps)
        simulated = (["simulated_p50", "simulated_p2.5", "simulated_p97.5", "in_interval_draws"] if cfg.n_draws
                     else ["simulated", "in_interval"])
        cols = ["id", "use", "trial", "arm", "published", "lo", "hi", *simulated, "published_median_min",
                "simulated_median_min" + ("_p50" if cfg.n_draws else "")]
        for use in ("fit", "check"):
            text += (f"\n\nTrials, {use} rows (proportions with Clopper-Pearson 95%; medians in min{over}):\n"
                     + tables["trials"].loc[tables["trials"]["use"] == use, cols].round(3).to_string(index=False))
    return Result(ds, tables, f"{ds.sizes['regimen']} first-line doses x {cfg.n_subjects} subjects"
                              + (f" x {cfg.n_draws} parameter draws" if cfg.n_draws else "")
                              + f" ({cfg.cohort.name}), seizing at t = 0, followed {s.hours:g} h", text)


EXPERIMENT = Experiment(
    name="status_epilepticus", schema=StatusEpilepticusStudy, run=run, figure=figure,
    reads=("cohort", "pd.gaba", "pd.seizure"),
    tiny=("n_subjects=24", "study.hours=2", "study.arms=[lorazepam_iv_0,lorazepam_iv_2,lorazepam_iv_4,"
          "midazolam_intranasal_5]", "study.redose_min=4", "study.trials=false"),
    question="How often and how fast does a first-line benzodiazepine (by drug, route and dose) stop status "
             "epilepticus, and how often does the seizure recur?",
    draws=True)
