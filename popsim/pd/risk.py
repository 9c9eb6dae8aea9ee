"""The risk model: receptor states and the risk scores, integrated on line.

:class:`Risk` steps GABA-A occupancy and the tolerance to sedation (:class:`GabaAdaptation`),
optionally mu-receptor binding (:class:`MuReceptor`, an opioid and naloxone)
and ethanol (:class:`EthanolMM`, whose blood concentration acts at the GABA-A
ethanol site of the :class:`GabaAdaptation`; ethanol and benzodiazepines share
the glutamatergic adaptation of :class:`popsim.pd.withdrawal.Withdrawal`:
cross-tolerance).  From their
states it computes, once per time point, the quantities every score reads
(:class:`popsim.pd.scores.Drive`; parameters in brackets, values and
citations in :data:`popsim.pd.constants.PD`), with ``E1``/``E2`` the
psychomotor-scale effects of GABA-A alpha1/alpha2, ``A1`` the adapted alpha1
level, ``S1`` the alpha1 stimulus and ``R`` the fraction of mu receptors
bound by the opioid:

* net sedation ``max(E1 - TOL A1, 0)``: tolerance removes the fraction
  ``TOL`` of the adapted level from the sedating effect;
* the alpha2 effects the dependence model adapts to: of the benzodiazepine-site agonists alone,
  ``O2 / (O2 + THETA)`` with ``O2`` their alpha2 occupancy, and in total, ``E2`` (ethanol included);
* the stimulus ``S1`` and ``R``, from which a score computes its own endpoint
  (respiratory drive, seizure termination),

and steps its scores (:class:`popsim.pd.scores.Score`) on them, as
``optax.chain`` steps its transforms: the state is the receptor states plus
the tuple of the scores' states.  The scores (:data:`SCORES`):
:class:`popsim.pd.falls.Falls` (expected falls, P(fall), P(hip fracture)),
:class:`popsim.pd.withdrawal.Withdrawal` (dependence: tolerance, down-regulation and glutamatergic
states, withdrawal severity and its CIWA readings, onset, P(seizure), delirium)
and :class:`popsim.pd.ventilation.Ventilation` (ventilation with the opioid x
GABA-A interaction, airway obstruction and CO2 feedback, its additive
expectation, PaCO2, SpO2, time hypoxaemic and apnoeic).  Signals: the receptor models' (GABA-A, ``sedation``,
mu, ethanol), then every score's instantaneous signals, then every score's
cumulative ones, in the order of :data:`SCORES`.

Hazards are integrated with the trapezoidal rule between grid points (the
states at both ends are exact for drives linear over the step), second order
in ``dt`` like the rest of the PD layer; the tests compare with ``solve_ivp``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Mapping, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array

from popsim.pd.ethanol import EthanolMM, EthanolState
from popsim.pd.falls import Falls
from popsim.pd.gaba import GabaAdaptation, GabaState
from popsim.pd.model import PDModel, Scalar
from popsim.pd.mu import MuReceptor, MuState
from popsim.pd.scores import Drive, Score
from popsim.pd.ventilation import Ventilation
from popsim.pd.withdrawal import Withdrawal

__all__ = ["DRIVE_SIGNALS", "SCORES", "Risk", "RiskState", "drive", "replay"]

# The scores of every Risk model, in output order (a new score: its class, then one entry here).
SCORES: tuple[Score, ...] = (Falls(), Withdrawal(), Ventilation())


# The signals the drive is computed from (mu_bound_opioid only with an opioid).
DRIVE_SIGNALS = ("effect_a1", "adaptation_a1", "occupancy_a2", "effect_a2", "stimulus_a1", "mu_bound_opioid")


def drive(signals: Mapping[str, Scalar], p: Mapping[str, Scalar]) -> Drive:
    """The quantities the scores read (module docstring), from the GABA-A (and mu) signals at one time or,
    elementwise, over arrays of times and subjects."""
    sed = jnp.maximum(signals["effect_a1"] - p["TOL"] * signals["adaptation_a1"], 0.0)
    occ = signals["occupancy_a2"]
    bound = signals["mu_bound_opioid"] if "mu_bound_opioid" in signals else jnp.zeros_like(sed)
    return Drive(sed, occ / (occ + p["THETA"]), signals["effect_a2"], signals["stimulus_a1"], bound)


def replay(score: Score, signals: Mapping[str, Array], p: Mapping[str, Array], dt: float) -> dict[str, Array]:
    """A score's signals over a grid, recomputed from saved drive signals (:data:`DRIVE_SIGNALS`, arrays
    ``(time, ...)``) and parameters ``p`` (broadcasting against ``...``): the same steps as in the grid loop,
    one subject at a time (``vmap``), so score constants can be varied without simulating again (the
    calibration's fits).  Compiled once per score, grid step and shape."""
    signals = {k: jnp.asarray(v) for k, v in signals.items()}
    n_t, shape = next(iter(signals.values())).shape[0], next(iter(signals.values())).shape[1:]
    flat = {k: v.reshape(n_t, -1).T for k, v in signals.items()}  # (subject, time)
    q = {k: jnp.broadcast_to(jnp.asarray(v), shape).reshape(-1) for k, v in p.items()}
    out = _replay_flat(score, flat, q, dt)
    return {k: v.T.reshape((n_t,) + shape) for k, v in out.items()}


@functools.partial(jax.jit, static_argnums=(0, 3))
def _replay_flat(score: Score, flat, q, dt: float):
    def one(sig, q):
        d = drive(sig, q)
        dtype = d.sedation.dtype

        def body(state, k):
            d1 = Drive(*(f[k + 1] for f in d))
            new = score.step(state, Drive(*(f[k] for f in d)), d1, q, dt)
            return new, score.values(new, d1, q)

        init = score.init(q, dtype)
        _, out = jax.lax.scan(body, init, jnp.arange(d.sedation.shape[0] - 1))
        first = score.values(init, Drive(*(f[0] for f in d)), q)
        return {k: jnp.concatenate([jnp.asarray(first[k], dtype)[None], v]) for k, v in out.items()}

    return jax.vmap(one)(flat, q)


class RiskState(NamedTuple):
    gaba: GabaState
    mu: MuState | None  # None without an opioid
    ethanol: EthanolState | None  # None without ethanol
    scores: tuple[NamedTuple, ...]  # one state per score, in the order of Risk.scores


@dataclasses.dataclass(frozen=True)
class Risk(PDModel):
    """GABA-A (and optionally mu and ethanol) receptor states and the risk scores over them (module docstring)."""

    gaba: GabaAdaptation
    mu: MuReceptor | None = None
    ethanol: EthanolMM | None = None
    scores: tuple[Score, ...] = SCORES

    def __post_init__(self):
        if (self.ethanol is not None) != (self.gaba.ethanol == "ethanol"):
            raise ValueError("with an ethanol model, the GABA-A model reads ethanol at site 'ethanol' (and only then)")
        names = [n for part in self._signal_parts for n in part]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise ValueError(f"the Risk model's receptor models and scores report clashing signals: {clash}")

    @property
    def parameters(self) -> tuple[str, ...]:
        # the drive's (TOL), the receptor models' and scores' own, and the opioid's respiratory ALPHA, HILL, TOL
        out = self.gaba.parameters + ("TOL",) + tuple(n for s in self.scores for n in s.parameters)
        if self.mu is not None:
            out += self.mu.parameters + tuple(f"{self.mu.prefix}{k}" for k in ("ALPHA", "HILL", "TOL"))
        return tuple(dict.fromkeys(out + (self.ethanol.parameters if self.ethanol is not None else ())))

    @property
    def inputs(self) -> tuple[str, ...]:
        gaba = tuple(i for i in self.gaba.inputs if i != self.gaba.ethanol)
        return tuple(dict.fromkeys(gaba + (self.mu.inputs if self.mu is not None else ())
                                   + (self.ethanol.inputs if self.ethanol is not None else ())))

    @property
    def _signal_parts(self) -> list[dict[str, tuple[str, str]]]:
        out = [self.gaba.signals,
               {"sedation": ("1", "net GABA-A alpha1 sedation: psychomotor effect minus its tolerated part")}]
        out += [self.mu.signals] if self.mu is not None else []
        out += [self.ethanol.signals] if self.ethanol is not None else []
        return out + [s.instant for s in self.scores] + [s.cumulative for s in self.scores]

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        return {k: v for part in self._signal_parts for k, v in part.items()}

    def init(self, p, dtype) -> RiskState:
        return RiskState(self.gaba.init(p, dtype), self.mu.init(p, dtype) if self.mu is not None else None,
                         self.ethanol.init(p, dtype) if self.ethanol is not None else None,
                         tuple(s.init(p, dtype) for s in self.scores))

    def _with_ethanol(self, eth_state, c, p):
        """The grid concentrations plus the blood ethanol concentration (mg/L) as site ``ethanol``."""
        if self.ethanol is None:
            return c
        return dict(c) | {"ethanol": self.ethanol.values(eth_state, c, p)["ethanol"]}

    def drive(self, g: GabaState, m: MuState | None, c, p) -> Drive:
        """The quantities the scores read, from the receptor states and concentrations at one time."""
        return drive(self.gaba.values(g, c, p) | (self.mu.values(m, c, p) if self.mu is not None else {}), p)

    def step(self, state, c0, c1, p, dt) -> RiskState:
        g, m, e = state.gaba, state.mu, state.ethanol
        e1 = self.ethanol.step(e, c0, c1, p, dt) if self.ethanol is not None else None
        c0, c1 = self._with_ethanol(e, c0, p), self._with_ethanol(e1, c1, p)
        g1 = self.gaba.step(g, c0, c1, p, dt)
        m1 = self.mu.step(m, c0, c1, p, dt) if self.mu is not None else None
        d0, d1 = self.drive(g, m, c0, p), self.drive(g1, m1, c1, p)
        return RiskState(g1, m1, e1, tuple(s.step(x, d0, d1, p, dt) for s, x in zip(self.scores, state.scores)))

    def values(self, state, c, p) -> dict[str, Scalar]:
        c = self._with_ethanol(state.ethanol, c, p)
        d = self.drive(state.gaba, state.mu, c, p)
        out = self.gaba.values(state.gaba, c, p) | {"sedation": d.sedation}
        out |= self.mu.values(state.mu, c, p) if self.mu is not None else {}
        out |= self.ethanol.values(state.ethanol, c, p) if self.ethanol is not None else {}
        for s, x in zip(self.scores, state.scores):
            v = s.values(x, d, p)
            if set(v) != set(s.signals):  # at trace time: a score reports exactly its own signals
                raise ValueError(f"{type(s).__name__}.values returns {sorted(v)}; its signals are {sorted(s.signals)}")
            out |= v
        return out
