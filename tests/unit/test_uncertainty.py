"""The uncertain PD constants, their priors and the draws keyed by draw index (popsim.uncertainty).

The prior checks read only PD (value, range, status) and the bounds: the rules of the module docstring are
written again here with scipy's normal, and the share of 4000 draws below the rules' 2.5%, 50% and 97.5%
quantiles is compared with those levels, within 4 binomial standard errors ``sqrt(q (1 - q) / n)``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest
import scipy.special
import scipy.stats

from popsim.pd.constants import PD
from popsim.pd.parameters import _BOUNDS, RUNTIME, check_values
from popsim.uncertainty import FIXED, UNCERTAIN, draws, prior_model

N = 4000


@pytest.fixture(scope="module")
def many():
    return {k: np.asarray(v, np.float64) for k, v in draws(0, jnp.arange(N)).items()}


def _link(name):
    """Rule 2 of the module docstring, written from PD and the bounds: (forward, inverse)."""
    value, (low, high, _) = PD[name].value, _BOUNDS[name]
    if value in (low, high):
        return (lambda x: np.asarray(x, np.float64)), (lambda y: y)
    if (low, high) == (0.0, 1.0):
        return scipy.special.logit, scipy.special.expit
    return np.log, np.exp


def _rules(name):
    """(g, g inverse, median, SD below, SD above, support) on the link scale by rules 3-6 and 8."""
    (g, ginv), c, (low, high, _) = _link(name), PD[name], _BOUNDS[name]
    m, (lo, hi) = float(g(c.value)), c.range
    with np.errstate(divide="ignore"):
        sd = [abs(m - g(lo)) / 1.959964, abs(g(hi) - m) / 1.959964]
    sd = [s if math.isfinite(s) else sd[1 - i] for i, s in enumerate(sd)]  # rule 5
    if c.value == lo:  # rule 4
        low, sd[0] = c.value, sd[1]
    elif c.value == hi:
        high, sd[1] = c.value, sd[0]
    if name == "ec50_age_ratio":  # rule 1: the sources' spread is +-1 SD
        sd = [s * 1.959964 for s in sd]
    if c.status == "F" and not name.startswith("se_") and c.value not in _BOUNDS[name][:2]:  # rule 8
        sd = [max(s, 1.5) for s in sd]
    with np.errstate(divide="ignore"):
        return g, ginv, m, sd[0], sd[1], (float(g(low)), float(g(high)))


def _quantile(name, q):
    """Quantile ``q`` of the truncated split normal, from scipy's normal."""
    g, ginv, m, s_lo, s_hi, (y_lo, y_hi) = _rules(name)

    def cdf(y):
        return scipy.stats.norm.cdf((y - m) / (s_lo if y < m else s_hi))

    v = cdf(y_lo) + q * (cdf(y_hi) - cdf(y_lo))
    return float(ginv(m + (s_lo if v < 0.5 else s_hi) * scipy.stats.norm.ppf(v)))


def test_declared_set():
    assert set(UNCERTAIN) == set(RUNTIME) - set(FIXED)
    assert all(isinstance(r, str) and len(r) > 20 for r in FIXED.values())
    for k in RUNTIME:
        drawn = (PD[k].status in ("M", "A", "F") or k == "ec50_age_ratio") and PD[k].range is not None
        assert (k in UNCERTAIN) == (drawn and not k.startswith("prior_use")), k
    assert sorted(FIXED) == sorted(["seizure_kindling", "prior_use_days", "prior_use_burn_in_days", "co2_gain",
                                    "co2_kel", "co2_ke0", "paco2_baseline", "opioid_tolerance_c50_ratio",
                                    "fall_rate_72", "fall_rate_age_slope", "ethanol_vmax_ratio"])


def test_draw_k_is_the_same_whatever_the_others():
    ten, fifty = draws(7, jnp.arange(10)), draws(7, jnp.arange(50))
    two = draws(7, jnp.asarray([3, 7]))
    sub = draws(7, jnp.asarray([7, 3]), names=["kadapt", "seizure_k"])
    for k in UNCERTAIN:
        np.testing.assert_array_equal(np.asarray(ten[k]), np.asarray(fifty[k])[:10])
        np.testing.assert_array_equal(np.asarray(two[k]), np.asarray(ten[k])[[3, 7]])
    for k in sub:
        np.testing.assert_array_equal(np.asarray(sub[k]), np.asarray(ten[k])[[7, 3]])
    assert not np.array_equal(np.asarray(draws(8, jnp.arange(10))["kadapt"]), np.asarray(ten["kadapt"]))
    jitted = jax.jit(lambda k: draws(7, k))(jnp.asarray([3, 7]))
    np.testing.assert_array_equal(np.asarray(jitted["tolerance"]), np.asarray(two["tolerance"]))


@pytest.mark.parametrize("q", [0.025, 0.5, 0.975])
def test_quantiles_follow_the_rules(many, q):
    # the share of draws below the rules' quantile is q, within 4 binomial standard errors
    for k, x in many.items():
        want = _quantile(k, q)
        share = np.mean(x <= np.float32(want))
        assert abs(share - q) <= 4 * math.sqrt(q * (1 - q) / N), (k, q, share, want)


_HALF = {"fx_beta", "withdrawal_dropout_ratio", "withdrawal_female_ratio", "withdrawal_alcohol_ratio",
         "airway_obstruction_max"}


def test_rule_4_and_8(many):
    # rule 4: every draw on the range's side of the value, the far range end at the 95% quantile
    for k in _HALF:
        x, lo, v = many[k], PD[k].range[0], PD[k].value
        assert (x >= np.float32(v)).all() if v == lo else (x <= np.float32(v)).all(), k
    tol = 4 * math.sqrt(0.05 * 0.95 / N)  # binomial standard errors of a share of 0.95
    assert abs(np.mean(many["fx_beta"] <= 5.0) - 0.95) < tol
    assert abs(np.mean(many["withdrawal_female_ratio"] <= 0.5) - 0.05) < tol
    # rule 8: a fitted constant's prior is wider than its fit's interval, the se_* ones are that interval
    assert np.quantile(many["fall_beta"], 0.975) > 4.118 * 5 and np.quantile(many["tolerance"], 0.975) > 0.98
    assert abs(np.log(np.quantile(many["se_k0"], 0.975) / 0.823)) < 0.05


def test_every_draw_passes_check_values(many):
    for i in range(N):
        check_values({k: float(v[i]) for k, v in many.items()})
    assert check_values({k: float(v[11]) for k, v in many.items()})["co2_gain"] == PD["co2_gain"].value


def test_prior_against_scipy():
    # kadapt: value 0.004126, range = value x 1/2..2, bounds (0, inf): a plain log-normal, sigma ln 2 / 1.96.
    p, ref = UNCERTAIN["kadapt"], scipy.stats.lognorm(s=math.log(2) / 1.959964, scale=PD["kadapt"].value)
    u = np.array([0.01, 0.3, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(np.asarray(p.icdf(jnp.asarray(u))), ref.ppf(u), rtol=2e-5)
    x = ref.ppf(u)
    np.testing.assert_allclose(np.asarray(p.log_prob(jnp.asarray(x))), ref.logpdf(x), rtol=1e-4)
    # seizure_n, truncated at 0.5: the density integrates to 1 over its bounds.
    with jax.enable_x64(True):
        grid = np.linspace(0.5, 10.0, 200001)
        dens = np.exp(np.asarray(UNCERTAIN["seizure_n"].log_prob(jnp.asarray(grid))))
        assert abs(np.trapezoid(dens, grid) - 1.0) < 1e-6


def test_prior_model_sites():
    tr = numpyro.handlers.trace(numpyro.handlers.seed(prior_model, 0)).get_trace()
    assert [k for k, s in tr.items() if s["type"] == "sample"] == list(UNCERTAIN)
    tr = numpyro.handlers.trace(prior_model).get_trace(["kadapt"], jax.random.key(1))
    assert list(tr) == ["kadapt"]


def test_unknown_names():
    with pytest.raises(ValueError, match="did you mean 'kadapt'"):
        draws(0, jnp.arange(3), names=["kadpt"])
    with pytest.raises(ValueError, match="co2_gain: not an uncertain.*status V"):
        draws(0, jnp.arange(3), names=["co2_gain"])
    with pytest.raises(ValueError, match="indices >= 0"):
        draws(0, jnp.asarray([-1, 2]))
