"""Calibration report of the risk scores: each published target, the simulated value with its
Monte Carlo interval, whether it falls in the published interval, and whether it was fitted.

Targets are rows of a CSV (popsim's own is :data:`TARGETS`, ``study.targets=default``;
``study.ids`` selects some of its rows; columns :data:`COLUMNS`); ``use`` is ``fit`` for the targets a constant of
:data:`popsim.pd.constants.PD` was fitted to (named in ``fits``) and
``check`` for those only predicted.  Each ``statistic`` is computed by one of
three scenarios (all :class:`popsim.arm.Arm` of physiological subjects with the
on-line :class:`popsim.pd.risk.Risk` model):

* ``bailey``: healthy young volunteers (70 kg doses), midazolam 0.05 mg/kg iv
  and fentanyl 2 ug/kg iv alone and together (Bailey 1990, C39), on a 1-min
  grid for 3 h; hypoxaemia = any time with SpO2 < 90%, apnoea = at
  least 15 s below ``apnoea_ve``; a fourth arm adds flumazenil 0.5 mg iv at
  10 min (Gross 1996: flumazenil restores ventilation to the opioid-alone
  level, compared at 30 min);
* ``falls``: older adults (``elderly`` preset) taking usual geriatric doses
  (:data:`FALL_REGIMENS`, a popsim assumption; all >= 5 mg/day diazepam
  equivalents) or twice those doses for 180 days vs the same subjects
  untreated (paired); rate ratios are ratios of mean expected falls
  in a window (days 0-14, 14-28, 28-180), odds ratios compare the
  probability of a fall in days 28-180 (prevalent use);
* ``withdrawal``: adults on diazepam 15 mg/day or alprazolam 0.75 mg/day
  (equivalent doses) for 12 weeks, then stopped abruptly or tapered by 25% of
  the dose a week (Schweizer 1990), followed 6 weeks after the last dose;
  alprazolam 5 mg/day for 12 weeks stopped by 0.5 mg every 3 days (label,
  E31) for seizures.  Withdrawal timing is the median over subjects of the
  time of the largest withdrawal drive (hence hazard) in the 14 days after
  an abrupt stop.

The Monte Carlo interval is the 95% percentile bootstrap over subjects.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr

from popsim.arm import Arm, ArmOutput, run_arm
from popsim.dataset import annotate, register
from popsim.experiments.base import Experiment, Result, TableStudy
from popsim.pd.parameters import RUNTIME, check_values
from popsim.pk.grid import Window
from popsim.plots import new_axes, side_by_side
from popsim.regimen import daily_schedule
from popsim.study import APNOEA_MIN_H

__all__ = ["COLUMNS", "CalibrationStudy", "EXPERIMENT", "FALL_REGIMENS", "TARGETS", "figure", "plot_calibration",
           "read_targets", "report", "run", "scenario_statistics", "to_dataset"]

TARGETS = Path(__file__).resolve().parent / "data" / "calibration_targets.csv"  # popsim's own targets
COLUMNS = ("id", "row", "outcome", "statistic", "published", "lo", "hi", "use", "fits", "note")

# Usual geriatric doses (mg per day, clock hours): a popsim assumption (label starting doses for older
# adults, recalled), with the long-acting (t1/2 > 24 h) flag used by the long/short strata.
FALL_REGIMENS = {
    "diazepam": (5.0, (20.0,), True), "clonazepam": (0.5, (20.0,), True),
    "alprazolam": (0.75, (8.0, 14.0, 20.0), False), "lorazepam": (1.0, (8.0, 20.0), False),
    "oxazepam": (30.0, (8.0, 14.0, 20.0), False), "temazepam": (10.0, (22.0,), False),
}
BOOTSTRAP = 200


def read_targets(path: str | Path = TARGETS) -> pd.DataFrame:
    """The target table, validated (columns, use, fitted constants)."""
    t = pd.read_csv(path, dtype={"fits": str, "note": str}, keep_default_na=False, na_values={"published": [""],
                                                                                             "lo": [""], "hi": [""]})
    missing = [c for c in COLUMNS if c not in t.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected {list(COLUMNS)}")
    for i, r in t.iterrows():
        if r["use"] not in ("fit", "check"):
            raise ValueError(f"{path} row {i + 2}: use={r['use']!r}; allowed: 'fit', 'check'")
        if r["use"] == "fit" and r["fits"] not in RUNTIME:
            raise ValueError(f"{path} row {i + 2}: fits={r['fits']!r}; allowed: {sorted(RUNTIME)}")
        if r["statistic"] not in STATISTICS:
            raise ValueError(f"{path} row {i + 2}: statistic={r['statistic']!r}; allowed: {sorted(STATISTICS)}")
    return t


@dataclasses.dataclass(frozen=True)
class _Sim:
    """Simulates an arm (with PD) for every scenario: the same subjects (seed), size and PD constants."""

    seed: int
    n_subjects: int
    dtype: object
    values: Mapping[str, float]
    chunk_size: int = 8192
    progress: Callable | None = None

    def __call__(self, arm: Arm, U: np.ndarray, windows: Mapping[str, Window], label: str) -> ArmOutput:
        return run_arm(arm, U, seed=self.seed, n_subjects=self.n_subjects, windows=windows, values=self.values,
                       chunk_size=self.chunk_size, dtype=self.dtype, progress=self.progress and self.progress(label),
                       summarised=("withdrawal_drive_a2",))  # pd_tmax below; the rest at window ends


def _end(r: ArmOutput, window: str, signal: str, stat: str = "pd_end") -> np.ndarray:
    """(regimen, subject) value of a PD signal at the end of a window (or ``stat`` over it), as float64."""
    return r.stat(stat, window, signal).astype(float)


def _bailey(sim: _Sim) -> dict[str, np.ndarray]:
    dt, n = 1 / 60, 181
    U = np.zeros((4, n, 3))
    U[[0, 2, 3], 1, 0] = 0.05 * 70  # midazolam
    U[[1, 2, 3], 1, 1] = 2e-3 * 70  # fentanyl
    U[3, 11, 2] = 0.5  # flumazenil 0.5 mg at 10 min
    arm = Arm("midazolam", "iv", "healthy_young", dt, n, others=(("fentanyl", "iv"), ("flumazenil", "iv")))
    r = sim(arm, U, {"horizon": Window(0, n - 1), "to_30_min": Window(0, 31)}, "bailey")
    hyp, apn = _end(r, "horizon", "time_hypoxaemia"), _end(r, "horizon", "time_apnoea")
    ve30 = _end(r, "to_30_min", "ventilation")  # at 30 min after the doses
    return {"hyp_mid": hyp[0] > 0, "hyp_fen": hyp[1] > 0, "hyp_both": hyp[2] > 0,
            "apn_fen": apn[1] >= APNOEA_MIN_H, "apn_both": apn[2] >= APNOEA_MIN_H,
            "ve30_fen": ve30[1], "ve30_flu": ve30[3]}


def _falls(sim: _Sim) -> dict[str, np.ndarray]:
    dt, days = 1.0, 180
    n = days * 24 + 1
    windows = {f"days_0_{d}": Window(0, d * 24) for d in (14, 28, days)}
    out = {}
    for drug, (mg, hours, _) in FALL_REGIMENS.items():
        U = np.stack([np.zeros(n)] + [daily_schedule(n, dt, [k * mg] * days, hours) for k in (1, 2)])[..., None]
        r = sim(Arm(drug, "oral", "elderly", dt, n), U, windows, f"falls {drug}")
        h = np.stack([_end(r, w, "falls_expected") for w in windows])  # (window, regimen, subject)
        for k, arm in enumerate(("none", "use", "double")):
            out[f"{drug}.{arm}"] = h[:, k].T  # (subject, window)
    return out


def _taper(days_on: int, mg: float, weeks: int, follow: int) -> list[float]:
    """``days_on`` at ``mg``, then ``weeks - 1`` weekly steps down by ``mg / weeks`` (a stop in week ``weeks``),
    then ``follow`` days off; ``weeks = 0``: an abrupt stop."""
    steps = [mg * (1 - k / weeks) for k in range(1, weeks)] if weeks else []
    return [mg] * days_on + [x for x in steps for _ in range(7)] + [0.0] * follow


def _withdrawal(sim: _Sim) -> dict[str, np.ndarray]:
    dt, on, follow = 1.0, 84, 42
    out = {}
    for drug, mg, hours in (("diazepam", 15.0, (8.0, 14.0, 20.0)), ("alprazolam", 0.75, (8.0, 14.0, 20.0))):
        plans = {"abrupt": _taper(on, mg, 0, 21 + follow), "taper": _taper(on, mg, 4, follow)}
        n = len(plans["taper"]) * 24 + 1
        U = np.stack([daily_schedule(n, dt, p, hours) for p in plans.values()])[..., None]
        stop = (on - 1) * 24 + round(hours[-1] / dt)  # the abrupt arm's last dose
        windows = {"to_stop": Window(0, stop), "horizon": Window(0, n - 1), "after_stop": Window(stop, stop + 14 * 24)}
        r = sim(Arm(drug, "oral", "adult", dt, n), U, windows, f"withdrawal {drug}")

        def hazard(window):  # cumulative hazards (regimen, subject)
            return -np.log1p(-np.minimum(_end(r, window, "p_withdrawal"), 1 - 1e-12))

        h0, h1 = hazard("to_stop"), hazard("horizon")
        for k, name in enumerate(plans):
            out[f"{drug}.{name}.h"] = h1[k] - h0[k]
        # time of the largest withdrawal drive (hence hazard) in the 14 days after an abrupt stop
        out[f"{drug}.abrupt.peak_h"] = _end(r, "after_stop", "withdrawal_drive_a2", "pd_tmax")[0] - stop * dt
    mg, n_days = 5.0, on + 30 + follow
    plan = [mg] * on + [mg - 0.5 * (1 + d // 3) for d in range(30)] + [0.0] * follow
    n = n_days * 24 + 1
    U = daily_schedule(n, dt, plan, (2.0, 8.0, 14.0, 20.0))[None, :, None]
    r = sim(Arm("alprazolam", "oral", "adult", dt, n), U, {"on_drug": Window(0, on * 24), "horizon": Window(0, n - 1)},
            "seizures alprazolam")
    s0, s1 = (-np.log1p(-np.minimum(_end(r, w, "p_seizure")[0], 1 - 1e-12)) for w in ("on_drug", "horizon"))
    out["alprazolam.seizure.h"] = s1 - s0
    return out


def _odds(p):
    return p / (1 - p)


def _fall_stats(d: dict[str, np.ndarray], drugs, arm: str = "use") -> dict[str, float]:
    none = np.concatenate([d[f"{x}.none"] for x in drugs])  # (subject, window) expected falls at 14, 28, 180 d
    use = np.concatenate([d[f"{x}.{arm}"] for x in drugs])

    def ratio(a, b):
        lower = (lambda h: h[:, a]) if a is not None else (lambda h: 0.0)
        return (use[:, b] - lower(use)).mean() / (none[:, b] - lower(none)).mean()

    def p_fall(h):
        return (-np.expm1(-(h[:, 2] - h[:, 1]))).mean()

    return {"irr_first_2_weeks": ratio(None, 0), "irr_weeks_3_4": ratio(0, 1), "irr_continued": ratio(1, 2),
            "or": _odds(p_fall(use)) / _odds(p_fall(none))}


def _p(h):
    return float((1 - np.exp(-h)).mean())


STATISTICS: dict[str, tuple[str, Callable[[dict], float]]] = {
    "p_hypoxaemia_fentanyl": ("bailey", lambda d: d["hyp_fen"].mean()),
    "p_hypoxaemia_both": ("bailey", lambda d: d["hyp_both"].mean()),
    "p_hypoxaemia_midazolam": ("bailey", lambda d: d["hyp_mid"].mean()),
    "p_apnoea_both": ("bailey", lambda d: d["apn_both"].mean()),
    "p_apnoea_fentanyl": ("bailey", lambda d: d["apn_fen"].mean()),
    "ventilation_flumazenil_vs_opioid": ("bailey", lambda d: d["ve30_flu"].mean() / d["ve30_fen"].mean()),
    "or_falls": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["or"]),
    "or_falls_long": ("falls", lambda d: _fall_stats(d, [x for x, v in FALL_REGIMENS.items() if v[2]])["or"]),
    "or_falls_short": ("falls", lambda d: _fall_stats(d, [x for x, v in FALL_REGIMENS.items() if not v[2]])["or"]),
    "irr_first_2_weeks": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["irr_first_2_weeks"]),
    "irr_weeks_3_4": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["irr_weeks_3_4"]),
    "irr_continued": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS)["irr_continued"]),
    "irr_continued_double_vs_usual": ("falls", lambda d: _fall_stats(d, FALL_REGIMENS, "double")["irr_continued"]
                                      / _fall_stats(d, FALL_REGIMENS)["irr_continued"]),
    "p_withdrawal_taper_long": ("withdrawal", lambda d: _p(d["diazepam.taper.h"])),
    "p_withdrawal_taper_short": ("withdrawal", lambda d: _p(d["alprazolam.taper.h"])),
    "or_success_abrupt": ("withdrawal", lambda d: _odds(1 - _p(np.concatenate(
        [d["diazepam.abrupt.h"], d["alprazolam.abrupt.h"]]))) / _odds(1 - _p(np.concatenate(
            [d["diazepam.taper.h"], d["alprazolam.taper.h"]])))),
    "p_seizure_alprazolam": ("withdrawal", lambda d: _p(d["alprazolam.seizure.h"])),
    "peak_withdrawal_alprazolam_h": ("withdrawal", lambda d: np.median(d["alprazolam.abrupt.peak_h"])),
    "peak_withdrawal_ratio_short_long": ("withdrawal", lambda d: np.median(d["alprazolam.abrupt.peak_h"])
                                         / np.median(d["diazepam.abrupt.peak_h"])),
}
SCENARIOS = {"bailey": _bailey, "falls": _falls, "withdrawal": _withdrawal}


def scenario_statistics(statistics, *, values: Mapping[str, float] | None = None, n_subjects: int = 500,
                        seed: int = 0, dtype=jnp.float32, bootstrap: int = BOOTSTRAP, chunk_size: int = 8192,
                        progress: Callable | None = None) -> pd.DataFrame:
    """Simulate the scenarios the ``statistics`` need; estimate and 95% bootstrap interval of each.
    ``progress(label)``: a progress callback ``(done, total)`` for each simulated arm."""
    sim = _Sim(seed, n_subjects, dtype, check_values(values), chunk_size, progress)
    needed = sorted({STATISTICS[s][0] for s in statistics})
    data = {name: SCENARIOS[name](sim) for name in needed}
    rng = np.random.default_rng(seed)
    rows = []
    for s in statistics:
        scen, f = STATISTICS[s]
        d = data[scen]
        boot = []
        for _ in range(bootstrap):
            idx = rng.integers(0, n_subjects, n_subjects)
            boot.append(f({k: v[idx] for k, v in d.items()}))
        lo, hi = np.nanpercentile(boot, [2.5, 97.5]) if bootstrap else (np.nan, np.nan)
        rows.append({"statistic": s, "simulated": float(f(d)), "mc_lo": float(lo), "mc_hi": float(hi)})
    return pd.DataFrame(rows)


def report(targets: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """Targets joined with the simulated statistics; ``in_interval`` where the published interval has a
    bound (a missing bound is open: ``lo`` alone means at least ``lo``)."""
    out = targets.merge(stats, on="statistic", how="left")
    has = out["lo"].notna() | out["hi"].notna()
    inside = (out["simulated"] >= out["lo"].fillna(-np.inf)) & (out["simulated"] <= out["hi"].fillna(np.inf))
    out["in_interval"] = np.where(has, inside, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio_to_published"] = out["simulated"] / out["published"]
    return out


STATISTIC_UNITS = {"peak_withdrawal_alprazolam_h": "h"}
_PER_TARGET = "units per target in the units_of_target coordinate (1 = probability or ratio, h = hours)"
VARIABLES = {
    "published": ("1", "published value"),
    "simulated": ("1", "simulated value"),
    "mc_lo": ("1", "simulated value, 2.5% bootstrap quantile over subjects"),
    "mc_hi": ("1", "simulated value, 97.5% bootstrap quantile over subjects"),
    "in_interval": ("1", "simulated value within the published interval (1 yes, 0 no, NaN no interval)"),
}
register(VARIABLES)
register({  # coordinates over target: the columns of the target table
    "target": ("1", "calibration target (its id in the target table)"),
    "row": ("1", "row of shared/science/literature.md the target comes from"),
    "outcome": ("1", "outcome the target measures"),
    "statistic": ("1", "simulated statistic compared with the target"),
    "fits": ("1", "the runtime PD constant fitted to the target (fitted targets)"),
    "note": ("1", "note on the target"),
    "units_of_target": ("1", "units of the target's values (1 = probability or ratio, h = hours)"),
})
# names whose meaning here is this Dataset's own
LOCAL = {"lo": ("1", "published interval, lower bound"), "hi": ("1", "published interval, upper bound")}


def to_dataset(table: pd.DataFrame, attrs: dict) -> xr.Dataset:
    """The report as a Dataset over ``target`` (statistics are probabilities or ratios, except onset times in h)."""
    units = [STATISTIC_UNITS.get(s, "1") for s in table["statistic"]]
    coords = {"target": table["id"].to_numpy()}
    for c in ("row", "outcome", "statistic", "use", "fits", "note"):
        coords[c] = ("target", table[c].astype(str).to_numpy())
    coords["units_of_target"] = ("target", np.asarray(units))
    ds = xr.Dataset(coords=coords, attrs=attrs)
    for name in ("published", "lo", "hi", "simulated", "mc_lo", "mc_hi", "in_interval"):
        ds[name] = ("target", table[name].to_numpy(float))
    ds = annotate(ds, **LOCAL)
    for name in ("published", "lo", "hi", "simulated", "mc_lo", "mc_hi"):
        ds[name].attrs["comment"] = _PER_TARGET
    return ds


@dataclass
class CalibrationStudy(TableStudy):
    """``targets``: the target table, a CSV (``default``: popsim's own, :data:`TARGETS`); ``ids``: only
    these targets (the ``id`` column; empty: every row).  The score constants are ``pd.<constant>``."""

    targets: str = "default"
    ids: list[str] = field(default_factory=list)

    TABLE = ("calibration", "targets", "ids", "id", TARGETS, read_targets)


def run(cfg, *, dtype, progress=None) -> Result:
    """Every target: the report table and the Dataset over ``target``."""
    s = cfg.study
    path, targets = s.rows()
    stats = scenario_statistics(list(dict.fromkeys(targets["statistic"])), values=cfg.pd, n_subjects=cfg.n_subjects,
                                seed=cfg.seed, dtype=dtype, chunk_size=cfg.chunk_size, progress=progress)
    table = report(targets, stats)
    cols = ["id", "row", "use", "published", "lo", "hi", "simulated", "mc_lo", "mc_hi", "in_interval"]
    lines = [table[cols].round(4).to_string(index=False)]
    for use in ("fit", "check"):
        part = table[(table["use"] == use) & table["in_interval"].notna()]
        lines.append(f"  {use:<5}: {int(part['in_interval'].sum())}/{len(part)} within the published interval")
    return Result(to_dataset(table, {"targets": str(path)}), {"report": table},
                  f"{len(table)} published targets, {cfg.n_subjects} subjects per scenario", "\n".join(lines))


def plot_calibration(ds: xr.Dataset, *, ax=None):
    """Simulated vs published per target: published interval (bar), published value (open circle),
    simulated value with its Monte Carlo interval (filled: fitted; open square: checked), each over
    the published value (over the upper bound of the interval where that is 0)."""
    from matplotlib.lines import Line2D

    n = ds.sizes["target"]
    ax = ax or new_axes((8, 0.35 * n + 1.5))
    pub, lo, hi = ds["published"].values, ds["lo"].values, ds["hi"].values
    sim, mc_lo, mc_hi = ds["simulated"].values, ds["mc_lo"].values, ds["mc_hi"].values
    use = ds["use"].values
    y = np.arange(n)[::-1]
    for i, yi in enumerate(y):
        scale = pub[i] if np.isfinite(pub[i]) and pub[i] > 0 else np.nan
        if not np.isfinite(scale):
            scale = hi[i] if np.isfinite(hi[i]) and hi[i] > 0 else 1.0
        if np.isfinite(lo[i]) and np.isfinite(hi[i]):
            ax.plot([lo[i] / scale, hi[i] / scale], [yi, yi], color="0.7", lw=6, solid_capstyle="butt")
        ax.plot(pub[i] / scale, yi, "o", mfc="none", mec="k")
        fitted = use[i] == "fit"
        ax.errorbar(sim[i] / scale, yi, xerr=[[max(sim[i] - mc_lo[i], 0) / scale], [max(mc_hi[i] - sim[i], 0) / scale]],
                    fmt="s", color="C3" if fitted else "C0", mfc="C3" if fitted else "none")
    ax.set_yticks(y, [f"{t} {s}" for t, s in zip(ds["target"].values, ds["statistic"].values)], fontsize=8)
    ax.axvline(1.0, color="0.5", ls=":")
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = sim / np.where(pub > 0, pub, hi)
    ax.set_xlim(-0.05, max(2.5, float(np.nanmax(relative)) + 0.1))
    ax.set_xlabel("value / published value (published 0: / upper bound of its interval)")
    ax.legend(handles=[Line2D([], [], color="0.7", lw=6, label="published interval"),
                       Line2D([], [], marker="o", mfc="none", mec="k", ls="", label="published value"),
                       Line2D([], [], marker="s", color="C3", ls="", label="simulated, fitted (95% MC)"),
                       Line2D([], [], marker="s", mfc="none", color="C0", ls="", label="simulated, checked")],
              fontsize=8, loc="lower right")
    ax.set_title("popsim risk scores against published targets", fontsize=11)
    return ax


def figure(ds: xr.Dataset):
    """Every target against its published value."""
    return side_by_side(ds, (plot_calibration,), panel=(8.0, 0.35 * ds.sizes["target"] + 1.5))


EXPERIMENT = Experiment(
    name="calibration", schema=CalibrationStudy, run=run, figure=figure,
    reads=("pd.gaba", "pd.falls", "pd.withdrawal", "pd.ventilation"),
    tiny=("n_subjects=64", "study.ids=[R1,R2,R3,R4,R5,R6]"),  # the respiratory targets (one scenario)
    question="Do the risk scores (falls, respiratory depression, withdrawal) reproduce the published targets, "
             "both those they were fitted to and those only checked?")
