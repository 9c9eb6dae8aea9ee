"""Parameter draws as a batched axis (popsim.simulate ``draw_axes``, popsim.arm, the ``n_draws`` run key).

An arm with PD (lorazepam in the elderly preset, two daily doses, 3 days on a 1 h grid) is run with draws
0..K-1 of the runtime PD constants (:func:`popsim.uncertainty.draw_values`).  Draw k must not depend on K
or on the chunking (bitwise), and must equal a run of the point-value path with that draw's constants; a
subject is the same person in every draw.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from popsim.arm import Arm, run_arm
from popsim.keys import job_seed
from popsim.pd.parameters import check_values
from popsim.pk.grid import Window
from popsim.regimen import fixed_interval
from popsim.uncertainty import draw_values

N_STEPS = 3 * 24 + 1
ARM = Arm("lorazepam", "oral", "elderly", 1.0, N_STEPS)
WINDOWS = {"ss": Window(N_STEPS - 25, N_STEPS - 1), "horizon": Window(0, N_STEPS - 1)}
U = np.stack([fixed_interval(N_STEPS, 1.0, d, 24.0, 0.0) for d in (1.0, 2.0)])[..., None]
LANES = 128 * len(jax.devices())  # popsim.simulate pads chunks to this many subjects
N = LANES + 7  # two chunks at chunk_size=LANES, one at 2 * LANES


def run(values, chunk=2 * LANES, dtype=jnp.float32):
    return run_arm(ARM, U, seed=3, n_subjects=N, windows=WINDOWS, values=values, chunk_size=chunk,
                   dtype=dtype).raw


def arrays(raw, draws=None):
    """Every output array of ``raw`` (params and summaries; covariates apart), draws ``draws`` of each."""
    out = {f"params.{k}": v for k, v in raw["params"].items()}
    out |= {k: v for k, v in raw.items() if isinstance(v, np.ndarray)}
    return {k: v if draws is None else v[..., draws, :] for k, v in out.items()}


@pytest.fixture(scope="module")
def five():
    return run(draw_values(5))


def test_draw_k_does_not_depend_on_the_number_of_draws(five):
    three = run(draw_values(3))
    a, b = arrays(five, slice(0, 3)), arrays(three)
    assert a.keys() == b.keys() and {"auc", "pd_end", "pd_max", "params.KD_a1", "params.DEP_XC"} <= set(a)
    for k in a:
        assert a[k].shape[-2:] == (3, N), k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)  # bitwise (NaN where a signal is undefined)
    # not vacuous: the draws differ, and so does what depends on them
    assert len(np.unique(five["params"]["FALL_BETA"])) == 5
    end = np.nan_to_num(five["pd_end"])  # (window, signal, regimen, draw, subject)
    assert np.any(end[..., 1:, :] != end[..., :1, :])


def test_a_subject_is_the_same_person_in_every_draw(five):
    assert all(v.shape == (N,) for v in five["covariates"].values())  # one set of covariates per subject
    for k in ("CL", "V1", "KA", "M1_CL") if "M1_CL" in five["params"] else ("CL", "V1", "KA"):
        p = five["params"][k]  # (segment, draw, subject)
        np.testing.assert_array_equal(p, np.broadcast_to(p[:, :1], p.shape), err_msg=k)
    for stat in ("auc", "cmax", "cmin"):  # PK does not depend on the PD constants
        np.testing.assert_array_equal(five[stat], np.broadcast_to(five[stat][..., :1, :], five[stat].shape))


def test_chunk_size_does_not_change_draws(five):
    small = run(draw_values(5), chunk=LANES)
    for k, v in arrays(five).items():
        np.testing.assert_array_equal(v, arrays(small)[k], err_msg=k)


@pytest.mark.usefixtures("x64")
def test_each_draw_equals_the_point_value_path():
    # Not bitwise: XLA evaluates x ** y for an unbatched (scalar) base, as on the point-value path, in other
    # instructions than for a base batched over draws (measured: 1-ulp differences in KD_a1, KD_a2, DEP_XC,
    # which the withdrawal signals amplify to 1e-4 relative in float32); float64 bounds the difference.
    drawn = draw_values(2)
    both = run(drawn, dtype=jnp.float64)
    for j in range(2):
        one = run(check_values({k: float(v[j]) for k, v in drawn.items()}), dtype=jnp.float64)
        for k, v in arrays(both, j).items():
            np.testing.assert_allclose(v, arrays(one)[k], rtol=1e-9, atol=1e-300, err_msg=f"draw {j}: {k}")


def test_drawn_values_are_checked_before_compute():
    values = draw_values(3)
    values["fall_beta"] = values["fall_beta"].copy()
    values["fall_beta"][1] = -1.0
    with pytest.raises(ValueError, match=r"draw 1: pd.fall_beta=-1.0; allowed: a finite number >= 0"):
        ARM.args(0, jnp.float32, values=values)
    with pytest.raises(ValueError, match=r"one \(draw,\) shape"):
        ARM.args(0, jnp.float32, values={**draw_values(3), "kadapt": np.ones(2) * 0.004})
    # a scalar among draws is held fixed in every draw
    args = ARM.args(0, jnp.float32, values={**draw_values(3), "fall_beta": 2.0})
    np.testing.assert_array_equal(args.pd_values["fall_beta"], [2.0, 2.0, 2.0])
    assert args.draw_axes is not None and ARM.args(0, jnp.float32, values=check_values()).draw_axes is None


def test_n_draws_is_validated_and_refused_where_unsupported():
    from popsim.experiments import REGISTRY
    from popsim.run import configure

    for bad in ("-1", "1001"):
        with pytest.raises(ValueError, match=rf"n_draws={bad}; allowed: an integer 0 to 1000"):
            configure(["+experiment=elderly", *REGISTRY["elderly"].tiny, f"n_draws={bad}"])
    with pytest.raises(ValueError, match=r"n_draws=2: the fluctuation experiment reads no uncertain PD constant "
                                         r"\(its outputs are PK.*allowed: 0, or an experiment that supports draws: "
                                         r"\['alcohol', 'calibration', .*'elderly'.*'taper'\]"):
        configure(["+experiment=fluctuation", *REGISTRY["fluctuation"].tiny, "n_draws=2"])
    with pytest.raises(ValueError, match=r"n_draws=999; allowed: an integer from 1 to 128 \(the draws of the "
                                         r"posterior shipped\)"):
        configure(["+experiment=elderly", *REGISTRY["elderly"].tiny, "n_draws=999"])
    # a sweep over n_draws keeps the subjects: the job seed does not depend on it
    assert job_seed(5, ["n_draws=10", "grid.days=7"]) == job_seed(5, ["grid.days=7", "n_draws=50"])
