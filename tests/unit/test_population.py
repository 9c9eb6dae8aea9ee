"""Keys, IIV sampling, regimens and the batched driver: reproducibility and input checks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from popsim import Channel, GridSpec, Window, mammillary, simulate_grid
from popsim.keys import root_key, stream_key
from popsim.params import individual
from popsim.regimen import fixed_interval, sweep

SPEC = GridSpec(mammillary(1), 1.0, 49, (Channel("depot", f="F"),), windows=(Window(24, 48),))
TV = dict(KA=1.0, CL=2.0, V1=20.0, F=0.8)
CV = dict(CL=0.4, V1=0.25)


def test_iiv_moments_match_config():
    # log(P_i / TV) ~ N(0, ln(1 + CV^2)): Kolmogorov-Smirnov at n = 20000 with a fixed key.
    stream = stream_key(root_key(3), "iiv")
    draw = jax.jit(jax.vmap(lambda i: individual(TV, CV, stream, i, jnp.float32)))
    p = draw(jnp.arange(20000))
    for name, cv in CV.items():
        eta = np.log(np.asarray(p[name], float) / TV[name])
        assert stats.kstest(eta, "norm", args=(0, np.sqrt(np.log1p(cv**2)))).pvalue > 1e-3
    assert np.all(np.asarray(p["KA"]) == TV["KA"])  # no IIV configured: exactly the typical value
    assert abs(np.corrcoef(np.log(p["CL"]), np.log(p["V1"]))[0, 1]) < 0.05  # independent etas


def test_no_key_reuse_and_seeds_differ():
    with jax.debug_key_reuse(True):
        a = simulate_grid(SPEC, TV, CV, np.ones((1, 49, 1)), n_subjects=5, seed=1)
        b = simulate_grid(SPEC, TV, CV, np.ones((1, 49, 1)), n_subjects=5, seed=2)
    assert not np.allclose(a["params"]["CL"], b["params"]["CL"])


def test_subject_is_the_same_person_whatever_n_chunk_or_regimen():
    U1 = sweep(49, 1.0, [1.0], [12.0])[1]
    U2 = sweep(49, 1.0, [1.0, 3.0], [8.0, 12.0])[1]
    small = simulate_grid(SPEC, TV, CV, U1, n_subjects=300, seed=0, chunk_size=7)
    big = simulate_grid(SPEC, TV, CV, U2, n_subjects=1000, seed=0, chunk_size=1000)
    np.testing.assert_array_equal(small["params"]["CL"], big["params"]["CL"][:, :300])
    np.testing.assert_array_equal(small["cmax"][..., 0, :], big["cmax"][..., 1, :300])
    # trajectories arrive in three time pieces (cut at the window edges 24 and 48) and are joined on the host
    assert small["conc"]["central"].shape == (49, 1, 300)
    np.testing.assert_array_equal(small["conc"]["central"][:, 0], big["conc"]["central"][:, 1, :300])
    np.testing.assert_array_equal(small["conc"]["central"][48, 0], small["c_end"][0, 0, 0])  # value at t = 48 h


def test_float32_and_float64_simulate_the_same_people():
    U = sweep(49, 1.0, [1.0], [12.0])[1]
    with jax.enable_x64(True):
        r64 = simulate_grid(SPEC, TV, CV, U, n_subjects=50, seed=0, dtype=jnp.float64)
    r32 = simulate_grid(SPEC, TV, CV, U, n_subjects=50, seed=0, dtype=jnp.float32)
    # Same draws (IIV sampled in float32); outputs differ by float32 rounding only (measured 3e-7).
    np.testing.assert_allclose(r32["params"]["CL"], r64["params"]["CL"], rtol=1e-7)
    np.testing.assert_allclose(r32["auc"], r64["auc"], rtol=1e-5)


def test_non_integer_interval_gives_exact_dose_count():
    # 4.5 h for 2,000 doses on a 0.5 h grid: every dose present, at index 9 k (RxODE #405).
    n = 2000 * 9 + 1
    u = fixed_interval(n, 0.5, 1.0, 4.5)
    assert np.count_nonzero(u) == 2001 and np.array_equal(np.flatnonzero(u), np.arange(0, n, 9))
    third = fixed_interval(24 * 90 * 3 + 1, 1 / 3, 1.0, 8.0)  # 8 h on a 20 min grid, 90 days
    assert np.array_equal(np.flatnonzero(third), np.arange(0, third.size, 24))


def test_overlapping_infusions_add():
    # 10 mg over 6 h every 4 h on a 60 h grid: rates overlap and add; 14 doses are
    # infused in full and the 15th (t = 56 h) for the 4 h left of the grid.
    u = fixed_interval(60, 1.0, 10.0, 4.0, infusion_h=6.0)
    assert u.sum() * 1.0 == pytest.approx(14 * 10.0 + 10.0 * 4 / 6, rel=1e-12)
    assert u[4] == pytest.approx(2 * 10.0 / 6.0) and u[0] == pytest.approx(10.0 / 6.0)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(regimens=-np.ones((1, 49, 1))), r"regimen 0, time 0 h, channel 'depot': amount \(mg\) = -1.0"),
        (dict(regimens=np.full((1, 49, 1), np.nan)), "allowed: a finite number >= 0"),
        (dict(regimens=np.ones((1, 48, 1))), r"expected \(regimen, 49, 1\)"),
        (dict(typical={**TV, "CL": 0.0}), r"params.CL=0.0; allowed: a finite number > 0"),
        (dict(typical={**TV, "V1": float("inf")}), "params.V1=inf"),
        (dict(typical={**TV, "CLL": 2.0}), "unknown parameters .*did you mean 'CL'"),
        (dict(typical={k: v for k, v in TV.items() if k != "KA"}), r"missing parameters \['KA'\]"),
        (dict(cv={"CL": 5.0}), "params.cv.CL=5.0; allowed: 0 <= CV <= 3"),
        (dict(n_subjects=0), "n_subjects=0"),
    ],
)
def test_bad_input_is_named_before_compute(change, message):
    args = dict(typical=TV, cv=CV, regimens=np.ones((1, 49, 1)), n_subjects=4)
    args.update(change)
    with pytest.raises(ValueError, match=message):
        simulate_grid(SPEC, args["typical"], args["cv"], args["regimens"], n_subjects=args["n_subjects"], seed=0)


def test_grid_spec_errors_name_the_field():
    with pytest.raises(ValueError, match="unknown compartment 'centrl'.*did you mean 'central'"):
        GridSpec(mammillary(1), 1.0, 10, (Channel("centrl"),))
    with pytest.raises(ValueError, match="grid dt=0"):
        GridSpec(mammillary(1), 0.0, 10, (Channel("central"),))
    with pytest.raises(ValueError, match=r"window \[5, 10\)"):
        GridSpec(mammillary(1), 1.0, 10, (Channel("central"),), windows=(Window(5, 10),))
