"""Library metabolite chains in the physiological model: diazepam -> nordiazepam -> oxazepam."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from popsim.arm import Arm, run_arm, victim_spec
from popsim.drugs.library import load, species
from popsim.pk.grid import Window
from popsim.regimen import fixed_interval


def test_chain_follows_the_library():
    assert species("diazepam") == ("diazepam", "nordiazepam", "oxazepam")
    assert species("midazolam") == ("midazolam",)
    spec = victim_spec("diazepam", "oral", 1.0, 10, save=True)
    assert spec.outputs == ("central", "M1_central", "M2_central")


def test_metabolite_exposure_obeys_the_formation_law(x64):
    # Linear chain, single oral dose D: AUC_parent = F D / CL and AUC_Mk = FM_1..FM_k F D / CL_Mk
    # (mass units: FM is the fraction formed times the molar-mass ratio), whatever the compartments.
    # 120 days on a 1 h grid in float64; only subjects whose three terminal half-lives (at most
    # ln2 Vss / CL) are below 100 h (>= 28 half-lives observed, truncation < 3e-9) are compared, at 1e-7,
    # over half of the 256 (a quarter of the adult cohort are CYP2C19 intermediate metabolisers, P73, whose
    # nordiazepam half-life is longer).  (In float32 the accumulation over 2880 steps alone reaches 2e-4.)
    dt, T, dose = 1.0, 24 * 120 + 1, 10.0
    arm = Arm("diazepam", "oral", "adult", dt, T, pd=False)
    r = run_arm(arm, fixed_interval(T, dt, dose, 1e6)[None, :, None], seed=0, n_subjects=256,
                windows={"all": Window(0, T - 1)}, dtype=jnp.float64)
    p = {k: v[0] for k, v in r.params.items()}
    auc = [r.stat("auc", "all", out)[0] for out in ("central", "M1_central", "M2_central")]  # (subject,) each
    half = [np.log(2) * sum(p.get(f"{s}V{j}", 0.0) for j in (1, 2, 3)) / p[f"{s}CL"] for s in ("", "M1_", "M2_")]
    ok = np.max(half, axis=0) < 100
    assert ok.sum() > 120
    expected = [p["F"] * dose / p["CL"], p["M1_FM"] * p["F"] * dose / p["M1_CL"],
                p["M2_FM"] * p["M1_FM"] * p["F"] * dose / p["M2_CL"]]
    for k in range(3):
        np.testing.assert_allclose(auc[k][ok], expected[k][ok], rtol=1e-7)
    # Mass conversion: 0.75 of diazepam cleared forms nordiazepam, in mg of nordiazepam.
    np.testing.assert_allclose(p["M1_FM"], 0.75 * load("nordiazepam").mw.value / load("diazepam").mw.value,
                               rtol=1e-6)
