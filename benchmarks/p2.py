"""Benchmark P2 (shared/bench/problems.md): the regimen sweep, the product's hot path, end to end.

Oral diazepam -> nordiazepam -> oxazepam (each with an effect site) in an adult physiological cohort
with covariates and IIV; 1,000 regimens = 10 doses (2-20 mg) x 4 intervals (6, 8, 12, 24 h) x 25
start times (0-24 h); 28 days on a 1 h grid; reductions only, computed in the time loop: Cmax, Cmin
and exact AUC over the last day, GABA-A occupancy and adaptation summaries and the three risk scores
(:class:`popsim.pd.risk.Risk`).  The problem's full size is 10,000 subjects (6.7e9
subject-regimen-timepoints); ``--n`` picks fewer on a small machine.  Reported: stp/s (compile
excluded, median of 3), wall time, compile time, peak RSS and the size of the reduced output.
Usage: ``python benchmarks/p2.py [--n 512]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
from pathlib import Path

import numpy as np
from timing import median_wall

HERE = Path(__file__).resolve().parent
DAYS = 28


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--chunk", type=int, default=512)
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp

    from popsim.cohort.presets import preset
    from popsim.keys import root_key, stream_key
    from popsim.params.population import Physiological, frozen_cohort, victim_spec
    from popsim.pd.parameters import check_values
    from popsim.pk.grid import Window
    from popsim.regimen import fixed_interval
    from popsim.simulate import simulate

    n_steps = DAYS * 24 + 1
    windows = (Window(n_steps - 1 - 24, n_steps - 1), Window(0, n_steps - 1))
    spec = victim_spec("diazepam", "oral", 1.0, n_steps, windows=windows, pd=True)
    model = Physiological("diazepam", "oral", frozen_cohort(preset("adult")), 1.0, n_steps, pd=True)
    grid = list(itertools.product(np.linspace(2.0, 20.0, 10), (6, 8, 12, 24), range(25)))
    U = np.stack([fixed_interval(n_steps, 1.0, d, tau, float(start)) for d, tau, start in grid])[..., None]
    root = root_key(0)
    values = {k: jnp.asarray(v, jnp.float32) for k, v in check_values().items()}
    sim_args = (stream_key(root, "cohort"), stream_key(root, "iiv"), jnp.zeros(n_steps, jnp.float32), values)
    holder = {}

    def run():
        holder["out"] = simulate(spec, model, sim_args, U, n_subjects=args.n, chunk_size=args.chunk)

    timing = median_wall(run)
    out = holder["out"]
    stp = args.n * U.shape[0] * n_steps
    reduced = sum(v.nbytes for k, v in out.items() if k in ("cmax", "cmin", "auc", "c_end") or k.startswith("pd_"))
    row = {"problem": "P2", "n_subjects": args.n, "n_regimens": U.shape[0], "n_timepoints": n_steps, **timing,
           "stp_per_s": stp / timing["wall_s"],
           "full_size_wall_s_estimate": 10_000 * U.shape[0] * n_steps / (stp / timing["wall_s"]),
           "reduced_output_mb": reduced / 2**20,
           "full_size_reduced_output_gb_estimate": reduced / args.n * 10_000 / 2**30,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "machine": f"{platform.node()} ({os.cpu_count()} CPUs, jax {jax.__version__}, {jax.default_backend()})"}
    print(json.dumps(row))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"p2_{jax.default_backend()}.json").write_text(json.dumps(row, indent=1))


if __name__ == "__main__":
    main()
