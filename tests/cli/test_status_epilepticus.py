"""The status_epilepticus experiment end to end at tiny size (placebo against its closed form, dose ordering, the
endpoints against the on-line score, the second dose), the trial report's plumbing on placebo arms, and its own
bad overrides (files, metadata and the analysis script: the contract tests over the registry)."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.experiments.seizure_trials import read_trials, report, se_parameters
from popsim.experiments.status_epilepticus import parse_arms
from popsim.pd.parameters import check_values
from popsim.run import configure

NAME = "status_epilepticus"
VALUES = check_values()


def test_dimensions_and_definitions(study):
    _, ds = study
    assert ds.sizes == {"regimen": 4, "subject": 24, "time": 2 * 60 + 1}
    assert ds["p_seizing"].dims == ("regimen", "time")
    assert ds["occupancy_a1_peak"].dims == ("regimen", "subject")
    for name in ("p_terminated", "median_time_to_stop_min", "p_not_seizing_at_assess", "p_not_seizing_redosed",
                 "p_recurrence_given_stopped"):
        assert "definition_" + name in ds.attrs and ds[name].attrs["long_name"] == ds.attrs["definition_" + name]


def test_placebo_is_the_closed_form(study):
    # No drug: both classes stop at k0 and recur at r, so P(first stop by t) = 1 - exp(-k0 t) and
    # P(seizing) = (r + k0 exp(-(k0 + r) t)) / (k0 + r), whatever the refractory fraction.
    _, ds = study
    k0, r = VALUES["se_k0"], VALUES["se_recurrence"]
    t = ds["time"].values / 60
    placebo = ds.sel(drug="lorazepam", route="iv", dose_mg=0.0)
    np.testing.assert_allclose(placebo["p_terminated"].values, -np.expm1(-k0 * t), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(placebo["p_seizing"].values, (r + k0 * np.exp(-(k0 + r) * t)) / (k0 + r), rtol=1e-9)
    median = 60 * np.log(2) / k0  # NaN beyond the 2-h follow-up
    np.testing.assert_allclose(float(placebo["median_time_to_stop_min"]), median if median <= 120 else np.nan,
                               atol=0.01, equal_nan=True)
    assert float(placebo["occupancy_a1_peak"].max()) == 0.0


def test_more_lorazepam_stops_more_and_faster(study):
    _, ds = study
    lo, hi = (ds.sel(drug="lorazepam", route="iv", dose_mg=x) for x in (2.0, 4.0))
    placebo = ds.sel(drug="lorazepam", route="iv", dose_mg=0.0)
    assert (hi["occupancy_a1_peak"].values > lo["occupancy_a1_peak"].values).all()  # the same subjects
    assert float(placebo["p_not_seizing_at_assess"]) < float(lo["p_not_seizing_at_assess"]) \
        < float(hi["p_not_seizing_at_assess"])
    # faster in the first minutes; later both have stopped the whole responsive class (se_kmax fitted large)
    assert (hi["p_terminated"].values[1:6] > lo["p_terminated"].values[1:6]).all()
    assert (hi["p_terminated"].values >= lo["p_terminated"].values - 1e-12).all()
    assert float(hi["median_time_to_stop_min"]) < float(lo["median_time_to_stop_min"])
    # recurrence needs the effect to wane: more drug, fewer recurrences among those stopped (not fewer than
    # placebo: the drug stops seizures earlier, so those stopped are longer at risk within the follow-up)
    assert float(hi["p_recurrence_given_stopped"]) < float(lo["p_recurrence_given_stopped"])


def test_endpoints_agree_with_the_online_score(study):
    # p_not_seizing_at_assess (endpoint function on the saved stimulus) is 1 - the on-line P(seizing) at t_assess
    _, ds = study
    at = ds["p_seizing"].sel(time=ds.attrs["t_assess_min"]).values
    np.testing.assert_allclose(ds["p_not_seizing_at_assess"].values, 1 - at, rtol=1e-9)


def test_a_second_dose_helps_only_with_a_drug(study):
    _, ds = study
    gain = ds["p_not_seizing_redosed"] - ds["p_not_seizing_at_assess"]
    assert float(gain.sel(drug="lorazepam", route="iv", dose_mg=0.0)) == pytest.approx(0.0, abs=1e-12)
    assert all(float(gain.sel(drug="lorazepam", route="iv", dose_mg=x)) > 0 for x in (2.0, 4.0))


def test_trial_report_on_placebo_arms_is_the_closed_form():
    # The placebo rows (Alldredge, not seizing at 30 min; nasal trial, seizure-free for 6 h from not seizing) with
    # zero stimulus: k0/(k0 + r)(1 - exp(-(k0 + r) T)) and exp(-r 6 h); the published proportion is n/N.
    trials = read_trials()
    rows = trials[trials["drug"] == "placebo"]
    assert list(rows["id"]) == ["SE1", "SE20"] and set(trials["use"]) == {"fit", "check"}
    sims = {"SE1": (np.zeros((3, 31)), None), "SE20": (np.zeros((3, 361)), None)}
    out = report(rows, sims, se_parameters(VALUES)).set_index("id")
    k0, r = VALUES["se_k0"], VALUES["se_recurrence"]
    # float32 chains (x64 off): 1e-5
    assert out.loc["SE1", "simulated"] == pytest.approx(k0 / (k0 + r) * -np.expm1(-(k0 + r) * 0.5), rel=1e-5)
    assert out.loc["SE20", "simulated"] == pytest.approx(np.exp(-r * 6.0), rel=1e-5)
    assert out.loc["SE1", "published"] == pytest.approx(15 / 71) and out.loc["SE1", "lo"] < 15 / 71 < \
        out.loc["SE1", "hi"]


def test_arms_are_parsed_once_into_drug_and_route_groups():
    assert parse_arms(["lorazepam_iv_2", "midazolam_im_10", "lorazepam_iv_4"]) == [
        ("lorazepam", "iv", [2.0, 4.0]), ("midazolam", "im", [10.0])]


@pytest.mark.parametrize("override, message", [
    ("study.arms=[diazepam_iv_10,lorazepan_iv_4]", "study.arms\\[1\\] drug='lorazepan'; allowed: .*did you mean "
                                                   "'lorazepam'"),
    ("study.arms=[lorazepam_iv_-4]", "study.arms\\[0\\] dose_mg=-4.0; allowed"),
    ("study.arms=[lorazepam_iv]", "study.arms\\[0\\]='lorazepam_iv'; allowed: '<drug>_<route>_<dose mg>'"),
    ("study.arms=[lorazepam_iv_four]", "study.arms\\[0\\]='lorazepam_iv_four': dose 'four' is not a number"),
    ("study.redose_min=40", "study.redose_min=40.0; allowed"),
    ("study.redose_min=4.5", "study.redose_min=4.5; allowed: whole minutes"),
    ("study.t_assess_min=0", "study.t_assess_min=0.0; allowed"),
])
def test_bad_overrides_are_refused_before_compute(override, message):
    with pytest.raises(Exception, match=message):
        configure([f"+experiment={NAME}", override])


def test_parameter_draws(tiny):
    import pandas as pd

    files, ds = tiny(NAME, "n_draws=3")
    assert ds["occupancy_a1_peak"].dims == ("regimen", "draw", "subject") and ds["age"].dims == ("subject",)
    assert ds["p_seizing"].dims == ("regimen", "draw", "time") and ds["p_not_seizing_at_assess"].dims == (
        "regimen", "draw")
    k0, r = ds["pd_se_k0"].values, ds["pd_se_recurrence"].values
    assert len(np.unique(k0)) == 3
    # placebo depends on se_k0 and se_recurrence alone (whatever the other drawn constants): in each draw the
    # closed form with that draw's values, so P(stopped by t) is ordered by the drawn se_k0 at every t > 0
    t = ds["time"].values / 60
    placebo = ds.sel(drug="lorazepam", route="iv", dose_mg=0.0)
    for d in range(3):
        np.testing.assert_allclose(placebo["p_terminated"].isel(draw=d), -np.expm1(-k0[d] * t), rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(placebo["p_seizing"].isel(draw=d),
                                   (r[d] + k0[d] * np.exp(-(k0[d] + r[d]) * t)) / (k0[d] + r[d]), rtol=1e-9)
    order = np.argsort(k0)
    assert np.all(np.diff(placebo["p_terminated"].values[order, 1:], axis=0) > 0)
    # the endpoints table: each endpoint taken in each draw, its median and central 95% over draws (a median time
    # to stop beyond the follow-up censored at its end, counted)
    table = pd.read_csv(files["endpoints"]).set_index(["drug", "route", "dose_mg"])
    for (drug, route, dose), row in table.iterrows():
        sel = ds.sel(drug=drug, route=route, dose_mg=dose)
        stop = sel["median_time_to_stop_min"].values
        assert row["median_time_to_stop_beyond_followup_draws"] == np.isnan(stop).sum()
        for name, per_draw in (("median_time_to_stop_min", np.where(np.isnan(stop), 120.0, stop)),
                               ("p_not_seizing_at_assess", sel["p_not_seizing_at_assess"].values),
                               ("p_not_seizing_redosed", sel["p_not_seizing_redosed"].values),
                               ("occupancy_a1_peak_p50", np.median(sel["occupancy_a1_peak"].values, axis=-1))):
            np.testing.assert_allclose([row[f"{name}_p2.5"], row[f"{name}_p50"], row[f"{name}_p97.5"]],
                                       np.quantile(per_draw, [0.025, 0.5, 0.975]), rtol=1e-12, err_msg=name)
        # not seizing at t_assess is 1 - the on-line P(seizing) then, in each draw
        np.testing.assert_allclose(sel["p_not_seizing_at_assess"].values,
                                   1 - sel["p_seizing"].sel(time=ds.attrs["t_assess_min"]).values, rtol=1e-9)
