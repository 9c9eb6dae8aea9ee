"""Wall time of a call: the first call (compile + run) and the median of ``runs`` more."""

from __future__ import annotations

import time

import numpy as np

__all__ = ["median_wall"]


def median_wall(call, runs: int = 3) -> dict:
    """``{"compile_s", "wall_s"}``: compile time is the first call minus the median of the later ones.
    ``call`` must block until its result is ready (e.g. convert to numpy)."""
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    wall = float(np.median(times))
    return {"compile_s": max(first - wall, 0.0), "wall_s": wall}
