"""A jitted grid simulation compiles once per static spec, not once per value."""

from __future__ import annotations

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
