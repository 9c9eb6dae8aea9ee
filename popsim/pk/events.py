"""Predictions for a NONMEM-style event table (event mode).

Where :mod:`popsim.pk.grid` is the population hot path on a regular grid,
this module answers "what does NONMEM predict at each of these records?" for
an arbitrary record table, record by record, with NONMEM 7 (PREDPP) event
semantics.  Every propagation is an exact matrix exponential from
:mod:`popsim.pk.propagate`; steady states are solved analytically with
:func:`~popsim.pk.propagate.periodic_steady_state` (dosing regimens) and
:func:`~popsim.pk.propagate.constant_input_steady_state` (constant infusions).

Conventions (NONMEM's where the oracle of ``../shared/conformance/nonmem_dosing``
pins them, chosen and documented here where it does not):

* Records of one ID are processed in file order.  The prediction of a record
  is the state *after* the record is processed, so an observation placed
  before a dose at the same time gives the pre-dose value and one placed after
  it the post-dose value.
* *Implied* events -- additional (ADDL) doses, lagged dose arrivals and
  infusion ends -- that fall due at or before a record's time happen before
  that record: an observation at the time of an additional or lagged dose is
  post-dose.
* A dose given at ``TIME`` with lag ``ALAG`` arrives (bolus) or starts
  (infusion) at ``TIME + ALAG``; additional doses are given at
  ``TIME + k*II`` (k = 1..ADDL) and arrive ``ALAG`` later, with the amount,
  rate, F and ALAG of their record.
* Bioavailability ``F`` scales the amount.  An infusion keeps its rate and its
  duration becomes ``F*AMT/RATE`` (RATE > 0 or modeled rate, RATE = -1); with
  a modeled duration (RATE = -2) the duration is kept and the rate becomes
  ``F*AMT/D``.  Infusions into the same compartment add.
* Reset (EVID 3, EVID 4, SS = 1) empties every compartment and cancels running
  infusions (steady-state infusions included) and pending lagged and
  additional doses.
* SS = 1 resets the system to the steady state of the regimen "AMT every II"
  (with the record's F, ALAG and rate) just before this record's dose, then
  gives the dose; SS = 2 adds that steady state to the current state.  The
  steady state is the exact periodic limit of explicit dosing, including
  infusions longer than II (earlier doses still running at ``TIME``) and any
  ALAG, also ALAG >= II: regimen doses given before ``TIME`` whose arrival is
  still pending at ``TIME`` (those given at ``TIME - k*II`` with
  ``k*II < ALAG``) are scheduled as implied doses, so the profile after an SS
  record equals that after long explicit dosing.  (The oracle covers
  ALAG < II only; NONMEM's own handling of ALAG >= II is not checked.)
* A steady-state infusion (NONMEM: SS = 1 or 2 with AMT = 0, II = 0 and
  RATE > 0, or RATE = -1 with the modeled rate R) says that the system is at
  the steady state of a constant infusion at that rate into CMT; the infusion
  goes on after the record, without end, until a reset (EVID 3, EVID 4 or
  another SS = 1 record) cancels it.  SS = 1 resets the system to that steady
  state (as any SS = 1 record, cancelling other infusions and pending doses);
  SS = 2 adds it to the current state, and everything running goes on.  The
  steady state is exact, ``K x = -r`` solved on the compartments the infusion
  reaches (the others hold none of it); where one of them has no elimination
  path there is none (amounts grow without bound) and the record is refused.
  F has no effect on it: F scales amounts and never rates (above), and a
  steady-state infusion has no amount and no end that F could move.  ALAG has
  no effect either: a constant input running since ever is the same input
  shifted by a lag.  RATE = -2 (modeled duration) and RATE = 0 are refused
  on such a record, and so is II = 0 with SS = 1 or 2 and AMT > 0.  None of
  this is checked against NONMEM output (the oracle has no steady-state
  infusion); it is checked against closed forms and long explicit infusions.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
from typing import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from popsim._validate import closest
from popsim.pk.model import LinearModel
from popsim.pk.propagate import advance, constant_input_steady_state, periodic_steady_state, phi

__all__ = ["predict_events"]

_REQUIRED = ("ID", "TIME", "EVID", "AMT", "CMT")
_OPTIONAL = ("RATE", "II", "ADDL", "SS")
_KINDS = ("ALAG", "F", "R", "D")
_DEFAULT = {"ALAG": 0.0, "F": 1.0}

_advance = jax.jit(advance)
_phi = jax.jit(phi)
_steady = jax.jit(periodic_steady_state)


@dataclasses.dataclass(frozen=True)
class _Dose:
    """``amount`` (mg, F applied) into compartment ``cmt``: a bolus if ``rate`` is 0, else an infusion (mg/h)."""

    cmt: int
    amount: float
    rate: float


@dataclasses.dataclass
class _State:
    """One subject's system at ``time``: amounts, running infusions and pending implied doses."""

    time: float
    A: jax.Array
    infusions: list[tuple[float, int, float]] = dataclasses.field(default_factory=list)  # (end, cmt, rate)
    pending: list[tuple[float, int, _Dose]] = dataclasses.field(default_factory=list)  # heap (time, seq, dose)


def predict_events(
    events: pd.DataFrame,
    model: LinearModel,
    params: Mapping[str, float] | pd.DataFrame,
    *,
    output: str = "central",
    columns: Mapping[str, str] | None = None,
    cmt_names: Sequence[str] | None = None,
) -> pd.Series:
    """Concentration of ``output`` at every record of a NONMEM-style event table.

    Parameters
    ----------
    events
        One row per record.  Columns (names case-insensitive): ``ID``, ``TIME``
        (h, non-decreasing within an ID, the records of an ID contiguous),
        ``EVID`` (0 observation, 1 dose, 2 other, 3 reset, 4 reset and dose),
        ``AMT`` (mg), ``CMT`` (1-based compartment number), and optionally
        ``RATE`` (mg/h; 0 bolus, > 0 infusion, -1 modeled rate, -2 modeled
        duration), ``II`` (h), ``ADDL`` and ``SS`` (0, 1 or 2), all 0 when
        absent.  Only dose records (EVID 1 and 4) use AMT, CMT, RATE, II,
        ADDL and SS; other columns are ignored unless named in ``columns``.
        SS = 1 or 2 with AMT = 0 and II = 0 is a steady-state infusion at
        RATE (> 0, or -1 for the modeled rate) into CMT.
    model
        The compartment structure.
    params
        One parameter set ``name -> value`` for every ID, or a DataFrame with
        a column ``ID`` and one row per ID holding the model's parameters.
        Every parameter the model reads must be finite and > 0; names the model
        does not read are an error.
    output
        Compartment whose concentration (amount / volume, mg/L) is predicted.
    columns
        Data columns holding per-record dose modifiers, as
        ``{"COLUMN": "KIND:compartment"}`` with ``KIND`` one of ``ALAG`` (lag
        time, h, >= 0, default 0), ``F`` (bioavailability, >= 0, default 1),
        ``R`` (modeled infusion rate, mg/h, > 0, read when RATE = -1) and ``D``
        (modeled infusion duration, h, > 0, read when RATE = -2); e.g.
        ``{"LAGT": "ALAG:central", "BIOAV": "F:central"}``.  A dose record
        reads the values on its own row for the compartment it doses.
    cmt_names
        Compartment dosed by ``CMT = k`` is ``cmt_names[k - 1]``; by default
        the model's compartments in order.

    Returns
    -------
    pandas.Series
        Concentration of ``output`` (mg/L) after each record is processed,
        indexed like ``events``, in record order.  Event semantics are listed
        in the module docstring.

    Raises
    ------
    ValueError
        For invalid input, before any compute, naming the field, the record
        (ID and 0-based row), the value and the allowed range; also for a
        steady-state infusion that has no steady state with its ID's
        parameters.
    RuntimeError
        If JAX float64 (``jax_enable_x64``) is off.
    """
    if not jax.config.read("jax_enable_x64"):
        raise RuntimeError(
            "predict_events computes in float64: enable it with jax.config.update('jax_enable_x64', True)"
        )
    targets = [model.index(name) for name in (cmt_names or model.names)]
    modifiers = _modifiers(columns or {}, model)
    data = _table(events, modifiers)
    _validate(data, modifiers, targets, model)
    per_id = _parameters(params, model, data["ID"].unique())
    model.concentration_row(output, next(iter(per_id.values())))  # rejects an output without a volume
    _check_steady_infusions(data, per_id, model, targets)

    out = np.empty(len(data))
    for subject, rows in data.groupby("ID", sort=False).indices.items():
        p = per_id[subject]
        K = model.rate_matrix(p)
        c = model.concentration_row(output, p)
        out[rows] = [float(c @ A) for A in _simulate(data.iloc[rows], K, targets, modifiers)]
    return pd.Series(out, index=events.index, name=f"C_{output}")


def _modifiers(columns: Mapping[str, str], model: LinearModel) -> dict[tuple[str, int], str]:
    """``{(KIND, compartment index): COLUMN}`` from ``{"COLUMN": "KIND:compartment"}``."""
    found: dict[tuple[str, int], str] = {}
    for column, spec in columns.items():
        kind, _, cmt = spec.partition(":")
        if kind not in _KINDS or not cmt:
            raise ValueError(
                f"columns[{column!r}] = {spec!r}; allowed: 'KIND:compartment' with KIND in {_KINDS}"
            )
        key = (kind, model.index(cmt))
        if key in found:
            raise ValueError(f"columns {found[key]!r} and {column!r} both give {spec!r}")
        found[key] = column.upper()
    return found


def _table(events: pd.DataFrame, modifiers: Mapping[tuple[str, int], str]) -> pd.DataFrame:
    """The used columns under upper-case names, as float64 (optional columns default to 0)."""
    upper: dict[str, str] = {}
    for name in events.columns:
        if str(name).upper() in upper:
            raise ValueError(f"events columns {upper[str(name).upper()]!r} and {name!r} differ only in case")
        upper[str(name).upper()] = name
    wanted = [*_REQUIRED, *_OPTIONAL, *modifiers.values()]
    missing = [c for c in wanted if c not in upper and c not in _OPTIONAL]
    if missing:
        raise ValueError(f"events lacks columns {missing}; it has {list(events.columns)}")
    data = pd.DataFrame(index=range(len(events)))
    data["ID"] = events[upper["ID"]].to_numpy()
    for c in wanted[1:]:
        raw = events[upper[c]].to_numpy() if c in upper else np.zeros(len(events))
        values = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(np.float64)
        _check(data.assign(**{c: raw}), np.isnan(values) & pd.notna(raw), c, "a number")
        data[c] = values
    return data


def _check(data: pd.DataFrame, bad, field: str, allowed: str, label: str | None = None) -> None:
    """Raise for the first row where ``bad`` holds."""
    rows = np.flatnonzero(bad)
    if rows.size:
        i = rows[0]
        raise ValueError(
            f"events row {i} (ID {data['ID'].iloc[i]}): {label or field} = {data[field].iloc[i]}; allowed: {allowed}"
        )


def _finite(values, low: float, strict: bool = False):
    """``values`` finite and ``> low`` (``strict``) or ``>= low``."""
    return np.isfinite(values) & ((values > low) if strict else (values >= low))


def _validate(
    data: pd.DataFrame, modifiers: Mapping[tuple[str, int], str], targets: Sequence[int], model: LinearModel
) -> None:
    """Every check on the records, before any compute."""
    ids = data["ID"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    repeated = np.zeros(len(data), bool)
    repeated[starts[pd.Series(ids[starts]).duplicated().to_numpy()]] = True
    _check(data, repeated, "ID", "the records of one ID contiguous (this ID appears in an earlier block)")
    _check(data, ~np.isfinite(data["TIME"]), "TIME", "finite")
    same_id = np.r_[False, ids[1:] == ids[:-1]]
    _check(data, same_id & (data["TIME"].diff().to_numpy() < 0), "TIME", ">= the previous TIME of the same ID")
    _check(data, ~data["EVID"].isin([0, 1, 2, 3, 4]), "EVID", "0, 1, 2, 3 or 4")
    dose = data["EVID"].isin([1, 4]).to_numpy()
    _check(data, dose & ~_finite(data["AMT"], 0), "AMT", "finite and >= 0")
    _check(data, dose & ~data["CMT"].isin(range(1, len(targets) + 1)), "CMT", f"an integer 1..{len(targets)}")
    rate_ok = _finite(data["RATE"], 0) | data["RATE"].isin([-1, -2])
    _check(data, dose & ~rate_ok, "RATE", "finite and >= 0, -1 (modeled rate) or -2 (modeled duration)")
    _check(data, dose & ~_finite(data["II"], 0), "II", "finite and >= 0")
    _check(data, dose & ~(_finite(data["ADDL"], 0) & (data["ADDL"] % 1 == 0)), "ADDL", "an integer >= 0")
    _check(data, dose & ~data["SS"].isin([0, 1, 2]), "SS", "0, 1 or 2")
    _check(data, dose & (data["ADDL"] > 0) & ~(data["II"] > 0), "II", "> 0 when ADDL > 0")
    _check(data, dose & (data["SS"] > 0) & ~(data["II"] > 0) & (data["AMT"] > 0), "II",
           "> 0 when SS is 1 or 2 and AMT > 0 (II = 0 with SS 1 or 2 is a steady-state infusion, which has AMT = 0)")
    _check(data, _steady_infusions(data) & ~((data["RATE"] > 0) | (data["RATE"] == -1)), "RATE",
           "> 0 or -1 (modeled rate) on a steady-state infusion (SS 1 or 2 with AMT = 0 and II = 0): "
           "an infusion without end has no duration (-2) and is no bolus (0)")
    cmt = np.array([targets[int(k) - 1] if d else -1 for k, d in zip(data["CMT"], dose)])
    modeled = {"R": dose & (data["RATE"] == -1).to_numpy(), "D": dose & (data["RATE"] == -2).to_numpy()}
    for kind, needs in modeled.items():
        for i in np.unique(cmt[needs]):
            if (kind, i) not in modifiers:
                code = -1 if kind == "R" else -2
                _check(data, needs & (cmt == i), "RATE",
                       f"{code} only with a column mapped to '{kind}:{model.names[i]}' in `columns`")
    for (kind, i), column in modifiers.items():
        used = modeled.get(kind, dose) & (cmt == i)
        strict = kind in modeled
        _check(data, used & ~_finite(data[column], 0, strict), column,
               "finite and > 0" if strict else "finite and >= 0", f"{column} ({kind}:{model.names[i]})")


def _steady_infusions(data: pd.DataFrame) -> np.ndarray:
    """Rows of steady-state infusions: dose records with SS 1 or 2, AMT = 0 and II = 0."""
    dose = data["EVID"].isin([1, 4]) & data["SS"].isin([1, 2])
    return (dose & (data["AMT"] == 0) & (data["II"] == 0)).to_numpy()


def _reached(K: np.ndarray, cmt: int) -> list[int]:
    """Compartments that an input into ``cmt`` reaches through ``K``'s non-zero links: ``cmt`` and all downstream."""
    seen, stack = {cmt}, [cmt]
    while stack:
        for j in np.flatnonzero(K[:, stack.pop()]).tolist():
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return sorted(seen)


def _check_steady_infusions(
    data: pd.DataFrame, per_id: Mapping[object, Mapping[str, jax.Array]], model: LinearModel, targets: Sequence[int]
) -> None:
    """Refuse a steady-state infusion whose steady state does not exist with its ID's parameters.

    It exists iff ``K`` restricted to the compartments the infusion reaches is
    non-singular (numerically: smallest singular value above ``n * eps``
    times the largest); a zero eigenvalue is a trap, a set of reached
    compartments with no elimination path, named from the null vector.
    """
    rates: dict[object, np.ndarray] = {}
    for i in np.flatnonzero(_steady_infusions(data)):
        subject = data["ID"].iloc[i]
        if subject not in rates:
            rates[subject] = np.asarray(model.rate_matrix(per_id[subject]))
        cmt = targets[int(data["CMT"].iloc[i]) - 1]
        reached = _reached(rates[subject], cmt)
        _, sv, vh = np.linalg.svd(rates[subject][np.ix_(reached, reached)])
        if sv[-1] <= sv[0] * len(reached) * np.finfo(np.float64).eps:
            null = np.abs(vh[-1])
            trapped = [model.names[reached[j]] for j in np.flatnonzero(null > 1e-6 * null.max())]
            raise ValueError(
                f"events row {i} (ID {subject}): CMT = {data['CMT'].iloc[i]} ({model.names[cmt]!r}) on a "
                f"steady-state infusion (SS = {data['SS'].iloc[i]}, AMT = 0, II = 0), which has no steady state "
                f"there: {trapped} receive its input and have no elimination path, so their amounts grow without "
                "bound; allowed: a compartment from which every compartment reached is eliminated"
            )


def _parameters(
    params: Mapping[str, float] | pd.DataFrame, model: LinearModel, ids
) -> dict[object, dict[str, jax.Array]]:
    """One float64 parameter set per ID, checked: known names, finite and > 0."""
    if isinstance(params, pd.DataFrame):
        id_col = [c for c in params.columns if str(c).upper() == "ID"]
        if len(id_col) != 1:
            raise ValueError(f"params DataFrame needs one column ID; it has {list(params.columns)}")
        table = params.set_index(id_col[0])
        if table.index.duplicated().any():
            raise ValueError(f"params: ID {table.index[table.index.duplicated()][0]} has more than one row")
        absent = [i for i in ids if i not in table.index]
        if absent:
            raise ValueError(f"params has no row for ID {absent[0]} (events IDs without parameters: {absent})")
        rows = {i: (f"params row {table.index.get_loc(i)} (ID {i})", table.loc[i].to_dict()) for i in ids}
    else:
        rows = {i: ("params", dict(params)) for i in ids}
    per_id = {}
    for i, (where, p) in rows.items():
        missing = [name for name in model.parameters if name not in p]
        if missing:
            raise ValueError(f"{where}: missing parameters {missing}; the model reads {list(model.parameters)}")
        for name, value in p.items():
            if name not in model.parameters:
                raise ValueError(
                    f"{where}: unknown parameter {name!r}; the model reads {list(model.parameters)}"
                    + closest(name, model.parameters)
                )
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{where}: {name} = {value}; allowed: finite and > 0")
        per_id[i] = {name: jnp.asarray(p[name], jnp.float64) for name in model.parameters}
    return per_id


def _dose(record: pd.Series, cmt: int, modifiers: Mapping[tuple[str, int], str]) -> tuple[_Dose, float]:
    """The record's dose (F applied, infusion rate resolved) and its lag time."""

    def value(kind: str) -> float:
        column = modifiers.get((kind, cmt))
        return _DEFAULT[kind] if column is None else float(record[column])

    amount = value("F") * float(record["AMT"])
    rate = float(record["RATE"])
    if rate == -1:
        rate = value("R")
    elif rate == -2:
        rate = amount / value("D")
    return _Dose(cmt, amount, rate), value("ALAG")


def _simulate(
    records: pd.DataFrame, K: jax.Array, targets: Sequence[int], modifiers: Mapping[tuple[str, int], str]
) -> list[jax.Array]:
    """Amounts (mg, shape ``(n,)``) after each record of one ID."""
    seq = itertools.count()  # ties between implied events go in the order they were created
    state = _State(float(records["TIME"].iloc[0]), jnp.zeros(K.shape[0], jnp.float64))
    states = []
    for _, record in records.iterrows():
        t = float(record["TIME"])
        _run_until(state, K, t)
        if record["EVID"] in (3, 4):
            state = _State(t, jnp.zeros_like(state.A))
        if record["EVID"] in (1, 4):
            dose, lag = _dose(record, targets[int(record["CMT"]) - 1], modifiers)
            ii = float(record["II"])
            if record["SS"] > 0 and ii == 0:  # steady-state infusion (AMT = 0, no ADDL); F and ALAG have no effect
                steady = _infusion_steady_state(K, dose)
                running = (math.inf, dose.cmt, dose.rate)
                if record["SS"] == 1:
                    state = _State(t, steady, [running])
                else:
                    state.A = state.A + steady
                    state.infusions.append(running)
            else:
                if record["SS"] == 1:
                    state = _steady_state(K, t, dose, ii, lag, seq)
                elif record["SS"] == 2:
                    steady = _steady_state(K, t, dose, ii, lag, seq)
                    state.A = state.A + steady.A
                    state.infusions += steady.infusions
                    for item in steady.pending:
                        heapq.heappush(state.pending, item)
                for k in range(int(record["ADDL"]) + 1):
                    heapq.heappush(state.pending, (t + k * ii + lag, next(seq), dose))
                _run_until(state, K, t)
        states.append(state.A)
    return states


def _steady_state(K: jax.Array, t: float, dose: _Dose, ii: float, lag: float, seq) -> _State:
    """State at ``t`` left by ``dose`` given at ``t - k*ii`` for every k >= 1, each arriving ``lag`` later.

    The dose given at ``t - k*ii`` arrives at ``t + lag - k*ii``; ``s`` is the
    latest such arrival at or before ``t`` (k = ``before`` = ceil(lag / ii);
    ``s = t`` without lag, where the arrival is this record's own dose).
    During one period the regimen's input is the dose's input wrapped around
    the period (an infusion longer than ``ii`` overlaps ``wraps`` earlier
    ones); ``b`` is the state one period after that input from empty, and the
    state just before the arrival at ``s`` is the fixed point of
    ``x -> Phi(ii) x + b``.  Earlier infusions still running at ``s`` and the
    doses k = ``before`` .. 1 (arriving at ``s``, ``s + ii``, ...) are
    then given explicitly while advancing from ``s`` to ``t``.
    """
    n = K.shape[0]
    zero = jnp.zeros(n, jnp.float64)
    e = zero.at[dose.cmt].set(1.0)
    before = math.ceil(lag / ii)
    s = t + lag - before * ii
    if dose.rate == 0:
        b = _advance(K, dose.amount * e, ii, zero)
        running = []
    else:
        duration = dose.amount / dose.rate
        wraps = math.floor(duration / ii)
        rest = max(duration - wraps * ii, 0.0)
        b = _advance(K, _advance(K, zero, rest, (wraps + 1) * dose.rate * e), ii - rest, wraps * dose.rate * e)
        running = [(s + duration - j * ii, dose.cmt, dose.rate) for j in range(1, wraps + 1) if duration > j * ii]
    state = _State(s, _steady(_phi(K, ii), b), running)
    for k in range(before, 0, -1):
        heapq.heappush(state.pending, (t + lag - k * ii, next(seq), dose))
    _run_until(state, K, t)
    return state


def _infusion_steady_state(K: jax.Array, dose: _Dose) -> jax.Array:
    """Amounts (mg, shape ``(n,)``) at the steady state of a constant infusion at ``dose.rate`` into ``dose.cmt``.

    Solved on the compartments the infusion reaches (its steady state exists
    there, checked by :func:`_check_steady_infusions`); the others hold none of it.
    """
    reached = _reached(np.asarray(K), dose.cmt)
    r = jnp.zeros(len(reached), jnp.float64).at[reached.index(dose.cmt)].set(dose.rate)
    x = constant_input_steady_state(K[np.ix_(reached, reached)], r)
    return jnp.zeros(K.shape[0], jnp.float64).at[np.asarray(reached)].set(x)


def _start(state: _State, dose: _Dose) -> None:
    """Give ``dose`` at ``state.time``: add a bolus, or start an infusion."""
    if dose.rate == 0:
        state.A = state.A.at[dose.cmt].add(dose.amount)
    elif dose.amount > 0:
        state.infusions.append((state.time + dose.amount / dose.rate, dose.cmt, dose.rate))


def _run_until(state: _State, K: jax.Array, t: float) -> None:
    """Advance to ``t``, giving every implied event due at or before ``t`` on the way."""
    while True:
        due = [item[0] for item in state.pending] + [end for end, _, _ in state.infusions]
        t_next = min([t, *due])
        if t_next > state.time:
            rate = np.zeros(K.shape[0])
            for _, cmt, r in state.infusions:
                rate[cmt] += r
            state.A = _advance(K, state.A, t_next - state.time, jnp.asarray(rate))
            state.time = t_next
        state.infusions = [inf for inf in state.infusions if inf[0] > state.time]
        while state.pending and state.pending[0][0] <= state.time:
            _start(state, heapq.heappop(state.pending)[2])
        if state.time >= t:
            return
