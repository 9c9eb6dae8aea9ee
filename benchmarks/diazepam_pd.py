"""The shared set-up of P2 and P3: oral diazepam -> nordiazepam -> oxazepam with the Risk PD model in an
adult physiological cohort on a 1 h grid (one :class:`popsim.arm.Arm`), timed over a regimen array
(compile time apart)."""

from __future__ import annotations

import os
import platform
import resource

import numpy as np
from timing import median_wall

__all__ = ["run_diazepam_pd"]


def run_diazepam_pd(n_steps: int, windows: dict, U: np.ndarray, n_subjects: int, chunk: int,
                    summarised: tuple[str, ...]):
    """(timing and machine fields, :class:`popsim.arm.ArmOutput`) for regimens ``U`` (regimen, time, 1);
    ``windows``: name -> :class:`popsim.pk.grid.Window`; ``summarised``: the signals with window
    max/min/mean (every signal's value at the window ends is kept).  The timed call is the simulation
    alone (:func:`popsim.simulate.simulate` on the arm's model, grid and runtime inputs)."""
    import jax
    import jax.numpy as jnp

    from popsim.arm import Arm, ArmOutput
    from popsim.pd.parameters import check_values
    from popsim.simulate import simulate

    arm = Arm("diazepam", "oral", "adult", 1.0, n_steps, pd=True)
    spec, model = arm.spec(tuple(windows.values()), summarised=summarised), arm.model()
    sim_args = arm.args(0, jnp.float32, values=check_values())
    holder = {}

    def run():
        holder["out"] = simulate(spec, model, sim_args, U, n_subjects=n_subjects, chunk_size=chunk)

    timing = median_wall(run)
    stp = n_subjects * U.shape[0] * n_steps
    row = {"n_subjects": n_subjects, "n_regimens": U.shape[0], "n_timepoints": n_steps, **timing,
           "stp_per_s": stp / timing["wall_s"],
           "full_size_wall_s_estimate": 10_000 * U.shape[0] * n_steps / (stp / timing["wall_s"]),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "machine": f"{platform.node()} ({os.cpu_count()} CPUs, jax {jax.__version__}, {jax.default_backend()})"}
    return row, ArmOutput(spec, tuple(windows), holder["out"])
