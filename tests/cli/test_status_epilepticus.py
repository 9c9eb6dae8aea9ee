"""The status_epilepticus experiment end to end at tiny size: on-line onset and duration against the
saved occupancy time course, dose ordering, and its own bad overrides (files, metadata and the
analysis script: the contract tests over the registry)."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.experiments.status_epilepticus import parse_arms
from popsim.run import configure

NAME = "status_epilepticus"


def test_dimensions(study):
    _, ds = study
    assert ds.sizes == {"regimen": 3, "threshold": 2, "subject": 24, "time": 6 * 60 + 1}
    assert ds["onset_min"].dims == ("threshold", "regimen", "subject")
    assert ds["occupancy"].dims == ("regimen", "time", "subject")
    assert ds.sel(drug="lorazepam", route="iv", dose_mg=4.0)["onset_min"].shape == (2, 24)
    assert ds["dose_mg"].attrs["units"] == "mg"  # a single dose here, not the registry's daily dose


def test_iv_lorazepam_redistributes_before_its_terminal_phase(study):
    # Three compartments from the tissue model: after an iv bolus the plasma level falls fast over the first
    # hour (distribution, t1/2 about 0.9 h in the reference man; Nielsen-Kudsk 1983 fitted 0.31 h, G40),
    # then slowly (terminal t1/2 14 h): from 5 to 60 min it loses more than from 60 min to 6 h.
    _, ds = study
    c = ds["plasma_conc"].sel(drug="lorazepam", route="iv", dose_mg=4.0).median("subject")
    at = {m: float(c.sel(time=m)) for m in (5.0, 60.0, 360.0)}
    assert at[60.0] / at[5.0] < at[360.0] / at[60.0] < 1.0
    assert at[60.0] / at[5.0] < 0.75
    assert ds["plasma_conc"].attrs["units"] == "ng mL-1"


def test_arms_are_parsed_once_into_drug_and_route_groups():
    assert parse_arms(["lorazepam_iv_2", "midazolam_im_10", "lorazepam_iv_4"]) == [
        ("lorazepam", "iv", [2.0, 4.0]), ("midazolam", "im", [10.0])]


def test_online_onset_and_duration_match_the_saved_time_course(study):
    # Two code paths: the on-line threshold summary in the time loop and the saved trajectory.  On the
    # grid both see the same left-limit values, so they agree exactly (1 min grid); the summary window
    # is [0, horizon), without the last grid point.
    _, ds = study
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
    onset = ds["onset_min"].values
    np.testing.assert_array_equal(onset[np.isfinite(onset)] % 1.0, 0.0)  # whole minutes


def test_a_larger_dose_acts_sooner_and_longer_in_the_same_subjects(study):
    _, ds = study
    lo = ds.sel(drug="lorazepam", route="iv", dose_mg=2.0)
    hi = ds.sel(drug="lorazepam", route="iv", dose_mg=4.0)
    both = np.isfinite(lo["onset_min"].values)
    assert both.any()
    assert (hi["onset_min"].values[both] <= lo["onset_min"].values[both]).all()
    assert (hi["duration_h"].values >= lo["duration_h"].values).all()
    assert (hi["reached"].values >= lo["reached"].values).all()


@pytest.mark.parametrize("override, message", [
    ("study.arms=[midazolam_rectal_10]", "study.arms\\[0\\] route='rectal'; allowed: \\['buccal', 'im', 'intranasal', "
                                         "'iv', 'oral'\\]"),
    ("study.arms=[diazepam_iv_10,lorazepan_iv_4]", "study.arms\\[1\\] drug='lorazepan'; allowed: .*did you mean "
                                                   "'lorazepam'"),
    ("study.arms=[lorazepam_iv_-4]", "study.arms\\[0\\] dose_mg=-4.0; allowed"),
    ("study.arms=[lorazepam_iv]", "study.arms\\[0\\]='lorazepam_iv'; allowed: '<drug>_<route>_<dose mg>'"),
    ("study.arms=[lorazepam_iv_four]", "study.arms\\[0\\]='lorazepam_iv_four': dose 'four' is not a number"),
    ("study.thresholds=[1.5]", "study.thresholds\\[0\\]=1.5; allowed"),
    ("study.thresholds=[0.5,0.3]", "study.thresholds=\\[0.5, 0.3\\]; allowed: a non-empty increasing list"),
])
def test_bad_overrides_are_refused_before_compute(override, message):
    with pytest.raises(Exception, match=message):
        configure([f"+experiment={NAME}", override])
