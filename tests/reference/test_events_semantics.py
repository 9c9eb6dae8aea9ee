"""Event semantics of predict_events against closed forms, scipy and explicit dosing.

Independent references: one-compartment closed forms, and
``scipy.integrate.solve_ivp`` (rtol 1e-10) restarted at every event.  Steady
states (computed analytically) are also checked against long explicit dosing,
which goes through the non-steady-state code path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

from popsim.pk.events import predict_events
from popsim.pk.model import Compartment, Flow, LinearModel, mammillary

IV1 = {"CL": 2.0, "V1": 10.0}  # k = 0.2 /h
ORAL2 = {"KA": 1.0, "CL": 4.0, "V1": 10.0, "Q2": 2.0, "V2": 20.0}  # slowest rate ~0.063 /h
IV2 = {"CL": 4.0, "V1": 10.0, "Q2": 2.0, "V2": 20.0}


pytestmark = pytest.mark.usefixtures("x64")  # event mode works in float64 (tests/conftest.py)


def table(*records: dict) -> pd.DataFrame:
    """Records with NONMEM defaults (observation, no dose)."""
    base = {"ID": 1, "TIME": 0.0, "EVID": 0, "AMT": 0.0, "CMT": 1, "RATE": 0.0, "II": 0.0, "ADDL": 0, "SS": 0}
    return pd.DataFrame([{**base, **r} for r in records])


def obs(times) -> list[dict]:
    return [{"TIME": float(t)} for t in times]


def bolus_iv(t, dose, k=0.2, v=10.0):
    return np.where(t >= 0, dose / v * np.exp(-k * np.clip(t, 0, None)), 0.0)


def infusion_iv(t, rate, duration, cl=2.0, v=10.0):
    """One-compartment concentration of an infusion started at t = 0."""
    k = cl / v
    on = np.clip(t, 0, duration)
    return rate / cl * -np.expm1(-k * on) * np.exp(-k * np.clip(t - duration, 0, None))


def test_dose_and_observation_at_same_time_follow_record_order():
    dose0 = {"TIME": 0.0, "EVID": 1, "AMT": 100.0}
    dose5 = {"TIME": 5.0, "EVID": 1, "AMT": 50.0}
    before = predict_events(table(dose0, {"TIME": 5.0}, dose5), mammillary(1, oral=False), IV1)
    after = predict_events(table(dose0, dose5, {"TIME": 5.0}), mammillary(1, oral=False), IV1)
    trough = 100 / 10 * np.exp(-0.2 * 5)
    np.testing.assert_allclose(before, [10.0, trough, trough + 5.0], rtol=1e-14)
    np.testing.assert_allclose(after, [10.0, trough + 5.0, trough + 5.0], rtol=1e-14)


def test_implied_doses_due_at_a_record_time_are_given_before_it():
    events = table(
        {"TIME": 0.0, "EVID": 1, "AMT": 100.0, "II": 12.0, "ADDL": 1, "LAG": 0.0},
        {"TIME": 12.0, "LAG": 0.0},
        {"TIME": 20.0, "EVID": 1, "AMT": 30.0, "LAG": 2.0},
        {"TIME": 22.0, "LAG": 0.0},
    )
    got = predict_events(events, mammillary(1, oral=False), IV1, columns={"LAG": "ALAG:central"})
    c12 = 10.0 * (np.exp(-0.2 * 12) + 1)
    c20 = c12 * np.exp(-0.2 * 8)
    np.testing.assert_allclose(got, [10.0, c12, c20, c20 * np.exp(-0.4) + 3.0], rtol=1e-14)


@pytest.mark.parametrize("rate", [0.0, 25.0])
def test_addl_equals_explicit_dose_rows(rate):
    columns = {"LAG": "ALAG:depot", "BIO": "F:depot"}
    dose = {"EVID": 1, "AMT": 100.0, "RATE": rate, "LAG": 0.5, "BIO": 0.7}
    times = np.arange(0, 150, 1.5)
    addl = table({**dose, "II": 12.0, "ADDL": 9}, *obs(times))
    # explicit rows: a dose before an observation at the same time, as the ADDL dose is
    explicit = table(*sorted([{**dose, "TIME": 12.0 * k} for k in range(10)] + obs(times), key=lambda r: r["TIME"]))
    a = predict_events(addl, mammillary(2), ORAL2, columns=columns)[addl["EVID"] == 0]
    e = predict_events(explicit, mammillary(2), ORAL2, columns=columns)[explicit["EVID"] == 0]
    assert a.max() > 1.0
    np.testing.assert_allclose(a.to_numpy(), e.to_numpy(), rtol=1e-12, atol=1e-12 * a.max())


def steady_vs_explicit(model, params, dose, ii, n_before=40, columns=None, step=0.25):
    """Predictions over three periods after an SS=1 dose at ``n_before * ii`` and after ``n_before``
    explicit doses from 0 (both regimens continue for three more periods)."""
    t_ss = n_before * ii
    times = t_ss + np.arange(0, 3 * ii + step / 2, step)
    ss = table({**dose, "TIME": t_ss, "SS": 1, "II": ii, "ADDL": 3}, *obs(times))
    explicit = table({**dose, "TIME": 0.0, "II": ii, "ADDL": n_before + 3}, *obs(times))
    got = predict_events(ss, model, params, columns=columns)[ss["EVID"] == 0].to_numpy()
    want = predict_events(explicit, model, params, columns=columns)[explicit["EVID"] == 0].to_numpy()
    return got, want


def test_steady_state_bolus_equals_40_explicit_doses():
    got, want = steady_vs_explicit(mammillary(2), ORAL2, {"EVID": 1, "AMT": 100.0}, 12.0)
    assert want.min() > 0.5
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("duration", [30.0, 12.0, 5.0], ids=["T_inf>II", "T_inf=II", "T_inf<II"])
def test_steady_state_infusion_equals_long_explicit_dosing(duration):
    dose = {"EVID": 1, "AMT": 120.0, "RATE": 120.0 / duration}
    got, want = steady_vs_explicit(mammillary(2, oral=False), IV2, dose, 12.0)
    assert want.min() > 0.5
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("periods", [1, 2, 3])
@pytest.mark.parametrize("model, params", [(mammillary(1, oral=False), IV1), (mammillary(2, oral=False), IV2)])
def test_steady_state_infusion_over_whole_periods_is_constant(model, params, periods):
    """Infusions lasting a whole number of periods overlap into a constant input AMT/II: C = AMT / (II * CL)."""
    ii = 8.0
    events = table({"EVID": 1, "AMT": 80.0, "RATE": 80.0 / (periods * ii), "SS": 1, "II": ii, "ADDL": 5},
                   *obs(np.arange(0, 40, 0.5)))
    got = predict_events(events, model, params)
    np.testing.assert_allclose(got, 80.0 / (ii * params["CL"]), rtol=1e-10)


@pytest.mark.parametrize("lag", [5.0, 12.0, 30.0], ids=["ALAG<II", "ALAG=II", "ALAG>II"])
@pytest.mark.parametrize("route", ["depot bolus", "central infusion"])
def test_steady_state_with_lag_equals_explicit_dosing(lag, route):
    cmt, rate, where = (1, 0.0, "depot") if route == "depot bolus" else (2, 20.0, "central")
    dose = {"EVID": 1, "AMT": 100.0, "CMT": cmt, "RATE": rate, "LAG": lag}
    got, want = steady_vs_explicit(mammillary(2), ORAL2, dose, 12.0, columns={"LAG": f"ALAG:{where}"})
    assert want.min() > 0.5
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_steady_state_2_adds_to_the_current_state():
    model, ii = mammillary(1, oral=False), 12.0
    events = table({"EVID": 1, "AMT": 40.0}, {"TIME": 6.0, "EVID": 1, "AMT": 100.0, "SS": 2, "II": ii}, {"TIME": 9.0})
    got = predict_events(events, model, IV1)
    steady = 10.0 / -np.expm1(-0.2 * ii)  # peak of 100 mg every 12 h
    np.testing.assert_allclose(got, [4.0, 4.0 * np.exp(-1.2) + steady, (4.0 * np.exp(-1.2) + steady) * np.exp(-0.6)],
                               rtol=1e-12)


def test_reset_cancels_state_and_pending_doses_and_evid4_doses_with_lag():
    events = table(
        {"TIME": 0.0, "EVID": 1, "AMT": 100.0, "II": 24.0, "ADDL": 2, "LAG": 2.0},
        *obs([1.0, 3.0]),
        {"TIME": 5.0, "EVID": 3},
        *obs([26.0]),
        {"TIME": 30.0, "EVID": 4, "AMT": 50.0, "LAG": 2.0},
        *obs([31.0, 32.0, 35.0, 50.0]),
    )
    got = predict_events(events, mammillary(1, oral=False), IV1, columns={"LAG": "ALAG:central"})
    want = [0.0, 0.0, 10.0 * np.exp(-0.2), 0.0, 0.0, 0.0, 0.0, 5.0, 5.0 * np.exp(-0.6), 5.0 * np.exp(-3.6)]
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)


def test_overlapping_infusions_add_and_conserve_mass():
    urine = LinearModel(
        (Compartment("central", "V1"), Compartment("urine", "VU")), (Flow("central", "urine", "CL/V1"),)
    )
    params = {**IV1, "VU": 1.0}
    times = np.arange(0, 20.25, 0.25)
    events = table({"EVID": 1, "AMT": 100.0, "RATE": 10.0}, {"TIME": 5.0, "EVID": 1, "AMT": 60.0, "RATE": 20.0},
                   *obs(times)).sort_values("TIME", kind="stable")
    central = predict_events(events, urine, params)[events["EVID"] == 0].to_numpy()
    excreted = predict_events(events, urine, params, output="urine")[events["EVID"] == 0].to_numpy()
    infused = 10.0 * np.clip(times, 0, 10) + 20.0 * np.clip(times - 5, 0, 3)
    np.testing.assert_allclose(central * 10.0 + excreted, infused, rtol=1e-12, atol=1e-12)
    assert infused[-1] == 160.0
    np.testing.assert_allclose(central, infusion_iv(times, 10.0, 10.0) + infusion_iv(times - 5, 20.0, 3.0),
                               rtol=1e-12, atol=1e-14)


def test_zero_dose_and_zero_bioavailability_give_zero():
    columns = {"BIO": "F:central", "DUR": "D:central"}
    dose = {"EVID": 1, "CMT": 2, "BIO": 0.0, "DUR": 3.0, "AMT": 100.0}
    events = table(
        {"EVID": 1, "AMT": 0.0, "BIO": 1.0, "DUR": 3.0},
        {**dose, "TIME": 1.0, "AMT": 0.0, "BIO": 1.0, "RATE": 5.0},
        {**dose, "TIME": 2.0},
        {**dose, "TIME": 3.0, "RATE": 10.0},
        {**dose, "TIME": 4.0, "RATE": -2.0},
        {**dose, "TIME": 5.0, "RATE": 10.0, "SS": 2, "II": 12.0, "ADDL": 2},
        {**dose, "TIME": 6.0, "SS": 2, "II": 12.0},
        *[{**r, "BIO": 1.0, "DUR": 3.0} for r in obs(np.arange(0, 40, 0.5))],
    ).sort_values("TIME", kind="stable")
    got = predict_events(events, mammillary(1), {"KA": 1.0, **IV1}, columns=columns)
    assert np.isfinite(got).all()
    assert (got == 0).all()


def ode_reference(K, boluses, infusions, times):
    """Amounts at ``times`` from solve_ivp restarted at every bolus and infusion start/end."""
    n = K.shape[0]
    stops = sorted({0.0, *times, *[b[0] for b in boluses], *[i[0] for i in infusions], *[i[1] for i in infusions]})
    A, out = np.zeros(n), {}
    for a, b in zip(stops, stops[1:] + [stops[-1]]):
        for t, cmt, amount in boluses:
            if t == a:
                A[cmt] += amount
        out[a] = A.copy()
        rate = np.zeros(n)
        for start, end, cmt, r in infusions:
            if start <= a < end:
                rate[cmt] += r
        if b > a:
            sol = solve_ivp(lambda _, y: K @ y + rate, (a, b), A, method="Radau", rtol=1e-10, atol=1e-14)
            A = sol.y[:, -1]
    return np.array([out[t] for t in times])


def test_mixed_regimen_matches_solve_ivp():
    """Oral two-compartment: lagged, F-scaled depot boluses with ADDL, a modeled-duration infusion
    into the central compartment and an overlapping one given as RATE."""
    columns = {"LAG": "ALAG:depot", "BIO": "F:depot", "DUR": "D:central"}
    times = np.arange(0.0, 60.0, 0.5)
    events = table(
        {"EVID": 1, "AMT": 100.0, "II": 12.0, "ADDL": 3, "LAG": 0.75, "BIO": 0.6, "DUR": 1.0},
        {"TIME": 10.0, "EVID": 1, "AMT": 50.0, "CMT": 2, "RATE": -2.0, "LAG": 0.0, "BIO": 1.0, "DUR": 8.0},
        {"TIME": 14.0, "EVID": 1, "AMT": 30.0, "CMT": 2, "RATE": 10.0, "LAG": 0.0, "BIO": 1.0, "DUR": 1.0},
        *[{**r, "LAG": 0.0, "BIO": 1.0, "DUR": 1.0} for r in obs(times)],
    )
    events = events.sort_values("TIME", kind="stable").reset_index(drop=True)
    model = mammillary(2)
    got = predict_events(events, model, ORAL2, columns=columns)[events["EVID"] == 0].to_numpy()
    K = np.asarray(model.rate_matrix(ORAL2))
    boluses = [(12.0 * k + 0.75, 0, 60.0) for k in range(4)]
    infusions = [(10.0, 18.0, 1, 50.0 / 8.0), (14.0, 17.0, 1, 10.0)]
    want = ode_reference(K, boluses, infusions, list(times))[:, 1] / ORAL2["V1"]
    assert want.max() > 1.0
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10)


# Steady-state infusions: SS = 1 or 2 with AMT = 0, II = 0 and RATE > 0 (or -1) put the system at the
# steady state of a constant infusion, which goes on until a reset.  Closed forms: the central amount
# is R / k10 (concentration R / CL) and a peripheral one is A1 * k12 / k21 (concentration R / CL too).

R = 5.0  # mg/h


def ss_infusion(**changes) -> dict:
    return {"EVID": 1, "AMT": 0.0, "RATE": R, "II": 0.0, "SS": 1, **changes}


def two_cmt_steady_amounts(params: dict, rate: float) -> dict[str, float]:
    """Amounts (mg) at the steady state of an infusion into the central compartment, from the rate constants."""
    k10, k12, k21 = params["CL"] / params["V1"], params["Q2"] / params["V1"], params["Q2"] / params["V2"]
    central = rate / k10
    return {"central": central, "periph1": central * k12 / k21}


@pytest.mark.parametrize("evid", [1, 4])
def test_steady_state_infusion_one_compartment_is_rate_over_clearance(evid):
    times = [10.0, 10.5, 24.0, 100.0, 1000.0]
    events = table(*obs([0.0, 10.0]), ss_infusion(TIME=10.0, EVID=evid), *obs(times))
    got = predict_events(events, mammillary(1, oral=False), IV1).to_numpy()
    # before the record (also an observation at its time placed before it): nothing; then R / CL for ever
    np.testing.assert_array_equal(got[:2], 0.0)
    np.testing.assert_allclose(got[2:], R / IV1["CL"], rtol=1e-10)
    amount = got[2:] * IV1["V1"]
    np.testing.assert_allclose(amount, R / (IV1["CL"] / IV1["V1"]), rtol=1e-10)


@pytest.mark.parametrize("output", ["central", "periph1"])
def test_steady_state_infusion_two_compartments_matches_closed_form(output):
    events = table(ss_infusion(TIME=3.0), *obs([3.0, 3.25, 12.0, 72.0, 500.0]))
    got = predict_events(events, mammillary(2, oral=False), IV2, output=output).to_numpy()
    volume = {"central": "V1", "periph1": "V2"}[output]
    np.testing.assert_allclose(got * IV2[volume], two_cmt_steady_amounts(IV2, R)[output], rtol=1e-10)
    np.testing.assert_allclose(got, R / IV2["CL"], rtol=1e-10)


def test_steady_state_infusion_reaches_the_effect_compartment():
    events = table(ss_infusion(), *obs([0.0, 1.0, 50.0]))
    got = predict_events(events, mammillary(2, oral=False, effect=True), {**IV2, "KE0": 0.5}, output="effect")
    np.testing.assert_allclose(got, R / IV2["CL"], rtol=1e-10)


@pytest.mark.parametrize(
    "model, params, cmt, output",
    [
        (mammillary(1, oral=False), IV1, 1, "central"),
        (mammillary(2, oral=False), IV2, 1, "central"),
        (mammillary(2, oral=False), IV2, 1, "periph1"),
        (mammillary(2), ORAL2, 1, "central"),  # into the depot
        (mammillary(2), ORAL2, 1, "periph1"),
        (mammillary(2), ORAL2, 2, "central"),  # into the central compartment of the oral model
    ],
)
def test_steady_state_infusion_equals_a_2000_h_explicit_infusion(model, params, cmt, output):
    """An ordinary infusion at the same rate from time 0 (3000 h long, so running over every observation) is
    within exp(-126) of steady state at 2000 h (slowest rate 0.063 /h): what is left is rounding of the
    exponentials over up to 2100 h, measured ~1e-14; rtol 1e-12."""
    times = 2000.0 + np.array([0.0, 0.25, 1.0, 6.0, 24.0, 100.0])
    ss = table(ss_infusion(TIME=2000.0, CMT=cmt), *obs(times))
    explicit = table({"EVID": 1, "AMT": R * 3000.0, "RATE": R, "CMT": cmt}, *obs(times))
    got = predict_events(ss, model, params, output=output)[ss["EVID"] == 0].to_numpy()
    want = predict_events(explicit, model, params, output=output)[explicit["EVID"] == 0].to_numpy()
    np.testing.assert_allclose(got, R / params["CL"], rtol=1e-10)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_steady_state_infusion_2_adds_to_the_current_state():
    """SS = 2 superposes: a bolus and an infusion running across the SS = 2 record (2-8 h) go on; the
    prediction is the sum of the run without the steady-state infusion and the run with it alone."""
    model, times = mammillary(2, oral=False), list(np.arange(0.0, 48.0, 0.5))
    before = [{"EVID": 1, "AMT": 100.0}, {"TIME": 2.0, "EVID": 1, "AMT": 60.0, "RATE": 10.0}]
    steady = [ss_infusion(TIME=6.0, SS=2)]

    def run(records):  # doses before observations at the same time
        events = table(*sorted(records + obs(times), key=lambda r: r.get("TIME", 0.0)))
        return predict_events(events, model, IV2)[events["EVID"] == 0].to_numpy()

    both, without, alone = run(before + steady), run(before), run(steady)
    assert without.min() > 0.05 and alone.max() > 1.0
    np.testing.assert_array_equal(alone[np.array(times) < 6.0], 0.0)
    np.testing.assert_allclose(both, without + alone, rtol=1e-12)


def test_steady_state_infusion_restricted_to_the_compartments_it_reaches():
    """A compartment the infusion does not reach keeps its amount under SS = 2, even one without elimination
    (where the rate matrix of the whole system is singular)."""
    model = LinearModel(
        (Compartment("central", "V1"), Compartment("store", "VS")), (Flow("central", None, "CL/V1"),)
    )
    events = table({"EVID": 1, "AMT": 30.0, "CMT": 2}, ss_infusion(TIME=5.0, SS=2), *obs([5.0, 50.0]))
    params = {**IV1, "VS": 3.0}
    np.testing.assert_allclose(predict_events(events, model, params), [0.0, R / IV1["CL"]] + [R / IV1["CL"]] * 2,
                               rtol=1e-10)
    np.testing.assert_allclose(predict_events(events, model, params, output="store"), 10.0, rtol=1e-15)


def test_steady_state_infusion_runs_until_a_reset_and_later_doses_add():
    k = IV1["CL"] / IV1["V1"]
    css = R / IV1["CL"]
    events = table(
        ss_infusion(),
        *obs([0.0, 5.0]),
        {"TIME": 10.0, "EVID": 1, "AMT": 100.0},  # superposes on the infusion
        *obs([10.0, 15.0, 40.0]),
        {"TIME": 40.0, "EVID": 3},  # ends it
        *obs([40.0, 45.0, 500.0]),
    )
    got = predict_events(events, mammillary(1, oral=False), IV1)
    bolus = 10.0 * np.exp(-k * np.array([0.0, 0.0, 5.0, 30.0]))
    want = [css, css, css, *(css + bolus), 0.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)


def test_steady_state_infusion_1_cancels_what_runs_and_is_cancelled_by_the_next_ss_1():
    k = IV1["CL"] / IV1["V1"]
    events = table(
        {"EVID": 1, "AMT": 100.0, "RATE": 10.0, "II": 24.0, "ADDL": 3},  # infusion 0-10 h, more at 24, 48, 72 h
        ss_infusion(TIME=5.0),  # resets: the running infusion and the additional doses are cancelled
        *obs([5.0, 12.0, 30.0, 60.0]),
        ss_infusion(TIME=70.0, RATE=3.0),  # a new steady state replaces it
        *obs([70.0, 100.0]),
        {"TIME": 110.0, "EVID": 1, "AMT": 100.0, "SS": 1, "II": 12.0},  # steady state of 100 mg every 12 h alone
        *obs([115.0, 150.0]),
    )
    got = predict_events(events, mammillary(1, oral=False), IV1).to_numpy()
    peak = 10.0 / -np.expm1(-k * 12.0)
    want = [infusion_iv(0.0, 10.0, 10.0), *[R / IV1["CL"]] * 5, *[3.0 / IV1["CL"]] * 3,
            peak, peak * np.exp(-k * 5.0), peak * np.exp(-k * 40.0)]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)


@pytest.mark.parametrize("modifiers", ["none", "modeled rate, F and ALAG"])
def test_steady_state_infusion_into_a_depot(modifiers):
    """Depot amount R / KA (a depot given a volume VD to read it), central concentration R / CL.  F and ALAG
    change nothing (they scale amounts and delay starts; a steady-state infusion has neither)."""
    model = LinearModel(
        (Compartment("depot", "VD"), Compartment("central", "V1")),
        (Flow("depot", "central", "KA"), Flow("central", None, "CL/V1")),
    )
    params = {"KA": 0.7, **IV1, "VD": 1.0}
    columns = {"RAT": "R:depot", "BIO": "F:depot", "LAG": "ALAG:depot"}
    record = ss_infusion(RAT=R, BIO=1.0, LAG=0.0)
    if modifiers != "none":
        record.update(RATE=-1.0, BIO=0.3, LAG=2.0)
    events = table(record, *[{**r, "RAT": 1.0, "BIO": 1.0, "LAG": 0.0} for r in obs([0.0, 1.0, 2.0, 3.0, 100.0])])
    depot = predict_events(events, model, params, output="depot", columns=columns)
    central = predict_events(events, model, params, columns=columns)
    np.testing.assert_allclose(depot, R / params["KA"], rtol=1e-10)
    np.testing.assert_allclose(central, R / params["CL"], rtol=1e-10)
