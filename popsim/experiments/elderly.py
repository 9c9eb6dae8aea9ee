"""Question 2 (older adults): exposure, sedation and fall risk by age band, and the starting dose.

For every cohort x drug, the drug is simulated once daily at a grid of daily diazepam-equivalent
doses (the reported doses, the reference dose and a geometric search grid) in one compiled program.
The recommended starting dose is found by the simulator: the dose whose median mean alpha1 effect
(last day) equals that of the reference dose in the reference (young) cohort, by monotone
interpolation in log dose over the search grid (a vectorised bisection).  The fall-capped dose is the
largest dose whose median fall-rate ratio (expected falls over those of the same subject untreated) is
at most the cap.  :func:`popsim.dosing.individual_dose` gives a closed-form dose for one person
(typical random effects), reported for each cohort's typical person (median continuous covariates,
most common categories) against the reference cohort's typical person, as a cross-check.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import VARIABLES, annotate, register, with_draws
from popsim.dosing import individual_dose
from popsim.experiments.base import Experiment, Result
from popsim.io import over_draws, summary_table
from popsim.pd.parameters import check_values
from popsim.plots import median_and_interval, new_axes, side_by_side
from popsim.study import (check_arms, check_clock_hours, check_day_grid, cohort_dataset, daily_regimens, de_dose_mg,
                          simulate_arm)

__all__ = ["EXPERIMENT", "ElderlyStudy", "figure", "plot_dose_effect", "plot_recommended", "recommend",
           "recommendations_table", "run"]

SEARCHED = ("effect_a1_mean_ss", "fall_rate_ratio")  # their medians over the search grid are kept
# the recommendations' columns taken in each parameter draw, reported over draws (recommendations_table)
OVER_DRAWS = ("reference_effect_a1", "recommended_de_mg", "recommended_mg", "fall_capped_de_mg", "fall_capped_mg")
register({f"median_{name}_search": (VARIABLES[name][0], f"median {VARIABLES[name][1]} (dose search grid)")
          for name in SEARCHED})
register({
    "search_dose_de_mg": ("mg d-1", "daily dose searched, diazepam equivalents"),
    "drug_searched": ("1", "library drug of the dose search and the recommendations"),
    "recommended_de_mg": ("mg d-1", "recommended starting daily dose, diazepam equivalents: the median mean alpha1 "
                                    "effect (last day) of the reference dose in the reference cohort"),
    "fall_capped_de_mg": ("mg d-1", "largest daily dose, diazepam equivalents, whose median fall-rate ratio is at "
                                    "most the cap"),
})


@dataclass
class ElderlyStudy(Study):
    """``drugs`` at daily diazepam-equivalent doses ``dose_de_mg`` (Ashton) taken once daily at ``dose_hour``
    for the grid's days, in each of ``cohorts`` (preset names).  The recommended starting dose per drug
    and cohort matches the median mean alpha1 effect of ``reference_dose_de_mg`` in
    ``reference_cohort``; the fall-capped dose keeps the median fall-rate ratio (vs untreated) at or
    below ``fall_rate_ratio_cap``.  ``search_points`` doses, geometric from ``search_min_de_mg`` to
    ``search_max_de_mg``, are simulated for both searches."""

    cohorts: list[str] = field(default_factory=lambda: ["healthy_young", "elderly", "very_elderly"])
    drugs: list[str] = field(default_factory=lambda: ["alprazolam", "lorazepam", "diazepam", "oxazepam",
                                                      "temazepam", "zolpidem"])
    dose_de_mg: list[float] = field(default_factory=lambda: [2.5, 5.0, 10.0])
    dose_hour: float = 22.0
    reference_cohort: str = "healthy_young"
    reference_dose_de_mg: float = 5.0
    fall_rate_ratio_cap: float = 1.3
    search_min_de_mg: float = 0.25
    search_max_de_mg: float = 20.0
    search_points: int = 16

    def check(self, cfg) -> None:
        from popsim.cohort.presets import preset_names

        unique("study.cohorts", self.cohorts)
        check_arms("study", self.cohorts, self.drugs, self.dose_de_mg)
        check_day_grid("elderly", cfg.grid.dt_h)
        choice("study.reference_cohort", self.reference_cohort, preset_names())
        for key in ("reference_dose_de_mg", "search_min_de_mg", "search_max_de_mg"):
            finite(f"study.{key}", getattr(self, key), low=0, low_open=True, high=200)
        if not self.search_min_de_mg < self.reference_dose_de_mg < self.search_max_de_mg:
            raise ValueError(f"study: need search_min_de_mg < reference_dose_de_mg < search_max_de_mg; got "
                             f"{self.search_min_de_mg}, {self.reference_dose_de_mg}, {self.search_max_de_mg}")
        finite("study.fall_rate_ratio_cap", self.fall_rate_ratio_cap, low=1, low_open=True, high=100)
        if not isinstance(self.search_points, int) or not 4 <= self.search_points <= 64:
            raise ValueError(f"study.search_points={self.search_points!r}; allowed: an integer 4 to 64")
        try:
            check_clock_hours("study.dose_hour", [self.dose_hour], cfg.grid.dt_h)
        except ValueError as e:  # one hour, not a list
            raise ValueError(str(e).replace("study.dose_hour[0]", "study.dose_hour", 1)) from None


def _interp_dose(doses, response, target):
    """Dose (same units as ``doses``, increasing) where the increasing ``response`` reaches ``target``
    (log-dose interpolation; NaN outside the searched range)."""
    response = np.maximum.accumulate(np.asarray(response, float))
    if not response[0] <= target <= response[-1]:
        return np.nan
    return float(np.exp(np.interp(target, response, np.log(doses))))


def _typical_person(cov: dict) -> dict:
    """A cohort's typical person: the median of continuous covariates, the most common value of
    categorical ones (sex, Child-Pugh class, phenotype, ...)."""
    out = {}
    for k, v in cov.items():
        v = np.asarray(v, float)
        if np.all(v == np.round(v)) and len(np.unique(v)) <= 5:
            values, counts = np.unique(v, return_counts=True)
            out[k] = float(values[np.argmax(counts)])
        else:
            out[k] = float(np.median(v))
    return out


def recommend(results, covariates, s: ElderlyStudy, doses, search, values) -> pd.DataFrame:
    """The recommendations, one row per cohort x drug x ``draw`` (parameter draw; 0 alone without draws), from
    ``results[cohort, drug]`` (:class:`popsim.study.ArmResult` over ``doses``, the search grid ``search`` last):
    the decisions are taken in each draw.  ``individual_dose_typical_person_mg``, the closed-form cross-check,
    uses the point values ``values`` (:func:`popsim.pd.parameters.check_values`) in every draw."""
    k_ref, k_search = len(doses) - len(search) - 1, slice(len(doses) - len(search), None)

    rows = []
    for d in s.drugs:
        ref = results[s.reference_cohort, d].values["effect_a1_mean_ss"][k_ref]
        target = np.atleast_1d(np.median(ref, axis=-1))  # (draw,)
        for c in s.cohorts:
            v = results[c, d].values
            occ = np.median(v["effect_a1_mean_ss"][k_search], axis=-1).reshape(len(search), len(target))
            frr = np.median(v["fall_rate_ratio"][k_search], axis=-1).reshape(len(search), len(target))
            med = _typical_person(covariates[c])
            analytic = individual_dose(d, "oral", med, de_dose_mg(d, s.reference_dose_de_mg),
                                       reference=_typical_person(covariates[s.reference_cohort]), values=values)
            for j in range(len(target)):
                de = _interp_dose(search, occ[:, j], target[j])
                below = np.nonzero(np.maximum.accumulate(frr[:, j]) <= s.fall_rate_ratio_cap)[0]
                cap = np.nan if not len(below) else (_interp_dose(search, frr[:, j], s.fall_rate_ratio_cap)
                                                     if below[-1] < len(search) - 1 else float(search[-1]))
                # outside the searched range: -1 below its lowest dose, +1 above its highest (0 inside)
                side = {"recommended": 0 if np.isfinite(de) else (-1 if target[j] < occ[0, j] else 1),
                        "fall_capped": 0 if np.isfinite(cap) else -1}
                rows.append({"drug": d, "cohort": c, "draw": j, "median_age": med["age"],
                             **{f"{k}_outside": v for k, v in side.items()},
                             "reference_effect_a1": float(target[j]), "recommended_de_mg": de,
                             "recommended_mg": de_dose_mg(d, de) if np.isfinite(de) else np.nan,
                             "fall_capped_de_mg": cap,
                             "fall_capped_mg": de_dose_mg(d, cap) if np.isfinite(cap) else np.nan,
                             "individual_dose_typical_person_mg": analytic})
    return pd.DataFrame(rows)


def recommendations_table(rec: pd.DataFrame, n_draws: int, search) -> pd.DataFrame:
    """The tidy recommendations (one row per drug x cohort) from :func:`recommend`: its columns without
    draws; with ``n_draws`` > 0 each decision over draws (:data:`OVER_DRAWS`) as its median and central 95%
    (:func:`popsim.io.over_draws`: ``<column>_p2.5``, ``_p50``, ``_p97.5``).  A draw whose dose lies outside
    the searched range ``search`` is kept, censored at the range's end (a quantile equal to ``search[0]``
    reads "at most", one equal to ``search[-1]`` "at least"): ``recommended_below_range_draws``,
    ``..._above_range_draws`` and ``fall_capped_below_range_draws`` count them."""
    if not n_draws:
        return rec.drop(columns=["draw", "recommended_outside", "fall_capped_outside"])
    rows = []
    for (d, c), g in rec.groupby(["drug", "cohort"], sort=False):
        row = {"drug": d, "cohort": c, "median_age": g["median_age"].iloc[0],
               "individual_dose_typical_person_mg": g["individual_dose_typical_person_mg"].iloc[0]}
        g = g.copy()
        for name in ("recommended", "fall_capped"):
            side = g[f"{name}_outside"].to_numpy()
            bound = np.where(side < 0, search[0], search[-1])
            g[f"{name}_de_mg"] = np.where(side != 0, bound, g[f"{name}_de_mg"])
            g[f"{name}_mg"] = np.where(side != 0, [de_dose_mg(d, x) for x in bound], g[f"{name}_mg"])
            row |= {f"{name}_below_range_draws": int((side < 0).sum()),
                    f"{name}_above_range_draws": int((side > 0).sum())}
        for name in OVER_DRAWS:
            row |= {k: float(v) for k, v in over_draws(name, g[name].to_numpy()).items()}
        rows.append(row)
    return pd.DataFrame(rows)


def _dataset(results, covariates, s: ElderlyStudy, report, search, rec: pd.DataFrame) -> xr.Dataset:
    """Dataset over cohort x regimen (the reported doses) x [draw x] subject, with the median dose-response over
    the search grid and the recommended and fall-capped doses over cohort x drug_searched [x draw]."""
    ds = cohort_dataset(results, covariates, s.cohorts, s.drugs, report)
    draw = ("draw",) if "draw" in ds.dims else ()
    ds = ds.assign_coords(search_dose_de_mg=search, drug_searched=list(s.drugs))
    k = slice(len(report) + 1, None)
    for name in SEARCHED:
        v = np.stack([np.stack([np.median(results[c, d].values[name][k], axis=-1) for d in s.drugs])
                      for c in s.cohorts])
        ds[f"median_{name}_search"] = (("cohort", "drug_searched", "search_dose_de_mg", *draw), v)
    by = rec.set_index(["cohort", "drug", "draw"]).sort_index()
    for name in ("recommended_de_mg", "fall_capped_de_mg"):
        v = np.array([[by.loc[(c, d), name].to_numpy() for d in s.drugs] for c in s.cohorts], float)
        ds[name] = (("cohort", "drug_searched", *draw), v if draw else v[..., 0])
    ds.attrs.update({"reference_cohort": s.reference_cohort, "reference_dose_de_mg": s.reference_dose_de_mg,
                     "fall_rate_ratio_cap": s.fall_rate_ratio_cap})
    return annotate(ds)


def plot_recommended(ds: xr.Dataset, *, ax=None):
    """Recommended starting dose (diazepam equivalents) per drug and cohort (bars), with the fall-capped
    dose (triangles) and the reference dose; with parameter draws, the median over draws with their central
    95% as error bars."""
    ax = ax or new_axes()
    drugs, cohorts = [str(d) for d in ds["drug_searched"].values], [str(c) for c in ds["cohort"].values]
    width = 0.8 / len(cohorts)
    for j, c in enumerate(cohorts):
        x = np.arange(len(drugs)) + (j - (len(cohorts) - 1) / 2) * width
        y, err = median_and_interval(ds["recommended_de_mg"].sel(cohort=c))
        ax.bar(x, y, width, yerr=err, capsize=2, color=f"C{j}", label=f"{c}: matches reference effect")
        y, err = median_and_interval(ds["fall_capped_de_mg"].sel(cohort=c))
        ax.errorbar(x, y, yerr=err, fmt="v", color="k", ms=6, capsize=2,
                    label="fall-capped dose" if j == 0 else None)
    ref = float(ds.attrs["reference_dose_de_mg"])
    ax.axhline(ref, color="0.4", ls=":", label=f"reference: {ref:g} mg in {ds.attrs['reference_cohort']}")
    ax.set_xticks(np.arange(len(drugs)), drugs, rotation=20)
    ax.set_ylabel("daily dose, mg diazepam equivalents (Ashton)")
    title = "Recommended starting dose by age band (simulated population medians" + (
        f"; median and 95% over {ds.sizes['draw']} parameter draws)" if "draw" in ds.dims else ")")
    ax.set_title(textwrap.fill(title, 55), fontsize=10)
    ax.legend(fontsize=7)
    return ax


def plot_dose_effect(ds: xr.Dataset, *, ax=None):
    """Median mean alpha1 effect (last day) against dose over the search grid, per cohort (colour) and
    drug (line style); with parameter draws, the median over draws and a band of their central 95%."""
    ax = ax or new_axes()
    drugs, cohorts = list(ds["drug_searched"].values), list(ds["cohort"].values)
    occ = ds["median_effect_a1_mean_ss_search"]
    for j, c in enumerate(cohorts):
        for k, d in enumerate(drugs):
            y, err = median_and_interval(occ.sel(cohort=c, drug_searched=d))
            if err is not None:
                ax.fill_between(ds["search_dose_de_mg"], y - err[0], y + err[1], color=f"C{j}", alpha=0.15, lw=0)
            ax.plot(ds["search_dose_de_mg"], y, color=f"C{j}",
                    ls=("-", "--", ":", "-.")[k % 4], lw=1.2, label=f"{c} {d}" if len(drugs) * len(cohorts) <= 12
                    else (c if k == 0 else None))
    ax.set_xscale("log")
    ax.set_xlabel("daily dose, mg diazepam equivalents (log)")
    ax.set_ylabel("median mean alpha1 effect, last day (fraction)")
    title = "Dose-effect by cohort (colour) and drug (line style)" + (
        "; band: 95% over parameter draws" if "draw" in ds.dims else "")
    ax.set_title(textwrap.fill(title, 55), fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return ax


def figure(ds: xr.Dataset):
    """Recommended and fall-capped doses (left), dose-effect curves by cohort (right)."""
    return side_by_side(ds, (plot_recommended, plot_dose_effect))


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over cohort x regimen (``drug``, ``dose_de_mg``) x subject (x draw with ``n_draws``), and the
    recommendations."""
    s, g = cfg.study, cfg.grid
    search = np.geomspace(s.search_min_de_mg, s.search_max_de_mg, s.search_points)
    report = list(dict.fromkeys([*s.dose_de_mg]))
    doses = report + [s.reference_dose_de_mg] + list(search)
    point, values = check_values(cfg.pd), EXPERIMENT.pd_values(cfg)
    cohorts = list(dict.fromkeys([*s.cohorts, s.reference_cohort]))
    results, covariates = {}, {}
    for c in cohorts:
        for d in s.drugs:
            U = daily_regimens(g, d, [(x, (s.dose_hour,)) for x in doses])
            r = simulate_arm(Arm(d, "oral", c, g.dt_h, g.n_steps), U, seed=cfg.seed, n_subjects=cfg.n_subjects,
                             values=values, chunk_size=cfg.chunk_size, dtype=dtype,
                             progress=progress and progress(f"{c}/{d}"))
            results[c, d] = r
            covariates[c] = r.covariates
    rec = recommend(results, covariates, s, doses, search, point)
    ds = _dataset(results, covariates, s, report, search, rec)
    table = recommendations_table(rec, cfg.n_draws, search)
    if cfg.n_draws:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
        shown = table.assign(recommended_mg=[f"{m:.3g} ({lo:.3g}-{hi:.3g})" for lo, m, hi in zip(
            table["recommended_mg_p2.5"], table["recommended_mg_p50"], table["recommended_mg_p97.5"])])
    else:
        shown = table.assign(recommended_mg=table["recommended_mg"].round(3))
    pivot = shown.pivot(index="drug", columns="cohort", values="recommended_mg")[list(s.cohorts)]
    text = (f"Recommended starting dose (mg/day): matches the median alpha1 effect of {s.reference_dose_de_mg:g} mg "
            f"diazepam-equivalent in {s.reference_cohort}; fall-capped: median fall-rate ratio <= "
            f"{s.fall_rate_ratio_cap:g}" + (f"; median (95% interval) over {cfg.n_draws} parameter draws"
                                              if cfg.n_draws else "") + "\n" + pivot.to_string())
    return Result(ds, {"summary": summary_table(ds), "recommended_doses": table},
                  f"{len(s.drugs)} drugs x {len(s.cohorts)} cohorts x {cfg.n_subjects} subjects"
                  + (f" x {cfg.n_draws} parameter draws" if cfg.n_draws else "") + f", {g.days:g} days once daily",
                  text)


EXPERIMENT = Experiment(
    name="elderly", schema=ElderlyStudy, run=run, figure=figure,
    reads=("grid.dt_h", "grid.days", "pd.gaba", "pd.falls", "pd.withdrawal"),
    tiny=("n_subjects=64", "grid.days=7", "study.search_points=10", "study.drugs=[lorazepam,alprazolam]",
          "study.cohorts=[healthy_young,very_elderly]"),
    question="How much lower should a benzodiazepine's starting dose be at 65-80 and over 80, and which dose "
             "keeps the risk of falls acceptable?",
    draws=True)
