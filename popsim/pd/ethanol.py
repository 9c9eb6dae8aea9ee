"""Ethanol: two-compartment distribution with Michaelis-Menten elimination, integrated in the grid loop.

Ethanol's elimination saturates at social-drinking concentrations, so its
disposition is not linear and cannot go through the matrix exponential.  The
absorption stays in the linear grid model: a depot ``gut`` (a compartment
whose "volume" parameter ``E_UNIT`` is fixed at 1 L, so that its
concentration is its amount in mg) empties at rate ``E_KA`` out of the linear
system; this model takes that flux, ``E_KA * A_gut``, as its input (interpolated
geometrically between grid points, which is exact for a draining depot, so
drinks taken at grid times are absorbed exactly) and integrates (Norberg 2000,
literature.md D1-D3)::

    dA_c/dt = E_KA A_gut - VMAX C_c / (KM + C_c) - CLD (C_c - C_t)
    dA_t/dt = CLD (C_c - C_t),   C_c = A_c / VC,  C_t = A_t / VT

with the classical fourth-order Runge-Kutta method on ``substeps`` per grid
step (the elimination rate at low concentration, VMAX/(KM VC) ~ 15/h, sets
the step: RK4 needs ``15 h`` well below 2.8).  Parameters (mg, L, h):
``E_KA``, ``VMAX`` (mg/h), ``KM`` (mg/L), ``CLD`` (L/h), ``VC``, ``VT`` (L).
Signal: the central (blood) ethanol concentration in mg/L (1 g/L = 0.1 g/dL).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.model import PDModel, Scalar
from popsim.pk.model import Compartment, Flow, LinearModel

__all__ = ["EthanolMM", "EthanolState", "ethanol_gut"]


class EthanolState(NamedTuple):
    """State of :class:`EthanolMM`: ethanol amounts (mg) in the central and peripheral compartments."""

    central: Scalar
    peripheral: Scalar


def ethanol_gut() -> LinearModel:
    """The linear part: the gut depot ``gut`` emptying at ``E_KA`` (use channel ``gut``, output ``gut``)."""
    return LinearModel((Compartment("gut", "E_UNIT"),), (Flow("gut", None, "E_KA"),))


@dataclasses.dataclass(frozen=True)
class EthanolMM(PDModel):
    """Nonlinear ethanol disposition driven by absorption from the linear depot ``site``."""

    site: str = "gut"
    substeps: int = 16

    def __post_init__(self):
        if not 1 <= self.substeps <= 1024:
            raise ValueError(f"EthanolMM substeps={self.substeps!r}; allowed: 1 to 1024")

    @property
    def parameters(self) -> tuple[str, ...]:
        return ("E_KA", "VMAX", "KM", "CLD", "VC", "VT")

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.site,)

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        return {"ethanol": ("mg L-1", "blood ethanol concentration (central compartment)")}

    def init(self, p, dtype) -> EthanolState:
        return EthanolState(jnp.zeros((), dtype), jnp.zeros((), dtype))

    def _rates(self, a, flux, p):
        cc, ct = a[0] / p["VC"], a[1] / p["VT"]
        elim = p["VMAX"] * cc / (p["KM"] + cc)
        dist = p["CLD"] * (cc - ct)
        return [flux - elim - dist, dist]

    def step(self, state, c0, c1, p, dt) -> EthanolState:
        h = dt / self.substeps
        f0, f1 = p["E_KA"] * c0[self.site], p["E_KA"] * c1[self.site]
        # A drained depot decays exponentially within a step, so the flux is interpolated
        # geometrically (exact for drinks taken at grid times); linearly if either end is zero.
        positive = (f0 > 0) & (f1 > 0)
        log_ratio = jnp.where(positive, jnp.log(jnp.where(positive, f1, 1.0) / jnp.where(positive, f0, 1.0)), 0.0)
        a = list(state)
        for k in range(self.substeps):
            def flux(frac):
                x = (k + frac) / self.substeps
                return jnp.where(positive, f0 * jnp.exp(log_ratio * x), f0 + (f1 - f0) * x)
            r1 = self._rates(a, flux(0.0), p)
            r2 = self._rates([x + 0.5 * h * r for x, r in zip(a, r1)], flux(0.5), p)
            r3 = self._rates([x + 0.5 * h * r for x, r in zip(a, r2)], flux(0.5), p)
            r4 = self._rates([x + h * r for x, r in zip(a, r3)], flux(1.0), p)
            a = [x + h / 6 * (q1 + 2 * q2 + 2 * q3 + q4) for x, q1, q2, q3, q4 in zip(a, r1, r2, r3, r4)]
        return EthanolState(*[jnp.maximum(x, 0.0) for x in a])

    def values(self, state, c, p) -> dict[str, Scalar]:
        return {"ethanol": state.central / p["VC"]}
