"""Grid mode against pharmacokinetic laws and closed forms.

Steady state, AUC(0-inf) = F*Dose/CL, superposition, dose proportionality,
mass balance, non-negativity, the ka = k and alpha = beta limits, slow
terminal phases, and the window summaries against brute-force numpy.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import simpson

from popsim.pk.grid import Channel, GridSpec, Window, kernels, simulate_one
from popsim.pk.model import Compartment, Flow, LinearModel, mammillary, parent_metabolite_chain


def simulate(spec, p, u, dtype=jnp.float64):
    """One subject, constant parameters; numbers as ``dtype`` arrays."""
    ker = kernels(spec, {k: jnp.asarray(v, dtype) for k, v in p.items()})
    ker = jax.tree_util.tree_map(lambda x: x[None], ker)
    return simulate_one(spec, ker, jnp.asarray(u, dtype))


def one_channel(n, steps, amount):
    u = np.zeros((n, 1))
    u[list(steps), 0] = amount
    return u


# ---------------------------------------------------------------------------
# Summaries and rank promotion
# ---------------------------------------------------------------------------


def test_summaries_run_under_rank_promotion_raise(x64):
    """Summary windows must work with jax_numpy_rank_promotion="raise" (set in conftest).

    Regression: commit 64be238 broadcast ``(window, output)`` summaries against
    ``(output,)`` values (``jnp.maximum(summ["cmax"], jnp.maximum(y, y_plus))``),
    which raised ``ValueError: Operands could not be broadcast together for
    maximum on shapes (1, 1) (1,)``.
    """
    spec = GridSpec(mammillary(1, oral=False), 0.5, 20, (Channel("central"),), windows=(Window(0, 10),))
    out = simulate(spec, {"CL": 1.0, "V1": 10.0}, one_channel(20, [0], 100.0))
    assert out["cmax"].shape == (1, 1)
    np.testing.assert_allclose(out["cmax"][0, 0], 10.0, rtol=1e-14)


# ---------------------------------------------------------------------------
# Steady state and AUC
# ---------------------------------------------------------------------------


def test_steady_state_trough_over_peak(x64):
    """IV bolus every tau: trough/peak = 2^(-tau/t_half); peak = trough + D/V."""
    V, t_half, tau, dt, D = 10.0, 6.0, 12.0, 0.5, 100.0
    k = math.log(2) / t_half
    per = int(tau / dt)  # 24 steps
    n_doses = 20  # 20 * 12 h = 40 half-lives: the approach to steady state is 2^-40 = 1e-12 away
    n = n_doses * per + 1
    last = (n_doses - 1) * per
    spec = GridSpec(mammillary(1, oral=False), dt, n, (Channel("central"),), windows=(Window(last, n - 1),))
    out = simulate(spec, {"CL": k * V, "V1": V}, one_channel(n, range(0, n - 1, per), D))
    c = np.asarray(out["conc"]["central"])
    trough, peak = c[n - 1], float(out["cmax"][0, 0])
    r = 2.0 ** (-tau / t_half)
    # 1e-9: the requirement; the recursion is exact and 2^-40 of the steady state is left
    assert trough / peak == pytest.approx(r, rel=1e-9)
    assert peak == pytest.approx(c[last] + D / V, rel=1e-12)  # right limit at the last dose
    assert peak == pytest.approx(D / V / (1 - r), rel=1e-9)
    assert trough == pytest.approx(D / V * r / (1 - r), rel=1e-9)
    assert float(out["cmin"][0, 0]) == pytest.approx(c[last], rel=1e-14)  # cmin sees left limits only
    assert float(out["c_end"][0, 0]) == trough


def _two_cmt_beta(CL, V1, Q2, V2):
    k10, k12, k21 = CL / V1, Q2 / V1, Q2 / V2
    s, p = k10 + k12 + k21, k10 * k21
    alpha = (s + math.sqrt(s * s - 4 * p)) / 2
    return p / alpha


@pytest.mark.parametrize(
    "model, channels, p, dose_steps, F",
    [
        (mammillary(1), (Channel("depot", f="F"),), {"KA": 0.9, "CL": 2.0, "V1": 10.0, "F": 0.65}, [0], 0.65),
        (mammillary(2, oral=False), (Channel("central"),), {"CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0}, [0, 7], 1),
        (mammillary(2), (Channel("depot", f="F", lag="ALAG"),),
         {"KA": 0.9, "CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0, "F": 0.4, "ALAG": 0.7}, [0, 3], 0.4),
        # infusion: "dose" is rate * dt per step
        (mammillary(2, oral=False), (Channel("central", "infusion", f="F"),),
         {"CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0, "F": 0.9}, range(0, 5), 0.9),
    ],
    ids=["oral_1cmt", "iv_2cmt", "oral_2cmt_lag", "infusion_2cmt"],
)
def test_auc_to_infinity_is_F_dose_over_CL(model, channels, p, dose_steps, F, x64):
    beta = p["CL"] / p["V1"] if "Q2" not in p else _two_cmt_beta(p["CL"], p["V1"], p["Q2"], p["V2"])
    dt = 2.0
    n = int(70 * math.log(2) / beta / dt) + 2  # >= 70 terminal half-lives
    amount = 50.0
    spec = GridSpec(model, dt, n, channels, windows=(Window(0, n - 1),), save=False)
    out = simulate(spec, p, one_channel(n, dose_steps, amount))
    dosed = amount * len(dose_steps) * (dt if channels[0].kind == "infusion" else 1.0)
    # 1e-8: the requirement; what is left after 70 half-lives is 2^-70
    assert float(out["auc"][0, 0]) == pytest.approx(F * dosed / p["CL"], rel=1e-8)


# ---------------------------------------------------------------------------
# Linearity
# ---------------------------------------------------------------------------

LIN_MODEL = mammillary(2)
LIN_CHANNELS = (Channel("depot", f="F", lag="ALAG"), Channel("central", "infusion"), Channel("central"))
LIN_P = {"KA": 1.3, "CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0, "F": 0.8, "ALAG": 0.7}
LIN_N = 97


def _regimens():
    rng = np.random.default_rng(0)
    a = np.zeros((LIN_N, 3))
    a[[0, 24, 48], 0] = [100.0, 80.0, 100.0]
    b = np.zeros((LIN_N, 3))
    b[10:20, 1] = 25.0
    b[[5, 60], 2] = rng.uniform(10, 50, 2)
    return a, b


def test_superposition(x64):
    spec = GridSpec(LIN_MODEL, 0.5, LIN_N, LIN_CHANNELS, outputs=("central", "periph1"))
    a, b = _regimens()
    ca, cb, cab = (simulate(spec, LIN_P, u)["conc"] for u in (a, b, a + b))
    for o in spec.outputs:
        scale = np.max(np.asarray(cab[o]))
        # 1e-13 of the peak: both sides are the same exact linear map, only rounding differs
        np.testing.assert_allclose(np.asarray(ca[o]) + np.asarray(cb[o]), cab[o], rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("factor", [1e-3, 3.7, 1e3])
def test_dose_proportionality(factor, x64):
    spec = GridSpec(LIN_MODEL, 0.5, LIN_N, LIN_CHANNELS, outputs=("central", "periph1"))
    a, b = _regimens()
    c1, cf = (simulate(spec, LIN_P, u)["conc"] for u in (a + b, factor * (a + b)))
    for o in spec.outputs:
        scale = np.max(np.asarray(cf[o]))
        np.testing.assert_allclose(factor * np.asarray(c1[o]), cf[o], rtol=0, atol=1e-13 * scale)  # rounding only


# ---------------------------------------------------------------------------
# Mass balance, non-negativity
# ---------------------------------------------------------------------------


def test_mass_balance_90_days_parent_metabolite_with_sink(x64):
    """Amount in every compartment including the sink equals what was dosed.

    Every compartment gets a volume parameter (value 1 for depot and sink) so
    its amount can be read back as concentration * volume.
    """
    model = LinearModel(
        (
            Compartment("depot", "VD"),
            Compartment("central", "V1"),
            Compartment("periph1", "V2"),
            Compartment("met", "VM"),
            Compartment("sink", "VS"),
        ),
        (
            Flow("depot", "central", "KA"),
            Flow("central", "periph1", "Q2/V1"),
            Flow("periph1", "central", "Q2/V2"),
            Flow("central", "met", "FM*CL/V1"),
            Flow("central", "sink", "1-FM*CL/V1"),
            Flow("met", "sink", "CLM/VM"),
        ),
    )
    # parent terminal half-life ~ 130 h, metabolite ~ 185 h (desmethyldiazepam-like)
    p = {"VD": 1.0, "VS": 1.0, "KA": 0.8, "CL": 1.0, "V1": 60.0, "Q2": 5.0, "V2": 120.0, "FM": 0.4,
         "CLM": 0.3, "VM": 80.0}
    dt, n, D = 1.0, 90 * 24 + 1, 10.0
    spec = GridSpec(model, dt, n, (Channel("depot"),), outputs=model.names)
    dose_steps = np.arange(0, n - 1, 24)
    out = simulate(spec, p, one_channel(n, dose_steps, D))["conc"]
    vols = {"depot": "VD", "central": "V1", "periph1": "V2", "met": "VM", "sink": "VS"}
    total = sum(np.asarray(out[c]) * p[v] for c, v in vols.items())
    dosed = D * np.searchsorted(dose_steps, np.arange(n), side="left")  # doses strictly before t_k
    assert dosed[-1] == 90 * D
    assert np.asarray(out["sink"])[-1] > 0.5 * dosed[-1]  # most of it has been eliminated
    # 1e-9: the requirement; each step's Phi conserves mass to ~1e-16, 2160 steps
    np.testing.assert_allclose(total[1:], dosed[1:], rtol=1e-9, atol=0)


NONNEG_CASES = {
    "oral_2cmt": (mammillary(2), {"KA": 1.1, "CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0}),
    "oral_3cmt_fast": (mammillary(3), {"KA": 10.0, "CL": 50.0, "V1": 5.0, "Q2": 3.0, "V2": 40.0, "Q3": 0.5,
                                       "V3": 100.0}),
    "chain_2_1_1": (parent_metabolite_chain((2, 1, 1)),
                    {"KA": 1.1, "CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0, "M1_CL": 1.0, "M1_V1": 20.0,
                     "M1_FM": 0.6, "M2_CL": 3.0, "M2_V1": 15.0, "M2_FM": 0.3}),
}


@pytest.mark.parametrize("name", NONNEG_CASES)
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_non_negative_and_finite_after_many_half_lives(name, precision):
    model, p = NONNEG_CASES[name]
    outputs = tuple(c.name for c in model.compartments if c.volume)
    # slowest terminal half-life among these is < 40 h; 4000 h is > 100 half-lives
    dt, n = 2.0, 2001
    spec = GridSpec(model, dt, n, (Channel("depot"),), outputs=outputs)
    with jax.enable_x64(precision == "float64"):
        out = simulate(spec, p, one_channel(n, [0, 5], 100.0), jnp.dtype(precision))["conc"]
        for o in outputs:
            c = np.asarray(out[o])
            assert np.all(np.isfinite(c)), o
            assert np.all(c >= 0), (o, c.min())


# ---------------------------------------------------------------------------
# ka = k and alpha = beta limits, slow terminal phase
# ---------------------------------------------------------------------------

KAK = {"CL": 2.0, "V1": 10.0, "F": 0.6}
KAK_DOSE, KAK_DT, KAK_N = 100.0, 0.5, 97


def _oral_1cmt_closed_form(ka, k, t):
    """F*D*ka/V * t*exp(-k t)*exprel(-(ka-k) t): no cancellation at ka = k."""
    x = -(ka - k) * t
    exprel = np.where(x == 0, 1.0, np.expm1(x) / np.where(x == 0, 1.0, x))
    return KAK["F"] * KAK_DOSE * ka / KAK["V1"] * t * np.exp(-k * t) * exprel


def _oral_1cmt_grid(ka, dtype):
    spec = GridSpec(mammillary(1), KAK_DT, KAK_N, (Channel("depot", f="F"),))
    out = simulate(spec, {**KAK, "KA": ka}, one_channel(KAK_N, [0], KAK_DOSE), dtype)
    return np.asarray(out["conc"]["central"], np.float64)


EPS = [1e-3, 1e-6, 1e-9, 1e-12, 0.0]


@pytest.mark.parametrize("eps", EPS)
def test_ka_equal_k_float64(eps, x64):
    k = KAK["CL"] / KAK["V1"]
    ka = k * (1 + eps)
    t = np.arange(KAK_N) * KAK_DT
    c = _oral_1cmt_grid(ka, jnp.float64)
    assert np.all(np.isfinite(c)) and c[0] == 0.0
    ref = _oral_1cmt_closed_form(ka, k, t)
    if eps == 0.0:
        np.testing.assert_allclose(ref, KAK["F"] * KAK_DOSE * k * t * np.exp(-k * t) / KAK["V1"], rtol=1e-15)
    # 1e-12: the requirement; 96 exact steps accumulate a few 1e-16 each
    np.testing.assert_allclose(c[1:], ref[1:], rtol=1e-12)


def test_ka_equal_k_is_continuous_float64(x64):
    k = KAK["CL"] / KAK["V1"]
    curves = [_oral_1cmt_grid(k * (1 + eps), jnp.float64) for eps in EPS]
    at_equality = curves[-1]
    for eps, c in zip(EPS[:-1], curves[:-1]):
        # C depends smoothly on ka: relative change ~ eps * (1 + k t) <= 11 eps, plus rounding
        assert np.max(np.abs(c[1:] - at_equality[1:]) / at_equality[1:]) <= 11 * eps + 1e-13, eps


# float32 max relative error against the float64 closed form, per (ka-k)/k;
# bound = 3x the measured value.
F32_KAK_BOUND = {
    1e-3: 3.7e-6,  # measured 1.22e-6
    1e-6: 7.9e-7,  # measured 2.6e-7
    1e-9: 3.4e-6,  # measured 1.14e-6 (ka rounds to k in float32)
    1e-12: 3.4e-6,  # measured 1.14e-6
    0.0: 3.4e-6,  # measured 1.14e-6
}


@pytest.mark.parametrize("eps", EPS)
def test_ka_equal_k_float32(eps):
    k = KAK["CL"] / KAK["V1"]
    ka = k * (1 + eps)
    c = _oral_1cmt_grid(ka, jnp.float32)
    assert np.all(np.isfinite(c))
    t = np.arange(KAK_N) * KAK_DT
    ref = _oral_1cmt_closed_form(ka, k, t)
    err = np.max(np.abs(c[1:] - ref[1:]) / ref[1:])
    assert err <= F32_KAK_BOUND[eps]


def _two_cmt_iv_slow(D, V1, k10, k12, k21, t):
    """Biexponential with beta = k10 k21 / alpha (no cancellation when beta << alpha)."""
    s = k10 + k12 + k21
    alpha = (s + math.sqrt((k10 - k21) ** 2 + k12**2 + 2 * k12 * (k10 + k21))) / 2
    beta = k10 * k21 / alpha
    A = (alpha - k21) / (alpha - beta)
    B = (k21 - beta) / (alpha - beta)
    return D / V1 * (A * np.exp(-alpha * t) + B * np.exp(-beta * t))


def _two_cmt_iv_close_roots(D, V1, k10, k12, k21, t):
    """exp(-m t) [cosh(d t) + c t sinhc(d t)]: exact as alpha - beta = 2d -> 0."""
    m = (k10 + k12 + k21) / 2
    d = math.sqrt((k10 - k21) ** 2 + k12**2 + 2 * k12 * (k10 + k21)) / 2
    c = (k21 - k10 - k12) / 2
    z = d * t
    sinhc = np.where(z == 0, 1.0, np.sinh(z) / np.where(z == 0, 1.0, z))
    return D / V1 * np.exp(-m * t) * (np.cosh(z) + c * t * sinhc)


def _two_cmt_iv_grid(V1, k10, k12, k21, dt, n, dtype):
    Q2 = k12 * V1
    V2 = Q2 / k21 if k12 > 0 else 1.0  # Q2 = 0 leaves V2 unused
    spec = GridSpec(mammillary(2, oral=False), dt, n, (Channel("central"),))
    out = simulate(spec, {"CL": k10 * V1, "V1": V1, "Q2": Q2, "V2": V2}, one_channel(n, [0], 100.0), dtype)
    return np.asarray(out["conc"]["central"], np.float64)


def _two_cmt_iv_error(ref, V1, k10, k12, k21, dt, n, precision):
    """Max relative error of the grid (in ``precision``) against a float64 reference, after t = 0."""
    with jax.enable_x64(precision == "float64"):
        c = _two_cmt_iv_grid(V1, k10, k12, k21, dt, n, jnp.dtype(precision))
    return np.max(np.abs(c[1:] - ref[1:]) / ref[1:])


SLOW_K10 = [1e-2, 1e-3, 1e-4, 1e-5]
# float32 max relative error vs the float64 closed form (bound = 3x measured)
F32_SLOW_BOUND = {
    1e-2: 7.5e-5,  # measured 2.5e-5
    1e-3: 5.4e-5,  # measured 1.8e-5
    1e-4: 8.7e-5,  # measured 2.9e-5
    1e-5: 2.5e-5,  # measured 8.2e-6
}


@pytest.mark.parametrize("k10", SLOW_K10)
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_two_cmt_slow_terminal_phase(k10, precision):
    V1, k12, k21, dt, n = 20.0, 0.5, 0.1, 4.0, 251  # 1000 h
    t = np.arange(n) * dt
    ref = _two_cmt_iv_slow(100.0, V1, k10, k12, k21, t)
    err = _two_cmt_iv_error(ref, V1, k10, k12, k21, dt, n, precision)
    if precision == "float64":
        assert err <= 1e-12  # exact propagation, 250 steps of rounding (measured <= 2.6e-14)
    else:
        assert err <= F32_SLOW_BOUND[k10]


CLOSE_K12 = [1e-4, 1e-8, 1e-12, 0.0]
# float32 max relative error vs the float64 closed form (bound = 3x measured)
F32_CLOSE_BOUND = {
    1e-4: 1.5e-5,  # measured 5.0e-6
    1e-8: 1.6e-5,  # measured 5.3e-6
    1e-12: 1.9e-5,  # measured 6.3e-6
    0.0: 1.9e-5,  # measured 6.3e-6
}


@pytest.mark.parametrize("k12", CLOSE_K12)
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_two_cmt_alpha_equal_beta(k12, precision):
    """k10 = k21 and k12 -> 0: alpha - beta = sqrt(k12^2 + 4 k12 k) -> 0."""
    V1, k, dt, n = 20.0, 0.1, 0.5, 201
    t = np.arange(n) * dt
    ref = _two_cmt_iv_close_roots(100.0, V1, k, k12, k, t)
    if k12 == 0.0:
        np.testing.assert_allclose(ref, 100.0 / V1 * np.exp(-k * t), rtol=1e-15)
    err = _two_cmt_iv_error(ref, V1, k, k12, k, dt, n, precision)
    if precision == "float64":
        assert err <= 1e-12  # exact propagation, 200 steps of rounding (measured <= 8.3e-15)
    else:
        assert err <= F32_CLOSE_BOUND[k12]


# ---------------------------------------------------------------------------
# Window summaries against brute force on a fine reference trajectory
# ---------------------------------------------------------------------------


def test_summaries_match_brute_force(ode, x64):
    """cmax/cmin/c_end/auc/t_above/t_below for 2 windows x 2 outputs vs numpy on the ODE oracle."""
    dt, n, sub = 0.5, 97, 64
    p = {"KA": 1.1, "CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0}
    model = mammillary(2)
    windows = (Window(0, 48, above=(1.0, 3.0), below=(0.5,)), Window(30, 90, above=(2.0,), below=(1.5, 4.0)))
    channels = (Channel("depot"), Channel("central"))
    outputs = ("central", "periph1")
    spec = GridSpec(model, dt, n, channels, outputs=outputs, windows=windows)
    u = np.zeros((n, 2))
    u[[0, 24, 48], 0] = 100.0
    u[[12, 60], 1] = 40.0  # IV boluses: cmax must see their right limits
    out = simulate(spec, p, u)

    # oracle: hand-written K, events, LSODA on a grid 64x finer than dt (events stay on its points)
    names = model.names
    K = ode.rate_matrix(names, ode.mammillary_flows(p, 2, True))
    boluses, infusions = ode.events(u, dt, [("bolus", 0, 1.0, 0.0), ("bolus", 1, 1.0, 0.0)])
    t_fine = np.arange((n - 1) * sub + 1) * (dt / sub)
    X = ode.states([K], [0.0], 3, boluses, infusions, t_fine)
    left = {"central": X[:, 1] / p["V1"], "periph1": X[:, 2] / p["V2"]}
    jump = {"central": np.zeros(len(t_fine)), "periph1": np.zeros(len(t_fine))}
    jump["central"][::sub] = u[:, 1] / p["V1"]
    right = {o: left[o] + jump[o] for o in outputs}

    for w, win in enumerate(windows):
        for j, o in enumerate(outputs):
            grid_left, grid_right = left[o][::sub], right[o][::sub]
            ks = slice(win.start, win.end)
            # Simpson on each dt interval, starting from the right limit at its left end
            auc = 0.0
            for k in range(win.start, win.end):
                y = left[o][k * sub : (k + 1) * sub + 1].copy()
                y[0] = right[o][k * sub]
                auc += simpson(y, dx=dt / sub)
            # 1e-8: the oracle's tolerance (rtol 1e-12) and Simpson's error (h^4 ~ 1e-11) are far below
            assert float(out["auc"][w, j]) == pytest.approx(auc, rel=1e-8), (w, o)
            assert float(out["cmax"][w, j]) == pytest.approx(
                np.max(np.maximum(grid_left[ks], grid_right[ks])), rel=1e-9), (w, o)
            assert float(out["cmin"][w, j]) == pytest.approx(np.min(grid_left[ks]), rel=1e-9), (w, o)
            assert float(out["c_end"][w, j]) == pytest.approx(grid_left[win.end], rel=1e-9), (w, o)

    # t_above / t_below: (output, thresholds of all windows in window order), h on the grid
    for key, attr, cmp in (("t_above", "above", np.greater), ("t_below", "below", np.less)):
        pairs = [(win, thr) for win in windows for thr in getattr(win, attr)]
        assert out[key].shape == (len(outputs), len(pairs))
        for j, o in enumerate(outputs):
            grid_left = left[o][::sub]
            expect = [dt * np.sum(cmp(grid_left[win.start : win.end], thr)) for win, thr in pairs]
            np.testing.assert_allclose(np.asarray(out[key][j]), expect, rtol=1e-14)  # exact counts


def test_summaries_across_a_parameter_change_at_a_window_edge(ode, x64):
    """Windows that start, end or run across a change of V1 and CL (step 40) vs the ODE oracle.

    The loop is cut into pieces at the window edges; the values read at an
    edge (c_end, the AUC accumulators) must use the parameters of the step that
    starts there, as the loop itself does (C at t_k with the segment of step k).
    """
    dt, n, sub, change = 1.0, 81, 32, 40
    p0 = {"KA": 0.8, "CL": 2.0, "V1": 20.0, "Q2": 3.0, "V2": 40.0}
    p1 = {**p0, "CL": 5.0, "V1": 35.0}
    model = mammillary(2)
    windows = (Window(10, change, above=(1.0,)), Window(change, 70, below=(0.5,)), Window(20, 60), Window(0, 80))
    seg = tuple(0 if k < change else 1 for k in range(n))
    spec = GridSpec(model, dt, n, (Channel("depot"),), windows=windows, segment_of_step=seg)
    u = one_channel(n, range(0, 72, 12), 50.0)
    kers = [kernels(spec, {k: jnp.asarray(v, jnp.float64) for k, v in q.items()}) for q in (p0, p1)]
    ker = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *kers)
    out = simulate_one(spec, ker, jnp.asarray(u))

    Ks = [ode.rate_matrix(model.names, ode.mammillary_flows(q, 2, True)) for q in (p0, p1)]
    boluses, infusions = ode.events(u, dt, [("bolus", 0, 1.0, 0.0)])
    t_fine = np.arange((n - 1) * sub + 1) * (dt / sub)
    X = ode.states(Ks, [0.0, change * dt], 3, boluses, infusions, t_fine)
    v1 = np.where(np.arange(n) < change, p0["V1"], p1["V1"])  # V1 of the step starting at t_k
    grid = X[::sub, 1] / v1
    for w, win in enumerate(windows):
        ks = slice(win.start, win.end)
        auc = sum(simpson(X[k * sub : (k + 1) * sub + 1, 1] / v1[k], dx=dt / sub) for k in range(win.start, win.end))
        assert float(out["auc"][w, 0]) == pytest.approx(auc, rel=1e-8), w
        assert float(out["cmax"][w, 0]) == pytest.approx(grid[ks].max(), rel=1e-9), w
        assert float(out["cmin"][w, 0]) == pytest.approx(grid[ks].min(), rel=1e-9), w
        assert float(out["c_end"][w, 0]) == pytest.approx(grid[win.end], rel=1e-9), w
    assert float(out["t_above"][0, 0]) == dt * np.sum(grid[10:change] > 1.0)
    assert float(out["t_below"][0, 0]) == dt * np.sum(grid[change:70] < 0.5)


def test_cmax_sees_lagged_bolus_arriving_on_grid_point(x64):
    """An IV bolus with a lag of exactly 2 steps arrives at t_2; cmax must include its peak.

    The module docstring says cmax looks at right limits "so that an IV bolus
    peak is not missed"; for a lagged bolus ``kernels`` sets the jump ``J`` to
    0 even when the lag is a whole number of steps, so the peak D/V at t = lag
    is missed and cmax is the value one step later.
    """
    V, CL, D, dt = 10.0, 2.0, 100.0, 0.5
    spec = GridSpec(mammillary(1, oral=False), dt, 21, (Channel("central", lag="ALAG"),),
                    windows=(Window(0, 20),))
    out = simulate(spec, {"CL": CL, "V1": V, "ALAG": 2 * dt}, one_channel(21, [0], D))
    c = np.asarray(out["conc"]["central"])
    assert c[2] == 0.0 and c[3] == pytest.approx(D / V * math.exp(-CL / V * dt), rel=1e-12)  # arrival at t_2
    assert float(out["cmax"][0, 0]) == pytest.approx(D / V, rel=1e-12)  # peak = right limit at t_2
