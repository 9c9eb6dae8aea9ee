"""The receptor_subtypes experiment end to end at tiny size: subtype effect against the closed form
of competitive binding, day/night split against the on-line daily mean, and its own bad overrides
(files, metadata and the analysis script: the contract tests over the registry)."""

from __future__ import annotations

import numpy as np
import pytest

from popsim.drugs.library import load
from popsim.pd import potency
from popsim.regimen import night_mask

NAME = "receptor_subtypes"


def test_dimensions_and_clock(study):
    _, ds = study
    assert ds.sizes == {"regimen": 3 * 2, "subject": 16, "time": 49}
    assert ds["effect_a1"].dims == ("regimen", "time", "subject")
    np.testing.assert_allclose(ds["clock_h"].values, np.arange(49) * 0.5 % 24)


def test_subtype_effect_follows_competitive_binding(study):
    # occ_s = x_s / (1 + x_s) with x_a2 = x_a1 / S (S = KD_a2 / KD_a1, the entry's a1_selectivity) and the
    # effect e = occ / (occ + THETA): from the alpha1 effect, occ1 = THETA e1 / (1 - e1), x_a1 = occ1 / (1 - occ1),
    # so alpha2 follows in closed form.
    _, ds = study
    S, theta = load("zolpidem").pd["a1_selectivity"].value, potency.theta("psychomotor")
    e1 = ds["effect_a1"].sel(drug="zolpidem").values.astype(float)
    e2 = ds["effect_a2"].sel(drug="zolpidem").values.astype(float)
    o1 = theta * e1 / (1 - e1)
    x2 = o1 / (1 - o1) / S
    o2 = x2 / (1 + x2)
    np.testing.assert_allclose(e2, o2 / (o2 + theta), rtol=1e-4, atol=1e-7)  # float32 run
    assert float(ds["selectivity_a1_a2"].sel(drug="zolpidem").min()) > 2
    # classical benzodiazepines: non-selective, both subtypes see the same drive
    np.testing.assert_array_equal(ds["effect_a1"].sel(drug="diazepam"), ds["effect_a2"].sel(drug="diazepam"))


def test_day_and_night_split_the_online_daily_mean(study):
    # The on-line mean over the last day (time loop) equals the night/day means of the saved course
    # weighted by their shares of the day.
    _, ds = study
    clock = ds["clock_h"].values[:-1]
    night = night_mask(clock, (22.0, 7.0))
    assert night.sum() == 18  # 22:00-07:00 on a 30-min grid
    share = night.mean()
    for s in ("effect_a1", "effect_a2"):
        mixed = share * ds[f"{s}_night"] + (1 - share) * ds[f"{s}_day"]
        np.testing.assert_allclose(mixed, ds[f"{s}_mean_ss"], rtol=1e-5)


def test_a_short_hypnotic_at_bedtime_acts_at_night(study):
    _, ds = study
    med = ds[["effect_a1_night", "effect_a1_day"]].median("subject").sel(schedule="bedtime", dose_de_mg=5.0)
    triazolam = med.sel(drug="triazolam")
    # the effect saturates (S / (S + theta)), which compresses the night/day contrast of the concentrations:
    # measured 0.70 vs 0.48 (1.44x) for triazolam at bedtime
    short = float(triazolam["effect_a1_night"]) / float(triazolam["effect_a1_day"])
    assert short > 1.3
    # diazepam (t1/2 ~ 1-2 days, with nordiazepam) hardly swings over the day
    ratio = float(med["effect_a1_night"].sel(drug="diazepam")) / float(med["effect_a1_day"].sel(drug="diazepam"))
    assert 1.0 <= ratio < 1.2 < short


@pytest.mark.parametrize("override, message", [
    ("study.schedules.bedtime=[25]", "study.schedules.bedtime\\[0\\]=25.0; allowed"),
    ("study.drugs=[zolpidm]", "study.drugs\\[0\\]='zolpidm'; allowed: .*did you mean 'zolpidem'"),
    ("study.night_hours=[7,7]", "study.night_hours=\\[7.0, 7.0\\]: start and end must differ"),
    ("study.night_hours=[22]", "study.night_hours=\\[22.0\\]; allowed: \\[start, end\\] clock hours"),
    ("grid.days=1", "grid.days=1.0: the receptor_subtypes experiment keeps the last day at steady state"),
])
def test_bad_overrides_are_refused_before_compute(override, message, refused):
    refused([override], message)


def test_parameter_draws(tiny):
    import pandas as pd

    from popsim.experiments.receptor_subtypes import BY_SUBTYPE, LEVELS
    from popsim.pd.constants import PD

    files, ds = tiny(NAME, "n_draws=3", "draws_of=[pd]")  # the PD posterior alone: the PK held
    assert ds["effect_a1"].dims == ("regimen", "time", "draw", "subject")
    assert ds["effect_a1_night"].dims == ("regimen", "draw", "subject") and ds["age"].dims == ("subject",)
    assert len(np.unique(ds["pd_ec50_age_ratio"])) == 3 and "pd_dependence_ec" not in ds  # no withdrawal part
    # the table's medians are taken in each draw (numpy on the Dataset); it gives their median and 95% over draws
    table = pd.read_csv(files["by_subtype"]).set_index(LEVELS)
    assert len(table) == ds.sizes["regimen"]
    for key, row in table.iterrows():
        for name in BY_SUBTYPE:
            per_draw = np.median(ds[name].sel(dict(zip(LEVELS, key))).values, axis=-1)
            np.testing.assert_allclose([row[f"{name}_p2.5"], row[f"{name}_p50"], row[f"{name}_p97.5"]],
                                       np.quantile(per_draw, [0.025, 0.5, 0.975]), rtol=1e-12, err_msg=(key, name))
    # Non-selective drugs: alpha1/alpha2 is 1 in every draw.  Zolpidem: of the drawn constants only
    # ec50_age_ratio acts on the effect (KD x ratio ** ((age - 25) / (72 - 25))); a lower ratio drives both
    # subtypes harder in everyone older than 25, and the alpha1 effect, nearer saturation, rises proportionally less
    # than the alpha2 one: the ratio falls towards 1 (rises below 25), for every subject and schedule
    sel = ds["selectivity_a1_a2"]
    for d in ("diazepam", "triazolam"):
        np.testing.assert_array_equal(sel.sel(drug=d), 1.0)
    order = np.argsort(ds["pd_ec50_age_ratio"].values)
    step = np.diff(sel.sel(drug="zolpidem").isel(draw=order).values, axis=1)  # (schedule, draw, subject)
    older = np.sign(ds["age"].values - PD["ec50_age_young"].value)
    assert np.all(older != 0)
    np.testing.assert_array_equal(np.sign(step), np.broadcast_to(older, step.shape))
