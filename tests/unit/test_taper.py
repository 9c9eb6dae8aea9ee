"""The taper compiler against dose plans worked out by hand (the expected arrays below are written out
from the rules of :mod:`popsim.taper`, not computed by it).  Pure numpy: seconds."""

from __future__ import annotations

import numpy as np
import pytest

from popsim import taper
from popsim.taper import Form, TaperSpec

WEEK = 7


def levels(plan) -> list[float]:
    """Daily dose of the tapered drug at each change of the plan."""
    return plan.steps[f"{plan.drugs[-1]}_mg"].tolist()


def by_day(values, days) -> np.ndarray:
    """Each level held for its number of days."""
    return np.repeat(np.asarray(values, float), days)


def test_tablets_round_to_the_nearest_takeable_dose_with_and_without_halves():
    # Diazepam 2/5/10 mg halved: one dose can be 0, 1, 2, 2.5, 3, 3.5, ... (0.5 mg apart from 2 mg).
    # Ideal 10 x 0.9^i: 10, 9, 8.1, 7.29, 6.561, 5.905, 5.314, 4.783, 4.305, 3.874, 3.487, 3.138
    s = TaperSpec("diazepam", 10, (8,), "percent_current", 10, WEEK, floor_mg=3)
    p = taper.plan(s)
    assert s.form == Form((2.0, 5.0, 10.0), True, 0.0)  # the library default, filled in
    expected = [10, 9, 8, 7.5, 6.5, 6, 5.5, 5, 4.5, 4, 3.5, 3]  # 3 <= floor: the next step stops
    np.testing.assert_allclose(p.daily_mg[:, 0], by_day(expected, WEEK))
    assert p.drug_free_day == 84 and p.steps["stage"].iloc[-1] == "stop"
    # Whole tablets only: 0, 2, 4, 5, 6, ... (no 1 or 3).  7.29 -> 7, 6.561 -> 7 (held), 3.487 -> 4 (held),
    # 3.138 -> 4 (held), 2.824 -> 2 (3 cannot be taken), then the floor stops it.
    p = taper.plan(TaperSpec("diazepam", 10, (8,), "percent_current", 10, WEEK, floor_mg=3, form=Form(halves=False)))
    assert levels(p) == [10, 9, 8, 7, 7, 6, 5, 5, 4, 4, 4, 4, 2, 0]
    assert p.steps["held"].tolist() == [False, False, False, False, True, False, False, True, False, True, True,
                                        True, False, False]
    assert p.drug_free_day == 91


def test_liquid_rounds_each_administration_to_its_resolution_ties_down_and_compiles_on_the_grid():
    # Clonazepam 1 mg/day as 0.5 mg at 08:00 and 20:00, liquid to 0.1 mg; 25% of the start every 14 days:
    # ideal per dose 0.5, 0.375 -> 0.4, 0.25 -> 0.2 (a tie: down), 0.125 -> 0.1, 0.
    s = TaperSpec("clonazepam", 1.0, (8, 20), "percent_start", 25, 14, form=Form(liquid_mg=0.1))
    p = taper.plan(s)
    np.testing.assert_allclose(p.daily_mg[:, 0], by_day([1.0, 0.8, 0.4, 0.2], [14, 14, 14, 14]))
    assert p.drug_free_day == 56
    # on a 4-h grid (6 steps a day; 08:00 and 20:00 are steps 2 and 5 of each day), 60 days
    c = taper.compile(s, 4.0, 360)
    u = np.zeros(360)
    for first, dose in ((0, 0.5), (14, 0.4), (28, 0.2), (42, 0.1)):
        for day in range(first, first + 14):
            u[6 * day + 2] = u[6 * day + 5] = dose
    np.testing.assert_allclose(c.u[:, 0], u)
    np.testing.assert_allclose(c.daily_mg[:, 0], np.concatenate([by_day([1.0, 0.8, 0.4, 0.2], 14), np.zeros(4)]))
    assert c.drugs == ("clonazepam",) and c.drug_free_day == 56


def test_percent_of_current_vs_percent_of_start_vs_mg_steps():
    # Diazepam 20 mg/day as 10 + 10 mg.  25% of the start every 14 days: exact levels.
    p = taper.plan(TaperSpec("diazepam", 20, (8, 20), "percent_start", 25, 14))
    assert levels(p) == [20, 15, 10, 5, 0] and p.drug_free_day == 56
    # 25% of the current dose: per dose 10 x 0.75^i = 10, 7.5, 5.625, 4.219, 3.164, 2.373, 1.780, 1.335,
    # 1.001, 0.751, 0.563, 0.422 -> 10, 7.5, 5.5, 4, 3, 2.5, 2, 1, 1, 1, 1, 0 (1.5 cannot be taken)
    p = taper.plan(TaperSpec("diazepam", 20, (8, 20), "percent_current", 25, 14))
    assert levels(p) == [20, 15, 11, 8, 6, 5, 4, 2, 2, 2, 2, 0] and p.drug_free_day == 154
    # Alprazolam 1.5 mg/day as 3 x 0.5 mg, minus 0.25 mg/day a week; doses in 0.125 mg (halved 0.25 mg):
    # ideal per dose 0.5, 0.417 -> 0.375, 0.333 -> 0.375 (held), 0.25, 0.167 -> 0.125, 0.083 -> 0.125 (held), 0
    p = taper.plan(TaperSpec("alprazolam", 1.5, (8, 14, 20), "mg", 0.25, WEEK))
    np.testing.assert_allclose(p.daily_mg[:, 0], by_day([1.5, 1.125, 1.125, 0.75, 0.375, 0.375], WEEK))
    assert p.steps["held"].tolist() == [False, False, True, False, False, True, False]
    np.testing.assert_allclose(p.doses[0, :, 0], [0.5, 0.5, 0.5])


def test_floor_then_final_stop_or_final_stage():
    # 25% of the current dose a week from 20 mg once daily: 20, 15, 11.25 -> 11 (tie, down), 8.4375 -> 8.5,
    # at or below the 10 mg floor.  Then a stop, or cuts of 2.5 mg/day: 6, 3.5, 1, 0.
    stop = taper.plan(TaperSpec("diazepam", 20, (8,), "percent_current", 25, WEEK, floor_mg=10))
    assert levels(stop) == [20, 15, 11, 8.5, 0] and stop.drug_free_day == 28
    final = taper.plan(TaperSpec("diazepam", 20, (8,), "percent_current", 25, WEEK, floor_mg=10, final_step_mg=2.5))
    assert levels(final) == [20, 15, 11, 8.5, 6, 3.5, 1, 0] and final.drug_free_day == 49
    assert final.steps["stage"].tolist() == ["start", "taper", "taper", "taper", "final", "final", "final", "stop"]


def test_switch_to_diazepam_at_once_uses_the_ashton_equivalence_and_names_it():
    # Lorazepam 1 mg = diazepam 10 mg (A32): 3 x 0.5 mg lorazepam -> 3 x 5 mg diazepam, then 7.5 mg/day less a week
    s = TaperSpec("lorazepam", 1.5, (8, 14, 20), "mg", 7.5, WEEK, substitute=True)
    p = taper.plan(s)
    assert p.drugs == ("lorazepam", "diazepam")
    np.testing.assert_allclose(p.daily_mg, [[0, 15]] * 7 + [[0, 7.5]] * 7)
    assert p.drug_free_day == 14
    assert "1 mg lorazepam = 10 mg diazepam" in p.equivalence and "A32" in p.equivalence
    # Oxazepam 20 mg = diazepam 10 mg (A93): 15 mg -> 7.5 mg diazepam (5 + half of 5); with whole diazepam
    # tablets only 7.5 is a tie between 7 and 8: down to 7.
    halved = taper.plan(TaperSpec("oxazepam", 15, (22,), "percent_start", 50, WEEK, substitute=True))
    whole = taper.plan(TaperSpec("oxazepam", 15, (22,), "percent_start", 50, WEEK, substitute=True,
                                 diazepam_form=Form(halves=False)))
    assert halved.daily_mg[0].tolist() == [0, 7.5] and whole.daily_mg[0].tolist() == [0, 7]
    assert taper.plan(TaperSpec("oxazepam", 15, (22,), "mg", 1, WEEK)).equivalence == ""


def test_crossover_replaces_one_administration_at_a_time_latest_first():
    # Alprazolam 3 x 0.5 mg; each 0.5 mg = 10 mg diazepam.  Day 0: 20:00 switched; day 7: 14:00; day 14:
    # 08:00, the diazepam taper's start (30 mg/day); 50% of the start a week: 15 mg/day on day 21, 0 on day 28.
    s = TaperSpec("alprazolam", 1.5, (8, 14, 20), "percent_start", 50, WEEK, substitute=True, crossover_steps=3)
    p = taper.plan(s)
    np.testing.assert_allclose(p.daily_mg, [[1.0, 10]] * 7 + [[0.5, 20]] * 7 + [[0, 30]] * 7 + [[0, 15]] * 7)
    np.testing.assert_allclose(p.doses[0], [[0.5, 0], [0.5, 0], [0, 10]])  # (administration, drug) on day 0
    np.testing.assert_allclose(p.doses[7], [[0.5, 0], [0, 10], [0, 10]])
    assert p.steps["stage"].tolist() == ["crossover", "crossover", "crossover", "taper", "stop"]
    # on a 1-h grid
    c = taper.compile(s, 1.0, 30 * 24)
    assert c.drugs == ("alprazolam", "diazepam")
    assert c.u[8, 0] == 0.5 and c.u[14, 0] == 0.5 and c.u[20, 0] == 0 and c.u[20, 1] == 10
    assert c.u[7 * 24 + 14, 0] == 0 and c.u[7 * 24 + 14, 1] == 10 and c.u[21 * 24 + 8, 1] == 5
    np.testing.assert_allclose(c.u.sum(axis=0), [7 * 1.0 + 7 * 0.5, 7 * 10 + 7 * 20 + 7 * 30 + 7 * 15])
    # two groups for three doses: 20:00 and 14:00 first, 08:00 a week later (then the taper starts, day 7)
    p = taper.plan(TaperSpec("alprazolam", 1.5, (8, 14, 20), "percent_start", 50, WEEK, substitute=True,
                             crossover_steps=2))
    np.testing.assert_allclose(p.daily_mg, [[0.5, 20]] * 7 + [[0, 30]] * 7 + [[0, 15]] * 7)


def test_time_to_drug_free_max_days_and_batched_inputs():
    s = TaperSpec("diazepam", 10, (8,), "percent_current", 10, WEEK, max_days=30)
    # 10 x 0.9^i, halved tablets: drug-free only when 10 x 0.9^29 = 0.471 rounds to 0, on day 29 x 7 = 203
    with pytest.raises(ValueError, match=r"max_days=30: the plan is drug-free only on day 203; allowed: >= 203"):
        taper.plan(s)
    p = taper.plan(TaperSpec("diazepam", 10, (8,), "percent_current", 10, WEEK, max_days=30, on_overrun="stop"))
    np.testing.assert_allclose(p.daily_mg[:, 0], by_day([10, 9, 8, 7.5, 6.5], [7, 7, 7, 7, 2]))
    assert p.drug_free_day == 30 and p.steps["stage"].iloc[-1] == "forced_stop"
    cross = TaperSpec("alprazolam", 1.5, (8, 14, 20), "percent_start", 50, WEEK, substitute=True, crossover_steps=3)
    plain = TaperSpec("diazepam", 10, (8,), "percent_current", 10, WEEK, floor_mg=3)
    b = taper.compile_many([cross, plain], 1.0, 100 * 24)
    assert b.drugs == ("alprazolam", "diazepam") and b.u.shape == (2, 2400, 2) and b.daily_mg.shape == (2, 100, 2)
    assert b.drug_free_day.tolist() == [28, 84]
    assert b.u[1, :, 0].sum() == 0 and b.u[1, 8, 1] == 10 and b.u[1, 7 * 24 + 8, 1] == 9
    np.testing.assert_allclose(b.u[0], taper.compile(cross, 1.0, 2400).u)
    with pytest.raises(ValueError, match=r"regimen 1: n_steps=720 \(dt_h=1.0\) ends before the drug-free day 84; "
                                         r"allowed: n_steps >= 2017, or cut=True"):
        taper.compile_many([cross, plain], 1.0, 720)
    short = taper.compile(plain, 1.0, 600, cut=True)  # 25 days: the plan's first 25
    np.testing.assert_allclose(short.daily_mg[:, 0], by_day([10, 9, 8, 7.5], [7, 7, 7, 4]))
    assert short.u.sum() == 7 * (10 + 9 + 8) + 4 * 7.5 and short.drug_free_day == 84


def test_sweep_is_the_product_of_the_lists_with_a_tidy_table():
    base = {"drug": "alprazolam", "start_mg": 1.5, "hours": [8, 14, 20], "step_kind": "percent_current",
            "step": 10, "interval_days": 14}
    specs, table = taper.sweep(base, ["step=[5,10,25]", "interval_days=[7,14,28]", "substitute=[false,true]"])
    assert len(specs) == 18 and table.index.name == "regimen" and len(table) == 18
    assert table["step"].tolist() == [5] * 6 + [10] * 6 + [25] * 6
    assert table["interval_days"].tolist() == [7, 7, 14, 14, 28, 28] * 3
    assert table["substitute"].tolist() == [False, True] * 9
    assert table["form.tablets_mg"].iloc[0] == (0.25, 0.5, 1.0, 2.0) and table["hours"].iloc[0] == (8, 14, 20)
    assert specs[3] == TaperSpec("alprazolam", 1.5, (8, 14, 20), "percent_current", 5, 14, substitute=True)
    same, _ = taper.sweep(base, {"step": [5, 10, 25], "interval_days": [7, 14, 28], "substitute": [False, True]})
    assert same == specs
    liquid, table = taper.sweep(base, ["form.liquid_mg=[0.05, 0.1]"])
    assert [s.form for s in liquid] == [Form((), None, 0.05), Form((), None, 0.1)]
    assert table["form.liquid_mg"].tolist() == [0.05, 0.1] and table["form.tablets_mg"].tolist() == [(), ()]
    with pytest.raises(ValueError, match=r"form.liquid_mg='1e-3' is a string \(YAML 1.1"):
        taper.sweep(base, ["form.liquid_mg=[1e-3]"])
    with pytest.raises(ValueError, match=r"sweep axis stpe: unknown key.*did you mean 'step'\?"):
        taper.sweep(base, ["stpe=[5]"])
    with pytest.raises(ValueError, match=r"sweep regimen 1 \(\{'step': 150\}\): step=150; allowed: a finite number "
                                         r"> 0 and <= 100"):
        taper.sweep(base, {"step": [5, 150]})


def test_reference_schedules_and_the_guideline_rate_check():
    g = taper.guideline("diazepam", 20, (8,))
    assert (g.step_kind, g.step, g.interval_days, g.floor_mg) == ("percent_current", 10, 14, 0)
    assert taper.check_rate(g) == pytest.approx(0.10)
    # Schweizer 1990's 25% a week (E24): 1 - 0.75^2 = 43.75% in 14 days, refused when asked
    with pytest.raises(ValueError, match=r"cuts 43.75% of the dose within 14 days; allowed: at most 25% per 14 days"):
        taper.check_rate(TaperSpec("diazepam", 20, (8,), "percent_current", 25, WEEK))
    # 10% of the start every 2 weeks speeds up as the dose falls: above a 2 mg floor 4 -> 2 mg (50%); above 8 mg, 20%
    with pytest.raises(ValueError, match=r"cuts 50% of the dose"):
        taper.check_rate(TaperSpec("diazepam", 20, (8,), "percent_start", 10, 14, floor_mg=2))
    assert taper.check_rate(TaperSpec("diazepam", 20, (8,), "percent_start", 10, 14, floor_mg=8)) == pytest.approx(0.2)
    # Ashton (W22) for diazepam itself: 10% a week to 10 mg (ideal 20, 18, 16.2, 14.58, 13.12, 11.81, 10.63,
    # 9.57), then 1 mg/day a week from 9.5 (1.5 cannot be taken: 1; 0.5 ties down to 0)
    a = taper.plan(taper.ashton("diazepam", 20, (8,)))
    assert levels(a) == [20, 18, 16, 14.5, 13, 12, 10.5, 9.5, 8.5, 7.5, 6.5, 5.5, 4.5, 3.5, 2.5, 1, 0]
    assert a.drug_free_day == 112 and taper.check_rate(a.spec) == pytest.approx(0.19)
    # for alprazolam: cross-over one dose a week (the evening first) to 30 mg diazepam, then 10% a week
    a = taper.plan(taper.ashton("alprazolam", 1.5, (8, 14, 20)))
    assert a.steps["day"].tolist()[:5] == [0, 7, 14, 21, 28]
    assert a.steps["alprazolam_mg"].tolist()[:3] == [1.0, 0.5, 0.0]
    assert levels(a)[:5] == [10, 20, 30, 27, 24]  # 27: 9 a dose; 24.3: 8.1 -> 8 a dose
    assert "A19" in a.equivalence


BASE = dict(drug="alprazolam", start_mg=1.5, hours=(8, 14, 20), step_kind="percent_current", step=10, interval_days=14)


@pytest.mark.parametrize("change, message", [
    ({"drug": "alprazolm"}, r"drug='alprazolm'; allowed: \[.*\]; did you mean 'alprazolam'\?"),
    ({"start_mg": -1}, r"start_mg=-1; allowed: a finite number > 0"),
    ({"start_mg": 1.6}, r"start_mg=1.6 \(0.533333 mg at each of 3 administrations\) cannot be taken as tablets "
                        r"0.25/0.5/1/2 mg, halved; allowed: a daily dose of 3 equal takeable doses, e.g. 1.5"),
    ({"hours": (8, 24)}, r"hours\[1\]=24; allowed: a clock hour in \[0, 24\)"),
    ({"hours": (8, 8)}, r"hours=\[8, 8\]; allowed: a non-empty list without repeats"),
    ({"step_kind": "percent"}, r"step_kind='percent'; allowed: \['percent_current', 'percent_start', 'mg'\]; "
                               r"did you mean 'percent_start'\?"),
    ({"step": 150}, r"step=150; allowed: a finite number > 0 and <= 100"),
    ({"step_kind": "mg", "step": 0}, r"step=0; allowed: a finite number > 0"),
    ({"interval_days": 7.5}, r"interval_days=7.5; allowed: a whole number of days >= 1"),
    ({"interval_days": 0}, r"interval_days=0; allowed: a finite number >= 1"),
    ({"floor_mg": -1}, r"floor_mg=-1; allowed: a finite number >= 0"),
    ({"max_days": 0}, r"max_days=0; allowed: a finite number >= 1"),
    ({"on_overrun": "truncate"}, r"on_overrun='truncate'; allowed: \['error', 'stop'\]"),
    ({"substitute": "yes"}, r"substitute='yes'; allowed: true or false"),
    ({"crossover_steps": 4}, r"crossover_steps=4; allowed: a finite number >= 1 and <= 3"),
    ({"form": Form(tablets_mg=(0.25, 0.25))}, r"form.tablets_mg=\[0.25, 0.25\]; allowed: a non-empty list without"),
    ({"form": Form(tablets_mg=(-1,))}, r"form.tablets_mg\[0\]=-1; allowed: a finite number > 0"),
    ({"form": Form(liquid_mg=0.1, halves=True)}, r"form: liquid_mg=0.1 with .*allowed: a liquid or tablets, not both"),
    ({"drug": "midazolam", "start_mg": 7.5, "hours": (22,)},
     r"form.tablets_mg=\(\): no default tablet strengths for midazolam; allowed: give form.tablets_mg or "
     r"form.liquid_mg"),
    ({"drug": "diazepam", "start_mg": 15, "substitute": True},
     r"substitute=True with drug='diazepam'; allowed: a drug other than diazepam"),
])
def test_bad_input_names_the_key_the_value_and_what_is_allowed(change, message):
    with pytest.raises(ValueError, match=message):
        taper.plan(TaperSpec(**{**BASE, **change}))


def test_bad_configs_and_grids():
    with pytest.raises(ValueError, match=r"setp: unknown key; allowed: \[.*\]; did you mean 'step'\?"):
        taper.spec_from({**BASE, "setp": 10})
    with pytest.raises(ValueError, match=r"form.halfs: unknown key.*did you mean 'form.halves'\?"):
        taper.spec_from({**BASE, "form": {"halfs": False}})
    with pytest.raises(ValueError, match=r"missing keys \['interval_days'\]"):
        taper.spec_from({k: v for k, v in BASE.items() if k != "interval_days"})
    assert taper.spec_from({**BASE, "hours": [8, 14, 20]}) == TaperSpec(**BASE)
    with pytest.raises(ValueError, match=r"hours\[0\]=8.5; allowed: a multiple of dt_h=1.0"):
        taper.compile(TaperSpec(**{**BASE, "hours": (8.5,), "start_mg": 0.5}), 1.0, 10_000)
    with pytest.raises(ValueError, match=r"per_days=0; allowed: a finite number >= 1"):
        taper.check_rate(TaperSpec(**BASE), per_days=0)
