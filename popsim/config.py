"""Configuration schemas (dataclasses registered in Hydra's ConfigStore).

:class:`Config` holds what every run has (seed, size, precision, output
format), the shared groups that an experiment may read (``cohort``, ``grid``,
``pd``) and the typed ``study`` slot: the schema of the chosen experiment
(``popsim/experiments/<name>.py``), selected by
``popsim/configs/experiment/<name>.yaml``.  So only the chosen experiment's
keys exist, a misspelt key fails at composition, and a shared key the
experiment does not read is refused before any compute
(:func:`popsim.run.compose`).  Ranges are checked after composition
(``OmegaConf.to_object``); errors name the full key path, the value and the
allowed range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from popsim._validate import choice as _choice
from popsim._validate import finite as _finite
from popsim._validate import on_grid
from popsim.cohort.spec import CohortConfig

__all__ = ["Config", "DrugConfig", "GridConfig", "MAX_DRAWS", "PerpetratorConfig", "ROUTES", "RUN_KEYS",
           "RegimenConfig", "Study", "register"]

ROUTES = ("oral", "iv_bolus", "iv_infusion")
PRECISIONS = ("float32", "float64")
# keys every experiment reads
RUN_KEYS = ("experiment", "seed", "job_seed", "n_subjects", "n_draws", "draws_of", "posterior", "chunk_size",
            "precision", "output_format", "study")
DRAWS_OF = ("pd", "library")  # what n_draws draws: the PD posterior, the drug library's priors
MAX_DRAWS = 1000  # parameter draws per run (each multiplies the PD work)


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


@dataclass
class PerpetratorConfig:
    """A CYP3A4/CYP2C19 perpetrator taken by the cohort's ``p_perpetrator`` fraction: ``dose_mg``
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
            raise ValueError(f"{path}.drug={self.drug!r} does not inhibit or induce CYP3A4 or CYP2C19 in the library; "
                             f"perpetrators: {[n for n in names() if load(n).inhibition is not None]}")
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
            on_grid(f"{path}.interval_h[{i}]", tau, dt_h)
        _finite(f"{path}.start_h", self.start_h, low=0)
        on_grid(f"{path}.start_h", self.start_h, dt_h)


@dataclass
class GridConfig:
    """Time grid: ``days`` of simulation on a ``dt_h`` grid; summaries over the
    last ``summary_window_h`` hours (the steady-state window)."""

    dt_h: float = 1.0
    days: float = 14.0
    summary_window_h: float = 24.0

    @property
    def n_steps(self) -> int:
        """Grid points from t = 0 to ``days`` inclusive."""
        return round(self.days * 24 / self.dt_h) + 1

    def check(self, path: str, keys=("dt_h", "days", "summary_window_h")) -> None:
        """Check ``keys`` (those an experiment reads; ``dt_h`` always)."""
        _finite(f"{path}.dt_h", self.dt_h, low=0, low_open=True, high=24)
        if "days" in keys:
            _finite(f"{path}.days", self.days, low=0, low_open=True, high=3650)
            if abs(self.days * 24 / self.dt_h - round(self.days * 24 / self.dt_h)) > 1e-9:
                raise ValueError(f"{path}.days={self.days!r}; allowed: a whole number of grid steps dt_h={self.dt_h!r}")
        if "summary_window_h" in keys:
            _finite(f"{path}.summary_window_h", self.summary_window_h, low=0, low_open=True, high=self.days * 24)
            on_grid(f"{path}.summary_window_h", self.summary_window_h, self.dt_h)


@dataclass
class Study:
    """Base of the experiments' schemas (the ``study`` group).  A subclass lives in its experiment's
    module, with ``check(cfg)`` validating its keys against the whole :class:`Config` (errors name
    ``study.<key>``)."""

    # whether the study gives the cohort's p_perpetrator fraction a CYP3A4/CYP2C19 perpetrator (else a cohort
    # with p_perpetrator > 0 is refused: nobody would take one)
    PERPETRATOR: ClassVar[bool] = False

    def check(self, cfg: "Config") -> None:
        """Refuse a value out of range, before any compute."""


@dataclass
class Config:
    """The whole run.  ``experiment`` names what is simulated and ``study`` holds its keys; ``cohort``,
    ``grid`` and ``pd`` are shared groups, each read only by the experiments that declare it."""

    experiment: str = ""
    seed: int = 0
    job_seed: str = "derive"  # multirun: "derive" a seed per job from seed + its overrides, or keep the "base"
    n_subjects: int = 1000
    n_draws: int = 0  # parameter draws (a draw dimension; experiments with Experiment.draws); 0: point values
    # with n_draws: what varies over the draws, the PD/risk constants (posterior) and/or the library's PK values
    draws_of: list[str] = field(default_factory=lambda: list(DRAWS_OF))
    posterior: str = ""  # with n_draws: the posterior file the draws come from ("": the one shipped)
    chunk_size: int = 8192
    precision: str = "float32"
    output_format: str = "netcdf"
    cohort: CohortConfig = field(default_factory=CohortConfig)
    grid: GridConfig = field(default_factory=GridConfig)
    pd: dict[str, float] = field(default_factory=dict)
    study: Study = MISSING

    def __post_init__(self):
        if not self.experiment:
            raise ValueError("no experiment selected; run e.g. `python -m popsim +experiment=interdose`")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**31:
            raise ValueError(f"seed={self.seed!r}; allowed: an integer in [0, 2^31)")
        for key in ("n_subjects", "chunk_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{key}={value!r}; allowed: an integer >= 1")
        if isinstance(self.n_draws, bool) or not isinstance(self.n_draws, int) or not 0 <= self.n_draws <= MAX_DRAWS:
            raise ValueError(f"n_draws={self.n_draws!r}; allowed: an integer 0 to {MAX_DRAWS} (0: the point values, "
                             "no draw dimension)")
        draws_of = list(self.draws_of)
        if not draws_of or len(set(draws_of)) != len(draws_of):
            raise ValueError(f"draws_of={draws_of!r}; allowed: a non-empty list of {list(DRAWS_OF)} without repeats")
        for i, what in enumerate(draws_of):
            _choice(f"draws_of[{i}]", what, DRAWS_OF)
        if sorted(draws_of) != sorted(DRAWS_OF) and not self.n_draws:
            raise ValueError(f"draws_of={draws_of!r}: read only with parameter draws; allowed: n_draws > 0, or no "
                             "draws_of key")
        if self.posterior and "pd" not in draws_of:
            raise ValueError(f"posterior={self.posterior!r} with draws_of={draws_of!r}: the posterior holds PD draws; "
                             "allowed: draws_of with pd, or no posterior key")
        if self.posterior and not self.n_draws:
            raise ValueError(f"posterior={self.posterior!r}: read only with parameter draws; allowed: n_draws > 0, or "
                             "no posterior key")
        _choice("precision", self.precision, PRECISIONS)
        _choice("job_seed", self.job_seed, ("derive", "base"))
        _choice("output_format", self.output_format, ("netcdf", "zarr"))


def register() -> None:
    """The schemas in Hydra's ConfigStore: the base config, the drug and cohort groups, and one ``study``
    option per registered experiment."""
    from popsim.experiments import REGISTRY

    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)
    cs.store(group="drug", name="base_drug", node=DrugConfig)
    cs.store(group="cohort", name="base_cohort", node=CohortConfig)
    for name, experiment in REGISTRY.items():
        cs.store(group="study", name=name, node=experiment.schema)
