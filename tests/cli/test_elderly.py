"""The elderly experiment at tiny size: the Dataset's shape, the dose search, and its own bad overrides."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from popsim.experiments.elderly import EXPERIMENT
from popsim.run import configure

NAME = "elderly"


def test_dataset(study, tables):
    (_, ds), rec = study, tables["recommended_doses"]
    assert ds.sizes["cohort"] == 2 and ds.sizes["subject"] == 64 and ds.sizes["regimen"] == 2 * 3
    sel = ds["p_fall"].sel(drug="lorazepam", dose_de_mg=5.0, cohort="very_elderly")
    assert sel.dims == ("subject",) and np.all((sel > 0) & (sel < 1))
    assert ds["age"].dims == ("cohort", "subject") and float(ds["age"].sel(cohort="very_elderly").min()) >= 80
    # what the figure reads is in the Dataset: the recommendations table's doses per cohort x drug
    by = rec.set_index(["cohort", "drug"])
    for name in ("recommended_de_mg", "fall_capped_de_mg"):
        assert ds[name].dims == ("cohort", "drug_searched")
        for c in ds["cohort"].values:
            for d in ds["drug_searched"].values:
                np.testing.assert_array_equal(ds[name].sel(cohort=c, drug_searched=d), by.loc[(c, d), name])
    assert ds.attrs["reference_cohort"] == "healthy_young" and float(ds.attrs["reference_dose_de_mg"]) == 5.0


def test_dose_search_is_consistent_and_older_people_need_less(tables):
    rec = tables["recommended_doses"]
    rec = rec.set_index(["drug", "cohort"])
    # The reference cohort's own recommended dose is the reference dose, up to the log-linear
    # interpolation between search points (10 points from 0.25 to 20 mg: ratio 1.63 per step).
    np.testing.assert_allclose(rec.xs("healthy_young", level="cohort")["recommended_de_mg"], 5.0, rtol=0.03)
    ratio = rec.xs("very_elderly", level="cohort")["recommended_de_mg"] / 5.0
    assert np.all(ratio < 1)
    # Alprazolam (CYP3A4) loses more clearance with age than lorazepam (glucuronidation, spared, B14-B16);
    # both carry the older brain's lower EC50.
    assert ratio["alprazolam"] < ratio["lorazepam"]
    assert np.all(rec["fall_capped_de_mg"] > 0)


@pytest.mark.parametrize("override, message", [
    ("study.drugs=[lorazepan]", "study.drugs[0]='lorazepan'; allowed:"),
    ("study.drugs=[fentanyl]", "has no diazepam-equivalent dose"),
    ("study.cohorts=[eldery]", "did you mean 'elderly'"),
    ("study.cohorts=[]", "study.cohorts=[]; allowed: a non-empty list without repeats"),
    ("study.reference_dose_de_mg=50", "need search_min_de_mg < reference_dose_de_mg < search_max_de_mg"),
    ("study.dose_hour=22.5", "study.dose_hour=22.5; allowed: a clock hour in [0, 24) on the grid"),
    ("study.search_points=3", "study.search_points=3; allowed: an integer 4 to 64"),
])
def test_bad_overrides_are_refused_before_compute(override, message, refused):
    refused([override], re.escape(message))


def test_a_grid_step_that_does_not_divide_the_day_is_refused(refused):
    # on the command line grid.check refuses such a step first (for grid.summary_window_h=24)
    cfg = configure([f"+experiment={NAME}", *EXPERIMENT.tiny])
    cfg = dataclasses.replace(cfg, grid=dataclasses.replace(cfg.grid, dt_h=7.0))
    with pytest.raises(ValueError, match=re.escape("grid.dt_h=7.0: the elderly experiment doses by clock hour; "
                                                   "allowed: a step dividing 24 h")):
        cfg.study.check(cfg)


def test_parameter_draws(tiny):
    import pandas as pd

    files, ds = tiny(NAME, "n_draws=3", "draws_of=[pd]")  # the PD posterior alone: the PK held
    assert ds.attrs["n_draws"] == 3 and "3 draws" in ds.attrs["parameter_uncertainty"]
    np.testing.assert_array_equal(ds["draw"], [0, 1, 2])
    assert ds["p_fall"].dims == ("cohort", "regimen", "draw", "subject")
    assert ds["age"].dims == ("cohort", "subject")  # the same people in every draw
    assert ds["recommended_de_mg"].dims == ("cohort", "drug_searched", "draw")
    assert ds["median_effect_a1_mean_ss_search"].dims[-1] == "draw"
    assert ds["pd_fall_beta"].dims == ("draw",) and ds["pd_fall_beta"].attrs["units"]
    assert len(np.unique(ds["pd_fall_beta"])) == 3 and len(np.unique(ds["pd_ec50_age_ratio"])) == 3
    assert "pd_co2_gain" not in ds  # drawn constants only
    # the recommendation is taken in each draw; the table gives the median and 95% over draws
    rec = pd.read_csv(files["recommended_doses"]).set_index(["cohort", "drug"])
    search = ds["search_dose_de_mg"].values
    for name in ("recommended_de_mg", "fall_capped_de_mg"):
        assert name not in rec
        stem = name.removesuffix("_de_mg")
        for (c, d), row in rec.iterrows():
            per_draw = ds[name].sel(cohort=c, drug_searched=d).values
            outside = row[f"{stem}_below_range_draws"] + row[f"{stem}_above_range_draws"]
            assert outside == np.isnan(per_draw).sum()
            if name == "fall_capped_de_mg":  # only ever below the range: censored at its lowest dose
                assert row[f"{stem}_above_range_draws"] == 0
                per_draw = np.where(np.isnan(per_draw), search[0], per_draw)
            if not np.isnan(per_draw).any():
                np.testing.assert_allclose([row[f"{name}_p2.5"], row[f"{name}_p50"], row[f"{name}_p97.5"]],
                                           np.quantile(per_draw, [0.025, 0.5, 0.975]))
    # the fall-capped dose moves with the drawn fall constants (fall_beta); the effect-matched dose of the very
    # elderly with ec50_age_ratio alone (of the drawn constants only it acts on the alpha1 effect): the more
    # sensitive older brains (a lower ratio), the lower the dose, in every draw's order
    capped = np.where(np.isnan(ds["fall_capped_de_mg"].values), search[0], ds["fall_capped_de_mg"].values)
    assert np.all(np.ptp(capped, axis=-1) > 0)
    order = np.argsort(ds["pd_ec50_age_ratio"].values)
    for d in ds["drug_searched"].values:
        rec_old = ds["recommended_de_mg"].sel(cohort="very_elderly", drug_searched=d).values
        assert np.all(np.diff(rec_old[order]) > 0), (d, rec_old, ds["pd_ec50_age_ratio"].values)
    # the summary: population percentiles in each draw, their median and 95% over draws
    summary = pd.read_csv(files["summary"])
    assert {"value_p2.5", "value_p50", "value_p97.5"} <= set(summary) and "value" not in summary
    row = summary.query("variable == 'p_fall' and cohort == 'very_elderly' and drug == 'lorazepam' and "
                        "dose_de_mg == 5.0 and quantile == 0.5").iloc[0]
    by_draw = np.median(ds["p_fall"].sel(cohort="very_elderly", drug="lorazepam", dose_de_mg=5.0).values, axis=-1)
    np.testing.assert_allclose(row["value_p50"], np.median(by_draw))
    np.testing.assert_allclose(row["value_p2.5"], np.quantile(by_draw, 0.025))


def test_point_values_are_said_in_the_attributes(study):
    _, ds = study
    assert ds.attrs["n_draws"] == 0 and "draw" not in ds.dims
    assert ds.attrs["parameter_uncertainty"].startswith("none: point values of popsim.pd.constants")
