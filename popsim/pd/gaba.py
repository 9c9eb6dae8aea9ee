"""GABA-A occupancy and effect per receptor subtype, and neuroadaptation (tolerance and withdrawal drive)."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp

from popsim.pd.model import PDModel, Scalar

__all__ = ["GabaAdaptation", "GabaState", "relaxation", "site_prefix"]


class GabaState(NamedTuple):
    """State of :class:`GabaAdaptation`: the adapted level of each subtype in ``adapted``, in that order."""

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
    """GABA-A occupancy and effect per receptor subtype and a slow adaptation state that follows the effect
    (for the subtypes ``adapted``).

    Drivers: the concentrations of the outputs ``sites`` (effect compartments
    of a benzodiazepine and its active metabolites, mg/L), all full agonists
    at the benzodiazepine site, optionally an ``antagonist`` site (flumazenil)
    competing for it, and optionally ``ethanol`` (blood ethanol, mg/L), which
    acts at its own site and is not displaced by flumazenil.  With ``x_s =
    sum_i C_i / KD_{i,s}`` (parameters ``{P_i}KD_{s}``, total effect-site
    concentrations, mg/L, ``P_i`` the site's prefix, :func:`site_prefix`) and
    ``y = C_ant / {P_ant}KD``, the agonist occupancy of subtype ``s`` is
    ``occ_s = x_s / (1 + x_s + y)`` (competitive binding).  The stimulus is
    ``S_s = occ_s + C_e / (C_e + ethanol_KD)`` (every species a full agonist,
    efficacy 1) and the effect (psychomotor scale, the operational model of
    :mod:`popsim.pd.potency`) ``E_s = S_s / (S_s + THETA)``.  Adaptation
    (neuroadaptation: receptor down-regulation, tolerance) relaxes towards the
    effect with rate ``KADAPT`` (1/h): ``dA_s/dt = KADAPT (E_s - A_s)``, solved
    exactly with the effect taken linear over each grid step (the only
    approximation; its error is O(dt^2) in the drive and is measured in the
    tests).  The withdrawal drive is ``max(A_s - E_s, 0)``: the adapted level
    the current effect no longer supports.  In :class:`popsim.pd.risk.Risk`
    only alpha1 adapts (tolerance to sedation, read by the falls score);
    dependence and withdrawal are :class:`popsim.pd.withdrawal.Withdrawal`.
    """

    sites: tuple[str, ...] = ("effect",)
    subtypes: tuple[str, ...] = ("a1", "a2")
    adapted: tuple[str, ...] | None = None  # None: every subtype
    antagonist: str | None = None
    ethanol: str | None = None

    def __post_init__(self):
        if self.adapted is None:
            object.__setattr__(self, "adapted", tuple(self.subtypes))
        if not set(self.adapted) <= set(self.subtypes):
            raise ValueError(f"GabaAdaptation adapted={self.adapted!r}; allowed: subtypes among {self.subtypes!r}")

    @property
    def parameters(self) -> tuple[str, ...]:
        out = tuple(f"{site_prefix(c)}KD_{s}" for c in self.sites for s in self.subtypes)
        out += (f"{site_prefix(self.antagonist)}KD",) if self.antagonist is not None else ()
        out += (f"{self.ethanol}_KD",) if self.ethanol is not None else ()
        return out + ("THETA", "KADAPT")

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.sites + tuple(s for s in (self.antagonist, self.ethanol) if s is not None)

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        out = {}
        for s in self.subtypes:
            out[f"occupancy_{s}"] = ("1", f"fraction of GABA-A {s} benzodiazepine sites bound by agonists")
            out[f"stimulus_{s}"] = ("1", f"GABA-A {s} stimulus (occupancy plus ethanol's; an endpoint's effect is a "
                                         "function of it)")
            out[f"effect_{s}"] = ("1", f"GABA-A {s} effect on the psychomotor scale (fraction of the maximum)")
            if s in self.adapted:
                out[f"adaptation_{s}"] = ("1", f"GABA-A {s} adaptation state (effect the brain has adapted to)")
                out[f"withdrawal_drive_{s}"] = ("1", f"GABA-A {s} withdrawal drive max(adaptation - effect, 0)")
        return out

    def receptor(self, c, p) -> tuple[list[Scalar], list[Scalar]]:
        """Agonist occupancy and stimulus per subtype from the site concentrations ``c`` (mapping)."""
        y = 0.0
        if self.antagonist is not None:
            y = jnp.maximum(c[self.antagonist], 0.0) / p[f"{site_prefix(self.antagonist)}KD"]
        s_eth = 0.0
        if self.ethanol is not None:
            ce = jnp.maximum(c[self.ethanol], 0.0)
            s_eth = ce / (ce + p[f"{self.ethanol}_KD"])
        occ, stim = [], []
        for s in self.subtypes:
            x = sum(jnp.maximum(c[site], 0.0) / p[f"{site_prefix(site)}KD_{s}"] for site in self.sites)
            occ.append(x / (1.0 + x + y))
            stim.append(occ[-1] + s_eth)
        return occ, stim

    def effect(self, c, p) -> list[Scalar]:
        """Effect per subtype (psychomotor scale)."""
        return [x / (x + p["THETA"]) for x in self.receptor(c, p)[1]]

    def init(self, p, dtype) -> GabaState:
        return GabaState(tuple(jnp.zeros((), dtype) for _ in self.adapted))

    def step(self, state, c0, c1, p, dt) -> GabaState:
        e0, e1 = self.effect(c0, p), self.effect(c1, p)
        pick = [self.subtypes.index(s) for s in self.adapted]
        return GabaState(tuple(relaxation(a, e0[j], e1[j], p["KADAPT"], dt) for a, j in zip(state.adaptation, pick)))

    def values(self, state, c, p) -> dict[str, Scalar]:
        occ, stim = self.receptor(c, p)
        adapted = dict(zip(self.adapted, state.adaptation))
        out = {}
        for s, o, x in zip(self.subtypes, occ, stim):
            e = x / (x + p["THETA"])
            out |= {f"occupancy_{s}": o, f"stimulus_{s}": x, f"effect_{s}": e}
            if s in adapted:
                out |= {f"adaptation_{s}": adapted[s], f"withdrawal_drive_{s}": jnp.maximum(adapted[s] - e, 0.0)}
        return out
