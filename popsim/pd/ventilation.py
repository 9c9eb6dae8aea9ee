"""Respiratory depression v3: chemoreflex and wakefulness drives, airway obstruction as a limit, CO2 feedback, SpO2.

A :class:`popsim.pd.scores.Score`.  Values and citations of every constant in
:data:`popsim.pd.constants.PD` (literature.md rows in brackets).

**Drug effects on the drive at clamped CO2.**  With ``R`` the fraction of mu
receptors bound by the opioid and ``x = R / (1 - R)``::

    E_o = O_ALPHA x^n / (x^n + K^n),   n = O_HILL,   K = O_TOL / (1 + PSI E_b)

At binding equilibrium with naloxone competing, ``R = (C/KD) / (1 + C/KD +
Cn/KDn)`` and ``1 - R = (1 + Cn/KDn) / (1 + C/KD + Cn/KDn)``, so ``x = (C/KD) /
(1 + Cn/KDn)``; with ``KD = koff/kon = EC50`` and ``KDn = EC50,nal`` (how the
library derives fentanyl's and naloxone's kon), ``O_TOL = 1`` and ``PSI = 0``
this is Yassen 2007's ``alpha Ce^n / (Ce^n + (EC50 (1 + Cnal/EC50nal))^n)``
(C9), and with ``n = 1`` Olofsen's ``alpha R`` (C5, C17), since ``x / (1 + x) =
R``.  It is computed as ``R^n / (R^n + (K (1 - R))^n)`` (no division by ``1 -
R``).  ``O_TOL`` multiplies the C50: 1 opioid-naive, ``opioid_tolerance_c50_ratio``
for chronic users (G84).  The GABA-A effect is that of the operational model on
the alpha1 stimulus ``S`` (:class:`popsim.pd.scores.Drive`) with a respiratory
transducer gain: ``E_b = EB_MAX G_RESP S / (1 + G_RESP S)``.  The interaction is
a potency shift: the opioid's C50 is divided by ``1 + PSI E_b``; ``PSI = 0`` is
Bliss independence on the clamped chemoreflex drive, ``D = (1 - E_o)(1 - E_b)``.

**Two drives** (Mann 2022's structure, C36: a chemoreflex drive and a CO2-independent wakefulness drive,
both depressed by the opioid).  With ``f = x^n / (x^n + K^n)`` the opioid's normalised effect (``E_o =
O_ALPHA f``) and ``h`` the hypnotic effect::

    chemoreflex  C = D F (Pe - PT)+ / P0,      D = (1 - E_o)(1 - E_b),   PT = P0 (1 - (1 - W_FRAC) / F)
    wakefulness  W = W_FRAC (1 - h) (1 - f)^W_OPI
    drive        VE_d / VE0 = W + C

At rest (``Pe = P0``, no drug) ``C = 1 - W_FRAC`` and ``W = W_FRAC``, so ``VE_d = 1`` and the slope at rest is
Bouillon's ``F / P0`` (G86); below the apnoeic threshold ``PT`` the chemoreflex is silent, so a subject who has
lost the wakefulness drive (hypnosis, opioid) stops breathing until CO2 rises above ``PT``.

**Hypnosis.**  ``H = S' / (S' + HYP_THETA)`` is the hypnosis endpoint of :mod:`popsim.pd.potency` (asleep,
Ramsay >= 4, G13, from ``H = 0.5``; ``HYP_THETA`` its fitted threshold), output as ``hypnosis``.  Women need a
higher concentration for it (Masuda 1995, G83): ``S' = X S / (1 - (1 - X) S)`` is the stimulus at ``X`` times
every agonist's concentration (exact for full agonists, ``S = sum occ``, with or without flumazenil), ``X = HYP_X``
1 in men and ``airway_female_ratio`` in women.  Wakefulness and the airway are lost with sleep, on the
concentration scale of the same endpoint: with ``u = S'/(1 - S')`` (the agonists' concentrations over their KDs,
shifted by flumazenil) and ``u_T = HYP_THETA/(1 - HYP_THETA)``::

    h = u^m / (u^m + u_T^m),    m = SLEEP_HILL

``h`` is 1/2 at the threshold of sleep, ~1 well beyond it and ~0 when awake.  ``m`` 4 puts 10% and 90% of the
loss at the concentrations of Ramsay >= 3 and >= 5 (Barr 2001, G13: midazolam 101 and 304 ng/mL around 208 for
Ramsay >= 4; an assumption on that reading).  With ``W_FRAC`` 0.94 the apnoeic threshold ``PT`` lies only 0.6
mmHg below ``P0`` (in sleep it is usually a few mmHg below eupnoea, not in literature.md).

**Airway obstruction** at loss of consciousness (G83) limits the ventilation achieved, whatever the effort::

    VE / VE0 = min(VE_d / VE0, L),    L = VE_CAP (1 - AW_MAX h)

``VE_CAP`` is the largest ventilation (x resting) of a patent airway; a rising CO2 drive does not pass an
obstruction (v2 scaled the drive by ``1 - AW_MAX H``, which the CO2 feedback then compensated).

**CO2 feedback** (Bouillon 2003's indirect-response model, G86; the equations are recalled, the constants
read), with ``P`` the arterial and ``Pe`` the chemoreceptor ("effect-site") PaCO2, ``P0 = PACO2_0``::

    dP/dt    = CO2_KEL (P0 - P VE/VE0)      (production constant, elimination ~ ventilation x PaCO2)
    dPe/dt   = CO2_KE0 (P - Pe)             (the chemoreflex delay is kept)

At steady state ``VE/VE0 = P0/P``: unobstructed, ``u = P/P0`` solves ``F D u^2 + (W - F D T) u - 1 = 0`` with
``T = PT/P0``; capped, ``u = 1/L``.  A full agonist's ``f`` -> 1 removes ``W``; ``D`` keeps ``1 - O_ALPHA`` of
the chemoreflex (0.09 for fentanyl), so ventilation falls to ``VE_d ~ 0`` at ``Pe ~ P0`` (apnoea) and comes back
only once CO2 has risen well above the threshold (minutes at ``CO2_KEL P0`` ~ 3.4 mmHg/min), with hypoxaemia.

**Oxygenation**: ``PaO2 = PIO2 - P / RQ - AA_GRAD`` (the simplified alveolar gas
equation on room air at sea level, quasi-steady: the lungs' O2 store is not
modelled, so desaturation during an apnoea is slower than in life) and ``SpO2``
from Severinghaus 1979's dissociation curve ``1 / (23400 / (PO2^3 + 150 PO2) +
1)``.

Signals: ``ventilation`` (VE/VE0), ``ventilation_additive`` (the same system
integrated with ``PSI = 0``: two more states, so the synergy index ``(1 - VE) /
(1 - VE_additive)`` compares full simulations), ``paco2``, ``spo2``, and the
time with ``SpO2 < 0.90`` (hypoxaemia, C39) and with ``VE/VE0 < VE_APNOEA``
(apnoea; the experiments count an apnoea when it lasts >= 15 s, C39), each
accumulated exactly for the signal linear over a substep.

**Integration.**  The drive (``S``, ``R``) is linear between grid points.  The
CO2 system is stiff at coarse grids (``CO2_KE0`` is 55/h), so each grid step is
split into ``substeps`` of the second-order L-stable Rosenbrock method ROS2
(Verwer 1999, gamma = 1 + 1/sqrt 2; a W-method, so second order with the time
held out of the Jacobian): accurate at dt of minutes and stable, tending to the
quasi-steady state, at dt of hours.  Error against ``solve_ivp``:
``tests/reference/test_ventilation_v2.py``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.constants import PD
from popsim.pd.model import Scalar
from popsim.pd.scores import Score, time_below

__all__ = ["Ventilation", "VentilationState", "severinghaus"]

PIO2 = PD["inspired_po2"].value  # mmHg, room air at sea level
RQ = PD["respiratory_quotient"].value
HYPOXAEMIA_SPO2 = 0.90  # SpO2 below which a subject is hypoxaemic (Bailey 1990, C39)
_GAMMA = 1.0 + 1.0 / math.sqrt(2.0)  # ROS2


def severinghaus(po2):
    """Haemoglobin O2 saturation (fraction) at ``po2`` mmHg (Severinghaus 1979; 0 at and below 0 mmHg)."""
    x = jnp.maximum(po2, 0.0)
    a = x * (x * x + 150.0)
    return a / (a + 23400.0)


class VentilationState(NamedTuple):
    paco2: Scalar  # (2,) arterial PaCO2 (mmHg): with the interaction, and with PSI = 0
    paco2_e: Scalar  # (2,) PaCO2 at the chemoreceptors (mmHg), same order
    hypoxaemia: Scalar  # time with SpO2 < 0.90 since t = 0 (h)
    apnoea: Scalar  # time with VE/VE0 < VE_APNOEA since t = 0 (h)


@dataclasses.dataclass(frozen=True)
class Ventilation(Score):
    """Ventilation with CO2 feedback, PaCO2, SpO2 and the time hypoxaemic and apnoeic (module docstring).

    The opioid's ``O_ALPHA``, ``O_HILL``, ``O_TOL`` are read when present (the Risk model has a mu receptor).
    """

    substeps: int = 4

    parameters = ("EB_MAX", "G_RESP", "HYP_THETA", "HYP_X", "SLEEP_HILL", "AW_MAX", "PSI", "CO2_F", "CO2_KEL",
                  "CO2_KE0", "PACO2_0", "AA_GRAD", "VE_APNOEA", "W_FRAC", "W_OPI", "VE_CAP")

    instant = {
        "ventilation": ("1", "minute ventilation reaching the alveoli as a fraction of baseline"),
        "ventilation_additive": ("1", "ventilation of the same model without interaction (PSI = 0)"),
        "paco2": ("mmHg", "arterial CO2 tension"),
        "spo2": ("1", "arterial O2 saturation (room air)"),
        "hypnosis": ("1", "hypnosis endpoint effect (asleep, Ramsay >= 4, from 0.5; women at airway_female_ratio "
                          "times the concentrations)"),
    }

    cumulative = {
        "time_hypoxaemia": ("h", "time with SpO2 below 0.90 since t = 0"),
        "time_apnoea": ("h", "time with ventilation below the apnoea threshold since t = 0"),
    }

    def __post_init__(self):
        if not 1 <= self.substeps <= 256:
            raise ValueError(f"Ventilation substeps={self.substeps!r}; allowed: 1 to 256")

    def drives(self, s, r, p):
        """``(D, W, L)``, each shape (2,) (with the interaction, with PSI = 0): the chemoreflex factor, the
        wakefulness drive ``W_FRAC (1 - h)(1 - f)^W_OPI`` and the airway's limit ``VE_CAP (1 - AW_MAX h)``."""
        g = p["G_RESP"] * s
        eb = p["EB_MAX"] * g / (1.0 + g)
        hyp = self.sleep(s, p)
        cap = p["VE_CAP"] * (1.0 - p["AW_MAX"] * hyp)
        awake = p["W_FRAC"] * (1.0 - hyp)
        d = 1.0 - eb
        if "O_ALPHA" not in p:
            return jnp.stack([d, d]), jnp.stack([awake, awake]), jnp.stack([cap, cap])
        r = jnp.clip(r, 0.0, 1.0)
        n = p["O_HILL"]
        k = p["O_TOL"] / (1.0 + jnp.stack([p["PSI"], jnp.zeros_like(p["PSI"])]) * eb)
        rn, qn = r**n, (k * (1.0 - r)) ** n
        den = rn + qn  # > 0: R = 0 gives K^n, K > 0
        eo = p["O_ALPHA"] * rn / den
        return (1.0 - eo) * d, awake * (qn / den) ** p["W_OPI"], jnp.stack([cap, cap])

    @staticmethod
    def scaled_stimulus(s, p):
        """``S' = X S / (1 - (1 - X) S)``, the stimulus at ``X = HYP_X`` times every agonist's concentration (exact
        for full agonists, ``S = sum occ``, with or without flumazenil), ``X`` 1 in men and
        ``airway_female_ratio`` in women (G83).  Ethanol's own site adds to ``S``: the scaling then acts on the
        sum (approximate: occupancy 0.5 plus ethanol 0.3 gives 0.740 at X = 0.71 against 0.649 with the agonists
        alone scaled), and above ``S = 1`` ``S' = S`` (no sex difference)."""
        x, s = p["HYP_X"], jnp.maximum(s, 0.0)
        return x * s / (1.0 - (1.0 - x) * jnp.minimum(s, 1.0))

    @classmethod
    def hypnosis(cls, s, p):
        """The hypnosis endpoint's effect ``H = S' / (S' + HYP_THETA)`` (asleep, Ramsay >= 4, from 0.5)."""
        sx = cls.scaled_stimulus(s, p)
        return sx / (sx + p["HYP_THETA"])

    @classmethod
    def sleep(cls, s, p):
        """The loss of wakefulness (and of airway tone) ``h = u^m / (u^m + u_T^m)``, ``m = SLEEP_HILL``, on the
        concentration scale of the hypnosis endpoint: ``u = S' / (1 - S')`` (the agonists' concentrations over
        their KDs, shifted by any flumazenil) and ``u_T = HYP_THETA / (1 - HYP_THETA)`` (sleep, Ramsay >= 4), so
        ``h`` is 1/2 where ``hypnosis`` is 1/2 and tends to 1 at full occupancy."""
        sx = cls.scaled_stimulus(s, p)
        a = (sx * (1.0 - p["HYP_THETA"])) ** p["SLEEP_HILL"]
        b = (p["HYP_THETA"] * jnp.maximum(1.0 - sx, 0.0)) ** p["SLEEP_HILL"]
        return a / (a + b)

    def init(self, p, dtype) -> VentilationState:
        p0 = jnp.full((2,), p["PACO2_0"], dtype)
        return VentilationState(p0, p0, jnp.zeros((), dtype), jnp.zeros((), dtype))

    @staticmethod
    def threshold(p):
        """Apnoeic threshold ``PT = P0 (1 - (1 - W_FRAC)/F)`` (mmHg): the chemoreflex carries ``1 - W_FRAC`` of
        the resting ventilation with Bouillon's slope ``F/P0`` at rest."""
        return p["PACO2_0"] * (1.0 - (1.0 - p["W_FRAC"]) / p["CO2_F"])

    def _ve_and_slope(self, drv, pe, p):
        """VE/VE0 and d(VE/VE0)/dPe for the drives ``drv`` at the chemoreceptor PaCO2 ``pe``."""
        d, w, cap = drv
        gain, above = d * p["CO2_F"] / p["PACO2_0"], pe - self.threshold(p)
        drive = w + gain * jnp.maximum(above, 0.0)
        free = drive < cap
        return jnp.where(free, drive, cap), jnp.where(free & (above > 0.0), gain, 0.0)

    def _ve(self, drv, pe, p):
        return self._ve_and_slope(drv, pe, p)[0]

    def _rates(self, pa, pe, drv, p):
        return p["CO2_KEL"] * (p["PACO2_0"] - pa * self._ve(drv, pe, p)), p["CO2_KE0"] * (pa - pe)

    def _ros2(self, pa, pe, d0, d1, p, h):
        """One ROS2 step of length ``h`` with the drives ``d0`` at its start and ``d1`` at its end."""
        kel, ke0 = p["CO2_KEL"], p["CO2_KE0"]
        ve, dve = self._ve_and_slope(d0, pe, p)
        gh = _GAMMA * h
        m11, m12, m21, m22 = 1.0 + gh * kel * ve, gh * kel * pa * dve, -gh * ke0, 1.0 + gh * ke0  # I - gamma h J
        det = m11 * m22 - m12 * m21

        def solve(a, b):
            return (m22 * a - m12 * b) / det, (m11 * b - m21 * a) / det

        k1 = solve(*self._rates(pa, pe, d0, p))
        r2 = self._rates(pa + h * k1[0], pe + h * k1[1], d1, p)
        k2 = solve(r2[0] - 2.0 * k1[0], r2[1] - 2.0 * k1[1])
        return pa + h * (1.5 * k1[0] + 0.5 * k2[0]), pe + h * (1.5 * k1[1] + 0.5 * k2[1])

    def _signals(self, pa, pe, drv, p):
        """(VE/VE0, SpO2) of the interaction branch."""
        return self._ve(drv, pe, p)[0], severinghaus(PIO2 - pa[0] / RQ - p["AA_GRAD"])

    def step(self, state, d0, d1, p, dt) -> VentilationState:
        h = dt / self.substeps
        pa, pe, hyp, apn = state
        s0, r0 = d0.stimulus, d0.mu_bound
        ds, dr = d1.stimulus - s0, d1.mu_bound - r0
        drv = self.drives(s0, r0, p)
        ve, spo2 = self._signals(pa, pe, drv, p)
        for k in range(self.substeps):
            f = (k + 1) / self.substeps
            drv1 = self.drives(s0 + f * ds, r0 + f * dr, p)
            pa, pe = self._ros2(pa, pe, drv, drv1, p, h)
            ve1, spo21 = self._signals(pa, pe, drv1, p)
            hyp = hyp + time_below(spo2, spo21, HYPOXAEMIA_SPO2, h)
            apn = apn + time_below(ve, ve1, p["VE_APNOEA"], h)
            drv, ve, spo2 = drv1, ve1, spo21
        return VentilationState(pa, pe, hyp, apn)

    def values(self, state, d, p) -> dict[str, Scalar]:
        ve = self._ve(self.drives(d.stimulus, d.mu_bound, p), state.paco2_e, p)  # (2,): as interacting, additive
        spo2 = severinghaus(PIO2 - state.paco2[0] / RQ - p["AA_GRAD"])
        return {"ventilation": ve[0], "ventilation_additive": ve[1],
                "paco2": state.paco2[0], "spo2": spo2, "hypnosis": self.hypnosis(d.stimulus, p),
                "time_hypoxaemia": state.hypoxaemia,
                "time_apnoea": state.apnoea}
