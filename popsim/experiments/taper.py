"""Question 4 (deprescribing): how to taper a long-term benzodiazepine user, and the fastest taper that keeps
the risks under a cap.

Long-term users of ``drug`` at each start dose are tapered by an abrupt stop, the guideline taper (10% of
the current dose every 2 weeks, ASAM 2025, W17), Ashton's diazepam substitution (W22), a sweep of
:class:`popsim.taper.TaperSpec` and the planner's candidates (:mod:`popsim.planner`, whose module
docstring defines the endpoints), each without and with symptom-guided holds; the planner picks the
fastest schedule under the caps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim import taper as tp
from popsim._validate import finite
from popsim.config import Study
from popsim.dataset import annotate, register, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.planner import OUTCOMES, abrupt, candidates, plan_taper, schedule_name
from popsim.pd.parameters import check_values
from popsim.plots import label, median_and_interval, new_axes, side_by_side

__all__ = ["EXPERIMENT", "TaperStudy", "figure", "plot_frontier", "plot_incidence", "run"]

register({
    "taper": ("1", "taper schedule (abrupt, guideline, ashton, or a sweep point: cut/interval, via diazepam)"),
    "start_mg": ("mg d-1", "daily dose at the taper start (of the drug attribute)"),
    "hold_severity": ("1", "withdrawal severity above which a scheduled reduction is held (0: no holds)"),
    "success": ("1", "taper completed: the severity stayed below the subject's drop-out level from the taper "
                     "start to 4 weeks after the last dose (1 yes, 0 no)"),
    "withdrawal_any": ("1", "any withdrawal reaction from the taper start (1 yes, 0 no)"),
    "withdrawal_clinical": ("1", "clinically significant withdrawal (severity 1, CIWA-B 21) from the taper start "
                                 "(1 yes, 0 no)"),
    "delirium": ("1", "delirium from the taper start (1 yes, 0 no)"),
    "protracted": ("1", "symptoms at the 'any' level 8 weeks or more after the last dose (1 yes, 0 no)"),
    "drug_free_day": ("d", "days from the taper start to the first day without a dose (holds included)"),
    "holds": ("1", "scheduled reductions held for the subject's symptoms"),
    "clinical_onset_day": ("d", "first day (from the taper start) of clinically significant withdrawal (NaN: none)"),
})


LEVELS = ["start_mg", "hold_severity", "taper"]
# names whose meaning here is this Dataset's own
LOCAL = {"p_seizure": ("1", "probability of a withdrawal seizure from the taper start"),
         "withdrawal_severity_peak": ("1", "largest withdrawal severity from the taper start (1: the subject's "
                                           "threshold of clinically significant withdrawal)")}


@dataclass
class TaperStudy(Study):
    """Long-term users of ``drug`` at each of ``start_mg`` (mg/day over ``hours``) for ``prior_use_years``,
    tapered by: an abrupt stop, the ``references`` (guideline, Ashton; may be empty), the ``sweep`` (axes
    over ``base``: ``{key: [values]}`` of :func:`popsim.taper.sweep`, e.g.
    ``'study.sweep={step:[10,25],substitute:[false,true]}'``) and, with ``planner``, the planner's
    candidates (the fastest under ``cap_clinical`` and ``cap_seizure`` is chosen), as tablets or, with
    ``liquid_mg`` > 0, a liquid measured to that many mg; each without holds and with holds at every
    ``hold_severity`` > 0 (at most ``max_holds``)."""

    drug: str = "alprazolam"
    start_mg: list[float] = field(default_factory=lambda: [3.0])
    hours: list[float] = field(default_factory=lambda: [8.0, 14.0, 20.0])
    prior_use_years: float = 2.0
    base: dict = field(default_factory=lambda: {"step_kind": "percent_current"})
    sweep: dict = field(default_factory=lambda: {"step": [10, 25], "interval_days": [7, 14]})
    references: list[str] = field(default_factory=lambda: ["guideline", "ashton"])
    liquid_mg: float = 0.0
    hold_severity: list[float] = field(default_factory=lambda: [0.0, 1.0])
    max_holds: int = 4
    planner: bool = True
    cap_clinical: float = 0.1
    cap_seizure: float = 0.001

    def check(self, cfg) -> None:
        from popsim._validate import choice, unique

        if "prior_use_days" in (cfg.pd or {}):
            raise ValueError("pd.prior_use_days: the taper experiment sets it from study.prior_use_years; "
                             "allowed: study.prior_use_years")
        finite("study.prior_use_years", self.prior_use_years, low=0, high=80)
        finite("study.liquid_mg", self.liquid_mg, low=0, high=10)
        unique("study.start_mg", self.start_mg)
        if len(set(self.references)) != len(self.references):
            raise ValueError(f"study.references={list(self.references)!r}; allowed: a list without repeats")
        for i, r in enumerate(self.references):
            choice(f"study.references[{i}]", r, ("guideline", "ashton"))
        unique("study.hold_severity", self.hold_severity)
        for i, x in enumerate(self.hold_severity):
            finite(f"study.hold_severity[{i}]", x, low=0, high=100)
        if not isinstance(self.max_holds, int) or not 1 <= self.max_holds <= 52:
            raise ValueError(f"study.max_holds={self.max_holds!r}; allowed: an integer 1 to 52")
        finite("study.cap_clinical", self.cap_clinical, low=0, high=1)
        finite("study.cap_seizure", self.cap_seizure, low=0, high=1)
        if cfg.grid.dt_h != 1.0:
            raise ValueError(f"grid.dt_h={cfg.grid.dt_h!r}: the taper experiment runs on an hourly grid; allowed: 1.0")
        for x in self.start_mg:  # every spec is built (and so checked) before any compute
            specs = self.specs(x)
            if any(h > 0 for h in self.hold_severity):
                for spec in specs:  # a hold needs a plan whose levels last whole intervals
                    try:
                        tp.hold_for(spec, cfg.grid.dt_h, "withdrawal_severity", 1.0)
                    except ValueError as e:
                        raise ValueError(f"study.hold_severity with the schedule {schedule_name(spec)} from "
                                         f"{x:g} mg/day: {e}") from None

    def specs(self, start_mg: float) -> list[tp.TaperSpec]:
        """The schedules of one start dose other than the references: abrupt, the sweep, the candidates."""
        base = {**dict(self.base), "drug": self.drug, "start_mg": start_mg, "hours": list(self.hours)}
        base.setdefault("step_kind", "percent_current")
        base.setdefault("step", 10.0)
        base.setdefault("interval_days", 14)
        swept, _ = tp.sweep(base, {k: list(v) for k, v in dict(self.sweep).items()}) if self.sweep else ([], None)
        out = [abrupt(self.drug, start_mg, self.hours)] + swept
        if self.planner:  # the candidates not already in the sweep (same label: same cut, interval and switch)
            form = tp.Form(liquid_mg=self.liquid_mg) if self.liquid_mg > 0 else tp.Form()
            out += [c for c in candidates(self.drug, start_mg, self.hours, form=form)
                    if schedule_name(c) not in {schedule_name(x) for x in out}]
        return out


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (start dose x holds x schedule) x subject (x draw with ``n_draws``); the planner's
    table per start dose (with draws, the choice taken in each draw, the table over draws)."""
    s = cfg.study
    values = EXPERIMENT.pd_values(cfg)
    labels, outcomes, tables, by_draw, covariates = [], [], [], [], None
    for start in s.start_mg:
        for hold in s.hold_severity:
            pt = plan_taper(s.drug, start, s.hours, cohort=cfg.cohort, prior_use_years=s.prior_use_years,
                            cap_clinical=s.cap_clinical, cap_seizure=s.cap_seizure, hold_severity=hold,
                            max_holds=s.max_holds, n_subjects=cfg.n_subjects, seed=cfg.seed, specs=s.specs(start),
                            values=values, references=s.references, dtype=dtype, progress=progress)
            t = pt.table.assign(start_mg=start, hold_severity=hold)
            tables.append(t)
            by_draw.append(pt.by_draw)
            labels += [(start, hold, name) for name in t["schedule"]]
            outcomes.append(pt.outcomes)
            covariates = pt.covariates
    table = pd.concat(tables, ignore_index=True)
    index = pd.MultiIndex.from_tuples(labels, names=LEVELS)
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(subject=np.arange(cfg.n_subjects))
    draw = ("draw",) if cfg.n_draws else ()
    for k in OUTCOMES:
        ds[k] = (("regimen", *draw, "subject"), np.concatenate([o[k] for o in outcomes]))
    flags = ("feasible", "chosen")
    for col in ("step_kind", "step", "interval_days", "substitute", "guideline_rate", *(() if draw else flags)):
        ds = ds.assign_coords({col: ("regimen", table[col].to_numpy())})
    if draw:  # the decision in each draw, (regimen, draw), and how often over draws
        for col in flags:
            ds[col] = (("regimen", "draw"), np.concatenate([np.stack([t[col].to_numpy() for t in d], axis=-1)
                                                             for d in by_draw]))
        ds = ds.assign_coords({col: ("regimen", table[col].to_numpy()) for col in ("feasible_draws", "chosen_draws")})
    from popsim.dataset import with_covariates

    ds = with_covariates(ds, covariates, ("subject",))
    each = " in the parameter draw" if draw else ""
    ds = annotate(ds, **LOCAL, step_kind=("1", "step rule of the schedule"),
                  step=("1", "cut per step: percent (step_kind percent_current or percent_start) or mg/day (mg)"),
                  interval_days=("d", "days between cuts"), substitute=("1", "switched to diazepam first"),
                  guideline_rate=("1", "within the guideline's ceiling of 25% per 2 weeks (W17)"),
                  feasible=("1", "P(clinically significant withdrawal) and P(seizure) within the caps" + each),
                  chosen=("1", "the planner's choice (fastest feasible) for its start dose and holds" + each),
                  feasible_draws=("1", "parameter draws in which the schedule is feasible (within the caps)"),
                  chosen_draws=("1", "parameter draws in which the schedule is the planner's choice"))
    ds.attrs.update({"drug": s.drug, "cohort": cfg.cohort.name, "prior_use_years": s.prior_use_years,
                     "cap_clinical": s.cap_clinical, "cap_seizure": s.cap_seizure, "max_holds": s.max_holds,
                     "burn_in_days": float(check_values(cfg.pd)["prior_use_burn_in_days"]),
                     "endpoints": "success: severity below the subject's drop-out level from the taper start to 4 "
                                  "weeks after the last dose (Schweizer 1990, E24); clinically significant: severity "
                                  "1 (CIWA-B 21); any: severity withdrawal_any_ratio; protracted: symptoms 8 weeks or "
                                  "more after the last dose (A)"})
    head = (f"Planner (P(clinically significant) <= {s.cap_clinical:g}, P(seizure) <= {s.cap_seizure:g}): the "
            "chosen schedule against the references")
    refs = table["schedule"].isin(["abrupt", "guideline", "ashton"])
    if draw:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
        report = _report_over_draws(table, cfg.n_draws, head, refs)
    else:
        cols = ["start_mg", "hold_severity", "schedule", "p_success", "p_withdrawal_clinical", "p_seizure",
                "drug_free_day_p50", "drug_free_day_p90", "holds_mean", "guideline_rate", "feasible", "chosen"]
        report = head + "\n" + table[table["chosen"] | refs][cols].round(4).to_string(index=False)
    return Result(ds, {"schedules": table},
                  f"{s.drug} {list(s.start_mg)} mg/day after {s.prior_use_years:g} years: {ds.sizes['regimen']} "
                  f"regimens x {cfg.n_subjects} subjects" + (f" x {cfg.n_draws} parameter draws" if draw else ""),
                  report)


def _report_over_draws(table: pd.DataFrame, n_draws: int, head: str, refs: pd.Series) -> str:
    """The report with parameter draws: per start dose and holds, the schedule chosen in most draws (and in how
    many draws none is feasible), then its row and the references', median (95% interval) over draws."""
    lines = [f"{head}; the choice is taken in each of {n_draws} parameter draws, median (95% interval) over draws"]
    for (start, hold), g in table.groupby(["start_mg", "hold_severity"], sort=False):
        none = n_draws - int(g["chosen_draws"].sum())  # a draw chooses one schedule or none
        top = g.loc[g["chosen_draws"].idxmax()]
        lines.append(f"{start:g} mg/day, holds at severity {hold:g}: " + (
            f"{top['schedule']} chosen most often, in {top['chosen_draws']}/{n_draws} draws "
            f"({top['chosen_draws'] / n_draws:.0%})" if top["chosen_draws"] else "no schedule chosen in any draw")
            + f"; no schedule within the caps in {none}/{n_draws} draws")
    most = table.groupby(["start_mg", "hold_severity"], sort=False)["chosen_draws"].transform("max")
    shown = table[((table["chosen_draws"] == most) & (most > 0)) | refs]
    cols = {name: [f"{m:.3g} ({lo:.3g}-{hi:.3g})" for lo, m, hi in
                   zip(shown[f"{name}_p2.5"], shown[f"{name}_p50"], shown[f"{name}_p97.5"])]
            for name in ("p_success", "p_withdrawal_clinical", "p_seizure", "drug_free_day_p50")}
    out = shown[["start_mg", "hold_severity", "schedule"]].assign(**cols, guideline_rate=shown["guideline_rate"],
                                                                  feasible_draws=shown["feasible_draws"],
                                                                  chosen_draws=shown["chosen_draws"])
    return "\n".join(lines) + "\n" + out.to_string(index=False)


def _chosen(sel: xr.Dataset) -> tuple[np.ndarray, list[str]]:
    """Per regimen of ``sel``: whether it is the planner's choice (with draws: chosen in the most draws, at least
    one) and the label's suffix."""
    if "draw" not in sel.dims:
        flag = sel["chosen"].values.astype(bool)
        return flag, [" (chosen)" if f else "" for f in flag]
    n = sel["chosen_draws"].values
    flag = (n == n.max()) & (n > 0)
    return flag, [f" (chosen in {k}/{sel.sizes['draw']} draws)" if f else "" for f, k in zip(flag, n)]


def _top(ds: xr.Dataset) -> xr.Dataset:
    """The regimens without holds at the largest start dose."""
    top = float(max(ds["start_mg"].values))
    return ds.isel(regimen=np.flatnonzero((ds["start_mg"].values == top) & (ds["hold_severity"].values == 0)))


def plot_frontier(ds: xr.Dataset, *, ax=None):
    """Median time to drug-free against P(clinically significant withdrawal), one point per schedule (no holds,
    the largest start dose); references and the planner's choice labelled, the cap dashed.  With parameter
    draws, the median over draws with their central 95% as error bars, the schedule chosen in most draws
    labelled."""
    ax = ax or new_axes()
    sel = _top(ds)
    p, p_err = median_and_interval(sel["withdrawal_clinical"].mean("subject"))
    d, d_err = median_and_interval(sel["drug_free_day"].median("subject"))
    chosen, suffix = _chosen(sel)
    for k, name in enumerate(sel["taper"].values):
        ref = name in ("abrupt", "guideline", "ashton") or chosen[k]
        color = "C3" if chosen[k] else ("C0" if "diazepam" in name else "0.5")
        if p_err is not None:
            ax.errorbar(d[k], p[k], xerr=d_err[:, k:k + 1], yerr=p_err[:, k:k + 1], color=color, lw=0.6, alpha=0.5)
        ax.plot(d[k], p[k], "o", color=color, ms=6 if ref else 3)
        if ref:
            ax.annotate(name + suffix[k], (d[k], p[k]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(ds.attrs["cap_clinical"], color="C3", ls="--", lw=0.8)
    ax.set_xlabel("median time to drug-free [d]")
    ax.set_ylabel(label(ds["withdrawal_clinical"], 45).replace("[1]", "(population mean) [1]"))
    top = float(sel["start_mg"].values[0])
    ax.set_title(f"{ds.attrs['drug']} {top:g} mg/day; grey direct, blue via diazepam" + (
        f"; 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims else ""), fontsize=9)
    return ax


def plot_incidence(ds: xr.Dataset, *, ax=None):
    """Cumulative incidence of clinically significant withdrawal over the days since the taper start, for the
    references and the planner's choice (no holds, the largest start dose); with parameter draws, the median
    over draws and a band of their central 95%."""
    ax = ax or new_axes()
    sel = _top(ds)
    days = np.arange(0, float(np.nanmax(sel["drug_free_day"].values)) + 30)
    chosen, suffix = _chosen(sel)
    for k, name in enumerate(sel["taper"].values):
        if name in ("abrupt", "guideline", "ashton") or chosen[k]:
            onset = sel["clinical_onset_day"].isel(regimen=k)
            curve = xr.concat([(onset <= x).mean("subject") for x in days], "day")
            y, err = median_and_interval(curve)
            line, = ax.step(days, y, where="post", label=name + suffix[k])
            if err is not None:
                ax.fill_between(days, y - err[0], y + err[1], step="post", color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xlabel("days since the taper start [d]")
    ax.set_ylabel("cumulative P(clinically significant withdrawal) [1]")
    if "draw" in ds.dims:
        ax.set_title(f"band: 95% over {ds.sizes['draw']} parameter draws", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """Duration vs risk frontier (left) and risk over the taper (right)."""
    return side_by_side(ds, (plot_frontier, plot_incidence),
                        title="Tapering {drug} after {prior_use_years} years ({cohort} cohort)")


EXPERIMENT = Experiment(
    name="taper", schema=TaperStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "pd.gaba", "pd.withdrawal"),
    tiny=("n_subjects=16", "study.start_mg=[1.5]", "study.sweep={step:[25]}", "study.planner=false",
          "study.references=[]", "study.hold_severity=[0,1]"),
    question="How fast can a long-term benzodiazepine user be tapered: abrupt vs guideline vs Ashton substitution "
             "vs a sweep, with and without symptom-guided holds, and which schedule is fastest under a risk cap?",
    draws=True)
