"""The contract every registered experiment keeps, in one parametrised test per clause.

A tiny run (``EXPERIMENT.tiny``, float64) writes its files; every variable carries CF ``units`` and
``long_name``; the provenance records the resolved configuration and only the keys the experiment
reads; the analysis script in ``experiments/<name>/`` runs on the outputs; the numbers equal the
reference outputs (``tests/data/reference_outputs/``, rewritten by ``tests/data/make_reference_outputs.py``
only for an intended change of numbers); a key of another experiment, a
shared key the experiment does not read and a misspelt key are refused before any compute, naming
the key (with a "did you mean" where one is close).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from popsim.config import RUN_KEYS
from popsim.experiments import MODULES, REGISTRY
from popsim.experiments.base import SHARED
from popsim.run import check_keys, configure
from popsim.uncertainty import LIBRARY, UNCERTAIN

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "tests" / "data" / "reference_outputs"
NAMES = sorted(REGISTRY)
# candidate overrides of shared keys, to find one an experiment does not read
SHARED_OVERRIDES = ("cohort=obese", "+pd.fall_beta=3.0", "+pd.synergy_psi=2.0", "+pd.ethanol_vmax_ratio=2.0",
                    "grid.days=3", "grid.dt_h=0.5", "grid.summary_window_h=12")


def test_every_module_is_registered():
    assert NAMES == sorted(MODULES)
    for name, exp in REGISTRY.items():
        assert exp.name == name and (ROOT / "popsim" / "configs" / "experiment" / f"{name}.yaml").exists()


@pytest.mark.parametrize("name", NAMES)
def test_outputs_and_dataset_contract(name, tiny):
    files, ds = tiny(name)
    assert {"dataset", "figure"} <= set(files) and all(Path(p).exists() for p in files.values())
    for var in ds.variables:  # data variables and coordinates (the regimen MultiIndex is rebuilt on reading)
        if var != "regimen":
            assert ds[var].attrs.get("units") and ds[var].attrs.get("long_name"), var
    for key in ("popsim_version", "git_commit", "config_yaml", "seed", "precision", "jax_backend"):
        assert key in ds.attrs, key
    recorded = yaml.safe_load(ds.attrs["config_yaml"])
    assert recorded["experiment"] == name and recorded["precision"] == "float64"
    exp = REGISTRY[name]
    for group in SHARED:
        assert (group in recorded) == any(r.split(".")[0] == group for r in exp.reads), group
    assert set(recorded) <= set(RUN_KEYS) | set(SHARED)
    assert set(recorded.get("pd", {})) == set(exp.pd_constants())  # every constant used, with its value


@pytest.mark.parametrize("name", [n for n in NAMES if (ROOT / "experiments" / n / "analyse.py").exists()])
def test_analysis_script_runs(name, tiny):
    files, _ = tiny(name)
    res = subprocess.run([sys.executable, str(ROOT / "experiments" / name / "analyse.py"),
                          str(Path(files["dataset"]).parent)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip()


@pytest.mark.parametrize("name", NAMES)
def test_numbers_are_those_of_main(name, tiny):
    # A change that is not meant to move numbers leaves every variable of the reference outputs as it was:
    # bitwise on the machine that wrote them (last for issue 13's distribution and CYP2C19 changes).
    # Across machines XLA may contract or vectorise differently, so 1e-9 relative (float64) bounds that,
    # far below any modelling difference; variables the references lack are new and not compared.
    if not (MAIN / f"{name}.nc").exists():
        pytest.skip(f"{name} has no reference output yet (tests/data/make_reference_outputs.py {name})")
    _, ds = tiny(name)
    ref = xr.open_dataset(MAIN / f"{name}.nc").load()
    for var in ref.variables:
        assert var in ds.variables, var
        a, b = ref[var].values, ds[var].values
        assert a.shape == b.shape, var
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=0, equal_nan=True, err_msg=var)
        else:
            assert np.array_equal(a, b), var


def _other_study_key(name):
    mine = {f.name for f in dataclasses.fields(REGISTRY[name].schema)}
    for other in NAMES:
        for f in dataclasses.fields(REGISTRY[other].schema):
            if f.name not in mine:
                return other, f.name
    raise AssertionError("every study key is shared")


@pytest.mark.parametrize("name", NAMES)
def test_a_key_of_another_experiment_is_refused(name):
    other, key = _other_study_key(name)
    with pytest.raises(ValueError, match=rf"study.{key} is not a key of study \(the {name} experiment\)"):
        configure([f"+experiment={name}", f"study.{key}=1"])


@pytest.mark.parametrize("name", NAMES)
def test_a_shared_key_it_does_not_read_is_refused(name):
    exp = REGISTRY[name]
    override = next((o for o in SHARED_OVERRIDES if not exp.reads_key(o.split("=")[0].lstrip("+"))), None)
    if override is None:
        pytest.skip(f"{name} reads every shared key")
    key = override.split("=")[0].lstrip("+")
    with pytest.raises(ValueError, match=rf"^{key}: the {name} experiment does not read this key"):
        configure([f"+experiment={name}", override])


@pytest.mark.parametrize("name", NAMES)
def test_misspelt_keys_get_a_did_you_mean(name):
    field = dataclasses.fields(REGISTRY[name].schema)[0].name
    typo = field[:-1] + ("x" if field[-1] != "x" else "y")
    with pytest.raises(ValueError, match=rf"study.{typo} is not a key .*did you mean '{field}'\?"):
        check_keys([f"+experiment={name}", f"study.{typo}=1"])
    with pytest.raises(ValueError, match=r"n_subject is not a key of the run configuration.*did you mean 'n_subjects'"):
        check_keys([f"+experiment={name}", "n_subject=5"])
    with pytest.raises(ValueError, match=rf"experiment='{name[:-1]}'; allowed: .*did you mean '{name}'"):
        check_keys([f"+experiment={name[:-1]}"])


def test_hydra_flags_are_not_read_as_overrides():
    check_keys(["-m", "--cfg", "job", "+experiment=interdose", "seed=1,2", "hydra/launcher=basic",
                "hydra.run.dir=/tmp/x", "cohort=elderly"])


def test_the_command_line_refuses_a_misspelt_key_before_hydra():
    res = subprocess.run([sys.executable, "-m", "popsim", "+experiment=interdose", "n_subject=5"],
                         capture_output=True, text=True, check=False, cwd=ROOT)
    assert res.returncode != 0
    assert "n_subject is not a key of the run configuration" in res.stderr and "did you mean 'n_subjects'" in res.stderr


@pytest.mark.parametrize("name", [n for n in NAMES if "cohort" in REGISTRY[n].reads])
def test_cohort_fractions_nothing_uses_are_refused(name):
    # a fraction of the cohort that would take a perpetrator, an opioid or alcohol, where the experiment
    # gives none of them by that fraction, would be sampled and recorded but change nothing
    with pytest.raises(ValueError, match=r"cohort.p_alcohol=0.5: no experiment gives a fraction"):
        configure([f"+experiment={name}", "cohort.p_alcohol=0.5"])
    if not REGISTRY[name].schema.PERPETRATOR:
        with pytest.raises(ValueError, match=rf"cohort.p_perpetrator=1.0 \(cohort ritonavir_boosted\): the {name} "
                                             "experiment gives the cohort no CYP3A4/CYP2C19 perpetrator"):
            configure([f"+experiment={name}", "cohort=ritonavir_boosted"])


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].draws])
def test_parameter_draws_contract(name, tiny):
    # n_draws=K gives the per-subject outputs a draw dimension before subject; draw k is the same whatever K
    # (draws 0-1 of K = 3 equal those of K = 2, bitwise), the subjects are the same people in every draw
    # (covariates carry no draw), the drawn constants are stored, and some output moves with them
    files, ds = tiny(name, "n_draws=3")
    _, two = tiny(name, "n_draws=2")
    assert Path(files["figure"]).exists() and ds.attrs["n_draws"] == 3
    np.testing.assert_array_equal(ds["draw"], [0, 1, 2])
    for var in ds.variables:
        if var != "regimen":
            assert ds[var].attrs.get("units") and ds[var].attrs.get("long_name"), var
    stored = [v.removeprefix("pd_") for v in ds.data_vars if v.startswith("pd_")]
    assert (stored or not REGISTRY[name].reads_pd) and set(stored) <= set(UNCERTAIN)
    assert all(ds[f"pd_{k}"].dims == ("draw",) and len(np.unique(ds[f"pd_{k}"])) == 3 for k in stored)
    # the drug library's values: every uncertain one, each taking three values (not in the calibration, whose
    # replay draws the PD constants alone)
    if name != "calibration":
        lib = ds["library_value"]
        assert lib.dims == ("draw", "quantity") and set(LIBRARY) <= set(lib["quantity"].values)
        assert all(len(np.unique(lib.sel(quantity=q))) == 3 for q in LIBRARY)
    assert all("draw" in ds[v].dims for v in ds.data_vars if "subject" in ds[v].dims)
    assert all("draw" not in ds.coords[c].dims for c in ds.coords if "subject" in ds.coords[c].dims)
    outputs = [v for v in ds.data_vars if "draw" in ds[v].dims and not v.startswith("pd_")]
    moved = [v for v in outputs if np.nanmax(np.abs(np.diff(ds[v].values, axis=ds[v].dims.index("draw")))) > 0]
    assert moved, "no output depends on the drawn constants"
    for var in ds.data_vars:
        if "draw" in ds[var].dims:
            np.testing.assert_array_equal(ds[var].isel(draw=[0, 1]).values, two[var].values, err_msg=var)
    script = ROOT / "experiments" / name / "analyse.py"
    if script.exists():
        res = subprocess.run([sys.executable, str(script), str(Path(files["dataset"]).parent)], capture_output=True,
                             text=True, check=False)
        assert res.returncode == 0, res.stderr[-2000:]


@pytest.mark.parametrize("name", [n for n in NAMES if not REGISTRY[n].draws])
def test_parameter_draws_are_refused_where_unsupported(name):
    with pytest.raises(ValueError, match=rf"n_draws=2: the {name} experiment"):
        configure([f"+experiment={name}", "n_draws=2"])
