"""Taper planner, part 1: taper specifications compiled into day-by-day dose plans and grid inputs.

A :class:`TaperSpec` says what a prescriber writes: the drug and its daily dose, the clock hours of
the doses, the step rule, the interval between steps, a floor and what follows it, the forms a patient
can take and whether to switch to diazepam first.  :func:`plan` turns it into the doses of every
administration of every day; :func:`compile` and :func:`compile_many` put plans on the simulation
grid with :func:`popsim.regimen.daily_schedule` (one call per drug and clock hour).

Rules
-----
* **Steps.**  The start dose is held for ``interval_days``; then, every ``interval_days``, the
  *ideal* (unrounded) daily dose of step ``i`` is ``x0 (1 - p)^i`` (``percent_current``: a share of the
  current dose, the hyperbolic taper, W26), ``x0 (1 - i p)`` (``percent_start``) or ``x0 - i c``
  (``mg``), never below 0; ``x0`` is the start dose (of diazepam after a switch).  The ideal follows
  the rule exactly, so the rounding below never accumulates.
* **Rounding.**  Each administration (the daily dose split equally over the clock hours) is rounded
  to the nearest amount a patient can take (ties go down), never above the previous dose: a sum of
  whole tablets of the listed strengths (and of half tablets with ``halves``), or a whole multiple of
  a liquid's ``liquid_mg`` (measured with an oral syringe; liquids and small tablets make small steps
  possible, W25).  When the cut rounds to nothing, the dose is *held* for one more interval (a row
  with ``held`` in :attr:`Plan.steps`) while the ideal keeps falling, so a hold is never followed by a
  larger jump than rounding allows and the plan cannot stall.  A start dose that cannot be taken is an
  error.
* **Floor.**  Once the dose taken is at or below ``floor_mg`` (mg/day), the next step is the final
  stop (``final_step_mg = 0``) or a final stage of cuts of ``final_step_mg`` mg/day from that dose
  every ``interval_days`` down to 0.  Without a floor, a ``percent_current`` taper ends when the ideal
  dose rounds to zero.
* **Length.**  A plan that is not drug-free by ``max_days`` is an error (naming the day it would
  be), or with ``on_overrun="stop"`` the dose still taken is stopped on day ``max_days`` (a
  ``forced_stop`` row: an abrupt stop, as the simulator would see it anyway).
* **Switch to diazepam** (``substitute``; Ashton's method, W22).  Each administration of the drug is
  replaced by the diazepam dose of equal Ashton equivalence (the library's ``ashton_mg``, as
  :func:`popsim.study.de_dose_mg` uses; the table and row are named in :attr:`Plan.equivalence`),
  rounded to diazepam's forms.  With ``crossover_steps = k > 1`` the administrations are replaced in
  ``k`` groups ``crossover_days`` apart, the latest clock hour first (Ashton replaces one dose at a
  time, about a week each); the diazepam taper starts on the day of the last replacement.  Step sizes,
  floor and final step then count mg of diazepam.

Reference schedules: :func:`guideline` (10% of the current dose every 2 weeks; :func:`check_rate`
refuses, when asked, a spec faster than 25% per 2 weeks above its floor: ASAM 2025, W17) and
:func:`ashton` (W22).  :func:`sweep` builds many specs from lists of values (their product) with a
table of them.  Row ids (W17, W22, ...) are those of ``shared/science/literature.md``.  The dependence
model is not part of this module.

Symptom-guided holds
--------------------
:func:`hold_for` gives the :class:`popsim.pk.grid.Hold` that matches compiled specs: a decision at
every dose reduction (the first one ``interval_days`` after the taper starts, then every
``interval_days``); a subject whose PD signal is above the threshold there stays on the current dose,
with its daily pattern, for one more interval (the hold replays the previous level) and then decides
again.  This works because every level of a plan lasts whole intervals from the taper's start: the
start (or the last cross-over replacement), the cuts, the final stage and the stop all fall on that
cadence.  A cross-over is not held (it keeps the equivalent dose; no decision falls in it, and a replay
never reaches back into it).  A forced stop on ``max_days`` off the cadence breaks the alignment (a
replay would span two levels, and the stop would come without a decision): :func:`hold_for` refuses
it.  The grid's horizon does not grow with holds: a subject who holds ends the taper later, and the
part of the schedule past the last grid step is not given.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from functools import reduce
from typing import Iterator, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd
import yaml

from popsim._validate import choice, closest, finite, on_grid, unique
from popsim.drugs.library import load, names
from popsim.pd.potency import REFERENCE
from popsim.pk.grid import Hold
from popsim.regimen import daily_schedule
from popsim.study import de_dose_mg

__all__ = ["ASHTON", "GUIDELINE", "MAX_DAYS", "STEP_KINDS", "TABLETS", "Compiled", "Form", "Plan", "TaperSpec",
           "ashton", "check_rate", "compile", "compile_many", "guideline", "hold_for", "plan", "spec_from", "sweep",
           "table"]

STEP_KINDS = ("percent_current", "percent_start", "mg")
OVERRUN = ("error", "stop")
SUBSTITUTE = REFERENCE  # Ashton switches to diazepam, the reference drug of the equivalence table (W22)
_Q = 1e-4  # mg: strengths and resolutions are whole multiples of this quantum (exact integer arithmetic)

# ---- Numbers popsim assumes (status A: no source for them was read; literature.md has no tablet strengths,
# A70 lists midazolam doses, not strengths) ----
# Oral forms per drug: (tablet or capsule strengths in mg, whether they may be halved).  Common US/UK
# strengths recalled from product labels, not read (A); capsules (chlordiazepoxide, oxazepam, temazepam)
# are not halved.  A drug without an entry needs its forms in the spec.
TABLETS: dict[str, tuple[tuple[float, ...], bool]] = {
    "alprazolam": ((0.25, 0.5, 1.0, 2.0), True),
    "chlordiazepoxide": ((5.0, 10.0, 25.0), False),
    "clonazepam": ((0.5, 1.0, 2.0), True),
    "diazepam": ((2.0, 5.0, 10.0), True),
    "lorazepam": ((0.5, 1.0, 2.0), True),
    "oxazepam": ((10.0, 15.0, 30.0), False),
    "temazepam": ((7.5, 15.0, 22.5, 30.0), False),
    "triazolam": ((0.125, 0.25), False),
    "zolpidem": ((5.0, 10.0), True),
}
# Longest plan by default (A): tapers of long-term users "may last more than a year" (W18, V2); two years.
MAX_DAYS = 730
# Ashton's cross-over: one administration replaced at a time, about a week each, the night dose first
# (A: recalled from the Ashton Manual's schedule tables, which could not be read, W22).
CROSSOVER_DAYS = 7
# Ashton below 10 mg diazepam: cuts of 1 mg/day every week (A: recalled from the Ashton Manual, not read;
# W22 gives only "about 10% of the remaining dose per week down to 10 mg").
ASHTON_FINAL_STEP_MG = 1.0

# ---- Published rules ----
# ASAM 2025 joint guideline (W17, V): cuts of 5-10% every 2-4 weeks (the reference takes the fast end:
# 10% of the current dose every 14 days), typically not more than 25% every 2 weeks.
GUIDELINE = {"step_kind": "percent_current", "step": 10.0, "interval_days": 14, "max_percent": 25.0,
             "per_days": 14, "row": "W17"}
# Ashton method (W22, V2 weak): switch to diazepam, then about 10% of the remaining dose per week down to
# 10 mg diazepam; the cross-over and the steps below 10 mg are the assumptions above.
ASHTON = {"step_kind": "percent_current", "step": 10.0, "interval_days": 7, "floor_mg": 10.0,
          "final_step_mg": ASHTON_FINAL_STEP_MG, "crossover_days": CROSSOVER_DAYS, "row": "W22"}


@dataclasses.dataclass(frozen=True)
class Form:
    """What a patient can take of one drug: tablets of ``tablets_mg`` (halved if ``halves``), or a liquid
    measured to ``liquid_mg``.  Empty tablets and no liquid: the drug's :data:`TABLETS`; ``halves`` None:
    as listed there (False for a drug not listed).  Checked and filled in by :class:`TaperSpec` (errors
    name ``form.<key>``)."""

    tablets_mg: tuple[float, ...] = ()
    halves: bool | None = None
    liquid_mg: float = 0.0

    def resolved(self, path: str, drug: str) -> Form:
        """The form with the drug's defaults filled in, checked."""
        finite(f"{path}.liquid_mg", self.liquid_mg, low=0)
        tablets = tuple(self.tablets_mg)
        if self.halves is not None and not isinstance(self.halves, bool):
            raise ValueError(f"{path}.halves={self.halves!r}; allowed: true or false")
        if self.liquid_mg:
            if tablets or self.halves is not None:
                raise ValueError(f"{path}: liquid_mg={self.liquid_mg!r} with tablets_mg={tablets!r}, "
                                 f"halves={self.halves!r}; allowed: a liquid or tablets, not both")
            _quanta(f"{path}.liquid_mg", (self.liquid_mg,))
            return Form((), None, self.liquid_mg)
        if not tablets and drug not in TABLETS:
            raise ValueError(f"{path}.tablets_mg=(): no default tablet strengths for {drug}; allowed: give "
                             f"{path}.tablets_mg or {path}.liquid_mg (defaults exist for {sorted(TABLETS)})")
        default_tablets, default_halves = TABLETS.get(drug, ((), False))
        tablets = tablets or default_tablets
        unique(f"{path}.tablets_mg", tablets)
        for i, s in enumerate(tablets):
            finite(f"{path}.tablets_mg[{i}]", s, low=0, low_open=True)
        halves = default_halves if self.halves is None else self.halves
        _quanta(f"{path}.tablets_mg", tablets + (tuple(s / 2 for s in tablets) if halves else ()))
        return Form(tablets, halves, 0.0)

    def units(self) -> tuple[float, ...]:
        """The amounts (mg) whose whole-number sums make an administration."""
        if self.liquid_mg:
            return (self.liquid_mg,)
        return self.tablets_mg + (tuple(s / 2 for s in self.tablets_mg) if self.halves else ())

    def describe(self) -> str:
        if self.liquid_mg:
            return f"liquid measured to {self.liquid_mg:g} mg"
        return f"tablets {'/'.join(f'{s:g}' for s in self.tablets_mg)} mg" + (", halved" if self.halves else "")


def _quanta(path: str, amounts) -> list[int]:
    out = []
    for a in amounts:
        q = a / _Q
        if abs(q - round(q)) > 1e-6 * max(1.0, q):
            raise ValueError(f"{path}: {a!r} mg; allowed: whole multiples of {_Q} mg")
        out.append(round(q))
    return out


def _whole(path: str, value, low: int, high: float = math.inf, what: str = "days") -> None:
    finite(path, value, low=low, high=high)
    if value != round(value):
        raise ValueError(f"{path}={value!r}; allowed: a whole number of {what} >= {low}")


@dataclasses.dataclass(frozen=True)
class TaperSpec:
    """One taper (rules in the module docstring).

    ``drug``: a library drug with an oral route; ``start_mg``: its daily dose (mg/day) at day 0, split
    equally over ``hours`` (clock hours in [0, 24)); ``step_kind`` of :data:`STEP_KINDS` and ``step``
    (percent in (0, 100], or mg/day > 0) every ``interval_days`` (whole days >= 1); ``floor_mg``
    (mg/day >= 0) and ``final_step_mg`` (mg/day >= 0; 0: stop at the next step); ``max_days`` (whole days
    >= 1) and ``on_overrun`` (``"error"`` or ``"stop"``); ``form`` (the drug's) and ``diazepam_form``
    and ``substitute`` (switch to diazepam first) over ``crossover_steps`` (1: at once, up to one per
    clock hour) groups ``crossover_days`` apart.  ``diazepam_form``, ``crossover_steps`` and
    ``crossover_days`` are checked always (so a sweep over ``substitute`` holds them fixed) but act only
    with ``substitute``.  Empty forms are filled from :data:`TABLETS` at construction.
    """

    drug: str
    start_mg: float
    hours: tuple[float, ...]
    step_kind: str
    step: float
    interval_days: int
    floor_mg: float = 0.0
    final_step_mg: float = 0.0
    max_days: int = MAX_DAYS
    on_overrun: str = "error"
    form: Form = Form()
    substitute: bool = False
    crossover_steps: int = 1
    crossover_days: int = CROSSOVER_DAYS
    diazepam_form: Form = Form()

    def __post_init__(self):
        choice("drug", self.drug, names())
        if "oral" not in load(self.drug).routes:
            raise ValueError(f"drug={self.drug!r} has no oral route in the library; allowed: "
                             f"{[n for n in names() if 'oral' in load(n).routes]}")
        finite("start_mg", self.start_mg, low=0, low_open=True)
        if not isinstance(self.hours, (tuple, list)):
            raise ValueError(f"hours={self.hours!r}; allowed: a list of clock hours in [0, 24)")
        object.__setattr__(self, "hours", tuple(self.hours))
        unique("hours", self.hours)
        for i, h in enumerate(self.hours):
            finite(f"hours[{i}]", h, low=0, high=24)
            if h >= 24:
                raise ValueError(f"hours[{i}]={h!r}; allowed: a clock hour in [0, 24)")
        choice("step_kind", self.step_kind, STEP_KINDS)
        finite("step", self.step, low=0, low_open=True, high=100 if self.step_kind != "mg" else math.inf)
        _whole("interval_days", self.interval_days, 1)
        finite("floor_mg", self.floor_mg, low=0)
        finite("final_step_mg", self.final_step_mg, low=0)
        _whole("max_days", self.max_days, 1)
        choice("on_overrun", self.on_overrun, OVERRUN)
        if not isinstance(self.substitute, bool):
            raise ValueError(f"substitute={self.substitute!r}; allowed: true or false")
        _whole("crossover_steps", self.crossover_steps, 1, len(self.hours), "steps")
        _whole("crossover_days", self.crossover_days, 1)
        for key, drug in (("form", self.drug), ("diazepam_form", SUBSTITUTE)):
            if not isinstance(getattr(self, key), Form):
                raise ValueError(f"{key}={getattr(self, key)!r}; allowed: a Form (spec_from takes a mapping)")
            object.__setattr__(self, key, getattr(self, key).resolved(key, drug))
        if self.substitute:
            if self.drug == SUBSTITUTE:
                raise ValueError(f"substitute=True with drug={self.drug!r}; allowed: a drug other than {SUBSTITUTE}")
            if load(self.drug).ashton_mg is None:
                raise ValueError(f"substitute=True: drug={self.drug!r} has no diazepam equivalent (ashton_mg); "
                                 f"allowed: {[n for n in names() if load(n).ashton_mg is not None]}")


# ---- config syntax: mappings and sweeps ----

_FIELDS = tuple(f.name for f in dataclasses.fields(TaperSpec))
_FORM_FIELDS = tuple(f.name for f in dataclasses.fields(Form))
_FORMS = ("form", "diazepam_form")
_KEYS = tuple(k for k in _FIELDS if k not in _FORMS) + tuple(f"{f}.{k}" for f in _FORMS for k in _FORM_FIELDS)


def _numeric_string(path: str, value) -> None:
    """YAML 1.1 reads ``1e-3`` as a string: refuse it with the reason rather than a bare type error."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return
        raise ValueError(f"{path}={value!r} is a string (YAML 1.1 reads numbers like 1e-3 as strings); "
                         "allowed: a number, e.g. 0.001 or 1.0e-3")


def _flat(config: Mapping) -> dict:
    """A config with ``form`` / ``diazepam_form`` given as mappings (or :class:`Form`) -> dotted keys."""
    flat = {}
    for key, value in config.items():
        if key in _FORMS and isinstance(value, Form):
            value = dataclasses.asdict(value)
        if key in _FORMS and isinstance(value, Mapping):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def spec_from(config: Mapping) -> TaperSpec:
    """A :class:`TaperSpec` from a mapping (a YAML/Hydra config): unknown or missing keys are errors;
    ``form`` and ``diazepam_form`` are mappings of :class:`Form`'s keys (or dotted keys, ``form.liquid_mg``);
    lists become tuples."""
    args, forms = {}, {f: {} for f in _FORMS}
    for key, value in _flat(config).items():
        if key not in _KEYS:
            raise ValueError(f"{key}: unknown key; allowed: {list(_KEYS)}" + closest(str(key), _KEYS))
        _numeric_string(key, value)
        if isinstance(value, (list, tuple)):
            value = tuple(value)
            for i, v in enumerate(value):
                _numeric_string(f"{key}[{i}]", v)
        form, _, leaf = key.partition(".")
        if leaf:
            forms[form][leaf] = value
        else:
            args[key] = value
    missing = [f.name for f in dataclasses.fields(TaperSpec)
               if f.default is dataclasses.MISSING and f.name not in args]
    if missing:
        raise ValueError(f"missing keys {missing}; required: drug, start_mg, hours, step_kind, step, interval_days")
    return TaperSpec(**args, **{f: Form(**v) for f, v in forms.items() if v})


def _axes(axes) -> dict[str, list]:
    """``{"step": [5, 10]}`` or ``["step=[5,10]", ...]`` (command-line style, values in YAML) -> a dict."""
    if isinstance(axes, Mapping):
        return dict(axes)
    out = {}
    for text in axes:
        key, sep, values = str(text).partition("=")
        if not sep:
            raise ValueError(f"sweep axis {text!r}; allowed: key=[value, value, ...]")
        out[key.strip()] = yaml.safe_load(values)
    return out


def sweep(base: Mapping, axes) -> tuple[list[TaperSpec], pd.DataFrame]:
    """Every combination of the ``axes`` values on top of ``base`` (a :func:`spec_from` mapping): the
    specs (the first axis outermost) and their :func:`table`.

    ``axes``: a mapping ``key -> list of values`` or strings ``"key=[v1, v2]"``; keys are
    :class:`TaperSpec` keys or ``form.<key>`` / ``diazepam_form.<key>``.  E.g. ``["step=[5,10,25]",
    "interval_days=[7,14,28]", "substitute=[false,true]"]`` gives 18 specs.
    """
    grid = _axes(axes)
    for key, values in grid.items():
        if key not in _KEYS:
            raise ValueError(f"sweep axis {key}: unknown key; allowed: {list(_KEYS)}" + closest(key, _KEYS))
        if not isinstance(values, (list, tuple)):
            raise ValueError(f"sweep axis {key}={values!r}; allowed: a list of values")
        unique(f"sweep axis {key}", [tuple(v) if isinstance(v, list) else v for v in values])
    specs = []
    for i, combo in enumerate(itertools.product(*grid.values())):
        try:
            specs.append(spec_from({**_flat(base), **dict(zip(grid, combo))}))
        except ValueError as e:
            raise ValueError(f"sweep regimen {i} ({dict(zip(grid, combo))}): {e}") from None
    return specs, table(specs)


def table(specs: Sequence[TaperSpec]) -> pd.DataFrame:
    """One row per spec (index ``regimen``), one column per key (forms as ``form.<key>``), resolved."""
    rows = []
    for s in specs:
        row = {k: getattr(s, k) for k in _FIELDS if k not in _FORMS}
        row.update({f"{f}.{k}": getattr(getattr(s, f), k) for f in _FORMS for k in _FORM_FIELDS})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(_KEYS)).rename_axis("regimen")


# ---- plans ----


class _Doses:
    """The amounts one administration can be, for one form: integer multiples of a quantum ``g``."""

    def __init__(self, form: Form, upto_mg: float):
        units = _quanta("form", form.units())
        self.g = reduce(math.gcd, units)
        top = int(upto_mg / _Q / self.g) + max(units) // self.g + 1
        ok = np.zeros(top + 1, bool)
        ok[0] = True
        for m in sorted({u // self.g for u in units}):
            shift = m  # unbounded sums of m: add m, 2m, 4m, ... once each (binary counts)
            while shift <= top:
                ok[shift:] |= ok[:-shift].copy()
                shift *= 2
        self.ok = ok

    def mg(self, k: int) -> float:
        return k * self.g / round(1 / _Q)  # exact division: 3 * 1000 / 10000 == 0.3

    def exact(self, mg: float) -> int | None:
        """The index of ``mg`` if it is an amount of the form, else None."""
        k = mg / _Q / self.g
        return round(k) if abs(k - round(k)) < 1e-6 and round(k) < self.ok.size and self.ok[round(k)] else None

    def nearest(self, mg: float, cap: int) -> int:
        """The index of the amount nearest ``mg`` (ties down) among those at most index ``cap``."""
        x = mg / _Q / self.g
        idx = np.flatnonzero(self.ok[: cap + 1])
        j = int(np.searchsorted(idx, x))
        lower, upper = idx[max(j - 1, 0)], idx[min(j, idx.size - 1)]
        if j < idx.size and abs(idx[j] - x) < 1e-9:
            return int(idx[j])
        return int(upper if upper - x < x - lower - 1e-9 else lower)


class _Event(NamedTuple):
    day: int
    stage: str  # start, crossover, taper, final, stop, forced_stop
    ideal_mg: float  # ideal daily dose of the tapered drug (NaN before its taper starts)
    held: bool
    doses: np.ndarray  # (administration, drug) mg per administration from this day on


@dataclasses.dataclass(frozen=True, eq=False)
class Plan:
    """A compiled taper: ``doses`` (day, administration, drug) in mg per administration for every day
    until the drug-free day (administrations in the order of ``spec.hours``, drugs ``drugs``);
    ``steps`` one row per change (day, stage, ideal daily dose of the tapered drug, held, daily mg per
    drug); ``equivalence`` names the equivalence used for a switch ("" without)."""

    spec: TaperSpec
    drugs: tuple[str, ...]
    doses: np.ndarray
    steps: pd.DataFrame
    equivalence: str

    @property
    def daily_mg(self) -> np.ndarray:
        """(day, drug) mg/day."""
        return self.doses.sum(axis=1)

    @property
    def drug_free_day(self) -> int:
        """Days from day 0 to the first day without any dose."""
        return self.doses.shape[0]


def _equivalence(drug: str) -> str:
    q = load(drug).ashton_mg
    return (f"library ashton_mg: {q.value:g} mg {drug} = {load(SUBSTITUTE).ashton_mg.value:g} mg {SUBSTITUTE} "
            f"({q.citation}; status {q.status})")


def _events(s: TaperSpec) -> Iterator[_Event]:
    """The plan's changes, in day order, until the stop (unbounded: the caller applies ``max_days``)."""
    n = len(s.hours)
    drugs = (s.drug, SUBSTITUTE) if s.substitute else (s.drug,)
    own = _Doses(s.form, s.start_mg / n)
    k0 = own.exact(s.start_mg / n)
    if k0 is None:
        raise ValueError(f"start_mg={s.start_mg!r} ({s.start_mg / n:g} mg at each of {n} administrations) cannot "
                         f"be taken as {s.form.describe()}; allowed: a daily dose of {n} equal takeable doses, "
                         f"e.g. {n * own.mg(own.nearest(s.start_mg / n, own.ok.size - 1)):g}")
    doses = np.zeros((n, len(drugs)))
    doses[:, 0] = own.mg(k0)
    day = 0
    if s.substitute:
        equivalent = own.mg(k0) / de_dose_mg(s.drug, 1.0)
        doses_of = _Doses(s.diazepam_form, equivalent)
        k = doses_of.nearest(equivalent, doses_of.ok.size - 1)
        groups = np.array_split(np.argsort(s.hours)[::-1], s.crossover_steps)  # latest clock hour first
        for j, group in enumerate(groups):
            doses[group, 0], doses[group, 1] = 0.0, doses_of.mg(k)
            day = j * s.crossover_days
            last = j == len(groups) - 1
            yield _Event(day, "crossover", n * doses_of.mg(k) if last else math.nan, False, doses.copy())
    else:
        doses_of, k = own, k0
        yield _Event(0, "start", n * own.mg(k), False, doses.copy())
    col = len(drugs) - 1
    x0 = base = n * doses_of.mg(k)
    stage, i = "taper", 0
    while k > 0:
        day += s.interval_days
        if stage == "taper" and n * doses_of.mg(k) <= s.floor_mg + 1e-9:
            if s.final_step_mg == 0:
                doses[:, col] = 0.0
                yield _Event(day, "stop", 0.0, False, doses.copy())
                return
            stage, base, i = "final", n * doses_of.mg(k), 0
        i += 1
        if stage == "final":
            ideal = base - i * s.final_step_mg
        elif s.step_kind == "percent_current":
            ideal = x0 * (1 - s.step / 100) ** i
        elif s.step_kind == "percent_start":
            ideal = x0 * (1 - i * s.step / 100)
        else:
            ideal = x0 - i * s.step
        ideal = max(ideal, 0.0)
        new = doses_of.nearest(ideal / n, k)
        held, k = new == k, new
        doses[:, col] = doses_of.mg(k)
        yield _Event(day, "stop" if k == 0 else stage, ideal, held, doses.copy())


def plan(spec: TaperSpec) -> Plan:
    """The day-by-day doses of ``spec`` (rules in the module docstring)."""
    s = spec
    drugs = (s.drug, SUBSTITUTE) if s.substitute else (s.drug,)
    events: list[_Event] = []
    stream = _events(s)
    for e in stream:
        if e.day > s.max_days or (e.day == s.max_days and e.stage != "stop"):
            if s.on_overrun == "error":
                end = next(x.day for x in itertools.chain([e], stream) if x.stage == "stop")
                raise ValueError(f"max_days={s.max_days!r}: the plan is drug-free only on day {end}; allowed: "
                                 f">= {end}, or on_overrun='stop' (the dose still taken stops on day max_days)")
            events.append(_Event(s.max_days, "forced_stop", math.nan, False, np.zeros_like(e.doses)))
            break
        events.append(e)
        if e.stage == "stop":
            break
    end = events[-1].day
    doses = np.zeros((end, len(s.hours), len(drugs)))
    for e, nxt in zip(events, events[1:]):
        doses[e.day: nxt.day] = e.doses
    steps = pd.DataFrame({"day": [e.day for e in events], "stage": [e.stage for e in events],
                          "ideal_mg": [e.ideal_mg for e in events], "held": [e.held for e in events],
                          **{f"{d}_mg": [float(e.doses[:, c].sum()) for e in events] for c, d in enumerate(drugs)}})
    return Plan(s, drugs, doses, steps, _equivalence(s.drug) if s.substitute else "")


# ---- on the grid ----


class Compiled(NamedTuple):
    """Plans on a grid.  ``drugs`` names the last axis (channel 0 the first spec's drug, then diazepam if
    any spec switches); ``daily_mg`` ([regimen,] day, drug) mg/day for every day the grid reaches;
    ``u`` ([regimen,] time, drug) bolus mg at the grid steps (the simulator's ``U`` input);
    ``drug_free_day`` ([regimen]) days from day 0 to the first day without a dose."""

    drugs: tuple[str, ...]
    daily_mg: np.ndarray
    u: np.ndarray
    drug_free_day: np.ndarray | int


def compile(spec: TaperSpec, dt_h: float, n_steps: int, *, cut: bool = False) -> Compiled:
    """``spec``'s plan on a grid of ``n_steps`` steps of ``dt_h`` h from day 0 at 0:00, built with
    :func:`popsim.regimen.daily_schedule` per drug and clock hour.  A grid that ends before the
    drug-free day is an error unless ``cut`` (then the doses past its end are left out)."""
    p = plan(spec)
    for i, h in enumerate(spec.hours):
        on_grid(f"hours[{i}]", h, dt_h, what="dt_h")
    n_days = math.ceil(n_steps * dt_h / 24.0 - 1e-9)
    if (n_steps - 1) * dt_h < 24.0 * p.drug_free_day - 1e-9 and not cut:
        raise ValueError(f"n_steps={n_steps!r} (dt_h={dt_h!r}) ends before the drug-free day {p.drug_free_day}; "
                         f"allowed: n_steps >= {round(24.0 * p.drug_free_day / dt_h) + 1}, or cut=True")
    u = np.stack([sum(daily_schedule(n_steps, dt_h, p.doses[:, a, c], (h,)) for a, h in enumerate(spec.hours))
                  for c in range(len(p.drugs))], axis=-1)
    daily = np.zeros((n_days, len(p.drugs)))
    m = min(n_days, p.drug_free_day)
    daily[:m] = p.daily_mg[:m]
    return Compiled(p.drugs, daily, u, p.drug_free_day)


def compile_many(specs: Sequence[TaperSpec], dt_h: float, n_steps: int, *, cut: bool = False) -> Compiled:
    """:func:`compile` for many specs, stacked on a leading ``regimen`` axis; the drug axis is the union
    of the specs' drugs in order of first appearance."""
    if not specs:
        raise ValueError("specs=[]; allowed: at least one TaperSpec")
    parts = []
    for i, s in enumerate(specs):
        try:
            parts.append(compile(s, dt_h, n_steps, cut=cut))
        except ValueError as e:
            raise ValueError(f"regimen {i}: {e}") from None
    drugs = tuple(dict.fromkeys(d for c in parts for d in c.drugs))
    daily = np.zeros((len(parts),) + parts[0].daily_mg.shape[:1] + (len(drugs),))
    u = np.zeros((len(parts), n_steps, len(drugs)))
    for r, c in enumerate(parts):
        cols = [drugs.index(d) for d in c.drugs]
        daily[r][:, cols], u[r][:, cols] = c.daily_mg, c.u
    return Compiled(drugs, daily, u, np.array([c.drug_free_day for c in parts]))


def _cadence(spec: TaperSpec) -> int:
    """The day of ``spec``'s first dose reduction, checking that every level from the taper's start on lasts
    whole intervals (see "Symptom-guided holds" in the module docstring)."""
    steps = plan(spec).steps
    start = int(steps["day"][steps["ideal_mg"].notna()].iloc[0])  # the start, or the last replacement
    for day, stage in zip(steps["day"], steps["stage"]):
        if day > start and (day - start) % spec.interval_days:
            raise ValueError(f"{stage} on day {day} is off the taper's {spec.interval_days}-day cadence from day "
                             f"{start}: a hold would replay two levels and the change would come without a "
                             f"decision; allowed: a plan whose changes fall every interval_days (e.g. max_days a "
                             f"multiple of interval_days from day {start}, or on_overrun='error')")
    return start + spec.interval_days


def hold_for(specs: TaperSpec | Sequence[TaperSpec], dt_h: float, signal: str, threshold: float, *,
             max_holds: int = 1000, channels: Sequence[int] | None = None) -> Hold:
    """The :class:`popsim.pk.grid.Hold` of compiled ``specs`` (one spec, or the specs of
    :func:`compile_many`, which share one grid and so one hold): a decision at each dose reduction
    (``start`` the first reduction's step, ``every`` the interval in steps), where a subject whose PD
    ``signal`` exceeds ``threshold`` stays on the current dose for one more interval (``length`` = the
    interval: the hold replays the previous level with its daily pattern), at most ``max_holds`` times.

    ``channels``: the grid channels of the taper's drugs (default: ``0 .. len(drugs) - 1``, the layout of
    :class:`Compiled`, so a switch's diazepam is held with the drug).  The specs must share the interval
    and the day of the first reduction (e.g. a switch with a cross-over starts its taper later than one
    without), and ``dt_h`` must divide the day.
    """
    specs = [specs] if isinstance(specs, TaperSpec) else list(specs)
    if not specs:
        raise ValueError("specs=[]; allowed: at least one TaperSpec")
    per_day = 24.0 / dt_h
    if not (np.isfinite(per_day) and per_day > 0 and abs(per_day - round(per_day)) < 1e-9):
        raise ValueError(f"dt_h={dt_h!r}; allowed: a grid step dividing 24 h (e.g. 0.25, 0.5, 1, 2, 3, 4, 6)")
    cadence = []
    for i, s in enumerate(specs):
        try:
            cadence.append((s.interval_days, _cadence(s)))
        except ValueError as e:
            raise ValueError(f"regimen {i}: {e}") from None
    if len(set(cadence)) > 1:
        listed = ", ".join(f"regimen {i}: every {a} days from day {b}" for i, (a, b) in enumerate(cadence))
        raise ValueError(f"the specs reduce on different days ({listed}); allowed: one interval_days and one day "
                         "of the first reduction for all specs of a grid (one hold per grid)")
    interval, first = cadence[0]
    drugs = dict.fromkeys(d for s in specs for d in ((s.drug, SUBSTITUTE) if s.substitute else (s.drug,)))
    chans = tuple(range(len(drugs))) if channels is None else tuple(channels)
    steps = round(per_day)
    return Hold(signal, threshold, every=interval * steps, start=first * steps, max_holds=max_holds, channels=chans)


# ---- reference schedules ----


def guideline(drug: str, start_mg: float, hours: Sequence[float], **overrides) -> TaperSpec:
    """The guideline taper (ASAM 2025, W17): 10% of the current dose every 14 days, ending when the cut
    rounds the dose to zero (``overrides``: any other :class:`TaperSpec` key, e.g. a floor or forms)."""
    g = GUIDELINE
    return TaperSpec(drug, start_mg, tuple(hours), **{"step_kind": g["step_kind"], "step": g["step"],
                                                      "interval_days": g["interval_days"], **overrides})


def ashton(drug: str, start_mg: float, hours: Sequence[float], **overrides) -> TaperSpec:
    """Ashton's method (W22): the drug replaced by diazepam one administration at a time (the latest clock
    hour first, ``CROSSOVER_DAYS`` each; diazepam itself is tapered directly), then 10% of the current dose
    every week down to 10 mg/day, then 1 mg/day every week (``ASHTON_FINAL_STEP_MG``, A)."""
    a = ASHTON
    rule = {k: a[k] for k in ("step_kind", "step", "interval_days", "floor_mg", "final_step_mg", "crossover_days")}
    switch = drug != SUBSTITUTE
    return TaperSpec(drug, start_mg, tuple(hours), **{**rule, "substitute": switch,
                                                      "crossover_steps": len(hours) if switch else 1, **overrides})


def check_rate(spec: TaperSpec, *, max_percent: float = GUIDELINE["max_percent"],
               per_days: int = GUIDELINE["per_days"]) -> float:
    """The largest share of the dose cut in any ``per_days`` days of the taper above the floor (ideal
    doses, so rounding is not counted; the final stop and the final stage below the floor are not
    checked, nor the switch, which keeps the equivalent dose); a spec faster than ``max_percent`` per
    ``per_days`` (the guideline's ceiling, W17) is refused."""
    finite("max_percent", max_percent, low=0, low_open=True, high=100)
    _whole("per_days", per_days, 1)
    steps = plan(spec).steps
    start = steps.index[steps["ideal_mg"].notna()][0]  # the taper's start (after any cross-over)
    taper = steps.loc[start:]
    taper = taper[taper["stage"].isin(["start", "crossover", "taper"])]
    days, ideal = taper["day"].to_numpy(), taper["ideal_mg"].to_numpy()
    worst = 0.0
    for j in range(1, len(days)):
        last = j + int(np.searchsorted(days[j:], days[j] + per_days)) - 1  # cuts within per_days of cut j
        worst = max(worst, 1 - ideal[last] / ideal[j - 1])
    if worst > max_percent / 100 + 1e-12:
        raise ValueError(f"step={spec.step!r} ({spec.step_kind}) every interval_days={spec.interval_days!r} cuts "
                         f"{100 * worst:.4g}% of the dose within {per_days} days; allowed: at most {max_percent:g}% "
                         f"per {per_days} days above the floor (ASAM 2025, {GUIDELINE['row']})")
    return worst
