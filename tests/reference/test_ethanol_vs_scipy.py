"""Ethanol Michaelis-Menten disposition in the grid loop against solve_ivp."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from popsim.pd import EthanolMM, ethanol_gut
from popsim.pk.grid import Channel, GridSpec, Window, kernels, simulate_one

# Norberg 2000 (literature.md D1-D3): Vmax 95 mg/min = 5700 mg/h, Km 27 mg/L, CLd 809 mL/min =
# 48.54 L/h, VC 14.5 L, VT 21.2 L.  Absorption ka 3 /h (test value).  Two drinks of 14 g at 0 and 1 h.
P = dict(E_UNIT=1.0, E_KA=3.0, VMAX=5700.0, KM=27.0, CLD=48.54, VC=14.5, VT=21.2)
DRINKS, HOURS = ((0.0, 14000.0), (1.0, 14000.0)), 10.0


def run(dt, substeps=16, dtype=jnp.float64):
    n = round(HOURS / dt) + 1
    spec = GridSpec(ethanol_gut(), dt, n, (Channel("gut"),), outputs=("gut",), windows=(Window(0, n - 1),),
                    save=True, pd=EthanolMM(substeps=substeps))
    u = np.zeros((n, 1))
    for t, mg in DRINKS:
        u[round(t / dt), 0] += mg
    p = {k: jnp.asarray(v, dtype) for k, v in P.items()}
    ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
    return jax.jit(lambda: simulate_one(spec, ker, jnp.asarray(u, dtype), p))()


def rates(x):
    """Gut, central and peripheral ethanol (mg): the Michaelis-Menten system of EthanolMM."""
    g, ac, at = x[:3]
    cc, ct = ac / P["VC"], at / P["VT"]
    return [-P["E_KA"] * g, P["E_KA"] * g - P["VMAX"] * cc / (P["KM"] + cc) - P["CLD"] * (cc - ct),
            P["CLD"] * (cc - ct)]


def integrate(f, n_states, times, atol):
    """solve_ivp of ``f`` restarted at each drink (added to state 0); states at ``times``."""
    x = np.zeros(n_states)
    out = np.zeros((len(times), n_states))
    edges = [t for t, _ in DRINKS] + [times[-1] + 1e-9]
    for i, (t, mg) in enumerate(DRINKS):
        x[0] += mg
        sel = (times >= edges[i]) & (times < edges[i + 1])
        sol = solve_ivp(f, (edges[i], edges[i + 1]), x, method="LSODA", rtol=1e-11, atol=atol,
                        t_eval=times[sel], dense_output=True)
        out[sel] = sol.y.T
        x = sol.sol(edges[i + 1])
    return out


def ode(times):
    return integrate(lambda t, x: rates(x), 3, times, 1e-10)[:, 1] / P["VC"]


@pytest.fixture(scope="module")
def reference():
    return ode(np.arange(round(HOURS / 0.1) + 1) * 0.1)


def test_blood_ethanol_matches_the_ode(reference, x64):
    # Peak ~560 mg/L (0.056 g/dL); near zero-order fall at Vmax, then first order below Km.  Drinks at
    # grid times are absorbed exactly (geometric interpolation of a draining depot), so what is left is
    # RK4's error: measured 8.5e-4 mg/L at dt = 0.1 h with 16 substeps; bound 3e-3.
    out = run(0.1)
    c = np.asarray(out["pd"]["ethanol"])
    assert np.abs(c - reference).max() < 3e-3, np.abs(c - reference).max()
    assert c.max() > 400 and c[-1] < 1.0
    assert np.all(c >= 0)


def test_error_is_fourth_order_in_the_substep(reference, x64):
    # RK4: 4 -> 8 substeps cut the error 7.8-fold (measured), 8 -> 16 11-fold; a second-order slip
    # would give 4.
    errs = [np.abs(np.asarray(run(0.1, k)["pd"]["ethanol"]) - reference).max() for k in (4, 8)]
    assert errs[0] / errs[1] > 6.0, errs


def test_elimination_rate_is_the_published_widmark_beta(x64):
    # Between 2 and 3 h after the first drink (blood ethanol 460 -> 300 mg/L, far above Km) the fall
    # is nearly zero order: measured 15.9 mg/dL/h.  Winek & Murphy 1984 (literature.md D5): 12 +- 4
    # (non-drinkers) and 15 +- 4 mg/dL/h (social drinkers): the value must lie within 1 SD of either.
    c = np.asarray(run(0.1)["pd"]["ethanol"])
    beta = (c[20] - c[30]) / 10.0  # mg/L per h -> mg/dL per h
    assert 11.0 < beta < 19.0, beta


# Ethanol at its GABA-A site inside the Risk model (cross-tolerance): the stimulus C / (C + KD) of blood
# ethanol, through the effect S / (S + THETA), drives the shared adaptation state.  KD 2000 mg/L, THETA 0.3,
# adaptation rate 0.05 /h (fast, so the state moves within this 10 h test), withdrawal hazard 0.5 W^2.
GABA = dict(ethanol_KD=2000.0, THETA=0.3, KADAPT=0.05, TOL=0.5, FALL_H0=1e-5,
            FALL_BETA=2.0, P_FX=0.01, FX_BETA=1.0, WD_K=0.5, WD_N=2.0, SZ_K=0.01, EB_MAX=0.5, G_RESP=2.0,
            HYP_THETA=0.1, HYP_X=1.0,
            W_FRAC=0.94, W_OPI=1.0, VE_CAP=3.0, SLEEP_HILL=4.0, AW_MAX=0.9, PSI=3.0, CO2_F=4.3, CO2_KEL=4.8,
            CO2_KE0=55.2, PACO2_0=42.4, AA_GRAD=10.0, VE_APNOEA=0.1)


def run_risk(dt, dtype=jnp.float64):
    from popsim.pd import GabaAdaptation
    from popsim.pd.risk import Risk

    n = round(HOURS / dt) + 1
    risk = Risk(GabaAdaptation(sites=(), ethanol="ethanol"), ethanol=EthanolMM())
    spec = GridSpec(ethanol_gut(), dt, n, (Channel("gut"),), outputs=("gut",), save=True, pd=risk)
    u = np.zeros((n, 1))
    for t, mg in DRINKS:
        u[round(t / dt), 0] += mg
    p = {k: jnp.asarray(v, dtype) for k, v in (P | GABA).items()}
    ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
    return jax.jit(lambda: simulate_one(spec, ker, jnp.asarray(u, dtype), p))()["pd"]


def ode_risk(times):
    g = GABA

    def effect(cc):
        s = cc / (cc + g["ethanol_KD"])
        return s / (s + g["THETA"])

    def f(t, x):
        e = effect(x[1] / P["VC"])
        a1, a2 = x[3], x[4]
        return rates(x) + [g["KADAPT"] * (e - a1), g["KADAPT"] * (e - a2),
                           g["WD_K"] * max(a2 - e, 0.0) ** g["WD_N"]]

    out = integrate(f, 6, times, 1e-12)
    cc = out[:, 1] / P["VC"]
    return {"ethanol": cc, "effect_a2": effect(cc), "adaptation_a2": out[:, 4],
            "p_withdrawal": 1 - np.exp(-out[:, 5])}


def test_ethanol_drives_the_shared_gaba_adaptation(x64):
    # The effect peaks ~0.42 at 560 mg/L; adaptation follows at 0.05 /h and is left above the effect
    # once ethanol is eliminated (the withdrawal mismatch).  Errors: the adaptation's drive is taken
    # linear between grid points (second order, as for drugs): measured 6.7e-5, 2.5e-4 and 9.0e-4 at dt
    # 0.05, 0.1 and 0.2 h (ratios 3.8, 3.5); the effect inherits RK4's ethanol error (7.1e-7 at 0.1 h) and
    # P(withdrawal) the adaptation's (4.5e-5).  Bounds: about 1.5x the measured errors at 0.1 h.
    times = np.arange(round(HOURS / 0.1) + 1) * 0.1
    ref = ode_risk(times)
    out = run_risk(0.1)
    errors = {k: np.abs(np.asarray(out[k]) - ref[k]).max() for k in ref}
    assert errors["effect_a2"] < 1.1e-6, errors
    assert errors["adaptation_a2"] < 4e-4, errors
    assert errors["p_withdrawal"] < 7e-5, errors
    assert ref["adaptation_a2"][-1] > ref["effect_a2"][-1] + 0.03  # a real mismatch is tested (0.049)
    coarse = run_risk(0.2)
    e2 = np.abs(np.asarray(coarse["adaptation_a2"]) - ref["adaptation_a2"][::2]).max()
    assert 3.0 < e2 / errors["adaptation_a2"] < 5.0, (e2, errors["adaptation_a2"])
