"""Seizure-rescue routes of the drug library against the published single-dose tmax and Cmax.

Each route is simulated at the published dose in ``healthy_young`` adults (100 subjects, library IIV,
1-min grid, 6 h) and the median of the individual tmax and Cmax is compared with the published values
(rows of shared/science/literature.md, table G).

*Fit* rows are the ones the route's ``ka`` was fitted on (the median individual tmax of 500 subjects of
the same preset, seed 0; see each ``ka`` note in popsim/drugs/data), so their tmax check only guards the
fit.  *Check* rows were not used for any fitted value.

Tolerances, and why:

* tmax: within the published range (mean +- SD for G33, min-max for G48 and G73).  Where only a central
  value is published (G68, G71) the median must lie within 1.5-fold: the one-SD band of G33 is +-24% of
  its mean and the fit itself is exact at the fit cohort, so 1.5-fold leaves room for the smaller test
  cohort (tmax is read on a 1-min grid from 100 subjects) without hiding a wrong ka (a ka off by 2-fold
  moves tmax by more than 1.5-fold in this model).
* Cmax: within 2-fold of the published mean.  popsim's disposition (central volume, distribution) comes
  from its tissue model, not from these studies, and ka is fitted on tmax, so Cmax is a prediction; the
  published spreads are wide (G33 CV 45%, G70 CV 68%).  The largest fold seen is intranasal midazolam,
  1.6-1.7 (G48), with the model's early iv concentration right (2.5 mg iv at 2 min: 237 vs 219 ng/mL),
  so that excess is the first-order absorption: noted in the library, not hidden by a looser bound.

Lorazepam sublingual and intranasal have no published tmax or Cmax in literature.md (G41 gives the
sublingual absorption half-life, G42 only 'faster than IM'), so they are checked against the ordering
the absorption data give: IM (t1/2abs 14.2 min) and intranasal before sublingual (28.5 min) before oral
(32.5 min plus a lag; G41), and their median Cmax per mg against the dose-normalised label values
(G43: 4 mg IM about 48 ng/mL, 2 mg po about 20 ng/mL).  The model's lorazepam IM and oral tmax are
earlier than G41's means (1.15 h and 2.37 h): popsim's lorazepam central volume is far below the
published V1 (G40), which ends the rise early; that is a disposition issue, recorded in the library
notes and asserted here only as its direction.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from popsim.arm import Arm, run_arm

DT = 1 / 60  # h: a 1-min grid
N_STEPS = 361  # 6 h
N_SUBJECTS = 100


@functools.lru_cache(maxsize=None)
def _medians(drug: str, route: str, doses: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Median individual tmax (min) and Cmax (ng/mL) per dose, single dose at t = 0 (one compile per route)."""
    arm = Arm(drug, route, "healthy_young", DT, N_STEPS, pd=False, metabolites=False)
    u = np.zeros((len(doses), N_STEPS, 1))
    u[:, 0, 0] = doses
    r = run_arm(arm, u, seed=0, n_subjects=N_SUBJECTS, save=True, saved=("central",))
    c = np.asarray(r.trajectory("central")) * 1000.0  # (time, regimen, subject), ng/mL
    return np.median(np.argmax(c, axis=0) * DT * 60.0, axis=1), np.median(c.max(axis=0), axis=1)


# (row, role, drug, route, dose mg, doses simulated together, published tmax min, its (low, high) band or None,
#  published Cmax ng/mL or None)
CASES = [
    ("G33", "fit", "diazepam", "im", 10.0, (10.0,), 34.0, (26.0, 42.0), 199.0),
    ("G68", "fit", "diazepam", "rectal", 15.0, (15.0, 10.0), 45.0, None, 373.0),
    ("G70", "check", "diazepam", "rectal", 10.0, (15.0, 10.0), None, None, 160.9),
    ("G71", "fit", "diazepam", "intranasal", 10.0, (10.0,), 90.0, None, 272.0),
    ("G70", "check", "diazepam", "intranasal", 10.0, (10.0,), None, None, 0.5 * (151.3 + 181.8)),
    ("G73", "fit", "midazolam", "buccal", 5.0, (5.0,), 30.0, (15.0, 90.0), 55.9),
    ("G48", "fit", "midazolam", "intranasal", 2.5, (2.5, 5.0), 10.9, (6.0, 24.0), 30.6),
    ("G48", "fit", "midazolam", "intranasal", 5.0, (2.5, 5.0), 13.8, (9.0, 24.0), 66.2),
]


@pytest.mark.parametrize("row, role, drug, route, dose, doses, tmax, band, cmax", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{c[4]:g}mg" for c in CASES])
def test_route_reproduces_published_tmax_and_cmax(row, role, drug, route, dose, doses, tmax, band, cmax):
    t, c = (x[doses.index(dose)] for x in _medians(drug, route, doses))
    if tmax is not None:
        low, high = band if band is not None else (tmax / 1.5, tmax * 1.5)
        assert low <= t <= high, f"{row} ({role}) {drug} {route} {dose:g} mg: median tmax {t:.1f} min, published " \
                                 f"{tmax:g} (allowed {low:.1f}-{high:.1f})"
    if cmax is not None:
        fold = c / cmax
        assert 0.5 <= fold <= 2.0, f"{row} ({role}) {drug} {route} {dose:g} mg: median Cmax {c:.1f} ng/mL vs " \
                                   f"{cmax:g} (fold {fold:.2f})"


def test_lorazepam_routes_follow_the_published_absorption_order():
    t_im, c_im = _medians("lorazepam", "im", (4.0,))
    t_in, _ = _medians("lorazepam", "intranasal", (2.0,))
    t_sl, c_sl = _medians("lorazepam", "sublingual", (2.0,))
    t_po, c_po = _medians("lorazepam", "oral", (2.0,))
    # G41: t1/2abs IM 14.2 < SL 28.5 < po 32.5 min (po also has a lag); G42: intranasal faster than IM.
    assert t_in[0] <= t_im[0] < t_sl[0] < t_po[0]
    # G43 label: 4 mg IM about 48 ng/mL, 2 mg po about 20 ng/mL (2-fold, as above).  Sublingual F 94-98% (G41)
    # is close to oral F, so its Cmax is checked against the oral label value too.
    assert 0.5 <= c_im[0] / 48.0 <= 2.0
    assert 0.5 <= c_po[0] / 20.0 <= 2.0
    assert 0.5 <= c_sl[0] / 20.0 <= 2.0
    # Known bias (see the module docstring and the lorazepam im/oral ka notes): the model peaks earlier than
    # G41's mean tmax (IM 1.15 h, po 2.37 h), but not absurdly so.
    assert 69.0 / 4 < t_im[0] < 69.0 and 142.0 / 3 < t_po[0] < 142.0
