"""Falls and hip fractures: hazards that rise with net sedation (a :class:`popsim.pd.scores.Score`).

Fall hazard ``h = FALL_H0 exp(FALL_BETA S)`` (1/h; ``FALL_H0`` the subject's
baseline by age, ``S`` the net sedation of the :class:`popsim.pd.scores.Drive`);
a fall breaks a hip with probability ``P_FX exp(FX_BETA S)`` (``P_FX`` the
subject's probability by age and sex when not sedated; ``FX_BETA``: a sedated
faller protects the hip less), so the hip-fracture hazard is ``h P_FX
exp(FX_BETA S)`` and fracture and fall rate ratios differ.  Expected falls
``H_f = int h dt``, expected fractures ``H_x``; ``P(fall) = 1 - exp(-H_f)``,
``P(hip fracture) = 1 - exp(-H_x)``.  The hazards are integrated with the
trapezoidal rule between grid points.  Values and citations in
:data:`popsim.pd.constants.PD`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.model import Scalar
from popsim.pd.scores import Score

__all__ = ["Falls", "FallsState"]


class FallsState(NamedTuple):
    expected: Scalar  # cumulative fall hazard since t = 0 (expected number of falls)
    fractures: Scalar  # cumulative hip-fracture hazard since t = 0 (expected number of hip fractures)


@dataclasses.dataclass(frozen=True)
class Falls(Score):
    """Expected falls, P(fall) and P(hip fracture) since t = 0 (module docstring)."""

    parameters = ("FALL_H0", "FALL_BETA", "P_FX", "FX_BETA")

    cumulative = {
        "falls_expected": ("1", "expected number of falls since t = 0"),
        "fractures_expected": ("1", "expected number of hip fractures since t = 0"),
        "p_fall": ("1", "probability of at least one fall since t = 0"),
        "p_hip_fracture": ("1", "probability of a hip fracture since t = 0"),
    }

    def init(self, p, dtype) -> FallsState:
        return FallsState(jnp.zeros((), dtype), jnp.zeros((), dtype))

    def hazards(self, d, p) -> tuple[Scalar, Scalar]:
        """Fall and hip-fracture hazards (1/h) at one time."""
        fall = p["FALL_H0"] * jnp.exp(p["FALL_BETA"] * d.sedation)
        return fall, fall * p["P_FX"] * jnp.exp(p["FX_BETA"] * d.sedation)

    def step(self, state, d0, d1, p, dt) -> FallsState:
        (f0, x0), (f1, x1) = self.hazards(d0, p), self.hazards(d1, p)
        half = 0.5 * dt
        return FallsState(state.expected + half * (f0 + f1), state.fractures + half * (x0 + x1))

    def values(self, state, d, p) -> dict[str, Scalar]:
        hf, hx = state.expected, state.fractures
        return {"falls_expected": hf, "fractures_expected": hx, "p_fall": -jnp.expm1(-hf),
                "p_hip_fracture": -jnp.expm1(-hx)}
