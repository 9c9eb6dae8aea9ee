"""The calibration experiment on the respiratory targets (one scenario): the report, the fitted targets,
and bad targets, selections and constants refused before any compute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from popsim.experiments.calibration import TARGETS, read_targets, targets_hash
from popsim.run import configure

# EXPERIMENT.tiny's targets with more subjects: the fitted-target bound below needs 256
RESPIRATORY = ["+experiment=calibration", "study.ids=[R1,R2,R3,R4,R5,R6]", "n_subjects=256"]


@pytest.fixture(scope="module")
def small(run_study):
    files, ds = run_study(RESPIRATORY)
    return files, ds, pd.read_csv(files["report"])


def test_report_and_dataset_agree(small):
    _, ds, table = small
    assert ds.sizes["target"] == len(table) == 6
    assert ds.attrs["targets"] == str(TARGETS)
    assert np.all(ds["mc_lo"] <= ds["simulated"]) and np.all(ds["simulated"] <= ds["mc_hi"])
    # R1-R5 carry the joint fit of the respiratory constants (with M2, M3, V1); R6 is a check
    assert dict(zip(ds["target"].values, ds["use"].values)) == {"R1": "fit", "R2": "fit", "R3": "fit", "R4": "fit",
                                                                "R5": "fit", "R6": "check"}
    np.testing.assert_array_equal(ds["simulated"], table["simulated"])


def test_bad_targets_and_constants(tmp_path):
    bad = read_targets(TARGETS).head(2).assign(statistic=["p_hypoxaemia_fentanyl", "p_hypoxemia_both"])
    bad.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match="statistic='p_hypoxemia_both'"):
        read_targets(tmp_path / "t.csv")
    with pytest.raises(ValueError, match="statistic='p_hypoxemia_both'"):  # at configuration, before any compute
        configure(["+experiment=calibration", f"study.targets={tmp_path / 't.csv'}"])
    with pytest.raises(ValueError, match="study.targets: the calibration experiment needs study.targets"):
        configure(["+experiment=calibration", "study.targets="])
    with pytest.raises(ValueError, match=r"study.ids\[1\]='RR1' is not in the id column of .*did you mean 'R1'"):
        configure(["+experiment=calibration", "study.ids=[R2,RR1]"])
    with pytest.raises(Exception, match="pd.fall_bta.*did you mean 'fall_beta'"):
        configure(["+experiment=calibration", "+pd.fall_bta=2"])
    with pytest.raises(Exception, match=r"pd.fall_beta=-1.0; allowed: a finite number >= 0 and <= 100"):
        configure(["+experiment=calibration", "+pd.fall_beta=-1"])
    with pytest.raises(Exception, match=r"pd.ec50_age_ratio=0.0; allowed: a finite number > 0"):
        configure(["+experiment=calibration", "+pd.ec50_age_ratio=0"])
    with pytest.raises(Exception, match=r"pd.apnoea_ve=1.5; allowed: a finite number >= 0 and <= 1"):
        configure(["+experiment=calibration", "+pd.apnoea_ve=1.5"])


def test_sleep_and_resting_ventilation_targets(run_study):
    # Masuda 1995 (G83) and Forster 1993 (G79) on one midazolam arm, van der Schrier 2017 (G85) on oxycodone:
    # at 0.1 mg/kg men reach sleep more often than women (women at airway_female_ratio times the concentration),
    # 0.2 mg/kg puts more women to sleep than 0.1, and both drugs lower resting ventilation.
    _, ds = run_study(["+experiment=calibration", "study.ids=[M1,M2,M3,V1,V2]", "n_subjects=128"])
    sim = dict(zip(ds["target"].values, ds["simulated"].values))
    assert sim["M1"] > sim["M2"] and sim["M3"] > sim["M2"]
    assert 0.3 < sim["V1"] < 1.0 and 0.5 < sim["V2"] < 1.0


# R2: Bailey's 11/12 hypoxaemic with both drugs: every simulated subject is; WD2, WD4, WD11: too few withdrawal
# reactions after short use and in Schweizer's long-half-life group; WD36, WD48: seizures (alprazolam label too
# many, alcohol too few); WD55: CIWA-Ar >= 8 in too many drinkers
MISSES = ["R2", "WD2", "WD4", "WD11", "WD36", "WD48", "WD55"]


def test_posterior_predictive_intervals_of_the_fitted_targets(run_study):
    # The shipped posterior (popsim/experiments/data/posterior.nc), on the subjects it was inferred on (150 per
    # arm, seed 0): each fitted target's published value lies inside its 95% posterior predictive interval
    # (binomial over the study's N for counts, log-normal with the target's SD for ratios), except MISSES, the
    # targets the model cannot reach jointly with the others (outside their published intervals with the
    # maximum-likelihood constants too; experiments/calibration/README.md): those must stay outside, so a
    # change that brings one inside updates this list.  The checks are reported apart (README).
    fit = read_targets(TARGETS).query("use == 'fit'")["id"].tolist()
    files, ds = run_study(["+experiment=calibration", f"study.ids=[{','.join(fit)}]", "n_subjects=150",
                           "n_draws=128"])
    assert ds["simulated_draw"].dims == ("target", "draw") and ds.sizes["draw"] == 128
    # the replayed constants are stored per draw; kadapt acts in the simulation (point value): not stored
    assert "pd_synergy_psi" in ds and "pd_fall_beta" in ds and "pd_kadapt" not in ds
    assert ds.attrs["n_draws"] == 128 and "posterior" in ds.attrs
    table = pd.read_csv(files["report"]).set_index("id")
    # the posterior was inferred on these targets as they stand
    assert ds.attrs["posterior"].endswith(targets_hash(read_targets(TARGETS))[:12])
    outside = table[table["in_predictive"] != 1.0]
    assert sorted(outside.index) == sorted(MISSES), outside[["published", "pp_lo", "pp_hi", "simulated_p50"]]
    assert (table.loc[MISSES, "in_interval"] == 0).all()  # the point values miss them too
