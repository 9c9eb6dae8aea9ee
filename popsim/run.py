"""The one driver: compose -> validate -> run -> write -> report, for any registered experiment.

``python -m popsim +experiment=<name>`` ends in :func:`run`; notebooks and
tests use :func:`configure` then :func:`run`.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import typing
from pathlib import Path

import jax
import jax.numpy as jnp
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Glob
from omegaconf import OmegaConf

from popsim._validate import choice, closest
from popsim.config import RUN_KEYS, Config
from popsim.dataset import provenance
from popsim.experiments import REGISTRY
from popsim.io import write_dataset, write_table
from popsim.pd.parameters import check_values
from popsim.uncertainty import draw_values, posterior

__all__ = ["CONFIGS", "check_keys", "compose", "configure", "recorded_config", "run"]

CONFIGS = Path(__file__).resolve().parent / "configs"


def _progress(label: str, unit: str = "subjects"):
    start = time.time()

    def show(done: int, total: int) -> None:
        if time.time() - start > 2 or done == total:
            bar = "#" * int(30 * done / total)
            print(f"\r  {label:<12} [{bar:<30}] {done}/{total} {unit}", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)

    return show


# Hydra's own flags that take a value (the token after them is not an override)
_FLAGS_WITH_VALUE = ("-c", "--cfg", "-p", "--package", "-cn", "--config-name", "-cp", "--config-path", "-cd",
                     "--config-dir", "--info", "-sc", "--shell-completion", "--experimental-rerun")


def check_keys(arguments) -> None:
    """Refuse, before Hydra composes or launches anything, an override whose key the schemas do not have
    (with the allowed keys and a "did you mean") and an override of a shared key (``cohort``, ``grid.*``,
    ``pd.*``) that the chosen experiment does not read (naming the key and the experiment).
    ``arguments``: the command line after ``python -m popsim`` (Hydra's flags are skipped) or a list of
    overrides; a sweep over experiments (``-m +experiment=a,b``) is checked for each.  Values are checked
    by :func:`compose`."""
    tokens, skip = [], False
    for a in arguments:
        if skip or a.startswith("-"):
            skip = not skip and a in _FLAGS_WITH_VALUE
            continue
        tokens.append(a)
    parsed = OverridesParser.create().parse_overrides(tokens)
    chosen = [o for o in parsed if o.key_or_group == "experiment"]
    if not chosen:
        raise ValueError("no experiment selected; run e.g. `python -m popsim +experiment=interdose` (experiments: "
                         f"{sorted(REGISTRY)})")
    last = chosen[-1]
    names = (last.value().filter(sorted(REGISTRY)) if isinstance(last.value(), Glob)
             else list(last.sweep_string_iterator()) if last.is_sweep_override() else [last.value()])
    for name in names:
        choice("experiment", name, REGISTRY)
        for o in parsed:
            _check_key(REGISTRY[name], o)


def _check_key(exp, o) -> None:
    key = o.package or o.key_or_group  # a group chosen into a package (+drug@study.drugs.x=...): the package
    if key.startswith("hydra") or key == "experiment" or "/" in key:
        return
    parts = key.split(".")
    if parts[0] == "study":
        schema, where, parts = exp.schema, f"study (the {exp.name} experiment)", parts[1:]
    else:
        schema, where = Config, "the run configuration"
        if parts[0] not in RUN_KEYS and parts[0] in (f.name for f in dataclasses.fields(Config)) \
                and not exp.reads_key(key):
            raise ValueError(f"{key}: the {exp.name} experiment does not read this key (it reads "
                             f"{', '.join(exp.reads) or 'no shared key'}, and study.*); remove {o.input_line or key}")
    path = [] if schema is Config else ["study"]
    for part in parts:
        if not dataclasses.is_dataclass(schema):
            return  # a dict or list value: its keys are checked with the values
        fields = [f.name for f in dataclasses.fields(schema)]
        if part not in fields:
            raise ValueError(f"{key}: {'.'.join(path + [part])} is not a key of {where}; allowed: {fields}"
                             + closest(part, fields))
        path.append(part)
        schema = typing.get_type_hints(schema).get(part)
        schema = schema if isinstance(schema, type) else None
        where = ".".join(path)


def compose(cfg) -> Config:
    """Composed OmegaConf -> validated :class:`Config`, before any compute (keys: :func:`check_keys`).

    Range checks run here: the run keys, then the shared groups the experiment
    reads (``cohort``, ``grid``, ``pd``) and its own ``study`` keys.
    """
    c = OmegaConf.to_object(cfg)
    choice("experiment", c.experiment, REGISTRY)
    exp = REGISTRY[c.experiment]
    if type(c.study) is not exp.schema:
        raise ValueError(f"study: the {exp.name} experiment reads {exp.schema.__name__}, got "
                         f"{type(c.study).__name__}; select it with +experiment={exp.name} alone")
    grid = [k for k in ("dt_h", "days", "summary_window_h") if exp.reads_key(f"grid.{k}") or "grid" in exp.reads]
    if grid:
        c.grid.check("grid", grid)
    if "cohort" in exp.reads:
        c.cohort.check("cohort")
        if c.cohort.p_perpetrator > 0 and not c.study.PERPETRATOR:
            raise ValueError(f"cohort.p_perpetrator={c.cohort.p_perpetrator!r} (cohort {c.cohort.name}): the "
                             f"{exp.name} experiment gives the cohort no CYP3A4/CYP2C19 perpetrator; allowed: 0 (a "
                             "cohort without one), or an experiment that sets a perpetrator (population, "
                             "cyp_inhibition)")
        if c.cohort.p_alcohol > 0:  # sampled as a covariate, but no experiment doses by it yet
            raise ValueError(f"cohort.p_alcohol={c.cohort.p_alcohol!r}: no experiment gives a fraction of the cohort "
                             "alcohol yet (co-medications are regimens: alcohol); allowed: 0")
        if c.cohort.p_opioid > 0 and exp.name != "overdose":  # chronic users' tolerance acts on an opioid dose
            raise ValueError(f"cohort.p_opioid={c.cohort.p_opioid!r}: the fraction of chronic (tolerant) opioid "
                             f"users acts only where an opioid is given; the {exp.name} experiment gives none; "
                             "allowed: 0, or +experiment=overdose")
    if c.n_draws and not exp.draws:
        why = ("draws nothing: its drugs are typical values and IIV given on the command line, not library entries"
               if exp.name == "fluctuation" else "does not support parameter draws yet (its summaries and figure "
               "are not built per draw)")
        raise ValueError(f"n_draws={c.n_draws!r}: the {exp.name} experiment {why}; allowed: 0, or an experiment "
                         f"that supports draws: {sorted(n for n, e in REGISTRY.items() if e.draws)}")
    if c.n_draws and not exp.reads_pd and "library" not in c.draws_of:
        raise ValueError(f"draws_of={list(c.draws_of)!r}: the {exp.name} experiment reads no PD constant, so only the "
                         "library's values can vary over its draws; allowed: draws_of with library")
    if exp.reads_pd:
        check_values(c.pd)
    if c.n_draws and "pd" in c.draws_of and exp.reads_pd:
        draw_values(c.n_draws, c.pd, c.posterior)  # at most the posterior's draws, each a valid set of constants
    c.study.check(c)
    return c


def configure(overrides=()) -> Config:
    """The validated :class:`Config` that ``python -m popsim <overrides>`` would run, e.g.
    ``configure(["+experiment=population", "cohort=elderly"])`` (for notebooks and tests)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from popsim.config import register

    check_keys(overrides)
    register()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(hydra_compose(config_name="config", overrides=list(overrides)))


def recorded_config(cfg: Config) -> str:
    """The resolved configuration as YAML, holding only what the experiment reads (the provenance)."""
    exp = REGISTRY[cfg.experiment]
    full = OmegaConf.to_container(OmegaConf.structured(cfg))
    kept = {k: v for k, v in full.items() if k in RUN_KEYS}
    for key in exp.reads:
        root, _, leaf = key.partition(".")
        if root == "pd":
            values = check_values(cfg.pd)  # the constants used, defaults included
            kept["pd"] = {k: values[k] for k in exp.pd_constants()}
        elif leaf:
            kept.setdefault(root, {})[leaf] = full[root][leaf]
        else:
            kept[root] = full[root]
    return OmegaConf.to_yaml(kept)


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
    return path


def run(cfg: Config, out_dir: Path, *, progress: bool = True) -> dict[str, Path]:
    """Run ``cfg.experiment`` and write ``<name>.nc`` (or ``.zarr``), its tables and its figure to ``out_dir``;
    print the report; return ``{kind: path}``."""
    exp = REGISTRY[cfg.experiment]
    jax.config.update("jax_enable_x64", cfg.precision == "float64")
    dtype = jnp.float64 if cfg.precision == "float64" else jnp.float32
    t0 = time.time()
    result = exp.run(cfg, dtype=dtype, progress=_progress if progress else None)
    elapsed = time.time() - t0
    ds = result.dataset
    ds.attrs.update(provenance(recorded_config(cfg), cfg.seed, cfg.precision))
    ds.attrs["n_draws"] = cfg.n_draws
    pd_drawn = bool(cfg.n_draws) and "pd" in cfg.draws_of and exp.reads_pd
    drawn = ([f"the uncertain PD constants from the posterior {cfg.posterior or 'shipped'} "
              "(popsim.uncertainty.draw_values; pd overrides held fixed)"] if pd_drawn else []) + (
        ["the drug library's uncertain values from their priors (popsim.uncertainty.library_draws; "
         "library_value)"] if cfg.n_draws and "library" in cfg.draws_of else [])
    ds.attrs.setdefault("parameter_uncertainty", (
        f"{cfg.n_draws} draws (draw 0..{cfg.n_draws - 1}) of {' and of '.join(drawn)}, over the draw dimension"
        if cfg.n_draws
        else "none: point values of popsim.pd.constants (the maximum-likelihood fits and stated values, not the "
             "posterior median, which fits the targets worse: experiments/calibration/README.md)"))
    if pd_drawn:
        post = posterior(cfg.posterior).attrs
        where = cfg.posterior or "popsim/experiments/data/posterior.nc"
        ds.attrs["posterior"] = (f"{where}: {post['method']}, {post['n_particles']} "
                                 f"draws, git {post.get('git_commit', '?')}, targets sha256 "
                                 f"{post['targets_sha256'][:12]}, file sha256 {post['sha256'][:12]}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".zarr" if cfg.output_format == "zarr" else ".nc"
    files = {"dataset": write_dataset(ds, out_dir / f"{exp.name}{suffix}")}
    for key, table in result.tables.items():
        files[key] = write_table(table, out_dir / f"{exp.name}_{key}.csv")
    files["figure"] = _save(exp.figure(ds), out_dir / f"{exp.name}.png")
    print(f"\npopsim {exp.name}: {result.headline} ({elapsed:.0f} s)")
    print(result.report)
    for kind, path in files.items():
        print(f"  {kind:<8} {path}")
    return files
