"""Question 4 (opioid co-use): benzodiazepine x opioid dose surfaces and rescue with naloxone and flumazenil.

For each opioid (and naloxone route) one compiled program simulates, on a 1-min grid, a
benzodiazepine dose at t = 0 and an iv opioid dose later: every dose pair (the interaction surface),
then, at the largest benzodiazepine dose and the rescue opioid dose, naloxone by dose and delay,
flumazenil alone and flumazenil with the largest naloxone dose.  Per subject: ventilation nadir,
time below the hypoxaemia and apnoea thresholds, the synergy index against Bliss independence,
hypoxaemia (SpO2 below 90% at any time) and severe respiratory depression (an apnoea of at least 15 s),
both as Bailey 1990 defines them and the calibration counts them.  Subjects are the same people in every
regimen.  With parameter draws (``n_draws``) every per-subject output gains a ``draw`` axis; the surfaces
(population statistics per dose pair) and the rescue comparisons are taken in each draw and reported as their
median and central 95% over draws (:func:`surface_table`, :func:`rescue_table`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import choice, finite, unique
from popsim.arm import Arm
from popsim.config import Study
from popsim.dataset import register, regimen_dataset, with_draws
from popsim.experiments.base import Experiment, Result
from popsim.io import over_draws, summary_table
from popsim.plots import new_axes
from popsim.study import APNOEA_MIN_H, simulate_arm

__all__ = ["EXPERIMENT", "LEVELS", "OverdoseStudy", "figure", "plot_rescue", "plot_surface", "rescue_table", "run",
           "surface_cells", "surface_table"]

LEVELS = ["opioid_drug", "opioid_mg", "benzo_mg", "naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]
RESCUE = ["naloxone_route", "naloxone_mg", "flumazenil_mg", "rescue_delay_min"]
DT = 1 / 60  # h: the experiment's own 1-min grid (the grid group is not read)
OUTPUTS = ("ventilation_nadir", "time_hypoxaemia", "time_apnoea", "synergy_index", "occupancy_a1_peak")
# the library opioids with respiratory PD: published PKPD models for fentanyl, morphine and buprenorphine
# (literature.md C9, C5, C17); oxycodone derived from G85 (D) and methadone assumed (A), see their library entries
OPIOIDS = ("fentanyl", "morphine", "buprenorphine", "oxycodone", "methadone")
NALOXONE_ROUTES = ("iv", "im", "intranasal")
# the surfaces: (column, variable, statistic over subjects), one value per dose pair (and draw)
SURFACES = (("p_hypoxaemia", "hypoxaemia", "mean"),
            ("p_severe_respiratory_depression", "severe_respiratory_depression", "mean"),
            ("median_ventilation_nadir", "ventilation_nadir", "median"),
            ("median_synergy_index", "synergy_index", "median"))

register({
    "opioid_mg": ("mg", "opioid dose, iv"),
    "benzo_mg": ("mg", "benzodiazepine dose at t = 0 (route: the benzo_route attribute)"),
    "naloxone_mg": ("mg", "naloxone dose"),
    "flumazenil_mg": ("mg", "flumazenil dose, iv"),
    "rescue_delay_min": ("min", "time of the rescue after the opioid"),
    "severe_respiratory_depression": ("1", "apnoea of at least 15 s (ventilation below the apnoea threshold, as in "
                                           "Bailey 1990): 1 yes, 0 no"),
    "hypoxaemia": ("1", "SpO2 below 90% at any time over the horizon (Bailey 1990's hypoxaemia): 1 yes, 0 no"),
})


@dataclass
class OverdoseStudy(Study):
    """A benzodiazepine dose (``benzo_mg``, by ``benzo_route``) at t = 0 and an opioid of ``opioids`` iv at
    ``opioid_at_min``; every benzodiazepine x opioid dose pair (``opioid_mg``: doses per opioid) is
    simulated.  Rescue: at the largest benzodiazepine dose and ``rescue_opioid_mg`` of each opioid,
    naloxone by each route in ``naloxone_routes`` at each dose in ``naloxone_mg``, and flumazenil iv
    ``flumazenil_mg`` alone or with naloxone, each ``rescue_delays_min`` after the opioid.  Grid: 1 min
    for ``hours`` (the grid group is not read)."""

    benzodiazepine: str = "alprazolam"
    benzo_route: str = "oral"
    benzo_mg: list[float] = field(default_factory=lambda: [0.0, 1.0, 2.0, 4.0])
    opioids: list[str] = field(default_factory=lambda: ["fentanyl", "morphine", "buprenorphine"])
    opioid_mg: dict[str, list[float]] = field(default_factory=lambda: {
        "fentanyl": [0.0, 0.05, 0.1, 0.2, 0.4], "morphine": [0.0, 5.0, 10.0, 20.0, 40.0],
        "buprenorphine": [0.0, 0.15, 0.3, 0.6, 1.2], "oxycodone": [0.0, 5.0, 10.0, 20.0, 40.0],
        "methadone": [0.0, 5.0, 10.0, 20.0, 40.0]})
    opioid_at_min: float = 60.0
    rescue_opioid_mg: dict[str, float] = field(default_factory=lambda: {
        "fentanyl": 0.4, "morphine": 40.0, "buprenorphine": 1.2, "oxycodone": 40.0, "methadone": 40.0})
    naloxone_routes: list[str] = field(default_factory=lambda: ["iv", "im", "intranasal"])
    naloxone_mg: list[float] = field(default_factory=lambda: [0.4, 2.0, 4.0])
    flumazenil_mg: float = 0.5
    rescue_delays_min: list[float] = field(default_factory=lambda: [5.0, 15.0])
    hours: float = 4.0

    def check(self, cfg) -> None:
        from popsim.drugs.library import load, names

        choice("study.benzodiazepine", self.benzodiazepine, names())
        kind = load(self.benzodiazepine).kind
        if kind not in ("benzodiazepine", "z_drug"):
            raise ValueError(f"study.benzodiazepine={self.benzodiazepine!r} is a {kind}; "
                             "allowed: a benzodiazepine or Z-drug")
        choice("study.benzo_route", self.benzo_route, sorted(load(self.benzodiazepine).routes) + ["iv"])
        for key in ("opioids", "benzo_mg", "naloxone_routes", "naloxone_mg", "rescue_delays_min"):
            unique(f"study.{key}", getattr(self, key))
        for i, name in enumerate(self.opioids):
            choice(f"study.opioids[{i}]", name, OPIOIDS)
            if name not in self.opioid_mg:
                raise ValueError(f"study.opioid_mg: no doses for {name!r}")
            unique(f"study.opioid_mg.{name}", self.opioid_mg[name])
            for k, x in enumerate(self.opioid_mg[name]):
                finite(f"study.opioid_mg.{name}[{k}]", x, low=0, high=1000)
            if name not in self.rescue_opioid_mg:
                raise ValueError(f"study.rescue_opioid_mg: no dose for {name!r}")
            finite(f"study.rescue_opioid_mg.{name}", self.rescue_opioid_mg[name], low=0, low_open=True, high=1000)
            if self.rescue_opioid_mg[name] not in self.opioid_mg[name]:  # the rescues are compared with its grid cell
                raise ValueError(f"study.rescue_opioid_mg.{name}={self.rescue_opioid_mg[name]!r}; allowed: one of "
                                 f"study.opioid_mg.{name} {list(self.opioid_mg[name])}")
        for i, x in enumerate(self.benzo_mg):
            finite(f"study.benzo_mg[{i}]", x, low=0, high=1000)
        for i, r in enumerate(self.naloxone_routes):
            choice(f"study.naloxone_routes[{i}]", r, NALOXONE_ROUTES)
        for i, x in enumerate(self.naloxone_mg):
            finite(f"study.naloxone_mg[{i}]", x, low=0, low_open=True, high=20)
        finite("study.flumazenil_mg", self.flumazenil_mg, low=0, high=5)
        finite("study.hours", self.hours, low=0.5, high=48)
        times = {"opioid_at_min": self.opioid_at_min} | {f"rescue_delays_min[{i}]": v
                                                          for i, v in enumerate(self.rescue_delays_min)}
        for key, value in times.items():
            finite(f"study.{key}", value, low=0, high=self.hours * 60 - 1)
            if value != round(value):
                raise ValueError(f"study.{key}={value!r}; allowed: whole minutes")
        last = self.opioid_at_min + max(self.rescue_delays_min)
        if last > self.hours * 60 - 1:
            raise ValueError(f"study: opioid_at_min + max(rescue_delays_min) = {last:g} min; allowed: within the "
                             f"horizon hours x 60 - 1 = {self.hours * 60 - 1:g} min")


def regimens(s: OverdoseStudy, opioid: str, route: str, first_route: bool):
    """Labels (:data:`LEVELS`) and (regimen, time, 4) inputs: benzodiazepine, opioid, naloxone, flumazenil.
    The dose surface and flumazenil regimens belong to the first naloxone route only."""
    n = round(s.hours * 60) + 1
    t_op = round(s.opioid_at_min)
    rows = []
    if first_route:
        rows += [(b, x, 0.0, 0.0, 0.0) for b in s.benzo_mg for x in s.opioid_mg[opioid]]
    top = max(s.benzo_mg)
    for delay in s.rescue_delays_min:
        rows += [(top, s.rescue_opioid_mg[opioid], nal, 0.0, delay) for nal in s.naloxone_mg]
        if first_route and s.flumazenil_mg > 0:
            rows += [(top, s.rescue_opioid_mg[opioid], 0.0, s.flumazenil_mg, delay),
                     (top, s.rescue_opioid_mg[opioid], max(s.naloxone_mg), s.flumazenil_mg, delay)]
    U = np.zeros((len(rows), n, 4))
    labels = []
    for k, (b, x, nal, flu, delay) in enumerate(rows):
        U[k, 0, 0], U[k, t_op, 1] = b, x
        U[k, t_op + round(delay), 2] += nal
        U[k, t_op + round(delay), 3] += flu
        labels.append((opioid, x, b, route if nal > 0 else "none", nal, flu, delay if nal + flu > 0 else 0.0))
    return labels, U


def run(cfg, *, dtype, progress=None) -> Result:
    """Dataset over regimen (MultiIndex :data:`LEVELS`) x [draw x] subject; with ``n_draws``, the surfaces and the
    rescue comparisons over draws as tables (:func:`surface_table`, :func:`rescue_table`)."""
    s = cfg.study
    values = EXPERIMENT.pd_values(cfg)
    labels, parts = [], []
    for opioid in s.opioids:
        for j, route in enumerate(s.naloxone_routes):
            lab, U = regimens(s, opioid, route, j == 0)
            arm = Arm(s.benzodiazepine, s.benzo_route, cfg.cohort, DT, U.shape[1],
                      others=((opioid, "iv"), ("naloxone", route), ("flumazenil", "iv")))
            parts.append(simulate_arm(arm, U, seed=cfg.seed, n_subjects=cfg.n_subjects, values=values,
                                      chunk_size=cfg.chunk_size, dtype=dtype,
                                      progress=progress and progress(f"{opioid}/{route}")))
            labels += lab
    out = {name: np.concatenate([p.values[name] for p in parts]) for name in OUTPUTS}
    out["severe_respiratory_depression"] = (out["time_apnoea"] >= APNOEA_MIN_H).astype(float)
    out["hypoxaemia"] = (out["time_hypoxaemia"] > 0).astype(float)
    ds = regimen_dataset(labels, LEVELS, out, covariates=parts[-1].covariates)
    ds.attrs.update({"benzodiazepine": s.benzodiazepine, "benzo_route": s.benzo_route,
                     "opioid_at_min": s.opioid_at_min, "cohort": cfg.cohort.name})
    tables = {"summary": summary_table(ds)}
    titles = (("hypoxaemia", "P(hypoxaemia: SpO2 < 90%)"), ("severe_respiratory_depression", "P(apnoea >= 15 s)"))
    if cfg.n_draws:
        ds = with_draws(ds, values, EXPERIMENT.drawn(cfg))
        tables |= {"surface": surface_table(ds), "rescue": rescue_table(ds)}
        report = "\n".join(f"{title} by opioid dose (rows) and benzodiazepine dose (columns), median (95% interval) "
                           f"over {cfg.n_draws} parameter draws:\n" + surface_cells(tables["surface"], f"p_{name}")
                           for name, title in titles)
    else:
        grid = ds.where(_no_rescue(ds), drop=True)
        report = "\n".join(f"{title} by opioid dose (rows) and benzodiazepine dose (columns):\n"
                           + grid[name].mean("subject").to_series().unstack("benzo_mg").droplevel(RESCUE).round(3)
                           .to_string() for name, title in titles)
    return Result(ds, tables,
                  f"{s.benzodiazepine} ({s.benzo_route}) x {list(s.opioids)} in {cfg.cohort.name}, "
                  f"{ds.sizes['regimen']} regimens x {cfg.n_subjects} subjects"
                  + (f" x {cfg.n_draws} parameter draws" if cfg.n_draws else ""), report)


def _opioids(ds: xr.Dataset) -> list[str]:
    return list(dict.fromkeys(ds.indexes["regimen"].get_level_values("opioid_drug")))


def _no_rescue(ds: xr.Dataset) -> xr.DataArray:
    return (ds["naloxone_mg"] == 0) & (ds["flumazenil_mg"] == 0)


def _over_draws(da: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray | None, xr.DataArray | None]:
    """``(median, p2.5, p97.5)`` of ``da`` over ``draw`` (:func:`popsim.io.over_draws`), each without the draw
    dimension; ``(da, None, None)`` without draws."""
    if "draw" not in da.dims:
        return da, None, None
    lo, mid, hi = over_draws("x", da.transpose(..., "draw").values).values()
    like = da.isel(draw=0, drop=True)
    return like.copy(data=mid), like.copy(data=lo), like.copy(data=hi)


def _by_draw(ds: xr.Dataset, columns: dict) -> pd.DataFrame:
    """One row per regimen: each of ``columns`` (name -> DataArray over regimen x draw) as its median and central
    95% over draws (``<name>_p2.5``, ``_p50``, ``_p97.5``)."""
    out = ds.indexes["regimen"].to_frame(index=False)
    for name, da in columns.items():
        out = out.assign(**{k: v for k, v in over_draws(name, da.transpose("regimen", "draw").values).items()})
    return out


def surface_table(ds: xr.Dataset) -> pd.DataFrame:
    """The dose surfaces of a run with parameter draws: one row per opioid x opioid dose x benzodiazepine dose (no
    rescue), each of :data:`SURFACES` (the population's P(hypoxaemia), P(apnoea >= 15 s), median ventilation nadir
    and median synergy index) taken in each draw, as its median and central 95% over draws."""
    grid = ds.where(_no_rescue(ds), drop=True)
    table = _by_draw(grid, {col: getattr(grid[name], stat)("subject") for col, name, stat in SURFACES})
    return table.drop(columns=RESCUE)


def rescue_table(ds: xr.Dataset) -> pd.DataFrame:
    """The rescues of a run with parameter draws: one row per rescue regimen, the population's median time with
    hypoxaemia (min) and P(hypoxaemia), and the change of that median time from no rescue at the same doses
    (rescue minus none, min), each taken in each draw, as its median and central 95% over draws."""
    none = _no_rescue(ds)
    minutes = ds["time_hypoxaemia"].median("subject") * 60.0
    p = ds["hypoxaemia"].mean("subject")
    levels = ["opioid_drug", "opioid_mg", "benzo_mg"]
    base = minutes.where(none, drop=True).to_series().droplevel(RESCUE).unstack("draw")
    rescued = minutes.where(~none, drop=True)
    key = pd.MultiIndex.from_arrays([rescued.indexes["regimen"].get_level_values(k) for k in levels])
    change = rescued.copy(data=rescued.transpose("regimen", "draw").values - base.loc[key].to_numpy())
    return _by_draw(rescued, {"median_time_hypoxaemia_min": rescued, "p_hypoxaemia": p.where(~none, drop=True),
                              "change_median_time_hypoxaemia_min": change})


def surface_cells(table: pd.DataFrame, column: str) -> str:
    """``column`` of :func:`surface_table` by opioid dose (rows) and benzodiazepine dose (columns), each cell
    "median (p2.5-p97.5)"."""
    cells = [f"{m:.3g} ({lo:.3g}-{hi:.3g})" for lo, m, hi in
             zip(table[f"{column}_p2.5"], table[f"{column}_p50"], table[f"{column}_p97.5"])]
    return table.assign(cell=cells).pivot(index=["opioid_drug", "opioid_mg"], columns="benzo_mg",
                                          values="cell").to_string()


def _draws_title(ds: xr.Dataset, what: str) -> str:
    return what.format(k=ds.sizes["draw"]) if "draw" in ds.dims else ""


def plot_surface(ds: xr.Dataset, *, opioid: str | None = None, ax=None):
    """P(hypoxaemia: SpO2 < 90%) over the benzodiazepine x opioid dose grid of ``opioid`` (default: the
    first), with P(apnoea >= 15 s) and the median synergy index in each cell; with parameter draws, each the
    median over draws (P(SpO2 < 90%) with its central 95% over draws in brackets)."""
    ax = ax or new_axes()
    op = opioid or _opioids(ds)[0]
    sel = _no_rescue(ds) & (ds["opioid_drug"] == op)
    drop = ["opioid_drug"] + RESCUE

    def cells(da):
        return da.where(sel, drop=True).to_series().droplevel(drop).unstack("benzo_mg")

    p, p_lo, p_hi = (x if x is None else cells(x) for x in _over_draws(ds["hypoxaemia"].mean("subject")))
    apnoea = cells(_over_draws(ds["severe_respiratory_depression"].mean("subject"))[0])
    si = cells(_over_draws(ds["synergy_index"].median("subject"))[0])
    im = ax.imshow(p.values, origin="lower", vmin=0, vmax=1, cmap="Reds", aspect="auto")
    for (r, c), v in np.ndenumerate(p.values):
        interval = "" if p_lo is None else f" ({p_lo.values[r, c]:.2f}-{p_hi.values[r, c]:.2f})"
        ax.text(c, r, f"{v:.2f}{interval}\napn {apnoea.values[r, c]:.2f}\nSI {si.values[r, c]:.2f}", ha="center",
                va="center", fontsize=6)
    ax.set_xticks(range(p.shape[1]), [f"{x:g}" for x in p.columns])
    ax.set_yticks(range(p.shape[0]), [f"{x:g}" for x in p.index])
    ax.set_xlabel(f"{ds.attrs.get('benzodiazepine', 'benzodiazepine')} dose (mg, {ds.attrs.get('benzo_route', '')})")
    ax.set_ylabel(f"{op} dose (mg iv)")
    ax.set_title(textwrap.fill(f"P(SpO2 < 90%) (colour), P(apnoea >= 15 s) (apn) and median synergy index (SI), "
                               f"{op}" + _draws_title(ds, "; median over {k} parameter draws (brackets: 95% over {k} "
                                                          "parameter draws)"), 44), fontsize=9)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, label="P(SpO2 < 90%)")
    return ax


def plot_rescue(ds: xr.Dataset, *, opioid: str | None = None, ax=None):
    """Median time with hypoxaemia after rescue of ``opioid`` (default: the first) by naloxone route, dose
    and delay, and with flumazenil, at the largest doses; dotted: no rescue at the same doses.  With parameter
    draws, the median over draws with error bars (band for no rescue) of their central 95%."""
    ax = ax or new_axes()
    op = opioid or _opioids(ds)[0]
    no_rescue = _no_rescue(ds)
    rescue = (ds["opioid_drug"] == op) & ~no_rescue
    hypox, lo, hi = _over_draws(ds["time_hypoxaemia"].median("subject") * 60.0)

    def series(da):
        return da.where(rescue, drop=True).to_series().droplevel(["opioid_drug", "opioid_mg", "benzo_mg"])

    s = series(hypox)
    labels = [f"{rt} nal {nm:g} mg" + (f" + flu {fm:g}" if fm else "") if nm else f"flumazenil {fm:g} mg"
              for rt, nm, fm, _ in s.index]
    delays = sorted(set(s.index.get_level_values("rescue_delay_min")))
    keys = list(dict.fromkeys(labels))

    def per_key(values, d):
        return np.array([values[[lab == key and i[3] == d for lab, i in zip(labels, s.index)]].mean() for key in keys])

    for k, d in enumerate(delays):
        vals = per_key(s, d)
        err = None if lo is None else np.stack([vals - per_key(series(lo), d), per_key(series(hi), d) - vals])
        ax.barh(np.arange(len(keys)) + k * 0.8 / len(delays), vals, 0.8 / len(delays), xerr=err, capsize=2,
                label=f"{d:g} min after the opioid")
    rescued = ds.where(rescue, drop=True)
    same = no_rescue & (ds["opioid_drug"] == op) & (ds["benzo_mg"] == float(rescued["benzo_mg"][0])) \
        & (ds["opioid_mg"] == float(rescued["opioid_mg"][0]))
    ax.axvline(float(hypox.where(same, drop=True).squeeze()), color="k", ls=":", label="no rescue (same doses)")
    if lo is not None:
        ax.axvspan(float(lo.where(same, drop=True).squeeze()), float(hi.where(same, drop=True).squeeze()),
                   color="0.5", alpha=0.15, lw=0)
    ax.set_yticks(np.arange(len(keys)) + 0.4 * (len(delays) - 1) / len(delays), keys, fontsize=7)
    ax.set_xlabel("median time with hypoxaemia (min)")
    ax.set_title(textwrap.fill(f"Rescue at the largest doses, {op}"
                               + _draws_title(ds, "; median and 95% over {k} parameter draws"), 40),
                 fontsize=10)
    ax.legend(fontsize=7)
    return ax


def figure(ds: xr.Dataset):
    """One column per opioid: the dose surface (top) and the rescue (bottom)."""
    import matplotlib.pyplot as plt

    opioids = _opioids(ds)
    fig, axes = plt.subplots(2, len(opioids), figsize=(4.6 * len(opioids), 8.5), squeeze=False)
    for j, op in enumerate(opioids):
        plot_surface(ds, opioid=op, ax=axes[0, j])
        plot_rescue(ds, opioid=op, ax=axes[1, j])
    fig.tight_layout()
    return fig


EXPERIMENT = Experiment(
    name="overdose", schema=OverdoseStudy, run=run, figure=figure, reads=("cohort", "pd.gaba", "pd.ventilation"),
    tiny=("n_subjects=32", "study.hours=2", "study.opioid_at_min=30", "study.opioids=[fentanyl]",
          "study.opioid_mg.fentanyl=[0,0.2,0.4]", "study.rescue_opioid_mg.fentanyl=0.4", "study.benzo_mg=[0,4]",
          "study.naloxone_routes=[iv]", "study.naloxone_mg=[2]", "study.rescue_delays_min=[5]"),
    question="How much more does a benzodiazepine with an opioid depress breathing than either alone, at which "
             "doses, and what do naloxone (by route, dose and delay) and flumazenil achieve?",
    draws=True)
