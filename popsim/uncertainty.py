"""The uncertain runtime PD/risk constants, their priors, and parameter draws keyed by draw index.

:data:`UNCERTAIN` is the one declaration of which runtime PD constants
(:data:`popsim.pd.parameters.RUNTIME`) are uncertain, each with its prior (a
:class:`Prior`); :data:`FIXED` lists the others with the reason.  The priors
use only each constant's value, range and status in :data:`popsim.pd.constants.PD`
and its bounds in ``popsim.pd.parameters._BOUNDS``; no number is added.

Rules
-----
1. **Membership.**  A runtime constant is uncertain when its status is M, A or
   F and it has a range, unless it sets up a scenario (``prior_use_days``,
   ``prior_use_burn_in_days``).  V/V2 (read) and D (derived) values are fixed.
   The range is read as the prior's central 95% whatever the status: for A and
   M it is the stated prior; for F it is the fit's 95% interval (Wald, on the
   log or logit scale; the stated prior where the information was not
   positive), so an F prior is the fit's Laplace approximation, one constant at
   a time (the fits' covariances are not in PD, so jointly fitted constants are
   drawn independently).
2. **Link scale** ``g``: identity when the value lies on a bound (``fx_beta`` 0,
   ``withdrawal_dropout_ratio`` 1, ``airway_obstruction_max`` 1: fits whose
   maximum is on the bound, where no log or logit scale is centred); logit when
   the bounds are 0 and 1; log otherwise (every other constant is positive).
   These are the scales on which the fits computed their intervals: the F
   ranges come out symmetric on them.
3. **Shape.**  On the link scale a split normal with median ``g(value)``: the
   half below has SD ``(g(value) - g(range low)) / 1.96``, the half above
   ``(g(range high) - g(value)) / 1.96``, each carrying probability 1/2, so the
   value is the median and the range ends are the 2.5% and 97.5% quantiles
   (before truncation) even when the range is not symmetric on the link scale.
   The density steps at the median when the two halves differ.
4. **Value at a range end** (``fx_beta``, ``withdrawal_dropout_ratio``,
   ``withdrawal_female_ratio``, ``withdrawal_alcohol_ratio``,
   ``airway_obstruction_max``): that half has zero width and becomes an atom of
   probability 1/2 at the value (the "no effect" default, or the fit's maximum,
   kept in half the draws); the other half is normal with the far range end at
   its 95%.  The median is still the value and the central 95% the range.
   :meth:`Prior.log_prob` is then a density with respect to Lebesgue measure
   plus a unit atom at the value: fine for weighting prior draws, not for a
   gradient-based sampler.
5. **Range end at the link's singularity** (0 on the log or logit scale):
   ``fx_age_slope`` (0-0.08) and ``apnoea_ve`` (0-0.25): such an end says no
   more than the bound, so that half takes the other half's width; its 2.5%
   quantile lies inside the range (0.020 and 0.036).
6. **Bounds.**  Every prior is truncated to its bounds (the uniform of the
   quantile function is drawn between the CDF at the two bounds, a closed
   bound keeping an atom on it); the mass cut is 0.025 for
   ``airway_obstruction_max`` (its lower half reaches 0 at its 95%), 4.7e-5 for
   ``seizure_n`` (bound 0.5), 4.3e-6 for ``aa_gradient`` and below 1e-6 for
   the rest.  Draws are clipped to the bounds against float rounding.
7. A value outside its range has no rule: importing this module raises.

Draws
-----
Draw ``k`` of constant ``name`` is the quantile function at one uniform from
the key ``fold_in(fold_in(stream_key(root_key(seed), "draws"), k), crc32(name))``:
the same whatever the number of draws, the other indices and the other names
asked, and unchanged when a constant is added to :data:`UNCERTAIN`.  The
uniform depends on the float precision: a float64 run draws other values.

Priors (SD below/above the median on the link scale; "atom": rule 4; "trunc":
the mass cut by the bounds where above 1e-6).  Note ``seizure_k``, whose F
range (1e-5 to 10/h, the prior where the information was not positive) gives
a log SD of 5.67 above the value.

=========================== ========= =================== ====== ===============================
constant                    value     range               status prior
=========================== ========= =================== ====== ===============================
kadapt                      0.004126  0.002063-0.008252   A      log 0.354/0.354
tolerance                   0.8105    0.608-0.922         F      logit 0.518/0.519
fall_beta                   2.211     1.187-4.118         F      log 0.317/0.317
fx_beta                     0         0-5                 F      identity atom/2.55
dependence_ec               0.1       0.03-0.3            A      log 0.614/0.561
dependence_k_tolerance      0.01444   0.004126-0.05776    A      log 0.639/0.707
dependence_k_on             0.0001074 6.936e-05-0.0001663 F      log 0.223/0.223
dependence_k_off            0.01143   0.005936-0.02202    F      log 0.334/0.335
dependence_k_glutamate      0.03851   0.01444-0.1155      A      log 0.5/0.561
dependence_w_tolerance      0.3       0.1-1               A      log 0.561/0.614
dependence_w_glutamate      2.192     1.192-4.029         F      log 0.311/0.311
dependence_k_symptoms       0.3466    0.05776-0.6931      A      log 0.914/0.354
dependence_k_seizure        0.231     0.02888-0.6931      A      log 1.06/0.561
dependence_k_delirium       0.004814  0.002407-0.01444    A      log 0.354/0.561
withdrawal_threshold        0.5216    0.3367-0.8081       F      log 0.223/0.223
withdrawal_sigma            1.016     0.3-1.5             F      log 0.622/0.199
withdrawal_any_ratio        0.1589    0.09597-0.2516      F      logit 0.294/0.294
withdrawal_dropout_ratio    1         1-3                 F      identity atom/1.02
withdrawal_female_ratio     1         0.5-1               A      log 0.354/atom
withdrawal_alcohol_ratio    1         0.5-1               A      log 0.354/atom
delirium_threshold          1.959     1.08-3.552          F      log 0.304/0.304
seizure_k                   0.0001485 1e-05-10            F      log 1.38/5.67
seizure_threshold           1         0.3-3               A      log 0.614/0.561
seizure_n                   2         1-4                 A      log 0.354/0.354, trunc 4.7e-05
resp_benzo_emax             0.5       0.34-0.8            A      logit 0.338/0.707
resp_benzo_gain             2         0.2-20              A      log 1.17/1.17
airway_obstruction_max      1         0-1                 F      identity 0.51/atom, trunc 0.025
synergy_psi                 5.75      1.9-17.5            F      log 0.565/0.568
aa_gradient                 10        5-25                M      log 0.354/0.468, trunc 4.3e-06
apnoea_ve                   0.1       0-0.25              A      logit 0.561/0.561
wakefulness_fraction        0.9377    0.3-0.95            A      logit 1.82/0.119
wakefulness_opioid_exponent 0.779     0.48-1.26           F      log 0.247/0.245
airway_ventilation_cap      3         1.5-10              A      log 0.354/0.614
sleep_hill                  4         2-8                 A      log 0.354/0.354
airway_female_ratio         0.792     0.645-0.971         F      log 0.105/0.104
se_k0                       0.4943    0.297-0.823         F      log 0.26/0.26
se_gain                     0.4726    0.0523-4.27         F      log 1.12/1.12
se_kmax                     218.1     33.9-1400           F      log 0.95/0.949
se_recurrence               0.1589    0.0996-0.253        F      log 0.238/0.237
se_refractory               0.4997    0.422-0.578         F      logit 0.16/0.161
fx_per_fall_72              0.01      0.005-0.02          A      logit 0.356/0.359
fx_age_slope                0.04      0-0.08              A      logit 0.375/0.375
fx_female_ratio             1.5       1-2.5               A      log 0.207/0.261
ethanol_ec50                726.2     268-1968            F      log 0.509/0.509
=========================== ========= =================== ====== ===============================
"""

from __future__ import annotations

import functools
import math
import zlib
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax.scipy.special import ndtri
from jaxtyping import Array, Float, Int
from numpyro.distributions import constraints

from popsim._validate import closest
from popsim.keys import root_key, stream_key
from popsim.pd.constants import PD
from popsim.pd.parameters import _BOUNDS, RUNTIME, check_values

__all__ = ["FIXED", "UNCERTAIN", "Prior", "draw_values", "draws", "prior_model", "values_for_draw"]

_Z975 = 1.959963984540054  # standard normal 97.5% quantile

# Runtime values that set up a scenario rather than describe the world: never drawn.
_CONFIGURATION = {
    "prior_use_days": "configuration: the length of prior benzodiazepine use is a scenario chosen by the "
                      "experiment, not an unknown of the model",
    "prior_use_burn_in_days": "configuration: when prior use is applied (the burn-in before the regimen), a "
                              "scenario setting",
}


def _fixed_reason(name: str) -> str | None:
    """Why ``name`` is not drawn, or None when it is uncertain (module docstring, rule 1)."""
    c = PD[name]
    if name in _CONFIGURATION:
        return _CONFIGURATION[name]
    if c.status not in ("M", "A", "F"):
        return f"status {c.status}: read or derived from cited values, not a prior"
    if c.range is None:
        return f"status {c.status} without a range: no prior to draw from"
    return None


FIXED: dict[str, str] = {k: r for k in RUNTIME if (r := _fixed_reason(k)) is not None}

# Link scales: name -> (forward of a Python float, forward of an array, inverse, log |d inverse / dy|).
_LINKS = {
    "identity": (lambda x: x, lambda x: x, lambda y: y, lambda y: jnp.zeros_like(y)),
    "log": (lambda x: math.log(x) if x > 0 else -math.inf, jnp.log, jnp.exp, lambda y: y),
    "logit": (lambda x: math.log(x / (1.0 - x)) if 0 < x < 1 else math.copysign(math.inf, x - 0.5),
              jax.scipy.special.logit, jax.nn.sigmoid, lambda y: jax.nn.log_sigmoid(y) + jax.nn.log_sigmoid(-y)),
}


def _phi(z: float) -> float:
    """Standard normal CDF of a Python float (``+-inf`` allowed)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


class Prior(dist.Distribution):
    """A split normal on a link scale, truncated to the constant's bounds (module docstring, rules 2-5).

    On the link scale ``y = g(x)`` the prior has median ``loc``, standard deviation ``scale_low`` below it
    and ``scale_high`` above it (each half carries probability 1/2; a zero scale puts that half as an atom
    at ``loc``), truncated to ``[g(low), g(high)]``.  Sampling is by the quantile function of one uniform,
    so one key gives one value whatever the other constants.

    Parameters
    ----------
    link : {"identity", "log", "logit"}
    loc, scale_low, scale_high : float
        Median and the two half standard deviations on the link scale.
    low, high : float
        Bounds of the constant (its own units); the prior is truncated to them.
    """

    arg_constraints: dict = {}
    reparametrized_params: list = []

    def __init__(self, link: str, loc: float, scale_low: float, scale_high: float, low: float, high: float):
        self.link, self.loc, self.scale_low, self.scale_high, self.low, self.high = (
            link, loc, scale_low, scale_high, low, high)
        g = _LINKS[link][0]
        self._u_low, self._u_high = self._cdf(g(low), left=True), self._cdf(g(high))
        super().__init__(batch_shape=(), event_shape=())

    def _cdf(self, y: float, left: bool = False) -> float:
        """``P(Y <= y)`` on the link scale (``P(Y < y)`` with ``left``, so a closed bound keeps an atom on it)."""
        if y == self.loc:
            return (0.5 if self.scale_low > 0 else 0.0) if left else (1.0 if self.scale_high == 0 else 0.5)
        s = self.scale_low if y < self.loc else self.scale_high
        return (0.0 if y < self.loc else 1.0) if s == 0 else _phi((y - self.loc) / s)

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def icdf(self, u: Float[Array, "..."]) -> Float[Array, "..."]:
        """The constant at quantile ``u`` of the truncated prior."""
        v = self._u_low + u * (self._u_high - self._u_low)
        y = self.loc + jnp.where(v < 0.5, self.scale_low, self.scale_high) * ndtri(v)
        return jnp.clip(_LINKS[self.link][2](y), self.low, self.high)

    def sample(self, key, sample_shape=()):
        eps = jnp.finfo(jnp.result_type(float)).eps  # keeps the quantile finite (tails beyond ~5 SD in float32)
        return self.icdf(jax.random.uniform(key, sample_shape, minval=eps, maxval=1.0 - eps))

    def log_prob(self, value):
        """Log density with respect to Lebesgue measure plus a unit atom at the median: a zero-scale half is
        that atom (probability 1/2 before truncation), which gradient-based samplers cannot cross."""
        _, forward, _, log_jac = _LINKS[self.link]
        y = forward(value)
        scale = jnp.where(y < self.loc, self.scale_low, self.scale_high)
        safe = jnp.where(scale > 0, scale, 1.0)
        dens = -0.5 * ((y - self.loc) / safe) ** 2 - 0.5 * math.log(2 * math.pi) - jnp.log(safe) - log_jac(y)
        out = jnp.where(scale > 0, dens, -jnp.inf)
        if 0.0 in (self.scale_low, self.scale_high):
            out = jnp.where(y == self.loc, math.log(0.5), out)
        inside = (value >= self.low) & (value <= self.high)
        return jnp.where(inside, out, -jnp.inf) - math.log(self._u_high - self._u_low)


def _prior(name: str) -> Prior:
    """The prior of one uncertain constant from its value, range, status and bounds (module docstring)."""
    c = PD[name]
    value, (lo, hi) = float(c.value), (float(c.range[0]), float(c.range[1]))
    low, high, _ = _BOUNDS[name]
    if not lo <= value <= hi:
        raise ValueError(f"pd.{name}={value!r} lies outside its range {c.range}: no prior rule for it")
    if value in (low, high):
        link = "identity"
    elif (low, high) == (0.0, 1.0):
        link = "logit"
    else:
        link = "log"
    g = _LINKS[link][0]
    m = g(value)
    widths = [abs(m - g(lo)) / _Z975, abs(g(hi) - m) / _Z975]
    # A range end at the link's singularity (0 on the log scale, 0 or 1 on the logit scale) says only what the
    # bound says: that half takes the other half's width.
    widths = [w if math.isfinite(w) else widths[1 - i] for i, w in enumerate(widths)]
    return Prior(link, m, widths[0], widths[1], low, high)


UNCERTAIN: dict[str, Prior] = {k: _prior(k) for k in RUNTIME if k not in FIXED}


def _names(names) -> tuple[str, ...]:
    if names is None:
        return tuple(UNCERTAIN)
    names = (names,) if isinstance(names, str) else tuple(names)
    for n in names:
        if n not in UNCERTAIN:
            why = f" (fixed: {FIXED[n]})" if n in FIXED else ""
            raise ValueError(f"pd.{n}: not an uncertain PD constant{why}; allowed: {sorted(UNCERTAIN)}"
                             + ("" if why else closest(n, UNCERTAIN)))
    return names


def _site_key(key: Array, name: str) -> Array:
    return jax.random.fold_in(key, zlib.crc32(name.encode()) & 0x7FFFFFFF)


def prior_model(names=None, key: Array | None = None) -> None:
    """numpyro model: one sample site per uncertain constant (site name = the constant's name).

    With ``key``, each site draws from its own key ``fold_in(key, crc32(name))`` rather than from
    ``handlers.seed``'s split sequence, which follows site order: so a constant's draw does not change
    when constants are added to :data:`UNCERTAIN` or another subset ``names`` is asked.
    """
    for n in _names(names):
        numpyro.sample(n, UNCERTAIN[n], rng_key=None if key is None else _site_key(key, n))


@functools.partial(jax.jit, static_argnames="names")
def _draws(seed, k, names):
    stream = stream_key(root_key(seed), "draws")

    def one(i):
        key = jax.random.fold_in(stream, i)
        trace = numpyro.handlers.trace(prior_model).get_trace(names, key)
        return {n: trace[n]["value"] for n in names}

    return jax.vmap(one)(jnp.asarray(k, jnp.uint32))


def draws(seed: int, k: Int[Array, " draw"], names=None) -> dict[str, Float[Array, " draw"]]:
    """Draws ``k`` (0-based indices >= 0) of the uncertain constants ``names`` (default all).

    Draw ``k`` uses the key ``fold_in(stream_key(root_key(seed), "draws"), k)``, so it is the same whatever
    the other indices asked, their number, and the other names.  Returns ``{name: (draw,)}`` in the
    constant's units.
    """
    names = _names(names)
    if not isinstance(k, jax.core.Tracer) and (jnp.ndim(k) != 1 or bool(jnp.any(jnp.asarray(k) < 0))):
        raise ValueError(f"draws: k={k!r}; allowed: a 1-d array of draw indices >= 0")
    return _draws(seed, k, names)


def values_for_draw(seed: int, k: int) -> dict[str, float]:
    """The runtime PD constants (:func:`popsim.pd.parameters.check_values`) with draw ``k``'s uncertain ones."""
    one = draws(seed, jnp.asarray([k]))
    return check_values({n: float(v[0]) for n, v in one.items()})


def draw_values(n_draws: int, overrides: Mapping[str, float] | None = None) -> dict[str, np.ndarray]:
    """Draws ``0 .. n_draws - 1`` of every runtime PD constant, ``{name: (draw,)}`` float64.

    The uncertain constants take their draws (a constant overridden on the command line, ``overrides``,
    is held at that value in every draw); the fixed ones their value.  Draw ``k`` is the same whatever
    ``n_draws``.
    """
    if isinstance(n_draws, bool) or not isinstance(n_draws, int) or n_draws < 1:
        raise ValueError(f"n_draws={n_draws!r}; allowed: an integer >= 1")
    base = check_values(overrides)
    drawn = {k: v for k, v in draws(0, jnp.arange(n_draws)).items() if k not in (overrides or {})}
    return {k: np.asarray(drawn[k], float) if k in drawn else np.full(n_draws, v) for k, v in base.items()}
