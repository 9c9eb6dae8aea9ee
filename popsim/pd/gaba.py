"""GABA-A occupancy per receptor subtype and neuroadaptation (tolerance and withdrawal drive)."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.model import PDModel, Scalar

__all__ = ["GabaAdaptation", "GabaState", "relaxation", "site_prefix"]


class GabaState(NamedTuple):
    """State of :class:`GabaAdaptation`: the adapted level of each subtype, in ``subtypes`` order."""

    adaptation: tuple[Scalar, ...]


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


def site_prefix(site: str) -> str:
    """Parameter prefix of an effect site: ``effect`` -> ``""``, ``M1_effect`` -> ``"M1_"``."""
    return site[: -len("effect")] if site.endswith("effect") else f"{site}_"


@dataclasses.dataclass(frozen=True)
class GabaAdaptation(PDModel):
    """GABA-A occupancy per receptor subtype and a slow adaptation state that follows it.

    Drivers: the concentrations of the outputs ``sites`` (effect compartments
    of a benzodiazepine and its active metabolites, mg/L), all full agonists
    at the benzodiazepine site, and optionally an ``antagonist`` site
    (flumazenil) competing for it.  With ``x_s = sum_i C_i / EC50_{i,s}``
    (parameters ``{P_i}EC50_{s}``, mg/L, ``P_i`` the site's prefix, see
    :func:`site_prefix`) and ``y = C_ant / {P_ant}EC50``, the agonist
    occupancy of subtype ``s`` is ``occ_s = x_s / (1 + x_s + y)`` (competitive
    binding; Loewe additivity between agonists).  Adaptation (neuroadaptation:
    receptor down-regulation, tolerance) relaxes towards occupancy with rate
    ``KADAPT`` (1/h): ``dA_s/dt = KADAPT (occ_s - A_s)``, solved exactly with
    occupancy taken linear over each grid step (the only approximation; its
    error is O(dt^2) in the drive and is measured in the tests).  The
    withdrawal drive is ``max(A_s - occ_s, 0)``: the adapted level the current
    occupancy no longer supports.
    """

    sites: tuple[str, ...] = ("effect",)
    subtypes: tuple[str, ...] = ("a1", "a2")
    antagonist: str | None = None

    @property
    def parameters(self) -> tuple[str, ...]:
        out = tuple(f"{site_prefix(c)}EC50_{s}" for c in self.sites for s in self.subtypes)
        out += (f"{site_prefix(self.antagonist)}EC50",) if self.antagonist is not None else ()
        return out + ("KADAPT",)

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.sites + ((self.antagonist,) if self.antagonist is not None else ())

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        out = {}
        for s in self.subtypes:
            out[f"occupancy_{s}"] = ("1", f"GABA-A {s} receptor occupancy by agonists (fraction)")
            out[f"adaptation_{s}"] = ("1", f"GABA-A {s} adaptation state (occupancy the brain has adapted to)")
            out[f"withdrawal_drive_{s}"] = ("1", f"GABA-A {s} withdrawal drive max(adaptation - occupancy, 0)")
        return out

    def occupancy(self, c, p) -> list[Scalar]:
        """Agonist occupancy per subtype from the site concentrations ``c`` (mapping)."""
        y = 0.0
        if self.antagonist is not None:
            y = jnp.maximum(c[self.antagonist], 0.0) / p[f"{site_prefix(self.antagonist)}EC50"]
        out = []
        for s in self.subtypes:
            x = sum(jnp.maximum(c[site], 0.0) / p[f"{site_prefix(site)}EC50_{s}"] for site in self.sites)
            out.append(x / (1.0 + x + y))
        return out

    def init(self, p, dtype) -> GabaState:
        return GabaState(tuple(jnp.zeros((), dtype) for _ in self.subtypes))

    def step(self, state, c0, c1, p, dt) -> GabaState:
        occ0, occ1 = self.occupancy(c0, p), self.occupancy(c1, p)
        return GabaState(tuple(relaxation(a, u0, u1, p["KADAPT"], dt)
                               for a, u0, u1 in zip(state.adaptation, occ0, occ1)))

    def values(self, state, c, p) -> dict[str, Scalar]:
        out = {}
        for s, a, o in zip(self.subtypes, state.adaptation, self.occupancy(c, p)):
            out |= {f"occupancy_{s}": o, f"adaptation_{s}": a, f"withdrawal_drive_{s}": jnp.maximum(a - o, 0.0)}
        return out
