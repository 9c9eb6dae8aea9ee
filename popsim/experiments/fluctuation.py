"""Concentration fluctuation (PK only): how far plasma concentrations swing between doses at steady
state, for drugs given as typical values x log-normal IIV (:class:`popsim.config.DrugConfig`, the
``drug`` config group: an alprazolam-like and a clonazepam-like one by default), over a sweep of
doses x dosing intervals.

The steady-state window is the last ``grid.summary_window_h`` hours: Cmax, Cmin, exact AUC and the
time above each threshold, per subject x regimen; the first ``study.save_subjects`` subjects' whole
concentration courses are kept.  :func:`sweep_result` (the sweep, its Dataset and its report) and
:func:`figure` are shared with the ``population`` experiment, the same sweep in a virtual cohort.
(The clinical version, library drugs with GABA-A effect and withdrawal, is ``interdose``.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import xarray as xr

from popsim._validate import finite, on_grid
from popsim.arm import ArmOutput
from popsim.config import DrugConfig, GridConfig, RegimenConfig, Study
from popsim.dataset import build, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.io import summary_table
from popsim.pk.grid import Channel, GridSpec, Window
from popsim.pk.model import mammillary
from popsim.plots import plot_exposure_by_covariate, plot_fluctuation_by_interval, plot_trajectory_bands, side_by_side
from popsim.regimen import sweep
from popsim.simulate import simulate_grid

__all__ = ["EXPERIMENT", "FluctuationStudy", "WINDOW", "check_sweep", "figure", "grid_spec", "run", "steady_state",
           "sweep_result"]

WINDOW = "steady_state"  # the name of the summary window (the last grid.summary_window_h hours)


@dataclass
class FluctuationStudy(Study):
    """``drugs`` (name -> typical values, IIV and route; from the ``drug`` config group) on every
    dose x interval of ``regimen``; ``thresholds_mg_l``: time above each over the steady-state window;
    ``save_subjects``: the first subjects whose concentration courses are kept (0: none)."""

    drugs: dict[str, DrugConfig] = field(default_factory=dict)
    regimen: RegimenConfig = field(default_factory=lambda: RegimenConfig(dose_mg=[0.5, 1.0],
                                                                         interval_h=[6.0, 8.0, 12.0, 24.0]))
    thresholds_mg_l: list[float] = field(default_factory=lambda: [0.005, 0.010])
    save_subjects: int = 20

    def check(self, cfg) -> None:
        if not self.drugs:
            raise ValueError("study.drugs: the fluctuation experiment needs at least one drug (the drug config "
                             "group, e.g. '- /drug@study.drugs.alprazolam: alprazolam_like' in the defaults list)")
        for name, drug in self.drugs.items():
            drug.check(f"study.drugs.{name}")
            if drug.route == "iv_infusion":
                on_grid(f"study.drugs.{name}.infusion_h", drug.infusion_h, cfg.grid.dt_h)
        check_sweep(self, cfg)


def check_sweep(study, cfg) -> None:
    """The keys of a regimen sweep (``save_subjects``, ``thresholds_mg_l``, ``regimen``), also read by
    the population experiment."""
    if not isinstance(study.save_subjects, int) or not 0 <= study.save_subjects <= cfg.n_subjects:
        raise ValueError(f"study.save_subjects={study.save_subjects!r}; allowed: 0 <= study.save_subjects <= "
                         f"n_subjects={cfg.n_subjects}")
    for i, t in enumerate(study.thresholds_mg_l):
        finite(f"study.thresholds_mg_l[{i}]", t, low=0, low_open=True)
    study.regimen.check("study.regimen", cfg.grid.dt_h)


def steady_state(grid: GridConfig, thresholds) -> Window:
    """The last ``grid.summary_window_h`` hours, with time above each of ``thresholds`` (mg/L)."""
    n, w = grid.n_steps, round(grid.summary_window_h / grid.dt_h)
    return Window(n - 1 - w, n - 1, above=tuple(thresholds))


def grid_spec(drug: DrugConfig, grid: GridConfig, thresholds, *, save: bool) -> GridSpec:
    """Model, input channel and steady-state window for one drug."""
    oral = drug.route == "oral"
    channel = Channel("depot" if oral else "central", "infusion" if drug.route == "iv_infusion" else "bolus",
                      f="F" if "F" in drug.typical else None, lag="ALAG" if "ALAG" in drug.typical else None)
    return GridSpec(mammillary(drug.n_cmt, oral=oral), grid.dt_h, grid.n_steps, (channel,),
                    windows=(steady_state(grid, thresholds),), save=save)


def sweep_result(cfg, simulators: dict, *, progress=None, attrs: dict | None = None,
                 metabolites: dict | None = None, values: dict | None = None) -> Result:
    """Run ``simulators`` ({drug label: ``sim(save, n_subjects, progress) -> ArmOutput``}, window
    :data:`WINDOW`) over the regimen sweep ``cfg.study.regimen`` (all subjects, then the kept ones with
    trajectories) and return the Dataset (:func:`popsim.dataset.build`; ``attrs`` global,
    ``metabolites`` {drug label: {library name: grid output}}; ``values``: the parameter draws the simulators
    ran, :func:`popsim.dataset.with_draws`), its summary table and report."""
    s, g = cfg.study, cfg.grid
    labels = sweep(g.n_steps, g.dt_h, s.regimen.dose_mg, s.regimen.interval_h, s.regimen.start_h)[0]
    t0 = time.time()
    parts = []
    for key, sim in simulators.items():
        out = sim(False, cfg.n_subjects, progress and progress(key))
        traj = sim(True, s.save_subjects) if s.save_subjects else None
        parts.append({"labels": [{"drug": key, **lab} for lab in labels], "out": out, "traj": traj,
                      "metabolites": (metabolites or {}).get(key, {})})
    elapsed = time.time() - t0
    ds = build(parts, window=WINDOW, window_h=g.summary_window_h, thresholds=list(s.thresholds_mg_l),
               attrs=attrs or {})
    if values is not None and cfg.n_draws:
        ds = with_draws(ds, values, [])
    n_reg = ds.sizes["regimen"]
    stp = cfg.n_subjects * n_reg * g.n_steps * max(cfg.n_draws, 1)
    med = ds["fluctuation_ss"].median("subject")
    over = ""
    if "draw" in med.dims:
        med, over = med.median("draw"), f" (median over {cfg.n_draws} parameter draws)"
    report = (f"{stp / elapsed:.3g} subject-timepoints/s\n"
              f"Median steady-state peak-trough fluctuation (Cmax - Cmin)/Cavg{over}:\n"
              + med.to_series().unstack("interval_h").round(3).to_string())
    return Result(ds, {"summary": summary_table(ds)},
                  f"{cfg.n_subjects} subjects x {n_reg} regimens, {g.days:g} days on a {g.dt_h:g} h grid "
                  f"({cfg.precision}, seed {cfg.seed})", report)


def run(cfg, *, dtype, progress=None) -> Result:
    """Every drug of ``study.drugs`` (typical values x IIV) x regimen: PK only."""
    s, g = cfg.study, cfg.grid

    def simulator(drug: DrugConfig):
        U = sweep(g.n_steps, g.dt_h, s.regimen.dose_mg, s.regimen.interval_h, s.regimen.start_h,
                  infusion_h=drug.infusion_h)[1]

        def sim(save: bool, n: int, progress=None) -> ArmOutput:
            spec = grid_spec(drug, g, s.thresholds_mg_l, save=save)
            raw = simulate_grid(spec, drug.typical, drug.cv, U, n_subjects=n, seed=cfg.seed,
                                chunk_size=cfg.chunk_size, dtype=dtype, progress=progress)
            return ArmOutput(spec, (WINDOW,), raw | {"covariates": {}})  # typical values x IIV: no covariates

        return sim

    return sweep_result(cfg, {key: simulator(d) for key, d in s.drugs.items()}, progress=progress)


def figure(ds: xr.Dataset):
    """Fluctuation against the dosing interval; the kept subjects' concentration bands for the last
    regimen of the sweep (if trajectories were kept); exposure by age (if the subjects have covariates)."""
    panels = [plot_fluctuation_by_interval]
    if "conc" in ds:
        panels.append(plot_trajectory_bands)
    if "age" in ds.coords:
        panels.append(plot_exposure_by_covariate)
    return side_by_side(ds, panels, panel=(6.0, 4.2))


EXPERIMENT = Experiment(
    name="fluctuation", schema=FluctuationStudy, run=run, figure=figure, reads=("grid",),
    tiny=("n_subjects=6", "study.save_subjects=2", "grid.dt_h=1", "grid.days=14"),
    question="How far do plasma concentrations swing between doses at steady state for a short and a long "
             "half-life benzodiazepine, by dosing interval (PK only, typical values with IIV)?")
