"""Question 1 (interdose withdrawal): how far GABA-A effect swings between doses at steady state,
and the probability of withdrawal between doses, for alprazolam immediate- and extended-release,
clonazepam and diazepam over a sweep of dosing intervals at the same daily diazepam-equivalent dose.

Each formulation is one compiled program (its regimens: daily dose x interval).  An extended-release
formulation (``<drug>_xr``) is the drug's oral route with each dose released at a constant rate over
``xr_release_h`` into the gut depot (on the grid: equal parts at every step of the release).  The
last day is the steady-state window: effect swing (peak - trough) / peak, trough effect, mean
net sedation and P(clinically significant withdrawal during that day), the interdose withdrawal
that the swing causes.  With parameter draws (``n_draws``) each regimen's median swing and trough and
mean P(withdrawal) are taken in each draw and reported over draws (median and central 95%).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import finite, on_grid, unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import annotate, regimen_dataset, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.io import over_draws, summary_table
from popsim.plots import label, median_and_interval, new_axes, side_by_side
from popsim.study import check_arms, de_dose_mg, simulate_arm

__all__ = ["EXPERIMENT", "InterdoseStudy", "by_regimen", "doses", "figure", "plot_swing", "plot_withdrawal", "run"]

LEVELS = ["formulation", "dose_de_mg", "interval_h"]
OUTPUTS = ("cavg_ss", "effect_a1_mean_ss", "effect_a1_max_ss", "effect_a1_min_ss", "effect_swing_ss",
           "sedation_mean_ss", "p_withdrawal_last_day", "p_withdrawal", "fall_rate_ratio")
# the report's numbers per regimen (by_regimen)
REPORTED = ["effect_swing_ss", "effect_a1_min_ss", "p_withdrawal_last_day"]


@dataclass
class InterdoseStudy(Study):
    """``formulations`` (library drugs; ``<drug>_xr``: extended release, each dose released evenly over
    ``xr_release_h``) at ``dose_de_mg`` daily diazepam equivalents split into doses every ``interval_h``,
    for the grid's days."""

    formulations: list[str] = field(default_factory=lambda: ["alprazolam", "alprazolam_xr", "clonazepam", "diazepam"])
    dose_de_mg: list[float] = field(default_factory=lambda: [20.0, 60.0])
    interval_h: list[float] = field(default_factory=lambda: [6.0, 8.0, 12.0, 24.0])
    # No extended-release data in literature.md: an assumption placed so that tmax falls in the 5-11 h
    # the XANAX XR label gives (memory, unverified).
    xr_release_h: float = 8.0

    def check(self, cfg) -> None:
        grid = cfg.grid
        unique("study.formulations", self.formulations)
        for i, f in enumerate(self.formulations):
            try:
                check_arms("study", [], [f.removesuffix("_xr")], self.dose_de_mg)
            except ValueError as e:
                raise ValueError(f"study.formulations[{i}]={f!r}: {e}") from None
        unique("study.interval_h", self.interval_h)
        for i, tau in enumerate(self.interval_h):
            finite(f"study.interval_h[{i}]", tau, low=0, low_open=True, high=24)
            on_grid(f"study.interval_h[{i}]", tau, grid.dt_h)
            if abs(24.0 / tau - round(24.0 / tau)) > 1e-9:
                raise ValueError(f"study.interval_h[{i}]={tau!r}; allowed: an interval that divides 24 h (the "
                                 "steady-state window is the last day)")
        finite("study.xr_release_h", self.xr_release_h, low=0, low_open=True, high=24)
        on_grid("study.xr_release_h", self.xr_release_h, grid.dt_h)
        if grid.days < 2:
            raise ValueError(f"grid.days={grid.days!r}: the interdose experiment reads the last day at steady "
                             "state; allowed: >= 2")


def doses(n_steps: int, dt: float, daily_mg: float, interval_h: float, release_h: float = 0.0) -> np.ndarray:
    """(n_steps,) oral inputs (mg per step): ``daily_mg * interval_h / 24`` every ``interval_h`` from t = 0,
    each released evenly over ``release_h`` (0: immediate release, one bolus)."""
    u = np.zeros(n_steps)
    every, parts = round(interval_h / dt), max(1, round(release_h / dt))
    dose = daily_mg * interval_h / 24.0
    for start in range(0, n_steps, every):
        stop = min(start + parts, n_steps)
        u[start:stop] += dose / parts
    return u


def by_regimen(ds: xr.Dataset) -> pd.DataFrame:
    """Per regimen (index :data:`LEVELS`): the median effect swing and trough and the mean P(withdrawal during the
    last day) (:data:`REPORTED`).  With parameter draws each is taken in each draw and given as its median and
    central 95% over draws (:func:`popsim.io.over_draws`: ``<name>_p2.5``, ``_p50``, ``_p97.5``; LEVELS as
    columns)."""
    table = ds[REPORTED[:2]].median("subject").to_dataframe()
    table[REPORTED[2]] = ds[REPORTED[2]].mean("subject").to_series()
    if "draw" not in ds.dims:
        return table[REPORTED]
    return pd.DataFrame([{**dict(zip(LEVELS, key)), **{k: float(v) for name in REPORTED
                                                       for k, v in over_draws(name, rows[name].to_numpy()).items()}}
                         for key, rows in table.groupby(level=LEVELS, sort=False)])


def plot_swing(ds: xr.Dataset, *, ax=None):
    """Median alpha1 effect swing at steady state (90% population band) against the dosing interval,
    per formulation, at the largest daily dose; with parameter draws, the median and band of each draw's
    population percentiles over draws, and error bars of the central 95% over draws of the median."""
    ax = ax or new_axes()
    idx = ds.indexes["regimen"]
    top = sorted(set(idx.get_level_values("dose_de_mg")))[-1]
    swing = ds["effect_swing_ss"].quantile([0.05, 0.5, 0.95], "subject")
    for j, f in enumerate(dict.fromkeys(idx.get_level_values("formulation"))):
        s = swing.sel(formulation=f, dose_de_mg=top).sortby("interval_h")
        tau = s["interval_h"].values
        band = s.median("draw") if "draw" in s.dims else s
        ax.fill_between(tau, band.sel(quantile=0.05), band.sel(quantile=0.95), color=f"C{j}", alpha=0.15, lw=0)
        y, err = median_and_interval(s.sel(quantile=0.5))
        ax.errorbar(tau, y, yerr=err, fmt="o-", color=f"C{j}", capsize=2, label=f)
    ax.set_xlabel(label(ds["interval_h"]))
    ax.set_ylabel(label(ds["effect_swing_ss"], 45))
    ax.set_title(textwrap.fill(f"{top:g} mg/day diazepam-equivalent: median and 90% band" + (
        f" (medians over draws); error bars: 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims
        else ""), 70), fontsize=9)
    ax.set_xticks(sorted(set(idx.get_level_values("interval_h"))))
    ax.legend(fontsize=7)
    return ax


def plot_withdrawal(ds: xr.Dataset, *, ax=None):
    """Population mean P(clinically significant withdrawal during the last day) against the interval, per
    formulation and daily dose; with parameter draws, the median over draws with error bars of their central
    95%."""
    ax = ax or new_axes()
    idx = ds.indexes["regimen"]
    doses_de = sorted(set(idx.get_level_values("dose_de_mg")))
    p = ds["p_withdrawal_last_day"].mean("subject")
    for j, f in enumerate(dict.fromkeys(idx.get_level_values("formulation"))):
        for x in doses_de:
            v = p.sel(formulation=f, dose_de_mg=x).sortby("interval_h")
            y, err = median_and_interval(v)
            ax.errorbar(v["interval_h"], y, yerr=err, fmt="o-" if x == doses_de[-1] else "s--", color=f"C{j}",
                        capsize=2, label=f"{f}, {x:g} mg/day DE")
    ax.set_xlabel(label(ds["interval_h"]))
    ax.set_ylabel(label(ds["p_withdrawal_last_day"], 45))
    # linear below the smallest positive value, logarithmic above: readable whatever the range of the risks
    ax.set_yscale("symlog", linthresh=float(p.where(p > 0).min()) if bool((p > 0).any()) else 1e-6)
    ax.set_ylim(bottom=0)
    ax.set_title(textwrap.fill("population mean (interdose withdrawal at steady state)" + (
        f"; median and 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims else ""), 70), fontsize=9)
    ax.set_xticks(sorted(set(idx.get_level_values("interval_h"))))
    ax.legend(fontsize=6)
    return ax


def figure(ds: xr.Dataset):
    """Swing (left) and interdose withdrawal (right)."""
    return side_by_side(ds, (plot_swing, plot_withdrawal),
                        title="Interdose swing and withdrawal ({cohort} cohort, day {days})")


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`) x [draw x] subject; with ``n_draws``, the table ``by_regimen`` (the
    report's numbers in each draw, their median and central 95% over draws)."""
    s, g = cfg.study, cfg.grid
    values = EXPERIMENT.pd_values(cfg)
    labels, parts = [], []
    for form in s.formulations:
        drug, xr_release = form.removesuffix("_xr"), form.endswith("_xr")
        rows = [(form, x, tau) for x in s.dose_de_mg for tau in s.interval_h]
        U = np.stack([doses(g.n_steps, g.dt_h, de_dose_mg(drug, x), tau, s.xr_release_h if xr_release else 0.0)
                      for _, x, tau in rows])[..., None]
        arm = Arm(drug, "oral", cfg.cohort, g.dt_h, g.n_steps)
        parts.append(simulate_arm(arm, U, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                                  chunk_size=cfg.chunk_size, dtype=dtype, progress=progress and progress(form)))
        labels += rows
    ds = regimen_dataset(labels, LEVELS, {name: np.concatenate([p.values[name] for p in parts]) for name in OUTPUTS},
                         covariates=parts[0].covariates)
    ds = ds.assign_coords(drug=("regimen", [f.removesuffix("_xr") for f, _, _ in labels]),
                          dose_mg=("regimen", [de_dose_mg(f.removesuffix("_xr"), x) for f, x, _ in labels]))
    ds = annotate(ds, drug=("1", "library drug of the formulation"))
    ds.attrs.update({"cohort": cfg.cohort.name, "xr_release_h": s.xr_release_h, "days": g.days})
    table, tables = by_regimen(ds), {"summary": summary_table(ds)}
    if cfg.n_draws:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
        tables["by_regimen"] = table
        shown = table[LEVELS].assign(**{name: [f"{m:.3g} ({lo:.3g}-{hi:.3g})" for lo, m, hi in zip(
            *(table[f"{name}_p{q}"] for q in ("2.5", "50", "97.5")))] for name in REPORTED}).to_string(index=False)
    else:
        shown = table.round(4).to_string()
    report = ("Median effect swing and trough, and mean P(withdrawal during the last day), by regimen"
              + (f"; median (95% interval) over {cfg.n_draws} parameter draws" if cfg.n_draws else "") + ":\n" + shown)
    return Result(ds, tables, f"{list(s.formulations)} x {ds.sizes['regimen']} regimens x {cfg.n_subjects} subjects "
                  + (f"x {cfg.n_draws} parameter draws " if cfg.n_draws else "") + f"({cfg.cohort.name}), "
                  f"{g.days:g} days", report)


EXPERIMENT = Experiment(
    name="interdose", schema=InterdoseStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "grid.days", "pd.gaba", "pd.falls", "pd.withdrawal"),
    tiny=("n_subjects=16", "grid.dt_h=0.5", "grid.days=6", "study.formulations=[alprazolam,alprazolam_xr,clonazepam]",
          "study.dose_de_mg=[40]", "study.interval_h=[8,12,24]", "study.xr_release_h=12"),
    question="How far does GABA-A effect swing between doses, and how likely is withdrawal between doses, for "
             "alprazolam IR vs XR vs clonazepam vs diazepam at the same daily diazepam-equivalent dose?",
    draws=True)
