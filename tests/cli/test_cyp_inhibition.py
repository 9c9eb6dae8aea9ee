"""The cyp_inhibition experiment end to end at tiny size: Dataset contract, paired ratios, schedules."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.run import configure

TINY = ["+experiment=cyp_inhibition", "n_subjects=32", "grid.days=14", "cyp_inhibition.checkpoint_days=[7,14]",
        "cyp_inhibition.drugs=[alprazolam,lorazepam]", "cyp_inhibition.start_day=7", "cyp_inhibition.stop_day=7"]


@pytest.fixture(scope="module")
def cyp(run_study):
    # one perpetrator keeps it small (dict overrides merge, so the others are removed with ~)
    return run_study(TINY + [f"~cyp_inhibition.perpetrators.{p}" for p in
                             ("ketoconazole", "itraconazole", "clarithromycin", "erythromycin", "voriconazole",
                              "fluconazole")])


def test_outputs_and_dataset_contract(cyp, outputs_ok):
    files, ds = cyp
    outputs_ok(files, ds)
    # 2 drugs x (control + ritonavir x 3 schedules)
    assert ds.sizes["regimen"] == 2 * 4 and ds["occupancy_a1_mean_day"].dims == ("day", "regimen", "subject")
    control = ds["cavg_ratio_ss"].sel(drug="alprazolam", dose_de_mg=5.0, inhibitor="none", schedule="none")
    np.testing.assert_array_equal(control, 1.0)  # the control arm is its own reference


def test_ritonavir_raises_cyp3a4_substrate_and_spares_glucuronidated(cyp):
    _, ds = cyp
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


def test_bad_overrides_are_refused_before_compute():
    with pytest.raises(Exception, match="cyp_inhibition.schedules\\[0\\]='during'; allowed:"):
        configure(TINY + ["cyp_inhibition.schedules=[during]"])
    with pytest.raises(Exception, match="cyp_inhibition.perpetrators key='rifampin'; allowed:"):
        configure(TINY + ["+cyp_inhibition.perpetrators.rifampin=[600,24]"])


def test_the_analysis_script_reads_the_run(cyp, analyse):
    assert 'median Cavg ratio' in analyse("cyp_inhibition", cyp[0])
