"""The alcohol experiment end to end at tiny size: Dataset contract, the symptom-triggered rule,
cross-tolerance, treatment effect, and bad overrides."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.run import configure

TINY = ["+experiment=alcohol", "n_subjects=16", "save_subjects=0", "grid.dt_h=1.0", "alcohol.drinking_days=5",
        "alcohol.days_after=2", "alcohol.grams_per_day=[0,200]", "alcohol.trigger_drive=[0.05]",
        "alcohol.fixed_mg_per_day=[40,30]", "alcohol.max_doses=6", "alcohol.check_every_h=2"]


@pytest.fixture(scope="module")
def alc(run_study):
    return run_study(TINY)


def test_outputs_and_dataset_contract(alc, outputs_ok):
    files, ds = alc
    outputs_ok(files, ds)
    assert ds.sizes["regimen"] == 2 * 3 and ds.sizes["subject"] == 16
    assert ds["withdrawal_drive_a2_quantiles"].dims == ("regimen", "quantile", "time")
    assert ds.attrs["ethanol_vmax_ratio"] == 2.0  # the experiment's chronic-drinker setting
    np.testing.assert_allclose(ds["time"].values[[0, -1]], [-24.0, 48.0])


def test_symptom_triggered_rule(alc):
    _, ds = alc
    trig = ds.sel(treatment="triggered")
    doses, last = trig["triggered_doses"].values, trig["last_triggered_dose_h"].values
    np.testing.assert_array_equal(trig["benzodiazepine_mg"].values, doses * 20.0)
    assert doses.max() <= 6 and (doses == np.round(doses)).all()
    # abstainers never have a withdrawal drive, so the rule never fires
    np.testing.assert_array_equal(trig.sel(grams_per_day=0.0)["triggered_doses"], 0.0)
    fired = np.isfinite(last)
    assert fired.any()
    # checks at treatment_start_h (2 h after the stop) and every 2 h after
    np.testing.assert_allclose((last[fired] - 2.0) % 2.0, 0.0, atol=1e-4)
    # those dosed were in withdrawal: the drive crossed 0.05 (drive peak after the stop above it)
    assert (trig["withdrawal_drive_peak"].values[doses > 0] > 0.05).all()
    np.testing.assert_array_equal(ds.sel(treatment="fixed")["benzodiazepine_mg"], 70.0)


def test_cross_tolerance_and_treatment(alc):
    _, ds = alc
    fixed = ds.sel(treatment="fixed", trigger_drive=0.0)
    # the same subjects on the same diazepam doses, once ethanol is gone: the same occupancy over a
    # higher adapted level, so every drinker is sedated less (cross-tolerance)
    drinkers, abstainers = fixed.sel(grams_per_day=200.0), fixed.sel(grams_per_day=0.0)
    assert (drinkers["adaptation_at_stop"] > 0).all()
    d, a = drinkers["sedation_peak_sober"].values, abstainers["sedation_peak_sober"].values
    assert np.isfinite(a).all() and np.isfinite(d).sum() >= 12
    assert (d[np.isfinite(d)] < a[np.isfinite(d)]).all()
    p = ds["p_withdrawal_after_stop"].sel(grams_per_day=200.0)
    assert (p.sel(treatment="fixed").values <= p.sel(treatment="none").values + 1e-6).all()
    assert float(p.sel(treatment="none").mean()) > 0
    np.testing.assert_array_equal(ds["p_withdrawal_after_stop"].sel(grams_per_day=0.0), 0.0)


def test_bad_overrides_are_refused_before_compute():
    with pytest.raises(Exception, match="alcohol.drug='zolpidem'; allowed: \\[.*'diazepam'"):
        configure(TINY + ["alcohol.drug=zolpidem"])
    # lorazepam's oral lag (16 min) must fit in a grid step for the triggered dose to arrive within it
    configure(TINY + ["alcohol.drug=lorazepam"])
    with pytest.raises(Exception, match="alcohol.drug='lorazepam': its oral lag time 0.267 h is not shorter than "
                                        "grid.dt_h=0.25"):
        configure(TINY + ["alcohol.drug=lorazepam", "grid.dt_h=0.25", "alcohol.check_every_h=1"])
    with pytest.raises(Exception, match="alcohol.trigger_drive\\[0\\]=1.5; allowed"):
        configure(TINY + ["alcohol.trigger_drive=[1.5]"])
    with pytest.raises(Exception, match="alcohol.check_every_h=1.5; allowed: a multiple of grid.dt_h=1.0"):
        configure(TINY + ["alcohol.check_every_h=1.5"])
    with pytest.raises(Exception, match="pd.ethanol_vmax_ratio=0.0; allowed"):
        configure(TINY + ["pd.ethanol_vmax_ratio=0"])


def test_the_analysis_script_reads_the_run(alc, analyse):
    assert 'P(withdrawal)' in analyse("alcohol", alc[0])
