"""Benchmark problem P1 (../shared/bench/problems.md): two-compartment oral, full trajectories.

ka 1.5 /h, CL 3 L/h, V1 30 L, Q 5 L/h, V2 60 L, F 0.9; 30% CV log-normal IIV
on CL, V1, ka; 1 mg every 8 h for 28 days (84 doses); central concentration
hourly for t = 0..672 h (673 points).  Throughput in subject-timepoints per
second (stp/s), compile time excluded (reported separately), median of 3
runs; each configuration runs in its own process so that peak memory
(max RSS) is its own.  Also: reductions only (Cmax, Cmin, exact AUC, time
above a threshold; nothing per time point stored), the naive JAX baseline
(per-subject ``expm``, ``lax.scan`` one step at a time, ``vmap``) and a
``scipy.integrate.solve_ivp`` loop on a small subsample, all on this machine.

Usage: ``python benchmarks/p1.py [--sizes 1000 10000 ...] [--out DIR]``; a smoke run of seconds:
``python benchmarks/p1.py --sizes 256 --naive-n 256 --scipy-n 2 --out /tmp/p1``.
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

import numpy as np
from timing import median_wall, use_all_cores

HERE = Path(__file__).resolve().parent
TV = dict(KA=1.5, CL=3.0, V1=30.0, Q2=5.0, V2=60.0, F=0.9)
CV = dict(CL=0.3, V1=0.3, KA=0.3)
N_STEPS, TAU, N_DOSES = 673, 8, 84


def regimen() -> np.ndarray:
    u = np.zeros((1, N_STEPS, 1))
    u[0, : TAU * N_DOSES : TAU, 0] = 1.0
    return u


def spec(save: bool, unroll: int | None = None):
    from popsim import Channel, GridSpec, Window, mammillary

    # Reductions: the whole horizon (Cmax, exact AUC, time above 0.01 mg/L) and the
    # last dosing day (steady-state Cmin, trough).
    windows = () if save else (Window(0, N_STEPS - 1, above=(0.01,)), Window(N_STEPS - 25, N_STEPS - 1))
    return GridSpec(mammillary(2), 1.0, N_STEPS, (Channel("depot", f="F"),), windows=windows, save=save,
                    unroll=unroll)


def run_popsim(n: int, precision: str, mode: str, chunk: int) -> dict:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", precision == "float64")
    from popsim.simulate import simulate_grid

    dtype = jnp.float64 if precision == "float64" else jnp.float32
    s = spec(save=(mode == "trajectories"))
    return median_wall(lambda: simulate_grid(s, TV, CV, regimen(), n_subjects=n, seed=0, chunk_size=chunk, dtype=dtype))


def run_naive(n: int, precision: str) -> dict:
    """Per-subject expm, one lax.scan step per grid point, vmap over subjects."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", precision == "float64")
    dtype = jnp.float64 if precision == "float64" else jnp.float32
    u = jnp.asarray(regimen()[0, :, 0], dtype)

    def one(eta):
        ka, cl, v1 = TV["KA"] * jnp.exp(eta[0]), TV["CL"] * jnp.exp(eta[1]), TV["V1"] * jnp.exp(eta[2])
        k10, k12, k21 = cl / v1, TV["Q2"] / v1, TV["Q2"] / TV["V2"]
        K = jnp.array([[-ka, 0, 0], [ka, -k10 - k12, k21], [0, k12, -k21]], dtype)
        Phi = jax.scipy.linalg.expm(K)
        e = jnp.array([TV["F"], 0, 0], dtype)

        def step(A, d):
            return Phi @ A + Phi @ (e * d), A[1] / v1

        return jax.lax.scan(step, jnp.zeros(3, dtype), u)[1]

    f = jax.jit(jax.vmap(one))
    omega = np.sqrt(np.log1p(0.09))
    eta = jnp.asarray(np.random.default_rng(0).normal(0, omega, (n, 3)), dtype)
    return median_wall(lambda: f(eta).block_until_ready())


def run_scipy(n: int) -> dict:
    """LSODA restarted at every dose, loop over subjects (the slow reference)."""
    from scipy.integrate import solve_ivp

    rng = np.random.default_rng(0)
    omega = np.sqrt(np.log1p(0.09))
    t0 = time.perf_counter()
    for _ in range(n):
        eta = rng.normal(0, omega, 3)
        ka, cl, v1 = TV["KA"] * np.exp(eta[0]), TV["CL"] * np.exp(eta[1]), TV["V1"] * np.exp(eta[2])
        k10, k12, k21 = cl / v1, TV["Q2"] / v1, TV["Q2"] / TV["V2"]
        K = np.array([[-ka, 0, 0], [ka, -k10 - k12, k21], [0, k12, -k21]])
        A = np.zeros(3)
        for d in range(N_DOSES + 1):
            A = A + np.array([TV["F"], 0, 0]) * (d < N_DOSES)
            t_end = min((d + 1) * TAU, N_STEPS - 1)
            sol = solve_ivp(lambda t, a: K @ a, (d * TAU, t_end), A, method="LSODA", rtol=1e-8, atol=1e-12,
                            t_eval=np.arange(d * TAU, t_end + 1))
            A = sol.y[:, -1]
            if t_end == N_STEPS - 1:
                break
    return {"compile_s": 0.0, "wall_s": time.perf_counter() - t0}


def child(args) -> None:
    if args.child == "popsim":
        use_all_cores()  # popsim shards subjects over one XLA device per core (the baselines run as written)
        res = run_popsim(args.n, args.precision, args.mode, args.chunk)
    elif args.child == "naive":
        res = run_naive(args.n, args.precision)
    else:
        res = run_scipy(args.n)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def measure(method: str, n: int, precision: str = "float32", mode: str = "trajectories", chunk: int = 8192) -> dict:
    cmd = [sys.executable, __file__, "--child", method, "--n", str(n), "--precision", precision, "--mode", mode,
           "--chunk", str(chunk)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=HERE.parent)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res.update(method=method, n=n, precision=precision, mode=mode,
               stp_per_s=n * N_STEPS / res["wall_s"])
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=["popsim", "naive", "scipy"])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--precision", default="float32")
    ap.add_argument("--mode", default="trajectories")
    ap.add_argument("--chunk", type=int, default=8192)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 1000000])
    ap.add_argument("--naive-n", type=int, default=100000, help="subjects of the naive JAX baseline")
    ap.add_argument("--scipy-n", type=int, default=20, help="subjects of the scipy loop")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    args = ap.parse_args()
    if args.child:
        return child(args)

    rows = [measure("scipy", args.scipy_n, "float64")]
    for precision in ("float32", "float64"):
        rows.append(measure("naive", args.naive_n, precision))
        for n in args.sizes:
            for mode in ("trajectories", "reductions"):
                rows.append(measure("popsim", n, precision, mode))
                print(json.dumps(rows[-1]), flush=True)
    scipy_rate = rows[0]["stp_per_s"]
    import jax

    lines = [
        f"# P1 benchmark, {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} "
        f"({os.cpu_count()} CPUs, {platform.machine()}, jax {jax.__version__}, backend {jax.default_backend()})",
        "",
        "| method | precision | output | N | stp/s | x scipy | wall s | compile s | peak RSS MB |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['precision']} | {r['mode']} | {r['n']} | {r['stp_per_s']:.3g} | "
            f"{r['stp_per_s'] / scipy_rate:.3g} | {r['wall_s']:.3f} | {r['compile_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = jax.default_backend()
    (args.out / f"p1_{tag}.md").write_text(text)
    (args.out / f"p1_{tag}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
