"""P1 on an accelerator: throughput at N = 1e6 and results to compare against the CPU.

Run on the GPU machine: ``python benchmarks/gpu_check.py OUTDIR``.  Times the
compiled simulation with outputs left on the device (compile excluded, median
of 3) and end to end through ``simulate_grid`` (including the copy to host),
in float32 and float64, full trajectories and reductions only.  Saves the
first 4096 subjects' results to ``OUTDIR/p1_<precision>.npz``; compare them on
the CPU with ``python benchmarks/gpu_check.py --compare OUTDIR``.  ``P1_N`` sets N (a smoke run on
any machine: ``P1_N=256 python benchmarks/gpu_check.py /tmp/gpu && python benchmarks/gpu_check.py --compare
/tmp/gpu``).  The P1 model has typical values x IIV (no cohort), so it is run through
:func:`popsim.simulate.simulate_grid` and, for the device-only timing, its compiled program with the
runtime inputs of :class:`popsim.simulate.TypicalIIV` (typical values, CVs, the ``iiv`` stream key).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import median_wall, use_all_cores  # noqa: E402

use_all_cores()  # before jax (CPU only: one XLA host device per core; an accelerator is used as it is)

from p1 import CV, N_STEPS, TV, regimen, spec  # noqa: E402

N, KEEP = int(os.environ.get("P1_N", 1_000_000)), 2048


def timed(f, *args):
    import jax

    return median_wall(lambda: jax.block_until_ready(f(*args)))["wall_s"]


def on_device(out: Path) -> None:
    import jax
    import jax.numpy as jnp

    from popsim.keys import root_key, stream_key
    from popsim.simulate import TypicalIIV, _compiled, simulate_grid

    def iiv_args(dtype):
        return ({k: jnp.full((1,), v, dtype) for k, v in TV.items()}, {k: jnp.asarray(v, dtype) for k, v in CV.items()},
                stream_key(root_key(0), "iiv"))

    rows = []
    for precision in ("float32", "float64"):
        jax.config.update("jax_enable_x64", precision == "float64")
        dtype = jnp.float64 if precision == "float64" else jnp.float32
        saved = {}
        for mode in ("trajectories", "reductions"):
            s = spec(save=mode == "trajectories")
            f = _compiled(s, TypicalIIV(tuple(sorted(TV)), tuple(sorted(CV))), len(jax.devices()))
            args = (jnp.arange(N, dtype=jnp.int32), iiv_args(dtype), jnp.asarray(regimen(), dtype))
            device_s = timed(f, *args)
            t0 = time.perf_counter()
            res = simulate_grid(s, TV, CV, regimen(), n_subjects=N, seed=0, chunk_size=N, dtype=dtype)
            host_s = time.perf_counter() - t0
            rows.append({"precision": precision, "mode": mode, "n": N, "device_s": device_s,
                         "stp_per_s_device": N * N_STEPS / device_s, "end_to_end_s": host_s,
                         "stp_per_s_end_to_end": N * N_STEPS / host_s})
            print(json.dumps(rows[-1]), flush=True)
            if mode == "trajectories":
                saved["conc"] = res["conc"]["central"][..., :KEEP]
                saved.update({f"param_{k}": v[..., :KEEP] for k, v in res["params"].items()})
            else:
                saved.update({k: res[k][..., :KEEP] for k in ("cmax", "cmin", "auc", "c_end", "t_above")})
        np.savez_compressed(out / f"p1_{precision}.npz", **saved)
        # Scaling with subjects per call, and steps fused per loop iteration.
        for n_big, unroll in ((8 * N, None), (N, 1), (N, 2), (N, 4)) if precision == "float32" else ():
            s = spec(save=True, unroll=unroll)
            f = _compiled(s, TypicalIIV(tuple(sorted(TV)), tuple(sorted(CV))), len(jax.devices()))
            args = (jnp.arange(n_big, dtype=jnp.int32), iiv_args(dtype), jnp.asarray(regimen(), dtype))
            device_s = timed(f, *args)
            rows.append({"precision": precision, "mode": "trajectories", "n": n_big, "unroll": unroll,
                         "device_s": device_s, "stp_per_s_device": n_big * N_STEPS / device_s})
            print(json.dumps(rows[-1]), flush=True)
    dev = jax.devices()[0]
    (out / "gpu_p1.json").write_text(json.dumps({"device": str(dev.device_kind), "jax": jax.__version__,
                                                 "rows": rows}, indent=1))


def compare(folder: Path) -> None:
    import jax
    import jax.numpy as jnp

    from popsim.pk.grid import kernels, simulate_one
    from popsim.simulate import simulate_grid

    for precision in ("float32", "float64"):
        if not (folder / f"p1_{precision}.npz").exists():
            print(f"{precision}: no GPU results in {folder}")
            continue
        jax.config.update("jax_enable_x64", precision == "float64")
        dtype = jnp.float64 if precision == "float64" else jnp.float32
        gpu = np.load(folder / f"p1_{precision}.npz")
        keep = min(KEEP, gpu["conc"].shape[-1])  # the first subjects (fewer than KEEP when P1_N was smaller)
        cpu_t = simulate_grid(spec(True), TV, CV, regimen(), n_subjects=keep, seed=0, dtype=dtype)
        cpu_r = simulate_grid(spec(False), TV, CV, regimen(), n_subjects=keep, seed=0, dtype=dtype)
        pairs = {"conc": (cpu_t["conc"]["central"], gpu["conc"][..., :keep])}
        pairs.update({k: (cpu_r[k], gpu[k][..., :keep]) for k in ("cmax", "cmin", "auc", "c_end")})
        for k, (c, g) in pairs.items():
            scale = np.max(np.abs(c))
            mask = np.abs(c) >= 1e-9 * scale
            rel = np.max(np.abs(g[mask] - c[mask]) / np.abs(c[mask]), initial=0.0)
            print(f"{precision} {k:<6} max relative GPU-CPU difference {rel:.2e}")
        params = {k[6:]: gpu[k][0] for k in gpu.files if k.startswith("param_")}
        if params:
            # Separate the random draws from the engine: rerun the CPU engine on the GPU's parameters.
            rel_p = max(np.max(np.abs(params[k] - cpu_t["params"][k][0][:keep]) / params[k]) for k in params)
            print(f"{precision} IIV draws: max relative GPU-CPU difference {rel_p:.2e}")
            s = spec(True)
            one = lambda p: simulate_one(s, jax.tree_util.tree_map(lambda x: x[None], kernels(s, p)),  # noqa: E731
                                         jnp.asarray(regimen()[0], dtype))["conc"]["central"]
            with jax.default_matmul_precision("highest"):
                c = np.asarray(jax.jit(jax.vmap(one, out_axes=-1))(
                    {k: jnp.asarray(v, dtype) for k, v in params.items()}))
            g = gpu["conc"][:, 0, :keep]
            mask = np.abs(c) >= 1e-9 * np.max(np.abs(c))
            print(f"{precision} conc on identical parameters: max relative GPU-CPU difference "
                  f"{np.max(np.abs(g[mask] - c[mask]) / np.abs(c[mask])):.2e}")
        diff = np.abs(gpu["t_above"][..., :keep] - cpu_r["t_above"])
        print(f"{precision} t_above subjects differing: {np.count_nonzero(diff)} of {diff.size} (grid-count ties)")


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        compare(Path(sys.argv[2]))
    else:
        on_device(Path(sys.argv[1]))
