"""Question 9 (receptor subtypes): GABA-A alpha1 (sedation, sleep) vs alpha2 (anxiolysis) effect
over the day at steady state, for classical benzodiazepines and the alpha1-preferring zolpidem.

Each drug is one compiled program; its regimens are schedule (clock hours) x daily dose in diazepam
equivalents.  The last simulated day is kept as a time course for every subject, and split into
night (``night_hours``, the hypnotic window) and day (the rest: residual sedation for a hypnotic,
the anxiolytic window for an anxiolytic).  Classical benzodiazepines are taken as non-selective
(alpha1 and alpha2 affinities equal), so their alpha1/alpha2 ratio is 1 by construction and the
contrast with zolpidem rests on its entry's ``a1_selectivity`` (about 10-fold, G24: see the README).
With parameter draws (``n_draws``) the table's medians are taken in each draw and reported over draws
(median and central 95%).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import annotate, register, regimen_dataset, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.io import over_draws, summary_table
from popsim.plots import label, median_and_interval, new_axes
from popsim.regimen import night_mask
from popsim.study import check_arms, check_clock_hours, check_day_grid, daily_regimens, de_dose_mg, simulate_arm

__all__ = ["EXPERIMENT", "LEVELS", "ReceptorSubtypesStudy", "by_subtype", "figure", "plot_clock", "plot_night_day",
           "run"]

LEVELS = ["drug", "schedule", "dose_de_mg"]
SIGNALS = ("effect_a1", "effect_a2")
SUMMARY = ("effect_a1_mean_ss", "effect_a2_mean_ss", "sedation_mean_ss", "cavg_ss", "fall_rate_ratio")
BY_SUBTYPE = ["effect_a1_night", "effect_a1_day", "effect_a2_night", "effect_a2_day", "selectivity_a1_a2"]

register({"clock_h": ("h", "clock time"),
          "selectivity_a1_a2": ("1", "mean alpha1 over mean alpha2 effect, last day")})
register({f"{s}_{part}": ("1", f"mean GABA-A {s.split('_')[1]} effect in the {part} ({where})")
          for s in SIGNALS for part, where in (("night", "clock hours [start, end) of the night_hours attribute"),
                                               ("day", "outside the night_hours attribute"))})
# names whose meaning is this Dataset's own: the time courses of the last day
LOCAL = {"time": ("h", "time since the first dose (last simulated day)")} | {
    s: ("1", f"GABA-A {s.split('_')[1]} agonist effect over the last day") for s in SIGNALS}


@dataclass
class ReceptorSubtypesStudy(Study):
    """``drugs`` at ``dose_de_mg`` daily diazepam equivalents on each of ``schedules`` (name -> clock hours,
    the daily dose split equally) for the grid's days; the last day is kept as a time course and split
    into night (``night_hours`` [start, end)) and day."""

    drugs: list[str] = field(default_factory=lambda: ["alprazolam", "lorazepam", "clonazepam", "diazepam",
                                                      "triazolam", "zolpidem"])
    dose_de_mg: list[float] = field(default_factory=lambda: [5.0])
    schedules: dict[str, list[float]] = field(default_factory=lambda: {"bedtime": [22.0],
                                                                       "three_times_daily": [8.0, 14.0, 22.0]})
    night_hours: list[float] = field(default_factory=lambda: [22.0, 7.0])

    def check(self, cfg) -> None:
        grid = cfg.grid
        check_arms("study", [], self.drugs, self.dose_de_mg)
        check_day_grid("receptor_subtypes", grid.dt_h)
        if grid.days < 2:
            raise ValueError(f"grid.days={grid.days!r}: the receptor_subtypes experiment keeps the last day at steady "
                             "state; allowed: >= 2")
        if not self.schedules:
            raise ValueError("study.schedules: at least one (name -> clock hours)")
        for name, hours in self.schedules.items():
            check_clock_hours(f"study.schedules.{name}", hours, grid.dt_h)
        if len(self.night_hours) != 2:
            raise ValueError(f"study.night_hours={list(self.night_hours)!r}; allowed: [start, end] clock hours")
        if self.night_hours[0] == self.night_hours[1]:
            raise ValueError(f"study.night_hours={list(self.night_hours)!r}: start and end must differ")
        check_clock_hours("study.night_hours", self.night_hours, grid.dt_h)


def by_subtype(ds: xr.Dataset) -> pd.DataFrame:
    """One row per regimen (:data:`LEVELS` as columns): the median over subjects of each of :data:`BY_SUBTYPE`.
    With parameter draws each median is taken in each draw and given as its median and central 95% over draws
    (:func:`popsim.io.over_draws`: ``<name>_p2.5``, ``_p50``, ``_p97.5``)."""
    med = ds[BY_SUBTYPE].median("subject")
    if "draw" not in ds.dims:
        table = med.to_dataframe().reset_index()
        return table.drop(columns=[c for c in table.columns if c not in [*LEVELS, *BY_SUBTYPE]])
    q = {name: over_draws(name, med[name].transpose("regimen", "draw").values) for name in BY_SUBTYPE}
    return pd.DataFrame([{**dict(zip(LEVELS, key)), **{k: float(v[r]) for d in q.values() for k, v in d.items()}}
                         for r, key in enumerate(ds.indexes["regimen"])])


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`) x [draw x] subject, and effect per subtype over the last day
    (regimen x time x [draw x] subject)."""
    s, g = cfg.study, cfg.grid
    values = EXPERIMENT.pd_values(cfg)
    labels, parts = [], []
    for drug in s.drugs:
        rows = [(name, x) for name in s.schedules for x in s.dose_de_mg]
        U = daily_regimens(g, drug, [(x, s.schedules[name]) for name, x in rows])
        arm = Arm(drug, "oral", cfg.cohort, g.dt_h, g.n_steps)
        parts.append(simulate_arm(arm, U, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                                  chunk_size=cfg.chunk_size, dtype=dtype, trajectories=SIGNALS,
                                  progress=progress and progress(drug)))
        labels += [(drug, name, x) for name, x in rows]
    times = parts[0].times
    ds = regimen_dataset(labels, LEVELS, n_subjects=cfg.n_subjects, covariates=parts[0].covariates)
    ds = ds.assign_coords(clock_h=("time", np.mod(times, 24.0)), time=np.asarray(times))
    ds = ds.assign_coords(dose_mg=("regimen", [de_dose_mg(d, x) for d, _, x in labels]))
    # (time, regimen, [draw,] subject) -> (regimen, time, [draw,] subject)
    traj = {sig: np.concatenate([np.moveaxis(p.trajectories[sig], 0, 1) for p in parts]) for sig in SIGNALS}
    draw = ("draw",) if cfg.n_draws else ()
    # the summaries cover the last day [t_end - 24 h, t_end): drop the closing grid point
    night = night_mask(np.mod(times[:-1], 24.0), tuple(s.night_hours))
    for sig in SIGNALS:
        ds[sig] = (("regimen", "time", *draw, "subject"), traj[sig].astype(np.float32))
        day_part, night_part = traj[sig][:, :-1][:, ~night], traj[sig][:, :-1][:, night]
        ds[f"{sig}_night"] = (("regimen", *draw, "subject"), night_part.mean(axis=1))
        ds[f"{sig}_day"] = (("regimen", *draw, "subject"), day_part.mean(axis=1))
    for name in SUMMARY:
        ds[name] = (("regimen", *draw, "subject"), np.concatenate([p.values[name] for p in parts]))
    ds["selectivity_a1_a2"] = (("regimen", *draw, "subject"),
                               ds["effect_a1_mean_ss"].values / ds["effect_a2_mean_ss"].values)
    ds = annotate(ds, **LOCAL)
    ds.attrs.update({"cohort": cfg.cohort.name, "night_hours": list(s.night_hours),
                     "schedules": str(dict(s.schedules))})
    table = by_subtype(ds)
    if cfg.n_draws:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
        shown = table[LEVELS].assign(**{name: [f"{m:.3g} ({lo:.3g}-{hi:.3g})" for lo, m, hi in zip(
            *(table[f"{name}_p{q}"] for q in ("2.5", "50", "97.5")))] for name in BY_SUBTYPE})
    else:
        shown = table.round(3)
    report = ("Median effect by subtype, night and day, and the alpha1/alpha2 ratio"
              + (f"; median (95% interval) over {cfg.n_draws} parameter draws" if cfg.n_draws else "") + ":\n"
              + shown.to_string(index=False))
    return Result(ds, {"summary": summary_table(ds), "by_subtype": table},
                  f"{ds.sizes['regimen']} regimens x {cfg.n_subjects} subjects"
                  + (f" x {cfg.n_draws} parameter draws" if cfg.n_draws else "") + f" ({cfg.cohort.name}), last of "
                  f"{g.days:g} days", report)


def _levels(ds: xr.Dataset, name: str) -> list:
    return list(dict.fromkeys(ds.indexes["regimen"].get_level_values(name)))


def plot_clock(ds: xr.Dataset, *, schedule: str | None = None, ax=None):
    """Median alpha1 (solid) and alpha2 (dashed) effect over the clock of the last day on ``schedule``
    (default: the first), one colour per drug (first dose of the sweep); shaded: the night.  With parameter
    draws, the median over draws and a band of their central 95%."""
    ax = ax or new_axes()
    sch = schedule or _levels(ds, "schedule")[0]
    dose = float(ds["dose_de_mg"].values[0])
    clock = ds["clock_h"].values
    order = np.argsort(clock[:-1], kind="stable")
    med = {s: ds[s].median("subject") for s in SIGNALS}
    for k, d in enumerate(_levels(ds, "drug")):
        for s, ls in (("effect_a1", "-"), ("effect_a2", "--")):
            y, err = median_and_interval(med[s].sel(drug=d, schedule=sch, dose_de_mg=dose).isel(time=slice(None, -1)))
            if err is not None:
                ax.fill_between(clock[:-1][order], (y - err[0])[order], (y + err[1])[order], color=f"C{k}",
                                alpha=0.12, lw=0)
            ax.plot(clock[:-1][order], y[order], ls, color=f"C{k}", label=d if s == "effect_a1" else None)
    night = night_mask(clock[:-1], tuple(ds.attrs.get("night_hours", [22, 7])))
    ax.fill_between(clock[:-1][order], 0, 1, where=night[order], transform=ax.get_xaxis_transform(),
                    color="0.9", zorder=0, step="post")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel(label(ds["clock_h"]))
    ax.set_ylabel(textwrap.fill("median GABA-A effect over the last day [1] (solid alpha1, dashed alpha2)", 40))
    ax.set_title(textwrap.fill(f"{sch}: {dose:g} mg/day diazepam-equivalent; shaded: night; alpha2 lies on "
                               "alpha1 for the non-selective drugs" + (
                                   f"; bands: 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims
                                   else ""), 70), fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_night_day(ds: xr.Dataset, *, schedule: str | None = None, ax=None):
    """Median night and day effect per subtype and drug on ``schedule`` (default: the first), first dose
    of the sweep; with parameter draws, the median over draws with error bars of their central 95%."""
    ax = ax or new_axes()
    sch = schedule or _levels(ds, "schedule")[0]
    dose = float(ds["dose_de_mg"].values[0])
    drugs = _levels(ds, "drug")
    bars = BY_SUBTYPE[:4]
    width = 0.8 / len(bars)
    for b, name in enumerate(bars):
        med = ds[name].median("subject")
        v, err = median_and_interval(med.sel(schedule=sch, dose_de_mg=dose).sel(drug=drugs))
        ax.bar(np.arange(len(drugs)) + (b - 1.5) * width, v, width, yerr=err, capsize=2, color=f"C{b}",
               label=name.replace("effect_", "").replace("_", " "))
    ax.set_xticks(range(len(drugs)), drugs, rotation=20)
    ax.set_ylabel(textwrap.fill("median mean effect [1]", 30))
    ax.set_title(f"{sch}: night (hypnotic window) vs day; alpha1 sedation, alpha2 anxiolysis" + (
        f"\n(error bars: 95% over {ds.sizes['draw']} parameter draws)" if "draw" in ds.dims else ""), fontsize=9)
    ax.set_ylim(top=ax.get_ylim()[1] * 1.2)
    ax.legend(fontsize=7, loc="upper left", ncol=4)
    return ax


def figure(ds: xr.Dataset):
    """One column per schedule: effect over the clock (top), night vs day means (bottom)."""
    import matplotlib.pyplot as plt

    schedules = _levels(ds, "schedule")
    fig, axes = plt.subplots(2, len(schedules), figsize=(6.2 * len(schedules), 8.5), squeeze=False)
    for j, sch in enumerate(schedules):
        plot_clock(ds, schedule=sch, ax=axes[0, j])
        plot_night_day(ds, schedule=sch, ax=axes[1, j])
    fig.suptitle(f"GABA-A alpha1 vs alpha2 effect at steady state ({ds.attrs.get('cohort', '')} cohort)",
                 fontsize=11)
    fig.tight_layout()
    return fig


EXPERIMENT = Experiment(
    name="receptor_subtypes", schema=ReceptorSubtypesStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "grid.days", "pd.gaba", "pd.falls"),
    tiny=("n_subjects=16", "grid.days=3", "grid.dt_h=0.5", "study.drugs=[diazepam,triazolam,zolpidem]"),
    question="How do GABA-A alpha1 (sedation, sleep) and alpha2 (anxiolysis) effect compare over the day, night "
             "and day, for classical benzodiazepines and the alpha1-preferring zolpidem?",
    draws=True)
