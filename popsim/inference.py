"""Posterior over uncertain constants by adaptive tempered sequential Monte Carlo (SMC).

Why SMC and not NUTS: popsim's calibration likelihoods are binomial on counts of simulated subjects crossing a
threshold (a fall, a seizure, a withdrawal reaction) replayed on a fixed simulated population, so as a
function of the constants they are piecewise constant: their gradient is zero almost everywhere and a
gradient-based sampler has nothing to follow.  SMC needs only likelihood values, evaluated for a whole
population of particles at once (one batched call per move), and gives the evidence and effective sample
sizes as diagnostics.

The sampler (Del Moral, Doucet & Jasra 2006; adaptive tempering as in Jasra et al. 2011): particles start as
prior draws (:func:`popsim.uncertainty.draws`, keyed by particle index) and move through
``p_t(theta) ~ prior(theta) L(theta)^beta_t`` from ``beta = 0`` to 1.  Each next ``beta`` is the largest
(bisection) whose incremental weights keep the effective sample size ``(sum w)^2 / sum w^2`` at
``ess_fraction`` of the particles; the particles are then resampled (systematic) and moved by ``n_moves``
random-walk Metropolis steps on the priors' link scale (:meth:`popsim.uncertainty.Prior.to_link`), proposal
covariance ``2.38^2 / d`` times the particles' covariance (Roberts & Rosenthal 2001), halved while the
acceptance rate is below 0.15.  Randomness: numpy's ``default_rng`` of ``(seed, "smc")``, so a run is
reproducible.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import logsumexp

from popsim.uncertainty import UNCERTAIN, Prior, draws

__all__ = ["SMCResult", "smc"]


@dataclasses.dataclass(frozen=True)
class SMCResult:
    """Equally weighted posterior particles and the run's diagnostics.

    ``values`` {name: (particle,)} in the constants' units; ``log_likelihood`` (particle,) at ``beta`` = 1;
    per tempering stage: ``betas``, ``ess`` (effective sample size of the weights before resampling),
    ``acceptance`` (mean Metropolis acceptance over the stage's moves); ``log_evidence`` (log marginal
    likelihood estimate); ``unique`` (distinct particles at the end); ``evaluations`` (likelihood values
    computed).
    """

    values: dict[str, np.ndarray]
    log_likelihood: np.ndarray
    betas: np.ndarray
    ess: np.ndarray
    acceptance: np.ndarray
    log_evidence: float
    unique: int
    evaluations: int


def _ess(logw: np.ndarray) -> float:
    w = np.exp(logw - logw.max())
    return float(w.sum() ** 2 / (w ** 2).sum())


def _systematic(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    w = np.exp(logw - logw.max())
    c = np.cumsum(w / w.sum())
    c[-1] = 1.0
    return np.searchsorted(c, (rng.random() + np.arange(len(w))) / len(w))


def smc(log_likelihood: Callable[[dict[str, np.ndarray]], np.ndarray], names: Sequence[str], *,
        n_particles: int = 256, seed: int = 0, n_moves: int = 3, ess_fraction: float = 0.5,
        priors: Mapping[str, Prior] = UNCERTAIN, progress: Callable[[str], None] | None = None) -> SMCResult:
    """Posterior of the constants ``names`` (keys of ``priors``) under ``log_likelihood``.

    ``log_likelihood(values)``: ``values`` {name: (n,)} float64 in the constants' units -> (n,) log-likelihoods
    (-inf allowed); it is called on batches of particles.  Other arguments: module docstring.
    """
    names = tuple(names)
    if not names or len(set(names)) != len(names) or any(k not in priors for k in names):
        raise ValueError(f"names={list(names)!r}; allowed: distinct constants of {sorted(priors)}")
    if n_particles < 8 or n_moves < 1 or not 0 < ess_fraction < 1:
        raise ValueError(f"n_particles={n_particles!r}, n_moves={n_moves!r}, ess_fraction={ess_fraction!r}; "
                         "allowed: >= 8, >= 1, in (0, 1)")
    rng = np.random.default_rng([seed, int.from_bytes(b"smc", "little")])
    pri = [priors[k] for k in names]
    key = jax.random.key(seed)
    start = draws(seed, jnp.arange(n_particles), names) if priors is UNCERTAIN else {
        k: p.sample(jax.random.fold_in(key, i), (n_particles,)) for i, (k, p) in enumerate(zip(names, pri))}
    evaluations = 0

    def f64(f, x):  # the priors' link functions in float64 whatever JAX's default precision
        with jax.enable_x64(True):
            return np.asarray(f(jnp.asarray(x, jnp.float64)), float)

    z = np.stack([f64(p.to_link, start[k]) for k, p in zip(names, pri)], 1)

    def natural(z):
        return {k: f64(p.from_link, z[:, i]) for i, (k, p) in enumerate(zip(names, pri))}

    def loglik(z):
        nonlocal evaluations
        evaluations += len(z)
        out = np.asarray(log_likelihood(natural(z)), float)
        return np.where(np.isnan(out), -np.inf, out)

    def logprior(z):
        return sum(f64(p.log_prob_link, z[:, i]) for i, p in enumerate(pri))

    ll, beta, log_evidence, scale = loglik(z), 0.0, 0.0, 1.0
    if not np.isfinite(ll).any():
        raise ValueError("smc: the log-likelihood is -inf or NaN at every prior draw")
    betas, esss, acc = [], [], []
    while beta < 1.0:
        def ess_at(b):
            return _ess(np.where(np.isfinite(ll), (b - beta) * ll, -np.inf))

        lo, hi = beta, 1.0
        if ess_at(1.0) < ess_fraction * n_particles:
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if ess_at(mid) >= ess_fraction * n_particles else (lo, mid)
            new = max(lo, beta + 1e-6)
        else:
            new = 1.0
        logw = np.where(np.isfinite(ll), (new - beta) * ll, -np.inf)
        log_evidence += float(logsumexp(logw) - math.log(n_particles))
        betas.append(new)
        esss.append(_ess(logw))
        idx = _systematic(logw, rng)
        z, ll, beta = z[idx], ll[idx], new
        cov = np.atleast_2d(np.cov(z, rowvar=False)) + 1e-12 * np.eye(z.shape[1])
        chol = np.linalg.cholesky(cov * 2.38 ** 2 / z.shape[1])
        lp = logprior(z)
        accepted = []
        for _ in range(n_moves):
            prop = z + scale * rng.standard_normal(z.shape) @ chol.T
            lp_prop = logprior(prop)
            ok = np.isfinite(lp_prop)
            ll_prop = np.full(len(z), -np.inf)
            if ok.any():
                ll_prop[ok] = loglik(prop[ok])
            with np.errstate(invalid="ignore"):
                log_ratio = np.where(ok, lp_prop + beta * ll_prop - lp - beta * ll, -np.inf)
            take = np.log(rng.random(len(z))) < log_ratio
            z, ll, lp = np.where(take[:, None], prop, z), np.where(take, ll_prop, ll), np.where(take, lp_prop, lp)
            accepted.append(take.mean())
            if take.mean() < 0.15:
                scale *= 0.5
        acc.append(float(np.mean(accepted)))
        if progress:
            progress(f"beta {beta:.4g}: ESS {esss[-1]:.1f}, acceptance {acc[-1]:.2f}, {evaluations} evaluations")
    return SMCResult(natural(z), ll, np.asarray(betas), np.asarray(esss), np.asarray(acc), log_evidence,
                     len(np.unique(z, axis=0)), evaluations)

