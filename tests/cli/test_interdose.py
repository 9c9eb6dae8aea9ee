"""The interdose experiment (library drugs, PD on line) at tiny size: the release schedule, swing laws,
and its own bad overrides (the contract is in test_contract.py)."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.experiments.interdose import EXPERIMENT, doses
from popsim.run import configure

NAME = "interdose"

def test_release_schedule_conserves_the_daily_dose():
    n, dt = round(72 / 0.5) + 1, 0.5
    ir, xr = doses(n, dt, 2.0, 8.0), doses(n, dt, 2.0, 8.0, release_h=16.0)
    np.testing.assert_allclose(ir[: round(72 / dt)].sum(), 6.0)  # 2 mg/day for 3 days
    assert np.count_nonzero(ir) == 10 and ir.max() == pytest.approx(2.0 / 3)
    # 16 h releases every 8 h: two overlap at every step after the first 16 h, a constant input of
    # 2 mg/day x 0.5 h / 24 h per step
    np.testing.assert_allclose(xr[round(16 / dt): round(72 / dt)], 2.0 * dt / 24.0)
    # releases starting at 0, 8, ..., 72 h: 8 complete, the one at 64 h for 17 of its 32 steps, the one at 72 h for 1
    np.testing.assert_allclose(xr.sum(), 2.0 * 8 / 24 * (8 + 18 / 32))


def test_regimens_and_doses(study):
    _, ds = study
    assert ds.sizes == {"regimen": 3 * 3, "subject": 16}
    np.testing.assert_allclose(ds["dose_mg"].sel(formulation="alprazolam", interval_h=8.0), 2.0)  # 40 x 0.5/10


def test_swing_laws(study):
    _, ds = study
    swing = ds["effect_swing_ss"]
    for f in ("alprazolam", "clonazepam"):
        s = swing.sel(formulation=f, dose_de_mg=40.0)
        # the same subjects: a longer interval at the same daily dose never swings less
        assert (s.sel(interval_h=12.0) >= s.sel(interval_h=8.0)).all()
        assert (s.sel(interval_h=24.0) >= s.sel(interval_h=12.0)).all()
    # a release that lasts exactly the interval is a constant input: no swing at steady state.  What is
    # left on day 6 is the last of the approach to steady state, (e^{-120k} - e^{-144k}) / (1 - e^{-144k}):
    # 2.8% in the slowest of these 16 subjects (alprazolam t1/2 about 30 h, an obese older woman: Vss
    # grows with adipose tissue, B20 and B27 report 22 h in obesity), under 1% below t1/2 20 h.
    flat = swing.sel(formulation="alprazolam_xr", dose_de_mg=40.0, interval_h=12.0)
    assert float(flat.max()) < 0.03
    assert float(flat.median()) < 0.05 * float(swing.sel(formulation="alprazolam", interval_h=12.0).median())
    # a short half-life swings more than a long one at the same interval (on day 6 clonazepam still
    # accumulates, which adds to its swing over the last day)
    assert float(swing.sel(formulation="alprazolam", interval_h=24.0).median()) > 1.5 * float(
        swing.sel(formulation="clonazepam", interval_h=24.0).median())
    p = ds["p_withdrawal_last_day"]
    assert (p >= 0).all() and (p <= 1).all()


@pytest.mark.parametrize("override, message", [
    ("study.formulations=[alprazolam_sr]", r"study.formulations\[0\]='alprazolam_sr'"),
    ("study.interval_h=[7.3]", r"study.interval_h\[0\]=7.3; allowed: a multiple of grid.dt_h=0.5"),
    ("study.interval_h=[16]", r"study.interval_h\[0\]=16.0; allowed: .* that divides 24 h"),
    ("study.xr_release_h=0.1", r"study.xr_release_h=0.1; allowed: a multiple of grid.dt_h=0.5"),
    ("study.formulations=[clonazepam,clonazepam]", r"study.formulations=\['clonazepam', 'clonazepam'\]; allowed"),
    ("grid.days=1", r"grid.days=1.0: the interdose experiment reads the last day at steady state"),
])
def test_bad_overrides_are_refused_before_compute(override, message):
    with pytest.raises(ValueError, match=message):
        configure(["+experiment=interdose", *EXPERIMENT.tiny, override])


def test_parameter_draws(tiny):
    import pandas as pd

    from popsim.experiments.interdose import LEVELS
    from popsim.pd.constants import PD

    files, ds = tiny(NAME, "n_draws=3", "draws_of=[pd]")  # the PD posterior alone: the PK held
    assert ds["effect_swing_ss"].dims == ("regimen", "draw", "subject") and ds["age"].dims == ("subject",)
    assert len(np.unique(ds["pd_withdrawal_threshold"])) == 3 and "pd_synergy_psi" not in ds
    # the report's numbers are taken in each draw (numpy on the Dataset); the table gives their median and 95%
    table = pd.read_csv(files["by_regimen"]).set_index(LEVELS)
    assert len(table) == ds.sizes["regimen"]
    for key, row in table.iterrows():
        sel = dict(zip(LEVELS, key))
        per_draw = {"effect_swing_ss": np.median(ds["effect_swing_ss"].sel(sel).values, axis=-1),
                    "effect_a1_min_ss": np.median(ds["effect_a1_min_ss"].sel(sel).values, axis=-1),
                    "p_withdrawal_last_day": ds["p_withdrawal_last_day"].sel(sel).values.mean(axis=-1)}
        for name, x in per_draw.items():
            np.testing.assert_allclose([row[f"{name}_p2.5"], row[f"{name}_p50"], row[f"{name}_p97.5"]],
                                       np.quantile(x, [0.025, 0.5, 0.975]), rtol=1e-12, err_msg=(key, name))
    # Kinetics carry no drawn constant: the same exposure in every draw.  Of the drawn constants only
    # ec50_age_ratio acts on the alpha1 effect (KD x ratio ** ((age - 25) / (72 - 25))): a lower ratio raises the
    # trough effect of everyone older than 25 (lowers it below 25) on every regimen
    assert np.all(np.ptp(ds["cavg_ss"].values, axis=1) == 0)
    order = np.argsort(ds["pd_ec50_age_ratio"].values)
    step = np.diff(ds["effect_a1_min_ss"].isel(draw=order).values, axis=1)  # (regimen, draw, subject)
    older = np.sign(ds["age"].values - PD["ec50_age_young"].value)
    assert np.all(older != 0)
    np.testing.assert_array_equal(np.sign(step), -np.broadcast_to(older, step.shape))
