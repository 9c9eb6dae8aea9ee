"""Properties of the risk scores through the public path (an arm of physiological subjects, popsim.arm.run_arm).

128 subjects per test in float32 (the production precision); every property is per subject.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from popsim.arm import Arm, run_arm
from popsim.pd.parameters import check_values
from popsim.pk.grid import Channel, GridSpec, Window
from popsim.pk.model import mammillary
from popsim.simulate import simulate_grid

N_SUBJECTS = 128
MINUTE = 1 / 60
SLACK = 1e-6  # float32 rounding of a fraction of baseline (or of hours) that the property orders


def simulate_pd(drug, route, cohort, dt, regimens, *, others=(), windows=None, save=False):
    """The arm's output (:class:`popsim.arm.ArmOutput`) for ``regimens`` (regimen, time, channel) with the
    Risk model; ``windows``: name -> Window."""
    arm = Arm(drug, route, cohort, dt, regimens.shape[1], others=others)
    return run_arm(arm, regimens, seed=7, n_subjects=N_SUBJECTS, windows=windows, values=check_values(), save=save)


def test_more_opioid_never_less_depression():
    # Midazolam 3.5 mg iv with fentanyl 0 to 0.4 mg iv at t = 0, 3 h at 1 min: the ventilation nadir of
    # every subject never rises as the fentanyl dose rises.
    doses = (0.0, 0.025, 0.05, 0.1, 0.2, 0.4)
    u = np.zeros((len(doses), 181, 2))
    u[:, 0, 0], u[:, 0, 1] = 3.5, doses
    out = simulate_pd("midazolam", "iv", "healthy_young", MINUTE, u, others=(("fentanyl", "iv"),),
                      windows={"all": Window(0, 180)})
    nadir = out.stat("pd_min", "all", "ventilation")  # (regimen, subject)
    assert np.all(np.diff(nadir, axis=0) <= 0.0)
    assert np.all(nadir[-1] < nadir[0])  # not vacuous


def test_naloxone_never_worse():
    # Midazolam 3.5 mg + fentanyl 0.1 mg iv at t = 0, naloxone 0.4 mg iv 5 min later or not.  Naloxone only
    # takes mu receptors from the opioid, so the drive is never lower; PaCO2 is never higher, SpO2 never lower
    # and the time hypoxaemic never longer.  Ventilation itself can be higher without naloxone at later times:
    # the retained CO2 drives it (CO2 feedback), so it is compared only while naloxone's effect builds.
    u = np.zeros((2, 181, 3))
    u[:, 0, :2] = 3.5, 0.1
    u[1, 5, 2] = 0.4
    out = simulate_pd("midazolam", "iv", "healthy_young", MINUTE, u,
                      others=(("fentanyl", "iv"), ("naloxone", "iv")), save=True)
    paco2, spo2 = out.trajectory("paco2"), out.trajectory("spo2")  # (time, regimen, subject)
    hypox = out.trajectory("time_hypoxaemia")[-1]  # (regimen, subject)
    assert np.all(paco2[:, 1] <= paco2[:, 0] + 1e-3)  # mmHg, float32 rounding
    assert np.all(spo2[:, 1] >= spo2[:, 0] - SLACK)
    assert np.all(hypox[1] <= hypox[0] + SLACK)
    assert np.all(out.trajectory("ventilation")[:8, 1] >= out.trajectory("ventilation")[:8, 0] - SLACK)
    # Not vacuous: naloxone lowers the PaCO2 peak in every subject.
    assert np.all(paco2.max(0)[1] < paco2.max(0)[0])


def test_naloxone_reverses_the_opioid_part_and_flumazenil_the_benzodiazepine_part():
    # Regimens: midazolam 3.5 mg iv alone; with fentanyl 0.1 mg iv and naloxone 2 mg iv 5 min later; the
    # same with flumazenil 0.5 mg iv given with naloxone.
    u = np.zeros((3, 181, 4))
    u[:, 0, 0] = 3.5
    u[1:, 0, 1], u[1:, 5, 2], u[2, 5, 3] = 0.1, 2.0, 0.5
    out = simulate_pd("midazolam", "iv", "healthy_young", MINUTE, u,
                      others=(("fentanyl", "iv"), ("naloxone", "iv"), ("flumazenil", "iv")), save=True)
    pd = out.raw["pd"]
    k = 20  # 15 min after naloxone, near its peak effect (it wears off within the hour and the opioid rebinds)
    # Naloxone leaves the GABA-A part alone: sedation is that of midazolam alone ...
    np.testing.assert_allclose(pd["sedation"][:, 1], pd["sedation"][:, 0], rtol=1e-6, atol=1e-7)
    # ...and removes most of the opioid part: 20 min after it (once the CO2 retained during the apnoea is blown
    # off) R < 0.1 (measured at most 0.063 with Algera's fentanyl C50) and ventilation within 0.05 of midazolam
    # alone's (measured 0.0035).
    kn = 25
    assert np.all(pd["mu_bound_opioid"][kn, 1] < 0.1)
    assert np.all(np.abs(pd["ventilation"][kn, 1] - pd["ventilation"][kn, 0]) < 0.05)
    # Flumazenil takes GABA-A sites from midazolam: never higher PaCO2 nor lower SpO2; ventilation lower only where
    # the flumazenil arm has retained less CO2 (lower PaCO2): 14-31 min after naloxone the arm without flumazenil,
    # still blowing off the CO2 of the apnoea, breathes up to 0.0045 more (measured 2026-12-07, ventilation v3 with
    # sleep_hill 4 and Algera's fentanyl C50).  Ventilation higher in every subject 5 min after flumazenil and
    # from 35 min on (measured by at least 0.0027 and 6.9e-5), with less sedation.
    assert np.all(pd["paco2"][:, 2] <= pd["paco2"][:, 1] + 1e-4)
    assert np.all(pd["spo2"][:, 2] >= pd["spo2"][:, 1] - SLACK)
    lower = pd["ventilation"][:, 2] < pd["ventilation"][:, 1] - SLACK
    assert np.all(~lower | (pd["paco2"][:, 2] < pd["paco2"][:, 1]))
    assert np.all(pd["ventilation"][10, 2] > pd["ventilation"][10, 1])
    assert np.all(pd["ventilation"][40:, 2] > pd["ventilation"][40:, 1])
    assert np.all(pd["sedation"][k, 2] < pd["sedation"][k, 1])


def test_slower_taper_never_raises_withdrawal():
    # Lorazepam 1 mg oral every 8 h for 8 weeks, then stopped abruptly or tapered linearly over 2, 4 or 8
    # weeks, all followed to day 140 (4 adaptation half-lives after the longest taper).  With a convex
    # withdrawal hazard (WD_N > 1) spreading the same mismatch over a longer time lowers its integral.
    assert check_values()["withdrawal_n"] > 1
    n, stop, weeks = 140 * 24 + 1, 56 * 24, (0, 2, 4, 8)
    u = np.zeros((len(weeks), n, 1))
    t = np.arange(0, n - 1, 8)
    for r, w in enumerate(weeks):
        taper = np.clip(1 - (t - stop) / (w * 7 * 24), 0.0, 1.0) if w else 0.0
        u[r, t, 0] = np.where(t < stop, 1.0, taper)
    out = simulate_pd("lorazepam", "oral", "adult", 1.0, u, windows={"all": Window(0, n - 1)})
    p_wd = out.stat("pd_end", "all", "p_withdrawal")  # (regimen, subject) at day 140
    assert np.all(np.diff(p_wd, axis=0) <= SLACK)
    assert np.all(p_wd[-1] < p_wd[0])  # not vacuous: median 0.41 abrupt, 0.17 over 8 weeks


def test_longer_interval_never_smaller_occupancy_swing():
    # Alprazolam 2 mg/day oral for 3 weeks every 6, 8, 12 or 24 h: the alpha1 occupancy swing
    # (peak - trough) / peak over the last interval grows with the interval (median 0.13 to 0.52).
    taus, dt = (6, 8, 12, 24), 0.25
    n = round(21 * 24 / dt) + 1
    u = np.zeros((len(taus), n, 1))
    for r, tau in enumerate(taus):
        u[r, : n - 1 : round(tau / dt), 0] = 2.0 * tau / 24
    windows = {f"last_{tau}_h": Window(n - 1 - round(tau / dt), n - 1) for tau in taus}  # regimen r's last interval
    out = simulate_pd("alprazolam", "oral", "adult", dt, u, windows=windows)
    peak = np.stack([out.stat("pd_max", f"last_{tau}_h", "occupancy_a1")[r] for r, tau in enumerate(taus)])
    trough = np.stack([out.stat("pd_min", f"last_{tau}_h", "occupancy_a1")[r] for r, tau in enumerate(taus)])
    assert np.all(np.diff((peak - trough) / peak, axis=0) >= 0.0)


def test_trough_to_peak_is_two_to_the_minus_tau_over_half_life(x64):
    # One compartment, iv bolus every tau h for 14 days (at least 34 half-lives before the last interval,
    # so what is left of the approach to steady state, 2^(-N tau / t1/2), is below 1e-10): cmin/cmax over
    # the last interval is exactly 2^(-tau / t1/2) at steady state; the grid is exact, so 1e-6 is rounding
    # with a wide margin.
    taus, n = (6, 8, 12, 24), 14 * 24 + 1
    spec = GridSpec(mammillary(1, oral=False), 1.0, n, (Channel("central"),),
                    windows=tuple(Window(n - 1 - tau, n - 1) for tau in taus), save=False)
    u = np.zeros((len(taus), n, 1))
    for r, tau in enumerate(taus):
        u[r, : n - 1 : tau, 0] = 10.0
    for half_life in (5.0, 9.0):
        out = simulate_grid(spec, {"CL": 40.0 * math.log(2) / half_life, "V1": 40.0}, {}, u, n_subjects=1, seed=0,
                            dtype=jnp.float64)
        for r, tau in enumerate(taus):
            ratio = out["cmin"][r, 0, r, 0] / out["cmax"][r, 0, r, 0]
            np.testing.assert_allclose(ratio, 2.0 ** (-tau / half_life), rtol=1e-6)


def test_ethanol_cross_tolerance():
    # 29 evenings of 4 drinks (56 g ethanol at 19:00), then diazepam 10 mg at 10:00 on day 31, 39 h
    # after the last drink (ethanol is gone: checked): the drinker's occupancy is the same (ethanol does
    # not change diazepam's kinetics here) but the adapted level is higher, so net sedation is lower for
    # every subject, and stopping drinking leaves a withdrawal risk the non-drinker does not have.
    dt, days = 1.0, 32
    n = days * 24 + 1
    U = np.zeros((2, n, 2))
    evenings = np.arange(29) * 24 + 19
    U[1, evenings, 1] = 56000.0
    U[:, 30 * 24 + 10, 0] = 10.0
    window = {"after": Window(30 * 24 + 10, n - 1)}
    out = simulate_pd("diazepam", "oral", "adult", dt, U, others=(("ethanol", "oral"),), windows=window)
    assert out.stat("pd_max", "after", "ethanol").max() < 1.0  # mg/L
    occ, sed = out.stat("pd_max", "after", "occupancy_a1"), out.stat("pd_max", "after", "sedation")
    np.testing.assert_allclose(occ[1], occ[0], rtol=1e-5)
    assert np.all(sed[1] < sed[0] - 1e-3), (sed[0] - sed[1]).min()
    p_wd = out.stat("pd_end", "after", "p_withdrawal")
    assert np.all(p_wd[1] > p_wd[0])
