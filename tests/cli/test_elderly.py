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
