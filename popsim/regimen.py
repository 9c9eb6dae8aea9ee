"""Regimen specs -> input arrays on the grid.

A regimen is a list of administrations; on the grid each becomes an amount
(bolus, mg) or a rate (infusion, mg/h) at integer step indices computed from
times by rounding ``t / dt`` (times are validated to lie on the grid, so no
dose is lost or doubled however long the regimen; never by accumulating dt).
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["daily_schedule", "fixed_interval", "night_mask", "sweep"]


def fixed_interval(
    n_steps: int, dt_h: float, dose_mg: float, interval_h: float, start_h: float = 0.0,
    *, infusion_h: float = 0.0, n_doses: int | None = None,
) -> np.ndarray:
    """(n_steps,) input for ``dose_mg`` every ``interval_h`` from ``start_h``
    (``n_doses`` doses, or until the end of the grid).

    Bolus (``infusion_h == 0``): amount at the dose steps.  Infusion: rate
    ``dose_mg / infusion_h`` held over the ``infusion_h / dt_h`` steps after
    each dose (``infusion_h`` must be a whole number of steps); overlapping
    infusions add.
    """
    u = np.zeros(n_steps)
    every = round(interval_h / dt_h)
    first = round(start_h / dt_h)
    doses = np.arange(first, n_steps, every)[:n_doses]
    if infusion_h == 0:
        u[doses] = dose_mg
        return u
    width = infusion_h / dt_h
    if abs(width - round(width)) > 1e-9 or round(width) < 1:
        raise ValueError(f"infusion_h={infusion_h!r}; allowed: a positive multiple of dt_h={dt_h!r}")
    for d in doses:
        u[d : d + round(width)] += dose_mg / infusion_h
    return u


def sweep(n_steps: int, dt_h: float, dose_mg, interval_h, start_h: float = 0.0, *, infusion_h: float = 0.0):
    """Every dose x every interval: (labels, (regimen, time, 1) inputs).

    ``labels`` is a list of ``{"dose_mg": ..., "interval_h": ...}`` in the
    order of the regimen axis (doses outer, intervals inner).
    """
    labels, rows = [], []
    for d, tau in itertools.product(dose_mg, interval_h):
        labels.append({"dose_mg": float(d), "interval_h": float(tau)})
        rows.append(fixed_interval(n_steps, dt_h, d, tau, start_h, infusion_h=infusion_h))
    return labels, np.stack(rows)[..., None]


def daily_schedule(n_steps: int, dt_h: float, daily_mg, hours_of_day: tuple[float, ...]) -> np.ndarray:
    """(n_steps,) bolus input for a day-by-day dose plan (a taper is one): day ``d`` takes
    ``daily_mg[d]`` split equally over ``hours_of_day`` (clock hours, on the grid); days after
    the plan take nothing."""
    u = np.zeros(n_steps)
    per_day = round(24.0 / dt_h)
    if abs(per_day * dt_h - 24.0) > 1e-9:
        raise ValueError(f"dt_h={dt_h!r}; allowed: a grid step that divides 24 h")
    offsets = [round(h / dt_h) for h in hours_of_day]
    if any(abs(o * dt_h - h) > 1e-9 or not 0 <= o < per_day for o, h in zip(offsets, hours_of_day)):
        raise ValueError(f"hours_of_day={hours_of_day!r}; allowed: clock hours in [0, 24) on the grid (dt {dt_h} h)")
    for day, mg in enumerate(np.asarray(daily_mg, float)):
        if not (np.isfinite(mg) and mg >= 0):
            raise ValueError(f"daily_mg[{day}]={mg!r}; allowed: a finite number >= 0")
        for o in offsets:
            if day * per_day + o < n_steps:
                u[day * per_day + o] += mg / len(offsets)
    return u


def night_mask(clock_h: np.ndarray, night: tuple[float, float]) -> np.ndarray:
    """True where the clock hour is in the night ``[start, end)`` (wrapping past midnight if start > end)."""
    start, end = night
    return (clock_h >= start) | (clock_h < end) if start > end else (clock_h >= start) & (clock_h < end)
