"""Question 7b (lactation): which benzodiazepine, and which dose time relative to feeds, keeps a
breast-fed infant's exposure lowest, and how does it change with the infant's age?

Each drug x infant age is one compiled program of mother and infant together
(:class:`popsim.params.child.Child`, kind ``infant``): the mother's chain (the drug and its library
metabolites) secretes into milk at the milk:plasma ratio (predicted from physicochemistry or
measured, ``study.milk``); the infant swallows the day's milk over the feeds of ``feed_clock_h``,
absorbs it and clears it with its ontogeny clearance.  Drugs are compared at the same daily
diazepam-equivalent dose (Ashton, the library's ``ashton_mg``: equal maternal effect), taken
``doses_per_day`` times a day from each clock hour of ``dose_clock_h`` (the timing axis).  The last day
is the steady-state window; the mother's weight is her cohort weight (pre-pregnancy; the gestational
gain is not carried after delivery).

Endpoints, as the lactation literature defines them (literature.md L70, V2):

* infant dose (AID, mg/kg/day) = drug swallowed over the last day / infant weight, per species and
  summed over the chain (mg of each species added: their molar masses differ by < 6% for diazepam's);
* relative infant dose RID (%) = AID / maternal dose per kg per day x 100; P(RID > 10%), the
  conventional threshold for a healthy term infant (L70);
* infant and maternal plasma concentrations averaged over the last day, and the average milk
  concentration over the day's feeds;
* the daily infant dose at each of the ``checkpoint_days`` (accumulation over the first weeks).
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, on_grid, unique
from popsim.arm import Arm, chain_prefixes, run_arm
from popsim.config import Study
from popsim.dataset import annotate, register, regimen_dataset
from popsim.drugs.library import species
from popsim.experiments.base import Experiment, Result
from popsim.io import summary_table
from popsim.params import milk, ontogeny
from popsim.params.child import CONSTANTS as CHILD, Child, check_cohort
from popsim.pk.grid import Window
from popsim.plots import label, side_by_side
from popsim.study import DAY_H, check_arms, check_checkpoint_days, check_day_grid, daily_regimens, de_dose_mg

__all__ = ["EXPERIMENT", "LactationStudy", "figure", "plot_accumulation", "plot_rid", "plot_timing", "run",
           "timing_table"]

LEVELS = ["drug", "infant_week", "dose_clock_h"]

register({
    "infant_week": ("week", "infant's postnatal age"),
    "dose_clock_h": ("h", "clock hour of the mother's first daily dose (feeds at study.feed_clock_h)"),
    "infant_dose_mg_kg_day": ("mg kg-1 day-1", "infant dose of the drug and its metabolites swallowed in milk over "
                              "the last day per kg infant weight (AID)"),
    "infant_dose_parent_mg_kg_day": ("mg kg-1 day-1", "infant dose of the parent drug swallowed in milk over the last "
                                     "day per kg infant weight"),
    "rid_percent": ("%", "relative infant dose: infant dose (drug and metabolites) per kg per day over the maternal "
                    "dose per kg per day x 100 (L70)"),
    "rid_parent_percent": ("%", "relative infant dose of the parent drug alone"),
    "rid_above_10": ("1", "relative infant dose above 10% (1) or not (0), the conventional low-risk threshold (L70)"),
    "infant_cavg_parent": ("mg L-1", "infant plasma concentration of the parent drug averaged over the last day"),
    "infant_cavg_metabolites": ("mg L-1", "infant plasma concentration of the drug's library metabolites (summed) "
                                "averaged over the last day (0 without metabolites)"),
    "maternal_cavg_parent": ("mg L-1", "maternal plasma concentration of the parent drug averaged over the last day"),
    "infant_to_maternal": ("1", "infant over maternal plasma concentration of the parent drug, last-day averages"),
    "milk_cavg_parent": ("mg L-1", "average concentration of the parent drug in the milk swallowed over the last day"),
    "infant_dose_by_day": ("mg kg-1 day-1", "infant dose (drug and metabolites) swallowed over the day before each "
                           "checkpoint per kg infant weight"),
    "infant_cavg_parent_by_day": ("mg L-1", "infant plasma concentration of the parent drug averaged over the day "
                                  "before each checkpoint"),
    "infant_cavg_metabolites_by_day": ("mg L-1", "infant plasma concentration of the drug's library metabolites "
                                       "(summed) averaged over the day before each checkpoint"),
    "infant_weight_kg": ("kg", "infant body weight at its age (ontogeny)"),
    "maternal_dose_mg_day": ("mg day-1", "the mother's daily dose of the drug"),
})


@dataclass
class LactationStudy(Study):
    """``drugs`` at ``dose_de_mg`` daily diazepam equivalents, ``doses_per_day`` doses every 24/n h from each
    hour of ``dose_clock_h``, for mothers of infants aged ``infant_weeks`` (postnatal weeks) fed at the
    clock hours ``feed_clock_h``; the milk:plasma ratio ``milk`` ("predicted" or "measured"); the day
    before each of ``checkpoint_days`` is summarised (accumulation)."""

    drugs: list[str] = field(default_factory=lambda: ["lorazepam", "oxazepam", "temazepam", "alprazolam",
                                                      "clonazepam", "diazepam"])
    dose_de_mg: float = 10.0
    doses_per_day: int = 1
    dose_clock_h: list[float] = field(default_factory=lambda: [21.0, 21.25, 21.5, 22.0, 22.5, 23.0, 23.5, 23.75])
    feed_clock_h: list[float] = field(default_factory=lambda: [0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0])
    infant_weeks: list[float] = field(default_factory=lambda: [1.0, 4.0, 13.0, 26.0])
    milk: str = "predicted"
    checkpoint_days: list[float] = field(default_factory=lambda: [1.0, 3.0, 7.0, 14.0])

    def check(self, cfg) -> None:
        g, c = cfg.grid, cfg.cohort
        check_arms("study", [], self.drugs, [self.dose_de_mg])
        check_day_grid("lactation", g.dt_h)
        # the grid step is the feed; feeds on the grid
        Child.infant(g.dt_h, g.n_steps, tuple(self.feed_clock_h), keys=("grid.dt_h", "study.feed_clock_h"))
        if isinstance(self.doses_per_day, bool) or self.doses_per_day not in (1, 2, 3, 4):
            raise ValueError(f"study.doses_per_day={self.doses_per_day!r}; allowed: 1, 2, 3 or 4")
        unique("study.dose_clock_h", self.dose_clock_h)
        for i, h in enumerate(self.dose_clock_h):
            finite(f"study.dose_clock_h[{i}]", h, low=0, high=24.0 / self.doses_per_day, low_open=False)
            if h >= 24.0 / self.doses_per_day:
                raise ValueError(f"study.dose_clock_h[{i}]={h!r}; allowed: 0 to < {24.0 / self.doses_per_day:g} h "
                                 f"(the first of {self.doses_per_day} daily doses)")
            on_grid(f"study.dose_clock_h[{i}]", h, g.dt_h)
        unique("study.infant_weeks", self.infant_weeks)
        for i, w in enumerate(self.infant_weeks):
            finite(f"study.infant_weeks[{i}]", w, low=0, low_open=True, high=CHILD["oldest_infant_weeks"].value)
            check_cohort("infant", dataclasses.replace(c, postpartum_week=[float(w), float(w)]))
        choice("study.milk", self.milk, ("predicted", "measured"))
        if self.milk == "measured":
            for i, d in enumerate(self.drugs):
                missing = [x for x in species(d) if x not in milk.MEASURED]
                if missing:
                    raise ValueError(f"study.drugs[{i}]={d!r} with study.milk='measured': no measured milk:plasma "
                                     f"ratio for {missing}; allowed: drugs whose species are all in "
                                     f"{list(milk.MEASURED)}, or study.milk=predicted")
        check_checkpoint_days("study.checkpoint_days", self.checkpoint_days, g.days)
        if g.days < 2:
            raise ValueError(f"grid.days={g.days!r}: the lactation experiment reads the last day; allowed: >= 2")


def _regimens(g, drug: str, s: LactationStudy) -> np.ndarray:
    """``(regimen, time, 1)``: the daily dose split over ``doses_per_day`` every 24/n h from each first hour
    (:func:`popsim.study.daily_regimens`)."""
    return daily_regimens(g, drug, [(s.dose_de_mg, [h + k * DAY_H / s.doses_per_day for k in range(s.doses_per_day)])
                                    for h in s.dose_clock_h])


def _windows(g, checkpoints) -> dict[str, Window]:
    """The day before each checkpoint day and before the last grid step (``day``), each with the window that
    ends where it starts (the amount in the infant's gut at its start)."""
    day = round(DAY_H / g.dt_h)
    ends = [round(c * DAY_H / g.dt_h) for c in checkpoints] + [g.n_steps - 1]
    names = [f"d{j}" for j in range(len(checkpoints))] + ["day"]
    out = {}
    for name, end in zip(names, ends):
        end = min(end, g.n_steps - 1)
        start = max(end - day, 1)
        out[f"{name}_before"] = Window(0, start)
        out[name] = Window(start, end)
    return out


def _swallowed(out, window: str, P: str) -> np.ndarray:
    """Drug (mg) swallowed over ``window``: the gain of the infant's gut plus what left it (``KAI`` x its
    amount-time integral), exactly."""
    kai = np.asarray(out.params[f"{P}KAI"])[0]
    return (out.stat("c_end", window, f"{P}milk") - out.stat("c_end", f"{window}_before", f"{P}milk")
            + kai * out.stat("auc", window, f"{P}milk"))


def _arm_values(out, drug: str, s: LactationStudy, week: float, g, checkpoints):
    prefixes = chain_prefixes(len(species(drug)))
    cov = out.covariates
    w_inf = float(ontogeny.infant_weight_kg(week))
    daily = de_dose_mg(drug, s.dose_de_mg)
    maternal_per_kg = daily / cov["weight_kg"]
    per_species = [_swallowed(out, "day", P) / w_inf for P in prefixes]
    total = sum(per_species)
    last = out.spec.windows[out.windows.index("day")]
    win_h = (last.end - last.start) * g.dt_h
    infant = [out.stat("auc", "day", f"{P}infant") / win_h for P in prefixes]
    mother = out.stat("auc", "day", "central") / win_h
    volume = float(milk.milk_intake_l_kg_day(week)) * w_inf * win_h / DAY_H
    rid = 100.0 * total / maternal_per_kg
    return {
        "infant_dose_mg_kg_day": total, "infant_dose_parent_mg_kg_day": per_species[0],
        "rid_percent": rid, "rid_parent_percent": 100.0 * per_species[0] / maternal_per_kg,
        "rid_above_10": (rid > 10.0).astype(float),
        "infant_cavg_parent": infant[0], "infant_cavg_metabolites": sum(infant[1:], np.zeros_like(infant[0])),
        "maternal_cavg_parent": mother, "infant_to_maternal": infant[0] / mother,
        "milk_cavg_parent": per_species[0] * w_inf / volume,
    }, _by_day(out, prefixes, w_inf, g, len(checkpoints))


def _by_day(out, prefixes, w_inf: float, g, n: int) -> dict[str, np.ndarray]:
    """Infant dose and plasma levels over the day before each checkpoint, ``(checkpoint, regimen, subject)``."""
    days = [f"d{j}" for j in range(n)]
    hours = [(out.spec.windows[out.windows.index(d)].end - out.spec.windows[out.windows.index(d)].start) * g.dt_h
             for d in days]
    cavg = [[out.stat("auc", d, f"{P}infant") / h for P in prefixes] for d, h in zip(days, hours)]
    return {"infant_dose_by_day": np.stack([sum(_swallowed(out, d, P) for P in prefixes) / w_inf for d in days]),
            "infant_cavg_parent_by_day": np.stack([c[0] for c in cavg]),
            "infant_cavg_metabolites_by_day": np.stack([sum(c[1:], np.zeros_like(c[0])) for c in cavg])}



def timing_table(ds: xr.Dataset) -> pd.DataFrame:
    """Per drug x infant age: the dose hour giving the lowest and the highest median infant dose, and the
    benefit of the best over the worst (% lower), beside the median RID and P(RID > 10%) at the best hour."""
    med = ds["infant_dose_mg_kg_day"].median("subject").to_series()
    rid = ds["rid_percent"].median("subject").to_series()
    p10 = ds["rid_above_10"].mean("subject").to_series()
    rows = []
    for (drug, week), v in med.groupby(level=["drug", "infant_week"], sort=False):
        v = v.droplevel(["drug", "infant_week"])
        best, worst = v.idxmin(), v.idxmax()
        rows.append({"drug": drug, "infant_week": week, "best_dose_clock_h": best, "worst_dose_clock_h": worst,
                     "benefit_percent": 100.0 * (1.0 - v[best] / v[worst]),
                     "median_rid_percent_at_best": rid[drug, week, best],
                     "p_rid_above_10_at_best": p10[drug, week, best]})
    return pd.DataFrame(rows)


def plot_rid(ds: xr.Dataset, *, ax=None):
    """Median RID (90% population band) against the infant's age, per drug, at the best dose hour."""
    from popsim.plots import new_axes

    ax = ax or new_axes()
    q = ds["rid_percent"].quantile([0.05, 0.5, 0.95], "subject").unstack("regimen")
    for j, d in enumerate(dict.fromkeys(ds.indexes["regimen"].get_level_values("drug"))):  # the study's order
        med = q.sel(drug=d, quantile=0.5)
        best = med.idxmin("dose_clock_h").drop_vars(["quantile", "drug"])  # per infant age
        v = q.sel(drug=d).sel(dose_clock_h=best).sortby("infant_week")
        wk = v["infant_week"].values
        ax.fill_between(wk, v.sel(quantile=0.05), v.sel(quantile=0.95), color=f"C{j}", alpha=0.12, lw=0)
        ax.plot(wk, v.sel(quantile=0.5), "o-", color=f"C{j}", label=d)
    ax.axhline(10.0, color="k", ls=":", lw=1)
    ax.text(ax.get_xlim()[0], 10.0, " RID 10%", va="bottom", fontsize=7)
    ax.set_yscale("log")
    ax.set_xlabel(label(ds["infant_week"]))
    ax.set_ylabel(textwrap.fill(label(ds["rid_percent"]), 45), fontsize=8)
    ax.set_title("relative infant dose at the best dose hour: median and 90% band", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_timing(ds: xr.Dataset, *, ax=None):
    """Median infant dose against the time from the start of the feed before the mother's dose, relative to the
    drug's best hour, per drug (youngest infant); the feed's end and the next feed dashed."""
    from popsim.plots import new_axes

    ax = ax or new_axes()
    med = ds["infant_dose_mg_kg_day"].median("subject").unstack("regimen")
    week = float(med["infant_week"].min())
    feeds = np.sort(np.asarray(ds.attrs["feed_clock_h"], float))
    after = np.array([h - feeds[feeds <= h].max() if (feeds <= h).any() else h + 24.0 - feeds.max()
                      for h in med["dose_clock_h"].values])
    order = np.argsort(after)
    for j, d in enumerate(dict.fromkeys(ds.indexes["regimen"].get_level_values("drug"))):
        v = med.sel(drug=d, infant_week=week).values
        ax.plot(after[order], (v / v.min())[order], "o-", color=f"C{j}", label=str(d))
    gaps = np.diff(np.concatenate([feeds, feeds[:1] + 24.0]))
    for x in (ds.attrs["feed_minutes"] / 60.0, float(gaps.min())):
        ax.axvline(x, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel("hours from the start of the feed before the dose to the dose [h]; dashed: end of that feed, "
                  "next feed", fontsize=8)
    ax.set_ylabel("median infant dose / its lowest value [1]")
    ax.set_title(f"dose timing vs feeds (infant {week:g} weeks)", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_accumulation(ds: xr.Dataset, *, ax=None):
    """Median infant plasma level (parent: solid; metabolites: dashed) over the day before each checkpoint, per
    drug (youngest infant, first dose hour): accumulation over the first weeks."""
    from popsim.plots import new_axes

    ax = ax or new_axes()
    week = float(min(ds.indexes["regimen"].get_level_values("infant_week")))
    hour = float(ds.indexes["regimen"].get_level_values("dose_clock_h")[0])
    for j, d in enumerate(dict.fromkeys(ds.indexes["regimen"].get_level_values("drug"))):
        for name, style in (("infant_cavg_parent_by_day", "o-"), ("infant_cavg_metabolites_by_day", "s--")):
            v = 1000.0 * ds[name].sel(drug=d, infant_week=week, dose_clock_h=hour).median("subject")
            if float(v.max()) > 0:
                ax.plot(ds["day"], v, style, color=f"C{j}", label=d if style == "o-" else None)
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e-2)  # 10 pg/mL: below any assay
    ax.set_xlabel(label(ds["day"]))
    ax.set_ylabel("median infant plasma level over the day [ug/L] (dashed: metabolites)", fontsize=8)
    ax.set_title(f"accumulation in the infant ({week:g} weeks old)", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """RID by infant age (left), the dose-timing effect (middle), accumulation in the infant (right)."""
    return side_by_side(ds, (plot_rid, plot_timing, plot_accumulation), panel=(5.5, 4.5),
                        title="Breastfeeding: infant exposure by drug, infant age and dose timing "
                              "({dose_de_mg} mg/day diazepam-equivalent)")


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`) x subject, with the infant dose by checkpoint day."""
    s, g = cfg.study, cfg.grid
    child = Child.infant(g.dt_h, g.n_steps, tuple(s.feed_clock_h), milk=s.milk)
    windows = _windows(g, s.checkpoint_days)
    labels, parts, by_day, covariates = [], [], {}, None
    for d in s.drugs:
        for week in s.infant_weeks:
            cohort = dataclasses.replace(cfg.cohort, postpartum_week=[float(week), float(week)])
            arm = Arm(d, "oral", cohort, g.dt_h, g.n_steps, pd=False, child=child)
            out = run_arm(arm, _regimens(g, d, s), seed=cfg.seed, n_subjects=cfg.n_subjects, windows=windows,
                          chunk_size=cfg.chunk_size, dtype=dtype,
                          progress=progress and progress(f"{d}/{week:g} wk"))
            values, days = _arm_values(out, d, s, week, g, s.checkpoint_days)
            parts.append(values)
            for k, v in days.items():
                by_day.setdefault(k, []).append(v)
            labels += [(d, float(week), float(h)) for h in s.dose_clock_h]
            if covariates is None:
                covariates = {k: v for k, v in out.covariates.items() if k != "postpartum_week"}
    ds = regimen_dataset(labels, LEVELS, {k: np.concatenate([p[k] for p in parts]) for k in parts[0]},
                         covariates=covariates)
    for k, v in by_day.items():
        ds[k] = (("day", "regimen", "subject"), np.concatenate(v, axis=1))
    ds = ds.assign_coords(day=np.asarray(s.checkpoint_days, float),
                          infant_weight_kg=("regimen", [float(ontogeny.infant_weight_kg(w)) for _, w, _ in labels]),
                          maternal_dose_mg_day=("regimen", [de_dose_mg(d, s.dose_de_mg) for d, _, _ in labels]))
    ds = annotate(ds, day=("day", "checkpoint day (the day before it is summarised)"))
    ds.attrs.update({"cohort": cfg.cohort.name, "dose_de_mg": s.dose_de_mg, "doses_per_day": s.doses_per_day,
                     "feed_clock_h": [float(h) for h in s.feed_clock_h], "feed_minutes": CHILD["feed_minutes"].value,
                     "milk_plasma_ratio": s.milk, "days": g.days,
                     "evidence": "milk intake by age: US EPA means (literature.md L74, M: the table was not seen; "
                                 "0.15 L/kg/day at birth, L71, V); measured M/P (study.milk=measured): clonazepam's "
                                 "0.33-0.37 is M; feed duration, feed hours and the postpartum return of maternal "
                                 "physiology are assumptions (A); see popsim.params.milk, ontogeny, child",
                     "endpoints": "AID = drug swallowed in milk over the last day / infant weight; RID = AID / "
                                  "(maternal daily dose / maternal weight) x 100 (literature.md L70); drug and its "
                                  "library metabolites summed in mg; threshold 10% (L70)"})
    timing = timing_table(ds)
    report = ("Dose timing relative to feeds (median infant dose; benefit = best vs worst hour) and RID at the best "
              "hour:\n" + timing.round(3).to_string(index=False))
    return Result(ds, {"summary": summary_table(ds), "timing": timing},
                  f"{len(s.drugs)} drugs x {len(s.infant_weeks)} infant ages x {len(s.dose_clock_h)} dose hours x "
                  f"{cfg.n_subjects} mother-infant pairs, {g.days:g} days", report)


EXPERIMENT = Experiment(
    name="lactation", schema=LactationStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "grid.days"),
    tiny=("n_subjects=16", "grid.days=3", "study.drugs=[lorazepam,diazepam]", "study.infant_weeks=[2]",
          "study.dose_clock_h=[21,22.5]", "study.checkpoint_days=[1,3]"),
    question="Which benzodiazepine and which dose time relative to feeds keep a breast-fed infant's exposure lowest, "
             "and how does the relative infant dose change with the infant's age?")
