"""Respiratory depression: ventilation and time below two thresholds (a :class:`popsim.pd.scores.Score`).

Ventilation as a fraction of baseline, from the net sedation ``S`` and the
opioid drive ``O_ALPHA R`` of the :class:`popsim.pd.scores.Drive`: ``VE = (1 -
EG S) max(1 - O_ALPHA R (1 + PSI S), 0)``.  The opioid term is
Yassen's/Olofsen's ``1 - alpha R`` (C5, C9, C17); ``EG S`` is the GABA-A part;
``PSI`` scales the opioid depression up with sedation (the interaction, an
assumption: no benzodiazepine-opioid ventilation surface is published, C46),
and ``PSI = 0`` is Bliss independence, reported as ``ventilation_additive`` so
that the synergy index is ``(1 - VE) / (1 - VE_additive)``.  Naloxone lowers
``R`` only, so it removes the opioid part and leaves ``1 - EG S``.  Time with
``VE`` below ``VE_HYPOX`` (hypoxaemia) and ``VE_APNOEA`` (apnoea) is
accumulated, exactly for ``VE`` linear over a step.  Values and citations in
:data:`popsim.pd.constants.PD`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.model import Scalar
from popsim.pd.scores import Score, time_below

__all__ = ["Ventilation", "VentilationState"]


class VentilationState(NamedTuple):
    hypoxaemia: Scalar  # time with VE < VE_HYPOX since t = 0 (h)
    apnoea: Scalar  # time with VE < VE_APNOEA since t = 0 (h)


@dataclasses.dataclass(frozen=True)
class Ventilation(Score):
    """Ventilation, its additive expectation and the time below the hypoxaemia and apnoea thresholds."""

    parameters = ("EG", "PSI", "VE_HYPOX", "VE_APNOEA")

    instant = {
        "ventilation": ("1", "minute ventilation as a fraction of baseline"),
        "ventilation_additive": ("1", "ventilation expected without interaction (Bliss independence)"),
    }

    cumulative = {
        "time_hypoxaemia": ("h", "time with ventilation below the hypoxaemia threshold since t = 0"),
        "time_apnoea": ("h", "time with ventilation below the apnoea threshold since t = 0"),
    }

    def init(self, p, dtype) -> VentilationState:
        return VentilationState(jnp.zeros((), dtype), jnp.zeros((), dtype))

    def ventilation(self, d, p) -> tuple[Scalar, Scalar]:
        """Ventilation and its additive (Bliss) expectation at one time."""
        gaba_part = 1.0 - p["EG"] * d.sedation
        opioid = p["O_ALPHA"] * d.mu_bound if "O_ALPHA" in p else jnp.zeros_like(d.mu_bound)
        ve = gaba_part * jnp.maximum(1.0 - opioid * (1.0 + p["PSI"] * d.sedation), 0.0)
        return ve, gaba_part * jnp.maximum(1.0 - opioid, 0.0)

    def step(self, state, d0, d1, p, dt) -> VentilationState:
        (ve0, _), (ve1, _) = self.ventilation(d0, p), self.ventilation(d1, p)
        return VentilationState(state.hypoxaemia + time_below(ve0, ve1, p["VE_HYPOX"], dt),
                                state.apnoea + time_below(ve0, ve1, p["VE_APNOEA"], dt))

    def values(self, state, d, p) -> dict[str, Scalar]:
        ve, ve_add = self.ventilation(d, p)
        return {"ventilation": ve, "ventilation_additive": ve_add, "time_hypoxaemia": state.hypoxaemia,
                "time_apnoea": state.apnoea}
