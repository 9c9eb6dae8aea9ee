"""Question 6 (seizures): how fast a first-line benzodiazepine reaches an effective effect-site
occupancy, and for how long it stays there, by drug, route and dose.

Each drug x route is one compiled program on a 1-min grid with one dose at t = 0 (the doses are its
regimens).  The effective level is not known (literature.md has no anticonvulsant GABA-A occupancy
target), so it is swept: for each threshold, the time of the first grid point above it (onset, to
within 1 min), the time above it (duration), whether it was reached, and whether it was lost within
``protect_h`` of the dose (a subject in whom a single dose no longer covers the window until a
maintenance antiseizure drug acts: the candidates for recurrence; popsim has no seizure model, so
this is not a recurrence probability).  The occupancy and plasma concentration time courses of
every subject are kept (the plasma course shows the early redistribution after an iv dose).
"""

from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import annotate, register, regimen_dataset
from popsim.experiments.base import Experiment, Result
from popsim.io import summary_table
from popsim.pd.parameters import check_values
from popsim.plots import label, new_axes, side_by_side
from popsim.study import simulate_arm

__all__ = ["DT", "EXPERIMENT", "LEVELS", "StatusEpilepticusStudy", "figure", "parse_arms", "plot_occupancy",
           "plot_onset_duration", "run", "summary"]

DT = 1 / 60  # h: the experiment's own 1-min grid (the grid group is not read)
LEVELS = ["drug", "route", "dose_mg"]
# the first-line drugs are non-selective, so alpha1 and alpha2 occupancy coincide: alpha1 is the signal
SIGNALS = ("occupancy_a1",)

register({
    "onset_min": ("min", "time from the dose to the first occupancy_a1 above the threshold (to within 1 min; NaN if "
                         "never reached)"),
    "duration_h": ("h", "time with occupancy_a1 above the threshold over the follow-up after the dose (the hours "
                        "attribute)"),
    "reached": ("1", "threshold reached: 1 yes, 0 no"),
    "effect_lost": ("1", "reached, then back below the threshold within protect_h hours (attribute) of the dose "
                         "(onset + duration, exact for one rise and fall): 1 yes, 0 no"),
    "peak_time_min": ("min", "time of the peak alpha1 occupancy after the dose"),
})
# names whose meaning is this Dataset's own
LOCAL = {
    "dose_mg": ("mg", "single dose at t = 0"),
    "threshold": ("1", "effective occupancy_a1 (swept: no published target)"),
    "time": ("min", "time since the dose"),
    "occupancy": ("1", "GABA-A a1 agonist occupancy (effect site, parent and active metabolites)"),
    "plasma_conc": ("ng mL-1", "total plasma concentration of the drug given (parent only)"),
}


def parse_arms(arms, path: str = "study.arms") -> list[tuple[str, str, list[float]]]:
    """``["<drug>_<route>_<dose mg>", ...]`` -> ``[(drug, route, doses)]``, one entry per drug and route
    (in order of first appearance), each checked: a library benzodiazepine, one of its routes or iv, a
    dose in (0, 100] mg; the list non-empty without repeats."""
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
        finite(f"{path}[{i}] dose_mg", mg, low=0, low_open=True, high=100)
        grouped.setdefault((drug, route), []).append(mg)
    return [(drug, route, doses) for (drug, route), doses in grouped.items()]


@dataclass
class StatusEpilepticusStudy(Study):
    """Single doses at t = 0 (``arms``: ``"<drug>_<route>_<dose mg>"``), followed for ``hours`` on a 1-min
    grid; onset and duration of ``signal`` above each of ``thresholds`` (the effective occupancy is
    unknown, so it is swept), and whether it is lost within ``protect_h`` of the dose.  Default doses:
    the usual adult first-line doses (lorazepam 4 mg iv, diazepam 10 mg iv, midazolam 10 mg im,
    midazolam 5 mg intranasal), user settings, not library values.  Buccal midazolam and rectal
    diazepam (gel) are in the library (literature.md G73, G68) and can be given as arms, e.g.
    ``midazolam_buccal_10`` or ``diazepam_rectal_10``."""

    arms: list[str] = field(default_factory=lambda: ["lorazepam_iv_2", "lorazepam_iv_4", "diazepam_iv_10",
                                                     "midazolam_im_10", "midazolam_intranasal_5"])
    signal: str = "occupancy_a1"
    thresholds: list[float] = field(default_factory=lambda: [0.3, 0.5, 0.7])
    protect_h: float = 4.0
    hours: float = 12.0

    def check(self, cfg) -> None:
        parse_arms(self.arms)
        choice("study.signal", self.signal, SIGNALS)
        if not self.thresholds or self.thresholds != sorted(set(self.thresholds)):
            raise ValueError(f"study.thresholds={list(self.thresholds)!r}; allowed: a non-empty increasing list")
        for i, t in enumerate(self.thresholds):
            finite(f"study.thresholds[{i}]", t, low=0, low_open=True, high=1)
            if t >= 1:
                raise ValueError(f"study.thresholds[{i}]={t!r}; allowed: an occupancy in (0, 1)")
        finite("study.hours", self.hours, low=1, high=72)
        finite("study.protect_h", self.protect_h, low=0, low_open=True, high=self.hours)


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per regimen x threshold: median peak occupancy and its time (the same for every threshold),
    P(reached), onset percentiles (min, among those who reach it), median duration (h) and P(effect
    lost within protect_h)."""
    with warnings.catch_warnings():  # a threshold nobody reaches has no onset percentiles (NaN)
        warnings.simplefilter("ignore", RuntimeWarning)
        q = ds["onset_min"].quantile([0.05, 0.5, 0.95], dim="subject", skipna=True)
    shape = ds["reached"].isel(subject=0, drop=True)
    df = pd.DataFrame({
        "occupancy_peak_p50": ds["occupancy_a1_peak"].median("subject").broadcast_like(shape).to_series(),
        "peak_time_min_p50": ds["peak_time_min"].median("subject").broadcast_like(shape).to_series(),
        "p_reached": ds["reached"].mean("subject").to_series(),
        "onset_min_p05": q.sel(quantile=0.05, drop=True).to_series(),
        "onset_min_p50": q.sel(quantile=0.5, drop=True).to_series(),
        "onset_min_p95": q.sel(quantile=0.95, drop=True).to_series(),
        "duration_h_p50": ds["duration_h"].median("subject").to_series(),
        "p_effect_lost": ds["effect_lost"].mean("subject").to_series(),
    })
    return df.reset_index()


def _names(ds: xr.Dataset) -> list[str]:
    return [f"{d} {r} {x:g} mg" for d, r, x in ds.indexes["regimen"]]


def plot_occupancy(ds: xr.Dataset, *, ax=None):
    """Median effect-site occupancy (and 90% population band) after each first-line dose over the first
    hours, with the swept effective thresholds."""
    ax = ax or new_axes()
    occ = ds["occupancy"]
    t = ds["time"].values
    q = occ.quantile([0.05, 0.5, 0.95], dim="subject")
    for j, name in enumerate(_names(ds)):
        ax.fill_between(t, q.isel(regimen=j).sel(quantile=0.05), q.isel(regimen=j).sel(quantile=0.95),
                        color=f"C{j}", alpha=0.15, lw=0)
        ax.plot(t, q.isel(regimen=j).sel(quantile=0.5), color=f"C{j}", label=name)
    for thr in ds["threshold"].values:
        ax.axhline(thr, color="0.5", ls=":", lw=0.8)
    ax.set_xlim(0, min(t[-1], 240))
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(label(occ, 45))
    ax.set_title("median and 90% band; dotted: swept effective thresholds", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_onset_duration(ds: xr.Dataset, *, ax=None):
    """Median onset vs median duration above each threshold per regimen (dose, drug and route)."""
    ax = ax or new_axes()
    onset = ds["onset_min"].median("subject")
    duration = ds["duration_h"].median("subject")
    markers = "os^vD"
    for j, _ in enumerate(_names(ds)):
        for k, thr in enumerate(ds["threshold"].values):
            ax.plot(onset.isel(regimen=j, threshold=k), duration.isel(regimen=j, threshold=k),
                    markers[k % len(markers)], color=f"C{j}", ms=7, label=f"threshold {thr:g}" if j == 0 else None)
    ax.set_xscale("log")
    ax.set_xlabel(textwrap.fill("median time to the effective occupancy [min] (log scale)", 50))
    ax.set_ylabel(textwrap.fill(f"median time above it within {float(ds['time'].values[-1]) / 60:g} h [h]", 40))
    ax.set_title("colours: regimens as on the left; markers: threshold", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """Occupancy time courses (left) and onset vs duration (right)."""
    return side_by_side(ds, (plot_occupancy, plot_onset_duration),
                        title="Status epilepticus: onset and duration of effect-site GABA-A occupancy "
                              "({cohort} cohort)")


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`) x ``threshold`` x subject, and the occupancy and plasma
    concentration time courses over regimen x time x subject."""
    s = cfg.study
    values = check_values(cfg.pd)
    n = round(s.hours / DT) + 1
    labels, parts = [], []
    for drug, route, doses in parse_arms(s.arms):
        U = np.zeros((len(doses), n, 1))
        U[:, 0, 0] = doses
        arm = Arm(drug, route, cfg.cohort, DT, n)
        parts.append(simulate_arm(arm, U, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                                  chunk_size=cfg.chunk_size, dtype=dtype,
                                  pd_above=[(s.signal, t) for t in s.thresholds],
                                  trajectories=(s.signal, "central"), trajectories_from_h=0.0,
                                  progress=progress and progress(f"{drug}/{route}")))
        labels += [(drug, route, x) for x in doses]
    ds = regimen_dataset(labels, LEVELS, n_subjects=cfg.n_subjects, covariates=parts[-1].covariates)
    ds = ds.assign_coords(threshold=np.asarray(s.thresholds, float), time=np.asarray(parts[-1].times) * 60.0)
    # (threshold, regimen, subject); onsets are grid times, rebuilt from the step in float64
    first = np.round(np.concatenate([p.above["t_first"] for p in parts], axis=1) / DT) * DT
    above = np.concatenate([p.above["t_above"] for p in parts], axis=1)
    reached = np.isfinite(first)
    lost = reached & (np.nan_to_num(first) + above < s.protect_h)
    dims = ("threshold", "regimen", "subject")
    ds["onset_min"] = (dims, first * 60.0)
    ds["duration_h"] = (dims, above)
    ds["reached"] = (dims, reached.astype(float))
    ds["effect_lost"] = (dims, lost.astype(float))
    ds["occupancy_a1_peak"] = (("regimen", "subject"), np.concatenate([p.values["occupancy_a1_peak"] for p in parts]))
    tmax = np.round(np.concatenate([p.values["effect_a1_tmax"] for p in parts]) / DT) * DT * 60.0
    ds["peak_time_min"] = (("regimen", "subject"), tmax)
    ds["occupancy"] = (("regimen", "time", "subject"),
                       np.concatenate([np.moveaxis(p.trajectories[s.signal], 0, 1) for p in parts]).astype(np.float32))
    # mg/L -> ng/mL: the early fall after an iv dose is redistribution into the tissues (popsim.params.tissues)
    ds["plasma_conc"] = (("regimen", "time", "subject"), 1e3 * np.concatenate(
        [np.moveaxis(p.trajectories["central"], 0, 1) for p in parts]).astype(np.float32))
    ds = annotate(ds, **LOCAL)
    ds.attrs.update({"signal": s.signal, "protect_h": s.protect_h, "hours": s.hours, "cohort": cfg.cohort.name})
    table = summary(ds)
    report = (f"Onset (min, 5th/50th/95th percentile of those reaching it), median duration (h), P(lost within "
              f"{s.protect_h:g} h):\n" + table.round(3).to_string(index=False))
    return Result(ds, {"summary": summary_table(ds), "onset": table},
                  f"{ds.sizes['regimen']} first-line doses x {cfg.n_subjects} subjects ({cfg.cohort.name}), "
                  f"{s.signal} followed {s.hours:g} h", report)


EXPERIMENT = Experiment(
    name="status_epilepticus", schema=StatusEpilepticusStudy, run=run, figure=figure, reads=("cohort", "pd.gaba"),
    tiny=("n_subjects=24", "study.hours=6", "study.arms=[lorazepam_iv_2,lorazepam_iv_4,midazolam_intranasal_5]",
          "study.thresholds=[0.1,0.3]", "study.protect_h=2"),
    question="How fast does a first-line benzodiazepine (by drug, route and dose) reach an effective effect-site "
             "GABA-A occupancy, and for how long does it stay there?")
