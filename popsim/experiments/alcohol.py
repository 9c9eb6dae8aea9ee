"""Question 5 (alcohol): chronic drinking, cross-tolerance, withdrawal on stopping, and symptom-triggered
benzodiazepine loading vs a fixed schedule.

Every subject drinks ``grams_per_day`` of ethanol (split over ``drinking_hours``) for ``drinking_days``,
skipping a drink while blood ethanol is at or above ``drink_ceiling_g_l`` (a popsim assumption: without it,
drinkers whose elimination is below the intake accumulate without bound), and stops at midnight after the
last drinking day (t_stop).  Ethanol acts at its own GABA-A site; the
glutamatergic up-regulation of :class:`popsim.pd.withdrawal.Withdrawal` follows the total effect, ethanol's
and the benzodiazepine's, so stopping leaves it uncovered (withdrawal, on its time course of hours to
days) and a benzodiazepine covers it (cross-tolerance).  From ``treatment_start_h`` after t_stop, three
treatments: none; a fixed schedule (``fixed_mg_per_day``, 6-hourly); or symptom-triggered loading,
``trigger_mg`` whenever the CIWA-Ar reading reaches each of ``trigger_ciwa`` at a check every
``check_every_h`` (at most ``max_doses``), simulated in the time loop (:class:`popsim.pk.grid.Trigger`).
Endpoints over the period after t_stop: CIWA-Ar >= 8 (any treatment trigger of the trials, W67-W69) and
>= 19 (ASAM's severe, W76), a seizure (its probability from the hazard), delirium tremens, the peak
reading and its time.  The horizon is ``drinking_days + days_after`` on the ``grid.dt_h`` step
(``grid.days`` is not read).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, on_grid, unique
from popsim.arm import Arm, risk_model
from popsim.config import Study
from popsim.dataset import annotate, register, regimen_dataset, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.io import over_draws, summary_table
from popsim.pd.parameters import check_values
from popsim.pk.grid import Ceiling, Trigger
from popsim.plots import label, median_and_interval, new_axes, side_by_side
from popsim.study import check_clock_hours, check_day_grid, simulate_arm

__all__ = ["AlcoholStudy", "EXPERIMENT", "LEVELS", "QUANTILES", "figure", "inputs", "plot_treatments",
           "plot_ciwa", "run", "summary", "treatments_table"]

LEVELS = ["grams_per_day", "treatment", "trigger_ciwa"]
QUANTILES = (0.05, 0.5, 0.95)
SOBER_MG_L = 10.0  # blood ethanol taken as none left (0.01 g/L)
TRACKED = ("ethanol", "ciwa_ar", "sedation", "seizure_cumhaz", "delirium")
# signals kept as population quantiles over time (units and long names: the PD model's)
SHOWN = ("ethanol", "ciwa_ar", "sedation")
CIWA_MODERATE, CIWA_SEVERE = 8.0, 19.0  # CIWA-Ar: the trials' lowest trigger (W67-W69); ASAM's severe (W76)
SIGNALS = risk_model(1, (("ethanol", "oral"),)).signals
# the treatments table's columns shown in the report with parameter draws (median and 95% over draws)
REPORTED = ("p_ciwa_8_after_stop", "p_ciwa_19_after_stop", "p_seizure_after_stop", "delirium_after_stop",
            "benzodiazepine_mg_p50", "sedation_peak_sober_p50")

register({
    "grams_per_day": ("g d-1", "ethanol offered per day (drinks are skipped while blood ethanol is at or above the "
                               "drink_ceiling_g_l attribute)"),
    "trigger_ciwa": ("1", "CIWA-Ar reading (points) that triggers a dose (0: not triggered)"),
    "p_ciwa_8_after_stop": ("1", "withdrawal reaching CIWA-Ar >= 8 after the stop (1 yes, 0 no; the mean over "
                                 "subjects is the probability)"),
    "p_ciwa_19_after_stop": ("1", "severe withdrawal, CIWA-Ar >= 19 (ASAM), after the stop (1 yes, 0 no)"),
    "p_seizure_after_stop": ("1", "probability of a withdrawal seizure from the stop to the end (days_after "
                                  "attribute)"),
    "delirium_after_stop": ("1", "delirium tremens after the stop (1 yes, 0 no)"),
    "ciwa_ar_peak": ("1", "peak CIWA-Ar reading after the stop (points, 0-67)"),
    "ciwa_ar_peak_h": ("h", "time of the peak CIWA-Ar reading after the stop"),
    "ethanol_peak_last_day": ("mg L-1", "peak blood ethanol concentration on the last drinking day"),
    "sedation_peak_treatment": ("1", "peak net alpha1 sedation from the treatment start on (oversedation)"),
    "sedation_peak_sober": ("1", f"peak net alpha1 sedation from the treatment start on while blood ethanol is below "
                                 f"{SOBER_MG_L:g} mg/L (the benzodiazepine's own sedation: lower in drinkers by "
                                 "cross-tolerance; NaN if never sober)"),
    "benzodiazepine_mg": ("mg", "total benzodiazepine (the drug attribute) given after the stop"),
    "triggered_doses": ("1", "number of symptom-triggered doses (of trigger_mg each, attribute)"),
    "last_triggered_dose_h": ("h", "time of the last symptom-triggered dose after the stop (NaN: none)"),
} | {f"{x}_quantiles": (SIGNALS[x][0], f"{SIGNALS[x][1]}: population quantiles") for x in SHOWN})
# names whose meaning is this Dataset's own
LOCAL = {"time": ("h", "time since the stop (midnight after the last drinking day)")}


@dataclass
class AlcoholStudy(Study):
    """``grams_per_day`` of ethanol over ``drinking_hours`` for ``drinking_days`` (a drink is skipped while blood
    ethanol is at or above ``drink_ceiling_g_l``: drinkers do not top up once intoxicated), then a stop at midnight and
    ``days_after`` days of follow-up; from ``treatment_start_h`` after the stop, ``drug`` given on a fixed
    schedule (``fixed_mg_per_day``, 6-hourly) or symptom-triggered (``trigger_mg`` when the CIWA-Ar
    reading reaches each of ``trigger_ciwa`` at a check every ``check_every_h``, at most ``max_doses``).
    Grid step: ``grid.dt_h``.  The default doses and rule are the shape of common protocols (user
    settings, not library values)."""

    drug: str = "diazepam"
    grams_per_day: list[float] = field(default_factory=lambda: [0.0, 120.0, 200.0])
    drinking_hours: list[float] = field(default_factory=lambda: [float(h) for h in range(8, 24)])
    drinking_days: float = 28.0
    drink_ceiling_g_l: float = 1.5
    days_after: float = 7.0
    treatment_start_h: float = 2.0
    fixed_mg_per_day: list[float] = field(default_factory=lambda: [40.0, 30.0, 20.0, 10.0])
    trigger_mg: float = 20.0
    trigger_ciwa: list[float] = field(default_factory=lambda: [8.0, 15.0])
    check_every_h: float = 1.0
    max_doses: int = 30

    def check(self, cfg) -> None:
        from popsim.drugs.library import load, names

        dt_h = cfg.grid.dt_h
        benzos = [n for n in names() if load(n).kind == "benzodiazepine" and "oral" in load(n).routes]
        choice("study.drug", self.drug, benzos)
        lag = load(self.drug).routes["oral"].lag
        if lag is not None and lag.value >= dt_h:  # the triggered dose must arrive within its grid step
            raise ValueError(f"study.drug={self.drug!r}: its oral lag time {lag.value:.3g} h is not shorter than "
                             f"grid.dt_h={dt_h!r}; allowed: a grid step longer than the lag, or a drug without lag")
        check_day_grid("alcohol", dt_h)
        if abs(6.0 / dt_h - round(6.0 / dt_h)) > 1e-9:  # else its doses would be rounded off the hour
            raise ValueError(f"grid.dt_h={dt_h!r}: the fixed schedule doses every 6 h; allowed: a step dividing 6 h")
        for key in ("grams_per_day", "fixed_mg_per_day", "trigger_ciwa"):
            unique(f"study.{key}", getattr(self, key))
        for i, g in enumerate(self.grams_per_day):
            finite(f"study.grams_per_day[{i}]", g, low=0, high=500)
        check_clock_hours("study.drinking_hours", self.drinking_hours, dt_h)
        for i, x in enumerate(self.fixed_mg_per_day):
            finite(f"study.fixed_mg_per_day[{i}]", x, low=0, high=500)
        for i, x in enumerate(self.trigger_ciwa):
            finite(f"study.trigger_ciwa[{i}]", x, low=0, low_open=True, high=67)
        finite("study.drinking_days", self.drinking_days, low=1, high=365)
        finite("study.drink_ceiling_g_l", self.drink_ceiling_g_l, low=0, low_open=True, high=6)
        finite("study.days_after", self.days_after, low=1, high=60)
        for key in ("drinking_days", "days_after"):
            if getattr(self, key) != round(getattr(self, key)):
                raise ValueError(f"study.{key}={getattr(self, key)!r}; allowed: whole days")
        finite("study.trigger_mg", self.trigger_mg, low=0, low_open=True, high=200)
        for key, high in (("treatment_start_h", self.days_after * 24 - 1), ("check_every_h", 24.0)):
            value = getattr(self, key)
            finite(f"study.{key}", value, low=0, low_open=key == "check_every_h", high=high)
            on_grid(f"study.{key}", value, dt_h)
        if not isinstance(self.max_doses, int) or not 1 <= self.max_doses <= 500:
            raise ValueError(f"study.max_doses={self.max_doses!r}; allowed: an integer 1 to 500")


def inputs(s: AlcoholStudy, n: int, dt: float, grams: float, fixed: bool) -> np.ndarray:
    """(time, 2) inputs: benzodiazepine (mg) and ethanol (mg) per grid step."""
    U = np.zeros((n, 2))
    for day in range(int(s.drinking_days)):
        for h in s.drinking_hours:
            U[round((day * 24 + h) / dt), 1] += grams * 1000.0 / len(s.drinking_hours)
    if fixed:
        start = s.drinking_days * 24 + s.treatment_start_h
        for day, mg in enumerate(s.fixed_mg_per_day):
            for k in range(4):
                step = round((start + day * 24 + 6 * k) / dt)
                if step < n:
                    U[step, 0] += mg / 4
    return U


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """Per regimen: P(CIWA-Ar >= 8), P(CIWA-Ar >= 19), P(seizure), P(delirium) after the stop, median peak
    CIWA-Ar and its time, median total benzodiazepine (and its 95th percentile), median peak sedation during
    treatment (all of it, and sober), the fraction of subjects at the triggered-dose cap and with blood
    ethanol above 4 g/L; with parameter draws one row per regimen x ``draw`` (each taken in that draw)."""
    names = ["p_ciwa_8_after_stop", "p_ciwa_19_after_stop", "p_seizure_after_stop", "delirium_after_stop"]
    df = ds[names].mean("subject").to_dataframe()
    df["ciwa_ar_peak_p50"] = ds["ciwa_ar_peak"].median("subject").to_series()
    df["ciwa_ar_peak_h_p50"] = ds["ciwa_ar_peak_h"].median("subject").to_series()
    df["benzodiazepine_mg_p50"] = ds["benzodiazepine_mg"].median("subject").to_series()
    df["benzodiazepine_mg_p95"] = ds["benzodiazepine_mg"].quantile(0.95, "subject").drop_vars("quantile").to_series()
    df["sedation_peak_treatment_p50"] = ds["sedation_peak_treatment"].median("subject").to_series()
    df["sedation_peak_sober_p50"] = ds["sedation_peak_sober"].median("subject").to_series()
    df["p_at_dose_cap"] = (ds["triggered_doses"] >= ds.attrs["max_doses"]).mean("subject").to_series()
    df["p_ethanol_over_4_g_l"] = (ds["ethanol_peak_last_day"] > 4000.0).mean("subject").to_series()
    return df[[c for c in df.columns if c not in LEVELS]].reset_index()


def treatments_table(per_draw: pd.DataFrame) -> pd.DataFrame:
    """The treatments table over parameter draws: from :func:`summary` of a run with draws (one row per
    regimen x draw), one row per regimen with each column's median and central 95% over draws
    (:func:`popsim.io.over_draws`: ``<column>_p2.5``, ``_p50``, ``_p97.5``; a draw whose value is NaN, e.g.
    ``sedation_peak_sober_p50`` where nobody was sober, is left out)."""
    columns = [c for c in per_draw.columns if c not in (*LEVELS, "draw")]
    rows = []
    for key, g in per_draw.groupby(LEVELS, sort=False):
        row = dict(zip(LEVELS, key))
        for c in columns:
            row |= {k: float(v) for k, v in over_draws(c, g[c].to_numpy()).items()}
        rows.append(row)
    return pd.DataFrame(rows)


def plot_ciwa(ds: xr.Dataset, *, ax=None):
    """Median CIWA-Ar reading (90% band) around the stop at the largest intake, one line per treatment; with
    parameter draws, the median over draws of the population median, with the band of its central 95% over
    draws."""
    ax = ax or new_axes()
    idx = ds.indexes["regimen"]
    top = max(idx.get_level_values("grams_per_day"))
    t = ds["time"].values
    q = ds["ciwa_ar_quantiles"]
    for j, key in enumerate(k for k in idx if k[0] == top):
        name = key[1] if key[1] != "triggered" else f"triggered at CIWA-Ar >= {key[2]:g}"
        sel = q.sel(regimen=key)
        if "draw" in sel.dims:
            mid, err = median_and_interval(sel.sel(quantile=0.5))
            lo, hi = mid - err[0], mid + err[1]
        else:
            mid, lo, hi = sel.sel(quantile=0.5), sel.sel(quantile=0.05), sel.sel(quantile=0.95)
        ax.fill_between(t, lo, hi, color=f"C{j}", alpha=0.12, lw=0)
        ax.plot(t, mid, color=f"C{j}", label=name)
    for level, text in ((CIWA_MODERATE, "8"), (CIWA_SEVERE, "19: severe")):
        ax.axhline(level, color="0.6", ls="--", lw=0.7)
        ax.text(t[0], level, text, fontsize=6, va="bottom")
    ax.axvline(0, color="k", ls=":", lw=0.8)
    ax.set_xlabel(label(ds["time"]))
    ax.set_ylabel(label(q, 45))
    title = f"{top:g} g/day for {ds.attrs.get('drinking_days', '?')} days, then stop; {ds.attrs.get('drug', '')}"
    if "draw" in ds.dims:
        title += f"\nmedian; band: 95% over {ds.sizes['draw']} parameter draws"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_treatments(ds: xr.Dataset, *, ax=None):
    """P(CIWA-Ar >= 19, severe) after the stop by intake and treatment, with the median total benzodiazepine
    given over each bar; with parameter draws, the median over draws of each, with the central 95% over draws
    as error bars."""
    ax = ax or new_axes()
    idx = ds.indexes["regimen"]
    p = ds["p_ciwa_19_after_stop"].mean("subject")
    mg = ds["benzodiazepine_mg"].median("subject")
    grams = list(dict.fromkeys(idx.get_level_values("grams_per_day")))
    treatments = list(dict.fromkeys((k[1], k[2]) for k in idx))
    width = 0.8 / len(treatments)
    for j, (name, thr) in enumerate(treatments):
        keys = [(g, name, thr) for g in grams]
        x = np.arange(len(grams)) + (j - (len(treatments) - 1) / 2) * width
        bars = [median_and_interval(p.sel(regimen=k)) for k in keys]
        v = [float(b) for b, _ in bars]
        err = None if bars[0][1] is None else np.stack([e for _, e in bars], axis=-1)
        ax.bar(x, v, width, yerr=err, capsize=2, color=f"C{j}",
               label=name if name != "triggered" else f"triggered >= {thr:g}")
        top = v if err is None else np.add(v, err[1])
        for xi, vi, k in zip(x, top, keys):
            ax.text(xi, vi + 0.01, f"{float(np.median(mg.sel(regimen=k))):.0f}", ha="center", fontsize=6)
    ax.set_xticks(range(len(grams)), [f"{g:g}" for g in grams])
    ax.set_xlabel(label(ds["grams_per_day"]))
    ax.set_ylabel(textwrap.fill("P(severe withdrawal, CIWA-Ar >= 19) after the stop [1]", 40))
    ax.set_title("numbers: median total benzodiazepine given [mg]" + (
        f"\nmedian; bars: 95% over {ds.sizes['draw']} parameter draws" if "draw" in ds.dims else ""), fontsize=9)
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """CIWA-Ar around the stop (left) and severe withdrawal by intake and treatment (right)."""
    return side_by_side(ds, (plot_ciwa, plot_treatments),
                        title="Alcohol withdrawal: fixed vs symptom-triggered {drug} ({cohort} cohort)")


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (:data:`LEVELS`) x subject, and population quantiles of the tracked signals
    over regimen x quantile x time (h since the stop, from one day before); with ``n_draws`` a ``draw``
    dimension before ``subject`` (and before ``quantile``: the quantiles are taken in each draw)."""
    s, dt = cfg.study, cfg.grid.dt_h
    point, values = check_values(cfg.pd), EXPERIMENT.pd_values(cfg)
    n = round((s.drinking_days + s.days_after) * 24 / dt) + 1
    stop = round(s.drinking_days * 24 / dt)
    start = stop + round(s.treatment_start_h / dt)
    arm = Arm(s.drug, "oral", cfg.cohort, dt, n, others=(("ethanol", "oral"),))
    arms = [("none", 0.0, None), ("fixed", 0.0, None)]
    # a reading exactly at the trigger doses: the trigger fires above its threshold, so it is set just below
    arms += [("triggered", thr, Trigger("ciwa_ar", thr * (1 - 1e-6), s.trigger_mg, start=start,
                                        every=round(s.check_every_h / dt), max_doses=s.max_doses))
             for thr in s.trigger_ciwa]
    labels, parts, doses, last, given = [], [], [], [], []
    for name, thr, trigger in arms:
        rows = [(g, name, thr) for g in s.grams_per_day]
        U = np.stack([inputs(s, n, dt, g, name == "fixed") for g, _, _ in rows])
        r = simulate_arm(arm, U, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values, chunk_size=cfg.chunk_size,
                         dtype=dtype, trajectories=TRACKED, trajectories_from_h=(s.drinking_days - 1) * 24.0,
                         trigger=trigger, ceiling=Ceiling("ethanol", s.drink_ceiling_g_l * 1000.0, 1),
                         progress=progress and progress(f"{name} {thr:g}" if trigger else name))
        labels += rows
        parts.append(r)
        shape = (len(rows), *((cfg.n_draws,) if cfg.n_draws else ()), cfg.n_subjects)  # (regimen, [draw,] subject)
        doses.append(r.trigger["doses"] if trigger else np.zeros(shape))
        last.append(r.trigger["last"] if trigger else np.full(shape, np.nan))
        scheduled = U[:, :, 0].sum(axis=1).reshape(-1, *(1,) * (len(shape) - 1))
        given.append(doses[-1] * s.trigger_mg + scheduled)  # triggered + scheduled
    # (time, regimen, [draw,] subject)
    traj = {x: np.concatenate([p.trajectories[x] for p in parts], axis=1) for x in TRACKED}
    t = parts[0].times - s.drinking_days * 24.0
    at_stop = round(24.0 / dt)  # the saved course starts one day before the stop
    at_start = at_stop + start - stop
    ciwa = traj["ciwa_ar"][at_stop:]
    out = {"p_ciwa_8_after_stop": (ciwa.max(axis=0) >= CIWA_MODERATE).astype(float),
           "p_ciwa_19_after_stop": (ciwa.max(axis=0) >= CIWA_SEVERE).astype(float),
           "p_seizure_after_stop": -np.expm1(-(traj["seizure_cumhaz"][-1] - traj["seizure_cumhaz"][at_stop])),
           "delirium_after_stop": traj["delirium"][-1] - traj["delirium"][at_stop],
           "ciwa_ar_peak": ciwa.max(axis=0), "ciwa_ar_peak_h": t[at_stop:][ciwa.argmax(axis=0)]}
    out["ethanol_peak_last_day"] = traj["ethanol"][:at_stop].max(axis=0)
    out["sedation_peak_treatment"] = traj["sedation"][at_start:].max(axis=0)
    sober = traj["ethanol"][at_start:] < SOBER_MG_L
    sed = np.where(sober, traj["sedation"][at_start:], -np.inf).max(axis=0)
    out["sedation_peak_sober"] = np.where(sober.any(axis=0), sed, np.nan)
    out["benzodiazepine_mg"] = np.concatenate(given)
    out["triggered_doses"] = np.concatenate(doses)
    out["last_triggered_dose_h"] = np.concatenate(last) - s.drinking_days * 24.0
    ds = regimen_dataset(labels, LEVELS, {k: np.asarray(v, float) for k, v in out.items()},
                         covariates=parts[0].covariates)
    ds = ds.assign_coords(quantile=list(QUANTILES), time=t)
    draw = ("draw",) if cfg.n_draws else ()
    for x in SHOWN:
        q = np.quantile(traj[x], QUANTILES, axis=-1)  # (quantile, time, regimen[, draw])
        ds[f"{x}_quantiles"] = (("regimen", *draw, "quantile", "time"),
                                np.moveaxis(q, (0, 1), (-2, -1)).astype(np.float32))
    ds = annotate(ds, **LOCAL)
    ds.attrs.update({"drug": s.drug, "cohort": cfg.cohort.name, "drinking_days": s.drinking_days,
                     "days_after": s.days_after, "max_doses": s.max_doses, "trigger_mg": s.trigger_mg,
                     "treatment_start_h": s.treatment_start_h, "ethanol_vmax_ratio": point["ethanol_vmax_ratio"],
                     "drink_ceiling_g_l": s.drink_ceiling_g_l})
    headline = (f"{s.drinking_days:g} days of drinking {list(s.grams_per_day)} g/day, stop, {s.drug} none / fixed / "
                f"symptom-triggered; {ds.sizes['regimen']} regimens x {cfg.n_subjects} subjects")
    if not cfg.n_draws:
        table = summary(ds)
        return Result(ds, {"summary": summary_table(ds), "treatments": table}, headline,
                      table.round(3).to_string(index=False))
    ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
    table = treatments_table(summary(ds))
    shown = table[LEVELS].assign(**{c: [f"{m:.3g} ({lo:.3g}-{hi:.3g})" for lo, m, hi in zip(
        table[f"{c}_p2.5"], table[f"{c}_p50"], table[f"{c}_p97.5"])] for c in REPORTED})
    return Result(ds, {"summary": summary_table(ds), "treatments": table},
                  headline + f" x {cfg.n_draws} parameter draws",
                  f"In each parameter draw (population fractions and medians), median (95% interval) over "
                  f"{cfg.n_draws} parameter draws:\n" + shown.to_string(index=False))


EXPERIMENT = Experiment(
    name="alcohol", schema=AlcoholStudy, run=run, figure=figure,
    reads=("cohort", "grid.dt_h", "pd.gaba", "pd.withdrawal", "pd.ethanol"),
    tiny=("n_subjects=16", "grid.dt_h=1.0", "study.drinking_days=5", "study.days_after=2",
          "study.grams_per_day=[0,200]", "study.trigger_ciwa=[8]", "study.fixed_mg_per_day=[40,30]",
          "study.max_doses=6", "study.check_every_h=2"),
    question="After chronic drinking and a stop, how likely are withdrawal and seizures, and how do a fixed and a "
             "symptom-triggered benzodiazepine schedule compare (total dose, oversedation, cross-tolerance)?",
    draws=True)
