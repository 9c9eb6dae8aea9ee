"""The alcohol experiment end to end at tiny size: the symptom-triggered rule, cross-tolerance,
treatment effect, and its own bad overrides (files, metadata and the analysis script: the contract
tests over the registry)."""

from __future__ import annotations

import numpy as np

from popsim.experiments.alcohol import EXPERIMENT
from popsim.run import configure

NAME = "alcohol"


def test_dimensions_and_horizon(study):
    _, ds = study
    assert ds.sizes["regimen"] == 2 * 3 and ds.sizes["subject"] == 16
    assert ds["ciwa_ar_quantiles"].dims == ("regimen", "quantile", "time")
    assert ds.attrs["ethanol_vmax_ratio"] == 2.0  # the experiment's chronic-drinker setting
    # the horizon is drinking_days + days_after (grid.days is not read); the course starts a day before the stop
    np.testing.assert_allclose(ds["time"].values[[0, -1]], [-24.0, 48.0])


def test_symptom_triggered_rule(study):
    _, ds = study
    trig = ds.sel(treatment="triggered")
    doses, last = trig["triggered_doses"].values, trig["last_triggered_dose_h"].values
    np.testing.assert_array_equal(trig["benzodiazepine_mg"].values, doses * 20.0)
    assert doses.max() <= 6 and (doses == np.round(doses)).all()
    # abstainers have no withdrawal, so the rule never fires
    np.testing.assert_array_equal(trig.sel(grams_per_day=0.0)["triggered_doses"], 0.0)
    fired = np.isfinite(last)
    assert fired.any()
    # checks at treatment_start_h (2 h after the stop) and every 2 h after
    np.testing.assert_allclose((last[fired] - 2.0) % 2.0, 0.0, atol=1e-4)
    # those dosed were in withdrawal: their CIWA-Ar reached the trigger, 8 (peak after the stop at least 8)
    assert (trig["ciwa_ar_peak"].values[doses > 0] >= 8.0 * (1 - 1e-6)).all()
    np.testing.assert_array_equal(ds.sel(treatment="fixed")["benzodiazepine_mg"], 70.0)


def test_cross_tolerance_and_treatment(study):
    _, ds = study
    fixed = ds.sel(treatment="fixed", trigger_ciwa=0.0)
    # the same subjects on the same diazepam doses, once ethanol is gone: the same occupancy over a
    # higher adapted (alpha1) level, so every drinker is sedated less (cross-tolerance)
    drinkers, abstainers = fixed.sel(grams_per_day=200.0), fixed.sel(grams_per_day=0.0)
    d, a = drinkers["sedation_peak_sober"].values, abstainers["sedation_peak_sober"].values
    assert np.isfinite(a).all() and np.isfinite(d).sum() >= 12
    assert (d[np.isfinite(d)] < a[np.isfinite(d)]).all()
    # the benzodiazepine covers the glutamatergic excess: no drinker's withdrawal is worse with it
    peak = ds["ciwa_ar_peak"].sel(grams_per_day=200.0)
    assert (peak.sel(treatment="fixed").values <= peak.sel(treatment="none").values + 1e-4).all()
    assert float(peak.sel(treatment="none").mean()) > float(peak.sel(treatment="fixed").mean())
    p = ds["p_seizure_after_stop"].sel(grams_per_day=200.0)
    assert (p.sel(treatment="fixed").values <= p.sel(treatment="none").values + 1e-6).all()
    np.testing.assert_array_equal(ds["ciwa_ar_peak"].sel(grams_per_day=0.0), 0.0)


def test_bad_overrides_are_refused_before_compute(refused):
    refused(["study.drug=zolpidem"], "study.drug='zolpidem'; allowed: \\[.*'diazepam'")
    # lorazepam's oral lag (16 min) must fit in a grid step for the triggered dose to arrive within it
    configure([f"+experiment={NAME}", *EXPERIMENT.tiny, "study.drug=lorazepam"])
    refused(["study.drug=lorazepam", "grid.dt_h=0.25", "study.check_every_h=1"],
            "study.drug='lorazepam': its oral lag time 0.267 h is not shorter than grid.dt_h=0.25")
    refused(["study.trigger_ciwa=[70]"], "study.trigger_ciwa\\[0\\]=70.0; allowed")
    refused(["study.check_every_h=1.5"], "study.check_every_h=1.5; allowed: a multiple of grid.dt_h=1.0")
    refused(["study.drinking_hours=[10.5]"],
            "study.drinking_hours\\[0\\]=10.5; allowed: a clock hour in \\[0, 24\\) on the grid")
    refused(["pd.ethanol_vmax_ratio=0"], "pd.ethanol_vmax_ratio=0.0; allowed")
    # the horizon comes from drinking_days + days_after: grid.days is not a key of this experiment
    refused(["grid.days=3"], "grid.days: the alcohol experiment does not read this key")


def test_a_grid_off_the_six_hourly_schedule_is_refused(refused):
    # the fixed schedule doses every 6 h: a 4 h grid would have moved its doses silently
    refused(["grid.dt_h=4"], r"grid.dt_h=4.0: the fixed schedule doses every 6 h; allowed: a step dividing 6 h")


def test_parameter_draws(tiny):
    import pandas as pd

    files, ds = tiny(NAME, "n_draws=3")
    assert ds["p_ciwa_19_after_stop"].dims == ("regimen", "draw", "subject") and ds["age"].dims == ("subject",)
    assert ds["ciwa_ar_quantiles"].dims == ("regimen", "draw", "quantile", "time")
    assert "pd_ethanol_ec50" in ds and "pd_fall_beta" not in ds  # the constants it reads, drawn
    # the treatments table: each number taken in each draw (population fraction or median over subjects),
    # then its median and 95% over draws
    table = pd.read_csv(files["treatments"])
    for _, row in table.iterrows():
        sel = ds.sel(grams_per_day=row["grams_per_day"], treatment=row["treatment"],
                     trigger_ciwa=row["trigger_ciwa"]).squeeze()
        per_draw = {"p_ciwa_19_after_stop": sel["p_ciwa_19_after_stop"].values.mean(-1),
                    "p_seizure_after_stop": sel["p_seizure_after_stop"].values.mean(-1),
                    "ciwa_ar_peak_p50": np.median(sel["ciwa_ar_peak"].values, -1),
                    "benzodiazepine_mg_p95": np.quantile(sel["benzodiazepine_mg"].values, 0.95, axis=-1),
                    "p_at_dose_cap": (sel["triggered_doses"].values >= 6).mean(-1)}
        for name, v in per_draw.items():
            np.testing.assert_allclose([row[f"{name}_p2.5"], row[f"{name}_p50"], row[f"{name}_p97.5"]],
                                       np.quantile(v, [0.025, 0.5, 0.975]), rtol=1e-12, atol=1e-15, err_msg=name)
    # blood ethanol is pharmacokinetic (the drink ceiling reads it, not the PD): the same in every draw
    np.testing.assert_array_equal(np.ptp(ds["ethanol_peak_last_day"].values, axis=1), 0.0)
    # on the last drinking day, untreated, net sedation max(E1 - TOL A1, 0) is ethanol's alone: of the drawn
    # constants only ethanol_ec50 (E1 falls as it rises), tolerance (TOL) and kadapt (A1 follows E1 faster) act
    # on it, each lowering it as it rises; where a pair of draws orders all three alike, sedation orders
    # the other way
    drinking = ds["time"].values < 0
    sed = ds["sedation_quantiles"].sel(grams_per_day=200.0, treatment="none", quantile=0.5).squeeze()
    mean_sed = sed.transpose("draw", "time").values[:, drinking].mean(-1)
    drawn = np.stack([ds[f"pd_{k}"].values for k in ("ethanol_ec50", "tolerance", "kadapt")])
    pairs = [(i, j) for i in range(3) for j in range(3) if np.all(drawn[:, j] > drawn[:, i])]
    assert pairs, drawn  # else the check would test nothing
    for i, j in pairs:
        assert mean_sed[j] < mean_sed[i], (i, j, mean_sed, drawn)
