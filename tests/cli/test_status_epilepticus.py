"""The status_epilepticus experiment end to end at tiny size: Dataset contract, on-line onset and
duration against the saved occupancy time course, dose ordering, and bad overrides."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.run import configure

TINY = ["+experiment=status_epilepticus", "n_subjects=24", "save_subjects=0", "status_epilepticus.hours=6",
        "status_epilepticus.arms=[lorazepam_iv_2,lorazepam_iv_4,midazolam_intranasal_5]",
        "status_epilepticus.thresholds=[0.1,0.3]", "status_epilepticus.protect_h=2"]


@pytest.fixture(scope="module")
def se(run_study):
    return run_study(TINY)


def test_outputs_and_dataset_contract(se, outputs_ok):
    files, ds = se
    outputs_ok(files, ds)
    assert ds.sizes == {"regimen": 3, "threshold": 2, "subject": 24, "time": 6 * 60 + 1}
    assert ds["onset_min"].dims == ("threshold", "regimen", "subject")
    assert ds["occupancy"].dims == ("regimen", "time", "subject")
    assert ds.sel(drug="lorazepam", route="iv", dose_mg=4.0)["onset_min"].shape == (2, 24)


def test_online_onset_and_duration_match_the_saved_time_course(se):
    # Two code paths: the on-line threshold summary in the time loop and the saved trajectory.  On the
    # grid both see the same left-limit values, so they agree exactly (1 min grid); the summary window
    # is [0, horizon), without the last grid point.
    _, ds = se
    occ = ds["occupancy"].values[:, :-1]  # (regimen, time, subject)
    t = ds["time"].values[:-1]
    for k, thr in enumerate(ds["threshold"].values):
        above = occ > thr
        duration = above.sum(axis=1) / 60.0
        first = np.where(above.any(axis=1), t[np.argmax(above, axis=1)], np.nan)
        np.testing.assert_allclose(ds["duration_h"].values[k], duration, rtol=1e-6)
        np.testing.assert_allclose(ds["onset_min"].values[k], first, rtol=1e-12)
        np.testing.assert_array_equal(ds["reached"].values[k], above.any(axis=1))
    # peak occupancy from the on-line maximum equals the trajectory's maximum
    np.testing.assert_allclose(ds["occupancy_a1_peak"].values, occ.max(axis=1), rtol=1e-6)
    np.testing.assert_allclose(ds["peak_time_min"].values, t[occ.argmax(axis=1)], rtol=1e-9)
    np.testing.assert_array_equal(ds["onset_min"].values[np.isfinite(ds["onset_min"].values)] % 1.0, 0.0)  # whole minutes


def test_a_larger_dose_acts_sooner_and_longer_in_the_same_subjects(se):
    _, ds = se
    lo = ds.sel(drug="lorazepam", route="iv", dose_mg=2.0)
    hi = ds.sel(drug="lorazepam", route="iv", dose_mg=4.0)
    both = np.isfinite(lo["onset_min"].values)
    assert both.any()
    assert (hi["onset_min"].values[both] <= lo["onset_min"].values[both]).all()
    assert (hi["duration_h"].values >= lo["duration_h"].values).all()
    assert (hi["reached"].values >= lo["reached"].values).all()


def test_bad_overrides_are_refused_before_compute():
    with pytest.raises(Exception, match="arms\\[0\\] route='buccal'; allowed: \\['im', 'intranasal', 'iv', 'oral'\\]"):
        configure(TINY[:1] + ["status_epilepticus.arms=[midazolam_buccal_10]"])
    with pytest.raises(Exception, match="arms\\[1\\] drug='lorazepan'; allowed: .*did you mean 'lorazepam'"):
        configure(TINY[:1] + ["status_epilepticus.arms=[diazepam_iv_10,lorazepan_iv_4]"])
    with pytest.raises(Exception, match="status_epilepticus.thresholds\\[0\\]=1.5; allowed"):
        configure(TINY[:1] + ["status_epilepticus.thresholds=[1.5]"])
    with pytest.raises(Exception, match="status_epilepticus.arms\\[0\\] dose_mg=-4.0; allowed"):
        configure(TINY[:1] + ["status_epilepticus.arms=[lorazepam_iv_-4]"])


def test_the_analysis_script_reads_the_run(se, analyse):
    assert 'onset_min(>0.3)' in analyse("status_epilepticus", se[0])
