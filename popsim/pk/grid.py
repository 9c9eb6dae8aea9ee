"""Grid mode: the population hot path, written for one subject and one regimen.

Inputs live on a regular grid ``t_k = k * dt`` (k = 0 .. n_steps-1, built by
index, never by accumulating ``dt``).  Each input *channel* is either a bolus
(amount in mg given at ``t_k``) or an infusion (rate in mg/h held over
``[t_k, t_k + dt)``) into one compartment, optionally scaled by a
bioavailability parameter and delayed by a lag-time parameter.  The exact
one-step recursion is

    A_{k+1} = Phi A_k + G0 u_{k - m} + G1 u_{k - m - 1}

where ``Phi = e^{K dt}``, the lag is ``(m + f) dt`` with integer ``m`` and
``0 <= f < 1``, ``G0`` carries an input arriving at ``t_k + f dt`` to the end
of the step (bolus: ``Phi((1-f)dt) e``; infusion: ``Gamma((1-f)dt) e``) and
``G1`` is the part of a lagged infusion step that spills into the next step
(``Phi((1-f)dt) Gamma(f dt) e``).  Nothing is approximated: results are the
matrix-exponential solution sampled on the grid.

Sampling convention: the value reported at ``t_k`` is the left limit
``C(t_k^-)``, just before any input at ``t_k`` (NONMEM's order when an
observation record precedes a dose at the same time), so a value at a dose
time is a trough.  ``cmax`` also looks at the right limits ``C(t_k^+)`` so
that an IV bolus peak is not missed.

Performance: the time loop is a ``lax.scan`` with one grid step per
iteration.  The body works on the *entries* of the small propagators as
scalars, so under ``vmap`` every state variable is one contiguous
``(subject,)`` array (structure of arrays) and a step is a few fused
multiply-adds streaming through memory.  (Fusing several steps per iteration
was measured slower on XLA:CPU: it recomputes earlier steps inside the fused
expression.)  Summaries are updated on line, so memory does not grow with the
number of time points unless trajectories are requested; the loop is cut
into pieces at the window edges (:func:`_pieces`) so that each step updates
one set of running summaries, without per-window masks.

Parameters may change in piecewise-constant *segments*:
``segment_of_step[k]`` names the parameter set that governs step
``[t_k, t_{k+1})``.  Propagation stays exact within each segment and amounts
are continuous across a change.  Lag shifts use the first segment's lag.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Literal, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from popsim.pd.model import PDModel, ordered_values
from popsim._validate import closest
from popsim.pk.model import LinearModel
from popsim.pk.propagate import phi, phi_input

__all__ = ["Ceiling", "Channel", "GridSpec", "Hold", "Trigger", "Window", "kernels", "simulate_one"]


@dataclasses.dataclass(frozen=True)
class Channel:
    """An input channel: ``kind`` bolus (mg at t_k) or infusion (mg/h over the step)."""

    cmt: str
    kind: Literal["bolus", "infusion"] = "bolus"
    f: str | None = None
    lag: str | None = None

    def __post_init__(self):
        if self.kind not in ("bolus", "infusion"):
            raise ValueError(f"channel kind={self.kind!r}; allowed: 'bolus', 'infusion'")


@dataclasses.dataclass(frozen=True)
class Window:
    """Summary window ``[start, end)`` in grid steps; thresholds in mg/L.

    ``pd_above``: ``(signal, threshold)`` pairs of the PD model: time with the
    signal above the threshold and the first grid time it is (both on the grid,
    so to within ``dt``).
    """

    start: int
    end: int
    above: tuple[float, ...] = ()
    below: tuple[float, ...] = ()
    pd_above: tuple[tuple[str, float], ...] = ()


@dataclasses.dataclass(frozen=True)
class Trigger:
    """A dosing rule fed back from the PD model (e.g. symptom-triggered dosing).

    From step ``start`` on, every ``every`` steps, a dose of ``amount`` mg goes
    into input channel ``channel`` (a bolus channel, whose bioavailability and
    lag apply as to any dose on it) when the PD signal ``signal`` (its
    left-limit value at that time) exceeds ``threshold``; at most
    ``max_doses`` doses.  The rule adds to the regimen's own inputs on that
    channel.  On a lagged channel the lag must be shorter than one grid step
    (the dose then arrives within the step, exactly); a subject whose lag is
    longer gets NaN outputs rather than a dose at the wrong time.
    """

    signal: str
    threshold: float
    amount: float
    channel: int = 0
    start: int = 0
    every: int = 1
    max_doses: int = 1000

    def __post_init__(self):
        if not (np.isfinite(self.amount) and self.amount > 0):
            raise ValueError(f"trigger amount={self.amount!r} mg; allowed: a finite number > 0")
        if not np.isfinite(self.threshold):
            raise ValueError(f"trigger threshold={self.threshold!r}; allowed: a finite number")
        if self.every < 1 or self.start < 0 or self.max_doses < 1:
            raise ValueError(f"trigger start={self.start!r}, every={self.every!r}, max_doses={self.max_doses!r}; "
                             "allowed: start >= 0, every >= 1, max_doses >= 1")


def _whole_number(path: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{path}={value!r}; allowed: a whole number >= {low}")


@dataclasses.dataclass(frozen=True)
class Ceiling:
    """A dose skipped while a PD signal is at or above a ceiling (e.g. a drinker who stops drinking once
    intoxicated): a scheduled input on bolus channel ``channel`` at a grid step is not given when ``signal``
    (its left-limit value then) is at or above ``threshold``.  Skipped doses are lost, not delayed."""

    signal: str
    threshold: float
    channel: int = 0

    def __post_init__(self):
        if not np.isfinite(self.threshold):
            raise ValueError(f"ceiling threshold={self.threshold!r}; allowed: a finite number")
        if not isinstance(self.channel, int) or self.channel < 0:
            raise ValueError(f"ceiling channel={self.channel!r}; allowed: an integer >= 0")


@dataclasses.dataclass(frozen=True)
class Hold:
    """Symptom-guided holds of a schedule (e.g. a taper), fed back from the PD model per subject.

    The regimen's inputs on ``channels`` follow a *schedule clock* ``tau = t - s`` that lags the
    grid step ``t`` by the subject's delay ``s`` (steps, 0 at the start): the input given at step
    ``t`` is the regimen's input at step ``t - s``.  Decisions fall where the schedule clock is at
    ``start + j * every`` (j >= 0; e.g. the taper's dose reductions).  At a decision, when the PD
    signal ``signal`` (its left-limit value at ``t``, as :class:`Trigger` reads it) exceeds
    ``threshold`` and fewer than ``max_holds`` holds were used, ``s`` grows by ``length`` steps (default
    ``every``) before the inputs of step ``t`` are read: the subject replays the ``length`` steps of the
    schedule before the decision point (for a taper whose levels change only at decision points and
    ``length = every``, the previous dose level with its daily pattern), then reaches the same decision
    point again and decides anew (held again while still above the threshold).  Each grid step makes
    at most one decision, and decision points that a replay passes before reaching the held one (when
    ``length > every``) are not decided again: they were passed already.  A decision where the held
    inputs are all zero from ``tau - length`` on (the schedule has ended) never holds, since it would
    change nothing; so holds after a taper's last dose are not counted.

    Channels not in ``channels`` (co-medications) and any :class:`Trigger` dose stay on the grid clock,
    as do parameter segments.  The horizon does not grow: a subject who holds reaches the rest of the
    schedule later, and what would fall after the last grid step is not given.  On a lagged channel a
    dose keeps the delay in force when it was taken (doses in flight at a hold still arrive); this is
    exact when the lag's whole steps ``floor(lag / dt)`` are at most ``length`` (``length - 1`` for a
    lagged infusion), since holds are then at least that far apart; a subject with a longer lag gets NaN
    outputs rather than doses at the wrong time.  ``start >= length``, so a replay never reaches before
    the schedule's first step.  The hold's numbers are static (part of the compiled program, as a
    :class:`Trigger`'s): another threshold compiles again.
    """

    signal: str
    threshold: float
    every: int
    start: int
    length: int | None = None
    max_holds: int = 1000
    channels: tuple[int, ...] = (0,)

    def __post_init__(self):
        if not isinstance(self.signal, str):
            raise ValueError(f"hold signal={self.signal!r}; allowed: a PD signal name")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float, np.floating)) or \
                not np.isfinite(self.threshold):
            raise ValueError(f"hold threshold={self.threshold!r}; allowed: a finite number")
        _whole_number("hold every", self.every, 1)
        if self.length is None:
            object.__setattr__(self, "length", self.every)
        _whole_number("hold length", self.length, 1)
        _whole_number("hold start", self.start, 0)
        if self.start < self.length:
            raise ValueError(f"hold start={self.start!r} with length={self.length!r}; allowed: start >= length "
                             "(a hold replays the `length` steps before the decision point)")
        _whole_number("hold max_holds", self.max_holds, 1)
        if not isinstance(self.channels, tuple) or not self.channels:
            raise ValueError(f"hold channels={self.channels!r}; allowed: a non-empty tuple of channel indices")
        for i, c in enumerate(self.channels):
            _whole_number(f"hold channels[{i}]", c, 0)
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"hold channels={self.channels!r}; allowed: channel indices without repeats")


@dataclasses.dataclass(frozen=True)
class GridSpec:
    """Static description of a grid simulation (hashable; a jit static argument).

    Attributes
    ----------
    model : the linear model.
    dt : grid step (h).
    n_steps : number of grid points; times are ``arange(n_steps) * dt``.
    channels : input channels, in the order of the regimen's last axis.
    outputs : compartments whose concentrations are reported (mg/L).
    windows : summary windows (empty: no summaries).
    save : keep full trajectories (``(time,)`` per output and subject-regimen).
    save_from : first saved step (trajectories cover ``times[save_from:]``).
    saved : the outputs and PD signals whose trajectories are kept (``None``:
        all); saving only what is needed keeps host memory at
        ``len(saved) x time x regimen x subject``.
    trigger : a PD-fed dosing rule (:class:`Trigger`; needs ``pd``).
    hold : PD-fed holds of the regimen's schedule on some channels (:class:`Hold`; needs ``pd``).
    ceiling : scheduled doses on one channel skipped while a PD signal is at or above a ceiling
        (:class:`Ceiling`; needs ``pd``).
    summarised : the PD signals whose window ``pd_max``, ``pd_tmax``,
        ``pd_min`` and ``pd_mean`` are accumulated, in this order along those
        outputs' signal axis (``None``: all signals).  ``pd_end`` is read
        between loop pieces and always covers every signal.  Each accumulated
        signal costs a few kernels per step on XLA:CPU, so naming only those
        read is much faster (P3 reads none).
    segment_of_step : parameter segment per step (``None``: one segment).
    pd : a PD model stepped in the same loop (:mod:`popsim.pd.model`), driven
        by the concentrations of ``outputs``; its parameters are read from the
        first parameter segment.
    unroll : time steps per loop iteration (``lax.scan``'s unroll); ``None``
        picks 8 on GPUs (measured 1.7x faster than 1 on an H200: the fused
        steps share one read of the propagators) and 1 elsewhere.  On XLA:CPU
        2 makes PK-only reductions 1.4x faster (P1, float32) but trajectories
        and the risk PD model 10-12% slower, and it fuses a grid with
        parameter segments differently from one without, so their results
        are no longer bitwise equal where they should agree (a drug spared
        by a perpetrator).
    """

    model: LinearModel
    dt: float
    n_steps: int
    channels: tuple[Channel, ...]
    outputs: tuple[str, ...] = ("central",)
    windows: tuple[Window, ...] = ()
    save: bool = True
    segment_of_step: tuple[int, ...] | None = None
    unroll: int | None = None
    pd: PDModel | None = None
    save_from: int = 0
    saved: tuple[str, ...] | None = None
    trigger: Trigger | None = None
    summarised: tuple[str, ...] | None = None
    hold: Hold | None = None
    ceiling: Ceiling | None = None

    def __post_init__(self):
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise ValueError(f"grid dt={self.dt!r} h; allowed: a finite number > 0")
        if self.n_steps < 1:
            raise ValueError(f"grid n_steps={self.n_steps!r}; allowed: >= 1")
        if self.unroll is not None and not 1 <= self.unroll <= 16:
            raise ValueError(f"grid unroll={self.unroll!r}; allowed: 1 to 16")
        if not self.channels:
            raise ValueError("grid channels: at least one input channel is needed")
        for name in [c.cmt for c in self.channels] + list(self.outputs):
            self.model.index(name)
        for w in self.windows:
            if not 0 <= w.start < w.end <= self.n_steps - 1:
                raise ValueError(
                    f"window [{w.start}, {w.end}) steps; allowed: 0 <= start < end <= n_steps - 1 = {self.n_steps - 1}"
                )
        if self.segment_of_step is not None and len(self.segment_of_step) != self.n_steps:
            raise ValueError(
                f"segment_of_step has {len(self.segment_of_step)} entries; expected one per step ({self.n_steps})"
            )
        if not self.save and not self.windows and self.trigger is None and self.hold is None:
            raise ValueError("grid: nothing to return (save=False, no summary windows, no trigger and no hold)")
        if not 0 <= self.save_from < self.n_steps:
            raise ValueError(f"grid save_from={self.save_from!r}; allowed: 0 to n_steps - 1 = {self.n_steps - 1}")
        if self.pd is not None:
            missing = [o for o in self.pd.inputs if o not in self.outputs]
            if missing:
                raise ValueError(f"pd model reads outputs {missing}; the grid's outputs are {list(self.outputs)}")
        for key in ("saved", "summarised"):
            names = getattr(self, key)
            if names is not None and not (isinstance(names, tuple) and all(isinstance(n, str) for n in names)):
                raise ValueError(f"grid {key}={names!r}; allowed: a tuple of names (or None)")
        if self.saved is not None:
            allowed = list(self.outputs) + (list(self.pd.signals) if self.pd is not None else [])
            for name in self.saved:
                if name not in allowed:
                    raise ValueError(f"grid saved={name!r}; allowed: {allowed}" + closest(name, allowed))
        wanted = [sig for w in self.windows for sig, _ in w.pd_above] + list(self.summarised or ())
        if self.trigger is not None:
            wanted.append(self.trigger.signal)
            t = self.trigger
            if not 0 <= t.channel < len(self.channels) or self.channels[t.channel].kind != "bolus":
                raise ValueError(f"trigger channel={t.channel!r}; allowed: a bolus channel")
        if self.ceiling is not None:
            wanted.append(self.ceiling.signal)
            c = self.ceiling.channel
            if not c < len(self.channels) or self.channels[c].kind != "bolus" or self.channels[c].lag is not None:
                raise ValueError(f"ceiling channel={c!r}; allowed: a bolus channel without lag (0 to "
                                 f"{len(self.channels) - 1}): the rule decides when the dose is taken")
        if self.hold is not None:
            wanted.append(self.hold.signal)
            bad = [c for c in self.hold.channels if c >= len(self.channels)]
            if bad:
                raise ValueError(f"hold channels={self.hold.channels!r}; allowed: indices 0 to {len(self.channels) - 1}"
                                 f" (the grid has {len(self.channels)} channels)")
        for sig in wanted:
            allowed = list(self.pd.signals) if self.pd is not None else []
            if sig not in allowed:
                raise ValueError(f"pd signal {sig!r}; allowed: {allowed}" + closest(sig, allowed))

    @property
    def times(self) -> np.ndarray:
        """Grid times (h), built by index."""
        return np.arange(self.n_steps) * self.dt

    @property
    def lagged_infusions(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.channels) if c.kind == "infusion" and c.lag)

    @property
    def held_inputs(self) -> tuple[tuple[int, int, int], ...]:
        """``(virtual input, channel, extra shift)`` of every input the hold delays (a lagged infusion
        has two, see :func:`kernels`)."""
        if self.hold is None:
            return ()
        n, lagged = len(self.channels), self.lagged_infusions
        return tuple((c, c, 0) for c in self.hold.channels) + tuple(
            (n + lagged.index(c), c, 1) for c in self.hold.channels if c in lagged)

    @property
    def n_aug(self) -> int:
        """State size: compartments plus one AUC accumulator per output if summarising."""
        return self.model.n + (len(self.outputs) if self.windows else 0)

    @property
    def pattern(self) -> dict[str, np.ndarray]:
        """Structural non-zeros of the kernels (static), from reachability in the flow graph.

        ``Phi[i, j]`` can only be non-zero if ``i`` is reachable from ``j``;
        ``G[:, v]`` where the input's compartment reaches; ``C`` and ``J`` at
        the output compartments.  The time loop skips the structural zeros,
        which cuts its memory traffic (e.g. 7 of 9 entries for a two-compartment
        oral model, one of three for a concentration row).
        """
        n, s = self.model.n, self.n_aug
        out = [self.model.index(o) for o in self.outputs]
        L = np.zeros((s, s), bool)
        L[:n, :n] = self.model.links()
        for r, i in enumerate(out[: s - n]):
            L[n + r, i] = True  # AUC accumulators integrate the output concentrations
        reach = np.eye(s, dtype=bool)
        for _ in range(s):
            reach = reach | ((L.astype(int) @ reach.astype(int)) > 0)
        cols = [self.model.index(c.cmt) for c in self.channels]
        cols += [cols[i] for i in self.lagged_infusions]
        C = np.zeros((len(out), s), bool)
        C[np.arange(len(out)), out] = True
        J = np.array([[o_i == c for c in cols] for o_i in out], bool)
        return {"Phi": reach, "G": reach[:, cols], "C": C, "J": J}

    def check_parameters(self, params: Mapping[str, object]) -> None:
        needed = set(self.model.parameters) | {n for c in self.channels for n in (c.f, c.lag) if n}
        needed |= set(self.pd.parameters) if self.pd is not None else set()
        missing = sorted(needed - set(params))
        unknown = sorted(set(params) - needed)
        if missing:
            raise ValueError(f"missing parameters {missing}; this grid reads {sorted(needed)}")
        if unknown:
            raise ValueError(
                f"unknown parameters {unknown}; this grid reads {sorted(needed)}" + closest(unknown[0], needed)
            )


def _augmented(spec: GridSpec, p) -> tuple[Float[Array, "s s"], Float[Array, "o s"]]:
    """Rate matrix with AUC accumulators appended, and the output rows ``C``."""
    m = spec.model
    K = m.rate_matrix(p)
    C = jnp.stack([m.concentration_row(o, p) for o in spec.outputs])
    if spec.windows:
        n, o = m.n, len(spec.outputs)
        K = jnp.block([[K, jnp.zeros((n, o), K.dtype)], [C, jnp.zeros((o, o), K.dtype)]])
        C = jnp.concatenate([C, jnp.zeros((len(spec.outputs), o), K.dtype)], axis=1)
    return K, C


def kernels(spec: GridSpec, p: Mapping[str, Float[Array, ""]]) -> dict[str, Array]:
    """Per-subject propagators for one parameter set.

    Returns ``Phi`` (s, s), ``G`` (s, v) for the v virtual inputs (one per
    channel plus one per lagged infusion), ``C`` (o, s) output rows, ``J``
    (o, v) the instantaneous jump of outputs at an unlagged bolus, and ``m``
    (channels,) integer lag shifts in steps.
    """
    K, C = _augmented(spec, p)
    dt = jnp.asarray(spec.dt, K.dtype)
    Phi = phi(K, dt)
    s = K.shape[0]
    G0, G1, J, shifts = [], [], [], []
    for c in spec.channels:
        i = spec.model.index(c.cmt)
        e = jnp.zeros(s, K.dtype).at[i].set(1.0)
        F = p[c.f] if c.f else jnp.ones((), K.dtype)
        if c.lag:
            steps = p[c.lag] / dt
            m = jnp.floor(steps)
            rest = dt - (steps - m) * dt  # time from arrival to the end of the step
            shifts.append(m.astype(jnp.int32))
        else:
            rest = dt
            shifts.append(jnp.zeros((), jnp.int32))
        if c.kind == "bolus":
            G0.append(F * (phi(K, rest)[:, i] if c.lag else Phi[:, i]))
            # Right-limit jump of the outputs when the bolus lands exactly on t_k
            # (always without lag; with lag only when it is a whole number of steps).
            J.append(F * C[:, i] * (rest == dt).astype(K.dtype))
        else:
            Phi_r, x_r = phi_input(K, rest, F * e)
            G0.append(x_r)
            J.append(jnp.zeros(C.shape[0], K.dtype))
            if c.lag:
                G1.append(Phi_r @ phi_input(K, dt - rest, F * e)[1])
    G = jnp.stack(G0 + G1, axis=1)
    J = jnp.stack(J + [jnp.zeros(C.shape[0], K.dtype)] * len(G1), axis=1)
    return {"Phi": Phi, "G": G, "C": C, "J": J, "m": jnp.stack(shifts)}


def _inputs(spec: GridSpec, u: Float[Array, "time channel"], m) -> Float[Array, "time virtual"]:
    """Virtual inputs per step: channel ``i`` delayed by ``m[i]`` steps."""
    T = u.shape[0]
    if not any(c.lag for c in spec.channels):
        return u
    k = jnp.arange(T)

    def shifted(i, extra):
        j = k - m[i] - extra
        return jnp.where(j >= 0, u[jnp.clip(j, 0, T - 1), i], 0.0)

    cols = [shifted(i, 0) for i in range(u.shape[1])] + [shifted(i, 1) for i in spec.lagged_infusions]
    return jnp.stack(cols, axis=1)


def _entries(M, mask):
    """A small matrix as nested lists of scalars, ``None`` at structural zeros
    (see the module note on layout)."""
    return [[M[..., i, j] if mask[i, j] else None for j in range(M.shape[-1])] for i in range(M.shape[-2])]


def _dot(row, x, zero):
    terms = [a * b for a, b in zip(row, x) if a is not None]
    total = terms[0] if terms else zero
    for t in terms[1:]:
        total = total + t
    return total


def _pieces(spec: GridSpec) -> list[tuple[int, int, tuple[int, ...], bool]]:
    """The time loop cut at every window edge (and where saving starts): ``(first step, end step,
    windows covering it, saved)`` per piece.

    Each piece is its own ``lax.scan`` whose body updates one set of running
    summaries only if some window covers it; window summaries are combined
    from their pieces afterwards, and the values a window needs at its edges
    (AUC, the concentration and PD signals at its end) are read from the state
    between pieces.  The body so carries no per-window masks: on XLA:CPU each
    carried summary is a kernel per step, which made summaries cost more than
    the PK itself.
    """
    cuts = {0, spec.n_steps} | {e for w in spec.windows for e in (w.start, w.end)}
    cuts |= {spec.save_from} if spec.save else set()
    edges = sorted(cuts)
    return [(p, q, tuple(i for i, w in enumerate(spec.windows) if w.start <= p and q <= w.end),
             spec.save and p >= spec.save_from) for p, q in zip(edges[:-1], edges[1:])]


def simulate_one(spec: GridSpec, ker: dict[str, Array], u: Float[Array, "time channel"],
                 pd_params: Mapping[str, Float[Array, ""]] | None = None, *, joined: bool = True) -> dict[str, Array]:
    """Run one subject on one regimen.

    Parameters
    ----------
    ker : :func:`kernels` output with a leading segment axis (length 1 when
        parameters are constant).
    u : (n_steps, channels) bolus amounts (mg) or infusion rates (mg/h) per step.
    pd_params : the PD model's parameters (scalars) if ``spec.pd``.

    Returns
    -------
    ``conc`` {output name: (time,)} in mg/L if ``spec.save`` (those in ``spec.saved``).  Per window (leading
    axis ``window``, then ``output``): ``cmax``, ``cmin`` and ``c_end`` (value
    at the window end, a trough when a dose is due then) in mg/L, ``auc``
    (mg*h/L, exact), and ``t_above``/``t_below`` (h, counted on the grid, one
    entry per threshold, concatenated over windows).  With ``spec.pd``, per
    window and signal: ``pd_max``, ``pd_min``, ``pd_mean`` (grid mean of the
    left-limit values), ``pd_end`` (value at the window end) and ``pd_tmax``
    (time of the maximum, h; the first grid time it is reached); all but
    ``pd_end`` over ``spec.summarised`` only when it is given; and ``pd``
    {signal: (time,)} if ``spec.save``.  With ``pd_above`` pairs (concatenated
    over windows, shape ``(1, pair)``): ``pd_t_above`` (h) and ``pd_t_first``
    (h since t = 0, NaN if never).  With ``spec.trigger``: ``trigger_doses`` (count) and
    ``trigger_last`` (time of the last triggered dose, h; NaN if none).  With ``spec.hold``:
    ``hold_count`` (holds used, int32) and ``hold_delay`` (the final delay of the schedule, h).
    Saved trajectories cover ``times[spec.save_from:]``; with ``joined=False`` each is a tuple of
    consecutive time pieces (one per loop piece), for the caller to join: under ``vmap`` XLA:CPU
    joins them by transposing the whole trajectory twice (measured 3x the time of the loop).
    """
    dtype = ker["Phi"].dtype
    n_seg = ker["Phi"].shape[0]
    W = _inputs(spec, u, ker["m"][0])
    mask = spec.pattern
    one = {k: _entries(v[0], mask[k]) for k, v in ker.items() if k != "m"}
    zero = jnp.zeros((), dtype)
    big = jnp.asarray(jnp.finfo(dtype).max, dtype)
    nan = jnp.asarray(jnp.nan, dtype)
    o, dt, windows = len(spec.outputs), spec.dt, spec.windows
    pd = spec.pd
    signals = list(pd.signals) if pd is not None else []
    summ = [signals.index(x) for x in spec.summarised] if spec.summarised is not None else range(len(signals))
    trig = spec.trigger
    names = list(spec.outputs) + signals
    kept = [k for k, n in enumerate(names) if spec.saved is None or n in spec.saved]

    def levels(active):
        """The thresholds counted in a piece covered by windows ``active``: (above, below, PD (signal, threshold))."""
        pick = lambda f: tuple(sorted({x for i in active for x in f(windows[i])}))  # noqa: E731
        return (pick(lambda w: w.above), pick(lambda w: w.below),
                pick(lambda w: [(signals.index(s), t) for s, t in w.pd_above]))

    def acc0(lv):
        above, below, pd_lv = lv
        acc = {"cmax": [-big] * o, "cmin": [big] * o, "above": [[zero] * o for _ in above],
               "below": [[zero] * o for _ in below]}
        if pd is not None:
            n = len(summ)
            acc.update(pd_max=[-big] * n, pd_tmax=[zero] * n, pd_min=[big] * n, pd_sum=[zero] * n,
                       pd_hits=[zero] * len(pd_lv), pd_first=[nan] * len(pd_lv))
        return acc

    def accumulate(acc, lv, step, y, y_plus, values):
        """One step of a piece's running summaries; counts are in steps (exact in float32)."""
        above, below, pd_lv = lv
        t = (step * dt).astype(dtype)
        new = {"cmax": [jnp.maximum(m, jnp.maximum(a, b)) for m, a, b in zip(acc["cmax"], y, y_plus)],
               "cmin": [jnp.minimum(m, a) for m, a in zip(acc["cmin"], y)],
               "above": [[c + (a > thr).astype(dtype) for c, a in zip(row, y)]
                         for row, thr in zip(acc["above"], above)],
               "below": [[c + (a < thr).astype(dtype) for c, a in zip(row, y)]
                         for row, thr in zip(acc["below"], below)]}
        if pd is not None:
            # NaN propagates as through jnp.maximum: once a NaN is the maximum it stays
            values_s = [values[j] for j in summ]
            higher = [(v > m) | jnp.isnan(v) for v, m in zip(values_s, acc["pd_max"])]
            hits = [values[j] > thr for j, thr in pd_lv]
            new.update(
                pd_max=[jnp.where(h, v, m) for h, v, m in zip(higher, values_s, acc["pd_max"])],
                pd_tmax=[jnp.where(h, t, m) for h, m in zip(higher, acc["pd_tmax"])],
                pd_min=[jnp.minimum(m, v) for m, v in zip(acc["pd_min"], values_s)],
                pd_sum=[m + v for m, v in zip(acc["pd_sum"], values_s)],
                pd_hits=[c + h.astype(dtype) for c, h in zip(acc["pd_hits"], hits)],
                pd_first=[jnp.where(h & jnp.isnan(f), t, f) for h, f in zip(hits, acc["pd_first"])])
        return new

    if trig is not None:  # a whole-step lag would need a delay line: poison instead of dosing early
        amount = jnp.where(ker["m"][0][trig.channel] == 0, trig.amount, jnp.nan).astype(dtype)

    def fire(T, step, value, w):
        """The triggered dose at this step (added to ``w``) and the updated (count, last time)."""
        count, last = T
        due = (step >= trig.start) & ((step - trig.start) % trig.every == 0) & (count < trig.max_doses)
        give = due & (value > trig.threshold)
        w[trig.channel] = w[trig.channel] + jnp.where(give, amount, 0.0)
        return [count + give.astype(dtype), jnp.where(give, (step * dt).astype(dtype), last)]

    if spec.hold is not None:
        hold, held = spec.hold, spec.held_inputs
        m0 = ker["m"][0]
        # Outside the exactness condition in Hold's note: NaN rather than doses at the wrong time.
        late = functools.reduce(jnp.logical_or, [m0[c] + extra > hold.length for _, c, extra in held])
        W_held = [jnp.where(late, nan, W[:, v]) for v, _, _ in held]
        # the last step with a scheduled input on the held channels (-1: none), on the schedule clock
        dosed = jnp.any(u[:, list(hold.channels)] != 0, axis=1)
        last_input = jnp.max(jnp.where(dosed, jnp.arange(u.shape[0]), -1))

    def delay(H, step, value, w):
        """The hold decision at this step (before its inputs are read) and the held inputs (into ``w``).

        ``H``: the delay ``s`` (steps), the delay before its last change and the step of that change (a
        lagged dose arriving now was taken under the delay in force then), the schedule time of the last
        decision, and the holds used."""
        s, s_before, changed, decided, count = H
        step = step.astype(jnp.int32)  # the grid's step index is int64 under x64
        tau = step - s
        due = (tau >= hold.start) & ((tau - hold.start) % hold.every == 0) & (tau >= decided)
        go = due & (value > hold.threshold) & (count < hold.max_holds) & (tau - hold.length <= last_input)
        s_before, changed = jnp.where(go, s, s_before), jnp.where(go, step, changed)
        s = jnp.where(go, s + hold.length, s)
        for x, (v, c, extra) in zip(W_held, held):
            taken = step - m0[c] - extra  # the step the input arriving now was taken at
            w[v] = x[step - jnp.where(taken >= changed, s, s_before)]
        return [s, s_before, changed, jnp.where(due, tau, decided), count + go.astype(jnp.int32)]

    def kernel_at(seg):
        return one if n_seg == 1 else {x: _entries(v[seg], mask[x]) for x, v in ker.items() if x != "m"}

    def observe(k, A, S):
        """Concentrations and PD signals at a grid time (left limits)."""
        y = [_dot(k["C"][r], A, zero) for r in range(o)]
        return y, (ordered_values(pd, S, dict(zip(spec.outputs, y)), pd_params) if pd is not None else [])

    def body(carry, xs, save, lv):
        A, acc, S, T, H = carry
        w, step, seg = xs
        k = kernel_at(seg)
        w = [w[v] for v in range(W.shape[1])]
        y, values = observe(k, A, S)
        if spec.hold is not None:
            H = delay(H, step, values[signals.index(hold.signal)], w)
        if spec.ceiling is not None:
            c = spec.ceiling.channel
            w[c] = jnp.where(values[signals.index(spec.ceiling.signal)] >= spec.ceiling.threshold, zero, w[c])
        if trig is not None:
            T = fire(T, step, values[signals.index(trig.signal)], w)
        y_plus = [y[r] + _dot(k["J"][r], w, zero) for r in range(o)] if lv is not None or pd is not None else None
        if lv is not None:
            acc = accumulate(acc, lv, step, y, y_plus, values)
        A = [_dot(k["Phi"][r], A, zero) + _dot(k["G"][r], w, zero) for r in range(len(A))]
        if pd is not None:
            y_next = [_dot(k["C"][r], A, zero) for r in range(o)]
            S = pd.step(S, dict(zip(spec.outputs, y_plus)), dict(zip(spec.outputs, y_next)), pd_params, dt)
        return (A, acc, S, T, H), (tuple((y + values)[k] for k in kept) if save else None)

    seg_of = spec.segment_of_step or (0,) * spec.n_steps
    xs = (W, jnp.arange(spec.n_steps), jnp.asarray(seg_of, jnp.int32))
    unroll = spec.unroll or (8 if jax.default_backend() == "gpu" else 1)
    A, S, T = [zero] * spec.n_aug, (pd.init(pd_params, dtype) if pd is not None else []), (
        [zero, nan] if trig is not None else [])
    H = [jnp.asarray(x, jnp.int32) for x in (0, 0, -1, -1, 0)] if spec.hold is not None else []
    edge_steps = {e for w in windows for e in (w.start, w.end)}
    at, pieces, ys = {}, {}, []  # at: values at window edges; pieces: {first step: (end, levels, summaries)}
    for p, q, active, save in _pieces(spec):
        lv = levels(active) if active else None
        if p in edge_steps or p == 0:
            y, values = observe(kernel_at(seg_of[p]), A, S)
            at[p] = {"auc": A[spec.model.n:], "y": y, "pd": values}
            first, acc = p, acc0(lv) if lv else {}
        # else: only saving starts here; the summaries run on, so they do not depend on save_from
        part = jax.tree_util.tree_map(lambda v: v[p:q], xs)
        (A, acc, S, T, H), y_seq = jax.lax.scan(lambda c, x: body(c, x, save, lv), (A, acc, S, T, H), part,
                                                unroll=unroll)
        if lv:
            pieces[first] = (q, lv, acc)
        if save:
            ys.append(y_seq)

    out = {}
    if windows:
        out = _combine(spec, [(p, *rest) for p, rest in pieces.items()], at, dt, signals, len(summ), o, dtype)
    if trig is not None:
        out["trigger_doses"], out["trigger_last"] = T
    if spec.hold is not None:
        out["hold_count"], out["hold_delay"] = H[4], (H[0] * dt).astype(dtype)
    if spec.save:
        traj = {names[k]: tuple(y_seq[j] for y_seq in ys) for j, k in enumerate(kept)}
        traj = {k: jnp.concatenate(v) if joined else v for k, v in traj.items()}
        out["conc"] = {n: traj[n] for n in spec.outputs if n in traj}
        if signals:
            out["pd"] = {n: traj[n] for n in signals if n in traj}
    return out


def _first_max(parts):
    """(max, time of its first occurrence) over pieces in time order; NaN propagates as in :func:`simulate_one`."""
    m, t = parts[0]
    for pm, pt in parts[1:]:
        higher = (pm > m) | jnp.isnan(pm)
        m, t = jnp.where(higher, pm, m), jnp.where(higher, pt, t)
    return m, t


def _combine(spec: GridSpec, pieces, at, dt: float, signals, n_summ: int, o: int, dtype) -> dict[str, Array]:
    """Window summaries from the summaries of the pieces they cover and the values at their edges."""
    out = {k: [] for k in ("cmax", "cmin", "auc", "c_end")}
    t_level = {"above": [[] for _ in range(o)], "below": [[] for _ in range(o)]}
    pd_out = {k: [] for k in ("pd_max", "pd_min", "pd_mean", "pd_end", "pd_tmax")}
    hits, firsts = [], []
    for w in spec.windows:
        parts = [(lv, acc) for p, q, lv, acc in pieces if w.start <= p and q <= w.end]
        a, b = at[w.start], at[w.end]
        out["cmax"].append([functools.reduce(jnp.maximum, [acc["cmax"][r] for _, acc in parts]) for r in range(o)])
        out["cmin"].append([functools.reduce(jnp.minimum, [acc["cmin"][r] for _, acc in parts]) for r in range(o)])
        out["auc"].append([hi - lo for hi, lo in zip(b["auc"], a["auc"])])
        out["c_end"].append(b["y"])
        for key, idx, thresholds in (("above", 0, w.above), ("below", 1, w.below)):
            for thr in thresholds:
                for r in range(o):
                    count = sum(acc[key][lv[idx].index(thr)][r] for lv, acc in parts)
                    t_level[key][r].append(count * jnp.asarray(dt, dtype))
        if signals:
            mt = [_first_max([(acc["pd_max"][i], acc["pd_tmax"][i]) for _, acc in parts]) for i in range(n_summ)]
            pd_out["pd_max"].append([m for m, _ in mt])
            pd_out["pd_tmax"].append([t for _, t in mt])
            pd_out["pd_min"].append([functools.reduce(jnp.minimum, [acc["pd_min"][i] for _, acc in parts])
                                     for i in range(n_summ)])
            pd_out["pd_mean"].append([sum(acc["pd_sum"][i] for _, acc in parts) / float(w.end - w.start)
                                      for i in range(n_summ)])
            pd_out["pd_end"].append(b["pd"])
            for sig, thr in w.pd_above:
                key = (signals.index(sig), thr)
                hits.append(sum(acc["pd_hits"][lv[2].index(key)] for lv, acc in parts) * jnp.asarray(dt, dtype))
                firsts.append(functools.reduce(lambda x, y: jnp.where(jnp.isnan(x), y, x),
                                               [acc["pd_first"][lv[2].index(key)] for lv, acc in parts]))
    res = {k: jnp.stack([jnp.stack(row) for row in rows]) for k, rows in out.items()}
    res.update({f"t_{k}": jnp.stack([jnp.stack(row) for row in rows]) for k, rows in t_level.items() if rows[0]})
    if signals:
        res.update({k: jnp.stack([jnp.stack(row) if row else jnp.zeros((0,), dtype) for row in rows])
                    for k, rows in pd_out.items()})
    if hits:
        res["pd_t_above"], res["pd_t_first"] = jnp.stack(hits)[None], jnp.stack(firsts)[None]
    return res
