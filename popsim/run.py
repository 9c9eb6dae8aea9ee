"""One experiment run: config -> models and regimens -> simulation -> Dataset, table, figure.

The steps follow the data flow config -> keys -> params -> regimen -> pk ->
dataset -> files/plots.  ``run`` is what ``python -m popsim`` calls.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
from omegaconf import OmegaConf

from popsim.config import Config, DrugConfig
from popsim.dataset import build, provenance
from popsim.io import summary_table, write_dataset, write_table
from popsim.pk.grid import Channel, GridSpec, Window
from popsim.pk.model import mammillary
from popsim.regimen import sweep
from popsim.simulate import simulate, simulate_grid

__all__ = ["compose", "configure", "grid_spec", "run"]


def grid_spec(drug: DrugConfig, cfg: Config, *, save: bool) -> GridSpec:
    """Model, input channel and steady-state window for one drug."""
    g = cfg.grid
    n_steps = round(g.days * 24 / g.dt_h) + 1
    w = round(g.summary_window_h / g.dt_h)
    oral = drug.route == "oral"
    lag = "ALAG" if "ALAG" in drug.typical else None
    channel = Channel(
        "depot" if oral else "central",
        "infusion" if drug.route == "iv_infusion" else "bolus",
        f="F" if "F" in drug.typical else None,
        lag=lag,
    )
    window = Window(n_steps - 1 - w, n_steps - 1, above=tuple(cfg.thresholds_mg_l))
    return GridSpec(mammillary(drug.n_cmt, oral=oral), g.dt_h, n_steps, (channel,), windows=(window,), save=save)


def _dtype(cfg: Config):
    return jnp.float64 if cfg.precision == "float64" else jnp.float32


def _progress(label: str, unit: str = "subjects"):
    start = time.time()

    def show(done: int, total: int) -> None:
        if time.time() - start > 2 or done == total:
            bar = "#" * int(30 * done / total)
            print(f"\r  {label:<12} [{bar:<30}] {done}/{total} {unit}", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)

    return show


def run(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Run the experiment ``cfg.experiment`` and write its outputs to ``out_dir``."""
    jax.config.update("jax_enable_x64", cfg.precision == "float64")
    runners = {"alcohol": run_alcohol, "calibration": run_calibration, "cyp_inhibition": run_cyp_inhibition, "elderly": run_elderly,
               "hepatic": run_hepatic,
               "fluctuation": run_fluctuation, "interdose": run_interdose, "overdose": run_overdose, "population": run_population,
               "qualify": run_qualify, "receptor_subtypes": run_receptor_subtypes,
               "status_epilepticus": run_status_epilepticus}
    return runners[cfg.experiment](cfg, out_dir, config_yaml)


def run_qualify(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Simulate every row of the qualification plan ``cfg.plan``; write results, summary and figure."""
    from popsim.qualify import qualify, read_plan, summarise, to_dataset

    t0 = time.time()
    path = Path(__file__).resolve().parents[1] / "experiments" / "qualify" / "plan.csv" if cfg.plan == "default" \
        else Path(cfg.plan)
    plan = read_plan(path)
    dtype = _dtype(cfg)
    results = qualify(plan, n_subjects=cfg.n_subjects, seed=cfg.seed, dtype=dtype,
                      progress=_progress("plan rows", "rows"))
    summary = summarise(results)
    ds = to_dataset(results, provenance(config_yaml, cfg.seed, cfg.precision) | {"plan": str(path)})
    suffix = ".zarr" if cfg.output_format == "zarr" else ".nc"
    files = {"dataset": write_dataset(ds, out_dir / f"qualify{suffix}"),
             "results": write_table(results, out_dir / "qualify_results.csv"),
             "summary": write_table(summary, out_dir / "qualify_summary.csv")}
    files["figure"] = _save(_qualification_figure(ds), out_dir / "qualify.png")
    print(f"\npopsim qualify: {len(plan)} published observations, {cfg.n_subjects} subjects per arm "
          f"({time.time() - t0:.0f} s)")
    print(summary.round(3).to_string(index=False))
    _print_files(files)
    return files


def run_calibration(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Simulate every risk-score target of ``cfg.targets``; write the report, Dataset and figure."""
    from popsim.calibration import TARGETS, calibration_figure, read_targets, report, scenario_statistics, to_dataset

    t0 = time.time()
    path = TARGETS if cfg.targets == "default" else Path(cfg.targets)
    targets = read_targets(path)
    dtype = _dtype(cfg)
    stats = scenario_statistics(list(dict.fromkeys(targets["statistic"])), values=cfg.pd, n_subjects=cfg.n_subjects,
                                seed=cfg.seed, dtype=dtype)
    table = report(targets, stats)
    ds = to_dataset(table, provenance(config_yaml, cfg.seed, cfg.precision) | {"targets": str(path)})
    suffix = ".zarr" if cfg.output_format == "zarr" else ".nc"
    files = {"dataset": write_dataset(ds, out_dir / f"calibration{suffix}"),
             "report": write_table(table, out_dir / "calibration_report.csv")}
    files["figure"] = _save(calibration_figure(table), out_dir / "calibration.png")
    print(f"\npopsim calibration: {len(table)} published targets, {cfg.n_subjects} subjects per scenario "
          f"({time.time() - t0:.0f} s)")
    cols = ["id", "row", "use", "published", "lo", "hi", "simulated", "mc_lo", "mc_hi", "in_interval"]
    print(table[cols].round(4).to_string(index=False))
    for use in ("fit", "check"):
        part = table[(table["use"] == use) & table["in_interval"].notna()]
        print(f"  {use:<5}: {int(part['in_interval'].sum())}/{len(part)} within the published interval")
    _print_files(files)
    return files


def _write_study(cfg: Config, out_dir: Path, config_yaml: str, name: str, ds, figure, tables=None) -> dict[str, Path]:
    """Write a study's Dataset (with provenance), tidy summary, extra ``tables`` ({key: DataFrame}) and
    ``figure`` (a function of the Dataset) as ``<name>.*`` in ``out_dir``."""
    ds.attrs.update(provenance(config_yaml, cfg.seed, cfg.precision))
    suffix = ".zarr" if cfg.output_format == "zarr" else ".nc"
    files = {"dataset": write_dataset(ds, out_dir / f"{name}{suffix}"),
             "summary": write_table(summary_table(ds), out_dir / f"{name}_summary.csv")}
    for key, df in (tables or {}).items():
        files[key] = write_table(df, out_dir / f"{name}_{key}.csv")
    files["figure"] = _save(figure(ds), out_dir / f"{name}.png")
    return files


def _print_files(files: dict[str, Path]) -> None:
    for kind, path in files.items():
        print(f"  {kind:<8} {path}")


def run_elderly(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Young vs older cohorts on each drug: exposure, sedation, falls, and the recommended starting dose."""
    from popsim.experiments.elderly import run_elderly_study
    from popsim.plots import plot_elderly

    t0 = time.time()
    dtype = _dtype(cfg)
    ds, rec = run_elderly_study(cfg, dtype, progress=_progress)
    files = _write_study(cfg, out_dir, config_yaml, "elderly", ds, lambda d: plot_elderly(d, rec, cfg.elderly),
                         {"recommended_doses": rec})
    e = cfg.elderly
    print(f"\npopsim elderly: {len(e.drugs)} drugs x {len(e.cohorts)} cohorts x {cfg.n_subjects} subjects, "
          f"{cfg.grid.days:g} days once daily ({time.time() - t0:.0f} s)")
    print(f"Recommended starting dose (mg/day): matches the median alpha1 occupancy of "
          f"{e.reference_dose_de_mg:g} mg diazepam-equivalent in {e.reference_cohort}; fall-capped: median "
          f"fall-rate ratio <= {e.fall_rate_ratio_cap:g}")
    table = rec.pivot(index="drug", columns="cohort", values="recommended_mg")[list(e.cohorts)]
    print(table.round(3).to_string())
    _print_files(files)
    return files


def run_hepatic(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Child-Pugh A/B/C vs healthy adults: accumulation, sedation, scores, and a ranking of drug choices."""
    from popsim.experiments.hepatic import ranking, run_hepatic_study
    from popsim.plots import plot_hepatic

    t0 = time.time()
    dtype = _dtype(cfg)
    ds = run_hepatic_study(cfg, dtype, progress=_progress)
    h = cfg.hepatic
    rank = ranking(ds, h.cohorts[0])
    files = _write_study(cfg, out_dir, config_yaml, "hepatic", ds, plot_hepatic, {"ranking": rank})
    print(f"\npopsim hepatic: {len(h.drugs)} drugs x {len(h.cohorts)} cohorts x {cfg.n_subjects} subjects, "
          f"{cfg.grid.days:g} days ({time.time() - t0:.0f} s); exposure relative to {h.cohorts[0]} and ranking "
          "by median net sedation on the last day (1 = least):")
    cols = ["cohort", "drug", "dose_de_mg", "exposure_ratio_to_healthy", "accumulation_last_over_first_checkpoint",
            "sedation_mean_ss", "rank_by_sedation"]
    print(rank[cols].round(3).to_string(index=False))
    _print_files(files)
    return files


def run_cyp_inhibition(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Each benzodiazepine alone and with each CYP3A4 perpetrator, throughout, started or stopped."""
    from popsim.experiments.cyp_inhibition import run_cyp_inhibition_study
    from popsim.plots import plot_cyp_inhibition

    t0 = time.time()
    dtype = _dtype(cfg)
    ds = run_cyp_inhibition_study(cfg, dtype, progress=_progress)
    files = _write_study(cfg, out_dir, config_yaml, "cyp_inhibition", ds, plot_cyp_inhibition)
    c = cfg.cyp_inhibition
    print(f"\npopsim cyp_inhibition: {len(c.drugs)} drugs x {len(c.perpetrators)} perpetrators x {c.schedules} in "
          f"{cfg.cohort.name}, {cfg.n_subjects} subjects, {cfg.grid.days:g} days ({time.time() - t0:.0f} s)")
    med = ds["cavg_ratio_ss"].median("subject").to_series()
    table = med.xs("throughout", level="schedule").unstack("inhibitor") if "throughout" in c.schedules else med
    print("Median ratio of Cavg on the last day with / without the perpetrator (taken throughout):")
    print(table.round(2).to_string())
    _print_files(files)
    return files


def run_overdose(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Benzodiazepine x opioid dose surfaces, synergy, and naloxone/flumazenil rescue."""
    from popsim.experiments.overdose import run_overdose_study
    from popsim.plots import plot_overdose

    t0 = time.time()
    dtype = _dtype(cfg)
    ds = run_overdose_study(cfg, dtype, progress=_progress)
    files = _write_study(cfg, out_dir, config_yaml, "overdose", ds, plot_overdose)
    o = cfg.overdose
    print(f"\npopsim overdose: {o.benzodiazepine} ({o.benzo_route}) x {list(o.opioids)} in {cfg.cohort.name}, "
          f"{ds.sizes['regimen']} regimens x {cfg.n_subjects} subjects ({time.time() - t0:.0f} s)")
    grid = ds.where((ds["naloxone_mg"] == 0) & (ds["flumazenil_mg"] == 0), drop=True)
    table = grid["severe_respiratory_depression"].mean("subject").to_series().unstack("benzo_mg")
    print("P(severe respiratory depression: apnoea >= 15 s) by opioid dose (rows) and benzodiazepine dose (columns):")
    print(table.droplevel(["naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]).round(3).to_string())
    _print_files(files)
    return files


def run_interdose(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Occupancy swing and interdose withdrawal by formulation, daily dose and dosing interval."""
    from popsim.experiments.interdose import run_interdose_study
    from popsim.plots import plot_interdose

    t0 = time.time()
    ds = run_interdose_study(cfg, _dtype(cfg), progress=_progress)
    files = _write_study(cfg, out_dir, config_yaml, "interdose", ds, plot_interdose)
    print(f"\npopsim interdose: {list(cfg.interdose.formulations)} x {ds.sizes['regimen']} regimens x "
          f"{cfg.n_subjects} subjects ({cfg.cohort.name}), {cfg.grid.days:g} days ({time.time() - t0:.0f} s)")
    table = ds[["occupancy_swing_ss", "occupancy_a1_min_ss"]].median("subject").to_dataframe()
    table["p_withdrawal_last_day"] = ds["p_withdrawal_last_day"].mean("subject").to_series()
    print("Median occupancy swing and trough, and mean P(withdrawal during the last day), by regimen:")
    print(table[["occupancy_swing_ss", "occupancy_a1_min_ss", "p_withdrawal_last_day"]].round(4).to_string())
    _print_files(files)
    return files


def run_alcohol(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Chronic drinking, withdrawal on stopping, and fixed vs symptom-triggered benzodiazepine."""
    from popsim.experiments.alcohol import run_alcohol_study, summary
    from popsim.plots import plot_alcohol

    t0 = time.time()
    ds = run_alcohol_study(cfg, _dtype(cfg), progress=_progress)
    table = summary(ds)
    files = _write_study(cfg, out_dir, config_yaml, "alcohol", ds, plot_alcohol, tables={"treatments": table})
    a = cfg.alcohol
    print(f"\npopsim alcohol: {a.drinking_days:g} days of drinking {list(a.grams_per_day)} g/day, stop, {a.drug} "
          f"none / fixed / symptom-triggered; {ds.sizes['regimen']} regimens x {cfg.n_subjects} subjects "
          f"({time.time() - t0:.0f} s)")
    print(table.round(3).to_string(index=False))
    _print_files(files)
    return files


def run_receptor_subtypes(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """alpha1 vs alpha2 occupancy over the day for classical benzodiazepines and zolpidem."""
    from popsim.experiments.receptor_subtypes import run_receptor_subtypes_study
    from popsim.plots import plot_receptor_subtypes

    t0 = time.time()
    ds = run_receptor_subtypes_study(cfg, _dtype(cfg), progress=_progress)
    names = ["occupancy_a1_night", "occupancy_a1_day", "occupancy_a2_night", "occupancy_a2_day", "selectivity_a1_a2"]
    table = ds[names].median("subject").to_dataframe().reset_index()
    table = table.drop(columns=[c for c in table.columns if c not in ["drug", "schedule", "dose_de_mg", *names]])
    files = _write_study(cfg, out_dir, config_yaml, "receptor_subtypes", ds, plot_receptor_subtypes,
                         tables={"by_subtype": table})
    print(f"\npopsim receptor_subtypes: {ds.sizes['regimen']} regimens x {cfg.n_subjects} subjects "
          f"({cfg.cohort.name}), last of {cfg.grid.days:g} days ({time.time() - t0:.0f} s)")
    print("Median occupancy by subtype, night and day, and the alpha1/alpha2 ratio:")
    print(table.round(3).to_string(index=False))
    _print_files(files)
    return files


def run_status_epilepticus(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Onset and duration of effective effect-site occupancy after first-line doses, by drug and route."""
    from popsim.experiments.status_epilepticus import run_status_epilepticus_study, summary
    from popsim.plots import plot_status_epilepticus

    t0 = time.time()
    ds = run_status_epilepticus_study(cfg, _dtype(cfg), progress=_progress)
    table = summary(ds)
    files = _write_study(cfg, out_dir, config_yaml, "status_epilepticus", ds, plot_status_epilepticus,
                         tables={"onset": table})
    s = cfg.status_epilepticus
    print(f"\npopsim status_epilepticus: {ds.sizes['regimen']} first-line doses x {cfg.n_subjects} subjects "
          f"({cfg.cohort.name}), {s.signal} followed {s.hours:g} h ({time.time() - t0:.0f} s)")
    print(f"Onset (min, 5th/50th/95th percentile of those reaching it), median duration (h), P(lost within "
          f"{s.protect_h:g} h):")
    print(table.round(3).to_string(index=False))
    _print_files(files)
    return files


def _qualification_figure(ds):
    import matplotlib.pyplot as plt

    from popsim.plots import plot_predicted_vs_observed

    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    plot_predicted_vs_observed(ds, ax=ax)
    fig.tight_layout()
    return fig


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
    return path


def run_fluctuation(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Every configured drug (typical values x IIV) x regimen: PK only."""
    dtype = _dtype(cfg)

    def simulator(drug: DrugConfig):
        def sim(save: bool, n: int, progress=None):
            spec = grid_spec(drug, cfg, save=save)
            U = _regimens(cfg, spec, drug.infusion_h)
            return spec, simulate_grid(spec, drug.typical, drug.cv, U, n_subjects=n, seed=cfg.seed,
                                       chunk_size=cfg.chunk_size, dtype=dtype, progress=progress)
        return sim

    return _sweep_run(cfg, out_dir, config_yaml, {key: simulator(d) for key, d in cfg.drugs.items()})


def run_population(cfg: Config, out_dir: Path, config_yaml: str) -> dict[str, Path]:
    """Library drugs in a virtual cohort (``cfg.cohort``): covariates -> physiology -> PK, x regimen."""
    from popsim.keys import root_key, stream_key
    from popsim.drugs.library import species
    from popsim.params.population import Perpetrator, Physiological, frozen_cohort, victim_spec
    from popsim.regimen import fixed_interval

    dtype = _dtype(cfg)
    g = cfg.grid
    n_steps = round(g.days * 24 / g.dt_h) + 1
    w = round(g.summary_window_h / g.dt_h)
    window = Window(n_steps - 1 - w, n_steps - 1, above=tuple(cfg.thresholds_mg_l))
    root = root_key(cfg.seed)
    pc = cfg.perpetrator
    perp, segment_steps, doses = None, 0, jnp.zeros(n_steps, dtype)
    if pc.drug:
        # The victim's parameters follow CYP3A4 activity hour by hour (or every step on coarser grids).
        perp, segment_steps = Perpetrator(pc.drug, pc.route), max(1, round(1.0 / g.dt_h))
        doses = jnp.asarray(fixed_interval(n_steps, g.dt_h, pc.dose_mg, pc.interval_h, pc.start_h,
                                           n_doses=pc.n_doses or None), dtype)
    args = (stream_key(root, "cohort"), stream_key(root, "iiv"), doses)

    def simulator(name: str):
        model = Physiological(name, cfg.route, frozen_cohort(cfg.cohort), g.dt_h, n_steps,
                              segment_steps=segment_steps, perpetrator=perp)

        def sim(save: bool, n: int, progress=None):
            spec = victim_spec(name, cfg.route, g.dt_h, n_steps, windows=(window,), save=save,
                               segment_steps=segment_steps)
            return spec, simulate(spec, model, args, _regimens(cfg, spec, 0.0), n_subjects=n,
                                  chunk_size=cfg.chunk_size, dtype=dtype, progress=progress)
        return sim

    attrs = {"cohort": cfg.cohort.name, "cohort_allow_extrapolation": int(cfg.cohort.allow_extrapolation),
             "perpetrator": pc.drug and f"{pc.drug} {pc.route} {pc.dose_mg:g} mg every {pc.interval_h:g} h from "
                                       f"{pc.start_h:g} h ({pc.n_doses or 'all'} doses), taken by a fraction "
                                       f"{cfg.cohort.p_perpetrator:g}"}
    return _sweep_run(cfg, out_dir, config_yaml, {name: simulator(name) for name in cfg.library}, attrs,
                      metabolites={name: species(name)[1:] for name in cfg.library})


def _regimens(cfg: Config, spec: GridSpec, infusion_h: float):
    return sweep(spec.n_steps, cfg.grid.dt_h, cfg.regimen.dose_mg, cfg.regimen.interval_h, cfg.regimen.start_h,
                 infusion_h=infusion_h)[1]


def _sweep_run(cfg: Config, out_dir: Path, config_yaml: str, simulators: dict, attrs: dict | None = None,
               metabolites: dict | None = None) -> dict[str, Path]:
    """Run ``simulators`` ({drug label: sim(save, n, progress) -> (spec, result)}) over the regimen
    sweep and write the Dataset (with extra global ``attrs``; ``metabolites``: {drug label: names of
    the grid's outputs after the first}), the tidy summary and the figure."""
    g = cfg.grid
    t0 = time.time()
    parts = []
    for key, sim in simulators.items():
        spec, result = sim(False, cfg.n_subjects, _progress(key))
        labels = [{"drug": key, **lab} for lab in sweep(spec.n_steps, g.dt_h, cfg.regimen.dose_mg,
                                                         cfg.regimen.interval_h, cfg.regimen.start_h)[0]]
        traj = sim(True, cfg.save_subjects)[1] if cfg.save_subjects else None
        parts.append({"labels": labels, "sim": result, "traj": traj, "metabolites": (metabolites or {}).get(key, ())})
    elapsed = time.time() - t0
    ds = build(parts, spec.times, list(cfg.thresholds_mg_l), g.summary_window_h,
               provenance(config_yaml, cfg.seed, cfg.precision) | (attrs or {}))

    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".zarr" if cfg.output_format == "zarr" else ".nc"
    files = {"dataset": write_dataset(ds, out_dir / f"{cfg.experiment}{suffix}")}
    table = summary_table(ds)
    files["summary"] = write_table(table, out_dir / f"{cfg.experiment}_summary.csv")
    files["figure"] = _save(_figure(ds), out_dir / f"{cfg.experiment}.png")
    _report(cfg, ds, elapsed, files)
    return files


def _figure(ds):
    import matplotlib.pyplot as plt

    from popsim.plots import plot_exposure_by_covariate, plot_fluctuation_by_interval, plot_trajectory_bands

    panels = [plot_fluctuation_by_interval]
    if "conc" in ds:
        idx = ds.indexes["regimen"]
        last = dict(zip(idx.names, idx[-1]))
        panels.append(lambda ds, ax: plot_trajectory_bands(ds, ax=ax, **last))
    if "age" in ds.coords:
        panels.append(plot_exposure_by_covariate)
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for panel, ax in zip(panels, axes[0]):
        panel(ds, ax=ax)
    fig.tight_layout()
    return fig


def _report(cfg: Config, ds, elapsed: float, files: dict[str, Path]) -> None:
    n_reg = ds.sizes["regimen"]
    stp = cfg.n_subjects * n_reg * (round(cfg.grid.days * 24 / cfg.grid.dt_h) + 1)
    print(f"\npopsim {cfg.experiment}: {cfg.n_subjects} subjects x {n_reg} regimens, "
          f"{cfg.grid.days:g} days on a {cfg.grid.dt_h:g} h grid ({cfg.precision}, seed {cfg.seed}); "
          f"{elapsed:.1f} s, {stp / elapsed:.3g} subject-timepoints/s")
    med = ds["fluctuation_ss"].median("subject").to_series()
    print("Median steady-state peak-trough fluctuation (Cmax - Cmin)/Cavg:")
    print(med.unstack("interval_h").round(3).to_string())
    _print_files(files)


def compose(cfg) -> Config:
    """Resolved OmegaConf -> validated ``Config`` (range checks run here)."""
    return OmegaConf.to_object(cfg)


def configure(overrides=()) -> Config:
    """The validated ``Config`` that ``python -m popsim <overrides>`` would run, e.g.
    ``configure(["+experiment=population", "cohort=elderly"])`` (for notebooks and tests)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from popsim.config import register

    register()
    configs = Path(__file__).resolve().parents[1] / "configs"
    with initialize_config_dir(config_dir=str(configs), version_base="1.3"):
        return compose(hydra_compose(config_name="config", overrides=list(overrides)))
