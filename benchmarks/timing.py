"""Shared by the benchmarks: one XLA host device per core, and the wall time of a call."""

from __future__ import annotations

import os
import time

import numpy as np

__all__ = ["median_wall", "use_all_cores"]


def use_all_cores() -> None:
    """One XLA host device per CPU core (as ``python -m popsim`` does), so that :mod:`popsim.simulate`
    shards subjects across cores; it takes effect only before JAX starts its backend (call it before
    importing jax).  ``XLA_FLAGS`` that already set a device count are left alone."""
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + f" --xla_force_host_platform_device_count={os.cpu_count() or 1}").strip()


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
