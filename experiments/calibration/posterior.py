"""Infer the posterior of popsim's uncertain PD/risk constants from the fit targets and write it as package data.

``popsim.experiments.calibration.infer`` (adaptive tempered SMC per block of scenarios, the blocks in parallel
processes; the ``check`` targets never enter) on popsim's own targets, written atomically to
``popsim/experiments/data/posterior.nc``, the draws every experiment takes with ``n_draws=K``
(:func:`popsim.uncertainty.draw_values`).  From the repository root::

    python experiments/calibration/posterior.py [n_particles] [n_subjects_per_arm] [n_moves]

(defaults 128, 150 and 2).  Prints the progress of each block and the diagnostics.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

T0 = time.time()


def report(block: str, msg: str) -> None:
    print(f"{time.time() - T0:8.1f} s  {block}: {msg}", flush=True)


if __name__ == "__main__":
    from popsim.dataset import provenance
    from popsim.experiments.calibration import infer, read_targets
    from popsim.uncertainty import POSTERIOR

    n_particles, n_subjects, n_moves = (int(sys.argv[i]) if len(sys.argv) > i else d
                                        for i, d in ((1, 128), (2, 150), (3, 2)))
    # the code that runs (read before it runs: a commit made meanwhile must not be recorded)
    recorded = provenance(f"experiments/calibration/posterior.py {n_particles} {n_subjects} {n_moves}", 0,
                          "float32")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        ds = infer(read_targets(), n_subjects=n_subjects, n_particles=n_particles, n_moves=n_moves, progress=report,
                   map=pool.map)
    ds.attrs |= recorded
    ds.attrs["wall_time_s"] = round(time.time() - T0, 1)
    tmp = Path(str(POSTERIOR) + ".tmp")
    ds.to_netcdf(tmp)
    os.replace(tmp, POSTERIOR)
    for k, v in ds.attrs.items():
        print(f"{k}: {v}")
