"""Library drugs in a virtual cohort (PK only): each subject's covariates (``cohort``: a preset such as
``cohort=elderly``, or its keys) act on physiology and so on clearance, volume and bioavailability;
every drug of ``study.library`` (with its library metabolites) is taken by ``study.route`` on every
dose x interval of ``study.regimen``.  Optionally a CYP3A4/CYP2C19 perpetrator (``study.perpetrator``) is
taken by the cohort's ``p_perpetrator`` fraction, and the drugs' parameters follow CYP3A4 activity
hour by hour.

The same steady-state sweep, Dataset and figure as the ``fluctuation`` experiment
(:func:`popsim.experiments.fluctuation.sweep_result`), with the covariates as coordinates on
``subject`` and the metabolites' steady-state exposure over a ``metabolite`` dimension.  With ``n_draws`` = K
every output has a ``draw`` dimension: draws 0..K-1 of the drug library's uncertain values (PK only: the PD
posterior does not act here), ``library_value`` over ``draw`` x ``quantity``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from popsim._validate import choice, unique
from popsim.arm import Arm, ArmOutput, metabolite_outputs, run_arm
from popsim.config import PerpetratorConfig, RegimenConfig, Study
from popsim.experiments.base import Experiment, Result
from popsim.experiments.fluctuation import WINDOW, check_sweep, figure, steady_state, sweep_result
from popsim.regimen import fixed_interval, sweep
from popsim.uncertainty import library_draws

__all__ = ["EXPERIMENT", "PopulationStudy", "run"]


@dataclass
class PopulationStudy(Study):
    """``library`` drugs taken by ``route`` on every dose x interval of ``regimen`` by the cohort;
    ``perpetrator``: a CYP3A4/CYP2C19 perpetrator taken by the cohort's ``p_perpetrator`` fraction (``drug``
    empty: none); ``thresholds_mg_l`` and ``save_subjects`` as in the fluctuation experiment."""

    library: list[str] = field(default_factory=lambda: ["alprazolam", "lorazepam", "midazolam"])
    route: str = "oral"
    regimen: RegimenConfig = field(default_factory=lambda: RegimenConfig(dose_mg=[1.0], interval_h=[8.0, 12.0, 24.0]))
    thresholds_mg_l: list[float] = field(default_factory=lambda: [0.005, 0.010])
    save_subjects: int = 20
    perpetrator: PerpetratorConfig = field(default_factory=PerpetratorConfig)

    PERPETRATOR = True

    def check(self, cfg) -> None:
        from popsim.drugs.library import load, names

        if not self.library:
            raise ValueError("study.library: the population experiment needs drug names, e.g. "
                             "study.library=[midazolam]")
        unique("study.library", self.library)
        for i, name in enumerate(self.library):
            choice(f"study.library[{i}]", name, names())
            choice("study.route", self.route, sorted(load(name).routes))
        check_sweep(self, cfg)
        pc = self.perpetrator
        if pc.drug:
            pc.check("study.perpetrator", cfg.grid.dt_h)
            if cfg.cohort.p_perpetrator == 0:
                raise ValueError(f"study.perpetrator.drug={pc.drug!r} but cohort.p_perpetrator=0: nobody takes it; "
                                 "set cohort.p_perpetrator (e.g. 1.0, or cohort=ritonavir_boosted)")
        elif cfg.cohort.p_perpetrator > 0:
            raise ValueError(f"cohort.p_perpetrator={cfg.cohort.p_perpetrator!r} but no perpetrator is configured; "
                             "set e.g. study.perpetrator.drug=ritonavir study.perpetrator.dose_mg=100 "
                             "study.perpetrator.interval_h=12")


def run(cfg, *, dtype, progress=None) -> Result:
    """Every library drug x regimen in the cohort ``cfg.cohort``: covariates -> physiology -> PK."""

    s, g = cfg.study, cfg.grid
    pc = s.perpetrator
    doses = (fixed_interval(g.n_steps, g.dt_h, pc.dose_mg, pc.interval_h, pc.start_h, n_doses=pc.n_doses or None)
             if pc.drug else None)
    windows = {WINDOW: steady_state(g, s.thresholds_mg_l)}
    values = library_draws(cfg.n_draws) if cfg.n_draws else None  # PK only: the library's draws
    U = sweep(g.n_steps, g.dt_h, s.regimen.dose_mg, s.regimen.interval_h, s.regimen.start_h)[1]

    def simulator(name: str):
        arm = Arm(name, s.route, cfg.cohort, g.dt_h, g.n_steps, perpetrator=pc.drug or None,
                  perpetrator_route=pc.route, pd=False)

        def sim(save: bool, n: int, progress=None) -> ArmOutput:
            return run_arm(arm, U, seed=cfg.seed, n_subjects=n, windows=windows, perpetrator_doses=doses,
                           chunk_size=cfg.chunk_size, dtype=dtype, progress=progress, save=save, values=values)

        return sim

    attrs = {"cohort": cfg.cohort.name, "cohort_allow_extrapolation": int(cfg.cohort.allow_extrapolation),
             "perpetrator": pc.drug and f"{pc.drug} {pc.route} {pc.dose_mg:g} mg every {pc.interval_h:g} h from "
                                       f"{pc.start_h:g} h ({pc.n_doses or 'all'} doses), taken by a fraction "
                                       f"{cfg.cohort.p_perpetrator:g}"}
    metabolites = {name: metabolite_outputs(name) for name in s.library}
    return sweep_result(cfg, {name: simulator(name) for name in s.library}, progress=progress, attrs=attrs,
                        metabolites=metabolites, values=values)


EXPERIMENT = Experiment(
    name="population", schema=PopulationStudy, run=run, figure=figure, reads=("cohort", "grid"),
    tiny=("n_subjects=256", "study.save_subjects=0", "grid.days=10", "grid.dt_h=1",
          "study.library=[alprazolam,lorazepam]", "study.regimen.dose_mg=[1.0]", "study.regimen.interval_h=[24]"),
    question="How do a virtual cohort's covariates (through physiology) and a CYP3A4/CYP2C19 perpetrator change "
             "steady-state exposure to library drugs, by dose and interval (PK only)?", draws=True)
