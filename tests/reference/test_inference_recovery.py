"""The Bayesian calibration recovers known constants from data simulated by the model itself.

Three respiratory constants (synergy_psi, wakefulness_opioid_exponent, airway_female_ratio) are set to
values away from popsim's (inside their priors); the Bailey and Masuda scenarios are simulated (200
subjects per arm) and their statistics at those values become synthetic published data: counts drawn
binomially, 400 per arm, at the simulated proportions, and the ventilation ratio drawn log-normally with a
95% interval of x/÷ 1.2 (numpy seed 5, drawn once).  SMC (popsim.inference.smc via
popsim.experiments.calibration.fit_log_likelihood, 128 particles) must put each true value inside its 99%
posterior interval (three constants: all inside with probability ~0.97 for a calibrated posterior), and
that interval must be less than half the prior's on the link scale (the data inform every constant).
"""

from __future__ import annotations

import numpy as np
import pytest

from popsim.experiments.calibration import fit_log_likelihood, read_targets, simulate_scenarios, statistics_of
from popsim.inference import smc
from popsim.pd.parameters import check_values
from popsim.uncertainty import UNCERTAIN, draws

TRUTH = {"synergy_psi": 3.0, "wakefulness_opioid_exponent": 1.0, "airway_female_ratio": 0.88}


@pytest.fixture(scope="module")
def posterior():
    targets = read_targets()
    rows = targets[targets["id"].isin(["R1", "R2", "R3", "R4", "R5", "M2", "M3", "V1"])].reset_index(drop=True)
    stats = list(dict.fromkeys(rows["statistic"]))
    raw = simulate_scenarios(stats, n_subjects=200, seed=1)
    values = check_values()
    sim = statistics_of(raw, stats, values | TRUTH).set_index("statistic")["simulated"]
    rng = np.random.default_rng(5)
    p = rows["statistic"].map(sim).to_numpy(float)
    counts = rows["N"].notna().to_numpy()
    rows.loc[counts, "N"] = 400.0
    rows.loc[counts, "n"] = rng.binomial(400, np.clip(p[counts], 0.0, 1.0)).astype(float)
    rows.loc[counts, "published"] = rows.loc[counts, "n"] / 400.0
    rows.loc[~counts, "published"] = p[~counts] * np.exp(np.log(1.2) / 1.96 * rng.standard_normal((~counts).sum()))
    rows.loc[~counts, "lo"] = rows.loc[~counts, "published"] / 1.2
    rows.loc[~counts, "hi"] = rows.loc[~counts, "published"] * 1.2
    return smc(fit_log_likelihood(raw, rows, values), list(TRUTH), n_particles=128, seed=2, n_moves=4)


@pytest.mark.parametrize("name", list(TRUTH))
def test_truth_inside_the_99_interval(posterior, name):
    x, prior = posterior.values[name], UNCERTAIN[name]
    lo, hi = np.quantile(x, [0.005, 0.995])
    assert lo <= TRUTH[name] <= hi, (name, lo, TRUTH[name], hi)
    z = np.asarray(prior.to_link(np.asarray(draws(0, np.arange(2000), [name])[name], float)))
    zp = np.asarray(prior.to_link(x))
    width = [np.subtract(*np.quantile(v, [0.995, 0.005])) for v in (z, zp)]
    assert width[1] < 0.5 * width[0], (name, width)
