"""The taper planner: simulate many taper schedules in long-term users and choose the fastest one that keeps
the risks of withdrawal under a cap (issue 15; the ``taper`` experiment is built on it).

Every subject has used the drug at the start dose for ``prior_use_years`` (the slow down-regulation of
:class:`popsim.pd.withdrawal.Withdrawal` set from that history at the end of a burn-in of
``prior_use_burn_in_days`` on the dose); the taper starts then (day 0 of the plans of :mod:`popsim.taper`).
With ``hold_severity`` > 0, a subject whose withdrawal severity exceeds it at a scheduled reduction stays
on the current dose for one more interval (:class:`popsim.pk.grid.Hold`, per subject in the time loop),
at most ``max_holds`` times.

Endpoints, as the trials define them (per subject, from the taper start; 1 yes, 0 no unless stated):

* ``success``: the taper is completed, i.e. the severity never reaches the subject's drop-out level
  (``withdrawal_dropout_ratio``; Schweizer 1990's "unable to become drug-free", E24) from the taper start to
  4 weeks after the last dose;
* ``withdrawal_any`` (any withdrawal reaction, E24) and ``withdrawal_clinical`` (clinically significant:
  severity 1, CIWA-B 21) from the taper start to 8 weeks after the last dose; ``clinical_onset_day``;
* ``p_seizure`` (probability, from the seizure hazard) and ``delirium``;
* ``protracted``: symptoms at the 'any' level 8 weeks or more after the last dose (E33 gives no definition:
  A);
* ``drug_free_day`` (days from the taper start to the first day without a dose, holds included) and
  ``holds``; ``withdrawal_severity_peak``.

:func:`plan_taper`: over candidate schedules (:func:`candidates`: ``percent_current`` cuts x intervals x
diazepam substitution), the one with the shortest median time to drug-free whose P(clinically significant
withdrawal) and P(seizure) are at most their caps, for a cohort or for one person (covariates fixed, the
unknown between-subject variability and susceptibility drawn), compared with the guideline (W17) and
Ashton (W22) schedules.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from popsim import taper as tp
from popsim._validate import closest, finite
from popsim.arm import Arm, run_arm
from popsim.cohort.presets import preset
from popsim.cohort.spec import CohortConfig
from popsim.io import over_draws
from popsim.pd.parameters import check_draws, check_values
from popsim.pk.grid import Window

__all__ = ["FOLLOW_DAYS", "OUTCOMES", "PROTRACTED_DAYS", "PlannedTaper", "SUMMARY", "abrupt", "candidates",
           "horizon_days", "on_cadence", "plan_taper", "schedule_name", "simulate_tapers"]

FOLLOW_DAYS = 28  # drop-out window: to 4 weeks after the last dose (A)
PROTRACTED_DAYS = 56  # protracted: symptoms 8 weeks or more after the last dose (A)
OUTCOMES = ("success", "withdrawal_any", "withdrawal_clinical", "p_seizure", "delirium", "protracted",
            "drug_free_day", "holds", "clinical_onset_day", "withdrawal_severity_peak")


def _burn_in(compiled: tp.Compiled, specs: Sequence[tp.TaperSpec], dt: float, days: int) -> np.ndarray:
    """(regimen, ``days`` of steps, drug) inputs: each spec's start dose of its own drug, every day."""
    per_day = round(24.0 / dt)
    u = np.zeros((len(specs), days * per_day, len(compiled.drugs)))
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


def horizon_days(specs: Sequence[tp.TaperSpec], hold_severity: float = 0.0, max_holds: int = 4) -> int:
    """Days from the taper start that every spec needs: its plan, its holds and the protracted window."""
    longest = max(tp.plan(s).drug_free_day for s in specs)
    interval = max(s.interval_days for s in specs)
    return longest + (max_holds * interval if hold_severity > 0 else 0) + PROTRACTED_DAYS + 1


def simulate_tapers(specs: Sequence[tp.TaperSpec], cohort: CohortConfig | str, *, seed: int, n_subjects: int,
                    values: Mapping[str, object], hold_severity: float = 0.0, max_holds: int = 4,
                    days: int | None = None, dt: float = 1.0, chunk_size: int = 8192, dtype=None,
                    progress=None) -> dict[str, np.ndarray]:
    """The endpoints of the module docstring for every spec, ``(regimen, subject)`` (``(regimen, draw,
    subject)`` with parameter draws), and the subjects' covariates (``"covariates"``).  ``values``: the
    runtime PD constants, scalars or parameter draws (``(draw,)`` arrays, scalars held fixed:
    :func:`popsim.pd.parameters.check_draws`; ``prior_use_days`` set by the caller; the taper starts at the
    end of the burn-in, ``prior_use_burn_in_days``, whole days, the same in every draw: it sets the grid);
    the levels of 'any' withdrawal (``withdrawal_any_ratio``) and of drop-out (``withdrawal_dropout_ratio``)
    are those of each draw; ``hold_severity`` > 0: symptom-guided holds at that severity, at most
    ``max_holds``; ``days``: the horizon from the taper start (default :func:`horizon_days`; give one to
    compare several calls on one horizon)."""
    import jax.numpy as jnp

    dtype = dtype or jnp.float32
    drugs = tuple(dict.fromkeys(d for s in specs for d in ((s.drug, tp.SUBSTITUTE) if s.substitute else (s.drug,))))
    if len(drugs) > 2 or any(s.drug != drugs[0] for s in specs):
        raise ValueError(f"tapers of {sorted({s.drug for s in specs})}; allowed: one drug per call (with or "
                         "without substitution)")
    drawn = any(np.ndim(v) for v in values.values())
    if drawn:
        values = check_draws(values)
    burn_in = values["prior_use_burn_in_days"]
    if drawn:  # a configuration input, not an uncertain constant: one taper start for every draw
        if np.ptp(burn_in) > 0:
            raise ValueError(f"pd.prior_use_burn_in_days={list(burn_in)!r} over draws: the taper starts at the end "
                             "of the burn-in, one grid for every draw; allowed: the same value in every draw")
        burn_in = float(burn_in[0])
    if burn_in != round(burn_in) or burn_in < 1:
        raise ValueError(f"pd.prior_use_burn_in_days={burn_in!r}: a taper starts at the end of the burn-in; "
                         "allowed: whole days >= 1")
    burn_in = round(burn_in)
    per_day = round(24.0 / dt)
    need = horizon_days(specs, hold_severity, max_holds)
    days = need if days is None else days
    if days < need:
        raise ValueError(f"days={days!r}; allowed: >= {need} (the plans, holds and the protracted window)")
    n = (burn_in + days) * per_day + 1
    start = burn_in * per_day
    others = tuple((d, "oral") for d in drugs[1:])
    arm = Arm(drugs[0], "oral", cohort, dt, n, others=others)
    # the severity levels of any withdrawal, clinically significant withdrawal and drop-out, each a scalar or
    # one per draw; a window counts fixed levels, so with draws it counts every draw's (and each draw reads its own)
    thresholds = (values["withdrawal_any_ratio"], 1.0, values["withdrawal_dropout_ratio"])
    levels = dict.fromkeys(float(x) for t in thresholds for x in np.ravel(t)) if drawn else thresholds
    pairs = tuple(("withdrawal_severity", float(x)) for x in levels)
    out: dict[str, np.ndarray] = {}
    order = []
    for group in _groups(specs, hold_severity > 0):
        chosen = [specs[i] for i in group]
        comp = tp.compile_many(chosen, dt, n - start, cut=True)
        u = np.zeros((len(chosen), n, len(drugs)))
        cols = [drugs.index(d) for d in comp.drugs]
        u[:, :start][..., cols] = _burn_in(comp, chosen, dt, burn_in)
        u[:, start:][..., cols] = comp.u
        hold = None
        if hold_severity > 0:
            h = tp.hold_for(chosen, dt, "withdrawal_severity", hold_severity, max_holds=max_holds,
                            channels=tuple(cols))
            hold = dataclasses.replace(h, start=h.start + start)
        windows = {"before": Window(0, start), "taper": Window(start, n - 1, pd_above=pairs)}
        r = run_arm(arm, u, seed=seed, n_subjects=n_subjects, windows=windows, values=values, chunk_size=chunk_size,
                    dtype=dtype, progress=progress, save=False, summarised=("withdrawal_severity",), hold=hold)
        first = np.stack([_first_above(r, x) for x in thresholds]).astype(float)  # (level, regimen[, draw], subject), h
        shape = first.shape[1:]
        delay = np.asarray(r.raw["hold_delay"], float) if hold is not None else np.zeros(shape)
        free = comp.drug_free_day.reshape(-1, *[1] * (len(shape) - 1)) * 24.0 + delay + start * dt  # h from t = 0

        def at(window, name):
            return np.asarray(r.stat("pd_end", window, name), float)

        end = free + PROTRACTED_DAYS * 24.0  # every endpoint ends 8 weeks after the subject's own last dose
        part = {
            "success": 1.0 - (first[2] <= free + FOLLOW_DAYS * 24.0),
            "withdrawal_any": (first[0] <= end).astype(float),
            "withdrawal_clinical": (first[1] <= end).astype(float),
            "clinical_onset_day": np.where(first[1] <= end, (first[1] - start * dt) / 24.0, np.nan),
            "p_seizure": -np.expm1(-(at("taper", "seizure_cumhaz") - at("before", "seizure_cumhaz"))),
            "delirium": at("taper", "delirium") - at("before", "delirium"),
            "protracted": (at("taper", "withdrawal_last_symptom") >= end).astype(float),
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


def _first_above(r, level) -> np.ndarray:
    """First time (h since t = 0, NaN if never) the withdrawal severity is above ``level`` in the taper window,
    ``(regimen, subject)``; ``level`` one per draw (``(draw,)``): each draw's own, ``(regimen, draw, subject)``."""
    if not np.ndim(level):
        return r.above(("withdrawal_severity", float(level)))[1]
    return np.stack([r.above(("withdrawal_severity", float(x)))[1][:, j] for j, x in enumerate(level)], axis=1)


def candidates(drug: str, start_mg: float, hours: Sequence[float], *,
               steps: Sequence[float] = (5, 10, 15, 20, 25, 35, 50), intervals: Sequence[int] = (7, 14, 28),
               substitute: Sequence[bool] = (False, True), max_days: int = tp.MAX_DAYS,
               form: tp.Form = tp.Form()) -> list[tp.TaperSpec]:
    """The planner's search space: ``percent_current`` cuts of ``steps`` percent every ``intervals`` days,
    directly or after a switch to diazepam (Ashton's cross-over), each ending when the cut rounds the dose to
    zero, stopped on ``max_days`` at the latest; ``form``: the drug's form (default its tablets; e.g.
    ``Form(liquid_mg=0.01)`` for a liquid measured to 0.01 mg, which allows a smaller last dose)."""
    out = []
    for step, every, switch in itertools.product(steps, intervals, substitute):
        if switch and drug == tp.SUBSTITUTE:
            continue
        spec = tp.TaperSpec(drug, start_mg, tuple(hours), "percent_current", float(step), int(every),
                            substitute=bool(switch), crossover_steps=len(hours) if switch else 1,
                            max_days=max_days, on_overrun="stop", form=form)
        out.append(on_cadence(spec))
    return out


def on_cadence(spec: tp.TaperSpec) -> tp.TaperSpec:
    """``spec`` with its forced stop (``on_overrun="stop"`` at ``max_days``) moved back to the last day on the
    taper's cadence, so that a hold can replay whole levels (:func:`popsim.taper.hold_for`); other specs as
    they are."""
    steps = tp.plan(spec).steps
    if spec.on_overrun != "stop" or "forced_stop" not in set(steps["stage"]):
        return spec
    start = int(steps["day"][steps["ideal_mg"].notna()].iloc[0])
    return dataclasses.replace(spec, max_days=start + (spec.max_days - start) // spec.interval_days
                               * spec.interval_days)


@dataclasses.dataclass(frozen=True)
class PlannedTaper:
    """What :func:`plan_taper` returns: ``spec`` the chosen schedule (None if no candidate meets the caps; with
    parameter draws the one chosen in most draws, None if none is chosen in any), ``plan`` its day-by-day doses
    (:class:`popsim.taper.Plan`), ``specs`` every schedule simulated (the candidates, then the guideline and
    Ashton references), ``table`` one row per schedule with its risks and duration (``chosen``/``feasible``
    flags; with draws each risk and duration over draws, :func:`popsim.io.over_draws`, and the number of draws
    in which the schedule is feasible, ``feasible_draws``, and chosen, ``chosen_draws``), ``outcomes`` the
    per-subject endpoints ``(schedule, subject)`` (``(schedule, draw, subject)`` with draws), ``covariates``
    the subjects', ``caps``; ``by_draw``: with draws, the table of each draw (the columns of ``table``
    without draws: the decision taken in that draw), else empty."""

    spec: tp.TaperSpec | None
    plan: tp.Plan | None
    specs: tuple[tp.TaperSpec, ...]
    table: pd.DataFrame
    outcomes: dict[str, np.ndarray]
    covariates: dict[str, np.ndarray]
    caps: dict[str, float]
    by_draw: tuple[pd.DataFrame, ...] = ()


SUMMARY = ("p_success", "p_withdrawal_any", "p_withdrawal_clinical", "p_seizure", "p_protracted", "drug_free_day_p50",
           "drug_free_day_p90", "holds_mean")  # the table's columns per schedule (in each draw, with draws)


def _summary(res: Mapping[str, np.ndarray], k: int) -> dict[str, float]:
    return {"p_success": res["success"][k].mean(), "p_withdrawal_any": res["withdrawal_any"][k].mean(),
            "p_withdrawal_clinical": res["withdrawal_clinical"][k].mean(), "p_seizure": res["p_seizure"][k].mean(),
            "p_protracted": res["protracted"][k].mean(), "drug_free_day_p50": np.median(res["drug_free_day"][k]),
            "drug_free_day_p90": np.quantile(res["drug_free_day"][k], 0.9), "holds_mean": res["holds"][k].mean()}


def _decide(rows: Sequence[dict], res: Mapping[str, np.ndarray], refs: Sequence[str], cap_clinical: float,
            cap_seizure: float) -> tuple[pd.DataFrame, int | None]:
    """One table of the schedules ``rows`` (their descriptions) with the summaries of the endpoints ``res``
    ``(schedule, subject)``, the ``feasible`` flags and the choice: the fastest feasible schedule but the
    references ``refs`` (shortest median time to drug-free, then the lower P(clinical)); its row or None."""
    table = pd.DataFrame([{**row, **_summary(res, k)} for k, row in enumerate(rows)])
    feasible = (table["p_withdrawal_clinical"] <= cap_clinical) & (table["p_seizure"] <= cap_seizure)
    table["feasible"] = feasible
    pool = table.index[feasible & ~table["schedule"].isin(list(refs))]
    best = min(pool, key=lambda i: (table.at[i, "drug_free_day_p50"], table.at[i, "p_withdrawal_clinical"])) \
        if len(pool) else None
    table["chosen"] = table.index == best
    return table, best


def plan_taper(drug: str, start_mg: float, hours: Sequence[float], *, cohort: CohortConfig | str = "adult",
               person: Mapping[str, float] | None = None, prior_use_years: float = 2.0,
               cap_clinical: float = 0.1, cap_seizure: float = 1e-3, hold_severity: float = 0.0,
               max_holds: int = 4, n_subjects: int = 2000, seed: int = 0,
               specs: Sequence[tp.TaperSpec] | None = None,
               constants: Mapping[str, float] | None = None, values: Mapping[str, object] | None = None,
               references: Sequence[str] | None = None, dtype=None, progress=None) -> PlannedTaper:
    """The fastest taper under a risk cap: over ``specs`` (default :func:`candidates`), the schedule with the
    shortest median time to drug-free whose P(clinically significant withdrawal) <= ``cap_clinical`` and
    P(seizure) <= ``cap_seizure`` in ``n_subjects`` of ``cohort``, compared with the guideline and Ashton
    schedules; with ``hold_severity`` > 0 every schedule has symptom-guided holds (at most ``max_holds``).
    ``person``: one person's covariates (``age``, ``male`` 0 or 1, ``height_cm``, ``bmi``, ``alcohol`` 0 or 1;
    others from ``cohort``), whose unknown PK/PD variability and susceptibility are drawn, so the risks are that
    person's probabilities.  ``constants``: other runtime PD constants (``pd.<name>``), or ``values``: all of
    them, point values or parameter draws (``(draw,)`` arrays, e.g. :meth:`popsim.experiments.base.Experiment.
    pd_values`), not both; ``prior_use_days`` is set from ``prior_use_years`` (in every draw).  With draws the
    choice is taken in each draw (:class:`PlannedTaper`).  ``references``: the reference schedules compared
    (default both, ``guideline`` and ``ashton``)."""
    finite("cap_clinical", cap_clinical, low=0, high=1)
    finite("cap_seizure", cap_seizure, low=0, high=1)
    finite("prior_use_years", prior_use_years, low=0, high=80)
    if constants is not None and values is not None:
        raise ValueError("plan_taper: constants= and values= given; allowed: one of them")
    c = preset(cohort) if isinstance(cohort, str) else cohort
    if person is not None:
        c = _person(c, person)
    prior = {"prior_use_days": 365.25 * prior_use_years}
    drawn = values is not None and any(np.ndim(v) for v in values.values())
    values = check_draws({**values, **prior}) if drawn else check_values({**(values or constants or {}), **prior})
    specs = list(specs) if specs is not None else candidates(drug, start_mg, hours)
    refs = {"guideline": on_cadence(tp.guideline(drug, start_mg, hours, max_days=tp.MAX_DAYS, on_overrun="stop")),
            "ashton": on_cadence(tp.ashton(drug, start_mg, hours, max_days=tp.MAX_DAYS, on_overrun="stop"))}
    if references is not None:
        refs = {k: v for k, v in refs.items() if k in references}
    every = specs + list(refs.values())
    days = horizon_days(every, hold_severity, max_holds)  # one horizon for every schedule compared
    direct = [i for i, s in enumerate(every) if not s.substitute]
    switched = [i for i, s in enumerate(every) if s.substitute]
    res: dict[str, np.ndarray] = {}
    for part in (direct, switched):
        if part:
            r = simulate_tapers([every[i] for i in part], c, seed=seed, n_subjects=n_subjects, values=values,
                                hold_severity=hold_severity, max_holds=max_holds, days=days, dtype=dtype,
                                progress=progress)
            for k in OUTCOMES:
                res.setdefault(k, np.zeros((len(every), *r[k].shape[1:])))[part] = r[k]
            covariates = r["covariates"]
    rows = [{"schedule": list(refs)[k - len(specs)] if k >= len(specs) else schedule_name(s),
             "step_kind": s.step_kind, "step": s.step, "interval_days": s.interval_days, "substitute": s.substitute,
             "guideline_rate": _within_rate(s)} for k, s in enumerate(every)]
    caps = {"p_withdrawal_clinical": cap_clinical, "p_seizure": cap_seizure}
    if not drawn:
        table, best = _decide(rows, res, refs, cap_clinical, cap_seizure)
        spec = every[best] if best is not None else None
        return PlannedTaper(spec, tp.plan(spec) if spec is not None else None, tuple(every), table, res, covariates,
                            caps)
    by_draw = tuple(_decide(rows, {k: v[:, j] for k, v in res.items()}, refs, cap_clinical, cap_seizure)[0]
                    for j in range(res["success"].shape[1]))
    table = pd.DataFrame(rows)
    for name in SUMMARY:
        table = table.assign(**over_draws(name, np.stack([t[name] for t in by_draw], axis=-1)))
    table["feasible_draws"] = sum(t["feasible"].to_numpy(int) for t in by_draw)
    table["chosen_draws"] = sum(t["chosen"].to_numpy(int) for t in by_draw)
    best = int(table["chosen_draws"].idxmax()) if table["chosen_draws"].any() else None  # the first of ties
    spec = every[best] if best is not None else None
    return PlannedTaper(spec, tp.plan(spec) if spec is not None else None, tuple(every), table, res, covariates, caps,
                        by_draw)


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
    """Whether the schedule respects the guideline's ceiling (not more than 25% every 2 weeks, W17); an abrupt
    stop does not."""
    if schedule_name(spec) == "abrupt":
        return False
    try:
        tp.check_rate(spec)
    except ValueError:
        return False
    return True


def _person(c: CohortConfig, person: Mapping[str, float]) -> CohortConfig:
    """The cohort narrowed to one person's covariates (age, sex, height, BMI)."""
    allowed = ("age", "male", "height_cm", "bmi", "alcohol")
    for k, v in person.items():
        if k not in allowed:
            raise ValueError(f"person.{k}: unknown covariate; allowed: {list(allowed)}" + closest(k, allowed))
        if k in ("male", "alcohol") and v not in (0, 1):
            raise ValueError(f"person.{k}={v!r}; allowed: 0 or 1")
    out = dataclasses.replace(c, name="person")
    if "age" in person:
        a = float(person["age"])
        out = dataclasses.replace(out, age_min=a - 0.5, age_max=a + 0.5, age_mean=a, age_sd=0.1)
    if "male" in person:
        out = dataclasses.replace(out, p_male=float(person["male"]))
    if "alcohol" in person:
        out = dataclasses.replace(out, p_alcohol=float(person["alcohol"]))
    if "height_cm" in person:
        h = float(person["height_cm"])
        out = dataclasses.replace(out, height_cm_male=[h, 0.1], height_cm_female=[h, 0.1])
    if "bmi" in person:
        b = float(person["bmi"])
        out = dataclasses.replace(out, bmi_median=b, bmi_gsd=1.001, bmi_min=b - 0.5, bmi_max=b + 0.5)
    out.check("person")
    return out
