"""Benchmark P3 (shared/bench/problems.md): tapers with neuroadaptation, scores on line.

Diazepam -> nordiazepam -> oxazepam (oral, each with an effect site), adult
physiological cohort with IIV, GABA-A occupancy, tolerance, the dependence
model and the scores (:class:`popsim.pd.risk.Risk`) integrated in the same jitted loop
as the PK, on a 1 h grid for 180 days; summaries only (nothing per time
point is stored).  200 taper schedules: 5 starting doses (5-25 mg/day) x 10
reductions per step (5-50% of the starting dose) x 4 step intervals (3, 7,
14, 28 days), after 28 days of stable dosing.  The problem's full size is
10,000 subjects; ``--n`` picks fewer on a small machine (throughput is
flat in N once a chunk fills the cores).  Compile time is reported apart;
wall time is the median of 3 runs.  Usage: ``python benchmarks/p3.py [--n 1024]``; a smoke run:
``python benchmarks/p3.py --n 8 --days 42 --out /tmp/p3``.
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
DAYS, STABLE = 180, 28


GRID = list(itertools.product((5.0, 10.0, 15.0, 20.0, 25.0), np.linspace(0.05, 0.5, 10), (3, 7, 14, 28)))


def tapers(days: int = DAYS) -> np.ndarray:
    """(200, days) daily doses (mg): start dose x cut per step (fraction of the start) x days per step."""
    plans = []
    for start, cut, every in GRID:
        day = np.arange(days)
        steps = np.where(day < STABLE, 0, (day - STABLE) // every + 1)
        plans.append(np.maximum(start * (1 - cut * steps), 0.0))
    return np.stack(plans)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--chunk", type=int, default=1024)
    ap.add_argument("--days", type=int, default=DAYS, help=f"horizon (the problem's: {DAYS}; > {STABLE})")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()

    import jax

    from popsim.pk.grid import Window
    from popsim.regimen import daily_schedule

    n_steps = args.days * 24 + 1
    U = np.stack([daily_schedule(n_steps, 1.0, plan, (8.0, 20.0)) for plan in tapers(args.days)])[..., None]
    row, out = run_diazepam_pd(n_steps, {"taper": Window(STABLE * 24, n_steps - 1)}, U, args.n, args.chunk, ())
    # clinically significant withdrawal: the severity reached 1 since t = 0 (regimen, subject)
    clinical = out.stat("pd_end", "taper", "withdrawal_severity_max") >= 1.0
    row = {"problem": "P3", **row,
           # from 25 mg/day: 50% cuts every 3 days (fastest) vs 5% cuts every 28 days (slowest)
           "p_withdrawal_fastest_vs_slowest_taper_from_25mg": [
               float(np.mean(clinical[GRID.index((25.0, 0.5, 3))])),
               float(np.mean(clinical[GRID.index((25.0, np.linspace(0.05, 0.5, 10)[0], 28))]))],
           "output_mb": sum(v.nbytes for k, v in out.raw.items() if k.startswith("pd_")) / 2**20}
    print(json.dumps(row))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"p3_{jax.default_backend()}.json").write_text(json.dumps(row, indent=1))


if __name__ == "__main__":
    main()
