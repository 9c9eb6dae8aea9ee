"""PD models driven by the grid's concentrations, stepped inside the same time loop as the PK.

A :class:`PDModel` is static (hashable, part of the :class:`popsim.pk.grid.GridSpec`)
and works on scalars for one subject.  Each grid step ``[t_k, t_{k+1})`` it
receives the output concentrations at both ends of the step (the right limit
after any dose at ``t_k`` and the left limit at ``t_{k+1}``) and advances its
own states; the signals it reports at ``t_k`` are functions of the states and
of the concentrations at ``t_k`` (left limits, like the concentrations).  Signals are
summarised per window (max, min, grid mean, value at the window end) and kept
as trajectories when the grid saves them.

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
from typing import Mapping, Sequence

from jaxtyping import Array, Float

__all__ = ["Composite", "PDModel"]

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

    @property
    @abc.abstractmethod
    def n_states(self) -> int:
        """Number of states (the length of :meth:`init`'s list)."""

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


@dataclasses.dataclass(frozen=True)
class Composite(PDModel):
    """Several PD models stepped together (their signal names must not clash; parameters are shared by name)."""

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

    @property
    def n_states(self) -> int:
        return sum(m.n_states for m in self.models)

    def _split(self, state):
        out, i = [], 0
        for m in self.models:
            out.append(list(state[i : i + m.n_states]))
            i += m.n_states
        return out

    def init(self, p, dtype):
        return [x for m in self.models for x in m.init(p, dtype)]

    def step(self, state, c0, c1, p, dt):
        return [x for m, s in zip(self.models, self._split(state)) for x in m.step(s, c0, c1, p, dt)]

    def values(self, state, c, p):
        return [x for m, s in zip(self.models, self._split(state)) for x in m.values(s, c, p)]
