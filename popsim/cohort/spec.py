"""Who is simulated: the schema of a cohort (the ``cohort`` group; presets in ``popsim/configs/cohort/``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from popsim._validate import choice as _choice
from popsim._validate import finite as _finite

__all__ = ["PREGNANCY", "CohortConfig"]


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
