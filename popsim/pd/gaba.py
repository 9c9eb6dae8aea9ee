"""GABA-A occupancy per receptor subtype and neuroadaptation (tolerance and withdrawal drive)."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from popsim.pd.model import PDModel, Scalar

__all__ = ["GabaAdaptation", "relaxation"]


def relaxation(a0: Scalar, u0: Scalar, u1: Scalar, k: Scalar, dt: float) -> Scalar:
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

    @property
    def n_states(self) -> int:
        return len(self.subtypes)

    def init(self, p, dtype) -> list[Scalar]:
        return [jnp.zeros((), dtype) for _ in self.subtypes]

    def step(self, state, c0, c1, p, dt):
        occ0, occ1 = self._occupancy(c0[self.site], p), self._occupancy(c1[self.site], p)
        k = p[f"{self.prefix}KADAPT"]
        return [relaxation(a, u0, u1, k, dt) for a, u0, u1 in zip(state, occ0, occ1)]

    def values(self, state, c, p):
        out = []
        for a, o in zip(state, self._occupancy(c[self.site], p)):
            out += [o, a, jnp.maximum(a - o, 0.0)]
        return out
