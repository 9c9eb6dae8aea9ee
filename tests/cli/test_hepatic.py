"""The hepatic experiment end to end at tiny size: Dataset contract, Phase I vs glucuronidation, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from popsim.run import configure

TINY = ["+experiment=hepatic", "n_subjects=64", "grid.days=14", "hepatic.checkpoint_days=[7,14]",
        "hepatic.drugs=[alprazolam,lorazepam]", "hepatic.cohorts=[adult,cirrhosis_c]"]


@pytest.fixture(scope="module")
def hepatic(run_study):
    files, ds = run_study(TINY)
    return files, ds, pd.read_csv(files["ranking"])


def test_outputs_and_dataset_contract(hepatic, outputs_ok):
    files, ds, rank = hepatic
    outputs_ok(files, ds)
    assert ds["occupancy_a1_mean_day"].dims == ("cohort", "day", "regimen", "subject")
    np.testing.assert_array_equal(ds["day"], [7.0, 14.0])
    assert len(rank) == 4 and set(rank["rank_by_sedation"]) == {1, 2}


def test_cirrhosis_hits_phase_one_and_spares_glucuronidation(hepatic):
    _, ds, _ = hepatic
    # Unbound exposure is what the receptor sees: occupancy of the same subjects' last day.
    occ = ds["occupancy_a1_mean_ss"].median("subject")
    ratio = occ.sel(cohort="cirrhosis_c") / occ.sel(cohort="adult")
    alpr, lora = float(ratio.sel(drug="alprazolam").squeeze()), float(ratio.sel(drug="lorazepam").squeeze())
    # CYP3A4 activity and liver flow fall in Child-Pugh C (B38): alprazolam occupancy more than doubles;
    # glucuronidation is spared (cp_ugt = 1), so lorazepam changes far less (free fraction only).
    assert alpr > 2.0 and lora < 1.5 and alpr > lora
    # accumulation: the CYP3A4 drug is still rising between day 7 and day 14 in Child-Pugh C
    day = ds["occupancy_a1_mean_day"].median("subject").sel(cohort="cirrhosis_c", drug="alprazolam").squeeze()
    assert float(day.sel(day=14.0)) > float(day.sel(day=7.0))


def test_bad_overrides_are_refused_before_compute():
    with pytest.raises(Exception, match="hepatic.cohorts\\[0\\]='cirrhosis_d'; allowed:"):
        configure(TINY + ["hepatic.cohorts=[cirrhosis_d]"])
    with pytest.raises(Exception, match="hepatic.checkpoint_days\\[0\\]=30"):
        configure(TINY + ["hepatic.checkpoint_days=[30]"])
    with pytest.raises(Exception, match="hepatic.checkpoint_days=\\[14.0, 7.0\\]; allowed: a non-empty increasing"):
        configure(TINY + ["hepatic.checkpoint_days=[14,7]"])
    with pytest.raises(Exception, match="hepatic.drugs=\\['lorazepam', 'lorazepam'\\]; allowed: a non-empty list"):
        configure(TINY + ["hepatic.drugs=[lorazepam,lorazepam]"])


def test_the_analysis_script_reads_the_run(hepatic, analyse):
    assert 'median net alpha1 sedation' in analyse("hepatic", hepatic[0])
