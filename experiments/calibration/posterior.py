"""Infer the posterior of popsim's uncertain PD/risk constants from the fit targets and write it as package data.

``popsim.experiments.calibration.infer`` (adaptive tempered SMC per block of scenarios; the ``check`` targets
never enter) on popsim's own targets, written atomically to ``popsim/experiments/data/posterior.nc``, the
draws every experiment takes with ``n_draws=K`` (:func:`popsim.uncertainty.draw_values`).  From the
repository root::

    python experiments/calibration/posterior.py [n_particles] [n_subjects_per_arm]

(defaults 256 and 150; about an hour on 2 CPU cores).  Prints the progress of each block and the
diagnostics.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from popsim.dataset import provenance
from popsim.experiments.calibration import infer, read_targets
from popsim.uncertainty import POSTERIOR

n_particles = int(sys.argv[1]) if len(sys.argv) > 1 else 256
n_subjects = int(sys.argv[2]) if len(sys.argv) > 2 else 150
t0 = time.time()
ds = infer(read_targets(), n_subjects=n_subjects, n_particles=n_particles,
           progress=lambda msg: print(f"{time.time() - t0:8.1f} s  {msg}", flush=True))
ds.attrs |= provenance(f"experiments/calibration/posterior.py {n_particles} {n_subjects}", 0, "float32")
ds.attrs["wall_time_s"] = round(time.time() - t0, 1)
tmp = Path(str(POSTERIOR) + ".tmp")
ds.to_netcdf(tmp)
os.replace(tmp, POSTERIOR)
for k, v in ds.attrs.items():
    print(f"{k}: {v}")
