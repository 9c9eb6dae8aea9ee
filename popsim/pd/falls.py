"""Falls and hip fractures: a hazard that rises with net sedation (a :class:`popsim.pd.scores.Score`).

Hazard ``FALL_H0 exp(FALL_BETA S)`` (1/h; ``FALL_H0`` the subject's baseline by
age, ``S`` the net sedation of the :class:`popsim.pd.scores.Drive`); expected
falls ``H_f = int h dt``, ``P(fall) = 1 - exp(-H_f)`` and ``P(hip fracture) =
1 - exp(-P_FX H_f)``.  The hazard is integrated with the trapezoidal rule
between grid points.  Values and citations in :data:`popsim.pd.constants.PD`.
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


@dataclasses.dataclass(frozen=True)
class Falls(Score):
    """Expected falls, P(fall) and P(hip fracture) since t = 0 (module docstring)."""

    parameters = ("FALL_H0", "FALL_BETA", "P_FX")

    cumulative = {
        "falls_expected": ("1", "expected number of falls since t = 0"),
        "p_fall": ("1", "probability of at least one fall since t = 0"),
        "p_hip_fracture": ("1", "probability of a hip fracture since t = 0"),
    }

    def init(self, p, dtype) -> FallsState:
        return FallsState(jnp.zeros((), dtype))

    def hazard(self, d, p) -> Scalar:
        """Fall hazard (1/h) at one time."""
        return p["FALL_H0"] * jnp.exp(p["FALL_BETA"] * d.sedation)

    def step(self, state, d0, d1, p, dt) -> FallsState:
        half = 0.5 * dt
        return FallsState(state.expected + half * (self.hazard(d0, p) + self.hazard(d1, p)))

    def values(self, state, d, p) -> dict[str, Scalar]:
        hf = state.expected
        return {"falls_expected": hf, "p_fall": -jnp.expm1(-hf), "p_hip_fracture": -jnp.expm1(-p["P_FX"] * hf)}
