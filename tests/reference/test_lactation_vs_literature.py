"""The breast-fed infant of popsim's mother-infant model against published infant doses, and the feed-timing
property, for the library drugs with data.

Each drug is simulated as the lactation experiment does (:mod:`popsim.experiments.lactation`): mothers of
4-week-old infants (the studies' infant ages are not recorded in literature.md: an assumption), 10 mg/day
diazepam-equivalent once a day, feeds every 3 h, 14 days, the last day read.  Published relative infant doses
(RID, % of the maternal weight-adjusted dose) are checks, none fitted: a model within 2-fold of a point value
(the band Simcyp's lactation models reach, literature.md L65) or inside a published range passes; a miss is a
strict xfail with the numbers.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

from popsim.arm import Arm, run_arm
from popsim.cohort.presets import preset
from popsim.experiments.lactation import LactationStudy, _arm_values, _regimens, _windows
from popsim.params.child import Child

N = 200
WEEK = 4.0
FEEDS = (0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0)
# just after the 21:00 feed (it ends at 21:15) and just before the 24:00 feed
AFTER, BEFORE = 21.25, 23.75


class _Grid:
    dt_h = 0.25
    days = 14
    n_steps = 14 * 96 + 1


@pytest.fixture(scope="module")
def infants():
    g = _Grid()
    s = LactationStudy(dose_clock_h=[AFTER, BEFORE], infant_weeks=[WEEK], checkpoint_days=[14.0])
    child = Child.infant(g.dt_h, g.n_steps, FEEDS)
    cohort = dataclasses.replace(preset("postpartum_lactating"), postpartum_week=[WEEK, WEEK])
    out = {}
    for d in ("lorazepam", "oxazepam", "diazepam", "clonazepam", "alprazolam", "temazepam"):
        res = run_arm(Arm(d, "oral", cohort, g.dt_h, g.n_steps, pd=False, child=child), _regimens(g, d, s), seed=0,
                      n_subjects=N, windows=_windows(g, s.checkpoint_days), dtype=jnp.float32)
        out[d] = _arm_values(res, d, s, WEEK, g, s.checkpoint_days)[0]
    return out


def _median_rid(infants, drug, key="rid_percent"):
    return float(np.median(infants[drug][key][0]))  # dose just after a feed


def test_oxazepam_rid_inside_the_published_range(infants):
    # e-lactancia RID 0.3-1.6% (L80, V2); IRF 0.9% (L79, V2)
    rid = _median_rid(infants, "oxazepam")
    assert 0.3 <= rid <= 1.6, rid
    assert 0.5 <= rid / 0.9 <= 2.0, rid


def test_lorazepam_rid_of_free_drug_within_2_fold(infants):
    # LactMed (F15, V2): 2.5 mg bid, milk free 12 + conjugated 35 ug/L -> infant 8.5% of the weight-adjusted dose
    # counting the conjugate; the free drug alone is 12/47 of it, 2.2% (D).  popsim has no glucuronide.
    published = 8.5 * 12.0 / 47.0
    rid = _median_rid(infants, "lorazepam")
    assert 0.5 <= rid / published <= 2.0, (rid, published)


@pytest.mark.xfail(strict=True, reason="diazepam + metabolites RID 10.2% (median, 4-week infant) vs 4.7% in Dusci "
                   "1990 (F13, V): 2.2-fold high. Diazepam itself gives 5.2% (1.1-fold); the maternal nordiazepam "
                   "and oxazepam secreted into milk (predicted M/P 0.19 vs 0.13 measured for nordiazepam, F12) add "
                   "5%; LactMed's summary says <= 3% (F14, V2)")
def test_diazepam_rid_within_2_fold_of_dusci(infants):
    rid = _median_rid(infants, "diazepam")
    assert 0.5 <= rid / 4.7 <= 2.0, rid


@pytest.mark.xfail(strict=True, reason="clonazepam RID 6.7% vs at most 2.5% (LactMed F19, V2): 2.7-fold; its "
                   "predicted M/P 0.56 is 1.6-fold above the 0.33-0.37 quoted (M), the rest is the maternal "
                   "exposure per dose (RID does not depend on the infant's clearance)")
def test_clonazepam_rid_not_above_the_published_maximum(infants):
    assert _median_rid(infants, "clonazepam") <= 2.5


def test_every_rid_below_10_percent_for_the_japanese_cohort_drugs(infants):
    # Nishimura 2021 (F23, V): RID < 10% for alprazolam, clonazepam, lorazepam (no infant abnormalities)
    for d in ("alprazolam", "clonazepam", "lorazepam"):
        assert _median_rid(infants, d) < 10.0, d


def test_diazepam_infant_plasma_far_below_the_mothers(infants):
    # Wesson 1985 via LactMed (F14, V2): infant plasma more than 5x lower than maternal
    assert float(np.median(infants["diazepam"]["infant_to_maternal"][0])) < 0.2


SLOW = pytest.mark.xfail(strict=True, reason="clonazepam: 12% of mothers (the slow absorbers of its IIV on ka 1.1 /h) "
                         "give their infant up to 0.25% more with the dose just after a feed: the next feed then "
                         "comes near the maternal peak; in the median the property holds (0.9967)")


@pytest.mark.parametrize("drug", ["lorazepam", "oxazepam", "diazepam", pytest.param("clonazepam", marks=SLOW),
                                  "alprazolam", "temazepam"])
def test_a_dose_just_after_a_feed_never_gives_more_than_one_just_before_it(infants, drug):
    # the same daily regimen, the dose taken at the end of a feed vs 15 min before the next one: every infant
    after, before = infants[drug]["infant_dose_mg_kg_day"]
    assert np.all(after <= before * (1 + 1e-5)), np.max(after / before)


@pytest.mark.parametrize("drug", ["lorazepam", "oxazepam", "diazepam", "clonazepam", "alprazolam", "temazepam"])
def test_a_dose_just_after_a_feed_gives_less_in_the_median(infants, drug):
    after, before = infants[drug]["infant_dose_mg_kg_day"]
    assert np.median(after / before) < 1.0
