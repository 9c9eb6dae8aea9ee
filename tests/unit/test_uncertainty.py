"""The uncertain PD constants, their priors and the draws keyed by draw index (popsim.uncertainty).

The prior checks read only PD (value, range, status) and the bounds, and compare 4000 draws with them on the
link scale of the module docstring's rule 2, with tolerances of 4 Monte Carlo standard errors of a sample
quantile: ``sqrt(p (1 - p) / n) / f(q)`` with ``f`` the split normal's density at the quantile, i.e.
1.2533 SD / sqrt(n) for the median and 0.0423 SD for a 2.5%/97.5% quantile at n = 4000, with SD the wider
half's (the smaller density).
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
from popsim.uncertainty import FIXED, UNCERTAIN, draws, prior_model, values_for_draw

N = 4000


@pytest.fixture(scope="module")
def many():
    return {k: np.asarray(v, np.float64) for k, v in draws(0, jnp.arange(N)).items()}


def _link(name):
    """Rule 2 of the module docstring, written from PD and the bounds."""
    value, (low, high, _) = PD[name].value, _BOUNDS[name]
    if value in (low, high):
        return lambda x: np.asarray(x, np.float64)
    if (low, high) == (0.0, 1.0):
        return scipy.special.logit
    return np.log


def _half_sds(name):
    """SDs below and above on the link scale from the range ends (inf at a link singularity)."""
    g, value, (lo, hi) = _link(name), PD[name].value, PD[name].range
    with np.errstate(divide="ignore"):
        return abs(g(value) - g(lo)) / 1.959964, abs(g(hi) - g(value)) / 1.959964


def test_declared_set():
    assert set(UNCERTAIN) == set(RUNTIME) - set(FIXED)
    assert all(isinstance(r, str) and len(r) > 20 for r in FIXED.values())
    for k in RUNTIME:
        drawn = PD[k].status in ("M", "A", "F") and PD[k].range is not None
        assert (k in UNCERTAIN) == (drawn and not k.startswith("prior_use")), k
    assert sorted(FIXED) == sorted(["seizure_kindling", "prior_use_days", "prior_use_burn_in_days", "co2_gain",
                                    "co2_kel", "co2_ke0", "paco2_baseline", "opioid_tolerance_c50_ratio",
                                    "fall_rate_72", "fall_rate_age_slope", "ec50_age_ratio", "ethanol_vmax_ratio"])


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


def test_median_is_the_value(many):
    for k, x in many.items():
        g, sd = _link(k), max(s for s in _half_sds(k) if math.isfinite(s))
        tol = 4 * 1.2533 * sd / math.sqrt(N)
        assert abs(g(np.median(x)) - g(PD[k].value)) <= tol, (k, np.median(x), PD[k].value)


# Rule 5 and the truncation of rule 6 move these 2.5% quantiles inside the range.
_INSIDE = {"fx_age_slope", "apnoea_ve", "airway_obstruction_max"}


def test_central_95_is_the_range(many):
    for k, x in many.items():
        g, (lo, hi) = _link(k), PD[k].range
        sds = [s for s in _half_sds(k) if math.isfinite(s)]
        tol = 4 * 0.0423 * max(sds)
        q_lo, q_hi = g(np.quantile(x, 0.025)), g(np.quantile(x, 0.975))
        with np.errstate(divide="ignore"):
            assert g(lo) - tol <= q_lo and q_hi <= g(hi) + tol, (k, q_lo, q_hi, g(lo), g(hi))
            if k not in _INSIDE:
                assert abs(q_lo - g(lo)) <= tol, (k, np.quantile(x, 0.025), lo)
            assert abs(q_hi - g(hi)) <= tol, (k, np.quantile(x, 0.975), hi)
    assert np.quantile(many["fx_age_slope"], 0.025) > 0.01 and np.quantile(many["apnoea_ve"], 0.025) > 0.02


def test_atoms_at_a_value_on_a_range_end(many):
    # Rule 4: half the draws keep the value (less what the truncation cuts: 0.025 for airway_obstruction_max).
    for k, share in [("fx_beta", 0.5), ("withdrawal_dropout_ratio", 0.5), ("withdrawal_female_ratio", 0.5),
                     ("withdrawal_alcohol_ratio", 0.5), ("airway_obstruction_max", 0.5 / 0.975)]:
        at = np.mean(many[k] == np.float32(PD[k].value))
        assert abs(at - share) < 4 * math.sqrt(0.25 / N), (k, at)


def test_every_draw_passes_check_values(many):
    for i in range(N):
        check_values({k: float(v[i]) for k, v in many.items()})
    one = values_for_draw(0, 11)
    assert one == check_values(one)
    assert one["kadapt"] == float(many["kadapt"][11]) and one["co2_gain"] == PD["co2_gain"].value


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
