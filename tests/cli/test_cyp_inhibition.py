"""The cyp_inhibition experiment at tiny size: paired ratios, schedules, and its own bad overrides."""

from __future__ import annotations

import re

import numpy as np
import pytest


# ritonavir (CYP3A4) and omeprazole (CYP2C19) with alprazolam, diazepam and lorazepam (dict overrides
# merge, so the other perpetrators are removed with ~)
NAME = "cyp_inhibition"


def test_dataset(study):
    _, ds = study
    # 3 drugs x (control + 2 perpetrators x 3 schedules)
    assert ds.sizes["regimen"] == 3 * 7 and ds["effect_a1_mean_day"].dims == ("day", "regimen", "subject")
    control = ds["cavg_ratio_ss"].sel(drug="alprazolam", dose_de_mg=5.0, inhibitor="none", schedule="none")
    np.testing.assert_array_equal(control, 1.0)  # the control arm is its own reference
    # diazepam's active metabolites, on their own dimension (NaN for drugs that do not form them)
    assert list(ds["metabolite"].values) == ["nordiazepam", "oxazepam"]
    assert ds["metabolite_cavg_ratio_ss"].dims == ("metabolite", "regimen", "subject")
    assert np.isnan(ds["metabolite_cavg_ss"].sel(drug="lorazepam")).all()
    m = ds["metabolite_cavg_ratio_ss"].sel(drug="diazepam", inhibitor="none", schedule="none")
    np.testing.assert_array_equal(m, 1.0)


def test_cyp2c19_inhibitor_acts_on_diazepam_and_nordiazepam_but_not_in_poor_metabolisers(study):
    # Omeprazole inhibits CYP2C19 only: diazepam (fm,CYP2C19 0.86) rises; nordiazepam (0.44) changes too
    # (its own clearance falls, but within 14 days its slower formation from the inhibited parent can
    # outweigh that); alprazolam (CYP3A4) and lorazepam (UGT) are untouched, and so is every poor
    # metaboliser of the cohort.
    _, ds = study
    sel = dict(inhibitor="omeprazole", schedule="throughout")
    diaz = ds["cavg_ratio_ss"].sel(drug="diazepam", **sel).squeeze()
    nord = ds["metabolite_cavg_ratio_ss"].sel(metabolite="nordiazepam", drug="diazepam", **sel).squeeze()
    for other in ("alprazolam", "lorazepam"):
        np.testing.assert_allclose(ds["cavg_ratio_ss"].sel(drug=other, **sel), 1.0, rtol=1e-9)
    pm, nm = ds["cyp2c19"].values == 0, ds["cyp2c19"].values == 2
    for ratio in (diaz, nord):  # float64 runs of two compiled programs: 1e-9
        np.testing.assert_allclose(ratio.values[pm], 1.0, rtol=1e-9)  # empty if the 32 hold no PM (2%)
    assert nm.any() and np.all(diaz.values[nm] > 1.05) and float(diaz.median()) > 1.2
    assert np.max(np.abs(nord.values[nm] - 1)) > 0.05  # nordiazepam moves in normal metabolisers


def test_ritonavir_raises_cyp3a4_substrate_and_spares_glucuronidated(study):
    _, ds = study
    ratio = ds["cavg_ratio_ss"].median("subject")
    alpr = float(ratio.sel(drug="alprazolam", inhibitor="ritonavir", schedule="throughout").squeeze())
    lora = ratio.sel(drug="lorazepam", inhibitor="ritonavir").values
    assert alpr > 2.0  # CYP3A4 substrate
    np.testing.assert_allclose(lora, 1.0, rtol=1e-5)  # glucuronidated: untouched
    # started on day 7: by day 14 the inhibitor raises the effect; stopped after day 7: by day 14 it is
    # back near the control level (alprazolam t1/2 ~12 h, CYP3A4 recovers over days)
    occ = ds["effect_a1_mean_day"].median("subject").sel(drug="alprazolam", dose_de_mg=5.0, day=14.0)
    none = float(occ.sel(inhibitor="none", schedule="none"))
    assert float(occ.sel(inhibitor="ritonavir", schedule="started")) > 1.5 * none
    assert float(occ.sel(inhibitor="ritonavir", schedule="stopped")) < float(
        occ.sel(inhibitor="ritonavir", schedule="throughout"))


@pytest.mark.parametrize("override, message", [
    ("study.schedules=[during]", "study.schedules[0]='during'; allowed:"),
    ("+study.perpetrators.rifampin=[600,24]", "study.perpetrators key='rifampin'; allowed:"),
    ("+study.perpetrators.omeprazol=[40,24]", "study.perpetrators key='omeprazol'; allowed:"),
    ("cohort.cyp2c19_ancestry=afrcan", "cohort.cyp2c19_ancestry='afrcan'; allowed:"),
    ("study.perpetrators.ritonavir=[100]", "study.perpetrators.ritonavir=[100.0]; allowed: [dose_mg, interval_h]"),
    ("study.stop_day=7.5", "study.stop_day=7.5; allowed: whole days"),
    ("study.checkpoint_days=[14,7]", "study.checkpoint_days=[14.0, 7.0]; allowed: a non-empty increasing"),
    ("study.drugs=[fentanyl]", "has no diazepam-equivalent dose"),
    ("cohort=ritonavir_boosted", "cohort.p_perpetrator=1.0: the cyp_inhibition experiment gives the perpetrator"),
])
def test_bad_overrides_are_refused_before_compute(override, message, refused):
    refused([override], re.escape(message))


def test_parameter_draws(tiny):
    import pandas as pd

    from popsim.pd.constants import PD

    files, ds = tiny(NAME, "n_draws=3", "draws_of=[pd]")  # the PD posterior alone: the PK held
    assert ds["effect_ratio_ss"].dims == ("regimen", "draw", "subject") and ds["age"].dims == ("subject",)
    assert ds["effect_a1_mean_day"].dims == ("day", "regimen", "draw", "subject")
    assert ds["metabolite_cavg_ratio_ss"].dims == ("metabolite", "regimen", "draw", "subject")
    # the ratios table: the median over subjects in each draw, then its median and 95% over draws
    table = pd.read_csv(files["ratios"])
    assert len(table) == ds.sizes["regimen"]
    for _, row in table.iterrows():
        sel = ds.sel(drug=row["drug"], dose_de_mg=row["dose_de_mg"], inhibitor=row["inhibitor"],
                     schedule=row["schedule"]).squeeze()
        for name in ("cavg_ratio_ss", "effect_ratio_ss"):
            per_draw = np.median(sel[name].transpose("draw", "subject").values, axis=-1)
            np.testing.assert_allclose([row[f"{name}_p2.5"], row[f"{name}_p50"], row[f"{name}_p97.5"]],
                                       np.quantile(per_draw, [0.025, 0.5, 0.975]), rtol=1e-12, err_msg=name)
    # exposure is pharmacokinetic: the same in every draw (the drawn constants are PD constants)
    for name in ("cavg_ss", "cavg_ratio_ss"):
        v = ds[name].values
        np.testing.assert_allclose(v, np.broadcast_to(v[:, :1], v.shape), rtol=1e-12, err_msg=name)
    # of the drawn constants only ec50_age_ratio acts on the alpha1 effect: every EC50 is scaled by
    # ec50_age_ratio ** ((age - 25) / (72 - 25)), so a lower ratio raises the effect of everyone older than 25
    # and lowers it below 25, subject by subject, in every arm
    order = np.argsort(ds["pd_ec50_age_ratio"].values)  # rising ratio
    young, old = PD["ec50_age_young"].value, PD["ec50_age_old"].value
    assert (young, old) == (25.0, 72.0)
    age = ds["age"].values
    older, younger = age > young + 0.5, age < young - 0.5
    assert older.any() and younger.any()
    step = np.diff(ds["effect_a1_mean_ss"].values[:, order], axis=1)  # (regimen, draw pair, subject)
    assert (step[:, :, older] < 0).all() and (step[:, :, younger] > 0).all()
