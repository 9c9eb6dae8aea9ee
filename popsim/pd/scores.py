"""The interface of a risk score and the instantaneous quantities the scores share.

A :class:`Score` is a small model inside :class:`popsim.pd.risk.Risk`: static
(a frozen dataclass, hashable), with its own parameters, a ``NamedTuple``
state, ``init``, ``step`` and ``values``.  It is not driven by concentrations
but by the :class:`Drive`, the quantities of the receptor models that every
score reads, computed by :meth:`popsim.pd.risk.Risk.drive` once per time
point.  ``Risk`` steps its scores like ``optax.chain`` its transforms: its
state holds the tuple of the scores' states, in registration order
(:data:`popsim.pd.risk.SCORES`).

A score declares two groups of signals: :attr:`Score.instant` (functions of
the drive at one time, e.g. ventilation) and :attr:`Score.cumulative`
(integrals since t = 0 and what is derived from them, e.g. P(fall)); ``Risk``
reports all the scores' instantaneous signals, then all their cumulative
ones.  The scores here: :class:`popsim.pd.falls.Falls`,
:class:`popsim.pd.withdrawal.Withdrawal`,
:class:`popsim.pd.ventilation.Ventilation`; not in the default list (its
signals assume a seizure ongoing at t = 0), :class:`popsim.pd.seizure.SeizureTermination`.
"""

from __future__ import annotations

import abc
from typing import ClassVar, Mapping, NamedTuple

import jax.numpy as jnp

from popsim.pd.model import Scalar

__all__ = ["Drive", "Score", "time_below"]


class Drive(NamedTuple):
    """The instantaneous quantities of the receptor models that the scores read (one time point).

    With ``E1`` the GABA-A alpha1 effect, ``A1`` its adapted level and ``R`` the fraction of mu receptors
    bound by the opioid.
    """

    sedation: Scalar  # net alpha1 sedation S = max(E1 - TOL A1, 0)
    benzo: Scalar  # GABA-A alpha2 effect of the benzodiazepine-site agonists alone (without ethanol)
    total: Scalar  # GABA-A alpha2 effect, ethanol's site included
    stimulus: Scalar  # GABA-A alpha1 stimulus (acute, before tolerance): an endpoint's effect is a function of it
    mu_bound: Scalar  # R, the fraction of mu receptors bound by the opioid (0 without an opioid)


class Score(abc.ABC):
    """Interface of a risk score (subclasses are frozen dataclasses; module docstring)."""

    parameters: ClassVar[tuple[str, ...]] = ()  # names read from the subject's parameter dict
    # signals that are functions of the drive at one time: name -> (units, long_name), in output order
    instant: ClassVar[dict[str, tuple[str, str]]] = {}
    # signals accumulated since t = 0: name -> (units, long_name), in output order
    cumulative: ClassVar[dict[str, tuple[str, str]]] = {}

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        return self.instant | self.cumulative

    @abc.abstractmethod
    def init(self, p: Mapping[str, Scalar], dtype) -> NamedTuple:
        """State at t = 0."""

    @abc.abstractmethod
    def step(self, state: NamedTuple, d0: Drive, d1: Drive, p: Mapping[str, Scalar], dt: float) -> NamedTuple:
        """State at the end of one grid step, from the drive at its start (right limit) and end (left limit)."""

    @abc.abstractmethod
    def values(self, state: NamedTuple, d: Drive, p: Mapping[str, Scalar]) -> dict[str, Scalar]:
        """Signals by name (the keys of :attr:`signals`) from the state and the drive at one time."""


def time_below(v0: Scalar, v1: Scalar, thr: Scalar, dt: float) -> Scalar:
    """Time (h) in the step with ``v < thr`` for ``v`` linear from ``v0`` to ``v1``."""
    lo, hi = jnp.minimum(v0, v1), jnp.maximum(v0, v1)
    frac = jnp.clip((thr - lo) / jnp.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    return dt * jnp.where(hi > lo, frac, (v0 < thr).astype(v0.dtype))
