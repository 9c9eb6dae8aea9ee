"""PD models driven by the grid's concentrations, stepped inside the same time loop as the PK.

A :class:`PDModel` is static (hashable, part of the :class:`popsim.pk.grid.GridSpec`)
and works on scalars for one subject.  Its state is a pytree of scalars (a
``NamedTuple`` per model; for a composition, the tuple of its models' states,
as ``optax.chain`` builds its state) carried through the grid's ``lax.scan``.
Each grid step ``[t_k, t_{k+1})`` it receives the output concentrations at
both ends of the step (the right limit after any dose at ``t_k`` and the left
limit at ``t_{k+1}``) and advances its state; the signals it reports at
``t_k`` are functions of the state and of the concentrations at ``t_k`` (left
limits, like the concentrations), returned by name (:meth:`PDModel.values`):
the grid puts them in :attr:`PDModel.signals` order in one place
(:func:`ordered_values`), so no code depends on the order they are computed
in.  Signals are summarised per window (max, min, grid mean, value at the
window end) and kept as trajectories when the grid saves them.

Between grid points the driving concentrations are taken linear (their
values at both ends are exact), so a PD state is at best second-order
accurate in the grid step: choose ``dt`` small against the fastest PK that
drives it (minutes for fentanyl, hours for oral benzodiazepines).  How a state
is advanced for that drive is the model's business and is stated per model
(exactly where the ODE allows, otherwise a documented integrator); every model
is tested against ``solve_ivp`` of the joint PK-PD system.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, Mapping

from jaxtyping import Array, Float

__all__ = ["Composite", "PDModel", "ordered_values"]

Scalar = Float[Array, ""]
State = Any  # a pytree of scalars (a NamedTuple, or a tuple of the child states of a composition)


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
    def init(self, p: Mapping[str, Scalar], dtype) -> State:
        """State at t = 0."""

    @abc.abstractmethod
    def step(self, state: State, c0: Mapping[str, Scalar], c1: Mapping[str, Scalar],
             p: Mapping[str, Scalar], dt: float) -> State:
        """State at the end of one grid step (the same pytree structure as ``state``).

        ``c0``/``c1``: output concentrations (mg/L) at the start (right limit,
        after a dose given then) and at the end (left limit) of the step.
        """

    @abc.abstractmethod
    def values(self, state: State, c: Mapping[str, Scalar], p: Mapping[str, Scalar]) -> dict[str, Scalar]:
        """Signals by name (the keys of :attr:`signals`) from the state and concentrations at one time."""


def ordered_values(model: PDModel, state: State, c: Mapping[str, Scalar], p: Mapping[str, Scalar]) -> list[Scalar]:
    """``model``'s signals at one time as a list in :attr:`PDModel.signals` order (what the grid carries)."""
    values = model.values(state, c, p)
    names = list(model.signals)
    if set(values) != set(names):
        raise ValueError(f"{type(model).__name__}.values returns {sorted(values)}; its signals are {sorted(names)}")
    return [values[n] for n in names]


@dataclasses.dataclass(frozen=True)
class Composite(PDModel):
    """Several PD models stepped together (their signal names must not clash; parameters are shared by name).

    The state is the tuple of the models' states; the signals are theirs, model by model.
    """

    models: tuple[PDModel, ...]

    def __post_init__(self):
        names = [n for m in self.models for n in m.signals]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise ValueError(f"PD models report clashing signals: {clash}")

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for m in self.models for n in m.parameters))

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for m in self.models for n in m.inputs))

    @property
    def signals(self) -> dict[str, tuple[str, str]]:
        return {k: v for m in self.models for k, v in m.signals.items()}

    def init(self, p, dtype) -> tuple:
        return tuple(m.init(p, dtype) for m in self.models)

    def step(self, state, c0, c1, p, dt) -> tuple:
        return tuple(m.step(s, c0, c1, p, dt) for m, s in zip(self.models, state))

    def values(self, state, c, p) -> dict[str, Scalar]:
        return {k: v for m, s in zip(self.models, state) for k, v in m.values(s, c, p).items()}
