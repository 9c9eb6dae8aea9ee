"""Files: Dataset to NetCDF/Zarr and back, tidy CSV summaries; never half-written.

Every file is written under a temporary name in the target folder and renamed
into place, so a crash leaves either the old file or the new one, never a
truncated file under the final name.  NetCDF cannot store a pandas
MultiIndex, so the ``regimen`` index is stored as its level variables and
rebuilt on read.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["DRAW_QUANTILES", "over_draws", "read_dataset", "summary_table", "write_dataset", "write_table"]

DRAW_QUANTILES = (0.025, 0.5, 0.975)  # the median and central 95% over parameter draws


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        target = tmp / path.name
        write(target)
        if path.is_dir():
            shutil.rmtree(path)
        os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def write_dataset(ds: xr.Dataset, path: Path) -> Path:
    """Write ``ds`` as NetCDF (``.nc``) or Zarr (``.zarr``), atomically."""
    flat = ds
    if "regimen" in ds.indexes:
        flat = ds.reset_index("regimen")
        flat.attrs["regimen_levels"] = ",".join(ds.indexes["regimen"].names)
    if path.suffix == ".zarr":
        return _atomic(path, lambda p: flat.to_zarr(p, mode="w"))
    return _atomic(path, lambda p: flat.to_netcdf(p, engine="h5netcdf"))


def read_dataset(path: Path) -> xr.Dataset:
    """Read a popsim Dataset and rebuild the ``regimen`` MultiIndex (if it has one)."""
    path = Path(path)
    ds = xr.open_zarr(path) if path.suffix == ".zarr" else xr.open_dataset(path, engine="h5netcdf")
    ds = ds.load()
    if "regimen_levels" not in ds.attrs:
        return ds
    levels = ds.attrs.pop("regimen_levels").split(",")
    return ds.set_index(regimen=levels)


def over_draws(name: str, x, axis: int = -1) -> dict[str, np.ndarray]:
    """``{<name>_p2.5, <name>_p50, <name>_p97.5}``: the median and central 95% of ``x`` over its draw axis
    ``axis`` (:data:`DRAW_QUANTILES`; NaN draws are left out, all NaN gives NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(np.asarray(x, float), DRAW_QUANTILES, axis=axis)
    return {f"{name}_p{100 * p:g}": v for p, v in zip(DRAW_QUANTILES, q)}


def summary_table(ds: xr.Dataset, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Tidy population percentiles: one row per (leading coordinates, e.g. cohort) x regimen x variable x
    quantile, for every variable whose last dimensions are ``(regimen, subject)``.

    With parameter draws (variables ending in ``(regimen, draw, subject)``) the percentiles are taken in each
    draw and the row gives their median and central 95% over draws (:func:`over_draws`: columns
    ``value_p2.5``, ``value_p50``, ``value_p97.5``) in place of ``value``.
    """
    rows = []
    levels = ds.indexes["regimen"].names
    tail = ("regimen", "draw", "subject") if "draw" in ds.dims else ("regimen", "subject")
    for name, var in ds.data_vars.items():
        if var.dims[-len(tail):] != tail or name.startswith("param_"):
            continue
        lead = var.dims[:-len(tail)]
        for combo in itertools.product(*(ds[d].values for d in lead)):
            sel = var.sel(dict(zip(lead, combo))) if lead else var
            with warnings.catch_warnings():  # a regimen where the variable is undefined (all NaN) gives NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanquantile(sel.values, quantiles, axis=-1)  # (quantile, regimen[, draw])
            columns = over_draws("value", q) if "draw" in tail else {"value": q}
            for r, label in enumerate(ds.indexes["regimen"]):
                for qi, qv in enumerate(quantiles):
                    rows.append({**dict(zip(lead, combo)), **dict(zip(levels, label)), "variable": name,
                                 "units": var.attrs["units"], "quantile": qv,
                                 **{k: v[qi, r] for k, v in columns.items()}})
    return pd.DataFrame(rows)


def write_table(df: pd.DataFrame, path: Path) -> Path:
    return _atomic(path, lambda p: df.to_csv(p, index=False))
