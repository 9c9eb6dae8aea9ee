"""Qualification: simulate published studies row by row and compare with what they observed.

A *plan* is a CSV with one row per published observation (columns in
:data:`COLUMNS`; ``use`` marks rows that informed a parameter choice, ``fit``,
apart from rows only predicted, ``check``); popsim's own is :data:`PLAN`
(``study.plan=default``; ``study.studies`` selects some of its studies).  Each
row becomes one or two *arms* (:class:`popsim.arm.Arm`, PK only, physiological
subjects) on a 0.25 h grid:

* a row with a ``perpetrator``: the same cohort with and without the
  perpetrator's doses (common random numbers: the same people);
* a row with a ``control_population``: the two cohorts on the same regimen;
* otherwise the population alone (absolute endpoints).

Per subject: AUC from the first victim dose to infinity (exact AUC on the
grid plus the log-linear tail ``C_last / lambda_z``), Cmax, terminal
half-life ``ln2 / lambda_z`` from the last two grid points, apparent
clearance ``dose / AUC`` (also per kg of body weight) and Vss.  A ratio endpoint is the ratio of the arms'
geometric means, with a 90% bootstrap interval over subjects (Monte Carlo
uncertainty; subjects are resampled together when both arms are the same
people); an absolute endpoint is the geometric mean.

Endpoints are those of the drug (the parent); with a perpetrator the lowest
activity of each inhibited enzyme is kept per subject (``cyp3a4_liver_min``,
``cyp3a4_gut_min``, ``cyp2c19_liver_min``) for :func:`static_auc_ratio`.

Verdicts: within 2-fold (``0.5 <= predicted/observed <= 2``) and, for
interaction ratios, within the Guest limits (Guest EI et al. Drug Metab Dispos
2011;39:170: limit ``(1 + 2 (R - 1)) / R`` with ``R`` the observed ratio or its
inverse).  Population names are cohort presets, optionally with overrides:
``elderly[p_male=1]``, ``healthy_young[cyp2c19_ancestry=custom,cyp2c19=0|0.25|0.41|0.29|0.05]`` (a list
joined by ``|``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr

from popsim._validate import closest
from popsim.arm import Arm, run_arm
from popsim.cohort.presets import preset, preset_names
from popsim.dataset import annotate, register
from popsim.drugs.library import load, names
from popsim.experiments.base import Experiment, Result, TableStudy
from popsim.pk.grid import Window
from popsim.plots import new_axes, side_by_side
from popsim.regimen import fixed_interval

__all__ = ["COLUMNS", "ENDPOINTS", "EXPERIMENT", "PLAN", "QualifyStudy", "figure", "guest_limit",
           "plot_predicted_vs_observed", "qualify", "read_plan", "run", "static_auc_ratio", "summarise", "to_dataset"]

PLAN = Path(__file__).resolve().parent / "data" / "qualify_plan.csv"  # popsim's own plan (built by
# experiments/qualify/build_plan.py)
COLUMNS = ("study", "reference", "drug", "route", "dose_mg", "interval_h", "n_doses", "population", "perpetrator",
           "perpetrator_route", "perpetrator_dose_mg", "perpetrator_interval_h", "perpetrator_n_doses",
           "victim_start_h", "endpoint", "observed", "control_population")
OPTIONAL = ("use", "source", "note")
ENDPOINTS = {
    "auc_ratio": "ratio", "cmax_ratio": "ratio", "half_life_ratio": "ratio", "clearance_ratio": "ratio",
    "clearance_per_kg_ratio": "ratio",
    "vss_ratio": "ratio", "half_life_h": "h", "clearance_l_h": "L/h", "vss_l": "L", "auc_ng_h_ml": "ng h/mL",
    "cmax_ng_ml": "ng/mL",
}
DT_H = 0.25  # with a perpetrator, enzyme activity is averaged over 1 h parameter segments (popsim.arm.Arm)


def _population(text: str, row: int) -> tuple[str, dict]:
    m = re.fullmatch(r"([a-z0-9_]+)(?:\[(.*)\])?", str(text).strip())
    if not m:
        raise ValueError(f"plan row {row}: population={text!r}; allowed: a preset name, optionally name[key=value,...]")
    if m[1] not in preset_names():
        raise ValueError(f"plan row {row}: population={m[1]!r} is not a cohort preset; known: {list(preset_names())}"
                         + closest(m[1], preset_names()))
    over = {}
    for item in filter(None, (m[2] or "").split(",")):
        key, _, value = item.partition("=")
        over[key.strip()] = _override(value.strip())
    return m[1], over


def _override(text: str):
    """A population override value: true/false, a number, numbers joined by ``|`` (a list), or a name."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return [float(v) for v in text.split("|")] if "|" in text else float(text)
    except ValueError:
        return text


def cohort_of(text: str, row: int = 0):
    name, over = _population(text, row)
    return preset(name, **over)


def read_plan(path: str | Path) -> pd.DataFrame:
    """Read and check a plan; errors name the row, the column, the value and what is allowed."""
    plan = pd.read_csv(path, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in plan.columns]
    if missing:
        raise ValueError(f"plan {path}: missing columns {missing}; a plan has {list(COLUMNS)}")
    unknown = [c for c in plan.columns if c not in COLUMNS + OPTIONAL]
    if unknown:
        raise ValueError(f"plan {path}: unknown columns {unknown}" + closest(unknown[0], COLUMNS + OPTIONAL))
    if "use" not in plan:
        plan["use"] = "check"
    known = names()
    for i, r in plan.iterrows():
        row = i + 2  # the CSV line
        for col in ("drug",) + (("perpetrator",) if r["perpetrator"] else ()):
            if r[col] not in known:
                raise ValueError(f"plan row {row}: {col}={r[col]!r} is not in the drug library"
                                 + closest(r[col], known))
        if r["route"] not in load(r["drug"]).routes:
            raise ValueError(f"plan row {row}: route={r['route']!r}; {r['drug']} has {sorted(load(r['drug']).routes)}")
        if r["perpetrator"]:
            perp = load(r["perpetrator"])
            if perp.inhibition is None:
                raise ValueError(f"plan row {row}: perpetrator={r['perpetrator']!r} has no CYP3A4/CYP2C19 "
                                 "inhibition or induction in the library")
            if (r["perpetrator_route"] or "oral") not in perp.routes:
                raise ValueError(f"plan row {row}: perpetrator_route={r['perpetrator_route']!r}; "
                                 f"{r['perpetrator']} has {sorted(perp.routes)}")
        if r["endpoint"] not in ENDPOINTS:
            raise ValueError(f"plan row {row}: endpoint={r['endpoint']!r}; allowed: {list(ENDPOINTS)}"
                             + closest(r["endpoint"], ENDPOINTS))
        for col in ("dose_mg", "interval_h", "n_doses", "victim_start_h", "observed"):
            try:
                v = float(r[col])
            except ValueError:
                raise ValueError(f"plan row {row}: {col}={r[col]!r}; allowed: a number") from None
            if not math.isfinite(v) or v < 0 or (v == 0 and col in ("dose_mg", "interval_h", "n_doses", "observed")):
                raise ValueError(f"plan row {row}: {col}={r[col]!r}; allowed: a finite number > 0 (>= 0 for "
                                 "victim_start_h)")
        for col in ("n_doses",) + (("perpetrator_n_doses",) if r["perpetrator"] else ()):
            if str(r[col]).strip() and float(r[col]) != int(float(r[col])):
                raise ValueError(f"plan row {row}: {col}={r[col]!r}; allowed: a whole number >= 1")
        if not r["perpetrator"]:
            stray = [c for c in COLUMNS if c.startswith("perpetrator_") and str(r[c]).strip()]
            if stray:
                raise ValueError(f"plan row {row}: {stray} given without a perpetrator")
        for col in ("victim_start_h", "interval_h") + (("perpetrator_interval_h",) if r["perpetrator"] else ()):
            steps = float(r[col]) / DT_H
            if abs(steps - round(steps)) > 1e-9:
                raise ValueError(f"plan row {row}: {col}={r[col]!r}; allowed: a multiple of the {DT_H} h grid")
        ratio = ENDPOINTS[r["endpoint"]] == "ratio"
        if ratio and not (r["perpetrator"] or r["control_population"]):
            raise ValueError(f"plan row {row}: endpoint {r['endpoint']} needs a perpetrator or a control_population")
        if r["perpetrator"] and r["control_population"]:
            raise ValueError(f"plan row {row}: give a perpetrator or a control_population, not both")
        if r["perpetrator"]:
            for col in ("perpetrator_dose_mg", "perpetrator_interval_h", "perpetrator_n_doses"):
                try:
                    text = str(r[col]).split(";") if col == "perpetrator_dose_mg" else [r[col]]
                    values = [float(v) for v in text]
                    ok = all(v > 0 and math.isfinite(v) for v in values)
                except ValueError:
                    ok = False
                if not ok:
                    raise ValueError(f"plan row {row}: {col}={r[col]!r}; allowed: a number > 0"
                                     + (" (or one per dose, joined by ';')" if col == "perpetrator_dose_mg" else ""))
            amounts = str(r["perpetrator_dose_mg"]).split(";")
            if len(amounts) > 1 and len(amounts) != int(float(r["perpetrator_n_doses"])):
                raise ValueError(f"plan row {row}: perpetrator_dose_mg has {len(amounts)} amounts but "
                                 f"perpetrator_n_doses={r['perpetrator_n_doses']!r}")
        if r["use"] not in ("fit", "check"):
            raise ValueError(f"plan row {row}: use={r['use']!r}; allowed: 'fit', 'check'")
        for col in ("population", "control_population"):
            if r[col] and cohort_of(r[col], row).p_perpetrator > 0 and not r["perpetrator"]:
                raise ValueError(f"plan row {row}: {col}={r[col]!r} takes a perpetrator (p_perpetrator > 0) but the "
                                 "row names none")
    return plan


@dataclasses.dataclass(frozen=True)
class _Arm:
    drug: str
    route: str
    dose_mg: float
    interval_h: float
    n_doses: int
    start_h: float
    population: str
    perpetrator: str = ""
    perpetrator_route: str = ""
    perpetrator_dose_mg: tuple[float, ...] = ()  # one amount per dose
    perpetrator_interval_h: float = 24.0


def _half_life(drug: str) -> float:
    d = load(drug)
    return math.log(2) * d.vss.value / d.cl.value


def _simulate_arm(arm: _Arm, n_subjects: int, seed: int, dtype, chunk_size: int = 8192) -> dict[str, np.ndarray]:
    """Per-subject AUC(0-inf) (mg h/L), Cmax (mg/L), half-life (h), dose/AUC (L/h), Vss (L)."""
    last = arm.start_h + (arm.n_doses - 1) * arm.interval_h
    tail = max(24.0, 10 * _half_life(arm.drug))
    # Horizons in powers of two days, and windows from t = 0 (nothing of the victim is in the body
    # before its first dose): arms differing only in timing share one compiled program.
    days = 2 ** math.ceil(math.log2(max((last + tail) / 24.0, 1.0)))
    n_steps = round(days * 24 / DT_H) + 1
    windows = {"horizon": Window(0, n_steps - 1), "to_last_step_but_one": Window(0, n_steps - 2)}
    cohort = cohort_of(arm.population)
    if arm.perpetrator:
        cohort = dataclasses.replace(cohort, p_perpetrator=1.0)  # every subject of the arm takes it
    a = Arm(arm.drug, arm.route, cohort, DT_H, n_steps, perpetrator=arm.perpetrator or None,
            perpetrator_route=arm.perpetrator_route or "oral", pd=False)
    U = fixed_interval(n_steps, DT_H, arm.dose_mg, arm.interval_h, arm.start_h, n_doses=arm.n_doses)[None, :, None]
    doses = np.zeros(n_steps)
    every = round(arm.perpetrator_interval_h / DT_H)
    for k, amount in enumerate(arm.perpetrator_dose_mg):
        if k * every < n_steps:
            doses[k * every] += amount
    r = run_arm(a, U, seed=seed, n_subjects=n_subjects, windows=windows,
                perpetrator_doses=doses if arm.perpetrator else None, chunk_size=chunk_size, dtype=dtype)
    c1 = r.stat("c_end", "horizon", "central")[0].astype(float)  # the last grid point
    c2 = r.stat("c_end", "to_last_step_but_one", "central")[0].astype(float)  # the one before
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.log(c2 / c1) / DT_H  # NaN where the victim has gone below the float range
    # The extrapolated tail C_last / lambda_z, or nothing where nothing is left to extrapolate.
    tail_auc = np.where((c1 > 0) & (lam > 0), c1 / np.where(lam > 0, lam, 1.0), 0.0)
    auc = r.stat("auc", "horizon", "central")[0] + tail_auc
    p = r.params
    vss = sum(p[v][0] for v in ("V1", "V2", "V3") if v in p)
    out = {"auc": auc, "cmax": r.stat("cmax", "horizon", "central")[0], "half_life": np.log(2) / lam,
           "clearance": arm.n_doses * arm.dose_mg / auc, "vss": vss}
    covariates = r.covariates
    out["clearance_per_kg"] = out["clearance"] / covariates["weight_kg"]
    if arm.perpetrator:
        out |= {k: p[k][0] for k in ("cyp3a4_liver_min", "cyp3a4_gut_min", "cyp2c19_liver_min")}
    return out


def static_auc_ratio(drug: str, route: str, liver: np.ndarray, gut: np.ndarray,
                     liver_cyp2c19: np.ndarray | float = 1.0) -> float:
    """Mechanistic static AUC ratio (Fahmi et al. Drug Metab Dispos 2008;36:1698 form) at the lowest
    activities the dynamic model reached in each subject (geometric mean over subjects): a cross-check only.

    ``1 / (A_3A4 fm_3A4 + A_2C19 fm_2C19 + 1 - fm_3A4 - fm_2C19)`` with ``fm`` each enzyme's share of
    clearance in a normal metaboliser, times ``1 / (A_g (1 - FG) + FG)`` for oral dosing.
    """
    d = load(drug)

    def fm(enzyme):
        return (1 - d.fe.value) * (d.pathways[enzyme].value if enzyme in d.pathways else 0.0)

    ratio = 1 / (liver * fm("cyp3a4") + liver_cyp2c19 * fm("cyp2c19") + 1 - fm("cyp3a4") - fm("cyp2c19"))
    if route == "oral" and d.routes["oral"].fg is not None:
        fg = d.routes["oral"].fg.value
        ratio = ratio / (gut * (1 - fg) + fg)
    return float(np.exp(np.mean(np.log(ratio))))


def _gmean_ratio(a: np.ndarray, b: np.ndarray | None, rng: np.random.Generator, *, paired: bool
                 ) -> tuple[float, float, float]:
    """Geometric-mean ratio a/b (or geometric mean of a) with a 90% bootstrap interval over subjects.

    ``paired``: a and b are the same subjects (with and without a perpetrator),
    so subjects are resampled together."""
    la = np.log(a)
    if b is None:
        lb, paired = np.zeros_like(la), True
    else:
        lb = np.log(b)
    est = la.mean() - lb.mean()
    if paired:
        d = la - lb
        boot = [rng.choice(d, d.size).mean() for _ in range(200)]
    else:
        boot = [rng.choice(la, la.size).mean() - rng.choice(lb, lb.size).mean() for _ in range(200)]
    lo, hi = np.percentile(boot, [5, 95])
    return float(np.exp(est)), float(np.exp(lo)), float(np.exp(hi))


def guest_limit(observed: float) -> float:
    """Guest 2011 acceptance factor for an observed interaction ratio (1 at no interaction, 2 at large ratios)."""
    R = observed if observed >= 1 else 1 / observed
    return (1 + 2 * (R - 1)) / R


def qualify(plan: pd.DataFrame, *, n_subjects: int = 200, seed: int = 0, dtype=jnp.float32, chunk_size: int = 8192,
            progress=None) -> pd.DataFrame:
    """Predict every plan row; returns the plan with ``predicted``, ``predicted_low/high`` (90% MC
    interval), ``fold`` (predicted / observed), ``within_2fold``, ``within_guest`` (interaction
    ratios only) and ``static_predicted`` (AUC interaction ratios: :func:`static_auc_ratio`).
    ``progress(done, total)``: called after each row."""
    cache: dict[_Arm, dict] = {}

    def arm(r, population, with_perpetrator: bool) -> dict:
        a = _Arm(r["drug"], r["route"], float(r["dose_mg"]), float(r["interval_h"]), int(float(r["n_doses"])),
                 float(r["victim_start_h"]), population)
        if r["perpetrator"]:
            n = int(float(r["perpetrator_n_doses"]))
            amounts = [float(v) for v in str(r["perpetrator_dose_mg"]).split(";")]
            amounts = amounts * n if len(amounts) == 1 else amounts
            a = dataclasses.replace(a, perpetrator=r["perpetrator"], perpetrator_route=r["perpetrator_route"] or "oral",
                                    perpetrator_dose_mg=tuple(amounts) if with_perpetrator else (),
                                    perpetrator_interval_h=float(r["perpetrator_interval_h"]))
        if a not in cache:
            cache[a] = _simulate_arm(a, n_subjects, seed, dtype, chunk_size)
        return cache[a]

    out = []
    for k, (_, r) in enumerate(plan.iterrows()):
        rng = np.random.default_rng([seed, k])  # each row's interval depends on that row only
        quantity = re.sub(r"_(ratio|h|l_h|l|ng_h_ml|ng_ml)$", "", r["endpoint"])
        test = arm(r, r["population"], True)[quantity]
        if r["perpetrator"]:
            ref = arm(r, r["population"], False)[quantity]
        elif r["control_population"]:
            ref = arm(r, r["control_population"], False)[quantity]
        else:
            ref = None
        scale = 1000.0 if r["endpoint"] in ("auc_ng_h_ml", "cmax_ng_ml") else 1.0
        est, lo, hi = _gmean_ratio(test * scale, ref, rng, paired=bool(r["perpetrator"]))
        obs = float(r["observed"])
        row = dict(r) | {"predicted": est, "predicted_low": lo, "predicted_high": hi, "fold": est / obs,
                         "within_2fold": 0.5 <= est / obs <= 2.0}
        interaction = bool(r["perpetrator"]) and r["endpoint"] in ("auc_ratio", "cmax_ratio")
        row["within_guest"] = (obs / guest_limit(obs) <= est <= obs * guest_limit(obs)) if interaction else None
        if r["perpetrator"] and r["endpoint"] == "auc_ratio":
            treated = arm(r, r["population"], True)
            row["static_predicted"] = static_auc_ratio(r["drug"], r["route"], treated["cyp3a4_liver_min"],
                                                       treated["cyp3a4_gut_min"], treated["cyp2c19_liver_min"])
        out.append(row)
        if progress:
            progress(k + 1, len(plan))
    return pd.DataFrame(out)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per use (fit/check) x kind (interaction / special population): n, fraction within 2-fold and Guest, GMFE."""
    res = results.assign(kind=np.where(results["perpetrator"] != "", "interaction", "special population"))
    rows = []
    for (use, kind), g in res.groupby(["use", "kind"]):
        guest = g["within_guest"].dropna()
        rows.append({"use": use, "kind": kind, "n": len(g),
                     "within_2fold": float(g["within_2fold"].mean()),
                     "within_guest": float(guest.astype(bool).mean()) if len(guest) else float("nan"),
                     "gmfe": float(10 ** np.mean(np.abs(np.log10(g["fold"]))))})
    return pd.DataFrame(rows)


# the Dataset's variables (over ``observation``): every one is a ratio, or in the endpoint's unit
# (the ``endpoint_units`` coordinate) for absolute endpoints
VARIABLES = {
    "observed": ("1", "observed value (ratio, or in the endpoint's unit)"),
    "predicted": ("1", "predicted value: geometric-mean ratio of the arms, or geometric mean"),
    "predicted_low": ("1", "5th percentile of the bootstrap distribution of the prediction (Monte Carlo)"),
    "predicted_high": ("1", "95th percentile of the bootstrap distribution of the prediction (Monte Carlo)"),
    "fold": ("1", "predicted / observed"),
    "within_2fold": ("1", "0.5 <= predicted/observed <= 2 (1 true, 0 false)"),
    "within_guest": ("1", "within the Guest 2011 limits (1 true, 0 false, NaN: not an interaction ratio)"),
    "static_predicted": ("1", "mechanistic static AUC ratio at the lowest enzyme activities reached (cross-check)"),
}
register(VARIABLES)
register({  # coordinates over observation: the columns of the plan
    "observation": ("1", "plan row (one published observation)"),
    "study": ("1", "published study arm of the plan row"),
    "reference": ("1", "reference of the study"),
    "population": ("1", "cohort preset of the arm"),
    "control_population": ("1", "cohort preset of the control arm (empty: the same subjects without the perpetrator)"),
    "endpoint": ("1", "endpoint compared (a ratio or an absolute value)"),
    "source": ("1", "source of the observation (shared/science/data or literature.md)"),
    "endpoint_units": ("1", "units of the endpoint (ratio: dimensionless)"),
})


def to_dataset(results: pd.DataFrame, attrs: dict) -> xr.Dataset:
    """Qualification results as a Dataset over ``observation`` (plan rows), text columns as coordinates.

    ``units`` of every variable is ``1`` for ratios; for absolute endpoints the
    unit is in the ``endpoint_units`` coordinate.
    """
    obs = np.arange(len(results))
    ds = xr.Dataset(coords={"observation": obs})
    for col in ("study", "reference", "drug", "route", "population", "control_population", "perpetrator", "endpoint",
                "use", "source"):
        if col in results:
            ds = ds.assign_coords({col: ("observation", results[col].astype(str).to_numpy())})
    ds = ds.assign_coords(endpoint_units=("observation", results["endpoint"].map(ENDPOINTS).to_numpy().astype(str)))
    for name in VARIABLES:
        values = results[name].astype(float).to_numpy() if name in results else np.full(len(results), np.nan)
        ds[name] = ("observation", values)
    # here "perpetrator" is the row's perpetrator drug, not the covariate of that name
    ds = annotate(ds, perpetrator=("1", "CYP3A4/CYP2C19 perpetrator of the plan row (library drug; empty: none)"))
    ds.attrs.update(attrs)
    return ds


@dataclass
class QualifyStudy(TableStudy):
    """``plan``: the qualification plan, a CSV (``default``: popsim's own, :data:`PLAN`); ``studies``:
    simulate only the rows of these studies (names in the plan's ``study`` column; empty: every row)."""

    plan: str = "default"
    studies: list[str] = field(default_factory=list)

    TABLE = ("qualify", "plan", "studies", "study", PLAN, read_plan)


def run(cfg, *, dtype, progress=None) -> Result:
    """Every row of the plan: the results table, its summary and the Dataset over ``observation``."""
    s = cfg.study
    path, plan = s.rows()
    results = qualify(plan, n_subjects=cfg.n_subjects, seed=cfg.seed, dtype=dtype, chunk_size=cfg.chunk_size,
                      progress=progress and progress("plan rows", "rows"))
    summary = summarise(results)
    return Result(to_dataset(results, {"plan": str(path)}), {"results": results, "summary": summary},
                  f"{len(plan)} published observations, {cfg.n_subjects} subjects per arm",
                  summary.round(3).to_string(index=False))


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


def figure(ds: xr.Dataset):
    """Predicted vs observed ratios."""
    return side_by_side(ds, (plot_predicted_vs_observed,), panel=(6.5, 6.5))


EXPERIMENT = Experiment(
    name="qualify", schema=QualifyStudy, run=run, figure=figure, reads=(),
    # three fitted rows (an interaction with a perpetrator's own kinetics, a gut-only interaction, a special
    # population) and checked ones
    tiny=("n_subjects=64", "study.studies=['Saari 2006 (iv with Perpetrator (Voriconazole))',"
          "'Shull 1976','MacGilchrist 1986','Kupferschmidt 1995']"),
    question="Does popsim reproduce published interaction and special-population studies, including those "
             "nothing was fitted to?")
