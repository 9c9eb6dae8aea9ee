"""The hepatic experiment at tiny size: Phase I vs glucuronidation, accumulation, the ranking, and its own
bad overrides."""

from __future__ import annotations

import re

import numpy as np
import pytest


NAME = "hepatic"


def test_dataset_and_ranking(study, tables):
    (_, ds), rank = study, tables["ranking"]
    assert ds["effect_a1_mean_day"].dims == ("cohort", "day", "regimen", "subject")
    np.testing.assert_array_equal(ds["day"], [7.0, 14.0])
    assert len(rank) == 4 and set(rank["rank_by_sedation"]) == {1, 2}
    np.testing.assert_allclose(rank.loc[rank["cohort"] == "adult", "exposure_ratio_to_healthy"], 1.0)


def test_cirrhosis_hits_phase_one_and_spares_glucuronidation(study):
    _, ds = study
    # Unbound exposure is what the receptor sees: occupancy of the same subjects' last day.
    occ = ds["effect_a1_mean_ss"].median("subject")
    ratio = occ.sel(cohort="cirrhosis_c") / occ.sel(cohort="adult")
    alpr, lora = float(ratio.sel(drug="alprazolam").squeeze()), float(ratio.sel(drug="lorazepam").squeeze())
    total = ds["cavg_ss"].median("subject")
    lora_total = float((total.sel(cohort="cirrhosis_c") / total.sel(cohort="adult")).sel(drug="lorazepam").squeeze())
    # CYP3A4 activity and liver flow fall in Child-Pugh C (B38): alprazolam occupancy more than doubles.
    # Glucuronidation keeps lorazepam's total clearance (B30, B89): its total exposure stays within 25%,
    # while the free fraction rises with the albumin deficit (x 1.8 in class C), so the receptor sees more,
    # but less than with alprazolam.
    assert alpr > 2.0 and 0.8 < lora_total < 1.25 and lora > 1.2 and alpr > lora
    # accumulation: the CYP3A4 drug is still rising between day 7 and day 14 in Child-Pugh C
    day = ds["effect_a1_mean_day"].median("subject").sel(cohort="cirrhosis_c", drug="alprazolam").squeeze()
    assert float(day.sel(day=14.0)) > float(day.sel(day=7.0))


@pytest.mark.parametrize("override, message", [
    ("study.cohorts=[cirrhosis_d]", "study.cohorts[0]='cirrhosis_d'; allowed:"),
    ("study.checkpoint_days=[30]", "study.checkpoint_days[0]=30"),
    ("study.checkpoint_days=[14,7]", "study.checkpoint_days=[14.0, 7.0]; allowed: a non-empty increasing"),
    ("study.checkpoint_days=[7.5]", "study.checkpoint_days[0]=7.5; allowed: whole days"),
    ("study.drugs=[lorazepam,lorazepam]", "study.drugs=['lorazepam', 'lorazepam']; allowed: a non-empty list"),
    ("study.hours_of_day=[8.5]", "study.hours_of_day[0]=8.5; allowed: a clock hour in [0, 24) on the grid"),
])
def test_bad_overrides_are_refused_before_compute(override, message, refused):
    refused([override], re.escape(message))
