"""The fluctuation experiment (PK with typical parameters): steady-state laws, chunk invariance, Zarr,
fluctuation-specific bad input, the command line and multirun seeds.  Files, units and the analysis
script are the contract tests' (tests/cli/test_contract.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import yaml

from popsim.experiments.fluctuation import EXPERIMENT
from popsim.io import read_dataset
from popsim.run import configure, run

TINY = ["+experiment=fluctuation", *EXPERIMENT.tiny]


@pytest.fixture(scope="module")
def fluctuation(run_study):
    return run_study(TINY)


def test_steady_state_average_equals_dose_rate_over_clearance(fluctuation):
    # Alprazolam-like t1/2 ~ 11 h: after 14 days (30 half-lives) the exact AUC over
    # the last 24 h equals F * daily dose / CL.  float32 accumulation over 337
    # steps: measured 2e-6 relative; bound 1e-4.
    _, ds = fluctuation
    assert ds["fluctuation_ss"].sel(drug="clonazepam", dose_mg=1.0, interval_h=12.0).shape == (6,)
    for tau in (6.0, 8.0, 12.0, 24.0):
        sub = ds.sel(drug="alprazolam", dose_mg=0.5, interval_h=tau)
        expected = sub["param_F"] * 0.5 / tau / sub["param_CL"]
        np.testing.assert_allclose(sub["cavg_ss"], expected, rtol=1e-4)


def test_fluctuation_grows_with_interval(fluctuation):
    # For a fixed subject and drug, (Cmax-Cmin)/Cavg rises with tau (seed law 2^(-tau/t1/2)).
    _, ds = fluctuation
    for drug in ("alprazolam", "clonazepam"):
        f = ds["fluctuation_ss"].sel(drug=drug, dose_mg=1.0).transpose("interval_h", "subject").values
        assert np.all(np.diff(f, axis=0) > 0)


def test_same_seed_same_numbers_any_chunk(tmp_path):
    a = run(configure(TINY + ["chunk_size=1"]), tmp_path / "a", progress=False)
    b = run(configure(TINY + ["chunk_size=1000"]), tmp_path / "b", progress=False)
    da, db = read_dataset(a["dataset"]), read_dataset(b["dataset"])
    for name in da.data_vars:
        np.testing.assert_array_equal(da[name].values, db[name].values, err_msg=name)


def test_zarr_round_trip(tmp_path):
    files = run(configure(TINY + ["output_format=zarr"]), tmp_path, progress=False)
    ds = read_dataset(files["dataset"])
    assert ds.sel(drug="alprazolam", interval_h=24.0, dose_mg=0.5)["cmax_ss"].attrs["units"] == "mg L-1"


@pytest.mark.parametrize(
    "override, message",
    [
        (["study.regimen.dose_mg=[-1]"], "study.regimen.dose_mg[0]=-1"),
        (["precision=float33"], "did you mean 'float32'"),
        (["grid.dt_h=0"], "grid.dt_h=0"),
        (["study.regimen.interval_h=[7.5]", "grid.dt_h=1"],
         "study.regimen.interval_h[0]=7.5; allowed: a multiple of grid.dt_h"),
        (["study.drugs.alprazolam.route=orla"], "study.drugs.alprazolam.route='orla'.*did you mean 'oral'"),
        (["study.drugs.alprazolam.typical.CL=-3"], "study.drugs.alprazolam.typical.CL=-3"),
        (["study.thresholds_mg_l=[0]"], "study.thresholds_mg_l[0]=0"),
        (["study.save_subjects=7"], "study.save_subjects=7; allowed: 0 <= study.save_subjects <= n_subjects=6"),
        (["study.drugs.alprazolam.cv.CL=1e-3"], None),  # YAML 1.1 would read 1e-3 as a string: must parse as a float
    ],
)
def test_bad_values_are_named(override, message):
    if message is None:
        assert configure(TINY + override).study.drugs["alprazolam"].cv["CL"] == pytest.approx(1e-3)
        return
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        configure(TINY + override)


def test_cli_runs_and_rejects_a_bad_drug_parameter(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "popsim", *TINY, "study.save_subjects=0", f"hydra.run.dir={tmp_path}"],
                        capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "fluctuation.nc").exists() and "fluctuation_summary.csv" in ok.stdout
    res = subprocess.run([sys.executable, "-m", "popsim", *TINY, "study.drugs.alprazolam.typical.CLL=3"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode != 0 and "CLL" in res.stderr, res.stderr[-500:]


def test_multirun_jobs_get_seeds_from_base_seed_and_overrides(tmp_path):
    # Two jobs of a sweep: each seed is derived from the base seed and the job's overrides
    # (popsim.keys.job_seed), recorded in the job's Dataset; job_seed=base keeps the base seed.
    from popsim.keys import job_seed

    sweep = ["-m", *TINY, "study.save_subjects=0", "seed=5", "grid.days=7,14", f"hydra.sweep.dir={tmp_path}"]
    res = subprocess.run([sys.executable, "-m", "popsim", *sweep], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    for k in (0, 1):
        overrides = yaml.safe_load((tmp_path / str(k) / ".hydra" / "overrides.yaml").read_text())
        seed = int(read_dataset(tmp_path / str(k) / "fluctuation.nc").attrs["seed"])
        assert seed == job_seed(5, overrides) != 5
    assert job_seed(5, ["grid.days=7"]) != job_seed(5, ["grid.days=14"])
    keep = subprocess.run([sys.executable, "-m", "popsim", *sweep[:-1], "job_seed=base",
                           f"hydra.sweep.dir={tmp_path / 'base'}"], capture_output=True, text=True, cwd=tmp_path)
    assert keep.returncode == 0, keep.stderr[-2000:]
    assert {int(read_dataset(tmp_path / "base" / str(k) / "fluctuation.nc").attrs["seed"]) for k in (0, 1)} == {5}
