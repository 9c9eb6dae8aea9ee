"""Plot primitives shared by the experiments: pure views of a Dataset, ``plot_x(ds, *, ax=None) -> Axes``.

Labels come from each variable's ``long_name [units]``; nothing here calls
``plt.show()`` or chooses a matplotlib backend (``python -m popsim`` does),
and pyplot is imported only when an axes is made.  Each experiment's own
views and its figure live in its module (:mod:`popsim.experiments`).
"""

from __future__ import annotations

import textwrap

import numpy as np
import xarray as xr

__all__ = ["label", "plot_alcohol", "plot_cyp_inhibition", "plot_elderly", "plot_exposure_by_covariate", "plot_fluctuation_by_interval", "plot_hepatic", "plot_interdose",
           "plot_overdose",
           "plot_predicted_vs_observed", "plot_receptor_subtypes", "plot_status_epilepticus", "plot_trajectory_bands"]


def new_axes(figsize=(6, 4)):
    """A new axes on its own figure (for a view called without ``ax``)."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


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
    ax = ax or new_axes()
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


def plot_predicted_vs_observed(ds: xr.Dataset, *, ax=None):
    """Predicted vs observed (log-log) with the identity, 2-fold lines and Guest limits; fitted rows hollow."""
    ax = ax or new_axes((5.5, 5.5))
    obs, pred = ds["observed"].values, ds["predicted"].values
    lo, hi = ds["predicted_low"].values, ds["predicted_high"].values
    ratio = ds["endpoint_units"].values == "ratio"
    edge = np.r_[obs[ratio], pred[ratio]]
    grid = np.geomspace(min(edge.min(), 0.5) / 1.5, max(edge.max(), 2) * 1.5, 200)
    R = np.where(grid >= 1, grid, 1 / grid)
    limit = (1 + 2 * (R - 1)) / R
    ax.plot(grid, grid, "k-", lw=0.8, label="identity")
    ax.plot(grid, 2 * grid, "k--", lw=0.6, label="2-fold")
    ax.plot(grid, grid / 2, "k--", lw=0.6)
    ax.plot(grid, grid * limit, "k:", lw=0.8, label="Guest limits")
    ax.plot(grid, grid / limit, "k:", lw=0.8)
    for endpoint in dict.fromkeys(ds["endpoint"].values[ratio]):
        for use, fill in (("check", True), ("fit", False)):
            m = ratio & (ds["endpoint"].values == endpoint) & (ds["use"].values == use)
            if not m.any():
                continue
            line = ax.errorbar(obs[m], pred[m], yerr=[pred[m] - lo[m], hi[m] - pred[m]], fmt="o", ms=5, lw=0.6,
                               mfc=None if fill else "none", label=f"{endpoint} ({use})")
            line[0].set_alpha(0.85)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("observed ratio [1]")
    ax.set_ylabel("predicted ratio [1] (90% Monte Carlo interval)")
    ax.set_title("Qualification: interaction and special-population ratios")
    ax.legend(frameon=False, fontsize=7)
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
        y = ds[var].sel(drug=drug, **sel).values
        q = np.array([np.quantile(y[which == b], [0.05, 0.5, 0.95]) for b in range(bins)]).T
        ax.fill_between(mid, q[0], q[2], alpha=0.2)
        ax.plot(mid, q[1], marker="o", label=f"{drug} (median, 90% PI)")
    ax.set_xlabel(label(ds[covariate]))
    ax.set_ylabel(label(ds[var]))
    ax.set_yscale("log")
    ax.set_title(", ".join(f"{k}={v:g}" for k, v in sel.items()))
    ax.legend(frameon=False)
    return ax


def plot_elderly(ds, rec, e):
    """Left: recommended starting dose (diazepam equivalents) per drug and cohort, with the fall-capped
    dose; right: median alpha1 occupancy against dose per cohort for each drug (dose search grid)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5))
    drugs, cohorts = list(e.drugs), list(e.cohorts)
    width = 0.8 / len(cohorts)
    for j, c in enumerate(cohorts):
        part = rec[rec["cohort"] == c].set_index("drug").loc[drugs]
        x = np.arange(len(drugs)) + (j - (len(cohorts) - 1) / 2) * width
        ax.bar(x, part["recommended_de_mg"], width, color=f"C{j}", label=f"{c}: matches reference occupancy")
        ax.plot(x, part["fall_capped_de_mg"], "v", color="k", ms=6, label="fall-capped dose" if j == 0 else None)
    ax.axhline(e.reference_dose_de_mg, color="0.4", ls=":",
               label=f"reference: {e.reference_dose_de_mg:g} mg in {e.reference_cohort}")
    ax.set_xticks(np.arange(len(drugs)), drugs, rotation=20)
    ax.set_ylabel("daily dose, mg diazepam equivalents (Ashton)")
    ax.set_title(textwrap.fill("Recommended starting dose by age band (simulated population medians)", 55), fontsize=10)
    ax.legend(fontsize=7)
    occ = ds["median_occupancy_a1_mean_ss_search"]
    for j, c in enumerate(cohorts):
        for k, d in enumerate(drugs):
            bx.plot(ds["search_dose_de_mg"], occ.sel(cohort=c, drug_searched=d), color=f"C{j}",
                    ls=("-", "--", ":", "-.")[k % 4], lw=1.2, label=f"{c} {d}" if len(drugs) * len(cohorts) <= 12
                    else (c if k == 0 else None))
    bx.set_xscale("log")
    bx.set_xlabel("daily dose, mg diazepam equivalents (log)")
    bx.set_ylabel("median mean alpha1 occupancy, last day (fraction)")
    bx.set_title(textwrap.fill("Dose-occupancy by cohort (colour) and drug (line style)", 55), fontsize=10)
    bx.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def plot_overdose(ds: xr.Dataset):
    """Top: P(apnoea) over the benzodiazepine x opioid dose grid per opioid (synergy surface), with the
    median synergy index in each cell.  Bottom: median time with hypoxaemia after rescue by naloxone
    route, dose and delay, and with flumazenil, at the largest doses."""
    opioids = list(dict.fromkeys(ds.indexes["regimen"].get_level_values("opioid_drug")))
    fig, axes = plt.subplots(2, len(opioids), figsize=(4.6 * len(opioids), 8.5), squeeze=False)
    severe = ds["severe_respiratory_depression"].mean("subject")
    synergy = ds["synergy_index"].median("subject")
    no_rescue = (ds["naloxone_mg"] == 0) & (ds["flumazenil_mg"] == 0)
    for j, op in enumerate(opioids):
        ax = axes[0, j]
        sel = no_rescue & (ds["opioid_drug"] == op)
        p = severe.where(sel, drop=True).to_series().droplevel(
            ["opioid_drug", "naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]).unstack("benzo_mg")
        si = synergy.where(sel, drop=True).to_series().droplevel(
            ["opioid_drug", "naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]).unstack("benzo_mg")
        im = ax.imshow(p.values, origin="lower", vmin=0, vmax=1, cmap="Reds", aspect="auto")
        for (r, c), v in np.ndenumerate(p.values):
            ax.text(c, r, f"{v:.2f}\nSI {si.values[r, c]:.2f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(p.shape[1]), [f"{x:g}" for x in p.columns])
        ax.set_yticks(range(p.shape[0]), [f"{x:g}" for x in p.index])
        ax.set_xlabel(f"{ds.attrs.get('benzodiazepine', 'benzodiazepine')} dose (mg, {ds.attrs.get('benzo_route', '')})")
        ax.set_ylabel(f"{op} dose (mg iv)")
        ax.set_title(textwrap.fill(f"P(apnoea) and median synergy index (SI), {op}", 40), fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.046, label="P(apnoea)")
        bx = axes[1, j]
        rescue = (ds["opioid_drug"] == op) & ~no_rescue
        hypox = ds["time_hypoxaemia"].median("subject") * 60.0
        s = hypox.where(rescue, drop=True).to_series().droplevel(["opioid_drug", "opioid_mg", "benzo_mg"])
        labels = [f"{rt} nal {nm:g} mg" + (f" + flu {fm:g}" if fm else "") if nm else f"flumazenil {fm:g} mg"
                  for rt, nm, fm, _ in s.index]
        delays = sorted(set(s.index.get_level_values("rescue_delay_min")))
        keys = list(dict.fromkeys(labels))
        for k, d in enumerate(delays):
            vals = [s[[lab == key and i[3] == d for lab, i in zip(labels, s.index)]].mean() for key in keys]
            bx.barh(np.arange(len(keys)) + k * 0.8 / len(delays), vals, 0.8 / len(delays),
                    label=f"{d:g} min after the opioid")
        rescued = ds.where(rescue, drop=True)
        base = hypox.where(no_rescue & (ds["opioid_drug"] == op) & (ds["benzo_mg"] == float(rescued["benzo_mg"][0]))
                           & (ds["opioid_mg"] == float(rescued["opioid_mg"][0])), drop=True)
        bx.axvline(float(base.squeeze()), color="k", ls=":", label="no rescue (same doses)")
        bx.set_yticks(np.arange(len(keys)) + 0.4 * (len(delays) - 1) / len(delays), keys, fontsize=7)
        bx.set_xlabel("median time with hypoxaemia (min)")
        bx.set_title(textwrap.fill(f"Rescue at the largest doses, {op}", 40), fontsize=10)
        bx.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_hepatic(ds: xr.Dataset):
    """One panel per drug: median mean alpha1 occupancy of the day before each checkpoint, one line per
    cohort (first dose of the sweep), so accumulation over weeks and the cohort contrast show together."""
    drugs = list(dict.fromkeys(ds.indexes["regimen"].get_level_values("drug")))
    cols = min(3, len(drugs))
    rows = -(-len(drugs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False, sharey=True)
    occ = ds["occupancy_a1_mean_day"].median("subject")
    dose = float(ds["dose_de_mg"].values[0])
    for ax, d in zip(axes.flat, drugs):
        for j, c in enumerate(ds["cohort"].values):
            ax.plot(ds["day"], occ.sel(cohort=c, drug=d, dose_de_mg=dose), "o-", color=f"C{j}", label=str(c))
        ax.set_title(f"{d}, {dose:g} mg/day diazepam-equivalent", fontsize=9)
        ax.set_xlabel("day")
    for ax in axes[:, 0]:
        ax.set_ylabel(textwrap.fill("median mean alpha1 occupancy over the day [1]", 28))
    for ax in list(axes.flat)[len(drugs):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Accumulation by Child-Pugh class: Phase I drugs vs glucuronidated (LOT) drugs", fontsize=11)
    fig.tight_layout()
    return fig


def plot_cyp_inhibition(ds: xr.Dataset):
    """Left: median last-day Cavg ratio (with / without the perpetrator, same subjects) per drug and
    perpetrator, for each schedule.  Right: median mean alpha1 occupancy at each checkpoint for each
    drug alone and with the first perpetrator started and stopped mid-regimen."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5))
    idx = ds.indexes["regimen"]
    drugs = list(dict.fromkeys(idx.get_level_values("drug")))
    perps = [p for p in dict.fromkeys(idx.get_level_values("inhibitor")) if p != "none"]
    schedules = [s for s in dict.fromkeys(idx.get_level_values("schedule")) if s != "none"]
    med = ds["cavg_ratio_ss"].median("subject").to_series().droplevel("dose_de_mg")
    med = med[~med.index.duplicated()]
    width = 0.8 / max(len(perps), 1)
    sched = "throughout" if "throughout" in schedules else schedules[0]
    for j, p in enumerate(perps):
        ax.bar(np.arange(len(drugs)) + (j - (len(perps) - 1) / 2) * width,
               [med.get((d, p, sched), np.nan) for d in drugs], width, label=p, color=f"C{j}")
    ax.axhline(1.0, color="0.4", ls=":")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(drugs)), drugs, rotation=20)
    ax.set_ylabel("median Cavg ratio, last day (with / without; log)")
    ax.set_title(textwrap.fill(f"Exposure with each CYP3A4 perpetrator ({sched})", 50), fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    occ = ds["occupancy_a1_mean_day"].median("subject").to_series().droplevel("dose_de_mg")
    occ = occ[~occ.index.duplicated()]
    for k, d in enumerate(drugs):
        for sch, ls in (("none", "-"), ("started", "--"), ("stopped", ":")):
            key = (d, "none", "none") if sch == "none" else (d, perps[0], sch)
            if sch != "none" and sch not in schedules:
                continue
            bx.plot(ds["day"], [occ.get((day,) + key, np.nan) for day in ds["day"].values], ls, color=f"C{k}",
                    label=f"{d}" if sch == "none" else None)
    bx.set_xlabel("day")
    bx.set_ylabel(textwrap.fill("median mean alpha1 occupancy over the day [1]", 30))
    bx.set_title(textwrap.fill(f"Alone (solid), {perps[0]} started (dashed) or stopped (dotted) mid-regimen", 50),
                 fontsize=10)
    bx.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_status_epilepticus(ds: xr.Dataset):
    """Left: median effect-site occupancy (and 90% population band) after each first-line dose over
    the first hours, with the swept effective thresholds.  Right: median onset vs median duration
    above each threshold per regimen (dose, drug and route)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5))
    occ = ds["occupancy"]
    t = ds["time"].values
    q = occ.quantile([0.05, 0.5, 0.95], dim="subject")
    names = [f"{d} {r} {x:g} mg" for d, r, x in ds.indexes["regimen"]]
    for j, name in enumerate(names):
        ax.fill_between(t, q.isel(regimen=j).sel(quantile=0.05), q.isel(regimen=j).sel(quantile=0.95),
                        color=f"C{j}", alpha=0.15, lw=0)
        ax.plot(t, q.isel(regimen=j).sel(quantile=0.5), color=f"C{j}", label=name)
    for thr in ds["threshold"].values:
        ax.axhline(thr, color="0.5", ls=":", lw=0.8)
    ax.set_xlim(0, min(t[-1], 240))
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(label(occ, 45))
    ax.set_title("median and 90% band; dotted: swept effective thresholds", fontsize=9)
    ax.legend(fontsize=7)
    onset = ds["onset_min"].median("subject")
    duration = ds["duration_h"].median("subject")
    markers = "os^vD"
    for j, name in enumerate(names):
        for k, thr in enumerate(ds["threshold"].values):
            bx.plot(onset.isel(regimen=j, threshold=k), duration.isel(regimen=j, threshold=k),
                    markers[k % len(markers)], color=f"C{j}", ms=7, label=f"threshold {thr:g}" if j == 0 else None)
    bx.set_xscale("log")
    bx.set_xlabel(textwrap.fill("median time to the effective occupancy [min] (log scale)", 50))
    bx.set_ylabel(textwrap.fill(f"median time above it within {float(ds['time'].values[-1]) / 60:g} h [h]", 40))
    bx.set_title("colours: regimens as on the left; markers: threshold", fontsize=9)
    bx.legend(fontsize=7)
    fig.suptitle(f"Status epilepticus: onset and duration of effect-site GABA-A occupancy "
                 f"({ds.attrs.get('cohort', '')} cohort)", fontsize=11)
    fig.tight_layout()
    return fig


def plot_receptor_subtypes(ds: xr.Dataset):
    """Top: median alpha1 (solid) and alpha2 (dashed) occupancy over the clock of the last day, one
    panel per schedule, one colour per drug (first dose of the sweep).  Bottom: median night and day
    occupancy per subtype and drug for each schedule."""
    idx = ds.indexes["regimen"]
    drugs = list(dict.fromkeys(idx.get_level_values("drug")))
    schedules = list(dict.fromkeys(idx.get_level_values("schedule")))
    dose = float(ds["dose_de_mg"].values[0])
    fig, axes = plt.subplots(2, len(schedules), figsize=(6.2 * len(schedules), 8.5), squeeze=False)
    clock = ds["clock_h"].values
    order = np.argsort(clock[:-1], kind="stable")
    med = {s: ds[s].median("subject") for s in ("occupancy_a1", "occupancy_a2")}
    for j, sch in enumerate(schedules):
        ax = axes[0, j]
        for k, d in enumerate(drugs):
            for s, ls in (("occupancy_a1", "-"), ("occupancy_a2", "--")):
                y = med[s].sel(drug=d, schedule=sch, dose_de_mg=dose).values[:-1]
                ax.plot(clock[:-1][order], y[order], ls, color=f"C{k}", label=d if s == "occupancy_a1" else None)
        night = night_mask(clock[:-1], tuple(ds.attrs.get("night_hours", [22, 7])))
        ax.fill_between(clock[:-1][order], 0, 1, where=night[order], transform=ax.get_xaxis_transform(),
                        color="0.9", zorder=0, step="post")
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 3))
        ax.set_xlabel(label(ds["clock_h"]))
        ax.set_ylabel(textwrap.fill("median GABA-A occupancy over the last day [1] (solid alpha1, dashed alpha2)", 40))
        ax.set_title(textwrap.fill(f"{sch}: {dose:g} mg/day diazepam-equivalent; shaded: night; alpha2 lies on "
                                   "alpha1 for the non-selective drugs", 70), fontsize=9)
        ax.legend(fontsize=7)
        bx = axes[1, j]
        bars = ["occupancy_a1_night", "occupancy_a1_day", "occupancy_a2_night", "occupancy_a2_day"]
        width = 0.8 / len(bars)
        for b, name in enumerate(bars):
            v = [float(ds[name].median("subject").sel(drug=d, schedule=sch, dose_de_mg=dose)) for d in drugs]
            bx.bar(np.arange(len(drugs)) + (b - 1.5) * width, v, width, color=f"C{b}",
                   label=name.replace("occupancy_", "").replace("_", " "))
        bx.set_xticks(range(len(drugs)), drugs, rotation=20)
        bx.set_ylabel(textwrap.fill("median mean occupancy [1]", 30))
        bx.set_title(f"{sch}: night (hypnotic window) vs day; alpha1 sedation, alpha2 anxiolysis", fontsize=9)
        bx.set_ylim(top=bx.get_ylim()[1] * 1.2)
        bx.legend(fontsize=7, loc="upper left", ncol=4)
    fig.suptitle(f"GABA-A alpha1 vs alpha2 occupancy at steady state ({ds.attrs.get('cohort', '')} cohort)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def plot_alcohol(ds: xr.Dataset):
    """Left: median withdrawal drive (90% band) after the stop at the largest intake, one line per
    treatment.  Right: P(clinically significant withdrawal) after the stop by intake and treatment,
    with the median total benzodiazepine given."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5))
    idx = ds.indexes["regimen"]
    top = max(idx.get_level_values("grams_per_day"))
    t = ds["time"].values
    q = ds["withdrawal_drive_a2_quantiles"]
    keys = [k for k in idx if k[0] == top]
    for j, key in enumerate(keys):
        name = key[1] if key[1] != "triggered" else f"triggered at drive > {key[2]:g}"
        sel = q.sel(regimen=key)
        ax.fill_between(t, sel.sel(quantile=0.05), sel.sel(quantile=0.95), color=f"C{j}", alpha=0.12, lw=0)
        ax.plot(t, sel.sel(quantile=0.5), color=f"C{j}", label=name)
    ax.axvline(0, color="k", ls=":", lw=0.8)
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(label(q, 45))
    ax.set_title(f"{top:g} g/day for {ds.attrs.get('drinking_days', '?')} days, then stop; {ds.attrs.get('drug', '')}",
                 fontsize=9)
    ax.legend(fontsize=7)
    p = ds["p_withdrawal_after_stop"].mean("subject")
    mg = ds["benzodiazepine_mg"].median("subject")
    grams = list(dict.fromkeys(idx.get_level_values("grams_per_day")))
    treatments = list(dict.fromkeys((k[1], k[2]) for k in idx))
    width = 0.8 / len(treatments)
    for j, (name, thr) in enumerate(treatments):
        keys = [(g, name, thr) for g in grams]
        x = np.arange(len(grams)) + (j - (len(treatments) - 1) / 2) * width
        v = [float(p.sel(regimen=k)) for k in keys]
        bx.bar(x, v, width, color=f"C{j}", label=name if name != "triggered" else f"triggered > {thr:g}")
        for xi, vi, k in zip(x, v, keys):
            bx.text(xi, vi + 0.01, f"{float(mg.sel(regimen=k)):.0f}", ha="center", fontsize=6)
    bx.set_xticks(range(len(grams)), [f"{g:g}" for g in grams])
    bx.set_xlabel(label(ds["grams_per_day"]))
    bx.set_ylabel(textwrap.fill("P(clinically significant withdrawal) after the stop [1]", 40))
    bx.set_title("numbers: median total benzodiazepine given [mg]", fontsize=9)
    bx.legend(fontsize=7)
    fig.suptitle(f"Alcohol withdrawal: fixed vs symptom-triggered {ds.attrs.get('drug', '')} "
                 f"({ds.attrs.get('cohort', '')} cohort)", fontsize=11)
    fig.tight_layout()
    return fig
