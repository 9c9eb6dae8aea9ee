"""Who is simulated: the schema of a cohort (the ``cohort`` group; presets in ``popsim/configs/cohort/``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, Optional

from popsim._validate import closest as _closest
from popsim._validate import finite as _finite

__all__ = ["CYP2C19", "CYP2C19_ANCESTRY", "CohortConfig", "Frequencies"]


# CYP2C19 phenotypes in ascending activity: the codes 0-4 of the ``cyp2c19`` covariate and the order of
# ``cohort.cyp2c19`` (poor, intermediate, normal, rapid, ultrarapid metaboliser; CPIC terms)
CYP2C19 = ("pm", "im", "nm", "rm", "um")


@dataclass(frozen=True)
class Frequencies:
    """Phenotype frequencies of one ancestry group as read (percent, in the order of :data:`CYP2C19`),
    with their source and status (literature.md codes); :attr:`fractions` are normalised to sum 1."""

    percent: tuple[float, float, float, float, float]
    source: str
    status: str
    note: str

    @property
    def fractions(self) -> tuple[float, ...]:
        total = sum(self.percent)
        return tuple(p / total for p in self.percent)


_P73_75 = ("Per Med 2022;19(4):327-339 (doi 10.2217/pme-2021-0175), Table 3 (authors not recorded), read at "
           "pmc.ncbi.nlm.nih.gov/articles/PMC9318053/table/T3")
_REST_TO_PM = ("RM and UM are not reported for this group (set to 0; *17 is rare in East Asians and Oceanians, "
               "P77) and the rest of 100% is assigned to PM, as the PM genotypes *2/*3 and *3/*3 that the table "
               "leaves out (*3 is frequent in Oceania, P77): a popsim assumption; give the frequencies with "
               "cohort.cyp2c19_ancestry=custom to test it")
CYP2C19_ANCESTRY = {
    "european": Frequencies(
        (2.1053, 24.8, 40.6, 27.6, 4.7), _P73_75 + " (literature.md P73)", "V",
        "EUR reference set, n = 1,689,246; PM = *2/*2 + *2/*3 + *3/*3 = 2.1 + 0.005 + 0.0003%. The categories sum "
        "to 99.8% (the rest is unassigned genotypes) and are normalised to 1; the PM share agrees with 1.8% "
        "measured in 4301 Dutch volunteers (P78) and about 2% (A47)"),
    "japanese": Frequencies(
        (22.3, 44.0, 32.1, 1.6, 0.0), _P73_75 + " (literature.md P74)", "D",
        "n = 184; NM 32.1, RM 1.6, UM 0, IM 44.0% read; PM is at least 15.7% (*2/*2 15.2, *3/*3 0.5; the *2/*3 "
        "cell is cut off): PM = 100 - 77.7 = 22.3%, the rest of 100% taken as the missing PM cell"),
    "korean": Frequencies(
        (21.4, 42.6, 36.0, 0.0, 0.0), _P73_75 + " (literature.md P74)", "D",
        "n = 75 (small); NM 36, RM 0, UM 0, IM 42.6% read; PM at least 17.3% (*2/*2 16, *3/*3 1.3; *2/*3 cut "
        "off): PM = 100 - 78.6 = 21.4%, the rest of 100% taken as the missing PM cell"),
    "filipino": Frequencies((19.9, 51.6, 28.5, 0.0, 0.0), _P73_75 + " (literature.md P75)", "A",
                            "NM 28.5, IM 51.6, *2/*2 13.4% read (n = 118-186); " + _REST_TO_PM),
    "native_hawaiian": Frequencies((16.4, 39.1, 44.5, 0.0, 0.0), _P73_75 + " (literature.md P75)", "A",
                                   "NM 44.5, IM 39.1, *2/*2 7.5% read; " + _REST_TO_PM),
    "marshallese": Frequencies((22.0, 44.1, 33.9, 0.0, 0.0), _P73_75 + " (literature.md P75)", "A",
                               "NM 33.9, IM 44.1, *2/*2 11.0% read; " + _REST_TO_PM),
    "samoan": Frequencies((21.3, 47.2, 31.5, 0.0, 0.0), _P73_75 + " (literature.md P75)", "A",
                          "NM 31.5, IM 47.2, *2/*2 12.4% read; " + _REST_TO_PM),
}
# literature.md P79: no African phenotype frequencies were found, so there is no preset to offer
_NOT_FOUND = {"african": "P79", "african_american": "P79", "black": "P79"}


@dataclass
class CohortConfig:
    """Who is simulated: the distributions of one subject's covariates.

    Age (years) is a normal truncated to ``[age_min, age_max]``; height (cm)
    a normal per sex; BMI (kg/m^2) a log-normal (median, geometric SD)
    truncated to ``[bmi_min, bmi_max]``; weight = BMI x height^2.  Categorical
    covariates: ``child_pugh`` probabilities of none/A/B/C; the CYP2C19
    phenotype, with the frequencies of ``cyp2c19_ancestry`` (a group of
    :data:`CYP2C19_ANCESTRY`, sourced from literature.md table P; default
    ``european``) or, with ``cyp2c19_ancestry=custom``, the five fractions
    ``cyp2c19`` = [pm, im, nm, rm, um] (summing to 1); the fractions taking a
    perpetrator, an opioid or alcohol.  Pregnancy (women only, ``p_male = 0``):
    ``gestational_week = [lo, hi]`` draws each woman's gestational week
    uniformly in the window (``[0, 0]``, the default, is not pregnant; a
    single value when ``lo = hi``); ``postpartum_week = [lo, hi]`` likewise the
    weeks since delivery, and then ``gestational_week`` is the week at delivery
    (e.g. ``[39, 40]``).  The cohort's weight and BMI are the women's before
    pregnancy (:mod:`popsim.params.gestation`).  The physiology equations were
    built for adults 18-100 years, 35-250 kg, BMI 15-60; values outside are
    refused unless ``allow_extrapolation`` (recorded in the output's
    provenance).
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
    cyp2c19_ancestry: str = "european"
    cyp2c19: Optional[list[float]] = None
    gestational_week: list[float] = field(default_factory=lambda: [0.0, 0.0])
    postpartum_week: list[float] = field(default_factory=lambda: [0.0, 0.0])
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
    # weeks: gestation (Kapraun 2019's curves hold to 41, literature.md L1) and after delivery (2 years)
    WEEKS: ClassVar[dict] = {"gestational_week": 42.0, "postpartum_week": 104.0}

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
        for key in ("p_male", "p_perpetrator", "p_opioid", "p_alcohol"):
            _finite(f"{path}.{key}", getattr(self, key), low=0, high=1)
        self._check_cyp2c19(path)
        if len(self.child_pugh) != 4:
            raise ValueError(f"{path}.child_pugh={self.child_pugh!r}; allowed: 4 probabilities (none, A, B, C)")
        for i, p in enumerate(self.child_pugh):
            _finite(f"{path}.child_pugh[{i}]", p, low=0, high=1)
        if abs(sum(self.child_pugh) - 1) > 1e-6:
            raise ValueError(f"{path}.child_pugh={self.child_pugh!r} sums to {sum(self.child_pugh):g}; allowed: 1")
        self._check_pregnancy(path)

    def _check_pregnancy(self, path: str) -> None:
        for key, top in self.WEEKS.items():
            v = getattr(self, key)
            if len(v) != 2:
                raise ValueError(f"{path}.{key}={list(v)!r}; allowed: [lo, hi] weeks with 0 <= lo <= hi <= {top:g}")
            for i in (0, 1):
                _finite(f"{path}.{key}[{i}]", v[i], low=0, high=top)
            if v[0] > v[1]:
                raise ValueError(f"{path}.{key}={list(v)!r}; allowed: [lo, hi] weeks with 0 <= lo <= hi <= {top:g}")
        ga, pp = self.gestational_week, self.postpartum_week
        for key, v in (("gestational_week", ga), ("postpartum_week", pp)):
            if v[1] > 0 and self.p_male != 0:
                raise ValueError(f"{path}.{key}={list(v)!r} needs {path}.p_male=0 (women only); got "
                                 f"{self.p_male!r}")
        if pp[1] > 0 and ga[1] == 0:
            raise ValueError(f"{path}.postpartum_week={list(pp)!r} needs the week at delivery in "
                             f"{path}.gestational_week (e.g. [39, 40]); got {list(ga)!r}")

    def _check_cyp2c19(self, path: str) -> None:
        groups = list(CYP2C19_ANCESTRY) + ["custom"]
        a = self.cyp2c19_ancestry
        if a in _NOT_FOUND:
            raise ValueError(f"{path}.cyp2c19_ancestry={a!r}: no phenotype frequencies for this group were found "
                             f"(literature.md {_NOT_FOUND[a]}); give them with {path}.cyp2c19_ancestry=custom "
                             f"{path}.cyp2c19=[pm, im, nm, rm, um]; allowed: {groups}")
        if a not in groups:
            raise ValueError(f"{path}.cyp2c19_ancestry={a!r}; allowed: {groups}" + _closest(str(a), groups))
        if a != "custom":
            if self.cyp2c19 is not None:
                raise ValueError(f"{path}.cyp2c19={list(self.cyp2c19)!r} is given with {path}.cyp2c19_ancestry={a!r}; "
                                 f"set {path}.cyp2c19_ancestry=custom to use these frequencies, or leave "
                                 f"{path}.cyp2c19 unset for those of {a!r}")
            return
        f = self.cyp2c19
        if f is None:
            raise ValueError(f"{path}.cyp2c19_ancestry='custom' needs {path}.cyp2c19=[pm, im, nm, rm, um] "
                             "(fractions summing to 1)")
        if len(f) != len(CYP2C19):
            raise ValueError(f"{path}.cyp2c19={list(f)!r}; allowed: {len(CYP2C19)} fractions [pm, im, nm, rm, um] "
                             "summing to 1")
        for name, p in zip(CYP2C19, f):
            _finite(f"{path}.cyp2c19[{CYP2C19.index(name)}] ({name})", p, low=0, high=1)
        if abs(math.fsum(f) - 1) > 1e-6:
            raise ValueError(f"{path}.cyp2c19={list(f)!r} sums to {math.fsum(f):g}; allowed: fractions "
                             "[pm, im, nm, rm, um] summing to 1")

    def cyp2c19_frequencies(self) -> tuple[float, ...]:
        """Fractions of poor, intermediate, normal, rapid and ultrarapid metabolisers (:data:`CYP2C19` order)."""
        if self.cyp2c19_ancestry == "custom":
            return tuple(float(p) for p in self.cyp2c19)
        return CYP2C19_ANCESTRY[self.cyp2c19_ancestry].fractions
