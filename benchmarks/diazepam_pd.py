"""The shared set-up of P2 and P3: oral diazepam -> nordiazepam -> oxazepam with the Risk PD model in an
adult physiological cohort on a 1 h grid, timed over a regimen array (compile time apart)."""

from __future__ import annotations

import dataclasses
import os
import platform
import resource

import numpy as np
from timing import median_wall

__all__ = ["run_diazepam_pd"]


def run_diazepam_pd(n_steps: int, windows, U: np.ndarray, n_subjects: int, chunk: int,
                    summarised: tuple[str, ...]) -> tuple[dict, dict, list]:
    """(timing and machine fields, simulate() output, PD signal names) for regimens ``U`` (regimen, time, 1);
    ``summarised``: the signals with window max/min/mean (every signal's value at the window ends is kept)."""
    import jax
    import jax.numpy as jnp

    from popsim.cohort.presets import preset
    from popsim.keys import root_key, stream_key
    from popsim.arm import Physiological, frozen_cohort, victim_spec
    from popsim.pd.parameters import check_values
    from popsim.simulate import simulate

    spec = dataclasses.replace(victim_spec("diazepam", "oral", 1.0, n_steps, windows=windows, pd=True),
                               summarised=summarised)
    model = Physiological("diazepam", "oral", frozen_cohort(preset("adult")), 1.0, n_steps, pd=True)
    root = root_key(0)
    values = {k: jnp.asarray(v, jnp.float32) for k, v in check_values().items()}
    sim_args = (stream_key(root, "cohort"), stream_key(root, "iiv"), jnp.zeros(n_steps, jnp.float32), values)
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
    return row, holder["out"], list(spec.pd.signals)
