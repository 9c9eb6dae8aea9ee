"""The three risk scores, integrated on line: falls, respiratory depression, withdrawal.

:class:`Risk` steps GABA-A occupancy and adaptation (:class:`GabaAdaptation`),
optionally mu-receptor binding (:class:`MuReceptor`, an opioid and naloxone)
and ethanol (:class:`EthanolMM`, whose blood concentration is one more GABA-A
agonist "site" named ``ethanol`` of the :class:`GabaAdaptation`, so that
ethanol and benzodiazepines share the adaptation state: cross-tolerance),
and integrates three hazards and two threshold times over the grid.  For one
subject, with ``O1``/``O2`` the agonist occupancies of GABA-A alpha1/alpha2,
``A1``/``A2`` the adapted levels and ``R`` the fraction of mu receptors bound
by the opioid (parameters in brackets; values and citations in
:data:`popsim.pd.constants.PD`):

* net sedation ``S = max(O1 - TOL A1, 0)``: tolerance removes the fraction
  ``TOL`` of the adapted level from the sedating drive;
* **falls**: hazard ``FALL_H0 exp(FALL_BETA S)`` (1/h; ``FALL_H0`` the
  subject's baseline by age); expected falls ``H_f = int h dt``,
  ``P(fall) = 1 - exp(-H_f)`` and ``P(hip fracture) = 1 - exp(-P_FX H_f)``;
* **ventilation** (fraction of baseline): ``VE = (1 - EG S) max(1 - O_ALPHA R
  (1 + PSI S), 0)``.  The opioid term is Yassen's/Olofsen's ``1 - alpha R``
  (C5, C9, C17); ``EG S`` is the GABA-A part; ``PSI`` scales the opioid
  depression up with sedation (the interaction, an assumption: no
  benzodiazepine-opioid ventilation surface is published, C46), and ``PSI = 0``
  is Bliss independence, reported as ``ventilation_additive`` so that the
  synergy index is ``(1 - VE) / (1 - VE_additive)``.  Naloxone lowers ``R``
  only, so it removes the opioid part and leaves ``1 - EG S``.  Time with
  ``VE`` below ``VE_HYPOX`` (hypoxaemia) and ``VE_APNOEA`` (apnoea) is
  accumulated, exactly for ``VE`` linear over a step;
* **withdrawal**: mismatch ``W = max(A2 - O2, 0)``; hazards of clinically
  significant withdrawal ``WD_K W^WD_N`` and of a withdrawal seizure
  ``SZ_K W^WD_N`` (1/h); ``P = 1 - exp(-int h dt)``; onset is the
  hazard-weighted mean time ``int t h dt / int h dt`` (h).

Hazards are integrated with the trapezoidal rule between grid points (the
states at both ends are exact for drives linear over the step), second order
in ``dt`` like the rest of the PD layer; the tests compare with ``solve_ivp``.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from popsim.pd.ethanol import EthanolMM
from popsim.pd.gaba import GabaAdaptation
from popsim.pd.model import PDModel
from popsim.pd.mu import MuReceptor

__all__ = ["Risk"]

_SCORE_PARAMETERS = ("TOL", "FALL_H0", "FALL_BETA", "P_FX", "WD_K", "WD_N", "SZ_K")
_VENT_PARAMETERS = ("EG", "PSI", "VE_HYPOX", "VE_APNOEA")


def _time_below(v0, v1, thr, dt):
    """Time (h) in the step with ``v < thr`` for ``v`` linear from ``v0`` to ``v1``."""
    lo, hi = jnp.minimum(v0, v1), jnp.maximum(v0, v1)
    frac = jnp.clip((thr - lo) / jnp.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    return dt * jnp.where(hi > lo, frac, (v0 < thr).astype(v0.dtype))


@dataclasses.dataclass(frozen=True)
class Risk(PDModel):
    """GABA-A (and optionally mu) receptor states plus the risk-score integrals (module docstring)."""

    gaba: GabaAdaptation
    mu: MuReceptor | None = None
    ethanol: EthanolMM | None = None

    def __post_init__(self):
        if (self.ethanol is not None) != ("ethanol" in self.gaba.sites):
            raise ValueError("with an ethanol model, the GABA-A sites include 'ethanol' (and only then)")

    @property
    def _n_mu(self) -> int:
        return self.mu.n_states if self.mu is not None else 0

    @property
    def _n_eth(self) -> int:
        return self.ethanol.n_states if self.ethanol is not None else 0

    @property
    def parameters(self) -> tuple[str, ...]:
        out = self.gaba.parameters + _SCORE_PARAMETERS + _VENT_PARAMETERS
        if self.mu is not None:
            out += self.mu.parameters + (f"{self.mu.prefix}ALPHA",)
        return out + (self.ethanol.parameters if self.ethanol is not None else ())

    @property
    def inputs(self) -> tuple[str, ...]:
        gaba = tuple(i for i in self.gaba.inputs if i != "ethanol")
        return tuple(dict.fromkeys(gaba + (self.mu.inputs if self.mu is not None else ())
                                   + (self.ethanol.inputs if self.ethanol is not None else ())))

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        out = dict(self.gaba.signals)
        out["sedation"] = ("1", "net GABA-A alpha1 sedation: occupancy minus its tolerated part")
        if self.mu is not None:
            out |= self.mu.signals
        if self.ethanol is not None:
            out |= self.ethanol.signals
        out |= {
            "ventilation": ("1", "minute ventilation as a fraction of baseline"),
            "ventilation_additive": ("1", "ventilation expected without interaction (Bliss independence)"),
            "falls_expected": ("1", "expected number of falls since t = 0"),
            "p_fall": ("1", "probability of at least one fall since t = 0"),
            "p_hip_fracture": ("1", "probability of a hip fracture since t = 0"),
            "p_withdrawal": ("1", "probability of clinically significant withdrawal since t = 0"),
            "p_seizure": ("1", "probability of a withdrawal seizure since t = 0"),
            "withdrawal_cumhaz": ("1", ("cumulative hazard of clinically significant withdrawal since t = 0 "
                                        "(differences give the probability over any period without round-off)")),
            "seizure_cumhaz": ("1", "cumulative hazard of a withdrawal seizure since t = 0"),
            "withdrawal_onset": ("h", "hazard-weighted mean time of withdrawal"),
            "time_hypoxaemia": ("h", "time with ventilation below the hypoxaemia threshold since t = 0"),
            "time_apnoea": ("h", "time with ventilation below the apnoea threshold since t = 0"),
        }
        return out

    @property
    def n_states(self) -> int:
        # gaba | mu | ethanol | clock, fall, withdrawal, seizure, t*withdrawal, hypoxaemia, apnoea
        return self.gaba.n_states + self._n_mu + self._n_eth + 7

    def init(self, p, dtype):
        mu = self.mu.init(p, dtype) if self.mu is not None else []
        eth = self.ethanol.init(p, dtype) if self.ethanol is not None else []
        return self.gaba.init(p, dtype) + mu + eth + [jnp.zeros((), dtype) for _ in range(7)]

    def _split(self, state):
        g, m, e = self.gaba.n_states, self._n_mu, self._n_eth
        return (list(state[:g]), list(state[g : g + m]), list(state[g + m : g + m + e]),
                list(state[g + m + e :]))

    def _with_ethanol(self, eth_state, c, p):
        """The grid concentrations plus the blood ethanol concentration (mg/L) as site ``ethanol``."""
        if self.ethanol is None:
            return c
        return dict(c) | {"ethanol": self.ethanol.values(eth_state, c, p)[0]}

    def _instant(self, g_state, mu_state, c, p):
        """Net sedation, withdrawal mismatch, ventilation and its additive expectation at one time."""
        occ = self.gaba.occupancy(c, p)
        sub = self.gaba.subtypes
        o1, a1 = occ[sub.index("a1")], g_state[sub.index("a1")]
        o2, a2 = occ[sub.index("a2")], g_state[sub.index("a2")]
        sed = jnp.maximum(o1 - p["TOL"] * a1, 0.0)
        mismatch = jnp.maximum(a2 - o2, 0.0)
        d_o = p[f"{self.mu.prefix}ALPHA"] * mu_state[0] if self.mu is not None else jnp.zeros_like(sed)
        gaba_part = 1.0 - p["EG"] * sed
        ve = gaba_part * jnp.maximum(1.0 - d_o * (1.0 + p["PSI"] * sed), 0.0)
        ve_add = gaba_part * jnp.maximum(1.0 - d_o, 0.0)
        return sed, mismatch, ve, ve_add

    def _hazards(self, sed, mismatch, p):
        w = mismatch ** p["WD_N"]
        return p["FALL_H0"] * jnp.exp(p["FALL_BETA"] * sed), p["WD_K"] * w, p["SZ_K"] * w

    def step(self, state, c0, c1, p, dt):
        g, m, e, (clock, hf, hw, hs, thw, thyp, tapn) = self._split(state)
        e1 = self.ethanol.step(e, c0, c1, p, dt) if self.ethanol is not None else []
        c0, c1 = self._with_ethanol(e, c0, p), self._with_ethanol(e1, c1, p)
        g1 = self.gaba.step(g, c0, c1, p, dt)
        m1 = self.mu.step(m, c0, c1, p, dt) if self.mu is not None else []
        sed0, mis0, ve0, _ = self._instant(g, m, c0, p)
        sed1, mis1, ve1, _ = self._instant(g1, m1, c1, p)
        f0, w0, s0 = self._hazards(sed0, mis0, p)
        f1, w1, s1 = self._hazards(sed1, mis1, p)
        half = 0.5 * dt
        return g1 + m1 + e1 + [
            clock + dt,
            hf + half * (f0 + f1),
            hw + half * (w0 + w1),
            hs + half * (s0 + s1),
            thw + half * (clock * w0 + (clock + dt) * w1),
            thyp + _time_below(ve0, ve1, p["VE_HYPOX"], dt),
            tapn + _time_below(ve0, ve1, p["VE_APNOEA"], dt),
        ]

    def values(self, state, c, p):
        g, m, e, (clock, hf, hw, hs, thw, thyp, tapn) = self._split(state)
        c = self._with_ethanol(e, c, p)
        sed, _, ve, ve_add = self._instant(g, m, c, p)
        out = self.gaba.values(g, c, p) + [sed]
        out += self.mu.values(m, c, p) if self.mu is not None else []
        out += self.ethanol.values(e, c, p) if self.ethanol is not None else []
        onset = jnp.where(hw > 0, thw / jnp.where(hw > 0, hw, 1.0), jnp.nan)
        return out + [ve, ve_add, hf, -jnp.expm1(-hf), -jnp.expm1(-p["P_FX"] * hf), -jnp.expm1(-hw),
                      -jnp.expm1(-hs), hw, hs, onset, thyp, tapn]
