"""Checks shared by every schema: each error names the key, the value and what is allowed.

Nothing here imports the rest of popsim, so any module may use it.
"""

from __future__ import annotations

import difflib
import math

__all__ = ["choice", "closest", "finite", "on_grid", "unique"]


def closest(name: str, choices) -> str:
    """A ``did you mean`` suffix for an unknown name, or an empty string."""
    match = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


def finite(path: str, value: float, *, low: float, high: float = math.inf, low_open: bool = False) -> None:
    """``value`` is a finite number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if low_open else value >= low))
    if not ok or value > high:
        bound = f"> {low}" if low_open else f">= {low}"
        rng = f"{bound}" + (f" and <= {high}" if high != math.inf else "")
        raise ValueError(f"{path}={value!r}; allowed: a finite number {rng}")


def choice(path: str, value, allowed) -> None:
    """``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{path}={value!r}; allowed: {list(allowed)}" + closest(str(value), allowed))


def unique(path: str, values) -> None:
    """A non-empty list without repeats."""
    if not values or len(set(values)) != len(values):
        raise ValueError(f"{path}={list(values)!r}; allowed: a non-empty list without repeats")


def on_grid(path: str, value: float, dt_h: float, what: str = "grid.dt_h") -> None:
    """``value`` (h) is a whole number of grid steps ``dt_h``."""
    if abs(value / dt_h - round(value / dt_h)) > 1e-9:
        raise ValueError(f"{path}={value!r}; allowed: a multiple of {what}={dt_h!r}")
