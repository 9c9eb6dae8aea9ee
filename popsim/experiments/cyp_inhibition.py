"""Question 3 (CYP3A4 and CYP2C19 inhibitors): each benzodiazepine alone and with each perpetrator,
taken throughout, started mid-regimen or stopped mid-regimen.

Every subject of the cohort takes the perpetrator in its arms (the same people as in the control arm:
ratios are paired).  The perpetrator is simulated per subject and the activity of the enzymes it acts
on (CYP3A4 in liver and gut, CYP2C19 in the liver) follows its unbound concentrations hour by hour
(:mod:`popsim.interactions`); the drug's clearance (each pathway's share) and bioavailability follow,
in each subject's CYP2C19 phenotype.  One compiled program per drug x perpetrator; the schedules are
runtime inputs.  Per subject: the readout of :func:`popsim.study.simulate_arm`, weekly checkpoints, and
the ratios to the control arm of Cavg (the drug's and each active metabolite's, e.g. nordiazepam and
oxazepam after diazepam) and of mean alpha1 effect on the last day.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, on_grid, unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import annotate, register, regimen_dataset, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.io import over_draws, summary_table
from popsim.plots import median_and_interval, new_axes, side_by_side
from popsim.regimen import fixed_interval
from popsim.study import (check_arms, check_checkpoint_days, check_clock_hours, check_day_grid, daily_regimens,
                          simulate_arm)

__all__ = ["EXPERIMENT", "SCHEDULES", "CypInhibitionStudy", "figure", "perpetrator_doses", "plot_exposure_ratio",
           "plot_effect_course", "ratios_table", "run"]

LEVELS = ["drug", "dose_de_mg", "inhibitor", "schedule"]
SCHEDULES = ("throughout", "started", "stopped")
register({
    "cavg_ratio_ss": ("1", "Cavg over the last day with the perpetrator / without (same subject)"),
    "effect_ratio_ss": ("1", "mean alpha1 effect over the last day with the perpetrator / without"),
    "metabolite_cavg_ss": ("mg L-1", "average plasma concentration of the active metabolite over the last day "
                                     "(NaN: not formed from this drug)"),
    "metabolite_cavg_ratio_ss": ("1", "metabolite Cavg over the last day with the perpetrator / without (same "
                                      "subject; NaN: not formed)"),
})
# level names whose meaning is this Dataset's own
LOCAL = {"inhibitor": ("1", "CYP3A4/CYP2C19 perpetrator taken with the drug (none: the control arm)"),
         "schedule": ("1", "when the perpetrator is taken: throughout, started on start_day, stopped after "
                           "stop_day (none: the control arm)")}


@dataclass
class CypInhibitionStudy(Study):
    """``drugs`` at ``dose_de_mg`` daily diazepam equivalents split over ``hours_of_day`` for the grid's days
    in the cohort, alone and with each perpetrator (``perpetrators``: name -> [dose mg, interval h], oral)
    taken ``throughout``, ``started`` on ``start_day`` or ``stopped`` after ``stop_day``; the day before
    each of ``checkpoint_days`` is summarised."""

    PERPETRATOR = True  # its own check refuses a cohort fraction: the arms give it to everyone

    drugs: list[str] = field(default_factory=lambda: ["alprazolam", "midazolam", "triazolam", "diazepam",
                                                      "lorazepam"])
    dose_de_mg: list[float] = field(default_factory=lambda: [5.0])
    hours_of_day: list[float] = field(default_factory=lambda: [8.0, 20.0])
    # usual regimens (as in the clinical DDI studies of shared/science/data; ritonavir: the boosting dose)
    perpetrators: dict[str, list[float]] = field(default_factory=lambda: {
        "ritonavir": [100.0, 12.0], "ketoconazole": [400.0, 24.0], "itraconazole": [200.0, 24.0],
        "clarithromycin": [500.0, 12.0], "erythromycin": [500.0, 8.0], "voriconazole": [200.0, 12.0],
        "fluconazole": [200.0, 24.0], "fluvoxamine": [100.0, 24.0], "omeprazole": [40.0, 24.0]})
    schedules: list[str] = field(default_factory=lambda: list(SCHEDULES))
    start_day: float = 7.0
    stop_day: float = 14.0
    checkpoint_days: list[float] = field(default_factory=lambda: [7.0, 14.0, 21.0, 28.0])

    def check(self, cfg) -> None:
        from popsim.drugs.library import load, names

        g = cfg.grid
        check_arms("study", [], self.drugs, self.dose_de_mg)
        check_day_grid("cyp_inhibition", g.dt_h)
        check_clock_hours("study.hours_of_day", self.hours_of_day, g.dt_h)
        check_checkpoint_days("study.checkpoint_days", self.checkpoint_days, g.days)
        if cfg.cohort.p_perpetrator != 0:
            raise ValueError(f"cohort.p_perpetrator={cfg.cohort.p_perpetrator!r}: the cyp_inhibition experiment gives "
                             "the perpetrator to every subject of its perpetrator arms and to none in the control "
                             "arm; allowed: 0")
        perps = [n for n in names() if load(n).kind == "perpetrator"]
        if not self.perpetrators:
            raise ValueError("study.perpetrators: at least one")
        for name, regimen in self.perpetrators.items():
            choice("study.perpetrators key", name, perps)
            if len(regimen) != 2:
                raise ValueError(f"study.perpetrators.{name}={list(regimen)!r}; allowed: [dose_mg, interval_h]")
            finite(f"study.perpetrators.{name}[0] (dose_mg)", regimen[0], low=0, low_open=True, high=10000)
            finite(f"study.perpetrators.{name}[1] (interval_h)", regimen[1], low=0, low_open=True, high=168)
            on_grid(f"study.perpetrators.{name}[1]", regimen[1], g.dt_h)
        unique("study.schedules", self.schedules)
        for i, sch in enumerate(self.schedules):
            choice(f"study.schedules[{i}]", sch, SCHEDULES)
        for key in ("start_day", "stop_day"):
            finite(f"study.{key}", getattr(self, key), low=0, high=g.days)
            if getattr(self, key) != round(getattr(self, key)):
                raise ValueError(f"study.{key}={getattr(self, key)!r}; allowed: whole days")


def perpetrator_doses(n_steps: int, dt: float, dose_mg: float, interval_h: float, schedule: str, start_day: float,
                      stop_day: float) -> np.ndarray:
    """(time,) perpetrator doses for a schedule: ``throughout``, ``started`` on ``start_day``, ``stopped``
    after ``stop_day``."""
    if schedule == "throughout":
        return fixed_interval(n_steps, dt, dose_mg, interval_h)
    if schedule == "started":
        return fixed_interval(n_steps, dt, dose_mg, interval_h, start_day * 24.0)
    n = int(np.ceil(stop_day * 24.0 / interval_h))
    return fixed_interval(n_steps, dt, dose_mg, interval_h, n_doses=n)


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`; the control arm is ``inhibitor="none", schedule="none"``) x
    subject (x ``draw`` before it with ``n_draws``), with the checkpoint days, and over ``metabolite`` (the
    drugs' active library metabolites)."""
    s, g = cfg.study, cfg.grid
    checkpoints = [d * 24.0 for d in s.checkpoint_days]
    values = EXPERIMENT.pd_values(cfg)
    draw = ("draw",) if cfg.n_draws else ()
    labels, parts = [], []
    covariates = None
    for d in s.drugs:
        U = daily_regimens(g, d, [(x, s.hours_of_day) for x in s.dose_de_mg])
        common = dict(seed=cfg.seed, n_subjects=cfg.n_subjects, values=values, checkpoints_h=checkpoints,
                      chunk_size=cfg.chunk_size, dtype=dtype)
        control = simulate_arm(Arm(d, "oral", cfg.cohort, g.dt_h, g.n_steps), U,
                               progress=progress and progress(f"{d}/none"), **common)
        covariates = control.covariates
        arms = [("none", "none", control)]
        for perp, (mg, tau) in s.perpetrators.items():
            arm = Arm(d, "oral", cfg.cohort, g.dt_h, g.n_steps, perpetrator=perp)
            for sch in s.schedules:
                doses = perpetrator_doses(g.n_steps, g.dt_h, mg, tau, sch, s.start_day, s.stop_day)
                arms.append((perp, sch, simulate_arm(arm, U, perpetrator_doses=doses,
                                                     progress=progress and progress(f"{d}/{perp}/{sch}"), **common)))
        for perp, sch, r in arms:
            ratios = {"cavg_ratio_ss": r.values["cavg_ss"] / control.values["cavg_ss"],
                      "effect_ratio_ss": r.values["effect_a1_mean_ss"] / control.values["effect_a1_mean_ss"]}
            metabolites = {m: (c, c / control.metabolites[m]) for m, c in r.metabolites.items()}
            parts.append((r, ratios, metabolites))
            labels += [(d, x, perp, sch) for x in s.dose_de_mg]
    ds = regimen_dataset(labels, LEVELS, {name: np.concatenate([r.values[name] for r, _, _ in parts])
                                          for name in parts[0][0].values}, covariates=covariates)
    ds = ds.assign_coords(day=np.asarray(s.checkpoint_days, float))
    for name in parts[0][0].by_day:
        ds[name] = (("day", "regimen", *draw, "subject"),
                    np.concatenate([r.by_day[name] for r, _, _ in parts], axis=1))
    for name in parts[0][1]:
        ds[name] = (("regimen", *draw, "subject"), np.concatenate([q[name] for _, q, _ in parts]))
    metabolites = list(dict.fromkeys(m for _, _, ms in parts for m in ms))
    if metabolites:
        ds = ds.assign_coords(metabolite=metabolites)
        for k, name in enumerate(("metabolite_cavg_ss", "metabolite_cavg_ratio_ss")):
            blocks = [np.stack([ms[m][k] if m in ms else np.full_like(r.values["cavg_ss"], np.nan)
                                for m in metabolites]) for r, _, ms in parts]
            ds[name] = (("metabolite", "regimen", *draw, "subject"), np.concatenate(blocks, axis=1))
    ds = annotate(ds, **LOCAL)
    ds.attrs.update({"cohort": cfg.cohort.name, "start_day": s.start_day, "stop_day": s.stop_day,
                     "perpetrator_regimens": "; ".join(f"{k} {v[0]:g} mg every {v[1]:g} h"
                                                       for k, v in s.perpetrators.items())})
    headline = (f"{len(s.drugs)} drugs x {len(s.perpetrators)} perpetrators x {list(s.schedules)} in "
                f"{cfg.cohort.name}, {cfg.n_subjects} subjects, {g.days:g} days")
    if cfg.n_draws:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
        table = ratios_table(ds)
        report = (f"Median ratio on the last day with / without the perpetrator (taken throughout), in each "
                  f"parameter draw; median (95% interval) over {cfg.n_draws} parameter draws.\nCavg:\n"
                  + _ratio_table(ds["cavg_ratio_ss"], s.schedules).to_string()
                  + "\nmean alpha1 effect:\n" + _ratio_table(ds["effect_ratio_ss"], s.schedules).to_string())
        for m in metabolites:
            report += (f"\n{m} (metabolite), Cavg:\n" + _ratio_table(
                ds["metabolite_cavg_ratio_ss"].sel(metabolite=m), s.schedules).dropna(how="all").to_string())
        return Result(ds, {"summary": summary_table(ds), "ratios": table},
                      headline + f" x {cfg.n_draws} parameter draws", report)
    report = ("Median ratio of Cavg on the last day with / without the perpetrator (taken throughout):\n"
              + _ratio_table(ds["cavg_ratio_ss"], s.schedules).round(2).to_string())
    for m in metabolites:
        report += (f"\n{m} (metabolite), the same ratio:\n"
                   + _ratio_table(ds["metabolite_cavg_ratio_ss"].sel(metabolite=m), s.schedules).dropna(how="all")
                   .round(2).to_string())
    return Result(ds, {"summary": summary_table(ds)}, headline, report)


def ratios_table(ds: xr.Dataset) -> pd.DataFrame:
    """With parameter draws: per regimen (:data:`LEVELS`), the median over subjects of the paired ratios
    ``cavg_ratio_ss`` and ``effect_ratio_ss`` taken in each draw, as their median and central 95% over draws
    (:func:`popsim.io.over_draws`: ``<name>_p2.5``, ``_p50``, ``_p97.5``)."""
    out = ds.indexes["regimen"].to_frame(index=False)
    for name in ("cavg_ratio_ss", "effect_ratio_ss"):
        med = ds[name].median("subject").transpose("regimen", "draw").values
        out = out.assign(**over_draws(name, med))
    return out


def _ratio_table(ratio, schedules):
    """Median ratio over subjects, drug (x dose) by inhibitor, for the perpetrator taken throughout; with
    parameter draws, taken in each draw and shown as "median (2.5%-97.5%)" over draws (one number where the
    draws agree to 3 digits)."""
    med = ratio.median("subject")
    if "draw" in med.dims:
        q = over_draws("x", med.transpose(..., "draw").values)
        text = [f"{m:.3g}" if f"{lo:.3g}" == f"{hi:.3g}" else f"{m:.3g} ({lo:.3g}-{hi:.3g})"
                for lo, m, hi in zip(*(np.ravel(v) for v in q.values()))]
        med = pd.Series(np.where(np.isnan(q["x_p50"]).ravel(), None, text), index=med.indexes["regimen"])
    else:
        med = med.to_series()
    return med.xs("throughout", level="schedule").unstack("inhibitor") if "throughout" in schedules else med


def _levels(ds: xr.Dataset):
    idx = ds.indexes["regimen"]
    drugs = list(dict.fromkeys(idx.get_level_values("drug")))
    perps = [p for p in dict.fromkeys(idx.get_level_values("inhibitor")) if p != "none"]
    schedules = [s for s in dict.fromkeys(idx.get_level_values("schedule")) if s != "none"]
    return drugs, perps, schedules


def plot_exposure_ratio(ds: xr.Dataset, *, ax=None):
    """Median last-day Cavg ratio (with / without the perpetrator, same subjects) per drug and perpetrator,
    taken throughout (or the first schedule run); with parameter draws, the median over draws with the central
    95% over draws as error bars."""
    ax = ax or new_axes()
    drugs, perps, schedules = _levels(ds)
    ratio = ds["cavg_ratio_ss"].median("subject")
    mid, err = median_and_interval(ratio)
    index = ds.indexes["regimen"].droplevel("dose_de_mg")
    first = ~index.duplicated()
    med = pd.Series(mid[first], index=index[first])
    err = None if err is None else pd.DataFrame(err[:, first].T, index=index[first])
    width = 0.8 / max(len(perps), 1)
    sched = "throughout" if "throughout" in schedules else schedules[0]
    for j, p in enumerate(perps):
        keys = [(d, p, sched) for d in drugs]
        bars = None if err is None else np.array([err.loc[k].values if k in err.index else [np.nan] * 2
                                                  for k in keys]).T
        ax.bar(np.arange(len(drugs)) + (j - (len(perps) - 1) / 2) * width, [med.get(k, np.nan) for k in keys],
               width, yerr=bars, capsize=2, label=p, color=f"C{j}")
    ax.axhline(1.0, color="0.4", ls=":")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(drugs)), drugs, rotation=20)
    ax.set_ylabel("median Cavg ratio, last day (with / without; log)")
    ax.set_title(textwrap.fill(f"Exposure with each CYP3A4/CYP2C19 perpetrator ({sched})" + (
        f"; median and 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims else ""), 50), fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_effect_course(ds: xr.Dataset, *, ax=None):
    """Median mean alpha1 effect at each checkpoint for each drug alone (solid) and with the first
    perpetrator started (dashed) and stopped (dotted) mid-regimen; with parameter draws, the median over
    draws and a band of their central 95%."""
    ax = ax or new_axes()
    drugs, perps, schedules = _levels(ds)
    occ = ds["effect_a1_mean_day"].median("subject")
    first = {}  # (drug, inhibitor, schedule) -> position of its first dose
    for i, (d, _, p, sch) in enumerate(ds.indexes["regimen"]):
        first.setdefault((d, p, sch), i)
    for k, d in enumerate(drugs):
        for sch, ls in (("none", "-"), ("started", "--"), ("stopped", ":")):
            key = (d, "none", "none") if sch == "none" else (d, perps[0], sch)
            if sch != "none" and sch not in schedules:
                continue
            y, err = median_and_interval(occ.isel(regimen=first[key]))
            if err is not None:
                ax.fill_between(ds["day"], y - err[0], y + err[1], color=f"C{k}", alpha=0.15, lw=0)
            ax.plot(ds["day"], y, ls, color=f"C{k}", label=f"{d}" if sch == "none" else None)
    ax.set_xlabel("day")
    ax.set_ylabel(textwrap.fill("median mean alpha1 effect over the day [1]", 30))
    ax.set_title(textwrap.fill(f"Alone (solid), {perps[0]} started (dashed) or stopped (dotted) mid-regimen" + (
        f"; band: 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims else ""), 50), fontsize=10)
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """Cavg ratios (left), effect over the weeks when the first perpetrator is started or stopped (right)."""
    return side_by_side(ds, (plot_exposure_ratio, plot_effect_course))


EXPERIMENT = Experiment(
    name="cyp_inhibition", schema=CypInhibitionStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "grid.days", "pd.gaba", "pd.falls", "pd.withdrawal"),
    # a CYP3A4 and a CYP2C19 perpetrator; a CYP3A4 substrate, diazepam (both enzymes, two active metabolites)
    # and a glucuronidated drug
    tiny=("n_subjects=32", "grid.days=14", "study.checkpoint_days=[7,14]",
          "study.drugs=[alprazolam,diazepam,lorazepam]", "study.start_day=7", "study.stop_day=7")
    + tuple(f"~study.perpetrators.{p}" for p in ("ketoconazole", "itraconazole", "clarithromycin", "erythromycin",
                                                 "voriconazole", "fluconazole", "fluvoxamine")),
    question="How much do the CYP3A4 and CYP2C19 perpetrators raise each benzodiazepine's (and its active "
             "metabolites') exposure and receptor effect, and "
             "what happens when the perpetrator is started or stopped partway through a regimen?",
    draws=True)
