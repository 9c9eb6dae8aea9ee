"""A jitted grid simulation compiles once per static spec, not once per value."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from popsim.pk.grid import Channel, GridSpec, Window, kernels, simulate_one
from popsim.pk.model import mammillary


def test_no_recompile_for_new_values():
    traces = []

    def run(spec, p, u):
        traces.append(1)  # runs only while tracing
        ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
        return simulate_one(spec, ker, u)

    sim = jax.jit(run, static_argnums=0)
    spec = GridSpec(mammillary(2), 0.5, 49, (Channel("depot", f="F", lag="ALAG"), Channel("central", "infusion")),
                    windows=(Window(0, 48, above=(1.0,)),))
    rng = np.random.default_rng(1)
    for _ in range(3):
        p = {k: jnp.asarray(rng.uniform(0.2, 5.0), jnp.float32) for k in ("KA", "CL", "V1", "Q2", "V2", "ALAG")}
        p["F"] = jnp.asarray(rng.uniform(0.1, 1.0), jnp.float32)
        u = jnp.asarray(rng.uniform(0, 100, (49, 2)), jnp.float32)
        jax.block_until_ready(sim(spec, p, u))
    assert len(traces) == 1
    assert sim._cache_size() == 1


def test_unrolled_time_loop_gives_the_same_numbers(x64):
    # lax.scan's unroll only regroups the same exact steps (GPUs use 8 by default).
    base = GridSpec(mammillary(2), 0.5, 101, (Channel("depot", f="F"),), windows=(Window(10, 90, above=(0.5,)),))
    p = {k: jnp.asarray(v, jnp.float64) for k, v in dict(KA=1.2, CL=3.0, V1=20.0, Q2=4.0, V2=50.0, F=0.8).items()}
    u = jnp.zeros((101, 1), jnp.float64).at[::12, 0].set(10.0)
    runs = []
    for unroll in (1, 4, 7):
        spec = dataclasses.replace(base, unroll=unroll)
        ker = jax.tree_util.tree_map(lambda x: x[None], kernels(spec, p))
        runs.append(jax.jit(lambda k, u, s=spec: simulate_one(s, k, u))(ker, u))
    for other in runs[1:]:
        np.testing.assert_allclose(other["conc"]["central"], runs[0]["conc"]["central"], rtol=1e-13, atol=0)
        for key in ("cmax", "cmin", "auc", "c_end", "t_above"):
            np.testing.assert_allclose(other[key], runs[0][key], rtol=1e-13, atol=0)
