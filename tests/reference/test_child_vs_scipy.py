"""A mother with a fetus (born on the grid) or a breast-fed infant (fed on the grid), solved by the grid,
against scipy's ODE solver with the rate matrices written out by hand (``tests/conftest.py``'s oracle);
mass balance of the milk route; the fetal:maternal ratio at steady state against its closed form."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.params.child import Child
from popsim.pk.grid import Channel, GridSpec, Window, kernels, simulate_one
from popsim.pk.model import LinearModel, child_chain, parent_metabolite_chain

MOTHER = {"KA": 1.3, "F": 0.9, "CL": 2.0, "V1": 10.0, "Q2": 3.0, "V2": 40.0, "M1_CL": 0.7, "M1_V1": 25.0,
          "M1_FM": 0.6}


def _model(kind: str) -> LinearModel:
    return child_chain(parent_metabolite_chain((2, 1), oral=True), ("", "M1_"), kind)


def _grid(model, dt, n, segments, params, u, windows=()):
    outputs = tuple(c.name for c in model.compartments if c.volume is not None)
    spec = GridSpec(model, dt, n, (Channel("depot", f="F"),), outputs, windows=windows, segment_of_step=segments)
    p = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    ker = jax.vmap(lambda q: kernels(spec, q))(p)
    return spec, simulate_one(spec, ker, jnp.asarray(u, jnp.float64))


def _mother_flows(ode, p):
    return ode.chain_flows(p, (2, 1))


def _fetus_flows(p, seg):
    out = []
    for P, nxt in (("", "M1_"), ("M1_", None)):
        out += [(f"{P}central", f"{P}fetus", p[f"{P}KMF"][seg]), (f"{P}fetus", f"{P}central", p[f"{P}KFM"][seg])]
        k = p[f"{P}KN"][seg]
        if nxt:
            out += [(f"{P}fetus", f"{nxt}fetus", p[f"{nxt}FM"] * k), (f"{P}fetus", None, (1 - p[f"{nxt}FM"]) * k)]
        else:
            out.append((f"{P}fetus", None, k))
    return out


def _infant_flows(p, seg):
    out = []
    for P, nxt in (("", "M1_"), ("M1_", None)):
        out += [(f"{P}central", f"{P}milk", p[f"{P}KMILK"][seg]),
                (f"{P}milk", f"{P}infant", p[f"{P}FI"] * p[f"{P}KAI"]),
                (f"{P}milk", None, (1 - p[f"{P}FI"]) * p[f"{P}KAI"])]
        k = p[f"{P}KI"]
        if nxt:
            out += [(f"{P}infant", f"{nxt}infant", p[f"{nxt}FM"] * k), (f"{P}infant", None, (1 - p[f"{nxt}FM"]) * k)]
        else:
            out.append((f"{P}infant", None, k))
    return out


def _oracle(ode, model, p, child_flows, segments, dt, u, extra=None):
    """Left-limit states on the grid; ``extra(K, seg)`` may add rows (e.g. a counter)."""
    names = model.names + (("counter",) if extra else ())
    seg = np.asarray(segments)
    changes = [0] + [k for k in range(1, len(seg)) if seg[k] != seg[k - 1]]
    Ks = []
    for k in changes:
        K = ode.rate_matrix(names, _mother_flows(ode, p) + child_flows(p, seg[k]))
        if extra:
            extra(K, names, seg[k])
        Ks.append(K)
    boluses, infusions = ode.events(u, dt, [("bolus", names.index("depot"), p["F"], 0.0)])
    X = ode.states(Ks, [k * dt for k in changes], len(names), boluses, infusions, np.arange(len(seg)) * dt)
    return names, X


def test_mother_fetus_and_newborn_match_ode(ode, x64):
    dt, n, birth = 0.5, 145, 80
    child = Child.fetus(n, birth)
    p = dict(MOTHER, VF=2.5, M1_VF=4.0, KMF=np.array([0.8, 0.0]), KFM=np.array([2.1, 0.0]),
             M1_KMF=np.array([0.3, 0.0]), M1_KFM=np.array([0.6, 0.0]), KN=np.array([0.0, 0.05]),
             M1_KN=np.array([0.0, 0.02]))
    u = np.zeros((n, 1))
    u[[0, 24, 48, 72], 0] = 10.0
    params = {k: (v if np.ndim(v) else np.full(2, v)) for k, v in p.items()}
    _, out = _grid(_model("fetus"), dt, n, child.segments, params, u)
    names, X = _oracle(ode, _model("fetus"), p, _fetus_flows, child.segments, dt, u)
    for o, v in (("central", "V1"), ("M1_central", "M1_V1"), ("fetus", "VF"), ("M1_fetus", "M1_VF")):
        ref = X[:, names.index(o)] / p[v]
        got = np.asarray(out["conc"][o])
        mask = ref > 1e-9 * ref.max()
        # exact propagation: only the oracle's rtol (1e-12) and rounding separate them
        assert np.max(np.abs(got[mask] - ref[mask]) / ref[mask]) < 1e-6, o
    # after birth the cord is cut: nothing returns to the mother from the newborn
    assert np.all(np.diff(np.asarray(out["conc"]["fetus"])[birth + 1:]) < 0)


def test_infant_fed_at_feeds_matches_ode_and_swallows_what_the_mother_loses(ode, x64):
    dt = 0.25
    n = 4 * 48 + 1
    child = Child.infant(dt, n, (0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0))
    p = dict(MOTHER, VG=1.0, M1_VG=1.0, VI=1.7, M1_VI=3.0, KMILK=np.array([0.0, 0.004]),
             M1_KMILK=np.array([0.0, 0.002]), FI=0.8, M1_FI=1.0, KAI=2.0, M1_KAI=2.0, KI=0.04, M1_KI=0.01)
    u = np.zeros((n, 1))
    u[[2, 98], 0] = 10.0
    params = {k: (v if np.ndim(v) else np.full(2, v)) for k, v in p.items()}
    windows = (Window(0, n - 1),)
    spec, out = _grid(_model("infant"), dt, n, child.segments, params, u, windows)

    def counter(K, names, seg):  # counts what enters the infant's gut without taking it from anyone
        K[names.index("counter"), names.index("central")] += p["KMILK"][seg]

    names, X = _oracle(ode, _model("infant"), p, _infant_flows, child.segments, dt, u, counter)
    for o, v in (("central", "V1"), ("M1_central", "M1_V1"), ("milk", "VG"), ("infant", "VI"),
                 ("M1_infant", "M1_VI")):
        ref = X[:, names.index(o)] / p[v]
        got = np.asarray(out["conc"][o])
        mask = ref > 1e-9 * ref.max()
        assert np.max(np.abs(got[mask] - ref[mask]) / ref[mask]) < 1e-6, o
    # swallowed = gain of the gut + KAI x its amount-time integral (the experiment's formula), exactly
    i = spec.outputs.index("milk")
    swallowed = float(out["c_end"][0, i] + p["KAI"] * out["auc"][0, i])
    assert swallowed == pytest.approx(X[-1, names.index("counter")], rel=1e-8)
    assert swallowed > 0


def test_fetal_to_maternal_ratio_at_steady_state_is_the_unbound_fraction_ratio(x64):
    # flow-limited placenta without fetal elimination: C_f / C_m -> fu_m / fu_f (Kp,uu = 1, literature.md L38)
    fu_m, fu_f, q, v1, vf = 0.02, 0.015, 0.9, 12.0, 3.0
    m = child_chain(parent_metabolite_chain((1,), oral=False), ("",), "fetus")
    n = 2001
    spec = GridSpec(m, 1.0, n, (Channel("central", "infusion"),), ("central", "fetus"))
    p = {"CL": 1.0, "V1": v1, "VF": vf, "KMF": q * fu_m / (fu_f * v1), "KFM": q / vf, "KN": 0.0}
    ker = kernels(spec, {k: jnp.asarray(v, jnp.float64) for k, v in p.items()})
    ker = jax.tree_util.tree_map(lambda x: x[None], ker)
    out = simulate_one(spec, ker, jnp.ones((n, 1), jnp.float64))
    ratio = float(out["conc"]["fetus"][-1] / out["conc"]["central"][-1])
    assert ratio == pytest.approx(fu_m / fu_f, rel=1e-9)
