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

__all__ = ["read_dataset", "summary_table", "write_dataset", "write_table"]


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


def summary_table(ds: xr.Dataset, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Tidy population percentiles: one row per (leading coordinates, e.g. cohort) x regimen x variable x
    quantile, for every variable whose last dimensions are ``(regimen, subject)``."""
    rows = []
    levels = ds.indexes["regimen"].names
    for name, var in ds.data_vars.items():
        if var.dims[-2:] != ("regimen", "subject") or name.startswith("param_"):
            continue
        lead = var.dims[:-2]
        for combo in itertools.product(*(ds[d].values for d in lead)):
            sel = var.sel(dict(zip(lead, combo))) if lead else var
            with warnings.catch_warnings():  # a regimen where the variable is undefined (all NaN) gives NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanquantile(sel.values, quantiles, axis=1)  # (quantile, regimen)
            for r, label in enumerate(ds.indexes["regimen"]):
                for qi, qv in enumerate(quantiles):
                    rows.append({**dict(zip(lead, combo)), **dict(zip(levels, label)), "variable": name,
                                 "units": var.attrs["units"], "quantile": qv, "value": q[qi, r]})
    return pd.DataFrame(rows)


def write_table(df: pd.DataFrame, path: Path) -> Path:
    return _atomic(path, lambda p: df.to_csv(p, index=False))
