"""PD models driven by the grid's concentrations, stepped inside the same time loop as the PK.

A :class:`PDModel` is static (hashable, part of the :class:`popsim.pk.grid.GridSpec`)
and works on scalars for one subject.  Each grid step ``[t_k, t_{k+1})`` it
receives the output concentrations at both ends of the step (the right limit
after any dose at ``t_k`` and the left limit at ``t_{k+1}``) and advances its
own states; the signals it reports at ``t_k`` are functions of the states and
of the concentrations at ``t_k`` (left limits, like the concentrations).  Signals are
summarised per window (max, min, grid mean, value at the window end) and kept
as trajectories when the grid saves them.

How a state is advanced is the model's business and is stated per model:
exactly where the ODE allows it given a piecewise-linear drive, otherwise by
a documented integrator; every model is tested against ``solve_ivp`` of the
joint PK-PD system.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Mapping, Sequence

import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["GabaAdaptation", "PDModel"]

Scalar = Float[Array, ""]


class PDModel(abc.ABC):
    """Interface of an on-line PD model (subclasses are frozen dataclasses)."""

    @property
    @abc.abstractmethod
    def parameters(self) -> tuple[str, ...]:
        """Names read from the subject's parameter dict."""

    @property
    @abc.abstractmethod
    def inputs(self) -> tuple[str, ...]:
        """Grid outputs (compartment names) whose concentrations drive the model."""

    @property
    @abc.abstractmethod
    def signals(self) -> dict[str, tuple[str, str]]:
        """Reported signals: name -> (units, long_name), in output order."""

    @abc.abstractmethod
    def init(self, p: Mapping[str, Scalar], dtype) -> list[Scalar]:
        """States at t = 0."""

    @abc.abstractmethod
    def step(self, state: Sequence[Scalar], c0: Mapping[str, Scalar], c1: Mapping[str, Scalar],
             p: Mapping[str, Scalar], dt: float) -> list[Scalar]:
        """States at the end of one grid step.

        ``c0``/``c1``: output concentrations (mg/L) at the start (right limit,
        after a dose given then) and at the end (left limit) of the step.
        """

    @abc.abstractmethod
    def values(self, state: Sequence[Scalar], c: Mapping[str, Scalar], p: Mapping[str, Scalar]) -> list[Scalar]:
        """Signals (in :attr:`signals` order) from the states and concentrations at one time."""


def _relaxation(a0: Scalar, u0: Scalar, u1: Scalar, k: Scalar, dt: float) -> Scalar:
    """Exact ``A(dt)`` for ``dA/dt = k (u(t) - A)`` with ``u`` linear from ``u0`` to ``u1``.

    ``A(dt) = E a0 + (1 - E) u0 + (u1 - u0) (1 - (1 - E)/(k dt))`` with
    ``E = exp(-k dt)``, written with ``expm1`` so that slow adaptation
    (``k dt`` -> 0) keeps its precision.
    """
    x = k * dt
    one_minus_e = -jnp.expm1(-x)
    ramp = 1.0 - jnp.where(x > 1e-6, one_minus_e / jnp.where(x > 1e-6, x, 1.0), 1.0 - x / 2)
    return (1.0 - one_minus_e) * a0 + one_minus_e * u0 + (u1 - u0) * ramp


@dataclasses.dataclass(frozen=True)
class GabaAdaptation(PDModel):
    """GABA-A occupancy per receptor subtype and a slow adaptation state that follows it.

    Driver: the concentration of output ``site`` (an effect compartment, mg/L).
    Occupancy of subtype ``s``: ``occ_s = C / (C + EC50_s)`` (parameters
    ``{prefix}EC50_{s}``, mg/L).  Adaptation (neuroadaptation: receptor
    down-regulation, tolerance) relaxes towards occupancy with rate
    ``{prefix}KADAPT`` (1/h): ``dA_s/dt = KADAPT (occ_s - A_s)``, solved
    exactly with occupancy taken linear over each grid step (the only
    approximation; its error is O(dt^2) in the drive and is measured in the
    tests).  The withdrawal drive is ``max(A_s - occ_s, 0)``: the adapted level
    the current occupancy no longer supports.
    """

    site: str = "effect"
    subtypes: tuple[str, ...] = ("a1", "a2")
    prefix: str = ""

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}EC50_{s}" for s in self.subtypes) + (f"{self.prefix}KADAPT",)

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.site,)

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        out = {}
        for s in self.subtypes:
            out[f"occupancy_{s}"] = ("1", f"GABA-A {s} receptor occupancy (fraction)")
            out[f"adaptation_{s}"] = ("1", f"GABA-A {s} adaptation state (occupancy the brain has adapted to)")
            out[f"withdrawal_drive_{s}"] = ("1", f"GABA-A {s} withdrawal drive max(adaptation - occupancy, 0)")
        return out

    def _occupancy(self, c: Scalar, p) -> list[Scalar]:
        c = jnp.maximum(c, 0.0)
        return [c / (c + p[f"{self.prefix}EC50_{s}"]) for s in self.subtypes]

    def init(self, p, dtype) -> list[Scalar]:
        return [jnp.zeros((), dtype) for _ in self.subtypes]

    def step(self, state, c0, c1, p, dt):
        occ0, occ1 = self._occupancy(c0[self.site], p), self._occupancy(c1[self.site], p)
        k = p[f"{self.prefix}KADAPT"]
        return [_relaxation(a, u0, u1, k, dt) for a, u0, u1 in zip(state, occ0, occ1)]

    def values(self, state, c, p):
        out = []
        for a, o in zip(state, self._occupancy(c[self.site], p)):
            out += [o, a, jnp.maximum(a - o, 0.0)]
        return out
