"""Configuration schemas (dataclasses registered in Hydra's ConfigStore).

Every Hydra group is backed by a dataclass, so a misspelt key in a YAML file
or an override fails at composition.  Ranges are checked in ``__post_init__``
when the composed config is turned into objects (``OmegaConf.to_object``);
errors name the full key path, the value and the allowed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from popsim.pk.model import closest

__all__ = ["CohortConfig", "Config", "DrugConfig", "PerpetratorConfig", "GridConfig", "RegimenConfig", "ROUTES", "register"]

ROUTES = ("oral", "iv_bolus", "iv_infusion")
PRECISIONS = ("float32", "float64")
EXPERIMENTS = ("alcohol", "calibration", "cyp_inhibition", "elderly", "fluctuation", "hepatic", "interdose", "overdose", "population",
               "qualify", "receptor_subtypes", "status_epilepticus")


def _finite(path: str, value: float, *, low: float, high: float = math.inf, low_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and math.isfinite(value) and (value > low if low_open else value >= low)
    if not ok or value > high:
        bound = f"> {low}" if low_open else f">= {low}"
        rng = f"{bound}" + (f" and <= {high}" if high != math.inf else "")
        raise ValueError(f"{path}={value!r}; allowed: a finite number {rng}")


def _choice(path: str, value: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{path}={value!r}; allowed: {list(allowed)}" + closest(str(value), allowed))


@dataclass
class DrugConfig:
    """One drug's structural model and population parameters.

    ``typical`` are typical values (KA 1/h, CL L/h, V1/V2/V3 L, Q2/Q3 L/h, F
    fraction, ALAG h); ``cv`` coefficients of variation of log-normal IIV
    (fraction); ``sources`` cites every number.
    """

    name: str = MISSING
    n_cmt: int = 1
    route: str = "oral"
    infusion_h: float = 0.0
    typical: dict[str, float] = field(default_factory=dict)
    cv: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def check(self, path: str) -> None:
        _choice(f"{path}.route", self.route, ROUTES)
        _choice(f"{path}.n_cmt", self.n_cmt, (1, 2, 3))
        if self.route == "iv_infusion":
            _finite(f"{path}.infusion_h", self.infusion_h, low=0, low_open=True)
        from popsim.params import check_typical

        check_typical(self.typical, self.cv, where=f"{path}.typical")
        uncited = sorted(set(self.typical) - set(self.sources))
        if uncited:
            raise ValueError(f"{path}.sources: no citation for {uncited}; every number carries a source")


PREGNANCY = ("none", "t1", "t2", "t3", "postpartum_lactating")


@dataclass
class CohortConfig:
    """Who is simulated: the distributions of one subject's covariates.

    Age (years) is a normal truncated to ``[age_min, age_max]``; height (cm)
    a normal per sex; BMI (kg/m^2) a log-normal (median, geometric SD)
    truncated to ``[bmi_min, bmi_max]``; weight = BMI x height^2.  Categorical
    covariates: ``child_pugh`` probabilities of none/A/B/C, CYP2C19 poor and
    intermediate metaboliser fractions, and the fractions taking a CYP3A4
    perpetrator, an opioid or alcohol.  ``pregnancy`` is a state of the whole
    cohort (women only).  The physiology equations were built for adults
    18-100 years, 35-250 kg, BMI 15-60; values outside are refused unless
    ``allow_extrapolation`` (recorded in the output's provenance).
    """

    name: str = "adult"
    age_min: float = 18.0
    age_max: float = 65.0
    age_mean: float = 40.0
    age_sd: float = 12.0
    p_male: float = 0.5
    height_cm_male: list[float] = field(default_factory=lambda: [176.0, 7.0])
    height_cm_female: list[float] = field(default_factory=lambda: [163.0, 6.5])
    bmi_median: float = 25.0
    bmi_gsd: float = 1.18
    bmi_min: float = 17.0
    bmi_max: float = 45.0
    child_pugh: list[float] = field(default_factory=lambda: [1.0, 0.0, 0.0, 0.0])
    p_cyp2c19_pm: float = 0.02
    p_cyp2c19_im: float = 0.0
    pregnancy: str = "none"
    p_perpetrator: float = 0.0
    p_opioid: float = 0.0
    p_alcohol: float = 0.0
    allow_extrapolation: bool = False

    # (impossible, built-for) ranges
    LIMITS: ClassVar[dict] = {
        "age": ((0.0, 120.0), (18.0, 100.0)),
        "height_cm": ((40.0, 250.0), (130.0, 210.0)),
        "bmi": ((8.0, 120.0), (15.0, 60.0)),
    }

    def check(self, path: str = "cohort") -> None:
        def within(key, value, kind):
            (lo, hi), (blo, bhi) = self.LIMITS[kind]
            _finite(f"{path}.{key}", value, low=lo, high=hi)
            if not blo <= value <= bhi and not self.allow_extrapolation:
                raise ValueError(
                    f"{path}.{key}={value!r} is outside the range the physiology was built for ({blo:g} to {bhi:g}); "
                    f"set {path}.allow_extrapolation=true to run anyway (recorded in the output)")

        for key in ("age_min", "age_max", "age_mean"):
            within(key, getattr(self, key), "age")
        _finite(f"{path}.age_sd", self.age_sd, low=0, low_open=True, high=50)
        if self.age_min >= self.age_max:
            raise ValueError(f"{path}.age_min={self.age_min!r} >= age_max={self.age_max!r}; allowed: age_min < age_max")
        for key in ("height_cm_male", "height_cm_female"):
            v = getattr(self, key)
            if len(v) != 2:
                raise ValueError(f"{path}.{key}={v!r}; allowed: [mean, sd]")
            within(f"{key}[0]", v[0], "height_cm")
            _finite(f"{path}.{key}[1]", v[1], low=0, low_open=True, high=30)
        for key in ("bmi_min", "bmi_max", "bmi_median"):
            within(key, getattr(self, key), "bmi")
        _finite(f"{path}.bmi_gsd", self.bmi_gsd, low=1, low_open=True, high=3)
        # Weight = BMI x height^2 over the sampled ranges (heights are truncated at 3 SD).
        low = self.bmi_min * min(h[0] - 3 * h[1] for h in (self.height_cm_male, self.height_cm_female)) ** 2 / 1e4
        high = self.bmi_max * max(h[0] + 3 * h[1] for h in (self.height_cm_male, self.height_cm_female)) ** 2 / 1e4
        if (low < 35 or high > 250) and not self.allow_extrapolation:
            raise ValueError(
                f"{path}: sampled weights span {low:.0f}-{high:.0f} kg (bmi_min/bmi_max x height +-3 SD), outside the "
                f"range the physiology was built for (35 to 250 kg); narrow bmi_min/bmi_max or the heights, or set "
                f"{path}.allow_extrapolation=true (recorded in the output)")
        if not self.bmi_min < self.bmi_median < self.bmi_max:
            raise ValueError(f"{path}: need bmi_min < bmi_median < bmi_max; got {self.bmi_min}, {self.bmi_median}, "
                             f"{self.bmi_max}")
        for key in ("p_male", "p_cyp2c19_pm", "p_cyp2c19_im", "p_perpetrator", "p_opioid", "p_alcohol"):
            _finite(f"{path}.{key}", getattr(self, key), low=0, high=1)
        if self.p_cyp2c19_pm + self.p_cyp2c19_im > 1:
            raise ValueError(f"{path}: p_cyp2c19_pm + p_cyp2c19_im = {self.p_cyp2c19_pm + self.p_cyp2c19_im:g}; "
                             "allowed: <= 1")
        if len(self.child_pugh) != 4:
            raise ValueError(f"{path}.child_pugh={self.child_pugh!r}; allowed: 4 probabilities (none, A, B, C)")
        for i, p in enumerate(self.child_pugh):
            _finite(f"{path}.child_pugh[{i}]", p, low=0, high=1)
        if abs(sum(self.child_pugh) - 1) > 1e-6:
            raise ValueError(f"{path}.child_pugh={self.child_pugh!r} sums to {sum(self.child_pugh):g}; allowed: 1")
        _choice(f"{path}.pregnancy", self.pregnancy, PREGNANCY)
        if self.pregnancy != "none" and self.p_male != 0:
            raise ValueError(f"{path}.pregnancy={self.pregnancy!r} needs p_male=0; got {self.p_male!r}")


@dataclass
class PerpetratorConfig:
    """A CYP3A4 perpetrator taken by the cohort's ``p_perpetrator`` fraction: ``dose_mg``
    every ``interval_h`` from ``start_h`` (h on the grid), ``n_doses`` doses (0: until the
    end of the grid).  ``drug`` empty: none."""

    drug: str = ""
    route: str = "oral"
    dose_mg: float = 0.0
    interval_h: float = 24.0
    start_h: float = 0.0
    n_doses: int = 0

    def check(self, path: str, dt_h: float) -> None:
        from popsim.drugs.library import load, names

        _choice(f"{path}.drug", self.drug, names())
        d = load(self.drug)
        if d.inhibition is None:
            raise ValueError(f"{path}.drug={self.drug!r} does not inhibit or induce CYP3A4 in the library; perpetrators: "
                             f"{[n for n in names() if load(n).inhibition is not None]}")
        _choice(f"{path}.route", self.route, sorted(d.routes))
        _finite(f"{path}.dose_mg", self.dose_mg, low=0, low_open=True)
        _finite(f"{path}.start_h", self.start_h, low=0)
        _finite(f"{path}.interval_h", self.interval_h, low=0, low_open=True)
        for key in ("interval_h", "start_h"):
            v = getattr(self, key)
            if abs(v / dt_h - round(v / dt_h)) > 1e-9:
                raise ValueError(f"{path}.{key}={v!r}; allowed: a multiple of grid.dt_h={dt_h!r}")
        if not isinstance(self.n_doses, int) or self.n_doses < 0:
            raise ValueError(f"{path}.n_doses={self.n_doses!r}; allowed: an integer >= 0 (0: until the end)")


@dataclass
class RegimenConfig:
    """A sweep of fixed-interval regimens: every dose x every interval.

    ``dose_mg`` is the amount per administration; the first dose is at
    ``start_h``; doses repeat every ``interval_h`` until the end of the grid.
    """

    dose_mg: list[float] = field(default_factory=lambda: [1.0])
    interval_h: list[float] = field(default_factory=lambda: [24.0])
    start_h: float = 0.0

    def check(self, path: str, dt_h: float) -> None:
        if not self.dose_mg or not self.interval_h:
            raise ValueError(f"{path}: dose_mg and interval_h need at least one value each")
        for i, d in enumerate(self.dose_mg):
            _finite(f"{path}.dose_mg[{i}]", d, low=0)
        for i, tau in enumerate(self.interval_h):
            _finite(f"{path}.interval_h[{i}]", tau, low=0, low_open=True)
            if abs(tau / dt_h - round(tau / dt_h)) > 1e-9:
                raise ValueError(f"{path}.interval_h[{i}]={tau!r}; allowed: a multiple of grid.dt_h={dt_h!r}")
        _finite(f"{path}.start_h", self.start_h, low=0)
        if abs(self.start_h / dt_h - round(self.start_h / dt_h)) > 1e-9:
            raise ValueError(f"{path}.start_h={self.start_h!r}; allowed: a multiple of grid.dt_h={dt_h!r}")


@dataclass
class GridConfig:
    """Time grid: ``days`` of simulation on a ``dt_h`` grid; summaries over the
    last ``summary_window_h`` hours (the steady-state window)."""

    dt_h: float = 1.0
    days: float = 14.0
    summary_window_h: float = 24.0

    def check(self, path: str) -> None:
        _finite(f"{path}.dt_h", self.dt_h, low=0, low_open=True, high=24)
        _finite(f"{path}.days", self.days, low=0, low_open=True, high=3650)
        _finite(f"{path}.summary_window_h", self.summary_window_h, low=0, low_open=True, high=self.days * 24)
        for key in ("days", "summary_window_h"):
            hours = self.days * 24 if key == "days" else self.summary_window_h
            if abs(hours / self.dt_h - round(hours / self.dt_h)) > 1e-9:
                raise ValueError(f"{path}.{key}={getattr(self, key)!r}; allowed: a whole number of grid steps dt_h={self.dt_h!r}")


def _check_day_grid(path: str, dt_h: float) -> None:
    """Daily plans need a grid step that divides the day."""
    if abs(24.0 / dt_h - round(24.0 / dt_h)) > 1e-9:
        raise ValueError(f"grid.dt_h={dt_h!r}: the {path} experiment doses by clock hour; allowed: a step dividing "
                         "24 h (e.g. 0.25, 0.5, 1, 2, 3, 4, 6)")


def _check_arms(path: str, cohorts: list, drugs: list, doses_de: list) -> None:
    """Cohort presets, library drugs with a diazepam-equivalent dose, and positive doses."""
    from popsim.cohort.presets import preset_names
    from popsim.drugs.library import load, names

    for key, values in (("cohorts", cohorts), ("drugs", drugs), ("dose_de_mg", doses_de)):
        if not values or len(set(values)) != len(values):
            raise ValueError(f"{path}.{key}={list(values)!r}; allowed: a non-empty list without repeats")
    for i, c in enumerate(cohorts):
        _choice(f"{path}.cohorts[{i}]", c, preset_names())
    for i, d in enumerate(drugs):
        _choice(f"{path}.drugs[{i}]", d, names())
        if load(d).ashton_mg is None or "oral" not in load(d).routes:
            raise ValueError(f"{path}.drugs[{i}]={d!r} has no diazepam-equivalent dose or oral route; allowed: "
                             f"{[n for n in names() if load(n).ashton_mg is not None]}")
    for i, x in enumerate(doses_de):
        _finite(f"{path}.dose_de_mg[{i}]", x, low=0, low_open=True, high=200)


@dataclass
class HepaticConfig:
    """The ``hepatic`` experiment: ``drugs`` at ``dose_de_mg`` daily diazepam equivalents, split over
    ``hours_of_day``, for the grid's days in each of ``cohorts``; the day before each of
    ``checkpoint_days`` is summarised to follow accumulation."""

    cohorts: list[str] = field(default_factory=lambda: ["adult", "cirrhosis_a", "cirrhosis_b", "cirrhosis_c"])
    drugs: list[str] = field(default_factory=lambda: ["diazepam", "alprazolam", "midazolam", "lorazepam",
                                                      "oxazepam", "temazepam"])
    dose_de_mg: list[float] = field(default_factory=lambda: [5.0])
    hours_of_day: list[float] = field(default_factory=lambda: [8.0, 20.0])
    checkpoint_days: list[float] = field(default_factory=lambda: [7.0, 14.0, 21.0, 28.0])

    def check(self, path: str, grid) -> None:
        _check_arms(path, self.cohorts, self.drugs, self.dose_de_mg)
        _check_day_grid(path, grid.dt_h)
        if not self.hours_of_day:
            raise ValueError(f"{path}.hours_of_day: at least one")
        for i, h in enumerate(self.hours_of_day):
            _finite(f"{path}.hours_of_day[{i}]", h, low=0, high=24)
            if h >= 24 or abs(h / grid.dt_h - round(h / grid.dt_h)) > 1e-9:
                raise ValueError(f"{path}.hours_of_day[{i}]={h!r}; allowed: a clock hour in [0, 24) on the grid")
        days = list(self.checkpoint_days)
        if not days or days != sorted(set(days)):
            raise ValueError(f"{path}.checkpoint_days={days!r}; allowed: a non-empty increasing list")
        for i, d in enumerate(days):
            _finite(f"{path}.checkpoint_days[{i}]", d, low=1, high=grid.days)
            if d != round(d):
                raise ValueError(f"{path}.checkpoint_days[{i}]={d!r}; allowed: whole days")


@dataclass
class CypInhibitionConfig:
    """The ``cyp_inhibition`` experiment: ``drugs`` at ``dose_de_mg`` daily diazepam equivalents split
    over ``hours_of_day`` for the grid's days in the cohort, alone and with each perpetrator
    (``perpetrators``: name -> [dose mg, interval h], oral) taken ``throughout``, ``started`` on
    ``start_day`` or ``stopped`` after ``stop_day``."""

    drugs: list[str] = field(default_factory=lambda: ["alprazolam", "midazolam", "triazolam", "diazepam",
                                                      "lorazepam"])
    dose_de_mg: list[float] = field(default_factory=lambda: [5.0])
    hours_of_day: list[float] = field(default_factory=lambda: [8.0, 20.0])
    # usual regimens (as in the clinical DDI studies of shared/science/data; ritonavir: the boosting dose)
    perpetrators: dict[str, list[float]] = field(default_factory=lambda: {
        "ritonavir": [100.0, 12.0], "ketoconazole": [400.0, 24.0], "itraconazole": [200.0, 24.0],
        "clarithromycin": [500.0, 12.0], "erythromycin": [500.0, 8.0], "voriconazole": [200.0, 12.0],
        "fluconazole": [200.0, 24.0]})
    schedules: list[str] = field(default_factory=lambda: ["throughout", "started", "stopped"])
    start_day: float = 7.0
    stop_day: float = 14.0
    checkpoint_days: list[float] = field(default_factory=lambda: [7.0, 14.0, 21.0, 28.0])

    SCHEDULES: ClassVar[tuple[str, ...]] = ("throughout", "started", "stopped")

    def check(self, path: str, grid) -> None:
        from popsim.drugs.library import load, names

        # drugs, doses, hours and checkpoints are validated as in the hepatic experiment
        HepaticConfig(cohorts=["adult"], drugs=self.drugs, dose_de_mg=self.dose_de_mg,
                      hours_of_day=self.hours_of_day, checkpoint_days=self.checkpoint_days).check(path, grid)
        perps = [n for n in names() if load(n).kind == "perpetrator"]
        if not self.perpetrators:
            raise ValueError(f"{path}.perpetrators: at least one")
        for name, regimen in self.perpetrators.items():
            _choice(f"{path}.perpetrators key", name, perps)
            if len(regimen) != 2:
                raise ValueError(f"{path}.perpetrators.{name}={list(regimen)!r}; allowed: [dose_mg, interval_h]")
            _finite(f"{path}.perpetrators.{name}[0] (dose_mg)", regimen[0], low=0, low_open=True, high=10000)
            _finite(f"{path}.perpetrators.{name}[1] (interval_h)", regimen[1], low=0, low_open=True, high=168)
            if abs(regimen[1] / grid.dt_h - round(regimen[1] / grid.dt_h)) > 1e-9:
                raise ValueError(f"{path}.perpetrators.{name}[1]={regimen[1]!r}; allowed: a multiple of grid.dt_h")
        if not self.schedules or len(set(self.schedules)) != len(self.schedules):
            raise ValueError(f"{path}.schedules={list(self.schedules)!r}; allowed: a non-empty list without repeats")
        for i, sch in enumerate(self.schedules):
            _choice(f"{path}.schedules[{i}]", sch, self.SCHEDULES)
        for key in ("start_day", "stop_day"):
            _finite(f"{path}.{key}", getattr(self, key), low=0, high=grid.days)
            if getattr(self, key) != round(getattr(self, key)):
                raise ValueError(f"{path}.{key}={getattr(self, key)!r}; allowed: whole days")


@dataclass
class InterdoseConfig:
    """The ``interdose`` experiment: ``formulations`` (library drugs; ``<drug>_xr``: extended release,
    each dose released evenly over ``xr_release_h``) at ``dose_de_mg`` daily diazepam equivalents split
    into doses every ``interval_h``, for the grid's days."""

    formulations: list[str] = field(default_factory=lambda: ["alprazolam", "alprazolam_xr", "clonazepam", "diazepam"])
    dose_de_mg: list[float] = field(default_factory=lambda: [20.0, 60.0])
    interval_h: list[float] = field(default_factory=lambda: [6.0, 8.0, 12.0, 24.0])
    # No extended-release data in literature.md: an assumption placed so that tmax falls in the 5-11 h
    # the XANAX XR label gives (memory, unverified).
    xr_release_h: float = 8.0

    def check(self, path: str, grid) -> None:
        drugs = [f.removesuffix("_xr") for f in self.formulations]
        if len(set(self.formulations)) != len(self.formulations):
            raise ValueError(f"{path}.formulations={list(self.formulations)!r}; allowed: a list without repeats")
        for i, d in enumerate(drugs):
            try:
                _check_arms(path, ["adult"], [d], [1.0])
            except ValueError as e:
                raise ValueError(f"{path}.formulations[{i}]={self.formulations[i]!r}: {e}") from None
        _check_arms(path, ["adult"], ["diazepam"], self.dose_de_mg)
        if not self.interval_h or len(set(self.interval_h)) != len(self.interval_h):
            raise ValueError(f"{path}.interval_h={list(self.interval_h)!r}; allowed: a non-empty list without repeats")
        for i, tau in enumerate(self.interval_h):
            _finite(f"{path}.interval_h[{i}]", tau, low=0, low_open=True, high=24)
            if abs(tau / grid.dt_h - round(tau / grid.dt_h)) > 1e-9 or abs(24.0 / tau - round(24.0 / tau)) > 1e-9:
                raise ValueError(f"{path}.interval_h[{i}]={tau!r}; allowed: a multiple of grid.dt_h={grid.dt_h!r} that "
                                 "divides 24 h (the steady-state window is the last day)")
        _finite(f"{path}.xr_release_h", self.xr_release_h, low=0, low_open=True, high=24)
        if abs(self.xr_release_h / grid.dt_h - round(self.xr_release_h / grid.dt_h)) > 1e-9:
            raise ValueError(f"{path}.xr_release_h={self.xr_release_h!r}; allowed: a multiple of grid.dt_h={grid.dt_h!r}")
        if grid.days < 2:
            raise ValueError(f"grid.days={grid.days!r}: the {path} experiment reads the last day at steady state; "
                             "allowed: >= 2")


@dataclass
class AlcoholConfig:
    """The ``alcohol`` experiment: ``grams_per_day`` of ethanol over ``drinking_hours`` for
    ``drinking_days``, then a stop at midnight and ``days_after`` days of follow-up; from
    ``treatment_start_h`` after the stop, ``drug`` given on a fixed schedule (``fixed_mg_per_day``,
    6-hourly) or symptom-triggered (``trigger_mg`` when the withdrawal drive exceeds each of
    ``trigger_drive`` at a check every ``check_every_h``, at most ``max_doses``).  Grid: ``grid.dt_h``.
    The default doses and rule are the shape of common protocols (user settings, not library values)."""

    drug: str = "diazepam"
    grams_per_day: list[float] = field(default_factory=lambda: [0.0, 120.0, 200.0])
    drinking_hours: list[float] = field(default_factory=lambda: [10.0, 13.0, 16.0, 19.0, 22.0])
    drinking_days: float = 28.0
    days_after: float = 7.0
    treatment_start_h: float = 2.0
    fixed_mg_per_day: list[float] = field(default_factory=lambda: [40.0, 30.0, 20.0, 10.0])
    trigger_mg: float = 20.0
    trigger_drive: list[float] = field(default_factory=lambda: [0.05, 0.1])
    check_every_h: float = 1.0
    max_doses: int = 30

    def check(self, path: str, dt_h: float) -> None:
        from popsim.drugs.library import load, names

        benzos = [n for n in names() if load(n).kind == "benzodiazepine" and "oral" in load(n).routes]
        _choice(f"{path}.drug", self.drug, benzos)
        lag = load(self.drug).routes["oral"].lag
        if lag is not None and lag.value >= dt_h:  # the triggered dose must arrive within its grid step
            raise ValueError(f"{path}.drug={self.drug!r}: its oral lag time {lag.value:.3g} h is not shorter than "
                             f"grid.dt_h={dt_h!r}; allowed: a grid step longer than the lag, or a drug without lag")
        _check_day_grid(path, dt_h)
        for key in ("grams_per_day", "drinking_hours", "fixed_mg_per_day", "trigger_drive"):
            values = getattr(self, key)
            if not values or len(set(values)) != len(values):
                raise ValueError(f"{path}.{key}={list(values)!r}; allowed: a non-empty list without repeats")
        for i, g in enumerate(self.grams_per_day):
            _finite(f"{path}.grams_per_day[{i}]", g, low=0, high=500)
        for i, h in enumerate(self.drinking_hours):
            _finite(f"{path}.drinking_hours[{i}]", h, low=0, high=24)
            if h >= 24 or abs(h / dt_h - round(h / dt_h)) > 1e-9:
                raise ValueError(f"{path}.drinking_hours[{i}]={h!r}; allowed: a clock hour in [0, 24) on the grid")
        for i, x in enumerate(self.fixed_mg_per_day):
            _finite(f"{path}.fixed_mg_per_day[{i}]", x, low=0, high=500)
        for i, x in enumerate(self.trigger_drive):
            _finite(f"{path}.trigger_drive[{i}]", x, low=0, low_open=True, high=1)
            if x >= 1:
                raise ValueError(f"{path}.trigger_drive[{i}]={x!r}; allowed: a drive in (0, 1)")
        _finite(f"{path}.drinking_days", self.drinking_days, low=1, high=365)
        _finite(f"{path}.days_after", self.days_after, low=1, high=60)
        for key in ("drinking_days", "days_after"):
            if getattr(self, key) != round(getattr(self, key)):
                raise ValueError(f"{path}.{key}={getattr(self, key)!r}; allowed: whole days")
        _finite(f"{path}.trigger_mg", self.trigger_mg, low=0, low_open=True, high=200)
        for key, high in (("treatment_start_h", self.days_after * 24 - 1), ("check_every_h", 24.0)):
            value = getattr(self, key)
            _finite(f"{path}.{key}", value, low=0, low_open=key == "check_every_h", high=high)
            if abs(value / dt_h - round(value / dt_h)) > 1e-9:
                raise ValueError(f"{path}.{key}={value!r}; allowed: a multiple of grid.dt_h={dt_h!r}")
        if not isinstance(self.max_doses, int) or not 1 <= self.max_doses <= 500:
            raise ValueError(f"{path}.max_doses={self.max_doses!r}; allowed: an integer 1 to 500")


@dataclass
class ReceptorSubtypesConfig:
    """The ``receptor_subtypes`` experiment: ``drugs`` at ``dose_de_mg`` daily diazepam equivalents on
    each of ``schedules`` (name -> clock hours, the daily dose split equally) for the grid's days; the
    last day is kept as a time course and split into night (``night_hours`` [start, end)) and day."""

    drugs: list[str] = field(default_factory=lambda: ["alprazolam", "lorazepam", "clonazepam", "diazepam",
                                                      "triazolam", "zolpidem"])
    dose_de_mg: list[float] = field(default_factory=lambda: [5.0])
    schedules: dict[str, list[float]] = field(default_factory=lambda: {"bedtime": [22.0],
                                                                       "three_times_daily": [8.0, 14.0, 22.0]})
    night_hours: list[float] = field(default_factory=lambda: [22.0, 7.0])

    def check(self, path: str, grid) -> None:
        _check_arms(path, ["adult"], self.drugs, self.dose_de_mg)
        _check_day_grid(path, grid.dt_h)
        if grid.days < 2:
            raise ValueError(f"grid.days={grid.days!r}: the {path} experiment keeps the last day at steady state; "
                             "allowed: >= 2")
        if not self.schedules:
            raise ValueError(f"{path}.schedules: at least one (name -> clock hours)")
        for name, hours in self.schedules.items():
            if not hours or len(set(hours)) != len(hours):
                raise ValueError(f"{path}.schedules.{name}={list(hours)!r}; allowed: a non-empty list without repeats")
            for i, h in enumerate(hours):
                _finite(f"{path}.schedules.{name}[{i}]", h, low=0, high=24)
                if h >= 24 or abs(h / grid.dt_h - round(h / grid.dt_h)) > 1e-9:
                    raise ValueError(f"{path}.schedules.{name}[{i}]={h!r}; allowed: a clock hour in [0, 24) on the grid")
        if len(self.night_hours) != 2:
            raise ValueError(f"{path}.night_hours={list(self.night_hours)!r}; allowed: [start, end] clock hours")
        for i, h in enumerate(self.night_hours):
            _finite(f"{path}.night_hours[{i}]", h, low=0, high=24)
            if h >= 24 or abs(h / grid.dt_h - round(h / grid.dt_h)) > 1e-9:
                raise ValueError(f"{path}.night_hours[{i}]={h!r}; allowed: a clock hour in [0, 24) on the grid")
        if self.night_hours[0] == self.night_hours[1]:
            raise ValueError(f"{path}.night_hours={list(self.night_hours)!r}: start and end must differ")


@dataclass
class StatusEpilepticusConfig:
    """The ``status_epilepticus`` experiment: single doses at t = 0 (``arms``: ``"<drug>_<route>_<dose
    mg>"``), followed for ``hours`` on a 1-min grid; onset and duration of ``signal`` above each of
    ``thresholds`` (the effective occupancy is unknown, so it is swept), and whether it is lost within
    ``protect_h`` of the dose.  Default doses: the usual adult first-line doses (lorazepam 4 mg iv,
    diazepam 10 mg iv, midazolam 10 mg im, midazolam 5 mg intranasal), user settings, not library
    values.  Buccal midazolam and rectal diazepam are not in the library (literature.md has no
    bioavailability or absorption numbers for them)."""

    arms: list[str] = field(default_factory=lambda: ["lorazepam_iv_2", "lorazepam_iv_4", "diazepam_iv_10",
                                                     "midazolam_im_10", "midazolam_intranasal_5"])
    signal: str = "occupancy_a1"
    thresholds: list[float] = field(default_factory=lambda: [0.3, 0.5, 0.7])
    protect_h: float = 4.0
    hours: float = 12.0

    def check(self, path: str) -> None:
        from popsim.drugs.library import load, names

        benzos = [n for n in names() if load(n).kind == "benzodiazepine"]
        if not self.arms or len(set(self.arms)) != len(self.arms):
            raise ValueError(f"{path}.arms={list(self.arms)!r}; allowed: a non-empty list of '<drug>_<route>_<dose mg>' "
                             "without repeats, e.g. lorazepam_iv_4")
        for i, arm in enumerate(self.arms):
            parts = str(arm).split("_")
            if len(parts) != 3:
                raise ValueError(f"{path}.arms[{i}]={arm!r}; allowed: '<drug>_<route>_<dose mg>', e.g. lorazepam_iv_4")
            drug, route, dose = parts
            _choice(f"{path}.arms[{i}] drug", drug, benzos)
            _choice(f"{path}.arms[{i}] route", route, sorted(set(load(drug).routes) | {"iv"}))
            try:
                mg = float(dose)
            except ValueError:
                raise ValueError(f"{path}.arms[{i}]={arm!r}: dose {dose!r} is not a number") from None
            _finite(f"{path}.arms[{i}] dose_mg", mg, low=0, low_open=True, high=100)
        # the first-line drugs are non-selective, so alpha1 and alpha2 occupancy coincide
        _choice(f"{path}.signal", self.signal, ("occupancy_a1",))
        if not self.thresholds or self.thresholds != sorted(set(self.thresholds)):
            raise ValueError(f"{path}.thresholds={list(self.thresholds)!r}; allowed: a non-empty increasing list")
        for i, t in enumerate(self.thresholds):
            _finite(f"{path}.thresholds[{i}]", t, low=0, low_open=True, high=1)
            if t >= 1:
                raise ValueError(f"{path}.thresholds[{i}]={t!r}; allowed: an occupancy in (0, 1)")
        _finite(f"{path}.hours", self.hours, low=1, high=72)
        _finite(f"{path}.protect_h", self.protect_h, low=0, low_open=True, high=self.hours)


@dataclass
class ElderlyConfig:
    """The ``elderly`` experiment: ``drugs`` at daily diazepam-equivalent doses ``dose_de_mg`` (Ashton)
    taken once daily at ``dose_hour`` for the grid's days, in each of ``cohorts`` (preset names).
    The recommended starting dose per drug and cohort matches the median mean alpha1 occupancy of
    ``reference_dose_de_mg`` in ``reference_cohort``; the fall-capped dose keeps the median fall-rate
    ratio (vs untreated) at or below ``fall_rate_ratio_cap``.  ``search_points`` doses, geometric
    from ``search_min_de_mg`` to ``search_max_de_mg``, are simulated for both searches."""

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

    def check(self, path: str, dt_h: float) -> None:
        from popsim.cohort.presets import preset_names

        _check_arms(path, self.cohorts, self.drugs, self.dose_de_mg)
        _check_day_grid(path, dt_h)
        _choice(f"{path}.reference_cohort", self.reference_cohort, preset_names())
        for key in ("reference_dose_de_mg", "search_min_de_mg", "search_max_de_mg"):
            _finite(f"{path}.{key}", getattr(self, key), low=0, low_open=True, high=200)
        if not self.search_min_de_mg < self.reference_dose_de_mg < self.search_max_de_mg:
            raise ValueError(f"{path}: need search_min_de_mg < reference_dose_de_mg < search_max_de_mg; got "
                             f"{self.search_min_de_mg}, {self.reference_dose_de_mg}, {self.search_max_de_mg}")
        _finite(f"{path}.fall_rate_ratio_cap", self.fall_rate_ratio_cap, low=1, low_open=True, high=100)
        if not isinstance(self.search_points, int) or not 4 <= self.search_points <= 64:
            raise ValueError(f"{path}.search_points={self.search_points!r}; allowed: an integer 4 to 64")
        _finite(f"{path}.dose_hour", self.dose_hour, low=0, high=24)
        if self.dose_hour >= 24 or abs(self.dose_hour / dt_h - round(self.dose_hour / dt_h)) > 1e-9:
            raise ValueError(f"{path}.dose_hour={self.dose_hour!r}; allowed: a clock hour in [0, 24) on the grid")


@dataclass
class OverdoseConfig:
    """The ``overdose`` experiment.  A benzodiazepine dose (``benzo_mg``, by ``benzo_route``) at
    t = 0 and an opioid of ``opioids`` iv at ``opioid_at_min``; every benzodiazepine x opioid dose pair
    (``opioid_mg``: doses per opioid) is simulated.  Rescue: at the largest benzodiazepine dose and ``rescue_opioid_mg``
    of each opioid, naloxone by each route in ``naloxone_routes`` at each dose in ``naloxone_mg``, and
    flumazenil iv ``flumazenil_mg`` alone or with naloxone, each ``rescue_delays_min`` after the opioid.
    Grid: 1 min for ``hours`` (the grid section is not used)."""

    benzodiazepine: str = "alprazolam"
    benzo_route: str = "oral"
    benzo_mg: list[float] = field(default_factory=lambda: [0.0, 1.0, 2.0, 4.0])
    opioids: list[str] = field(default_factory=lambda: ["fentanyl", "morphine", "buprenorphine"])
    opioid_mg: dict[str, list[float]] = field(default_factory=lambda: {
        "fentanyl": [0.0, 0.05, 0.1, 0.2, 0.4], "morphine": [0.0, 5.0, 10.0, 20.0, 40.0],
        "buprenorphine": [0.0, 0.15, 0.3, 0.6, 1.2]})
    opioid_at_min: float = 60.0
    rescue_opioid_mg: dict[str, float] = field(default_factory=lambda: {
        "fentanyl": 0.4, "morphine": 40.0, "buprenorphine": 1.2})
    naloxone_routes: list[str] = field(default_factory=lambda: ["iv", "im", "intranasal"])
    naloxone_mg: list[float] = field(default_factory=lambda: [0.4, 2.0, 4.0])
    flumazenil_mg: float = 0.5
    rescue_delays_min: list[float] = field(default_factory=lambda: [5.0, 15.0])
    hours: float = 4.0

    def check(self, path: str) -> None:
        from popsim.drugs.library import load, names

        _choice(f"{path}.benzodiazepine", self.benzodiazepine, names())
        if load(self.benzodiazepine).kind not in ("benzodiazepine", "z_drug"):
            raise ValueError(f"{path}.benzodiazepine={self.benzodiazepine!r} is a {load(self.benzodiazepine).kind}; "
                             "allowed: a benzodiazepine or Z-drug")
        _choice(f"{path}.benzo_route", self.benzo_route, sorted(load(self.benzodiazepine).routes) + ["iv"])
        # the library opioids with a published respiratory PKPD model (literature.md C5, C9, C17)
        with_pd = ("fentanyl", "morphine", "buprenorphine")
        if not self.opioids:
            raise ValueError(f"{path}.opioids: at least one opioid")
        for i, name in enumerate(self.opioids):
            _choice(f"{path}.opioids[{i}]", name, with_pd)
            if name not in self.opioid_mg:
                raise ValueError(f"{path}.opioid_mg: no doses for {name!r}")
            for k, x in enumerate(self.opioid_mg[name]):
                _finite(f"{path}.opioid_mg.{name}[{k}]", x, low=0, high=1000)
            if name not in self.rescue_opioid_mg:
                raise ValueError(f"{path}.rescue_opioid_mg: no dose for {name!r}")
            _finite(f"{path}.rescue_opioid_mg.{name}", self.rescue_opioid_mg[name], low=0, low_open=True, high=1000)
        for i, x in enumerate(self.benzo_mg):
            _finite(f"{path}.benzo_mg[{i}]", x, low=0, high=1000)
        for i, r in enumerate(self.naloxone_routes):
            _choice(f"{path}.naloxone_routes[{i}]", r, ("iv", "im", "intranasal"))
        for i, x in enumerate(self.naloxone_mg):
            _finite(f"{path}.naloxone_mg[{i}]", x, low=0, low_open=True, high=20)
        _finite(f"{path}.flumazenil_mg", self.flumazenil_mg, low=0, high=5)
        _finite(f"{path}.hours", self.hours, low=0.5, high=48)
        times = {"opioid_at_min": self.opioid_at_min} | {f"rescue_delays_min[{i}]": v
                                                          for i, v in enumerate(self.rescue_delays_min)}
        for key, value in times.items():
            _finite(f"{path}.{key}", value, low=0, high=self.hours * 60 - 1)
            if value != round(value):
                raise ValueError(f"{path}.{key}={value!r}; allowed: whole minutes")
        for key in ("benzo_mg", "naloxone_routes", "naloxone_mg", "rescue_delays_min", "opioids"):
            values = getattr(self, key)
            if not values or len(set(values)) != len(values):
                raise ValueError(f"{path}.{key}={list(values)!r}; allowed: a non-empty list without repeats")
        for name in self.opioids:
            if not self.opioid_mg[name] or len(set(self.opioid_mg[name])) != len(self.opioid_mg[name]):
                raise ValueError(f"{path}.opioid_mg.{name}={list(self.opioid_mg[name])!r}; allowed: a non-empty list "
                                 "without repeats")
        last = self.opioid_at_min + max(self.rescue_delays_min)
        if last > self.hours * 60 - 1:
            raise ValueError(f"{path}: opioid_at_min + max(rescue_delays_min) = {last:g} min; allowed: within the "
                             f"horizon hours x 60 - 1 = {self.hours * 60 - 1:g} min")


@dataclass
class Config:
    """The whole run.  ``experiment`` names what is simulated; ``drugs`` and
    ``regimen`` are filled by the experiment's config file."""

    experiment: str = ""
    seed: int = 0
    job_seed: str = "derive"  # multirun: "derive" a seed per job from seed + its overrides, or keep the "base"
    n_subjects: int = 1000
    chunk_size: int = 8192
    precision: str = "float32"
    save_subjects: int = 20
    thresholds_mg_l: list[float] = field(default_factory=list)
    drugs: dict[str, DrugConfig] = field(default_factory=dict)
    regimen: RegimenConfig = field(default_factory=RegimenConfig)
    grid: GridConfig = field(default_factory=GridConfig)
    cohort: CohortConfig = field(default_factory=CohortConfig)
    perpetrator: PerpetratorConfig = field(default_factory=PerpetratorConfig)
    library: list[str] = field(default_factory=list)
    route: str = "oral"
    plan: str = ""
    targets: str = ""
    pd: dict[str, float] = field(default_factory=dict)
    elderly: ElderlyConfig = field(default_factory=ElderlyConfig)
    overdose: OverdoseConfig = field(default_factory=OverdoseConfig)
    hepatic: HepaticConfig = field(default_factory=HepaticConfig)
    cyp_inhibition: CypInhibitionConfig = field(default_factory=CypInhibitionConfig)
    status_epilepticus: StatusEpilepticusConfig = field(default_factory=StatusEpilepticusConfig)
    receptor_subtypes: ReceptorSubtypesConfig = field(default_factory=ReceptorSubtypesConfig)
    alcohol: AlcoholConfig = field(default_factory=AlcoholConfig)
    interdose: InterdoseConfig = field(default_factory=InterdoseConfig)
    output_format: str = "netcdf"

    def __post_init__(self):
        if not self.experiment:
            raise ValueError("no experiment selected; run e.g. `python -m popsim +experiment=interdose`")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"seed={self.seed!r}; allowed: an integer in [0, 2^31)")
        for key in ("n_subjects", "chunk_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{key}={value!r}; allowed: an integer >= 1")
        if not isinstance(self.save_subjects, int) or not 0 <= self.save_subjects <= self.n_subjects:
            raise ValueError(f"save_subjects={self.save_subjects!r}; allowed: 0 <= save_subjects <= n_subjects={self.n_subjects}")
        _choice("precision", self.precision, PRECISIONS)
        _choice("job_seed", self.job_seed, ("derive", "base"))
        _choice("output_format", self.output_format, ("netcdf", "zarr"))
        for i, t in enumerate(self.thresholds_mg_l):
            _finite(f"thresholds_mg_l[{i}]", t, low=0, low_open=True)
        _choice("experiment", self.experiment, EXPERIMENTS)
        if self.pd:
            from popsim.pd.parameters import check_values

            check_values(self.pd)
        if self.experiment == "qualify":
            if not self.plan:
                raise ValueError("plan: the qualify experiment needs plan=<path to a plan CSV>")
        elif self.experiment == "calibration":
            if not self.targets:
                raise ValueError("targets: the calibration experiment needs targets=<path to a targets CSV>")
        elif self.experiment == "elderly":
            self.elderly.check("elderly", self.grid.dt_h)
        elif self.experiment == "overdose":
            self.overdose.check("overdose")
        elif self.experiment == "hepatic":
            self.hepatic.check("hepatic", self.grid)
        elif self.experiment == "cyp_inhibition":
            self.cyp_inhibition.check("cyp_inhibition", self.grid)
        elif self.experiment == "interdose":
            self.interdose.check("interdose", self.grid)
        elif self.experiment == "alcohol":
            self.alcohol.check("alcohol", self.grid.dt_h)
        elif self.experiment == "receptor_subtypes":
            self.receptor_subtypes.check("receptor_subtypes", self.grid)
        elif self.experiment == "status_epilepticus":
            self.status_epilepticus.check("status_epilepticus")
        elif self.experiment == "population":
            from popsim.drugs.library import load, names

            if not self.library:
                raise ValueError("library: the population experiment needs drug names, e.g. library=[midazolam]")
            for i, name in enumerate(self.library):
                _choice(f"library[{i}]", name, names())
                _choice("route", self.route, sorted(load(name).routes))
        elif not self.drugs:
            raise ValueError("drugs: the experiment selects no drug")
        self.grid.check("grid")
        self.cohort.check("cohort")
        if self.perpetrator.drug:
            if self.experiment != "population":
                raise ValueError(f"perpetrator.drug={self.perpetrator.drug!r}: the {self.experiment} experiment does not "
                                 "simulate perpetrators (population does; qualify takes them from its plan)")
            self.perpetrator.check("perpetrator", self.grid.dt_h)
            if self.cohort.p_perpetrator == 0:
                raise ValueError(f"perpetrator.drug={self.perpetrator.drug!r} but cohort.p_perpetrator=0: nobody takes "
                                 "it; set cohort.p_perpetrator (e.g. 1.0, or cohort=ritonavir_boosted)")
        elif self.cohort.p_perpetrator > 0 and self.experiment != "qualify":
            raise ValueError(f"cohort.p_perpetrator={self.cohort.p_perpetrator!r} but no perpetrator is configured; set "
                             "e.g. perpetrator.drug=ritonavir perpetrator.dose_mg=100 perpetrator.interval_h=12")
        self.regimen.check("regimen", self.grid.dt_h)
        for name, drug in self.drugs.items():
            drug.check(f"drugs.{name}")


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    cs.store(group="drug", name="base_drug", node=DrugConfig)
    cs.store(group="cohort", name="base_cohort", node=CohortConfig)
