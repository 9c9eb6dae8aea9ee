"""Cohort sampling plus parameter derivation for N subjects (issue 3 target: 1e6 in under 10 s on 2 cores).

For each subject: covariates from the numpyro cohort model (adult preset),
physiology, published IIV, and the well-stirred-liver PK parameters of oral
midazolam; jitted, vmapped and sharded over the host's devices in chunks,
exactly as :func:`popsim.simulate.simulate` does it, but without the time
loop.  Compile time is reported apart; wall time is the median of 3 runs.
Usage: ``python benchmarks/cohort.py [--n 1000000] [--chunk 262144]``; a smoke run:
``python benchmarks/cohort.py --n 1024 --chunk 512 --out /tmp/cohort``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
from pathlib import Path

import numpy as np
from timing import median_wall, use_all_cores

use_all_cores()  # before jax: one XLA host device per core, sharded below as popsim.simulate does

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=262_144)
    ap.add_argument("--drug", default="midazolam")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()

    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh, PartitionSpec

    from popsim.arm import Arm

    arm = Arm(args.drug, "oral", "adult", 1.0, 2, pd=False)  # a 2-point grid: no time loop is timed
    model, subject_args = arm.model(), arm.args(0, jnp.float32)
    n_dev = len(jax.devices())

    def one(i, a):
        params, cov = model(i, a, jnp.float32)
        return params, cov

    batched = jax.vmap(one, in_axes=(0, None))
    mesh = Mesh(np.array(jax.devices()), ("subject",))
    f = jax.jit(jax.shard_map(batched, mesh=mesh, in_specs=(PartitionSpec("subject"), PartitionSpec()),
                              out_specs=PartitionSpec("subject"), check_vma=False))
    chunk = -(-args.chunk // n_dev) * n_dev

    def run():
        out = []
        for start in range(0, args.n, chunk):
            ids = jnp.arange(start, start + chunk, dtype=jnp.int32)
            out.append(jax.tree_util.tree_map(np.asarray, f(ids, subject_args)))
        return out

    timing = median_wall(run)
    cl = np.concatenate([part[0]["CL"][:, 0] for part in run()])[: args.n]
    row = {"n": args.n, "drug": args.drug, **timing, "subjects_per_s": args.n / timing["wall_s"],
           "median_CL_L_h": float(np.median(cl)),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "machine": f"{platform.node()} ({os.cpu_count()} CPUs, jax {jax.__version__}, {jax.default_backend()})"}
    print(json.dumps(row))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"cohort_{jax.default_backend()}.json").write_text(json.dumps(row, indent=1))


if __name__ == "__main__":
    main()
