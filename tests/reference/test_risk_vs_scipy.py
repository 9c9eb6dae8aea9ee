"""The Risk model (GABA-A + mu receptor states, hazards, threshold times) against solve_ivp of the joint system.

The dependence and withdrawal score runs alongside; its states are checked against solve_ivp in
test_withdrawal_vs_scipy.py."""

from __future__ import annotations

from itertools import pairwise

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from popsim.pd import GabaAdaptation, MuReceptor
from popsim.pd.risk import Risk
from popsim.pk.grid import Channel, GridSpec, Window, kernels, simulate_one
from popsim.pk.model import LinearModel, mammillary

# Benzodiazepine: one compartment, oral, effect site (t1/2 12 h; the drug of test_pd_vs_scipy.py).
# Opioid and naloxone: the PK and receptor constants of test_mu_vs_scipy.py (fentanyl-like PK with
# morphine's low-affinity binding, so 20 mg binds ~75% of receptors and takes ventilation below the
# apnoea threshold).  Scores: test values of the size of popsim.pd.constants.PD.  The respiratory score's
# states (CO2 feedback) are checked against solve_ivp in test_ventilation_v2.py and the withdrawal score's
# in test_withdrawal_vs_scipy.py; here they only run alongside.  As in popsim.arm.risk_model, only alpha1
# adapts (tolerance to sedation).
BENZO = dict(KA=2.0, CL=4.0, V1=70.0, KE0=1.5, F=0.9, KD_a1=0.02, KD_a2=0.04, THETA=0.3)
OPIOID = dict(O_CL=58.8, O_V1=19.5, O_Q2=210.6, O_V2=150.0, O_KE0=2.53, O_KON=179.4, O_KOFF=8.28,
              O_ALPHA=0.91, O_HILL=1.0, O_TOL=1.0)
NALOXONE = dict(N_CL=91.0, N_V1=38.0, N_KE0=6.36, O_KON_N=2000.0, O_KOFF_N=2.4)
# The withdrawal score's constants near their PD values (rates 1/h), with 90 days of prior use applied at 24 h,
# so that the replay test below steps the reset too.
WITHDRAWAL = dict(DEP_EC=0.1, DEP_KT=0.0144, DEP_KON=2.4e-4, DEP_KOFF=2.1e-3, DEP_KG=0.0385, DEP_WT=0.3, DEP_WG=0.3,
                  DEP_KX=0.35, DEP_KS=0.23, DEP_KD=4.8e-3, DEP_XC=0.1, DEP_ANY=0.34, DEP_DROP=1.26, DT_THR=1.5,
                  SZ_K=0.01, SZ_THR=1.0, SZ_N=2.0, SZ_KINDLE=2.7, DEP_BURNIN=24.0, DEP_PRIOR=2160.0)
SCORES = WITHDRAWAL | dict(KADAPT=0.01, TOL=0.6, FALL_H0=5e-5, FALL_BETA=2.0, P_FX=0.01, FX_BETA=1.5,
              EB_MAX=0.5, G_RESP=2.0, HYP_THETA=0.1, HYP_X=1.0,
              W_FRAC=0.94, W_OPI=1.0, VE_CAP=3.0, SLEEP_HILL=4.0, AW_MAX=0.9, PSI=3.0, CO2_F=4.3, CO2_KEL=4.8,
              CO2_KE0=55.2, PACO2_0=42.4, AA_GRAD=10.0, VE_APNOEA=0.1)
P = BENZO | OPIOID | NALOXONE | SCORES
# 1 mg every 8 h for 4 days, then stopped (tolerance to sedation builds, then wears off); the opioid
# 2 h after the last-but-one dose, near the benzodiazepine peak, and naloxone 20 min later (it wears
# off before the opioid: ventilation falls below the hypoxaemia threshold a second time).
DOSE_B, TAU, N_B = 1.0, 8.0, 12
DOSE_O, T_O, DOSE_N, T_N, HOURS = 20.0, 90.0, 0.4, 90.0 + 1 / 3, 144.0
DTS = (1 / 30, 1 / 60)  # 2 and 1 min: the opioid's effect site moves in minutes


def run(dt):
    parts = [mammillary(1, oral=True, effect=True), mammillary(2, oral=False, effect=True, prefix="O_"),
             mammillary(1, oral=False, effect=True, prefix="N_")]
    model = LinearModel(sum((m.compartments for m in parts), ()), sum((m.flows for m in parts), ()))
    n = round(HOURS / dt) + 1
    spec = GridSpec(model, dt, n, (Channel("depot", f="F"), Channel("O_central"), Channel("N_central")),
                    outputs=("effect", "O_effect", "N_effect"), windows=(Window(0, n - 1),), save=True,
                    pd=Risk(GabaAdaptation(sites=("effect",), adapted=("a1",)),
                            MuReceptor("O_effect", "N_effect", prefix="O_")))
    u = np.zeros((n, 3))
    u[: round(TAU * N_B / dt) : round(TAU / dt), 0] = DOSE_B
    u[round(T_O / dt), 1] = DOSE_O
    u[round(T_N / dt), 2] = DOSE_N
    p = {k: jnp.asarray(v, jnp.float64) for k, v in P.items()}
    ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
    out = jax.jit(lambda: simulate_one(spec, ker, jnp.asarray(u), p))()
    return {k: np.asarray(v) for k, v in out["pd"].items()}


def occupancy(e, kd):
    x = max(e, 0.0) / kd
    return x / (1 + x)


def instant(x):
    """Occupancies, sedation and effects from the oracle's states (popsim.pd.gaba and popsim.pd.risk)."""
    p = P
    o1, o2 = occupancy(x[2], p["KD_a1"]), occupancy(x[2], p["KD_a2"])
    e1, e2 = o1 / (o1 + p["THETA"]), o2 / (o2 + p["THETA"])
    sed = max(e1 - p["TOL"] * x[8], 0.0)
    return o1, o2, sed, e1, e2


def rhs(t, x):
    """States: benzodiazepine depot, central (mg), effect (mg/L); opioid central, periph (mg), effect; naloxone
    central, effect; A1, R_o, R_n; cumulative fall and hip-fracture hazards."""
    p = P
    d, c, e, oc, op, oe, nc, ne, a1, ro, rn = x[:11]
    o1, o2, sed, e1, e2 = instant(x)
    k10, k12, k21 = p["O_CL"] / p["O_V1"], p["O_Q2"] / p["O_V1"], p["O_Q2"] / p["O_V2"]
    free = 1 - ro - rn
    return [
        -p["KA"] * d, p["KA"] * d - p["CL"] / p["V1"] * c, p["KE0"] * (c / p["V1"] - e),
        -(k10 + k12) * oc + k21 * op, k12 * oc - k21 * op, p["O_KE0"] * (oc / p["O_V1"] - oe),
        -p["N_CL"] / p["N_V1"] * nc, p["N_KE0"] * (nc / p["N_V1"] - ne),
        p["KADAPT"] * (e1 - a1),
        p["O_KON"] * max(oe, 0.0) * free - p["O_KOFF"] * ro, p["O_KON_N"] * max(ne, 0.0) * free - p["O_KOFF_N"] * rn,
        p["FALL_H0"] * np.exp(p["FALL_BETA"] * sed),
        p["FALL_H0"] * np.exp(p["FALL_BETA"] * sed) * p["P_FX"] * np.exp(p["FX_BETA"] * sed),
    ]


def ode(times):
    """Signals at ``times``, restarting at every dose."""
    doses = {TAU * i: [(0, P["F"] * DOSE_B)] for i in range(N_B)}
    doses.setdefault(T_O, []).append((3, DOSE_O))
    doses.setdefault(T_N, []).append((6, DOSE_N))
    edges = sorted(doses) + [times[-1] + 1e-9]
    x = np.zeros(13)
    states = np.zeros((len(times), 13))
    for a, b in pairwise(edges):
        for i, amount in doses[a]:
            x[i] += amount
        sel = (times >= a) & (times < b)
        sol = solve_ivp(rhs, (a, b), x, method="LSODA", rtol=1e-10, atol=1e-12, t_eval=times[sel],
                        dense_output=True)
        assert sol.success, sol.message
        states[sel] = sol.y.T
        x = sol.sol(b)
    signals = np.array([instant(s) for s in states])
    hf, hx = states[:, 11:].T
    ref = {
        "occupancy_a1": signals[:, 0], "occupancy_a2": signals[:, 1], "effect_a1": signals[:, 3],
        "effect_a2": signals[:, 4], "adaptation_a1": states[:, 8], "sedation": signals[:, 2],
        "mu_bound_opioid": states[:, 9], "mu_bound_antagonist": states[:, 10],
        "falls_expected": hf, "p_fall": -np.expm1(-hf), "p_hip_fracture": -np.expm1(-hx), "fractures_expected": hx,
    }
    return ref


@pytest.fixture(scope="module")
def results():
    """(engine signals, oracle signals) at each of DTS."""
    with jax.enable_x64(True):
        return [(run(dt), ode(np.arange(round(HOURS / dt) + 1) * dt)) for dt in DTS]


def max_error(got, ref, name):
    """Largest absolute error over the grid."""
    return np.abs(got[name] - ref[name]).max()


def test_the_regimen_exercises_every_score(results):
    _, ref = results[-1]
    assert ref["adaptation_a1"].max() > 0.2 and ref["sedation"].max() > 0.3
    assert ref["mu_bound_opioid"].max() > 0.7 and ref["mu_bound_antagonist"].max() > 0.5


def test_occupancy_is_exact(results):
    # Occupancy is a function of the effect-site concentration, which the grid propagates exactly: the
    # difference is the oracle's (rtol 1e-10), measured 3.8e-11; bound 4x.
    got, ref = results[-1]
    for name in ("occupancy_a1", "occupancy_a2", "effect_a1", "effect_a2"):
        assert max_error(got, ref, name) < 1.5e-10, name


# Largest absolute error at dt = 1 min, measured (the bound is 3x, rounded up).  The receptor fractions
# carry the error of the linear interpolation of the effect-site concentrations within a step
# right after the 20 mg bolus (3.2e-3 with 32 substeps: the drive, not MuReceptor's substeps, dominates);
# the GABA-A states and the hazards are driven by the benzodiazepine, which moves in hours.
BOUNDS = {
    "adaptation_a1": 5.1e-7,  # 1.7e-7
    "sedation": 3.0e-7,  # 1.0e-7
    "mu_bound_opioid": 1.1e-2,  # 3.7e-3 (peak 0.74)
    "mu_bound_antagonist": 1.2e-3,  # 3.8e-4 (peak 0.52)
    "falls_expected": 7.0e-9,  # 2.3e-9 (0.017 at the end)
    "p_fall": 7.0e-9,  # 2.3e-9
    "fractures_expected": 1.8e-10,  # 5.7e-11 (3.3e-4 at the end)
    "p_hip_fracture": 1.8e-10,  # 5.7e-11
}


@pytest.mark.parametrize("name", BOUNDS)
def test_signals_match_the_ode(results, name):
    got, ref = results[-1]
    assert max_error(got, ref, name) < BOUNDS[name]


SMOOTH = ("adaptation_a1", "sedation", "mu_bound_opioid", "mu_bound_antagonist", "falls_expected")


@pytest.mark.parametrize("name", SMOOTH)
def test_error_is_second_order_in_dt(results, name):
    # Halving dt (2 -> 1 min) cuts the error 4-fold: measured 3.99 (tolerance, sedation) to 4.04 (mu
    # fraction).  First order would give 2, third order 8.
    (got2, ref2), (got1, ref1) = results
    ratio = max_error(got2, ref2, name) / max_error(got1, ref1, name)
    assert 3.5 < ratio < 4.5, ratio


def test_a_registered_score_adds_its_signals_and_changes_no_other(x64):
    # A score is one class plus its place in Risk's list: here the integral of net sedation (trapezoidal,
    # like the hazards), appended to the default scores.  The other signals stay bitwise the same and in
    # the same order, and the new one is the trapezoidal integral of the reported sedation (rounding only).
    import dataclasses
    from typing import NamedTuple

    from popsim.pd import SCORES as DEFAULT_SCORES
    from popsim.pd import Score

    class Area(NamedTuple):
        area: jnp.ndarray

    @dataclasses.dataclass(frozen=True)
    class SedationArea(Score):
        parameters = ()
        cumulative = {"sedation_area": ("h", "integral of net sedation since t = 0")}

        def init(self, p, dtype):
            return Area(jnp.zeros((), dtype))

        def step(self, state, d0, d1, p, dt):
            return Area(state.area + 0.5 * dt * (d0.sedation + d1.sedation))

        def values(self, state, d, p):
            return {"sedation_area": state.area}

    dt, n = 0.25, 4 * 96 + 1
    u = np.zeros((n, 1))
    u[: 3 * 96 : 32, 0] = DOSE_B
    p = {k: jnp.asarray(v, jnp.float64) for k, v in (BENZO | SCORES).items()}
    out = {}
    for name, scores in (("default", DEFAULT_SCORES), ("added", DEFAULT_SCORES + (SedationArea(),))):
        risk = Risk(GabaAdaptation(sites=("effect",)), scores=scores)
        spec = GridSpec(mammillary(1, oral=True, effect=True), dt, n, (Channel("depot", f="F"),),
                        outputs=("effect",), save=True, pd=risk)
        ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
        traj = simulate_one(spec, ker, jnp.asarray(u), p)["pd"]
        out[name] = (list(risk.signals), {k: np.asarray(v) for k, v in traj.items()})
    (names, base), (names_added, added) = out["default"], out["added"]
    assert names_added == names + ["sedation_area"]
    for k in names:
        np.testing.assert_array_equal(added[k], base[k])
    sed = base["sedation"]
    trapezoid = np.concatenate([[0.0], np.cumsum(0.5 * dt * (sed[:-1] + sed[1:]))])
    np.testing.assert_allclose(added["sedation_area"], trapezoid, rtol=1e-12, atol=1e-15)
    assert added["sedation_area"][-1] > 1.0  # not vacuous


def test_replay_recomputes_every_score_from_the_saved_drive(results, x64):
    # popsim.pd.risk.replay steps a score over saved drive signals (what the calibration fits vary): it must give
    # the grid loop's own values, up to float64 rounding.
    from popsim.pd.risk import DRIVE_SIGNALS, SCORES, replay

    got, _ = results[-1]
    p = {k: jnp.asarray(v, jnp.float64) for k, v in P.items()}
    for score in SCORES:
        again = replay(score, {k: got[k] for k in DRIVE_SIGNALS}, p, DTS[-1])
        for name in score.signals:
            np.testing.assert_allclose(np.asarray(again[name]), got[name], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{type(score).__name__}.{name}")
