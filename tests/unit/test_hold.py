"""Symptom-guided holds (:class:`popsim.pk.grid.Hold`) against hand-worked schedules and a loop reference.

The strong check throughout: the grid with a hold gives the same concentrations as the grid *without*
a hold on the inputs a subject actually took (the regimen delayed by hand, or by the loop reference
:func:`reference`), so the hold's bookkeeping is checked through the PK, not only through its counters.
Most tests drive the decisions with a scripted signal (a test-only PD model whose signal is a fixed
sequence on the grid clock), so the expected holds can be worked out by hand; one test closes the loop
with a dose-dependent signal (GABA-A withdrawal drive).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim import taper
from popsim.pd import GabaAdaptation
from popsim.pd.model import PDModel
from popsim.pk.grid import Channel, GridSpec, Hold, Trigger, Window, kernels, simulate_one
from popsim.pk.model import mammillary
from popsim.simulate import simulate_grid
from popsim.taper import TaperSpec

DT, N = 0.5, 41
P = {"CL": 3.0, "V1": 10.0}


@dataclasses.dataclass(frozen=True)
class Scripted(PDModel):
    """Test-only PD model: ``script`` reports ``values[k]`` at grid step k (0 past the end); its state is
    the step count.  ``conc`` echoes the central concentration."""

    values_: tuple[float, ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("central",)

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        return {"script": ("1", "scripted signal"), "conc": ("mg/L", "central concentration")}

    def init(self, p, dtype):
        return jnp.zeros((), jnp.int32)

    def step(self, state, c0, c1, p, dt):
        return state + 1

    def values(self, state, c: Mapping, p) -> dict:
        table = jnp.asarray(self.values_ + (0.0,), c["central"].dtype)
        return {"script": table[jnp.minimum(state, len(self.values_))], "conc": c["central"]}


def script(high, n=N) -> Scripted:
    """1.0 at the steps ``high``, 0.0 elsewhere."""
    v = np.zeros(n)
    v[list(high)] = 1.0
    return Scripted(tuple(float(x) for x in v))


CHANNELS = (Channel("central"), Channel("central", "infusion"))  # the schedule, and a co-medication


def grid(pd, n=N, channels=CHANNELS, dt=DT, **kw):
    return GridSpec(mammillary(1, oral=False), dt, n, channels, outputs=("central",), pd=pd, **kw)


def run(spec, u, params=P):
    p = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
    return simulate_one(spec, ker, jnp.asarray(u, jnp.float64), {})


def schedule(n=N, last=35) -> np.ndarray:
    """Channel 0: a different amount at every step up to ``last`` (so any misplaced index shows in the
    concentrations); channel 1: an infusion of 0.5 mg/h over steps 10-19 (not held)."""
    u = np.zeros((n, 2))
    u[: last + 1, 0] = 1.0 + 0.25 * np.arange(last + 1)
    u[10:20, 1] = 0.5
    return u


def delayed(u, shifts) -> np.ndarray:
    """Channel 0 read at ``t - shifts[t]`` (the hand-worked delay per step); channel 1 as it is."""
    out = u.copy()
    out[:, 0] = u[np.arange(len(u)) - np.asarray(shifts), 0]
    return out


def reference(signal, u, hold: Hold):
    """The rule as a plain loop over steps for a given signal sequence: the inputs taken per step (a
    channel's lag then applies to them), the steps of the holds and the delay in force at each step."""
    n = len(u)
    ch = list(hold.channels)
    nz = np.flatnonzero(np.any(u[:, ch] != 0, axis=1))
    last_input = nz[-1] if nz.size else -1
    s, decided, holds, delay = 0, -1, [], np.zeros(n, int)
    for t in range(n):
        tau = t - s
        if tau >= hold.start and (tau - hold.start) % hold.every == 0 and tau >= decided:
            decided = tau
            if signal[t] > hold.threshold and len(holds) < hold.max_holds and tau - hold.length <= last_input:
                s += hold.length
                holds.append(t)
        delay[t] = s
    taken = u.copy()
    taken[:, ch] = u[np.arange(n) - delay][:, ch]
    return taken, holds, delay


def assert_same_run(a, b, rtol=1e-13):
    np.testing.assert_allclose(a["conc"]["central"], b["conc"]["central"], rtol=rtol, atol=1e-15)
    np.testing.assert_allclose(a["pd"]["conc"], b["pd"]["conc"], rtol=rtol, atol=1e-15)


# ---------------------------------------------------------------------------
# The rule, worked by hand
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("max_holds, holds, shifts", [
    # step 8 (tau 8): hold, s = 4; step 12 (tau 8 again): hold, s = 8; step 16 (tau 8): low, on;
    # step 20 (tau 12): hold, s = 12; later decisions low.  Highs at 9, 10, 14, 18 are not decision points.
    (10, [8, 12, 20], [0] * 8 + [4] * 4 + [8] * 8 + [12] * 21),
    (2, [8, 12], [0] * 8 + [4] * 4 + [8] * 29),  # the third hold is over the cap
], ids=["repeated", "capped"])
def test_holds_worked_by_hand(x64, max_holds, holds, shifts):
    hold = Hold("script", 0.5, every=4, start=8, max_holds=max_holds)
    assert hold.length == 4 and hold.channels == (0,)
    pd = script([8, 9, 10, 12, 14, 18, 20])
    u = schedule()
    out = run(grid(pd, hold=hold), u)
    assert int(out["hold_count"]) == len(holds) and out["hold_count"].dtype == jnp.int32
    assert float(out["hold_delay"]) == shifts[-1] * DT
    ref = run(grid(pd), delayed(u, shifts))  # the hand-delayed schedule, no hold
    assert_same_run(out, ref)
    # the loop reference agrees with the hand-worked trace
    taken, ref_holds, delay = reference(np.asarray(pd.values_), u, hold)
    assert ref_holds == holds and delay.tolist() == shifts
    np.testing.assert_array_equal(taken, delayed(u, shifts))


def test_a_replay_longer_than_the_interval_does_not_decide_the_passed_points_again(x64):
    # length 8 > every 4.  Step 8 (tau 8): low.  Step 12 (tau 12): hold, s = 8.  Step 16: tau 8 is a
    # decision point already passed (high, but not decided again).  Step 20 (tau 12): hold, s = 16.
    # Step 24: tau 8, passed.  Step 28 (tau 12): low, on.
    hold = Hold("script", 0.5, every=4, start=8, length=8)
    pd = script([12, 16, 20, 24])
    u = schedule()
    out = run(grid(pd, hold=hold), u)
    shifts = [0] * 12 + [8] * 8 + [16] * 21
    assert int(out["hold_count"]) == 2 and float(out["hold_delay"]) == 16 * DT
    assert_same_run(out, run(grid(pd), delayed(u, shifts)))
    assert reference(np.asarray(pd.values_), u, hold)[1] == [12, 20]


def test_never_above_the_threshold_is_the_run_without_hold(x64):
    """Trajectories bitwise; window summaries to the last bit or two: the hold's loop is another XLA
    program, whose running sums may round differently (measured: one ulp in one ``pd_mean``)."""
    pd = script([3, 5, 9])  # highs off the decision points only
    windows = (Window(15, N - 1, above=(0.5,), pd_above=(("conc", 0.3),)),)
    u = schedule()
    a = run(grid(pd, windows=windows, hold=Hold("script", 0.5, every=4, start=8)), u)
    b = run(grid(pd, windows=windows), u)
    assert int(a["hold_count"]) == 0 and float(a["hold_delay"]) == 0.0
    assert set(a) - set(b) == {"hold_count", "hold_delay"}
    for group in ("conc", "pd"):
        for name in b[group]:
            np.testing.assert_array_equal(a[group][name], b[group][name], err_msg=name)
    for key in set(b) - {"conc", "pd"}:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-15, atol=0, err_msg=key)


def test_always_above_the_threshold_uses_every_hold_then_runs_delayed(x64):
    # Holds at steps 8, 12, 16 replay steps 4-7 each time; from step 16 on the schedule runs 12 steps late.
    hold = Hold("script", -1.0, every=4, start=8, max_holds=3)  # script >= 0 > -1 everywhere
    pd = script([])
    u = schedule()
    out = run(grid(pd, hold=hold), u)
    assert int(out["hold_count"]) == 3 and float(out["hold_delay"]) == 3 * 4 * DT
    shifts = [0] * 8 + [4] * 4 + [8] * 4 + [12] * 25
    assert_same_run(out, run(grid(pd), delayed(u, shifts)))
    expected = u.copy()
    expected[16:, 0] = u[4:N - 12, 0]  # the schedule delayed by max_holds * length
    np.testing.assert_array_equal(delayed(u, shifts)[16:], expected[16:])


def test_no_hold_once_the_schedule_has_ended(x64):
    """A decision whose replay would start after the last scheduled input changes nothing: it never
    holds (withdrawal after a taper's last dose does not count holds)."""
    u = schedule(last=11)
    hold = Hold("script", 0.5, every=4, start=8)
    late = script([16, 20, 24])  # tau - length = 12, 16, 20 > 11: nothing left to delay
    a, b = run(grid(late, hold=hold), u), run(grid(late), u)
    assert int(a["hold_count"]) == 0
    np.testing.assert_array_equal(a["conc"]["central"], b["conc"]["central"])
    last = script([12])  # tau 12: replays steps 8-11, the last doses
    out = run(grid(last, hold=hold), u)
    assert int(out["hold_count"]) == 1
    assert_same_run(out, run(grid(last), delayed(u, [0] * 12 + [4] * 29)))


@pytest.mark.parametrize("kind", ["bolus", "infusion"])
def test_lagged_doses_in_flight_keep_their_delay(x64, kind):
    """ALAG 1.2 h = 2.4 steps: a dose arriving at step t was taken at t - 2, under the delay then in force,
    so the two doses in flight at a hold still arrive.  The reference applies the rule to the doses taken
    and the plain lagged grid lags them.  A lag past the hold's length gives NaN, never wrong doses."""
    channels = (Channel("central", kind, lag="ALAG"), Channel("central", "infusion"))
    hold = Hold("script", 0.5, every=4, start=8)
    pd = script([8, 12, 20])
    u = schedule()
    out = run(grid(pd, channels=channels, hold=hold), u, P | {"ALAG": 1.2})
    taken, holds, delay = reference(np.asarray(pd.values_), u, hold)  # what was taken at each step
    assert holds == [8, 12, 20] and int(out["hold_count"]) == 3
    assert_same_run(out, run(grid(pd, channels=channels), taken, P | {"ALAG": 1.2}), rtol=1e-12)
    # the check sees the difference: doses in flight re-timed by the delay in force at their arrival
    n = len(u)
    arrival = np.minimum(np.arange(n) + 2, n - 1)
    naive = u.copy()
    naive[:, 0] = u[np.arange(n) - delay[arrival], 0]
    wrong = run(grid(pd, channels=channels), naive, P | {"ALAG": 1.2})
    assert np.abs(np.asarray(wrong["conc"]["central"]) - np.asarray(out["conc"]["central"])).max() > 1e-3
    too_long = 2.1 if kind == "infusion" else 2.6  # floor(lag / dt) + extra > length = 4
    late = run(grid(pd, channels=channels, hold=hold), u, P | {"ALAG": too_long})
    assert np.isnan(np.asarray(late["conc"]["central"][6:])).all()
    fine = 1.6 if kind == "infusion" else 2.1  # the longest lags still exact
    assert np.isfinite(np.asarray(run(grid(pd, channels=channels, hold=hold), u, P | {"ALAG": fine})["conc"]
                                  ["central"])).all()


def test_hold_and_trigger_coexist(x64):
    """The trigger stays on the grid clock: its doses add to the held channel's delayed inputs."""
    pd = script([8, 9, 10, 12, 14, 18, 20])
    hold = Hold("script", 0.5, every=4, start=8)
    trig = Trigger("script", 0.5, 2.0, every=2)  # fires at the even highs: 8, 10, 12, 14, 18, 20
    u = schedule()
    out = run(grid(pd, hold=hold, trigger=trig), u)
    assert int(out["hold_count"]) == 3 and int(out["trigger_doses"]) == 6 and float(out["trigger_last"]) == 10.0
    expected = delayed(u, [0] * 8 + [4] * 4 + [8] * 8 + [12] * 21)
    expected[[8, 10, 12, 14, 18, 20], 0] += 2.0
    assert_same_run(out, run(grid(pd), expected))


# ---------------------------------------------------------------------------
# Feedback: a dose-dependent signal
# ---------------------------------------------------------------------------

GABA = {"CL": 3.0, "V1": 10.0, "KE0": 2.0, "KD_a1": 0.1, "THETA": 0.25, "KADAPT": 0.1}


def test_withdrawal_drive_holds_a_taper_as_the_loop_reference_does(x64):
    """Doses every 3 h (4, 2, 1, 0.5, 0.25 mg), cut every 12 h, held while the withdrawal drive exceeds
    0.08 at a cut.  The grid's own drive fed to the loop reference gives the same holds, and the grid
    without hold on the inputs that reference takes gives the same concentrations and drive: a fixed
    point of the rule through the PK and PD (values at a step depend only on earlier inputs)."""
    n = 24 * 10 + 1
    pd = GabaAdaptation(sites=("effect",), subtypes=("a1",))
    spec = GridSpec(mammillary(1, oral=False, effect=True), DT, n, (Channel("central"),),
                    outputs=("central", "effect"), pd=pd)
    u = np.zeros((n, 1))
    for level, amount in enumerate([4.0, 2.0, 1.0, 0.5, 0.25]):
        u[24 * level: 24 * (level + 1): 6, 0] = amount
    hold = Hold("withdrawal_drive_a1", 0.08, every=24, start=24)
    p = {k: jnp.asarray(v, jnp.float64) for k, v in GABA.items()}
    ker = jax.tree_util.tree_map(lambda x: x[None], kernels(dataclasses.replace(spec, hold=hold), p))
    out = simulate_one(dataclasses.replace(spec, hold=hold), ker, jnp.asarray(u), p)
    drive = np.asarray(out["pd"]["withdrawal_drive_a1"])
    taken, holds, delay = reference(drive, u, hold)
    assert int(out["hold_count"]) == len(holds) and float(out["hold_delay"]) == delay[-1] * DT
    plain = simulate_one(spec, ker, jnp.asarray(taken), p)
    for name in ("central", "effect"):
        np.testing.assert_allclose(out["conc"][name], plain["conc"][name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(drive, plain["pd"]["withdrawal_drive_a1"], rtol=1e-12, atol=1e-15)
    # the decisions are not within rounding of the threshold, and the scenario mixes holds and releases
    points = [t for t in range(n) if drive[t] > 0 and abs(drive[t] - hold.threshold) < 1e-8]
    assert not points
    # The cut to 0.5 mg held (step 96), released at the next decision (step 120, drive 0.061), the stop
    # held (step 144); from step 192 on the drive is above 0.08 but the schedule has ended: no hold.
    assert holds == [96, 144] and drive[120] < hold.threshold < drive[192]


# ---------------------------------------------------------------------------
# Through the batched driver
# ---------------------------------------------------------------------------


def test_simulate_grid_returns_holds_per_regimen_and_subject():
    pd = script([8, 12, 20])
    spec = grid(pd, hold=Hold("script", 0.5, every=4, start=8), save=False)
    U = np.stack([schedule(), schedule(last=5)])  # the second ends early: its hold at tau 12 has nothing left
    r = simulate_grid(spec, P, {"CL": 0.3}, U, n_subjects=3, seed=0)
    assert r["hold_count"].shape == r["hold_delay"].shape == (2, 3)
    np.testing.assert_array_equal(r["hold_count"], [[3] * 3, [2] * 3])
    np.testing.assert_array_equal(r["hold_delay"], [[6.0] * 3, [4.0] * 3])


# ---------------------------------------------------------------------------
# Taper holds
# ---------------------------------------------------------------------------


def test_taper_hold_replays_the_previous_level_with_its_daily_pattern(x64):
    # Diazepam 5 mg at 00:00 and 12:00, -2 mg/day every 2 days: 10, 8, 6, 4, 2 mg/day, drug-free day 10.
    # A 6-h grid (4 steps a day), 12 days.  Decisions at 00:00 of days 2, 4, ...: high on days 2 and 4
    # (the first reduction held twice: the same decision point reached again), low on day 6.
    s = TaperSpec("diazepam", 10, (0, 12), "mg", 2, 2)
    n = 12 * 4 + 1
    c = taper.compile(s, 6.0, n, cut=True)
    hold = taper.hold_for(s, 6.0, "script", 0.5, max_holds=5)
    assert hold == Hold("script", 0.5, every=8, start=8, length=8, max_holds=5, channels=(0,))
    pd = script([8, 16], n)
    out = run(grid(pd, n=n, channels=CHANNELS[:1], dt=6.0, hold=hold), c.u)
    assert int(out["hold_count"]) == 2 and float(out["hold_delay"]) == 96.0
    per_dose = [5, 5, 5, 5, 5, 5, 4, 4, 3, 3, 2, 2]  # mg per administration, by day (day 12 is not on the grid)
    expected = np.zeros((n, 1))
    for day, mg in enumerate(per_dose):
        expected[4 * day, 0] = expected[4 * day + 2, 0] = mg
    assert_same_run(out, run(grid(pd, n=n, channels=CHANNELS[:1], dt=6.0), expected))


def test_hold_for_reads_the_cadence_from_the_plan():
    g = taper.hold_for(taper.guideline("diazepam", 10, (8,)), 1.0, "withdrawal", 0.2)
    assert (g.every, g.start, g.length, g.channels) == (336, 336, 336, (0,))
    # Ashton from lorazepam at three clock hours: replacements on days 0, 7, 14; the diazepam taper's
    # first cut on day 21; the drug and diazepam both held.
    a = taper.hold_for(taper.ashton("lorazepam", 3, (8, 14, 20)), 2.0, "withdrawal", 0.2, max_holds=4)
    assert (a.every, a.start, a.length, a.channels, a.max_holds) == (84, 252, 84, (0, 1), 4)
    many = [taper.guideline("diazepam", 10, (8,)), taper.guideline("diazepam", 20, (8, 20))]
    assert taper.hold_for(many, 1.0, "withdrawal", 0.2) == g
    assert taper.hold_for(many, 1.0, "withdrawal", 0.2, channels=(2,)).channels == (2,)


def test_hold_for_refuses_what_it_cannot_hold():
    with pytest.raises(ValueError, match=r"reduce on different days \(regimen 0: every 7 days from day 21, "
                                         r"regimen 1: every 14 days from day 14\)"):
        taper.hold_for([taper.ashton("lorazepam", 3, (8, 14, 20)), taper.guideline("diazepam", 10, (8,))], 1.0,
                       "withdrawal", 0.2)
    forced = TaperSpec("diazepam", 10, (8,), "mg", 1, 7, max_days=30, on_overrun="stop")
    with pytest.raises(ValueError, match="regimen 0: forced_stop on day 30 is off the taper's 7-day cadence"):
        taper.hold_for(forced, 1.0, "withdrawal", 0.2)
    assert taper.hold_for(dataclasses.replace(forced, max_days=28), 1.0, "withdrawal", 0.2).start == 168
    with pytest.raises(ValueError, match="dt_h=5.0; allowed: a grid step dividing 24 h"):
        taper.hold_for(taper.guideline("diazepam", 10, (8,)), 5.0, "withdrawal", 0.2)
    with pytest.raises(ValueError, match=r"specs=\[\]"):
        taper.hold_for([], 1.0, "withdrawal", 0.2)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kw, message", [
    ({"every": 0}, r"hold every=0; allowed: a whole number >= 1"),
    ({"every": 2.5}, r"hold every=2.5; allowed: a whole number >= 1"),
    ({"length": 0}, r"hold length=0; allowed: a whole number >= 1"),
    ({"start": -1}, r"hold start=-1; allowed: a whole number >= 0"),
    ({"start": 3}, r"hold start=3 with length=4; allowed: start >= length"),
    ({"start": 8, "length": 9}, r"hold start=8 with length=9; allowed: start >= length"),
    ({"max_holds": 0}, r"hold max_holds=0; allowed: a whole number >= 1"),
    ({"threshold": float("nan")}, r"hold threshold=nan; allowed: a finite number"),
    ({"threshold": "0.5"}, r"hold threshold='0.5'; allowed: a finite number"),
    ({"channels": ()}, r"hold channels=\(\); allowed: a non-empty tuple"),
    ({"channels": [0]}, r"hold channels=\[0\]; allowed: a non-empty tuple"),
    ({"channels": (0, 0)}, r"hold channels=\(0, 0\); allowed: channel indices without repeats"),
    ({"channels": (-1,)}, r"hold channels\[0\]=-1; allowed: a whole number >= 0"),
])
def test_hold_rejects_bad_values(kw, message):
    with pytest.raises(ValueError, match=message):
        Hold(**({"signal": "script", "threshold": 0.5, "every": 4, "start": 4} | kw))


def test_grid_checks_the_hold_against_its_channels_and_signals():
    pd = script([])
    with pytest.raises(ValueError, match=r"hold channels=\(2,\); allowed: indices 0 to 1"):
        grid(pd, hold=Hold("script", 0.5, every=4, start=4, channels=(2,)))
    with pytest.raises(ValueError, match=r"pd signal 'scrip'; allowed: \['script', 'conc'\]; did you mean 'script'"):
        grid(pd, hold=Hold("scrip", 0.5, every=4, start=4))
    with pytest.raises(ValueError, match=r"pd signal 'script'; allowed: \[\]"):
        grid(None, hold=Hold("script", 0.5, every=4, start=4))
    grid(pd, save=False, hold=Hold("script", 0.5, every=4, start=4))  # the hold's outputs are something to return
