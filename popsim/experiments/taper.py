"""Question 4 (deprescribing): how to taper a long-term benzodiazepine user, and the fastest taper that keeps
the risks under a cap.

Every subject has used ``drug`` at ``start_mg`` a day for ``prior_use_years`` (the slow down-regulation of
:class:`popsim.pd.withdrawal.Withdrawal` set from that history at the end of a burn-in of
``BURN_IN_DAYS`` on the dose); the taper starts then (day 0 of the plans of :mod:`popsim.taper`).  The
schedules: an abrupt stop; the guideline taper (10% of the current dose every 2 weeks, ASAM 2025, W17);
Ashton's diazepam substitution (W22); and a sweep of :class:`popsim.taper.TaperSpec` (``sweep`` axes over
``base``).  With ``hold_severity`` > 0, a subject whose withdrawal severity exceeds it at a scheduled
reduction stays on the current dose for one more interval (:class:`popsim.pk.grid.Hold`, per subject in the
time loop), at most ``max_holds`` times.

Endpoints, as the trials define them (per subject, from the taper start; 1 yes, 0 no unless stated):

* ``success``: the taper is completed, i.e. the severity never reaches the subject's drop-out level
  (``withdrawal_dropout_ratio``; Schweizer 1990's "unable to become drug-free", E24) from the taper start to
  4 weeks after the last dose;
* ``withdrawal_any`` (any withdrawal reaction, E24) and ``withdrawal_clinical`` (clinically significant:
  severity 1, CIWA-B 21) at any time from the taper start; ``clinical_onset_day``;
* ``p_seizure`` (probability, from the seizure hazard) and ``delirium``;
* ``protracted``: symptoms at the 'any' level 8 weeks or more after the last dose (E33 gives no definition:
  A);
* ``drug_free_day`` (days from the taper start to the first day without a dose, holds included) and
  ``holds``.

:func:`plan_taper` is the planner: over candidate schedules (``percent_current`` steps x intervals x
diazepam substitution), the one with the shortest median time to drug-free whose P(clinically significant
withdrawal) and P(seizure) are at most their caps, for a cohort or for one person (covariates fixed, the
unknown between-subject variability and susceptibility drawn).
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from popsim import taper as tp
from popsim._validate import finite
from popsim.arm import Arm, run_arm
from popsim.cohort.presets import preset
from popsim.cohort.spec import CohortConfig
from popsim.config import Study
from popsim.dataset import annotate, register
from popsim.experiments.base import Experiment, Result
from popsim.pd.parameters import check_values
from popsim.pk.grid import Window
from popsim.plots import label, new_axes, side_by_side

__all__ = ["BURN_IN_DAYS", "EXPERIMENT", "FOLLOW_DAYS", "PlannedTaper", "TaperStudy", "candidates", "figure",
           "plan_taper", "run", "simulate_tapers"]

BURN_IN_DAYS = 21  # on the start dose before the taper: PK and fast tolerance settle (prior use applied then)
FOLLOW_DAYS = 28  # drop-out window: to 4 weeks after the last dose (A)
PROTRACTED_DAYS = 56  # protracted: symptoms 8 weeks or more after the last dose (A)
OUTCOMES = ("success", "withdrawal_any", "withdrawal_clinical", "p_seizure", "delirium", "protracted",
            "drug_free_day", "holds", "clinical_onset_day", "withdrawal_severity_peak")

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


def _burn_in(compiled: tp.Compiled, specs: Sequence[tp.TaperSpec], dt: float) -> np.ndarray:
    """(regimen, BURN_IN_DAYS steps, drug) inputs: each spec's start dose of its own drug, every day."""
    per_day = round(24.0 / dt)
    u = np.zeros((len(specs), BURN_IN_DAYS * per_day, len(compiled.drugs)))
    for r, s in enumerate(specs):
        c = compiled.drugs.index(s.drug)
        for h in s.hours:
            u[r, round(h / dt)::per_day, c] = s.start_mg / len(s.hours)
    return u


def _groups(specs: Sequence[tp.TaperSpec], hold: bool) -> list[list[int]]:
    """Indices of specs simulated together: all of them, or with holds one group per cadence (one Hold per
    grid)."""
    if not hold:
        return [list(range(len(specs)))]
    keys: dict[tuple, list[int]] = {}
    for i, s in enumerate(specs):
        keys.setdefault((s.interval_days, tp.hold_for(s, 1.0, "withdrawal_severity", 1.0).start), []).append(i)
    return list(keys.values())


def simulate_tapers(specs: Sequence[tp.TaperSpec], cohort: CohortConfig | str, *, seed: int, n_subjects: int,
                    values: Mapping[str, float], hold_severity: float = 0.0, max_holds: int = 4, dt: float = 1.0,
                    chunk_size: int = 8192, dtype=None, progress=None) -> dict[str, np.ndarray]:
    """The endpoints of the module docstring for every spec, ``(regimen, subject)``, and the subjects'
    covariates (``"covariates"``).  ``values``: the runtime PD constants (``prior_use_days`` set by the caller);
    ``hold_severity`` > 0: symptom-guided holds at that severity."""
    import jax.numpy as jnp

    dtype = dtype or jnp.float32
    drugs = tuple(dict.fromkeys(d for s in specs for d in ((s.drug, tp.SUBSTITUTE) if s.substitute else (s.drug,))))
    if len(drugs) > 2 or any(s.drug != drugs[0] for s in specs):
        raise ValueError(f"tapers of {sorted({s.drug for s in specs})}; allowed: one drug per call (with or "
                         "without substitution)")
    per_day = round(24.0 / dt)
    longest = max(tp.plan(s).drug_free_day for s in specs)
    interval = max(s.interval_days for s in specs)
    days = BURN_IN_DAYS + longest + (max_holds * interval if hold_severity > 0 else 0) + PROTRACTED_DAYS + 1
    n = days * per_day + 1
    start = BURN_IN_DAYS * per_day
    others = tuple((d, "oral") for d in drugs[1:])
    arm = Arm(drugs[0], "oral", cohort, dt, n, others=others)
    thresholds = (values["withdrawal_any_ratio"], 1.0, values["withdrawal_dropout_ratio"])
    out: dict[str, np.ndarray] = {}
    order = []
    for group in _groups(specs, hold_severity > 0):
        chosen = [specs[i] for i in group]
        comp = tp.compile_many(chosen, dt, n - start, cut=True)
        u = np.zeros((len(chosen), n, len(drugs)))
        cols = [drugs.index(d) for d in comp.drugs]
        u[:, :start][..., cols] = _burn_in(comp, chosen, dt)
        u[:, start:][..., cols] = comp.u
        hold = None
        if hold_severity > 0:
            h = tp.hold_for(chosen, dt, "withdrawal_severity", hold_severity, max_holds=max_holds,
                            channels=tuple(cols))
            hold = dataclasses.replace(h, start=h.start + start)
        pairs = tuple(("withdrawal_severity", float(x)) for x in thresholds)
        windows = {"before": Window(0, start), "taper": Window(start, n - 1, pd_above=pairs)}
        r = run_arm(arm, u, seed=seed, n_subjects=n_subjects, windows=windows, values=values, chunk_size=chunk_size,
                    dtype=dtype, progress=progress, save=False, summarised=("withdrawal_severity",), hold=hold)
        first = np.stack([r.above(p)[1] for p in pairs]).astype(float)  # (threshold, regimen, subject), h
        shape = first.shape[1:]
        delay = np.asarray(r.raw["hold_delay"], float) if hold is not None else np.zeros(shape)
        free = comp.drug_free_day[:, None] * 24.0 + delay + start * dt  # h from t = 0

        def end(window, name):
            return np.asarray(r.stat("pd_end", window, name), float)

        part = {
            "success": 1.0 - (first[2] <= free + FOLLOW_DAYS * 24.0),
            "withdrawal_any": np.isfinite(first[0]).astype(float),
            "withdrawal_clinical": np.isfinite(first[1]).astype(float),
            "clinical_onset_day": (first[1] - start * dt) / 24.0,
            "p_seizure": -np.expm1(-(end("taper", "seizure_cumhaz") - end("before", "seizure_cumhaz"))),
            "delirium": end("taper", "delirium") - end("before", "delirium"),
            "protracted": (end("taper", "withdrawal_last_symptom") >= free + PROTRACTED_DAYS * 24.0).astype(float),
            "drug_free_day": (free - start * dt) / 24.0,
            "holds": np.asarray(r.raw["hold_count"], float) if hold is not None else np.zeros(shape),
            "withdrawal_severity_peak": np.asarray(r.stat("pd_max", "taper", "withdrawal_severity"), float),
        }
        for k, v in part.items():
            out.setdefault(k, []).append(np.asarray(v, float))
        order += group
        covariates = r.covariates
    back = np.argsort(order)
    result = {k: np.concatenate(v)[back] for k, v in out.items()}
    result["covariates"] = covariates
    return result


def candidates(drug: str, start_mg: float, hours: Sequence[float], *,
               steps: Sequence[float] = (5, 10, 15, 20, 25, 35, 50), intervals: Sequence[int] = (7, 14, 28),
               substitute: Sequence[bool] = (False, True),
               max_days: int = tp.MAX_DAYS) -> list[tp.TaperSpec]:
    """The planner's search space: ``percent_current`` cuts of ``steps`` percent every ``intervals`` days,
    directly or after a switch to diazepam (Ashton's cross-over), each ending when the cut rounds the dose to
    zero, stopped on ``max_days`` at the latest."""
    out = []
    for step, every, switch in itertools.product(steps, intervals, substitute):
        if switch and drug == tp.SUBSTITUTE:
            continue
        out.append(tp.TaperSpec(drug, start_mg, tuple(hours), "percent_current", float(step), int(every),
                                substitute=bool(switch), crossover_steps=len(hours) if switch else 1,
                                max_days=max_days, on_overrun="stop"))
    return out


@dataclasses.dataclass(frozen=True)
class PlannedTaper:
    """What :func:`plan_taper` returns: ``spec`` the chosen schedule (None if no candidate meets the caps),
    ``plan`` its day-by-day doses (:class:`popsim.taper.Plan`), ``specs`` every schedule simulated (the
    candidates, then the guideline and Ashton references), ``table`` one row per schedule with its risks and
    duration (``chosen``/``feasible`` flags), ``outcomes`` the per-subject endpoints ``(schedule, subject)``,
    ``covariates`` the subjects', ``caps``."""

    spec: tp.TaperSpec | None
    plan: tp.Plan | None
    specs: tuple[tp.TaperSpec, ...]
    table: pd.DataFrame
    outcomes: dict[str, np.ndarray]
    covariates: dict[str, np.ndarray]
    caps: dict[str, float]


def _summary(res: Mapping[str, np.ndarray], k: int) -> dict[str, float]:
    return {"p_success": res["success"][k].mean(), "p_withdrawal_any": res["withdrawal_any"][k].mean(),
            "p_withdrawal_clinical": res["withdrawal_clinical"][k].mean(), "p_seizure": res["p_seizure"][k].mean(),
            "p_protracted": res["protracted"][k].mean(), "drug_free_day_p50": np.median(res["drug_free_day"][k]),
            "drug_free_day_p90": np.quantile(res["drug_free_day"][k], 0.9), "holds_mean": res["holds"][k].mean()}


def plan_taper(drug: str, start_mg: float, hours: Sequence[float], *, cohort: CohortConfig | str = "adult",
               person: Mapping[str, float] | None = None, prior_use_years: float = 2.0,
               cap_clinical: float = 0.1, cap_seizure: float = 1e-3, hold_severity: float = 0.0,
               n_subjects: int = 2000, seed: int = 0, specs: Sequence[tp.TaperSpec] | None = None,
               constants: Mapping[str, float] | None = None, references: Sequence[str] | None = None, dtype=None,
               progress=None) -> PlannedTaper:
    """The fastest taper under a risk cap: over ``specs`` (default :func:`candidates`), the schedule with the
    shortest median time to drug-free whose P(clinically significant withdrawal) <= ``cap_clinical`` and
    P(seizure) <= ``cap_seizure`` in ``n_subjects`` of ``cohort``, compared with the guideline and Ashton
    schedules.  ``person``: one person's covariates (``age``, ``male`` 0/1, ``height_cm``, ``bmi``; others
    from ``cohort``), whose unknown PK/PD variability and susceptibility are drawn, so the risks are that
    person's probabilities.  ``constants``: other runtime PD constants (``pd.<name>``); ``references``: the reference schedules
    compared (default both, ``guideline`` and ``ashton``)."""
    finite("cap_clinical", cap_clinical, low=0, high=1)
    finite("cap_seizure", cap_seizure, low=0, high=1)
    finite("prior_use_years", prior_use_years, low=0, high=80)
    c = preset(cohort) if isinstance(cohort, str) else cohort
    if person is not None:
        c = _person(c, person)
    values = check_values({**(constants or {}), "prior_use_days": 365.25 * prior_use_years})
    specs = list(specs) if specs is not None else candidates(drug, start_mg, hours)
    refs = {"guideline": tp.guideline(drug, start_mg, hours, max_days=tp.MAX_DAYS, on_overrun="stop"),
            "ashton": tp.ashton(drug, start_mg, hours, max_days=tp.MAX_DAYS, on_overrun="stop")}
    if references is not None:
        refs = {k: v for k, v in refs.items() if k in references}
    every = specs + list(refs.values())
    direct = [i for i, s in enumerate(every) if not s.substitute]
    switched = [i for i, s in enumerate(every) if s.substitute]
    res: dict[str, np.ndarray] = {}
    for part in (direct, switched):
        if part:
            r = simulate_tapers([every[i] for i in part], c, seed=seed, n_subjects=n_subjects, values=values,
                                hold_severity=hold_severity, dtype=dtype, progress=progress)
            for k in OUTCOMES:
                res.setdefault(k, np.zeros((len(every), n_subjects)))[part] = r[k]
            covariates = r["covariates"]
    rows = []
    for k, s in enumerate(every):
        name = list(refs)[k - len(specs)] if k >= len(specs) else schedule_name(s)
        rows.append({"schedule": name, "step_kind": s.step_kind, "step": s.step, "interval_days": s.interval_days,
                     "substitute": s.substitute, "guideline_rate": _within_rate(s), **_summary(res, k)})
    table = pd.DataFrame(rows)
    feasible = (table["p_withdrawal_clinical"] <= cap_clinical) & (table["p_seizure"] <= cap_seizure)
    table["feasible"] = feasible
    pool = table.index[feasible & ~table["schedule"].isin(list(refs))]
    best = min(pool, key=lambda i: (table.at[i, "drug_free_day_p50"], table.at[i, "p_withdrawal_clinical"])) \
        if len(pool) else None
    table["chosen"] = table.index == best
    spec = every[best] if best is not None else None
    return PlannedTaper(spec, tp.plan(spec) if spec is not None else None, tuple(every), table, res, covariates,
                        {"p_withdrawal_clinical": cap_clinical, "p_seizure": cap_seizure})


def schedule_name(s: tp.TaperSpec) -> str:
    """A short label: ``abrupt``, or the cut and interval (``10%/14d``, ``25% of start/7d``, ``2mg/7d``), with
    `` via diazepam`` for a switch."""
    if s.step_kind == "percent_start" and s.step >= 100:
        return "abrupt"
    cut = {"percent_current": f"{s.step:g}%", "percent_start": f"{s.step:g}% of start",
           "mg": f"{s.step:g}mg"}[s.step_kind]
    return f"{cut}/{s.interval_days}d" + (" via diazepam" if s.substitute else "")


def abrupt(drug: str, start_mg: float, hours: Sequence[float]) -> tp.TaperSpec:
    """An abrupt stop: the start dose for one day (the burn-in precedes it), then nothing."""
    return tp.TaperSpec(drug, start_mg, tuple(hours), "percent_start", 100.0, 1)


def _within_rate(spec: tp.TaperSpec) -> bool:
    """Whether the schedule respects the guideline's ceiling (not more than 25% every 2 weeks, W17)."""
    try:
        tp.check_rate(spec)
    except ValueError:
        return False
    return True


def _person(c: CohortConfig, person: Mapping[str, float]) -> CohortConfig:
    """The cohort narrowed to one person's covariates (age, sex, height, BMI)."""
    allowed = ("age", "male", "height_cm", "bmi")
    for k in person:
        if k not in allowed:
            raise ValueError(f"person.{k}: unknown covariate; allowed: {list(allowed)}")
    out = dataclasses.replace(c, name="person")
    if "age" in person:
        a = float(person["age"])
        out = dataclasses.replace(out, age_min=a - 0.5, age_max=a + 0.5, age_mean=a, age_sd=0.1)
    if "male" in person:
        out = dataclasses.replace(out, p_male=float(person["male"]))
    if "height_cm" in person:
        h = float(person["height_cm"])
        out = dataclasses.replace(out, height_cm_male=[h, 0.1], height_cm_female=[h, 0.1])
    if "bmi" in person:
        b = float(person["bmi"])
        out = dataclasses.replace(out, bmi_median=b, bmi_gsd=1.001, bmi_min=b - 0.5, bmi_max=b + 0.5)
    out.check("person")
    return out


LEVELS = ["start_mg", "hold_severity", "taper"]
# names whose meaning here is this Dataset's own
LOCAL = {"p_seizure": ("1", "probability of a withdrawal seizure from the taper start"),
         "withdrawal_severity_peak": ("1", "largest withdrawal severity from the taper start (1: the subject's "
                                           "threshold of clinically significant withdrawal)")}


@dataclass
class TaperStudy(Study):
    """Long-term users of ``drug`` at each of ``start_mg`` (mg/day over ``hours``) for ``prior_use_years``,
    tapered by: an abrupt stop, the guideline and Ashton schedules, the ``sweep`` (axes over ``base``, the
    syntax of :func:`popsim.taper.sweep`) and, with ``planner``, the planner's candidates (the fastest under
    ``cap_clinical`` and ``cap_seizure`` is chosen); each without holds and with holds at every
    ``hold_severity`` > 0 (at most ``max_holds``)."""

    drug: str = "alprazolam"
    start_mg: list[float] = field(default_factory=lambda: [1.5, 3.0])
    hours: list[float] = field(default_factory=lambda: [8.0, 14.0, 20.0])
    prior_use_years: float = 2.0
    base: dict = field(default_factory=lambda: {"step_kind": "percent_current"})
    sweep: list[str] = field(default_factory=lambda: ["step=[10,25]", "interval_days=[7,14]"])
    hold_severity: list[float] = field(default_factory=lambda: [0.0, 1.0])
    max_holds: int = 4
    planner: bool = True
    cap_clinical: float = 0.1
    cap_seizure: float = 0.001

    def check(self, cfg) -> None:
        from popsim._validate import unique

        if "prior_use_days" in (cfg.pd or {}):
            raise ValueError("pd.prior_use_days: the taper experiment sets it from study.prior_use_years; "
                             "allowed: study.prior_use_years")
        finite("study.prior_use_years", self.prior_use_years, low=0, high=80)
        unique("study.start_mg", self.start_mg)
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
            self.specs(x)

    def specs(self, start_mg: float) -> list[tp.TaperSpec]:
        """The schedules of one start dose other than the references: abrupt, the sweep, the candidates."""
        base = {**dict(self.base), "drug": self.drug, "start_mg": start_mg, "hours": list(self.hours)}
        base.setdefault("step_kind", "percent_current")
        base.setdefault("step", 10.0)
        base.setdefault("interval_days", 14)
        swept, _ = tp.sweep(base, list(self.sweep)) if self.sweep else ([], None)
        out = [abrupt(self.drug, start_mg, self.hours)] + swept
        if self.planner:
            out += [c for c in candidates(self.drug, start_mg, self.hours) if c not in out]
        return out


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (start dose x holds x schedule) x subject; the planner's table per start dose."""
    s = cfg.study
    labels, outcomes, tables, covariates = [], [], [], None
    for start in s.start_mg:
        for hold in s.hold_severity:
            pt = plan_taper(s.drug, start, s.hours, cohort=cfg.cohort, prior_use_years=s.prior_use_years,
                            cap_clinical=s.cap_clinical, cap_seizure=s.cap_seizure, hold_severity=hold,
                            n_subjects=cfg.n_subjects, seed=cfg.seed, specs=s.specs(start), constants=cfg.pd, dtype=dtype,
                            progress=progress)
            t = pt.table.assign(start_mg=start, hold_severity=hold)
            tables.append(t)
            labels += [(start, hold, name) for name in t["schedule"]]
            outcomes.append(pt.outcomes)
            covariates = pt.covariates
    table = pd.concat(tables, ignore_index=True)
    index = pd.MultiIndex.from_tuples(labels, names=LEVELS)
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    ds = ds.assign_coords(subject=np.arange(cfg.n_subjects))
    for k in OUTCOMES:
        ds[k] = (("regimen", "subject"), np.concatenate([o[k] for o in outcomes]))
    for col in ("step_kind", "step", "interval_days", "substitute", "guideline_rate", "feasible", "chosen"):
        ds = ds.assign_coords({col: ("regimen", table[col].to_numpy())})
    from popsim.dataset import with_covariates

    ds = with_covariates(ds, covariates, ("subject",))
    ds = annotate(ds, **LOCAL, step_kind=("1", "step rule of the schedule"), step=("1", "cut per step (percent, or mg/day)"),
                  interval_days=("d", "days between cuts"), substitute=("1", "switched to diazepam first"),
                  guideline_rate=("1", "within the guideline's ceiling of 25% per 2 weeks (W17)"),
                  feasible=("1", "P(clinically significant withdrawal) and P(seizure) within the caps"),
                  chosen=("1", "the planner's choice (fastest feasible) for its start dose and holds"))
    ds.attrs.update({"drug": s.drug, "cohort": cfg.cohort.name, "prior_use_years": s.prior_use_years,
                     "cap_clinical": s.cap_clinical, "cap_seizure": s.cap_seizure, "max_holds": s.max_holds,
                     "burn_in_days": BURN_IN_DAYS,
                     "endpoints": "success: severity below the subject's drop-out level from the taper start to 4 "
                                  "weeks after the last dose (Schweizer 1990, E24); clinically significant: severity "
                                  "1 (CIWA-B 21); any: severity withdrawal_any_ratio; protracted: symptoms 8 weeks or "
                                  "more after the last dose (A)"})
    cols = ["start_mg", "hold_severity", "schedule", "p_success", "p_withdrawal_clinical", "p_seizure",
            "drug_free_day_p50", "drug_free_day_p90", "holds_mean", "guideline_rate", "feasible", "chosen"]
    chosen = table[table["chosen"] | table["schedule"].isin(["abrupt", "guideline", "ashton"])]
    report = (f"Planner (P(clinically significant) <= {s.cap_clinical:g}, P(seizure) <= {s.cap_seizure:g}): the "
              "chosen schedule against the references\n" + chosen[cols].round(4).to_string(index=False))
    return Result(ds, {"schedules": table},
                  f"{s.drug} {list(s.start_mg)} mg/day after {s.prior_use_years:g} years: {ds.sizes['regimen']} "
                  f"regimens x {cfg.n_subjects} subjects", report)


def plot_frontier(ds: xr.Dataset, *, ax=None):
    """Median time to drug-free against P(clinically significant withdrawal), one point per schedule (no holds,
    the largest start dose); references and the planner's choice labelled, the cap dashed."""
    ax = ax or new_axes()
    top = float(max(ds["start_mg"].values))
    sel = ds.where((ds["start_mg"] == top) & (ds["hold_severity"] == 0), drop=True)
    p = sel["withdrawal_clinical"].mean("subject")
    d = sel["drug_free_day"].median("subject")
    names = sel["taper"].values
    for k, name in enumerate(names):
        ref = name in ("abrupt", "guideline", "ashton") or bool(sel["chosen"].values[k])
        color = "C3" if bool(sel["chosen"].values[k]) else ("C0" if "diazepam" in name else "0.5")
        ax.plot(d.values[k], p.values[k], "o", color=color, ms=6 if ref else 3)
        if ref:
            ax.annotate(name + (" (chosen)" if bool(sel["chosen"].values[k]) else ""), (d.values[k], p.values[k]),
                        fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(ds.attrs["cap_clinical"], color="C3", ls="--", lw=0.8)
    ax.set_xlabel("median time to drug-free [d]")
    ax.set_ylabel(label(ds["withdrawal_clinical"], 45).replace("[1]", "(population mean) [1]"))
    ax.set_title(f"{ds.attrs['drug']} {top:g} mg/day; grey direct, blue via diazepam", fontsize=9)
    return ax


def plot_incidence(ds: xr.Dataset, *, ax=None):
    """Cumulative incidence of clinically significant withdrawal over the days since the taper start, for the
    references and the planner's choice (no holds, the largest start dose)."""
    ax = ax or new_axes()
    top = float(max(ds["start_mg"].values))
    sel = ds.where((ds["start_mg"] == top) & (ds["hold_severity"] == 0), drop=True)
    days = np.arange(0, float(np.nanmax(sel["drug_free_day"].values)) + 30)
    for k, name in enumerate(sel["taper"].values):
        if name in ("abrupt", "guideline", "ashton") or bool(sel["chosen"].values[k]):
            onset = sel["clinical_onset_day"].values[k]
            ax.step(days, [(onset <= x).mean() for x in days], where="post",
                    label=name + (" (chosen)" if bool(sel["chosen"].values[k]) else ""))
    ax.set_xlabel("days since the taper start [d]")
    ax.set_ylabel("cumulative P(clinically significant withdrawal) [1]")
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """Duration vs risk frontier (left) and risk over the taper (right)."""
    return side_by_side(ds, (plot_frontier, plot_incidence),
                        title="Tapering {drug} after {prior_use_years} years ({cohort} cohort)")


EXPERIMENT = Experiment(
    name="taper", schema=TaperStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "pd.gaba", "pd.withdrawal"),
    tiny=("n_subjects=16", "study.start_mg=[1.5]", "study.sweep=[step=[25]]", "study.planner=false",
          "study.hold_severity=[0,1]"),
    question="How fast can a long-term benzodiazepine user be tapered: abrupt vs guideline vs Ashton substitution "
             "vs a sweep, with and without symptom-guided holds, and which schedule is fastest under a risk cap?")
