"""Benchmark: parameter draws as a batched axis (issue 17), K = 1 against K = 100 draws.

The elderly experiment's simulation for one cohort and one drug (:func:`popsim.study.simulate_arm` as
``+experiment=elderly`` calls it: very_elderly, lorazepam once daily at 22 h, its 20 regimens = 3 reported
doses + the reference dose + 16 search doses, 14 days on a 1 h grid, float32) with ``n_subjects`` subjects
and K draws of the runtime PD constants and of the drug library's values (:func:`popsim.uncertainty.draw_values`,
:func:`popsim.uncertainty.library_draws`, as ``n_draws=K`` runs) in one compiled program
per chunk.  Each K runs in its own process, so that the peak resident memory (``resource.getrusage``
``ru_maxrss``, the whole process: Python, JAX and the outputs) is that K's.  Reported: compile time (the
first call minus the timed one), wall time of one call (compile excluded), peak RSS, and the output size.
Usage: ``python benchmarks/draws.py [--n 1000] [--draws 1 100] [--chunk 256]``.

Results (2026-12-07, this 2-core VM, jax 0.10.2 CPU, two XLA host devices, chunk 256, float32; K = 0 is the
point-value path without a draw axis; wall time of one call after the compiling one; PD posterior and library
draws, draws mapped outside the subjects):

========  ====  =========  ======  ===========  ==========
subjects  K     compile s  wall s  peak RSS MB  outputs MB
========  ====  =========  ======  ===========  ==========
1000      0     8.6        0.25    854          3.1
1000      1     10.3       0.26    846          3.1
1000      10    10.7       2.27    1144         30.5
1000      100   10.1       39.84   3255         305.2
========  ====  =========  ======  ===========  ==========

K = 100 costs 152x the wall time of K = 1 (0.40 s per draw): with the library drawn, the PK (kernels of every
draw's parameters) is batched over draws too, besides the PD/risk time loop.  At the previous layout (draws
inside the subjects, PD draws only; measured at d968ded in another session on this kind of VM) K = 0, 1, 10,
100 took 0.53, 0.44, 5.11 and 49.28 s; part of that gap is the session's machine (the K = 0 path is
unchanged).  Outputs are the ``simulate_arm`` values (``(regimen, draw, subject)`` float64); the peak RSS also
holds the chunk's raw summaries of every PD signal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from timing import use_all_cores

use_all_cores()  # before jax: one XLA host device per core, as python -m popsim runs

HERE = Path(__file__).resolve().parent


def one(n: int, k: int, chunk: int) -> dict:
    """Timing and memory of one K (in this process)."""
    import jax
    import numpy as np

    from popsim.arm import Arm
    from popsim.config import GridConfig
    from popsim.experiments.elderly import ElderlyStudy
    from popsim.pd.parameters import check_values
    from popsim.study import daily_regimens, simulate_arm
    from popsim.uncertainty import draw_values, library_draws

    s, g = ElderlyStudy(), GridConfig(dt_h=1.0, days=14.0)
    search = np.geomspace(s.search_min_de_mg, s.search_max_de_mg, s.search_points)
    doses = list(s.dose_de_mg) + [s.reference_dose_de_mg] + list(search)
    drug, cohort = "lorazepam", "very_elderly"
    U = daily_regimens(g, drug, [(x, (s.dose_hour,)) for x in doses])
    values = draw_values(k) | library_draws(k) if k else check_values()  # as n_draws=k runs (both)
    arm = Arm(drug, "oral", cohort, g.dt_h, g.n_steps)

    def call():
        return simulate_arm(arm, U, seed=0, n_subjects=n, values=values, chunk_size=chunk)

    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = call()
    wall = time.perf_counter() - t0
    out = sum(v.nbytes for v in r.values.values())
    return {"n_subjects": n, "n_draws": k, "n_regimens": len(doses), "n_timepoints": g.n_steps, "chunk": chunk,
            "compile_s": max(first - wall, 0.0), "wall_s": wall,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outputs_mb": out / 2**20,
            "shape": list(r.values["p_fall"].shape),
            "machine": f"{platform.node()} ({os.cpu_count()} CPUs, jax {jax.__version__}, {jax.default_backend()})"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--draws", type=int, nargs="+", default=[1, 100], help="K values, each in its own process")
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.n, args.one, args.chunk)))
        return
    rows = []
    for k in args.draws:
        res = subprocess.run([sys.executable, __file__, "--one", str(k), "--n", str(args.n), "--chunk",
                              str(args.chunk)], capture_output=True, text=True, check=True)
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    import jax

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"draws_{jax.default_backend()}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
