"""Question 3 (liver disease): Child-Pugh A/B/C vs healthy adults for Phase I drugs (diazepam,
alprazolam, midazolam) and glucuronidated LOT drugs (lorazepam, oxazepam, temazepam).

Each cohort x drug is one compiled program; the day before each checkpoint (weekly by default) is
summarised, so accumulation over weeks is visible, and the scores cover the whole horizon.  The
ranking orders drugs within each cohort by the median net alpha1 sedation on the last day at the
same diazepam-equivalent dose (lower first), with the exposure ratio to healthy adults and the
accumulation ratio (last checkpoint over first) beside it.  With parameter draws (``n_draws``) the
ranking is taken in each draw and reported over draws (median and central 95%).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from popsim._validate import unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import with_draws
from popsim.experiments.base import Experiment, Result
from popsim.io import over_draws, summary_table
from popsim.plots import median_and_interval, new_axes
from popsim.study import (check_arms, check_checkpoint_days, check_clock_hours, check_day_grid, cohort_dataset,
                          daily_regimens, simulate_arm)

__all__ = ["EXPERIMENT", "HepaticStudy", "figure", "plot_accumulation", "ranking", "ranking_table", "run"]

# the ranking's columns taken in each parameter draw, reported over draws (ranking_table)
OVER_DRAWS = ("cavg_ss", "sedation_mean_ss", "fall_rate_ratio", "p_fall", "p_withdrawal_last_day",
              "exposure_ratio_to_healthy", "accumulation_last_over_first_checkpoint", "rank_by_sedation")
# the report's columns
SHOWN = ("exposure_ratio_to_healthy", "accumulation_last_over_first_checkpoint", "sedation_mean_ss", "rank_by_sedation")


@dataclass
class HepaticStudy(Study):
    """``drugs`` at ``dose_de_mg`` daily diazepam equivalents, split over ``hours_of_day``, for the grid's
    days in each of ``cohorts`` (preset names; the first is the healthy reference of the ranking); the
    day before each of ``checkpoint_days`` is summarised to follow accumulation."""

    cohorts: list[str] = field(default_factory=lambda: ["adult", "cirrhosis_a", "cirrhosis_b", "cirrhosis_c"])
    drugs: list[str] = field(default_factory=lambda: ["diazepam", "alprazolam", "midazolam", "lorazepam",
                                                      "oxazepam", "temazepam"])
    dose_de_mg: list[float] = field(default_factory=lambda: [5.0])
    hours_of_day: list[float] = field(default_factory=lambda: [8.0, 20.0])
    checkpoint_days: list[float] = field(default_factory=lambda: [7.0, 14.0, 21.0, 28.0])

    def check(self, cfg) -> None:
        unique("study.cohorts", self.cohorts)
        check_arms("study", self.cohorts, self.drugs, self.dose_de_mg)
        check_day_grid("hepatic", cfg.grid.dt_h)
        check_clock_hours("study.hours_of_day", self.hours_of_day, cfg.grid.dt_h)
        check_checkpoint_days("study.checkpoint_days", self.checkpoint_days, cfg.grid.days)


def ranking(ds: xr.Dataset, healthy: str) -> pd.DataFrame:
    """One row per cohort x drug x dose: medians of exposure, sedation and scores, the share of subjects in
    clinically significant withdrawal on the last day (a 0/1 per subject: its mean), and the rank.  With
    parameter draws (a ``draw`` dimension) all of it is taken in each draw: one row per draw as well (column
    ``draw``)."""
    if "draw" in ds.dims:
        return pd.concat([ranking(ds.isel(draw=k, drop=True), healthy).assign(draw=k)
                          for k in range(ds.sizes["draw"])], ignore_index=True)
    med = ds[["cavg_ss", "sedation_mean_ss", "fall_rate_ratio", "p_fall"]].median("subject")
    med["p_withdrawal_last_day"] = ds["p_withdrawal_last_day"].mean("subject")
    df = med.to_dataframe().reset_index()
    ref = df[df["cohort"] == healthy].set_index(["drug", "dose_de_mg"])["cavg_ss"]
    same = list(zip(df["drug"], df["dose_de_mg"]))
    df["exposure_ratio_to_healthy"] = df["cavg_ss"].to_numpy() / ref.loc[same].to_numpy()
    occ = ds["effect_a1_mean_day"].median("subject")
    acc = (occ.isel(day=-1) / occ.isel(day=0)).to_dataframe(name="accumulation_last_over_first_checkpoint")
    df = df.merge(acc.reset_index()[["cohort", "drug", "dose_de_mg", "accumulation_last_over_first_checkpoint"]],
                  on=["cohort", "drug", "dose_de_mg"])
    df["rank_by_sedation"] = df.groupby(["cohort", "dose_de_mg"])["sedation_mean_ss"].rank(method="min").astype(int)
    return df.sort_values(["dose_de_mg", "cohort", "rank_by_sedation"]).reset_index(drop=True)


def ranking_table(rank: pd.DataFrame, n_draws: int) -> pd.DataFrame:
    """The ranking as written: :func:`ranking` without draws; with ``n_draws`` > 0 one row per cohort x drug x
    dose with each of :data:`OVER_DRAWS` as its median and central 95% over draws (:func:`popsim.io.over_draws`:
    ``<column>_p2.5``, ``_p50``, ``_p97.5``) and ``ranked_first_draws``, the draws in which the drug sedates least
    in its cohort (rank 1), sorted by the median rank."""
    if not n_draws:
        return rank
    rows = []
    for (x, c, d), g in rank.groupby(["dose_de_mg", "cohort", "drug"], sort=False):
        row = {"cohort": c, "drug": d, "dose_de_mg": x, "dose_mg": g["dose_mg"].iloc[0],
               "ranked_first_draws": int((g["rank_by_sedation"] == 1).sum())}
        for name in OVER_DRAWS:
            row |= {k: float(v) for k, v in over_draws(name, g[name].to_numpy()).items()}
        rows.append(row)
    return (pd.DataFrame(rows).sort_values(["dose_de_mg", "cohort", "rank_by_sedation_p50"], kind="stable")
            .reset_index(drop=True))


def plot_accumulation(ds: xr.Dataset, *, drug: str, ax=None):
    """Median mean alpha1 effect of the day before each checkpoint for ``drug``, one line per cohort
    (first dose of the sweep); with parameter draws, the median over draws and a band of their central 95%."""
    ax = ax or new_axes((4.2, 3.4))
    occ = ds["effect_a1_mean_day"].median("subject")
    dose = float(ds["dose_de_mg"].values[0])
    for j, c in enumerate(ds["cohort"].values):
        y, err = median_and_interval(occ.sel(cohort=c, drug=drug, dose_de_mg=dose))
        if err is not None:
            ax.fill_between(ds["day"], y - err[0], y + err[1], color=f"C{j}", alpha=0.15, lw=0)
        ax.plot(ds["day"], y, "o-", color=f"C{j}", label=str(c))
    ax.set_title(f"{drug}, {dose:g} mg/day diazepam-equivalent", fontsize=9)
    ax.set_xlabel("day")
    return ax


def figure(ds: xr.Dataset):
    """One panel per drug (:func:`plot_accumulation`), so accumulation over weeks and the cohort contrast
    show together."""
    import matplotlib.pyplot as plt

    drugs = list(dict.fromkeys(ds.indexes["regimen"].get_level_values("drug")))
    cols = min(3, len(drugs))
    rows = -(-len(drugs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False, sharey=True)
    for ax, d in zip(axes.flat, drugs):
        plot_accumulation(ds, drug=d, ax=ax)
    for ax in axes[:, 0]:
        ax.set_ylabel(textwrap.fill("median mean alpha1 effect over the day [1]", 28))
    for ax in list(axes.flat)[len(drugs):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Accumulation by Child-Pugh class: Phase I drugs vs glucuronidated (LOT) drugs" + (
        f"\n(median over subjects; line: median, band: 95% over {ds.sizes['draw']} parameter draws)"
        if "draw" in ds.dims else ""), fontsize=11)
    fig.tight_layout()
    return fig


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over cohort x regimen (``drug``, ``dose_de_mg``) x [draw x] subject with the checkpoint days, and
    the ranking (in each draw, reported over draws with ``n_draws``)."""
    s, g = cfg.study, cfg.grid
    checkpoints = [d * 24.0 for d in s.checkpoint_days]
    values = EXPERIMENT.pd_values(cfg)
    results, covariates = {}, {}
    for c in s.cohorts:
        for d in s.drugs:
            U = daily_regimens(g, d, [(x, s.hours_of_day) for x in s.dose_de_mg])
            results[c, d] = simulate_arm(Arm(d, "oral", c, g.dt_h, g.n_steps), U, seed=cfg.seed,
                                         n_subjects=cfg.n_subjects, values=values, checkpoints_h=checkpoints,
                                         chunk_size=cfg.chunk_size, dtype=dtype,
                                         progress=progress and progress(f"{c}/{d}"))
            covariates[c] = results[c, d].covariates
    ds = cohort_dataset(results, covariates, s.cohorts, s.drugs, s.dose_de_mg, checkpoints)
    rank = ranking_table(ranking(ds, s.cohorts[0]), cfg.n_draws)
    cols = ["cohort", "drug", "dose_de_mg"]
    if cfg.n_draws:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
        shown = rank[cols].assign(**{name: [f"{m:.3g} ({lo:.3g}-{hi:.3g})" for lo, m, hi in zip(
            *(rank[f"{name}_p{q}"] for q in ("2.5", "50", "97.5")))] for name in SHOWN},
            ranked_first_draws=rank["ranked_first_draws"])
    else:
        shown = rank[cols + list(SHOWN)].round(3)
    report = (f"Exposure relative to {s.cohorts[0]} and ranking by median net sedation on the last day (1 = least)"
              + (f"; median (95% interval) over {cfg.n_draws} parameter draws, ranked_first_draws: the draws in "
                 "which the drug ranks first" if cfg.n_draws else "") + ":\n" + shown.to_string(index=False))
    return Result(ds, {"summary": summary_table(ds), "ranking": rank},
                  f"{len(s.drugs)} drugs x {len(s.cohorts)} cohorts x {cfg.n_subjects} subjects"
                  + (f" x {cfg.n_draws} parameter draws" if cfg.n_draws else "") + f", {g.days:g} days", report)


EXPERIMENT = Experiment(
    name="hepatic", schema=HepaticStudy, run=run, figure=figure,
    reads=("grid.dt_h", "grid.days", "pd.gaba", "pd.falls", "pd.withdrawal"),
    tiny=("n_subjects=64", "grid.days=14", "study.checkpoint_days=[7,14]", "study.drugs=[alprazolam,lorazepam]",
          "study.cohorts=[adult,cirrhosis_c]"),
    question="In Child-Pugh A, B and C cirrhosis, how much more do the Phase I benzodiazepines accumulate than the "
             "glucuronidated LOT drugs, what does that do to sedation and the risk scores, and which drug is safer?",
    draws=True)
