"""The elderly experiment end to end at tiny size: Dataset contract, dose search, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from popsim.run import configure

TINY = ["+experiment=elderly", "n_subjects=64", "grid.days=7", "elderly.search_points=10",
        "elderly.drugs=[lorazepam,alprazolam]", "elderly.cohorts=[healthy_young,very_elderly]"]


@pytest.fixture(scope="module")
def elderly(run_study):
    files, ds = run_study(TINY)
    return files, ds, pd.read_csv(files["recommended_doses"])


def test_outputs_and_dataset_contract(elderly, outputs_ok):
    files, ds, _ = elderly
    outputs_ok(files, ds)
    assert ds.sizes["cohort"] == 2 and ds.sizes["subject"] == 64 and ds.sizes["regimen"] == 2 * 3
    sel = ds["p_fall"].sel(drug="lorazepam", dose_de_mg=5.0, cohort="very_elderly")
    assert sel.dims == ("subject",) and np.all((sel > 0) & (sel < 1))
    assert ds["age"].dims == ("cohort", "subject") and float(ds["age"].sel(cohort="very_elderly").min()) >= 80
    for key in ("popsim_version", "git_commit", "config_yaml", "seed"):
        assert key in ds.attrs


def test_dose_search_is_consistent_and_older_people_need_less(elderly):
    _, _, rec = elderly
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
    ("elderly.drugs=[lorazepan]", "elderly.drugs[0]='lorazepan'; allowed:"),
    ("elderly.drugs=[fentanyl]", "has no diazepam-equivalent dose"),
    ("elderly.cohorts=[eldery]", "did you mean 'elderly'"),
    ("elderly.reference_dose_de_mg=50", "need search_min_de_mg < reference_dose_de_mg < search_max_de_mg"),
    ("grid.dt_h=7", "grid.dt_h=7.0: the elderly experiment doses by clock hour; allowed: a step dividing 24 h"),
])
def test_bad_overrides_are_refused_before_compute(override, message):
    with pytest.raises(Exception, match=message.replace("[", r"\[").replace("]", r"\]")):
        configure(TINY + [override])


def test_the_analysis_script_reads_the_run(elderly, analyse):
    assert 'recommended starting dose [mg/day]' in analyse("elderly", elderly[0])
