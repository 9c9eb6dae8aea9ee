"""Dependence and withdrawal: neuroadaptation on three time scales, symptoms, seizures and delirium (a
:class:`popsim.pd.scores.Score`).

Driving quantities (the :class:`popsim.pd.scores.Drive`): ``E_b``, the GABA-A alpha2 effect of the
benzodiazepine-site agonists (every drug and metabolite summed at the receptor,
:class:`popsim.pd.gaba.GabaAdaptation`), and ``E``, the alpha2 effect including ethanol's own site.
The adaptation target saturates in the benzodiazepine effect, ``f = (1 + EC) E_b / (E_b + EC)``
(``DEP_EC``): most of the adaptation is reached at low doses, so dose is a weak predictor (E24,
E34) and the difficulty sits in the last part of a taper (W26).  States (rates 1/h):

* fast tolerance ``T``: ``dT/dt = KT (f - T)`` (days, ``DEP_KT``);
* slow GABA-A down-regulation ``D``, two stages with a delayed onset and a direct, faster recovery:
  while ``f > D``, ``dD1/dt = KON (f - D1)``, ``dD/dt = KON (D1 - D)``; while ``f <= D`` both relax
  to ``f`` at ``KOFF`` (``DEP_KON`` months per stage, ``DEP_KOFF`` weeks).  Risk then rises over
  months of use (Rickels 1983: 5% after < 8 vs 43% after >= 8 months, W1) and recovers within
  weeks of the stop (E26, W9);
* glutamatergic (NMDA) up-regulation ``G``: ``dG/dt = KG (E - G)``, driven by the total effect, so
  it is shared with ethanol (``DEP_KG``, hours).  Ethanol adapts ``G`` only: alcohol withdrawal
  comes and goes on its time course of hours to days (W56, W57), and a benzodiazepine given in
  alcohol withdrawal raises ``E`` and covers the glutamatergic excess (cross-tolerance);
* hyperexcitability ``M = WT (T - f)+ + (D - f)+ + WG (G - E)+`` (weights ``DEP_WT``, ``DEP_WG``;
  the down-regulation's weight is 1, the scale);
* symptoms ``X``: ``dX/dt = KX (M - X)``; a seizure-prone state ``Zs`` and a delirium state ``Zd``,
  lags of ``X`` (``DEP_KS``, ``DEP_KD``).

The subject's susceptibility: ``DEP_XC``, the symptom level of clinically significant withdrawal
(a log-normal frailty with covariate ratios, :func:`popsim.pd.parameters.score_parameters`).  The
severity ``X / DEP_XC`` is 1 at that threshold; endpoints as the trials define them: any
withdrawal reaction at severity ``DEP_ANY`` (< 1), clinically significant withdrawal at 1, failure
to complete a taper (symptoms above the subject's tolerance) at ``withdrawal_dropout_ratio`` (read
from the severity by :mod:`popsim.planner` and the calibration, over their windows), delirium when
``Zd / DEP_XC`` reaches ``DT_THR``.  Scale readings: CIWA-B (0-80) and CIWA-Ar (0-67) as
``max sev^2 / (sev^2 + K^2)``, with ``K`` putting severity 1 at CIWA-B 21 (the lower edge of
"moderate", W33) and at CIWA-Ar 10 (ASAM's "moderate", W76).  Seizures: hazard
``SZ_K max(Zs / DEP_XC - SZ_THR, 0)^SZ_N x SZ_KINDLE^n`` (1/h) with ``n`` the withdrawal episodes
the subject has been through in this simulation (an episode: severity >= 1, ended when both the
severity and the slow delirium state are back below ``DEP_ANY``, so that the symptoms' swings between
doses do not count as episodes): kindling.

Prior use: at ``DEP_BURNIN`` h (a burn-in on the current regimen, long enough for ``T`` to settle),
if ``DEP_PRIOR`` > 0 h the slow states are set to their exact values after ``DEP_PRIOR`` h of use at
the level ``T`` then holds (two-stage chain from zero at constant input), so months or years of
use need not be simulated.

Stepping: ``T``, ``G``, ``X`` and the lags are exact for drives linear over the step
(:func:`popsim.pd.gaba.relaxation`; ``X``'s lags take ``X`` linear, O(dt^2)); ``D`` is exact for
its target held at its mean over each branch's part of the step, the switch between onset and
recovery located where ``f - D`` changes sign within the step (:meth:`Withdrawal.down_regulation`:
the rates jump there, so a whole step on one branch would be first order in ``dt``).  Hazards by the
trapezoidal rule.  Values and citations:
:data:`popsim.pd.constants.PD`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.gaba import relaxation
from popsim.pd.model import Scalar
from popsim.pd.scores import Score

__all__ = ["CIWA_AR_K", "CIWA_B_K", "Withdrawal", "WithdrawalState", "ciwa", "target"]

# Scale constants K of max sev^2 / (sev^2 + K^2): severity 1 reads CIWA-B 21 (W33) and CIWA-Ar 10 (W76) (D).
CIWA_B_K = (80.0 / 21.0 - 1.0) ** 0.5
CIWA_AR_K = (67.0 / 10.0 - 1.0) ** 0.5


def target(e_benzo: Scalar, ec: Scalar) -> Scalar:
    """The adaptation target ``f = (1 + EC) E_b / (E_b + EC)`` (1 at full effect)."""
    return (1.0 + ec) * e_benzo / (e_benzo + ec)


def ciwa(severity: Scalar, maximum: float, k: float) -> Scalar:
    """A scale reading ``maximum sev^2 / (sev^2 + k^2)`` of the severity."""
    s2 = severity * severity
    return maximum * s2 / (s2 + k * k)


class WithdrawalState(NamedTuple):
    steps: Scalar  # grid steps since t = 0 (a count: the time is steps x dt, never a float32 sum of dt)
    tolerance: Scalar  # T
    down1: Scalar  # D1, the first stage of the down-regulation
    down: Scalar  # D
    glutamate: Scalar  # G
    symptoms: Scalar  # X
    seizure_state: Scalar  # Zs
    delirium_state: Scalar  # Zd
    severity_max: Scalar  # largest severity X / DEP_XC at a grid time since t = 0
    delirium_max: Scalar  # largest Zd / DEP_XC at a grid time since t = 0
    onset: Scalar  # first grid time with severity >= DEP_ANY (h; NaN before)
    last_symptom: Scalar  # last grid time with severity >= DEP_ANY (h; NaN before)
    seizure: Scalar  # cumulative seizure hazard
    episodes: Scalar  # completed withdrawal episodes (kindling)
    in_episode: Scalar  # 1 while an episode (severity reached 1) has not ended


def _down_step(d1, d, u, rising, p, h) -> tuple[Scalar, Scalar]:
    """``(D1, D)`` after ``h`` hours on one branch with the target held at ``u``: onset (``rising``), the
    two-stage chain at ``KON``; recovery, both relaxing to ``u`` at ``KOFF``."""
    k = jnp.where(rising, p["DEP_KON"], p["DEP_KOFF"])
    e = jnp.exp(-k * h)
    return u + (d1 - u) * e, u + (d - u) * e + jnp.where(rising, k * h * (d1 - u) * e, 0.0)


@dataclasses.dataclass(frozen=True)
class Withdrawal(Score):
    """Neuroadaptation, withdrawal symptoms, seizures and delirium (module docstring)."""

    parameters = ("DEP_EC", "DEP_KT", "DEP_KON", "DEP_KOFF", "DEP_KG", "DEP_WT", "DEP_WG", "DEP_KX", "DEP_KS",
                  "DEP_KD", "DEP_XC", "DEP_ANY", "DT_THR", "SZ_K", "SZ_THR", "SZ_N", "SZ_KINDLE",
                  "DEP_BURNIN", "DEP_PRIOR")

    instant = {
        "withdrawal_severity": ("1", "withdrawal symptoms over the subject's threshold of clinically significant "
                                     "withdrawal (1: at the threshold)"),
        "ciwa_b": ("1", "withdrawal symptoms read on the CIWA-B scale (0-80 points; 21 at severity 1, the lower "
                        "edge of 'moderate')"),
        "ciwa_ar": ("1", "withdrawal symptoms read on the CIWA-Ar scale (0-67 points; 10 at severity 1, ASAM's "
                         "'moderate')"),
        "seizure_proneness": ("1", "the seizure-prone state Zs over the subject's threshold of clinically "
                                   "significant withdrawal (seizures only above seizure_threshold)"),
        "delirium_proneness": ("1", "the delirium state Zd over the subject's threshold of clinically significant "
                                    "withdrawal (delirium at delirium_threshold)"),
        "hyperexcitability": ("1", "the withdrawal drive M: tolerance, down-regulation and glutamatergic excess "
                                   "the current effect does not cover"),
        "gaba_tolerance": ("1", "fast GABA-A tolerance state T (adaptation-target scale)"),
        "gaba_downregulation": ("1", "slow GABA-A down-regulation state D (adaptation-target scale)"),
        "glutamate_upregulation": ("1", "glutamatergic up-regulation state G (alpha2 effect scale)"),
    }
    cumulative = {
        "withdrawal_severity_max": ("1", "largest withdrawal severity since t = 0"),
        "withdrawal_onset": ("h", "first time the severity reached the 'any withdrawal reaction' level"),
        "withdrawal_last_symptom": ("h", "last time the severity was at the 'any withdrawal reaction' level"),
        "p_seizure": ("1", "probability of a withdrawal seizure since t = 0"),
        "seizure_cumhaz": ("1", ("cumulative hazard of a withdrawal seizure since t = 0 (differences give the "
                                 "probability over any period without round-off)")),
        "delirium": ("1", "delirium (tremens) since t = 0: 1 if the delirium state reached its threshold, else 0"),
        "withdrawal_episodes": ("1", "withdrawal episodes completed since t = 0 (kindling)"),
    }

    def init(self, p, dtype) -> WithdrawalState:
        z = jnp.zeros((), dtype)
        nan = jnp.full((), jnp.nan, dtype)
        return WithdrawalState(z, z, z, z, z, z, z, z, z, z, nan, nan, z, z, z)

    @staticmethod
    def hyperexcitability(t, d, g, d_, p) -> Scalar:
        """``M`` from the states ``T``, ``D``, ``G`` and the drive ``d_``."""
        f = target(d_.benzo, p["DEP_EC"])
        return (p["DEP_WT"] * jnp.maximum(t - f, 0.0) + jnp.maximum(d - f, 0.0)
                + p["DEP_WG"] * jnp.maximum(g - d_.total, 0.0))

    @staticmethod
    def seizure_hazard(zs, episodes, p) -> Scalar:
        x = jnp.maximum(zs / p["DEP_XC"] - p["SZ_THR"], 0.0)
        return p["SZ_K"] * x ** p["SZ_N"] * p["SZ_KINDLE"] ** episodes

    @staticmethod
    def down_regulation(d1, d, f0, f1, p, dt) -> tuple[Scalar, Scalar]:
        """``(D1, D)`` after one step with the target ``f`` linear from ``f0`` to ``f1``.

        Each branch is solved exactly for the target held at its mean over the part of the step the branch
        holds.  The branch switches where ``f - D`` changes sign: its rate jumps there (by ``KON (D1 - D)``
        for ``D``), so the crossing is located within the step, by linear interpolation of ``f - D`` between
        the start and the end of a whole step on the starting branch (second order); a whole step on the
        branch at its start would err by up to ``dt/2`` times the jump (first order in ``dt``).
        """
        g0 = f0 - d
        rising = (g0 > 0) | ((g0 == 0) & (f1 > f0))
        a1, a = _down_step(d1, d, 0.5 * (f0 + f1), rising, p, dt)
        g1 = f1 - a
        cross = jnp.where(rising, g1 < 0, g1 > 0)
        theta = jnp.clip(jnp.where(cross, g0 / jnp.where(cross, g0 - g1, 1.0), 1.0), 0.0, 1.0)
        b1, b = _down_step(d1, d, f0 + 0.5 * theta * (f1 - f0), rising, p, theta * dt)
        c1, c = _down_step(b1, b, f0 + 0.5 * (1.0 + theta) * (f1 - f0), ~rising, p, (1.0 - theta) * dt)
        return jnp.where(cross, c1, a1), jnp.where(cross, c, a)

    def step(self, state, d0, d1, p, dt) -> WithdrawalState:
        s = state
        f0, f1 = target(d0.benzo, p["DEP_EC"]), target(d1.benzo, p["DEP_EC"])
        tol = relaxation(s.tolerance, f0, f1, p["DEP_KT"], dt)
        glu = relaxation(s.glutamate, d0.total, d1.total, p["DEP_KG"], dt)
        down1, down = self.down_regulation(s.down1, s.down, f0, f1, p, dt)
        steps = s.steps + 1.0
        clock = steps * dt
        # prior use: the slow states after DEP_PRIOR h of use at the level T holds at the end of the burn-in
        start = (s.steps * dt < p["DEP_BURNIN"]) & (clock >= p["DEP_BURNIN"]) & (p["DEP_PRIOR"] > 0)
        kt = p["DEP_KON"] * p["DEP_PRIOR"]
        down1 = jnp.where(start, tol * -jnp.expm1(-kt), down1)
        down = jnp.where(start, tol * (1.0 - jnp.exp(-kt) * (1.0 + kt)), down)
        m0 = self.hyperexcitability(s.tolerance, s.down, s.glutamate, d0, p)
        m1 = self.hyperexcitability(tol, down, glu, d1, p)
        x = relaxation(s.symptoms, m0, m1, p["DEP_KX"], dt)
        zs = relaxation(s.seizure_state, s.symptoms, x, p["DEP_KS"], dt)
        zd = relaxation(s.delirium_state, s.symptoms, x, p["DEP_KD"], dt)
        sev = x / p["DEP_XC"]
        onset = jnp.where(jnp.isnan(s.onset) & (sev >= p["DEP_ANY"]), clock, s.onset)
        last_symptom = jnp.where(sev >= p["DEP_ANY"], clock, s.last_symptom)
        ended = (s.in_episode > 0) & (sev < p["DEP_ANY"]) & (zd < p["DEP_ANY"] * p["DEP_XC"])
        episodes = s.episodes + ended.astype(sev.dtype)
        in_episode = jnp.where(sev >= 1.0, 1.0, jnp.where(ended, 0.0, s.in_episode)).astype(sev.dtype)
        h0 = self.seizure_hazard(s.seizure_state, s.episodes, p)
        h1 = self.seizure_hazard(zs, episodes, p)
        return WithdrawalState(steps, tol, down1, down, glu, x, zs, zd, jnp.maximum(s.severity_max, sev),
                               jnp.maximum(s.delirium_max, zd / p["DEP_XC"]), onset, last_symptom,
                               s.seizure + 0.5 * dt * (h0 + h1), episodes, in_episode)

    def values(self, state, d, p) -> dict[str, Scalar]:
        sev = state.symptoms / p["DEP_XC"]
        return {"withdrawal_severity": sev, "ciwa_b": ciwa(sev, 80.0, CIWA_B_K), "ciwa_ar": ciwa(sev, 67.0, CIWA_AR_K),
                "seizure_proneness": state.seizure_state / p["DEP_XC"],
                "delirium_proneness": state.delirium_state / p["DEP_XC"],
                "hyperexcitability": self.hyperexcitability(state.tolerance, state.down, state.glutamate, d, p),
                "gaba_tolerance": state.tolerance, "gaba_downregulation": state.down,
                "glutamate_upregulation": state.glutamate,
                "withdrawal_severity_max": state.severity_max, "withdrawal_onset": state.onset,
                "withdrawal_last_symptom": state.last_symptom,
                "p_seizure": -jnp.expm1(-state.seizure), "seizure_cumhaz": state.seizure,
                "delirium": (state.delirium_max >= p["DT_THR"]).astype(sev.dtype),
                "withdrawal_episodes": state.episodes}
