"""Figures as pure views of a Dataset: ``plot_x(ds, *, ax=None) -> Axes``.

Labels come from each variable's ``long_name [units]``; nothing here calls
``plt.show()``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

__all__ = ["label", "plot_fluctuation_by_interval", "plot_trajectory_bands"]


def label(var: xr.DataArray) -> str:
    return f"{var.attrs['long_name']} [{var.attrs['units']}]"


def plot_fluctuation_by_interval(ds: xr.Dataset, *, dose_mg: float | None = None, ax=None):
    """Median and 90% population interval of peak-trough fluctuation vs dosing interval, per drug."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    var = ds["fluctuation_ss"]
    dose_mg = float(ds.indexes["regimen"].get_level_values("dose_mg")[0]) if dose_mg is None else dose_mg
    for drug in dict.fromkeys(ds.indexes["regimen"].get_level_values("drug")):
        sub = var.sel(drug=drug, dose_mg=dose_mg)
        tau = sub["interval_h"].values
        q = np.nanquantile(sub.values, [0.05, 0.5, 0.95], axis=-1)
        ax.fill_between(tau, q[0], q[2], alpha=0.25)
        ax.plot(tau, q[1], marker="o", label=f"{drug} (median, 90% PI)")
    ax.set_xlabel("dosing interval [h]")
    ax.set_ylabel(label(var))
    ax.set_title(f"Interdose fluctuation at steady state, {dose_mg:g} mg per dose")
    ax.legend(frameon=False)
    return ax


def plot_trajectory_bands(ds: xr.Dataset, *, ax=None, **sel):
    """5-95% and 25-75% bands and median of the kept subjects' concentrations for one regimen."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    conc = ds["conc"].sel(**sel) if sel else ds["conc"].isel(regimen=0)
    q = np.nanquantile(conc.values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=-1)
    t = ds["time"].values
    ax.fill_between(t, q[0], q[4], alpha=0.2, label="5-95%")
    ax.fill_between(t, q[1], q[3], alpha=0.35, label="25-75%")
    ax.plot(t, q[2], lw=1, label="median")
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(label(ds["conc"]))
    ax.set_title(", ".join(f"{k}={v}" for k, v in sel.items()) or "regimen 0")
    ax.legend(frameon=False)
    return ax
