"""PD threshold summaries, late saving and PD-triggered dosing against a closed-form oracle.

Model: IV bolus into a one-compartment model with an effect compartment, driving
GABA-A occupancy, effect and adaptation (``GabaAdaptation``, one subtype).  The
oracle uses nothing from ``popsim``: concentrations are sums of bolus responses
written from the textbook (C = D/V e^{-kt}, Ce = D/V ke0/(ke0-k) (e^{-kt} -
e^{-ke0 t})), occupancy is Ce/(Ce + KD), the effect occ/(occ + THETA), and
adaptation dA/dt = KADAPT (effect - A) is solved in closed form for an effect
linear over each grid step (the discretisation
``GabaAdaptation`` documents).  The dosing rule is re-implemented in a Python loop.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.pd import GabaAdaptation
from popsim.pk.grid import Channel, GridSpec, Trigger, Window, kernels, simulate_one
from popsim.pk.model import mammillary

P = {"CL": 3.0, "V1": 10.0, "KE0": 2.0, "KD_a1": 0.1, "THETA": 0.25, "KADAPT": 0.3}  # k = 0.3/h, t1/2 = 2.3 h
DT, N = 0.25, 193  # 48 h; dt is a power of two, so k*dt and sums of dt are exact
PD = GabaAdaptation(sites=("effect",), subtypes=("a1",), adapted=("a1",))
SIGNALS = ("occupancy_a1", "effect_a1", "adaptation_a1", "withdrawal_drive_a1")
REGIMEN = {0: 10.0, 96: 4.0}  # step -> mg: a loading dose and a second one at 24 h
# Closed forms in float64 against an exact matrix-exponential recursion over <= 193 steps: the
# rounding error grows like n * eps ~ 4e-14, so 1e-10 relative is ample and still catches any
# misplaced dose (which changes concentrations by O(1)).
RTOL, ATOL = 1e-10, 1e-13


def spec_(**kw):
    base = {"outputs": ("central", "effect"), "pd": PD}
    return GridSpec(mammillary(1, oral=False, effect=True), DT, N, (Channel("central"),), **(base | kw))


def run(spec, regimen=REGIMEN):
    p = {k: jnp.asarray(v, jnp.float64) for k, v in P.items()}
    ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
    u = np.zeros((N, len(spec.channels)))
    for step, amount in regimen.items():
        u[step, 0] = amount
    return simulate_one(spec, ker, jnp.asarray(u), p)


def oracle(regimen=REGIMEN, trig=None):
    """Left-limit grid values {name: (N,)}, the steps of triggered doses and all doses {step: mg}."""
    k, ke0, V, kd, ka = P["CL"] / P["V1"], P["KE0"], P["V1"], P["KD_a1"], P["KADAPT"]
    doses = dict(regimen)

    def conc(j):  # C(t_j^-), Ce(t_j): doses at steps i < j only
        tau = np.array([(j - i) * DT for i in doses if i < j])
        amt = np.array([a for i, a in doses.items() if i < j])
        c = np.sum(amt / V * np.exp(-k * tau))
        return c, np.sum(amt / V * ke0 / (ke0 - k) * (np.exp(-k * tau) - np.exp(-ke0 * tau)))

    out = {n: np.zeros(N) for n in ("central", "effect") + SIGNALS}
    A, given, margin = 0.0, [], np.inf
    for j in range(N):
        c, ce = conc(j)
        occ = ce / (ce + kd)
        eff = occ / (occ + P["THETA"])
        row = {"central": c, "effect": ce, "occupancy_a1": occ, "effect_a1": eff, "adaptation_a1": A,
               "withdrawal_drive_a1": max(A - eff, 0.0)}
        for n, v in row.items():
            out[n][j] = v
        if trig and j >= trig.start and (j - trig.start) % trig.every == 0 and len(given) < trig.max_doses:
            margin = min(margin, abs(row[trig.signal] - trig.threshold))
            if row[trig.signal] > trig.threshold:
                given.append(j)
                doses[j] = doses.get(j, 0.0) + trig.amount
        # effect linear from u0 to u1 over the step: A(dt) = u1 - s/ka + (A - u0 + s/ka) e^{-ka dt}
        ce1 = conc(j + 1)[1]
        u0, u1 = eff, (ce1 / (ce1 + kd)) / (ce1 / (ce1 + kd) + P["THETA"])
        s = (u1 - u0) / DT
        A = u1 - s / ka + (A - u0 + s / ka) * np.exp(-ka * DT)
    # a decision within rounding of the threshold would make exact agreement a coin toss
    assert margin > 1e-8, margin
    return out, given, doses


def test_oracle_matches_grid_trajectories(x64):
    """The oracle itself against the grid without feedback (guards both against a shared slip)."""
    ref = oracle()[0]
    out = run(spec_())
    for name in ("central", "effect"):
        np.testing.assert_allclose(out["conc"][name], ref[name], rtol=RTOL, atol=ATOL)
    for name in SIGNALS:
        np.testing.assert_allclose(out["pd"][name], ref[name], rtol=RTOL, atol=ATOL)


def test_pd_above_counts_the_grid(x64):
    windows = (
        Window(0, 24, pd_above=(("occupancy_a1", 0.5), ("occupancy_a1", 0.95))),  # 0.95: never (peak 0.88)
        Window(20, 192, pd_above=(("withdrawal_drive_a1", 0.05), ("occupancy_a1", 0.5))),
    )
    out = run(spec_(windows=windows))
    ref = oracle()[0]
    t_above, t_first = [], []
    for w in windows:
        for sig, thr in w.pd_above:
            v = ref[sig][w.start : w.end]
            assert np.abs(v - thr).min() > 1e-8  # no grid value within rounding of the threshold
            hits = w.start + np.nonzero(v > thr)[0]
            t_above.append(len(hits) * DT)
            t_first.append(hits[0] * DT if len(hits) else np.nan)
    # Grid counts of exact multiples of dt = 0.25: equality is exact (NaN == NaN for assert_array_equal).
    assert out["pd_t_above"].shape == out["pd_t_first"].shape == (1, 4)
    np.testing.assert_array_equal(out["pd_t_above"][0], t_above)
    np.testing.assert_array_equal(out["pd_t_first"][0], t_first)
    # The scenario exercises what it should: partial counts, a never (NaN), the second window's first
    # time being its own start (occupancy still high at step 20) and a drive that rises mid-window.
    assert np.isnan(t_first[1]) and t_above[1] == 0.0
    assert 0 < t_above[0] < 24 * DT and t_first[0] == DT
    assert ref["occupancy_a1"][24] > 0.5  # above at the (excluded) window end
    assert t_first[3] == 20 * DT and 20 * DT < t_first[2] < 192 * DT


def test_save_from_keeps_the_tail_and_the_summaries(x64):
    windows = (Window(0, 150, above=(0.2,), pd_above=(("occupancy_a1", 0.5),)),
               Window(30, 192, below=(0.1,), pd_above=(("withdrawal_drive_a1", 0.05),)))
    trig = Trigger("withdrawal_drive_a1", 0.1, 2.0, every=4)
    full = run(spec_(windows=windows, trigger=trig))
    assert full["trigger_doses"] > 0
    for save_from in (1, 37, 100, N - 1):
        tail = run(spec_(windows=windows, trigger=trig, save_from=save_from))
        for group in ("conc", "pd"):
            assert set(tail[group]) == set(full[group])
            for name, v in tail[group].items():
                assert v.shape == (N - save_from,)
                np.testing.assert_array_equal(v, full[group][name][save_from:])  # bitwise
        for key in set(full) - {"conc", "pd"}:
            np.testing.assert_array_equal(tail[key], full[key], err_msg=key)
    quiet = run(spec_(windows=windows, trigger=trig, save=False))
    assert set(quiet) == set(full) - {"conc", "pd"}
    for key in quiet:
        np.testing.assert_array_equal(quiet[key], full[key], err_msg=key)


@pytest.mark.parametrize("trig", [
    Trigger("withdrawal_drive_a1", 0.1, 2.0, every=4),  # checks every hour from t = 0
    Trigger("withdrawal_drive_a1", 0.08, 1.5, start=30, every=4, max_doses=3),  # capped; start % every != 0
    Trigger("withdrawal_drive_a1", 0.5, 2.0),  # drive never reaches 0.5: no dose
    Trigger("withdrawal_drive_a1", 0.02, 1.0, start=96, every=16),  # above before start; fires with a dose
], ids=["every4", "capped", "never", "with_regimen_dose"])
def test_trigger_matches_loop_oracle(trig, x64):
    out = run(spec_(trigger=trig, windows=(Window(110, N - 1),)))
    ref, given, doses = oracle(trig=trig)
    assert int(out["trigger_doses"]) == len(given)
    if given:
        assert float(out["trigger_last"]) == given[-1] * DT  # k * dt in float64: exact
    else:
        assert np.isnan(out["trigger_last"])
    # The triggered doses (times and amounts) show in the whole trajectory, not only the counters.
    for name in ("central", "effect"):
        np.testing.assert_allclose(out["conc"][name], ref[name], rtol=RTOL, atol=ATOL)
    for name in SIGNALS:
        np.testing.assert_allclose(out["pd"][name], ref[name], rtol=RTOL, atol=ATOL)
    # cmax sees right limits, so it includes a triggered bolus at the moment it is given.
    peak = max(ref["central"][j] + doses.get(j, 0.0) / P["V1"] for j in range(110, N - 1))
    np.testing.assert_allclose(out["cmax"][0, 0], peak, rtol=RTOL)
    # Each case tests what its id says.
    uncapped = oracle(trig=dataclasses.replace(trig, max_doses=1000))[1]
    if trig.max_doses < 1000:
        assert len(given) == trig.max_doses < len(uncapped)
    assert all(g >= trig.start and (g - trig.start) % trig.every == 0 for g in given)
    if trig.threshold == 0.5:
        assert given == []
    if trig.start == 96:
        assert given[0] == 96 and 96 in REGIMEN and ref[trig.signal][80] > trig.threshold


def test_trigger_adds_amount_through_the_channel(x64):
    """A trigger that fires once at t = 0 is the same as the regimen giving that dose itself."""
    trig = Trigger("withdrawal_drive_a1", -1.0, 3.0, max_doses=1)  # drive >= 0 > -1: fires at step 0
    a = run(spec_(trigger=trig), regimen={96: 4.0})
    b = run(spec_(), regimen={0: 3.0, 96: 4.0})
    assert int(a["trigger_doses"]) == 1 and float(a["trigger_last"]) == 0.0
    for name in ("central", "effect"):
        np.testing.assert_allclose(a["conc"][name], b["conc"][name], rtol=1e-14, atol=1e-16)


def test_trigger_on_a_lagged_channel(x64):
    """A lag shorter than dt: the triggered dose takes the channel's lag exactly like a regimen dose on it.
    A lag of a whole step or more: the outputs are NaN, never a dose at the wrong time."""
    lagged = (Channel("central", lag="ALAG"),)
    trig = Trigger("withdrawal_drive_a1", -1.0, 3.0, start=8, max_doses=1)  # fires at step 8 (t = 2 h)

    def go(lag, spec_kw, regimen):
        spec = GridSpec(mammillary(1, oral=False, effect=True), DT, N, lagged, outputs=("central", "effect"), pd=PD,
                        **spec_kw)
        p = {k: jnp.asarray(v, jnp.float64) for k, v in (P | {"ALAG": lag}).items()}
        ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
        u = np.zeros((N, 1))
        for step, amount in regimen.items():
            u[step, 0] = amount
        return simulate_one(spec, ker, jnp.asarray(u), p)

    a = go(0.1, {"trigger": trig}, {0: 10.0})
    b = go(0.1, {}, {0: 10.0, 8: 3.0})
    assert int(a["trigger_doses"]) == 1 and float(a["trigger_last"]) == 2.0
    for name in ("central", "effect"):
        np.testing.assert_allclose(a["conc"][name], b["conc"][name], rtol=1e-14, atol=1e-16)
    late = go(0.3, {"trigger": trig}, {0: 10.0})  # 0.3 h >= dt = 0.25 h
    assert np.isnan(np.asarray(late["conc"]["central"][9:])).all()


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def test_trigger_on_unknown_signal_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="pd signal 'withdrawal_drive'.*allowed.*withdrawal_drive_a1"):
        spec_(trigger=Trigger("withdrawal_drive", 0.1, 1.0))
    with pytest.raises(ValueError, match="allowed: \\[\\]"):  # no PD model: nothing to trigger on
        spec_(pd=None, outputs=("central",), trigger=Trigger("occupancy_a1", 0.1, 1.0))
    with pytest.raises(ValueError, match="pd signal 'occupancy'.*allowed"):
        spec_(windows=(Window(0, 10, pd_above=(("occupancy", 0.5),)),))


@pytest.mark.parametrize("channels, index", [
    ((Channel("central"), Channel("central", "infusion")), 1),  # infusion
    ((Channel("central"),), 1),  # no such channel
    ((Channel("central"),), -1),
])
def test_trigger_needs_a_bolus_channel(channels, index):
    with pytest.raises(ValueError, match="trigger channel"):
        GridSpec(mammillary(1, oral=False, effect=True), DT, N, channels, outputs=("central", "effect"), pd=PD,
                 trigger=Trigger("occupancy_a1", 0.1, 1.0, channel=index))


@pytest.mark.parametrize("save_from", [-1, N, N + 5])
def test_save_from_out_of_range(save_from):
    with pytest.raises(ValueError, match="save_from"):
        spec_(save_from=save_from)


@pytest.mark.parametrize("kw", [{"amount": 0.0}, {"amount": float("nan")}, {"every": 0}, {"start": -1},
                                {"max_doses": 0}])
def test_trigger_rejects_bad_numbers(kw):
    with pytest.raises(ValueError, match="trigger"):
        Trigger(**({"signal": "occupancy_a1", "threshold": 0.1, "amount": 1.0} | kw))


def test_saved_keeps_only_the_named_trajectories(x64):
    # The same run with every trajectory and with two named ones: the kept ones are identical, the
    # others absent, and the summaries unchanged.
    spec_all = spec_(windows=(Window(0, 192),))
    spec_two = dataclasses.replace(spec_all, saved=("effect", "occupancy_a1"))
    full, two = run(spec_all), run(spec_two)
    assert set(two["conc"]) == {"effect"} and set(two["pd"]) == {"occupancy_a1"}
    np.testing.assert_array_equal(two["conc"]["effect"], full["conc"]["effect"])
    np.testing.assert_array_equal(two["pd"]["occupancy_a1"], full["pd"]["occupancy_a1"])
    for key in ("cmax", "pd_max", "pd_mean"):
        np.testing.assert_array_equal(two[key], full[key])
    with pytest.raises(ValueError, match="grid saved='ocupancy_a1'; allowed: .*did you mean 'occupancy_a1'"):
        dataclasses.replace(spec_all, saved=("ocupancy_a1",))


def test_summarised_signals_keep_their_summaries_and_order(x64):
    """``summarised`` keeps pd_max/pd_tmax/pd_min/pd_mean of the named signals, in that order, bitwise equal to
    the full run; pd_end still covers every signal; no names gives empty statistics, not an error."""
    windows = (Window(0, 150), Window(30, 192, pd_above=(("occupancy_a1", 0.5),)))
    full = run(spec_(windows=windows, save=False))
    some = run(spec_(windows=windows, save=False, summarised=("withdrawal_drive_a1", "occupancy_a1")))
    none = run(spec_(windows=windows, save=False, summarised=()))
    for key in ("pd_max", "pd_tmax", "pd_min", "pd_mean"):
        assert some[key].shape == (2, 2) and none[key].shape == (2, 0)
        names = list(PD.signals)
        picked = [names.index("withdrawal_drive_a1"), names.index("occupancy_a1")]
        np.testing.assert_array_equal(some[key], full[key][:, picked], err_msg=key)
    for out in (some, none):
        for key in ("pd_end", "pd_t_above", "pd_t_first", "cmax", "auc"):
            np.testing.assert_array_equal(out[key], full[key], err_msg=key)


def test_summarised_names_unknown_signals():
    with pytest.raises(ValueError, match=r"pd signal 'ocupancy_a1'; allowed: \['occupancy_a1'.*did you mean"):
        spec_(windows=(Window(0, 10),), summarised=("ocupancy_a1",))
    for bad in ("occupancy_a1", ["occupancy_a1"]):  # a bare string would be read letter by letter
        with pytest.raises(ValueError, match=r"grid summarised=.*; allowed: a tuple of names"):
            spec_(windows=(Window(0, 10),), summarised=bad)
