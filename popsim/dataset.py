"""Simulation results -> ``xarray.Dataset`` (the output contract).

Dimensions: ``subject``, ``regimen`` (a MultiIndex of the swept parameters,
so ``ds.sel(drug="clonazepam", interval_h=12)`` works), ``draw`` (parameter
draws, just before ``subject``, when a run has them), ``threshold`` and,
for the subjects whose trajectories were kept, ``time`` x
``trajectory_subject``.  Every variable has CF-style ``units`` and
``long_name``; provenance is in flat global attributes.
"""

from __future__ import annotations

import datetime
import re
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import jax
import numpy as np
import pandas as pd
import xarray as xr
import yaml

from popsim._validate import closest
from popsim.cohort.model import COVARIATES
from popsim.drugs.library import load
from popsim.pd.constants import PD
from popsim.pd.parameters import RUNTIME

__all__ = ["VARIABLES", "annotate", "attrs", "build", "provenance", "regimen_dataset", "register", "with_covariates",
           "with_draws"]

# The one registry of Dataset metadata: name -> (units, long_name), for variables and coordinates: the
# cohort model's covariates and the shared names of popsim/variables.yaml (package data); experiments add
# their own with register() when their module is imported.
VARIABLES: dict[str, tuple[str, str]] = dict(COVARIATES) | {
    name: tuple(meta) for name, meta in yaml.safe_load((Path(__file__).parent / "variables.yaml").read_text()).items()}
# each runtime PD constant's value in every parameter draw (with_draws)
VARIABLES |= {f"pd_{k}": (PD[k].units, f"PD constant {k} (popsim.pd.constants) in each parameter draw")
              for k in RUNTIME}

# units of the individual parameters (param_<name>; a metabolite's ``M1_CL`` has the units of ``CL``)
PARAM_UNITS = {"KA": "h-1", "CL": "L h-1", "V1": "L", "V2": "L", "V3": "L", "Q2": "L h-1", "Q3": "L h-1",
               "F": "1", "FM": "1", "ALAG": "h", "KE0": "h-1"}


def register(entries) -> None:
    """Add ``{name: (units, long_name)}`` to :data:`VARIABLES`; a name already there with other
    metadata is an error (one name, one meaning)."""
    for name, meta in entries.items():
        meta = tuple(meta)
        if len(meta) != 2 or not all(isinstance(x, str) and x for x in meta):
            raise ValueError(f"{name}: metadata {meta!r}; allowed: (units, long_name), both non-empty strings")
        if VARIABLES.get(name, meta) != meta:
            raise ValueError(f"{name} is registered as {VARIABLES[name]!r}; {meta!r} would give it a second meaning")
        VARIABLES[name] = meta


def attrs(name: str) -> dict[str, str]:
    """``{"units", "long_name"}`` of a registered name."""
    if name not in VARIABLES:
        raise KeyError(f"{name!r} has no units and long_name in popsim.dataset.VARIABLES; register it"
                       + closest(name, VARIABLES))
    units, long_name = VARIABLES[name]
    return {"units": units, "long_name": long_name}


def annotate(ds: xr.Dataset, **local: tuple[str, str]) -> xr.Dataset:
    """``ds`` with ``units``/``long_name`` on every variable and coordinate from the registry, or from
    ``local`` (name=(units, long_name)) for a name whose meaning is this Dataset's own (e.g. ``dose_mg``
    as a single dose).  A data variable without either is an error (a coordinate may get its attributes
    later, e.g. from a ``local`` entry; the contract tests check every coordinate of the written file)."""
    for name in list(ds.variables):
        if name in local:
            units, long_name = local[name]
            ds[name].attrs.update(units=units, long_name=long_name)
        elif name in VARIABLES:
            ds[name].attrs.update(attrs(name))
        elif name in ds.data_vars and not {"units", "long_name"} <= set(ds[name].attrs):
            attrs(name)  # raises, naming the variable
    return ds


def regimen_dataset(labels, levels, values=None, *, dims=("regimen", "subject"), n_subjects: int | None = None,
                    covariates=None, covariate_dims=("subject",), **local) -> xr.Dataset:
    """A Dataset over ``regimen`` (a MultiIndex of ``levels`` from the tuples ``labels``) x ``subject``.

    ``values``: name -> array over ``dims``, or with parameter draws over ``dims`` with a ``draw`` axis
    before the last (``(..., draw, subject)``, as :func:`popsim.study.simulate_arm` gives them; coordinate
    ``draw`` 0..K-1); ``covariates``: name -> array over ``covariate_dims`` (coordinates); ``n_subjects``: the
    subject coordinate when no value gives it.  Metadata by :func:`annotate` (``local`` as there).
    """
    index = pd.MultiIndex.from_tuples([tuple(lab) for lab in labels], names=list(levels))
    ds = xr.Dataset(coords=xr.Coordinates.from_pandas_multiindex(index, "regimen"))
    drawn = (*dims[:-1], "draw", dims[-1])
    for name, v in (values or {}).items():
        v = np.asarray(v)
        ds[name] = (drawn if v.ndim == len(dims) + 1 else dims, v)
    if "draw" in ds.dims:
        ds = ds.assign_coords(draw=np.arange(ds.sizes["draw"]))
    if "subject" not in ds.coords:
        n = n_subjects if n_subjects is not None else next(iter(ds.data_vars.values())).sizes["subject"]
        ds = ds.assign_coords(subject=np.arange(n))
    ds = with_covariates(ds, covariates or {}, covariate_dims)
    return annotate(ds, **local)


def _git_commit() -> str:
    try:
        root = Path(__file__).resolve().parents[1]  # the checkout of an editable install; else not a repository
        top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                             timeout=5)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
            return "unknown"  # installed into another repository's tree: its commit is not popsim's
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(config_yaml: str, seed: int, precision: str) -> dict[str, str | int]:
    """Flat provenance attributes for any popsim output."""
    dev = jax.devices()[0]
    return {
        "title": "popsim population simulation",
        "Conventions": "CF-1.10",
        "popsim_version": metadata.version("popsim"),
        "git_commit": _git_commit(),
        "config_yaml": config_yaml,
        "seed": seed,
        "precision": precision,
        "jax_version": jax.__version__,
        "jax_backend": jax.default_backend(),
        "device": f"{dev.platform}:{getattr(dev, 'device_kind', '')} x{len(jax.devices())}",
        "prng_impl": str(jax.config.jax_default_prng_impl),
        "python": platform.python_version(),
        "command_line": " ".join(sys.argv),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "sampling_convention": ("grid values are left limits C(t-), before any dose at t; Cmax also includes right "
                                "limits"),
    }


def build(parts: list[dict], *, window: str, window_h: float, thresholds, attrs: dict) -> xr.Dataset:
    """The Dataset of a regimen sweep over drugs (the fluctuation and population experiments).

    Each part is one drug: ``labels`` (one dict of swept values per regimen, the same keys in
    every part: the ``regimen`` levels), ``out`` (a :class:`popsim.arm.ArmOutput` for all
    subjects; its window named ``window`` is the steady-state window, ``window_h`` hours, with
    the ``thresholds`` (mg/L) as ``above``; its ``covariates``, if any, become coordinates on
    ``subject``), ``traj`` (the same for the kept subjects, with trajectories, or None) and
    ``metabolites`` ({library name: grid output}, e.g. ``{"nordiazepam": "M1_central"}``): their
    steady-state Cmax, Cmin and Cavg over a ``metabolite`` dimension (NaN for a drug that does
    not form one).  Every variable is read by window and output name; ``attrs`` are global.
    """
    levels = list(parts[0]["labels"][0])
    labels = [tuple(lab[k] for k in levels) for part in parts for lab in part["labels"]]
    # this Dataset's own meanings: a dose per administration, hours since the first dose
    local = {"dose_mg": ("mg", "dose per administration"), "time": ("h", "time since first dose")}
    # with parameter draws every output is (..., regimen, draw, subject)
    drawn = parts[0]["out"].stat("cmax", window, "central").ndim == 3
    tail = ("regimen", "draw", "subject") if drawn else ("regimen", "subject")

    def cat(get):
        return np.concatenate([get(part) for part in parts], axis=-len(tail))  # regimen axis

    cmax, cmin, auc = (cat(lambda p, s=s: p["out"].stat(s, window, "central")) for s in ("cmax", "cmin", "auc"))
    cavg = auc / window_h
    values = {
        "cmax_ss": cmax, "cmin_ss": cmin, "cavg_ss": cavg, "auc_ss": auc,
        "fluctuation_ss": (cmax - cmin) / cavg, "peak_trough_ratio_ss": cmax / cmin,
    }
    ds = regimen_dataset(labels, levels, values, covariates=parts[0]["out"].covariates, **local)
    ds = ds.assign_coords(threshold=np.asarray(thresholds, float))
    metabolites = list(dict.fromkeys(m for part in parts for m in part.get("metabolites", {})))
    if metabolites:
        ds = ds.assign_coords(metabolite=metabolites)
        for name in ("cmax_ss", "cmin_ss", "cavg_ss"):
            stat = "auc" if name == "cavg_ss" else name.removesuffix("_ss")
            blocks = []
            for part in parts:
                shape = part["out"].stat("cmax", window, "central").shape  # (regimen[, draw], subject)
                block = np.full((len(metabolites), *shape), np.nan)
                for m, output in part.get("metabolites", {}).items():
                    block[metabolites.index(m)] = part["out"].stat(stat, window, output) / (
                        window_h if stat == "auc" else 1.0)
                blocks.append(block)
            units, long_name = VARIABLES[name]
            ds[f"metabolite_{name}"] = (("metabolite", *tail), np.concatenate(blocks, axis=1),
                                        {"units": units, "long_name": f"{long_name}, metabolite (NaN: not formed)"})
    if len(thresholds):
        ds["fraction_above_ss"] = (("threshold", *tail),
                                   cat(lambda p: p["out"].time_above(window, "central")) / window_h)
    for k in sorted({k for part in parts for k in part["out"].params}):
        each = tail[1:]  # ([draw,] subject)
        v = cat(lambda p: np.broadcast_to(p["out"].params[k][0] if k in p["out"].params else np.nan,
                                          (len(p["labels"]), *(ds.sizes[d] for d in each))))
        if k in VARIABLES:  # a registered output of the subject model (the lowest enzyme activity reached)
            ds[k] = (tail, v, dict(zip(("units", "long_name"), VARIABLES[k])))
            continue
        base = re.fullmatch(r"(?:M\d+_)?(.*)", k).group(1)  # a metabolite's M1_CL has the units of CL
        ds[f"param_{k}"] = (tail, v, {"units": PARAM_UNITS.get(base, "1"),
                                      "long_name": f"individual {k} (first parameter segment)"})
    if parts[0]["traj"] is not None:
        conc = cat(lambda p: p["traj"].trajectory("central"))  # (time, regimen[, draw], kept)
        ds = ds.assign_coords(time=parts[0]["traj"].times, trajectory_subject=np.arange(conc.shape[-1]))
        ds["conc"] = (("time", *tail[:-1], "trajectory_subject"), conc)
    ds = annotate(ds, **local)
    if "time" in ds.coords:
        ds["time"].attrs["standard_name"] = "time"
    ds.attrs.update(attrs)
    ds.attrs["steady_state_window_h"] = float(window_h)
    return ds


def with_draws(ds: xr.Dataset, values, names) -> xr.Dataset:
    """``ds`` with the parameter draws: coordinate ``draw`` 0..K-1 and, for each of ``names``, the constant's
    values ``values[name]`` ``(draw,)`` as ``pd_<name>`` over ``draw`` (units of :data:`popsim.pd.constants.PD`);
    the drug library's drawn values in ``values`` (names ``"<drug>.<key path>"``) as ``library_value`` over
    ``(draw, quantity)``, with each quantity's units and status as coordinates."""
    k = len(next(iter(values.values())))
    ds = ds.assign_coords(draw=np.arange(k))
    for name in names:
        ds[f"pd_{name}"] = (("draw",), np.asarray(values[name], float), attrs(f"pd_{name}"))
    ds["draw"].attrs = attrs("draw")
    lib = sorted(n for n in values if "." in n)
    if lib:
        meta = [_library_meta(n) for n in lib]
        ds = ds.assign_coords(quantity=("quantity", lib), quantity_units=("quantity", [m[0] for m in meta]),
                              quantity_status=("quantity", [m[1] for m in meta]))
        ds["library_value"] = (("draw", "quantity"), np.stack([np.asarray(values[n], float) for n in lib], 1),
                               attrs("library_value"))
        for c in ("quantity", "quantity_units", "quantity_status"):
            ds[c].attrs = attrs(c)
    return ds


def _library_meta(name: str) -> tuple[str, str]:
    """Units and status of a drawn library value (the derived lipophilicity and pathway remainders: "1", D)."""
    drug, path = name.split(".", 1)
    q = load(drug).quantities().get(path)
    return (q.units, q.status) if q is not None else ("1", "D")


def with_covariates(ds: xr.Dataset, covariates, dims: tuple[str, ...] = ("subject",)) -> xr.Dataset:
    """``ds`` with each covariate (arrays over ``dims``) as a coordinate, with its units and long name."""
    for name, values in covariates.items():
        ds = ds.assign_coords({name: (dims, np.asarray(values))})
        ds[name].attrs = attrs(name)
    return ds
