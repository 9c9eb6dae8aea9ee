"""Question 7a (pregnancy): how maternal exposure changes over gestation, what the baby carries at birth
and how long it takes to clear, and what stopping or tapering before term does to that.

Two parts on one grid (``grid.days``, birth on day ``delivery_day`` at ``delivery_clock_h``):

* **By gestational week.**  The same women (subject ``i`` is the same person at every week: gestational
  week is its own sample site) at each of ``weeks`` (0 = not pregnant), taking ``drugs`` at
  ``dose_de_mg`` daily diazepam equivalents split over ``hours_of_day``; the day before the delivery day is
  the steady-state window.  Physiology follows the week (:mod:`popsim.params.gestation`: plasma volume,
  flows, GFR, albumin, CYP3A4/CYP2C19/UGT activity).  Outputs: the mother's average total and unbound
  plasma concentration of the parent drug, and per woman the dose factor that restores her non-pregnant
  exposure (week 0 over week w; total and unbound).
* **Birth.**  Women at ``term_week`` carry a fetus (:class:`popsim.params.child.Child`, kind ``fetus``):
  placental transfer to the delivery, then a newborn clearing the drug with its own ontogeny.  Each of
  ``schedules`` ends the maternal dosing differently: ``continued`` to the birth, ``stop_<n>d`` (stopped
  n days before), ``taper_<p>pct_<n>d`` (a taper of the drug itself, p% of the current dose every n days,
  from ``taper_weeks`` before the birth, as far as it gets by then: :func:`popsim.taper.compile`) and
  ``planned``: the taper planner's choice (:func:`popsim.planner.plan_taper`: the fastest schedule of its
  candidates whose P(clinically significant withdrawal) and P(seizure) in these women, after
  ``prior_use_years`` of use, stay under ``cap_clinical`` and the planner's seizure cap), timed to end on the
  day before the birth (the grid holds its last ``delivery_day`` days; without a feasible schedule, the
  candidate with the lowest P(clinically significant withdrawal)), its risks in the ``planned`` table.  A switch
  to diazepam is not simulated here (the second chain has no fetal compartment).  Outputs, defined as the
  studies define them: the cord (fetal plasma) and maternal concentrations at birth and their ratio (F1, F3,
  F9: a single sample at delivery), the newborn's concentration at 24 and 72 h, its half-life over 24-72 h
  (F2: the terminal log-linear slope), the time for the newborn's concentration to fall to 10% of its value
  at birth (parent, and parent plus metabolites), and, for lorazepam, whether cord lorazepam exceeds 45 ug/L
  (Whitelaw 1981, F6: associated with ventilation at birth in 3/4 of infants; the only concentration
  threshold literature.md gives for a newborn).
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from dataclasses import dataclass, field

import jax
import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import finite, on_grid, unique
from popsim.arm import Arm, chain_prefixes, run_arm
from popsim.config import Study
from popsim.dataset import annotate, register, regimen_dataset
from popsim.drugs.library import load, species
from popsim.experiments.base import Experiment, Result
from popsim.io import summary_table
from popsim.params.child import CONSTANTS as CHILD, Child, check_cohort
from popsim.params.derive import unbound_fraction
from popsim.params.physiology import physiology
from popsim.pk.grid import Window
from popsim.planner import candidates, plan_taper
from popsim.plots import label, side_by_side
from popsim.regimen import daily_schedule
from popsim.study import DAY_H, check_arms, check_clock_hours, check_day_grid, daily_regimens, de_dose_mg
import popsim.taper as tp

__all__ = ["EXPERIMENT", "PregnancyStudy", "figure", "plot_by_week", "plot_newborn", "run", "schedule_inputs"]

LEVELS = ["drug", "ending"]
SCHEDULE = re.compile(r"^(continued|planned|stop_(\d+)d|taper_(\d+(?:\.\d+)?)pct_(\d+)d)$")

register({
    "weekly_drug": ("1", "library drug of the by-week part"),
    "week": ("week", "gestational week of the by-week part (0: not pregnant)"),
    "maternal_cavg": ("mg L-1", "maternal plasma concentration of the parent drug averaged over the day before the "
                      "delivery day"),
    "maternal_cavg_unbound": ("mg L-1", "maternal unbound plasma concentration of the parent drug averaged over the "
                              "day before the delivery day"),
    "dose_factor": ("1", "dose multiplier that gives the woman her non-pregnant average total concentration (week 0 "
                    "over this week)"),
    "dose_factor_unbound": ("1", "dose multiplier that gives the woman her non-pregnant average unbound "
                            "concentration"),
    "ending": ("1", "how maternal dosing ends before the birth (study.schedules)"),
    "maternal_c_birth": ("mg L-1", "maternal plasma concentration of the parent drug at birth"),
    "cord_c_birth": ("mg L-1", "cord (fetal plasma) concentration of the parent drug at birth"),
    "cord_to_maternal": ("1", "cord over maternal plasma concentration of the parent drug at birth"),
    "cord_c_birth_metabolites": ("mg L-1", "cord concentration of the drug's library metabolites at birth (summed; 0 "
                                 "without metabolites)"),
    "newborn_c_24h": ("mg L-1", "newborn plasma concentration of the parent drug 24 h after birth"),
    "newborn_c_72h": ("mg L-1", "newborn plasma concentration of the parent drug 72 h after birth"),
    "newborn_half_life_h": ("h", "newborn half-life of the parent drug from its concentrations 24 and 72 h after "
                            "birth"),
    "newborn_time_to_10pct_h": ("h", "time after birth for the newborn's parent-drug concentration to fall to 10% of "
                                "its value at birth (NaN: not within the horizon)"),
    "newborn_total_time_to_10pct_h": ("h", "time after birth for the newborn's parent plus metabolite concentration "
                                      "(summed, mg/L) to fall to 10% of its value at birth"),
    "cord_lorazepam_above_45": ("1", "cord lorazepam above 45 ug/L at birth (1) or not (0), associated with "
                                "ventilation at birth (Whitelaw 1981, F6); NaN for other drugs"),
    "newborn_median_c": ("mg L-1", "median newborn plasma concentration of the parent drug after birth"),
    "hours_after_birth": ("h", "time after birth"),
})


@dataclass
class PregnancyStudy(Study):
    """``drugs`` at ``dose_de_mg`` daily diazepam equivalents over ``hours_of_day``: maternal exposure at each
    gestational week of ``weeks``; and, for women at ``term_week`` giving birth on day ``delivery_day`` at
    ``delivery_clock_h``, each of ``schedules`` (``continued``, ``stop_<n>d``, ``taper_<p>pct_<n>d``, the taper
    starting ``taper_weeks`` before the birth)."""

    drugs: list[str] = field(default_factory=lambda: ["diazepam", "lorazepam", "alprazolam", "clonazepam",
                                                      "oxazepam"])
    dose_de_mg: float = 10.0
    hours_of_day: list[float] = field(default_factory=lambda: [8.0, 20.0])
    weeks: list[float] = field(default_factory=lambda: [0.0, 10.0, 20.0, 30.0, 36.0, 40.0])
    term_week: float = 39.0
    delivery_day: float = 70.0
    delivery_clock_h: float = 12.0
    schedules: list[str] = field(default_factory=lambda: ["continued", "stop_7d", "stop_14d", "taper_10pct_14d",
                                                          "taper_25pct_14d", "planned"])
    taper_weeks: float = 8.0
    prior_use_years: float = 1.0
    cap_clinical: float = 0.1

    def check(self, cfg) -> None:
        g, c = cfg.grid, cfg.cohort
        check_arms("study", [], self.drugs, [self.dose_de_mg])
        check_day_grid("pregnancy", g.dt_h)
        check_clock_hours("study.hours_of_day", self.hours_of_day, g.dt_h)
        unique("study.weeks", self.weeks)
        for i, w in enumerate(self.weeks):
            finite(f"study.weeks[{i}]", w, low=0, high=42)
        if 0.0 not in self.weeks:
            raise ValueError(f"study.weeks={list(self.weeks)!r}: the dose factor is relative to the non-pregnant "
                             "woman; allowed: a list that includes 0")
        finite("study.term_week", self.term_week, low=24, high=42)
        finite("study.delivery_clock_h", self.delivery_clock_h, low=0, high=24)
        on_grid("study.delivery_clock_h", self.delivery_clock_h, g.dt_h)
        finite("study.taper_weeks", self.taper_weeks, low=0, low_open=True, high=40)
        if abs(7 * self.taper_weeks - round(7 * self.taper_weeks)) > 1e-9:
            raise ValueError(f"study.taper_weeks={self.taper_weeks!r}; allowed: whole days (a multiple of 1/7)")
        finite("study.delivery_day", self.delivery_day, low=1, high=g.days)
        if abs(self.delivery_day - round(self.delivery_day)) > 1e-9:
            raise ValueError(f"study.delivery_day={self.delivery_day!r}; allowed: a whole day")
        if self.delivery_day * DAY_H + self.delivery_clock_h + 72.0 > (g.n_steps - 1) * g.dt_h:
            raise ValueError(f"study.delivery_day={self.delivery_day!r}: the newborn is followed for at least 72 h; "
                             f"allowed: a birth at least 72 h before the end of the grid (grid.days={g.days!r})")
        if self.taper_weeks * 7 > self.delivery_day:
            raise ValueError(f"study.taper_weeks={self.taper_weeks!r}: the taper starts before the grid; allowed: "
                             f"taper_weeks x 7 <= study.delivery_day = {self.delivery_day!r}")
        unique("study.schedules", self.schedules)
        for i, s in enumerate(self.schedules):
            m = SCHEDULE.match(str(s))
            if m is None:
                raise ValueError(f"study.schedules[{i}]={s!r}; allowed: continued, stop_<days>d (e.g. stop_7d), "
                                 "taper_<percent>pct_<days>d (e.g. taper_10pct_14d)")
            if m.group(2) is not None and int(m.group(2)) > self.delivery_day:
                raise ValueError(f"study.schedules[{i}]={s!r}: stops before the grid starts; allowed: at most "
                                 f"{self.delivery_day:g} days before the birth")
            if m.group(3) is not None:
                finite(f"study.schedules[{i}] percent", float(m.group(3)), low=0, low_open=True, high=100)
        finite("study.prior_use_years", self.prior_use_years, low=0, high=40)
        finite("study.cap_clinical", self.cap_clinical, low=0, high=1)
        for j, x in enumerate(self.schedules):  # each taper (the planner's: a 10%/14 d one) with a takeable dose
            m = SCHEDULE.match(str(x))
            if m.group(3) is None and x != "planned":
                continue
            step, every = (float(m.group(3)), int(m.group(4))) if m.group(3) is not None else (10.0, 14)
            if every < 1:
                raise ValueError(f"study.schedules[{j}]={x!r}: a step every {every} days; allowed: >= 1 day")
            for i, d in enumerate(self.drugs):
                try:
                    tp.plan(tp.TaperSpec(d, de_dose_mg(d, self.dose_de_mg), tuple(self.hours_of_day),
                                         "percent_current", step, every, on_overrun="stop"))
                except ValueError as e:
                    raise ValueError(f"study.schedules[{j}]={x!r} for study.drugs[{i}]={d!r} at study.dose_de_mg="
                                     f"{self.dose_de_mg!r} over study.hours_of_day={list(self.hours_of_day)!r}: "
                                     f"{e}") from None
        check_cohort("fetus", dataclasses.replace(c, gestational_week=[self.term_week, self.term_week],
                                                  postpartum_week=[0.0, 0.0]))


def _birth_step(s: PregnancyStudy, g) -> int:
    return round((s.delivery_day * DAY_H + s.delivery_clock_h) / g.dt_h)


def schedule_inputs(drug: str, s: PregnancyStudy, g, planned: tp.TaperSpec | None = None) -> np.ndarray:
    """``(schedule, time, 1)`` oral inputs of ``drug``: the daily dose over ``hours_of_day``, ended as each of
    ``schedules`` says (doses after the birth are not given); ``planned`` the spec of the ``planned`` schedule."""
    birth = _birth_step(s, g)
    daily = de_dose_mg(drug, s.dose_de_mg)
    full = daily_regimens(g, drug, [(s.dose_de_mg, s.hours_of_day)])[0, :, 0]
    out = []
    for name in s.schedules:
        m = SCHEDULE.match(name)
        u = full.copy()
        if name == "planned":
            plan = tp.plan(planned)
            days = round(s.delivery_day)
            if plan.drugs != (drug,):
                raise ValueError(f"the planned taper of {drug} switches to {plan.drugs[1:]}: not simulated with a "
                                 "fetus (the second chain has no fetal compartment)")
            # the plan's last `days` days before drug-free on the grid's first days (its start dose before it)
            doses = plan.doses[max(plan.drug_free_day - days, 0):, :, 0]
            doses = np.concatenate([np.repeat(plan.doses[:1, :, 0], days - len(doses), axis=0), doses])
            u = sum(daily_schedule(g.n_steps, g.dt_h, doses[:, a], (h,)) for a, h in enumerate(planned.hours))
        elif m.group(2) is not None:
            u[max(0, birth - round(int(m.group(2)) * DAY_H / g.dt_h)):] = 0.0
        elif m.group(3) is not None:
            start_day = round(s.delivery_day - 7 * s.taper_weeks)
            spec = tp.TaperSpec(drug, daily, tuple(s.hours_of_day), "percent_current", float(m.group(3)),
                                int(m.group(4)), max_days=tp.MAX_DAYS, on_overrun="stop")
            shift = round(start_day * DAY_H / g.dt_h)
            taper = tp.compile(spec, g.dt_h, g.n_steps - shift, cut=True).u[:, 0]
            u[shift:] = taper
        u[birth:] = 0.0
        out.append(u)
    return np.stack(out)[..., None]


def _unbound(drug: str, covariates: dict) -> np.ndarray:
    """The women's unbound fraction of ``drug`` at their physiology (eagerly, float64)."""
    with jax.enable_x64(True):
        cov = {k: np.asarray(v, np.float64) for k, v in covariates.items()}
        return np.asarray(jax.vmap(lambda c: unbound_fraction(load(drug), physiology(c)))(cov))


def _by_week(cfg, dtype, progress):
    s, g = cfg.study, cfg.grid
    end = round(s.delivery_day * DAY_H / g.dt_h)
    windows = {"ss": Window(end - round(DAY_H / g.dt_h), end)}
    total = np.zeros((len(s.drugs), len(s.weeks), cfg.n_subjects))
    unbound = np.zeros_like(total)
    for a, d in enumerate(s.drugs):
        U = daily_regimens(g, d, [(s.dose_de_mg, s.hours_of_day)])
        for b, w in enumerate(s.weeks):
            cohort = dataclasses.replace(cfg.cohort, gestational_week=[float(w), float(w)], postpartum_week=[0.0, 0.0])
            out = run_arm(Arm(d, "oral", cohort, g.dt_h, g.n_steps, pd=False), U, seed=cfg.seed,
                          n_subjects=cfg.n_subjects, windows=windows, chunk_size=cfg.chunk_size, dtype=dtype,
                          progress=progress and progress(f"{d}/week {w:g}"))
            total[a, b] = out.stat("auc", "ss", "central")[0] / DAY_H
            unbound[a, b] = total[a, b] * _unbound(d, out.covariates)
    ref = list(s.weeks).index(0.0)
    dims = ("weekly_drug", "week", "subject")
    return {"maternal_cavg": (dims, total), "maternal_cavg_unbound": (dims, unbound),
            "dose_factor": (dims, total[:, ref:ref + 1] / total),
            "dose_factor_unbound": (dims, unbound[:, ref:ref + 1] / unbound)}


def _time_to(c: np.ndarray, fraction: float, dt: float) -> np.ndarray:
    """Hours from the first row of ``c`` (time, ...) until it first falls to ``fraction`` of its first value
    (NaN if never)."""
    below = c <= fraction * c[:1]
    first = np.argmax(below, axis=0).astype(float)
    return np.where(below.any(axis=0), first * dt, np.nan)


def _planned(cfg, drug: str, cohort, dtype, progress):
    """The taper planner's choice for ``drug`` in ``cohort`` (direct tapers only), its table row flagged."""
    s = cfg.study
    daily = de_dose_mg(drug, s.dose_de_mg)
    specs = candidates(drug, daily, s.hours_of_day, substitute=(False,))
    res = plan_taper(drug, daily, s.hours_of_day, cohort=cohort, prior_use_years=s.prior_use_years,
                     cap_clinical=s.cap_clinical, n_subjects=cfg.n_subjects, seed=cfg.seed, specs=specs,
                     references=["guideline"], dtype=dtype, progress=progress and progress(f"{drug}/planner"))
    # each schedule's length: a plan longer than the pregnancy would have started before conception
    weeks = [tp.plan(x).drug_free_day / 7.0 for x in res.specs]
    table = res.table.assign(drug=drug, taper_weeks=weeks, starts_before_conception=[w > s.term_week for w in weeks])
    if res.spec is not None:
        return res.spec, table
    best = int(table.loc[:len(specs) - 1, "p_withdrawal_clinical"].idxmin())
    table["chosen"] = table.index == best
    return specs[best], table


def _birth(cfg, dtype, progress):
    s, g = cfg.study, cfg.grid
    birth = _birth_step(s, g)
    child = Child.fetus(g.n_steps, birth)
    cohort = dataclasses.replace(cfg.cohort, gestational_week=[s.term_week, s.term_week], postpartum_week=[0.0, 0.0])
    h24, h72 = round(24.0 / g.dt_h), round(72.0 / g.dt_h)
    parts, labels, curves, tables = [], [], [], []
    for d in s.drugs:
        spec = None
        if "planned" in s.schedules:
            spec, table = _planned(cfg, d, cohort, dtype, progress)
            tables.append(table)
        prefixes = chain_prefixes(len(species(d)))
        fetus = tuple(f"{P}fetus" for P in prefixes)
        out = run_arm(Arm(d, "oral", cohort, g.dt_h, g.n_steps, pd=False, child=child), schedule_inputs(d, s, g, spec),
                      seed=cfg.seed, n_subjects=cfg.n_subjects, chunk_size=cfg.chunk_size, dtype=dtype,
                      save=True, save_from=birth, saved=("central",) + fetus,
                      progress=progress and progress(f"{d}/birth"))
        parent = out.trajectory("fetus")  # (time from birth, schedule, subject), left limits
        both = sum(out.trajectory(f) for f in fetus)
        mother = out.trajectory("central")[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            half = np.log(2.0) * (h72 - h24) * g.dt_h / np.log(parent[h24] / parent[h72])
            cord = parent[0]
            values = {"maternal_c_birth": mother, "cord_c_birth": cord, "cord_to_maternal": cord / mother,
                      "cord_c_birth_metabolites": both[0] - cord, "newborn_c_24h": parent[h24],
                      "newborn_c_72h": parent[h72], "newborn_half_life_h": half,
                      "newborn_time_to_10pct_h": _time_to(parent, 0.1, g.dt_h),
                      "newborn_total_time_to_10pct_h": _time_to(both, 0.1, g.dt_h),
                      "cord_lorazepam_above_45": (cord > CHILD["cord_lorazepam_mg_l"].value).astype(float)
                      if d == "lorazepam" else np.full_like(cord, np.nan)}
        parts.append(values)
        curves.append(np.median(parent, axis=-1))  # (time, schedule)
        labels += [(d, name) for name in s.schedules]
    return parts, labels, np.concatenate(curves, axis=1), tables, out.covariates


def plot_by_week(ds: xr.Dataset, *, ax=None):
    """Median dose factor that restores the non-pregnant exposure (total: solid; unbound: dashed) against the
    gestational week, per drug."""
    from popsim.plots import new_axes

    ax = ax or new_axes()
    for j, d in enumerate(ds["weekly_drug"].values):
        for name, style in (("dose_factor", "o-"), ("dose_factor_unbound", "s--")):
            v = ds[name].sel(weekly_drug=d).median("subject")
            ax.plot(ds["week"], v, style, color=f"C{j}", label=str(d) if name == "dose_factor" else None)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xlabel(label(ds["week"]))
    ax.set_ylabel(textwrap.fill("median dose factor for the non-pregnant exposure (solid total, dashed unbound) [1]",
                                45), fontsize=8)
    ax.set_title("maternal dose adjustment by gestational week", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_newborn(ds: xr.Dataset, *, ax=None):
    """Median newborn plasma concentration of the parent drug after birth, per drug, for the first schedule
    (continued dosing), with the cord:maternal ratio at birth in the legend."""
    from popsim.plots import new_axes

    ax = ax or new_axes()
    first = ds.indexes["regimen"].get_level_values("ending")[0]
    for j, d in enumerate(dict.fromkeys(ds.indexes["regimen"].get_level_values("drug"))):
        c = ds["newborn_median_c"].sel(drug=d, ending=first) * 1000.0
        ratio = float(ds["cord_to_maternal"].sel(drug=d, ending=first).median("subject"))
        ax.plot(ds["hours_after_birth"] / 24.0, c, color=f"C{j}", label=f"{d} (cord:maternal {ratio:.2f})")
    ax.set_yscale("log")
    ax.set_ylim(bottom=1e-2)  # 10 pg/mL: below any assay
    ax.set_xlabel("days after birth")
    ax.set_ylabel("median newborn plasma concentration of the parent drug [ug/L]")
    ax.set_title(f"the newborn after maternal dosing {first} to birth", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """Dose adjustment by week (left) and the newborn's concentrations after birth (right)."""
    return side_by_side(ds, (plot_by_week, plot_newborn),
                        title="Pregnancy: maternal exposure by week, and the newborn ({dose_de_mg} mg/day "
                              "diazepam-equivalent)")


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset: the by-week part over (weekly_drug, week, subject); the birth part over regimen
    (:data:`LEVELS`) x subject; the median newborn curve over (hours_after_birth, regimen)."""
    s, g = cfg.study, cfg.grid
    weekly = _by_week(cfg, dtype, progress)
    parts, labels, curves, planned, covariates = _birth(cfg, dtype, progress)
    # the women's covariates (as at the birth; the by-week part has the same women at other weeks)
    ds = regimen_dataset(labels, LEVELS, {k: np.concatenate([p[k] for p in parts]) for k in parts[0]},
                         covariates=covariates)
    for name, (dims, v) in weekly.items():
        ds[name] = (dims, v)
    ds["newborn_median_c"] = (("hours_after_birth", "regimen"), curves)
    ds = ds.assign_coords(weekly_drug=list(s.drugs), week=np.asarray(s.weeks, float),
                          hours_after_birth=np.arange(curves.shape[0]) * g.dt_h)
    ds = annotate(ds)
    ds.attrs.update({"cohort": cfg.cohort.name, "dose_de_mg": s.dose_de_mg, "term_week": s.term_week,
                     "delivery_day": s.delivery_day, "delivery_clock_h": s.delivery_clock_h,
                     "taper_weeks": s.taper_weeks, "days": g.days,
                     "endpoints": "cord = fetal plasma at birth (single sample, F1/F3/F9); newborn half-life from "
                                  "24 and 72 h (F2); time to 10% of the concentration at birth; cord lorazepam > 45 "
                                  "ug/L (Whitelaw 1981, F6)"})
    by_week = (ds[["dose_factor", "dose_factor_unbound"]].median("subject").to_dataframe().reset_index())
    birth = ds[["cord_c_birth", "cord_to_maternal", "newborn_half_life_h"]].median("subject").to_dataframe()
    for name in ("newborn_time_to_10pct_h", "newborn_total_time_to_10pct_h"):  # not within the horizon: later
        birth[name] = ds[name].fillna(np.inf).median("subject").to_series().replace(np.inf, np.nan)
    birth["p_cord_lorazepam_above_45"] = ds["cord_lorazepam_above_45"].mean("subject").to_series()
    report = ("Median dose factor for the non-pregnant exposure, by week:\n"
              + by_week.pivot(index="week", columns="weekly_drug", values="dose_factor").round(3)
              .to_string()
              + "\n\nAt birth and after (medians; P(cord lorazepam > 45 ug/L)):\n" + birth.round(4).to_string())
    tables = {"summary": summary_table(ds), "by_week": by_week, "birth": birth.reset_index()}
    if planned:
        tables["planned"] = pd.concat(planned, ignore_index=True)
        chosen = tables["planned"][tables["planned"]["chosen"]]
        report += ("\n\nPlanned tapers (ending the day before the birth; maternal risks after "
                   f"{s.prior_use_years:g} years of use):\n"
                   + chosen[["drug", "schedule", "feasible", "p_withdrawal_clinical", "p_seizure",
                             "drug_free_day_p50", "taper_weeks", "starts_before_conception"]].round(4)
                   .to_string(index=False))
    return Result(ds, tables,
                  f"{len(s.drugs)} drugs x {len(s.weeks)} gestational weeks and {len(s.schedules)} schedules to a "
                  f"birth at week {s.term_week:g} x {cfg.n_subjects} women, {g.days:g} days", report)


EXPERIMENT = Experiment(
    name="pregnancy", schema=PregnancyStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "grid.days"),
    tiny=("n_subjects=16", "grid.days=20", "study.drugs=[diazepam,lorazepam]", "study.weeks=[0,36]",
          "study.delivery_day=14", "study.taper_weeks=1", "study.schedules=[continued,stop_3d,taper_25pct_3d]"),
    question="How does maternal exposure change over pregnancy, what does the baby carry at birth and how long does "
             "it take to clear, and what does stopping or tapering before term change?")
