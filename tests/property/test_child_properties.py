"""Properties of the mother-child models over random parameter sets: a lower infant or newborn clearance
never lowers the child's exposure (AUC and peak)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.params.child import Child
from popsim.pk.grid import Channel, GridSpec, Window, kernels, simulate_one
from popsim.pk.model import child_chain, parent_metabolite_chain

DT = 0.25
N = 4 * 72 + 1
FEEDS = (0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0)


def _run(kind, segments, p, u, outputs):
    model = child_chain(parent_metabolite_chain((2, 1), oral=True), ("", "M1_"), kind)
    spec = GridSpec(model, DT, N, (Channel("depot", f="F"),), outputs, windows=(Window(0, N - 1),),
                    segment_of_step=segments, save=False)
    q = {k: jnp.asarray(np.broadcast_to(v, (2,)), jnp.float64) for k, v in p.items()}
    ker = jax.vmap(lambda x: kernels(spec, x))(q)
    out = simulate_one(spec, ker, jnp.asarray(u, jnp.float64))
    return {o: (float(out["auc"][0, i]), float(out["cmax"][0, i])) for i, o in enumerate(outputs)}


def _draw(rng):
    lg = lambda lo, hi: float(np.exp(rng.uniform(np.log(lo), np.log(hi))))  # noqa: E731
    return {"KA": lg(0.3, 5), "F": rng.uniform(0.3, 1), "CL": lg(0.5, 20), "V1": lg(5, 100), "Q2": lg(1, 30),
            "V2": lg(10, 300), "M1_CL": lg(0.2, 10), "M1_V1": lg(5, 100), "M1_FM": rng.uniform(0, 1)}


def _doses(rng):
    u = np.zeros((N, 1))
    u[rng.integers(0, N - 1, 4), 0] = 10.0
    return u


@pytest.mark.parametrize("seed", range(12))
def test_lower_infant_clearance_never_lowers_infant_exposure(seed, x64):
    rng = np.random.default_rng(seed)
    p = _draw(rng) | {"VG": 1.0, "M1_VG": 1.0, "VI": float(rng.uniform(1, 10)), "M1_VI": float(rng.uniform(1, 10)),
                      "KMILK": np.array([0.0, rng.uniform(1e-4, 1e-2)]), "M1_KMILK": np.array([0.0, 1e-3]),
                      "FI": rng.uniform(0.2, 1), "M1_FI": 1.0, "KAI": rng.uniform(0.5, 4), "M1_KAI": 2.0,
                      "KI": float(rng.uniform(0.005, 0.5)), "M1_KI": float(rng.uniform(0.005, 0.5))}
    u = _doses(rng)
    seg = Child.infant(DT, N, FEEDS).segments
    base = _run("infant", seg, p, u, ("infant", "M1_infant"))
    slower = _run("infant", seg, p | {"KI": p["KI"] * rng.uniform(0.1, 0.9)}, u, ("infant",))
    assert slower["infant"][0] >= base["infant"][0] * (1 - 1e-12)
    assert slower["infant"][1] >= base["infant"][1] * (1 - 1e-12)
    # a parent cleared more slowly forms its metabolite more slowly: the metabolite's AUC is unchanged or
    # lower over a finite horizon, so only the parent is asserted; the metabolite's own clearance:
    slower_m = _run("infant", seg, p | {"M1_KI": p["M1_KI"] * 0.5}, u, ("M1_infant",))
    assert slower_m["M1_infant"][0] >= base["M1_infant"][0] * (1 - 1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_lower_newborn_clearance_never_lowers_newborn_exposure(seed, x64):
    rng = np.random.default_rng(100 + seed)
    born = int(rng.integers(N // 4, 3 * N // 4))
    kn = float(rng.uniform(0.005, 0.3))
    p = _draw(rng) | {"VF": float(rng.uniform(1, 6)), "M1_VF": 3.0, "KMF": np.array([rng.uniform(0.01, 1), 0.0]),
                      "KFM": np.array([rng.uniform(0.1, 5), 0.0]), "M1_KMF": np.array([0.1, 0.0]),
                      "M1_KFM": np.array([1.0, 0.0]), "M1_KN": np.array([0.0, 0.05])}
    u = _doses(rng)
    seg = Child.fetus(N, born).segments
    base = _run("fetus", seg, p | {"KN": np.array([0.0, kn])}, u, ("fetus",))
    slower = _run("fetus", seg, p | {"KN": np.array([0.0, kn * rng.uniform(0.1, 0.9)])}, u, ("fetus",))
    assert slower["fetus"][0] >= base["fetus"][0] * (1 - 1e-12)
