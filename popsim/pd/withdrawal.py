"""Withdrawal and withdrawal seizures, driven by the adaptation mismatch (a :class:`popsim.pd.scores.Score`).

With ``W`` the withdrawal mismatch of the :class:`popsim.pd.scores.Drive`
(adapted alpha2 level the current effect no longer supports), the hazards
of clinically significant withdrawal and of a withdrawal seizure are ``WD_K
W^WD_N`` and ``SZ_K W^WD_N`` (1/h); ``P = 1 - exp(-int h dt)``; onset is the
hazard-weighted mean time ``int t h dt / int h dt`` (h).  Hazards are
integrated with the trapezoidal rule between grid points.  Values and
citations in :data:`popsim.pd.constants.PD`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.model import Scalar
from popsim.pd.scores import Score

__all__ = ["Withdrawal", "WithdrawalState"]


class WithdrawalState(NamedTuple):
    clock: Scalar  # time since t = 0 (h)
    withdrawal: Scalar  # cumulative hazard of clinically significant withdrawal
    seizure: Scalar  # cumulative hazard of a withdrawal seizure
    weighted: Scalar  # int t h_withdrawal dt (h), for the onset


@dataclasses.dataclass(frozen=True)
class Withdrawal(Score):
    """P(withdrawal), P(seizure), their cumulative hazards and the withdrawal onset (module docstring)."""

    parameters = ("WD_K", "WD_N", "SZ_K")

    cumulative = {
        "p_withdrawal": ("1", "probability of clinically significant withdrawal since t = 0"),
        "p_seizure": ("1", "probability of a withdrawal seizure since t = 0"),
        "withdrawal_cumhaz": ("1", ("cumulative hazard of clinically significant withdrawal since t = 0 "
                                    "(differences give the probability over any period without round-off)")),
        "seizure_cumhaz": ("1", "cumulative hazard of a withdrawal seizure since t = 0"),
        "withdrawal_onset": ("h", "hazard-weighted mean time of withdrawal"),
    }

    def init(self, p, dtype) -> WithdrawalState:
        return WithdrawalState(*[jnp.zeros((), dtype) for _ in WithdrawalState._fields])

    def hazards(self, d, p) -> tuple[Scalar, Scalar]:
        """Hazards (1/h) of withdrawal and of a seizure at one time."""
        w = d.mismatch ** p["WD_N"]
        return p["WD_K"] * w, p["SZ_K"] * w

    def step(self, state, d0, d1, p, dt) -> WithdrawalState:
        clock, hw, hs, thw = state
        w0, s0 = self.hazards(d0, p)
        w1, s1 = self.hazards(d1, p)
        half = 0.5 * dt
        return WithdrawalState(clock + dt, hw + half * (w0 + w1), hs + half * (s0 + s1),
                               thw + half * (clock * w0 + (clock + dt) * w1))

    def values(self, state, d, p) -> dict[str, Scalar]:
        hw, hs, thw = state.withdrawal, state.seizure, state.weighted
        onset = jnp.where(hw > 0, thw / jnp.where(hw > 0, hw, 1.0), jnp.nan)
        return {"p_withdrawal": -jnp.expm1(-hw), "p_seizure": -jnp.expm1(-hs), "withdrawal_cumhaz": hw,
                "seizure_cumhaz": hs, "withdrawal_onset": onset}
