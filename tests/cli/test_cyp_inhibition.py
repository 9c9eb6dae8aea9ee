"""The cyp_inhibition experiment at tiny size: paired ratios, schedules, and its own bad overrides."""

from __future__ import annotations

import re

import numpy as np
import pytest


# ritonavir and ketoconazole (dict overrides merge, so the other perpetrators are removed with ~)
NAME = "cyp_inhibition"


def test_dataset(study):
    _, ds = study
    # 2 drugs x (control + 2 perpetrators x 3 schedules)
    assert ds.sizes["regimen"] == 2 * 7 and ds["occupancy_a1_mean_day"].dims == ("day", "regimen", "subject")
    control = ds["cavg_ratio_ss"].sel(drug="alprazolam", dose_de_mg=5.0, inhibitor="none", schedule="none")
    np.testing.assert_array_equal(control, 1.0)  # the control arm is its own reference


def test_ritonavir_raises_cyp3a4_substrate_and_spares_glucuronidated(study):
    _, ds = study
    ratio = ds["cavg_ratio_ss"].median("subject")
    alpr = float(ratio.sel(drug="alprazolam", inhibitor="ritonavir", schedule="throughout").squeeze())
    lora = ratio.sel(drug="lorazepam", inhibitor="ritonavir").values
    assert alpr > 2.0  # CYP3A4 substrate
    np.testing.assert_allclose(lora, 1.0, rtol=1e-5)  # glucuronidated: untouched
    # started on day 7: by day 14 the inhibitor raises occupancy; stopped after day 7: by day 14 it is
    # back near the control level (alprazolam t1/2 ~12 h, CYP3A4 recovers over days)
    occ = ds["occupancy_a1_mean_day"].median("subject").sel(drug="alprazolam", dose_de_mg=5.0, day=14.0)
    none = float(occ.sel(inhibitor="none", schedule="none"))
    assert float(occ.sel(inhibitor="ritonavir", schedule="started")) > 1.5 * none
    assert float(occ.sel(inhibitor="ritonavir", schedule="stopped")) < float(
        occ.sel(inhibitor="ritonavir", schedule="throughout"))


@pytest.mark.parametrize("override, message", [
    ("study.schedules=[during]", "study.schedules[0]='during'; allowed:"),
    ("+study.perpetrators.rifampin=[600,24]", "study.perpetrators key='rifampin'; allowed:"),
    ("study.perpetrators.ritonavir=[100]", "study.perpetrators.ritonavir=[100.0]; allowed: [dose_mg, interval_h]"),
    ("study.stop_day=7.5", "study.stop_day=7.5; allowed: whole days"),
    ("study.checkpoint_days=[14,7]", "study.checkpoint_days=[14.0, 7.0]; allowed: a non-empty increasing"),
    ("study.drugs=[fentanyl]", "has no diazepam-equivalent dose"),
    ("cohort=ritonavir_boosted", "cohort.p_perpetrator=1.0: the cyp_inhibition experiment gives the perpetrator"),
])
def test_bad_overrides_are_refused_before_compute(override, message, refused):
    refused([override], re.escape(message))
