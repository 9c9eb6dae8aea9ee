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


def test_parameter_draws(tiny):
    import pandas as pd

    from popsim.pd.constants import PD

    files, ds = tiny(NAME, "n_draws=3", "draws_of=[pd]")  # the PD posterior alone: the PK held
    assert ds["sedation_mean_ss"].dims == ("cohort", "regimen", "draw", "subject")
    assert ds["effect_a1_mean_day"].dims == ("cohort", "day", "regimen", "draw", "subject")
    assert ds["age"].dims == ("cohort", "subject")  # the same people in every draw
    assert len(np.unique(ds["pd_tolerance"])) == 3 and "pd_synergy_psi" not in ds  # drawn constants it reads only
    # the ranking is taken in each draw (numpy on the Dataset), the table gives its median and 95% over draws
    rank = pd.read_csv(files["ranking"]).set_index(["cohort", "drug"])
    assert len(rank) == 4 and "rank_by_sedation" not in rank

    def per_draw(name, c, d, stat=np.median):  # (draw,) population statistic of one cohort x drug
        return stat(ds[name].sel(cohort=c, drug=d, dose_de_mg=5.0).values, axis=-1)

    drugs = list(dict.fromkeys(ds["drug"].values))
    for c in ds["cohort"].values:
        sedation = np.stack([per_draw("sedation_mean_ss", c, d) for d in drugs])  # (drug, draw)
        ranks = 1 + (sedation[None, :, :] < sedation[:, None, :]).sum(axis=1)  # rank "min": 1 = least
        for k, d in enumerate(drugs):
            day = np.median(ds["effect_a1_mean_day"].sel(cohort=c, drug=d, dose_de_mg=5.0).values, axis=-1)
            expected = {
                "sedation_mean_ss": sedation[k], "rank_by_sedation": ranks[k],
                "p_withdrawal_last_day": per_draw("p_withdrawal_last_day", c, d, np.mean),
                "exposure_ratio_to_healthy": per_draw("cavg_ss", c, d) / per_draw("cavg_ss", "adult", d),
                "accumulation_last_over_first_checkpoint": day[-1] / day[0]}
            row = rank.loc[(c, d)]
            for name, x in expected.items():
                np.testing.assert_allclose([row[f"{name}_p2.5"], row[f"{name}_p50"], row[f"{name}_p97.5"]],
                                           np.quantile(x, [0.025, 0.5, 0.975]), rtol=1e-12, err_msg=(c, d, name))
            assert row["ranked_first_draws"] == (ranks[k] == 1).sum()
    # Kinetics carry no drawn constant: exposure is the same in every draw.  Of the drawn constants only
    # ec50_age_ratio acts on the alpha1 effect, through KD x ratio ** ((age - 25) / (72 - 25)): a lower ratio
    # makes the same person more sensitive if older than 25, less if younger, in every regimen
    assert np.all(np.ptp(ds["cavg_ss"].values, axis=2) == 0)
    order = np.argsort(ds["pd_ec50_age_ratio"].values)
    step = np.diff(ds["effect_a1_mean_ss"].isel(draw=order).values, axis=2)  # (cohort, regimen, draw, subject)
    older = np.sign(ds["age"].values - PD["ec50_age_young"].value)[:, None, None, :]
    assert (older < 0).any() and (older > 0).any()
    np.testing.assert_array_equal(np.sign(step), -np.broadcast_to(older, step.shape))
