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
    assert f"targets sha256 {targets_hash(read_targets(TARGETS))[:12]}," in ds.attrs["posterior"]
    outside = table[table["in_predictive"] != 1.0]
    assert sorted(outside.index) == sorted(MISSES), outside[["published", "pp_lo", "pp_hi", "simulated_p50"]]
    assert (table.loc[MISSES, "in_interval"] == 0).all()  # the point values miss them too


def test_refit_writes_a_posterior_any_run_draws_from(run_study, x64):
    # +experiment=calibration study.refit=true on two blocks (falls: 4 fit targets; ventilation: R1), in float64,
    # 40 subjects per arm, 16 particles: the blocks run in worker processes where the machine has 2 cores; the
    # Dataset is a posterior file that posterior=<path> gives to a run with n_draws
    import jax.numpy as jnp

    from popsim.experiments.calibration import fit_log_likelihood, simulate_scenarios
    from popsim.pd.parameters import check_values
    from popsim.uncertainty import UNCERTAIN, posterior

    files, post = run_study(["+experiment=calibration", "study.refit=true", "study.ids=[F1,F2,F3,F4,F5,R1]",
                             "n_subjects=40", "study.refit_particles=16", "study.refit_moves=1", "precision=float64"])
    assert post.sizes["draw"] == 16 and set(UNCERTAIN) <= set(post.data_vars)
    # the screen: fx_per_fall_72 scales every fracture alike and cancels in the rate ratios F2-F4
    assert post.attrs["falls_constants"].split(";") == ["tolerance", "fall_beta", "fx_beta", "fx_age_slope",
                                                        "fx_female_ratio"]
    assert post.attrs["falls_targets"] == "F1;F2;F3;F4"  # F5 is a check: never in the likelihood
    assert post.attrs["ventilation_targets"] == "R1" and "dependence_constants" not in post.attrs
    assert post.attrs["parameter_uncertainty"].startswith("this Dataset is a posterior")
    # the stored log-likelihood of a draw is that of its constants, replayed anew on the same population
    for block, ids in (("falls", ["F1", "F2", "F3", "F4"]), ("ventilation", ["R1"])):
        fit = read_targets().set_index("id").loc[ids].reset_index()
        raw = simulate_scenarios(list(dict.fromkeys(fit["statistic"])), n_subjects=40, seed=0, dtype=jnp.float64)
        names = post.attrs[f"{block}_constants"].split(";")
        ll = fit_log_likelihood(raw, fit, check_values())({k: post[k].values[:3] for k in names})
        np.testing.assert_allclose(ll, post[f"log_likelihood_{block}"].values[:3], rtol=1e-9, err_msg=block)
    # four targets pin the fall constants: fall_beta's 95% at most half the prior's (link scale), and within the
    # shipped posterior's range (inferred on 150 subjects per arm, 128 particles)
    summary = pd.read_csv(files["posterior"]).set_index("constant")
    assert summary.loc["fall_beta", "block"] == "falls" and summary.loc["fall_beta", "width"] < 0.5
    shipped = np.quantile(posterior()["fall_beta"].values, [0.025, 0.975])
    assert summary.loc["fall_beta", "posterior_p2.5"] < shipped[1] and summary.loc["fall_beta", "posterior_p97.5"] > \
        shipped[0]
    # fentanyl alone (R1): the opioid's drive and the oxygen constants, not the benzodiazepine's or the interaction
    assert summary.loc["wakefulness_opioid_exponent", "block"] == "ventilation"
    assert summary.loc["synergy_psi", "block"] == summary.loc["withdrawal_threshold", "block"] == "prior"
    # any run draws from it: elderly's first 3 draws of fall_beta are the refit's
    _, ds = run_study(["+experiment=elderly", "n_subjects=16", "grid.days=2", "study.search_points=4",
                       "study.drugs=[lorazepam]", "study.cohorts=[healthy_young]", "n_draws=3",
                       f"posterior={files['dataset']}"])
    np.testing.assert_array_equal(ds["pd_fall_beta"].values, post["fall_beta"].values[:3])
    assert str(files["dataset"]) in ds.attrs["posterior"] and str(files["dataset"]) in ds.attrs["parameter_uncertainty"]


def test_refit_and_posterior_keys_refused(tmp_path):
    pd.DataFrame({"a": [1]}).to_xarray().to_netcdf(tmp_path / "other.nc")
    (tmp_path / "text.nc").write_text("not netcdf")
    refit, draws = ["+experiment=calibration", "study.refit=true"], ["+experiment=elderly", "n_draws=2"]
    cases = [(refit + ["n_draws=2"], r"n_draws=2: a refit infers the posterior"),
             (refit + ["+pd.fall_beta=2"], r"pd.fall_beta=2(.0)?: a refit holds the constants"),
             (["+experiment=calibration", "study.refit_particles=64"], r"refit_particles=64: read only by a refit"),
             (refit + ["study.refit_particles=8"], r"study.refit_particles=8; allowed: an integer 16 to 4096"),
             (refit + ["study.ids=[R6]"], r"no fit target selected"),
             (refit + ["output_format=zarr"], r"output_format='zarr': a refit's Dataset is a posterior file"),
             (["+experiment=elderly", "posterior=x.nc"], r"posterior='x.nc': read only with parameter draws"),
             (draws + [f"posterior={tmp_path / 'nope.nc'}"], r"posterior='.*nope.nc': no such file"),
             (draws + [f"posterior={tmp_path / 'other.nc'}"], r"posterior='.*other.nc': not a posterior"),
             (draws + [f"posterior={tmp_path / 'text.nc'}"], r"posterior='.*text.nc': not a NetCDF file")]
    for overrides, message in cases:
        with pytest.raises(ValueError, match=message):
            configure(overrides)
