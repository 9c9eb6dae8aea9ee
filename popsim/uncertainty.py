"""The uncertain runtime PD/risk constants and drug library values, their priors, and parameter draws keyed by
draw index.

:data:`UNCERTAIN` is the one declaration of which runtime PD constants
(:data:`popsim.pd.parameters.RUNTIME`) are uncertain, each with its prior (a
:class:`Prior`); :data:`FIXED` lists the others with the reason.  The priors
use only each constant's value, range and status in :data:`popsim.pd.constants.PD`
and its bounds in ``popsim.pd.parameters._BOUNDS``; no number is added.
:data:`LIBRARY` does the same for the values of the drug library
(``popsim/drugs/data/*.yaml``, named ``"<drug>.<key path>"``, e.g. ``"alprazolam.iiv.cl"``), by the same
rules and rules 9-12, with :data:`LIBRARY_FIXED` the values not drawn and why.

Rules
-----
1. **Membership.**  A runtime constant is uncertain when its status is M, A or
   F and it has a range, unless it sets up a scenario (``prior_use_days``,
   ``prior_use_burn_in_days``).  V/V2 (read) and D (derived) values are fixed.
   For A and M the range is the stated prior, read as its central 95%.  One
   derived value is drawn too: ``ec50_age_ratio`` (D, the geometric mean of
   three studies' ratios, B7/B10/B11), whose range is the spread of those
   studies (0.43-0.69): three values span about +-1 SD, so the range ends
   are read as the 16% and 84% quantiles (A; 95% 0.32-0.80): the sensitivity
   of older brains is what the elderly starting dose turns on.
2. **Link scale** ``g``: identity when the value lies on a bound (``fx_beta`` 0,
   ``withdrawal_dropout_ratio`` 1, ``airway_obstruction_max`` 1: fits whose
   maximum is on the bound, where no log or logit scale is centred); logit when
   the bounds are 0 and 1; log otherwise (every other constant is positive).
3. **Shape.**  On the link scale a split normal with median ``g(value)``: the
   half below has SD ``(g(value) - g(range low)) / 1.96``, the half above
   ``(g(range high) - g(value)) / 1.96``, each carrying probability 1/2, so the
   value is the median and the range ends are the 2.5% and 97.5% quantiles
   (before truncation) even when the range is not symmetric on the link scale.
4. **Value at a range end** (``fx_beta``, ``withdrawal_dropout_ratio``,
   ``withdrawal_female_ratio``, ``withdrawal_alcohol_ratio``,
   ``airway_obstruction_max``: the "no effect" default whose sign alone is
   known, or a fit's maximum on a bound): the prior is the half normal on the
   range's side, truncated at the value (its 95% quantile at the far range end).
5. **Range end at the link's singularity** (0 on the log or logit scale):
   ``fx_age_slope`` (0-0.08) and ``apnoea_ve`` (0-0.25): such an end says no
   more than the bound, so that half takes the other half's width.
6. **Bounds.**  Every prior is truncated to its bounds (the uniform of the
   quantile function is drawn between the CDF at the two bounds); the table
   below gives the mass cut where above 1e-6.  Draws are clipped to the bounds
   against float rounding.
7. A value outside its range has no rule: importing this module raises.
8. **Fitted constants (F)** are given the prior they had before their data:
   their data are the calibration targets (``popsim/experiments/data/
   calibration_targets.csv``), which :mod:`popsim.inference` turns into the
   posterior, so the fit's own interval (its 95% Wald interval, the range in
   PD) must not be the prior as well.  That pre-data prior is not recorded, so
   it is an assumption (A): centred on the fitted value, on the fit's link
   scale, SD :data:`F_PRIOR_SD` = 1.5 on each side (95% within x/÷ 19 on the
   log scale) or the fit's own half-width where wider (``seizure_k`` above).
   Identity-scale fits (value on a bound) keep rule 4 on their stated range.
   The status-epilepticus constants (``se_*``, fitted on trial arms by
   ``experiments/status_epilepticus/fit.py``, not on the calibration targets)
   are not re-inferred: their prior is the fit's Laplace approximation (the
   range as in rule 3), i.e. already their posterior.

Library values (the drugs' PK)
------------------------------
9. **Membership.**  A library value is drawn when the subject model reads it (clearance, Vss, fu, B:P, fe,
   the pathway fractions, the routes' F, ka, lag and FG, the IIV CVs, v1_share and q, the fractions of
   metabolites formed, the perpetrators' inhibition and induction constants), its status is M, A or F and
   it has a range (every such value has one).  V/V2/D values are fixed
   (a D value derived as the midpoint of a published range, e.g. alprazolam's CL, keeps its value: the
   range is the spread between people, which the IIV carries); so are the molar masses (recalled, M, but
   fixed by the formula) and an entry's only pathway when it is ``other``.  Rules 2-6 give each prior from its value,
   range (its central 95%) and the field's physical range (``popsim.drugs.library.bounds``; logit for
   fractions, log otherwise); a value at a range end whose other end is a bound (midazolam's FG, 0.446 in
   0.446-1) takes the identity scale, as a value on a bound does (rule 2).  Library F values were fitted to
   qualification rows that no likelihood here re-uses: their range (the fit's interval) is their prior as
   it stands (not rule 8).
10. **Prior draws.**  The library values are not inferred (no DDI arm or PK study enters a likelihood):
    draw ``k`` of value ``name`` is the prior's quantile at a float32 uniform from the key
    ``fold_in(fold_in(stream_key(root_key(LIBRARY_SEED), "library"), k), crc32(name))``, the same
    whatever the number of draws, the run's seed and its precision.  Drawn independently of the PD
    posterior, which was inferred at the library's values.
11. **Pathways.**  The drawn fractions of non-renal clearance are made to sum to 1: an entry with one
    listed pathway other than ``other`` (fentanyl: CYP3A4, 1.0 in 0.8-1.0) gives the remainder to
    ``other`` (enzymes no perpetrator acts on); otherwise the fractions, fixed and drawn, are divided by
    their sum.
12. **Consistent entries.**  Each draw of an entry must be one the model can represent: hepatic blood
    clearance below 98% of liver blood flow, an oral fraction absorbed within 5% of 1 (where the entry's
    own values give one), a lipophilicity that gives its Vss.  A draw that fails is redrawn from attempt
    keys ``fold_in(key_k, a)``, a = 1, 2, ... (the prior restricted to consistent entries); each accepted
    draw's lipophilicity is refitted to its Vss (``"<drug>.lipophilicity"``, D).  The restriction moves
    some priors a long way: where half the first draws are redrawn (buprenorphine, morphine: clearance
    against liver blood flow; midazolam, fluvoxamine, grapefruit juice, ketoconazole: oral F against
    FG x FH), the accepted draws favour a lower clearance and F (shares and shifts:
    ``experiments/calibration/README.md``).  A value at a range end (rule 4: midazolam's F, 0.276 in
    0.276-0.72, and FG, 0.446 in 0.446-1) is drawn on one side of it only, so the point-value run lies at
    the edge of the draws.  The PD layer's conversions keep the library's values (the unbound fraction
    of a measured EC50, the Ashton dose equivalences behind fitted affinities), and the fetus's and
    infant's parameters are not drawn (child arms refuse library draws).

Draws
-----
Draw ``k`` of constant ``name`` is the quantile function at one uniform from
the key ``fold_in(fold_in(stream_key(root_key(seed), "draws"), k), crc32(name) & 0x7FFFFFFF)``:
the same whatever the number of draws, the other indices and the other names
asked, and unchanged when a constant is added to :data:`UNCERTAIN`.  The
uniform depends on the float precision: a float64 run draws other values.

Priors (SD below/above the median on the link scale; "half": the half normal of rule 4; "trunc": the mass cut
by the bounds where above 1e-6; "rule 8": a fitted constant's pre-data prior, not its range).

=========================== ========= =================== ====== ==================================
constant                    value     range               status prior
=========================== ========= =================== ====== ==================================
kadapt                      0.004126  0.002063-0.008252   A      log 0.354/0.354
tolerance                   0.8105    0.608-0.922         F      logit 1.5/1.5, rule 8
fall_beta                   2.211     1.187-4.118         F      log 1.5/1.5, trunc 0.0055, rule 8
fx_beta                     0         0-5                 F      identity 2.55/2.55, half (rule 4)
dependence_ec               0.1       0.03-0.3            A      log 0.614/0.561
dependence_k_tolerance      0.01444   0.004126-0.05776    A      log 0.639/0.707
dependence_k_on             0.0001074 6.936e-05-0.0001663 F      log 1.5/1.5, rule 8
dependence_k_off            0.01143   0.005936-0.02202    F      log 1.5/1.5, rule 8
dependence_k_glutamate      0.03851   0.01444-0.1155      A      log 0.5/0.561
dependence_w_tolerance      0.3       0.1-1               A      log 0.561/0.614
dependence_w_glutamate      2.192     1.192-4.029         F      log 1.5/1.5, trunc 0.16, rule 8
dependence_k_symptoms       0.3466    0.05776-0.6931      A      log 0.914/0.354
dependence_k_seizure        0.231     0.02888-0.6931      A      log 1.06/0.561
dependence_k_delirium       0.004814  0.002407-0.01444    A      log 0.354/0.561
withdrawal_threshold        0.5216    0.3367-0.8081       F      log 1.5/1.5, trunc 0.024, rule 8
withdrawal_sigma            1.016     0.3-1.5             F      log 1.5/1.5, trunc 0.14, rule 8
withdrawal_any_ratio        0.1589    0.09597-0.2516      F      logit 1.5/1.5, rule 8
withdrawal_dropout_ratio    1         1-3                 F      identity 1.02/1.02, half (rule 4)
withdrawal_female_ratio     1         0.5-1               A      log 0.354/0.354, half (rule 4)
withdrawal_alcohol_ratio    1         0.5-1               A      log 0.354/0.354, half (rule 4)
delirium_threshold          1.959     1.08-3.552          F      log 1.5/1.5, trunc 0.0044, rule 8
seizure_k                   0.0001485 1e-05-10            F      log 1.5/5.67, rule 8
seizure_threshold           1         0.3-3               A      log 0.614/0.561
seizure_n                   2         1-4                 A      log 0.354/0.354, trunc 4.7e-05
resp_benzo_emax             0.5       0.34-0.8            A      logit 0.338/0.707
resp_benzo_gain             2         0.2-20              A      log 1.17/1.17
airway_obstruction_max      1         0-1                 F      identity 0.51/0.51, half (rule 4)
synergy_psi                 5.75      1.9-17.5            F      log 1.5/1.5, trunc 0.028, rule 8
aa_gradient                 10        5-25                M      log 0.354/0.468, trunc 4.3e-06
apnoea_ve                   0.1       0-0.25              A      logit 0.561/0.561
wakefulness_fraction        0.9377    0.3-0.95            A      logit 1.82/0.119
wakefulness_opioid_exponent 0.779     0.48-1.26           F      log 1.5/1.5, trunc 0.044, rule 8
airway_ventilation_cap      3         1.5-10              A      log 0.354/0.614
sleep_hill                  4         2-8                 A      log 0.354/0.354
airway_female_ratio         0.792     0.645-0.971         F      log 1.5/1.5, trunc 0.045, rule 8
se_k0                       0.4943    0.297-0.823         F      log 0.26/0.26
se_gain                     0.4726    0.0523-4.27         F      log 1.12/1.12
se_kmax                     218.1     33.9-1400           F      log 0.95/0.949
se_recurrence               0.1589    0.0996-0.253        F      log 0.238/0.237
se_refractory               0.4997    0.422-0.578         F      logit 0.16/0.161
fx_per_fall_72              0.01      0.005-0.02          A      logit 0.356/0.359
fx_age_slope                0.04      0-0.08              A      logit 0.375/0.375
fx_female_ratio             1.5       1-2.5               A      log 0.207/0.261
ec50_age_ratio              0.59      0.43-0.69           D      log 0.316/0.157, +-1 SD (rule 1)
ethanol_ec50                726.2     268-1968            F      log 1.5/1.5, trunc 0.00051, rule 8
=========================== ========= =================== ====== ==================================
"""

from __future__ import annotations

import functools
import hashlib
import math
import statistics
import zlib
from pathlib import Path
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import xarray as xr
import numpyro.distributions as dist
from jax.scipy.special import ndtri
from jaxtyping import Array, Float, Int
from numpyro.distributions import constraints

from popsim._validate import closest
from popsim.drugs import library
from popsim.keys import root_key, stream_key
from popsim.params.derive import fraction_absorbed, reference_intrinsic
from popsim.params.tissues import fit_lipophilicity
from popsim.pd.constants import PD
from popsim.pd.parameters import _BOUNDS, PARTS, RUNTIME, check_draws, check_values

__all__ = ["F_PRIOR_SD", "FIXED", "LAPLACE", "LIBRARY", "LIBRARY_FIXED", "LIBRARY_SEED", "UNCERTAIN", "Prior",
           "draw_values", "draws", "library_draws", "posterior", "prior_model"]

_Z975 = 1.959963984540054  # standard normal 97.5% quantile
# the shipped posterior draws (+experiment=calibration study.refit=true n_subjects=150, copied here)
POSTERIOR = Path(__file__).resolve().parent / "experiments" / "data" / "posterior.nc"

# Derived values whose range is the spread of their sources, drawn (rule 1)
_SPREAD = ("ec50_age_ratio",)
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
    if c.status not in ("M", "A", "F") and name not in _SPREAD:
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
    """A split normal on a link scale, truncated to ``[low, high]`` (module docstring, rules 2-6).

    On the link scale ``y = g(x)`` the prior has median ``loc`` and standard deviation ``scale_low`` below it
    and ``scale_high`` above it (each half carrying probability 1/2 before truncation), truncated to
    ``[g(low), g(high)]``.  Sampling is by the quantile function of one uniform, so one key gives one value
    whatever the other constants.  :meth:`to_link`, :meth:`from_link` and :meth:`log_prob_link` give the
    unconstrained coordinates a sampler moves in (:mod:`popsim.inference`).

    Parameters
    ----------
    link : {"identity", "log", "logit"}
    loc, scale_low, scale_high : float
        Median and the two half standard deviations on the link scale (> 0).
    low, high : float
        Support of the constant (its own units): its bounds, or the value where rule 4 truncates.
    """

    arg_constraints: dict = {}
    reparametrized_params: list = []

    def __init__(self, link: str, loc: float, scale_low: float, scale_high: float, low: float, high: float):
        self.link, self.loc, self.scale_low, self.scale_high, self.low, self.high = (
            link, loc, scale_low, scale_high, low, high)
        g = _LINKS[link][0]
        self._u_low, self._u_high = self._cdf(g(low)), self._cdf(g(high))
        super().__init__(batch_shape=(), event_shape=())

    def _cdf(self, y: float) -> float:
        """``P(Y <= y)`` on the link scale, before truncation."""
        return _phi((y - self.loc) / (self.scale_low if y < self.loc else self.scale_high))

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def to_link(self, x):
        return _LINKS[self.link][1](x)

    def from_link(self, y):
        return jnp.clip(_LINKS[self.link][2](y), self.low, self.high)

    def icdf(self, u: Float[Array, "..."]) -> Float[Array, "..."]:
        """The constant at quantile ``u`` of the truncated prior."""
        v = self._u_low + u * (self._u_high - self._u_low)
        return self.from_link(self.loc + jnp.where(v < 0.5, self.scale_low, self.scale_high) * ndtri(v))

    def quantile(self, u: float) -> float:
        """:meth:`icdf` of one number in Python floats (float64 whatever JAX's precision, and the same whatever
        the other numbers asked: array math is vectorised by length and can change the last bits)."""
        v = self._u_low + u * (self._u_high - self._u_low)
        y = self.loc + (self.scale_low if v < 0.5 else self.scale_high) * statistics.NormalDist().inv_cdf(v)
        x = {"identity": y, "log": math.exp(y), "logit": 1.0 / (1.0 + math.exp(-y))}[self.link]
        return min(max(x, self.low), self.high)

    def sample(self, key, sample_shape=()):
        eps = jnp.finfo(jnp.result_type(float)).eps  # keeps the quantile finite (tails beyond ~5 SD in float32)
        return self.icdf(jax.random.uniform(key, sample_shape, minval=eps, maxval=1.0 - eps))

    def log_prob_link(self, y):
        """Log density of ``y = g(x)`` on the link scale (-inf outside the support)."""
        scale = jnp.where(y < self.loc, self.scale_low, self.scale_high)
        dens = -0.5 * ((y - self.loc) / scale) ** 2 - 0.5 * math.log(2 * math.pi) - jnp.log(scale)
        g = _LINKS[self.link][0]
        inside = (y >= g(self.low)) & (y <= g(self.high))
        return jnp.where(inside, dens - math.log(self._u_high - self._u_low), -jnp.inf)

    def log_prob(self, value):
        """Log density of the constant (its own units)."""
        _, forward, _, log_jac = _LINKS[self.link]
        y = forward(value)
        inside = (value >= self.low) & (value <= self.high)
        return jnp.where(inside, self.log_prob_link(y) - log_jac(y), -jnp.inf)


F_PRIOR_SD = 1.5  # rule 8: SD on the link scale of a fitted constant's pre-data prior (A)
LAPLACE = PARTS["seizure"]  # rule 8: fitted elsewhere, not re-inferred (their prior is the fit's Laplace approximation)


def _split_prior(value: float, lo: float, hi: float, low: float, high: float, *, spread: bool = False,
                 refit: bool = False, what: str) -> Prior:
    """Rules 2-6 (and 1's spread, 8's pre-data width with ``refit``) for a value, its range ``lo``-``hi`` and
    its bounds ``low``-``high``."""
    if not lo <= value <= hi:
        raise ValueError(f"{what}={value!r} lies outside its range ({lo:g}, {hi:g}): no prior rule for it")
    if value in (low, high) or (value in (lo, hi) and (lo, hi) != (value, value) and {lo, hi} & {low, high}):
        link = "identity"  # on a bound, or a range from the value to a bound (rule 2)
    elif (low, high) == (0.0, 1.0):
        link = "logit"
    else:
        link = "log"
    g = _LINKS[link][0]
    m = g(value)
    widths = [abs(m - g(lo)) / _Z975, abs(g(hi) - m) / _Z975]
    # Rule 5: a range end at the link's singularity says only what the bound says.
    widths = [w if math.isfinite(w) else widths[1 - i] for i, w in enumerate(widths)]
    if spread:  # rule 1: the sources' spread is read as +-1 SD
        widths = [w * _Z975 for w in widths]
    # Rule 4: a value on a range end truncates there; the half normal lies on the range's side.
    if value == lo:
        low, widths[0] = value, widths[1]
    elif value == hi:
        high, widths[1] = value, widths[0]
    if refit and link != "identity":  # rule 8
        widths = [max(w, F_PRIOR_SD) for w in widths]
    return Prior(link, m, widths[0], widths[1], low, high)


def _prior(name: str) -> Prior:
    """The prior of one uncertain constant from its value, range, status and bounds (module docstring)."""
    c = PD[name]
    low, high, _ = _BOUNDS[name]
    return _split_prior(float(c.value), float(c.range[0]), float(c.range[1]), low, high, spread=name in _SPREAD,
                        refit=c.status == "F" and name not in LAPLACE, what=f"pd.{name}")


UNCERTAIN: dict[str, Prior] = {k: _prior(k) for k in RUNTIME if k not in FIXED}


# --- Library values (the drugs' PK): prior draws, not re-inferred (module docstring, rules 9-12) -------------

# Key paths of the library (Drug.quantities) read by the subject model (popsim.arm.Physiological), by first part
_LIBRARY_READ = ("cl", "vss", "fu", "bp", "fe", "v1_share", "q", "pathways", "routes", "iiv", "metabolites",
                 "inhibition")
_LIBRARY_UNREAD = {
    "logp": "the measured log P only predicts Vss a priori (popsim.params.tissues.apriori_vss); the model's "
            "lipophilicity is fitted to vss, and refitted in every draw",
    "pka": "read (V/V2) values only",
    "ashton_mg": "a dose equivalence for taper conversions, not a model parameter",
    "mw": "a molar mass follows from the molecular formula (recalled values, M, but not uncertain beyond rounding)",
    "pd": "the drug's receptor PD (effect-site, mu-receptor and potency inputs of popsim.pd): not drawn yet",
}
LIBRARY_SEED = 0  # rule 10: library draws do not depend on the run's seed


def _library_reason(entry, path: str, q) -> str | None:
    """Why the library value at ``path`` of ``entry`` is not drawn, or None when it is (rule 9)."""
    head = path.split(".")[0]
    if head not in _LIBRARY_READ:
        return _LIBRARY_UNREAD.get(head, "not read by the subject model")
    if head == "pathways" and len(entry.pathways) == 1 and "other" in entry.pathways:
        return "the entry's only pathway, other: its fraction of non-renal clearance is 1 whatever is drawn (rule 11)"
    if q.status not in ("M", "A", "F"):
        return f"status {q.status}: read or derived from cited values, not a prior"
    if q.range is None:
        return f"status {q.status} without a range: no prior to draw from"
    return None


def _library_priors() -> tuple[dict[str, Prior], dict[str, str]]:
    priors, fixed = {}, {}
    for drug in library.names():
        for path, q in library.load(drug).quantities().items():
            name = f"{drug}.{path}"
            if (why := _library_reason(library.load(drug), path, q)) is not None:
                fixed[name] = why
                continue
            low, high = library.bounds(path)
            priors[name] = _split_prior(float(q.value), float(q.range[0]), float(q.range[1]), low, high,
                                        what=f"library {name}")
    return priors, fixed


LIBRARY, LIBRARY_FIXED = _library_priors()


def _pathways(drug, drawn: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rule 11: the drawn fractions of non-renal clearance made to sum to 1 (``pathways.<enzyme>`` ->
    ``(draw,)``)."""
    paths = {f"pathways.{e}": q.value for e, q in drug.pathways.items()}
    if not any(p in drawn for p in paths):
        return {}
    if len(paths) == 1 and "pathways.other" not in paths:  # the remainder to the unlisted enzymes
        (p,) = paths
        return {p: drawn[p], "pathways.other": 1.0 - drawn[p]}
    values = {p: drawn.get(p, v) for p, v in paths.items()}
    total = sum(values.values())
    return {p: v / total for p, v in values.items()}


_ATTEMPTS = 200  # rule 12: redraws of an inconsistent entry before giving up


def _entry_checks(d, oral: bool) -> float:
    """Rule 12 for one drawn entry (float values): its hepatic clearance below liver blood flow, its oral
    fraction absorbed (``oral``), a lipophilicity that gives its Vss; returns that lipophilicity (a ValueError
    names what fails)."""
    reference_intrinsic(d)
    if oral:
        fraction_absorbed(d)
    return fit_lipophilicity(d)


@functools.lru_cache(maxsize=8)
def _library_draws(n: int) -> dict[str, np.ndarray]:
    stream = stream_key(root_key(LIBRARY_SEED), "library")
    keys = jax.vmap(lambda k: jax.random.fold_in(stream, k))(jnp.arange(n, dtype=jnp.uint32))
    eps = float(jnp.finfo(jnp.float32).eps)

    def candidates(names, attempt):  # rule 10: float32 uniforms, whatever the precision, and Python floats
        ks = keys if attempt == 0 else jax.vmap(lambda k: jax.random.fold_in(k, attempt))(keys)
        out = {}
        for name in names:
            u = jax.vmap(lambda key: jax.random.uniform(_site_key(key, name), (), jnp.float32, eps, 1.0 - eps))(ks)
            out[name.split(".", 1)[1]] = np.array([LIBRARY[name].quantile(float(x)) for x in np.asarray(u)])
        return out

    out = {}
    for drug in library.names():
        entry = library.load(drug)
        names = [k for k in LIBRARY if k.split(".", 1)[0] == drug]
        oral = "oral" in entry.routes and _absorbs(entry)
        drawn, logp, pending = None, np.empty(n), list(range(n))
        for attempt in range(_ATTEMPTS):
            cand = candidates(names, attempt)
            cand |= _pathways(entry, cand)
            drawn = cand if drawn is None else drawn
            failed = []
            for j in pending:
                d = library.with_values(entry, {p: float(v[j]) for p, v in cand.items()})
                try:
                    logp[j] = _entry_checks(d, oral)
                except ValueError as e:
                    failed.append(j)
                    why = e
                    continue
                for p in drawn:
                    drawn[p][j] = cand[p][j]
            pending = failed
            if not pending:
                break
        if pending:
            raise ValueError(f"library draw {pending[0]} of {drug}: no consistent entry in {_ATTEMPTS} draws of its "
                             f"prior (last: {why})")
        out |= {f"{drug}.{p}": v for p, v in drawn.items()} | {f"{drug}.lipophilicity": logp}
    return out


def _absorbs(entry) -> bool:
    """Whether the entry's own oral route is consistent (morphine's is not: it is never simulated orally)."""
    try:
        fraction_absorbed(entry)
    except ValueError:
        return False
    return True


def library_draws(n_draws: int) -> dict[str, np.ndarray]:
    """Draws ``0 .. n_draws - 1`` of every uncertain library value (:data:`LIBRARY`), ``{"<drug>.<path>":
    (draw,)}`` float64, with each drawn entry's pathways (rule 11) and its refitted lipophilicity
    ``"<drug>.lipophilicity"`` (rule 12).  Draw ``k`` is the same whatever ``n_draws`` and the run's seed."""
    return {k: v.copy() for k, v in _library_draws(n_draws).items()}


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


def posterior(path: str | Path | None = None) -> xr.Dataset:
    """Posterior draws: one variable per uncertain constant over ``draw``, diagnostics and provenance in the
    attributes; ``path``: a refit's (``+experiment=calibration study.refit=true`` writes one), default the
    one shipped (:data:`POSTERIOR`)."""
    path = Path(path) if path else POSTERIOR
    allowed = "allowed: the dataset of a calibration refit (+experiment=calibration study.refit=true), or empty " \
              "for the posterior shipped"
    if not path.is_file():
        raise ValueError(f"posterior={str(path)!r}: no such file; {allowed}")
    try:
        with xr.open_dataset(path) as ds:
            ds = ds.load()
    except (OSError, ValueError) as e:
        raise ValueError(f"posterior={str(path)!r}: not a NetCDF file ({e}); {allowed}") from None
    need = ("method", "n_particles", "targets_sha256")
    if "draw" not in ds.dims or any(k not in ds.attrs for k in need):
        raise ValueError(f"posterior={str(path)!r}: not a posterior (it needs a draw dimension and the attributes "
                         f"{list(need)}); {allowed}")
    ds.attrs["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return ds


def draw_values(n_draws: int, overrides: Mapping[str, float] | None = None,
                path: str | Path | None = None) -> dict[str, np.ndarray]:
    """Draws ``0 .. n_draws - 1`` of every runtime PD constant, ``{name: (draw,)}`` float64 (the drug
    library's: :func:`library_draws`; a run's both: :meth:`popsim.experiments.base.Experiment.pd_values`).

    The uncertain constants take the draws of the posterior (:func:`posterior`: ``path``, default the one
    shipped; a constant overridden on
    the command line, ``overrides``, is held at that value in every draw); the fixed ones their value.
    Draw ``k`` is the posterior's row ``k``, the same whatever ``n_draws``; every draw is checked
    (:func:`popsim.pd.parameters.check_draws`).
    """
    post = posterior(path)
    if isinstance(n_draws, bool) or not isinstance(n_draws, int) or not 1 <= n_draws <= post.sizes["draw"]:
        raise ValueError(f"n_draws={n_draws!r}; allowed: an integer from 1 to {post.sizes['draw']} (the draws of "
                         f"the posterior {path or 'shipped'})")
    missing = [k for k in UNCERTAIN if k not in post]
    if missing:
        raise ValueError(f"posterior={str(path or POSTERIOR)!r}: no draws of {missing}; allowed: a posterior of "
                         "every uncertain constant (+experiment=calibration study.refit=true writes one)")
    fixed = {k: v for k, v in check_values(overrides).items() if k not in UNCERTAIN or k in (overrides or {})}
    return check_draws({k: post[k].values[:n_draws] for k in UNCERTAIN if k not in fixed} | fixed)
