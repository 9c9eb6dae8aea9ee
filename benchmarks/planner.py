"""Benchmark: the taper planner (issue 15) for one cohort, start to end as a user calls it.

``popsim.plan_taper`` for 2,000 adults who have used alprazolam 3 mg/day (three doses) for 2 years: the
default candidates (7 cuts x 3 intervals x direct or via diazepam, 42 schedules) plus the guideline and
Ashton references, simulated on a 1 h grid to 8 weeks after the longest plan (two compiled programs:
direct and switched), then the choice under P(clinically significant withdrawal) <= 0.1 and P(seizure) <=
0.001.  The wall time includes compilation (the planner is called once per question).  Usage:
``python benchmarks/planner.py [--n 2000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from timing import use_all_cores

use_all_cores()  # before jax: one XLA host device per core, as python -m popsim runs

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()

    import jax

    from popsim.planner import plan_taper

    t0 = time.perf_counter()
    pt = plan_taper("alprazolam", 3.0, (8.0, 14.0, 20.0), n_subjects=args.n)
    wall = time.perf_counter() - t0
    chosen = pt.table[pt.table["chosen"]]
    row = {"problem": "planner", "n_subjects": args.n, "schedules": len(pt.table), "wall_s_with_compile": wall,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "chosen": chosen.iloc[0].to_dict() if len(chosen) else None,
           "references": pt.table[pt.table["schedule"].isin(["guideline", "ashton"])].to_dict("records")}
    print(json.dumps(row, default=str))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"planner_{jax.default_backend()}.json").write_text(json.dumps(row, indent=1, default=str))


if __name__ == "__main__":
    main()
