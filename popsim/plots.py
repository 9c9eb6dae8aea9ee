"""Plot primitives shared by the experiments: pure views of a Dataset, ``plot_x(ds, *, ax=None) -> Axes``.

Labels come from each variable's ``long_name [units]``; nothing here calls
``plt.show()`` or chooses a matplotlib backend (``python -m popsim`` does),
and pyplot is imported only when an axes is made.  Each experiment's own
views and its figure live in its module (:mod:`popsim.experiments`).
"""

from __future__ import annotations

import collections
import textwrap

import numpy as np
import xarray as xr

from popsim.io import over_draws

__all__ = ["label", "median_and_interval", "new_axes", "plot_exposure_by_covariate", "plot_fluctuation_by_interval",
           "plot_trajectory_bands", "side_by_side"]


def new_axes(figsize=(6, 4)):
    """A new axes on its own figure (for a view called without ``ax``)."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def median_and_interval(var: xr.DataArray):
    """``(median, error-bar lengths (2, ...))`` over ``draw`` (its central 95%, :func:`popsim.io.over_draws`), or
    ``(values, None)`` without draws: what a view draws as a line or bar with error bars or a band."""
    if "draw" not in var.dims:
        return var.values, None
    lo, mid, hi = over_draws("x", var.transpose(..., "draw").values).values()
    return mid, np.stack([mid - lo, hi - mid])


_OVER = "; bars: 95% over draws"


def population_quantiles(var: xr.DataArray, q):
    """Population quantiles ``q`` over ``subject`` (first axis ``len(q)``) and, with parameter draws, each the
    median over ``draw`` with the error-bar lengths ``(2, len(q), ...)`` of its 95% over draws (else None)."""
    per = np.nanquantile(var.transpose(..., "subject").values, q, axis=-1)
    if "draw" not in var.dims:
        return per, None
    mid, err = median_and_interval(xr.DataArray(per, dims=("quantile", *[d for d in var.dims if d != "subject"])))
    return mid, err


def side_by_side(ds: xr.Dataset, views, *, title: str = "", panel=(6.5, 5.0)):
    """A figure of ``views`` (each called as ``view(ds, ax=ax)``) side by side, each panel ``panel``
    inches, with an optional overall ``title``, a template filled from the Dataset's attributes (e.g.
    ``"... ({cohort} cohort)"``; a missing one reads ``?``): the figure of most experiments."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(views), figsize=(panel[0] * len(views), panel[1]), squeeze=False)
    for view, ax in zip(views, axes[0]):
        view(ds, ax=ax)
    if title:
        fig.suptitle(title.format_map(collections.defaultdict(lambda: "?", ds.attrs)), fontsize=11)
    fig.tight_layout()
    return fig


def label(var: xr.DataArray, width: int = 60) -> str:
    """``long_name [units]``, wrapped onto lines of at most ``width`` characters."""
    return textwrap.fill(f"{var.attrs['long_name']} [{var.attrs['units']}]", width)


def plot_fluctuation_by_interval(ds: xr.Dataset, *, dose_mg: float | None = None, ax=None):
    """Median and 90% population interval of peak-trough fluctuation vs dosing interval, per drug."""
    ax = ax or new_axes()
    var = ds["fluctuation_ss"]
    dose_mg = float(ds.indexes["regimen"].get_level_values("dose_mg")[0]) if dose_mg is None else dose_mg
    for drug in dict.fromkeys(ds.indexes["regimen"].get_level_values("drug")):
        sub = var.sel(drug=drug, dose_mg=dose_mg)
        tau = sub["interval_h"].values
        q, err = population_quantiles(sub, [0.05, 0.5, 0.95])
        ax.fill_between(tau, q[0], q[2], alpha=0.25)
        line = ax.plot(tau, q[1], marker="o", label=f"{drug} (median, 90% PI{_OVER if err is not None else ''})")
        if err is not None:
            ax.errorbar(tau, q[1], yerr=err[:, 1], fmt="none", color=line[0].get_color(), capsize=3)
    ax.set_xlabel("dosing interval [h]")
    ax.set_ylabel(label(var, 40))
    ax.set_title(f"Interdose fluctuation at steady state, {dose_mg:g} mg per dose")
    ax.legend(frameon=False)
    return ax


def plot_trajectory_bands(ds: xr.Dataset, *, ax=None, **sel):
    """5-95% and 25-75% bands and median of the kept subjects' concentrations for one regimen: the last
    of the sweep, with the regimen levels given in ``sel`` changed (e.g. ``drug="clonazepam"``)."""
    ax = ax or new_axes()
    idx = ds.indexes["regimen"]
    sel = {k: v.item() if hasattr(v, "item") else v for k, v in zip(idx.names, idx[-1])} | sel
    conc = ds["conc"].sel(**sel)
    q, _ = population_quantiles(conc.rename(trajectory_subject="subject"), [0.05, 0.25, 0.5, 0.75, 0.95])
    t = ds["time"].values
    ax.fill_between(t, q[0], q[4], alpha=0.2, label="5-95%")
    ax.fill_between(t, q[1], q[3], alpha=0.35, label="25-75%")
    ax.plot(t, q[2], lw=1, label="median")
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(label(ds["conc"]))
    ax.set_title(", ".join(f"{k}={v}" for k, v in sel.items()))
    ax.legend(frameon=False)
    return ax


def plot_exposure_by_covariate(ds: xr.Dataset, *, var: str = "cavg_ss", covariate: str = "age", bins: int = 6,
                               ax=None, **sel):
    """Median and 90% population interval of ``var`` per bin of a subject covariate, one line per drug,
    at one dose and interval (the first of each unless given in ``sel``)."""
    ax = ax or new_axes()
    idx = ds.indexes["regimen"]
    sel = {"dose_mg": float(idx.get_level_values("dose_mg")[0]),
           "interval_h": float(idx.get_level_values("interval_h")[-1])} | sel
    x = ds[covariate].values
    edges = np.quantile(x, np.linspace(0, 1, bins + 1))
    mid = 0.5 * (edges[1:] + edges[:-1])
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    for drug in dict.fromkeys(idx.get_level_values("drug")):
        y = ds[var].sel(drug=drug, **sel)
        q = np.array([population_quantiles(y.isel(subject=which == b), [0.05, 0.5, 0.95])[0]
                      for b in range(bins)]).T
        ax.fill_between(mid, q[0], q[2], alpha=0.2)
        over = "; medians over draws" if "draw" in y.dims else ""
        ax.plot(mid, q[1], marker="o", label=f"{drug} (median, 90% PI{over})")
    ax.set_xlabel(label(ds[covariate]))
    ax.set_ylabel(label(ds[var], 40))
    ax.set_yscale("log")
    ax.set_title(", ".join(f"{k}={v:g}" for k, v in sel.items()))
    ax.legend(frameon=False)
    return ax
