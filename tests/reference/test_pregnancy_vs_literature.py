"""The fetus of popsim's mother-fetus model against published cord data (literature.md F1, F6, F7, F9, L33).

None of these values was used to build the model (the placenta is flow-limited with an assumed extraction
of 1, binding from L31): each is a check.  A miss is a strict xfail with the numbers.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

from popsim.arm import Arm, run_arm
from popsim.cohort.presets import preset
from popsim.params.child import Child

N = 100
TERM = dataclasses.replace(preset("pregnant_t3"), gestational_week=[39.0, 39.0])


def _chronic_cord_ratio(drug: str, daily_mg: float) -> np.ndarray:
    """Cord:maternal ratio of the parent at a birth after 20 days of twice-daily oral dosing (birth at 08:00 on
    day 20, just before the next dose: a trough, when the ratio is closest to its steady value)."""
    dt, days = 1.0, 22
    n = round(days * 24 / dt) + 1
    birth = 20 * 24 + 8
    u = np.zeros((1, n, 1))
    for k in range(0, birth, 12):
        u[0, k, 0] = daily_mg / 2
    out = run_arm(Arm(drug, "oral", TERM, dt, n, pd=False, child=Child.fetus(n, birth)), u, seed=0, n_subjects=N,
                  dtype=jnp.float32, save=True, save_from=birth, saved=("central", "fetus"))
    return out.trajectory("fetus")[0, 0] / out.trajectory("central")[0, 0]


def test_diazepam_cord_about_maternal_after_regular_use():
    # Mandelli 1975 (F1, V): diazepam in cord plasma at concentrations comparable to maternal (ratio about 1),
    # in labour; within 0.8-1.5 (a stated band around "about 1").  Kanto's early-pregnancy ratios (F3, V2: 1.2
    # after one dose, 0.4 after a month) are outside the model's range (a fetus from week 24).
    r = float(np.median(_chronic_cord_ratio("diazepam", 10.0)))
    assert 0.8 <= r <= 1.5, r


@pytest.mark.xfail(strict=True, reason="lorazepam cord:maternal 1.18 (median) where Whitelaw 1981 (F6) and McBride "
                   "1979 (F7) found maternal generally above cord: with passive flow-limited transfer the ratio "
                   "tends to fu_m/fu_f > 1 for an albumin-bound drug (fetal albumin 1.163 x maternal, L31); "
                   "lorazepam's slower transfer (F8) and the glucuronide are not modelled")
def test_lorazepam_cord_below_maternal():
    assert float(np.median(_chronic_cord_ratio("lorazepam", 2.0))) < 1.0


@pytest.mark.xfail(strict=True, reason="clonazepam cord:maternal 1.15 (median) vs 19/32 = 0.59 in Fisher 1985's one "
                   "case (F9): within 2-fold but on the other side of 1, for the reason of the lorazepam miss")
def test_clonazepam_cord_below_maternal_as_in_the_case():
    # Fisher 1985 (F9, V, one case): maternal 32, cord 19 ng/mL (0.59)
    assert float(np.median(_chronic_cord_ratio("clonazepam", 1.0))) < 1.0


def test_cord_diazepam_minutes_after_30_mg_iv_inside_the_published_ranges():
    # L33 (V): 30 mg iv over 15 s just before operative vaginal delivery (n = 39): cord diazepam 5-250 ng/mL at
    # 57-60 s, 48-1861 at 90-100 s, 45-3034 up to 360 s.  The model's median at 1, 1.5 and 6 min inside them.
    dt = 0.25 / 60.0  # 15 s grid; the 15-s injection is a bolus at t = 0
    n = 4 * 10 + 1
    u = np.zeros((1, n, 1))
    u[0, 0, 0] = 30.0
    out = run_arm(Arm("diazepam", "iv", TERM, dt, n, pd=False, child=Child.fetus(n, n - 1)), u, seed=0,
                  n_subjects=N, dtype=jnp.float32, save=True, saved=("fetus",))
    cord = np.median(out.trajectory("fetus")[:, 0], axis=-1) * 1000.0  # ng/mL
    for seconds, (lo, hi) in ((60, (5, 250)), (90, (48, 1861)), (360, (45, 3034))):
        c = cord[round(seconds / 15)]
        assert lo <= c <= hi, (seconds, c)
