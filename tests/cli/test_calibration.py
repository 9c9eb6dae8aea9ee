"""The calibration experiment end to end on the respiratory targets: files, Dataset contract, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from popsim.calibration import TARGETS, read_targets
from popsim.io import read_dataset
from popsim.run import configure, run


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    targets = read_targets(TARGETS)
    path = out / "targets.csv"
    targets[targets["id"].str.startswith("R")].to_csv(path, index=False)
    files = run(configure(["+experiment=calibration", f"targets={path}", "n_subjects=256"]), out, "test")
    return files, read_dataset(files["dataset"]), pd.read_csv(files["report"])


def test_outputs_and_dataset_contract(small):
    files, ds, table = small
    assert all(Path(p).exists() for p in files.values())
    assert ds.sizes["target"] == len(table) == 6
    for name in ("published", "lo", "hi", "simulated", "mc_lo", "mc_hi", "in_interval"):
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"]
    for key in ("popsim_version", "git_commit", "config_yaml", "seed", "targets"):
        assert key in ds.attrs
    assert np.all(ds["mc_lo"] <= ds["simulated"]) and np.all(ds["simulated"] <= ds["mc_hi"])
    assert set(ds["use"].values) == {"fit", "check"}


def test_fitted_targets_reproduce(small):
    # hypoxaemia_ve and synergy_psi were fitted on R1 and R4 with 500 subjects; with 256 subjects the
    # binomial Monte Carlo SD of a probability near 0.5 is 0.031, so 4 SD (0.125) bounds the difference
    # from the published value they were fitted to (plus the fit's own 500-subject noise, 0.022).
    _, ds, _ = small
    fitted = ds.where(ds["use"] == "fit", drop=True)
    assert set(fitted["target"].values) == {"R1", "R4"}
    np.testing.assert_allclose(fitted["simulated"], fitted["published"], atol=0.15)


def test_bad_targets_and_constants(tmp_path):
    bad = read_targets(TARGETS).head(2).assign(statistic=["p_hypoxaemia_fentanyl", "p_hypoxemia_both"])
    bad.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match="statistic='p_hypoxemia_both'"):
        read_targets(tmp_path / "t.csv")
    with pytest.raises(Exception, match="pd.fall_bta.*did you mean 'fall_beta'"):
        configure(["+experiment=calibration", "+pd.fall_bta=2"])
    with pytest.raises(Exception, match=r"pd.fall_beta=-1.0; allowed: a finite number >= 0 and <= 100"):
        configure(["+experiment=calibration", "+pd.fall_beta=-1"])
    with pytest.raises(Exception, match=r"pd.ec50_age_ratio=0.0; allowed: a finite number > 0"):
        configure(["+experiment=calibration", "+pd.ec50_age_ratio=0"])
    with pytest.raises(Exception, match=r"pd.apnoea_ve=0.7 exceeds pd.hypoxaemia_ve"):
        configure(["+experiment=calibration", "+pd.apnoea_ve=0.7"])
