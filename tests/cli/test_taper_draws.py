"""The taper experiment with parameter draws (``n_draws``): the planner's decision in each draw, recomputed from
the Dataset in numpy, and the drop-out level's direction on P(success) over draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from popsim.experiments.taper import EXPERIMENT
from popsim.pd.parameters import PD
from popsim.uncertainty import UNCERTAIN

NAME = "taper"
REFERENCES = ("guideline", "ashton")
# caps that split the tiny run's three draws (measured: draw 0 chooses 25%/7d, draw 1 abrupt, draw 2 none)
SPLIT = ("study.cap_clinical=0.6", "study.cap_seizure=0.04")


def _decisions(ds, cap_clinical, cap_seizure):
    """Per draw, from the per-subject outcomes: P(clinical), P(seizure), the median day drug-free, the feasible
    flags (regimen, draw) and the chosen flags: per start dose and holds, the feasible non-reference schedule
    with the lowest median day drug-free, ties by the lower P(clinical)."""
    p_clin = ds["withdrawal_clinical"].values.mean(axis=-1)
    p_seiz = ds["p_seizure"].values.mean(axis=-1)
    days = np.median(ds["drug_free_day"].values, axis=-1)
    feasible = (p_clin <= cap_clinical) & (p_seiz <= cap_seizure)
    chosen = np.zeros_like(feasible)
    names, start, hold = ds["taper"].values, ds["start_mg"].values, ds["hold_severity"].values
    for s, h in set(zip(start, hold)):
        rows = np.flatnonzero((start == s) & (hold == h) & ~np.isin(names, REFERENCES))
        for j in range(ds.sizes["draw"]):
            pool = [r for r in rows if feasible[r, j]]
            if pool:
                chosen[min(pool, key=lambda r: (days[r, j], p_clin[r, j])), j] = True
    return p_clin, p_seiz, days, feasible, chosen


@pytest.mark.parametrize("caps", [(), SPLIT], ids=["tiny_caps", "caps_that_split_the_draws"])
def test_taper_decision_is_taken_in_each_draw(tiny, caps):
    files, ds = tiny(NAME, "n_draws=3", *caps)
    assert ds["withdrawal_clinical"].dims == ("regimen", "draw", "subject")
    assert ds["feasible"].dims == ds["chosen"].dims == ("regimen", "draw")
    assert ds["chosen_draws"].dims == ("regimen",) and "draw" not in ds["age"].dims
    p_clin, p_seiz, days, feasible, chosen = _decisions(ds, ds.attrs["cap_clinical"], ds.attrs["cap_seizure"])
    np.testing.assert_array_equal(ds["feasible"].values, feasible)
    np.testing.assert_array_equal(ds["chosen"].values, chosen)
    table = pd.read_csv(files["schedules"])
    np.testing.assert_array_equal(table["schedule"], ds["taper"].values)
    np.testing.assert_array_equal(table["feasible_draws"], feasible.sum(axis=1))
    np.testing.assert_array_equal(table["chosen_draws"], chosen.sum(axis=1))
    np.testing.assert_array_equal(ds["chosen_draws"].values, chosen.sum(axis=1))
    assert "feasible" not in table and "p_withdrawal_clinical" not in table
    for name, per_draw in (("p_withdrawal_clinical", p_clin), ("p_seizure", p_seiz), ("drug_free_day_p50", days)):
        q = np.quantile(per_draw, [0.025, 0.5, 0.975], axis=1)
        np.testing.assert_allclose(table[[f"{name}_p2.5", f"{name}_p50", f"{name}_p97.5"]].to_numpy().T, q,
                                   rtol=1e-12)
    if caps:  # not vacuous: the draws take different decisions (the tiny caps leave every draw without one)
        picks = {tuple(np.flatnonzero(chosen[:, j])) for j in range(ds.sizes["draw"])}
        assert len(picks) == 3 and feasible.any() and not feasible.all()


def test_taper_drop_out_level_orders_success_over_draws(tiny):
    # Every drawn constant held at its point value but the two severity levels read as per-draw thresholds
    # (withdrawal_any_ratio, withdrawal_dropout_ratio): the severity is then the same in every draw (neither
    # level enters it), and a subject completes the taper unless the severity passes the drop-out level, so a
    # higher drawn level can only keep more subjects successful and a higher 'any' level fewer with any reaction.
    held = [k for k in EXPERIMENT.pd_constants()
            if k in UNCERTAIN and k not in ("withdrawal_any_ratio", "withdrawal_dropout_ratio")]
    _, ds = tiny(NAME, "n_draws=3", "draws_of=[pd]", *[f"+pd.{k}={PD[k].value!r}" for k in held])
    assert sorted(v for v in ds.data_vars if v.startswith("pd_")) == ["pd_withdrawal_any_ratio",
                                                                      "pd_withdrawal_dropout_ratio"]
    peak = ds["withdrawal_severity_peak"].values
    np.testing.assert_array_equal(peak, np.broadcast_to(peak[:, :1], peak.shape))
    for level, name, sign in (("dropout", "success", 1), ("any", "withdrawal_any", -1)):
        order = np.argsort(sign * ds[f"pd_withdrawal_{level}_ratio"].values)
        per_subject = ds[name].values[:, order]
        assert np.all(np.diff(per_subject, axis=1) >= 0), name
    # measured: drop-out levels 1.583, 1.333, 1.549 in draws 0-2; the abrupt stop's P(success) 0.5625, 0.4375, 0.5
    low, mid, high = np.argsort(ds["pd_withdrawal_dropout_ratio"].values)
    abrupt = np.flatnonzero((ds["taper"].values == "abrupt") & (ds["hold_severity"].values == 0))[0]
    success = ds["success"].values[abrupt].mean(axis=-1)
    assert success[low] < success[mid] < success[high]
