"""Benchmark P2 (shared/bench/problems.md): the regimen sweep, the product's hot path, end to end.

Oral diazepam -> nordiazepam -> oxazepam (each with an effect site) in an adult physiological cohort
with covariates and IIV; 1,000 regimens = 10 doses (2-20 mg) x 4 intervals (6, 8, 12, 24 h) x 25
start times (0-24 h); 28 days on a 1 h grid; reductions only, computed in the time loop: Cmax, Cmin
and exact AUC over the last day, GABA-A occupancy and adaptation summaries and the three risk scores
(:class:`popsim.pd.risk.Risk`).  The problem's full size is 10,000 subjects (6.7e9
subject-regimen-timepoints); ``--n`` picks fewer on a small machine.  Reported: stp/s (compile
excluded, median of 3), wall time, compile time, peak RSS and the size of the reduced output.
Usage: ``python benchmarks/p2.py [--n 512]``; a smoke run: ``--n 8 --regimens 4 --out /tmp/p2``.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
from timing import use_all_cores

use_all_cores()  # before jax: one XLA host device per core, as python -m popsim runs

from diazepam_pd import run_diazepam_pd  # noqa: E402

HERE = Path(__file__).resolve().parent
DAYS = 28


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--regimens", type=int, default=None, help="the first regimens only (a smoke run)")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()

    import jax

    from popsim.pk.grid import Window
    from popsim.regimen import fixed_interval

    n_steps = DAYS * 24 + 1
    windows = {"last_day": Window(n_steps - 1 - 24, n_steps - 1), "horizon": Window(0, n_steps - 1)}
    grid = list(itertools.product(np.linspace(2.0, 20.0, 10), (6, 8, 12, 24), range(25)))[: args.regimens]
    U = np.stack([fixed_interval(n_steps, 1.0, d, tau, float(start)) for d, tau, start in grid])[..., None]
    row, out = run_diazepam_pd(n_steps, windows, U, args.n, args.chunk, ("occupancy_a1", "occupancy_a2"))
    reduced = sum(v.nbytes for k, v in out.raw.items()
                  if k in ("cmax", "cmin", "auc", "c_end") or k.startswith("pd_"))
    row = {"problem": "P2", **row, "reduced_output_mb": reduced / 2**20,
           "full_size_reduced_output_gb_estimate": reduced / args.n * 10_000 / 2**30 * 1000 / len(grid)}
    print(json.dumps(row))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"p2_{jax.default_backend()}.json").write_text(json.dumps(row, indent=1))


if __name__ == "__main__":
    main()
